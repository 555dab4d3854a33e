/* SPDX-License-Identifier: GPL-3.0-or-later
 * Bounds, constraints and restarts: constraint texts against their values, constraint
 * gradients from the tape against central differences, bounded optima against the
 * clamped analytic ones for every local NLopt method, constrained optima against the
 * Lagrange conditions (grad f parallel to grad c, multiplier signs), methods against each
 * other, restarts (with a GSL method, so also without NLopt) against a root found by
 * Newton's method, and an interrupted run.
 */
#include "config.h"
#include "cliutil.h"
#include "graph.h"
#include "optim.h"
#include "optim_nlopt.h"
#include "parse.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An objective and constraints over x, y (and any other names, in order of appearance). */
typedef struct Prob {
  GrGraph *g;
  GrProblem *p;
  GrObjective obj;
  GrConstraints *c;
  int param[8];
  double value[8];
} Prob;

static void prob_make(Prob *pb, const char *f, const char *const *cons, int ncons) {
  memset(pb, 0, sizeof *pb);
  pb->g = gr_graph_new();
  gr_var(pb->g, "x");
  gr_var(pb->g, "y");
  GrParsed ps;
  GrDiag d;
  ck_assert_int_eq(gr_parse(pb->g, f, NULL, &ps, &d), GR_OK);
  GrConstraintSrc cs[8];
  for (int i = 0; i < ncons; i++)
    ck_assert_msg(gr_constraint_parse(pb->g, cons[i], NULL, &cs[i], &d) == GR_OK, "%s: %s",
                  cons[i], d.msg);
  int n = pb->g->nvars;
  for (int v = 0; v < n; v++)
    pb->param[v] = v;
  GrNode *outs[1] = {ps.out};
  GrProblemSpec s = {pb->g, GR_PROB_MIN, outs, 1, n, pb->param, pb->value, NULL, NULL, 0, 0, 0};
  ck_assert_int_eq(gr_problem_new(&s, &pb->p, &pb->obj, &d), GR_OK);
  pb->c = gr_cons_new(pb->g, n, pb->param, pb->value);
  for (int i = 0; i < ncons; i++)
    gr_cons_add(pb->c, &cs[i]);
  ck_assert_int_eq(gr_cons_compile(pb->c, &d), GR_OK);
}

static void prob_free(Prob *pb) {
  gr_cons_free(pb->c);
  gr_problem_free(pb->p);
  gr_graph_free(pb->g);
}

/* ---- constraint texts ---- */

static const struct {
  const char *text;
  int eq;
  double c; /* at x = 1, y = 2 */
} forms[] = {
    {"x + y <= 4", 0, -1},  {"x + y >= 4", 0, 1},     {"x + y = 4", 1, -1},
    {"x = y", 1, -1},       {"x*y == 2", 1, 0},       {"x < y", 0, -1},
    {"2 > x", 0, -1},       {"s = x + y; s <= 4", 0, -1}, {"4 >= x^2 + y", 0, -1},
};

START_TEST(test_constraint_forms) {
  const char *cons[] = {forms[_i].text};
  Prob pb;
  prob_make(&pb, "x + y", cons, 1);
  double xy[2] = {1, 2}, cv, l, r;
  gr_cons_eval(pb.c, xy, &cv, &l, &r, -1, NULL);
  ck_assert_int_eq(pb.c->con[0].eq, forms[_i].eq);
  ck_assert_msg(cv == forms[_i].c, "%s: c = %g, want %g", forms[_i].text, cv, forms[_i].c);
  /* the sides as written, whichever way the relation points */
  ck_assert(cv == (strchr(forms[_i].text, '>') ? r - l : l - r));
  prob_free(&pb);
}
END_TEST

static const char *const bad_forms[] = {"x + y", "x != y", "0 <= x <= 1", "x +", "x <= (y"};

START_TEST(test_constraint_not_a_relation) {
  GrGraph *g = gr_graph_new();
  GrConstraintSrc cs;
  GrDiag d;
  ck_assert_int_eq(gr_constraint_parse(g, bad_forms[_i], NULL, &cs, &d), GR_EUSAGE);
  ck_assert(d.msg[0] != 0);
  gr_graph_free(g);
}
END_TEST

/* the reverse-mode gradients of each group against central differences of the values */
START_TEST(test_constraint_gradients) {
  const char *cons[] = {"x^2*y + sin(x) <= exp(y)/3", "x*y = 2", "hypot(x, y) >= 1.5",
                        "log(1 + x^2) - y^3 = cos(x*y)"};
  Prob pb;
  prob_make(&pb, "x^2 + y^2", cons, 4);
  const double pts[][2] = {{0.3, -1.2}, {1.7, 0.4}, {-2.1, 2.5}};
  for (size_t k = 0; k < 3; k++) {
    for (int eq = 0; eq < 2; eq++) {
      double J[8], cp[4], cm[4];
      gr_cons_eval(pb.c, pts[k], cp, NULL, NULL, eq, J);
      int row = 0;
      for (int i = 0; i < 4; i++) {
        if (pb.c->con[i].eq != eq)
          continue;
        for (int j = 0; j < 2; j++) {
          double xp[2] = {pts[k][0], pts[k][1]}, xm[2] = {pts[k][0], pts[k][1]}, h = 1e-6;
          xp[j] += h;
          xm[j] -= h;
          gr_cons_eval(pb.c, xp, cp, NULL, NULL, -1, NULL);
          gr_cons_eval(pb.c, xm, cm, NULL, NULL, -1, NULL);
          double fd = (cp[i] - cm[i]) / (2 * h), got = J[row * 2 + j];
          ck_assert_msg(fabs(got - fd) <= 1e-6 * (1 + fabs(fd)), "%s d/d%c: %.12g vs fd %.12g",
                        cons[i], "xy"[j], got, fd);
        }
        row++;
      }
      ck_assert_int_eq(row, 2);
    }
  }
  prob_free(&pb);
}
END_TEST

/* multipliers of the first-order conditions against hand-worked ones (no optimizer) */
START_TEST(test_kkt_multipliers) {
  const char *le[] = {"x + y <= 4", "x - y <= 7"}, *ge[] = {"4 >= x + y"};
  for (int k = 0; k < 2; k++) {
    /* -x*y at (2, 2): grad f = (-2, -2) = -2 grad(x + y); the second constraint inactive */
    Prob pb;
    prob_make(&pb, "-x*y", k ? ge : le, k ? 1 : 2);
    double x[2] = {2, 2}, gf[2] = {-2, -2}, mult[4];
    double res = gr_cons_kkt(pb.c, x, gf, mult);
    ck_assert_msg(res <= 1e-14 && fabs(mult[0] - 2) <= 1e-14, "res %g mult %g", res, mult[0]);
    if (!k)
      ck_assert(mult[1] == 0);
    prob_free(&pb);
  }
  /* (x-3)^2 + (y+1)^2 at the corner (2, 0) of [0,2] x [0,5]: both bounds, multipliers 2 */
  Prob pb;
  prob_make(&pb, "(x-3)^2 + (y+1)^2", NULL, 0);
  pb.c->lo[0] = pb.c->lo[1] = 0;
  pb.c->hi[0] = 2;
  pb.c->hi[1] = 5;
  double x[2] = {2, 0}, gf[2] = {-2, 2}, mult[4];
  ck_assert(gr_cons_kkt(pb.c, x, gf, mult) <= 1e-14);
  ck_assert(fabs(mult[0] - 2) <= 1e-14 && fabs(mult[1] - 2) <= 1e-14);
  /* at (0, 0), the other corner: the bound of x has a negative multiplier (f falls with x) */
  double x0[2] = {0, 0}, g0[2] = {-6, 2};
  ck_assert(gr_cons_kkt(pb.c, x0, g0, mult) <= 1e-14);
  ck_assert(fabs(mult[0] + 6) <= 1e-14 && fabs(mult[1] - 2) <= 1e-14);
  prob_free(&pb);
  /* x + y <= 4 and x + y >= 4 at (2.8, 1.2) of x^2 + 3y^2 - x*y (grad f = (4.4, 4.4)):
   * the nonnegative multipliers are 0 and 4.4, not the minimum-norm -2.2 and 2.2 */
  const char *pair[] = {"x + y <= 4", "x + y >= 4"};
  prob_make(&pb, "x^2 + 3y^2 - x*y", pair, 2);
  double xp[2] = {2.8, 1.2}, gp[2] = {4.4, 4.4};
  ck_assert(gr_cons_kkt(pb.c, xp, gp, mult) <= 1e-12);
  ck_assert_msg(fabs(mult[0]) <= 1e-12 && fabs(mult[1] - 4.4) <= 1e-12, "%g %g", mult[0],
                mult[1]);
  prob_free(&pb);
  prob_make(&pb, "(x-3)^2 + (y+1)^2", NULL, 0);
  pb.c->lo[0] = pb.c->lo[1] = 0;
  pb.c->hi[0] = 2;
  pb.c->hi[1] = 5;
  /* inside the box nothing is active: the residual is the gradient */
  double x1[2] = {1, 1}, g1[2] = {-4, 4};
  ck_assert(fabs(gr_cons_kkt(pb.c, x1, g1, mult) - hypot(4, 4)) <= 1e-14);
  ck_assert(mult[0] == 0 && mult[1] == 0);
  prob_free(&pb);
}
END_TEST

/* ---- --bounds items ---- */

static const struct {
  const char *item, *name;
  double lo, hi;
} bounds_ok[] = {
    {"x=0:2", "x", 0, 2},         {"x=:5", "x", -INFINITY, 5}, {"y=-1:", "y", -1, INFINITY},
    {"x=-inf:inf", "x", -INFINITY, INFINITY}, {"a_1=-pi:pi/2", "a_1", -M_PI, M_PI / 2},
    {"x=3:3", "x", 3, 3},         {"x= 1e-3 :2^3", "x", 1e-3, 8}, {" y = 1:2", "y", 1, 2},
};

START_TEST(test_bound_items) {
  char *name;
  double lo, hi;
  GrDiag d;
  ck_assert_msg(gr_bound_parse(bounds_ok[_i].item, &name, &lo, &hi, &d) == GR_OK, "%s: %s",
                bounds_ok[_i].item, d.msg);
  ck_assert_str_eq(name, bounds_ok[_i].name);
  ck_assert(lo == bounds_ok[_i].lo && hi == bounds_ok[_i].hi);
  free(name);
}
END_TEST

static const char *const bounds_bad[] = {"x=2:1", "x=1", "=1:2", "x=a:1", "1x=0:1",
                                         "x=inf:", "x=:-inf", "x=1:2:3", "x", " =0:1",
                                         "x y=0:1"};

START_TEST(test_bound_items_bad) {
  char *name;
  double lo, hi;
  GrDiag d;
  ck_assert_msg(gr_bound_parse(bounds_bad[_i], &name, &lo, &hi, &d) == GR_EUSAGE, "%s accepted",
                bounds_bad[_i]);
  ck_assert(name == NULL && d.msg[0]);
}
END_TEST

/* ---- restarts (GSL bfgs: no NLopt needed) ---- */

/* x^4 - 3x^2 + x has a local minimum near 1.13 and the global one near -1.30 */
START_TEST(test_restarts_find_the_global_minimum) {
  Prob pb;
  prob_make(&pb, "x^4 - 3x^2 + x", NULL, 0);
  GrOptParams p;
  gr_opt_defaults(&p, GR_M_BFGS);
  double x[2] = {2, 0};
  GrOptResult r;
  GrDiag d;
  /* y is not in f: a second unknown with a zero gradient */
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
  double local = x[0];
  ck_assert(local > 1);
  x[0] = 2;
  p.restarts = 30;
  p.seed = 1;
  p.cons = pb.c;
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
  /* Newton on f' = 4x^3 - 6x + 1 from -1.3 */
  double t = -1.3;
  for (int k = 0; k < 50; k++)
    t -= (4 * t * t * t - 6 * t + 1) / (12 * t * t - 6);
  ck_assert_msg(fabs(x[0] - t) <= 1e-7, "x = %.17g, root %.17g", x[0], t);
  ck_assert_int_eq(r.runs, 31);
  ck_assert(r.runs_best >= 1 && r.runs_best < r.runs);
  /* the same seed, the same runs */
  double x2[2] = {2, 0};
  GrOptResult r2;
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x2, NULL, NULL, &r2, &d), GR_OK);
  ck_assert(x2[0] == x[0] && r2.runs_best == r.runs_best && r2.iter == r.iter);
  prob_free(&pb);
}
END_TEST

#ifdef HAVE_NLOPT
static const GrMethod local_methods[] = {GR_M_LBFGS, GR_M_SLSQP, GR_M_MMA,
                                         GR_M_CCSAQ, GR_M_COBYLA, GR_M_BOBYQA};

/* a separable bowl on a box: the optimum is the unconstrained one clamped to the box */
START_TEST(test_box_optimum_is_the_clamped_one) {
  const struct {
    double a, b, xlo, xhi, ylo, yhi;
  } cases[] = {{3, -1, 0, 2, 0, 5},         {0.5, 0.25, -1, 1, -1, 1},
               {-4, 7, -2, INFINITY, -INFINITY, 3}, {1, 1, 1.5, 2, -3, -2}};
  GrMethod m = local_methods[_i];
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    char f[200];
    snprintf(f, sizeof f, "(x - (%.17g))^2 + 3*(y - (%.17g))^2 + 0.1*(x - (%.17g))^4",
             cases[k].a, cases[k].b, cases[k].a);
    Prob pb;
    prob_make(&pb, f, NULL, 0);
    pb.c->lo[0] = cases[k].xlo;
    pb.c->hi[0] = cases[k].xhi;
    pb.c->lo[1] = cases[k].ylo;
    pb.c->hi[1] = cases[k].yhi;
    GrOptParams p;
    gr_opt_defaults(&p, m);
    p.cons = pb.c;
    double x[2] = {isfinite(cases[k].xlo) ? cases[k].xlo : 0, isfinite(cases[k].yhi) ? cases[k].yhi : 0};
    GrOptResult r;
    GrDiag d;
    ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
    double wx = fmin(fmax(cases[k].a, cases[k].xlo), cases[k].xhi);
    double wy = fmin(fmax(cases[k].b, cases[k].ylo), cases[k].yhi);
    double tol = (m == GR_M_COBYLA || m == GR_M_BOBYQA) ? 1e-5 : 1e-7;
    ck_assert_msg(fabs(x[0] - wx) <= tol && fabs(x[1] - wy) <= tol,
                  "%s case %zu: (%.12g, %.12g), want (%.12g, %.12g)", gr_method_name(m), k, x[0],
                  x[1], wx, wy);
    ck_assert(gr_cons_violation(pb.c, x, NULL) == 0);
    prob_free(&pb);
  }
}
END_TEST

/* grad f + lambda grad c = 0 at the solution, lambda by least squares; returns lambda */
static double lagrange_residual(Prob *pb, const double *x, int eq, double *res) {
  double gf[2], f, J[2];
  pb->obj.fg(pb->obj.ctx, x, &f, gf);
  gr_cons_eval(pb->c, x, NULL, NULL, NULL, eq, J);
  double lam = -(gf[0] * J[0] + gf[1] * J[1]) / (J[0] * J[0] + J[1] * J[1]);
  double r0 = gf[0] + lam * J[0], r1 = gf[1] + lam * J[1];
  *res = hypot(r0, r1) / (hypot(gf[0], gf[1]) + 1e-300);
  return lam;
}

/* the nearest point of the unit circle to (1, 2) is (1, 2)/sqrt(5) */
START_TEST(test_equality_optimum_meets_lagrange) {
  /* isres meets an equality only roughly (a penalty): it gets the disk, the same optimum */
  const char *cons[] = {"x^2 + y^2 = 1"}, *disk[] = {"x^2 + y^2 <= 1"};
  const GrMethod ms[] = {GR_M_SLSQP, GR_M_COBYLA, GR_M_ISRES};
  double sol[3][2];
  for (int k = 0; k < 3; k++) {
    Prob pb;
    prob_make(&pb, "(x - 1)^2 + (y - 2)^2", ms[k] == GR_M_ISRES ? disk : cons, 1);
    GrOptParams p;
    gr_opt_defaults(&p, ms[k]);
    p.cons = pb.c;
    if (ms[k] == GR_M_ISRES) { /* global: a box, many evaluations */
      for (int j = 0; j < 2; j++) {
        pb.c->lo[j] = -5;
        pb.c->hi[j] = 5;
      }
      p.steps = 200000;
      p.seed = 3;
    }
    double x[2] = {1, 1}, cv, res;
    GrOptResult r;
    GrDiag d;
    ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
    gr_cons_eval(pb.c, x, &cv, NULL, NULL, -1, NULL);
    ck_assert_msg(fabs(cv) <= 1e-6, "%s: c = %g", gr_method_name(ms[k]), cv);
    lagrange_residual(&pb, x, 1, &res);
    if (ms[k] == GR_M_SLSQP)
      ck_assert_msg(res <= 1e-7, "slsqp: grad f not parallel to grad c (%g)", res);
    memcpy(sol[k], x, sizeof x);
    prob_free(&pb);
  }
  ck_assert(fabs(sol[0][0] - 1 / sqrt(5)) <= 1e-7 && fabs(sol[0][1] - 2 / sqrt(5)) <= 1e-7);
  /* the methods agree with slsqp */
  ck_assert_msg(fabs(sol[1][0] - sol[0][0]) <= 1e-4 && fabs(sol[1][1] - sol[0][1]) <= 1e-4,
                "cobyla (%g, %g) vs slsqp (%g, %g)", sol[1][0], sol[1][1], sol[0][0], sol[0][1]);
  ck_assert_msg(fabs(sol[2][0] - sol[0][0]) <= 1e-2 && fabs(sol[2][1] - sol[0][1]) <= 1e-2,
                "isres (%g, %g) vs slsqp (%g, %g)", sol[2][0], sol[2][1], sol[0][0], sol[0][1]);
}
END_TEST

/* an active inequality: parallel gradients and a multiplier of the right sign; the same
 * optimum from mma, ccsaq and cobyla, and from the pair x+y <= 4, x+y >= 4 as from = */
START_TEST(test_inequality_optimum_meets_kkt) {
  const char *le[] = {"x + y <= 4"};
  const GrMethod ms[] = {GR_M_SLSQP, GR_M_MMA, GR_M_CCSAQ, GR_M_COBYLA};
  for (int k = 0; k < 4; k++) {
    Prob pb;
    prob_make(&pb, "-x*y + 0.1*(x - y)^2", le, 1);
    for (int j = 0; j < 2; j++) {
      pb.c->lo[j] = 0;
      pb.c->hi[j] = 10;
    }
    GrOptParams p;
    gr_opt_defaults(&p, ms[k]);
    p.cons = pb.c;
    double x[2] = {3, 0.5}, res;
    GrOptResult r;
    GrDiag d;
    ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
    double tol = ms[k] == GR_M_COBYLA ? 1e-3 : 1e-6;
    ck_assert_msg(fabs(x[0] - 2) <= tol && fabs(x[1] - 2) <= tol, "%s: (%.12g, %.12g)",
                  gr_method_name(ms[k]), x[0], x[1]);
    double lam = lagrange_residual(&pb, x, 0, &res);
    ck_assert_msg(lam > 0 && res <= 10 * tol, "%s: lambda %g, residual %g",
                  gr_method_name(ms[k]), lam, res);
    prob_free(&pb);
  }
  const char *pair[] = {"x + y <= 4", "x + y >= 4"}, *eq[] = {"x + y = 4"};
  double xs[2][2];
  for (int k = 0; k < 2; k++) {
    Prob pb;
    prob_make(&pb, "x^2 + 3y^2 - x*y", k ? eq : pair, k ? 1 : 2);
    GrOptParams p;
    gr_opt_defaults(&p, GR_M_SLSQP);
    p.cons = pb.c;
    double x[2] = {0, 0};
    GrOptResult r;
    GrDiag d;
    ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
    memcpy(xs[k], x, sizeof x);
    prob_free(&pb);
  }
  /* analytic: y = 4 - x, d/dx [x^2 + 3(4-x)^2 - x(4-x)] = 10x - 28 = 0 */
  ck_assert(fabs(xs[0][0] - 2.8) <= 1e-7 && fabs(xs[1][0] - 2.8) <= 1e-7);
  ck_assert(fabs(xs[0][1] - 1.2) <= 1e-7 && fabs(xs[1][1] - 1.2) <= 1e-7);
}
END_TEST

START_TEST(test_global_methods_find_rastrigin_minimum) {
  const GrMethod ms[] = {GR_M_DIRECT, GR_M_CRS2, GR_M_MLSL};
  for (int k = 0; k < 3; k++) {
    Prob pb;
    prob_make(&pb, "20 + x^2 - 10cos(2pi x) + y^2 - 10cos(2pi y)", NULL, 0);
    /* an off-centre box: DIRECT's first point (the centre) is not the optimum */
    pb.c->lo[0] = pb.c->lo[1] = -5.12;
    pb.c->hi[0] = 4;
    pb.c->hi[1] = 3.3;
    GrOptParams p;
    gr_opt_defaults(&p, ms[k]);
    p.cons = pb.c;
    p.seed = 1;
    double x[2] = {3.3, -2.7};
    GrOptResult r;
    GrDiag d;
    ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
    ck_assert_msg(r.f < 1e-8 && fabs(x[0]) < 1e-4 && fabs(x[1]) < 1e-4, "%s: f %g at (%g, %g)",
                  gr_method_name(ms[k]), r.f, x[0], x[1]);
    prob_free(&pb);
  }
}
END_TEST

static int stop_after(void *ud, long iter, const double *x, double f, double gn) {
  (void)x, (void)f, (void)gn;
  long *n = ud;
  *n = iter;
  if (iter == 25)
    gr_interrupted = 1; /* as the SIGINT handler does */
  return 0;
}

START_TEST(test_interrupt_stops_and_keeps_the_best) {
  Prob pb;
  prob_make(&pb, "20 + x^2 - 10cos(2pi x) + y^2 - 10cos(2pi y)", NULL, 0);
  pb.c->lo[0] = pb.c->lo[1] = -5.12;
  pb.c->hi[0] = pb.c->hi[1] = 5.12;
  GrOptParams p;
  gr_opt_defaults(&p, GR_M_CRS2);
  p.cons = pb.c;
  p.steps = 1000000;
  double x[2] = {3.3, -2.7};
  GrOptResult r;
  GrDiag d;
  long last = 0;
  gr_interrupted = 0;
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, stop_after, &last, &r, &d), GR_OK);
  gr_interrupted = 0;
  ck_assert_int_eq(r.stop, GR_STOP_INTERRUPT);
  ck_assert_int_eq(last, 25); /* stopped at once */
  ck_assert_int_eq(r.iter, 25);
  double f;
  pb.obj.fg(pb.obj.ctx, x, &f, NULL);
  ck_assert(f == r.f && f <= 20 + 3.3 * 3.3 + 2.7 * 2.7);
  prob_free(&pb);
}
END_TEST
#else
START_TEST(test_without_nlopt) {
  Prob pb;
  prob_make(&pb, "x^2 + y^2", NULL, 0);
  GrOptParams p;
  gr_opt_defaults(&p, GR_M_SLSQP);
  double x[2] = {1, 1};
  GrOptResult r;
  GrDiag d;
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_EUSAGE);
  ck_assert(strstr(d.msg, "built without NLopt") != NULL);
  ck_assert(!gr_nlopt_available());
  prob_free(&pb);
}
END_TEST
#endif

static Suite *nlopt_suite(void) {
  Suite *s = suite_create("nlopt");
  TCase *tc = tcase_create("constraints");
  tcase_add_loop_test(tc, test_constraint_forms, 0, (int)(sizeof forms / sizeof *forms));
  tcase_add_loop_test(tc, test_constraint_not_a_relation, 0,
                      (int)(sizeof bad_forms / sizeof *bad_forms));
  tcase_add_test(tc, test_constraint_gradients);
  tcase_add_test(tc, test_kkt_multipliers);
  tcase_add_loop_test(tc, test_bound_items, 0, (int)(sizeof bounds_ok / sizeof *bounds_ok));
  tcase_add_loop_test(tc, test_bound_items_bad, 0,
                      (int)(sizeof bounds_bad / sizeof *bounds_bad));
  suite_add_tcase(s, tc);
  tc = tcase_create("runs");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_restarts_find_the_global_minimum);
#ifdef HAVE_NLOPT
  tcase_add_loop_test(tc, test_box_optimum_is_the_clamped_one, 0,
                      (int)(sizeof local_methods / sizeof *local_methods));
  tcase_add_test(tc, test_equality_optimum_meets_lagrange);
  tcase_add_test(tc, test_inequality_optimum_meets_kkt);
  tcase_add_test(tc, test_global_methods_find_rastrigin_minimum);
  tcase_add_test(tc, test_interrupt_stops_and_keeps_the_best);
#else
  tcase_add_test(tc, test_without_nlopt);
#endif
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  gr_init();
  SRunner *sr = srunner_create(nlopt_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
