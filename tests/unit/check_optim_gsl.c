/* SPDX-License-Identifier: GPL-3.0-or-later
 * The GSL drivers (multimin and the nonlinear least-squares trust region), against optima
 * known in closed form, and their stop rules: a gradient already small at the start,
 * xtol, ftol, a callback's interruption (the best point kept), a start where f is not
 * finite, Levenberg-Marquardt on an objective that is not a system of equations, on fewer
 * equations than unknowns, and at an exact zero.
 */
#include "graph.h"
#include "optim.h"
#include "parse.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Out {
  GrStatus st;
  GrOptResult r;
  double x[2];
  long calls;
  char msg[600];
} Out;

static int count_cb(void *ud, long it, const double *x, double f, double gn) {
  (void)it, (void)x, (void)f, (void)gn;
  ((Out *)ud)->calls++;
  return 0;
}

static int stop_at_2(void *ud, long it, const double *x, double f, double gn) {
  count_cb(ud, it, x, f, gn);
  return it == 2;
}

/* Minimize (kind MIN: exprs[0]) or solve (EQ: every expression a residual) over x, y. */
static void solve(GrProbKind kind, const char *const *exprs, int n, GrMethod m,
                  void (*tweak)(GrOptParams *), double x0, double y0, GrOptCallback cb, Out *o) {
  memset(o, 0, sizeof *o);
  GrGraph *g = gr_graph_new();
  static const char *const vars[] = {"x", "y", NULL};
  GrParseOpts po = {vars, NULL, 0};
  GrNode *outs[4];
  GrDiag d;
  for (int i = 0; i < n; i++) {
    GrParsed ps;
    ck_assert_int_eq(gr_parse(g, exprs[i], &po, &ps, &d), GR_OK);
    outs[i] = ps.out;
  }
  ck_assert_int_eq(g->nvars, 2);
  int param[2] = {0, 1};
  double value[2] = {0, 0};
  GrProblemSpec s = {g, kind, outs, n, 2, param, value, NULL, NULL, 0, 0, 0};
  GrProblem *pr;
  GrObjective obj;
  ck_assert_int_eq(gr_problem_new(&s, &pr, &obj, &d), GR_OK);
  GrOptParams p;
  gr_opt_defaults(&p, m);
  if (tweak)
    tweak(&p);
  o->x[0] = x0;
  o->x[1] = y0;
  o->st = gr_optimize(&obj, &p, o->x, cb ? cb : count_cb, o, &o->r, &d);
  if (o->st)
    snprintf(o->msg, sizeof o->msg, "%s", d.msg);
  gr_problem_free(pr);
  gr_graph_free(g);
}

static const char *const quad[] = {"10(x-1)^2 + 20(y-2)^2 + x*y + 30"};
/* the minimizer of quad: 20(x-1) + y = 0, 40(y-2) + x = 0 */
static void quad_min(double *x, double *y) {
  /* [20 1; 1 40] (x, y) = (20, 80) */
  double det = 20 * 40 - 1;
  *x = (20 * 40 - 80) / det;
  *y = (20 * 80 - 20) / det;
}

START_TEST(test_methods_reach_the_minimum) {
  double ex, ey;
  quad_min(&ex, &ey);
  const GrMethod ms[] = {GR_M_BFGS, GR_M_CGFR, GR_M_CGPR, GR_M_STEEPEST, GR_M_NM};
  for (size_t i = 0; i < sizeof ms / sizeof *ms; i++) {
    Out o;
    solve(GR_PROB_MIN, quad, 1, ms[i], NULL, 5, -7, NULL, &o);
    ck_assert_int_eq(o.st, GR_OK);
    double tol = ms[i] == GR_M_NM ? 1e-4 : 1e-6;
    ck_assert_msg(fabs(o.x[0] - ex) < tol && fabs(o.x[1] - ey) < tol,
                  "%s: (%.17g, %.17g), want (%.17g, %.17g), stop %s", gr_method_name(ms[i]), o.x[0],
                  o.x[1], ex, ey, gr_stop_name(o.r.stop));
    ck_assert_int_gt(o.calls, 1); /* the callback saw the iterations */
    ck_assert_int_ne(o.r.stop, GR_STOP_NONFINITE);
  }
}
END_TEST

static void gtol_big(GrOptParams *p) { p->gtol = 1e9; }
static void xtol_only(GrOptParams *p) {
  p->gtol = 0;
  p->ftol = 0;
  p->xtol = 1e-3;
}
static void ftol_only(GrOptParams *p) {
  p->gtol = 0;
  p->xtol = 0;
  p->ftol = 1e-3;
}

START_TEST(test_stop_rules) {
  Out o;
  /* a gradient tolerance met at the start: no iteration */
  const GrMethod ms[] = {GR_M_BFGS, GR_M_NM, GR_M_LM};
  const char *const sq[] = {"x - 1", "y + 2"};
  for (size_t i = 0; i < 3; i++) {
    solve(ms[i] == GR_M_LM ? GR_PROB_EQ : GR_PROB_MIN, ms[i] == GR_M_LM ? sq : quad,
          ms[i] == GR_M_LM ? 2 : 1, ms[i], gtol_big, 5, -7, NULL, &o);
    ck_assert_int_eq(o.st, GR_OK);
    /* Nelder-Mead tests the gradient after its first iteration, the others before */
    long want = ms[i] == GR_M_NM ? 1 : 0;
    ck_assert_msg(o.r.stop == GR_STOP_GTOL && o.r.iter == want, "%s: stop %s after %ld",
                  gr_method_name(ms[i]), gr_stop_name(o.r.stop), o.r.iter);
    if (!want)
      ck_assert(o.x[0] == 5 && o.x[1] == -7);
  }
  /* xtol: the simplex (Nelder-Mead) or the step (BFGS) is small */
  solve(GR_PROB_MIN, quad, 1, GR_M_NM, xtol_only, 5, -7, NULL, &o);
  ck_assert_str_eq(gr_stop_name(o.r.stop), gr_stop_name(GR_STOP_XTOL));
  solve(GR_PROB_MIN, quad, 1, GR_M_STEEPEST, xtol_only, 5, -7, NULL, &o);
  ck_assert_msg(o.r.stop == GR_STOP_XTOL || o.r.stop == GR_STOP_NOPROG, "stop %s",
                gr_stop_name(o.r.stop));
  /* ftol: the relative change of f is small */
  solve(GR_PROB_MIN, quad, 1, GR_M_STEEPEST, ftol_only, 5, -7, NULL, &o);
  ck_assert_str_eq(gr_stop_name(o.r.stop), gr_stop_name(GR_STOP_FTOL));
  ck_assert_int_gt(o.r.iter, 0);
}
END_TEST

START_TEST(test_interrupt_keeps_the_best) {
  const GrMethod ms[] = {GR_M_NM, GR_M_BFGS, GR_M_LM};
  const char *const sq[] = {"x^2 - 2", "y - x"};
  for (size_t i = 0; i < 3; i++) {
    Out o;
    int eq = ms[i] == GR_M_LM;
    solve(eq ? GR_PROB_EQ : GR_PROB_MIN, eq ? sq : quad, eq ? 2 : 1, ms[i], NULL, 5, -7,
          stop_at_2, &o);
    ck_assert_int_eq(o.st, GR_OK);
    ck_assert_msg(o.r.stop == GR_STOP_INTERRUPT && o.r.iter == 2, "%s: %s at %ld",
                  gr_method_name(ms[i]), gr_stop_name(o.r.stop), o.r.iter);
    ck_assert_int_eq(o.calls, 3);
    ck_assert(isfinite(o.r.f));
  }
}
END_TEST

START_TEST(test_nonfinite_start) {
  const char *const lg[] = {"log(x) + y^2"};
  const GrMethod ms[] = {GR_M_NM, GR_M_BFGS};
  for (size_t i = 0; i < 2; i++) {
    Out o;
    solve(GR_PROB_MIN, lg, 1, ms[i], NULL, -1, 0, NULL, &o);
    ck_assert_int_eq(o.st, GR_OK);
    ck_assert_int_eq(o.r.stop, GR_STOP_NONFINITE);
    ck_assert_int_eq(o.r.iter, 0);
  }
  const char *const eq[] = {"sqrt(x) - 1", "y"};
  Out o;
  solve(GR_PROB_EQ, eq, 2, GR_M_LM, NULL, -1, 0, NULL, &o);
  ck_assert_int_eq(o.r.stop, GR_STOP_NONFINITE);
}
END_TEST

START_TEST(test_lm) {
  Out o;
  /* x^2 = 2, y = x from (1, 0): (sqrt 2, sqrt 2) */
  const char *const sq[] = {"x^2 - 2", "y - x"};
  solve(GR_PROB_EQ, sq, 2, GR_M_LM, NULL, 1, 0, NULL, &o);
  ck_assert_int_eq(o.st, GR_OK);
  ck_assert(fabs(o.x[0] - sqrt(2)) < 1e-12 && fabs(o.x[1] - sqrt(2)) < 1e-12);
  /* already an exact solution */
  solve(GR_PROB_EQ, sq, 2, GR_M_LM, NULL, sqrt(2), sqrt(2), NULL, &o);
  ck_assert(o.r.iter == 0 || o.r.f < 1e-30);
  /* one equation, two unknowns: refused with a reason */
  const char *const one[] = {"x + y - 1"};
  solve(GR_PROB_EQ, one, 1, GR_M_LM, NULL, 0, 0, NULL, &o);
  ck_assert_int_eq(o.r.stop, GR_STOP_ERROR);
  ck_assert_ptr_nonnull(strstr(o.r.msg, "fewer equations than unknowns"));
  /* not a system of equations at all */
  solve(GR_PROB_MIN, quad, 1, GR_M_LM, NULL, 0, 0, NULL, &o);
  ck_assert_int_eq(o.st, GR_EUSAGE);
  ck_assert_ptr_nonnull(strstr(o.msg, "--method lm needs equations"));
}
END_TEST

int main(void) {
  gr_init();
  Suite *s = suite_create("optim_gsl");
  TCase *tc = tcase_create("gsl");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_methods_reach_the_minimum);
  tcase_add_test(tc, test_stop_rules);
  tcase_add_test(tc, test_interrupt_keeps_the_best);
  tcase_add_test(tc, test_nonfinite_start);
  tcase_add_test(tc, test_lm);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
