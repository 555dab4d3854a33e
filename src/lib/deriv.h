/* SPDX-License-Identifier: GPL-3.0-or-later
 * Symbolic differentiation over the DAG: d f / d wrt as new nodes of the same graph.
 * One pass over node ids (no recursion, so million-deep expressions are fine), memoized
 * per node; every GR_K_MATH op differentiates by its "DA"/"DB" templates from ops.def.
 */
#ifndef GR_DERIV_H
#define GR_DERIV_H
#include "diag.h"
#include "graph.h"

/* The parsed DA/DB templates of one graph (parsed on first use, then reused). */
typedef struct GrDeriv GrDeriv;

GrDeriv *gr_deriv_new(GrGraph *g);
void gr_deriv_free(GrDeriv *D); /* NULL-safe; the nodes stay in the graph */

/* d f / d wrt. wrt is a variable node (op VAR, var >= 0) or a named intermediate (LET):
 * then the intermediate is held as independent (PyTorch's dz/du for u = x*x). Reductions
 * sum/mean/prod/max/min are differentiated for scalar variables. Only trivial 0/1 terms
 * are removed (gr_simplify does the rest). GR_EUSAGE if wrt is neither. */
GrStatus gr_deriv(GrDeriv *D, GrNode *f, GrNode *wrt, GrNode **out, GrDiag *d);

/* The template for op's partial k (0: DA, 1: DB) with parameters 0 and 1 for a and b, or
 * NULL when the op has none. */
GrNode *gr_deriv_template(GrDeriv *D, int op, int k);

/* f with every named intermediate (LET) replaced by its value, so the text reads back. */
GrNode *gr_strip_lets(GrGraph *g, GrNode *f);

#endif
