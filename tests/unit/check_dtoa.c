/* SPDX-License-Identifier: GPL-3.0-or-later
 * The fast printer against independent oracles: strtod must read every output back to the
 * same double (1M random bit patterns, more with GR_DTOA_N=...), the text must equal the
 * slow exact method (printf %.Pg with the smallest P that reads back) except where a power
 * of two lets a shorter string read back, and --digits N text must be printf's %.Ng.
 * tests/dtoa/dtoa_ref checks the shortest property itself against a brute-force reference.
 */
#include "dtoa.h"
#include "num.h"
#include <check.h>
#include <stdio.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static const char *fmt(double v) {
  static char b[64];
  int n = gr_dtoa(v, b);
  b[n] = 0;
  return b;
}

START_TEST(known_values) {
  /* shortest forms any correct printer gives (Python's repr agrees) */
  ck_assert_str_eq(fmt(25.76), "25.76");
  ck_assert_str_eq(fmt(0.1), "0.1");
  ck_assert_str_eq(fmt(0.1 + 0.2), "0.30000000000000004");
  ck_assert_str_eq(fmt(-10.2), "-10.2");
  ck_assert_str_eq(fmt(100), "100");
  ck_assert_str_eq(fmt(123456789012345.0), "123456789012345");
  ck_assert_str_eq(fmt(1e15), "1e+15");
  ck_assert_str_eq(fmt(1e21), "1e+21");
  ck_assert_str_eq(fmt(1.5e-5), "1.5e-05");
  ck_assert_str_eq(fmt(0.0001), "0.0001");
  ck_assert_str_eq(fmt(5e-324), "5e-324");
  ck_assert_str_eq(fmt(DBL_MAX), "1.7976931348623157e+308");
  ck_assert_str_eq(fmt(DBL_MIN), "2.2250738585072014e-308");
  ck_assert_str_eq(fmt(-0.0), "0");
  ck_assert_str_eq(fmt(INFINITY), "inf");
  ck_assert_str_eq(fmt(-INFINITY), "-inf");
  ck_assert_str_eq(fmt(NAN), "nan");
  ck_assert_str_eq(fmt(1.0 / 3), "0.3333333333333333");
  ck_assert_str_eq(fmt(2.0 / 3), "0.6666666666666666");
  ck_assert_str_eq(fmt(9007199254740993.0), "9007199254740992");
  /* digit texts with 16 trailing zeros (a carry to 10^16), 17 digits in each layout (the
   * digits are Python's repr) */
  ck_assert_str_eq(fmt(1e23), "1e+23");
  ck_assert_str_eq(fmt(-1e16), "-1e+16");
  ck_assert_str_eq(fmt(99999999999999980.0), "9.999999999999998e+16");
  ck_assert_str_eq(fmt(1234567890123456.8), "1234567890123456.8");
  ck_assert_str_eq(fmt(-123456789012345.67), "-123456789012345.67");
  ck_assert_str_eq(fmt(100000000000000.0), "100000000000000");
  ck_assert_str_eq(fmt(-0.00012345678901234567), "-0.00012345678901234567");
  ck_assert_str_eq(fmt(1e-300 / 3), "3.3333333333333334e-301");
}
END_TEST

static double random_double(long i) {
  uint64_t u = next();
  double v;
  switch (i % 4) {
  case 0: /* any bit pattern */
    memcpy(&v, &u, sizeof v);
    return v;
  case 1: /* short decimals, the usual table content */
    return (double)(int64_t)(u % 2000001 - 1000000) / (double)(1 + (u >> 40) % 1000);
  case 2: /* integers and near-integers of every size */
    return ldexp((double)(u >> 11), (int)((u >> 3) % 120) - 60);
  default: /* subnormals and tiny numbers */
    return ldexp((double)(u >> 12), -1074 + (int)(u % 40));
  }
}

START_TEST(round_trip_random) {
  long n = 1000000;
  const char *e = getenv("GR_DTOA_N");
  if (e && atol(e) > 0)
    n = atol(e);
  long bad = 0;
  for (long i = 0; i < n; i++) {
    double v = random_double(i);
    if (isnan(v))
      continue;
    char b[40];
    int L = gr_dtoa(v, b);
    b[L] = 0;
    double back = strtod(b, NULL);
    if (memcmp(&back, &v, sizeof v) != 0 && !(v == 0 && back == 0)) {
      if (bad < 5)
        fprintf(stderr, "round trip failed: %a printed as %s\n", v, b);
      bad++;
    }
  }
  ck_assert_int_eq(bad, 0);
}
END_TEST

/* The old exact method, independent of dtoa.c: printf's %.Pg for the smallest P that
 * strtod reads back to v; integers below 1e15 in full. */
static int slow_fmt(char *buf, double v) {
  if (v == rint(v) && fabs(v) < 1e15)
    return snprintf(buf, 40, "%.0f", v == 0 ? 0.0 : v);
  for (int p = 1; p <= 17; p++) {
    int n = snprintf(buf, 40, "%.*g", p, v);
    if (strtod(buf, NULL) == v)
      return n;
  }
  return snprintf(buf, 40, "%.17g", v);
}

START_TEST(same_as_slow_method) {
  long n = 200000, differ = 0;
  for (long i = 0; i < n; i++) {
    double v = random_double(i);
    if (!isfinite(v))
      continue;
    char a[40], b[40];
    int L = gr_dtoa(v, a);
    a[L] = 0;
    slow_fmt(b, v);
    if (strcmp(a, b)) {
      /* only at a power of two, where %.Pg's correctly rounded P digits can miss the
       * asymmetric interval while a P-digit neighbour reads back: ours is then shorter */
      double m = frexp(fabs(v), &(int){0});
      ck_assert_msg(m == 0.5 && strlen(a) < strlen(b) && strtod(a, NULL) == v, "%a: %s vs %s", v,
                    a, b);
      differ++;
    }
  }
  ck_assert_int_lt(differ, n / 1000);
  /* the shortest printer never asks the C library */
  ck_assert_int_eq((long)gr_dtoa_fallbacks, 0);
}
END_TEST

START_TEST(digits_same_as_printf) {
  /* gr_fmt(v, N) is printf's %.Ng (clamped to 17), exact halves to even included */
  char a[40], b[40];
  for (long i = 0; i < 200000; i++) {
    double v = random_double(i);
    if (!isfinite(v) || v == 0)
      continue;
    int P = 1 + (int)(next() % 17);
    gr_fmt(a, v, P);
    snprintf(b, sizeof b, "%.*g", P, v);
    ck_assert_msg(!strcmp(a, b), "%a %%.%dg: %s vs %s", v, P, a, b);
  }
  const double halves[] = {0.125, 0.375, 2.5, 3.5, 125, 1250000, 0.5, 1.5, 9.5, 99.5, 0.0625};
  for (size_t i = 0; i < sizeof halves / sizeof halves[0]; i++)
    for (int P = 1; P <= 4; P++) {
      gr_fmt(a, -halves[i], P);
      snprintf(b, sizeof b, "%.*g", P, -halves[i]);
      ck_assert_str_eq(a, b);
    }
  gr_fmt(a, 2.0 / 3, 40);
  ck_assert_str_eq(a, "0.66666666666666663");
  gr_fmt(a, -0.0, 3);
  ck_assert_str_eq(a, "0");
  gr_fmt(a, -INFINITY, 3);
  ck_assert_str_eq(a, "-inf");
}
END_TEST

/* A random m-digit significand (no trailing zero) times 10^(x - m + 1): the double nearest
 * to it prints with m digits or fewer and its first digit at 10^x (or 10^(x+1) after a
 * carry), so every layout is met: 0.000ddd, ddd.ddd with 1 to 16 digits before the point,
 * integers in full, exponents of one, two and three digits, and 0 to 16 trailing zeros to
 * remove from the digits the algorithm produces. */
static double decimal_value(int m, int x, int neg) {
  char t[64], *q = t;
  if (neg)
    *q++ = '-';
  for (int i = 0; i < m; i++) {
    int dig = (int)(next() % 10);
    if ((i == 0 || i == m - 1) && dig == 0)
      dig = 1 + (int)(next() % 9);
    *q++ = (char)('0' + dig);
  }
  sprintf(q, "e%d", x - m + 1);
  return strtod(t, NULL);
}

static const int layout_exps[] = {-330, -323, -310, -300, -101, -100, -99, -20, -10, -9, -8,
                                  -7,   -6,   -5,   -4,   -3,   -2,   -1,  0,   1,   2,  3,
                                  5,    8,    9,    13,   14,   15,   16,  17,  20,  22, 23,
                                  99,   100,  101,  200,  300,  305,  308};

/* The shortest text of values of every layout is the slow exact method's (printf %.Pg for
 * the smallest P that reads back; shorter only at a power of two), and every %.Pg is
 * printf's own text. */
START_TEST(every_layout_same_as_printf) {
  char a[40], b[40];
  long bad = 0, checked = 0;
  for (size_t xi = 0; xi < sizeof layout_exps / sizeof *layout_exps; xi++)
    for (int m = 1; m <= 17; m++)
      for (int r = 0; r < 40; r++) {
        double v = decimal_value(m, layout_exps[xi], r & 1);
        if (!isfinite(v) || v == 0)
          continue;
        checked++;
        int L = gr_dtoa(v, a);
        a[L] = 0;
        slow_fmt(b, v);
        /* where they differ, only at a power of two and shorter, as in same_as_slow_method */
        if (strcmp(a, b) && !(frexp(fabs(v), &(int){0}) == 0.5 && strlen(a) < strlen(b) &&
                              strtod(a, NULL) == v) &&
            bad++ < 5)
          fprintf(stderr, "%a: %s vs %s\n", v, a, b);
        for (int P = 1; P <= 17; P++) {
          L = gr_dtoa_prec(v, P, a);
          a[L] = 0;
          snprintf(b, sizeof b, "%.*g", P, v);
          if (strcmp(a, b) && bad++ < 5)
            fprintf(stderr, "%a %%.%dg: %s vs %s\n", v, P, a, b);
        }
      }
  /* integers with 0 to 16 trailing zeros, below and above 2^53 */
  for (int z = 0; z <= 16; z++)
    for (int m = 1; m + z <= 17; m++)
      for (int r = 0; r < 20; r++) {
        double v = decimal_value(m, m + z - 1, r & 1);
        int L = gr_dtoa(v, a);
        a[L] = 0;
        slow_fmt(b, v);
        if (strcmp(a, b) && frexp(fabs(v), &(int){0}) != 0.5 && bad++ < 5)
          fprintf(stderr, "%a: %s vs %s\n", v, a, b);
      }
  ck_assert_int_gt(checked, 20000);
  ck_assert_int_eq(bad, 0);
}
END_TEST

/* The printers write within the 32 bytes dtoa.h promises (they store in fixed-size pieces
 * past the text's end): the bytes after them are left alone, for every layout, precision
 * and random bit patterns. A 32-byte heap block lets the address sanitizer watch too. */
START_TEST(writes_within_32_bytes) {
  unsigned char big[64];
  char *exact = malloc(32);
  ck_assert_ptr_nonnull(exact);
  long bad = 0;
  for (long i = 0; i < 100000; i++) {
    double v;
    if (i % 2) {
      uint64_t u = next();
      memcpy(&v, &u, sizeof v);
    } else
      v = decimal_value(1 + (int)(next() % 17),
                        layout_exps[next() % (sizeof layout_exps / sizeof *layout_exps)],
                        (int)(next() & 1));
    for (int P = 0; P <= 17; P++) {
      memset(big, 0xA5, sizeof big);
      int L = P ? gr_dtoa_prec(v, P, (char *)big) : gr_dtoa(v, (char *)big);
      int j = 32;
      while (j < 64 && big[j] == 0xA5)
        j++;
      int L2 = P ? gr_dtoa_prec(v, P, exact) : gr_dtoa(v, exact);
      if ((L > 24 || j < 64 || L2 != L || memcmp(exact, big, (size_t)L)) && bad++ < 5)
        fprintf(stderr, "%a (P=%d): length %d, byte %d written\n", v, P, L, j);
    }
  }
  free(exact);
  ck_assert_int_eq(bad, 0);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("dtoa");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, known_values);
  tcase_add_test(tc, round_trip_random);
  tcase_add_test(tc, same_as_slow_method);
  tcase_add_test(tc, digits_same_as_printf);
  tcase_add_test(tc, every_layout_same_as_printf);
  tcase_add_test(tc, writes_within_32_bytes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *r = srunner_create(suite());
  srunner_run_all(r, CK_NORMAL);
  int f = srunner_ntests_failed(r);
  srunner_free(r);
  return f ? 1 : 0;
}
