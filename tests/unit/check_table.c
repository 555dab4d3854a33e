/* SPDX-License-Identifier: GPL-3.0-or-later
 * Tables against independent computations: linspace against values PyTorch printed
 * (torch.linspace, float64), values and partials against closed forms written out in C and
 * against central differences, grids against the nested loop, and the plot scripts' shape.
 */
#include "graph.h"
#include "parse.h"
#include "plot.h"
#include "table.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  GrGraph *g;
  GrEnv env;
  GrParsed p;
} Expr;

static void expr(Expr *e, const char *src) {
  memset(e, 0, sizeof *e);
  e->g = gr_graph_new();
  GrParseOpts po = {NULL, &e->env, 0};
  GrDiag d;
  ck_assert_msg(gr_parse(e->g, src, &po, &e->p, &d) == GR_OK, "%s: %s", src, d.msg);
}
static void expr_free(Expr *e) {
  gr_env_free(&e->env);
  gr_graph_free(e->g);
}

START_TEST(linspace_matches_torch) {
  /* torch.linspace(lo, hi, n) in float64, printed with float.hex */
  static const double a[] = {-0x1.a000000000000p+2, -0x1.6000000000000p+2, -0x1.2000000000000p+2,
                             -0x1.c000000000000p+1, -0x1.4000000000000p+1, -0x1.8000000000000p+0,
                             -0x1.0000000000000p-1, 0x1.0000000000000p-1,  0x1.8000000000000p+0,
                             0x1.4000000000000p+1,  0x1.c000000000000p+1};
  for (int i = 0; i < 11; i++)
    ck_assert(gr_linspace(-6.5, 3.5, 11, (uint64_t)i) == a[i]);
  static const double b[] = {0x1.999999999999ap-4, 0x1.5555555555556p-3, 0x1.ddddddddddddep-3,
                             0x1.3333333333334p-2, 0x1.7777777777778p-2, 0x1.bbbbbbbbbbbbcp-2,
                             0x1.0000000000000p-1, 0x1.2222222222222p-1, 0x1.4444444444444p-1,
                             0x1.6666666666666p-1};
  /* PyTorch's vectorized CPU kernel adds k*step to a base every 4 points, so it can differ
   * from its own formula in the last bit (here i = 5); we follow the formula */
  for (int i = 0; i < 10; i++)
    ck_assert_msg(fabs(gr_linspace(0.1, 0.7, 10, (uint64_t)i) - b[i]) <= 0x1p-53, "i=%d %a", i,
                  gr_linspace(0.1, 0.7, 10, (uint64_t)i));
  ck_assert(gr_linspace(2, 5, 1, 0) == 2);
}
END_TEST

START_TEST(linspace_ends_and_symmetry) {
  uint64_t n = 1000001;
  ck_assert(gr_linspace(-6.5, 3.5, n, 0) == -6.5);
  ck_assert(gr_linspace(-6.5, 3.5, n, n - 1) == 3.5);
  for (uint64_t i = 0; i < n; i += 997) {
    ck_assert(gr_linspace(-2, 2, n, i) == -gr_linspace(-2, 2, n, n - 1 - i));
    if (i)
      ck_assert(gr_linspace(-6.5, 3.5, n, i) > gr_linspace(-6.5, 3.5, n, i - 1));
  }
}
END_TEST

/* f and f' of x^2+3x+2 at every point, over several blocks and a partial last one */
START_TEST(line_values_and_partials) {
  Expr e;
  expr(&e, "x^2+3x+2");
  int x = gr_var_index(e.g, "x");
  GrRange r = {x, -6.5, 3.5, 1000};
  int w[] = {x};
  GrTableSpec s = {e.g, &e.p.out, 1, &r, 1, NULL, w, 1, 64, 0};
  GrTable *t;
  GrDiag d;
  ck_assert_int_eq(gr_table_open(&s, &t, &d), GR_OK);
  ck_assert_uint_eq(gr_table_ncols(t), 3);
  uint64_t rows = 0;
  size_t m;
  while ((m = gr_table_next(t)) > 0) {
    ck_assert_uint_eq(gr_table_row(t), rows);
    const double *cx = gr_table_col(t, 0), *f = gr_table_col(t, 1), *df = gr_table_col(t, 2);
    for (size_t i = 0; i < m; i++) {
      double xi = gr_linspace(-6.5, 3.5, 1000, rows + i);
      ck_assert(cx[i] == xi);
      ck_assert_double_eq_tol(f[i], xi * xi + 3 * xi + 2, 1e-12);
      ck_assert_double_eq_tol(df[i], 2 * xi + 3, 1e-12);
    }
    rows += m;
  }
  ck_assert_uint_eq(rows, 1000);
  ck_assert_uint_eq(gr_table_rows(t), 1000);
  gr_table_free(t);
  expr_free(&e);
}
END_TEST

/* A fixed variable that no partial column needs is a block of one, and so is everything
 * that depends on nothing else (evaluated once a block, not once a point); the columns are
 * bit for bit those of the same table with that variable a block (a partial column asked
 * for it), and that column, and the Taylor columns along it, match the closed form. */
START_TEST(fixed_variables_hoisted) {
  Expr e;
  expr(&e, "sin(y)*exp(y)*x + cos(y)^2*x^2 + y");
  int x = gr_var_index(e.g, "x"), y = gr_var_index(e.g, "y");
  GrRange r = {x, -2, 3, 1000};
  double fixed[2];
  fixed[x] = 0;
  fixed[y] = 0.7;
  int w1[] = {x}, w2[] = {x, y};
  GrTableSpec s1 = {e.g, &e.p.out, 1, &r, 1, fixed, w1, 1, 64, 0};
  GrTableSpec s2 = {e.g, &e.p.out, 1, &r, 1, fixed, w2, 2, 64, 0};
  GrTable *t1, *t2, *t3;
  GrDiag d;
  ck_assert_int_eq(gr_table_open(&s1, &t1, &d), GR_OK);
  ck_assert_int_eq(gr_table_open(&s2, &t2, &d), GR_OK);
  const GrTape *p1 = gr_table_tape(t1), *p2 = gr_table_tape(t2);
  GrNode *sy = gr_node(e.g, GR_OP_SIN, gr_var(e.g, "y"), NULL, NULL);
  ck_assert_uint_eq(gr_tape_var_len(p1, y), 1);
  ck_assert_uint_eq(gr_tape_len(p1, gr_tape_slot(p1, sy)), 1);
  ck_assert_uint_eq(gr_tape_var_len(p2, y), 64);
  ck_assert_uint_eq(gr_tape_len(p2, gr_tape_slot(p2, sy)), 64);
  /* --order along the fixed variable: it becomes a block */
  GrTableSpec s3 = {e.g, &e.p.out, 1, &r, 1, fixed, NULL, 0, 64, 0};
  ck_assert_int_eq(gr_table_open(&s3, &t3, &d), GR_OK);
  ck_assert_uint_eq(gr_tape_var_len(gr_table_tape(t3), y), 1);
  gr_table_set_order(t3, 4, x); /* replaced by the next call: nothing of it stays */
  ck_assert_uint_eq(gr_table_ncols(t3), 2 + 4);
  gr_table_set_order(t3, 2, y);
  ck_assert_uint_eq(gr_table_ncols(t3), 2 + 2);
  ck_assert_uint_eq(gr_tape_var_len(gr_table_tape(t3), y), 64);
  double sn = sin(0.7), cs = cos(0.7), ex = exp(0.7);
  size_t m;
  uint64_t rows = 0;
  while ((m = gr_table_next(t1)) > 0) {
    ck_assert_uint_eq(gr_table_next(t2), m);
    ck_assert_uint_eq(gr_table_next(t3), m);
    for (size_t j = 0; j < 3; j++)
      ck_assert(!memcmp(gr_table_col(t1, j), gr_table_col(t2, j), m * sizeof(double)));
    ck_assert(!memcmp(gr_table_col(t1, 1), gr_table_col(t3, 1), m * sizeof(double)));
    const double *cx = gr_table_col(t1, 0), *dy = gr_table_col(t2, 3);
    const double *d1 = gr_table_col(t3, 2), *d2 = gr_table_col(t3, 3);
    for (size_t i = 0; i < m; i++) {
      double xi = cx[i];
      double fy = (cs * ex + sn * ex) * xi - 2 * cs * sn * xi * xi + 1;
      double fyy = 2 * cs * ex * xi - 2 * (cs * cs - sn * sn) * xi * xi;
      ck_assert_double_eq_tol(dy[i], fy, 1e-12 * (1 + fabs(fy)));
      ck_assert_double_eq_tol(d1[i], fy, 1e-12 * (1 + fabs(fy)));
      ck_assert_double_eq_tol(d2[i], fyy, 1e-12 * (1 + fabs(fyy)));
    }
    rows += m;
  }
  ck_assert_uint_eq(rows, 1000);
  gr_table_free(t1);
  gr_table_free(t2);
  gr_table_free(t3);
  expr_free(&e);
}
END_TEST

/* a transcendental function: the reverse sweep against central differences */
START_TEST(partials_match_finite_differences) {
  Expr e;
  expr(&e, "sin(x)*exp(-x^2/3) + log(1 + x^2)");
  int x = gr_var_index(e.g, "x");
  GrRange r = {x, -3, 3, 301};
  int w[] = {x};
  GrTableSpec s = {e.g, &e.p.out, 1, &r, 1, NULL, w, 1, 0, 0};
  GrTable *t;
  GrDiag d;
  ck_assert_int_eq(gr_table_open(&s, &t, &d), GR_OK);
  size_t m;
  while ((m = gr_table_next(t)) > 0) {
    const double *cx = gr_table_col(t, 0), *df = gr_table_col(t, 2);
    for (size_t i = 0; i < m; i++) {
      double h = 1e-6, a = cx[i];
      double fp = sin(a + h) * exp(-(a + h) * (a + h) / 3) + log(1 + (a + h) * (a + h));
      double fm = sin(a - h) * exp(-(a - h) * (a - h) / 3) + log(1 + (a - h) * (a - h));
      ck_assert_double_eq_tol(df[i], (fp - fm) / (2 * h), 1e-7);
    }
  }
  gr_table_free(t);
  expr_free(&e);
}
END_TEST

/* the block fill of the range columns is gr_linspace bit for bit, across the midpoint, over
 * odd and even counts and block sizes that split runs; the first output's partials survive
 * the second output's reverse sweep, and a constant output is broadcast */
START_TEST(block_fill_is_linspace) {
  static const uint64_t ns[] = {1, 2, 3, 10, 11, 101};
  static const size_t bs[] = {1, 3, 4, 5, 7, 64};
  for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
    for (size_t b = 0; b < sizeof bs / sizeof *bs; b++)
      for (int grid = 0; grid < 2; grid++) {
        Expr e;
        expr(&e, "x*y");
        int x = gr_var_index(e.g, "x"), y = gr_var_index(e.g, "y");
        GrNode *outs[] = {e.p.out, gr_const(e.g, 3)};
        GrRange r[2] = {{x, -6.5, 3.5, ns[a]}, {y, 0.1, -2.3, grid ? 13 : 1}};
        double fixed[2] = {0, 0};
        fixed[y] = 0.25;
        int w[] = {x, y};
        GrTableSpec s = {e.g, outs, 2, r, grid ? 2 : 1, fixed, w, 2, bs[b], 0};
        GrTable *t;
        GrDiag d;
        ck_assert_int_eq(gr_table_open(&s, &t, &d), GR_OK);
        uint64_t row = 0, ni = grid ? 13 : 1;
        size_t m;
        while ((m = gr_table_next(t)) > 0) {
          for (size_t i = 0; i < m; i++, row++) {
            double xi = gr_linspace(-6.5, 3.5, ns[a], grid ? row / ni : row);
            double yi = grid ? gr_linspace(0.1, -2.3, ni, row % ni) : 0.25;
            ck_assert(gr_table_col(t, 0)[i] == xi);
            size_t c = grid ? 2 : 1;
            if (grid)
              ck_assert(gr_table_col(t, 1)[i] == yi);
            ck_assert(gr_table_col(t, c)[i] == xi * yi);
            ck_assert(gr_table_col(t, c + 1)[i] == 3);
            ck_assert(gr_table_col(t, c + 2)[i] == yi); /* d(xy)/dx */
            ck_assert(gr_table_col(t, c + 3)[i] == xi);
            ck_assert(gr_table_col(t, c + 4)[i] == 0); /* d3/dx */
            ck_assert(gr_table_col(t, c + 5)[i] == 0);
          }
        }
        ck_assert_uint_eq(row, ns[a] * ni);
        gr_table_free(t);
        expr_free(&e);
      }
}
END_TEST

/* two ranges: rows in nested-loop order (first range outer), per-point partials of every
 * variable kept apart, a fixed variable at its value, and d/da per point */
START_TEST(grid_and_fixed_variables) {
  Expr e;
  expr(&e, "a*x*y^2");
  int a = gr_var_index(e.g, "a"), x = gr_var_index(e.g, "x"), y = gr_var_index(e.g, "y");
  GrRange r[2] = {{x, -1, 1, 5}, {y, 0, 2, 7}};
  double *fixed = calloc((size_t)e.g->nvars, sizeof *fixed);
  fixed[a] = 1.5;
  int w[] = {x, y, a};
  GrTableSpec s = {e.g, &e.p.out, 1, r, 2, fixed, w, 3, 8, 0};
  GrTable *t;
  GrDiag d;
  ck_assert_int_eq(gr_table_open(&s, &t, &d), GR_OK);
  ck_assert_uint_eq(gr_table_ncols(t), 6);
  uint64_t row = 0;
  size_t m;
  while ((m = gr_table_next(t)) > 0)
    for (size_t i = 0; i < m; i++, row++) {
      double xi = gr_linspace(-1, 1, 5, row / 7), yi = gr_linspace(0, 2, 7, row % 7);
      ck_assert(gr_table_col(t, 0)[i] == xi);
      ck_assert(gr_table_col(t, 1)[i] == yi);
      ck_assert_double_eq_tol(gr_table_col(t, 2)[i], 1.5 * xi * yi * yi, 1e-14);
      ck_assert_double_eq_tol(gr_table_col(t, 3)[i], 1.5 * yi * yi, 1e-14);
      ck_assert_double_eq_tol(gr_table_col(t, 4)[i], 2 * 1.5 * xi * yi, 1e-14);
      ck_assert_double_eq_tol(gr_table_col(t, 5)[i], xi * yi * yi, 1e-14);
    }
  ck_assert_uint_eq(row, 35);
  gr_table_free(t);
  free(fixed);
  expr_free(&e);
}
END_TEST

START_TEST(several_outputs_and_constants) {
  Expr e1, e2;
  expr(&e1, "x^3; 7");
  GrNode *outs[2];
  outs[0] = gr_node(e1.g, GR_OP_POW, gr_var(e1.g, "x"), gr_const(e1.g, 3), NULL);
  outs[1] = e1.p.out; /* the constant 7: a column of 7s, partial 0 */
  int x = gr_var_index(e1.g, "x");
  GrRange r = {x, 0, 2, 5};
  int w[] = {x};
  GrTableSpec s = {e1.g, outs, 2, &r, 1, NULL, w, 1, 0, 0};
  GrTable *t;
  GrDiag d;
  ck_assert_int_eq(gr_table_open(&s, &t, &d), GR_OK);
  ck_assert_uint_eq(gr_table_ncols(t), 5);
  size_t m = gr_table_next(t);
  ck_assert_uint_eq(m, 5);
  for (size_t i = 0; i < m; i++) {
    double xi = 0.5 * (double)i;
    ck_assert_double_eq_tol(gr_table_col(t, 1)[i], xi * xi * xi, 1e-14);
    ck_assert(gr_table_col(t, 2)[i] == 7);
    ck_assert_double_eq_tol(gr_table_col(t, 3)[i], 3 * xi * xi, 1e-14);
    ck_assert(gr_table_col(t, 4)[i] == 0);
  }
  ck_assert_uint_eq(gr_table_next(t), 0);
  gr_table_free(t);
  expr_free(&e1);
  (void)e2;
}
END_TEST

START_TEST(reductions_are_refused) {
  const char *bad[] = {"sum(x^2)", "x + mean(x)", "norm(x)", "dot(x, x)"};
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    Expr e;
    expr(&e, bad[k]);
    GrRange r = {gr_var_index(e.g, "x"), 0, 1, 10};
    GrTableSpec s = {e.g, &e.p.out, 1, &r, 1, NULL, NULL, 0, 0, 0};
    GrTable *t;
    GrDiag d;
    ck_assert_int_eq(gr_table_open(&s, &t, &d), GR_EUSAGE);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(d.msg, "point by point") != NULL, "%s", d.msg);
    expr_free(&e);
  }
}
END_TEST

/* gr_table_pack against the plain interleaving loop: every column count from 1 to 11
 * (whole groups of four and leftovers), row counts that are and are not multiples of 4,
 * offsets into the columns; and its answer (all finite) against isfinite row by row, with
 * one inf or NaN placed at every position in turn. */
START_TEST(pack_interleaves_and_checks) {
  enum { NC = 11, N = 23 };
  double col[NC][N], dst[NC * N + 1], ref[NC * N];
  const double *cols[NC];
  for (int c = 0; c < NC; c++) {
    for (int i = 0; i < N; i++)
      col[c][i] = (c + 1) * 1000.0 + i + 0.25;
    cols[c] = col[c];
  }
  for (size_t nc = 1; nc <= NC; nc++)
    for (size_t i0 = 0; i0 < 3; i0++)
      for (size_t k = 0; i0 + k <= N; k++) {
        for (size_t i = 0; i < k; i++)
          for (size_t c = 0; c < nc; c++)
            ref[i * nc + c] = cols[c][i0 + i];
        dst[nc * k] = -1; /* nothing written past the rows */
        ck_assert_int_eq(gr_table_pack(dst, cols, nc, i0, k), 1);
        ck_assert_msg(memcmp(dst, ref, nc * k * sizeof *dst) == 0, "nc %zu i0 %zu k %zu", nc, i0, k);
        ck_assert(dst[nc * k] == -1);
      }
  const double odd[] = {INFINITY, -INFINITY, NAN};
  for (size_t nc = 1; nc <= NC; nc++)
    for (int c = 0; c < (int)nc; c++)
      for (int i = 0; i < N; i++)
        for (int o = 0; o < 3; o++) {
          double keep = col[c][i];
          col[c][i] = odd[o];
          /* rows 1..N-1: the bad value is inside them unless it is in row 0 */
          ck_assert_int_eq(gr_table_pack(dst, cols, nc, 1, N - 1), i == 0);
          ck_assert_int_eq(gr_table_pack(dst, cols, nc, 0, N), 0);
          ck_assert(memcmp(&dst[(size_t)i * nc + (size_t)c], &col[c][i], sizeof(double)) == 0);
          col[c][i] = keep;
        }
}
END_TEST

/* gr_table_issues gives gr_tape_issues's list block by block, whether the caller says the
 * columns were finite (when they were) or does not know: with kinks (abs at 0), values that
 * turn non-finite (log of negatives), non-finite partials (sqrt at 0), a non-finite adjoint
 * of a variable that has no column (y: not a partial asked for) and a named intermediate. */
START_TEST(issues_match_the_tape) {
  static const struct {
    const char *src;
    double lo, hi;
  } cases[] = {{"abs(x) + x*y", -1, 1},         {"log(x)*y", -2, 2},
               {"sqrt(x)*y", 0, 1},             {"sqrt(y)*x", -1, 1},
               {"a = sqrt(y); a*x", -1, 1}, {"exp(x)*y + sin(x)", -1, 1},
               {"x^2*y + 1/x", -1, 1},          {"max(x, 0.5)*y", 0, 1}};
  for (size_t q = 0; q < sizeof cases / sizeof *cases; q++) {
    Expr e;
    expr(&e, cases[q].src);
    int x = gr_var_index(e.g, "x"), y = gr_var_index(e.g, "y");
    ck_assert_int_ge(x, 0);
    GrRange r = {x, cases[q].lo, cases[q].hi, 101};
    double *fixed = calloc((size_t)e.g->nvars + 1, sizeof *fixed);
    if (y >= 0) /* y = 0 where sqrt(y) is to have an infinite derivative */
      fixed[y] = strstr(cases[q].src, "sqrt(y)") ? 0 : 1;
    int w[] = {x};
    GrTableSpec s = {e.g, &e.p.out, 1, &r, 1, fixed, w, 1, 16, 0};
    GrTable *t;
    GrDiag d;
    ck_assert_int_eq(gr_table_open(&s, &t, &d), GR_OK);
    size_t m, total = 0;
    while ((m = gr_table_next(t)) > 0) {
      GrTapeIssue a[16], b[16], c[16];
      size_t na = gr_tape_issues(gr_table_tape(t), a, 16);
      size_t nb = gr_table_issues(t, -1, b, 16);
      int finite = 1;
      for (size_t j = 0; j < gr_table_ncols(t); j++)
        for (size_t i = 0; i < m; i++)
          finite &= isfinite(gr_table_col(t, j)[i]) != 0;
      size_t nc = gr_table_issues(t, finite, c, 16);
      ck_assert_uint_eq(na, nb);
      ck_assert_uint_eq(na, nc);
      for (size_t i = 0; i < na; i++) {
        ck_assert(a[i].node == b[i].node && a[i].kind == b[i].kind);
        ck_assert(a[i].node == c[i].node && a[i].kind == c[i].kind);
      }
      total += na;
    }
    /* every case but the smooth one has something to say */
    ck_assert_msg((total > 0) == (q != 5), "%s: %zu issues", cases[q].src, total);
    gr_table_free(t);
    free(fixed);
    expr_free(&e);
  }
}
END_TEST

static char *buf; /* static: open_memstream writes these after the call returns */
static size_t len;
static char *script(void (*write)(FILE *, void *), void *arg) {
  buf = NULL;
  len = 0;
  FILE *f = open_memstream(&buf, &len);
  write(f, arg);
  fclose(f);
  return buf;
}

static void w_curves(FILE *f, void *arg) {
  GrPlotOpts *o = arg;
  GrDiag d;
  ck_assert_int_eq(gr_plot_begin(f, o, &d), GR_OK);
  gr_plot_data_begin(f, "data");
  fputs("0\t1\t2\n", f);
  gr_plot_data_end(f);
  const char *names[] = {"f", "df/dx"};
  gr_plot_curves(f, "$data", "x", 2, names, NULL, NULL, o);
}

/* curves whose spans are given by hi[] (lo = 0) */
typedef struct Spans {
  int n;
  double hi[4];
} Spans;

static void w_spans(FILE *f, void *arg) {
  Spans *sp = arg;
  GrPlotOpts o = {"c.png", 0, 0, "t", 0};
  const char *names[] = {"f", "df/dx", "d2f/dx2", "d3f/dx3"};
  double lo[4] = {0, 0, 0, 0};
  gr_plot_curves(f, "$data", "x", sp->n, names, lo, sp->hi, &o);
}

START_TEST(plot_scripts) {
  GrPlotOpts png = {"out.png", 640, 480, "it's x^2", 0};
  char *s = script(w_curves, &png);
  ck_assert_ptr_nonnull(strstr(s, "set terminal pngcairo size 640,480 noenhanced"));
  ck_assert_ptr_nonnull(strstr(s, "set terminal png size 640,480 noenhanced"));
  ck_assert_ptr_nonnull(strstr(s, "set output 'out.png'"));
  ck_assert_ptr_nonnull(strstr(s, "set title 'it''s x^2'"));
  ck_assert_ptr_nonnull(strstr(s, "$data << EOD\n0\t1\t2\nEOD\n"));
  ck_assert_ptr_nonnull(strstr(s, "$data using 1:3 with lines"));
  ck_assert_ptr_nonnull(strstr(s, "title 'df/dx'"));
  free(s);
  GrPlotOpts dumb = {NULL, 60, 20, NULL, 0};
  s = script(w_curves, &dumb);
  ck_assert_ptr_nonnull(strstr(s, "set terminal dumb size 60,20"));
  ck_assert_ptr_null(strstr(s, "set output"));
  free(s);
  GrPlotTerm term;
  GrDiag d;
  ck_assert_int_eq(gr_plot_term_for("a.SVG", &term, &d), GR_OK);
  ck_assert_int_eq(term, GR_TERM_SVG);
  ck_assert_int_eq(gr_plot_term_for("a.pdf", &term, &d), GR_OK);
  ck_assert_int_eq(term, GR_TERM_PDF);
  ck_assert_int_eq(gr_plot_term_for("a.jpg", &term, &d), GR_EUSAGE);
  /* no file, interactive: no terminal named (gnuplot's default, a window), a pause */
  GrPlotOpts win = {NULL, 0, 0, NULL, 1};
  s = script(w_curves, &win);
  ck_assert_ptr_null(strstr(s, "set terminal"));
  ck_assert_ptr_nonnull(strstr(s, "pause mouse close"));
  free(s);
}
END_TEST

/* Curves of one scale share an axis; two scales: y and y2; three: stacked panels */
START_TEST(plot_curves_by_scale) {
  Spans one = {3, {1, 2, 4.9}};
  char *s = script(w_spans, &one);
  ck_assert_ptr_nonnull(strstr(s, "set ylabel 'f, df/dx, d2f/dx2'\n"));
  ck_assert_ptr_null(strstr(s, "y2"));
  ck_assert_ptr_null(strstr(s, "multiplot"));
  free(s);
  Spans two = {2, {28, 200}}; /* tan(x) on [-1.5, 1.5] and its derivative */
  s = script(w_spans, &two);
  ck_assert_ptr_nonnull(strstr(s, "set ylabel 'f'\n"));
  ck_assert_ptr_nonnull(strstr(s, "set y2label 'df/dx'\n"));
  ck_assert_ptr_nonnull(strstr(s, "using 1:3 with lines linetype 2 linewidth 2 axes x1y2"));
  ck_assert_ptr_null(strstr(s, "using 1:2 with lines linetype 1 linewidth 2 axes"));
  free(s);
  Spans three = {4, {1, 100, 10000, 3}}; /* the third derivative goes with f */
  s = script(w_spans, &three);
  ck_assert_ptr_nonnull(strstr(s, "set multiplot layout 3,1"));
  char *p1 = strstr(s, "set ylabel 'f, d3f/dx3'"), *p2 = strstr(s, "set ylabel 'df/dx'"),
       *p3 = strstr(s, "set ylabel 'd2f/dx2'");
  ck_assert(p1 && p2 && p3 && p1 < p2 && p2 < p3);
  ck_assert_ptr_nonnull(strstr(s, "unset multiplot"));
  /* the x axis labelled once, for the bottom panel */
  char *xl = strstr(s, "set xlabel 'x'\n");
  ck_assert(xl && strstr(xl + 1, "set xlabel 'x'\n") && strstr(xl + 1, "set xlabel 'x'\n") < p3);
  free(s);
  Spans zero = {2, {1, 0}}; /* a curve of zeros goes with f */
  s = script(w_spans, &zero);
  ck_assert_ptr_nonnull(strstr(s, "set ylabel 'f, df/dx'\n"));
  free(s);
}
END_TEST

static void w_path(FILE *f, void *arg) {
  Expr *e = arg;
  GrPlotOpts o = {"path.png", 0, 0, NULL, 0};
  double px[] = {1.1, 0.99, 0.891}, py[] = {2.1, 1.89, 1.701};
  GrDiag d;
  ck_assert_int_eq(gr_plot_path(f, &o, e->g, e->p.out, gr_var_index(e->g, "x"),
                                gr_var_index(e->g, "y"), NULL, px, py, 3, &d),
                   GR_OK);
}

START_TEST(path_script_has_grid_and_path) {
  Expr e;
  expr(&e, "x^2+y^2");
  char *s = script(w_path, &e);
  ck_assert_ptr_nonnull(strstr(s, "$grid << EOD\n"));
  ck_assert_ptr_nonnull(strstr(s, "$path << EOD\n1.1\t2.1\n0.99\t1.89\n0.891\t1.701\nEOD\n"));
  ck_assert_ptr_nonnull(strstr(s, "set contour base"));
  /* scan lines of equal length, 81 at most, of at most 81 points */
  char *g0 = strstr(s, "$grid << EOD\n"), *g1 = strstr(g0, "EOD\n$path");
  int blanks = 0, rows = 0;
  for (char *p = strchr(g0, '\n'); p < g1; p++)
    if (*p == '\n')
      p[1] == '\n' ? blanks++ : rows++;
  rows--; /* the EOD line */
  ck_assert_int_le(blanks + 1, 81);
  ck_assert_int_ge(blanks + 1, 41);
  ck_assert_int_eq(rows % (blanks + 1), 0);
  ck_assert_int_le(rows / (blanks + 1), 81);
  ck_assert_ptr_nonnull(strstr(s, "with labels")); /* the levels labelled */
  free(s);
  expr_free(&e);
}
END_TEST

/* The contour grid is finer where f is steep: for exp(4x) + y^2 the x points crowd at the
 * right-hand end */
static void w_path_steep(FILE *f, void *arg) {
  Expr *e = arg;
  GrPlotOpts o = {"path.png", 0, 0, NULL, 0};
  double px[] = {-1, 1}, py[] = {-1, 1};
  GrDiag d;
  ck_assert_int_eq(gr_plot_path(f, &o, e->g, e->p.out, gr_var_index(e->g, "x"),
                                gr_var_index(e->g, "y"), NULL, px, py, 2, &d),
                   GR_OK);
}

START_TEST(path_grid_finer_where_steep) {
  Expr e;
  expr(&e, "exp(4x) + y^2");
  char *s = script(w_path_steep, &e);
  char *p = strstr(s, "$grid << EOD\n") + strlen("$grid << EOD\n");
  double xs[100], prev = NAN;
  int nx = 0;
  while (strncmp(p, "EOD", 3) && nx < 100) {
    double x = strtod(p, NULL);
    if (x != prev)
      xs[nx++] = prev = x;
    p = strchr(p, '\n') + 1;
    if (*p == '\n')
      p++;
  }
  ck_assert_int_ge(nx, 20);
  ck_assert_double_eq_tol(xs[0], -1.3, 1e-12);
  ck_assert_double_eq_tol(xs[nx - 1], 1.3, 1e-12);
  double left = xs[1] - xs[0], right = xs[nx - 1] - xs[nx - 2];
  ck_assert_msg(right < left / 3, "x spacing: %g at the left, %g at the right", left, right);
  free(s);
  expr_free(&e);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("table");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, linspace_matches_torch);
  tcase_add_test(tc, linspace_ends_and_symmetry);
  tcase_add_test(tc, line_values_and_partials);
  tcase_add_test(tc, partials_match_finite_differences);
  tcase_add_test(tc, fixed_variables_hoisted);
  tcase_add_test(tc, grid_and_fixed_variables);
  tcase_add_test(tc, block_fill_is_linspace);
  tcase_add_test(tc, several_outputs_and_constants);
  tcase_add_test(tc, reductions_are_refused);
  tcase_add_test(tc, pack_interleaves_and_checks);
  tcase_add_test(tc, issues_match_the_tape);
  tcase_add_test(tc, plot_scripts);
  tcase_add_test(tc, plot_curves_by_scale);
  tcase_add_test(tc, path_grid_finer_where_steep);
  tcase_add_test(tc, path_script_has_grid_and_path);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  gr_init();
  SRunner *r = srunner_create(suite());
  srunner_run_all(r, CK_NORMAL);
  int f = srunner_ntests_failed(r);
  srunner_free(r);
  return f ? 1 : 0;
}
