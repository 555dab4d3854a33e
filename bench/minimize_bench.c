/* SPDX-License-Identifier: GPL-3.0-or-later
 * Timing of the optimizer core, in process (no parsing of a 10^6-row text file):
 *   adam5: Adam iterations per second on a 5-variable function;
 *   fit:   milliseconds per Adam iteration of a 3-parameter polynomial over 10^6 rows.
 * CPU time (the machine may be shared). Built and run by bench/minimize.sh.
 */
#include "graph.h"
#include "optim.h"
#include "parse.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double run(const char *expr, GrData *dt, long steps, double *x0) {
  GrGraph *g = gr_graph_new();
  GrParsed ps;
  GrDiag d;
  if (gr_parse(g, expr, NULL, &ps, &d) != GR_OK) {
    fprintf(stderr, "parse: %s\n", d.msg);
    exit(1);
  }
  int param[8], col[8], np = 0;
  double value[8] = {0};
  for (int v = 0; v < g->nvars; v++) {
    col[v] = dt ? gr_data_find(dt, g->vars[v]) : -1;
    if (col[v] < 0)
      param[np++] = v;
  }
  GrNode *out = ps.out;
  GrProblemSpec s = {g, dt ? GR_PROB_FIT : GR_PROB_MIN, &out, 1, np, param, value, dt, col, 0, 0, 0};
  GrProblem *p;
  GrObjective obj;
  if (gr_problem_new(&s, &p, &obj, &d) != GR_OK) {
    fprintf(stderr, "compile: %s\n", d.msg);
    exit(1);
  }
  GrOptParams op;
  gr_opt_defaults(&op, GR_M_ADAM);
  op.steps = steps;
  op.lr = 1e-3;
  GrOptResult r;
  double t = cpu();
  gr_optimize(&obj, &op, x0, NULL, NULL, &r, &d);
  t = cpu() - t;
  gr_problem_free(p);
  gr_graph_free(g);
  return t;
}

int main(int argc, char **argv) {
  gr_init();
  const char *what = argc > 1 ? argv[1] : "all";
  if (!strcmp(what, "adam5") || !strcmp(what, "all")) {
    long n = 200000;
    double x[5] = {0.5, 0.6, 0.7, 0.8, 0.9};
    double t = run("a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2)", NULL, n, x);
    printf("adam5_iters_per_sec %.6g\n", (double)n / t);
  }
  if (!strcmp(what, "fit") || !strcmp(what, "all")) {
    size_t N = 1000000;
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
    long n = 20;
    double x[3] = {0, 0, 0};
    /* steps + 1 evaluations of loss and gradient (the start is evaluated too) */
    double t = run("A*x^2 + B*x + C - y", &dt, n, x);
    printf("fit_ms_per_iter %.6g\n", 1e3 * t / (double)(n + 1));
    gr_data_free(&dt);
  }
  return 0;
}
