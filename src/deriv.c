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
          D->list[op][k][cnt++] = D->g->nodes[i];
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
        ar[j] = mp[find(list, n, x->arg[j])];
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
    GrNode *n = g->nodes[i];
    if (n == wrt) {
      dep[i] = 1;
      dv[i] = one;
      continue;
    }
    int anydep = 0;
    for (int k = 0; k < n->nargs; k++)
      anydep |= dep[n->arg[k]->id];
    /* a variable is reached only when wrt is not this variable; detach stops everything */
    if (!anydep || n->op == GR_OP_DETACH) {
      dv[i] = zero;
      continue;
    }
    dep[i] = 1;
    GrNode *a = n->arg[0], *b = n->nargs > 1 ? n->arg[1] : NULL;
    GrNode *da = dv[a->id], *db = b ? dv[b->id] : NULL;
    GrNode *r = zero;
    switch (n->op) {
    case GR_OP_LET:
      r = da; /* a named intermediate passes its derivative through */
      break;
    case GR_OP_IF: {
      GrNode *dc = dv[n->arg[2]->id];
      r = db == dc ? db : gr_node(g, GR_OP_IF, a, db, dc);
      break;
    }
    case GR_OP_SUM:
    case GR_OP_MEAN:
      r = is0(da) ? zero : gr_node(g, n->op, da, NULL, NULL);
      break;
    case GR_OP_PROD:
      /* d prod(a) = prod(a) * sum(da / a) */
      r = mul(g, n, gr_node(g, GR_OP_SUM, gr_node(g, GR_OP_DIV, da, a, NULL), NULL, NULL));
      break;
    case GR_OP_VMAX:
    case GR_OP_VMIN: {
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
    default:
      if (gr_ops[n->op].kind != GR_K_MATH) {
        st = gr_diag_set(d, GR_EUSAGE, "no symbolic derivative rule for '%s'", gr_ops[n->op].name);
        break;
      }
      if (!is0(da))
        r = add(g, r, mul(g, inst(D, n->op, 0, a, b, &st, d), da));
      if (b && !is0(db))
        r = add(g, r, mul(g, inst(D, n->op, 1, a, b, &st, d), db));
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
    GrNode *n = g->nodes[i];
    if (n->op == GR_OP_LET) {
      map[i] = map[n->arg[0]->id];
      continue;
    }
    GrNode *a[3] = {NULL, NULL, NULL};
    int same = 1;
    for (int k = 0; k < n->nargs; k++) {
      a[k] = map[n->arg[k]->id];
      same &= a[k] == n->arg[k];
    }
    map[i] = same ? n : gr_node(g, n->op, a[0], a[1], a[2]);
  }
  GrNode *r = map[f->id];
  free(map);
  free(m);
  return r;
}
