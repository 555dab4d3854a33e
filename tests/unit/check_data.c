/* SPDX-License-Identifier: GPL-3.0-or-later
 * The data reader: headers, separators, comments, and an error naming file:line:column for
 * every kind of bad row (nothing is skipped silently).
 */
#include "data.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_header_whitespace_comments) {
  GrData d;
  GrDiag g;
  ck_assert_int_eq(gr_data_parse("# samples\nx\ty\n\n1 2  # trailing\n3\t4\r\n", "f", NULL, &d, &g),
                   GR_OK);
  ck_assert_int_eq(d.ncol, 2);
  ck_assert_str_eq(d.names[1], "y");
  ck_assert_int_eq(d.nrow, 2);
  ck_assert(d.col[0][1] == 3 && d.col[1][1] == 4);
  gr_data_free(&d);
}
END_TEST

START_TEST(test_commas_and_gnuplot_header) {
  GrData d;
  GrDiag g;
  ck_assert_int_eq(gr_data_parse("a, b\n1, -2.5e-1\n", "f", NULL, &d, &g), GR_OK);
  ck_assert(d.col[1][0] == -0.25);
  gr_data_free(&d);
  /* the output of minimize --format tsv: a commented header */
  ck_assert_int_eq(gr_data_parse("# iter x f\n0 1 2\n1 3 4\n", "f", NULL, &d, &g), GR_OK);
  ck_assert_str_eq(d.names[2], "f");
  ck_assert_int_eq(d.nrow, 2);
  gr_data_free(&d);
}
END_TEST

/* quoted fields read as their contents: the same data as the file without quotes */
START_TEST(test_quoted_fields) {
  GrData q, u;
  GrDiag d;
  ck_assert_int_eq(gr_data_parse("\"x\",\"y\"\n\"1\",2\n3,\"4.5\"\n", "f", NULL, &q, &d), GR_OK);
  ck_assert_int_eq(gr_data_parse("x,y\n1,2\n3,4.5\n", "f", NULL, &u, &d), GR_OK);
  ck_assert_int_eq(q.ncol, u.ncol);
  ck_assert_uint_eq(q.nrow, u.nrow);
  for (int k = 0; k < u.ncol; k++) {
    ck_assert_str_eq(q.names[k], u.names[k]);
    for (size_t i = 0; i < u.nrow; i++)
      ck_assert(q.col[k][i] == u.col[k][i]);
  }
  gr_data_free(&q);
  /* a comma inside quotes is part of the header field: --columns renames it */
  static char t[] = "t", v[] = "v";
  char *names[] = {t, v, NULL};
  ck_assert_int_eq(gr_data_parse("\"time (s)\",\"signal, mV\"\n1,2\n3,4.5\n", "f", names, &q, &d),
                   GR_OK);
  ck_assert_int_eq(q.ncol, 2);
  ck_assert_uint_eq(q.nrow, u.nrow);
  ck_assert(q.col[1][1] == u.col[1][1]);
  gr_data_free(&q);
  gr_data_free(&u);
}
END_TEST

START_TEST(test_columns_option) {
  GrData d;
  GrDiag g;
  static char u[] = "u", v[] = "v";
  char *names[] = {u, v, NULL};
  ck_assert_int_eq(gr_data_parse("1 2\n3 4\n", "f", names, &d, &g), GR_OK);
  ck_assert_str_eq(d.names[0], "u");
  gr_data_free(&d);
  /* a header in the file is replaced */
  ck_assert_int_eq(gr_data_parse("x y\n1 2\n", "f", names, &d, &g), GR_OK);
  ck_assert_int_eq(d.nrow, 1);
  gr_data_free(&d);
}
END_TEST

static const struct {
  const char *text, *msg;
} bad[] = {
    {"x y\n1 2\n3\n", "f:3:2: row has 1 field, expected 2 (missing field)"},
    {"x y\n1 2\n3 4 5\n", "f:3:5: row has 3 fields, expected 2 (extra field)"},
    {"x y\n1 2\n3 abc\n", "f:3:3: 'abc' is not a number (column y)"},
    {"x,y\n1,,\n", "f:2:4: row has 3 fields, expected 2 (extra field)"},
    {"x,y\n1,\n", "f:2:3: empty field (column y)"},
    {"x y\n1 nan\n", "f:2:3: 'nan' is not a finite number (column y)"},
    {"1 2\n", "f:1:1: no header line naming the columns (add one such as 'x y', or give --columns)"},
    {"x y\n", "f: no data rows"},
    {"# only a comment\n", "f: no data rows"},
    {"x x\n1 2\n", "f:1:3: column name 'x' appears twice"},
    {"x 2y\n1 2\n", "f:1:3: header field '2y' is not a column name (rename the columns with --columns)"},
};

START_TEST(test_bad_rows) {
  GrData d;
  GrDiag g;
  ck_assert_int_eq(gr_data_parse(bad[_i].text, "f", NULL, &d, &g), GR_EIO);
  ck_assert_str_eq(g.msg, bad[_i].msg);
}
END_TEST

int main(void) {
  Suite *s = suite_create("data");
  TCase *t = tcase_create("core");
  tcase_add_test(t, test_header_whitespace_comments);
  tcase_add_test(t, test_commas_and_gnuplot_header);
  tcase_add_test(t, test_columns_option);
  tcase_add_test(t, test_quoted_fields);
  tcase_add_loop_test(t, test_bad_rows, 0, (int)(sizeof bad / sizeof *bad));
  suite_add_tcase(s, t);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
