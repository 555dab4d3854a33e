/* SPDX-License-Identifier: GPL-3.0-or-later
 * prop_run: random property tests of the differentiation engine (see prop.c for the
 * properties and the explanation rules). Without arguments it runs the fixed-seed sample
 * of make check; long runs:
 *
 *   prop_run --seed S --count N [--depth D] [--grad PATH] [--cli-every N] [--verbose] [--quiet]
 *   prop_run --expr SRC --at X,Y,Z           (one case; vector x: --at X0,X1,X2,Y,Z)
 *
 * With --grad (default: $GRAD, which make check sets) every N-th scalar case (default 30;
 * 0: none) also runs the grad program's --order, --hessian and --jvp and compares what it
 * prints with the library's values. Prints the tallies, each known-defect class and each unexplained class with the
 * shortest reproducer seen (a grad command line). Exit status 1 when a disagreement is
 * unexplained or an operation of the op table was never generated, 2 on bad usage.
 */
#include "graph.h"
#include "prop.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#define SAMPLE_SEED 20261130u
#define SAMPLE_COUNT 1500

/* Cases checked in every run before the random ones: one reproducer per row of the
 * known-defect table in prop.c (so that deleting a row whose fix has not landed fails),
 * and inputs that once failed. Program text, point "x,y,z" (or "x0,x1,x2,y,z": x a
 * vector), and the row (which alone may explain the case's disagreements; deleting the
 * row makes them failures). */
static const char *const fixed[][3] = {
    {"acos(atan(gamma(x))^detach(x))", "0,0,0", "order4-simplify-crash"},
    {"norm(x)", "0,0,0,1,1", "norm-zero"},
    {"exp(-lgamma(x))", "-1,0,0", "psi-poles"},
    {"tan(atan2(digamma(x), 1) - 0.5)", "-3,0,0", "psi-poles"},
    {"digamma(x)", "1e300,0,0", "polygamma-large"},
    {"atan(gamma(x))", "171.5,0,0", "gamma-171"},
    {"atan2(y, z)", "0,1e-300,1e-300", "atan2-scale"},
    {"log(1/exp(x))", "709,0,0", "range-edge"},
    {"x^y", "0,2,0", "zero-pow-symbolic"},
    {"prod([3, 1, 0] + x)", "0,0,0", "vector-symbolic"},
    {"sqrt(relu(x))", "-1,0,0", "mask-nan"},
    {"cos(acos(x))", "1,0,0", "zero-times-inf"},
    {"atan2((round(e) && z), z)", "0,0,0", "zero-times-inf"},
    {"if(x, hypot(x, 0), (y == z))", "4.9406564584124654e-324,-1,0.5", "range-edge"},
    {"hypot(-y, y)", "0,0,0", "mask-nan"},
    {"sum(hypot(z, [1.5, 0.1, 1]) + 3*x)", "2.77,0,2.5", "vector-symbolic-count"},
    {"acos(max((z < x)))", "-0.88689864291966369,36,1,5.6715552447025672,-0.5", "vector-symbolic-zero"},
    {"atan2(z, z)", "0,0,0", "simplify-cancels-nan"},
    {"3/(1/y)", "0,0,0", "through-infinity"},
    {"u = cosh(abs(x)); tanh(u)", "12.750326580691656,0,0", "order-expansion"},
    {"atan2(0*(-1), x)", "-2,0,0", "signed-zero"},
    {"atan2(0*x, -1)", "-1,0,0", "signed-zero"},
    {"atan2(!x, lgamma(1))", "1.2,0,0", "signed-zero"},
    {"lgamma(sinh(x))", "-19.329188483890526,0,0", "dense-poles"},
    {"tanh(x)", "11.94872480041446,0,0", "saturation-tail"},
};

/* A case from program text and "x,y,z" or "x0,x1,x2,y,z"; nonzero on a bad point. */
static int case_from(const char *expr, const char *at, PCase *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->src, sizeof c->src, "%s", expr);
  double v[PROP_NV + PROP_VLEN] = {0};
  int nv = 0;
  for (const char *p = at; *p && nv < PROP_NV + PROP_VLEN;) {
    char *end;
    v[nv++] = strtod(p, &end);
    if (end == p)
      return 1;
    p = *end == ',' ? end + 1 : end;
  }
  c->vector = nv > PROP_NV;
  int k = 0;
  for (int i = 0; i < (c->vector ? PROP_VLEN : 1); i++)
    c->pt[0][i] = v[k++];
  c->pt[1][0] = v[k++];
  c->pt[2][0] = v[k++];
  return 0;
}

typedef struct Run {
  unsigned long long seed;
  int depth;
  long nfixed;        /* cases 0 .. nfixed-1 are the fixed ones */
  const PCase *one;   /* --expr: the only case */
} Run;

/* Case n of a run: the fixed cases, then random case n - nfixed from its own seed (so any
 * case can be regenerated alone, in the checking child and in the parent). */
static void nth_case(void *ctx, long n, PCase *c) {
  const Run *r = ctx;
  if (r->one) {
    if (c != r->one)
      memcpy(c, r->one, sizeof *c);
    return;
  }
  if (n < r->nfixed) {
    if (case_from(fixed[n][0], fixed[n][1], c))
      abort();
    c->known = fixed[n][2];
    return;
  }
  long m = n - r->nfixed;
  PRng cr = {r->seed * 0x9e3779b97f4a7c15ULL + (unsigned long long)m};
  prng_next(&cr);
  prop_gen(&cr, r->depth, (m % 4) == 3, c);
  c->seq = (unsigned)m;
}

static void usage(FILE *f) {
  fprintf(f, "usage: prop_run [--seed S] [--count N] [--depth D] [--grad PATH] [--cli-every N]\n"
             "                [--verbose] [--quiet]\n"
             "       prop_run --expr SRC --at X,Y,Z (or X0,X1,X2,Y,Z: x a vector)\n");
}

int main(int argc, char **argv) {
  unsigned long long seed = SAMPLE_SEED;
  long count = SAMPLE_COUNT;
  int depth = 4, verbose = 0, quiet = 0;
  const char *expr = NULL, *at = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    char *end;
    if (!strcmp(a, "--seed") && i + 1 < argc) {
      seed = strtoull(argv[++i], &end, 0);
      if (*end)
        return usage(stderr), 2;
    } else if (!strcmp(a, "--count") && i + 1 < argc) {
      count = strtol(argv[++i], &end, 0);
      if (*end || count < 0)
        return usage(stderr), 2;
    } else if (!strcmp(a, "--depth") && i + 1 < argc) {
      depth = (int)strtol(argv[++i], &end, 0);
      if (*end || depth < 1 || depth > 12)
        return usage(stderr), 2;
    } else if (!strcmp(a, "--expr") && i + 1 < argc) {
      expr = argv[++i];
    } else if (!strcmp(a, "--at") && i + 1 < argc) {
      at = argv[++i];
    } else if (!strcmp(a, "--grad") && i + 1 < argc) {
      prop_grad_path = argv[++i];
    } else if (!strcmp(a, "--cli-every") && i + 1 < argc) {
      prop_cli_every = (int)strtol(argv[++i], &end, 0);
      if (*end || prop_cli_every < 0)
        return usage(stderr), 2;
    } else if (!strcmp(a, "--verbose"))
      verbose++;
    else if (!strcmp(a, "--quiet"))
      quiet = 1;
    else if (!strcmp(a, "--help"))
      return usage(stdout), 0;
    else
      return usage(stderr), 2;
  }
  if (!prop_grad_path && getenv("GRAD") && *getenv("GRAD"))
    prop_grad_path = getenv("GRAD"); /* make check sets it */
  gr_init();
  PStats st = {0};
  PCase *c = malloc(sizeof *c);
  if (!c)
    return 4;
  if (expr) { /* one case */
    Run one = {0, 0, 0, c};
    if (case_from(expr, at ? at : "", c))
      return usage(stderr), 2;
    prop_check_batch(nth_case, &one, 0, 1, &st, verbose > 0 ? verbose : 2, 20);
    prop_report(stdout, &st);
    free(c);
    return prop_failed_classes() ? 1 : 0;
  }
  Run run = {seed, depth, (long)(sizeof fixed / sizeof *fixed), NULL};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  prop_check_batch(nth_case, &run, 0, run.nfixed + count, &st, verbose, 20);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  /* what the generator wrote: every operation of the table must appear */
  unsigned ops[GR_OP_COUNT] = {0}, dot = 0, norm = 0, lets = 0, funs = 0;
  for (long n = run.nfixed; n < run.nfixed + count; n++) {
    nth_case(&run, n, c);
    for (int k = 0; k < GR_OP_COUNT; k++)
      ops[k] += c->ops[k];
    dot += c->dot;
    norm += c->norm;
    lets += c->lets;
    funs += c->funs;
  }
  free(c);
  printf("prop_run --seed %llu --count %ld --depth %d: %.1f s (wall clock)\n", seed, count, depth, secs);
  prop_report(stdout, &st);
  int missing = 0;
  if (!quiet)
    printf("operations written:");
  for (int k = 0; k < GR_OP_COUNT; k++) {
    if (gr_ops[k].kind == GR_K_LEAF || k == GR_OP_LET)
      continue;
    if (!quiet)
      printf(" %s:%u", gr_ops[k].name, ops[k]);
    if (!ops[k] && count >= 500) {
      fprintf(stderr, "prop_run: the operation '%s' was never generated\n", gr_ops[k].name);
      missing++;
    }
  }
  if (!quiet)
    printf("\ndot:%u norm:%u let uses:%u function calls:%u\n", dot, norm, lets, funs);
  int failed = prop_failed_classes();
  if (failed)
    printf("FAIL: %d unexplained disagreement class(es)\n", failed);
  return failed || missing ? 1 : 0;
}
