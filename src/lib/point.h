/* SPDX-License-Identifier: GPL-3.0-or-later
 * GrPoint: a scalar expression compiled for one point at a time. The block tape (tape.h)
 * pays, per instruction, for blocks and broadcasting that a single point never uses: a
 * double switch, a length and two strides per argument, a per-slot clearing loop. Here the
 * reachable nodes become a straight-line program of small instructions whose operands are
 * indices into one array of doubles; a sweep is one loop with one switch per instruction,
 * the adjoints are cleared with one memset of the slots that can receive one, and no sweep
 * allocates.
 *
 * The results are bit for bit those of the tape compiled from the same nodes with every
 * variable a block of one (gr_tape_compile with var_len NULL): the same instructions in the
 * same order, the same formulas from ops.def, the same strong zeros, the same order of
 * accumulation (tests/unit/check_point.c compares every op at special points). Expressions
 * with a vector (a vector constant, so blocks longer than one) are not compiled: the caller
 * keeps using the tape for them.
 */
#ifndef GR_POINT_H
#define GR_POINT_H
#include "graph.h"
#include <stdint.h>

/* how the reverse sweep forms an argument's contribution (point.c): the column itself
 * (SLOW) or the stored partial under the column's range test (CHECK); neither: PURE */
enum { PT_CHECK_A = 8, PT_CHECK_B = 16, PT_SLOW_A = 32, PT_SLOW_B = 64 };

typedef struct GrPInstr {
  uint16_t op;  /* GrOp */
  uint8_t need; /* bit k < 3: argument k receives an adjoint (depends on a variable); and
                 * the PT_ flags above */
  uint8_t nargs;
  uint32_t y, a, b, c; /* result and arguments: indices into val, adj, tan, tadj */
} GrPInstr;

/* One instruction of the fast reverse sweep (point.c), one per rev[] entry and in its
 * order: the adjoint of slot y goes to slots ta and tb (slot n, a scratch slot, for an
 * argument that takes none) through the stored partials pa[qa] and pa[qb] (pb is pa + n). */
typedef struct GrPRev {
  uint32_t kind, y, ta, tb, qa, qb;
} GrPRev;

typedef struct GrPoint {
  size_t n;          /* slots; [0, nneed) are the ones that depend on a variable */
  size_t nneed;
  GrPInstr *fwd;     /* every operation, in topological order */
  size_t nfwd;
  GrPInstr *rev;     /* the operations that need an adjoint, in reverse order */
  size_t nrev;
  GrPInstr *ffwd;    /* fwd for gr_point_forward_partials: frequent shapes as their own ops,
                      * nargs holding which arguments the previous instruction computed */
  GrPRev *frev;      /* rev for gr_point_reverse, by the shape of its partials */
  double *val, *adj; /* n each (adj: n + 1, the last a scratch slot) */
  double *pa, *pb;   /* per slot: its local partials at g = 1 (gr_point_forward_partials) */
  double *tan, *tadj; /* tangents and their adjoints: NULL until a Hessian asks */
  uint32_t out;
  int nvars;
  long *var_slot;    /* per graph variable: its slot, or -1 when the output does not use it */
} GrPoint;

/* Compile the nodes reachable from out. Returns NULL when a reachable node is a vector
 * (those go through the tape) or a parameter placeholder (not a value); calls gr_oom when
 * out of memory, as the tape's compiler does. */
GrPoint *gr_point_compile(const GrGraph *g, GrNode *out);
void gr_point_free(GrPoint *p); /* NULL-safe */

/* Where variable v's value goes (NULL when the output does not use it). */
static inline double *gr_point_var(GrPoint *p, int v) {
  return v >= 0 && v < p->nvars && p->var_slot[v] >= 0 ? p->val + p->var_slot[v] : NULL;
}
/* The value at the point written through gr_point_var. */
double gr_point_forward(GrPoint *p);
/* The same, and the local partials that gr_point_reverse needs. */
double gr_point_forward_partials(GrPoint *p);
/* The adjoints after gr_point_forward_partials: seed 1 on the output. */
void gr_point_reverse(GrPoint *p);
/* d out / d variable v after gr_point_reverse (0 when the output does not use it). */
static inline double gr_point_grad(const GrPoint *p, int v) {
  return v >= 0 && v < p->nvars && p->var_slot[v] >= 0 ? p->adj[p->var_slot[v]] : 0.0;
}
/* Forward mode after gr_point_forward (or _partials): tangents from dir[v] per variable (NULL: all 0). */
void gr_point_tangent(GrPoint *p, const double *dir);
/* d out along dir after gr_point_tangent */
static inline double gr_point_out_tangent(const GrPoint *p) {
  return p->out < p->nneed && p->tan ? p->tan[p->out] : 0.0;
}
/* Forward over reverse after gr_point_forward_partials, gr_point_tangent and gr_point_reverse: the
 * directional derivative of the adjoints, read with gr_point_hvp (H dir)_v. */
void gr_point_reverse_tangent(GrPoint *p);
static inline double gr_point_hvp(const GrPoint *p, int v) {
  return v >= 0 && v < p->nvars && p->var_slot[v] >= 0 && p->tadj ? p->tadj[p->var_slot[v]]
                                                                   : 0.0;
}

#endif
