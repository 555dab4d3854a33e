/* SPDX-License-Identifier: GPL-3.0-or-later
 * The numbers alone: tabulate f and df/dx of EXPR over N points with the library's gr_table
 * (what grad --range does before printing: one ranged variable, columns x, f, df/dx in
 * blocks of 512) and print the time (including compiling the tape) and a checksum. Modes as
 * in table_hand.c: sum (every f and df/dx added into a checksum after each block) or store
 * (the blocks are produced and not read; checksum over each block's last row).
 * Usage: table_lib EXPR N LO HI [sum|store]
 */
#include "graph.h"
#include "parse.h"
#include "table.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6)
    return fprintf(stderr, "usage: table_lib EXPR N LO HI [sum|store]\n"), 2;
  int store = argc == 6 && !strcmp(argv[5], "store");
  gr_init();
  GrGraph *g = gr_graph_new();
  GrEnv env = {0};
  const char *vars[] = {"x", NULL};
  GrParseOpts po = {vars, &env, 0};
  GrParsed p;
  GrDiag d;
  if (gr_parse(g, argv[1], &po, &p, &d) != GR_OK)
    return fprintf(stderr, "parse error: %s\n", d.msg), 2;
  int x = gr_var_index(g, "x");
  GrRange r = {x, atof(argv[3]), atof(argv[4]), (uint64_t)atoll(argv[2])};
  int w[] = {x};
  GrTableSpec s = {g, &p.out, 1, &r, 1, NULL, w, 1, 512, 0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  GrTable *t;
  if (gr_table_open(&s, &t, &d) != GR_OK)
    return fprintf(stderr, "error: %s\n", d.msg), 2;
  double sum = 0;
  size_t m;
  while ((m = gr_table_next(t)) > 0) {
    const double *f = gr_table_col(t, 1), *df = gr_table_col(t, 2);
    if (store)
      sum += f[m - 1] + df[m - 1];
    else
      for (size_t i = 0; i < m; i++)
        sum += f[i] + df[i];
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.4f s checksum %.17g\n",
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9, sum);
  gr_table_free(t);
  gr_env_free(&env);
  gr_graph_free(g);
  return 0;
}
