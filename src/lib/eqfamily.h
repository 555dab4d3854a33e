/* SPDX-License-Identifier: GPL-3.0-or-later
 * What a rank-deficient Jacobian at a solution of r(x) = 0 means: a family of solutions
 * through the point, or an isolated multiple root (x^2 = 0) that the rank alone cannot tell
 * apart from one.
 */
#ifndef GR_EQFAMILY_H
#define GR_EQFAMILY_H
#include <stddef.h>

typedef void (*GrResFn)(void *ctx, const double *x, double *r, double *J);

/* x solves the m equations in n unknowns (residual norm <= thr) and J (m x n, row-major)
 * is the Jacobian there. For every direction v of J's null space, step to x +- t v with
 * t = 0.1 max(1, |x|) and correct by Gauss-Newton steps in the directions orthogonal to the
 * null space. Returns GR_EQ_FAMILY when every such point is corrected back to a solution,
 * GR_EQ_MULTIPLE when none is, GR_EQ_MIXED otherwise; *nullity gets n - rank. */
enum { GR_EQ_ISOLATED, GR_EQ_FAMILY, GR_EQ_MULTIPLE, GR_EQ_MIXED };
int gr_eq_family(GrResFn res, void *ctx, const double *x, const double *J, size_t m, int n,
                 double thr, int *nullity);

#endif
