/* SPDX-License-Identifier: GPL-3.0-or-later
 * A bounded algebraic simplifier over the DAG: one pass in id order, each node rebuilt from
 * its already simplified arguments with a fixed work budget, so it always terminates in
 * time linear in the input. Sums and products are brought to a canonical form (like terms
 * and powers of one base collected, constants folded when the result is finite, 0 and 1
 * terms removed, terms ordered), so equal expressions written differently meet.
 */
#ifndef GR_SIMPLIFY_H
#define GR_SIMPLIFY_H
#include "graph.h"

/* The simplified form of f (nodes of the same graph). Never has more operations than f
 * (gr_count_ops): if canonical forms would lose sharing, f itself is returned. */
GrNode *gr_simplify(GrGraph *g, GrNode *f);
/* expand != 0: also distribute products over sums inside a sum (a bounded number of times
 * per sum), so that like terms of repeated derivatives meet: what --order uses. */
GrNode *gr_simplify_ex(GrGraph *g, GrNode *f, int expand);

/* Number of operations when printed as a tree (shared sub-expressions counted at every
 * use, as a reader of the printed formula sees them); saturates at SIZE_MAX. */
size_t gr_count_tree_ops(const GrGraph *g, GrNode *f);



#include "print.h"
/* Print roots[k] as "names[k] = formula" lines, shared sub-expressions (used twice or
 * more, or deeper than a few dozen levels) once each as temporaries "t1 = ...", so the
 * text stays linear in the size of the DAG. C style prints "double name = ...;". The
 * temporaries' names avoid the graph's variable names. Returns the number of temporaries. */
int gr_print_cse(GrBuf *b, GrGraph *g, GrNode *const *roots, const char *const *names, int n,
                 GrPrintStyle style, int digits);
#endif
