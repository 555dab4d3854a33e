/* SPDX-License-Identifier: MIT
 * Hash-consing and the variable table. Constant folding runs in IEEE doubles and is
 * refused when the result is not finite, so that the evaluation-time diagnostic can
 * still point at the offending sub-expression.
 */
#include "graph.h"
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void gr_init(void) { gsl_set_error_handler_off(); }

GrGraph *gr_graph_new(void) {
  GrGraph *g = gr_xcalloc(1, sizeof *g);
  g->arena = gr_arena_new();
  g->tcap = 1024;
  g->table = gr_xcalloc(g->tcap, sizeof *g->table);
  return g;
}

void gr_graph_free(GrGraph *g) {
  if (!g)
    return;
  gr_arena_free(g->arena);
  free(g->table);
  free(g->nodes);
  free(g->vars);
  free(g);
}

static uint32_t mix(uint32_t h, uint64_t v) {
  v ^= v >> 33;
  v *= 0xff51afd7ed558ccdULL;
  v ^= v >> 33;
  return (h ^ (uint32_t)v ^ (uint32_t)(v >> 32)) * 16777619u;
}

static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u;
  while (s && *s)
    h = (h ^ (unsigned char)*s++) * 16777619u;
  return h;
}

static uint64_t dbits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static uint32_t node_hash(const GrNode *n) {
  uint32_t h = mix(2166136261u, n->op);
  h = mix(h, n->nargs);
  for (int i = 0; i < n->nargs; i++)
    h = mix(h, n->arg[i]->id);
  if (n->op == GR_OP_CONST) {
    h = mix(h, n->vlen);
    if (n->vlen == 1)
      h = mix(h, dbits(n->num));
    else
      for (uint32_t i = 0; i < n->vlen; i++)
        h = mix(h, dbits(n->vec[i]));
  }
  if (n->name)
    h = mix(h, hash_str(n->name));
  h = mix(h, (uint64_t)(int64_t)n->var);
  return h;
}

static int node_eq(const GrNode *a, const GrNode *b) {
  if (a->op != b->op || a->nargs != b->nargs || a->var != b->var)
    return 0;
  for (int i = 0; i < a->nargs; i++)
    if (a->arg[i] != b->arg[i])
      return 0;
  if (a->op == GR_OP_CONST) {
    if (a->vlen != b->vlen)
      return 0;
    if (a->vlen == 1)
      return dbits(a->num) == dbits(b->num);
    return !memcmp(a->vec, b->vec, a->vlen * sizeof(double));
  }
  if ((a->name == NULL) != (b->name == NULL))
    return 0;
  return !a->name || !strcmp(a->name, b->name);
}

static void grow_table(GrGraph *g) {
  size_t cap = g->tcap * 2;
  GrNode **t = gr_xcalloc(cap, sizeof *t);
  for (size_t i = 0; i < g->count; i++) {
    GrNode *n = g->nodes[i];
    size_t k = n->hash & (cap - 1);
    n->chain = t[k];
    t[k] = n;
  }
  free(g->table);
  g->table = t;
  g->tcap = cap;
}

/* Intern a candidate node built on the stack. */
static GrNode *intern(GrGraph *g, const GrNode *proto) {
  uint32_t h = node_hash(proto);
  for (GrNode *n = g->table[h & (g->tcap - 1)]; n; n = n->chain)
    if (n->hash == h && node_eq(n, proto))
      return n;
  if (g->count + 1 > g->tcap / 2)
    grow_table(g);
  GrNode *n = gr_arena_alloc(g->arena, sizeof *n);
  *n = *proto;
  n->hash = h;
  n->id = (uint32_t)g->count;
  if (proto->vec)
    n->vec = memcpy(gr_arena_alloc(g->arena, proto->vlen * sizeof(double)), proto->vec,
                    proto->vlen * sizeof(double));
  if (proto->name)
    n->name = gr_arena_strdup(g->arena, proto->name);
  if (g->count == g->ncap) {
    g->ncap = g->ncap ? 2 * g->ncap : 1024;
    g->nodes = gr_xrealloc(g->nodes, g->ncap * sizeof *g->nodes);
  }
  g->nodes[g->count++] = n;
  size_t k = h & (g->tcap - 1);
  n->chain = g->table[k];
  g->table[k] = n;
  return n;
}

GrNode *gr_const(GrGraph *g, double v) {
  if (v == 0)
    v = 0.0 * (signbit(v) ? -1.0 : 1.0);
  GrNode p = {0};
  p.op = GR_OP_CONST;
  p.num = v;
  p.vlen = 1;
  return intern(g, &p);
}

GrNode *gr_const_vec(GrGraph *g, const double *v, uint32_t n) {
  if (n == 1)
    return gr_const(g, v[0]);
  GrNode p = {0};
  p.op = GR_OP_CONST;
  p.vec = (double *)v;
  p.vlen = n;
  return intern(g, &p);
}

int gr_var_index(const GrGraph *g, const char *name) {
  for (int i = 0; i < g->nvars; i++)
    if (!strcmp(g->vars[i], name))
      return i;
  return -1;
}

GrNode *gr_var(GrGraph *g, const char *name) {
  int k = gr_var_index(g, name);
  if (k < 0) {
    if (g->nvars == g->vcap) {
      g->vcap = g->vcap ? 2 * g->vcap : 16;
      g->vars = gr_xrealloc(g->vars, g->vcap * sizeof *g->vars);
    }
    k = g->nvars++;
    g->vars[k] = gr_arena_strdup(g->arena, name);
  }
  GrNode p = {0};
  p.op = GR_OP_VAR;
  p.var = k;
  p.name = g->vars[k];
  return intern(g, &p);
}

GrNode *gr_param(GrGraph *g, int k, const char *name) {
  GrNode p = {0};
  p.op = GR_OP_VAR;
  p.var = -k - 1;
  p.name = name;
  return intern(g, &p);
}

GrNode *gr_let(GrGraph *g, const char *name, GrNode *x) {
  GrNode p = {0};
  p.op = GR_OP_LET;
  p.nargs = 1;
  p.arg[0] = x;
  p.name = name;
  return intern(g, &p);
}

/* Fold op over scalar constants with the table's VALUE column. */
static int fold(int op, double a, double b, double c, double *out) {
  double y = 0;
  switch (op) {
#define OP(id, nm, n, kind, prec, V, ...)                                                          \
  case GR_OP_##id:                                                                                 \
    if (kind != GR_K_MATH)                                                                         \
      return 0;                                                                                    \
    y = (V);                                                                                       \
    break;
#include "ops.def"
#undef OP
  default:
    return 0;
  }
  (void)b;
  (void)c;
  if (!isfinite(y))
    return 0;
  *out = y;
  return 1;
}

GrNode *gr_node(GrGraph *g, int op, GrNode *a, GrNode *b, GrNode *c) {
  GrNode p = {0};
  p.op = (uint16_t)op;
  p.nargs = (uint8_t)gr_ops[op].nargs;
  p.arg[0] = a;
  p.arg[1] = b;
  p.arg[2] = c;
  int allconst = 1;
  for (int i = 0; i < p.nargs; i++)
    if (!p.arg[i] || !gr_is_const(p.arg[i]))
      allconst = 0;
  if (op == GR_OP_IF && a && gr_is_const(a))
    return a->num != 0 ? b : c;
  /* detach of a constant is the constant; other specials are never folded */
  if (op == GR_OP_DETACH && gr_is_const(a))
    return a;
  if (allconst && op != GR_OP_DETACH) {
    double y;
    if (fold(op, a->num, b ? b->num : 0, c ? c->num : 0, &y))
      return gr_const(g, y);
  }
  return intern(g, &p);
}

unsigned char *gr_reachable(const GrGraph *g, GrNode *const *roots, size_t nroots) {
  unsigned char *m = gr_xcalloc(g->count ? g->count : 1, 1);
  for (size_t i = 0; i < nroots; i++)
    if (roots[i])
      m[roots[i]->id] = 1;
  for (size_t i = g->count; i-- > 0;)
    if (m[i])
      for (int k = 0; k < g->nodes[i]->nargs; k++)
        m[g->nodes[i]->arg[k]->id] = 1;
  return m;
}

size_t gr_count_ops(const GrGraph *g, GrNode *root) {
  unsigned char *m = gr_reachable(g, &root, 1);
  size_t n = 0;
  for (size_t i = 0; i <= root->id; i++)
    if (m[i] && gr_ops[g->nodes[i]->op].kind != GR_K_LEAF && g->nodes[i]->op != GR_OP_LET)
      n++;
  free(m);
  return n;
}

int gr_depends(const GrGraph *g, GrNode *x, int v) {
  unsigned char *m = gr_reachable(g, &x, 1);
  int r = 0;
  for (size_t i = 0; i <= x->id && !r; i++)
    if (m[i] && g->nodes[i]->op == GR_OP_VAR && g->nodes[i]->var == v)
      r = 1;
  free(m);
  return r;
}

GrNode *gr_subst(GrGraph *g, GrNode *body, GrNode *const *args, int nargs) {
  unsigned char *m = gr_reachable(g, &body, 1);
  size_t top = body->id + 1;
  GrNode **map = gr_xcalloc(top, sizeof *map);
  for (size_t i = 0; i < top; i++) {
    if (!m[i])
      continue;
    GrNode *n = g->nodes[i];
    if (n->op == GR_OP_VAR && n->var < 0 && -n->var - 1 < nargs) {
      map[i] = args[-n->var - 1];
    } else if (n->nargs == 0) {
      map[i] = n;
    } else {
      GrNode *a[3] = {NULL, NULL, NULL};
      int same = 1;
      for (int k = 0; k < n->nargs; k++) {
        a[k] = map[n->arg[k]->id];
        same &= a[k] == n->arg[k];
      }
      if (same)
        map[i] = n;
      else if (n->op == GR_OP_LET)
        map[i] = gr_let(g, n->name, a[0]);
      else
        map[i] = gr_node(g, n->op, a[0], a[1], a[2]);
    }
  }
  GrNode *r = map[body->id];
  free(map);
  free(m);
  return r;
}
