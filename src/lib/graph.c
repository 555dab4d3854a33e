/* SPDX-License-Identifier: GPL-3.0-or-later
 * Hash-consing and the variable table. Constant folding runs in IEEE doubles and is
 * refused when the result is not finite, so that the evaluation-time diagnostic can
 * still point at the offending sub-expression.
 */
#include "graph.h"
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Large inputs cost about four nodes a term: keep the node at 32 bytes on LP64. */
_Static_assert(sizeof(void *) != 8 || sizeof(GrNode) == 32, "GrNode grew");

void gr_init(void) { gsl_set_error_handler_off(); }

static void reserve(GrGraph *g, size_t more);

GrGraph *gr_graph_new(void) {
  GrGraph *g = gr_xcalloc(1, sizeof *g);
  g->arena = gr_arena_new();
  g->int_in_table = -1;
  reserve(g, 0);
  return g;
}

void gr_graph_free(GrGraph *g) {
  if (!g)
    return;
  gr_arena_free(g->arena);
  free(g->table);
  free(g->ints);
  for (int k = 0; k < GR_NCHUNKS; k++)
    free(g->chunk[k]);
  free(g->vars);
  free(g->vidx);
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
    h = mix(h, gr_arg(n, i)->id);
  if (n->op == GR_OP_CONST) {
    h = mix(h, n->vlen);
    if (n->vlen == 1)
      h = mix(h, dbits(n->num));
    else
      for (uint32_t i = 0; i < n->vlen; i++)
        h = mix(h, dbits(n->vec[i]));
  }
  if (n->op == GR_OP_VAR || n->op == GR_OP_LET) {
    if (n->name)
      h = mix(h, hash_str(n->name));
    if (n->op == GR_OP_VAR) /* a LET has no index: its argument lies there */
      h = mix(h, (uint64_t)(int64_t)n->var);
  }
  /* the table indexes by the low bits: let every bit of h reach them */
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  return h;
}

static int node_eq(const GrNode *a, const GrNode *b) {
  if (a->op != b->op || a->nargs != b->nargs)
    return 0;
  for (int i = 0; i < a->nargs; i++)
    if (gr_arg(a, i) != gr_arg(b, i))
      return 0;
  if (a->op == GR_OP_CONST) {
    if (a->vlen != b->vlen)
      return 0;
    if (a->vlen == 1)
      return dbits(a->num) == dbits(b->num);
    return !memcmp(a->vec, b->vec, a->vlen * sizeof(double));
  }
  if (a->op != GR_OP_VAR && a->op != GR_OP_LET)
    return 1;
  if ((a->op == GR_OP_VAR && a->var != b->var) || (a->name == NULL) != (b->name == NULL))
    return 0;
  return !a->name || !strcmp(a->name, b->name);
}

static void slot_put(GrSlot *t, size_t cap, uint32_t h, uint32_t id1) {
  size_t k = h & (cap - 1);
  while (t[k].id1)
    k = (k + 1) & (cap - 1);
  t[k].hash = h;
  t[k].id1 = id1;
}

/* Put n entries (hashes h, ids + 1 id1) in the table: each batch's first slots are
 * prefetched before any is probed, so that their cache misses overlap. */
static void slot_put_batch(GrSlot *t, size_t cap, const uint32_t *h, const uint32_t *id1,
                           size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (i % 16 == 0)
      for (size_t j = i; j < n && j < i + 16; j++)
        __builtin_prefetch(&t[h[j] & (cap - 1)], 1);
    slot_put(t, cap, h[i], id1[i]);
  }
}

enum { BATCH = 256 };

/* A table of cap slots holding the entries of the old one (or none). */
static void resize_table(GrGraph *g, size_t cap) {
  GrSlot *t = gr_xcalloc(cap, sizeof *t);
  uint32_t h[BATCH], id1[BATCH];
  size_t n = 0;
  for (size_t i = 0; i < g->tcap; i++)
    if (g->table[i].id1) {
      h[n] = g->table[i].hash;
      id1[n++] = g->table[i].id1;
      if (n == BATCH) {
        slot_put_batch(t, cap, h, id1, n);
        n = 0;
      }
    }
  slot_put_batch(t, cap, h, id1, n);
  free(g->table);
  g->table = t;
  g->tcap = cap;
}

/* Room for `more` entries at load factor at most 1/2. */
static void reserve(GrGraph *g, size_t more) {
  size_t cap = g->tcap ? g->tcap : 1024;
  while (2 * (g->tsize + more) > cap)
    cap *= 2;
  if (cap != g->tcap || !g->table)
    resize_table(g, cap);
}

/* Index the nodes with ids in [from, g->count) that `leaves_too` or that have arguments. */
static void index_range(GrGraph *g, size_t from, int leaves_too) {
  size_t more = 0;
  for (size_t i = from; i < g->count; i++)
    more += leaves_too || gr_graph_node(g, i)->nargs > 0;
  reserve(g, more);
  uint32_t h[BATCH], id1[BATCH];
  size_t n = 0;
  for (size_t i = from; i < g->count; i++) {
    const GrNode *x = gr_graph_node(g, i);
    if (!leaves_too && x->nargs == 0)
      continue;
    h[n] = node_hash(x);
    id1[n++] = (uint32_t)i + 1;
    if (n == BATCH) {
      slot_put_batch(g->table, g->tcap, h, id1, n);
      n = 0;
    }
  }
  slot_put_batch(g->table, g->tcap, h, id1, n);
  g->tsize += more;
  g->indexed = g->count;
}

void gr_graph_drop_index(GrGraph *g) {
  free(g->table);
  g->table = NULL;
  g->tcap = 0;
  g->tsize = 0;
  g->indexed = 0;
  /* the index is rebuilt with every node, whole-number constants too */
  free(g->ints);
  g->ints = NULL;
  g->nints = 0;
  g->int_in_table = INFINITY;
}

/* A new node: a copy of proto, with the next id. */
static GrNode *add_node(GrGraph *g, const GrNode *proto) {
  if (g->count >= UINT32_MAX - 1)
    gr_oom("more than 2^32 expression nodes");
  size_t b = g->count + ((size_t)1 << GR_CHUNK0_BITS);
  int k = 63 - __builtin_clzll((unsigned long long)b);
  if (b == (size_t)1 << k) /* the first id of chunk k */
    g->chunk[k - GR_CHUNK0_BITS] = gr_xmalloc(((size_t)1 << k) * sizeof(GrNode));
  GrNode *n = &g->chunk[k - GR_CHUNK0_BITS][b - ((size_t)1 << k)];
  *n = *proto;
  n->id = (uint32_t)g->count;
  n->used = 0;
  if (n->nargs > 2) /* if(): its second and third arguments in a pair of their own */
    n->ab = memcpy(gr_arena_alloc_align(g->arena, 2 * sizeof *n->ab, sizeof *n->ab), proto->ab,
                   2 * sizeof *n->ab);
  for (int i = 0; i < n->nargs; i++)
    gr_arg(n, i)->used = 1;
  if (proto->op == GR_OP_CONST && proto->vlen > 1)
    n->vec = memcpy(gr_arena_alloc(g->arena, proto->vlen * sizeof(double)), proto->vec,
                    proto->vlen * sizeof(double));
  else if ((proto->op == GR_OP_VAR || proto->op == GR_OP_LET) && proto->name)
    n->name = gr_arena_strdup(g->arena, proto->name);
  g->count++;
  return n;
}

/* Intern a candidate node built on the stack. */
static GrNode *intern(GrGraph *g, const GrNode *proto) {
  if (!g->table) /* after gr_graph_drop_index: every node's hash again */
    index_range(g, 0, 1);
  /* a twin of proto would be a user of each of its arguments: none can exist while one
   * of them has no user (see GrGraph) */
  int fresh = 0;
  for (int i = 0; i < proto->nargs; i++)
    fresh |= !gr_arg(proto, i)->used;
  uint32_t h = 0;
  if (!fresh) {
    if (proto->nargs && g->indexed < g->count)
      index_range(g, g->indexed, 0);
    h = node_hash(proto);
    for (size_t k = h & (g->tcap - 1); g->table[k].id1; k = (k + 1) & (g->tcap - 1))
      if (g->table[k].hash == h && node_eq(gr_graph_node(g, g->table[k].id1 - 1), proto))
        return gr_graph_node(g, g->table[k].id1 - 1);
  }
  GrNode *n = add_node(g, proto);
  if (!fresh) { /* a leaf, or the index is complete: index n now */
    reserve(g, 1);
    slot_put(g->table, g->tcap, h, n->id + 1);
    g->tsize++;
    if (g->indexed == n->id)
      g->indexed = g->count;
  }
  return n;
}

GrNode *gr_const(GrGraph *g, double v) {
  if (v == 0)
    v = 0.0 * (signbit(v) ? -1.0 : 1.0);
  GrNode p = {0};
  p.op = GR_OP_CONST;
  p.num = v;
  p.vlen = 1;
  if (signbit(v) || !(v < 2147483648.0) || v != floor(v))
    return intern(g, &p);
  /* a small whole number: by value in g->ints (see GrGraph), without a probe of the index */
  size_t k = (size_t)v;
  if (k < g->nints && g->ints[k])
    return gr_graph_node(g, g->ints[k] - 1);
  if (k >= g->nints && k < 2 * g->count + 1024) {
    size_t cap = g->nints ? 2 * g->nints : 1024;
    while (cap <= k)
      cap *= 2;
    g->ints = gr_xrealloc(g->ints, cap * sizeof *g->ints);
    memset(g->ints + g->nints, 0, (cap - g->nints) * sizeof *g->ints);
    g->nints = cap;
  }
  if (k >= g->nints) {
    if (v > g->int_in_table)
      g->int_in_table = v;
    return intern(g, &p);
  }
  GrNode *n = v <= g->int_in_table ? intern(g, &p) : add_node(g, &p);
  g->ints[k] = n->id + 1;
  return n;
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

static size_t var_slot(const GrGraph *g, const char *name) {
  uint32_t h = hash_str(name);
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  size_t k = h & (size_t)(g->vhcap - 1);
  while (g->vidx[k] >= 0 && strcmp(g->vars[g->vidx[k]], name))
    k = (k + 1) & (size_t)(g->vhcap - 1);
  return k;
}

int gr_var_index(const GrGraph *g, const char *name) {
  if (!g->vhcap)
    return -1;
  return g->vidx[var_slot(g, name)];
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
    if (2 * g->nvars > g->vhcap) {
      free(g->vidx);
      g->vhcap = g->vhcap ? 2 * g->vhcap : 32;
      g->vidx = gr_xmalloc((size_t)g->vhcap * sizeof *g->vidx);
      for (int i = 0; i < g->vhcap; i++)
        g->vidx[i] = -1;
      for (int i = 0; i < g->nvars; i++)
        g->vidx[var_slot(g, g->vars[i])] = i;
    } else
      g->vidx[var_slot(g, name)] = k;
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
  /* only the arguments are set: the rest of the union stays zero */
  GrNode *ab[2] = {b, c};
  p.arg[0] = p.nargs > 0 ? a : NULL;
  if (p.nargs > 2)
    p.ab = ab; /* add_node copies the pair into the arena */
  else
    p.arg[1] = p.nargs > 1 ? b : NULL;
  int allconst = 1;
  for (int i = 0; i < p.nargs; i++)
    if (!gr_arg(&p, i) || !gr_is_const(gr_arg(&p, i)))
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
    if (m[i]) {
      const GrNode *x = gr_graph_node(g, i);
      for (int k = 0; k < x->nargs; k++)
        m[gr_arg(x, k)->id] = 1;
    }
  return m;
}

size_t gr_count_ops(const GrGraph *g, GrNode *root) {
  unsigned char *m = gr_reachable(g, &root, 1);
  size_t n = 0;
  for (size_t i = 0; i <= root->id; i++)
    if (m[i]) {
      int op = gr_graph_node(g, i)->op;
      n += gr_ops[op].kind != GR_K_LEAF && op != GR_OP_LET;
    }
  free(m);
  return n;
}

int gr_depends(const GrGraph *g, GrNode *x, int v) {
  unsigned char *m = gr_reachable(g, &x, 1);
  int r = 0;
  for (size_t i = 0; i <= x->id && !r; i++)
    if (m[i] && gr_graph_node(g, i)->op == GR_OP_VAR && gr_graph_node(g, i)->var == v)
      r = 1;
  free(m);
  return r;
}

/* A small open-addressing map from node id to node, for the nodes of one body. */
typedef struct SubstMap {
  uint32_t *key; /* id + 1; 0: empty */
  GrNode **val;
  size_t cap, n;
  uint32_t key0[64]; /* the first storage: most bodies are small */
  GrNode *val0[64];
} SubstMap;

static size_t smap_slot(const SubstMap *m, uint32_t id) {
  size_t k = (size_t)mix(2166136261u, id) & (m->cap - 1);
  while (m->key[k] && m->key[k] != id + 1)
    k = (k + 1) & (m->cap - 1);
  return k;
}

static void smap_init(SubstMap *m, size_t cap) {
  m->cap = cap;
  m->n = 0;
  m->key = gr_xcalloc(cap, sizeof *m->key);
  m->val = gr_xcalloc(cap, sizeof *m->val);
}

static void smap_free(SubstMap *m) {
  if (m->key != m->key0) {
    free(m->key);
    free(m->val);
  }
}

/* Adds id (value NULL) unless present; returns nonzero when it was new. */
static int smap_add(SubstMap *m, uint32_t id) {
  if (2 * (m->n + 1) > m->cap) {
    SubstMap b;
    smap_init(&b, 2 * m->cap);
    for (size_t i = 0; i < m->cap; i++)
      if (m->key[i]) {
        size_t k = smap_slot(&b, m->key[i] - 1);
        b.key[k] = m->key[i];
        b.val[k] = m->val[i];
      }
    smap_free(m);
    m->key = b.key;
    m->val = b.val;
    m->cap = b.cap;
  }
  size_t k = smap_slot(m, id);
  if (m->key[k])
    return 0;
  m->key[k] = id + 1;
  m->n++;
  return 1;
}

/* Doubles an array that starts in local storage `local`. */
static GrNode **grow_list(GrNode **a, GrNode **local, size_t *cap) {
  GrNode **b = gr_xmalloc(2 * *cap * sizeof *b);
  memcpy(b, a, *cap * sizeof *b);
  if (a != local)
    free(a);
  *cap *= 2;
  return b;
}

static int by_id(const void *a, const void *b) {
  uint32_t x = (*(GrNode *const *)a)->id, y = (*(GrNode *const *)b)->id;
  return (x > y) - (x < y);
}

/* Work proportional to the size of body, not of the graph: the nodes reachable from body
 * are collected by a depth-first walk, then rebuilt in id order (a topological order). */
GrNode *gr_subst(GrGraph *g, GrNode *body, GrNode *const *args, int nargs) {
  SubstMap m;
  memset(m.key0, 0, sizeof m.key0);
  m.key = m.key0;
  m.val = m.val0;
  m.cap = 64;
  m.n = 0;
  enum { NLOCAL = 64 };
  GrNode *list0[NLOCAL], *stack0[NLOCAL];
  size_t ncap = NLOCAL, n = 0, scap = NLOCAL, sn = 0;
  GrNode **list = list0, **stack = stack0;
  smap_add(&m, body->id);
  stack[sn++] = body;
  while (sn) {
    GrNode *x = stack[--sn];
    g->subst_visits++;
    if (n == ncap)
      list = grow_list(list, list0, &ncap);
    list[n++] = x;
    for (int k = 0; k < x->nargs; k++)
      if (smap_add(&m, gr_arg(x, k)->id)) {
        if (sn == scap)
          stack = grow_list(stack, stack0, &scap);
        stack[sn++] = gr_arg(x, k);
      }
  }
  if (stack != stack0)
    free(stack);
  qsort(list, n, sizeof *list, by_id);
  for (size_t i = 0; i < n; i++) {
    GrNode *x = list[i], *to;
    if (x->op == GR_OP_VAR && x->var < 0 && -x->var - 1 < nargs) {
      to = args[-x->var - 1];
    } else if (x->nargs == 0) {
      to = x;
    } else {
      GrNode *a[3] = {NULL, NULL, NULL};
      int same = 1;
      for (int k = 0; k < x->nargs; k++) {
        a[k] = m.val[smap_slot(&m, gr_arg(x, k)->id)];
        same &= a[k] == gr_arg(x, k);
      }
      if (same)
        to = x;
      else if (x->op == GR_OP_LET)
        to = gr_let(g, x->name, a[0]);
      else
        to = gr_node(g, x->op, a[0], a[1], a[2]);
    }
    m.val[smap_slot(&m, x->id)] = to;
  }
  GrNode *r = m.val[smap_slot(&m, body->id)];
  if (list != list0)
    free(list);
  smap_free(&m);
  return r;
}
