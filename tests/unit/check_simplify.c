/* SPDX-License-Identifier: GPL-3.0-or-later
 * The simplifier's rules, one by one (text of the result), that its output reads back to
 * the same value, that it is canonical (differently written inputs meet in one node), that
 * it never folds to NaN and that long inputs stay bounded.
 */
#include "deriv.h"
#include "parse.h"
#include "print.h"
#include "simplify.h"
#include "tape.h"
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the whole text (gr_print_str cuts long messages): read-back needs every character */
static char *print_full(const GrNode *n) {
  GrBuf b = {0};
  gr_print(&b, n, GR_PRINT_INFIX, 0);
  return b.s;
}

static GrNode *parse(GrGraph *g, const char *s) {
  GrParsed p;
  GrDiag d;
  ck_assert_msg(gr_parse(g, s, NULL, &p, &d) == GR_OK, "parse '%s': %s", s, d.msg);
  return p.out;
}

static double at(GrGraph *g, GrNode *f, double x, double y) {
  GrTape *t;
  GrDiag d;
  ck_assert(gr_tape_compile(g, &f, 1, NULL, &t, &d) == GR_OK);
  int vx = gr_var_index(g, "x"), vy = gr_var_index(g, "y");
  if (vx >= 0 && gr_tape_var(t, vx))
    gr_tape_var(t, vx)[0] = x;
  if (vy >= 0 && gr_tape_var(t, vy))
    gr_tape_var(t, vy)[0] = y;
  gr_tape_forward(t);
  double v = gr_tape_out(t, 0)[0];
  gr_tape_free(t);
  return v;
}

static const struct {
  const char *in, *out;
} rules[] = {
    {"x*x", "x^2"},
    {"x^2*x", "x^3"},
    {"x*x^2*x", "x^4"},
    {"2x + 3x", "5*x"},
    {"-(-x)", "x"},
    {"x - x", "0"},
    {"sin(x) - sin(x)", "0"},
    {"x + 0", "x"},
    {"0 + x*1", "x"},
    {"x*0 + 1*y", "y"},
    {"x^1", "x"},
    {"x^0", "1"},
    {"x/x", "1"},
    {"x^3/x", "x^2"},
    {"2*3*x", "6*x"},
    {"x/3 + x/3", "2*x/3"},
    {"1 + 2 + x", "x + 3"},
    {"3 + x^2 + 2x", "x^2 + 2*x + 3"},
    {"y + x", "x + y"},
    {"-x + y", "y - x"},
    {"1 - x^2 + 0", "1 - x^2"},
    {"-x^2 - 1", "-(x^2 + 1)"},
    {"(x*y)^2/x", "x*y^2"},
    {"(x*y)^2", "(x*y)^2"}, /* x^2*y^2 would have more operations */
    {"(x^2)^3", "x^6"},
    {"2*(x + 1) + x", "3*x + 2"},
    {"-(x - y)", "y - x"},
    {"x*y - y*x", "0"},
    {"if(x > 0, sin(x), sin(x))", "sin(x)"},
    {"sum([1, 2, 3])*x", "6*x"},
    {"exp(x)*2*exp(x)", "2*exp(x)^2"},
};

START_TEST(test_rules) {
  for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
    GrGraph *g = gr_graph_new();
    GrNode *f = parse(g, rules[i].in);
    GrNode *s = gr_simplify(g, f);
    char *txt = print_full(s);
    ck_assert_msg(!strcmp(txt, rules[i].out), "simplify %s: got '%s', want '%s'", rules[i].in, txt,
                  rules[i].out);
    ck_assert_uint_le(gr_count_ops(g, s), gr_count_ops(g, f));
    /* same value before and after, and the text reads back */
    GrNode *back = parse(g, txt);
    double a = at(g, f, 0.7, -1.3), b = at(g, back, 0.7, -1.3);
    ck_assert_msg(fabs(a - b) <= 1e-12 * (1 + fabs(a)), "%s: %.17g vs %.17g", rules[i].in, a, b);
    free(txt);
    gr_graph_free(g);
  }
}
END_TEST

/* differently written equal polynomials meet in one node */
START_TEST(test_canonical) {
  GrGraph *g = gr_graph_new();
  GrNode *a = gr_simplify(g, parse(g, "x*y*2 + x^2 + 1 - y*0"));
  GrNode *b = gr_simplify(g, parse(g, "1 + 2*y*x + x*x"));
  GrNode *c = gr_simplify(g, parse(g, "x^2 + (y + y)*x + 1"));
  ck_assert_ptr_eq(a, b);
  ck_assert_ptr_eq(a, c);
  gr_graph_free(g);
}
END_TEST

/* constant folding never produces NaN or inf; such sub-expressions stay as written */
START_TEST(test_no_nan) {
  const char *in[] = {"0/0*x", "x + (1e308*10 - 1e308*10)", "x*(1e300*1e300)", "log(0)*x", "x*inf - x*inf"};
  for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
    GrGraph *g = gr_graph_new();
    GrNode *s = gr_simplify(g, parse(g, in[i]));
    for (size_t k = 0; k < g->count; k++) {
      const GrNode *n = gr_graph_node(g, k);
      if (n->op == GR_OP_CONST && n->vlen == 1 && n->id > 0)
        ck_assert_msg(!isnan(n->num), "%s: a NaN constant appeared", in[i]);
    }
    (void)s;
    gr_graph_free(g);
  }
}
END_TEST

/* bounded: a long flat sum and a deep product chain finish, and never grow */
START_TEST(test_bounded) {
  GrGraph *g = gr_graph_new();
  GrNode *x = gr_var(g, "x"), *y = gr_var(g, "y"), *f = x, *p = x;
  for (int i = 0; i < 100000; i++) {
    f = gr_node(g, GR_OP_ADD, f, gr_node(g, GR_OP_MUL, gr_const(g, i % 7), i % 2 ? x : y, NULL), NULL);
    p = gr_node(g, GR_OP_MUL, gr_node(g, GR_OP_SIN, p, NULL, NULL), i % 2 ? x : y, NULL);
  }
  GrNode *s = gr_simplify(g, f), *q = gr_simplify(g, p);
  ck_assert_uint_le(gr_count_ops(g, s), gr_count_ops(g, f));
  ck_assert_uint_le(gr_count_ops(g, q), gr_count_ops(g, p));
  double a = at(g, f, 0.5, 0.25), b = at(g, s, 0.5, 0.25);
  ck_assert(fabs(a - b) <= 1e-9 * fabs(a));
  gr_graph_free(g);
}
END_TEST

/* Derivatives simplified after every step (as --order and --symbolic do) grow the graph
 * while the simplifier sorts: its per-node key table is reallocated in the middle of a
 * comparison. The simplified derivative must keep the raw derivative's value. */
static char *logistic(int steps) {
  GrBuf b = {0};
  char line[64];
  gr_buf_puts(&b, "l1 = 4x(1 - x)");
  for (int i = 2; i <= steps; i++) {
    snprintf(line, sizeof line, "; l%d = 4l%d(1 - l%d)", i, i - 1, i - 1);
    gr_buf_puts(&b, line);
  }
  snprintf(line, sizeof line, "; l%d", steps);
  gr_buf_puts(&b, line);
  return b.s;
}

START_TEST(test_grown_keys) {
  static const struct {
    const char *src;
    int order;
    double x;
  } cases[] = {
      {"sin(sigmoid(x))", 2, 0.3},
      {"sin(sigmoid(x))", 4, -1.1},
      {"atan2(hypot(log(x^2+2),0.51*0.7),asin(0.9*sin(x)))", 4, -0.7},
      {NULL, 1, 0.3}, /* a 12-step logistic map */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *src = cases[i].src ? NULL : logistic(12);
    const char *text = cases[i].src ? cases[i].src : src;
    GrGraph *g = gr_graph_new();
    GrDeriv *D = gr_deriv_new(g);
    GrNode *raw = gr_strip_lets(g, parse(g, text)), *simp = gr_simplify(g, raw), *x = gr_var(g, "x");
    GrDiag d;
    for (int k = 0; k < cases[i].order; k++) {
      ck_assert(gr_deriv(D, raw, x, &raw, &d) == GR_OK);
      ck_assert(gr_deriv(D, simp, x, &simp, &d) == GR_OK);
      simp = gr_simplify_ex(g, simp, cases[i].order > 1);
    }
    double a = at(g, raw, cases[i].x, 0), b = at(g, simp, cases[i].x, 0);
    ck_assert_msg(isfinite(a) && fabs(a - b) <= 1e-9 * (1 + fabs(a)), "%s, order %d: %.17g vs %.17g",
                  text, cases[i].order, a, b);
    gr_deriv_free(D);
    gr_graph_free(g);
    free(src);
  }
  /* 300 steps: the derivative of the simplified chain, printed with common subexpressions */
  char *src = logistic(300);
  GrGraph *g = gr_graph_new();
  GrDeriv *D = gr_deriv_new(g);
  GrNode *f = gr_simplify(g, gr_strip_lets(g, parse(g, src))), *df;
  GrDiag d;
  ck_assert(gr_deriv(D, f, gr_var(g, "x"), &df, &d) == GR_OK);
  df = gr_simplify(g, df);
  GrBuf b = {0};
  const char *name = "d/dx";
  ck_assert_int_gt(gr_print_cse(&b, g, &df, &name, 1, GR_PRINT_INFIX, 0), 0);
  ck_assert_ptr_nonnull(strstr(b.s, "d/dx = "));
  free(b.s);
  gr_deriv_free(D);
  gr_graph_free(g);
  free(src);
}
END_TEST

/* simplification keeps the value: a product whose vector factors cancel keeps its shape
 * (sum(v*x/v) is 3*x for three elements, not x), and a product folding to 0 keeps the sign
 * of its zero where atan2 or a divisor reads it */
START_TEST(test_keeps_value) {
  static const struct {
    const char *src;
    double x;
  } cases[] = {
      {"sum(hypot([1, 2, 3], x)*x/hypot([1, 2, 3], x))", 2},
      {"sum([1, 2, 3]^(0*x)*x)", 2},
      {"norm(hypot([-2, pi, -1], x))", 2.1},
      {"atan2(0*x, -1)", -1},
      {"1/(0*x)", -1},
      {"(0*x)^(-1)", -1},
      /* d/dx = x/(x^2 + x^2) - x/(x^2 + x^2): NaN at 0, not 0 */
      {"atan2(x, x)", 0},
      {"atan2(x, x)", 1.5},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    GrGraph *g = gr_graph_new();
    GrDeriv *D = gr_deriv_new(g);
    GrNode *f = gr_strip_lets(g, parse(g, cases[i].src)), *x = gr_var(g, "x"), *df;
    GrDiag d;
    ck_assert(gr_deriv(D, f, x, &df, &d) == GR_OK);
    GrNode *raw[2] = {f, df};
    for (int k = 0; k < 2; k++) {
      double a = at(g, raw[k], cases[i].x, 0), b = at(g, gr_simplify(g, raw[k]), cases[i].x, 0);
      ck_assert_msg(a == b || (isnan(a) && isnan(b)) || fabs(a - b) <= 1e-12 * fabs(a), "%s (%s): %.17g, simplified %.17g",
                    cases[i].src, k ? "d/dx" : "f", a, b);
    }
    gr_deriv_free(D);
    gr_graph_free(g);
  }
}
END_TEST

int main(void) {
  gr_init();
  Suite *s = suite_create("simplify");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_rules);
  tcase_add_test(tc, test_canonical);
  tcase_add_test(tc, test_no_nan);
  tcase_add_test(tc, test_bounded);
  tcase_add_test(tc, test_grown_keys);
  tcase_add_test(tc, test_keeps_value);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? 1 : 0;
}
