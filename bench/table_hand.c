/* SPDX-License-Identifier: MIT
 * The hand-written baseline: f(x) = x^2 + 3x + 2 and f'(x) = 2x + 3 over N linspace points,
 * one loop, no AD; with "print" it writes the rows with printf("%.17g"). Usage:
 * table_hand N LO HI [print]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc < 4)
    return fprintf(stderr, "usage: table_hand N LO HI [print]\n"), 2;
  long n = atol(argv[1]);
  double lo = atof(argv[2]), hi = atof(argv[3]);
  int print = argc > 4 && !strcmp(argv[4], "print");
  double step = (hi - lo) / (double)(n - 1), sum = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; i++) {
    double x = i < n / 2 ? lo + step * (double)i : hi - step * (double)(n - 1 - i);
    double f = x * x + 3 * x + 2, df = 2 * x + 3;
    if (print)
      printf("%.17g\t%.17g\t%.17g\n", x, f, df);
    else
      sum += f + df;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  fprintf(stderr, "%.3f s checksum %.17g\n",
          (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9, sum);
  return 0;
}
