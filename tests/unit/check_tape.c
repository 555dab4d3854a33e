/* SPDX-License-Identifier: GPL-3.0-or-later
 * The compiled tape: the derivative oracles of REFERENCE.md (PyTorch float64, confirmed
 * by bench/grad_reference.py), seeds, block variables and reductions, named
 * intermediates, Hessian-vector products, compile errors; then randomized tests over
 * thousands of generated expressions: reverse-mode gradients and Hessian-vector products
 * against central differences, forward mode against reverse mode, block evaluation
 * against point-by-point evaluation, and parse(print(e)) against e.
 */
#include "print.h"
#include "testutil.h"
#include <gsl/gsl_deriv.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* A parsed program with its tape, variables named in `names` (values set by tp_at). */
typedef struct TP {
  GrGraph *g;
  GrTape *t;
  GrParsed p;
  GrNode *outs[8];
  size_t nout;
} TP;

static void tp_open(TP *x, const char *const *srcs, size_t nsrc, const char *const *vars,
                    const size_t *lens) {
  memset(x, 0, sizeof *x);
  x->g = gr_graph_new();
  GrParseOpts po = {vars, NULL, 0};
  GrDiag d;
  for (size_t i = 0; i < nsrc; i++) {
    ck_assert_msg(gr_parse(x->g, srcs[i], &po, &x->p, &d) == GR_OK, "'%s': %s", srcs[i], d.msg);
    x->outs[i] = x->p.out;
  }
  x->nout = nsrc;
  size_t vl[TU_MAXV];
  for (int v = 0; v < x->g->nvars; v++) {
    vl[v] = 1;
    for (int k = 0; lens && vars[k]; k++)
      if (!strcmp(vars[k], x->g->vars[v]))
        vl[v] = lens[k];
  }
  ck_assert_int_eq(gr_tape_compile(x->g, x->outs, nsrc, vl, &x->t, &d), GR_OK);
}

static void tp_set(TP *x, const char *name, const double *v) {
  int k = gr_var_index(x->g, name);
  ck_assert_int_ge(k, 0);
  double *dst = gr_tape_var(x->t, k);
  if (dst)
    memcpy(dst, v, gr_tape_var_len(x->t, k) * sizeof *dst);
}

static const double *tp_grad(TP *x, const char *name) {
  const double *gv = gr_tape_grad(x->t, gr_var_index(x->g, name));
  ck_assert_ptr_nonnull(gv);
  return gv;
}

static void tp_close(TP *x) {
  gr_tape_free(x->t);
  gr_graph_free(x->g);
}

/* --- REFERENCE.md oracles --- */
START_TEST(test_quadratic) {
  double g, v = tu_dx("x^2+3x+2", 3.6, &g);
  ck_assert(v == 25.76 && g == 10.2); /* the same doubles as PyTorch's */
}
END_TEST

START_TEST(test_five_variables) {
  static const char *const n[] = {"a", "b", "c", "d", "e"};
  static const double at[] = {1, 2, 3, 0.5, 1.5};
  /* PyTorch float64 (bench/grad_reference.py) */
  static const double want_g[] = {9.857474505605857, 5.086980252958911, 0.4010143052362829,
                                  2.4774803660946136, 2.683281572999748};
  double v, g[5];
  ck_assert_int_eq(tu_eval("a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2)", n,
                           at, 5, &v, g, NULL),
                   GR_OK);
  tu_assert_close(v, 6.517331620496268, 4e-16, 0);
  for (int i = 0; i < 5; i++)
    tu_assert_close(g[i], want_g[i], 4e-16, 0);
}
END_TEST

/* constant powers round as PyTorch's x*x, x*x*x and 1/x do: the very same doubles */
START_TEST(test_constant_powers) {
  static const char *const n[] = {"x", "y", "z"};
  static const double at[] = {1.1, 1.3, 3.3};
  double v, g[3];
  ck_assert_int_eq(tu_eval("x^3 + y^2 + z^-1", n, at, 3, &v, g, NULL), GR_OK);
  ck_assert(v == 3.324030303030304);
  ck_assert(g[0] == 3.630000000000001 && g[1] == 2.6 && g[2] == -0.09182736455463729);
}
END_TEST

START_TEST(test_named_intermediates) {
  /* u = x*x, z = sin(u) at 3: dz/du = cos 9, dz/dx = 6 cos 9 */
  static const char *const xn[] = {"x"};
  TP x;
  const char *src = "u = x*x; z = sin(u); z";
  tp_open(&x, &src, 1, xn, NULL);
  const double three = 3;
  tp_set(&x, "x", &three);
  gr_tape_forward(x.t);
  gr_tape_reverse(x.t, 0, NULL);
  ck_assert_uint_eq(x.t->sweeps, 1);
  tu_assert_close(tp_grad(&x, "x")[0], -5.466781571308061, 2e-16, 0);
  /* the LET node named u: find it and read its adjoint */
  const GrNode *u = NULL;
  for (size_t i = 0; i < x.g->count; i++)
    if (gr_graph_node(x.g, i)->op == GR_OP_LET && !strcmp(gr_graph_node(x.g, i)->name, "u"))
      u = gr_graph_node(x.g, i);
  ck_assert_ptr_nonnull(u);
  tu_assert_close(gr_tape_node_adj(x.t, u)[0], -0.9111302618846769, 2e-16, 0);
  tu_assert_close(gr_tape_node_val(x.t, u)[0], 9, 0, 0);
  tp_close(&x);
}
END_TEST

START_TEST(test_relu_example) {
  double g, v = tu_dx("z = 2x+2+x; q = relu(z)+z*x; h = relu(z*z); h + q + q*x", -4, &g);
  tu_assert_close(v, -20, 0, 0);
  tu_assert_close(g, 46, 0, 0);
}
END_TEST

START_TEST(test_detach) {
  double g, v = tu_dx("detach(x^2)*x", 2, &g);
  tu_assert_close(v, 8, 0, 0);
  tu_assert_close(g, 4, 0, 0);
}
END_TEST

/* Jacobian of [x0, 5x2, 4x1^2 - 2x2, x2 sin x0] at (1,2,3): one tape, one sweep per row */
START_TEST(test_jacobian) {
  static const char *const srcs[] = {"x0", "5x2", "4x1^2-2x2", "x2 sin(x0)"};
  static const char *const n[] = {"x0", "x1", "x2", NULL};
  static const double want[4][3] = {
      {1, 0, 0}, {0, 0, 5}, {0, 16, -2}, {1.6209069176044193, 0, 0.8414709848078965}};
  TP x;
  tp_open(&x, srcs, 4, n, NULL);
  for (int i = 0; i < 3; i++) {
    const double v = i + 1;
    tp_set(&x, n[i], &v);
  }
  gr_tape_forward(x.t);
  for (size_t k = 0; k < 4; k++) {
    gr_tape_reverse(x.t, k, NULL);
    for (int i = 0; i < 3; i++) {
      const double *gv = gr_tape_grad(x.t, gr_var_index(x.g, n[i]));
      tu_assert_close(gv ? gv[0] : 0, want[k][i], 2e-16, 0);
    }
  }
  ck_assert_uint_eq(x.t->sweeps, 4);
  tp_close(&x);
}
END_TEST

/* Hessian of x^2 y + e^(xy) at (1, 0.5) by two Hessian-vector products */
START_TEST(test_hessian) {
  static const char *const n[] = {"x", "y", NULL};
  static const double want[2][2] = {{1.412180317675032, 4.473081906050192},
                                    {4.473081906050192, 1.6487212707001282}};
  const char *src = "x^2 y + e^(x y)";
  TP x;
  tp_open(&x, &src, 1, n, NULL);
  const double at[] = {1, 0.5};
  tp_set(&x, "x", &at[0]);
  tp_set(&x, "y", &at[1]);
  gr_tape_forward(x.t);
  for (int j = 0; j < 2; j++) {
    const double one = 1;
    const double *dir[2] = {NULL, NULL};
    dir[gr_var_index(x.g, n[j])] = &one;
    gr_tape_tangent(x.t, dir);
    gr_tape_reverse(x.t, 0, NULL);
    gr_tape_reverse_tangent(x.t, 0);
    for (int i = 0; i < 2; i++)
      tu_assert_close(gr_tape_hvp(x.t, gr_var_index(x.g, n[i]))[0], want[i][j], 1e-15, 0);
  }
  tp_close(&x);
}
END_TEST

/* higher derivatives of one variable by forward over reverse */
static void d1d2(const char *src, double at, double *d1, double *d2) {
  static const char *const n[] = {"x", NULL};
  TP x;
  tp_open(&x, &src, 1, n, NULL);
  tp_set(&x, "x", &at);
  gr_tape_forward(x.t);
  const double one = 1, *dir[1] = {&one};
  gr_tape_tangent(x.t, dir);
  gr_tape_reverse(x.t, 0, NULL);
  gr_tape_reverse_tangent(x.t, 0);
  *d1 = tp_grad(&x, "x")[0];
  *d2 = gr_tape_hvp(x.t, 0)[0];
  ck_assert(*d1 == gr_tape_out_tangent(x.t, 0)[0]);
  tp_close(&x);
}

START_TEST(test_higher_order) {
  double d1, d2;
  d1d2("x^3", 2, &d1, &d2);
  ck_assert(d1 == 12 && d2 == 12);
  d1d2("x^6", 1, &d1, &d2);
  ck_assert(d1 == 6 && d2 == 30);
  d1d2("x*x*x", 2, &d1, &d2);
  ck_assert(d1 == 12 && d2 == 12);
}
END_TEST

/* y = 2x at x = (1,2,3), backward(gradient = (0.1, 1, 1e-4)): x.grad = (0.2, 2, 0.0002) */
START_TEST(test_seed) {
  static const char *const n[] = {"x", NULL};
  static const size_t len[] = {3};
  const char *src = "2x";
  TP x;
  tp_open(&x, &src, 1, n, len);
  const double v[] = {1, 2, 3}, seed[] = {0.1, 1, 1e-4};
  tp_set(&x, "x", v);
  gr_tape_forward(x.t);
  ck_assert_uint_eq(gr_tape_out_len(x.t, 0), 3);
  gr_tape_reverse(x.t, 0, seed);
  const double *gv = tp_grad(&x, "x");
  tu_assert_close(gv[0], 0.2, 0, 0);
  tu_assert_close(gv[1], 2, 0, 0);
  tu_assert_close(gv[2], 0.0002, 0, 0);
  tp_close(&x);
}
END_TEST

/* reductions over a block variable and broadcasting of scalars */
static const struct {
  const char *src;
  double v[3], s; /* vector v (length 3) and scalar s */
  double val, gv[3], gs;
} reductions[] = {
    {"sum(v^2)", {1, 2, 3}, 0, 14, {2, 4, 6}, 0},
    {"dot(v, v)", {1, 2, 3}, 0, 14, {2, 4, 6}, 0},
    {"norm(v)", {2, 3, 6}, 0, 7, {2.0 / 7, 3.0 / 7, 6.0 / 7}, 0},
    {"mean(v*s)", {1, 2, 3}, 2, 4, {2.0 / 3, 2.0 / 3, 2.0 / 3}, 2},
    {"prod(v)", {2, 0, 3}, 0, 0, {0, 6, 0}, 0},
    {"prod(v + s)", {1, 2, 3}, 1, 24, {12, 8, 6}, 26},
    {"max(v)", {1, 3, 3}, 0, 3, {0, 0.5, 0.5}, 0},
    {"min(v)", {1, 3, 0}, 0, 0, {0, 0, 1}, 0},
    {"sum(if(v > s, v, s))", {1, 2, 3}, 2, 7, {0, 0, 1}, 2},
    {"sum(v) s^2", {1, 2, 3}, 3, 54, {9, 9, 9}, 36},
};

START_TEST(test_reductions) {
  static const char *const n[] = {"v", "s", NULL};
  static const size_t len[] = {3, 1};
  TP x;
  tp_open(&x, &reductions[_i].src, 1, n, len);
  int vs = gr_var_index(x.g, "s");
  tp_set(&x, "v", reductions[_i].v);
  if (vs >= 0)
    tp_set(&x, "s", &reductions[_i].s);
  gr_tape_forward(x.t);
  ck_assert_uint_eq(gr_tape_out_len(x.t, 0), 1);
  tu_assert_close(gr_tape_out(x.t, 0)[0], reductions[_i].val, 1e-15, 0);
  gr_tape_reverse(x.t, 0, NULL);
  for (int k = 0; k < 3; k++)
    tu_assert_close(tp_grad(&x, "v")[k], reductions[_i].gv[k], 1e-15, 0);
  if (vs >= 0)
    tu_assert_close(tp_grad(&x, "s")[0], reductions[_i].gs, 1e-15, 0);
  /* forward mode in the direction of v's first element and of s */
  const double e0[] = {1, 0, 0}, one = 1;
  const double *dir[2] = {NULL, NULL};
  dir[gr_var_index(x.g, "v")] = e0;
  gr_tape_tangent(x.t, dir);
  tu_assert_close(gr_tape_out_tangent(x.t, 0)[0], reductions[_i].gv[0], 1e-15, 0);
  if (vs >= 0) {
    dir[gr_var_index(x.g, "v")] = NULL;
    dir[vs] = &one;
    gr_tape_tangent(x.t, dir);
    tu_assert_close(gr_tape_out_tangent(x.t, 0)[0], reductions[_i].gs, 1e-15, 0);
  }
  tp_close(&x);
}
END_TEST

/* the untaken branch of if() never leaks its NaN or inf into the gradient */
START_TEST(test_strong_zero) {
  double g;
  double v = tu_dx("if(x > 0, log(x), 2x)", -1, &g);
  tu_assert_close(v, -2, 0, 0);
  tu_assert_close(g, 2, 0, 0);
  v = tu_dx("if(x > 0, sqrt(x), x)", 0, &g);
  tu_assert_close(g, 1, 0, 0);
  /* a zero factor sends nothing back: PyTorch gets 0 * inf = NaN here, the tape 1 */
  v = tu_dx("0*log(x) + x", 0, &g);
  tu_assert_close(g, 1, 0, 0);
}
END_TEST

START_TEST(test_compile_errors) {
  static const char *const n[] = {"x", "y", NULL};
  GrGraph *g = gr_graph_new();
  GrParseOpts po = {n, NULL, 0};
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, "1 + x*y", &po, &p, &d), GR_OK);
  size_t len[] = {3, 2};
  GrTape *t = (GrTape *)1;
  ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, len, &t, &d), GR_EUSAGE);
  ck_assert_ptr_null(t);
  ck_assert_ptr_nonnull(strstr(d.msg, "differ in length: x has 3 elements, y has 2"));
  ck_assert(d.has_span && d.off == 4 && d.len == 3); /* x*y */
  /* a variable the output does not use has no slot and a NULL gradient */
  GrNode *y = gr_var(g, "y");
  ck_assert_int_eq(gr_tape_compile(g, &y, 1, NULL, &t, &d), GR_OK);
  ck_assert_ptr_null(gr_tape_var(t, gr_var_index(g, "x")));
  *gr_tape_var(t, gr_var_index(g, "y")) = 5;
  gr_tape_forward(t);
  gr_tape_reverse(t, 0, NULL);
  ck_assert_ptr_null(gr_tape_grad(t, gr_var_index(g, "x")));
  tu_assert_close(gr_tape_grad(t, gr_var_index(g, "y"))[0], 1, 0, 0);
  gr_tape_free(t);
  gr_graph_free(g);
}
END_TEST

/* --- randomized: thousands of generated expressions --- */
static const char *const rvars[] = {"x", "y", "z", "w", NULL};
#define NRV 4

typedef struct Gen {
  gsl_rng *r;
  char *s;
  size_t n, cap;
} Gen;

static void put(Gen *g, const char *s) {
  size_t k = strlen(s);
  if (g->n + k + 1 > g->cap) {
    g->cap = 2 * (g->n + k + 1);
    g->s = realloc(g->s, g->cap);
  }
  memcpy(g->s + g->n, s, k + 1);
  g->n += k;
}

static const char *const fn1[] = {"sin",   "cos",   "tan",  "atan",  "sinh",    "cosh",
                                  "tanh",  "asinh", "exp",  "expm1", "log",     "log1p",
                                  "log2",  "log10", "sqrt", "cbrt",  "abs",     "erf",
                                  "erfc",  "lgamma", "sigmoid", "relu", "softplus", "asin",
                                  "acos",  "atanh", "acosh", "gamma", "digamma", "sign",
                                  "floor"}; /* not detach: it is meant to disagree with differences */
static const char *const fn2[] = {"atan2", "hypot", "min", "max", "pow"};

/* A random expression in the expression language (so the parser is exercised too). */
static void gen(Gen *g, int depth) {
  unsigned long c = gsl_rng_uniform_int(g->r, depth <= 0 ? 3 : 12);
  char b[64];
  switch (c) {
  case 0:
  case 1:
    put(g, rvars[gsl_rng_uniform_int(g->r, NRV)]);
    return;
  case 2: {
    static const char *const k[] = {"2", "0.5", "3", "1.5", "pi", "e", "0.25", "7"};
    put(g, k[gsl_rng_uniform_int(g->r, 8)]);
    return;
  }
  case 3: case 4: case 5: {
    static const char *const op[] = {" + ", " - ", "*", "/", " ", ""};
    int o = (int)gsl_rng_uniform_int(g->r, 6);
    put(g, "(");
    gen(g, depth - 1);
    put(g, ")");
    put(g, op[o]);
    put(g, "(");
    gen(g, depth - 1);
    put(g, ")");
    return;
  }
  case 6: {
    /* integer or real powers of a subexpression, or a number to a power */
    int k = (int)gsl_rng_uniform_int(g->r, 4);
    put(g, "(");
    gen(g, depth - 1);
    put(g, ")^");
    if (k == 3) {
      put(g, "(");
      gen(g, depth - 1);
      put(g, ")");
    } else {
      snprintf(b, sizeof b, "%s", k == 0 ? "2" : k == 1 ? "3" : "-1.5");
      put(g, b);
    }
    return;
  }
  case 7:
    put(g, "-(");
    gen(g, depth - 1);
    put(g, ")");
    return;
  case 8: {
    put(g, fn2[gsl_rng_uniform_int(g->r, 5)]);
    put(g, "(");
    gen(g, depth - 1);
    put(g, ", ");
    gen(g, depth - 1);
    put(g, ")");
    return;
  }
  case 9: {
    put(g, "if(");
    gen(g, depth - 1);
    put(g, gsl_rng_uniform_int(g->r, 2) ? " > " : " <= ");
    gen(g, depth - 1);
    put(g, ", ");
    gen(g, depth - 1);
    put(g, ", ");
    gen(g, depth - 1);
    put(g, ")");
    return;
  }
  default:
    put(g, fn1[gsl_rng_uniform_int(g->r, sizeof fn1 / sizeof *fn1)]);
    put(g, "(");
    gen(g, depth - 1);
    put(g, ")");
    return;
  }
}

/* a random expression over rvars (gen, depth 2 to 5) parsed into a new graph g; its
 * source stays in gn->s */
static GrGraph *parse_random(Gen *gn, GrParsed *p) {
  gn->n = 0;
  put(gn, "");
  gen(gn, 2 + (int)gsl_rng_uniform_int(gn->r, 4));
  GrGraph *g = gr_graph_new();
  GrParseOpts po = {rvars, NULL, 0};
  GrDiag d;
  ck_assert_msg(gr_parse(g, gn->s, &po, p, &d) == GR_OK, "'%s': %s", gn->s, d.msg);
  return g;
}

/* Evaluation of one generated program at a point, for finite differences. */
typedef struct REv {
  GrTape *t;
  int nv;
  double x[NRV];
  int wrt, what; /* vary variable wrt; what: -1 value, else d/d(var what) */
} REv;

static double rev_eval(REv *e) {
  for (int v = 0; v < e->nv; v++) {
    double *p = gr_tape_var(e->t, v);
    if (p)
      *p = e->x[v];
  }
  gr_tape_forward(e->t);
  return gr_tape_out(e->t, 0)[0];
}

static double rev_fn(double xv, void *vp) {
  REv *e = vp;
  double save = e->x[e->wrt];
  e->x[e->wrt] = xv;
  double y = rev_eval(e);
  if (e->what >= 0) {
    gr_tape_reverse(e->t, 0, NULL);
    const double *gv = gr_tape_grad(e->t, e->what);
    y = gv ? gv[0] : 0;
  }
  e->x[e->wrt] = save;
  return y;
}

/* central difference with GSL; returns 0 when the difference is not trustworthy (a kink,
 * a jump or a singularity within the step, or too much round-off) */
static int rev_fd(REv *e, int what, int wrt, double *out) {
  gsl_function F = {rev_fn, e};
  e->what = what;
  e->wrt = wrt;
  double h = 1e-4 * (fabs(e->x[wrt]) > 1 ? fabs(e->x[wrt]) : 1), r, err, r2, err2;
  gsl_deriv_central(&F, e->x[wrt], h, &r, &err);
  gsl_deriv_central(&F, e->x[wrt], h / 8, &r2, &err2);
  double scale = fabs(r) > 1 ? fabs(r) : 1;
  if (!isfinite(r) || !isfinite(err) || err > 1e-6 * scale || fabs(r - r2) > 1e-5 * scale)
    return 0;
  *out = r;
  return 1;
}

/* no kink and nothing non-finite anywhere on the tape at this point */
static int clean_point(GrTape *t) {
  GrTapeIssue is[1];
  if (gr_tape_issues(t, is, 1))
    return 0;
  for (size_t i = 0; i < t->nvals; i++)
    if (!isfinite(t->val[i]) || !isfinite(t->adj[i]))
      return 0;
  return 1;
}

/* largest |x| over a tape array: a measure of the conditioning (cancellation between
 * intermediate terms of that size leaves errors of size eps times it) */
static double maxabs(const double *a, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++)
    if (fabs(a[i]) > m)
      m = fabs(a[i]);
  return m;
}

#define NEXPR 3000

START_TEST(test_random_gradients) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 20261122);
  Gen gn = {r, NULL, 0, 0};
  long compared = 0, compared2 = 0, skipped = 0, failed = 0;
  for (int ex = 0; ex < NEXPR; ex++) {
    GrParsed p;
    GrGraph *g = parse_random(&gn, &p);
    GrDiag d;
    GrTape *t;
    ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, NULL, &t, &d), GR_OK);
    REv e = {t, g->nvars, {0}, 0, -1};
    for (int pt = 0; pt < 3; pt++) {
      for (int v = 0; v < g->nvars; v++)
        e.x[v] = -2.5 + 5 * gsl_rng_uniform(r);
      double y = rev_eval(&e);
      gr_tape_reverse(t, 0, NULL);
      if (!isfinite(y) || !clean_point(t)) {
        skipped++;
        continue;
      }
      double grad[NRV], cond1 = maxabs(t->adj, t->nvals);
      for (int v = 0; v < g->nvars; v++) {
        const double *gv = gr_tape_grad(t, v);
        grad[v] = gv ? gv[0] : 0;
      }
      for (int v = 0; v < g->nvars; v++) {
        /* forward mode equals reverse mode */
        double one = 1;
        const double *dir[NRV] = {NULL};
        dir[v] = &one;
        gr_tape_tangent(t, dir);
        double tv = gr_tape_out_tangent(t, 0)[0];
        if (!tu_close(tv, grad[v], 1e-12, 1e-12)) {
          if (failed++ < 10)
            fprintf(stderr, "forward %.17g != reverse %.17g: d/d%s '%s'\n", tv, grad[v],
                    g->vars[v], gn.s);
        }
        /* Hessian column v by forward over reverse */
        gr_tape_reverse(t, 0, NULL);
        gr_tape_reverse_tangent(t, 0);
        double hcol[NRV], cond2 = maxabs(t->tadj, t->nvals);
        for (int u = 0; u < g->nvars; u++) {
          const double *hv = gr_tape_hvp(t, u);
          hcol[u] = hv ? hv[0] : 0;
        }
        double fd;
        if (rev_fd(&e, -1, v, &fd)) {
          compared++;
          if (!tu_close(grad[v], fd, 1e-6, 1e-8 + 1e-12 * cond1)) {
            if (failed++ < 10)
              fprintf(stderr, "d/d%s = %.17g, finite difference %.17g at %g,%g,%g,%g: '%s'\n",
                      g->vars[v], grad[v], fd, e.x[0], e.x[1], e.x[2], e.x[3], gn.s);
          }
        }
        for (int u = 0; u < g->nvars; u++)
          if (isfinite(cond2) && rev_fd(&e, u, v, &fd)) {
            compared2++;
            if (!tu_close(hcol[u], fd, 1e-5, 1e-6 + 1e-10 * cond2)) {
              if (failed++ < 10)
                fprintf(stderr, "d2/d%sd%s = %.17g, finite difference %.17g at %.17g,%.17g,%.17g,%.17g: '%s'\n",
                        g->vars[u], g->vars[v], hcol[u], fd, e.x[0], e.x[1], e.x[2], e.x[3], gn.s);
            }
          }
        rev_eval(&e); /* the differences moved the point */
        gr_tape_reverse(t, 0, NULL);
      }
    }
    gr_tape_free(t);
    gr_graph_free(g);
  }
  free(gn.s);
  gsl_rng_free(r);
  fprintf(stderr, "random gradients: %ld first and %ld second partials compared, %ld points "
                  "skipped, %ld failed\n", compared, compared2, skipped, failed);
  ck_assert_int_eq(failed, 0);
  ck_assert_int_ge(compared, NEXPR);
  ck_assert_int_ge(compared2, NEXPR);
}
END_TEST

/* the same bits, or both NaN (a NaN's sign and payload depend on the operand order the
 * compiler picked) */
static int same_bits(double u, double v) {
  return !memcmp(&u, &v, sizeof u) || (isnan(u) && isnan(v));
}

/* A tape of blocks of one keeps no offset and length arrays (slot s's value is val[s]);
 * the same program on a tape that has them (a second output, a vector constant, makes one)
 * gives the same value, gradient, tangents and Hessian columns, bit for bit. */
START_TEST(test_scalar_tape_no_offsets) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 4242);
  Gen gn = {r, NULL, 0, 0};
  long compared = 0;
  for (int ex = 0; ex < NEXPR / 3; ex++) {
    GrParsed p;
    GrGraph *g = parse_random(&gn, &p);
    GrDiag d;
    const double v8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    GrNode *outs[2] = {p.out, gr_const_vec(g, v8, 8)};
    GrTape *ts, *tv;
    ck_assert_int_eq(gr_tape_compile(g, outs, 1, NULL, &ts, &d), GR_OK);
    ck_assert_int_eq(gr_tape_compile(g, outs, 2, NULL, &tv, &d), GR_OK);
    ck_assert_ptr_null(ts->off);
    ck_assert_ptr_null(ts->len);
    ck_assert_ptr_nonnull(tv->off);
    ck_assert_uint_eq(gr_tape_out_len(tv, 1), 8);
    GrTape *t2[2] = {ts, tv};
    double x[NRV];
    for (int v = 0; v < g->nvars; v++)
      x[v] = -2.5 + 5 * gsl_rng_uniform(r);
    for (int k = 0; k < 2; k++) {
      for (int v = 0; v < g->nvars; v++)
        if (gr_tape_var(t2[k], v))
          *gr_tape_var(t2[k], v) = x[v];
      gr_tape_forward(t2[k]);
      gr_tape_reverse(t2[k], 0, NULL);
    }
    double ys = gr_tape_out(ts, 0)[0], yv = gr_tape_out(tv, 0)[0];
    ck_assert_msg(same_bits(ys, yv), "%.17g != %.17g: '%s'", ys, yv, gn.s);
    for (int v = 0; v < g->nvars; v++) {
      const double *gs = gr_tape_grad(ts, v), *gv = gr_tape_grad(tv, v);
      ck_assert_int_eq(!gs, !gv);
      if (gs)
        ck_assert_msg(same_bits(gs[0], gv[0]), "d/d%s %.17g != %.17g: '%s'", g->vars[v], gs[0],
                      gv[0], gn.s);
      double one = 1;
      const double *dir[NRV] = {NULL};
      dir[v] = &one;
      for (int k = 0; k < 2; k++) {
        gr_tape_tangent(t2[k], dir);
        gr_tape_reverse(t2[k], 0, NULL);
        gr_tape_reverse_tangent(t2[k], 0);
      }
      double ts0 = gr_tape_out_tangent(ts, 0)[0], tv0 = gr_tape_out_tangent(tv, 0)[0];
      ck_assert_msg(same_bits(ts0, tv0), "tangent %.17g != %.17g: '%s'", ts0, tv0, gn.s);
      for (int u = 0; u < g->nvars; u++) {
        const double *hs = gr_tape_hvp(ts, u), *hv = gr_tape_hvp(tv, u);
        ck_assert_int_eq(!hs, !hv);
        if (hs)
          ck_assert_msg(same_bits(hs[0], hv[0]), "d2/d%sd%s %.17g != %.17g: '%s'", g->vars[u],
                        g->vars[v], hs[0], hv[0], gn.s);
      }
      compared++;
    }
    gr_tape_free(ts);
    gr_tape_free(tv);
    gr_graph_free(g);
  }
  free(gn.s);
  gsl_rng_free(r);
  ck_assert_int_ge(compared, NEXPR / 3);
}
END_TEST

#define BLOCK 16

/* block evaluation (var_len = BLOCK) equals point-by-point evaluation, values and
 * gradients, element by element */
START_TEST(test_random_blocks) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 77);
  Gen gn = {r, NULL, 0, 0};
  long compared = 0;
  for (int ex = 0; ex < NEXPR / 3; ex++) {
    GrParsed p;
    GrGraph *g = parse_random(&gn, &p);
    GrDiag d;
    /* x and y are blocks; z is a scalar broadcast to every element, w a block again */
    size_t len[NRV];
    for (int v = 0; v < g->nvars; v++)
      len[v] = strcmp(g->vars[v], "z") ? BLOCK : 1;
    GrTape *tb, *ts;
    ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, len, &tb, &d), GR_OK);
    ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, NULL, &ts, &d), GR_OK);
    double pts[NRV][BLOCK];
    for (int v = 0; v < g->nvars; v++)
      for (size_t k = 0; k < len[v]; k++)
        pts[v][k] = -2.5 + 5 * gsl_rng_uniform(r);
    for (int v = 0; v < g->nvars; v++)
      if (gr_tape_var(tb, v))
        memcpy(gr_tape_var(tb, v), pts[v], len[v] * sizeof(double));
    gr_tape_forward(tb);
    gr_tape_reverse(tb, 0, NULL);
    size_t L = gr_tape_out_len(tb, 0);
    ck_assert(L == 1 || L == BLOCK);
    double gz = 0, gz_blk = 0; /* the scalar's gradient sums over the block */
    int vz = gr_var_index(g, "z");
    if (vz >= 0 && gr_tape_grad(tb, vz))
      gz_blk = gr_tape_grad(tb, vz)[0];
    for (size_t k = 0; k < L; k++) {
      for (int v = 0; v < g->nvars; v++)
        if (gr_tape_var(ts, v))
          *gr_tape_var(ts, v) = pts[v][len[v] > 1 ? k : 0];
      gr_tape_forward(ts);
      gr_tape_reverse(ts, 0, NULL);
      double yb = gr_tape_out(tb, 0)[k], ys = gr_tape_out(ts, 0)[0];
      ck_assert_msg(tu_close(yb, ys, 1e-15, 0), "element %zu: block %.17g, point %.17g: '%s'", k,
                    yb, ys, gn.s);
      for (int v = 0; v < g->nvars; v++) {
        const double *gb = gr_tape_grad(tb, v), *gs = gr_tape_grad(ts, v);
        if (!gs)
          continue;
        if (len[v] == 1) {
          gz += gs[0];
          continue;
        }
        ck_assert_msg(tu_close(gb[k], gs[0], 1e-15, 0),
                      "d/d%s element %zu: block %.17g, point %.17g: '%s'", g->vars[v], k, gb[k],
                      gs[0], gn.s);
      }
      compared++;
    }
    if (vz >= 0 && L == BLOCK && isfinite(gz))
      ck_assert_msg(tu_close(gz_blk, gz, 1e-12, 1e-12), "d/dz: block %.17g, sum %.17g: '%s'",
                    gz_blk, gz, gn.s);
    gr_tape_free(tb);
    gr_tape_free(ts);
    gr_graph_free(g);
  }
  free(gn.s);
  gsl_rng_free(r);
  ck_assert_int_ge(compared, NEXPR / 3);
}
END_TEST

/* A block swept in strips of rows (gr_tape_reverse_strip, gr_tape_reverse_finish) gives the
 * adjoints of the blocks of one (z and w here, x and y being rows) and the values of one
 * whole sweep bit for bit, for random programs whose rows are apart: strips of 24 rows (the
 * last one short), seeds with zeros of both signs, an infinite one now and then, and
 * trailing rows never seeded whose strip is left out. Many of the programs have a sum whose
 * argument shares its adjoint in strips instead of copying it (tape.c, "Shared adjoints"). */
START_TEST(test_random_strips) {
  enum { BL = 100, SL = 24 };
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 2027);
  Gen gn = {r, NULL, 0, 0};
  long compared = 0, apart = 0, shared = 0;
  for (int ex = 0; ex < NEXPR / 3; ex++) {
    GrParsed p;
    GrGraph *g = parse_random(&gn, &p);
    GrDiag d;
    size_t len[NRV], slen[NRV];
    for (int v = 0; v < g->nvars; v++) {
      int row = !strcmp(g->vars[v], "x") || !strcmp(g->vars[v], "y");
      len[v] = row ? BL : 1;
      slen[v] = row ? SL : 1;
    }
    GrTape *tb, *ts;
    ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, len, &tb, &d), GR_OK);
    if (gr_tape_out_len(tb, 0) != BL || !gr_tape_rows_apart(tb)) {
      gr_tape_free(tb);
      gr_graph_free(g);
      continue;
    }
    apart++;
    ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, slen, &ts, &d), GR_OK);
    double pts[NRV][BL + SL], seed[BL]; /* the last strip reads past row BL: padding */
    for (int v = 0; v < g->nvars; v++)
      for (size_t k = 0; k < len[v]; k++)
        pts[v][k] = -2.5 + 5 * gsl_rng_uniform(r);
    for (int v = 0; v < g->nvars; v++)
      for (size_t k = BL; k < BL + SL && len[v] > 1; k++)
        pts[v][k] = pts[v][BL - 1];
    size_t seeded = gsl_rng_uniform_int(r, 2) ? BL : BL - 1 - gsl_rng_uniform_int(r, SL);
    for (size_t k = 0; k < BL; k++) {
      double u = gsl_rng_uniform(r);
      seed[k] = k >= seeded || u < 0.05 ? 0 : u < 0.1 ? -0.0 : u < 0.12 ? INFINITY : -1 + 2 * u;
    }
    for (int v = 0; v < g->nvars; v++) {
      if (gr_tape_var(tb, v))
        memcpy(gr_tape_var(tb, v), pts[v], len[v] * sizeof(double));
      if (len[v] == 1 && gr_tape_var(ts, v))
        *gr_tape_var(ts, v) = pts[v][0];
    }
    gr_tape_forward(tb);
    gr_tape_reverse(tb, 0, seed);
    for (size_t k0 = 0; k0 < seeded; k0 += SL) {
      for (int v = 0; v < g->nvars; v++)
        if (len[v] > 1)
          gr_tape_bind(ts, v, pts[v] + k0);
      gr_tape_forward(ts);
      size_t m = BL - k0 < SL ? BL - k0 : SL;
      for (size_t k = 0; k < m; k++) {
        double yb = gr_tape_out(tb, 0)[k0 + k], ys = gr_tape_out(ts, 0)[k];
        ck_assert_msg(!memcmp(&yb, &ys, sizeof yb) || (isnan(yb) && isnan(ys)),
                      "row %zu: block %.17g, strip %.17g: '%s'", k0 + k, yb, ys, gn.s);
      }
      double sd[SL] = {0};
      memcpy(sd, seed + k0, m * sizeof *sd);
      gr_tape_reverse_strip(ts, 0, sd);
    }
    gr_tape_reverse_finish(ts, 0);
    for (size_t s = 0; ts->pass && s < ts->n; s++)
      if (ts->pass[s]) { /* a shared adjoint (tape.c): the copy it saves is not missed */
        shared++;
        break;
      }
    for (int v = 0; v < g->nvars; v++) {
      if (len[v] > 1)
        continue;
      const double *gb = gr_tape_grad(tb, v), *gs = gr_tape_grad(ts, v);
      ck_assert((gb == NULL) == (gs == NULL));
      if (!gb)
        continue;
      ck_assert_msg(!memcmp(gb, gs, sizeof *gb) || (isnan(gb[0]) && isnan(gs[0])),
                    "d/d%s: block %.17g, strips %.17g: '%s'", g->vars[v], gb[0], gs[0], gn.s);
      compared++;
    }
    gr_tape_free(tb);
    gr_tape_free(ts);
    gr_graph_free(g);
  }
  free(gn.s);
  gsl_rng_free(r);
  ck_assert_int_ge(apart, NEXPR / 8);
  ck_assert_int_ge(compared, NEXPR / 12);
  ck_assert_int_ge(shared, apart / 8);
}
END_TEST

/* Reductions of a block, and a block of one that if() passes an adjoint to row by row, keep
 * a block's rows together; elementwise programs do not. */
START_TEST(test_rows_apart) {
  static const struct {
    const char *src;
    int apart;
  } cases[] = {{"z*x^2 + w*x - y", 1}, {"exp(-z)*x + w^2", 1}, {"sum(x)*z", 0},
               {"z*x - mean(y)", 0},   {"if(x > 0, z, w)", 0}, {"if(x > 0, z*x, w*x)", 1},
               {"z + w", 1}};
  static const char *const vars[] = {"x", "y", "z", "w", NULL};
  const size_t lens[] = {64, 64, 1, 1};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    TP a;
    tp_open(&a, &cases[i].src, 1, vars, lens);
    ck_assert_msg(gr_tape_rows_apart(a.t) == cases[i].apart, "'%s'", cases[i].src);
    tp_close(&a);
  }
}
END_TEST

/* parse(print(e)) evaluates equal to e; when printing loses nothing it is the same node */
START_TEST(test_random_print_roundtrip) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 4242);
  Gen gn = {r, NULL, 0, 0};
  long same = 0, compared = 0;
  for (int ex = 0; ex < NEXPR; ex++) {
    GrParsed p, q;
    GrGraph *g = parse_random(&gn, &p);
    GrParseOpts po = {rvars, NULL, 0};
    GrDiag d;
    GrBuf pb = {0};
    gr_print(&pb, p.out, GR_PRINT_INFIX, 0);
    char *s = pb.s;
    ck_assert_msg(gr_parse(g, s, &po, &q, &d) == GR_OK, "'%s' printed as '%s': %s", gn.s, s,
                  d.msg);
    same += p.out == q.out;
    GrNode *outs[2] = {p.out, q.out};
    GrTape *t;
    ck_assert_int_eq(gr_tape_compile(g, outs, 2, NULL, &t, &d), GR_OK);
    for (int pt = 0; pt < 3; pt++) {
      for (int v = 0; v < g->nvars; v++)
        if (gr_tape_var(t, v))
          *gr_tape_var(t, v) = -2.5 + 5 * gsl_rng_uniform(r);
      gr_tape_forward(t);
      double a = gr_tape_out(t, 0)[0], b = gr_tape_out(t, 1)[0];
      if (!isfinite(a) && !isfinite(b))
        continue;
      compared++;
      /* a + (b + c) prints as a + b + c, which reads back as (a + b) + c: equal up to
       * rounding, so allow a little when the nodes differ */
      ck_assert_msg(p.out == q.out ? (a == b || (isnan(a) && isnan(b)))
                                   : tu_close(a, b, 1e-9, 1e-9),
                    "'%s' = %.17g but its print '%s' = %.17g", gn.s, a, s, b);
    }
    free(s);
    gr_tape_free(t);
    gr_graph_free(g);
  }
  free(gn.s);
  gsl_rng_free(r);
  fprintf(stderr, "print round trip: %ld of %d reparsed to the same node, %ld values compared\n",
          same, NEXPR, compared);
  ck_assert_int_ge(same, NEXPR * 8 / 10);
}
END_TEST

/* The block scans of gr_tape_issues see a non-finite value or adjoint wherever it is in a
 * block (first, middle, last element; +inf, -inf), and a kink of an op that has one,
 * while a clean block reports nothing. */
START_TEST(test_issues_anywhere_in_block) {
  enum { L = 37 };
  static const char *const n[] = {"x", NULL};
  static const size_t lens[] = {L};
  const char *srcs[] = {"1/x + abs(x - 2)", "sqrt(x - 0.5)"};
  for (int which = 0; which < 2; which++) {
    TP x;
    tp_open(&x, srcs + which, 1, n, lens);
    double v[L];
    for (int i = 0; i < L; i++)
      v[i] = 1 + i * 0x1p-6;
    tp_set(&x, "x", v);
    gr_tape_forward(x.t);
    gr_tape_reverse(x.t, 0, NULL);
    GrTapeIssue is[4];
    ck_assert_uint_eq(gr_tape_issues(x.t, is, 4), 0);
    static const int pos[] = {0, 17, L - 1};
    for (int pi = 0; pi < 3; pi++)
      for (int kind = 0; kind < 3; kind++) {
        for (int i = 0; i < L; i++)
          v[i] = 1 + i * 0x1p-6;
        /* 1/x: +inf at 0, -inf at -0; abs(x - 2): its kink at 2; sqrt(x - 0.5): an infinite
         * derivative at 0.5 */
        v[pos[pi]] = which ? 0.5 : kind == 0 ? 0.0 : kind == 1 ? -0.0 : 2.0;
        tp_set(&x, "x", v);
        gr_tape_forward(x.t);
        gr_tape_reverse(x.t, 0, NULL);
        size_t ni = gr_tape_issues(x.t, is, 4);
        ck_assert_msg(ni >= 1, "%s: nothing found at element %d (case %d)", srcs[which], pos[pi],
                      kind);
        int want = which ? GR_OP_SQRT : kind == 2 ? GR_OP_ABS : GR_OP_DIV;
        int seen = 0;
        for (size_t k = 0; k < ni; k++)
          seen |= is[k].node->op == want;
        ck_assert_msg(seen, "%s: element %d (case %d): not blamed on the right op", srcs[which],
                      pos[pi], kind);
      }
    tp_close(&x);
  }
}
END_TEST

/* a small DAG whose tree is huge (f applied 40 times shares its argument) prints, in a
 * message, a bounded prefix quickly; its warning still names the sqrt */
START_TEST(test_print_shared_dag) {
  char src[400] = "f(t) = t*t + t; sqrt(";
  for (int i = 0; i < 40; i++)
    strcat(src, "f(");
  strcat(src, "x-1");
  for (int i = 0; i < 40; i++)
    strcat(src, ")");
  strcat(src, ")");
  static const char *const n[] = {"x", NULL};
  TP x;
  const char *s = src;
  tp_open(&x, &s, 1, n, NULL);
  const double one = 1;
  tp_set(&x, "x", &one);
  gr_tape_forward(x.t);
  gr_tape_reverse(x.t, 0, NULL);
  GrTapeIssue is[4];
  ck_assert_uint_ge(gr_tape_issues(x.t, is, 4), 1);
  ck_assert_int_eq(is[0].node->op, GR_OP_SQRT);
  char *m = gr_print_str(is[0].node);
  ck_assert_uint_le(strlen(m), GR_PRINT_STR_MAX + 40);
  ck_assert(!strncmp(m, "sqrt(", 5) && strstr(m, "..."));
  free(m);
  tp_close(&x);
}
END_TEST

/* Offsets and lengths are 32-bit: a tape whose values would pass 2^32 doubles is refused as
 * out of memory (exit status 4) before anything of that size is allocated, not wrapped
 * round. Blocks of 3e9 elements for x and for x*x: 6e9 values. */
START_TEST(test_tape_too_many_values) {
  GrGraph *g = gr_graph_new();
  GrNode *x = gr_var(g, "x"), *y = gr_node(g, GR_OP_MUL, x, x, NULL);
  size_t var_len[1] = {3000000000u};
  GrTape *t;
  GrDiag d;
  gr_tape_compile(g, &y, 1, var_len, &t, &d);
  ck_abort_msg("compiled a tape of 6e9 values");
}
END_TEST

/* A long block's length and offsets come through the 32-bit arrays whole; a block of 8 or
 * more values starts on a 64-byte boundary of the values and adjoints (after the block of
 * one of the constant 3, at most 7 values of padding). */
START_TEST(test_tape_block_lengths) {
  GrGraph *g = gr_graph_new();
  GrNode *x = gr_var(g, "x"), *y = gr_node(g, GR_OP_MUL, x, gr_const(g, 3), NULL);
  size_t var_len[1] = {100000};
  GrTape *t;
  GrDiag d;
  ck_assert_int_eq(gr_tape_compile(g, &y, 1, var_len, &t, &d), GR_OK);
  ck_assert_uint_eq(gr_tape_out_len(t, 0), 100000);
  ck_assert_uint_eq(gr_tape_var_len(t, x->var), 100000);
  ck_assert_uint_ge(t->nvals, 200001);
  ck_assert_uint_le(t->nvals, 200001 + 7);
  for (size_t s = 0; s < t->n; s++)
    if (gr_tape_len(t, s) >= 8) {
      ck_assert_uint_eq((uintptr_t)(t->val + gr_tape_off(t, s)) % 64, 0);
      ck_assert_uint_eq((uintptr_t)(t->adj + gr_tape_off(t, s)) % 64, 0);
    }
  double *xv = gr_tape_var(t, x->var);
  for (size_t i = 0; i < 100000; i++)
    xv[i] = (double)i;
  gr_tape_forward(t);
  ck_assert(gr_tape_out(t, 0)[99999] == 299997.0);
  gr_tape_free(t);
  gr_graph_free(g);
}
END_TEST

/* The block sweeps round every op as the code is written, in whichever clone the processor
 * runs (AVX2, AVX-512): no product fused with a sum into one FMA. atan's partial 1/(1 + x^2)
 * and the forward sum a*b + c are what a contracting build would fuse; this file is compiled
 * with the library's flags for the baseline instruction set, so its own loops are plain. */
START_TEST(test_block_rounding_as_written) {
  enum { N = 1000 };
  static const char *const vars[] = {"x", "y", NULL};
  const size_t lens[] = {N, N};
  TP a, b;
  tp_open(&a, (const char *[]){"atan(x)"}, 1, vars, lens);
  tp_open(&b, (const char *[]){"x * y + x"}, 1, vars, lens);
  double x[N], y[N];
  for (size_t k = 0; k < N; k++) {
    x[k] = -3 + 0.00613 * (double)k + 1e-9 * (double)(k * k % 7);
    y[k] = 1.1 + 0.37 * sin((double)k);
  }
  tp_set(&a, "x", x);
  tp_set(&b, "x", x);
  tp_set(&b, "y", y);
  gr_tape_forward(a.t);
  gr_tape_reverse(a.t, 0, NULL);
  gr_tape_forward(b.t);
  const double *ga = tp_grad(&a, "x"), *fb = gr_tape_out(b.t, 0);
  int bad = 0;
  for (size_t k = 0; k < N; k++) {
    volatile double sq = x[k] * x[k], den = 1 + sq, p = 1 / den; /* volatile: no fusing here */
    volatile double pr = x[k] * y[k], f = pr + x[k];
    bad += memcmp(&ga[k], (const double *)&p, sizeof p) != 0;
    bad += memcmp(&fb[k], (const double *)&f, sizeof f) != 0;
  }
  ck_assert_int_eq(bad, 0);
  tp_close(&a);
  tp_close(&b);
}
END_TEST

/* Slots and nodes map both ways (gr_tape_slot, gr_tape_node) when the reachable nodes are
 * scattered over many 64-id words with gaps: each slot's node is on the tape at that slot,
 * slots are in id order, exactly the reachable nodes have slots, and a node of another
 * graph has none. */
START_TEST(test_slot_node_map) {
  GrGraph *g = gr_graph_new(), *h = gr_graph_new();
  GrNode *x = gr_var(g, "x"), *acc = x;
  GrNode *outs[2];
  for (int i = 0; i < 300; i++) {
    GrNode *dead = gr_node(g, GR_OP_SIN, gr_node(g, GR_OP_ADD, x, gr_const(g, 1000 + i), NULL),
                           NULL, NULL);
    (void)dead; /* a run of nodes no output uses */
    if (i % 7 == 3)
      for (int k = 0; k < 70; k++) /* a gap wider than a word */
        (void)gr_node(g, GR_OP_COS, gr_const(g, 5000 + 100 * i + k), NULL, NULL);
    acc = gr_node(g, GR_OP_MUL, acc, gr_const(g, 1 + i), NULL);
  }
  outs[0] = acc;
  outs[1] = gr_node(g, GR_OP_EXP, x, NULL, NULL);
  GrTape *t;
  GrDiag d;
  ck_assert_int_eq(gr_tape_compile(g, outs, 2, NULL, &t, &d), GR_OK);
  unsigned char *m = gr_reachable(g, outs, 2);
  size_t nreach = 0;
  for (size_t i = 0; i < g->count; i++) {
    long s = gr_tape_slot(t, gr_graph_node(g, i));
    ck_assert_int_eq(s >= 0, m[i] != 0);
    if (s >= 0)
      ck_assert_ptr_eq(gr_tape_node(t, (size_t)s), gr_graph_node(g, i));
    nreach += m[i] != 0;
  }
  ck_assert_uint_eq(nreach, t->n);
  for (size_t s = 0; s < t->n; s++) {
    ck_assert_int_eq(gr_tape_slot(t, gr_tape_node(t, s)), (long)s);
    if (s)
      ck_assert_uint_lt(gr_tape_node(t, s - 1)->id, gr_tape_node(t, s)->id);
    ck_assert_int_eq(gr_tape_node(t, s)->op, t->ins[s].op);
  }
  ck_assert_int_eq(gr_tape_slot(t, gr_const(h, 1)), -1);
  ck_assert_int_eq(gr_tape_slot(t, gr_var(h, "x")), -1);
  free(m);
  gr_tape_free(t);
  gr_graph_free(g);
  gr_graph_free(h);
}
END_TEST

/* gr_tape_drop_adjoints frees the adjoints between sweeps (grad does so before its check's
 * tangent sweep): afterwards no gradient is read, the tangents agree with the gradient
 * read before, and the next reverse sweep (and forward over reverse) gives the very
 * same numbers as the sweeps before the drop. */
START_TEST(test_drop_adjoints) {
  static const char *const n[] = {"x", "y", NULL};
  const char *src = "if(x > 0, x*y, y) + x^2 y + e^(x y) + hypot(x, y)";
  TP x;
  tp_open(&x, &src, 1, n, NULL);
  const double at[] = {1, 0.5}, dv[] = {0.25, -2};
  tp_set(&x, "x", &at[0]);
  tp_set(&x, "y", &at[1]);
  int ix = gr_var_index(x.g, "x"), iy = gr_var_index(x.g, "y");
  const double *dir[2];
  dir[ix] = &dv[0];
  dir[iy] = &dv[1];
  gr_tape_forward(x.t);
  gr_tape_tangent(x.t, dir);
  gr_tape_reverse(x.t, 0, NULL);
  gr_tape_reverse_tangent(x.t, 0);
  double g[2] = {tp_grad(&x, "x")[0], tp_grad(&x, "y")[0]};
  double h[2] = {gr_tape_hvp(x.t, ix)[0], gr_tape_hvp(x.t, iy)[0]};
  double tan = gr_tape_out_tangent(x.t, 0)[0];
  tu_assert_close(tan, g[0] * dv[0] + g[1] * dv[1], 1e-15, 0);
  for (int round = 0; round < 2; round++) {
    gr_tape_drop_adjoints(x.t);
    ck_assert(!gr_tape_grad(x.t, ix) && !gr_tape_grad(x.t, iy));
    ck_assert_ptr_null(gr_tape_node_adj(x.t, x.outs[0]));
    GrTapeIssue is[4];
    ck_assert_uint_eq(gr_tape_issues(x.t, is, 4), 0);
    gr_tape_tangent(x.t, dir);
    ck_assert(gr_tape_out_tangent(x.t, 0)[0] == tan);
    gr_tape_reverse(x.t, 0, NULL);
    ck_assert(tp_grad(&x, "x")[0] == g[0] && tp_grad(&x, "y")[0] == g[1]);
    gr_tape_reverse_tangent(x.t, 0);
    ck_assert(gr_tape_hvp(x.t, ix)[0] == h[0] && gr_tape_hvp(x.t, iy)[0] == h[1]);
  }
  tp_close(&x);
  /* A fresh tape: the dropped adjoints become the tangents, and a later drop's the next
   * adjoints; they are cleared first (NaN here), and every number is the same as before. */
  tp_open(&x, &src, 1, n, NULL);
  tp_set(&x, "x", &at[0]);
  tp_set(&x, "y", &at[1]);
  gr_tape_forward(x.t);
  gr_tape_reverse(x.t, 0, NULL);
  ck_assert(tp_grad(&x, "x")[0] == g[0] && tp_grad(&x, "y")[0] == g[1]);
  const double *adj = x.t->adj;
  gr_tape_drop_adjoints(x.t);
  for (size_t k = 0; k < x.t->nvals; k++) /* whatever a kept array holds, it is cleared */
    x.t->spare[k] = NAN;
  gr_tape_tangent(x.t, dir);
  ck_assert_ptr_eq(x.t->tan, adj);
  ck_assert(gr_tape_out_tangent(x.t, 0)[0] == tan);
  gr_tape_reverse(x.t, 0, NULL);
  gr_tape_reverse_tangent(x.t, 0);
  ck_assert(gr_tape_hvp(x.t, ix)[0] == h[0] && gr_tape_hvp(x.t, iy)[0] == h[1]);
  adj = x.t->adj;
  gr_tape_drop_adjoints(x.t);
  ck_assert_ptr_eq(x.t->spare, adj);
  ck_assert_ptr_null(x.t->tadj);
  for (size_t k = 0; k < x.t->nvals; k++)
    x.t->spare[k] = NAN;
  gr_tape_reverse(x.t, 0, NULL);
  ck_assert_ptr_eq(x.t->adj, adj);
  ck_assert(tp_grad(&x, "x")[0] == g[0] && tp_grad(&x, "y")[0] == g[1]);
  ck_assert_ptr_null(x.t->off);           /* a scalar tape: value k is slot k's */
  for (size_t k = 0; k < x.t->nvals; k++) /* adjoints no sweep writes are 0, as compiled */
    if (!x.t->touch[k])
      ck_assert(x.t->adj[k] == 0);
  gr_tape_tangent(x.t, dir);
  ck_assert(gr_tape_out_tangent(x.t, 0)[0] == tan);
  tp_close(&x);
}
END_TEST

/* Every array of a tape, and the tape itself, starts on a 64-byte line and fills whole lines
 * (glibc: usable size), so that two threads' tapes (a fit's, a table's) never share a line
 * that a sweep writes. The touch flags of one thread's tape once shared a line with the
 * other thread's tape: a fit on 2 threads was 1.6x faster than on 1 instead of 1.95x. */
static void assert_own_lines(const void *p, size_t bytes) {
  ck_assert_ptr_nonnull(p);
  ck_assert_msg((uintptr_t)p % 64 == 0, "%p not on a 64-byte line", p);
#ifdef __GLIBC__
  ck_assert_uint_ge(malloc_usable_size((void *)p), (bytes + 63) / 64 * 64);
#else
  (void)bytes;
#endif
}

START_TEST(test_tape_own_lines) {
  static const char *const n[] = {"x", "a", NULL};
  static const size_t lens[] = {256, 1};
  const char *src = "sin(a*x) + a*x^2";
  TP x[2];
  double col[256];
  for (int k = 0; k < 256; k++)
    col[k] = k / 256.0;
  for (int i = 0; i < 2; i++) {
    tp_open(&x[i], &src, 1, n, lens);
    const double a = 0.5, one = 1, *dir[2] = {NULL, NULL};
    int ix = gr_var_index(x[i].g, "x"), ia = gr_var_index(x[i].g, "a");
    dir[ia] = &one;
    tp_set(&x[i], "a", &a);
    gr_tape_bind(x[i].t, ix, col);
    gr_tape_forward(x[i].t);
    gr_tape_tangent(x[i].t, dir);
    gr_tape_reverse_strip(x[i].t, 0, NULL);
    gr_tape_reverse_finish(x[i].t, 0);
    gr_tape_reverse_tangent(x[i].t, 0);
  }
  for (int i = 0; i < 2; i++) {
    const GrTape *t = x[i].t;
    assert_own_lines(t, sizeof *t);
    assert_own_lines(t->ins, t->n * sizeof *t->ins);
    assert_own_lines(t->off, t->n * sizeof *t->off);
    assert_own_lines(t->len, t->n * sizeof *t->len);
    assert_own_lines(t->touch, t->n);
    assert_own_lines(t->vp, t->n * sizeof *t->vp);
    assert_own_lines(t->lanes, 2 * GR_LANES * t->n * sizeof *t->lanes);
    assert_own_lines(t->sc_off, t->n * sizeof *t->sc_off);
    assert_own_lines(t->var_slot, (size_t)x[i].g->nvars * sizeof *t->var_slot);
    assert_own_lines(t->out_slot, t->nout * sizeof *t->out_slot);
    const double *vals[] = {t->val, t->adj, t->tan, t->tadj};
    for (int k = 0; k < 4; k++)
      assert_own_lines(vals[k], t->nvals * sizeof(double));
    ck_assert_ptr_nonnull(t->sc);
  }
  tp_close(&x[0]);
  tp_close(&x[1]);
}
END_TEST

/* A tape has per-slot value pointers only once gr_tape_bind binds a column: bound, the
 * values, gradients and tangents are exactly those of the same numbers written into the
 * tape's own block (detach(x) of a bound x reads the column too), before the first
 * binding, after unbinding, and on a second tape that is never bound. */
START_TEST(test_bind_column) {
  static const char *const n[] = {"x", "y", NULL};
  static const size_t lens[] = {5, 1};
  const char *src = "sum(detach(x) * y + x^2 + exp(y x) + if(x > 0.3, x, 1 - x))";
  TP a, b;
  tp_open(&a, &src, 1, n, lens);
  tp_open(&b, &src, 1, n, lens);
  const double x0[5] = {0.1, 0.2, 0.3, 0.4, 0.5}, x1[5] = {-1, 0.5, 2, 0.25, 3}, y = 0.75;
  const double one = 1, *dir[2] = {NULL, NULL};
  int ix = gr_var_index(a.g, "x"), iy = gr_var_index(a.g, "y");
  dir[iy] = &one;
  tp_set(&a, "y", &y);
  tp_set(&b, "y", &y);
  double want[2][8];
  for (int r = 0; r < 2; r++) { /* tape b: the values written in */
    tp_set(&b, "x", r ? x1 : x0);
    gr_tape_forward(b.t);
    gr_tape_tangent(b.t, dir);
    gr_tape_reverse(b.t, 0, NULL);
    want[r][0] = gr_tape_out(b.t, 0)[0];
    want[r][1] = gr_tape_out_tangent(b.t, 0)[0];
    want[r][2] = tp_grad(&b, "y")[0];
    memcpy(&want[r][3], tp_grad(&b, "x"), 5 * sizeof(double));
  }
  ck_assert_ptr_null(b.t->vp);
  /* tape a: x0 written in, then x1 bound, then unbound (x0 again), then bound again */
  tp_set(&a, "x", x0);
  for (int step = 0; step < 4; step++) {
    int r = step % 2;
    if (step)
      gr_tape_bind(a.t, ix, r ? x1 : NULL);
    ck_assert(step ? a.t->vp != NULL : a.t->vp == NULL);
    gr_tape_forward(a.t);
    gr_tape_tangent(a.t, dir);
    gr_tape_reverse(a.t, 0, NULL);
    ck_assert(gr_tape_out(a.t, 0)[0] == want[r][0]);
    ck_assert(gr_tape_out_tangent(a.t, 0)[0] == want[r][1]);
    ck_assert(tp_grad(&a, "y")[0] == want[r][2]);
    for (int k = 0; k < 5; k++)
      ck_assert(tp_grad(&a, "x")[k] == want[r][3 + k]);
  }
  ck_assert(want[0][0] != want[1][0]);
  tp_close(&a);
  tp_close(&b);
}
END_TEST

static Suite *tape_suite(void) {
  Suite *s = suite_create("tape");
  TCase *tc = tcase_create("reference");
  tcase_add_test(tc, test_quadratic);
  tcase_add_exit_test(tc, test_tape_too_many_values, 4);
  tcase_add_test(tc, test_tape_block_lengths);
  tcase_add_test(tc, test_five_variables);
  tcase_add_test(tc, test_constant_powers);
  tcase_add_test(tc, test_named_intermediates);
  tcase_add_test(tc, test_relu_example);
  tcase_add_test(tc, test_detach);
  tcase_add_test(tc, test_jacobian);
  tcase_add_test(tc, test_hessian);
  tcase_add_test(tc, test_higher_order);
  tcase_add_test(tc, test_seed);
  suite_add_tcase(s, tc);
  tc = tcase_create("tape");
  tcase_add_loop_test(tc, test_reductions, 0, sizeof reductions / sizeof *reductions);
  tcase_add_test(tc, test_strong_zero);
  tcase_add_test(tc, test_compile_errors);
  tcase_add_test(tc, test_print_shared_dag);
  tcase_add_test(tc, test_slot_node_map);
  tcase_add_test(tc, test_drop_adjoints);
  tcase_add_test(tc, test_bind_column);
  tcase_add_test(tc, test_tape_own_lines);
  tcase_add_test(tc, test_block_rounding_as_written);
  suite_add_tcase(s, tc);
  tc = tcase_create("random");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_random_gradients);
  tcase_add_test(tc, test_random_blocks);
  tcase_add_test(tc, test_scalar_tape_no_offsets);
  tcase_add_test(tc, test_random_strips);
  tcase_add_test(tc, test_rows_apart);
  tcase_add_test(tc, test_random_print_roundtrip);
  tcase_add_test(tc, test_issues_anywhere_in_block);
  suite_add_tcase(s, tc);
  return s;
}

TU_MAIN(tape_suite)
