/* SPDX-License-Identifier: GPL-3.0-or-later
 * Nanoseconds per printed double (CPU time), one thread, best of REPS passes over the same
 * values:
 *   grad shortest     gr_dtoa (Schubfach), what tables, points and reports print
 *   grad %.6g/%.17g   gr_dtoa_prec, what --digits N prints
 *   old Grisu3        the printer tables used before (bench/dtoa_grisu.c), with its
 *                     snprintf/strtod fallback for the doubles Grisu3 cannot decide
 *   old loop          the printer reports used before: %.Pg for P = 1, 2, ... until strtod
 *                     reads it back
 *   printf %.17g      snprintf, round-trips but is not shortest
 *   printf %.6g       snprintf, the fixed-precision baseline
 *   Dragonbox (fmt)   fmt::format_to "{}" (fmt's shortest printer), when built with it
 * Two value sets: "computed" are random doubles of 17 significant digits between 1e-10 and
 * 1e10 (what f and its partials look like), "short" are short decimals (what linspace
 * points look like). Usage: dtoa_bench [N [REPS]] (defaults 1000000 and 5).
 */
#include "dtoa.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int old_grisu_dtoa(double v, char *out);
#ifdef HAVE_FMT
int fmt_shortest(double v, char *out);
#endif

/* this thread's CPU time: on a shared machine, time spent waiting for a core is not counted */
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int old_loop(double v, char *b) {
  if (v == rint(v) && fabs(v) < 1e15)
    return snprintf(b, 40, "%.0f", v);
  for (int p = 1; p <= 17; p++) {
    int n = snprintf(b, 40, "%.*g", p, v);
    if (strtod(b, NULL) == v)
      return n;
  }
  return snprintf(b, 40, "%.17g", v);
}
static int grad_shortest(double v, char *b) { return gr_dtoa(v, b); }
static int grad_6(double v, char *b) { return gr_dtoa_prec(v, 6, b); }
static int grad_17(double v, char *b) { return gr_dtoa_prec(v, 17, b); }
static int printf_17(double v, char *b) { return snprintf(b, 40, "%.17g", v); }
static int printf_6(double v, char *b) { return snprintf(b, 40, "%.6g", v); }

static size_t sink;
static double per_value(int (*f)(double, char *), const double *v, long n, int reps) {
  static char buf[1 << 16];
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    size_t pos = 0;
    double t0 = now();
    for (long i = 0; i < n; i++) {
      if (pos > sizeof buf - 64) {
        sink += (unsigned char)buf[pos / 2];
        pos = 0;
      }
      pos += (size_t)f(v[i], buf + pos);
      buf[pos++] = '\t';
    }
    double t = now() - t0;
    sink += pos;
    if (t < best)
      best = t;
  }
  return 1e9 * best / (double)n;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  double *comp = malloc(sizeof *comp * (size_t)n), *shrt = malloc(sizeof *shrt * (size_t)n);
  if (!comp || !shrt)
    return 1;
  uint64_t s = 12345;
  for (long i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    double u = (double)(s >> 11) * 0x1p-53;
    comp[i] = (s & 1 ? -1 : 1) * pow(10, -10 + 20 * u) * (1 + u / 7);
    shrt[i] = -6.5 + 10.0 * (double)(i % 100001) / 100000;
  }
  struct {
    const char *name;
    int (*f)(double, char *);
  } p[] = {{"grad shortest", grad_shortest},
           {"grad %.6g", grad_6},
           {"grad %.17g", grad_17},
           {"old Grisu3", old_grisu_dtoa},
           {"old loop", old_loop},
           {"printf %.17g", printf_17},
           {"printf %.6g", printf_6},
#ifdef HAVE_FMT
           {"Dragonbox (fmt)", fmt_shortest},
#endif
  };
  printf("# CPU ns per value, %ld values, best of %d\n%-18s %9s %9s\n", n, reps, "", "computed",
         "short");
  double base = 0;
  for (size_t k = 0; k < sizeof p / sizeof p[0]; k++) {
    double a = per_value(p[k].f, comp, n, reps), b = per_value(p[k].f, shrt, n, reps);
    if (k == 0)
      base = a;
    printf("%-18s %9.1f %9.1f   (%.2fx grad shortest, computed)\n", p[k].name, a, b, a / base);
  }
  free(comp);
  free(shrt);
  return sink == 42; /* keep the output alive */
}
