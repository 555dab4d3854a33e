/* SPDX-License-Identifier: GPL-3.0-or-later
 * Tables with vector math against the same tables by scalar libm (what grad --exact
 * computes): for every function with a vector kernel, over random ranges (seeded), each
 * value and each partial differs by at most 1 ulp (2 for a^b's partial in b, y log a: one
 * rounding more after the 1-ulp y), and non-finite values are identical; a longer
 * expression (the five-variable tutorial function) stays within a few ulps of the scale of
 * its terms. Also that each table with vector math is the same on 1 and on 2 threads'
 * worth of tables (two tables opened from one spec, blocks taken in opposite orders).
 * Usage: table_vecmath [--seed S] [--count N]; exit 0 when every comparison holds.
 */
#include "graph.h"
#include "parse.h"
#include "table.h"
#include "vecmath.h"
#include "../ulps.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x2545f4914f6cdd1du;
static double uni(double lo, double hi) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return lo + (hi - lo) * ((double)(rng >> 11) * 0x1p-53);
}

typedef struct Case {
  const char *src;
  double lo, hi; /* where x is drawn from */
  unsigned tol;  /* ulps allowed, value and partials; 0: relative, see below */
} Case;

static const Case cases[] = {
    {"exp(x)", -740, 709, 1},     {"exp(x)", -3, 3, 1},         {"log(x)", 0, 1e6, 1},
    {"log(x)", -1, 3, 1},         {"sin(x)", -10, 10, 1},       {"sin(x)", -1e5, 1e5, 1},
    {"cos(x)", -10, 10, 1},       {"cos(x)", -1e5, 1e5, 1},     {"atan(x)", -50, 50, 1},
    {"expm1(x)", -3, 3, 1},       {"log1p(x)", -1.5, 5, 1},     {"x^2.5", 0, 100, 1},
    {"x^-0.5", -1, 4, 1},         {"2.5^x", -100, 100, 2},      {"x^2", -5, 5, 1},
    {"x^2*y + sin(z)*exp(u*v) - log(1+x^2)", -6.5, 3.5, 0},
};

static int failures;
static uint64_t nvals, ndiff; /* values compared, and how many differ at all */

/* one table of `c` over x in [lo, hi] (n points) with u, v, y, z fixed; vecmath on/off */
static GrTable *open_table(GrGraph *g, GrNode *out, const int *wrt, int nwrt, const double *fixed,
                           const GrRange *r, int vec) {
  GrTableSpec s = {g, &out, 1, r, 1, fixed, wrt, nwrt, 0, vec};
  GrTable *t;
  GrDiag d;
  if (gr_table_open(&s, &t, &d) != GR_OK) {
    fprintf(stderr, "table_vecmath: cannot open a table: %s\n", d.msg);
    exit(2);
  }
  return t;
}

static void run_case(const Case *c) {
  GrGraph *g = gr_graph_new();
  const char *vars[] = {"x", "y", "z", "u", "v", NULL};
  GrParseOpts po = {vars, NULL, 0};
  GrParsed p;
  GrDiag d;
  if (gr_parse(g, c->src, &po, &p, &d) != GR_OK) {
    fprintf(stderr, "table_vecmath: %s: %s\n", c->src, d.msg);
    exit(2);
  }
  double lo = uni(c->lo, c->hi), hi = uni(c->lo, c->hi);
  GrRange r = {gr_var_index(g, "x"), lo < hi ? lo : hi, lo < hi ? hi : lo, 3000};
  double *fixed = calloc((size_t)g->nvars + 1, sizeof *fixed);
  int wrt[5], nw = 0;
  for (int v = 0; v < g->nvars; v++) {
    fixed[v] = uni(-1, 1);
    wrt[nw++] = v;
  }
  GrTable *t1 = open_table(g, p.out, wrt, nw, fixed, &r, 1);
  GrTable *t0 = open_table(g, p.out, wrt, nw, fixed, &r, 0);
  size_t m;
  uint64_t worst = 0;
  double worst_rel = 0;
  while ((m = gr_table_next(t1)) > 0) {
    if (gr_table_next(t0) != m) {
      fprintf(stderr, "FAIL: %s: the tables have different blocks\n", c->src);
      failures++;
      break;
    }
    for (size_t j = 1; j < gr_table_ncols(t1); j++) {
      const double *a = gr_table_col(t1, j), *b = gr_table_col(t0, j);
      for (size_t k = 0; k < m; k++) {
        uint64_t u = ulps(a[k], b[k]);
        int bad;
        nvals++;
        ndiff += u != 0;
        if (c->tol) {
          bad = u > c->tol; /* (inf against inf: 0; NaN against a number: too many) */
          if (u > worst && u != UINT64_MAX)
            worst = u;
        } else {
          /* the tutorial function: its terms are at most about 60 (x^2 y, log(1 + x^2)), so
           * a 1-ulp change in exp or log moves a value or partial by a few ulps of 64 */
          double rel = fabs(a[k] - b[k]) / 0x1p-46;
          bad = rel > 1 || !isfinite(a[k]) != !isfinite(b[k]);
          if (rel > worst_rel)
            worst_rel = rel;
        }
        if (bad) {
          fprintf(stderr, "FAIL: %s over x = %.17g..%.17g, column %zu, row %llu: %a (vector) vs %a (libm)\n",
                  c->src, r.lo, r.hi, j, (unsigned long long)(gr_table_row(t1) + k), a[k], b[k]);
          failures++;
          goto done;
        }
      }
    }
  }
done:
  gr_table_free(t0);
  gr_table_free(t1);
  /* blocks computed in another order by another table: the same bits */
  GrTable *ta = open_table(g, p.out, wrt, nw, fixed, &r, 1), *tb = open_table(g, p.out, wrt, nw, fixed, &r, 1);
  size_t B = gr_table_block(ta);
  uint64_t nb = (gr_table_rows(ta) + B - 1) / B;
  for (uint64_t i = 0; i < nb; i++) {
    gr_table_seek(ta, i * B);
    gr_table_seek(tb, (nb - 1 - i) * B);
    size_t ma = gr_table_next(ta);
    (void)gr_table_next(tb);
    gr_table_seek(tb, i * B);
    (void)gr_table_next(tb);
    for (size_t j = 0; j < gr_table_ncols(ta); j++)
      if (memcmp(gr_table_col(ta, j), gr_table_col(tb, j), ma * sizeof(double))) {
        fprintf(stderr, "FAIL: %s: block %llu differs between two tables\n", c->src, (unsigned long long)i);
        failures++;
        i = nb;
        break;
      }
  }
  gr_table_free(ta);
  gr_table_free(tb);
  free(fixed);
  gr_graph_free(g);
  (void)worst;
}

int main(int argc, char **argv) {
  long count = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--seed"))
      rng = strtoull(argv[i + 1], NULL, 0) | 1;
    else if (!strcmp(argv[i], "--count"))
      count = strtol(argv[i + 1], NULL, 0);
  }
  gr_init();
  const char *isa = gr_vecmath_isa();
  for (long n = 0; n < count; n++)
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
      run_case(&cases[c]);
  if (isa && !ndiff) {
    fprintf(stderr, "FAIL: vector math (%s) never changed a bit: are the tables using it?\n", isa);
    failures++;
  }
  printf("table_vecmath: %zu cases x %ld ranges, vector math %s: %llu values and partials, "
         "%llu of them not the same bits as libm's, %d failures\n",
         sizeof cases / sizeof *cases, count, isa ? isa : "absent (libm both ways)",
         (unsigned long long)nvals, (unsigned long long)ndiff, failures);
  return failures ? 1 : 0;
}
