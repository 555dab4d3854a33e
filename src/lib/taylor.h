/* SPDX-License-Identifier: GPL-3.0-or-later
 * Taylor mode on the tape (univariate Taylor propagation): every slot carries the truncated
 * Taylor coefficients y_0, y_1, ..., y_N of its value along the curve x(s) = x0 + s*dir,
 * y_k = (d^k/ds^k y)(0) / k!. One forward sweep gives the derivatives 1..N of the outputs
 * along dir, O(N^2) per op (O(N^3) for the gamma family, composed through its series).
 * The coefficients are scaled by 1/k!, so nothing overflows for lack of a factorial.
 *
 * Conventions are the tape's: y_0 is the forward sweep's value to the last bit, a piecewise
 * op follows the branch taken (abs, relu, max, if, ...; abs'(0) = 0, ties split evenly),
 * steps (sign, floor, comparisons) and detach have no higher coefficients, and zeros are
 * strong: a coefficient that is exactly 0 contributes exactly 0 to every product, whatever
 * it meets (inf and NaN included), and a quotient whose numerator is exactly 0 is 0.
 */
#ifndef GR_TAYLOR_H
#define GR_TAYLOR_H
#include "tape.h"

/* The coefficients of every slot up to degree N along the per-variable directions dir[v]
 * (blocks of the variable's length; NULL entries: 0). Needs values (gr_tape_forward
 * first). Returns t->nvals * (N + 1) doubles (free() them): element e of slot i has its
 * coefficients at [(gr_tape_off(t, i) + e) * (N + 1) ...]. */
double *gr_taylor(const GrTape *t, int N, const double *const *dir);
/* The coefficients of output k, element 0 (element e: + e * (N + 1)). */
const double *gr_taylor_out(const GrTape *t, const double *tc, int N, size_t k);
/* The derivative f^(k) = y_k k! / h^k from the coefficient y_k along a step h (a power of 2
 * keeps it exact), the product formed exponent apart: neither k! nor h^k need be a double. */
double gr_taylor_deriv(double y, int k, double h);
/* Nonzero if op has a Taylor rule (every op must: a unit test iterates the op table). */
int gr_taylor_has_rule(int op);

#endif
