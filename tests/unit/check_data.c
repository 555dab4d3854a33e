/* SPDX-License-Identifier: GPL-3.0-or-later
 * The data reader: headers, separators, comments, and an error naming file:line:column for
 * every kind of bad row (nothing is skipped silently).
 */
#include "data.h"
#include <check.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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


/* A file read as consecutive byte ranges (as processes under mpirun read it) gives exactly
 * the rows of reading it whole, for every split point, and an error names the same
 * file:line:column whichever range holds the bad row. */
static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static const char *const range_texts[] = {
    "# data\nx,y\r\n0,1.5\n# c1\n1,2.25\n\n2,4.125 # t\n   \n3,7.0625\r\n# c2\n4,11.5\n5,17.25",
    "# x y\n1 2\n3 4\n\n# comment at the end\n5 6\n",
    "a b\n1 2\n3 4\n5 6\n7 8\n9 10\n11 12\n"};

START_TEST(test_ranges) {
  char path[] = "check_data_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  write_file(path, range_texts[_i]);
  GrData whole, head;
  GrDiag d;
  ck_assert_int_eq(gr_data_read(path, NULL, &whole, &d), GR_OK);
  uint64_t start, size;
  ck_assert_int_eq(gr_data_head(path, NULL, NULL, 0, &head, &start, &size, &d), GR_OK);
  ck_assert_int_eq(head.ncol, whole.ncol);
  for (uint64_t a = start; a <= size; a++)
    for (uint64_t b = a; b <= size; b++) {
      /* three ranges [start, a), [a, b), [b, size) */
      uint64_t cut[4] = {start, a, b, size}, nl = 0;
      size_t k = 0;
      ck_assert_int_eq(gr_data_count_lines(path, 0, start, &nl, &d), GR_OK);
      for (int r = 0; r < 3; r++) {
        uint64_t in;
        GrData part;
        ck_assert_int_eq(gr_data_count_lines(path, cut[r], cut[r + 1], &in, &d), GR_OK);
        ck_assert_int_eq(gr_data_read_range(path, &head, NULL, 0, cut[r], cut[r + 1], nl, in,
                                            &part, &d), GR_OK);
        for (size_t i = 0; i < part.nrow; i++, k++)
          for (int c = 0; c < whole.ncol; c++)
            ck_assert(k < whole.nrow && part.col[c][i] == whole.col[c][k]);
        nl += in;
        gr_data_free(&part);
      }
      ck_assert_uint_eq(k, whole.nrow);
    }
  gr_data_free(&head);
  gr_data_free(&whole);
  unlink(path);
}
END_TEST

START_TEST(test_range_errors) {
  char path[] = "check_data_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  write_file(path, "x y\n1 2\n# c\n3 4\n\n5 oops\n7 8\n");
  GrData whole, head;
  GrDiag d;
  ck_assert_int_eq(gr_data_read(path, NULL, &whole, &d), GR_EIO);
  char want[sizeof d.msg];
  snprintf(want, sizeof want, "%s", d.msg);
  ck_assert_ptr_nonnull(strstr(want, ":6:3: 'oops' is not a number"));
  uint64_t start, size;
  ck_assert_int_eq(gr_data_head(path, NULL, NULL, 0, &head, &start, &size, &d), GR_OK);
  for (uint64_t a = start; a <= size; a++) {
    uint64_t cut[3] = {start, a, size}, nl = 0;
    int errs = 0;
    ck_assert_int_eq(gr_data_count_lines(path, 0, start, &nl, &d), GR_OK);
    for (int r = 0; r < 2; r++) {
      uint64_t in;
      GrData part;
      ck_assert_int_eq(gr_data_count_lines(path, cut[r], cut[r + 1], &in, &d), GR_OK);
      if (gr_data_read_range(path, &head, NULL, 0, cut[r], cut[r + 1], nl, in, &part, &d) !=
          GR_OK) {
        ck_assert_str_eq(d.msg, want);
        errs++;
      } else
        gr_data_free(&part);
      nl += in;
    }
    ck_assert_int_eq(errs, 1);
  }
  gr_data_free(&head);
  unlink(path);
}
END_TEST

/* Every number is the correctly rounded double: random decimal strings (the reader's fast
 * path and the ones it leaves to strtod) against strtod. */
START_TEST(test_numbers_exact) {
  enum { N = 20000 };
  char *text = malloc((size_t)N * 40 + 8), *p = text;
  static char nums[N][40];
  unsigned long s = 12345;
  p += sprintf(p, "v\n");
  for (int i = 0; i < N; i++) {
    char *q = nums[i];
    s = s * 6364136223846793005UL + 1442695040888963407UL;
    unsigned long r = s >> 11;
    if (r & 1)
      *q++ = '-';
    int nd = 1 + (int)((r >> 1) % 22), dot = (int)((r >> 6) % (unsigned long)(nd + 1));
    for (int k = 0; k < nd; k++) {
      if (k == dot && k > 0)
        *q++ = '.';
      s = s * 6364136223846793005UL + 1442695040888963407UL;
      *q++ = (char)('0' + (s >> 33) % 10);
    }
    if ((r >> 12) & 1)
      q += sprintf(q, "e%d", (int)((r >> 13) % 70) - 35);
    *q = 0;
    p += sprintf(p, "%s\n", nums[i]);
  }
  GrData d;
  GrDiag g;
  GrStatus st = gr_data_parse(text, "f", NULL, &d, &g);
  ck_assert_msg(st == GR_OK, "%s", g.msg);
  ck_assert_uint_eq(d.nrow, N);
  for (int i = 0; i < N; i++) {
    double want = strtod(nums[i], NULL);
    ck_assert_msg(memcmp(&d.col[0][i], &want, sizeof want) == 0, "%s: %.17g, strtod %.17g",
                  nums[i], d.col[0][i], want);
  }
  gr_data_free(&d);
  free(text);
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
  tcase_add_loop_test(t, test_ranges, 0, (int)(sizeof range_texts / sizeof *range_texts));
  tcase_add_test(t, test_range_errors);
  tcase_add_test(t, test_numbers_exact);
  suite_add_tcase(s, t);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
