/* SPDX-License-Identifier: GPL-3.0-or-later
 * Tabulation through the blocked tape (see table.h). The range variables and the variables
 * of partial-derivative columns are blocks, so the reverse sweep keeps each point's partials
 * apart; every other variable is fixed, a block of one, so that the tape makes whatever
 * depends only on fixed variables and constants a slot of one, evaluated once a block
 * instead of once a point (hoisted out of the row loop at no cost: the values are the same
 * bits). The last block is padded by repeating its last point, so no sweep ever sees
 * uninitialised values.
 */
#include "table.h"
#include "vecmath.h"
#include "taylor.h"
#include "arena.h"
#include "ops.h"
#include <stdlib.h>
#include <string.h>
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__OPTIMIZE__)
#define GR_PACK_AVX2 1
#include <immintrin.h>
#else
#define GR_PACK_AVX2 0
#endif

struct GrTable {
  GrTableSpec s;
  GrRange r[2];
  GrTape *tape;
  size_t B;        /* block */
  uint64_t rows, next, cur;
  size_t ncols;
  const double **col; /* ncols column pointers for the current block: into the tape when its
                         block can be read as is, else into buf */
  double **buf;    /* ncols buffers of B doubles, allocated only for columns that need one */
  double *rvar[2]; /* where each range's values go: the tape's variable block, or buf */
  double *zero;    /* B zeros: partials of outputs that do not use a variable */
  double *ones;    /* B ones: the Taylor direction (order > 0) */
  int order, order_var; /* gr_table_set_order */
  unsigned char *full;  /* per graph variable: a block of B values (else a block of one) */
  int kinky;            /* the tape has an op that can warn of a kink (gr_tape_issues) */
};

double gr_linspace(double lo, double hi, uint64_t n, uint64_t i) {
  if (n <= 1)
    return lo;
  double step = (hi - lo) / (double)(n - 1);
  return i < n / 2 ? lo + step * (double)i : hi - step * (double)(n - 1 - i);
}

/* c[0..m) = points k0..k0+m-1 of gr_linspace(lo, hi, n, .), bit for bit: the same formula,
 * split into its two halves so neither loop branches. The index is carried as doubles
 * counted by whole numbers, exact below 2^53, instead of converting an integer per point. */
static void fill_linspace(double *c, double lo, double hi, uint64_t n, uint64_t k0, size_t m) {
  if (n <= 1) {
    for (size_t i = 0; i < m; i++)
      c[i] = lo;
    return;
  }
  double step = (hi - lo) / (double)(n - 1);
  uint64_t half = n / 2;
  size_t m1 = k0 >= half ? 0 : half - k0 < m ? (size_t)(half - k0) : m;
  /* four counters, so the adds do not form one dependency chain */
  double k[4];
  for (int l = 0; l < 4; l++)
    k[l] = (double)k0 + l;
  size_t i = 0;
  for (; i + 4 <= m1; i += 4)
    for (int l = 0; l < 4; l++) {
      c[i + l] = lo + step * k[l];
      k[l] += 4.0;
    }
  for (; i < m1; i++)
    c[i] = lo + step * (double)(k0 + i);
  /* second half: j = n - 1 - k counts down */
  uint64_t j0 = n - 1 - (k0 + m1);
  for (int l = 0; l < 4; l++)
    k[l] = (double)j0 - l;
  for (; i + 4 <= m; i += 4)
    for (int l = 0; l < 4; l++) {
      c[i + l] = hi - step * k[l];
      k[l] -= 4.0;
    }
  for (; i < m; i++)
    c[i] = hi - step * (double)(n - 1 - (k0 + i));
}

static int is_reduction(int op) {
  return op == GR_OP_SUM || op == GR_OP_MEAN || op == GR_OP_PROD || op == GR_OP_VMAX ||
         op == GR_OP_VMIN;
}

/* The tape, with t->full's variables blocks of B and the others blocks of one holding their
 * fixed values. */
static GrStatus compile(GrTable *t, GrDiag *d) {
  const GrTableSpec *s = &t->s;
  size_t *vl = gr_xmalloc(((size_t)s->g->nvars + 1) * sizeof *vl);
  for (int v = 0; v < s->g->nvars; v++)
    vl[v] = t->full[v] ? t->B : 1;
  GrTape *tape;
  GrStatus st = gr_tape_compile(s->g, s->outs, s->nout, vl, &tape, d);
  free(vl);
  if (st != GR_OK)
    return st;
  gr_tape_free(t->tape);
  t->tape = tape;
  gr_tape_set_vecmath(tape, s->vecmath);
  t->kinky = 0;
  for (size_t i = 0; i < tape->n; i++)
    t->kinky |= tape->ins[i].need && tape->ins[i].nargs > 0 &&
                (gr_tape_can_kink(tape->ins[i].op) || is_reduction(tape->ins[i].op));
  /* variables not in a range: the same value at every point */
  for (int v = 0; v < s->g->nvars; v++) {
    double *x = gr_tape_var(t->tape, v);
    int ranged = 0;
    for (int k = 0; k < s->nranges; k++)
      ranged |= s->ranges[k].var == v;
    if (x && !ranged)
      for (size_t i = 0, n = gr_tape_var_len(t->tape, v); i < n; i++)
        x[i] = s->fixed ? s->fixed[v] : 0;
  }
  return GR_OK;
}

/* Where each range's values go: its block in the tape, or its own buffer when the outputs
 * do not use it. */
static void point_ranges(GrTable *t) {
  for (int k = 0; k < t->s.nranges; k++) {
    t->rvar[k] = gr_tape_var(t->tape, t->r[k].var);
    if (!t->rvar[k])
      t->rvar[k] = t->buf[k];
    t->col[k] = t->rvar[k];
  }
}

GrStatus gr_table_open(const GrTableSpec *s, GrTable **tp, GrDiag *d) {
  *tp = NULL;
  if (s->nranges < 1 || s->nranges > 2)
    return gr_diag_set(d, GR_EUSAGE, "a table needs one or two ranges, not %d", s->nranges);
  /* reductions would mix the points of a block */
  unsigned char *m = gr_reachable(s->g, s->outs, s->nout);
  for (size_t i = 0; i < s->g->count; i++) {
    const GrNode *n = gr_graph_node(s->g, i);
    if (m[i] && is_reduction(n->op)) {
      free(m);
      gr_diag_span(d, GR_EUSAGE, n->off, n->len,
                   "%s() reduces a vector: a table needs an expression evaluated point by point",
                   gr_ops[n->op].name);
      return GR_EUSAGE;
    }
    if (m[i] && n->op == GR_OP_CONST && n->vlen > 1) {
      free(m);
      gr_diag_span(d, GR_EUSAGE, n->off, n->len,
                   "a vector constant cannot be tabulated point by point");
      return GR_EUSAGE;
    }
  }
  free(m);
  GrTable *t = gr_xcalloc(1, sizeof *t);
  t->s = *s;
  t->B = s->block ? s->block : 512;
  t->rows = 1;
  for (int k = 0; k < s->nranges; k++) {
    t->r[k] = s->ranges[k];
    t->rows *= s->ranges[k].n;
  }
  if (t->rows < t->B)
    t->B = (size_t)t->rows;
  /* blocks: the ranges and the variables of the partial columns */
  t->full = gr_xcalloc((size_t)s->g->nvars + 1, 1);
  for (int k = 0; k < s->nranges; k++)
    t->full[s->ranges[k].var] = 1;
  for (int j = 0; j < s->nwrt; j++)
    if (s->wrt[j] >= 0 && s->wrt[j] < s->g->nvars)
      t->full[s->wrt[j]] = 1;
  GrStatus st = compile(t, d);
  if (st != GR_OK) {
    free(t->full);
    free(t);
    return st;
  }
  t->ncols = (size_t)s->nranges + s->nout + s->nout * (size_t)s->nwrt;
  t->col = gr_xcalloc(t->ncols, sizeof *t->col);
  t->buf = gr_xcalloc(t->ncols, sizeof *t->buf);
  /* own buffers only where the tape's blocks cannot be read directly: a range variable the
   * outputs do not use, an output that is a block of one (broadcast), and the partials of
   * every output but the last (the next reverse sweep overwrites the adjoints) */
  for (int k = 0; k < s->nranges; k++)
    t->buf[k] = gr_xmalloc(t->B * sizeof **t->buf);
  for (size_t k = 0; k < s->nout; k++)
    t->buf[(size_t)s->nranges + k] = gr_xmalloc(t->B * sizeof **t->buf);
  for (size_t j = (size_t)s->nranges + s->nout; j + (size_t)s->nwrt < t->ncols; j++)
    t->buf[j] = gr_xmalloc(t->B * sizeof **t->buf);
  point_ranges(t);
  t->zero = gr_xcalloc(t->B, sizeof *t->zero);
  *tp = t;
  return GR_OK;
}

void gr_table_set_order(GrTable *t, int order, int var) {
  /* called again: the new order replaces the old one's columns */
  for (size_t j = t->ncols - (size_t)t->order; j < t->ncols; j++)
    free(t->buf[j]);
  t->ncols -= (size_t)t->order;
  free(t->ones);
  t->ones = NULL;
  t->order = order;
  t->order_var = var;
  if (var >= 0 && var < t->s.g->nvars && !t->full[var]) {
    /* the direction of the Taylor columns: a block, as a partial's variable is. The same
     * outputs compiled again cannot fail (only the lengths of blocks of one change). */
    t->full[var] = 1;
    GrDiag d;
    if (compile(t, &d) != GR_OK)
      t->full[var] = 0;
    point_ranges(t);
  }
  size_t n0 = t->ncols;
  t->ncols += (size_t)order;
  t->col = gr_xrealloc(t->col, t->ncols * sizeof *t->col);
  t->buf = gr_xrealloc(t->buf, t->ncols * sizeof *t->buf);
  for (size_t j = n0; j < t->ncols; j++) {
    t->col[j] = NULL;
    t->buf[j] = gr_xmalloc(t->B * sizeof **t->buf);
  }
  if (order < 1)
    return;
  t->ones = gr_xmalloc(t->B * sizeof *t->ones);
  for (size_t i = 0; i < t->B; i++)
    t->ones[i] = 1;
}

size_t gr_table_next(GrTable *t) {
  if (t->next >= t->rows)
    return 0;
  t->cur = t->next;
  uint64_t left = t->rows - t->cur;
  size_t m = left < t->B ? (size_t)left : t->B;
  const GrTableSpec *s = &t->s;
  /* the range values, straight into the tape's variable blocks (which are also the columns) */
  if (s->nranges == 1)
    fill_linspace(t->rvar[0], t->r[0].lo, t->r[0].hi, t->r[0].n, t->cur, m);
  else {
    /* row-major grid: runs of constant outer index, the inner range filled run by run */
    uint64_t ni = t->r[1].n, a = t->cur / ni, b = t->cur % ni;
    double *c0 = t->rvar[0], *c1 = t->rvar[1];
    for (size_t i = 0; i < m;) {
      size_t run = ni - b < m - i ? (size_t)(ni - b) : m - i;
      double xa = gr_linspace(t->r[0].lo, t->r[0].hi, t->r[0].n, a);
      for (size_t j = 0; j < run; j++)
        c0[i + j] = xa;
      fill_linspace(c1 + i, t->r[1].lo, t->r[1].hi, ni, b, run);
      i += run;
      b = 0;
      a++;
    }
  }
  /* the last block is padded by repeating its last point */
  for (int k = 0; k < s->nranges && m < t->B; k++)
    for (size_t i = m; i < t->B; i++)
      t->rvar[k][i] = t->rvar[k][m - 1];
  gr_tape_forward(t->tape);
  size_t base = (size_t)s->nranges;
  for (size_t k = 0; k < s->nout; k++) {
    const double *y = gr_tape_out(t->tape, k);
    double *c = t->buf[base + k];
    if (gr_tape_out_len(t->tape, k) == 1) { /* the same at every point: broadcast */
      for (size_t i = 0; i < m; i++)
        c[i] = y[0];
      t->col[base + k] = c;
    } else
      t->col[base + k] = y;
  }
  base += s->nout;
  if (t->order > 0) { /* Taylor mode along order_var, every point of the block at once */
    int N = t->order;
    const double **dir = gr_xcalloc((size_t)s->g->nvars + 1, sizeof *dir);
    dir[t->order_var] = t->ones;
    double *tc = gr_taylor(t->tape, N, dir);
    const double *y = gr_taylor_out(t->tape, tc, N, 0);
    size_t se = gr_tape_out_len(t->tape, 0) > 1 ? (size_t)N + 1 : 0;
    for (int k = 1; k <= N; k++) {
      double *c = t->buf[base + (size_t)k - 1];
      for (size_t i = 0; i < m; i++)
        c[i] = gr_taylor_deriv(y[i * se + (size_t)k], k, 1);
      t->col[base + (size_t)k - 1] = c;
    }
    free(tc);
    free(dir);
  }
  for (size_t k = 0; k < s->nout && s->nwrt; k++) {
    gr_tape_reverse(t->tape, k, NULL);
    for (int j = 0; j < s->nwrt; j++) {
      size_t cj = base + k * (size_t)s->nwrt + (size_t)j;
      const double *gv = gr_tape_grad(t->tape, s->wrt[j]);
      if (!gv)
        gv = t->zero;
      if (t->buf[cj]) {
        memcpy(t->buf[cj], gv, m * sizeof *gv);
        gv = t->buf[cj];
      }
      t->col[cj] = gv;
    }
  }
  t->next += m;
  return m;
}

size_t gr_table_issues(const GrTable *t, int finite, GrTapeIssue *out, size_t max) {
  /* gr_tape_issues warns only of a kink, of a non-finite value where an output is not
   * finite, or of a non-finite derivative where the adjoint of a variable or of a named
   * intermediate is not: with none of these possible it would find nothing, so the scan of
   * the whole tape is skipped (the columns were checked already) */
  const GrTape *tp = t->tape;
  size_t m = t->rows - t->cur < t->B ? (size_t)(t->rows - t->cur) : t->B;
  if (finite < 0) /* not known: look */
    for (size_t j = 0, f = finite = 1; j < t->ncols && f; j++)
      f = finite = gr_all_finite(t->col[j], m);
  int maybe = t->kinky || !finite;
  for (size_t i = 0; i < tp->n && !maybe; i++) {
    const GrInstr *in = &tp->ins[i];
    if (!in->need || (in->op != GR_OP_VAR && in->op != GR_OP_LET))
      continue;
    const double *g = tp->adj + gr_tape_off(tp, i);
    int column = 0; /* a partial column: checked */
    for (size_t j = (size_t)t->s.nranges + t->s.nout; j < t->ncols && !column; j++)
      column = t->col[j] == g;
    if (!column)
      maybe = !gr_all_finite(g, gr_tape_len(tp, i));
  }
  return maybe ? gr_tape_issues(tp, out, max) : 0;
}

/* whether a not-a-number or infinite double's bits were OR'd into bad (see gr_all_finite) */
#define FIN_BAD(bad, u) ((bad) |= ((u) & 0x7ff0000000000000ULL) + (1ULL << 52))

/* column c of rows i0..i0+k one value at a time (the columns left over by the 4-wide
 * loop, or every column where there is no AVX2) */
static uint64_t pack_col(double *dst, const double *col, size_t ncol, size_t k) {
  uint64_t bad = 0;
  for (size_t i = 0; i < k; i++) {
    uint64_t u;
    memcpy(&u, col + i, sizeof u);
    FIN_BAD(bad, u);
    dst[i * ncol] = col[i];
  }
  return bad;
}

#if GR_PACK_AVX2
/* |= the OR of the bits that say not finite (see gr_all_finite) of four values */
#define FIN_BAD4(bad, v)                                                                           \
  ((bad) = _mm256_or_si256(                                                                        \
       (bad), _mm256_add_epi64(_mm256_and_si256(_mm256_castpd_si256(v), e), one)))
/* Four columns at a time: four rows of each loaded as vectors, transposed in registers
 * (unpack within the 128-bit halves, then swap halves) into four rows of the output. The
 * one to three columns left over go the same way with zeros for the missing columns, each
 * row's four values spilling past its end into the next rows, which are written after it
 * (so first, and not where that would pass the end of the k rows: those rows go one value
 * at a time). */
__attribute__((target("avx2"))) static uint64_t pack_avx2(double *dst, const double *const *cols,
                                                          size_t ncol, size_t i0, size_t k) {
  const __m256i e = _mm256_set1_epi64x((long long)0x7ff0000000000000ULL),
                one = _mm256_set1_epi64x(1LL << 52);
  const __m256d zero = _mm256_setzero_pd();
  __m256i vbad = _mm256_setzero_si256();
  size_t g = ncol / 4 * 4, left = ncol - g, i = 0, lv = 0;
  for (; i + 4 <= k; i += 4) {
    double *r = dst + i * ncol;
    /* the left-over columns too where the last row's spill stays within the k rows */
    int spill = left && (i + 3) * ncol + g + 4 <= k * ncol;
    /* (the left-over columns first: the groups after them overwrite their spills) */
    for (size_t q = 0, nq = g / 4 + (spill ? 1 : 0); q < nq; q++) {
      size_t c = spill ? (q ? 4 * (q - 1) : g) : 4 * q;
      __m256d a = _mm256_loadu_pd(cols[c] + i0 + i);
      __m256d b = c + 1 < ncol ? _mm256_loadu_pd(cols[c + 1] + i0 + i) : zero;
      __m256d cc = c + 2 < ncol ? _mm256_loadu_pd(cols[c + 2] + i0 + i) : zero;
      __m256d d = c + 3 < ncol ? _mm256_loadu_pd(cols[c + 3] + i0 + i) : zero;
      FIN_BAD4(vbad, a);
      FIN_BAD4(vbad, b);
      FIN_BAD4(vbad, cc);
      FIN_BAD4(vbad, d);
      __m256d t0 = _mm256_unpacklo_pd(a, b), t1 = _mm256_unpackhi_pd(a, b),
              t2 = _mm256_unpacklo_pd(cc, d), t3 = _mm256_unpackhi_pd(cc, d);
      _mm256_storeu_pd(r + c, _mm256_permute2f128_pd(t0, t2, 0x20));
      _mm256_storeu_pd(r + ncol + c, _mm256_permute2f128_pd(t1, t3, 0x20));
      _mm256_storeu_pd(r + 2 * ncol + c, _mm256_permute2f128_pd(t0, t2, 0x31));
      _mm256_storeu_pd(r + 3 * ncol + c, _mm256_permute2f128_pd(t1, t3, 0x31));
      if (c >= g)
        lv = i + 4; /* the left-over columns are written up to here */
    }
  }
  uint64_t lanes[4], bad = 0;
  _mm256_storeu_si256((__m256i *)(void *)lanes, vbad);
  bad = lanes[0] | lanes[1] | lanes[2] | lanes[3];
  for (size_t c = 0; c < g; c++) /* the rows after the last four */
    bad |= pack_col(dst + i * ncol + c, cols[c] + i0 + i, ncol, k - i);
  for (size_t c = g; c < ncol; c++)
    bad |= pack_col(dst + lv * ncol + c, cols[c] + i0 + lv, ncol, k - lv);
  return bad;
}
#endif

int gr_table_pack(double *dst, const double *const *cols, size_t ncol, size_t i0, size_t k) {
  uint64_t bad = 0;
#if GR_PACK_AVX2
  static int avx2 = -1;
  int a = __atomic_load_n(&avx2, __ATOMIC_RELAXED);
  if (a < 0) {
    __builtin_cpu_init();
    a = __builtin_cpu_supports("avx2") != 0;
    __atomic_store_n(&avx2, a, __ATOMIC_RELAXED);
  }
  if (a)
    return !(pack_avx2(dst, cols, ncol, i0, k) >> 63);
#endif
  for (size_t c = 0; c < ncol; c++)
    bad |= pack_col(dst + c, cols[c] + i0, ncol, k);
  return !(bad >> 63);
}

size_t gr_table_block(const GrTable *t) { return t->B; }
void gr_table_seek(GrTable *t, uint64_t row) { t->next = row < t->rows ? row : t->rows; }
size_t gr_table_ncols(const GrTable *t) { return t->ncols; }
const double *gr_table_col(const GrTable *t, size_t j) { return j < t->ncols ? t->col[j] : NULL; }
uint64_t gr_table_row(const GrTable *t) { return t->cur; }
uint64_t gr_table_rows(const GrTable *t) { return t->rows; }
const GrTape *gr_table_tape(const GrTable *t) { return t->tape; }

void gr_table_free(GrTable *t) {
  if (!t)
    return;
  for (size_t j = 0; j < t->ncols; j++)
    free(t->buf[j]);
  free(t->buf);
  free(t->col);
  free(t->zero);
  free(t->ones);
  free(t->full);
  gr_tape_free(t->tape);
  free(t);
}
