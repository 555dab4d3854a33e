/* SPDX-License-Identifier: GPL-3.0-or-later
 * The expression language: text -> tokens -> nodes of a GrGraph (hash-consed as they are
 * built). Recursion is bounded (GR_PARSE_MAX_DEPTH); long flat chains (x+x+...+x) loop.
 * The size of what one parse builds is bounded too: at most GrGraph.max_nodes new graph
 * nodes and definitions (0: GRAD_MAX_NODES from the environment, else GR_PARSE_MAX_NODES);
 * past it the parse stops with an error instead of growing without bound.
 * On error the GrDiag carries the byte span of the offending token.
 */
#ifndef GR_PARSE_H
#define GR_PARSE_H
#include "diag.h"
#include "graph.h"

#define GR_PARSE_MAX_DEPTH 1000
/* The default bound on the size of what a parse builds (about 100 bytes each). */
#define GR_PARSE_MAX_NODES 10000000

/* Names defined by earlier statements or sessions: values (`u = x*x`, arity -1) and
 * functions (`f(a,b) = ...`, whose body refers to parameters 0..arity-1). */
typedef struct GrBinding {
  const char *name;
  int arity;
  GrNode *body;
  const char **params;
} GrBinding;

typedef struct GrEnv {
  GrBinding *b;
  int n, cap;
  /* hash index of b[0..hn) by name (the latest binding of each name), so that a program
   * of many statements parses in linear time; entries appended past hn are still found */
  struct GrEnvSlot {
    int i;      /* index in b, -1: empty */
    unsigned h; /* the hash of its name */
  } *hidx;
  int hcap, hn;
} GrEnv;

typedef struct GrParseOpts {
  /* Names that are variables even where they would name a constant (pi, e), or be read as
   * an unknown function before '(' (so that x(y+1) is a product). NULL-terminated. */
  const char *const *vars;
  GrEnv *env; /* where definitions are looked up and stored; NULL: a private one */
  int comments; /* '#' starts a comment to the end of the line (text read from a file) */
} GrParseOpts;

typedef struct GrParsed {
  GrNode *out; /* the last statement's value: for `lhs = rhs` lhs - rhs, for `name = rhs` the
                  value of rhs under that name */
  GrNode *lhs, *rhs;    /* a final `lhs = rhs`; lhs is NULL for `name = rhs` */
  const char *lhs_name; /* the final statement was `name = rhs` (no variable was made for
                           name: an equation against a data column makes it itself) */
  int nstatements;
} GrParsed;

GrStatus gr_parse(GrGraph *g, const char *src, const GrParseOpts *o, GrParsed *out, GrDiag *d);
/* A binding by name, or NULL. */
const GrBinding *gr_env_find(const GrEnv *e, const char *name);
/* How many times a parse has searched the function names for one close to an unknown name
 * (edit distances; a cost measure for tests). */
extern _Thread_local size_t gr_parse_suggest_count;
void gr_env_free(GrEnv *e); /* frees the table, not the nodes (they are the graph's) */

#endif
