/* SPDX-License-Identifier: GPL-3.0-or-later
 * Canonical sums and products. A sum is a list of (coefficient, monomial) terms plus a
 * constant; a monomial is a list of (base, exponent) factors. Both are collected from the
 * already simplified arguments with an explicit stack and a visit budget (BUDGET nodes):
 * when the budget runs out the node is rebuilt as it was, which keeps the pass linear.
 * Monomials built here are remembered (coefficient, numerator, denominator) so that an
 * enclosing sum can split off their coefficient without pattern matching.
 * Constant arithmetic is done in doubles and refused whenever a result is not finite.
 */
#include "simplify.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUDGET 512

typedef struct Key {
  int cls;          /* 0 variables and their powers, 2 functions, 4 constants */
  const char *name; /* variable or function name */
  double deg;
  const char *sub;  /* functions: the first argument's name (cos(x) before cos(y)) */
  uint64_t h;       /* structural hash: independent of node ids and creation order */
} Key;

typedef struct Mono {
  int set;
  double coef;
  GrNode *num, *den; /* coefficient-free numerator and denominator (NULL: 1) */
} Mono;

typedef struct S {
  GrGraph *g;
  Key *key;
  size_t nkey, kcap;
  Mono *mono;
  size_t mcap;
  int expand; /* distribute products over sums inside sums (bounded by EXPAND per sum) */
} S;

#define EXPAND 64

static uint64_t mix64(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 29);
}

static uint64_t dbits(double d) {
  uint64_t u;
  if (d == 0)
    d = 0; /* -0 and 0 hash alike */
  memcpy(&u, &d, sizeof u);
  return u;
}

static uint64_t strh(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  while (s && *s)
    h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
  return h;
}

/* keys for every node up to id (args first: ids are topological) */
static const Key *key_of(S *s, const GrNode *n) {
  GrGraph *g = s->g;
  if (n->id >= s->nkey) {
    if (g->count > s->kcap) {
      s->kcap = g->count * 2;
      s->key = gr_xrealloc(s->key, s->kcap * sizeof *s->key);
    }
    for (size_t i = s->nkey; i <= n->id; i++) {
      const GrNode *x = gr_graph_node(g, i);
      Key k = {2, gr_ops[x->op].name, 0, NULL, mix64(strh(gr_ops[x->op].name), x->nargs)};
      const Key *a = x->nargs > 0 ? &s->key[x->arg[0]->id] : NULL;
      const Key *b = x->nargs > 1 ? &s->key[gr_arg(x, 1)->id] : NULL;
      for (int j = 0; j < x->nargs; j++)
        k.h = mix64(k.h, s->key[gr_arg(x, j)->id].h);
      if (a)
        k.sub = a->name;
      switch (x->op) {
      case GR_OP_CONST:
        k.cls = 4;
        k.name = "";
        k.deg = x->num;
        k.h = mix64(7, dbits(x->num));
        for (uint32_t j = 0; x->vlen > 1 && j < x->vlen; j++)
          k.h = mix64(k.h, dbits(x->vec[j]));
        break;
      case GR_OP_VAR:
        k.cls = 0;
        k.name = x->name;
        k.deg = 1;
        k.h = mix64(strh(x->name), (uint64_t)(int64_t)x->var);
        break;
      case GR_OP_POW:
        k.cls = a->cls;
        k.name = a->name;
        k.deg = gr_arg(x, 1)->op == GR_OP_CONST && a->cls == 0 ? a->deg * gr_arg(x, 1)->num
                                                               : a->deg + 0.5;
        break;
      case GR_OP_MUL:
      case GR_OP_DIV:
        if (x->arg[0]->op == GR_OP_CONST) {
          k.cls = b->cls;
          k.name = b->name;
          k.deg = x->op == GR_OP_DIV ? -b->deg : b->deg;
        } else {
          k.cls = a->cls;
          k.name = a->name;
          k.deg = a->deg;
        }
        break;
      case GR_OP_ADD:
      case GR_OP_SUB:
        k.cls = 3; /* a sum as a factor follows variables and functions: x*(x^2 + 1) */
        k.name = a->name;
        k.deg = a->deg;
        break;
      case GR_OP_NEG:
      case GR_OP_LET:
        k.cls = a->cls;
        k.name = a->name;
        k.deg = a->deg;
        break;
      default:
        break;
      }
      s->key[i] = k;
    }
    s->nkey = n->id + 1;
  }
  return &s->key[n->id];
}

static int key_cmp(S *s, const GrNode *x, const GrNode *y) {
  if (x == y)
    return 0;
  /* key_of may grow s->key: copy the first key before asking for the second */
  const Key ka = *key_of(s, x), *a = &ka, *b = key_of(s, y);
  if (a->cls != b->cls)
    return a->cls < b->cls ? -1 : 1;
  int c = strcmp(a->name ? a->name : "", b->name ? b->name : "");
  if (c)
    return c;
  if (a->cls == 2 && (c = strcmp(a->sub ? a->sub : "", b->sub ? b->sub : "")))
    return c;
  if (a->deg != b->deg)
    return a->deg > b->deg ? -1 : 1;
  if (a->h != b->h)
    return a->h < b->h ? -1 : 1;
  return x->id < y->id ? -1 : 1;
}

static Mono *mono_slot(S *s, const GrNode *n) {
  if (n->id >= s->mcap) {
    size_t cap = s->g->count * 2 + 16;
    s->mono = gr_xrealloc(s->mono, cap * sizeof *s->mono);
    memset(s->mono + s->mcap, 0, (cap - s->mcap) * sizeof *s->mono);
    s->mcap = cap;
  }
  return &s->mono[n->id];
}

static GrNode *mk(S *s, int op, GrNode *a, GrNode *b) { return gr_node(s->g, op, a, b, NULL); }
static GrNode *num(S *s, double v) { return gr_const(s->g, v); }

/* -f1*f2*...: negate the leftmost factor of a product chain */
static GrNode *neg_first(S *s, GrNode *n) {
  GrNode *stack[BUDGET];
  int k = 0;
  while (n->op == GR_OP_MUL && k < BUDGET) {
    stack[k++] = gr_arg(n, 1);
    n = n->arg[0];
  }
  GrNode *r = n->op == GR_OP_CONST && n->vlen == 1 ? num(s, -n->num) : mk(s, GR_OP_NEG, n, NULL);
  while (k > 0)
    r = mk(s, GR_OP_MUL, r, stack[--k]);
  return r;
}

/* p/q with a small q when coef is such a fraction exactly (2*x/3 rather than 0.666*x) */
static void ratio(double c, double *p, double *q) {
  *p = c;
  *q = 1;
  if (c == nearbyint(c) || !isfinite(c))
    return;
  /* 1/log(2) (from log2') goes to the denominator: 1/(log(2)*x) */
  if (1 / c == M_LN2 || 1 / c == M_LN10 || -1 / c == M_LN2 || -1 / c == M_LN10) {
    *p = c > 0 ? 1 : -1;
    *q = fabs(1 / c);
    return;
  }
  for (int d = 2; d <= 1000; d++) {
    double pp = c * d;
    if (pp == nearbyint(pp) && fabs(pp) < 9e15 && pp / d == c) {
      *p = pp;
      *q = d;
      return;
    }
  }
}

/* coef * num / den as a node, remembered as a monomial */
static GrNode *mono(S *s, double coef, GrNode *nu, GrNode *de) {
  if (coef == 0)
    return num(s, 0);
  if (!nu && !de)
    return num(s, coef);
  double p, q;
  ratio(coef, &p, &q);
  GrNode *N;
  if (!nu)
    N = num(s, p);
  else if (p == 1)
    N = nu;
  else if (p == -1)
    N = neg_first(s, nu);
  else
    N = mk(s, GR_OP_MUL, num(s, p), nu);
  GrNode *D = de;
  if (q != 1)
    D = de ? mk(s, GR_OP_MUL, num(s, q), de) : num(s, q);
  GrNode *r = D ? mk(s, GR_OP_DIV, N, D) : N;
  if (r->op != GR_OP_CONST) {
    Mono *m = mono_slot(s, r);
    m->set = 1;
    m->coef = coef;
    m->num = nu;
    m->den = de;
  }
  return r;
}

static Mono mono_of(S *s, GrNode *n) {
  if (n->id < s->mcap && s->mono[n->id].set)
    return s->mono[n->id];
  Mono m = {1, 1, n, NULL};
  return m;
}

typedef struct Item {
  GrNode *n;
  double e; /* exponent (products) or coefficient (sums) */
  GrNode *num, *den;
} Item;

static _Thread_local S *g_sort_ctx; /* qsort has no context argument */

static int by_key(const void *x, const void *y) {
  const Item *a = x, *b = y;
  return key_cmp(g_sort_ctx, a->n, b->n);
}

static int by_id(const void *x, const void *y) {
  const Item *a = x, *b = y;
  return a->n->id < b->n->id ? -1 : a->n->id > b->n->id;
}

/* merge items with the same node by adding e; drop zeros; 0 if a sum is not finite */
static int merge(Item *it, int *n) {
  qsort(it, (size_t)*n, sizeof *it, by_id);
  int k = 0;
  for (int i = 0; i < *n; i++) {
    if (k && it[k - 1].n == it[i].n) {
      it[k - 1].e += it[i].e;
      if (!isfinite(it[k - 1].e))
        return 0;
    } else
      it[k++] = it[i];
  }
  int j = 0;
  for (int i = 0; i < k; i++)
    if (it[i].e != 0)
      it[j++] = it[i];
  *n = j;
  return 1;
}

static int is_int(double e) { return e == nearbyint(e) && fabs(e) < 1e15; }

/* Finite wherever its variables are: 0 times it may fold to 0 (0*log(x) may not: at x = 0
 * it is NaN, on the tape and in PyTorch). */
static int total(const GrNode *n, int depth) {
  if (depth > 32)
    return 0;
  switch (n->op) {
  case GR_OP_CONST:
    return n->vlen == 1 && isfinite(n->num);
  case GR_OP_VAR:
    return 1;
  case GR_OP_ADD: case GR_OP_SUB: case GR_OP_MUL:
    return total(n->arg[0], depth + 1) && total(gr_arg(n, 1), depth + 1);
  case GR_OP_POW:
    return gr_is_const(gr_arg(n, 1)) && gr_arg(n, 1)->num >= 0 && is_int(gr_arg(n, 1)->num) &&
           total(n->arg[0], depth + 1);
  case GR_OP_NEG: case GR_OP_SIN: case GR_OP_COS: case GR_OP_ATAN: case GR_OP_TANH:
  case GR_OP_SIGMOID: case GR_OP_ABS: case GR_OP_SIGN: case GR_OP_RELU: case GR_OP_FLOOR:
  case GR_OP_CEIL: case GR_OP_ROUND: case GR_OP_ERF: case GR_OP_ERFC: case GR_OP_DETACH:
  case GR_OP_LET:
    return total(n->arg[0], depth + 1);
  default:
    return 0;
  }
}

/* May be a vector: holds a vector constant outside a reduction (the variables of symbolic
 * work are scalars). A product whose vector factors cancel (v*x/v, v^0) would lose the
 * shape, and sum() of it the count: such products are left alone. */
static int maybe_vec(const GrNode *n, int depth) {
  if (depth > 32)
    return 1;
  switch (n->op) {
  case GR_OP_CONST:
    return n->vlen > 1;
  case GR_OP_SUM: case GR_OP_MEAN: case GR_OP_PROD: case GR_OP_VMAX: case GR_OP_VMIN:
    return 0;
  default:
    for (int k = 0; k < n->nargs; k++)
      if (maybe_vec(gr_arg(n, k), depth + 1))
        return 1;
    return 0;
  }
}

/* Product: node op(a, b) for MUL, DIV, POW with a constant exponent. NULL: not handled. */
static GrNode *product(S *s, int op, GrNode *a, GrNode *b) {
  Item st[BUDGET], fac[BUDGET];
  int ns = 0, nf = 0, visits = 0;
  double coef = 1;
  if (op == GR_OP_POW) {
    if (!gr_is_const(b))
      return NULL;
    st[ns++] = (Item){a, b->num, NULL, NULL};
  } else {
    st[ns++] = (Item){a, 1, NULL, NULL};
    st[ns++] = (Item){b, op == GR_OP_DIV ? -1 : 1, NULL, NULL};
  }
  while (ns > 0) {
    if (++visits > BUDGET || ns > BUDGET - 2 || nf >= BUDGET)
      return NULL;
    Item t = st[--ns];
    GrNode *n = t.n;
    double e = t.e;
    if (n->op == GR_OP_CONST) {
      if (n->vlen != 1)
        return NULL;
      double v = e == 1 ? n->num : pow(n->num, e);
      coef *= v;
      if (!isfinite(coef) || (coef == 0 && !(v == 0)))
        return NULL;
      continue;
    }
    if (is_int(e)) {
      if (n->op == GR_OP_MUL || n->op == GR_OP_DIV) {
        st[ns++] = (Item){n->arg[0], e, NULL, NULL};
        st[ns++] = (Item){gr_arg(n, 1), n->op == GR_OP_DIV ? -e : e, NULL, NULL};
        continue;
      }
      if (n->op == GR_OP_NEG) {
        if (fmod(e, 2) != 0)
          coef = -coef;
        st[ns++] = (Item){n->arg[0], e, NULL, NULL};
        continue;
      }
      if (n->op == GR_OP_POW && gr_is_const(gr_arg(n, 1))) {
        GrNode *base = n->arg[0];
        double k = gr_arg(n, 1)->num;
        int splits = base->op == GR_OP_MUL || base->op == GR_OP_DIV || base->op == GR_OP_NEG;
        if ((is_int(k) || !splits) && isfinite(e * k)) {
          st[ns++] = (Item){base, e * k, NULL, NULL};
          continue;
        }
      }
    }
    fac[nf++] = (Item){n, e, NULL, NULL};
  }
  if (coef == 0) {
    for (int i = 0; i < nf; i++)
      if (fac[i].e < 0 || !total(fac[i].n, 0))
        return NULL;
    return num(s, 0);
  }
  int vec_in = 0, vec_out = 0;
  for (int i = 0; i < nf && !vec_in; i++)
    vec_in = maybe_vec(fac[i].n, 0);
  if (!merge(fac, &nf))
    return NULL;
  for (int i = 0; i < nf && vec_in && !vec_out; i++)
    vec_out = maybe_vec(fac[i].n, 0);
  if (vec_in && !vec_out)
    return NULL;
  g_sort_ctx = s;
  qsort(fac, (size_t)nf, sizeof *fac, by_key);
  GrNode *nu = NULL, *de = NULL;
  for (int i = 0; i < nf; i++) {
    double e = fabs(fac[i].e);
    GrNode *f = e == 1 ? fac[i].n : mk(s, GR_OP_POW, fac[i].n, num(s, e));
    if (fac[i].e > 0)
      nu = nu ? mk(s, GR_OP_MUL, nu, f) : f;
    else
      de = de ? mk(s, GR_OP_MUL, de, f) : f;
  }
  return mono(s, coef, nu, de);
}

/* Sum: ADD, SUB, NEG over simplified arguments. NULL: not handled. */
static GrNode *sum(S *s, int op, GrNode *a, GrNode *b) {
  Item st[BUDGET], term[BUDGET];
  int ns = 0, nt = 0, visits = 0, nexp = 0;
  double k = 0;
  st[ns++] = (Item){a, op == GR_OP_NEG ? -1 : 1, NULL, NULL};
  if (b)
    st[ns++] = (Item){b, op == GR_OP_SUB ? -1 : 1, NULL, NULL};
  while (ns > 0) {
    if (++visits > BUDGET || ns > BUDGET - 2 || nt >= BUDGET)
      return NULL;
    Item t = st[--ns];
    GrNode *n = t.n;
    double c = t.e;
    if (n->op == GR_OP_CONST) {
      if (n->vlen != 1)
        return NULL;
      k += c * n->num;
      if (!isfinite(k))
        return NULL;
      continue;
    }
    if (n->op == GR_OP_ADD || n->op == GR_OP_SUB) {
      st[ns++] = (Item){n->arg[0], c, NULL, NULL};
      st[ns++] = (Item){gr_arg(n, 1), n->op == GR_OP_SUB ? -c : c, NULL, NULL};
      continue;
    }
    if (n->op == GR_OP_NEG) {
      st[ns++] = (Item){n->arg[0], -c, NULL, NULL};
      continue;
    }
    Mono m = mono_of(s, n);
    if (s->expand && m.num && nexp < EXPAND) {
      /* the first sum among the numerator's factors: n = F*R -> F's terms times R */
      GrNode *F = NULL, *q = m.num;
      while (!F && q->op == GR_OP_MUL) {
        if (gr_arg(q, 1)->op == GR_OP_ADD || gr_arg(q, 1)->op == GR_OP_SUB)
          F = gr_arg(q, 1);
        q = q->arg[0];
      }
      if (!F && (q->op == GR_OP_ADD || q->op == GR_OP_SUB))
        F = q;
      GrNode *R = F ? product(s, GR_OP_DIV, n, F) : NULL;
      GrNode *p0 = R ? product(s, GR_OP_MUL, F->arg[0], R) : NULL;
      GrNode *p1 = R ? product(s, GR_OP_MUL, gr_arg(F, 1), R) : NULL;
      if (p0 && p1) {
        nexp++;
        st[ns++] = (Item){p0, c, NULL, NULL};
        st[ns++] = (Item){p1, F->op == GR_OP_SUB ? -c : c, NULL, NULL};
        continue;
      }
    }
    double cc = c * m.coef;
    if (!isfinite(cc))
      return NULL;
    /* a number times a sum joins the sum: 2*(x + 1) + x -> 3*x + 2 */
    if (!m.den && m.num && (m.num->op == GR_OP_ADD || m.num->op == GR_OP_SUB) && m.coef != 1) {
      st[ns++] = (Item){m.num, cc, NULL, NULL};
      continue;
    }
    GrNode *rest = m.coef == 1 ? n : mono(s, 1, m.num, m.den);
    term[nt++] = (Item){rest, cc, m.num, m.den};
  }
  /* t - t cancels to 0 only where t is finite: at a point where t is NaN or inf (atan2's
   * partials at (0, 0)) the difference is NaN, and a formula must not turn it into 0 */
  qsort(term, (size_t)nt, sizeof *term, by_id);
  for (int i = 0, j; i < nt; i = j) {
    double e = 0;
    for (j = i; j < nt && term[j].n == term[i].n; j++)
      e += term[j].e;
    if (j - i > 1 && e == 0 && !total(term[i].n, 0))
      return NULL;
  }
  if (!merge(term, &nt))
    return NULL;
  g_sort_ctx = s;
  qsort(term, (size_t)nt, sizeof *term, by_key);
  /* lead with a positive term when there is one: y - x rather than -x + y */
  for (int i = 0; i < nt; i++)
    if (term[i].e > 0) {
      Item t = term[i];
      memmove(term + 1, term, (size_t)i * sizeof *term);
      term[0] = t;
      break;
    }
  int allneg = nt > 0 && k <= 0 && (nt > 1 || k < 0);
  for (int i = 0; i < nt; i++)
    allneg &= term[i].e < 0;
  /* -x^2 - 1 is kept as -(x^2 + 1), so that a product can take the sign into its coefficient */
  double sg = allneg ? -1 : 1;
  k *= sg;
  GrNode *r = NULL;
  if (nt && term[0].e * sg < 0 && k > 0) { /* 1 - x^2 rather than -x^2 + 1 */
    r = num(s, k);
    k = 0;
  }
  for (int i = 0; i < nt; i++) {
    double c = term[i].e * sg;
    if (!r)
      r = mono(s, c, term[i].num, term[i].den);
    else if (c < 0)
      r = mk(s, GR_OP_SUB, r, mono(s, -c, term[i].num, term[i].den));
    else
      r = mk(s, GR_OP_ADD, r, mono(s, c, term[i].num, term[i].den));
  }
  if (!r)
    return num(s, sg * k);
  if (k > 0)
    r = mk(s, GR_OP_ADD, r, num(s, k));
  else if (k < 0)
    r = mk(s, GR_OP_SUB, r, num(s, -k));
  return allneg ? mono(s, -1, r, NULL) : r;
}

/* An argument that simplified to the number 0 from a product (0*x) may be -0 at the point
 * (x < 0), which atan2, a divisor and a negative power tell apart from 0 (atan2(-0, -1) =
 * -pi): there the argument keeps its unfolded form. */
static GrNode *signed_zero_arg(GrNode *orig, GrNode *simp) {
  return gr_is_num(simp, 0) && !signbit(simp->num) && orig->op != GR_OP_CONST ? orig : simp;
}

static GrNode *rebuild(S *s, GrNode *n, GrNode *a, GrNode *b, GrNode *c) {
  GrNode *r = NULL;
  switch (n->op) {
  case GR_OP_ATAN2:
    a = signed_zero_arg(n->arg[0], a);
    b = signed_zero_arg(gr_arg(n, 1), b);
    break;
  case GR_OP_DIV:
    b = signed_zero_arg(gr_arg(n, 1), b);
    break;
  case GR_OP_POW:
    if (!gr_is_const(b) || b->num < 0)
      a = signed_zero_arg(n->arg[0], a);
    break;
  default:
    break;
  }
  switch (n->op) {
  case GR_OP_ADD:
  case GR_OP_SUB:
  case GR_OP_NEG:
    r = sum(s, n->op, a, b);
    break;
  case GR_OP_MUL:
  case GR_OP_DIV:
  case GR_OP_POW:
    r = product(s, n->op, a, b);
    break;
  case GR_OP_IF:
    if (b == c)
      return b;
    break;
  case GR_OP_LET:
    return gr_let(s->g, n->name, a);
  case GR_OP_SUM:
  case GR_OP_MEAN:
    if (a->op == GR_OP_CONST) { /* a reduction of numbers is a number, when finite */
      double t = 0;
      for (uint32_t i = 0; i < a->vlen; i++)
        t += a->vlen == 1 ? a->num : a->vec[i];
      if (n->op == GR_OP_MEAN)
        t /= a->vlen;
      if (isfinite(t))
        return num(s, t);
    }
    break;
  default:
    break;
  }
  return r ? r : gr_node(s->g, n->op, a, b, c);
}

GrNode *gr_simplify(GrGraph *g, GrNode *f) { return gr_simplify_ex(g, f, 0); }

GrNode *gr_simplify_ex(GrGraph *g, GrNode *f, int expand) {
  S s = {0};
  s.g = g;
  s.expand = expand;
  unsigned char *m = gr_reachable(g, &f, 1);
  size_t top = f->id + 1;
  GrNode **map = gr_xcalloc(top, sizeof *map);
  for (size_t i = 0; i < top; i++) {
    if (!m[i])
      continue;
    GrNode *n = gr_graph_node(g, i);
    if (n->nargs == 0) {
      map[i] = n;
      continue;
    }
    GrNode *a[3] = {NULL, NULL, NULL};
    for (int k = 0; k < n->nargs; k++)
      a[k] = map[gr_arg(n, k)->id];
    map[i] = rebuild(&s, n, a[0], a[1], a[2]);
  }
  GrNode *r = map[f->id];
  free(map);
  free(m);
  free(s.key);
  free(s.mono);
  if (gr_count_ops(g, r) > gr_count_ops(g, f))
    return f;
  return r;
}

size_t gr_count_tree_ops(const GrGraph *g, GrNode *f) {
  unsigned char *m = gr_reachable(g, &f, 1);
  size_t top = f->id + 1;
  size_t *c = gr_xcalloc(top, sizeof *c);
  for (size_t i = 0; i < top; i++) {
    if (!m[i])
      continue;
    const GrNode *n = gr_graph_node(g, i);
    size_t v = (gr_ops[n->op].kind == GR_K_LEAF || n->op == GR_OP_LET) ? 0 : 1;
    for (int k = 0; k < n->nargs; k++) {
      size_t x = c[gr_arg(n, k)->id];
      v = v > SIZE_MAX - x ? SIZE_MAX : v + x;
    }
    c[i] = v;
  }
  size_t r = c[f->id];
  free(c);
  free(m);
  return r;
}

#define CSE_DEPTH 40

int gr_print_cse(GrBuf *b, GrGraph *g, GrNode *const *roots, const char *const *names, int n,
                 GrPrintStyle style, int digits) {
  unsigned char *m = gr_reachable(g, roots, (size_t)n);
  size_t top = 0;
  for (int k = 0; k < n; k++)
    if (roots[k]->id + 1 > top)
      top = roots[k]->id + 1;
  unsigned *uses = gr_xcalloc(top + 1, sizeof *uses);
  unsigned *depth = gr_xcalloc(top + 1, sizeof *depth);
  GrNode **rep = gr_xcalloc(top + 1, sizeof *rep);
  for (size_t i = 0; i < top; i++)
    if (m[i])
      for (int k = 0; k < gr_graph_node(g, i)->nargs; k++)
        uses[gr_arg(gr_graph_node(g, i), k)->id]++;
  /* a prefix for temporaries that no variable starts with */
  const char *prefixes[] = {"t", "tmp", "cse_t", "cse_tmp_"};
  const char *pre = prefixes[3];
  for (int p = 0; p < 4; p++) {
    size_t L = strlen(prefixes[p]);
    int clash = 0;
    for (int v = 0; v < g->nvars; v++)
      if (!strncmp(g->vars[v], prefixes[p], L))
        clash = 1;
    if (!clash) {
      pre = prefixes[p];
      break;
    }
  }
  int ntemp = 0;
  for (size_t i = 0; i < top; i++) {
    if (!m[i])
      continue;
    GrNode *nd = gr_graph_node(g, i);
    if (nd->nargs == 0) {
      rep[i] = nd;
      continue;
    }
    GrNode *a[3] = {NULL, NULL, NULL};
    unsigned d = 0;
    for (int k = 0; k < nd->nargs; k++) {
      a[k] = rep[gr_arg(nd, k)->id];
      if (depth[gr_arg(nd, k)->id] > d)
        d = depth[gr_arg(nd, k)->id];
    }
    GrNode *r = nd->op == GR_OP_LET ? gr_let(g, nd->name, a[0]) : gr_node(g, nd->op, a[0], a[1], a[2]);
    depth[i] = d + 1;
    int is_root = 0;
    for (int k = 0; k < n; k++)
      is_root |= roots[k] == nd;
    if (!is_root && (uses[i] >= 2 || depth[i] > CSE_DEPTH)) {
      char name[64];
      snprintf(name, sizeof name, "%s%d", pre, ++ntemp);
      gr_buf_puts(b, style == GR_PRINT_C ? "double " : "");
      gr_buf_puts(b, name);
      gr_buf_puts(b, " = ");
      gr_print(b, r, style, digits);
      gr_buf_puts(b, style == GR_PRINT_C ? ";\n" : "\n");
      r = gr_let(g, name, r);
      depth[i] = 0;
    }
    rep[i] = r;
  }
  for (int k = 0; k < n; k++) {
    gr_buf_puts(b, style == GR_PRINT_C ? "double " : "");
    gr_buf_puts(b, names[k]);
    gr_buf_puts(b, " = ");
    gr_print(b, rep[roots[k]->id], style, digits);
    gr_buf_puts(b, style == GR_PRINT_C ? ";\n" : "\n");
  }
  free(uses);
  free(depth);
  free(rep);
  free(m);
  return ntemp;
}
