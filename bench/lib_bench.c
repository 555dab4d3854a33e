/* SPDX-License-Identifier: GPL-3.0-or-later
 * The C side of bench/lib.sh: value + gradient of the five-variable function of
 * examples/2-partials.sh, CPU time per point (CLOCK_PROCESS_CPUTIME_ID), by
 *   eval      libgrad's grad_eval, one call per point
 *   block     libgrad's grad_eval_block over arrays of points
 *   blockvec  the same after grad_set_vecmath(e, 1): vector math (SLEEF), each result within
 *             1 ulp of libm's (scalar libm where the build or the processor has none)
 *   hand      the same value and gradient written by hand in C (this file, -O2)
 *   matheval  GNU libmatheval (when built with -DHAVE_MATHEVAL): evaluator_evaluate of the
 *             function and of evaluator_derivative by each variable
 *   hessian   libgrad's grad_hessian, the 5 x 5 matrix, one call per point
 *   minimize  libgrad's grad_minimize, Adam (lr 1e-3) for N steps from (1, 2, 3, 0.5, 1.5):
 *             the time per step (its value and gradient and the update)
 * Usage: lib_bench MODE N   prints "ns_per_point max_relative_difference_from_hand".
 */
#include <grad.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_MATHEVAL
#include <matheval.h>
#endif

enum { NV = 5, CHUNK = 4096 };

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* f = a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2) and its gradient */
static void hand(size_t n, const double *const *x, double *f, double *const *g) {
  const double *A = x[0], *B = x[1], *C = x[2], *D = x[3], *E = x[4];
  for (size_t i = 0; i < n; i++) {
    double a = A[i], b = B[i], c = C[i], d = D[i], e = E[i];
    double L = log(c + 1), ex = exp(a * d), co = cos(b * c), si = sin(b * c);
    double R = sqrt(a * a + b * b), Q = d * d + e * e, M = log(Q);
    double a3b2 = a * a * a * b * b;
    f[i] = a3b2 / L + ex * co + R * M;
    g[0][i] = 3 * a * a * b * b / L + d * ex * co + a / R * M;
    g[1][i] = 2 * a * a * a * b / L - c * ex * si + b / R * M;
    g[2][i] = -a3b2 / (L * L * (c + 1)) - b * ex * si;
    g[3][i] = a * ex * co + R * 2 * d / Q;
    g[4][i] = R * 2 * e / Q;
  }
}

int main(int argc, char **argv) {
  if (argc < 3)
    return fputs("usage: lib_bench eval|block|hand|matheval|hessian|minimize N\n", stderr), 2;
  const char *mode = argv[1];
  size_t n = (size_t)atol(argv[2]);
  static const double at[NV] = {1, 2, 3, 0.5, 1.5};
  double *x[NV], *g[NV], *hg[NV], *f = malloc(CHUNK * sizeof *f), *hf = malloc(CHUNK * sizeof *hf);
  for (int v = 0; v < NV; v++) {
    x[v] = malloc(CHUNK * sizeof **x);
    g[v] = malloc(CHUNK * sizeof **g);
    hg[v] = malloc(CHUNK * sizeof **hg);
    for (size_t i = 0; i < CHUNK; i++)
      x[v][i] = at[v] + 1e-3 * (double)((i * (size_t)(v + 3)) % 1024) / 1024;
  }
  static const char *const vars[] = {"a", "b", "c", "d", "e", NULL};
  grad_error err;
  grad_expr *e = grad_compile_vars(
      "a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2)", vars, &err);
  if (!e)
    return fprintf(stderr, "lib_bench: %s\n", err.message), 1;
#ifdef HAVE_MATHEVAL
  /* libmatheval knows e as Euler's number: the fifth variable is q there */
  char mnames[NV][2] = {"a", "b", "c", "d", "q"};
  char *mn[NV];
  void *mf = evaluator_create("a^3*b^2/log(c+1)+exp(a*d)*cos(b*c)+sqrt(a^2+b^2)*log(d^2+q^2)");
  void *md[NV];
  for (int v = 0; v < NV; v++) {
    mn[v] = mnames[v];
    md[v] = evaluator_derivative(mf, mn[v]);
  }
#endif
  if (!strcmp(mode, "minimize") || !strcmp(mode, "hessian")) {
    /* no comparison with the hand-written numbers: "-" in the second column */
    double xi[NV], H[NV * NV], t0 = cpu_now(), sink = 0;
    if (!strcmp(mode, "minimize")) {
      memcpy(xi, at, sizeof xi);
      grad_minimize_options o;
      grad_minimize_options_init(&o);
      o.method = "adam";
      o.lr = 1e-3;
      o.steps = (long)n;
      grad_minimize_result r;
      grad_minimize(e, xi, &o, &r, &err);
      sink = r.f;
    } else {
      for (size_t i = 0; i < n; i++) {
        for (int v = 0; v < NV; v++)
          xi[v] = x[v][i % CHUNK];
        grad_hessian(e, xi, H);
        sink += H[1];
      }
    }
    printf("%.1f -\n", (cpu_now() - t0) / (double)n * 1e9);
    if (sink == 42)
      puts("");
    grad_expr_free(e);
    return 0;
  }
  if (!strcmp(mode, "blockvec"))
    grad_set_vecmath(e, 1);
  double t0 = cpu_now(), sink = 0;
  size_t done = 0;
  while (done < n) {
    size_t m = n - done < CHUNK ? n - done : CHUNK;
    if (!strcmp(mode, "eval")) {
      double xi[NV], gi[NV];
      for (size_t i = 0; i < m; i++) {
        for (int v = 0; v < NV; v++)
          xi[v] = x[v][i];
        grad_eval(e, xi, &f[i], gi);
        for (int v = 0; v < NV; v++)
          g[v][i] = gi[v];
      }
    } else if (!strcmp(mode, "block") || !strcmp(mode, "blockvec")) {
      grad_eval_block(e, m, (const double *const *)x, f, g);
    } else if (!strcmp(mode, "hand")) {
      hand(m, (const double *const *)x, f, g);
#ifdef HAVE_MATHEVAL
    } else if (!strcmp(mode, "matheval")) {
      double xi[NV];
      for (size_t i = 0; i < m; i++) {
        for (int v = 0; v < NV; v++)
          xi[v] = x[v][i];
        f[i] = evaluator_evaluate(mf, NV, mn, xi);
        for (int v = 0; v < NV; v++)
          g[v][i] = evaluator_evaluate(md[v], NV, mn, xi);
      }
#endif
    } else {
      return fprintf(stderr, "lib_bench: unknown mode %s\n", mode), 2;
    }
    sink += f[m - 1] + g[0][m - 1];
    done += m;
  }
  double t1 = cpu_now();
  /* the last chunk against the hand-written numbers */
  size_t m = n < CHUNK ? n : CHUNK;
  if (n % CHUNK)
    m = n % CHUNK;
  hand(m, (const double *const *)x, hf, hg);
  double worst = 0;
  for (size_t i = 0; i < m; i++) {
    worst = fmax(worst, fabs(f[i] - hf[i]) / fmax(1, fabs(hf[i])));
    for (int v = 0; v < NV; v++)
      worst = fmax(worst, fabs(g[v][i] - hg[v][i]) / fmax(1, fabs(hg[v][i])));
  }
  printf("%.1f %.1e\n", (t1 - t0) / (double)n * 1e9, worst);
  if (sink == 42)
    puts("");
  grad_expr_free(e);
  return 0;
}
