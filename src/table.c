/* SPDX-License-Identifier: MIT
 * Tabulation through the blocked tape (see table.h). Every graph variable is a block
 * variable, range or fixed, so the reverse sweep keeps each point's partials apart instead
 * of summing them into a length-1 adjoint. The last block is padded by repeating its last
 * point, so no sweep ever sees uninitialised values.
 */
#include "table.h"
#include "arena.h"
#include "ops.h"
#include <stdlib.h>
#include <string.h>

struct GrTable {
  GrTableSpec s;
  GrRange r[2];
  GrTape *tape;
  size_t B;        /* block */
  uint64_t rows, next, cur;
  size_t ncols;
  double **col;    /* ncols buffers of B doubles */
  double *zero;    /* B zeros: partials of outputs that do not use a variable */
};

double gr_linspace(double lo, double hi, uint64_t n, uint64_t i) {
  if (n <= 1)
    return lo;
  double step = (hi - lo) / (double)(n - 1);
  return i < n / 2 ? lo + step * (double)i : hi - step * (double)(n - 1 - i);
}

static int is_reduction(int op) {
  return op == GR_OP_SUM || op == GR_OP_MEAN || op == GR_OP_PROD || op == GR_OP_VMAX ||
         op == GR_OP_VMIN;
}

GrStatus gr_table_open(const GrTableSpec *s, GrTable **tp, GrDiag *d) {
  *tp = NULL;
  if (s->nranges < 1 || s->nranges > 2)
    return gr_diag_set(d, GR_EUSAGE, "a table needs one or two ranges, not %d", s->nranges);
  /* reductions would mix the points of a block */
  unsigned char *m = gr_reachable(s->g, s->outs, s->nout);
  for (size_t i = 0; i < s->g->count; i++) {
    const GrNode *n = s->g->nodes[i];
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
  size_t *vl = gr_xmalloc(((size_t)s->g->nvars + 1) * sizeof *vl);
  for (int v = 0; v < s->g->nvars; v++)
    vl[v] = t->B;
  GrStatus st = gr_tape_compile(s->g, s->outs, s->nout, vl, &t->tape, d);
  free(vl);
  if (st != GR_OK) {
    free(t);
    return st;
  }
  /* variables not in a range: the same value at every point */
  for (int v = 0; v < s->g->nvars; v++) {
    double *x = gr_tape_var(t->tape, v);
    int ranged = 0;
    for (int k = 0; k < s->nranges; k++)
      ranged |= s->ranges[k].var == v;
    if (x && !ranged)
      for (size_t i = 0; i < t->B; i++)
        x[i] = s->fixed ? s->fixed[v] : 0;
  }
  t->ncols = (size_t)s->nranges + s->nout + s->nout * (size_t)s->nwrt;
  t->col = gr_xcalloc(t->ncols, sizeof *t->col);
  for (size_t j = 0; j < t->ncols; j++)
    t->col[j] = gr_xmalloc(t->B * sizeof **t->col);
  t->zero = gr_xcalloc(t->B, sizeof *t->zero);
  *tp = t;
  return GR_OK;
}

size_t gr_table_next(GrTable *t) {
  if (t->next >= t->rows)
    return 0;
  t->cur = t->next;
  uint64_t left = t->rows - t->cur;
  size_t m = left < t->B ? (size_t)left : t->B;
  const GrTableSpec *s = &t->s;
  /* the range columns, then the same values into the tape's variable blocks */
  if (s->nranges == 1) {
    /* gr_linspace inlined: the step once per block, not a division per point */
    double *c = t->col[0], lo = t->r[0].lo, hi = t->r[0].hi;
    uint64_t n = t->r[0].n, half = n / 2, i0 = t->cur;
    double step = n > 1 ? (hi - lo) / (double)(n - 1) : 0;
    for (size_t i = 0; i < m; i++) {
      uint64_t k = i0 + i;
      c[i] = n <= 1 ? lo : k < half ? lo + step * (double)k : hi - step * (double)(n - 1 - k);
    }
  } else {
    uint64_t ni = t->r[1].n, a = t->cur / ni, b = t->cur % ni;
    double *c0 = t->col[0], *c1 = t->col[1];
    double xa = gr_linspace(t->r[0].lo, t->r[0].hi, t->r[0].n, a);
    for (size_t i = 0; i < m; i++) {
      c0[i] = xa;
      c1[i] = gr_linspace(t->r[1].lo, t->r[1].hi, ni, b);
      if (++b == ni) {
        b = 0;
        a++;
        xa = gr_linspace(t->r[0].lo, t->r[0].hi, t->r[0].n, a);
      }
    }
  }
  for (int k = 0; k < s->nranges; k++) {
    double *x = gr_tape_var(t->tape, t->r[k].var);
    if (!x)
      continue;
    memcpy(x, t->col[k], m * sizeof *x);
    for (size_t i = m; i < t->B; i++)
      x[i] = t->col[k][m - 1];
  }
  gr_tape_forward(t->tape);
  size_t base = (size_t)s->nranges;
  for (size_t k = 0; k < s->nout; k++) {
    const double *y = gr_tape_out(t->tape, k);
    if (gr_tape_out_len(t->tape, k) == 1)
      for (size_t i = 0; i < m; i++)
        t->col[base + k][i] = y[0];
    else
      memcpy(t->col[base + k], y, m * sizeof *y);
  }
  base += s->nout;
  for (size_t k = 0; k < s->nout && s->nwrt; k++) {
    gr_tape_reverse(t->tape, k, NULL);
    for (int j = 0; j < s->nwrt; j++) {
      const double *gv = gr_tape_grad(t->tape, s->wrt[j]);
      memcpy(t->col[base + k * (size_t)s->nwrt + (size_t)j], gv ? gv : t->zero, m * sizeof *gv);
    }
  }
  t->next += m;
  return m;
}

size_t gr_table_ncols(const GrTable *t) { return t->ncols; }
const double *gr_table_col(const GrTable *t, size_t j) { return j < t->ncols ? t->col[j] : NULL; }
uint64_t gr_table_row(const GrTable *t) { return t->cur; }
uint64_t gr_table_rows(const GrTable *t) { return t->rows; }
const GrTape *gr_table_tape(const GrTable *t) { return t->tape; }

void gr_table_free(GrTable *t) {
  if (!t)
    return;
  for (size_t j = 0; j < t->ncols; j++)
    free(t->col[j]);
  free(t->col);
  free(t->zero);
  gr_tape_free(t->tape);
  free(t);
}
