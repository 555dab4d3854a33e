/* SPDX-License-Identifier: GPL-3.0-or-later
 * Objectives compiled from expressions (method names and defaults are in optim_common.c,
 * the dispatch to the optimizer families in optim_run.c). A fit compiles the residual once with data columns as blocks of up to
 * `block` rows and parameters as blocks of one, so one forward and one reverse sweep per
 * block give the loss and the gradient summed over the rows: no per-row work outside
 * the tape's tight loops, no per-row allocation. Where the rows are apart (no sum over the
 * block inside the model) a block is swept in strips of about 256 rows instead, with the
 * same sums in the same order (fit_block_strips): the same numbers, from the nearest cache.
 */
#include "optim.h"
#include "arena.h"
#include "point.h"
#include "tape.h"
#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- objectives from tapes ---- */

size_t gr_fit_block(size_t want, size_t rows) {
  size_t B = want ? want : 4096;
  return B > rows && rows > 0 ? rows : B;
}

int gr_fit_threads(int want) {
  long n = want;
  if (n <= 0) {
#ifdef _OPENMP
    n = omp_get_max_threads(); /* OMP_NUM_THREADS, else the cores this process may use */
#else
    n = 1;
#endif
  }
#ifndef _OPENMP
  n = 1;
#endif
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

struct GrProblem {
  GrProblemSpec s;
  GrFitShard sh;     /* FIT: the rows here among all (rows_total 0: all are here) */
  GrTape *t;         /* tapes[0] */
  GrTape **tapes;    /* FIT: one per thread, the same program */
  GrTape **strips;   /* FIT: per thread, the program on strips of S rows (NULL: none) */
  size_t S;          /* FIT: rows per strip, a divisor of B (0: no strip tapes) */
  int whole;         /* FIT: sweep the blocks whole even so (gr_problem_whole_blocks) */
  int nth;           /* FIT: threads */
  size_t B, nb;      /* FIT: block length, number of blocks here */
  size_t b0, nball;  /* FIT: the global number of the first block here; blocks in all */
  int res_local;     /* FIT: res_block writes block b at rows 0.. of r and J */
  size_t m;          /* residual count */
  double *seed;      /* FIT: per-row adjoint seeds, B per thread */
  double **pad;      /* FIT: per graph variable, the short last block padded to B rows */
  double *part;      /* FIT: per block here, its loss and gradient (1 + n doubles) */
  double *part_all;  /* FIT: the same for all blocks (part points into it at block b0) */
  double *lm_R, *lm_x; /* FIT, LM on many blocks: the last point and its R factor */
  double one;        /* tangent direction value */
  const double **dir; /* per thread, nvars + 1 */
  GrNode *out0;      /* MIN: the objective */
  GrPoint *pt;       /* MIN: the objective as a one-point program (NULL: on the tape) */
  int pt_tried;
};

/* MIN: the one-point program of the objective, compiled at the first evaluation, with the
 * fixed variables' values in place; NULL when it has a vector (the tape serves it then). Its
 * numbers are the tape's, bit for bit (point.h), without the block machinery at every step. */
static GrPoint *problem_point(GrProblem *p) {
  const GrProblemSpec *s = &p->s;
  if (s->kind != GR_PROB_MIN)
    return NULL;
  if (!p->pt_tried) {
    p->pt_tried = 1;
    p->pt = gr_point_compile(s->g, p->out0);
    for (int v = 0; p->pt && v < s->g->nvars; v++) {
      double *slot = gr_point_var(p->pt, v);
      if (slot)
        *slot = s->value[v];
    }
  }
  return p->pt;
}

static void put_values_tape(GrProblem *p, GrTape *t, const double *x) {
  const GrProblemSpec *s = &p->s;
  for (int v = 0; v < s->g->nvars; v++) {
    double *slot = gr_tape_var(t, v);
    if (slot && !(s->data_col && s->data_col[v] >= 0))
      slot[0] = s->value[v];
  }
  for (int j = 0; j < s->nparam; j++) {
    double *slot = gr_tape_var(t, s->param_var[j]);
    if (slot)
      slot[0] = x[j];
  }
}

static void put_values(GrProblem *p, const double *x) {
  int nt = p->s.kind == GR_PROB_FIT ? p->nth : 1;
  for (int w = 0; w < nt; w++) {
    put_values_tape(p, p->tapes[w], x);
    if (p->strips)
      put_values_tape(p, p->strips[w], x);
  }
}

/* FIT: bind rows [b*B, ...) of every used column in place; the short last block reads
 * its padded copy (the last row repeated: real data, so finite), and those rows get a
 * zero seed. Returns the real row count. */
static size_t bind_block(GrProblem *p, GrTape *t, size_t b) {
  const GrProblemSpec *s = &p->s;
  size_t r0 = b * p->B, nr = s->data->nrow - r0;
  if (nr > p->B)
    nr = p->B;
  for (int v = 0; v < s->g->nvars; v++) {
    int c = s->data_col[v];
    if (c >= 0)
      gr_tape_bind(t, v, nr == p->B ? s->data->col[c] + r0 : p->pad[v]);
  }
  return nr;
}

/* FIT: the squared residuals r[0..m) into the GR_LANES partial sums acc (row k into sum
 * k % GR_LANES) and the reverse sweep's seeds 2 scale r_k. */
static inline void squares_seeds(const double *r, size_t m, double scale, double *acc,
                                 double *seed) {
  size_t k = 0;
  for (; k + GR_LANES <= m; k += GR_LANES) {
    for (size_t l = 0; l < GR_LANES; l++) {
      double rk = r[k + l];
      acc[l] += rk * rk;
      seed[k + l] = 2 * scale * rk;
    }
  }
  double tl[GR_LANES] = {0}; /* the tail apart, so that acc can stay in registers */
  for (size_t l = 0; k + l < m; l++) {
    double rk = r[k + l];
    tl[l] = rk * rk;
    seed[k + l] = 2 * scale * rk;
  }
  for (size_t l = 0; l < GR_LANES; l++)
    acc[l] += tl[l];
}

/* FIT: loss and gradient of block b on tape t into part[b*(n+1)...]: the rows' squared
 * residuals summed in GR_LANES partial sums (row k into sum k % GR_LANES, then the sums
 * in order), the gradient from one reverse sweep (whose reductions have the same shape). */
static void fit_block(GrProblem *p, GrTape *t, double *seed, size_t b, int want_g) {
  const GrProblemSpec *s = &p->s;
  int n = s->nparam;
  double scale = s->sse ? 1.0 : 1.0 / (double)p->m;
  double *out = p->part + b * (size_t)(n + 1);
  size_t nr = bind_block(p, t, b);
  gr_tape_forward(t);
  const double *r = gr_tape_out(t, 0);
  size_t rl = gr_tape_out_len(t, 0);
  double acc[GR_LANES] = {0};
  if (rl > 1) {
    squares_seeds(r, nr, scale, acc, seed);
  } else {
    /* the residual does not depend on the data: one value for every row */
    double a1[GR_LANES] = {0};
    for (size_t k = 0; k < nr; k++) {
      a1[k % GR_LANES] += r[0] * r[0];
      seed[k] = 2 * scale * r[0];
    }
    for (size_t l = 0; l < GR_LANES; l++)
      acc[l] = a1[l];
  }
  out[0] = gr_lanes_sum(acc);
  if (!want_g)
    return;
  for (size_t k = nr; k < p->B; k++)
    seed[k] = 0;
  if (rl == 1) {
    double s1 = 0;
    for (size_t k = 0; k < nr; k++)
      s1 += seed[k];
    seed[0] = s1;
  }
  gr_tape_reverse(t, 0, seed);
  for (int j = 0; j < n; j++) {
    const double *a = gr_tape_grad(t, s->param_var[j]);
    out[1 + j] = a ? a[0] : 0;
  }
}

/* FIT: fit_block in strips of S rows on the strip tape t (the rows of the program apart, and
 * a residual per row): each strip's values, squared residuals and adjoints stay in the
 * cache nearest the core instead of a pass over the whole block per instruction. The same
 * numbers bit for bit: row k's square goes to sum k % GR_LANES as in fit_block, and the
 * parameters' adjoints are those of one whole sweep (gr_tape_reverse_strip). Strips past
 * the block's real rows are left out (their seeds would be 0: nothing to add). Compiled for
 * AVX-512 and AVX2 as the sweeps are: the squares and seeds over the rows in wider lanes. */
GR_SWEEP_CLONES static void fit_block_strips(GrProblem *p, GrTape *t, double *seed, size_t b,
                                             int want_g) {
  const GrProblemSpec *s = &p->s;
  int n = s->nparam;
  double scale = s->sse ? 1.0 : 1.0 / (double)p->m;
  double *out = p->part + b * (size_t)(n + 1);
  size_t r0 = b * p->B, nr = s->data->nrow - r0, S = p->S;
  if (nr > p->B)
    nr = p->B;
  double acc[GR_LANES] = {0};
  for (size_t k0 = 0; k0 < nr; k0 += S) {
    for (int v = 0; v < s->g->nvars; v++) {
      int c = s->data_col[v];
      if (c >= 0)
        gr_tape_bind(t, v, (nr == p->B ? s->data->col[c] + r0 : p->pad[v]) + k0);
    }
    gr_tape_forward(t);
    const double *r = gr_tape_out(t, 0);
    size_t m = nr - k0 < S ? nr - k0 : S;
    /* S is a multiple of GR_LANES: row k0 + k goes to sum k % GR_LANES */
    squares_seeds(r, m, scale, acc, seed);
    if (!want_g)
      continue;
    for (size_t k = m; k < S; k++)
      seed[k] = 0;
    gr_tape_reverse_strip(t, 0, seed);
  }
  out[0] = gr_lanes_sum(acc);
  if (!want_g)
    return;
  gr_tape_reverse_finish(t, 0);
  for (int j = 0; j < n; j++) {
    const double *a = gr_tape_grad(t, s->param_var[j]);
    out[1 + j] = a ? a[0] : 0;
  }
}

/* FIT: the rows per strip for blocks of B rows: a divisor of B that is a multiple of
 * GR_LANES, about 256 (a strip of the whole program's values and adjoints, 2 KB a slot, then
 * stays in the level-1 cache); 0 where B is short or has no such divisor (whole blocks). */
static size_t fit_strip(size_t B) {
  if (B <= 512)
    return 0;
  for (size_t S = 256; S >= 64; S -= GR_LANES)
    if (B % S == 0)
      return S;
  return 0;
}

static int fit_threads(const GrProblem *p) { return p->nth; }

void gr_problem_whole_blocks(GrProblem *p, int on) { p->whole = on; }

static void prob_fg(void *ctx, const double *x, double *f, double *g) {
  GrProblem *p = ctx;
  const GrProblemSpec *s = &p->s;
  int n = s->nparam;
  GrPoint *pt = problem_point(p);
  if (pt) {
    for (int j = 0; j < n; j++) {
      double *slot = gr_point_var(pt, s->param_var[j]);
      if (slot)
        *slot = x[j];
    }
    if (!g) {
      *f = gr_point_forward(pt);
      return;
    }
    *f = gr_point_forward_partials(pt);
    gr_point_reverse(pt);
    for (int j = 0; j < n; j++)
      g[j] = gr_point_grad(pt, s->param_var[j]);
    return;
  }
  put_values(p, x);
  if (g)
    memset(g, 0, (size_t)n * sizeof *g);
  if (s->kind != GR_PROB_FIT) {
    gr_tape_forward(p->t);
    *f = gr_tape_out(p->t, 0)[0];
    if (!g)
      return;
    gr_tape_reverse(p->t, 0, NULL);
    for (int j = 0; j < n; j++) {
      const double *a = gr_tape_grad(p->t, s->param_var[j]);
      g[j] = a ? a[0] : 0;
    }
    return;
  }
  double scale = s->sse ? 1.0 : 1.0 / (double)p->m, sum = 0;
  int want_g = g != NULL;
  /* the blocks are shared out among the threads, each with its own tape; every block's
   * partial results land in its own place and are added in block order afterwards, so the
   * numbers do not depend on the thread count */
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(fit_threads(p)) if (fit_threads(p) > 1)
#endif
  for (size_t b = 0; b < p->nb; b++) {
#ifdef _OPENMP
    int w = omp_get_thread_num();
#else
    int w = 0;
#endif
    if (p->strips && !p->whole)
      fit_block_strips(p, p->strips[w], p->seed + (size_t)w * p->B, b, want_g);
    else
      fit_block(p, p->tapes[w], p->seed + (size_t)w * p->B, b, want_g);
  }
  if (p->sh.gather)
    p->sh.gather(p->sh.ctx, p->part_all, (size_t)n + 1);
  for (size_t b = 0; b < p->nball; b++) {
    const double *pb = p->part_all + b * (size_t)(n + 1);
    sum += pb[0];
    if (g)
      for (int j = 0; j < n; j++)
        g[j] += pb[1 + j];
  }
  *f = scale * sum;
}

/* Residuals (and the Jacobian rows) of block b, or of the system (EQ), on tape t. */
static void res_block(GrProblem *p, GrTape *t, const double **dir, size_t b, double *r,
                      double *J) {
  const GrProblemSpec *s = &p->s;
  int n = s->nparam, nv = s->g->nvars;
  size_t nr, r0;
  if (s->kind == GR_PROB_FIT) {
    nr = bind_block(p, t, b);
    r0 = p->res_local ? 0 : b * p->B;
  } else {
    nr = (size_t)s->nout;
    r0 = 0;
  }
  gr_tape_forward(t);
  /* residual i of this block: output 0 row i (FIT) or output i+1 (EQ) */
  for (size_t i = 0; i < nr; i++) {
    if (s->kind == GR_PROB_FIT) {
      size_t rl = gr_tape_out_len(t, 0);
      r[r0 + i] = gr_tape_out(t, 0)[rl > 1 ? i : 0];
    } else
      r[i] = gr_tape_out(t, i + 1)[0];
  }
  if (!J)
    return;
  for (int j = 0; j < n; j++) {
    for (int v = 0; v < nv; v++)
      dir[v] = NULL;
    dir[s->param_var[j]] = &p->one;
    gr_tape_tangent(t, dir);
    for (size_t i = 0; i < nr; i++) {
      const double *tg;
      size_t tl;
      if (s->kind == GR_PROB_FIT) {
        tg = gr_tape_out_tangent(t, 0);
        tl = gr_tape_out_len(t, 0);
        J[(r0 + i) * (size_t)n + (size_t)j] = tg ? tg[tl > 1 ? i : 0] : 0;
      } else {
        tg = gr_tape_out_tangent(t, i + 1);
        J[i * (size_t)n + (size_t)j] = tg ? tg[0] : 0;
      }
    }
  }
}

static void prob_res(void *ctx, const double *x, double *r, double *J) {
  GrProblem *p = ctx;
  const GrProblemSpec *s = &p->s;
  put_values(p, x);
  size_t dl = (size_t)s->g->nvars + 1;
  if (s->kind != GR_PROB_FIT) {
    res_block(p, p->t, p->dir, 0, r, J);
    return;
  }
  /* every block writes its own rows of r and J: any thread count, the same numbers */
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(fit_threads(p)) if (fit_threads(p) > 1)
#endif
  for (size_t b = 0; b < p->nb; b++) {
#ifdef _OPENMP
    int w = omp_get_thread_num();
#else
    int w = 0;
#endif
    res_block(p, p->tapes[w], p->dir + (size_t)w * dl, b, r, J);
  }
}

/* The model with every data column wrapped in detach(): the tape then marks the pure-data
 * parts (x^2 of a column x) as needing no adjoint, and the reverse sweep only does the work
 * that reaches a parameter. Rebuilt in id order (a topological order), no recursion. */
static GrNode *detach_data(GrGraph *g, GrNode *root, const int *data_col) {
  size_t n = root->id + 1;
  GrNode **map = gr_xcalloc(n, sizeof *map);
  unsigned char *live = gr_reachable(g, &root, 1);
  for (size_t i = 0; i < n; i++) {
    GrNode *nd = gr_graph_node(g, i);
    if (!live[i])
      continue;
    if (nd->op == GR_OP_VAR)
      map[i] = nd->var >= 0 && data_col[nd->var] >= 0 ? gr_node(g, GR_OP_DETACH, nd, NULL, NULL)
                                                      : nd;
    else if (nd->op == GR_OP_CONST || nd->nargs == 0)
      map[i] = nd;
    else if (nd->op == GR_OP_LET)
      map[i] = gr_let(g, nd->name, map[nd->arg[0]->id]);
    else
      map[i] =
          gr_node(g, nd->op, map[nd->arg[0]->id], nd->nargs > 1 ? map[gr_arg(nd, 1)->id] : NULL,
                  nd->nargs > 2 ? map[gr_arg(nd, 2)->id] : NULL);
  }
  GrNode *r = map[root->id];
  free(map);
  free(live);
  return r;
}

static void prob_res_r(void *ctx, const double *x, double *r, double *J);
static void prob_res_one(void *ctx, const double *x, double *r, double *J);

GrStatus gr_problem_new(const GrProblemSpec *s, GrProblem **pp, GrObjective *obj, GrDiag *d) {
  return gr_problem_new_shard(s, NULL, pp, obj, d);
}

GrStatus gr_problem_new_shard(const GrProblemSpec *s, const GrFitShard *sh, GrProblem **pp,
                              GrObjective *obj, GrDiag *d) {
  GrProblem *p = gr_xcalloc(1, sizeof *p);
  p->s = *s;
  if (sh)
    p->sh = *sh;
  p->one = 1;
  GrGraph *g = s->g;
  size_t *var_len = gr_xcalloc((size_t)g->nvars + 1, sizeof *var_len);
  GrNode **outs = NULL;
  size_t nout = 0;
  for (int v = 0; v < g->nvars; v++)
    var_len[v] = 1;
  if (s->kind == GR_PROB_FIT) {
    size_t total = p->sh.rows_total ? p->sh.rows_total : s->data->nrow;
    p->B = gr_fit_block(s->block, total);
    p->nb = (s->data->nrow + p->B - 1) / p->B;
    p->b0 = p->sh.rows_total ? p->sh.row0 / p->B : 0;
    p->nball = (total + p->B - 1) / p->B;
    for (int v = 0; v < g->nvars; v++)
      if (s->data_col[v] >= 0)
        var_len[v] = p->B;
    outs = gr_xmalloc(sizeof *outs);
    outs[nout++] = detach_data(g, s->outs[0], s->data_col);
    p->m = total;
  } else if (s->kind == GR_PROB_EQ) {
    /* output 0: the sum of squared residuals, then each residual */
    outs = gr_xmalloc(((size_t)s->nout + 1) * sizeof *outs);
    GrNode *sum = NULL;
    for (int i = 0; i < s->nout; i++) {
      GrNode *sq = gr_node(g, GR_OP_MUL, s->outs[i], s->outs[i], NULL);
      sum = sum ? gr_node(g, GR_OP_ADD, sum, sq, NULL) : sq;
    }
    outs[nout++] = sum;
    for (int i = 0; i < s->nout; i++)
      outs[nout++] = s->outs[i];
    p->m = (size_t)s->nout;
  } else {
    outs = gr_xmalloc(sizeof *outs);
    outs[nout++] = p->out0 = s->outs[0];
  }
  p->nth = s->kind == GR_PROB_FIT ? gr_fit_threads(s->threads) : 1;
  p->tapes = gr_xcalloc((size_t)p->nth, sizeof *p->tapes);
  GrStatus st = GR_OK;
  for (int w = 0; w < p->nth && st == GR_OK; w++)
    st = gr_tape_compile(g, outs, nout, var_len, &p->tapes[w], d);
  p->t = p->tapes[0];
  /* a fit whose rows are apart, with a residual per row, sweeps its blocks in strips, on
   * tapes of the same program compiled for strips */
  if (st == GR_OK && s->kind == GR_PROB_FIT &&
      (p->S = fit_strip(p->B)) > 0 && gr_tape_out_len(p->t, 0) == p->B &&
      gr_tape_rows_apart(p->t)) {
    for (int v = 0; v < g->nvars; v++)
      if (s->data_col[v] >= 0)
        var_len[v] = p->S;
    p->strips = gr_xcalloc((size_t)p->nth, sizeof *p->strips);
    for (int w = 0; w < p->nth && st == GR_OK; w++)
      st = gr_tape_compile(g, outs, nout, var_len, &p->strips[w], d);
  } else
    p->S = 0;
  free(var_len);
  free(outs);
  if (st != GR_OK) {
    gr_problem_free(p);
    return st;
  }
  for (size_t k = 0; k < nout; k++) {
    size_t want = (s->kind == GR_PROB_FIT) ? p->B : 1;
    size_t L = gr_tape_out_len(p->t, k);
    if (L != 1 && L != want) {
      GrNode *bad = s->kind == GR_PROB_EQ && k > 0 ? s->outs[k - 1] : s->outs[0];
      st = gr_diag_span(d, GR_EUSAGE, bad->off, bad->len,
                        "the expression has %zu values; minimize needs a single number%s", L,
                        s->kind == GR_PROB_FIT ? " per data row" : "");
      gr_problem_free(p);
      return st;
    }
  }
  p->dir = gr_xcalloc(((size_t)g->nvars + 1) * (size_t)p->nth, sizeof *p->dir);
  if (s->kind == GR_PROB_FIT) {
    p->seed = gr_xmalloc(p->B * (size_t)p->nth * sizeof *p->seed);
    p->part_all = gr_xcalloc(p->nball * ((size_t)s->nparam + 1), sizeof *p->part_all);
    p->part = p->part_all + p->b0 * ((size_t)s->nparam + 1);
    p->pad = gr_xcalloc((size_t)g->nvars + 1, sizeof *p->pad);
    size_t r0 = p->nb ? (p->nb - 1) * p->B : 0, nr = s->data->nrow - r0;
    for (int v = 0; v < g->nvars; v++) {
      int c = s->data_col[v];
      if (c < 0 || !gr_tape_var(p->t, v) || nr == p->B || nr == 0)
        continue;
      p->pad[v] = gr_xmalloc(p->B * sizeof **p->pad);
      const double *src = s->data->col[c] + r0;
      memcpy(p->pad[v], src, nr * sizeof *src);
      for (size_t k = nr; k < p->B; k++)
        p->pad[v][k] = src[nr - 1];
    }
  }
  memset(obj, 0, sizeof *obj);
  obj->n = s->nparam;
  obj->fg = prob_fg;
  obj->ctx = p;
  if (s->kind != GR_PROB_MIN) {
    obj->m = p->m;
    obj->res = prob_res;
    if (s->kind == GR_PROB_FIT && p->nball > 1) {
      obj->m = (size_t)s->nparam + 1; /* LM works on the R factor of [J r] */
      obj->res = prob_res_r;
    } else if (s->kind == GR_PROB_FIT && p->sh.gather)
      obj->res = prob_res_one;
    obj->scale = (s->kind == GR_PROB_FIT && !s->sse) ? 1.0 / (double)p->m : 1.0;
  }
  *pp = p;
  return GR_OK;
}

void gr_problem_free(GrProblem *p) {
  if (!p)
    return;
  for (int w = 0; w < p->nth; w++) {
    gr_tape_free(p->tapes[w]);
    if (p->strips)
      gr_tape_free(p->strips[w]);
  }
  free(p->tapes);
  free(p->strips);
  if (p->pad)
    for (int v = 0; v < p->s.g->nvars; v++)
      free(p->pad[v]);
  free(p->pad);
  free(p->part_all);
  free(p->lm_R);
  free(p->lm_x);
  free(p->seed);
  free(p->dir);
  gr_point_free(p->pt);
  free(p);
}

/* The rank of the m x n matrix J with the tolerance of a matrix of `tm` rows. */
static int rank_tol(const double *J, size_t m, int n, size_t tm) {
  if (n == 0)
    return 0;
  size_t rows = m < (size_t)n ? (size_t)n : m; /* SV_decomp needs rows >= cols: pad with 0 */
  gsl_matrix *A = gsl_matrix_calloc(rows, (size_t)n);
  gsl_matrix *V = gsl_matrix_alloc((size_t)n, (size_t)n);
  gsl_vector *S = gsl_vector_alloc((size_t)n), *w = gsl_vector_alloc((size_t)n);
  for (size_t i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      gsl_matrix_set(A, i, (size_t)j, J[i * (size_t)n + (size_t)j]);
  int rank = 0;
  if (tm < rows)
    tm = rows;
  if (gsl_linalg_SV_decomp(A, V, S, w) == 0) {
    double smax = gsl_vector_max(S);
    double tol = (double)tm * 2.220446049250313e-16 * smax;
    for (int j = 0; j < n; j++)
      rank += gsl_vector_get(S, (size_t)j) > tol && smax > 0;
  }
  gsl_matrix_free(A);
  gsl_matrix_free(V);
  gsl_vector_free(S);
  gsl_vector_free(w);
  return rank;
}

int gr_rank(const double *J, size_t m, int n) { return rank_tol(J, m, n, m); }

/* Standard errors and correlations from J (jm x n: the Jacobian, or an R factor of it) of
 * a fit of m residuals with sum of squares s and its root nrm. */
static void stats_core(const double *J, size_t jm, size_t m, int n, double s, double nrm,
                       double *se, double *corr) {
  size_t N = (size_t)n;
  for (size_t i = 0; i < N * N; i++)
    corr[i] = NAN;
  for (size_t j = 0; j < N; j++)
    se[j] = NAN;
  if (m < N || n == 0)
    return;
  gsl_matrix_const_view Jv = gsl_matrix_const_view_array(J, jm, N);
  gsl_matrix *C = gsl_matrix_alloc(N, N);
  /* QR with column pivoting inside: a rank-deficient J gives zero rows/columns for the
   * dependent parameters instead of an error */
  if (gsl_multifit_nlinear_covar(&Jv.matrix, 0.0, C) == 0) {
    double ndf = (double)(m - N);
    double var = ndf > 0 ? s / ndf : NAN, sd = ndf > 0 ? nrm / sqrt(ndf) : NAN;
    for (size_t j = 0; j < N; j++) {
      double cjj = gsl_matrix_get(C, j, j);
      se[j] = cjj > 0 ? (isfinite(var) ? sqrt(cjj * var) : sqrt(cjj) * sd) : NAN;
    }
    for (size_t i = 0; i < N; i++)
      for (size_t j = 0; j < N; j++) {
        double ci = gsl_matrix_get(C, i, i), cj = gsl_matrix_get(C, j, j);
        corr[i * N + j] = (ci > 0 && cj > 0) ? gsl_matrix_get(C, i, j) / sqrt(ci * cj) : NAN;
      }
  }
  gsl_matrix_free(C);
}

void gr_fit_stats(const double *J, const double *r, size_t m, int n, double *rss, double *se,
                  double *corr) {
  /* rss may overflow to inf with residuals near 1e155; the errors go by its root, which
   * does not (dnrm2 scales as it sums) */
  double s = 0, nrm;
  for (size_t i = 0; i < m; i++)
    s += r[i] * r[i];
  if (isfinite(s))
    nrm = sqrt(s);
  else {
    gsl_vector_const_view rv = gsl_vector_const_view_array(r, m);
    nrm = gsl_blas_dnrm2(&rv.vector);
  }
  *rss = s;
  stats_core(J, m, m, n, s, nrm, se, corr);
}

/* R (k x k, upper triangular, row-major) of the QR factorization of the rows x k matrix A
 * (overwritten); rows >= k. */
static void r_factor(double *A, size_t rows, size_t k, double *R, gsl_vector *tau) {
  gsl_matrix_view Av = gsl_matrix_view_array(A, rows, k);
  gsl_linalg_QR_decomp(&Av.matrix, tau);
  for (size_t i = 0; i < k; i++)
    for (size_t j = 0; j < k; j++)
      R[i * k + j] = j >= i ? A[i * k + j] : 0;
}

/* Per block of rows, the R factor (k x k) of its Jacobian (aug 0: k = n; then its sum of
 * squared residuals and their norm follow) or of the Jacobian with the residuals as a last
 * column (aug 1: k = n + 1), into all[block * w ...] for the blocks here (on the fit's
 * threads), then the other processes' blocks through the shard's gather. */
static void block_r(GrProblem *p, const double *x, int aug, double *all, size_t w) {
  const GrProblemSpec *s = &p->s;
  size_t n = (size_t)s->nparam, k = n + (size_t)aug;
  size_t rows = p->B > k ? p->B : k, dl = (size_t)s->g->nvars + 1;
  double *mine = all + p->b0 * w;
  put_values(p, x);
  p->res_local = 1;
#ifdef _OPENMP
#pragma omp parallel num_threads(fit_threads(p)) if (fit_threads(p) > 1)
#endif
  {
#ifdef _OPENMP
    int th = omp_get_thread_num();
#else
    int th = 0;
#endif
    double *r = gr_xmalloc(rows * sizeof *r), *J = gr_xmalloc(rows * n * sizeof *J);
    double *A = aug ? gr_xmalloc(rows * k * sizeof *A) : J;
    gsl_vector *tau = gsl_vector_alloc(k ? k : 1);
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
    for (size_t b = 0; b < p->nb; b++) {
      memset(r, 0, rows * sizeof *r);
      memset(J, 0, rows * n * sizeof *J);
      res_block(p, p->tapes[th], p->dir + (size_t)th * dl, b, r, J);
      double *out = mine + b * w;
      if (aug)
        for (size_t i = 0; i < rows; i++) {
          memcpy(A + i * k, J + i * n, n * sizeof *A);
          A[i * k + n] = r[i];
        }
      else {
        double ss = 0;
        for (size_t i = 0; i < rows; i++)
          ss += r[i] * r[i];
        gsl_vector_const_view rv = gsl_vector_const_view_array(r, rows);
        out[n * n] = ss;
        out[n * n + 1] = gsl_blas_dnrm2(&rv.vector);
      }
      if (k)
        r_factor(A, rows, k, out, tau);
    }
    gsl_vector_free(tau);
    if (aug)
      free(A);
    free(r);
    free(J);
  }
  p->res_local = 0;
  if (p->sh.gather)
    p->sh.gather(p->sh.ctx, all, w);
}

/* The blocks' R factors (k x k, w doubles apart) stacked two at a time and factored again,
 * in block order: the R factor of the whole matrix, into R. */
static void combine_r(const double *all, size_t nb, size_t w, size_t k, double *R) {
  double *S = gr_xcalloc(2 * k * k + 1, sizeof *S);
  gsl_vector *tau = gsl_vector_alloc(k ? k : 1);
  memset(R, 0, k * k * sizeof *R);
  for (size_t b = 0; b < nb && k; b++) {
    if (b == 0) {
      memcpy(R, all, k * k * sizeof *R);
      continue;
    }
    memcpy(S, R, k * k * sizeof *S);
    memcpy(S + k * k, all + b * w, k * k * sizeof *S);
    r_factor(S, 2 * k, k, R, tau);
  }
  gsl_vector_free(tau);
  free(S);
}

void gr_problem_fit_report(GrProblem *p, const double *x, double *rss, double *nrm, int *rank,
                           double *se, double *corr) {
  size_t n = (size_t)p->s.nparam, w = n * n + 2; /* per block: R, sum of squares, norm */
  double *all = gr_xcalloc(p->nball * w, sizeof *all);
  double *R = gr_xcalloc(n * n + 1, sizeof *R);
  block_r(p, x, 0, all, w);
  combine_r(all, p->nball, w, n, R);
  double ss = 0, nr = 0;
  for (size_t b = 0; b < p->nball; b++) {
    ss += all[b * w + n * n];
    nr = hypot(nr, all[b * w + n * n + 1]);
  }
  *rss = ss;
  *nrm = isfinite(ss) ? sqrt(ss) : nr;
  *rank = rank_tol(R, n, (int)n, p->m);
  stats_core(R, n, p->m, (int)n, ss, *nrm, se, corr);
  free(R);
  free(all);
}

/* LM on a fit of more than one block (or on rows spread over processes): in place of the m
 * residuals r and the m x n Jacobian J, the n + 1 values c = (Q^T r, |r - Q Q^T r|) and the
 * (n + 1) x n matrix (R; 0), from the R factor of [J r] (block_r, combine_r). They have the
 * same J^T J, J^T r and sum of squares, so a Gauss-Newton or LM step from them is the step
 * from J and r; no m x n Jacobian is ever held. The last point's factor is kept: GSL asks
 * for the residuals and then the Jacobian at the same point. */
static void prob_res_r(void *ctx, const double *x, double *r, double *J) {
  GrProblem *p = ctx;
  size_t n = (size_t)p->s.nparam, k = n + 1, w = k * k;
  if (!p->lm_R || memcmp(p->lm_x, x, n * sizeof *x)) {
    if (!p->lm_R) {
      p->lm_R = gr_xmalloc(w * sizeof *p->lm_R);
      p->lm_x = gr_xmalloc((n ? n : 1) * sizeof *p->lm_x);
    }
    double *all = gr_xcalloc(p->nball * w, sizeof *all);
    block_r(p, x, 1, all, w);
    combine_r(all, p->nball, w, k, p->lm_R);
    free(all);
    memcpy(p->lm_x, x, n * sizeof *x);
  }
  for (size_t i = 0; i < k; i++) {
    r[i] = p->lm_R[i * k + n];
    if (J)
      for (size_t j = 0; j < n; j++)
        J[i * n + j] = p->lm_R[i * k + j];
  }
}

/* A fit of one block whose rows are on another process: that process computes the
 * residuals (and the Jacobian) and every process gets them (the gather). */
static void prob_res_one(void *ctx, const double *x, double *r, double *J) {
  GrProblem *p = ctx;
  size_t m = p->m, n = (size_t)p->s.nparam, w = m + (J ? m * n : 0);
  double *all = gr_xcalloc(w + 1, sizeof *all);
  if (p->nb) {
    put_values(p, x);
    res_block(p, p->t, p->dir, 0, all, J ? all + m : NULL);
  }
  p->sh.gather(p->sh.ctx, all, w);
  memcpy(r, all, m * sizeof *r);
  if (J)
    memcpy(J, all + m, m * n * sizeof *J);
  free(all);
}
