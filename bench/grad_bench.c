/* SPDX-License-Identifier: GPL-3.0-or-later
 * The C side of bench/grad.sh: value + gradient of the 5-variable function on one tape
 * compiled once and reused, timed with the monotonic clock.
 *   grad_bench N      ns per evaluation, one point per sweep (a block of one)
 *   grad_bench N B    ns per point when B points share each sweep (var_len = B)
 */
#include "graph.h"
#include "parse.h"
#include "tape.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  size_t blk = argc > 2 ? (size_t)atol(argv[2]) : 1;
  static const char *const names[] = {"a", "b", "c", "d", "e", NULL};
  const double at[] = {1, 2, 3, 0.5, 1.5};
  gr_init();
  GrGraph *g = gr_graph_new();
  GrParseOpts po = {names, NULL, 0};
  GrParsed p;
  GrDiag d;
  if (gr_parse(g, "a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2)", &po, &p,
               &d) != GR_OK) {
    fprintf(stderr, "grad_bench: %s\n", d.msg);
    return 1;
  }
  size_t len[5] = {blk, blk, blk, blk, blk};
  GrTape *t;
  if (gr_tape_compile(g, &p.out, 1, len, &t, &d) != GR_OK) {
    fprintf(stderr, "grad_bench: %s\n", d.msg);
    return 1;
  }
  double *x[5];
  for (int v = 0; v < 5; v++)
    x[v] = gr_tape_var(t, gr_var_index(g, names[v]));
  long sweeps = (long)(n / (long)blk);
  if (sweeps < 1)
    sweeps = 1;
  double sink = 0;
  double t0 = now();
  for (long k = 0; k < sweeps; k++) {
    for (int v = 0; v < 5; v++)
      for (size_t i = 0; i < blk; i++)
        x[v][i] = at[v] + 1e-9 * (double)((k + (long)i) & 1023);
    gr_tape_forward(t);
    gr_tape_reverse(t, 0, NULL);
    sink += gr_tape_out(t, 0)[0] + gr_tape_grad(t, 0)[0];
  }
  double t1 = now();
  printf("%.1f\n", (t1 - t0) / ((double)sweeps * (double)blk) * 1e9);
  if (sink == 42) /* keep the loop */
    puts("");
  gr_tape_free(t);
  gr_graph_free(g);
  return 0;
}
