/* SPDX-License-Identifier: GPL-3.0-or-later
 * The random expression generator. The operations come from the op table itself
 * (gr_ops, generated from ops.def): every GR_K_MATH row is written as an infix or prefix
 * operator (PREC > 0) or as a call by its name, GR_K_SPECIAL rows as if(...) and the
 * reductions, so an operation added to ops.def is generated without a change here (the
 * driver fails when an operation of the table was never written). On top of the table:
 * dot and norm (parse-level), let-bindings `u = ...;`, user functions `f1(p, q) = ...;`,
 * constant vectors `[a, b, c]` and, in vector cases, a vector variable x.
 */
#include "prop.h"
#include <math.h>
#include <stdarg.h>
#include <string.h>

uint64_t prng_next(PRng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
double prng_unif(PRng *r) { return (double)(prng_next(r) >> 11) * 0x1.0p-53; }
int prng_int(PRng *r, int n) { return (int)(prng_unif(r) * n); }

typedef struct G {
  PRng *r;
  PCase *c;
  size_t n;       /* bytes written */
  int in_fun;     /* writing a user function body: leaves are its parameters p, q */
  int nlets;      /* u1..u<nlets> are defined */
  int fun;        /* f1 is defined */
} G;

static void put(G *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(G *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = sizeof g->c->src - g->n;
  int k = vsnprintf(g->c->src + g->n, room, fmt, ap);
  va_end(ap);
  if (k > 0)
    g->n += (size_t)k < room ? (size_t)k : room - 1;
}

static int chance(G *g, double p) { return prng_unif(g->r) < p; }

static void constant(G *g) {
  static const char *const k[] = {"0", "1", "2", "3", "(-1)", "0.5", "1.5", "(-2)", "10", "pi", "e", "0.1"};
  if (chance(g, 0.3)) {
    double v = prng_unif(g->r) * 10 - 5;
    put(g, v < 0 ? "(%.3g)" : "%.3g", v);
  } else
    put(g, "%s", k[prng_int(g->r, (int)(sizeof k / sizeof *k))]);
}

static void scalar(G *g, int depth);
static void vec(G *g, int depth);

static void scalar_leaf(G *g) {
  if (g->in_fun) {
    if (chance(g, 0.75))
      put(g, "%s", chance(g, 0.5) ? "p" : "q");
    else
      constant(g);
    return;
  }
  double u = prng_unif(g->r);
  if (g->nlets && u < 0.2) {
    put(g, "u%d", 1 + prng_int(g->r, g->nlets));
    g->c->lets++;
  } else if (u < 0.7) {
    if (g->c->vector) /* x is a vector: its scalar views are reductions */
      put(g, "%s", chance(g, 0.5) ? "y" : "z");
    else
      put(g, "%s", (const char *[]){"x", "y", "z"}[prng_int(g->r, 3)]);
  } else
    constant(g);
}

/* Operations of the table that the generator writes as expression nodes. */
static int is_reduction(int op) {
  return gr_ops[op].kind == GR_K_SPECIAL && gr_ops[op].nargs == 1 && op != GR_OP_LET;
}
static int writable(int op) {
  return gr_ops[op].kind == GR_K_MATH || is_reduction(op) || op == GR_OP_IF;
}

/* op(args) where each argument is written by arg(g, depth, k) */
static void call(G *g, int op, int depth, void (*arg)(G *, int, int)) {
  const GrOpInfo *o = &gr_ops[op];
  g->c->ops[op]++;
  if (o->prec && o->nargs == 1) {
    put(g, "(%s", o->name);
    arg(g, depth, 0);
    put(g, ")");
  } else if (o->prec && o->nargs == 2) {
    put(g, "(");
    arg(g, depth, 0);
    put(g, " %s ", o->name);
    arg(g, depth, 1);
    put(g, ")");
  } else {
    put(g, "%s(", o->name);
    for (int k = 0; k < o->nargs; k++) {
      if (k)
        put(g, ", ");
      arg(g, depth, k);
    }
    put(g, ")");
  }
}

/* polygamma's order is a small non-negative integer; a constant exponent half the time */
static int constant_arg(G *g, int op, int k) {
  if (op == GR_OP_POLYGAMMA && k == 0) {
    put(g, "%d", prng_int(g->r, 4));
    return 1;
  }
  if (op == GR_OP_POW && k == 1 && chance(g, 0.5)) {
    static const char *const ex[] = {"2", "3", "0.5", "(-1)", "0", "1", "1.5", "(-2)", "4"};
    put(g, "%s", ex[prng_int(g->r, 9)]);
    return 1;
  }
  return 0;
}

static int cur_op;
static void scalar_arg(G *g, int depth, int k) {
  if (!constant_arg(g, cur_op, k))
    scalar(g, depth - 1);
}
static void vec_arg(G *g, int depth, int k) {
  (void)k;
  vec(g, depth - 1);
}

static int random_op(G *g) {
  for (;;) {
    int op = prng_int(g->r, GR_OP_COUNT);
    if (writable(op))
      return op;
  }
}

static void scalar(G *g, int depth) {
  if (depth <= 0 || chance(g, 0.15)) {
    scalar_leaf(g);
    return;
  }
  double u = prng_unif(g->r);
  if (!g->in_fun && u < (g->c->vector ? 0.3 : 0.08)) { /* a scalar from a vector */
    int k = prng_int(g->r, 8);
    if (k == 6) {
      g->c->dot++;
      put(g, "dot(");
      vec(g, depth - 1);
      put(g, ", ");
      vec(g, depth - 1);
      put(g, ")");
    } else if (k == 7) {
      g->c->norm++;
      put(g, "norm(");
      vec(g, depth - 1);
      put(g, ")");
    } else {
      int op;
      do
        op = random_op(g);
      while (!is_reduction(op));
      call(g, op, depth, vec_arg);
    }
    return;
  }
  if (!g->in_fun && g->fun && u < 0.15) {
    g->c->funs++;
    put(g, "f1(");
    scalar(g, depth - 1);
    put(g, ", ");
    scalar(g, depth - 1);
    put(g, ")");
    return;
  }
  int op;
  do
    op = random_op(g);
  while (is_reduction(op) && g->in_fun);
  int save = cur_op;
  cur_op = op;
  call(g, op, depth, is_reduction(op) ? vec_arg : scalar_arg);
  cur_op = save;
}

/* A vector of PROP_VLEN elements: x (vector cases), a constant vector, or an elementwise
 * operation with at least one vector argument (the others broadcast). */
static int vec_pick;
static void vec_or_scalar_arg(G *g, int depth, int k) {
  if (constant_arg(g, cur_op, k))
    return;
  if ((vec_pick >> k) & 1)
    vec(g, depth - 1);
  else
    scalar(g, depth - 1);
}

static void vec(G *g, int depth) {
  if (depth <= 0 || chance(g, 0.25)) {
    if (g->c->vector && chance(g, 0.6))
      put(g, "x");
    else {
      put(g, "[");
      for (int i = 0; i < PROP_VLEN; i++) {
        if (i)
          put(g, ", ");
        constant(g);
      }
      put(g, "]");
    }
    return;
  }
  int op;
  do
    op = random_op(g);
  while (is_reduction(op));
  int n = gr_ops[op].nargs;
  int pick = 1 + prng_int(g->r, (1 << n) - 1); /* nonempty set of vector arguments */
  int save = cur_op, savep = vec_pick;
  cur_op = op;
  vec_pick = pick;
  call(g, op, depth, vec_or_scalar_arg);
  cur_op = save;
  vec_pick = savep;
}

double prop_point_value(PRng *r) {
  static const double special[] = {1e-300, -1e-300, 1e300, -1e300, 700, -700, 710, -710,
                                   171, 170.5, 171.5, -171.5, 1e-8, -1e-8, 1e8, 0.5,
                                   -0.5, 5e-324, 1e-15, 36, -36, 20, 1e154, 1e-154};
  double u = prng_unif(r);
  if (u < 0.4)
    return prng_unif(r) * 6 - 3;
  if (u < 0.55)
    return prng_int(r, 7) - 3;
  if (u < 0.62)
    return prng_int(r, 6) - 2.5;
  if (u < 0.75) { /* near an integer (poles of tan's cousins, lgamma, log at 0, 1/x) */
    double k = prng_int(r, 5) - 2, s = prng_unif(r) < 0.5 ? -1 : 1;
    return k + s * pow(10, -4 - prng_int(r, 8));
  }
  if (u < 0.9)
    return special[prng_int(r, (int)(sizeof special / sizeof *special))];
  return prng_unif(r) * 60 - 30;
}

void prop_gen(PRng *r, int max_depth, int vector, PCase *c) {
  memset(c, 0, sizeof *c);
  c->vector = vector;
  G g = {r, c, 0, 0, 0, 0};
  if (chance(&g, 0.25)) { /* a user function of two parameters */
    g.in_fun = 1;
    put(&g, "f1(p, q) = ");
    scalar(&g, 2);
    put(&g, "; ");
    g.in_fun = 0;
    g.fun = 1;
  }
  int nl = chance(&g, 0.35) ? 1 + prng_int(r, 2) : 0;
  for (int i = 0; i < nl; i++) {
    put(&g, "u%d = ", i + 1);
    scalar(&g, max_depth - 1);
    put(&g, "; ");
    g.nlets = i + 1;
  }
  int depth = 1 + prng_int(r, max_depth);
  if (vector && chance(&g, 0.5))
    vec(&g, depth);
  else
    scalar(&g, depth);
  for (int v = 0; v < PROP_NV; v++)
    for (int i = 0; i < PROP_VLEN; i++)
      c->pt[v][i] = prop_point_value(r);
}
