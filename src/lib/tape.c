/* SPDX-License-Identifier: GPL-3.0-or-later
 * Compilation and the four sweeps (values, adjoints, tangents, adjoint tangents). The
 * arithmetic of every GR_K_MATH op is generated from the columns of ops.def.
 *
 * Zeros are strong, in every sweep: an op whose adjoint (tangent) is exactly 0 sends
 * nothing to its arguments, and neither does a local partial that is exactly 0 (relu,
 * floor, sign, the untaken side of max, exp underflowed to 0, ...), whatever the adjoint
 * it meets (inf and NaN included), so 0 * inf never appears. This is what keeps the
 * untaken branch of if(x > 0, sqrt(x), x) at x = 0 from leaking NaN into the gradient
 * (PyTorch's torch.where gives NaN there), and what makes sqrt(relu(x)) at -1 give 0 in
 * reverse mode as in forward mode (and PyTorch, whose masking backwards do the same).
 *
 * The PA and PB columns of ops.def are the contributions g * dy/da, g * dy/db for a
 * multiplier g (the adjoint in reverse mode, the tangent in forward mode), so that a rule
 * can order its products to stay in range (see gr_gdiv in ops.h).
 */
#include "tape.h"
/* clang with its sanitizers (the fuzzing build) spends many minutes and gigabytes
 * optimising the reverse sweep, one function over every op and argument shape: that build
 * compiles this file unoptimised (slower fuzzing of the sweeps, the same code). */
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#pragma clang optimize off
#define GR_TAPE_SMALL 1
#endif
#endif
#ifdef GR_TAPE_SMALL
#define GR_TAPE_ONE_SHAPE 1
#else
#define GR_TAPE_ONE_SHAPE 0
#endif
#include "print.h"
#include "vecmath.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Where slot s's values are: its block of val, unless gr_tape_bind has given the tape
 * per-slot pointers (vp), as only a tape with a bound column needs. */
#define GR_VP(t, s) ((t)->vp ? (t)->vp[s] : (t)->val + gr_tape_off((t), s))

/* A sin or cos block whose partial a reverse sweep forms: both functions at once
 * (sincos, where the C library has it: glibc's gives sin's and cos's bits exactly) */
#define SC_BLOCK(t, s)                                                                             \
  (((t)->ins[s].op == GR_OP_SIN || (t)->ins[s].op == GR_OP_COS) && (t)->ins[s].need &&             \
   gr_tape_len((t), s) > 1)
#if defined(__GLIBC__)
void sincos(double x, double *s, double *c);
#define GR_SINCOS(x, s, c) sincos(x, s, c)
#else
#define GR_SINCOS(x, s, c) (*(s) = sin(x), *(c) = cos(x))
#endif

enum { GR_ALIGN_VALS = 8, GR_LINE = 64 };
/* Every array of a tape, and the tape itself, on cache lines of its own: n elements of
 * size bytes, zeroed, from a 64-byte boundary and padded to a multiple of 64 bytes. Two
 * threads' tapes (a fit's) then never share a line: a sweep writes the tape's touch flags,
 * value pointers and counters, and a small array that shared a line with the other
 * thread's tape cost the first thread a fifth of its reverse sweep in line transfers. */
static void *tape_calloc(size_t n, size_t size) {
  size_t bytes = (n ? n : 1) * size;
  bytes = (bytes + GR_LINE - 1) / GR_LINE * GR_LINE;
  void *p = NULL;
  if (posix_memalign(&p, GR_LINE, bytes))
    gr_oom(NULL);
  memset(p, 0, bytes);
  return p;
}
/* Blocks of GR_ALIGN_VALS values or more start on a 64-byte boundary of val and adj (and
 * sc), so that the block loops' vector loads and stores do not straddle cache lines (every
 * 64-byte AVX-512 access would, after a block of one, a constant, shifted the rest). */
static double *calloc_aligned(size_t n) { return tape_calloc(n, sizeof(double)); }

void gr_tape_free(GrTape *t) {
  if (!t)
    return;
  free(t->ins);
  free(t->off);
  free(t->len);
  free(t->val);
  free(t->adj);
  free(t->vp);
  free(t->touch);
  free(t->tan);
  free(t->tadj);
  free(t->spare);
  free(t->lanes);
  free(t->gp);
  free(t->pass);
  free(t->var_slot);
  free(t->out_slot);
  free(t->on_tape);
  free(t->on_rank);
  free(t->sc);
  free(t->sc_off);
  free(t);
}

/* The slot of node id `id`, which is on the tape: the slots before its 64-bit word and the
 * set bits below its own (no id -> slot array: compiling a large graph would hold one
 * beside the nodes and the new tape, the peak of a large input's run). */
static inline uint32_t id_slot(const GrTape *t, size_t id) {
  size_t w = id / 64;
  return t->on_rank[w] +
         (uint32_t)__builtin_popcountll(t->on_tape[w] & (((uint64_t)1 << (id % 64)) - 1));
}
#define ON_TAPE(t, id) ((t)->on_tape[(id) / 64] >> ((id) % 64) & 1)

GrStatus gr_tape_compile(const GrGraph *g, GrNode *const *outs, size_t nout, const size_t *var_len,
                         GrTape **tp, GrDiag *d) {
  *tp = NULL;
  unsigned char *m = gr_reachable(g, outs, nout);
  GrTape *t = tape_calloc(1, sizeof *t);
  size_t top = 0;
  for (size_t i = 0; i < nout; i++)
    if (outs[i]->id + 1 > top)
      top = outs[i]->id + 1;
  t->graph = g;
  t->nwords = (top + 63) / 64;
  t->on_tape = gr_xcalloc(t->nwords ? t->nwords : 1, sizeof *t->on_tape);
  t->on_rank = gr_xmalloc((t->nwords + 1) * sizeof *t->on_rank);
  size_t n = 0;
  for (size_t w = 0; w <= t->nwords; w++) {
    t->on_rank[w] = (uint32_t)n; /* ids are 32-bit (graph.h) */
    for (size_t i = 64 * w; i < top && i < 64 * (w + 1); i++)
      if (m[i]) {
        t->on_tape[w] |= (uint64_t)1 << (i % 64);
        n++;
      }
  }
  free(m); /* on_tape says the same, in a bit a node */
  t->n = n;
  t->ins = tape_calloc(n, sizeof *t->ins);
  t->off = tape_calloc(n, sizeof *t->off);
  t->len = tape_calloc(n, sizeof *t->len);
  t->nvars = g->nvars;
  t->var_slot = tape_calloc(g->nvars ? g->nvars : 1, sizeof *t->var_slot);
  for (int v = 0; v < g->nvars; v++)
    t->var_slot[v] = -1;
  GrStatus st = GR_OK;
  size_t total = 0;
  for (size_t i = 0, s = 0; i < top; i++) {
    if (!ON_TAPE(t, i))
      continue;
    GrNode *nd = gr_graph_node(g, i);
    GrInstr *in = &t->ins[s];
    in->op = nd->op;
    in->nargs = nd->nargs;
    uint32_t *ap[3] = {&in->a, &in->b, &in->c};
    for (int k = 0; k < nd->nargs; k++)
      *ap[k] = id_slot(t, gr_arg(nd, k)->id);
    size_t L = 1;
    if (nd->op == GR_OP_CONST)
      L = nd->vlen;
    else if (nd->op == GR_OP_VAR) {
      if (nd->var < 0) {
        st = gr_diag_span(d, GR_EUSAGE, nd->off, nd->len, "internal error: unbound parameter '%s'",
                          nd->name);
        break;
      }
      L = var_len ? var_len[nd->var] : 1;
      t->var_slot[nd->var] = (long)s;
      in->need = 1;
    } else if (nd->op == GR_OP_SUM || nd->op == GR_OP_MEAN || nd->op == GR_OP_PROD ||
               nd->op == GR_OP_VMAX || nd->op == GR_OP_VMIN) {
      L = 1;
    } else {
      int first = -1;
      for (int k = 0; k < nd->nargs; k++) {
        size_t la = gr_tape_len(t, *ap[k]);
        if (la == 1)
          continue;
        if (L == 1) {
          L = la;
          first = k;
        } else if (la != L) {
          /* name both operands: with several vectors the lengths alone do not say which */
          char *sa = gr_print_str(gr_arg(nd, first)), *sb = gr_print_str(gr_arg(nd, k));
          /* nodes made by expansion (dot -> sum(a*b)) have no span: cover the operands' */
          size_t off = nd->off, len = nd->len;
          const GrNode *x = gr_arg(nd, first), *y = gr_arg(nd, k);
          if (!len && x->len && y->len) {
            off = x->off < y->off ? x->off : y->off;
            size_t ex = x->off + x->len, ey = y->off + y->len;
            len = (ex > ey ? ex : ey) - off;
          } else if (!len) { /* constants carry no span (they are shared) */
            off = x->len ? x->off : y->off;
            len = x->len ? x->len : y->len;
          }
          st = gr_diag_span(d, GR_EUSAGE, off, len,
                            "operands of '%s' differ in length: %.200s has %zu elements, "
                            "%.200s has %zu",
                            gr_ops[nd->op].name, sa, L, sb, la);
          free(sa);
          free(sb);
          break;
        }
      }
    }
    if (st)
      break;
    if (nd->op != GR_OP_DETACH && nd->op != GR_OP_VAR)
      for (int k = 0; k < nd->nargs; k++)
        if (t->ins[*ap[k]].need)
          in->need = 1;
    if (L >= GR_ALIGN_VALS)
      total = (total + GR_ALIGN_VALS - 1) / GR_ALIGN_VALS * GR_ALIGN_VALS;
    if (L >= UINT32_MAX || total >= UINT32_MAX - L)
      gr_oom("a tape of more than 2^32 values");
    t->len[s] = (GrTapeIdx)L;
    t->off[s] = (GrTapeIdx)total;
    total += L;
    s++;
  }
  if (st) {
    gr_tape_free(t);
    return st;
  }
  if (total == n) { /* blocks of one only (a longer one would make total > n): off[s] = s */
    free(t->off);
    free(t->len);
    t->off = t->len = NULL;
  }
  t->nvals = total;
  t->val = calloc_aligned(total);
  t->adj = calloc_aligned(total);
  for (size_t i = 0; i < top; i++)
    if (ON_TAPE(t, i) && gr_graph_node(g, i)->op == GR_OP_CONST) {
      const GrNode *nd = gr_graph_node(g, i);
      size_t s = id_slot(t, i);
      if (nd->vlen == 1)
        t->val[gr_tape_off(t, s)] = nd->num;
      else
        memcpy(t->val + gr_tape_off(t, s), nd->vec, gr_tape_len(t, s) * sizeof(double));
    }
  t->nout = nout;
  t->out_slot = tape_calloc(nout ? nout : 1, sizeof *t->out_slot);
  for (size_t i = 0; i < nout; i++)
    t->out_slot[i] = id_slot(t, outs[i]->id);
  t->touch = tape_calloc(n ? n : 1, 1);
  for (size_t s = 0; s < n; s++) {
    /* the adjoints a reverse sweep writes: the seeded outputs and the arguments of the
     * instructions it runs (of a GR_K_MATH op only those that need one: it sends nothing
     * to a constant or a detached argument); every other adjoint stays the 0 of calloc,
     * and is not cleared at every sweep */
    const GrInstr *in = &t->ins[s];
    if (in->need && in->nargs > 0) {
      int all = gr_ops[in->op].kind != GR_K_MATH;
      if (all || t->ins[in->a].need)
        t->touch[in->a] = 1;
      if (in->nargs > 1 && (all || t->ins[in->b].need))
        t->touch[in->b] = 1;
      if (in->nargs > 2)
        t->touch[in->c] = 1;
    }
  }
  for (size_t i = 0; i < nout; i++)
    t->touch[t->out_slot[i]] = 1;
  size_t nsc = 0;
  for (size_t s = 0; s < n; s++)
    if (SC_BLOCK(t, s)) {
      if (!t->sc_off)
        t->sc_off = tape_calloc(n, sizeof *t->sc_off);
      nsc = (nsc + GR_ALIGN_VALS - 1) / GR_ALIGN_VALS * GR_ALIGN_VALS;
      t->sc_off[s] = (GrTapeIdx)nsc;
      nsc += gr_tape_len(t, s); /* at most nvals, which fits 32 bits */
    }
  if (nsc)
    t->sc = calloc_aligned(nsc);
  *tp = t;
  return GR_OK;
}

/* An array of nvals doubles, all zero, for adj, tan or tadj: the one gr_tape_drop_adjoints
 * kept, if any, else a new one. Kept and reused rather than freed and allocated again:
 * malloc does not always give a freed array back to the system (one below its mmap
 * threshold, which grows as large blocks are freed, stays in the heap), so a large
 * gradient checked by a tangent sweep held the adjoints' pages beside the tangents. */
static double *take_vals(GrTape *t) {
  double *p = t->spare;
  if (!p)
    return calloc_aligned(t->nvals);
  t->spare = NULL;
  memset(p, 0, t->nvals * sizeof *p);
  return p;
}

/* The adjoints: allocated by gr_tape_compile, dropped by gr_tape_drop_adjoints, allocated
 * again (all zero, as every sweep leaves the untouched slots) by the next reverse sweep. */
static void ensure_adjoints(GrTape *t) {
  if (!t->adj)
    t->adj = take_vals(t);
}

void gr_tape_drop_adjoints(GrTape *t) {
  double *p[2] = {t->adj, t->tadj};
  for (int k = 0; k < 2; k++)
    if (!t->spare)
      t->spare = p[k];
    else
      free(p[k]);
  t->adj = NULL;
  t->tadj = NULL;
}

double *gr_tape_var(GrTape *t, int v) {
  if (v < 0 || v >= t->nvars || t->var_slot[v] < 0)
    return NULL;
  return t->val + gr_tape_off(t, t->var_slot[v]);
}

void gr_tape_bind(GrTape *t, int v, const double *p) {
  if (v < 0 || v >= t->nvars || t->var_slot[v] < 0)
    return;
  size_t s = (size_t)t->var_slot[v];
  if (!t->vp) { /* the first binding: every slot's values where they are */
    if (!p)
      return;
    t->vp = tape_calloc(t->n ? t->n : 1, sizeof *t->vp);
    for (size_t k = 0; k < t->n; k++)
      t->vp[k] = t->val + gr_tape_off(t, k);
  }
  /* the sweeps only read a variable's slot: the cast does not lead to a write */
  t->vp[s] = p ? (double *)(uintptr_t)p : t->val + gr_tape_off(t, s);
}

/* Zero the blocks of arr (adjoints or their tangents) whose slot has flag[s] set. */
static void clear_slots(const GrTape *t, double *arr, const unsigned char *flag, int need) {
  for (size_t s = 0; s < t->n; s++)
    if (need ? t->ins[s].need : flag[s])
      memset(arr + gr_tape_off(t, s), 0, gr_tape_len(t, s) * sizeof *arr);
}

size_t gr_tape_var_len(const GrTape *t, int v) {
  if (v < 0 || v >= t->nvars || t->var_slot[v] < 0)
    return 0;
  return gr_tape_len(t, t->var_slot[v]);
}

const double *gr_tape_out(const GrTape *t, size_t k) { return GR_VP(t, t->out_slot[k]); }
size_t gr_tape_out_len(const GrTape *t, size_t k) { return gr_tape_len(t, t->out_slot[k]); }

const double *gr_tape_grad(const GrTape *t, int v) {
  if (v < 0 || v >= t->nvars || t->var_slot[v] < 0 || !t->adj)
    return NULL;
  return t->adj + gr_tape_off(t, t->var_slot[v]);
}

long gr_tape_slot(const GrTape *t, const GrNode *n) {
  size_t id = n->id, w = id / 64;
  if (w >= t->nwords || id >= t->graph->count || gr_graph_node(t->graph, id) != n ||
      !ON_TAPE(t, id))
    return -1;
  return (long)id_slot(t, id);
}

GrNode *gr_tape_node(const GrTape *t, size_t s) {
  /* the word holding slot s: the last w with on_rank[w] <= s */
  size_t lo = 0, hi = t->nwords;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->on_rank[mid] <= s)
      lo = mid;
    else
      hi = mid;
  }
  uint64_t b = t->on_tape[lo];
  for (size_t k = s - t->on_rank[lo]; k > 0; k--)
    b &= b - 1; /* drop the lowest set bits before slot s's */
  return gr_graph_node(t->graph, 64 * lo + (size_t)__builtin_ctzll(b));
}

const double *gr_tape_node_adj(const GrTape *t, const GrNode *n) {
  long s = gr_tape_slot(t, n);
  return s < 0 || !t->adj ? NULL : t->adj + gr_tape_off(t, s);
}

const double *gr_tape_node_val(const GrTape *t, const GrNode *n) {
  long s = gr_tape_slot(t, n);
  return s < 0 ? NULL : GR_VP(t, s);
}

/* The contribution of column P (an expression in a, b, y and the multiplier g) for the
 * multiplier M, into V; K is 0 where it must be dropped: M == 0, or the local partial (P at
 * g = 1) is exactly 0 while M is inf or NaN (with M finite, g * 0 is a zero anyway). An
 * infinite M times a partial that only an intermediate put out of range (atan2's
 * b/(a^2 + b^2) at b = 1e300) is M times the partial, as in forward mode, not inf * 0. */
#define CONTRIB(P, M, V, K)                                                                        \
  do {                                                                                             \
    const double m_ = (M);                                                                         \
    {                                                                                              \
      const double g = m_;                                                                         \
      (void)g;                                                                                     \
      (V) = (P);                                                                                   \
    }                                                                                              \
    (K) = m_ != 0;                                                                                 \
    if (m_ - m_ != 0) { /* inf or NaN: the partial itself, range-safe, decides */                  \
      const double g = 1;                                                                          \
      (void)g;                                                                                     \
      const double p_ = (P);                                                                       \
      (K) = p_ != 0;                                                                               \
      (V) = m_ * p_;                                                                               \
    }                                                                                              \
  } while (0)

/* A sweep's offsets, lengths and value pointers: OFF(s), LEN(s), VP(s), after TAPE_IDX(t),
 * in a function that has SCALAR_ (set: a tape of blocks of one, without the arrays; s and 1
 * then). In the two copies of the hot sweeps SCALAR_ is a constant, so the block loops test
 * nothing; elsewhere it is a variable, tested at every use. */
#define TAPE_IDX(t)                                                                                \
  const GrTapeIdx *const off_ = (t)->off, *const len_ = (t)->len;                                  \
  (void)off_;                                                                                      \
  (void)len_
#define OFF(s) (SCALAR_ ? (size_t)(s) : (size_t)off_[s])
#define LEN(s) (SCALAR_ ? (size_t)1 : (size_t)len_[s])
#define VP(s) (t->vp ? t->vp[s] : t->val + OFF(s))
/* slot s's adjoint in a reverse sweep: its own block, or (a strip) the one it shares */
#define GADJ(s) (t->gp && t->gp[s] ? t->gp[s] : t->adj + OFF(s))

#define ARGS                                                                                       \
  const GrInstr *in = &t->ins[i];                                                                  \
  size_t n = LEN(i);                                                                               \
  size_t sa = LEN(in->a) > 1, sb = in->nargs > 1 ? LEN(in->b) > 1 : 0;                             \
  const double *A = VP(in->a);                                                                     \
  const double *B = in->nargs > 1 ? VP(in->b) : A;                                                 \
  double *Y = VP(i);                                                                               \
  (void)sb;                                                                                        \
  (void)B;                                                                                         \
  (void)Y;

static void reduce_forward(GrTape *t, size_t i) {
  const GrInstr *in = &t->ins[i];
  const double *A = GR_VP(t, in->a);
  size_t n = gr_tape_len(t, in->a);
  double *Y = GR_VP(t, i);
  double s;
  switch (in->op) {
  case GR_OP_SUM:
  case GR_OP_MEAN:
    s = 0;
    for (size_t k = 0; k < n; k++)
      s += A[k];
    Y[0] = in->op == GR_OP_MEAN ? s / (double)n : s;
    break;
  case GR_OP_PROD:
    s = 1;
    for (size_t k = 0; k < n; k++)
      s *= A[k];
    Y[0] = s;
    break;
  case GR_OP_VMAX:
  case GR_OP_VMIN:
    s = A[0];
    for (size_t k = 1; k < n; k++)
      s = in->op == GR_OP_VMAX ? gr_max(s, A[k]) : gr_min(s, A[k]);
    Y[0] = s;
    break;
  }
}

/* GR_SWEEP_CLONES: see tape.h */

static inline __attribute__((always_inline)) void forward_body(GrTape *t, const int SCALAR_) {
  TAPE_IDX(t);
  /* with vector math, sin and cos go by their kernels */
  t->sc_ok = t->sc && !t->vecmath && t->sc_rev;
  t->sc_rev = 0;
  for (size_t i = 0; i < t->n; i++) {
    switch (t->ins[i].op) {
    case GR_OP_CONST:
    case GR_OP_VAR:
      break;
    case GR_OP_LET: {
      ARGS;
      for (size_t k = 0; k < n; k++)
        Y[k] = A[k * sa];
      break;
    }
    case GR_OP_DETACH: {
      /* detach(x) of a variable bound to outside rows (a fit's data column) reads them
       * where they are, as x does: no copy. Otherwise its own block, a copy of a. */
      uint32_t x = t->ins[i].a;
      if (t->vp) { /* something is bound (gr_tape_bind) */
        if (t->ins[x].op == GR_OP_VAR && LEN(x) == LEN(i) && t->vp[x] != t->val + OFF(x)) {
          t->vp[i] = t->vp[x];
          break;
        }
        t->vp[i] = t->val + OFF(i);
      }
      ARGS;
      for (size_t k = 0; k < n; k++)
        Y[k] = A[k * sa];
      break;
    }
    case GR_OP_IF: {
      ARGS;
      const double *C = VP(in->c);
      size_t sc = LEN(in->c) > 1;
      for (size_t k = 0; k < n; k++)
        Y[k] = A[k * sa] != 0 ? B[k * sb] : C[k * sc];
      break;
    }
    case GR_OP_SUM:
    case GR_OP_MEAN:
    case GR_OP_PROD:
    case GR_OP_VMAX:
    case GR_OP_VMIN:
      reduce_forward(t, i);
      break;
    default:
      if (t->sc_ok && SC_BLOCK(t, i)) {
        ARGS;
        double *S = t->sc + t->sc_off[i];
        const int is_sin = in->op == GR_OP_SIN;
        for (size_t k = 0; k < n; k++) {
          double s_, c_;
          GR_SINCOS(A[k * sa], &s_, &c_);
          Y[k] = is_sin ? s_ : c_;
          S[k] = is_sin ? c_ : s_;
        }
        break;
      }
      if (t->vecmath) { /* exp, log, sin, ... over a block by vector kernels (vecmath.c) */
        ARGS;
        if (n > 1 && gr_vecmath_forward(in->op, Y, A, sa, B, sb, n))
          break;
      }
      switch (t->ins[i].op) {
/* one loop per broadcast pattern, the argument index a constant in each (k: a block,
 * 0: a block of one), so the compiler can vectorise; Y never overlaps A or B (another slot) */
#define FWD_LOOP(SA, SB, V)                                                                        \
  do {                                                                                             \
    const double a0 = A[0], b0 = B[0]; /* a block of one: loaded once */                           \
    for (size_t k = 0; k < n; k++) {                                                               \
      double a = (SA) ? A[k] : a0, b = (SB) ? B[k] : b0;                                           \
      (void)a;                                                                                     \
      (void)b;                                                                                     \
      Yr[k] = (V);                                                                                 \
    }                                                                                              \
  } while (0)
#define OP(id, nm, NA, kind, prec, V, ...)                                                         \
  case GR_OP_##id:                                                                                 \
    if (kind == GR_K_MATH) {                                                                       \
      ARGS;                                                                                        \
      double *restrict Yr = Y;                                                                     \
      if (n == 1) {                                                                                \
        double a = A[0], b = B[0];                                                                 \
        (void)a;                                                                                   \
        (void)b;                                                                                   \
        Yr[0] = (V);                                                                               \
      } else if (GR_TAPE_ONE_SHAPE) {                                                              \
        FWD_LOOP(sa, sb, V);                                                                       \
      } else {                                                                                     \
        if (sa && (NA == 1 || sb))                                                                 \
          FWD_LOOP(1, 1, V);                                                                       \
        else if (sa)                                                                               \
          FWD_LOOP(1, 0, V);                                                                       \
        else                                                                                       \
          FWD_LOOP(0, 1, V);                                                                       \
      }                                                                                            \
    }                                                                                              \
    break;
#include "ops.def"
#undef OP
      default:
        break;
      }
      break;
    }
  }
}

GR_SWEEP_CLONES void gr_tape_forward(GrTape *t) { /* two copies: see reverse_sweep */
  if (t->off)
    forward_body(t, 0);
  else
    forward_body(t, 1);
}

/* adjoint of a reduction into its argument block */
static void reduce_reverse(GrTape *t, size_t i) {
  const GrInstr *in = &t->ins[i];
  const double *A = GR_VP(t, in->a);
  double *GA = t->adj + gr_tape_off(t, in->a);
  size_t n = gr_tape_len(t, in->a);
  double g = t->adj[gr_tape_off(t, i)], y = GR_VP(t, i)[0];
  switch (in->op) {
  case GR_OP_SUM:
    for (size_t k = 0; k < n; k++)
      GA[k] += g;
    break;
  case GR_OP_MEAN:
    for (size_t k = 0; k < n; k++)
      GA[k] += g / (double)n;
    break;
  case GR_OP_PROD: {
    /* prefix/suffix products: exact where some factors are zero */
    double pre = 1;
    double *suf = gr_xmalloc((n + 1) * sizeof *suf);
    suf[n] = 1;
    for (size_t k = n; k-- > 0;)
      suf[k] = suf[k + 1] * A[k];
    for (size_t k = 0; k < n; k++) {
      if (pre * suf[k + 1] != 0) /* the local partial: a zero sends nothing */
        GA[k] += g * pre * suf[k + 1];
      pre *= A[k];
    }
    free(suf);
    break;
  }
  case GR_OP_VMAX:
  case GR_OP_VMIN: {
    /* ties share the gradient evenly */
    size_t ties = 0;
    for (size_t k = 0; k < n; k++)
      ties += A[k] == y;
    for (size_t k = 0; k < n; k++)
      if (A[k] == y)
        GA[k] += g / (double)ties;
    break;
  }
  }
}

/* The reverse sweep does not clear the adjoints beforehand: bit ADJ_WRITTEN of touch[s]
 * says that slot s's adjoint has been written in this sweep. The first op to send a whole
 * block to a slot stores 0 + its contribution (or 0 where the strong zero drops it: what
 * `+=` onto the cleared block gave, -0 included), without reading the old block; any other
 * first writer (a partial one: if(), a reduction, a sum into a block of one) and any op
 * that reads its own adjoint clears the slot first; at the end every touched slot nobody
 * wrote is cleared, and the bits are reset. */
enum { ADJ_WRITTEN = 2 };
static inline int adj_fresh(GrTape *t, size_t s) {
  if (t->touch[s] & ADJ_WRITTEN)
    return 0;
  t->touch[s] |= ADJ_WRITTEN;
  return 1;
}
static inline void adj_ready(GrTape *t, size_t s) {
  if (adj_fresh(t, s))
    memset(t->adj + gr_tape_off(t, s), 0, gr_tape_len(t, s) * sizeof *t->adj);
}

/* What a GR_K_MATH op sends argument arg (0: a, 1: b) for the multiplier m, exactly: the
 * range-safe helpers themselves, and for an inf or NaN multiplier the strong zero decided
 * by the partial (CONTRIB). Returns 0 where nothing is sent; *v is the contribution. Out of
 * line, one switch over the ops: the block sweeps call it for the rare chunks that their
 * fast loops flag, and every single-element op. */
static int rev_exact(int op, int arg, double m, double a, double b, double y, double *v) {
  int keep = 0;
  *v = 0;
  (void)a;
  (void)b;
  (void)y;
  switch (op) {
#define OP(id, nm, NA, kind, prec, V, PA, PB, ...)                                                 \
  case GR_OP_##id:                                                                                 \
    if (kind == GR_K_MATH) {                                                                       \
      if (arg == 0)                                                                                \
        CONTRIB(PA, m, *v, keep);                                                                  \
      else                                                                                         \
        CONTRIB(PB, m, *v, keep);                                                                  \
    }                                                                                              \
    break;
#include "ops.def"
#undef OP
  default:
    break;
  }
  return keep;
}

/* the exponent field of a double, all ones for inf and NaN */
#define GR_EXP_BITS UINT64_C(0x7ff0000000000000)

/* Row strips (gr_tape_reverse_strip): the reverse sweep of the block instructions over a strip
 * of rows sums into a block of one in the same GR_LANES accumulators as a whole sweep, kept in
 * t->lanes between strips (element k of the block goes to accumulator k % GR_LANES, strips
 * start at multiples of GR_LANES); the finishing sweep adds them in, instruction by
 * instruction in the order of a whole sweep, before the instructions on blocks of one. */
enum { REV_WHOLE, REV_STRIP, REV_FINISH };

/* Shared adjoints (strip sweeps). An argument whose one use is a + b (either side) or
 * a - b (the a side) gets that instruction's adjoint as is: instead of a pass that copies it
 * (0 + g where g != 0, else 0), the argument's adjoint is that very block, through gp. The
 * numbers are the same bits: the copy differs only where g is -0 (it stores +0), and every
 * reader of an adjoint either skips g == 0 (the strong zero) or adds it onto a block that
 * holds +0 or a sum, where -0 and +0 give the same. Only blocks that are computed (not
 * variables, whose adjoints are the gradient, nor outputs, which are seeded), and only
 * within one strip sweep: gp is cleared at its end. */
static void strip_shares_init(GrTape *t) {
  const int SCALAR_ = !t->off;
  TAPE_IDX(t);
  t->gp = tape_calloc(t->n ? t->n : 1, sizeof *t->gp);
  t->pass = tape_calloc(t->n ? t->n : 1, 1);
  uint32_t *uses = gr_xcalloc(t->n ? t->n : 1, sizeof *uses);
  for (size_t i = 0; i < t->n; i++) {
    const GrInstr *in = &t->ins[i];
    const uint32_t arg[3] = {in->a, in->b, in->c};
    for (int j = 0; j < in->nargs; j++)
      if (uses[arg[j]] < 2)
        uses[arg[j]]++;
  }
  for (size_t k = 0; k < t->nout; k++)
    uses[t->out_slot[k]] = 2;
  for (size_t i = 0; i < t->n; i++) {
    const GrInstr *in = &t->ins[i];
    if (!in->need || (in->op != GR_OP_ADD && in->op != GR_OP_SUB) || LEN(i) <= 1)
      continue;
    for (int j = 0; j < (in->op == GR_OP_ADD ? 2 : 1); j++) {
      uint32_t x = j ? in->b : in->a;
      const GrInstr *ix = &t->ins[x];
      if (uses[x] == 1 && ix->need && ix->nargs > 0 && LEN(x) == LEN(i))
        t->pass[x] = 1;
    }
  }
  free(uses);
}

/* In a strip sweep: give slot x the adjoint G if it may share it (returns 1), else 0. */
static inline int share_adjoint(GrTape *t, uint32_t x, const double *G) {
  if (!t->pass[x])
    return 0;
  t->gp[x] = (double *)G;
  t->touch[x] |= ADJ_WRITTEN; /* written: nothing clears or first-writes its own block */
  return 1;
}

/* REV_FINISH: instruction i's accumulated sums into its arguments that are blocks of one */
static void lanes_finish(GrTape *t, size_t i) {
  const GrInstr *in = &t->ins[i];
  const uint32_t arg[2] = {in->a, in->b};
  for (int j = 0; j < in->nargs && j < 2; j++) {
    if (gr_ops[in->op].kind != GR_K_MATH || gr_tape_len(t, arg[j]) != 1 || !t->ins[arg[j]].need)
      continue;
    double *L = t->lanes + GR_LANES * (2 * i + (size_t)j);
    adj_ready(t, arg[j]);
    t->adj[gr_tape_off(t, arg[j])] += gr_lanes_sum(L);
    memset(L, 0, GR_LANES * sizeof *L);
  }
}

static inline __attribute__((always_inline)) void
reverse_body(GrTape *t, size_t out, const double *seed, int mode, const int SCALAR_) {
  TAPE_IDX(t);
  ensure_adjoints(t);
  t->sweeps++;
  t->sc_rev = 1;
  size_t o = t->out_slot[out];
  if (mode != REV_FINISH) {
    for (size_t k = 0; k < LEN(o); k++)
      t->adj[OFF(o) + k] = seed ? seed[k] : 1.0;
    t->touch[o] |= ADJ_WRITTEN;
  }
  for (size_t i = o + 1; i-- > 0;) {
    const GrInstr *ii = &t->ins[i];
    if (!ii->need || ii->nargs == 0)
      continue;
    if (mode != REV_WHOLE && (LEN(i) > 1) != (mode == REV_STRIP)) {
      if (mode == REV_FINISH)
        lanes_finish(t, i);
      continue; /* a strip skips the blocks of one, the finish the blocks */
    }
    adj_ready(t, i);
    switch (ii->op) {
    case GR_OP_LET: {
      ARGS;
      const double *G = GADJ(i);
      double *GA = t->adj + OFF(in->a);
      adj_ready(t, in->a);
      if (sa) /* the contiguous case apart, so that it vectorises */
        for (size_t k = 0; k < n; k++)
          GA[k] += G[k];
      else
        for (size_t k = 0; k < n; k++)
          GA[0] += G[k];
      break;
    }
    case GR_OP_IF: {
      ARGS;
      const double *C = VP(in->c);
      size_t sc = LEN(in->c) > 1;
      const double *G = GADJ(i);
      double *GB = t->adj + OFF(in->b), *GC = t->adj + OFF(in->c);
      adj_ready(t, in->b);
      adj_ready(t, in->c);
      for (size_t k = 0; k < n; k++) {
        if (G[k] == 0)
          continue;
        if (A[k * sa] != 0)
          GB[k * sb] += G[k];
        else
          GC[k * sc] += G[k];
      }
      (void)C;
      break;
    }
    case GR_OP_SUM:
    case GR_OP_MEAN:
    case GR_OP_PROD:
    case GR_OP_VMAX:
    case GR_OP_VMIN:
      if (t->adj[OFF(i)] != 0) {
        adj_ready(t, t->ins[i].a);
        reduce_reverse(t, i);
      }
      break;
    default:
      /* sin's cos(a), cos's -sin(a), expm1's exp(a) over a block by vector kernels; they
       * add into the argument's adjoint, so it is made ready first (cleared if nothing has
       * written it in this sweep), as before any other `+=` */
      if (t->vecmath && ii->nargs == 1 && LEN(i) > 1 && LEN(ii->a) == LEN(i) &&
          t->ins[ii->a].need && gr_vecmath_reverse_op(ii->op)) {
        adj_ready(t, ii->a);
        if (gr_vecmath_reverse(ii->op, t->adj + OFF(ii->a), GADJ(i), VP(ii->a), LEN(i)))
          break;
      }
      switch (t->ins[i].op) {
/* The adjoint of one argument over a block: GX[k] += G[k] * P, or, for a block of one (a
 * parameter of a fit, a scalar times a vector), the sum over k of G[k] * P in GR_LANES
 * accumulators: element k goes to accumulator k % GR_LANES, and the accumulators are then
 * added in order 0, 1, ..., GR_LANES - 1 before the total is added to GX[0]. A fixed
 * shape that the compiler keeps in vector registers (no serial dependency from row to
 * row), and the same rounding as a plain left-to-right sum for blocks of up to GR_LANES
 * elements. One pass per argument, so that x*x (GA == GB) still adds a's share before b's
 * at every k. The strong zero is a select: where it drops the contribution the old value
 * is kept (nothing added, not even -0 or NaN); elsewhere the sum is the same rounding as
 * `+=`; a first writer (FR) stores 0 + the contribution without reading the old block.
 *
 * The block goes by chunks of RS_CHUNK elements. A loop that vectorises forms the plain
 * products V[j] (the range-safe helpers of ops.h by their branch-free fast variants, which
 * OR together a flag of the elements whose exact helper would return something else) and
 * ORs a flag of the non-finite multipliers. A chunk with neither flag (the usual case) is
 * then stored with G[j] != 0 as the strong zero: for a finite multiplier that is the whole
 * rule. A first writer forms and stores in the same pass (it reads nothing of the old
 * block, so its flagged chunk can simply be redone). A flagged chunk is done element by
 * element by rev_exact (the helpers exactly, the strong zero of an inf or NaN multiplier
 * decided by the partial itself), into the same places in the same order: the same bits
 * either way. One pattern per
 * broadcast shape (SA, SB: 1 for a block, 0 for a block of one; SX for the target). */
#define RS_CHUNK 256
#define REV_EXACT_EL(J, OUT, FR, SA, SB)                                                           \
  do {                                                                                             \
    double v_;                                                                                     \
    const int k_ = rev_exact(ii->op, ARGNO, Gc[J], (SA) ? Ac[J] : a0, (SB) ? Bc[J] : b0, Yc[J],   \
                             &v_);                                                                 \
    const double x_ = (FR) ? 0.0 : (OUT), s_ = x_ + v_; /* a select, as in the fast stores */     \
    (OUT) = k_ ? s_ : x_;                                                                          \
  } while (0)
/* element J's a, b, y and g for a column of the fast pass, g's non-finiteness OR-ed into nf_ */
#define REV_FAST_ARGS(J, SA, SB)                                                                   \
  const double a = (SA) ? Ac[J] : a0, b = (SB) ? Bc[J] : b0, y = Yc[J], g = Gc[J];                 \
  uint64_t u_;                                                                                     \
  memcpy(&u_, &g, sizeof u_);                                                                      \
  nf_ |= (u_ & GR_EXP_BITS) == GR_EXP_BITS;                                                        \
  (void)a;                                                                                         \
  (void)b;                                                                                         \
  (void)y
#define REV_LOOP(GX, SX, FR, SA, SB, P, B0)                                                        \
  do {                                                                                             \
    double *restrict GXr = GX;                                                                     \
    const double a0 = A[0], b0 = (B0);                                                             \
    double acc[GR_LANES] = {0};                                                                    \
    double *const lane_ =                                                                          \
        !(SX) && mode == REV_STRIP ? t->lanes + GR_LANES * (2 * i + ARGNO) : NULL;                 \
    for (size_t l = 0; lane_ && l < GR_LANES; l++)                                                 \
      acc[l] = lane_[l];                                                                           \
    for (size_t k0 = 0; k0 < n; k0 += RS_CHUNK) {                                                  \
      const size_t m = n - k0 < RS_CHUNK ? n - k0 : RS_CHUNK;                                      \
      const double *Gc = G + k0, *Yc = Y + k0, *Ac = (SA) ? A + k0 : A, *Bc = (SB) ? B + k0 : B;   \
      long rs_bad_ = 0;                                                                            \
      uint64_t nf_ = 0;                                                                            \
      if ((SX) && (FR)) { /* a first writer: one pass, and a flagged chunk is simply redone */     \
        double *restrict GXc = GXr + k0;                                                           \
        for (size_t j = 0; j < m; j++) {                                                           \
          REV_FAST_ARGS(j, SA, SB);                                                                \
          const double v_ = (P);                                                                   \
          GXc[j] = g != 0 ? 0.0 + v_ : 0.0;                                                        \
        }                                                                                          \
        if (rs_bad_ | (long)nf_)                                                                   \
          for (size_t j = 0; j < m; j++)                                                           \
            REV_EXACT_EL(j, GXc[j], 1, SA, SB);                                                    \
        continue;                                                                                  \
      }                                                                                            \
      double V[RS_CHUNK];                                                                          \
      for (size_t j = 0; j < m; j++) {                                                             \
        REV_FAST_ARGS(j, SA, SB);                                                                  \
        V[j] = (P);                                                                                \
      }                                                                                            \
      if (rs_bad_ | (long)nf_) {                                                                   \
        if (SX) {                                                                                  \
          double *restrict GXc = GXr + k0;                                                         \
          for (size_t j = 0; j < m; j++)                                                           \
            REV_EXACT_EL(j, GXc[j], 0, SA, SB);                                                    \
        } else {                                                                                   \
          for (size_t j = 0; j < m; j++)                                                           \
            REV_EXACT_EL(j, acc[j % GR_LANES], 0, SA, SB);                                         \
        }                                                                                          \
      } else if (SX) {                                                                             \
        double *restrict GXc = GXr + k0;                                                           \
        for (size_t j = 0; j < m; j++) {                                                           \
          double x_ = GXc[j], sum_ = x_ + V[j];                                                    \
          GXc[j] = Gc[j] != 0 ? sum_ : x_;                                                         \
        }                                                                                          \
      } else {                                                                                     \
        size_t j = 0;                                                                              \
        for (; j + GR_LANES <= m; j += GR_LANES)                                                   \
          GR_UNROLL_LANES for (size_t l = 0; l < GR_LANES; l++) {                                  \
            double x_ = acc[l], sum_ = x_ + V[j + l];                                              \
            acc[l] = Gc[j + l] != 0 ? sum_ : x_;                                                   \
          }                                                                                        \
        for (size_t l = 0; j + l < m; l++) {                                                       \
          double x_ = acc[l], sum_ = x_ + V[j + l];                                                \
          acc[l] = Gc[j + l] != 0 ? sum_ : x_;                                                     \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
    if (lane_) {                                                                                   \
      for (size_t l = 0; l < GR_LANES; l++)                                                        \
        lane_[l] = acc[l];                                                                         \
    } else if (!(SX)) {                                                                            \
      double tot = acc[0];                                                                         \
      for (size_t l = 1; l < GR_LANES; l++)                                                        \
        tot += acc[l];                                                                             \
      GXr[0] += tot;                                                                               \
    }                                                                                              \
  } while (0)
/* POW by a constant 2 or 3 (x^2, the square of a residual): the exponent as a literal, so
 * that gr_pow_ga's tests of it fold away and the loop is 2*a or 3*(a*a) times g. clang with
 * its sanitizers (the fuzzing build, which compiles this file unoptimised, see the top)
 * takes one loop for every shape, with the shape read at run time: a fifth of the code. */
#if defined(GR_TAPE_SMALL)
#define REV_ARG(GX, SX, FR, P, ID) REV_LOOP(GX, SX, FR, sa, sb, P, B[0])
#else
#define REV_ARG(GX, SX, FR, P, ID)                                                                 \
  do {                                                                                             \
    if (sa && sb)                                                                                  \
      REV_LOOP(GX, SX, FR, 1, 1, P, B[0]);                                                         \
    else if (sa && GR_OP_##ID == GR_OP_POW && B[0] == 2)                                           \
      REV_LOOP(GX, SX, FR, 1, 0, P, 2.0);                                                          \
    else if (sa && GR_OP_##ID == GR_OP_POW && B[0] == 3)                                           \
      REV_LOOP(GX, SX, FR, 1, 0, P, 3.0);                                                          \
    else if (sa)                                                                                   \
      REV_LOOP(GX, SX, FR, 1, 0, P, B[0]);                                                         \
    else                                                                                           \
      REV_LOOP(GX, SX, FR, 0, 1, P, B[0]);                                                         \
  } while (0)
#endif
/* the helper names in the columns below mean their fast variants (a function-like macro
 * does not expand its own name again) */
#define gr_gdiv(...) gr_gdiv_f(__VA_ARGS__, &rs_bad_)
#define gr_gmul(...) gr_gmul_f(__VA_ARGS__, &rs_bad_)
#define gr_pow_ga(...) gr_pow_ga_f(__VA_ARGS__, &rs_bad_)
#define gr_atan_ga(...) gr_atan_ga_f(__VA_ARGS__, &rs_bad_)
#define gr_asinh_ga(...) gr_asinh_ga_f(__VA_ARGS__, &rs_bad_)
#define gr_acosh_ga(...) gr_acosh_ga_f(__VA_ARGS__, &rs_bad_)
#define OP(id, nm, NA, kind, prec, V, PA, PB, ...)                                                 \
  case GR_OP_##id:                                                                                 \
    if (kind == GR_K_MATH) {                                                                       \
      ARGS;                                                                                        \
      const double *G = GADJ(i);                                                                   \
      double *GA = t->adj + OFF(in->a);                                                            \
      double *GB = NA > 1 ? t->adj + OFF(in->b) : GA;                                              \
      int na = t->ins[in->a].need, nb = NA > 1 && t->ins[in->b].need;                              \
      if ((GR_OP_##id == GR_OP_ADD || GR_OP_##id == GR_OP_SUB) && mode == REV_STRIP) {             \
        na = na && !share_adjoint(t, in->a, G);                                                    \
        nb = nb && !(GR_OP_##id == GR_OP_ADD && share_adjoint(t, in->b, G));                        \
      }                                                                                            \
      if (n == 1) {                                                                                \
        double v;                                                                                  \
        if (G[0] != 0 && na) {                                                                     \
          const int keep = rev_exact(ii->op, 0, G[0], A[0], B[0], Y[0], &v);                       \
          adj_ready(t, in->a);                                                                     \
          if (keep)                                                                                \
            GA[0] += v;                                                                            \
        }                                                                                          \
        if (G[0] != 0 && nb) {                                                                     \
          const int keep = rev_exact(ii->op, 1, G[0], A[0], B[0], Y[0], &v);                       \
          adj_ready(t, in->b);                                                                     \
          if (keep)                                                                                \
            GB[0] += v;                                                                            \
        }                                                                                          \
        break;                                                                                     \
      }                                                                                            \
      if ((GR_OP_##id == GR_OP_SIN || GR_OP_##id == GR_OP_COS) && t->sc_ok && na) {                \
        /* sin's cos(a), cos's -sin(a): the forward sweep's sincos left it in sc, the same bits */ \
        enum { ARGNO = 0 };                                                                        \
        const int fr_ = adj_fresh(t, in->a);                                                       \
        B = t->sc + t->sc_off[i];                                                                  \
        REV_LOOP(GA, 1, fr_, 1, 1, GR_OP_##id == GR_OP_SIN ? g * b : g * -b, B[0]);                \
        break;                                                                                     \
      }                                                                                            \
      if (na) {                                                                                    \
        enum { ARGNO = 0 };                                                                        \
        if (sa) {                                                                                  \
          const int fr_ = adj_fresh(t, in->a);                                                     \
          REV_ARG(GA, 1, fr_, PA, id);                                                             \
        } else {                                                                                   \
          adj_ready(t, in->a);                                                                     \
          REV_ARG(GA, 0, 0, PA, id);                                                               \
        }                                                                                          \
      }                                                                                            \
      if (NA > 1 && nb) {                                                                          \
        enum { ARGNO = 1 };                                                                        \
        if (sb) {                                                                                  \
          const int fr_ = adj_fresh(t, in->b);                                                     \
          REV_ARG(GB, 1, fr_, PB, id);                                                             \
        } else {                                                                                   \
          adj_ready(t, in->b);                                                                     \
          REV_ARG(GB, 0, 0, PB, id);                                                               \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
    break;
#include "ops.def"
#undef OP
#undef gr_gdiv
#undef gr_gmul
#undef gr_pow_ga
#undef gr_atan_ga
#undef gr_asinh_ga
#undef gr_acosh_ga
      default:
        break;
      }
      break;
    }
  }
  for (size_t s = 0; s < t->n; s++) {
    if (t->touch[s] == 1)
      memset(t->adj + OFF(s), 0, LEN(s) * sizeof *t->adj);
    t->touch[s] &= 1;
  }
  if (mode == REV_STRIP)
    memset(t->gp, 0, t->n * sizeof *t->gp);
}

/* A tape of blocks of one and a tape of blocks, each with its own copy of the sweep: the
 * offsets and lengths (OFF, LEN) then cost no test of t->off in the block loops, which
 * made a fit's sweeps 1.6 times slower. */
GR_SWEEP_CLONES static void reverse_sweep(GrTape *t, size_t out, const double *seed, int mode) {
  if (t->off)
    reverse_body(t, out, seed, mode, 0);
  else
    reverse_body(t, out, seed, mode, 1);
}

void gr_tape_reverse(GrTape *t, size_t out, const double *seed) {
  reverse_sweep(t, out, seed, REV_WHOLE);
}

void gr_tape_reverse_strip(GrTape *t, size_t out, const double *seed) {
  if (!t->lanes) {
    t->lanes = tape_calloc(2 * GR_LANES * (t->n ? t->n : 1), sizeof *t->lanes);
    strip_shares_init(t);
  }
  reverse_sweep(t, out, seed, REV_STRIP);
}

void gr_tape_reverse_finish(GrTape *t, size_t out) {
  if (t->lanes)
    reverse_sweep(t, out, NULL, REV_FINISH);
}

int gr_tape_rows_apart(const GrTape *t) {
  for (size_t i = 0; i < t->n; i++) {
    const GrInstr *in = &t->ins[i];
    const uint32_t arg[3] = {in->a, in->b, in->c};
    for (int j = 0; j < in->nargs; j++) {
      if (gr_tape_len(t, i) == 1 && gr_tape_len(t, arg[j]) > 1)
        return 0; /* a reduction of a block: it needs every row */
      /* a block of one under if() or let over a block sums its adjoint row by row */
      if (gr_tape_len(t, i) > 1 && gr_tape_len(t, arg[j]) == 1 && t->ins[arg[j]].need && in->need &&
          gr_ops[in->op].kind != GR_K_MATH)
        return 0;
    }
  }
  return 1;
}

/* Tangents for a forward sweep; their adjoints only for forward-over-reverse, which most
 * runs never do (a gradient checked by one forward sweep needs no tadj). */
static void ensure_tangents(GrTape *t) {
  if (!t->tan)
    t->tan = take_vals(t);
}

void gr_tape_tangent(GrTape *t, const double *const *dir) {
  const int SCALAR_ = !t->off; /* ARGS reads OFF, LEN and VP */
  TAPE_IDX(t);
  ensure_tangents(t);
  t->sweeps++;
  /* the tangent sweep writes only the slots that need one (variables included) */
  clear_slots(t, t->tan, NULL, 1);
  for (int v = 0; v < t->nvars; v++)
    if (dir && dir[v] && t->var_slot[v] >= 0)
      memcpy(t->tan + gr_tape_off(t, t->var_slot[v]), dir[v],
             gr_tape_len(t, t->var_slot[v]) * sizeof(double));
  for (size_t i = 0; i < t->n; i++) {
    const GrInstr *ii = &t->ins[i];
    if (!ii->need || ii->nargs == 0)
      continue;
    double *TY = t->tan + gr_tape_off(t, i);
    switch (ii->op) {
    case GR_OP_LET: {
      ARGS;
      const double *TA = t->tan + gr_tape_off(t, in->a);
      for (size_t k = 0; k < n; k++)
        TY[k] = TA[k * sa];
      break;
    }
    case GR_OP_IF: {
      ARGS;
      const double *TB = t->tan + gr_tape_off(t, in->b), *TC = t->tan + gr_tape_off(t, in->c);
      size_t sc = gr_tape_len(t, in->c) > 1;
      for (size_t k = 0; k < n; k++)
        TY[k] = A[k * sa] != 0 ? TB[k * sb] : TC[k * sc];
      break;
    }
    case GR_OP_SUM:
    case GR_OP_MEAN: {
      const double *TA = t->tan + gr_tape_off(t, ii->a);
      size_t n = gr_tape_len(t, ii->a);
      double s = 0;
      for (size_t k = 0; k < n; k++)
        s += TA[k];
      TY[0] = ii->op == GR_OP_MEAN ? s / (double)n : s;
      break;
    }
    case GR_OP_PROD: {
      const double *A = GR_VP(t, ii->a), *TA = t->tan + gr_tape_off(t, ii->a);
      double p = 1, dp = 0;
      for (size_t k = 0; k < gr_tape_len(t, ii->a); k++) {
        dp = dp * A[k] + p * TA[k];
        p *= A[k];
      }
      TY[0] = dp;
      break;
    }
    case GR_OP_VMAX:
    case GR_OP_VMIN: {
      const double *A = GR_VP(t, ii->a), *TA = t->tan + gr_tape_off(t, ii->a);
      double y = GR_VP(t, i)[0], s = 0;
      size_t ties = 0;
      for (size_t k = 0; k < gr_tape_len(t, ii->a); k++)
        if (A[k] == y) {
          s += TA[k];
          ties++;
        }
      TY[0] = ties ? s / (double)ties : 0;
      break;
    }
    default:
      switch (t->ins[i].op) {
#define OP(id, nm, NA, kind, prec, V, PA, PB, ...)                                                 \
  case GR_OP_##id:                                                                                 \
    if (kind == GR_K_MATH) {                                                                       \
      ARGS;                                                                                        \
      const double *TA = t->tan + gr_tape_off(t, in->a);                                           \
      const double *TB = NA > 1 ? t->tan + gr_tape_off(t, in->b) : TA;                             \
      for (size_t k = 0; k < n; k++) {                                                             \
        double a = A[k * sa], b = B[k * sb], y = Y[k];                                             \
        double ta = TA[k * sa], tb = NA > 1 ? TB[k * sb] : 0, r = 0, v;                            \
        int keep;                                                                                  \
        (void)a;                                                                                   \
        (void)b;                                                                                   \
        (void)y;                                                                                   \
        if (ta != 0) {                                                                             \
          CONTRIB(PA, ta, v, keep);                                                                \
          if (keep)                                                                                \
            r += v;                                                                                \
        }                                                                                          \
        if (tb != 0) {                                                                             \
          CONTRIB(PB, tb, v, keep);                                                                \
          if (keep)                                                                                \
            r += v;                                                                                \
        }                                                                                          \
        TY[k] = r;                                                                                 \
      }                                                                                            \
    }                                                                                              \
    break;
#include "ops.def"
#undef OP
      default:
        break;
      }
      break;
    }
  }
}

const double *gr_tape_out_tangent(const GrTape *t, size_t k) {
  return t->tan + gr_tape_off(t, t->out_slot[k]);
}

/* d/d(dir) of prod's adjoint: for each k, the tangent of prod_{j != k} a_j. O(n^2). */
static void prod_reverse_tangent(GrTape *t, size_t i) {
  const GrInstr *in = &t->ins[i];
  const double *A = GR_VP(t, in->a), *TA = t->tan + gr_tape_off(t, in->a);
  double *TGA = t->tadj + gr_tape_off(t, in->a);
  size_t n = gr_tape_len(t, in->a);
  double g = t->adj[gr_tape_off(t, i)], tg = t->tadj[gr_tape_off(t, i)];
  for (size_t k = 0; k < n; k++) {
    double p = 1, dp = 0;
    for (size_t j = 0; j < n; j++) {
      if (j == k)
        continue;
      dp = dp * A[j] + p * TA[j];
      p *= A[j];
    }
    TGA[k] += tg * p + g * dp;
  }
}

void gr_tape_reverse_tangent(GrTape *t, size_t out) {
  const int SCALAR_ = !t->off; /* ARGS reads OFF, LEN and VP */
  TAPE_IDX(t);
  ensure_tangents(t);
  ensure_adjoints(t); /* read as zeros after gr_tape_drop_adjoints, as after compiling */
  if (!t->tadj)
    t->tadj = take_vals(t);
  t->sweeps++;
  clear_slots(t, t->tadj, t->touch, 0);
  size_t o = t->out_slot[out];
  for (size_t i = o + 1; i-- > 0;) {
    const GrInstr *ii = &t->ins[i];
    if (!ii->need || ii->nargs == 0)
      continue;
    switch (ii->op) {
    case GR_OP_LET: {
      ARGS;
      const double *TG = t->tadj + gr_tape_off(t, i);
      double *TGA = t->tadj + gr_tape_off(t, in->a);
      for (size_t k = 0; k < n; k++)
        TGA[k * sa] += TG[k];
      break;
    }
    case GR_OP_IF: {
      ARGS;
      const double *TG = t->tadj + gr_tape_off(t, i);
      double *TGB = t->tadj + gr_tape_off(t, in->b), *TGC = t->tadj + gr_tape_off(t, in->c);
      size_t sc = gr_tape_len(t, in->c) > 1;
      for (size_t k = 0; k < n; k++) {
        if (A[k * sa] != 0)
          TGB[k * sb] += TG[k];
        else
          TGC[k * sc] += TG[k];
      }
      break;
    }
    case GR_OP_SUM:
    case GR_OP_MEAN:
    case GR_OP_VMAX:
    case GR_OP_VMIN: {
      /* linear in the argument (max/min: piecewise), so only the adjoint tangent flows */
      double *TGA = t->tadj + gr_tape_off(t, ii->a);
      const double *A = GR_VP(t, ii->a);
      size_t n = gr_tape_len(t, ii->a);
      double tg = t->tadj[gr_tape_off(t, i)], y = GR_VP(t, i)[0];
      size_t ties = 0;
      if (ii->op == GR_OP_VMAX || ii->op == GR_OP_VMIN)
        for (size_t k = 0; k < n; k++)
          ties += A[k] == y;
      for (size_t k = 0; k < n; k++) {
        if (ii->op == GR_OP_SUM)
          TGA[k] += tg;
        else if (ii->op == GR_OP_MEAN)
          TGA[k] += tg / (double)n;
        else if (A[k] == y)
          TGA[k] += tg / (double)ties;
      }
      break;
    }
    case GR_OP_PROD:
      prod_reverse_tangent(t, i);
      break;
    default:
      switch (t->ins[i].op) {
#define OP(id, nm, NA, kind, prec, V, PA, PB, PAA, PAB, PBB, ...)                                  \
  case GR_OP_##id:                                                                                 \
    if (kind == GR_K_MATH) {                                                                       \
      ARGS;                                                                                        \
      const double *G = t->adj + gr_tape_off(t, i), *TG = t->tadj + gr_tape_off(t, i);             \
      const double *TA = t->tan + gr_tape_off(t, in->a);                                           \
      const double *TB = NA > 1 ? t->tan + gr_tape_off(t, in->b) : TA;                             \
      double *TGA = t->tadj + gr_tape_off(t, in->a);                                               \
      double *TGB = NA > 1 ? t->tadj + gr_tape_off(t, in->b) : TGA;                                \
      int na = t->ins[in->a].need, nb = NA > 1 && t->ins[in->b].need;                              \
      for (size_t k = 0; k < n; k++) {                                                             \
        double gk = G[k], tg = TG[k];                                                              \
        if (gk == 0 && tg == 0)                                                                    \
          continue;                                                                                \
        double a = A[k * sa], b = B[k * sb], y = Y[k];                                             \
        double ta = TA[k * sa], tb = NA > 1 ? TB[k * sb] : 0;                                      \
        (void)a;                                                                                   \
        (void)b;                                                                                   \
        (void)y;                                                                                   \
        /* tg * dy/da, and gk times the second partials along the tangent, each with the           \
         * strong zeros (a zero second partial sends nothing either) */                            \
        double va = 0, vb = 0, sec_a = 0, sec_b = 0, p2;                                           \
        int ka = 0, kb = 0;                                                                        \
        if (tg != 0) {                                                                             \
          if (na)                                                                                  \
            CONTRIB(PA, tg, va, ka);                                                               \
          if (nb)                                                                                  \
            CONTRIB(PB, tg, vb, kb);                                                               \
        }                                                                                          \
        if (gk != 0) {                                                                             \
          if (ta != 0) {                                                                           \
            if ((p2 = (PAA)) != 0)                                                                 \
              sec_a += p2 * ta;                                                                    \
            if ((p2 = (PAB)) != 0)                                                                 \
              sec_b += p2 * ta;                                                                    \
          }                                                                                        \
          if (tb != 0) {                                                                           \
            if ((p2 = (PAB)) != 0)                                                                 \
              sec_a += p2 * tb;                                                                    \
            if ((p2 = (PBB)) != 0)                                                                 \
              sec_b += p2 * tb;                                                                    \
          }                                                                                        \
        }                                                                                          \
        if (na)                                                                                    \
          TGA[k * sa] += (ka ? va : 0) + (sec_a != 0 ? gk * sec_a : 0);                            \
        if (nb)                                                                                    \
          TGB[k * sb] += (kb ? vb : 0) + (sec_b != 0 ? gk * sec_b : 0);                            \
      }                                                                                            \
    }                                                                                              \
    break;
#include "ops.def"
#undef OP
      default:
        break;
      }
      break;
    }
  }
}

const double *gr_tape_hvp(const GrTape *t, int v) {
  if (!t->tadj || v < 0 || v >= t->nvars || t->var_slot[v] < 0)
    return NULL;
  return t->tadj + gr_tape_off(t, t->var_slot[v]);
}

static int kink_at(int op, double a, double b, double y) {
  (void)a;
  (void)b;
  (void)y;
  switch (op) {
#define OP(id, nm, NA, kind, prec, V, PA, PB, PAA, PAB, PBB, KINK, ...)                            \
  case GR_OP_##id:                                                                                 \
    return kind == GR_K_MATH && (KINK);
#include "ops.def"
#undef OP
  }
  return 0;
}

/* Whether op has a kink at all (its KINK column is not 0): the others skip the scan of
 * their blocks, so that a table pays for kink warnings only where one can occur. */
int gr_tape_can_kink(int op) {
  switch (op) {
#define OP(id, nm, NA, kind, prec, V, PA, PB, PAA, PAB, PBB, KINK, ...)                            \
  case GR_OP_##id:                                                                                 \
    return kind == GR_K_MATH && strcmp(#KINK, "0") != 0;
#include "ops.def"
#undef OP
  }
  return 0;
}

/* What a GR_K_MATH op with adjoint m sends its arguments, strong zeros applied (0 for
 * the others, which pass adjoints linearly). */
static void contributions(int op, double m, double a, double b, double y, double *pa,
                          double *pb) {
  double v;
  *pa = rev_exact(op, 0, m, a, b, y, &v) ? v : 0;
  *pb = gr_ops[op].nargs > 1 && rev_exact(op, 1, m, a, b, y, &v) ? v : 0;
}

/* No inf or NaN among v[0..n): adding 1 to the exponent field carries into the sign bit
 * only when the field is all ones; the OR of those sums is a loop that vectorises. */
GR_SWEEP_CLONES int gr_all_finite(const double *v, size_t n) {
  const uint64_t e = 0x7ff0000000000000ULL;
  uint64_t bad = 0;
  for (size_t k = 0; k < n; k++) {
    uint64_t u;
    memcpy(&u, v + k, sizeof u);
    bad |= (u & e) + (1ULL << 52);
  }
  return !(bad >> 63);
}

size_t gr_tape_issues(const GrTape *t, GrTapeIssue *out, size_t max) {
  size_t cnt = 0;
  /* a NaN in an untaken if() branch never reaches an output: blame values only when an
   * output is not finite */
  int out_bad = 0;
  for (size_t o = 0; o < t->nout && !out_bad; o++)
    out_bad = !gr_all_finite(GR_VP(t, t->out_slot[o]), gr_tape_len(t, t->out_slot[o]));
  /* a non-finite adjoint that a strong zero stops (sqrt(relu(x)) at -1, norm at the
   * origin) harms no reported derivative: blame one only when a variable's or a named
   * intermediate's adjoint is not finite */
  int grad_bad = 0;
  for (size_t i = 0; i < t->n && !grad_bad; i++)
    if (t->ins[i].need && (t->ins[i].op == GR_OP_VAR || t->ins[i].op == GR_OP_LET))
      grad_bad = t->adj && !gr_all_finite(t->adj + gr_tape_off(t, i), gr_tape_len(t, i));
  for (size_t i = 0; i < t->n && cnt < max; i++) {
    const GrInstr *in = &t->ins[i];
    if (in->nargs == 0)
      continue;
    /* where a NaN or inf value starts: finite arguments, non-finite result (log(-1),
     * 1/0); ops downstream of it only pass it on and are not blamed */
    if (out_bad && in->op != GR_OP_SUM && in->op != GR_OP_MEAN && in->op != GR_OP_PROD &&
        in->op != GR_OP_VMAX && in->op != GR_OP_VMIN) {
      const double *Yv = GR_VP(t, i);
      uint32_t arg[3] = {in->a, in->b, in->c};
      int bad = 0;
      for (size_t k = 0; k < gr_tape_len(t, i) && !bad && cnt < max; k++) {
        if (isfinite(Yv[k]))
          continue;
        int args_finite = 1;
        for (int j = 0; j < in->nargs; j++)
          args_finite &= isfinite(GR_VP(t, arg[j])[gr_tape_len(t, arg[j]) > 1 ? k : 0]);
        if (args_finite) {
          out[cnt].node = gr_tape_node(t, i);
          out[cnt].kind = 2;
          out[cnt].where = Yv[k];
          cnt++;
          bad = 1;
        }
      }
    }
    if (!in->need || cnt >= max)
      continue;
    size_t n = gr_tape_len(t, i);
    size_t sa = gr_tape_len(t, in->a) > 1, sb = in->nargs > 1 ? gr_tape_len(t, in->b) > 1 : 0;
    const double *A = GR_VP(t, in->a);
    const double *B = in->nargs > 1 ? GR_VP(t, in->b) : A;
    const double *Y = GR_VP(t, i),
                 *G = t->adj ? t->adj + gr_tape_off(t, i) : NULL; /* read when grad_bad */
    int found = -1;
    double where = 0;
    if (in->op == GR_OP_VMAX || in->op == GR_OP_VMIN) {
      /* a tie for the largest (smallest) element is max(a, b)'s kink */
      size_t ties = 0;
      for (size_t k = 0; k < gr_tape_len(t, in->a); k++)
        ties += A[k] == Y[0];
      if (ties > 1) {
        found = 0;
        where = Y[0];
      }
    }
    for (size_t k = 0; k < n && found < 0 && gr_tape_can_kink(in->op); k++) {
      if (kink_at(in->op, A[k * sa], B[k * sb], Y[k])) {
        found = 0;
        where = A[k * sa];
      }
    }
    /* the op whose adjoint is finite and nonzero but whose own contribution to an
     * argument is not (sqrt at 0, log at 0, ...) is where the trouble starts; an op that
     * merely passes on a non-finite adjoint from elsewhere is not blamed */
    if (gr_ops[in->op].kind == GR_K_MATH && grad_bad)
      for (size_t k = 0; k < n && found < 0; k++) {
        if (!isfinite(G[k]) || G[k] == 0)
          continue;
        double pa, pb;
        contributions(in->op, G[k], A[k * sa], B[k * sb], Y[k], &pa, &pb);
        if ((t->ins[in->a].need && !isfinite(pa) && isfinite(A[k * sa])) ||
            (in->nargs > 1 && t->ins[in->b].need && !isfinite(pb) &&
             isfinite(B[k * sb]))) {
          found = 1;
          where = A[k * sa];
        }
      }
    if (found >= 0) {
      out[cnt].node = gr_tape_node(t, i);
      out[cnt].kind = found;
      out[cnt].where = where;
      cnt++;
    }
  }
  return cnt;
}
