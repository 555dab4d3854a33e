/* SPDX-License-Identifier: GPL-3.0-or-later
 * The hand-written baseline for the five-variable tutorial function
 *   f = x^2*y + sin(z)*exp(u*v) - log(1+x^2)
 * and its five partials written out, over the grid grad --range x=LO:HI:NX,u=-1:1:NU makes
 * (x outer, u inner; torch.linspace's formula) at y = 0.5, z = 1.5, v = 0.25. No AD.
 * Modes: "f" or "all" (f alone, or f and the partials), then
 *   print   rows "x u f [partials]" with printf("%.17g") on stdout
 *   binary  the same rows as native doubles on stdout (what grad --format binary writes)
 * Built twice by bench/table5.sh: with -O3, and with -O3 -ffast-math for the vector math
 * library (glibc's libmvec: GCC calls its exp/log/sin variants for the vectorised loop).
 * Reports "T s checksum C" on stderr, T the wall time of the loop and output.
 * Usage: table5_hand NX NU LO HI f|all print|binary
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK 512

static double lin(long i, long n, double lo, double hi) {
  double step = (hi - lo) / (double)(n - 1);
  return i < n / 2 ? lo + step * (double)i : hi - step * (double)(n - 1 - i);
}

int main(int argc, char **argv) {
  if (argc < 7)
    return fprintf(stderr, "usage: table5_hand NX NU LO HI f|all print|binary\n"), 2;
  long nx = atol(argv[1]), nu = atol(argv[2]);
  double lo = atof(argv[3]), hi = atof(argv[4]);
  int all = !strcmp(argv[5], "all"), bin = !strcmp(argv[6], "binary");
  int nc = all ? 8 : 3;
  const double y = 0.5, z = 1.5, v = 0.25, sz = sin(z), cz = cos(z);
  static double row[BLOCK * 8];
  double *ub = malloc((size_t)nu * sizeof *ub), sum = 0;
  for (long j = 0; j < nu; j++)
    ub[j] = lin(j, nu, -1, 1);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < nx; i++) {
    double x = lin(i, nx, lo, hi);
    for (long j0 = 0; j0 < nu; j0 += BLOCK) {
      int m = nu - j0 < BLOCK ? (int)(nu - j0) : BLOCK;
      /* the loop GCC vectorises (with -ffast-math through libmvec's exp and log) */
      for (int k = 0; k < m; k++) {
        double u = ub[j0 + k], e = exp(u * v), x2 = x * x, *r = row + k * nc;
        r[0] = x;
        r[1] = u;
        r[2] = x2 * y + sz * e - log(1 + x2);
        if (all) {
          r[3] = 2 * x * y - 2 * x / (1 + x2);
          r[4] = x2;
          r[5] = cz * e;
          r[6] = sz * e * v;
          r[7] = sz * e * u;
        }
      }
      if (bin)
        fwrite(row, sizeof(double), (size_t)(m * nc), stdout);
      else
        for (int k = 0; k < m; k++) {
          const double *r = row + k * nc;
          for (int c = 0; c < nc; c++)
            printf(c ? "\t%.17g" : "%.17g", r[c]);
          putchar('\n');
        }
      sum += row[(m - 1) * nc + 2];
    }
  }
  fflush(stdout);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  fprintf(stderr, "%.4f s checksum %.17g\n",
          (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9, sum);
  free(ub);
  return 0;
}
