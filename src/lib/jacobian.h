/* SPDX-License-Identifier: GPL-3.0-or-later
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

/* Do a reverse-mode and a forward-mode derivative disagree? Yes when exactly one is NaN,
 * when an infinity differs, or when |rev - fwd| > 1e-6 * max(|rev|, |fwd|, scale) (scale:
 * the size of the terms summed into them, so that a cancelling sum is not "tiny"). */
int gr_ad_disagree(double rev, double fwd, double scale);
/* Reverse mode checked by forward mode at the tape's point (after gr_tape_forward), for the
 * scalar output k: grads[j] is reverse mode's gradient of variable vars[j] (its block;
 * NULL: zero). One tangent sweep along a fixed direction over all of them; only if that
 * disagrees, one sweep per variable. Returns how many variables disagree; for those,
 * bad[j] = 1 and rev_out[j], fwd_out[j] are the two directional derivatives along the
 * variable's block (its derivative itself for a scalar variable). */
size_t gr_check_reverse(GrTape *t, size_t k, const int *vars, size_t n, const double *const *grads,
                        unsigned char *bad, double *rev_out, double *fwd_out);

#endif
