/* SPDX-License-Identifier: GPL-3.0-or-later
 * Taylor mode on the tape against independent routes to the same numbers: the tape's
 * forward tangent (degree 1), forward-over-reverse (degree 2), the symbolic derivative
 * formulas evaluated on a tape (degrees 1..4), a central difference of forward-over-reverse
 * (degree 3), and closed-form series (exp, sin, 1/(1-x), log1p at high degree).
 */
#include "deriv.h"
#include "simplify.h"
#include "taylor.h"
#include "testutil.h"
#include <gsl/gsl_deriv.h>

/* every op of the table has a Taylor rule: a new op cannot be forgotten */
START_TEST(test_every_op_has_a_rule) {
  for (int op = 0; op < GR_OP_COUNT; op++)
    ck_assert_msg(gr_taylor_has_rule(op), "op '%s' has no Taylor rule (src/taylor.c)", gr_ops[op].name);
}
END_TEST

typedef struct Case {
  const char *src;
  double x;
} Case;

/* every differentiable op, smooth at the point, some with constant and varying exponents */
static const Case cases[] = {
    {"x + 2*x - x/3", 0.7},          {"-x * x * x", 1.3},
    {"(x + 1) / (x*x + 2)", 0.4},    {"x^3", 0},
    {"x^3", -1.5},                   {"x^2.5", 1.7},
    {"x^-2", 0.6},                   {"x^x", 1.4},
    {"2^x", 0.3},                    {"(1 + x^2)^sin(x)", 0.9},
    {"sin(x)*cos(2*x)", 0.8},        {"tan(x)", 0.6},
    {"asin(x/2)", 0.5},              {"acos(x/3)", 0.7},
    {"atan(3*x)", 0.2},              {"sinh(x) - cosh(x/2)", 1.1},
    {"tanh(2*x)", 0.35},             {"asinh(x)", 2.5},
    {"acosh(x)", 1.6},               {"atanh(x)", 0.45},
    {"exp(sin(x))", 1.2},            {"expm1(x)", 0.001},
    {"log(x*x + 1)", 0.9},           {"log1p(x)", 0.3},
    {"log2(x) + log10(x)", 2.2},     {"sqrt(x + 2)", 0.5},
    {"cbrt(x)", 3.3},                {"cbrt(x)", -2.1},
    {"abs(x)*x", -0.8},              {"erf(x)", 0.6},
    {"erfc(x)", 1.4},                {"lgamma(x)", 2.5},
    {"lgamma(x)", -1.3},             {"gamma(x)", 1.7},
    {"digamma(x)", 3.2},             {"polygamma(2, x)", 1.9},
    {"sigmoid(x)", -0.7},            {"softplus(x)", 0.4},
    {"relu(x)*x", 0.5},              {"atan2(x, 1 + x*x)", 0.8},
    {"atan2(2, x)", -0.5},           {"hypot(x, 2*x + 1)", 0.3},
    {"min(x, 1 - x) * max(x, x*x)", 0.3},
    {"if(x > 0, x*x*x, sin(x))", 0.4},
    {"u = x*x; exp(u)*u", 0.6},      {"floor(x) + x*sign(x) + round(x)*ceil(x)", 1.3},
    {"detach(x)*x + (x < 1)*x", 0.5},
};

#define NMAX 6

typedef struct Ev {
  GrGraph *g;
  GrNode *f;
  GrTape *t;
} Ev;

static void ev_open(Ev *e, const char *src, double x) {
  static const char *const vars[] = {"x", NULL};
  GrDiag d;
  e->g = gr_graph_new();
  GrParseOpts po = {vars, NULL, 0};
  GrParsed p;
  ck_assert_msg(gr_parse(e->g, src, &po, &p, &d) == GR_OK, "%s: %s", src, d.msg);
  e->f = p.out;
  ck_assert(gr_tape_compile(e->g, &e->f, 1, NULL, &e->t, &d) == GR_OK);
  double *xv = gr_tape_var(e->t, 0);
  ck_assert(xv != NULL);
  *xv = x;
  gr_tape_forward(e->t);
}

static void ev_close(Ev *e) {
  gr_tape_free(e->t);
  gr_graph_free(e->g);
}

/* the coefficients 0..N along x */
static void coefs(GrTape *t, int N, double *y) {
  double one = 1;
  const double *dir[1] = {&one};
  double *tc = gr_taylor(t, N, dir);
  memcpy(y, gr_taylor_out(t, tc, N, 0), (size_t)(N + 1) * sizeof *y);
  free(tc);
}

static double hess(GrTape *t) {
  double one = 1;
  const double *dir[1] = {&one};
  gr_tape_tangent(t, dir);
  gr_tape_reverse(t, 0, NULL);
  gr_tape_reverse_tangent(t, 0);
  return gr_tape_hvp(t, 0)[0];
}

static double hess_at(double x, void *p) {
  GrTape *t = p;
  *gr_tape_var(t, 0) = x;
  gr_tape_forward(t);
  return hess(t);
}

static double fact(int k) {
  double f = 1;
  for (int i = 2; i <= k; i++)
    f *= i;
  return f;
}

START_TEST(test_against_other_modes) {
  const Case *c = &cases[_i];
  Ev e;
  ev_open(&e, c->src, c->x);
  double y[NMAX + 1];
  coefs(e.t, NMAX, y);
  ck_assert_msg(y[0] == gr_tape_out(e.t, 0)[0], "%s: value", c->src);
  /* degree 1: the forward tangent */
  double one = 1;
  const double *dir[1] = {&one};
  gr_tape_tangent(e.t, dir);
  double tan = gr_tape_out_tangent(e.t, 0)[0];
  ck_assert_msg(tu_close(y[1], tan, 1e-13, 1e-15), "%s: y1 %.17g, tangent %.17g", c->src, y[1], tan);
  /* degree 2: forward-over-reverse */
  double h = hess(e.t);
  ck_assert_msg(tu_close(2 * y[2], h, 1e-12, 1e-14), "%s: 2 y2 %.17g, hvp %.17g", c->src, 2 * y[2], h);
  /* degrees 1..4: the symbolic formulas */
  GrDeriv *D = gr_deriv_new(e.g);
  GrNode *df = e.f, *xv = gr_var(e.g, "x");
  GrDiag d;
  for (int k = 1; k <= 4; k++) {
    ck_assert(gr_deriv(D, df, xv, &df, &d) == GR_OK);
    df = gr_simplify(e.g, df);
    GrTape *ts;
    ck_assert(gr_tape_compile(e.g, &df, 1, NULL, &ts, &d) == GR_OK);
    double *xs = gr_tape_var(ts, 0);
    if (xs)
      *xs = c->x;
    gr_tape_forward(ts);
    double sym = gr_tape_out(ts, 0)[0];
    gr_tape_free(ts);
    ck_assert_msg(tu_close(y[k] * fact(k), sym, 1e-10, 1e-12), "%s: degree %d: Taylor %.17g, symbolic %.17g",
                  c->src, k, y[k] * fact(k), sym);
  }
  gr_deriv_free(D);
  /* degree 3: a central difference of forward-over-reverse */
  gsl_function F = {hess_at, e.t};
  double d3, err;
  gsl_deriv_central(&F, c->x, 1e-3, &d3, &err);
  ck_assert_msg(tu_close(6 * y[3], d3, 1e-5, 1e-6 + 10 * err), "%s: 6 y3 %.17g, difference %.17g",
                c->src, 6 * y[3], d3);
  ev_close(&e);
}
END_TEST

/* closed-form series at high degree: no factorial overflow, exact to rounding */
START_TEST(test_known_series) {
  int N = 1000;
  double *y = malloc((size_t)(N + 1) * sizeof *y);
  Ev e;
  ev_open(&e, "exp(x)", 0);
  coefs(e.t, N, y);
  for (int k = 0; k <= 170; k++)
    ck_assert_msg(tu_close(y[k], 1 / fact(k), 1e-13, 0), "exp: y%d %.17g", k, y[k]);
  for (int k = 171; k <= N; k++)
    ck_assert_msg(y[k] >= 0 && y[k] < 1e-300, "exp: y%d %.17g", k, y[k]);
  ev_close(&e);
  ev_open(&e, "1/(1 - x)", 0.5); /* 1/(1-x) at 1/2: y_k = 2^(k+1) */
  coefs(e.t, N, y);
  for (int k = 0; k <= N; k++)
    ck_assert_msg(y[k] == ldexp(1, k + 1), "1/(1-x): y%d %.17g", k, y[k]);
  ev_close(&e);
  ev_open(&e, "log1p(x)", 0); /* (-1)^(k+1) / k */
  coefs(e.t, N, y);
  for (int k = 1; k <= N; k++)
    ck_assert_msg(tu_close(y[k], (k % 2 ? 1.0 : -1.0) / k, 1e-12, 0), "log1p: y%d %.17g", k, y[k]);
  ev_close(&e);
  ev_open(&e, "sin(x)", 0);
  coefs(e.t, 30, y);
  for (int k = 0; k <= 30; k++) {
    double want = k % 2 ? ((k / 2) % 2 ? -1.0 : 1.0) / fact(k) : 0;
    ck_assert_msg(tu_close(y[k], want, 1e-13, 0), "sin: y%d %.17g", k, y[k]);
  }
  ev_close(&e);
  ev_open(&e, "lgamma(x)", 1); /* lgamma(1 + s) = -gamma s + sum (-1)^k zeta(k) s^k / k */
  coefs(e.t, 8, y);
  ck_assert(tu_close(y[1], -0.57721566490153286, 1e-14, 0));
  ck_assert(tu_close(y[2], 1.6449340668482264 / 2, 1e-14, 0));
  ck_assert(tu_close(y[3], -1.2020569031595943 / 3, 1e-14, 0));
  ck_assert(tu_close(y[8], 1.0040773561979443 / 8, 1e-14, 0));
  ev_close(&e);
  free(y);
}
END_TEST

/* strong zeros and the branch taken, where an expanded formula gives NaN or cancels */
START_TEST(test_strong_zeros) {
  double y[9];
  Ev e;
  ev_open(&e, "sqrt(relu(x))", -1);
  coefs(e.t, 8, y);
  for (int k = 0; k <= 8; k++)
    ck_assert_msg(y[k] == 0, "sqrt(relu(x)) at -1: y%d %g", k, y[k]);
  ev_close(&e);
  ev_open(&e, "u = cosh(abs(x)); tanh(u)", 12.75);
  coefs(e.t, 8, y);
  ck_assert(y[0] == 1);
  for (int k = 1; k <= 8; k++)
    ck_assert_msg(y[k] == 0, "tanh(cosh(abs(x))) at 12.75: y%d %g", k, y[k]);
  ev_close(&e);
  ev_open(&e, "if(x > 0, sqrt(x), x)", 0); /* the untaken branch's inf does not leak */
  coefs(e.t, 4, y);
  ck_assert(y[0] == 0 && y[1] == 1 && y[2] == 0 && y[3] == 0);
  ev_close(&e);
  ev_open(&e, "x^5", 0); /* a whole power at a zero base: the series t^5 */
  coefs(e.t, 7, y);
  for (int k = 0; k <= 7; k++)
    ck_assert_msg(y[k] == (k == 5), "x^5 at 0: y%d %g", k, y[k]);
  ev_close(&e);
  ev_open(&e, "x^1.5", 0); /* 0 below degree 1.5, unbounded above, as the tape's sqrt'(0) */
  coefs(e.t, 3, y);
  ck_assert(y[0] == 0 && y[1] == 0 && isinf(y[2]) && y[2] > 0);
  ev_close(&e);
  ev_open(&e, "x^-2", 0); /* a pole: -2 x^-3, 6 x^-4, ... from the right */
  coefs(e.t, 3, y);
  ck_assert(isinf(y[1]) && y[1] < 0 && isinf(y[2]) && y[2] > 0 && isinf(y[3]) && y[3] < 0);
  ev_close(&e);
  ev_open(&e, "x^1e300", 0); /* a huge whole exponent: 0 to any degree, without 1e300 squarings */
  coefs(e.t, 5, y);
  for (int k = 0; k <= 5; k++)
    ck_assert(y[k] == 0);
  ev_close(&e);
  ev_open(&e, "(x*x)^(2^40 + 0.5)", 0); /* m r past every degree: no int overflow */
  coefs(e.t, 5, y);
  for (int k = 0; k <= 5; k++)
    ck_assert(y[k] == 0);
  ev_close(&e);
  ev_open(&e, "polygamma(1e20, x)", 1); /* no such order: NaN, no int overflow */
  coefs(e.t, 2, y);
  ck_assert(isnan(y[1]) && isnan(y[2]));
  ev_close(&e);
}
END_TEST

/* blocks: a vector variable, elementwise ops and the reductions */
START_TEST(test_reductions) {
  static const char *const vars[] = {"v", NULL};
  GrGraph *g = gr_graph_new();
  GrParseOpts po = {vars, NULL, 0};
  GrParsed p;
  GrDiag d;
  ck_assert(gr_parse(g, "sum(sin(v)) + prod(v) + max(v)*mean(v)", &po, &p, &d) == GR_OK);
  size_t len = 3;
  GrTape *t;
  ck_assert(gr_tape_compile(g, &p.out, 1, &len, &t, &d) == GR_OK);
  double *v = gr_tape_var(t, 0), x0[3] = {0.3, -1.2, 2.0}, dv[3] = {1, 0.5, -2};
  memcpy(v, x0, sizeof x0);
  gr_tape_forward(t);
  const double *dir[1] = {dv};
  double *tc = gr_taylor(t, 3, dir);
  const double *y = gr_taylor_out(t, tc, 3, 0);
  /* along s: f(x0 + s dv), by hand */
  double want[4] = {0}, pc[4] = {1, 0, 0, 0};
  for (int i = 0; i < 3; i++) {
    double s = sin(x0[i]), c = cos(x0[i]);
    want[0] += s;
    want[1] += c * dv[i];
    want[2] += -s * dv[i] * dv[i] / 2;
    want[3] += -c * dv[i] * dv[i] * dv[i] / 6;
    double q[4] = {0};
    for (int k = 0; k < 4; k++)
      q[k] = pc[k] * x0[i] + (k ? pc[k - 1] * dv[i] : 0);
    memcpy(pc, q, sizeof q);
  }
  double mx[2] = {2.0, -2}, mn[2] = {(0.3 - 1.2 + 2.0) / 3, (1 + 0.5 - 2) / 3.0};
  for (int k = 0; k < 4; k++)
    want[k] += pc[k];
  want[0] += mx[0] * mn[0];
  want[1] += mx[0] * mn[1] + mx[1] * mn[0];
  want[2] += mx[1] * mn[1];
  for (int k = 0; k < 4; k++)
    ck_assert_msg(tu_close(y[k], want[k], 1e-14, 1e-15), "y%d %.17g, want %.17g", k, y[k], want[k]);
  free(tc);
  gr_tape_free(t);
  gr_graph_free(g);
}
END_TEST

static Suite *taylor_suite(void) {
  Suite *s = suite_create("taylor");
  TCase *tc = tcase_create("taylor");
  tcase_add_test(tc, test_every_op_has_a_rule);
  tcase_add_loop_test(tc, test_against_other_modes, 0, sizeof cases / sizeof *cases);
  tcase_add_test(tc, test_known_series);
  tcase_add_test(tc, test_strong_zeros);
  tcase_add_test(tc, test_reductions);
  suite_add_tcase(s, tc);
  return s;
}

TU_MAIN(taylor_suite)
