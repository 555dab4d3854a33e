/* SPDX-License-Identifier: GPL-3.0-or-later
 * Helpers shared by the engine's unit tests: parse an expression with named variables,
 * evaluate value and gradient through the tape, and compare doubles with a tolerance.
 * Header-only (static functions) so that each check_* binary stays one file.
 */
#ifndef GR_TESTUTIL_H
#define GR_TESTUTIL_H
#include "graph.h"
#include "parse.h"
#include "tape.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TU_MAXV 16

/* Parse src with names[0..n) as variables (so they shadow pi, e), evaluate at vals and
 * run one reverse sweep: *val is the value, grad[i] the partial for names[i] (0 when the
 * expression does not use it). grad may be NULL. Returns the parse/compile status. */
static inline GrStatus tu_eval(const char *src, const char *const *names, const double *vals,
                               int n, double *val, double *grad, GrDiag *d) {
  const char *vars[TU_MAXV + 1] = {0};
  for (int i = 0; i < n && i < TU_MAXV; i++)
    vars[i] = names[i];
  GrDiag dd;
  if (!d)
    d = &dd;
  GrGraph *g = gr_graph_new();
  GrParseOpts po = {vars, NULL, 0};
  GrParsed p;
  GrStatus st = gr_parse(g, src, &po, &p, d);
  if (st) {
    gr_graph_free(g);
    return st;
  }
  GrTape *t;
  st = gr_tape_compile(g, &p.out, 1, NULL, &t, d);
  if (st) {
    gr_graph_free(g);
    return st;
  }
  for (int v = 0; v < g->nvars; v++) {
    double *x = gr_tape_var(t, v);
    int k = -1;
    for (int i = 0; i < n; i++)
      if (!strcmp(names[i], g->vars[v]))
        k = i;
    if (k < 0) {
      st = gr_diag_set(d, GR_EUSAGE, "no value for %s", g->vars[v]);
      gr_tape_free(t);
      gr_graph_free(g);
      return st;
    }
    if (x)
      *x = vals[k];
  }
  gr_tape_forward(t);
  *val = gr_tape_out(t, 0)[0];
  if (grad) {
    gr_tape_reverse(t, 0, NULL);
    for (int i = 0; i < n; i++) {
      int v = gr_var_index(g, names[i]);
      const double *gv = v >= 0 ? gr_tape_grad(t, v) : NULL;
      grad[i] = gv ? gv[0] : 0;
    }
  }
  gr_tape_free(t);
  gr_graph_free(g);
  return GR_OK;
}

/* Value of an expression without variables (aborts the test if it does not parse). */
static inline double tu_value(const char *src) {
  double v = NAN;
  GrDiag d;
  GrStatus st = tu_eval(src, NULL, NULL, 0, &v, NULL, &d);
  ck_assert_msg(st == GR_OK, "'%s' failed: %s", src, st ? d.msg : "");
  return v;
}

/* Value and derivative of a one-variable expression in x. */
static inline double tu_dx(const char *src, double x, double *dfdx) {
  static const char *const xn[] = {"x"};
  double v = NAN;
  GrDiag d;
  GrStatus st = tu_eval(src, xn, &x, 1, &v, dfdx, &d);
  ck_assert_msg(st == GR_OK, "'%s' failed: %s", src, st ? d.msg : "");
  return v;
}

/* Parse only; returns the status and fills d. */
static inline GrStatus tu_parse_status(const char *src, const char *const *vars, GrDiag *d) {
  GrGraph *g = gr_graph_new();
  GrParseOpts po = {vars, NULL, 0};
  GrParsed p;
  GrStatus st = gr_parse(g, src, &po, &p, d);
  gr_graph_free(g);
  return st;
}

/* |a - b| <= atol + rtol*max(|a|,|b|); equal infinities and two NaNs also match. */
static inline int tu_close(double a, double b, double rtol, double atol) {
  if (isnan(a) || isnan(b))
    return isnan(a) && isnan(b);
  if (isinf(a) || isinf(b))
    return a == b;
  double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return fabs(a - b) <= atol + rtol * m;
}

#define tu_assert_close(a, b, rtol, atol)                                                          \
  do {                                                                                             \
    double tu_a_ = (a), tu_b_ = (b);                                                               \
    ck_assert_msg(tu_close(tu_a_, tu_b_, rtol, atol), "%s = %.17g, expected %s = %.17g", #a,       \
                  tu_a_, #b, tu_b_);                                                               \
  } while (0)

/* A standard main: one suite, CK_FORK as the environment says. */
#define TU_MAIN(suite_fn)                                                                          \
  int main(void) {                                                                                 \
    gr_init();                                                                                     \
    SRunner *sr = srunner_create(suite_fn());                                                      \
    srunner_run_all(sr, CK_NORMAL);                                                                \
    int nf = srunner_ntests_failed(sr);                                                            \
    srunner_free(sr);                                                                              \
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;                                                       \
  }

#endif
