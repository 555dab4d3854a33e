/* SPDX-License-Identifier: GPL-3.0-or-later
 * The command-line helpers shared by grad and minimize: NAME=VALUE lists (--at, --from),
 * each malformed item refused with a message and a span that points at it; list
 * splitting that respects brackets; JSON string escaping; the output-path check.
 */
#include "cliutil.h"
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_binds_good) {
  GrBindList l = {0};
  GrDiag d;
  ck_assert_int_eq(gr_binds_parse(&l, " x = 2*pi , v=[1, 2+1,sqrt(16)], y=-0.5", &d), GR_OK);
  ck_assert_int_eq(l.n, 3);
  const GrBind *x = gr_binds_find(&l, "x"), *v = gr_binds_find(&l, "v");
  ck_assert(x && x->n == 1 && x->v[0] == 2 * M_PI && !x->vector);
  ck_assert(v && v->n == 3 && v->vector && v->v[0] == 1 && v->v[1] == 3 && v->v[2] == 4);
  ck_assert_ptr_null(gr_binds_find(&l, "z"));
  /* a later item for the same name replaces the earlier one */
  ck_assert_int_eq(gr_binds_parse(&l, "x=7", &d), GR_OK);
  ck_assert_int_eq(l.n, 3);
  ck_assert(gr_binds_find(&l, "x")->v[0] == 7);
  /* a vector of one stays a vector */
  ck_assert_int_eq(gr_binds_parse(&l, "w=[5]", &d), GR_OK);
  ck_assert(gr_binds_find(&l, "w")->vector && gr_binds_find(&l, "w")->n == 1);
  /* more names than the first allocation holds */
  for (int i = 0; i < 20; i++) {
    char buf[32];
    snprintf(buf, sizeof buf, "n%d=%d", i, i);
    ck_assert_int_eq(gr_binds_parse(&l, buf, &d), GR_OK);
  }
  ck_assert_int_eq(l.n, 24);
  ck_assert(gr_binds_find(&l, "n19")->v[0] == 19);
  gr_binds_free(&l);
}
END_TEST

static const struct {
  const char *text, *msg;
  size_t off; /* where the span starts */
} bad[] = {
    {"x", "expected NAME=VALUE, found 'x'", 0},
    {"x=1,y", "expected NAME=VALUE, found 'y'", 4},
    {"2x=1", "'2x' is not a valid name", 0},
    {"=1", "is not a valid name", 0},
    {"x-y=1", "'x-y' is not a valid name", 0},
    {"x=", "missing value for 'x'", 2},
    {"x=1,y=  ", "missing value for 'y'", 8},
    {"v=[1,2", "expected ']' to close the vector for 'v'", 2},
    {"v=[1,2]x", "expected ']' to close the vector for 'v'", 2},
    {"v=[]", "in the value of 'v': empty expression", 2},
    {"v=[1,q]", "in the value of 'v'", 5},
    {"x=1+", "in the value of 'x'", 2},
    {"x=foo", "in the value of 'x'", 2},
};

START_TEST(test_binds_bad) {
  GrBindList l = {0};
  GrDiag d;
  ck_assert_msg(gr_binds_parse(&l, bad[_i].text, &d) == GR_EUSAGE, "'%s' accepted", bad[_i].text);
  ck_assert_msg(strstr(d.msg, bad[_i].msg) != NULL, "'%s': message '%s', want '%s'", bad[_i].text,
                d.msg, bad[_i].msg);
  ck_assert_msg(d.has_span && d.off >= bad[_i].off && d.off <= strlen(bad[_i].text),
                "'%s': span at %zu, want from %zu", bad[_i].text, d.off, bad[_i].off);
  gr_binds_free(&l);
}
END_TEST

START_TEST(test_binds_long_name) {
  char buf[300];
  memset(buf, 'a', 200);
  strcpy(buf + 200, "=1");
  GrBindList l = {0};
  GrDiag d;
  ck_assert_int_eq(gr_binds_parse(&l, buf, &d), GR_EUSAGE);
  ck_assert_str_eq(d.msg, "name too long");
  gr_binds_free(&l);
}
END_TEST

START_TEST(test_split_list) {
  int n = 0;
  char **v = gr_split_list("a,f(b,c),[1,2],d", &n);
  ck_assert_int_eq(n, 4);
  ck_assert_str_eq(v[0], "a");
  ck_assert_str_eq(v[1], "f(b,c)");
  ck_assert_str_eq(v[2], "[1,2]");
  ck_assert_str_eq(v[3], "d");
  ck_assert_ptr_null(v[4]);
  gr_free_list(v);
  GrDiag d;
  ck_assert_int_eq(gr_list_check("x,,y", &d), GR_EUSAGE); /* an empty item */
  ck_assert_int_eq(gr_list_check("x,y", &d), GR_OK);
}
END_TEST

START_TEST(test_eval_const) {
  double v;
  GrDiag d;
  ck_assert_int_eq(gr_eval_const("exp(1) - e", &v, &d), GR_OK);
  ck_assert(v == 0);
  ck_assert_int_eq(gr_eval_const("x + 1", &v, &d), GR_EUSAGE); /* not a constant */
  ck_assert_int_eq(gr_eval_const("a = 1; a", &v, &d), GR_EUSAGE); /* one expression only */
  ck_assert_int_eq(gr_eval_const("(", &v, &d), GR_EUSAGE);
}
END_TEST

START_TEST(test_json_str) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  gr_json_str(f, "a\"b\\c\nd\te\x01");
  fclose(f);
  ck_assert_str_eq(buf, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
  free(buf);
}
END_TEST

START_TEST(test_output_path) {
  GrDiag d;
  ck_assert_int_eq(gr_check_output_path("no-such-dir-here/out.png", &d), GR_EIO);
  ck_assert_ptr_nonnull(strstr(d.msg, "no-such-dir-here"));
  ck_assert_int_eq(gr_check_output_path("out-in-cwd.png", &d), GR_OK);
}
END_TEST

START_TEST(test_find_nul) {
  const char s[] = "ab\ncd\0ef";
  size_t off, line, col;
  ck_assert(gr_find_nul(s, sizeof s - 1, &off, &line, &col));
  ck_assert(off == 5 && line == 2 && col == 3);
  ck_assert(!gr_find_nul("abc", 3, &off, &line, &col));
}
END_TEST

int main(void) {
  gr_init();
  Suite *s = suite_create("cliutil");
  TCase *tc = tcase_create("cliutil");
  tcase_add_test(tc, test_binds_good);
  tcase_add_loop_test(tc, test_binds_bad, 0, (int)(sizeof bad / sizeof *bad));
  tcase_add_test(tc, test_binds_long_name);
  tcase_add_test(tc, test_split_list);
  tcase_add_test(tc, test_eval_const);
  tcase_add_test(tc, test_json_str);
  tcase_add_test(tc, test_output_path);
  tcase_add_test(tc, test_find_nul);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
