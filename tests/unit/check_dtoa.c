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

static Suite *suite(void) {
  Suite *s = suite_create("dtoa");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, known_values);
  tcase_add_test(tc, round_trip_random);
  tcase_add_test(tc, same_as_slow_method);
  tcase_add_test(tc, digits_same_as_printf);
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
