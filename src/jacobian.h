/* SPDX-License-Identifier: MIT
 * Jacobians, vector-Jacobian and Jacobian-vector products on a compiled tape whose values
 * are computed (gr_tape_forward). Rows are the elements of every output in order; columns
 * are the elements of the chosen inputs (variables) and named intermediates (LET nodes).
 * Reverse mode costs one sweep per row, forward mode one sweep per variable element.
 */
#ifndef GR_JACOBIAN_H
#define GR_JACOBIAN_H
#include "tape.h"

/* One "with respect to" entry: a variable (var >= 0) or an intermediate (node, var < 0). */
typedef struct GrJacCol {
  int var;
  const GrNode *node;
  size_t len; /* number of elements (columns) */
} GrJacCol;

/* Total number of output elements (rows). */
size_t gr_jac_rows(const GrTape *t);
/* Sum of cols[].len. */
size_t gr_jac_cols(const GrJacCol *cols, size_t ncols);
/* J (rows x gr_jac_cols, row-major). forward: variable columns by tangent sweeps;
 * intermediate columns always take reverse sweeps (an intermediate has no tangent seed). */
void gr_jacobian(GrTape *t, const GrJacCol *cols, size_t ncols, int forward, double *J);
/* out = v^T J (v has gr_jac_rows elements), by one reverse sweep per output. */
void gr_vjp(GrTape *t, const double *v, const GrJacCol *cols, size_t ncols, double *out);
/* out = J dir (gr_jac_rows elements), by one forward sweep; dir[var] as for gr_tape_tangent. */
void gr_jvp(GrTape *t, const double *const *dir, double *out);

#endif
