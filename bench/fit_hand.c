/* SPDX-License-Identifier: GPL-3.0-or-later
 * The hand-written C loop that bench/fit.sh holds minimize against: y = A x^2 + B x + C
 * fitted to N rows by Adam or NAdam (PyTorch's update rules, as in src/lib/optim_torch.c),
 * the mean squared residual and its gradient summed in one pass over the rows.
 * Usage: fit_hand N adam|nadam ITERS. Same data and output as fit_bench.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clk(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: fit_hand N adam|nadam ITERS\n");
    return 2;
  }
  size_t N = (size_t)atol(argv[1]);
  int nadam = !strcmp(argv[2], "nadam");
  long iters = atol(argv[3]);
  double *X = malloc(N * sizeof *X), *Y = malloc(N * sizeof *Y);
  if (!X || !Y)
    return 1;
  for (size_t i = 0; i < N; i++) {
    double xi = -2 + 4.0 * (double)i / (double)N;
    X[i] = xi;
    Y[i] = 2 * xi * xi - 3 * xi + 1 + 0.05 * sin(7.0 * (double)i);
  }
  double p[3] = {0, 0, 0}, m[3] = {0, 0, 0}, v[3] = {0, 0, 0}, g[3];
  double lr = nadam ? 2e-3 : 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, mu_product = 1;
  double best_cpu = INFINITY, best_wall = INFINITY;
  for (long t = 1; t <= iters; t++) {
    double c0 = clk(CLOCK_PROCESS_CPUTIME_ID), w0 = clk(CLOCK_MONOTONIC);
    double s = 0, gA = 0, gB = 0, gC = 0;
    for (size_t i = 0; i < N; i++) {
      double x = X[i], r = p[0] * (x * x) + p[1] * x + p[2] - Y[i];
      s += r * r;
      gA += r * (x * x);
      gB += r * x;
      gC += r;
    }
    double sc = 2.0 / (double)N;
    g[0] = sc * gA;
    g[1] = sc * gB;
    g[2] = sc * gC;
    volatile double f = s / (double)N;
    (void)f;
    if (nadam) {
      double bc2 = 1 - pow(b2, (double)t);
      double mu = b1 * (1. - 0.5 * pow(0.96, (double)t * 4e-3));
      double mu_next = b1 * (1. - 0.5 * pow(0.96, (double)(t + 1) * 4e-3));
      mu_product *= mu;
      double c1 = -lr * (1. - mu) / (1. - mu_product);
      double c2 = (-lr * mu_next) / (1. - mu_product * mu_next);
      for (int j = 0; j < 3; j++) {
        m[j] = fma(1 - b1, g[j], m[j] * b1);
        v[j] = fma((1 - b2) * g[j], g[j], v[j] * b2);
        double denom = sqrt(v[j] / bc2) + eps;
        p[j] = p[j] + c1 * g[j] / denom;
        p[j] = p[j] + c2 * m[j] / denom;
      }
    } else {
      double bc1 = 1 - pow(b1, (double)t), bc2 = 1 - pow(b2, (double)t);
      for (int j = 0; j < 3; j++) {
        m[j] = fma(1 - b1, g[j], m[j] * b1);
        v[j] = fma((1 - b2) * g[j], g[j], v[j] * b2);
        double denom = sqrt(v[j]) / sqrt(bc2) + eps;
        p[j] = p[j] - (lr / bc1) * m[j] / denom;
      }
    }
    double c = clk(CLOCK_PROCESS_CPUTIME_ID) - c0, w = clk(CLOCK_MONOTONIC) - w0;
    best_cpu = c < best_cpu ? c : best_cpu;
    best_wall = w < best_wall ? w : best_wall;
  }
  printf("cpu_ms %.6g wall_ms %.6g A %.17g B %.17g C %.17g\n", 1e3 * best_cpu, 1e3 * best_wall,
         p[0], p[1], p[2]);
  free(X);
  free(Y);
  return 0;
}
