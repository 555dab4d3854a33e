/* SPDX-License-Identifier: GPL-3.0-or-later
 * The one-point evaluator (src/lib/point.c) against the block tape (src/lib/tape.c), bit
 * for bit: value, gradient, tangent and Hessian-vector products of every row of the op
 * table in several surroundings at special points (0, -0, +-1, +-inf, NaN, tiny, huge,
 * kinks, poles), of random expressions from the property-test generator (tests/prop) at
 * random points, and the strong zeros on their own (exact expected numbers: a lost strong
 * zero gives NaN). Expressions with a vector are not compiled (the caller keeps the tape).
 */
#include "config.h"
#include "optim.h"
#include "point.h"
#include "testutil.h"
#include "../prop/prop.h"
#include <stdint.h>
#include <stdio.h>

static const double special_pts[] = {0,     -0.0,   1,       -1,      2,       -2,     0.5,
                                     -1.5,  3,      INFINITY, -INFINITY, NAN,   1e300, -1e300,
                                     1e-300, 5e-324, 171.5,  40,      -40,     0x1p511, 0x1p-1022,
                                     1e154, -1e-160};
#define NSPECIAL (int)(sizeof special_pts / sizeof *special_pts)

static uint64_t bits(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

/* The same double to the last bit; or both NaN: which NaN an operation with two NaN
 * operands returns, and its sign, follow the order in which the compiler put the operands
 * (a + b may be computed as b + a), which C leaves open. */
#define SAME(what, t, p)                                                                           \
  ck_assert_msg(bits(t) == bits(p) || (isnan(t) && isnan(p)), "%s: %s: tape %.17g (%016llx), point %.17g (%016llx)", ctx,   \
                what, t, (unsigned long long)bits(t), p, (unsigned long long)bits(p))

/* Every sweep of p against t at the point x (one value per graph variable). */
static void compare_at(const GrGraph *g, GrTape *t, GrPoint *p, const double *x, const char *ctx) {
  int nv = g->nvars;
  for (int v = 0; v < nv; v++) {
    if (gr_tape_var(t, v))
      *gr_tape_var(t, v) = x[v];
    if (gr_point_var(p, v))
      *gr_point_var(p, v) = x[v];
  }
  gr_tape_forward(t);
  double ft = gr_tape_out(t, 0)[0];
  double f0 = gr_point_forward(p);
  SAME("value", ft, f0);
  double f1 = gr_point_forward_partials(p);
  SAME("value (with partials)", ft, f1);
  gr_tape_reverse(t, 0, NULL);
  gr_point_reverse(p);
  for (int v = 0; v < nv; v++) {
    const double *gt = gr_tape_grad(t, v);
    char w[64];
    snprintf(w, sizeof w, "d/d%s", g->vars[v]);
    SAME(w, gt ? gt[0] : 0.0, gr_point_grad(p, v));
  }
  /* forward mode and forward over reverse, one direction per variable, as grad_hessian */
  for (int j = 0; j < nv; j++) {
    const double one = 1;
    const double *dir[8] = {NULL};
    double pdir[8] = {0};
    if (nv > 8)
      return;
    dir[j] = &one;
    pdir[j] = 1;
    gr_tape_tangent(t, dir);
    gr_tape_reverse(t, 0, NULL);
    gr_tape_reverse_tangent(t, 0);
    gr_point_tangent(p, pdir);
    gr_point_reverse_tangent(p);
    char w[64];
    snprintf(w, sizeof w, "tangent along %s", g->vars[j]);
    SAME(w, gr_tape_out_tangent(t, 0)[0], gr_point_out_tangent(p));
    for (int i = 0; i < nv; i++) {
      const double *h = gr_tape_hvp(t, i);
      snprintf(w, sizeof w, "d2/d%s d%s", g->vars[i], g->vars[j]);
      SAME(w, h ? h[0] : 0.0, gr_point_hvp(p, i));
    }
  }
}

/* op(x, y) in surroundings that send it inf adjoints (under sqrt), inf tangents (over
 * sqrt), one argument twice (x op x: two shares into one adjoint), through a named
 * intermediate used twice and under if() */
static GrNode *surround(GrGraph *g, int op, int form) {
  GrNode *x = gr_var(g, "x"), *y = gr_ops[op].nargs > 1 ? gr_var(g, "y") : NULL;
  switch (form) {
  case 2:
    x = gr_node(g, GR_OP_SQRT, x, NULL, NULL);
    y = y ? gr_node(g, GR_OP_SQRT, y, NULL, NULL) : NULL;
    break;
  case 3:
    y = y ? x : NULL;
    break;
  default:
    break;
  }
  GrNode *f = gr_node(g, op, x, y, NULL);
  switch (form) {
  case 1:
    return gr_node(g, GR_OP_SQRT, f, NULL, NULL);
  case 4: {
    GrNode *t = gr_let(g, "t", f);
    return gr_node(g, GR_OP_ADD, gr_node(g, GR_OP_MUL, t, t, NULL),
                   gr_node(g, GR_OP_SIN, t, NULL, NULL), NULL);
  }
  case 5: {
    GrNode *c = gr_node(g, GR_OP_GT, gr_var(g, "x"), gr_const(g, 0), NULL);
    return gr_node(g, GR_OP_IF, c, f, gr_node(g, GR_OP_LOG, gr_var(g, "x"), NULL, NULL));
  }
  default:
    return f;
  }
}

START_TEST(test_every_op) {
  int op = _i;
  if (gr_ops[op].kind != GR_K_MATH)
    return;
  int two = gr_ops[op].nargs > 1;
  for (int form = 0; form < 6; form++) {
    GrGraph *g = gr_graph_new();
    gr_var(g, "x");
    if (two)
      gr_var(g, "y");
    GrNode *f = surround(g, op, form);
    GrTape *t;
    GrDiag d;
    ck_assert_int_eq(gr_tape_compile(g, &f, 1, NULL, &t, &d), GR_OK);
    GrPoint *p = gr_point_compile(g, f);
    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < NSPECIAL; i++)
      for (int j = 0; j < (two ? NSPECIAL : 1); j++) {
        double x[2] = {special_pts[i], special_pts[j]};
        if (op == GR_OP_POLYGAMMA) /* the order: small integers (and the bad ones) */
          x[0] = i < 6 ? i : special_pts[i];
        char ctx[160];
        snprintf(ctx, sizeof ctx, "%s (form %d) at x=%.17g y=%.17g", gr_ops[op].name, form, x[0],
                 x[1]);
        compare_at(g, t, p, x, ctx);
      }
    gr_point_free(p);
    gr_tape_free(t);
    gr_graph_free(g);
  }
}
END_TEST

static GrNode *parse(GrGraph *g, const char *src) {
  static const char *const vars[] = {"x", "y", "z", NULL};
  GrEnv env = {0};
  GrParseOpts po = {vars, &env, 0};
  GrParsed ps;
  GrDiag d;
  GrStatus st = gr_parse(g, src, &po, &ps, &d);
  gr_env_free(&env);
  ck_assert_msg(st == GR_OK, "%s: %s", src, d.msg);
  return ps.out;
}

/* the special rows (let, if, the reductions of a scalar, detach) and mixtures */
START_TEST(test_special_rows) {
  static const char *const src[] = {
      "t = x*y; t*t + sin(t)",
      "if(x > 0, sqrt(x), x)",
      "if(x, y, sqrt(y)) + if(y < x, x*y, x/y)",
      "sum(x) * prod(y) + mean(x*y)",
      "max(x) - min(y) + max(x*y)",
      "detach(x)*y + detach(y^2)",
      "u = x^2; v = u*y; sqrt(v) + log(u) - v/u",
      "x^3 y^2/ln(z+1) + exp(x z) cos(y z) + sqrt(x^2+y^2) ln(z^2+x^2)",
      "atan2(y, x) + hypot(x, y) + x^y + y^x",
      "3",
      "x",
      /* the shapes of the fast sweeps (fast_programs in point.c): +, -, unary minus, *,
       * a^2 and a^3 with a constant exponent, one argument twice, a value or an adjoint
       * straight from the instruction before, and the exact rule where a product is 0 * inf,
       * inf * 0 or out of the normal range */
      "x^2 + y^3 - (x*y)^2",
      "-(x^3) * -(y^2) / (x - y) - -z",
      "t = x*x; t*t + y*y*y - z^2^3",
      "sqrt(x)^2 + sqrt(y)^3 + sqrt(x^2) + log(z)^2",
      "(x + y)^3 * 0 + log(x)^2 * 0 + exp(y)^2",
      "x^2.0 + y^-1 + z^0.5 + x^3.5 + (-x)^2",
      "exp(x)*exp(y) - x*y*z + sin(x*y) / cos(z) - z",
  };
  for (size_t k = 0; k < sizeof src / sizeof *src; k++) {
    GrGraph *g = gr_graph_new();
    GrNode *f = parse(g, src[k]);
    GrTape *t;
    GrDiag d;
    ck_assert_int_eq(gr_tape_compile(g, &f, 1, NULL, &t, &d), GR_OK);
    GrPoint *p = gr_point_compile(g, f);
    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < NSPECIAL; i++)
      for (int j = 0; j < NSPECIAL; j += 3) {
        double x[3] = {special_pts[i], special_pts[j], special_pts[(i + j) % NSPECIAL]};
        char ctx[200];
        snprintf(ctx, sizeof ctx, "%s at x=%.17g y=%.17g z=%.17g", src[k], x[0], x[1], x[2]);
        compare_at(g, t, p, x, ctx);
      }
    gr_point_free(p);
    gr_tape_free(t);
    gr_graph_free(g);
  }
}
END_TEST

/* random expressions over every op of the table, at the generator's points (ordinary,
 * integers, kinks, near poles, edges of the range) */
START_TEST(test_random_expressions) {
  PRng r = {0x5eed0000u + (uint64_t)_i};
  static PCase c;
  int done = 0;
  for (int k = 0; k < 1500; k++) {
    prop_gen(&r, 5, 0, &c);
    GrGraph *g = gr_graph_new();
    static const char *const vars[] = {"x", "y", "z", NULL};
    GrEnv env = {0};
    GrParseOpts po = {vars, &env, 0};
    GrParsed ps;
    GrDiag d;
    GrStatus st = gr_parse(g, c.src, &po, &ps, &d);
    gr_env_free(&env);
    GrTape *t = NULL;
    if (st == GR_OK)
      st = gr_tape_compile(g, &ps.out, 1, NULL, &t, &d);
    int vec = 0;
    for (size_t s = 0; st == GR_OK && s < t->n; s++)
      vec |= gr_tape_len(t, s) > 1;
    GrPoint *p = st == GR_OK ? gr_point_compile(g, ps.out) : NULL;
    if (st == GR_OK)
      ck_assert_msg((p == NULL) == (vec != 0), "%s: vector %d, compiled %d", c.src, vec, p != NULL);
    if (p) {
      for (int q = 0; q < 4; q++) {
        double x[PROP_NV + 8] = {0};
        for (int v = 0; v < g->nvars && v < PROP_NV + 8; v++)
          x[v] = q == 0 && v < PROP_NV ? c.pt[v][0] : prop_point_value(&r);
        char ctx[PROP_SRC_MAX + 64];
        snprintf(ctx, sizeof ctx, "case %d: %s", k, c.src);
        compare_at(g, t, p, x, ctx);
      }
      gr_point_free(p);
      done++;
    }
    gr_tape_free(t);
    gr_graph_free(g);
  }
  ck_assert_int_gt(done, 500);
}
END_TEST

/* A strong zero lost gives NaN (0 * inf) instead of these numbers. The first are the
 * finite adjoint meeting a zero local partial; the others an infinite adjoint meeting one. */
START_TEST(test_strong_zeros) {
  static const struct {
    const char *src;
    double x, dx;
  } c[] = {
      {"if(x > 0, sqrt(x), x)", 0, 1},
      {"floor(sqrt(x)) + x", 0, 1},
      {"relu(sqrt(x)) + 2*x", 0, 2},
      {"max(sqrt(x), 1) + x", 0, 1},
      {"sqrt(relu(x))", -1, 0},
      {"sqrt(floor(x))", 0.5, 0},
      {"acos(sign(x))", 2, 0},
      {"sqrt(max(x, 0))", -3, 0},
      {"sqrt(min(x, 0))", 3, 0},
      {"sqrt(abs(x))*0 + sqrt(relu(-x))", 2, 0},
      {"log(1/exp(x))", 400, -1},
  };
  for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
    GrGraph *g = gr_graph_new();
    GrNode *f = parse(g, c[i].src);
    GrPoint *p = gr_point_compile(g, f);
    ck_assert_ptr_nonnull(p);
    *gr_point_var(p, 0) = c[i].x;
    gr_point_forward_partials(p);
    gr_point_reverse(p);
    double dx = gr_point_grad(p, 0);
    ck_assert_msg(dx == c[i].dx, "%s at %g: d/dx %.17g, want %.17g", c[i].src, c[i].x, dx,
                  c[i].dx);
    /* and the second derivative is a number too where the first is flat */
    double one = 1;
    gr_point_tangent(p, &one);
    gr_point_reverse_tangent(p);
    ck_assert_msg(!isnan(gr_point_hvp(p, 0)), "%s at %g: d2/dx2 NaN", c[i].src, c[i].x);
    gr_point_free(p);
    gr_graph_free(g);
  }
}
END_TEST

/* a vector (a vector constant: blocks longer than one) is left to the tape */
START_TEST(test_vectors_not_compiled) {
  static const char *const src[] = {"sum([1, 2, 3]*x)", "norm([1, 1]*x)", "dot([1, 2], [3, 4])*x",
                                    "max([1, 5, 2]*x)"};
  for (size_t i = 0; i < sizeof src / sizeof *src; i++) {
    GrGraph *g = gr_graph_new();
    GrNode *f = parse(g, src[i]);
    GrTape *t;
    GrDiag d;
    ck_assert_int_eq(gr_tape_compile(g, &f, 1, NULL, &t, &d), GR_OK);
    int vec = 0;
    for (size_t s = 0; s < t->n; s++)
      vec |= gr_tape_len(t, s) > 1;
    GrPoint *p = gr_point_compile(g, f);
    ck_assert_msg((p == NULL) == (vec != 0), "%s: vector %d, compiled %d", src[i], vec, p != NULL);
    if (p) { /* written as vectors but folded to scalars: then it must agree */
      double x[3] = {0.5, -2, 3};
      compare_at(g, t, p, x, src[i]);
    }
    gr_point_free(p);
    gr_tape_free(t);
    gr_graph_free(g);
  }
  GrGraph *g = gr_graph_new();
  GrNode *f = parse(g, "sum([1, 2, 3]*x)");
  ck_assert_ptr_null(gr_point_compile(g, f));
  gr_graph_free(g);
}
END_TEST

/* An objective on the one-point program, as grad_minimize builds it (src/lib/api.c) */
static void point_fg(void *ctx, const double *x, double *f, double *g) {
  GrPoint *p = ctx;
  for (int v = 0; v < p->nvars; v++)
    if (p->var_slot[v] >= 0)
      p->val[p->var_slot[v]] = x[v];
  if (!g) {
    *f = gr_point_forward(p);
    return;
  }
  *f = gr_point_forward_partials(p);
  gr_point_reverse(p);
  for (int v = 0; v < p->nvars; v++)
    g[v] = gr_point_grad(p, v);
}

/* the optimizers take the same steps on it as on the tape's objective (gr_problem_new) */
START_TEST(test_minimize_same_steps) {
  static const char *const methods[] = {"bfgs", "adam", "gd", "cg-pr", "nelder-mead", "lbfgs"};
  static const char *const src[] = {"(x - 1)^2 + 10*(y - x^2)^2 + abs(z)*0.1 + z^2",
                                    "x^3 y^2/ln(z+1) + exp(x z) cos(y z) + sqrt(x^2+y^2)"};
  for (size_t k = 0; k < sizeof src / sizeof *src; k++)
    for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
      int meth = gr_method_lookup(methods[m]);
      if (meth < 0)
        continue;
#ifndef HAVE_NLOPT
      if (gr_method_is_nlopt((GrMethod)meth))
        continue;
#endif
      GrGraph *g = gr_graph_new();
      GrNode *f = parse(g, src[k]);
      int n = g->nvars, pv[3] = {0, 1, 2};
      double vals[3] = {0, 0, 0};
      GrProblemSpec sp = {g, GR_PROB_MIN, &f, 1, n, pv, vals, NULL, NULL, 0, 0, 1};
      GrObjective ot, op;
      GrProblem *pr;
      GrDiag d;
      ck_assert_int_eq(gr_problem_new(&sp, &pr, &ot, &d), GR_OK);
      GrPoint *p = gr_point_compile(g, f);
      ck_assert_ptr_nonnull(p);
      op = ot;
      op.fg = point_fg;
      op.ctx = p;
      GrOptParams par;
      gr_opt_defaults(&par, (GrMethod)meth);
      par.steps = 200;
      if (gr_method_is_torch((GrMethod)meth) && isnan(par.lr))
        par.lr = 1e-3;
      double xt[3] = {0.3, 0.4, 0.5}, xp[3] = {0.3, 0.4, 0.5};
      GrOptResult rt, rp;
      ck_assert_int_eq(gr_optimize(&ot, &par, xt, NULL, NULL, &rt, &d), GR_OK);
      ck_assert_int_eq(gr_optimize(&op, &par, xp, NULL, NULL, &rp, &d), GR_OK);
      const char *ctx = methods[m];
      ck_assert_msg(rt.iter == rp.iter && rt.stop == rp.stop, "%s on %s: %ld/%d vs %ld/%d", ctx,
                    src[k], rt.iter, (int)rt.stop, rp.iter, (int)rp.stop);
      SAME("f", rt.f, rp.f);
      for (int v = 0; v < n; v++)
        SAME("x", xt[v], xp[v]);
      gr_point_free(p);
      gr_problem_free(pr);
      gr_graph_free(g);
    }
}
END_TEST

static Suite *point_suite(void) {
  Suite *s = suite_create("point");
  TCase *tc = tcase_create("against the tape");
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, test_every_op, 0, GR_OP_COUNT);
  tcase_add_test(tc, test_special_rows);
  tcase_add_loop_test(tc, test_random_expressions, 0, 5);
  suite_add_tcase(s, tc);
  tc = tcase_create("strong zeros and vectors");
  tcase_add_test(tc, test_strong_zeros);
  tcase_add_test(tc, test_vectors_not_compiled);
  tcase_add_test(tc, test_minimize_same_steps);
  suite_add_tcase(s, tc);
  return s;
}

TU_MAIN(point_suite)
