/* SPDX-License-Identifier: GPL-3.0-or-later
 * Forward accumulation of symbolic derivatives in id order: dv[i] = d node_i / d wrt, built
 * from the arguments' entries (smaller ids). Nodes that do not depend on wrt get 0 without
 * instantiating anything. Templates are parsed once per graph as function bodies
 * (`_d(a, b) = DA`), whose parameters gr_subst replaces by the actual arguments.
 */
#include "deriv.h"
#include "parse.h"
#include <stdlib.h>
#include <string.h>

struct GrDeriv {
  GrGraph *g;
  GrNode *tmpl[GR_OP_COUNT][2];
  unsigned char parsed[GR_OP_COUNT][2];
  /* the template's nodes in id order: instantiating costs the template's size, not the
   * graph's (gr_subst marks the whole graph, which would make a deep chain quadratic) */
  GrNode **list[GR_OP_COUNT][2];
  int nlist[GR_OP_COUNT][2];
};

GrDeriv *gr_deriv_new(GrGraph *g) {
  GrDeriv *D = gr_xcalloc(1, sizeof *D);
  D->g = g;
  return D;
}

void gr_deriv_free(GrDeriv *D) {
  if (!D)
    return;
  for (int op = 0; op < GR_OP_COUNT; op++)
    for (int k = 0; k < 2; k++)
      free(D->list[op][k]);
  free(D);
}

GrNode *gr_deriv_template(GrDeriv *D, int op, int k) {
  if (op < 0 || op >= GR_OP_COUNT || k < 0 || k > 1)
    return NULL;
  if (D->parsed[op][k])
    return D->tmpl[op][k];
  D->parsed[op][k] = 1;
  const char *s = k ? gr_ops[op].db : gr_ops[op].da;
  if (!s)
    return NULL;
  /* parse as the body of a function of (a, b): a and b become parameters 0 and 1 */
  size_t n = strlen(s) + 32;
  char *src = gr_xmalloc(n);
  snprintf(src, n, "_d(a, b) = %s; 0", s);
  GrEnv env = {0};
  GrParseOpts po = {NULL, &env, 0};
  GrParsed p;
  GrDiag d;
  if (gr_parse(D->g, src, &po, &p, &d) == GR_OK) {
    const GrBinding *b = gr_env_find(&env, "_d");
    if (b) {
      GrNode *body = b->body;
      D->tmpl[op][k] = body;
      unsigned char *m = gr_reachable(D->g, &body, 1);
      int cnt = 0;
      for (size_t i = 0; i <= body->id; i++)
        cnt += m[i];
      D->list[op][k] = gr_xmalloc((size_t)cnt * sizeof(GrNode *));
      cnt = 0;
      for (size_t i = 0; i <= body->id; i++)
        if (m[i])
          D->list[op][k][cnt++] = gr_graph_node(D->g, i);
      D->nlist[op][k] = cnt;
      free(m);
    }
  }
  gr_env_free(&env);
  free(src);
  return D->tmpl[op][k];
}

static int is0(const GrNode *n) { return gr_is_num(n, 0); }
static int is1(const GrNode *n) { return gr_is_num(n, 1); }

static GrNode *add(GrGraph *g, GrNode *a, GrNode *b) {
  if (is0(a))
    return b;
  if (is0(b))
    return a;
  return gr_node(g, GR_OP_ADD, a, b, NULL);
}

static GrNode *mul(GrGraph *g, GrNode *a, GrNode *b) {
  if (is0(a) || is0(b))
    return gr_const(g, 0);
  if (is1(a))
    return b;
  if (is1(b))
    return a;
  return gr_node(g, GR_OP_MUL, a, b, NULL);
}

/* The length of n's value: that of a vector constant in it outside a reduction (the
 * variables of symbolic work are scalars), else 1. The derivative of a vector can be a
 * scalar (d/dx ([1, 2, 3] + x) is 1), so sum() of it needs the count. */
static uint32_t vec_len(const GrNode *n, int depth) {
  if (depth > 64)
    return 1;
  switch (n->op) {
  case GR_OP_CONST:
    return n->vlen;
  case GR_OP_SUM: case GR_OP_MEAN: case GR_OP_PROD: case GR_OP_VMAX: case GR_OP_VMIN:
    return 1;
  default:
    for (int k = 0; k < n->nargs; k++) {
      uint32_t l = vec_len(gr_arg(n, k), depth + 1);
      if (l > 1)
        return l;
    }
    return 1;
  }
}

/* Strong zeros in formulas. The sweeps send nothing where a local partial or a tangent
 * is exactly 0, so that a mask (relu's a > 0, max's side, sign at 0) stops an infinite
 * factor: sqrt(relu(x)) at -1 has the derivative 0, not 0 * inf. A formula carries the
 * same zero only where the product is written as a selection: for a factor that can be
 * infinite, (x > 0)*p is written if(x > 0, p, 0), and p*if(c, u, v) if(c, p*u, p*v).
 * Products whose factors cannot be infinite keep their plain form (2*relu(x)*(x > 0)). */
static int is_cmp(const GrNode *n) {
  switch (n->op) {
  case GR_OP_LT: case GR_OP_LE: case GR_OP_GT: case GR_OP_GE: case GR_OP_EQ: case GR_OP_NE:
  case GR_OP_AND: case GR_OP_OR: case GR_OP_NOT:
    return 1;
  default:
    return 0;
  }
}
/* a mask: a comparison, a selection, sign, or a product holding one */
static int is_mask(const GrNode *n) {
  return is_cmp(n) || n->op == GR_OP_IF || n->op == GR_OP_SIGN ||
         (n->op == GR_OP_MUL && (is_mask(n->arg[0]) || is_mask(gr_arg(n, 1))));
}
/* whether n may evaluate to an infinity or NaN somewhere: it holds a division, a
 * logarithm, a negative or variable power, a pole of the gamma family, or an overflow of
 * exp (a budget of nodes; beyond it, assume so) */
static int may_blow_r(const GrNode *n, int *budget) {
  if (--*budget < 0)
    return 1;
  switch (n->op) {
  case GR_OP_DIV: case GR_OP_LOG: case GR_OP_LOG2: case GR_OP_LOG10: case GR_OP_LOG1P:
  case GR_OP_GAMMA: case GR_OP_LGAMMA: case GR_OP_DIGAMMA: case GR_OP_POLYGAMMA:
  case GR_OP_TAN: case GR_OP_ATANH: case GR_OP_EXP: case GR_OP_EXPM1: case GR_OP_SINH:
  case GR_OP_COSH:
    return 1;
  case GR_OP_POW:
    if (!gr_is_const(gr_arg(n, 1)) || gr_arg(n, 1)->num < 0)
      return 1;
    break;
  default:
    break;
  }
  for (int k = 0; k < n->nargs; k++)
    if (may_blow_r(gr_arg(n, k), budget))
      return 1;
  return 0;
}
static int may_blow(const GrNode *n) {
  int budget = 200;
  return may_blow_r(n, &budget);
}
static GrNode *mul(GrGraph *g, GrNode *a, GrNode *b);
/* m * p for a mask m, as a selection where m is 0 */
static GrNode *mask_mul(GrGraph *g, GrNode *m, GrNode *p) {
  GrNode *zero = gr_const(g, 0);
  if (is_cmp(m))
    return gr_node(g, GR_OP_IF, m, p, zero);
  if (m->op == GR_OP_IF) {
    GrNode *u = gr_arg(m, 1), *v = gr_arg(m, 2);
    u = is0(u) ? zero : is_mask(u) ? mask_mul(g, u, p) : mul(g, u, p);
    v = is0(v) ? zero : is_mask(v) ? mask_mul(g, v, p) : mul(g, v, p);
    return gr_node(g, GR_OP_IF, m->arg[0], u, v);
  }
  if (m->op == GR_OP_SIGN)
    return gr_node(g, GR_OP_IF, gr_node(g, GR_OP_NE, m->arg[0], zero, NULL), mul(g, m, p), zero);
  /* a product holding a mask */
  GrNode *x = m->arg[0], *y = gr_arg(m, 1);
  if (!is_mask(x)) {
    GrNode *t = x;
    x = y;
    y = t;
  }
  return mask_mul(g, x, mul(g, y, p));
}
/* a partial times a derivative, with the strong zero of a mask against an infinite factor */
static GrNode *chain(GrGraph *g, GrNode *p, GrNode *d) {
  if (is0(p) || is0(d))
    return gr_const(g, 0);
  if (is_mask(d) && !is_mask(p) && may_blow(p))
    return mask_mul(g, d, p);
  if (is_mask(p) && !is_mask(d) && may_blow(d))
    return mask_mul(g, p, d);
  return mul(g, p, d);
}

static int find(GrNode **list, int n, const GrNode *x) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (list[mid]->id == x->id)
      return mid;
    if (list[mid]->id < x->id)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

/* the template of op's partial k with parameters 0, 1 replaced by a, b */
static GrNode *inst(GrDeriv *D, int op, int k, GrNode *a, GrNode *b, GrStatus *st, GrDiag *d) {
  GrNode *t = gr_deriv_template(D, op, k);
  if (!t) {
    *st = gr_diag_set(d, GR_EUSAGE, "no symbolic derivative rule for '%s'", gr_ops[op].name);
    return gr_const(D->g, 0);
  }
  GrNode **list = D->list[op][k];
  int n = D->nlist[op][k];
  GrNode *map[64] = {NULL}, **mp = n <= 64 ? map : gr_xmalloc((size_t)n * sizeof *mp);
  for (int i = 0; i < n; i++) {
    GrNode *x = list[i];
    if (x->op == GR_OP_VAR && x->var < 0)
      mp[i] = x->var == -1 ? a : (b ? b : a);
    else if (x->nargs == 0)
      mp[i] = x;
    else {
      GrNode *ar[3] = {NULL, NULL, NULL};
      for (int j = 0; j < x->nargs; j++)
        ar[j] = mp[find(list, n, gr_arg(x, j))];
      mp[i] = gr_node(D->g, x->op, ar[0], ar[1], ar[2]);
    }
  }
  GrNode *r = mp[n - 1];
  if (mp != map)
    free(mp);
  return r;
}

GrStatus gr_deriv(GrDeriv *D, GrNode *f, GrNode *wrt, GrNode **out, GrDiag *d) {
  GrGraph *g = D->g;
  *out = NULL;
  if (!wrt || !((wrt->op == GR_OP_VAR && wrt->var >= 0) || wrt->op == GR_OP_LET))
    return gr_diag_set(d, GR_EUSAGE, "can only differentiate with respect to a variable or a "
                                     "named intermediate");
  size_t top = f->id + 1;
  unsigned char *m = gr_reachable(g, &f, 1);
  unsigned char *dep = gr_xcalloc(top, 1);
  GrNode **dv = gr_xcalloc(top, sizeof *dv);
  GrNode *zero = gr_const(g, 0), *one = gr_const(g, 1);
  GrStatus st = GR_OK;
  for (size_t i = 0; i < top && st == GR_OK; i++) {
    if (!m[i])
      continue;
    GrNode *n = gr_graph_node(g, i);
    if (n == wrt) {
      dep[i] = 1;
      dv[i] = one;
      continue;
    }
    int anydep = 0;
    for (int k = 0; k < n->nargs; k++)
      anydep |= dep[gr_arg(n, k)->id];
    /* a variable is reached only when wrt is not this variable; detach stops everything */
    if (!anydep || n->op == GR_OP_DETACH) {
      dv[i] = zero;
      continue;
    }
    dep[i] = 1;
    GrNode *a = n->arg[0], *b = n->nargs > 1 ? gr_arg(n, 1) : NULL;
    GrNode *da = dv[a->id], *db = b ? dv[b->id] : NULL;
    GrNode *r = zero;
    switch (n->op) {
    case GR_OP_LET:
      r = da; /* a named intermediate passes its derivative through */
      break;
    case GR_OP_IF: {
      GrNode *dc = dv[gr_arg(n, 2)->id];
      r = db == dc ? db : gr_node(g, GR_OP_IF, a, db, dc);
      break;
    }
    case GR_OP_SUM:
    case GR_OP_MEAN: {
      uint32_t la = vec_len(a, 0), ld = vec_len(da, 0);
      if (is0(da))
        break;
      if (la > 1 && ld == 1) /* a scalar derivative of a vector: every element's */
        r = n->op == GR_OP_MEAN ? da : mul(g, gr_const(g, (double)la), da);
      else
        r = gr_node(g, n->op, da, NULL, NULL);
      break;
    }
    case GR_OP_PROD:
    {
      if (is0(da))
        break;
      /* d prod(a) = sum(da_i * (the product of the others)), right where elements are 0
       * (prod(a)/a_i is 0/0 there; reverse mode sends each element the product of the
       * others, as PyTorch does). With w = if(a == 0, 1, a), the product of a's nonzero
       * elements over w_i is the product of the others when no other element is 0, that
       * is where sum(a == 0) == (a == 0); it is 0 elsewhere. */
      GrNode *isz = gr_node(g, GR_OP_EQ, a, zero, NULL);
      GrNode *w = gr_node(g, GR_OP_IF, isz, one, a);
      GrNode *others = gr_node(g, GR_OP_DIV, gr_node(g, GR_OP_PROD, w, NULL, NULL), w, NULL);
      GrNode *alone = gr_node(g, GR_OP_EQ, gr_node(g, GR_OP_SUM, isz, NULL, NULL), isz, NULL);
      others = gr_node(g, GR_OP_IF, alone, others, zero);
      r = gr_node(g, GR_OP_SUM, mul(g, da, others), NULL, NULL);
      break;
    }
    case GR_OP_VMAX:
    case GR_OP_VMIN: {
      if (is0(da)) /* a strong zero: acos(max(z < x)) where the maximum is 1 */
        break;
      /* ties share evenly, as the tape does: sum(da*(a == m)) / sum(a == m) */
      GrNode *hit = gr_node(g, GR_OP_EQ, a, n, NULL);
      r = gr_node(g, GR_OP_DIV, gr_node(g, GR_OP_SUM, mul(g, da, hit), NULL, NULL),
                  gr_node(g, GR_OP_SUM, hit, NULL, NULL), NULL);
      break;
    }
    case GR_OP_POW: {
      /* the numeric rules' own partials (gr_pow_da, gr_pow_db), PyTorch's masks included,
       * so that formula and tape agree on the whole domain, 0 and negative bases too:
       * d/da = b a^(b-1) (0 where b == 0), d/db = a^b log(a) (0 where a == 0, b >= 0) */
      if (!is0(da)) { /* the power rule, fine for negative bases */
        GrNode *pw =
            mul(g, b, gr_node(g, GR_OP_POW, a, gr_node(g, GR_OP_SUB, b, one, NULL), NULL));
        if (!gr_is_const(b)) /* b == 0 is masked: 0*a^(-1) would be NaN at a == 0 */
          pw = gr_node(g, GR_OP_IF, gr_node(g, GR_OP_EQ, b, zero, NULL), zero, pw);
        r = mul(g, pw, da);
      }
      if (!is0(db)) {
        GrNode *lg = mul(g, n, gr_node(g, GR_OP_LOG, a, NULL, NULL));
        /* the mask matters only where a can be 0: a nonzero constant base needs none */
        GrNode *ge = gr_node(g, GR_OP_GE, b, zero, NULL);
        if (is0(a))
          lg = gr_node(g, GR_OP_IF, ge, zero, lg);
        else if (!gr_is_const(a))
          lg = gr_node(g, GR_OP_IF,
                       gr_node(g, GR_OP_AND, gr_node(g, GR_OP_EQ, a, zero, NULL), ge, NULL),
                       zero, lg);
        r = add(g, r, mul(g, lg, db));
      }
      break;
    }
    case GR_OP_HYPOT: {
      /* a/hypot(a, b), b/hypot(a, b), and 0 at (0, 0) as on the tape (the subgradient);
       * the selection only where both arguments can be 0 */
      GrNode *h0 = NULL;
      if (!(gr_is_const(a) && a->num != 0) && !(gr_is_const(b) && b->num != 0))
        h0 = gr_node(g, GR_OP_EQ, n, zero, NULL);
      if (!is0(da)) {
        GrNode *p = gr_node(g, GR_OP_DIV, a, n, NULL);
        r = add(g, r, chain(g, h0 ? gr_node(g, GR_OP_IF, h0, zero, p) : p, da));
      }
      if (!is0(db)) {
        GrNode *p = gr_node(g, GR_OP_DIV, b, n, NULL);
        r = add(g, r, chain(g, h0 ? gr_node(g, GR_OP_IF, h0, zero, p) : p, db));
      }
      break;
    }
    default:
      if (gr_ops[n->op].kind != GR_K_MATH) {
        st = gr_diag_set(d, GR_EUSAGE, "no symbolic derivative rule for '%s'", gr_ops[n->op].name);
        break;
      }
      if (!is0(da))
        r = add(g, r, chain(g, inst(D, n->op, 0, a, b, &st, d), da));
      if (b && !is0(db))
        r = add(g, r, chain(g, inst(D, n->op, 1, a, b, &st, d), db));
      break;
    }
    dv[i] = r;
  }
  GrNode *res = dv[f->id];
  free(dv);
  free(dep);
  free(m);
  if (st != GR_OK)
    return st;
  *out = res ? res : zero;
  return GR_OK;
}

GrNode *gr_strip_lets(GrGraph *g, GrNode *f) {
  unsigned char *m = gr_reachable(g, &f, 1);
  size_t top = f->id + 1;
  GrNode **map = gr_xcalloc(top, sizeof *map);
  for (size_t i = 0; i < top; i++) {
    if (!m[i])
      continue;
    GrNode *n = gr_graph_node(g, i);
    if (n->op == GR_OP_LET) {
      map[i] = map[n->arg[0]->id];
      continue;
    }
    GrNode *a[3] = {NULL, NULL, NULL};
    int same = 1;
    for (int k = 0; k < n->nargs; k++) {
      a[k] = map[gr_arg(n, k)->id];
      same &= a[k] == gr_arg(n, k);
    }
    map[i] = same ? n : gr_node(g, n->op, a[0], a[1], a[2]);
  }
  GrNode *r = map[f->id];
  free(map);
  free(m);
  return r;
}
