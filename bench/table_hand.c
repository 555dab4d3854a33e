/* SPDX-License-Identifier: GPL-3.0-or-later
 * The hand-written baseline: f(x) = x^2 + 3x + 2 and f'(x) = 2x + 3 over N linspace points
 * (torch.linspace's formula), no AD. Modes, matching table_lib's:
 *   sum    one fused loop, every f and f' added into a checksum (a serial chain of adds)
 *   store  x, f, f' written into blocks of 512, as grad's table hands them to the printer;
 *          nothing reads them but a compiler barrier, so this is the cost of the numbers alone
 *   print  every row written with printf("%.17g")
 * Usage: table_hand N LO HI [sum|store|print]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK 512

int main(int argc, char **argv) {
  if (argc < 4)
    return fprintf(stderr, "usage: table_hand N LO HI [sum|store|print]\n"), 2;
  long n = atol(argv[1]);
  double lo = atof(argv[2]), hi = atof(argv[3]);
  const char *mode = argc > 4 ? argv[4] : "sum";
  int print = !strcmp(mode, "print");
  double step = (hi - lo) / (double)(n - 1), sum = 0;
  static double bx[BLOCK], bf[BLOCK], bd[BLOCK];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (!strcmp(mode, "store")) {
    for (long i0 = 0; i0 < n; i0 += BLOCK) {
      int m = n - i0 < BLOCK ? (int)(n - i0) : BLOCK;
      for (int j = 0; j < m; j++) {
        long i = i0 + j;
        double x = i < n / 2 ? lo + step * (double)i : hi - step * (double)(n - 1 - i);
        bx[j] = x;
        bf[j] = x * x + 3 * x + 2;
        bd[j] = 2 * x + 3;
      }
      __asm__ volatile("" : : "r"(bx), "r"(bf), "r"(bd) : "memory"); /* the stores happen */
      sum += bf[m - 1] + bd[m - 1];
    }
  } else
    for (long i = 0; i < n; i++) {
      double x = i < n / 2 ? lo + step * (double)i : hi - step * (double)(n - 1 - i);
      double f = x * x + 3 * x + 2, df = 2 * x + 3;
      if (print)
        printf("%.17g\t%.17g\t%.17g\n", x, f, df);
      else
        sum += f + df;
    }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  fprintf(stderr, "%.4f s checksum %.17g\n",
          (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9, sum);
  return 0;
}
