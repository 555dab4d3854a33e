/* SPDX-License-Identifier: GPL-3.0-or-later
 * Vector math: array kernels y[k] = f(a[k]) through SLEEF's 1-ulp (u10) AVX-512 or AVX2
 * functions, chosen at run time by what the processor has, for the functions whose every
 * result stays within 1 ulp of scalar glibc libm (tests/unit/check_vecmath.c checks it).
 * Lanes whose argument or result is not a normal number (0, subnormal, inf, NaN:
 * overflow, underflow, poles, domain errors) are computed again by scalar libm, so special
 * values are exactly libm's. Without SLEEF (or off x86-64, or on a processor
 * without AVX2) every kernel is the scalar loop and gr_vecmath_isa() is NULL.
 * The tape uses the kernels only where asked (gr_tape_set_vecmath): tabulation by
 * default; single points, optimizer trajectories and fits never (their numbers are
 * PyTorch's, bit for bit).
 */
#ifndef GR_VECMATH_H
#define GR_VECMATH_H
#include "tape.h"
#include <stddef.h>

/* The functions with a vector kernel. tanh is not one: SLEEF's differs from libm by 2 ulp. */
typedef enum GrVecFn {
  GR_VEC_EXP,
  GR_VEC_LOG,
  GR_VEC_SIN,
  GR_VEC_COS,
  GR_VEC_ATAN,
  GR_VEC_EXPM1,
  GR_VEC_LOG1P,
  GR_VEC_NFN
} GrVecFn;

/* The instruction set in use: "avx512f", "avx2", or NULL (scalar libm everywhere). */
const char *gr_vecmath_isa(void);
/* Use this instruction set ("avx512f", "avx2" or "scalar"; NULL: the best the processor
 * has). Returns 0 (and changes nothing) when the processor or the build lacks it. For
 * tests and benchmarks; not thread-safe (call it before any sweep). */
int gr_vecmath_select(const char *isa);
const char *gr_vecfn_name(GrVecFn f);
/* The scalar libm function the kernel stands for. */
double gr_vecfn_scalar(GrVecFn f, double a);

/* y[k] = f(a[k]) for k < n (y and a may be the same array, or must not overlap). */
void gr_vec1(GrVecFn f, double *y, const double *a, size_t n);
void gr_vec_exp(double *y, const double *a, size_t n);
void gr_vec_log(double *y, const double *a, size_t n);
void gr_vec_sin(double *y, const double *a, size_t n);
void gr_vec_cos(double *y, const double *a, size_t n);
/* s[k] = sin(a[k]), c[k] = cos(a[k]) */
void gr_vec_sincos(double *s, double *c, const double *a, size_t n);
/* y[k] = a^b as the tape's pow (ops.h gr_pow: b = 1, 2, 3, -1 by multiplication, as
 * PyTorch does), a[k * sa], b[k * sb]: sa, sb 1 for a block, 0 for a block of one. */
void gr_vec_pow(double *y, const double *a, size_t sa, const double *b, size_t sb, size_t n);

/* Turn the tape's vector math on or off (off by default; on only where the processor has
 * a vector kernel). */
void gr_tape_set_vecmath(GrTape *t, int on);
/* The hooks of the tape's sweeps (tape.c). Forward: op's values into y (n > 1 points,
 * arguments as in gr_vec_pow); returns 0, computing nothing, where op has no kernel.
 * Reverse: for a unary op on a block a of n points whose local partial is a kernel
 * (sin: cos a, cos: -sin a, expm1: exp a), ga[k] += g[k] * partial, nothing where g[k] is
 * 0 (the strong zero); returns 0, changing nothing, for other ops or a non-finite g. */
int gr_vecmath_forward(unsigned op, double *y, const double *a, size_t sa, const double *b,
                       size_t sb, size_t n);
int gr_vecmath_reverse(unsigned op, double *ga, const double *g, const double *a, size_t n);
/* Is op one of gr_vecmath_reverse's (sin, cos, expm1)? */
int gr_vecmath_reverse_op(unsigned op);

#endif
