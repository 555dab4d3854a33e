/* SPDX-License-Identifier: GPL-3.0-or-later
 * The fast printer (src/lib/dtoa.c) against a brute-force reference built only on the C
 * library's exact conversions:
 *  - shortest: the smallest P in 1..17 for which some P-digit decimal reads back (strtod) to
 *    the same double. The candidate is printf's correctly rounded "%.{P-1}e"; at a power of
 *    two the rounding interval is asymmetric (the gap below is half the gap above), so the
 *    correctly rounded string may miss while its P-digit neighbour one unit up or down reads
 *    back: those are tried too. The rule the printer must follow (Ryu's and Schubfach's):
 *    among the shortest strings that read back, the one closest to v (the correctly rounded
 *    one when it reads back; at most one neighbour can). Its digits and decimal exponent must
 *    equal the printer's, and the text must read back.
 *  - fixed precision: gr_dtoa_prec(v, P) must be the very text of printf("%.{P}g", v).
 * Without arguments: a fixed-seed sample (make check). By hand, the long run:
 *    tests/dtoa/dtoa_ref COUNT [SEED]
 * Every run also covers every power of two, each power of ten's neighbours, the subnormal
 * range's ends and the integers near 2^53.
 */
#include "dtoa.h"
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng;
static uint64_t next(void) { /* splitmix64 */
  uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static long checked, bad;

/* Significant digits (no trailing zeros) and the decimal exponent of the first digit of a
 * printed number ("-1.25e-05", "0.0012", "1200"); returns 0 if it is not of that form. */
static int decompose(const char *s, char *dig, int *x) {
  int n = 0, point = -1, lead = 0, seen = 0;
  if (*s == '-')
    s++;
  const char *p = s;
  for (; *p && *p != 'e'; p++) {
    if (*p == '.') {
      if (point >= 0)
        return 0;
      point = (int)(p - s);
      continue;
    }
    if (*p < '0' || *p > '9')
      return 0;
    if (!seen && *p == '0') { /* leading zeros */
      lead++;
      continue;
    }
    seen = 1;
    dig[n++] = *p;
  }
  if (!n)
    return 0;
  int intlen = point >= 0 ? point : (int)(p - s); /* digits before the point */
  int ex = *p == 'e' ? atoi(p + 1) : 0;
  /* position of the first significant digit among all digit characters: lead */
  *x = intlen - 1 - lead + ex;
  while (n > 1 && dig[n - 1] == '0')
    n--;
  dig[n] = 0;
  return 1;
}

static int reads_back(const char *s, double v) {
  double b = strtod(s, NULL);
  return memcmp(&b, &v, sizeof v) == 0;
}

/* The reference: digits (no trailing zeros) and exponent of the shortest closest decimal. */
static void reference(double v, char *dig, int *x) {
  char t[64];
  for (int P = 1; P <= 17; P++) {
    snprintf(t, sizeof t, "%.*e", P - 1, v);
    if (reads_back(t, v)) {
      decompose(t, dig, x);
      return;
    }
    /* the P-digit neighbours of the correctly rounded candidate */
    char d0[32];
    int x0;
    decompose(t, d0, &x0);
    unsigned long long D = strtoull(d0, NULL, 10);
    for (int i = (int)strlen(d0); i < P; i++)
      D *= 10;
    for (int dir = -1; dir <= 1; dir += 2) {
      unsigned long long E = D + (unsigned long long)(long long)dir;
      char u[64];
      snprintf(u, sizeof u, "%s%llue%d", v < 0 ? "-" : "", E, x0 - P + 1);
      if (reads_back(u, v)) {
        decompose(u, dig, x);
        return;
      }
    }
  }
  fprintf(stderr, "reference found nothing for %a\n", v);
  exit(2);
}

static void check(double v) {
  if (isnan(v) || isinf(v) || v == 0)
    return;
  checked++;
  char out[48], dig[32], rdig[32];
  int L = gr_dtoa(v, out), x, rx;
  out[L] = 0;
  reference(v, rdig, &rx);
  if (!decompose(out, dig, &x) || strcmp(dig, rdig) || x != rx || !reads_back(out, v) ||
      (v < 0) != (out[0] == '-')) {
    if (bad < 10)
      fprintf(stderr, "shortest: %a (%.17g) printed %s, reference digits %s exponent %d\n", v, v,
              out, rdig, rx);
    bad++;
  }
  /* fixed precision: printf's own text, for one random precision and for 17 */
  int P = 1 + (int)(next() % 17);
  for (int k = 0; k < 2; k++, P = 17) {
    char ref[48];
    snprintf(ref, sizeof ref, "%.*g", P, v);
    L = gr_dtoa_prec(v, P, out);
    out[L] = 0;
    if (strcmp(out, ref)) {
      if (bad < 10)
        fprintf(stderr, "%%.%dg: %a printed %s, printf %s\n", P, v, out, ref);
      bad++;
    }
  }
}

static double random_double(uint64_t u, int kind) {
  double v;
  switch (kind) {
  case 0: /* any bit pattern */
  case 1:
    memcpy(&v, &u, sizeof v);
    return v;
  case 2: /* short decimals, the usual table content */
    return (double)(int64_t)(u % 2000001 - 1000000) / (double)(1 + (u >> 40) % 1000);
  case 3: /* integers and near-integers of every size */
    return ldexp((double)(u >> 11), (int)((u >> 3) % 140) - 70);
  case 4: /* subnormals */
    u &= (1ull << 52) - 1;
    memcpy(&v, &u, sizeof v);
    return v;
  case 5: /* decimals with few digits at any exponent (printf-style ties and exact halves) */
    return (double)(u % 100000) * pow(10, (int)((u >> 20) % 600) - 320);
  default: /* a power of two's neighbourhood */
    return nextafter(ldexp(1, (int)(u % 2098) - 1074), (u >> 20) & 1 ? INFINITY : 0);
  }
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 300000;
  rng = argc > 2 ? strtoull(argv[2], NULL, 0) : 20260101;
  /* every power of two and its neighbours */
  for (int e = -1074; e <= 1023; e++) {
    double p = ldexp(1, e);
    check(p);
    check(-p);
    check(nextafter(p, 0));
    check(nextafter(p, INFINITY));
  }
  /* every power of ten's neighbours, the ends of the range, integers near 2^53 and 1e15 */
  for (int e = -323; e <= 308; e++) {
    char s[16];
    snprintf(s, sizeof s, "1e%d", e);
    double t = strtod(s, NULL);
    check(t);
    check(nextafter(t, 0));
    check(nextafter(t, INFINITY));
  }
  const double ends[] = {DBL_MIN, DBL_MAX, DBL_TRUE_MIN, 2 * DBL_TRUE_MIN, DBL_EPSILON,
                         nextafter(DBL_MIN, 0), 9007199254740992.0, 9007199254740993.0,
                         9007199254740994.0, 1e15 - 1, 1e15, 1e15 + 1, 1e16, 123456789012345.0,
                         0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 0.125, 0.375, 2.5, 125, 1e23, 5e-324,
                         1.7976931348623157e308, 4.9406564584124654e-324};
  for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
    check(ends[i]);
    check(-ends[i]);
  }
  for (long i = 0; i < n; i++)
    check(random_double(next(), (int)(i % 7)));
  printf("dtoa_ref: %ld doubles, %ld mismatches, %lu fixed-precision roundings left to printf\n",
         checked, bad, gr_dtoa_fallbacks);
  return bad ? 1 : 0;
}
