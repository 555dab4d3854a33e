/* SPDX-License-Identifier: GPL-3.0-or-later
 * One fit iteration over N rows, in process (no text parsing): y = A x^2 + B x + C fitted
 * by Adam or NAdam (mean squared residual), the loss and gradient on T threads.
 * Usage: fit_bench N THREADS adam|nadam ITERS [whole]. Prints the fastest iteration's CPU time
 * (all threads) and wall time in milliseconds, and the final parameters (to check that
 * every contender computes the same thing). Built and run by bench/fit.sh. "whole" sweeps
 * every block whole instead of in strips of rows (gr_problem_whole_blocks: the same numbers;
 * to measure what the strips gain).
 */
#include "graph.h"
#include "optim.h"
#include "parse.h"
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

typedef struct {
  double c0, w0, best_cpu, best_wall;
} Timer;

static int on_iter(void *ud, long iter, const double *x, double f, double gnorm) {
  (void)x;
  (void)f;
  (void)gnorm;
  Timer *t = ud;
  double c = clk(CLOCK_PROCESS_CPUTIME_ID), w = clk(CLOCK_MONOTONIC);
  if (iter > 0) {
    if (c - t->c0 < t->best_cpu)
      t->best_cpu = c - t->c0;
    if (w - t->w0 < t->best_wall)
      t->best_wall = w - t->w0;
  }
  t->c0 = c;
  t->w0 = w;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5 && !(argc == 6 && !strcmp(argv[5], "whole"))) {
    fprintf(stderr, "usage: fit_bench N THREADS adam|nadam ITERS [whole]\n");
    return 2;
  }
  gr_init();
  size_t N = (size_t)atol(argv[1]);
  int threads = atoi(argv[2]);
  GrMethod m = strcmp(argv[3], "nadam") ? GR_M_ADAM : GR_M_NADAM;
  long iters = atol(argv[4]);
  GrData dt = {0};
  dt.ncol = 2;
  dt.nrow = N;
  dt.names = malloc(2 * sizeof *dt.names);
  dt.col = malloc(2 * sizeof *dt.col);
  dt.names[0] = strdup("x");
  dt.names[1] = strdup("y");
  dt.col[0] = malloc(N * sizeof(double));
  dt.col[1] = malloc(N * sizeof(double));
  for (size_t i = 0; i < N; i++) {
    double xi = -2 + 4.0 * (double)i / (double)N;
    dt.col[0][i] = xi;
    dt.col[1][i] = 2 * xi * xi - 3 * xi + 1 + 0.05 * sin(7.0 * (double)i);
  }
  GrGraph *g = gr_graph_new();
  GrParsed ps;
  GrDiag d;
  if (gr_parse(g, "A*x^2 + B*x + C - y", NULL, &ps, &d) != GR_OK)
    return fprintf(stderr, "parse: %s\n", d.msg), 1;
  int param[8], col[8], np = 0;
  double value[8] = {0};
  for (int v = 0; v < g->nvars; v++) {
    col[v] = gr_data_find(&dt, g->vars[v]);
    if (col[v] < 0)
      param[np++] = v;
  }
  GrNode *out = ps.out;
  GrProblemSpec s = {g, GR_PROB_FIT, &out, 1, np, param, value, &dt, col, 0, 0, threads};
  GrProblem *p;
  GrObjective obj;
  if (gr_problem_new(&s, &p, &obj, &d) != GR_OK)
    return fprintf(stderr, "compile: %s\n", d.msg), 1;
  gr_problem_whole_blocks(p, argc == 6);
  GrOptParams op;
  gr_opt_defaults(&op, m);
  op.steps = iters;
  double x[3] = {0, 0, 0};
  GrOptResult r;
  Timer t = {clk(CLOCK_PROCESS_CPUTIME_ID), clk(CLOCK_MONOTONIC), INFINITY, INFINITY};
  gr_optimize(&obj, &op, x, on_iter, &t, &r, &d);
  /* parameters in the order A, B, C whatever the graph's variable order */
  double abc[3] = {0, 0, 0};
  for (int j = 0; j < np; j++) {
    const char *nm = g->vars[param[j]];
    abc[nm[0] - 'A'] = x[j];
  }
  printf("cpu_ms %.6g wall_ms %.6g A %.17g B %.17g C %.17g\n", 1e3 * t.best_cpu,
         1e3 * t.best_wall, abc[0], abc[1], abc[2]);
  gr_problem_free(p);
  gr_graph_free(g);
  gr_data_free(&dt);
  return 0;
}
