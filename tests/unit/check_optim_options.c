/* SPDX-License-Identifier: GPL-3.0-or-later
 * The PyTorch optimizers' options, each against an independent way of getting the same
 * iterates: coupled weight decay is the gradient of an L2 penalty (wd/2)|x|^2, so every
 * method with it must follow the same path as on f + (wd/2)|x|^2 without it; decoupled
 * weight decay (AdamW, NAdam's decoupled) shrinks x by lr*wd on top of the undecayed step;
 * AMSGrad is Adam while the second moment keeps growing. Then the stop rules (ftol, xtol,
 * gtol, a callback's interruption with the best point kept, a non-finite start, a bad
 * learning rate).
 */
#include "graph.h"
#include "optim.h"
#include "parse.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { STEPS = 25 };

typedef struct Run {
  double x[STEPS + 1][2];
  long n;
  GrOptResult res;
  GrStatus st;
} Run;

static int rec(void *ud, long it, const double *x, double f, double gn) {
  (void)f;
  (void)gn;
  Run *r = ud;
  if (it <= STEPS) {
    memcpy(r->x[it], x, 2 * sizeof *x);
    r->n = it + 1;
  }
  return 0;
}

/* Run p on expr over x, y from (0.5, -1) for p->steps steps, recording every iterate. */
static void run(const char *expr, const GrOptParams *p, Run *r, GrOptCallback cb) {
  memset(r, 0, sizeof *r);
  GrGraph *g = gr_graph_new();
  static const char *const vars[] = {"x", "y", NULL};
  GrParseOpts po = {vars, NULL, 0};
  GrParsed ps;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, expr, &po, &ps, &d), GR_OK);
  ck_assert_int_eq(g->nvars, 2);
  int param[2] = {0, 1};
  double value[2] = {0, 0};
  GrNode *outs[1] = {ps.out};
  GrProblemSpec s = {g, GR_PROB_MIN, outs, 1, 2, param, value, NULL, NULL, 0, 0, 0};
  GrProblem *pr;
  GrObjective obj;
  ck_assert_int_eq(gr_problem_new(&s, &pr, &obj, &d), GR_OK);
  double x[2] = {0.5, -1};
  r->st = gr_optimize(&obj, p, x, cb ? cb : rec, r, &r->res, &d);
  memcpy(r->x[r->n < STEPS ? r->n : STEPS], x, sizeof x); /* the point returned */
  gr_problem_free(pr);
  gr_graph_free(g);
}

#define F "(x-3)^2 + (x*y-1)^2"
#define F_L2 "(x-3)^2 + (x*y-1)^2 + 0.05*(x^2 + y^2)"

static void close_paths(const Run *a, const Run *b, double rtol, const char *what) {
  ck_assert_int_eq(a->n, b->n);
  for (long k = 0; k < a->n; k++)
    for (int j = 0; j < 2; j++) {
      double u = a->x[k][j], v = b->x[k][j];
      ck_assert_msg(fabs(u - v) <= rtol * (1 + fabs(v)), "%s: step %ld, x[%d] = %.17g, want %.17g",
                    what, k, j, u, v);
    }
}

typedef struct Variant {
  const char *name;
  GrMethod m;
  double lr;
  void (*set)(GrOptParams *);
} Variant;

static void v_none(GrOptParams *p) { (void)p; }
static void v_momentum(GrOptParams *p) {
  p->momentum = 0.9;
  p->dampening = 0.3;
}
static void v_nesterov(GrOptParams *p) {
  p->momentum = 0.9;
  p->nesterov = 1;
}
static void v_amsgrad(GrOptParams *p) { p->amsgrad = 1; }
static void v_centered(GrOptParams *p) { p->centered = 1; }
static void v_centered_momentum(GrOptParams *p) {
  p->centered = 1;
  p->momentum = 0.5;
}
static void v_lr_decay(GrOptParams *p) {
  p->lr_decay = 0.1;
  p->initial_accumulator = 0.5;
}

static const Variant coupled[] = {
    {"gd", GR_M_GD, 0.01, v_none},
    {"gd momentum dampening", GR_M_GD, 0.01, v_momentum},
    {"gd nesterov", GR_M_GD, 0.01, v_nesterov},
    {"adam", GR_M_ADAM, 0.05, v_none},
    {"adam amsgrad", GR_M_ADAM, 0.05, v_amsgrad},
    {"nadam", GR_M_NADAM, 0.05, v_none},
    {"rmsprop", GR_M_RMSPROP, 0.01, v_none},
    {"rmsprop centered", GR_M_RMSPROP, 0.01, v_centered},
    {"rmsprop centered momentum", GR_M_RMSPROP, 0.01, v_centered_momentum},
    {"adagrad lr_decay", GR_M_ADAGRAD, 0.1, v_lr_decay},
};

START_TEST(test_coupled_weight_decay_is_l2) {
  const Variant *v = &coupled[_i];
  GrOptParams p;
  gr_opt_defaults(&p, v->m);
  p.lr = v->lr;
  p.steps = STEPS;
  p.gtol = p.ftol = p.xtol = 0;
  v->set(&p);
  Run with, l2;
  p.weight_decay = 0.1;
  run(F, &p, &with, NULL);
  p.weight_decay = 0;
  run(F_L2, &p, &l2, NULL);
  ck_assert_int_eq(with.st, GR_OK);
  ck_assert_int_eq(with.res.iter, STEPS);
  close_paths(&with, &l2, 1e-11, v->name);
  /* and the decay changes the path: the test is not vacuous */
  Run none;
  run(F, &p, &none, NULL);
  ck_assert(fabs(none.x[STEPS][0] - with.x[STEPS][0]) > 1e-6);
}
END_TEST

/* decoupled decay: the first step is the undecayed one from x0, minus lr*wd*x0 */
static void decoupled_first_step(GrMethod m, int nadam_decoupled) {
  GrOptParams p;
  gr_opt_defaults(&p, m);
  p.lr = 0.05;
  p.steps = 1;
  p.gtol = p.ftol = p.xtol = 0;
  p.decoupled = nadam_decoupled;
  Run dec, plain;
  p.weight_decay = 0.2;
  run(F, &p, &dec, NULL);
  p.weight_decay = 0;
  run(F, &p, &plain, NULL);
  const double x0[2] = {0.5, -1};
  for (int j = 0; j < 2; j++) {
    double want = plain.x[1][j] - 0.05 * 0.2 * x0[j];
    ck_assert_msg(fabs(dec.x[1][j] - want) <= 1e-14, "%s: x[%d] %.17g, want %.17g",
                  gr_method_name(m), j, dec.x[1][j], want);
  }
}

START_TEST(test_decoupled_weight_decay) {
  decoupled_first_step(GR_M_ADAMW, 0);
  decoupled_first_step(GR_M_NADAM, 1);
}
END_TEST

START_TEST(test_amsgrad) {
  GrOptParams p;
  gr_opt_defaults(&p, GR_M_ADAM);
  p.lr = 0.3;
  p.steps = STEPS;
  p.gtol = p.ftol = p.xtol = 0;
  Run adam, ams;
  run("(x-3)^2 + y^2", &p, &adam, NULL);
  p.amsgrad = 1;
  run("(x-3)^2 + y^2", &p, &ams, NULL);
  /* while v grows (the first steps from far away) the two are the same method */
  for (int k = 0; k <= 3; k++)
    ck_assert(adam.x[k][0] == ams.x[k][0] && adam.x[k][1] == ams.x[k][1]);
  /* near the minimum the gradients shrink, v falls below its maximum, and AMSGrad's steps
   * are the smaller ones */
  ck_assert(adam.x[STEPS][0] != ams.x[STEPS][0]);
}
END_TEST

static int stop_at_3(void *ud, long it, const double *x, double f, double gn) {
  rec(ud, it, x, f, gn);
  return it == 3;
}

START_TEST(test_stop_rules) {
  GrOptParams p;
  Run r;
  /* ftol: f changes by less than ftol*|f| */
  gr_opt_defaults(&p, GR_M_GD);
  p.lr = 0.1;
  p.steps = 10000;
  p.gtol = p.xtol = 0;
  p.ftol = 1e-6;
  run("(x-3)^2 + y^2 + 1", &p, &r, NULL);
  ck_assert_int_eq(r.res.stop, GR_STOP_FTOL);
  ck_assert_int_lt(r.res.iter, 10000);
  /* xtol: the step is shorter than xtol*(1 + |x|) */
  p.ftol = 0;
  p.xtol = 1e-6;
  run("(x-3)^2 + y^2 + 1", &p, &r, NULL);
  ck_assert_int_eq(r.res.stop, GR_STOP_XTOL);
  ck_assert(fabs(r.x[r.n < STEPS ? r.n : STEPS][0] - 3) < 1e-4);
  /* gtol: already met at the start */
  p.xtol = 0;
  p.gtol = 1e-3;
  run("(x-0.5)^2 + (y+1)^2", &p, &r, NULL);
  ck_assert_int_eq(r.res.stop, GR_STOP_GTOL);
  ck_assert_int_eq(r.res.iter, 0);
  /* an interruption by the callback keeps the best point seen: a learning rate that
   * overshoots makes the last point worse than an earlier one */
  p.gtol = 0;
  p.lr = 1.05; /* x - 3 is multiplied by -1.1 at each step: the start is the best point */
  p.steps = 100;
  run("(x-3)^2 + (y+1)^2", &p, &r, stop_at_3);
  ck_assert_int_eq(r.res.stop, GR_STOP_INTERRUPT);
  ck_assert_int_eq(r.res.iter, 3);
  ck_assert(pow(r.x[3][0] - 3, 2) > 6.25);
  ck_assert(r.res.f == 6.25 && r.x[4][0] == 0.5 && r.x[4][1] == -1);
  /* a non-finite value at the start stops at once */
  p.lr = 0.1;
  run("log(x - 1) + y", &p, &r, NULL);
  ck_assert_int_eq(r.res.stop, GR_STOP_NONFINITE);
  ck_assert_int_eq(r.res.bad_iter, 0);
  /* a non-finite step: the last finite point is kept */
  p.lr = 10;
  run("exp(x^2) + y^2", &p, &r, NULL);
  ck_assert_int_eq(r.res.stop, GR_STOP_NONFINITE);
  ck_assert_int_gt(r.res.bad_iter, 0);
  ck_assert_int_eq(r.res.iter, r.res.bad_iter - 1);
  ck_assert(isfinite(r.res.f));
  /* a learning rate that is not positive is a usage error */
  for (int m = GR_M_GD; m <= GR_M_ADAGRAD; m++) {
    gr_opt_defaults(&p, (GrMethod)m);
    p.lr = m % 2 ? -1 : INFINITY;
    run(F, &p, &r, NULL);
    ck_assert_int_eq(r.st, GR_EUSAGE);
  }
}
END_TEST

int main(void) {
  gr_init();
  Suite *s = suite_create("optim_options");
  TCase *tc = tcase_create("options");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_coupled_weight_decay_is_l2, 0,
                      (int)(sizeof coupled / sizeof *coupled));
  tcase_add_test(tc, test_decoupled_weight_decay);
  tcase_add_test(tc, test_amsgrad);
  tcase_add_test(tc, test_stop_rules);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
