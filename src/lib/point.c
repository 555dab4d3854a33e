/* SPDX-License-Identifier: GPL-3.0-or-later
 * One-point sweeps (point.h). Every rule here is the block tape's (tape.c) for blocks of
 * one, written for a single double per slot: the same formulas from ops.def, the strong
 * zeros (a zero adjoint or tangent sends nothing; neither does a local partial that is
 * exactly 0, whatever the multiplier), and the same order of operations, so that the
 * results are the tape's to the last bit.
 */
#include "point.h"
#include "arena.h"
#include <stdlib.h>
#include <string.h>

static void reverse_flags(GrPInstr *in);
static void fast_programs(GrPoint *p);

void gr_point_free(GrPoint *p) {
  if (!p)
    return;
  free(p->fwd);
  free(p->rev);
  free(p->ffwd);
  free(p->frev);
  free(p->val);
  free(p->adj);
  free(p->pa);
  free(p->tan);
  free(p->tadj);
  free(p->var_slot);
  free(p);
}

GrPoint *gr_point_compile(const GrGraph *g, GrNode *out) {
  size_t top = (size_t)out->id + 1;
  unsigned char *m = gr_reachable(g, &out, 1);
  unsigned char *need = gr_xcalloc(top, 1);
  size_t n = 0, nn = 0, nops = 0, nrev = 0;
  /* which nodes depend on a variable through differentiable ops: the tape's rule */
  for (size_t i = 0; i < top; i++) {
    if (!m[i])
      continue;
    const GrNode *nd = gr_graph_node(g, i);
    if ((nd->op == GR_OP_CONST && nd->vlen != 1) || (nd->op == GR_OP_VAR && nd->var < 0)) {
      free(m);
      free(need);
      return NULL;
    }
    if (nd->op == GR_OP_VAR)
      need[i] = 1;
    else if (nd->op != GR_OP_DETACH)
      for (int k = 0; k < nd->nargs; k++)
        need[i] |= need[gr_arg(nd, k)->id];
    n++;
    nn += need[i];
    if (nd->nargs > 0) {
      nops++;
      nrev += need[i];
    }
  }
  /* the slots that can receive an adjoint first, so that one memset clears them all */
  uint32_t *slot = gr_xmalloc(top * sizeof *slot);
  for (size_t i = 0, kn = 0, ko = nn; i < top; i++)
    if (m[i])
      slot[i] = (uint32_t)(need[i] ? kn++ : ko++);
  GrPoint *p = gr_xcalloc(1, sizeof *p);
  p->n = n;
  p->nneed = nn;
  p->out = slot[out->id];
  p->val = gr_xcalloc(n, sizeof *p->val);
  p->adj = gr_xcalloc(n + 1, sizeof *p->adj);
  p->pa = gr_xcalloc(2 * n, sizeof *p->pa); /* pa, then pb */
  p->pb = p->pa + n;
  p->fwd = gr_xcalloc(nops ? nops : 1, sizeof *p->fwd);
  p->rev = gr_xcalloc(nrev ? nrev : 1, sizeof *p->rev);
  p->nfwd = nops;
  p->nrev = nrev;
  p->nvars = g->nvars;
  p->var_slot = gr_xmalloc((g->nvars ? (size_t)g->nvars : 1) * sizeof *p->var_slot);
  for (int v = 0; v < g->nvars; v++)
    p->var_slot[v] = -1;
  size_t f = 0;
  for (size_t i = 0; i < top; i++) {
    if (!m[i])
      continue;
    const GrNode *nd = gr_graph_node(g, i);
    if (nd->op == GR_OP_CONST) {
      p->val[slot[i]] = nd->num;
      continue;
    }
    if (nd->op == GR_OP_VAR) {
      p->var_slot[nd->var] = (long)slot[i];
      continue;
    }
    GrPInstr *in = &p->fwd[f++];
    in->op = nd->op;
    in->nargs = nd->nargs;
    in->y = slot[i];
    uint32_t *ap[3] = {&in->a, &in->b, &in->c};
    for (int k = 0; k < 3; k++) /* a missing argument reads the first (as the tape's B = A) */
      *ap[k] = slot[gr_arg(nd, k < nd->nargs ? k : 0)->id];
    for (int k = 0; k < nd->nargs; k++)
      if (need[gr_arg(nd, k)->id])
        in->need |= (uint8_t)(1u << k);
  }
  /* the reverse program: the instructions that need an adjoint, last first */
  for (size_t i = 0; i < nops; i++)
    reverse_flags(&p->fwd[i]);
  for (size_t i = nops, r = 0; i-- > 0;)
    if (p->fwd[i].y < nn)
      p->rev[r++] = p->fwd[i];
  fast_programs(p);
  free(slot);
  free(need);
  free(m);
  return p;
}

/* Paste-level selection of the GR_K_MATH rows of ops.def (the others are written by hand
 * below), so that one switch holds every op. */
#define PT_MATH_GR_K_MATH(...) __VA_ARGS__
#define PT_MATH_GR_K_SPECIAL(...)
#define PT_MATH_GR_K_LEAF(...)
#define PT_IF_MATH(kind, ...) PT_MATH_##kind(__VA_ARGS__)

/* tape.c's CONTRIB: the contribution of column P (an expression in a, b, y and the
 * multiplier g) for the multiplier M, into V; K is 0 where it must be dropped: M == 0, or
 * the local partial (P at g = 1) is exactly 0 while M is inf or NaN. */
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

double gr_point_forward(GrPoint *p) {
  double *v = p->val;
  for (const GrPInstr *in = p->fwd, *end = in + p->nfwd; in < end; in++) {
    const double a = v[in->a], b = v[in->b];
    double r;
    (void)b;
    switch (in->op) {
    case GR_OP_LET:
      r = a;
      break;
    case GR_OP_IF:
      r = a != 0 ? b : v[in->c];
      break;
    case GR_OP_SUM: { /* reductions of a block of one, as the tape's loops leave them */
      double s = 0;
      s += a;
      r = s;
      break;
    }
    case GR_OP_MEAN: {
      double s = 0;
      s += a;
      r = s / 1.0;
      break;
    }
    case GR_OP_PROD: {
      double s = 1;
      s *= a;
      r = s;
      break;
    }
    case GR_OP_VMAX:
    case GR_OP_VMIN:
      r = a;
      break;
#define OP(id, nm, NA, kind, prec, V, ...) PT_IF_MATH(kind, case GR_OP_##id : r = (V); break;)
#include "ops.def"
#undef OP
    default:
      r = 0; /* not reached: leaves are not instructions */
      break;
    }
    v[in->y] = r;
  }
  return v[p->out];
}

/* ---- forward with local partials, and the reverse sweep ----
 *
 * The reverse sweep is where a one-point interpreter loses its time: a dispatch per
 * instruction and the rules' branches on a chain of adjoints. So the forward sweep that
 * precedes a reverse one also stores each instruction's local partials P (the PA and PB
 * columns at g = 1), off that chain, and the reverse sweep forms adj[a] += g * P. That is
 * the column's own arithmetic wherever the column is a product g * X (PURE: X at g = 1 is
 * X exactly, and g * X is the same rounding). The range-safe columns (gr_gdiv ...) first
 * form g times a plain partial and keep it when it and the partial are in the normal
 * range; the plain partial is stored (CHECK) and the same test made, and where it fails
 * the column itself is evaluated. The other columns are evaluated as written (SLOW), as
 * is everything when the adjoint is inf or NaN (reverse_exact).
 *
 * Both sweeps are chains of loads that wait for the store just before them: an
 * instruction reads the value (forward) or the adjoint (reverse) that the one before it
 * has just written. Where it does, the number is taken from a register instead (the
 * PT_PREV and RK_PREV flags), which takes the store-to-load latency off the chain. */

enum { PT_PURE, PT_CHECK, PT_SLOW };

/* Whether column text s is 0, g, -g or g * X for a single term X (a name, a call, a
 * parenthesised group): then the column at g is g times the column at 1, bit for bit. */
static int pure_product(const char *s) {
  if (!strcmp(s, "0") || !strcmp(s, "g") || !strcmp(s, "-g"))
    return 1;
  if (strncmp(s, "g * ", 4))
    return 0;
  s += 4;
  while (*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
         (*s >= '0' && *s <= '9'))
    s++;
  if (!*s)
    return 1; /* a name */
  if (*s != '(')
    return 0;
  int depth = 0;
  for (; *s; s++) {
    depth += *s == '(';
    depth -= *s == ')';
    if (depth == 0)
      return s[1] == 0; /* the group closes at the end */
  }
  return 0;
}

/* The plain partial that a range-safe column multiplies g by first (see its helper in
 * ops.h), for argument k of op; check_plain says which ops have one. */
static inline int check_plain(int op, int k) {
  switch (op) {
  case GR_OP_DIV:   /* gr_gdiv(g, 1, b); -gr_gdiv(g, y, b) */
  case GR_OP_POW:   /* gr_pow_ga; gr_pow_gb -> gr_gmul(g, y, log(a)) */
    return 1;
  case GR_OP_LOG:   /* gr_gdiv(g, 1, a) */
  case GR_OP_LOG2:  /* gr_gdiv(g, 1, a * M_LN2) */
  case GR_OP_LOG10: /* gr_gdiv(g, 1, a * M_LN10) */
  case GR_OP_ATAN:  /* gr_atan_ga */
  case GR_OP_ASINH: /* gr_asinh_ga */
  case GR_OP_ACOSH: /* gr_acosh_ga */
  case GR_OP_ERF:   /* gr_erf_ga */
  case GR_OP_ERFC:  /* -gr_erf_ga */
  case GR_OP_GAMMA: /* gr_gmul(g, y, gr_psi(a)) */
    return k == 0;
  default:
    return 0;
  }
}
static inline double plain(int op, int k, double a, double b, double y) {
  switch (op) {
  case GR_OP_DIV:
    return k == 0 ? 1 / b : -(y / b);
  case GR_OP_POW:
    return k == 0 ? gr_pow_da(a, b) : (a == 0 && b >= 0) ? 0.0 : y * log(a);
  case GR_OP_LOG:
    return 1 / a;
  case GR_OP_LOG2:
    return 1 / (a * M_LN2);
  case GR_OP_LOG10:
    return 1 / (a * M_LN10);
  case GR_OP_ATAN:
    return 1 / (1 + a * a);
  case GR_OP_ASINH:
    return 1 / sqrt(a * a + 1);
  case GR_OP_ACOSH:
    return 1 / sqrt(a * a - 1);
  case GR_OP_ERF:
    return M_2_SQRTPI * exp(-a * a);
  case GR_OP_ERFC:
    return -(M_2_SQRTPI * exp(-a * a));
  case GR_OP_GAMMA:
    return y * gr_psi(a);
  default:
    return 0;
  }
}

/* How argument k (0: a, 1: b) of op gets its adjoint in the reverse sweep. */
static int partial_kind(int op, int k) {
  static const char *const col[GR_OP_COUNT][2] = {
#define OP(id, nm, NA, kind, prec, V, PA, PB, ...) {#PA, #PB},
#include "ops.def"
#undef OP
  };
  switch (op) {
  case GR_OP_LET:
  case GR_OP_SUM:
  case GR_OP_MEAN:
  case GR_OP_PROD:
  case GR_OP_VMAX:
  case GR_OP_VMIN:
    return PT_PURE; /* the forward sweep stores their factor (1, or 0 for no tie) */
  case GR_OP_IF:
    return PT_SLOW;
  default:
    if (gr_ops[op].kind != GR_K_MATH)
      return PT_SLOW;
    if (pure_product(col[op][k]))
      return PT_PURE;
    return check_plain(op, k) ? PT_CHECK : PT_SLOW;
  }
}

/* The reverse flags of an instruction (its need bits set) */
static void reverse_flags(GrPInstr *in) {
  for (int k = 0; k < 2 && k < in->nargs; k++) {
    int pk = partial_kind(in->op, k);
    if (pk == PT_CHECK)
      in->need |= (uint8_t)(PT_CHECK_A << k);
    else if (pk == PT_SLOW)
      in->need |= (uint8_t)(PT_SLOW_A << k);
  }
}

/* ---- the programs of the fast sweeps ----
 *
 * gr_point_forward_partials runs ffwd: fwd with the frequent shapes as ops of their own,
 * so that they skip the generic rows' tests: + - and unary minus store no partial (their
 * reverse rule needs none), a * b stores both partials whatever is needed, and a^2, a^3
 * with a constant exponent are a * a and a * a * a with the partials 2 * a and 3 * (a * a),
 * which is what gr_pow and gr_pow_da compute for those exponents, to the bit. Each shape
 * has a case per choice of the arguments that come from the register (PT_OP_PREV below).
 *
 * gr_point_reverse runs frev, one entry per rev[] instruction, by the shape of its partials:
 *   RK_ADD   adj[ta] += g; adj[tb] += g        (let, +, the reductions of one element)
 *   RK_SUB   adj[ta] += g; adj[tb] += -g       (-, and unary minus with ta the scratch slot)
 *   RK_MUL1  adj[ta] += g * pa[qa]             (one PURE partial)
 *   RK_MUL2  the same for ta and tb            (two PURE partials)
 *   RK_CHK1, RK_CHK2  the same for CHECK partials, kept where product and partial are
 *            normal numbers
 *   RK_GEN   the generic rule (reverse_exact)
 *   RK_END   the end of the program
 * each with a case per place its adjoint comes from (RK_PREV_A, RK_PREV_B: the register).
 * No entry tests its adjoint first. A zero or non-finite adjoint only matters where the
 * product is off: 0 * inf or inf * 0 is NaN, and the checked shapes fail their range test
 * on 0 and inf. Those products (NaN, or not normal) send the instruction to reverse_exact
 * before anything is added, which applies the tape's rule from the start. A product that
 * is not NaN is the tape's contribution: g * q is what a PURE column gives for any nonzero
 * g, inf included, and g = 0 adds +0 or -0, which leaves an adjoint as it was (an adjoint
 * is never -0). Arguments that take no adjoint point to the scratch slot n, so that every
 * entry of a shape runs the same code. */
enum { PT_OP_ADD = GR_OP_COUNT, PT_OP_SUB, PT_OP_NEG, PT_OP_MUL, PT_OP_SQ, PT_OP_CUBE, PT_OP_PREV };
enum { RK_ADD, RK_SUB, RK_MUL1, RK_MUL2, RK_CHK1, RK_CHK2, RK_GEN, RK_END };
enum { RK_PREV_A = 16, RK_PREV_B = 32, RK_NKINDS = RK_END + RK_PREV_B + 1 };
enum { PT_PREV_A = 1, PT_PREV_B = 2 };

static void fast_programs(GrPoint *p) {
  const uint32_t n = (uint32_t)p->n;
  /* the constant slots: no variable's and no instruction's */
  unsigned char *computed = gr_xcalloc(p->n ? p->n : 1, 1);
  for (int v = 0; v < p->nvars; v++)
    if (p->var_slot[v] >= 0)
      computed[p->var_slot[v]] = 1;
  for (size_t i = 0; i < p->nfwd; i++)
    computed[p->fwd[i].y] = 1;
  p->ffwd = gr_xcalloc(p->nfwd ? p->nfwd : 1, sizeof *p->ffwd);
  for (size_t i = 0; i < p->nfwd; i++) {
    GrPInstr in = p->fwd[i];
    switch (in.op) {
    case GR_OP_ADD:
      in.op = PT_OP_ADD;
      break;
    case GR_OP_SUB:
      in.op = PT_OP_SUB;
      break;
    case GR_OP_NEG:
      in.op = PT_OP_NEG;
      break;
    case GR_OP_MUL:
      in.op = PT_OP_MUL;
      break;
    case GR_OP_POW:
      if (!computed[in.b] && !(in.need & 2) && (p->val[in.b] == 2 || p->val[in.b] == 3))
        in.op = p->val[in.b] == 2 ? PT_OP_SQ : PT_OP_CUBE;
      break;
    default:
      break;
    }
    in.nargs = 0; /* here: which arguments are the previous instruction's value */
    if (i > 0 && in.a == p->fwd[i - 1].y)
      in.nargs |= PT_PREV_A;
    if (i > 0 && in.b == p->fwd[i - 1].y)
      in.nargs |= PT_PREV_B;
    if (in.op >= GR_OP_COUNT) /* a shape: the flags select its case */
      in.op = (uint16_t)(in.op + PT_OP_PREV * in.nargs);
    p->ffwd[i] = in;
  }
  free(computed);
  p->frev = gr_xcalloc(p->nrev + 1, sizeof *p->frev);
  p->frev[p->nrev].kind = RK_END; /* after the last entry */
  for (size_t i = 0; i < p->nrev; i++) {
    const GrPInstr *in = &p->rev[i];
    GrPRev *r = &p->frev[i];
    const int na = in->need & 1, nb = in->nargs > 1 && (in->need & 2);
    r->y = in->y;
    r->ta = na ? in->a : n;
    r->tb = nb ? in->b : n;
    r->qa = in->y;
    r->qb = n + in->y;
    switch (in->op) {
    case GR_OP_LET:
    case GR_OP_SUM:
    case GR_OP_MEAN: /* g / 1.0 is g */
    case GR_OP_PROD: /* the empty product of the other factors: g * 1 */
    case GR_OP_ADD:
      r->kind = RK_ADD;
      continue;
    case GR_OP_SUB:
      r->kind = RK_SUB;
      continue;
    case GR_OP_NEG:
      r->kind = RK_SUB;
      r->tb = r->ta;
      r->ta = n;
      continue;
    case GR_OP_IF:
      r->kind = RK_GEN;
      continue;
    default:
      break;
    }
    /* the kinds of the partials that are sent: PT_PURE, PT_CHECK, PT_SLOW; -1 none */
    int ka = na ? ((in->need & PT_SLOW_A) ? PT_SLOW : (in->need & PT_CHECK_A) ? PT_CHECK : PT_PURE)
                : -1;
    int kb = nb ? ((in->need & PT_SLOW_B) ? PT_SLOW : (in->need & PT_CHECK_B) ? PT_CHECK : PT_PURE)
                : -1;
    if (ka < 0) { /* only b: it goes first */
      r->ta = r->tb;
      r->qa = r->qb;
      r->tb = n;
      ka = kb;
      kb = -1;
    }
    if (ka == PT_SLOW || kb == PT_SLOW || (kb >= 0 && ka != kb))
      r->kind = RK_GEN;
    else if (ka == PT_PURE)
      r->kind = kb < 0 ? RK_MUL1 : RK_MUL2;
    else
      r->kind = kb < 0 ? RK_CHK1 : RK_CHK2;
  }
  /* an adjoint that the previous entry has just formed is taken from a register, not
   * read back from the slot: a load right after the store that it depends on waits */
  for (size_t i = 1; i < p->nrev; i++) {
    GrPRev *r = &p->frev[i];
    const GrPRev *q = &p->frev[i - 1];
    if (r->y == q->tb) /* tb when ta == tb too: its sum is the later */
      r->kind |= RK_PREV_B;
    else if (r->y == q->ta)
      r->kind |= RK_PREV_A;
  }
}

/* The instructions of one shape, for each of its arguments that the previous instruction
 * computed: a case each (op + PT_OP_PREV times the PT_PREV bits), so that the choice costs
 * no test of its own */
#define FW_CASES(K, ...)                                                                           \
  case K: {                                                                                        \
    const double a = v[in->a], b = v[in->b];                                                       \
    (void)b;                                                                                       \
    __VA_ARGS__                                                                                    \
  } break;                                                                                         \
  case K + PT_OP_PREV * PT_PREV_A: {                                                               \
    const double a = last, b = v[in->b];                                                           \
    (void)b;                                                                                       \
    __VA_ARGS__                                                                                    \
  } break;                                                                                         \
  case K + PT_OP_PREV * PT_PREV_B: {                                                               \
    const double a = v[in->a], b = last;                                                           \
    (void)b;                                                                                       \
    __VA_ARGS__                                                                                    \
  } break;                                                                                         \
  case K + PT_OP_PREV * (PT_PREV_A | PT_PREV_B): {                                                 \
    const double a = last, b = last;                                                               \
    (void)b;                                                                                       \
    __VA_ARGS__                                                                                    \
  } break;
/* the other instructions: the same choice by the flags in nargs */
#define FW_ARGS                                                                                    \
  const double a = (in->nargs & PT_PREV_A) ? last : v[in->a];                                      \
  const double b = (in->nargs & PT_PREV_B) ? last : v[in->b];                                      \
  (void)b

double gr_point_forward_partials(GrPoint *p) {
  double *v = p->val, *pa = p->pa, *pb = p->pb;
  double last = 0; /* the previous instruction's value */
  for (const GrPInstr *in = p->ffwd, *end = in + p->nfwd; in < end; in++) {
    /* an argument that the previous instruction has just computed comes from a register:
     * a load right after the store that it depends on waits */
    const uint32_t yi = in->y;
    double r;
    switch (in->op) {
      /* the shapes of fast_programs: the values are ops.def's */
      FW_CASES(PT_OP_ADD, r = a + b;)
      FW_CASES(PT_OP_SUB, r = a - b;)
      FW_CASES(PT_OP_NEG, r = -a;)
      FW_CASES(PT_OP_MUL, {
        r = a * b;
        pa[yi] = b;
        pb[yi] = a;
      })
      /* gr_pow(a, 2), gr_pow_da(a, 2) = 2 * gr_pow(a, 1) */
      FW_CASES(PT_OP_SQ, {
        r = a * a;
        pa[yi] = 2 * a;
      })
      /* gr_pow(a, 3), gr_pow_da(a, 3) = 3 * gr_pow(a, 2) */
      FW_CASES(PT_OP_CUBE, {
        r = a * a * a;
        pa[yi] = 3 * (a * a);
      })
    case GR_OP_LET: {
      FW_ARGS;
      r = a;
      pa[yi] = 1;
      break;
    }
    case GR_OP_IF: {
      FW_ARGS;
      r = a != 0 ? b : v[in->c];
      break;
    }
    case GR_OP_SUM: {
      FW_ARGS;
      double s = 0;
      s += a;
      r = s;
      pa[yi] = 1;
      break;
    }
    case GR_OP_MEAN: { /* g / 1.0 is g * 1 */
      FW_ARGS;
      double s = 0;
      s += a;
      r = s / 1.0;
      pa[yi] = 1;
      break;
    }
    case GR_OP_PROD: {
      FW_ARGS;
      double s = 1;
      s *= a;
      r = s;
      pa[yi] = 1;
      break;
    }
    case GR_OP_VMAX:
    case GR_OP_VMIN: { /* a NaN is no tie: it gets nothing (g * 0 adds nothing) */
      FW_ARGS;
      r = a;
      pa[yi] = a == a ? 1 : 0;
      break;
    }
#define OP(id, nm, NA, kind, prec, V, PA, PB, ...)                                                 \
  PT_IF_MATH(                                                                                      \
      kind, case GR_OP_##id : {                                                                    \
        FW_ARGS;                                                                                   \
        const double y = (V);                                                                      \
        const uint8_t f = in->need;                                                                \
        r = y;                                                                                     \
        if ((f & (1 | PT_SLOW_A)) == 1) {                                                          \
          const double g = 1;                                                                      \
          (void)g;                                                                                 \
          pa[yi] = check_plain(GR_OP_##id, 0) ? plain(GR_OP_##id, 0, a, b, y) : (PA);              \
        }                                                                                          \
        if (NA > 1 && (f & (2 | PT_SLOW_B)) == 2) {                                                \
          const double g = 1;                                                                      \
          (void)g;                                                                                 \
          pb[yi] = check_plain(GR_OP_##id, 1) ? plain(GR_OP_##id, 1, a, b, y) : (PB);              \
        }                                                                                          \
      } break;)
#include "ops.def"
#undef OP
    default:
      r = 0; /* not reached: leaves are not instructions */
      break;
    }
    v[yi] = last = r;
  }
  return v[p->out];
}
#undef FW_CASES
#undef FW_ARGS

/* What a GR_K_MATH instruction with a finite nonzero adjoint gm sends its argument k (0:
 * a, 1: b): its column at g = gm, as CONTRIB forms it for a finite multiplier. For the
 * contributions that the stored partial does not give. */
static __attribute__((noinline)) double reverse_column(const GrPInstr *in, const double *v,
                                                       double gm, int k) {
  const double a = v[in->a], b = v[in->b], y = v[in->y], g = gm;
  (void)a;
  (void)b;
  (void)y;
  (void)g;
  switch (in->op) {
#define OP(id, nm, NA, kind, prec, V, PA, PB, ...)                                                 \
  PT_IF_MATH(kind, case GR_OP_##id : return k == 0 ? (PA) : (PB);)
#include "ops.def"
#undef OP
  default:
    return 0;
  }
}

/* if() with a nonzero adjoint gm: all of it to the branch taken */
static void reverse_if(const GrPInstr *in, const double *v, double *adj, double gm) {
  if (v[in->a] != 0) {
    if (in->need & 2)
      adj[in->b] += gm;
  } else if (in->need & 4)
    adj[in->c] += gm;
}

/* An instruction whose adjoint gm is inf or NaN: each local partial decides whether it
 * sends anything (CONTRIB), as in the tape. Rare, and large: out of the loop. */
static __attribute__((noinline)) void reverse_nonfinite(const GrPInstr *in, const double *v,
                                                        double *adj, double gm) {
  const double a = v[in->a], b = v[in->b], y = v[in->y];
  double d;
  int keep;
  (void)a;
  (void)b;
  (void)y;
  switch (in->op) {
  case GR_OP_LET:
  case GR_OP_SUM:
  case GR_OP_PROD: /* prod of one factor: the local partial is the empty product 1 */
    adj[in->a] += gm;
    return;
  case GR_OP_IF:
    reverse_if(in, v, adj, gm);
    return;
  case GR_OP_MEAN:
    adj[in->a] += gm / 1.0;
    return;
  case GR_OP_VMAX:
  case GR_OP_VMIN: /* a NaN element is not the maximum's tie: nothing is sent */
    if (a == y)
      adj[in->a] += gm / 1.0;
    return;
#define OP(id, nm, NA, kind, prec, V, PA, PB, ...)                                                 \
  PT_IF_MATH(                                                                                      \
      kind, case GR_OP_##id : if (in->need & 1) {                                                  \
        CONTRIB(PA, gm, d, keep);                                                                  \
        if (keep)                                                                                  \
          adj[in->a] += d;                                                                         \
      } if (NA > 1 && (in->need & 2)) {                                                            \
        CONTRIB(PB, gm, d, keep);                                                                  \
        if (keep)                                                                                  \
          adj[in->b] += d;                                                                         \
      } return;)
#include "ops.def"
#undef OP
  default:
    return;
  }
}
/* The tape's rule for one instruction of rev, from its adjoint on. */
static __attribute__((noinline)) void reverse_exact(const GrPInstr *in, const double *v,
                                                    const double *pa, const double *pb,
                                                    double *adj) {
  const double g = adj[in->y];
  /* A zero adjoint sends nothing. (The tape's let() adds it all the same, but an adjoint
   * is never -0: sums start from +0 or the seed 1, and x + y is -0 only when both are -0;
   * so adding a zero changes nothing.) */
  if (g == 0)
    return;
  if (g - g != 0) {
    reverse_nonfinite(in, v, adj, g);
    return;
  }
  /* a finite multiplier: the stored partial times g, or the column itself */
  const uint8_t f = in->need;
  if (in->op == GR_OP_IF) {
    reverse_if(in, v, adj, g);
    return;
  }
  if (f & 1) {
    double r;
    if (f & PT_SLOW_A)
      r = reverse_column(in, v, g, 0);
    else {
      const double q = pa[in->y];
      r = g * q;
      if ((f & PT_CHECK_A) && !(gr_fine(r) && gr_fine(q)))
        r = reverse_column(in, v, g, 0);
    }
    adj[in->a] += r;
  }
  if (f & 2) {
    double r;
    if (f & PT_SLOW_B)
      r = reverse_column(in, v, g, 1);
    else {
      const double q = pb[in->y];
      r = g * q;
      if ((f & PT_CHECK_B) && !(gr_fine(r) && gr_fine(q)))
        r = reverse_column(in, v, g, 1);
    }
    adj[in->b] += r;
  }
}

/* The entries of one shape, for each place its adjoint g comes from: a label each, so
 * that the choice costs no test of its own. The sweep is threaded: every entry ends in its
 * own jump to the next one's label (lab[kind]), which the processor predicts per entry
 * better than one shared switch, and the program ends with an RK_END entry instead of a
 * count. */
#define RK_LABELS(K) [K] = &&K##_0, [K | RK_PREV_A] = &&K##_A, [K | RK_PREV_B] = &&K##_B
#define RK_BODY(K, ...)                                                                            \
  K##_0 : {                                                                                        \
    const double g = adj[r->y];                                                                    \
    __VA_ARGS__                                                                                    \
  }                                                                                                \
  K##_A : {                                                                                        \
    const double g = la;                                                                           \
    __VA_ARGS__                                                                                    \
  }                                                                                                \
  K##_B : {                                                                                        \
    const double g = lb;                                                                           \
    __VA_ARGS__                                                                                    \
  }
#define RK_NEXT                                                                                    \
  do {                                                                                             \
    r++;                                                                                           \
    goto *lab[r->kind];                                                                            \
  } while (0)

void gr_point_reverse(GrPoint *p) {
  static const void *const lab[RK_NKINDS] = {
      RK_LABELS(RK_ADD),  RK_LABELS(RK_SUB),  RK_LABELS(RK_MUL1), RK_LABELS(RK_MUL2),
      RK_LABELS(RK_CHK1), RK_LABELS(RK_CHK2), RK_LABELS(RK_GEN),  [RK_END] = &&RK_END_0,
  };
  const double *pa = p->pa;
  double *adj = p->adj;
  memset(adj, 0, p->nneed * sizeof *adj);
  adj[p->n] = 0; /* the scratch slot: kept a plain number */
  adj[p->out] = 1.0;
  const GrPRev *r = p->frev;
  double la = 0, lb = 0; /* the adjoints that the previous entry left in slots ta and tb */
  double ra, rb, qa, qb;
  goto *lab[r->kind];
  RK_BODY(RK_ADD, {
    adj[r->ta] = la = adj[r->ta] + g;
    adj[r->tb] = lb = adj[r->tb] + g;
    RK_NEXT;
  })
  RK_BODY(RK_SUB, {
    adj[r->ta] = la = adj[r->ta] + g;
    adj[r->tb] = lb = adj[r->tb] + -g;
    RK_NEXT;
  })
  RK_BODY(RK_MUL1, {
    ra = g * pa[r->qa];
    if (ra != ra)
      goto exact;
    adj[r->ta] = la = adj[r->ta] + ra;
    RK_NEXT;
  })
  RK_BODY(RK_MUL2, {
    ra = g * pa[r->qa];
    rb = g * pa[r->qb];
    if (ra != ra || rb != rb)
      goto exact;
    adj[r->ta] = la = adj[r->ta] + ra;
    adj[r->tb] = lb = adj[r->tb] + rb;
    RK_NEXT;
  })
  RK_BODY(RK_CHK1, {
    qa = pa[r->qa];
    ra = g * qa;
    if (!(gr_fine(ra) && gr_fine(qa)))
      goto exact;
    adj[r->ta] = la = adj[r->ta] + ra;
    RK_NEXT;
  })
  RK_BODY(RK_CHK2, {
    qa = pa[r->qa];
    qb = pa[r->qb];
    ra = g * qa;
    rb = g * qb;
    if (!(gr_fine(ra) && gr_fine(qa) && gr_fine(rb) && gr_fine(qb)))
      goto exact;
    adj[r->ta] = la = adj[r->ta] + ra;
    adj[r->tb] = lb = adj[r->tb] + rb;
    RK_NEXT;
  })
RK_GEN_0:
RK_GEN_A:
RK_GEN_B:
exact:
  reverse_exact(&p->rev[r - p->frev], p->val, pa, p->pb, adj);
  la = adj[r->ta];
  lb = adj[r->tb];
  RK_NEXT;
RK_END_0:
  return;
}
#undef RK_LABELS
#undef RK_BODY
#undef RK_NEXT

void gr_point_tangent(GrPoint *p, const double *dir) {
  if (!p->tan)
    p->tan = gr_xcalloc(p->n, sizeof *p->tan);
  const double *v = p->val;
  double *tan = p->tan;
  /* only the slots that depend on a variable ever hold a tangent; the others stay 0 */
  memset(tan, 0, p->nneed * sizeof *tan);
  for (int k = 0; dir && k < p->nvars; k++)
    if (p->var_slot[k] >= 0)
      tan[p->var_slot[k]] = dir[k];
  for (const GrPInstr *in = p->fwd, *end = in + p->nfwd; in < end; in++) {
    if (in->y >= p->nneed)
      continue;
    const double ta = tan[in->a];
    double r;
    switch (in->op) {
    case GR_OP_LET:
      r = ta;
      break;
    case GR_OP_IF:
      r = v[in->a] != 0 ? tan[in->b] : tan[in->c];
      break;
    case GR_OP_SUM: {
      double s = 0;
      s += ta;
      r = s;
      break;
    }
    case GR_OP_MEAN: {
      double s = 0;
      s += ta;
      r = s / 1.0;
      break;
    }
    case GR_OP_PROD: { /* the tape's product rule, dp = dp a + p ta from dp = 0, p = 1 */
      double pp = 1, dp = 0;
      dp = dp * v[in->a] + pp * ta;
      r = dp;
      break;
    }
    case GR_OP_VMAX:
    case GR_OP_VMIN:
      r = v[in->a] == v[in->y] ? (0 + ta) / 1.0 : 0;
      break;
#define OP(id, nm, NA, kind, prec, V, PA, PB, ...)                                                 \
  PT_IF_MATH(                                                                                      \
      kind, case GR_OP_##id : {                                                                    \
        const double a = v[in->a], b = v[in->b], y = v[in->y];                                     \
        const double tb = NA > 1 ? tan[in->b] : 0;                                                 \
        double d;                                                                                  \
        int keep;                                                                                  \
        (void)a;                                                                                   \
        (void)b;                                                                                   \
        (void)y;                                                                                   \
        r = 0;                                                                                     \
        if (ta != 0) {                                                                             \
          CONTRIB(PA, ta, d, keep);                                                                \
          if (keep)                                                                                \
            r += d;                                                                                \
        }                                                                                          \
        if (tb != 0) {                                                                             \
          CONTRIB(PB, tb, d, keep);                                                                \
          if (keep)                                                                                \
            r += d;                                                                                \
        }                                                                                          \
        break;                                                                                     \
      })
#include "ops.def"
#undef OP
    default:
      r = 0;
      break;
    }
    tan[in->y] = r;
  }
}

void gr_point_reverse_tangent(GrPoint *p) {
  if (!p->tan)
    p->tan = gr_xcalloc(p->n, sizeof *p->tan);
  if (!p->tadj)
    p->tadj = gr_xcalloc(p->n, sizeof *p->tadj);
  const double *v = p->val, *adj = p->adj, *tan = p->tan;
  double *tadj = p->tadj;
  memset(tadj, 0, p->nneed * sizeof *tadj);
  for (const GrPInstr *in = p->rev, *end = in + p->nrev; in < end; in++) {
    const double tg = tadj[in->y];
    switch (in->op) {
    case GR_OP_LET:
      tadj[in->a] += tg;
      break;
    case GR_OP_IF:
      if (v[in->a] != 0) {
        if (in->need & 2)
          tadj[in->b] += tg;
      } else if (in->need & 4)
        tadj[in->c] += tg;
      break;
    case GR_OP_SUM:
      tadj[in->a] += tg;
      break;
    case GR_OP_MEAN:
      tadj[in->a] += tg / 1.0;
      break;
    case GR_OP_VMAX:
    case GR_OP_VMIN:
      if (v[in->a] == v[in->y])
        tadj[in->a] += tg / 1.0;
      break;
    case GR_OP_PROD: { /* the tape's tg * p + g * dp for the one factor: p = 1, dp = 0 */
      double pp = 1, dp = 0;
      tadj[in->a] += tg * pp + adj[in->y] * dp;
      break;
    }
#define OP(id, nm, NA, kind, prec, V, PA, PB, PAA, PAB, PBB, ...)                                  \
  PT_IF_MATH(                                                                                      \
      kind, case GR_OP_##id : {                                                                    \
        const double gk = adj[in->y];                                                              \
        if (gk == 0 && tg == 0)                                                                    \
          break;                                                                                   \
        const double a = v[in->a], b = v[in->b], y = v[in->y];                                     \
        const double ta = tan[in->a], tb = NA > 1 ? tan[in->b] : 0;                                \
        (void)a;                                                                                   \
        (void)b;                                                                                   \
        (void)y;                                                                                   \
        const int na = in->need & 1, nb = NA > 1 && (in->need & 2);                                \
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
          tadj[in->a] += (ka ? va : 0) + (sec_a != 0 ? gk * sec_a : 0);                            \
        if (nb)                                                                                    \
          tadj[in->b] += (kb ? vb : 0) + (sec_b != 0 ? gk * sec_b : 0);                            \
        break;                                                                                     \
      })
#include "ops.def"
#undef OP
    default:
      break;
    }
  }
}
