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

void gr_point_free(GrPoint *p) {
  if (!p)
    return;
  free(p->fwd);
  free(p->rev);
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
    const GrNode *nd = g->nodes[i];
    if ((nd->op == GR_OP_CONST && nd->vlen != 1) || (nd->op == GR_OP_VAR && nd->var < 0)) {
      free(m);
      free(need);
      return NULL;
    }
    if (nd->op == GR_OP_VAR)
      need[i] = 1;
    else if (nd->op != GR_OP_DETACH)
      for (int k = 0; k < nd->nargs; k++)
        need[i] |= need[nd->arg[k]->id];
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
  p->adj = gr_xcalloc(n, sizeof *p->adj);
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
    const GrNode *nd = g->nodes[i];
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
      *ap[k] = slot[nd->arg[k < nd->nargs ? k : 0]->id];
    for (int k = 0; k < nd->nargs; k++)
      if (need[nd->arg[k]->id])
        in->need |= (uint8_t)(1u << k);
  }
  /* the reverse program: the instructions that need an adjoint, last first */
  for (size_t i = 0; i < nops; i++)
    reverse_flags(&p->fwd[i]);
  for (size_t i = nops, r = 0; i-- > 0;)
    if (p->fwd[i].y < nn)
      p->rev[r++] = p->fwd[i];
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
 * columns at g = 1), off that chain, and the reverse sweep is one loop without a switch:
 * adj[a] += g * P. That is the column's own arithmetic wherever the column is a product
 * g * X (PURE: X at g = 1 is X exactly, and g * X is the same rounding). The range-safe
 * columns (gr_gdiv ...) first form g times a plain partial and keep it when it and the
 * partial are in the normal range; the plain partial is stored (CHECK) and the same test
 * made, and where it fails the column itself is evaluated. The other columns are
 * evaluated as written (SLOW), as is everything when the adjoint is inf or NaN. */

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

double gr_point_forward_partials(GrPoint *p) {
  double *v = p->val, *pa = p->pa, *pb = p->pb;
  for (const GrPInstr *in = p->fwd, *end = in + p->nfwd; in < end; in++) {
    const double a = v[in->a], b = v[in->b];
    const uint32_t yi = in->y;
    (void)b;
    switch (in->op) {
    case GR_OP_LET:
      v[yi] = a;
      pa[yi] = 1;
      continue;
    case GR_OP_IF:
      v[yi] = a != 0 ? b : v[in->c];
      continue;
    case GR_OP_SUM: {
      double s = 0;
      s += a;
      v[yi] = s;
      pa[yi] = 1;
      continue;
    }
    case GR_OP_MEAN: { /* g / 1.0 is g * 1 */
      double s = 0;
      s += a;
      v[yi] = s / 1.0;
      pa[yi] = 1;
      continue;
    }
    case GR_OP_PROD: {
      double s = 1;
      s *= a;
      v[yi] = s;
      pa[yi] = 1;
      continue;
    }
    case GR_OP_VMAX:
    case GR_OP_VMIN: /* a NaN is no tie: it gets nothing (g * 0 adds nothing) */
      v[yi] = a;
      pa[yi] = a == a ? 1 : 0;
      continue;
#define OP(id, nm, NA, kind, prec, V, PA, PB, ...)                                                 \
  PT_IF_MATH(                                                                                      \
      kind, case GR_OP_##id : {                                                                    \
        const double y = (V);                                                                      \
        const uint8_t f = in->need;                                                                \
        v[yi] = y;                                                                                 \
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
      } continue;)
#include "ops.def"
#undef OP
    default:
      continue;
    }
  }
  return v[p->out];
}

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
void gr_point_reverse(GrPoint *p) {
  const double *v = p->val, *pa = p->pa, *pb = p->pb;
  double *adj = p->adj;
  memset(adj, 0, p->nneed * sizeof *adj);
  adj[p->out] = 1.0;
  for (const GrPInstr *in = p->rev, *end = in + p->nrev; in < end; in++) {
    const double g = adj[in->y];
    /* A zero adjoint sends nothing. (The tape's let() adds it all the same, but an
     * adjoint is never -0: sums start from +0 or the seed 1, and x + y is -0 only when
     * both are -0; so adding a zero changes nothing.) */
    if (g == 0)
      continue;
    if (g - g != 0) {
      reverse_nonfinite(in, v, adj, g);
      continue;
    }
    /* a finite multiplier: the stored partial times g, or the column itself */
    const uint8_t f = in->need;
    if (in->op == GR_OP_IF) {
      reverse_if(in, v, adj, g);
      continue;
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
}

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
