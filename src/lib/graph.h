/* SPDX-License-Identifier: GPL-3.0-or-later
 * GrGraph: the expression DAG. Nodes are hash-consed (one node per distinct
 * sub-expression), numbered in creation order so that every node's arguments have
 * smaller ids: iterating by id is a topological order, and no algorithm over the graph
 * needs recursion. Nodes (in the graph's chunks), names and derived trees (in its arena) are
 * never freed one by one. The graph also keeps the table of variables (free names).
 */
#ifndef GR_GRAPH_H
#define GR_GRAPH_H
#include "arena.h"
#include "ops.h"
#include <stddef.h>
#include <stdint.h>

typedef struct GrNode GrNode;
/* 32 bytes (LP64), one per distinct sub-expression, so that large inputs stay small. The
 * first argument is arg[0]; read the others through gr_arg: if(), the one op of three
 * arguments, keeps its second and third in a pair in the graph's arena (ab, over arg[1]).
 * The fields of the leaves share storage with the arguments: a constant's value
 * (or elements) and length, a variable's index and name lie over arg[0 .. 1], and a LET's
 * name over arg[1] (its one argument is arg[0]), so only the arguments gr_arg gives for
 * k < nargs may be read. The hash lives in the index (GrSlot), not in the node. */
struct GrNode {
  uint32_t id;
  uint16_t op;   /* GrOp */
  uint8_t nargs;
  uint8_t used; /* some node has this one as an argument (set by the graph, see GrGraph) */
  uint32_t off, len; /* span in the source of its first occurrence (len 0: none) */
  union {
    GrNode *arg[2]; /* arguments 0 and 1 of an op of one or two (gr_arg) */
    struct {
      GrNode *arg0_; /* if(): argument 0 (arg[0]) */
      GrNode **ab;   /* if(): arguments 1 and 2 */
    };
    struct {
      union {
        double num;  /* CONST: the value (scalar) */
        double *vec; /* CONST: vector value when vlen > 1 */
        int var;     /* VAR: index in the variable table; < 0: parameter -var-1 */
      };
      union {
        uint32_t vlen;    /* CONST: number of elements (1 for a scalar) */
        const char *name; /* VAR, LET: the name */
      };
    };
  };
};

/* Argument k < n->nargs of n. */
static inline GrNode *gr_arg(const GrNode *n, int k) {
  return !k ? n->arg[0] : n->nargs > 2 ? n->ab[k - 1] : n->arg[1];
}

/* The first chunk of nodes holds 2^GR_CHUNK0_BITS; GR_NCHUNKS of them hold the 2^32 ids. */
enum { GR_CHUNK0_BITS = 8, GR_NCHUNKS = 33 - GR_CHUNK0_BITS };

/* The hash-consing index: open addressing, linear probing; a slot holds a node's hash and
 * its id + 1 (0: empty), so that a probe seldom needs to look at the node itself. */
typedef struct GrSlot {
  uint32_t hash, id1;
} GrSlot;

/* The index holds every leaf, but an operation node only from when a lookup could find it:
 * a node none of whose arguments is `used` yet (the common case while parsing: x^7 right
 * after the constant 7, then its quotient, then the sum) cannot have a twin, so it is made
 * without a probe and indexed later, in a batch, when a lookup first needs it (or never,
 * when the index is dropped first). Operation nodes with ids in [indexed, count) are the
 * ones not yet in the index. */
typedef struct GrGraph {
  GrArena *arena;
  GrSlot *table; /* NULL after gr_graph_drop_index until the next node is interned */
  size_t tcap, tsize, indexed; /* slots; nodes in the index; see above */
  /* Whole-number constants 0 <= k < nints, the most common ones, are found by value:
   * ints[k] is the id + 1 of the constant k (0: none yet). Those made while k was out of
   * that range (it grows with the graph) are in the index, and are looked up there when
   * ints has no entry and k <= int_in_table (the largest such k; -1: none). */
  uint32_t *ints;
  size_t nints;
  double int_in_table;
  /* The nodes, by id (gr_graph_node), in chunks that double in size: chunk k holds the
   * 2^(k + GR_CHUNK0_BITS) ids from 2^(k + GR_CHUNK0_BITS) - 2^GR_CHUNK0_BITS on. Nodes
   * never move, and no array of pointers to them is kept. */
  GrNode *chunk[GR_NCHUNKS];
  size_t count;
  const char **vars; /* variable names, by index */
  int nvars, vcap;
  int *vidx; /* hash index of vars (open addressing, -1: empty), vhcap slots */
  int vhcap;
  size_t max_nodes;    /* bound for gr_parse (parse.h); 0: the default */
  size_t subst_visits; /* nodes gr_subst has examined, in all: a cost measure for tests */
} GrGraph;

/* The node with id `id` (< g->count). */
static inline GrNode *gr_graph_node(const GrGraph *g, size_t id) {
  size_t b = id + ((size_t)1 << GR_CHUNK0_BITS);
  int k = 63 - __builtin_clzll((unsigned long long)b);
  return &g->chunk[k - GR_CHUNK0_BITS][b - ((size_t)1 << k)];
}

/* Call once per process: turns GSL's aborting error handler off. */
void gr_init(void);

GrGraph *gr_graph_new(void);
void gr_graph_free(GrGraph *g); /* NULL-safe; frees every node */
/* Free the hash-consing index (8 to 16 bytes a node) when nothing is about to be interned,
 * as after parsing a large input; the next gr_node, gr_const, ... rebuilds it. */
void gr_graph_drop_index(GrGraph *g);

GrNode *gr_const(GrGraph *g, double v);
GrNode *gr_const_vec(GrGraph *g, const double *v, uint32_t n);
/* The variable `name` (added to the variable table on first use). */
GrNode *gr_var(GrGraph *g, const char *name);
/* Placeholder k of a function body or rule template. */
GrNode *gr_param(GrGraph *g, int k, const char *name);
/* A named intermediate: value of x, kept distinct from an unnamed copy of x. */
GrNode *gr_let(GrGraph *g, const char *name, GrNode *x);
/* The interned node op(args); folds constants when the result is finite. */
GrNode *gr_node(GrGraph *g, int op, GrNode *a, GrNode *b, GrNode *c);
/* Index of variable `name`, or -1. */
int gr_var_index(const GrGraph *g, const char *name);
/* Replace parameter k by args[k] everywhere in `body`, in time proportional to the size
 * of body (not of the graph): a program of many calls parses in linear time. */
GrNode *gr_subst(GrGraph *g, GrNode *body, GrNode *const *args, int nargs);
/* Mark the nodes reachable from roots: returns a calloc'd array of g->count flags. */
unsigned char *gr_reachable(const GrGraph *g, GrNode *const *roots, size_t nroots);
/* Number of operation nodes reachable from root (constants, variables, names excluded). */
size_t gr_count_ops(const GrGraph *g, GrNode *root);
/* Nonzero if x depends on variable index v (through any path). */
int gr_depends(const GrGraph *g, GrNode *x, int v);

static inline int gr_is_const(const GrNode *n) { return n->op == GR_OP_CONST && n->vlen == 1; }
static inline int gr_is_num(const GrNode *n, double v) { return gr_is_const(n) && n->num == v; }

#endif
