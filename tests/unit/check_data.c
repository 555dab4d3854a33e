/* SPDX-License-Identifier: GPL-3.0-or-later
 * The data reader: headers, separators, comments, and an error naming file:line:column for
 * every kind of bad row (nothing is skipped silently).
 */
#include "data.h"
#include "dtoa.h"
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdint.h>
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


static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

/* a new file holding text, named from the template path ("..._XXXXXX", filled in) */
static void write_temp(char *path, const char *text) {
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  write_file(path, text);
}

/* text, a data file with a header line and nrow rows of ncol numbers, read from the string
 * (fast_num) and from a file (its rows go through the row reader): row i, column c must be
 * exactly strtod of the number text nums + ((i + c) % nnum) * stride. */
static void check_reads_as_strtod(const char *text, size_t nrow, int ncol, const char *nums,
                                  size_t stride, size_t nnum) {
  char path[] = "check_data_XXXXXX";
  write_temp(path, text);
  for (int via = 0; via < 2; via++) {
    GrData d;
    GrDiag g;
    GrStatus st = via ? gr_data_read(path, NULL, &d, &g) : gr_data_parse(text, "f", NULL, &d, &g);
    ck_assert_msg(st == GR_OK, "%s", g.msg);
    ck_assert_uint_eq(d.nrow, nrow);
    for (size_t i = 0; i < nrow; i++)
      for (int c = 0; c < ncol; c++) {
        const char *t = nums + (i + (size_t)c) % nnum * stride;
        double want = strtod(t, NULL);
        ck_assert_msg(memcmp(&d.col[c][i], &want, sizeof want) == 0,
                      "%s (%s): %.17g, strtod %.17g", t, via ? "file" : "string", d.col[c][i],
                      want);
      }
    gr_data_free(&d);
  }
  unlink(path);
}

/* A file read as consecutive byte ranges (as processes under mpirun read it) gives exactly
 * the rows of reading it whole, for every split point, and an error names the same
 * file:line:column whichever range holds the bad row. */
static const char *const range_texts[] = {
    "# data\nx,y\r\n0,1.5\n# c1\n1,2.25\n\n2,4.125 # t\n   \n3,7.0625\r\n# c2\n4,11.5\n5,17.25",
    "# x y\n1 2\n3 4\n\n# comment at the end\n5 6\n",
    "a b\n1 2\n3 4\n5 6\n7 8\n9 10\n11 12\n"};

START_TEST(test_ranges) {
  char path[] = "check_data_XXXXXX";
  write_temp(path, range_texts[_i]);
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
  write_temp(path, "x y\n1 2\n# c\n3 4\n\n5 oops\n7 8\n");
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
  check_reads_as_strtod(text, N, 1, nums[0], sizeof nums[0], N);
  free(text);
}
END_TEST

/* Rows of every odd shape read from a file (where plain rows take a faster road) exactly as
 * from a string: the same values, or the same message naming the same place. */
static const char *const shapes[] = {
    "x y\n1 2\n3 4\n5,6\n7 8\n",
    "x,y\n1,2\n3 , 4\n5,  6  \n7\t,\t8\r\n9,10\n11,12,\n",
    "x y\n1 2\n3 4\n5 6 7\n",
    "x y\n1 2\n3 4\n5\n",
    "x y\n1 2\n3 4\n5 6,7\n",
    "x y\n1 2\n3 4\n 5 6 # c\n\"7\" 8\n9\r10\n11 12\r \n13 1e-400\n14 -0\n",
    "x y\n1 2\n3 4\n5 1e999\n",
    "x y\n1 2\n3 4\n5 inf\n",
    "x y\n1 2\n3 4\n5 nan\n",
    "x y\n1 2\n3 4\n5 0x1p3\n",
    "x y\n1 2\n3 4\n5 6e\n",
    "x y\n1 2\n3 4\n5 .\n",
    "x y\n1 2\n3 4\n5 -\n",
    "x y\n1 2\n3 4\n5 6a\n",
    "x,y\n1,2\n3,4\n5,,6\n",
    "x,y\n1,2\n3,4\n,6\n",
    "x y\n1 2\n3 4\n5 6\0\n",
    "x y\n1 2\n3 4\n5 6",
    "x y\n1 2\n3 4\n5 6\n\n\n7 8",
    "x y\n1 2\n3 4\n\v5 6\f\n",
    "x y\n1 2\n3 4\n12345678901234567890123 1.5\n",
    "x y z\n1 2 3\n4 5 6\n7 8,9\n",
    "x y z\n1,2,3\n4,5,6\n7,8 9\n",
    /* a field shorter than the one above it, then what the row reader must not skip (the
     * first row is feed_line's) */
    "x,y\n1,2\n10,2\n5,,6\n",
    "x y\n1 2\n10 2\n5\n",
    "x y\n1 2\n-10 2\n+5, 6\n",
    "x,y\n1,2\n3,40\n5,6,\n",
};

START_TEST(test_file_like_string) {
  const char *text = shapes[_i];
  size_t len = strlen(text) + (_i == 16 ? 2 : 0); /* the one with a NUL byte */
  char path[] = "check_data_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert(write(fd, text, len) == (ssize_t)len);
  close(fd);
  GrData a, b;
  GrDiag da, db;
  char *copy = malloc(len + 1);
  memcpy(copy, text, len);
  copy[len] = 0;
  GrStatus sa = gr_data_parse(copy, path, NULL, &a, &da);
  GrStatus sb = gr_data_read(path, NULL, &b, &db);
  if (_i != 16) { /* a string ends at its NUL: only the file sees the byte */
    ck_assert_int_eq(sa, sb);
    if (sa != GR_OK)
      ck_assert_str_eq(da.msg, db.msg);
  } else
    ck_assert_int_eq(sb, GR_EIO);
  if (sa == GR_OK && sb == GR_OK) {
    ck_assert_uint_eq(a.nrow, b.nrow);
    for (size_t i = 0; i < a.nrow; i++)
      for (int c = 0; c < a.ncol; c++)
        ck_assert(memcmp(&a.col[c][i], &b.col[c][i], sizeof(double)) == 0);
  }
  if (sa == GR_OK)
    gr_data_free(&a);
  if (sb == GR_OK)
    gr_data_free(&b);
  free(copy);
  unlink(path);
}
END_TEST

static uint64_t rng(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  uint64_t x = *s;
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ull;
  return x ^ (x >> 32);
}

/* Numbers as data files hold them, each read from a string and from a file (in three
 * columns, blanks and commas) bit-identical to strtod: hard cases (19 and 20 digit
 * mantissas, halfway cases, subnormals, -0, huge exponents, leading zeros, '+' signs, hex)
 * and random ones of every shape: integers, fixed decimals, %.17g of random doubles (which
 * must also read back to those doubles), long mantissas with any exponent. */
static const char *const hard[] = {
    "0", "-0", "+0", "-0.0", "0e999999", "-0e-999999", "000", "0.000", "00012.3400",
    "+1.5", "-000.000123", "1e23", "8.98846567431158e307", "9007199254740993",
    "9007199254740992", "9007199254740994", "9007199254740995", "18014398509481985",
    "9007199254740993.0", "9007199254740993e-5", "1.00000000000000011102230246251565404",
    "1.0000000000000001110223024625156540", "1.000000000000000111", "1.0000000000000001111",
    "9999999999999999999", "99999999999999999999", "12345678901234567890",
    "1234567890123456789e-300", "18446744073709551615", "18446744073709551616",
    "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072014e-308",
    "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
    "5e-324", "1e-320", "1e-400", "-1e-400", "1.7976931348623157e308",
    "1.7976931348623158e308", "1e308", "0.1", "0.3", "3.14159265358979323846",
    "7.2057594037927933e16", "123456789012345678e-350", "1e-5", "1E+5", "1.e5", ".5e-1",
    "0x10", "0x1.8p1", "-0X1P-3", "1e0000000000000000000000001", "0.0000000000000000000000001"};

START_TEST(test_numbers_hard) {
  enum { NR = 30000 };
  size_t nh = sizeof hard / sizeof *hard, n = nh + NR;
  char(*nums)[48] = malloc(n * sizeof *nums);
  uint64_t s = 42;
  for (size_t i = 0; i < n; i++) {
    char *q = nums[i];
    if (i < nh) {
      snprintf(q, 48, "%s", hard[i]);
      continue;
    }
    uint64_t r = rng(&s);
    switch (r % 5) {
    case 0: /* integers */
      snprintf(q, 48, "%lld", (long long)(rng(&s) >> (r >> 8) % 64) * ((r >> 16) & 1 ? -1 : 1));
      break;
    case 1: /* fixed decimals */
      snprintf(q, 48, "%.*f", (int)((r >> 8) % 12), (double)(rng(&s) % 2000000) / 1000.0 - 1000);
      break;
    case 2: { /* %.17g of a random finite double */
      double v;
      do {
        uint64_t b = rng(&s);
        memcpy(&v, &b, sizeof v);
      } while (!isfinite(v));
      snprintf(q, 48, "%.17g", v);
      double back = strtod(q, NULL);
      ck_assert(memcmp(&back, &v, sizeof v) == 0);
      break;
    }
    case 3: /* %.6e and %.9g */
      snprintf(q, 48, (r >> 8) & 1 ? "%.6e" : "%.9g", (double)rng(&s) / 1e12 *
               pow(10, (double)((int)((r >> 9) % 80) - 40)));
      break;
    default: { /* 15 to 20 digit mantissas, any exponent, leading zeros and signs */
      int nd = 15 + (int)((r >> 8) % 6), k = 0;
      const char *sign = (r >> 12) % 3 == 0 ? "-" : (r >> 12) % 3 == 1 ? "+" : "";
      k += snprintf(q, 48, "%s%s", sign, (r >> 14) & 1 ? "00" : "");
      for (int j = 0; j < nd; j++) {
        if (j == 1 && (r >> 15) & 1)
          q[k++] = '.';
        q[k++] = (char)('0' + (j == 0 ? 1 + rng(&s) % 9 : rng(&s) % 10));
      }
      snprintf(q + k, (size_t)(48 - k), "e%d", (int)(rng(&s) % 660) - 345);
      break;
    }
    }
    errno = 0;
    double v = strtod(q, NULL);
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1))
      snprintf(q, 48, "1"); /* overflow: an error in a data file, tested elsewhere */
  }
  size_t cap = n * 3 * 52 + 16, len = 0;
  char *text = malloc(cap);
  len += (size_t)snprintf(text, cap, "a b c\n");
  for (size_t i = 0; i < n; i++) /* each number in each column, blanks or commas */
    len += (size_t)snprintf(text + len, cap - len, i % 2 ? "%s %s\t%s\n" : "%s, %s ,%s\r\n",
                            nums[i], nums[(i + 1) % n], nums[(i + 2) % n]);
  check_reads_as_strtod(text, n, 3, nums[0], sizeof nums[0], n);
  free(text);
  free(nums);
}
END_TEST

/* Runs of every length from 0 to 24 digits before and after the point (the row reader
 * takes digits eight at a time, so every length and every alignment of a run against the
 * eight-byte words), with leading zeros, signs and exponents, and the numbers as the bench
 * writes them (%.9g, %d, %.6f, %.17g, %.6e), in a file of more than one chunk: all as strtod. */
START_TEST(test_digit_runs) {
  enum { NRUN = 25 * 26 * 12, NFMT = 5 * 3000, N = NRUN + NFMT };
  static const char *const fmts[] = {"%.9g", "%.0f", "%.6f", "%.17g", "%.6e"};
  char(*nums)[64] = malloc(N * sizeof *nums);
  uint64_t s = 99;
  for (int i = 0; i < N; i++) {
    char *q = nums[i];
    uint64_t r = rng(&s);
    if (i >= NRUN) {
      int f = (i - NRUN) % 5;
      double v = (double)(rng(&s) >> 11) / 9007199254740992.0 * 2 - 1;
      v *= f == 1 ? 1e6 : f >= 3 ? pow(10, (double)((int)(r % 40) - 20)) : 1;
      snprintf(q, 64, fmts[f], v);
      continue;
    }
    int ni = i / 12 % 25, nf = i / 12 / 25 - 1, k = 0; /* nf -1: no point */
    if (ni == 0 && nf <= 0)
      nf = 1;
    q[k++] = r & 1 ? '-' : (r >> 1) & 1 ? '+' : '0';
    for (int j = 0; j < ni; j++)
      q[k++] = (char)('0' + (j == 0 && (r >> 2) % 4 == 0 ? 0 : rng(&s) % 10));
    if (nf >= 0)
      q[k++] = '.';
    for (int j = 0; j < nf; j++)
      q[k++] = (char)('0' + ((r >> 4) % 3 == 0 && j < nf / 2 ? 0 : rng(&s) % 10));
    if ((r >> 8) % 3 == 0)
      k += snprintf(q + k, (size_t)(64 - k), "e%d", (int)((r >> 10) % 61) - 30);
    q[k] = 0;
  }
  size_t cap = (size_t)N * 3 * 68 + 16, len = 0;
  char *text = malloc(cap);
  len += (size_t)snprintf(text, cap, "a b c\n");
  for (int i = 0; i < N; i++)
    len += (size_t)snprintf(text + len, cap - len, i % 3 ? "%s %s %s\n" : "%s,%s,%s\r\n",
                            nums[i], nums[(i + 1) % N], nums[(i + 2) % N]);
  ck_assert_uint_gt(len, (size_t)1 << 20); /* rows across a 1 MiB chunk boundary */
  check_reads_as_strtod(text, N, 3, nums[0], sizeof nums[0], N);
  free(text);
  free(nums);
}
END_TEST

/* Integers as the row reader takes them without a fraction or an exponent (its value is
 * the mantissa, converted once): random ones of 1 to 20 digits, with signs and leading
 * zeros, those around 2^53, 2^63 and 2^64 and the largest of 19 and 20 digits, in three
 * columns with blanks and commas, in a file of more than one chunk: all as strtod. */
START_TEST(test_integers) {
  enum { N = 60000 };
  static const char *const edge[] = {
      "0", "-0", "+0", "000", "-000", "9007199254740991", "9007199254740992", "9007199254740993",
      "9007199254740994", "9007199254740995", "-9007199254740993", "9223372036854775807",
      "9223372036854775808", "9223372036854775809", "-9223372036854775809",
      "9223372036854776833", "18446744073709551615", "18446744073709551616",
      "9999999999999999999", "99999999999999999999", "10000000000000000000",
      "0009999999999999999", "-00018446744073709551615", "+12345678901234567890"};
  size_t ne = sizeof edge / sizeof *edge;
  char(*nums)[32] = malloc(N * sizeof *nums);
  uint64_t s = 2024;
  for (size_t i = 0; i < N; i++) {
    char *q = nums[i];
    if (i < ne) {
      snprintf(q, 32, "%s", edge[i]);
      continue;
    }
    uint64_t r = rng(&s);
    int nd = 1 + (int)(r % 20), k = 0, zeros = (r >> 8) % 4 == 0 ? (int)((r >> 10) % 4) : 0;
    q[k++] = (r >> 12) % 3 == 0 ? '-' : (r >> 12) % 3 == 1 ? '+' : '0';
    for (int j = 0; j < zeros; j++)
      q[k++] = '0';
    for (int j = 0; j < nd; j++)
      q[k++] = (char)('0' + (j == 0 ? 1 + rng(&s) % 9 : rng(&s) % 10));
    q[k] = 0;
    if ((r >> 16) % 8 == 0) /* near 2^53 ... 2^63, and 2^63 more (to 2^64): rounded */
      snprintf(q, 32, "%s%" PRIu64, (r >> 20) & 1 ? "-" : "",
               ((uint64_t)1 << (53 + (r >> 21) % 11)) + (rng(&s) % 4096) - 2048 +
                   ((r >> 30) % 3 == 0 ? (uint64_t)1 << 63 : 0));
  }
  size_t cap = (size_t)N * 3 * 36 + 16, len = 0;
  char *text = malloc(cap);
  len += (size_t)snprintf(text, cap, "a b c\n");
  for (size_t i = 0; i < N; i++)
    len += (size_t)snprintf(text + len, cap - len, i % 3 ? "%s %s\t%s\n" : "%s,%s , %s\r\n",
                            nums[i], nums[(i + 1) % N], nums[(i + 2) % N]);
  ck_assert_uint_gt(len, (size_t)1 << 21); /* rows across 1 MiB chunk boundaries */
  check_reads_as_strtod(text, N, 3, nums[0], sizeof nums[0], N);
  free(text);
  free(nums);
}
END_TEST

/* gr_data_count_lines (which counts sixteen bytes at a time; a fit over processes sizes
 * each range's columns by it) against counting byte by byte, over random ranges of a text of random
 * lines, long runs without a newline and runs of nothing but newlines. */
START_TEST(test_count_lines) {
  enum { N = 70000 };
  char *text = malloc(N + 1);
  uint64_t s = 5;
  for (size_t i = 0; i < N;) {
    uint64_t r = rng(&s);
    size_t run = 1 + r % (r & 256 ? 9000 : 40);
    for (size_t j = 0; j < run && i < N; j++, i++)
      text[i] = r & 512 ? '\n' : (char)(r & 1024 ? 'a' + rng(&s) % 26 : rng(&s) % 8 ? '1' : '\n');
  }
  text[N] = 0;
  char path[] = "check_data_XXXXXX";
  write_temp(path, text);
  for (int t = 0; t < 300; t++) {
    uint64_t a = rng(&s) % (N + 1), b = rng(&s) % (N + 1), nl, want = 0;
    if (t == 0)
      a = 0, b = N;
    if (a > b) {
      uint64_t x = a;
      a = b;
      b = x;
    }
    for (uint64_t i = a; i < b; i++)
      want += text[i] == '\n';
    GrDiag d;
    ck_assert_int_eq(gr_data_count_lines(path, a, b, &nl, &d), GR_OK);
    ck_assert_msg(nl == want, "[%" PRIu64 ", %" PRIu64 "): %" PRIu64 " newlines, want %" PRIu64,
                  a, b, nl, want);
  }
  unlink(path);
  free(text);
}
END_TEST

/* A file's columns are allocated once, for as many rows as its size allows (a row of f
 * fields takes at least 2f bytes): files of nothing but the shortest rows ("1\n", "1 2\n",
 * "1,2,3\n"), with and without a header and a last newline, and --using that repeats a
 * column or takes only the last, read all their rows with the values written. */
/* When the allocation from a file's size bound is refused (gr_data_bound_max stands in for a
 * system that refuses it), the columns double as they fill: the same rows, bit for bit, and
 * the same errors with the same file:line:column. */
START_TEST(test_bound_refused) {
  enum { N = 70000 }; /* past several doublings from 1024 rows */
  char *text = malloc((size_t)N * 48 + 64), *p = text;
  p += sprintf(p, "# x y\n");
  for (int i = 0; i < N; i++)
    p += sprintf(p, "%.17g %d\n", sin(i) * 1e3, i);
  char path[] = "check_data_XXXXXX";
  write_temp(path, text);
  GrData a, b;
  GrDiag g;
  ck_assert_int_eq(gr_data_read(path, NULL, &a, &g), GR_OK);
  gr_data_bound_max = 1;
  GrStatus st = gr_data_read(path, NULL, &b, &g);
  gr_data_bound_max = 0;
  ck_assert_msg(st == GR_OK, "%s", g.msg);
  ck_assert_uint_eq(a.nrow, N);
  ck_assert_uint_eq(b.nrow, N);
  for (int k = 0; k < 2; k++)
    ck_assert(!memcmp(a.col[k], b.col[k], N * sizeof(double)));
  gr_data_free(&a);
  gr_data_free(&b);
  /* a bad field near the end: the same message either way */
  p[-3] = 'z';
  write_file(path, text);
  char m1[sizeof g.msg];
  ck_assert_int_ne(gr_data_read(path, NULL, &a, &g), GR_OK);
  snprintf(m1, sizeof m1, "%s", g.msg);
  gr_data_bound_max = 1;
  st = gr_data_read(path, NULL, &b, &g);
  gr_data_bound_max = 0;
  ck_assert_int_ne(st, GR_OK);
  ck_assert_str_eq(m1, g.msg);
  ck_assert_msg(strstr(g.msg, ":70001:") != NULL, "%s", g.msg);
  unlink(path);
  free(text);
}
END_TEST

START_TEST(test_row_bound) {
  enum { N = 5000 };
  static char a[] = "a", b[] = "b", c[] = "c";
  static const struct {
    int f;           /* fields a row */
    const char *sep; /* between them */
    int header, last_nl, nus, us[3];
  } cases[] = {{1, "", 1, 1, 0, {0}},        {1, "", 1, 0, 0, {0}},
               {1, "", 0, 1, 0, {0}},        {1, "", 0, 0, 0, {0}},
               {2, " ", 1, 0, 0, {0}},       {3, ",", 0, 0, 0, {0}},
               {3, "\t", 1, 1, 0, {0}},      {1, "", 0, 0, 3, {1, 1, 1}},
               {1, "", 0, 1, 2, {1, 1}},     {3, " ", 1, 0, 1, {3}},
               {2, ",", 0, 0, 3, {2, 1, 2}}, {2, ",", 1, 1, 2, {2, 1}}};
  for (size_t t = 0; t < sizeof cases / sizeof *cases; t++) {
    int f = cases[t].f, nus = cases[t].nus;
    char *text = malloc((size_t)N * 2 * (size_t)f + 16), *p = text;
    if (cases[t].header)
      p += sprintf(p, f == 1 ? "a\n" : f == 2 ? "a%sb\n" : "a%sb%sc\n", cases[t].sep,
                   cases[t].sep);
    for (int i = 0; i < N; i++)
      for (int k = 0; k < f; k++) {
        *p++ = (char)('0' + (i + k) % 10);
        *p++ = k + 1 < f ? cases[t].sep[0] : '\n';
      }
    if (!cases[t].last_nl)
      p--;
    *p = 0;
    char path[] = "check_data_XXXXXX";
    write_temp(path, text);
    int ncol = nus ? nus : f;
    char *all[] = {a, b, c, NULL};
    all[ncol] = NULL;
    GrData d;
    GrDiag g;
    GrStatus st = gr_data_read_using(path, cases[t].header ? NULL : all, nus ? cases[t].us : NULL,
                                     nus, &d, &g);
    ck_assert_msg(st == GR_OK, "case %zu: %s", t, g.msg);
    ck_assert_int_eq(d.ncol, ncol);
    ck_assert_uint_eq(d.nrow, N);
    for (int i = 0; i < N; i++)
      for (int k = 0; k < ncol; k++) {
        int field = nus ? cases[t].us[k] - 1 : k;
        ck_assert_msg(d.col[k][i] == (double)((i + field) % 10), "case %zu row %d column %d",
                      t, i, k);
      }
    gr_data_free(&d);
    unlink(path);
    free(text);
  }
}
END_TEST

/* The Eisel-Lemire conversion itself, w 10^q for random w of 1 to 19 digits and q over the
 * whole range, against strtod: every decided value equal, and few left undecided. */
START_TEST(test_decimal_to_double) {
  uint64_t s = 7;
  long undecided = 0, n = 150000;
  for (long i = 0; i < n; i++) {
    uint64_t r = rng(&s), w = rng(&s);
    int nd = 1 + (int)(r % 19);
    uint64_t lim = 1;
    for (int k = 0; k < nd; k++)
      lim *= 10;
    w %= lim;
    if ((r >> 8) % 4 == 0) /* near powers of two and halfway points */
      w = ((uint64_t)1 << (r >> 10) % 63) + (r >> 20) % 3 - 1;
    int q = (int)((r >> 32) % 700) - 360;
    char buf[64];
    snprintf(buf, sizeof buf, "%s%" PRIu64 "e%d", (r >> 40) & 1 ? "-" : "", w, q);
    double want = strtod(buf, NULL), got;
    if (gr_decimal_to_double(w, q, (r >> 40) & 1, &got) != 0) {
      undecided++;
      continue;
    }
    ck_assert_msg(memcmp(&got, &want, sizeof got) == 0, "%s: %.17g, strtod %.17g", buf, got,
                  want);
  }
  /* undecided: w = 0, out-of-range q, subnormal or overflowing results (about a third of
   * this q range) and the rare halfway cases */
  ck_assert_msg(undecided < n / 2, "%ld of %ld undecided", undecided, n);
}
END_TEST

int main(void) {
  Suite *s = suite_create("data");
  TCase *t = tcase_create("core");
  tcase_set_timeout(t, 60); /* the number tests under sanitizers on a busy machine */
  tcase_add_test(t, test_header_whitespace_comments);
  tcase_add_test(t, test_commas_and_gnuplot_header);
  tcase_add_test(t, test_columns_option);
  tcase_add_test(t, test_quoted_fields);
  tcase_add_loop_test(t, test_bad_rows, 0, (int)(sizeof bad / sizeof *bad));
  tcase_add_loop_test(t, test_ranges, 0, (int)(sizeof range_texts / sizeof *range_texts));
  tcase_add_test(t, test_range_errors);
  tcase_add_test(t, test_numbers_exact);
  tcase_add_test(t, test_numbers_hard);
  tcase_add_test(t, test_digit_runs);
  tcase_add_test(t, test_integers);
  tcase_add_test(t, test_count_lines);
  tcase_add_test(t, test_row_bound);
  tcase_add_test(t, test_bound_refused);
  tcase_add_loop_test(t, test_file_like_string, 0, (int)(sizeof shapes / sizeof *shapes));
  tcase_add_test(t, test_decimal_to_double);
  suite_add_tcase(s, t);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
