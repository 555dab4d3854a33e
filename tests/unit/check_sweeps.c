/* SPDX-License-Identifier: GPL-3.0-or-later
 * Every GR_K_MATH row of the op table through every sweep of the tape, in every broadcast
 * pattern (a block of one or a longer block for each argument), checked against itself:
 *   - a block gives, element by element, the values, adjoints, tangents and Hessian-vector
 *     products of the same op at each point alone (a block of one broadcast over a longer
 *     block gets the sum of the per-point adjoints), and reports a kink where some point does;
 *   - forward mode (tangent along x, along y) equals reverse mode (adjoint for seed 1);
 *   - the strong zeros: an adjoint or tangent of 0 sends exactly 0 whatever the partial (NaN
 *     included), an infinite or NaN one sends 0 where the partial is exactly 0 and that
 *     multiple of the partial elsewhere;
 *   - the mixed second partials are symmetric, and the Hessian-vector products agree with
 *     central differences of the reverse-mode gradient wherever those are well defined.
 * The sample points include 0, +-1 and an integer pair, where kinks, ties and domain edges of
 * the functions lie.
 */
#include "testutil.h"
#include <stdint.h>
#include <stdio.h>

enum { NP = 9 };
static const double pts[NP] = {-2.5, -1, -0.5, 0, 0.25, 0.5, 1, 2, 3};

/* the same double, NaN matching NaN (any payload) and 0 matching -0 */
static int same(double u, double v) { return (isnan(u) && isnan(v)) || u == v; }

/* close to within rounding of a sum of a few terms (adjoints of a broadcast block of one) */
static int near(double u, double v) {
  if (same(u, v))
    return 1;
  if (!isfinite(u) || !isfinite(v))
    return 0;
  return fabs(u - v) <= 1e-12 * (fabs(u) + fabs(v)) + 1e-300;
}

/* The text of op `op` applied to x (and y): function call or operator syntax. */
static void op_text(int op, char *buf, size_t n) {
  const GrOpInfo *o = &gr_ops[op];
  if (o->prec > 0 && o->nargs == 2)
    snprintf(buf, n, "x %s y", o->name);
  else if (o->prec > 0)
    snprintf(buf, n, "%sx", o->name);
  else if (o->nargs == 2)
    snprintf(buf, n, "%s(x, y)", o->name);
  else
    snprintf(buf, n, "%s(x)", o->name);
}

/* One compiled op with x of length lx and y of length ly (ly 0: unary, no y). */
typedef struct Case {
  GrGraph *g;
  GrTape *t;
  int vx, vy;
  size_t n; /* output length */
} Case;

static void case_open(Case *c, int op, size_t lx, size_t ly) {
  static const char *const vars[] = {"x", "y", NULL};
  char src[64];
  op_text(op, src, sizeof src);
  c->g = gr_graph_new();
  GrParseOpts po = {vars, NULL, 0};
  GrParsed p;
  GrDiag d;
  ck_assert_msg(gr_parse(c->g, src, &po, &p, &d) == GR_OK, "'%s': %s", src, d.msg);
  ck_assert_msg(p.out->op == op, "'%s' parses to %s, not %s", src, gr_ops[p.out->op].name,
                gr_ops[op].name);
  c->vx = gr_var_index(c->g, "x");
  c->vy = gr_var_index(c->g, "y");
  size_t vl[2] = {1, 1};
  vl[c->vx] = lx;
  if (c->vy >= 0)
    vl[c->vy] = ly;
  ck_assert(gr_tape_compile(c->g, &p.out, 1, vl, &c->t, &d) == GR_OK);
  c->n = gr_tape_out_len(c->t, 0);
  ck_assert_uint_eq(c->n, lx > ly ? lx : ly);
}

static void case_close(Case *c) {
  gr_tape_free(c->t);
  gr_graph_free(c->g);
}

static void case_set(Case *c, const double *x, size_t lx, const double *y, size_t ly) {
  memcpy(gr_tape_var(c->t, c->vx), x, lx * sizeof *x);
  if (c->vy >= 0)
    memcpy(gr_tape_var(c->t, c->vy), y, ly * sizeof *y);
  gr_tape_forward(c->t);
  /* and again after a reverse sweep, as for the next gradient: then the forward sweep also
   * keeps what the reverse sweep takes from it (sin's cos(x) from one sincos call) */
  gr_tape_reverse(c->t, 0, NULL);
  gr_tape_forward(c->t);
}

/* Everything about the op at one point (x, y), each sweep on a block of one. */
typedef struct Point {
  double v, gx, gy;       /* value, reverse-mode partials (seed 1) */
  double tx, ty;          /* forward-mode derivatives along x, along y */
  double hxx, hxy, hyx, hyy; /* Hessian-vector products along x (hxx, hxy), along y */
  int kink;
} Point;

static int has_kink(const GrTape *t) {
  GrTapeIssue is[4];
  size_t k = gr_tape_issues(t, is, 4);
  for (size_t i = 0; i < k; i++)
    if (is[i].kind == 0)
      return 1;
  return 0;
}

static double grad_of(const GrTape *t, int v) {
  if (v < 0)
    return 0;
  const double *g = gr_tape_grad(t, v);
  return g ? g[0] : 0;
}

static double hvp_of(const GrTape *t, int v) {
  if (v < 0)
    return 0;
  const double *h = gr_tape_hvp(t, v);
  return h ? h[0] : 0;
}

static Point at_point(int op, double x, double y) {
  Case c;
  int bin = gr_ops[op].nargs == 2;
  case_open(&c, op, 1, bin);
  case_set(&c, &x, 1, &y, bin);
  Point p = {0};
  p.v = gr_tape_out(c.t, 0)[0];
  gr_tape_reverse(c.t, 0, NULL);
  p.gx = grad_of(c.t, c.vx);
  p.gy = grad_of(c.t, c.vy);
  p.kink = has_kink(c.t);
  const char *src = gr_ops[op].name;
  /* the strong zeros of the reverse sweep, for adjoints 0, inf, -inf and NaN */
  const double seeds[] = {0, INFINITY, -INFINITY, NAN};
  for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++) {
    gr_tape_reverse(c.t, 0, &seeds[s]);
    double want_x = seeds[s] == 0 || p.gx == 0 ? 0 : seeds[s] * p.gx;
    double want_y = seeds[s] == 0 || p.gy == 0 ? 0 : seeds[s] * p.gy;
    ck_assert_msg(same(grad_of(c.t, c.vx), want_x) && same(grad_of(c.t, c.vy), want_y),
                  "%s(%g, %g), adjoint %g: sends (%g, %g), want (%g, %g)", src, x, y, seeds[s],
                  grad_of(c.t, c.vx), grad_of(c.t, c.vy), want_x, want_y);
  }
  /* forward mode along x and along y, and for tangents 0, inf, NaN along x */
  const double dirs[] = {1, 0, INFINITY, NAN};
  for (size_t s = 0; s < sizeof dirs / sizeof *dirs; s++) {
    const double one = dirs[s], zero = 0;
    const double *dir[2] = {NULL, NULL};
    dir[c.vx] = &one;
    if (c.vy >= 0)
      dir[c.vy] = &zero;
    gr_tape_tangent(c.t, dir);
    double tx = gr_tape_out_tangent(c.t, 0)[0];
    if (s == 0)
      p.tx = tx;
    else {
      double want = dirs[s] == 0 || p.tx == 0 ? 0 : dirs[s] * p.tx;
      ck_assert_msg(same(tx, want), "%s(%g, %g), tangent %g: %g, want %g", src, x, y, dirs[s],
                    tx, want);
    }
  }
  if (c.vy >= 0) {
    const double one = 1, zero = 0;
    const double *dir[2];
    dir[c.vx] = &zero;
    dir[c.vy] = &one;
    gr_tape_tangent(c.t, dir);
    p.ty = gr_tape_out_tangent(c.t, 0)[0];
  }
  /* Hessian-vector products along x, then along y */
  for (int along = 0; along < 1 + (c.vy >= 0); along++) {
    const double one = 1, zero = 0;
    const double *dir[2];
    dir[c.vx] = along == 0 ? &one : &zero;
    if (c.vy >= 0)
      dir[c.vy] = along == 1 ? &one : &zero;
    gr_tape_tangent(c.t, dir);
    gr_tape_reverse(c.t, 0, NULL);
    gr_tape_reverse_tangent(c.t, 0);
    if (along == 0) {
      p.hxx = hvp_of(c.t, c.vx);
      p.hxy = hvp_of(c.t, c.vy);
    } else {
      p.hyx = hvp_of(c.t, c.vx);
      p.hyy = hvp_of(c.t, c.vy);
    }
  }
  case_close(&c);
  return p;
}

/* d/dv of the reverse-mode partial w.r.t. `wrt` (0: x, 1: y), central differences with
 * step h; NAN where the op is not defined there */
static double fd_hess(int op, double x, double y, int v, int wrt, double h) {
  Point p = at_point(op, x + (v == 0 ? h : 0), y + (v == 1 ? h : 0));
  Point m = at_point(op, x - (v == 0 ? h : 0), y - (v == 1 ? h : 0));
  double gp = wrt == 0 ? p.gx : p.gy, gm = wrt == 0 ? m.gx : m.gy;
  return (gp - gm) / (2 * h);
}

static void check_hessian_fd(int op, double x, double y, const Point *p) {
  int bin = gr_ops[op].nargs == 2;
  double h[2][2] = {{p->hxx, p->hxy}, {p->hyx, p->hyy}};
  for (int v = 0; v < 1 + bin; v++)
    for (int w = 0; w < 1 + bin; w++) {
      double f1 = fd_hess(op, x, y, v, w, 1e-5), f2 = fd_hess(op, x, y, v, w, 2e-5);
      /* only where the difference quotients are settled (smooth there, no kink or jump) */
      if (!isfinite(f1) || !isfinite(f2) || fabs(f1 - f2) > 1e-5 * (1 + fabs(f1)))
        continue;
      ck_assert_msg(fabs(h[v][w] - f1) <= 1e-4 * (1 + fabs(f1)),
                    "%s(%g, %g): d2/d%c d%c = %.17g, central differences %.17g", gr_ops[op].name,
                    x, y, "xy"[v], "xy"[w], h[v][w], f1);
    }
}

START_TEST(test_op_points) {
  int op = _i;
  if (gr_ops[op].kind != GR_K_MATH)
    return;
  int bin = gr_ops[op].nargs == 2;
  for (int i = 0; i < NP; i++)
    for (int j = 0; j < (bin ? NP : 1); j++) {
      double x = pts[i], y = pts[j];
      Point p = at_point(op, x, y);
      const char *s = gr_ops[op].name;
      ck_assert_msg(same(p.tx, p.gx) && same(p.ty, p.gy),
                    "%s(%g, %g): forward (%.17g, %.17g), reverse (%.17g, %.17g)", s, x, y, p.tx,
                    p.ty, p.gx, p.gy);
      ck_assert_msg(same(p.hxy, p.hyx), "%s(%g, %g): d2/dxdy %.17g, d2/dydx %.17g", s, x, y,
                    p.hxy, p.hyx);
      if (isfinite(p.v) && isfinite(p.gx) && isfinite(p.gy))
        check_hessian_fd(op, x, y, &p);
    }
}
END_TEST

/* The op on blocks: x a block of NP (or of one), y a block of NP (or of one). */
static void check_block(int op, int xblock, int yblock) {
  int bin = gr_ops[op].nargs == 2;
  size_t lx = xblock ? NP : 1, ly = bin ? (yblock ? NP : 1) : 0;
  double xs[NP], ys[NP];
  for (int k = 0; k < NP; k++) {
    xs[k] = xblock ? pts[k] : pts[5];
    ys[k] = yblock ? pts[(k + 3) % NP] : pts[6]; /* not aligned with x: pairs of all kinds */
  }
  Point pp[NP];
  int any_kink = 0;
  for (int k = 0; k < NP; k++) {
    pp[k] = at_point(op, xs[k], ys[k]);
    any_kink |= pp[k].kink;
  }
  Case c;
  case_open(&c, op, lx, ly);
  case_set(&c, xs, lx, ys, ly);
  const char *s = gr_ops[op].name;
  const double *v = gr_tape_out(c.t, 0);
  for (int k = 0; k < NP; k++)
    ck_assert_msg(same(v[k], pp[k].v), "%s block (%d, %d) [%d]: %.17g, alone %.17g", s, xblock,
                  yblock, k, v[k], pp[k].v);
  gr_tape_reverse(c.t, 0, NULL);
  ck_assert_msg(has_kink(c.t) == any_kink, "%s block (%d, %d): kink %d, points %d", s, xblock,
                yblock, has_kink(c.t), any_kink);
  /* adjoints: per element for a block, the sum over the points for a block of one */
  for (int w = 0; w < 1 + bin; w++) {
    int vv = w == 0 ? c.vx : c.vy, blk = w == 0 ? xblock : yblock;
    const double *g = gr_tape_grad(c.t, vv);
    double sum = 0;
    for (int k = 0; k < NP; k++) {
      double e = w == 0 ? pp[k].gx : pp[k].gy;
      if (blk)
        ck_assert_msg(same(g ? g[k] : 0, e), "%s block (%d, %d): d/d%c [%d] %.17g, alone %.17g", s,
                      xblock, yblock, "xy"[w], k, g ? g[k] : 0, e);
      if (e != 0) /* a strong zero adds nothing, not even -0 */
        sum += e;
    }
    if (!blk)
      ck_assert_msg(near(g ? g[0] : 0, sum), "%s block (%d, %d): d/d%c %.17g, sum over points %.17g",
                    s, xblock, yblock, "xy"[w], g ? g[0] : 0, sum);
  }
  /* forward mode along x: a tangent of ones in every element */
  double ones[NP], zeros[NP] = {0};
  for (int k = 0; k < NP; k++)
    ones[k] = 1;
  const double *dir[2] = {NULL, NULL};
  dir[c.vx] = ones;
  if (c.vy >= 0)
    dir[c.vy] = zeros;
  gr_tape_tangent(c.t, dir);
  const double *tn = gr_tape_out_tangent(c.t, 0);
  for (int k = 0; k < NP; k++)
    ck_assert_msg(same(tn[k], pp[k].tx), "%s block (%d, %d): tangent [%d] %.17g, alone %.17g",
                  s, xblock, yblock, k, tn[k], pp[k].tx);
  /* Hessian-vector product along x */
  gr_tape_reverse(c.t, 0, NULL);
  gr_tape_reverse_tangent(c.t, 0);
  for (int w = 0; w < 1 + bin; w++) {
    int vv = w == 0 ? c.vx : c.vy, blk = w == 0 ? xblock : yblock;
    const double *h = gr_tape_hvp(c.t, vv);
    double sum = 0;
    for (int k = 0; k < NP; k++) {
      double e = w == 0 ? pp[k].hxx : pp[k].hxy;
      if (blk)
        ck_assert_msg(near(h ? h[k] : 0, e), "%s block (%d, %d): hvp d/d%c [%d] %.17g, alone %.17g",
                      s, xblock, yblock, "xy"[w], k, h ? h[k] : 0, e);
      sum += e;
    }
    if (!blk)
      ck_assert_msg(near(h ? h[0] : 0, sum), "%s block (%d, %d): hvp d/d%c %.17g, sum %.17g", s,
                    xblock, yblock, "xy"[w], h ? h[0] : 0, sum);
  }
  /* a seed per element: 1, 0, inf, NaN, -2 in turn; each element's adjoint follows the
   * strong-zero rule on its own */
  const double cyc[] = {1, 0, INFINITY, NAN, -2};
  double seed[NP];
  for (int k = 0; k < NP; k++)
    seed[k] = cyc[k % 5];
  gr_tape_reverse(c.t, 0, seed);
  for (int w = 0; w < 1 + bin; w++) {
    int vv = w == 0 ? c.vx : c.vy, blk = w == 0 ? xblock : yblock;
    const double *g = gr_tape_grad(c.t, vv);
    double sum = 0;
    for (int k = 0; k < NP; k++) {
      double e = w == 0 ? pp[k].gx : pp[k].gy;
      e = seed[k] == 0 || e == 0 ? 0 : seed[k] * e;
      if (blk)
        ck_assert_msg(near(g ? g[k] : 0, e), "%s block (%d, %d), seed %g: d/d%c [%d] %.17g, want %.17g",
                      s, xblock, yblock, seed[k], "xy"[w], k, g ? g[k] : 0, e);
      if (e != 0)
        sum += e;
    }
    if (!blk)
      ck_assert_msg(near(g ? g[0] : 0, sum), "%s block (%d, %d), seeds: d/d%c %.17g, want %.17g",
                    s, xblock, yblock, "xy"[w], g ? g[0] : 0, sum);
  }
  if (bin) {
    /* forward mode and Hessian-vector product along y */
    dir[c.vx] = zeros;
    dir[c.vy] = ones;
    gr_tape_tangent(c.t, dir);
    tn = gr_tape_out_tangent(c.t, 0);
    for (int k = 0; k < NP; k++)
      ck_assert_msg(same(tn[k], pp[k].ty), "%s block (%d, %d): tangent y [%d] %.17g, alone %.17g",
                    s, xblock, yblock, k, tn[k], pp[k].ty);
    gr_tape_reverse(c.t, 0, NULL);
    gr_tape_reverse_tangent(c.t, 0);
    for (int w = 0; w < 2; w++) {
      int vv = w == 0 ? c.vx : c.vy, blk = w == 0 ? xblock : yblock;
      const double *h = gr_tape_hvp(c.t, vv);
      double sum = 0;
      for (int k = 0; k < NP; k++) {
        double e = w == 0 ? pp[k].hyx : pp[k].hyy;
        if (blk)
          ck_assert_msg(near(h ? h[k] : 0, e), "%s block (%d, %d): hvp y d/d%c [%d] %.17g, alone %.17g",
                        s, xblock, yblock, "xy"[w], k, h ? h[k] : 0, e);
        sum += e;
      }
      if (!blk)
        ck_assert_msg(near(h ? h[0] : 0, sum), "%s block (%d, %d): hvp y d/d%c %.17g, sum %.17g", s,
                      xblock, yblock, "xy"[w], h ? h[0] : 0, sum);
    }
  }
  case_close(&c);
}

/* A binary op with one argument a constant (no adjoint goes there): x OP 0.75 and
 * 0.75 OP x, x a block, against the two-variable op at each point. */
static void check_const_arg(int op) {
  static const char *const vars[] = {"x", NULL};
  const GrOpInfo *o = &gr_ops[op];
  for (int side = 0; side < 2; side++) {
    char src[64];
    const char *l = side == 0 ? "x" : "0.75", *r = side == 0 ? "0.75" : "x";
    if (o->prec > 0)
      snprintf(src, sizeof src, "%s %s %s", l, o->name, r);
    else
      snprintf(src, sizeof src, "%s(%s, %s)", o->name, l, r);
    GrGraph *g = gr_graph_new();
    GrParseOpts po = {vars, NULL, 0};
    GrParsed p;
    GrDiag d;
    ck_assert_msg(gr_parse(g, src, &po, &p, &d) == GR_OK, "'%s': %s", src, d.msg);
    if (p.out->op != op) { /* rewritten by the parser (x - c as x + -c ...): nothing to test */
      gr_graph_free(g);
      continue;
    }
    size_t vl[1] = {NP};
    GrTape *t;
    ck_assert(gr_tape_compile(g, &p.out, 1, vl, &t, &d) == GR_OK);
    memcpy(gr_tape_var(t, 0), pts, sizeof pts);
    gr_tape_forward(t);
    gr_tape_reverse(t, 0, NULL);
    const double *gx = gr_tape_grad(t, 0);
    double ones[NP];
    for (int k = 0; k < NP; k++)
      ones[k] = 1;
    const double *dir[1] = {ones};
    gr_tape_tangent(t, dir);
    const double *tn = gr_tape_out_tangent(t, 0);
    gr_tape_reverse(t, 0, NULL);
    gr_tape_reverse_tangent(t, 0);
    const double *h = gr_tape_hvp(t, 0);
    for (int k = 0; k < NP; k++) {
      Point q = side == 0 ? at_point(op, pts[k], 0.75) : at_point(op, 0.75, pts[k]);
      double gw = side == 0 ? q.gx : q.gy, hw = side == 0 ? q.hxx : q.hyy;
      ck_assert_msg(same(gr_tape_out(t, 0)[k], q.v) && same(gx ? gx[k] : 0, gw) &&
                        same(tn[k], gw) && near(h ? h[k] : 0, hw),
                    "%s at x = %g: value %.17g, d/dx %.17g, tangent %.17g, hvp %.17g; want %.17g, "
                    "%.17g, %.17g", src, pts[k], gr_tape_out(t, 0)[k], gx ? gx[k] : 0, tn[k],
                    h ? h[k] : 0, q.v, gw, hw);
    }
    gr_tape_free(t);
    gr_graph_free(g);
  }
}

START_TEST(test_op_blocks) {
  int op = _i;
  if (gr_ops[op].kind != GR_K_MATH)
    return;
  if (gr_ops[op].nargs == 2) {
    check_block(op, 1, 0);
    check_block(op, 0, 1);
    check_block(op, 1, 1);
    check_const_arg(op);
  } else
    check_block(op, 1, 0);
}
END_TEST

/* Long blocks (several chunks of the reverse sweep, a ragged tail) whose points and seeds
 * reach the ends of the double range in some chunks only: where a range-safe helper of
 * ops.h (gr_gdiv, gr_pow_ga, ...) recomputes a product, the block must still give, bit for
 * bit, each point's adjoint alone (a block of one: the sum over the points in GR_LANES
 * accumulators, element k in accumulator k % GR_LANES, then added in order). */
enum { NL = 700 };
static uint64_t bits_of(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}
static int same_bits(double u, double v) { return bits_of(u) == bits_of(v) || (isnan(u) && isnan(v)); }

static double long_pt(size_t k, int shift) {
  static const double calm[] = {0.7, -1.3, 2.5, 0.3, 1.75, -0.45, 3.5, 0.9};
  static const double wild[] = {1e-300, 1e300, 5e-324, 0x1p511, -0x1p600, 1e154, -1e-160, 0,
                                -0.0,   3e-308, 1e200, 0x1p-1000, 0.5,  -2,      1e-20, 2e307};
  size_t j = k + (size_t)shift;
  if ((k >= 256 && k < 512) || k == 690)
    return wild[(j * 7) % (sizeof wild / sizeof *wild)];
  return calm[j % (sizeof calm / sizeof *calm)];
}
static double long_seed(size_t k) {
  static const double calm[] = {1, -0.5, 2, 0, 0.25};
  static const double wild[] = {1e-300, 1e300, 5e-324, 1, 0, 3e-200, 1e250, -2, 1e-310};
  if ((k >= 256 && k < 512) || k == 695)
    return wild[(k * 5) % (sizeof wild / sizeof *wild)];
  return calm[k % (sizeof calm / sizeof *calm)];
}

static void check_long(int op, int xblock, int yblock, double x1, double y1) {
  int bin = gr_ops[op].nargs == 2;
  size_t lx = xblock ? NL : 1, ly = bin ? (yblock ? NL : 1) : 0;
  double *x = malloc(NL * sizeof *x), *y = malloc(NL * sizeof *y), *seed = malloc(NL * sizeof *seed);
  for (size_t k = 0; k < NL; k++) {
    x[k] = xblock ? long_pt(k, 0) : x1;
    y[k] = yblock ? long_pt(k, 3) : y1;
    seed[k] = long_seed(k);
  }
  Case c, one;
  case_open(&c, op, lx, ly);
  case_open(&one, op, 1, bin ? 1 : 0);
  case_set(&c, x, lx, y, ly);
  /* a sweep before leaves adjoints everywhere: the next must not build on them */
  gr_tape_reverse(c.t, 0, NULL);
  gr_tape_reverse(c.t, 0, seed);
  char s[64];
  op_text(op, s, sizeof s);
  double acc[2][GR_LANES] = {{0}};
  for (size_t k = 0; k < NL; k++) {
    case_set(&one, &x[k], 1, &y[k], 1);
    gr_tape_reverse(one.t, 0, &seed[k]);
    for (int w = 0; w < 1 + bin; w++) {
      int blk = w == 0 ? xblock : yblock;
      const double *gb = gr_tape_grad(c.t, w == 0 ? c.vx : c.vy);
      const double *g1 = gr_tape_grad(one.t, w == 0 ? one.vx : one.vy);
      double e = g1 ? g1[0] : 0;
      if (blk)
        ck_assert_msg(same_bits(gb ? gb[k] : 0, e),
                      "%s, x %s, y %s: d/d%c [%zu] at (%g, %g), seed %g: %.17g, alone %.17g", s,
                      xblock ? "block" : "one", yblock ? "block" : "one", "xy"[w], k, x[k], y[k],
                      seed[k], gb ? gb[k] : 0, e);
      else
        acc[w][k % GR_LANES] += e;
    }
  }
  for (int w = 0; w < 1 + bin; w++) {
    if (w == 0 ? xblock : yblock)
      continue;
    double tot = acc[w][0];
    for (int l = 1; l < GR_LANES; l++)
      tot += acc[w][l];
    tot = 0 + tot;
    const double *gb = gr_tape_grad(c.t, w == 0 ? c.vx : c.vy);
    ck_assert_msg(same_bits(gb ? gb[0] : 0, tot), "%s, x %s (%g), y %s (%g): d/d%c %.17g, sum %.17g",
                  s, xblock ? "block" : "one", x1, yblock ? "block" : "one", y1, "xy"[w],
                  gb ? gb[0] : 0, tot);
  }
  case_close(&one);
  case_close(&c);
  free(x);
  free(y);
  free(seed);
}

START_TEST(test_long_blocks) {
  int op = _i;
  if (gr_ops[op].kind != GR_K_MATH)
    return;
  static const double ones[] = {2, 3, 0.75, -1, 1e-300, 1e300, 0x1p511};
  if (gr_ops[op].nargs == 1) {
    check_long(op, 1, 0, 0, 0);
    return;
  }
  check_long(op, 1, 1, 0, 0);
  for (size_t j = 0; j < sizeof ones / sizeof *ones; j++) {
    check_long(op, 1, 0, 0, ones[j]); /* x^2, x^3: the exponent a block of one */
    check_long(op, 0, 1, ones[j], 0);
  }
}
END_TEST

int main(void) {
  gr_init(); /* GSL reports domain errors as NaN, not abort() */
  Suite *s = suite_create("sweeps");
  TCase *tc = tcase_create("ops");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, test_op_points, 0, GR_OP_COUNT);
  tcase_add_loop_test(tc, test_op_blocks, 0, GR_OP_COUNT);
  tcase_add_loop_test(tc, test_long_blocks, 0, GR_OP_COUNT);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
