/* SPDX-License-Identifier: MIT
 * The simplifier's rules, one by one (text of the result), that its output reads back to
 * the same value, that it is canonical (differently written inputs meet in one node), that
 * it never folds to NaN and that long inputs stay bounded.
 */
#include "parse.h"
#include "print.h"
#include "simplify.h"
#include "tape.h"
#include <check.h>
#include <math.h>
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
      const GrNode *n = g->nodes[k];
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

int main(void) {
  gr_init();
  Suite *s = suite_create("simplify");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_rules);
  tcase_add_test(tc, test_canonical);
  tcase_add_test(tc, test_no_nan);
  tcase_add_test(tc, test_bounded);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? 1 : 0;
}
