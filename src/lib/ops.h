/* SPDX-License-Identifier: GPL-3.0-or-later
 * The operation enum and metadata generated from ops.def, and the scalar helpers its
 * formulas call. Everything per operation comes from that one table.
 */
#ifndef GR_OPS_H
#define GR_OPS_H
#include <stddef.h>
#include <math.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#ifndef M_LN2
#define M_LN2 0.69314718055994530942
#endif
#ifndef M_LN10
#define M_LN10 2.30258509299404568402
#endif
#ifndef M_2_SQRTPI
#define M_2_SQRTPI 1.12837916709551257390
#endif

enum { GR_K_LEAF, GR_K_SPECIAL, GR_K_MATH };

typedef enum GrOp {
#define OP(id, name, n, kind, prec, ...) GR_OP_##id,
#include "ops.def"
#undef OP
  GR_OP_COUNT
} GrOp;

typedef struct GrOpInfo {
  const char *name;
  int nargs, kind, prec;
  const char *da, *db; /* symbolic partials over a, b */
} GrOpInfo;

extern const GrOpInfo gr_ops[GR_OP_COUNT];

/* The function named `name` taking `nargs` arguments, or -1. */
int gr_op_lookup(const char *name, int nargs);
/* Nonzero if `name` is a built-in function name for some arity. */
int gr_op_is_function(const char *name);
/* The Damerau-Levenshtein distance of the first n bytes of s and t (99 past 30 bytes):
 * "did you mean" for function names and options. */
int gr_edit_distance(const char *s, size_t n, const char *t);
/* The built-in function name closest to `name` (edit distance <= 2), or NULL. */
const char *gr_op_suggest(const char *name);
/* NULL-terminated list of the user-visible function names (for help and completion). */
const char *const *gr_op_function_names(void);
/* One line of help on the function or operator `name` into out: what it is, its domain,
 * its derivative rule (from ops.def) and its kink convention. 0 if there is none. */
int gr_op_help(const char *name, char *out, size_t cap);

/* Scalar helpers used by the formulas in ops.def. */
double gr_psi(double x);
double gr_psi_n(double n, double x);
double gr_gamma(double x);
double gr_lgamma(double x);

static inline double gr_sq(double x) { return x * x; }
static inline double gr_sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; }
static inline double gr_relu(double x) { return x > 0 ? x : (x != x ? x : 0.0); }
static inline double gr_sigmoid(double x) {
  if (x >= 0)
    return 1 / (1 + exp(-x));
  double e = exp(x);
  return e / (1 + e);
}
/* log(1 + e^x) without overflow for large x or loss for very negative x */
static inline double gr_softplus(double x) {
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}
static inline double gr_min(double a, double b) { return a != a ? a : b != b ? b : a < b ? a : b; }
static inline double gr_max(double a, double b) { return a != a ? a : b != b ? b : a > b ? a : b; }
/* share of the gradient that max(a, b) sends to a: ties split evenly, as PyTorch does */
static inline double gr_tie(double a, double b) { return a > b ? 1.0 : a == b ? 0.5 : 0.0; }
static inline double gr_div0(double a, double b) { return b == 0 ? 0.0 : a / b; }
/* a^b with PyTorch's fast paths for common constant exponents (its x*x, x*x*x, 1/x: the
 * same roundings), several times faster than pow() */
static inline double gr_pow(double a, double b) {
  if (b == 2)
    return a * a;
  if (b == 1)
    return a;
  if (b == 3)
    return a * a * a;
  if (b == -1)
    return 1 / a;
  return pow(a, b);
}
/* d/da a^b: PyTorch masks b == 0 to 0 so that 0^0 differentiates to 0, not NaN */
static inline double gr_pow_da(double a, double b) { return b == 0 ? 0.0 : b * gr_pow(a, b - 1); }
/* d/db a^b: 0 where a == 0 and b >= 0 (PyTorch's mask), else a^b log a */
static inline double gr_pow_db(double a, double b, double y) {
  return (a == 0 && b >= 0) ? 0.0 : y * log(a);
}

/* Adjoint contributions g * dy/da. The plain product comes first, rounded as it always
 * was; only where it or the local partial overflowed or underflowed (subnormals included)
 * although every factor is finite and nonzero is it formed again, exponents apart (frexp),
 * so that an intermediate outside the double range (1/b, y/b, a^(b-1)) cannot turn a
 * representable result into 0, inf or a few bits. */
static inline int gr_fine(double r) { return fabs(r) >= 0x1p-1022 && fabs(r) <= 0x1.fffffffffffffp1023; }
static inline int gr_fin0(double x) { return x != 0 && x - x == 0; }
/* x * y * z / w for finite nonzero arguments without a spurious overflow or underflow */
static inline double gr_xyz_w(double x, double y, double z, double w) {
  int ex, ey, ez, ew;
  double mx = frexp(x, &ex), my = frexp(y, &ey), mz = frexp(z, &ez), mw = frexp(w, &ew);
  return ldexp(mx * my * mz / mw, ex + ey + ez - ew);
}
/* g * (p / q) */
static inline double gr_gdiv(double g, double p, double q) {
  double pq = p / q, r = g * pq;
  if ((gr_fine(r) && gr_fine(pq)) || !gr_fin0(g) || !gr_fin0(p) || !gr_fin0(q))
    return r;
  return gr_xyz_w(g, p, 1, q);
}
/* g * (p * q) */
static inline double gr_gmul(double g, double p, double q) {
  double pq = p * q, r = g * pq;
  if ((gr_fine(r) && gr_fine(pq)) || !gr_fin0(g) || !gr_fin0(p) || !gr_fin0(q))
    return r;
  return gr_xyz_w(g, p, q, 1);
}
/* g * b a^(b-1); where a^(b-1) leaves the range but a^b does not, g b y / a */
static inline double gr_pow_ga(double g, double a, double b, double y) {
  double p = gr_pow_da(a, b), r = g * p;
  if ((gr_fine(r) && gr_fine(p)) || !gr_fin0(g) || !gr_fin0(a) || !gr_fin0(b) || !gr_fin0(y))
    return r;
  return gr_xyz_w(g, b, y, a);
}
/* The fast paths of the helpers above, for block loops: the same plain product, with
 * *bad OR-ed with 1 where the helper would not return it (the exact helper must then be
 * run on that element). Bitwise & and | rather than && and ||, so that a loop of them has
 * no branch and vectorises; a block whose flag stays 0 is bit for bit the helper's. */
static inline long gr_nfine(double r, double p) {
  return !((fabs(r) >= 0x1p-1022) & (fabs(r) <= 0x1.fffffffffffffp1023) & (fabs(p) >= 0x1p-1022) &
           (fabs(p) <= 0x1.fffffffffffffp1023));
}
static inline long gr_fin0b(double x) { return (x != 0) & (x - x == 0); }
static inline double gr_gdiv_f(double g, double p, double q, long *bad) {
  double pq = p / q, r = g * pq;
  *bad |= gr_nfine(r, pq) & gr_fin0b(g) & gr_fin0b(p) & gr_fin0b(q);
  return r;
}
static inline double gr_gmul_f(double g, double p, double q, long *bad) {
  double pq = p * q, r = g * pq;
  *bad |= gr_nfine(r, pq) & gr_fin0b(g) & gr_fin0b(p) & gr_fin0b(q);
  return r;
}
static inline double gr_pow_ga_f(double g, double a, double b, double y, long *bad) {
  double p = gr_pow_da(a, b), r = g * p;
  *bad |= gr_nfine(r, p) & gr_fin0b(g) & gr_fin0b(a) & gr_fin0b(b) & gr_fin0b(y);
  return r;
}
static inline double gr_atan_ga_f(double g, double a, long *bad) {
  double p = 1 / (1 + a * a), r = g * p;
  *bad |= gr_nfine(r, p) & gr_fin0b(g) & gr_fin0b(a);
  return r;
}
static inline double gr_asinh_ga_f(double g, double a, long *bad) {
  double p = 1 / sqrt(a * a + 1), r = g * p;
  *bad |= gr_nfine(r, p) & gr_fin0b(g) & gr_fin0b(a) & (fabs(a) >= 0x1p511);
  return r;
}
static inline double gr_acosh_ga_f(double g, double a, long *bad) {
  double p = 1 / sqrt(a * a - 1), r = g * p;
  *bad |= gr_nfine(r, p) & gr_fin0b(g) & gr_fin0b(a) & (a >= 0x1p511);
  return r;
}
/* g * a^b log a */
static inline double gr_pow_gb(double g, double a, double b, double y) {
  if (a == 0 && b >= 0)
    return 0.0;
  return gr_gmul(g, y, log(a));
}
/* g / (1 + a^2): for |a| beyond 2^500, a^2 would overflow; (g/a)/a does not */
static inline double gr_atan_ga(double g, double a) {
  double p = 1 / (1 + a * a), r = g * p;
  if ((gr_fine(r) && gr_fine(p)) || !gr_fin0(g) || !gr_fin0(a))
    return r;
  return fabs(a) > 1 ? gr_xyz_w(g, 1, 1 / a, a) : g / (1 + a * a);
}
/* atan'' = -2a/(1 + a^2)^2: beyond 2^250 the square of a^2 overflows (-2a beyond 2^1023),
 * while -2/a^3 is the value to the last bit */
static inline double gr_atan_aa(double a) {
  if (fabs(a) < 0x1p250)
    return -2 * a / ((1 + a * a) * (1 + a * a));
  return -2 / a / a / a;
}
/* g / sqrt(a^2 + 1) (asinh) and g / sqrt(a^2 - 1) (acosh): beyond 2^511, a^2 would
 * overflow; there the partial is 1/|a| to the last bit */
static inline double gr_asinh_ga(double g, double a) {
  double p = 1 / sqrt(a * a + 1), r = g * p;
  if ((gr_fine(r) && gr_fine(p)) || !gr_fin0(g) || !gr_fin0(a) || fabs(a) < 0x1p511)
    return r;
  return gr_xyz_w(g, 1, 1, fabs(a));
}
static inline double gr_acosh_ga(double g, double a) {
  double p = 1 / sqrt(a * a - 1), r = g * p;
  if ((gr_fine(r) && gr_fine(p)) || !gr_fin0(g) || !gr_fin0(a) || a < 0x1p511)
    return r;
  return gr_xyz_w(g, 1, 1, a);
}
/* g * 2/sqrt(pi) * exp(-a^2): where exp(-a^2) underflows (|a| > 26.5) but the product
 * does not, the factor g goes into the exponent */
static inline double gr_erf_ga(double g, double a) {
  double p = M_2_SQRTPI * exp(-a * a), r = g * p;
  if ((gr_fine(r) && gr_fine(p)) || !gr_fin0(g) || !gr_fin0(a))
    return r;
  return copysign(M_2_SQRTPI * exp(log(fabs(g)) - a * a), g);
}
/* g * c / (a^2 + b^2) for atan2's partials (c is b or -a) */
static inline double gr_atan2_g(double g, double c, double a, double b) {
  if (c == 0 && (a != 0 || b != 0)) /* exactly 0, also where a^2 + b^2 underflows */
    return g * c;
  double p = c / (a * a + b * b), r = g * p;
  if ((gr_fine(r) && gr_fine(p)) || !gr_fin0(g) || !gr_fin0(c))
    return r;
  double h = hypot(a, b);
  if (!gr_fin0(h))
    return r;
  return gr_xyz_w(g, c, 1 / h, h);
}
/* p * q / (a^2 + b^2)^2 for atan2's second partials, with the exponents apart where the
 * squares leave the range: (p/h) * (q/h) / h / h, h = hypot(a, b) */
static inline double gr_atan2_h(double p, double q, double a, double b) {
  double s = a * a + b * b, r = p * q / (s * s);
  double h = hypot(a, b);
  if (gr_fine(s * s) || !gr_fin0(h) || !(p - p == 0) || !(q - q == 0))
    return r;
  return (p / h) * (q / h) / h / h;
}
static inline double gr_pow_daa(double a, double b) {
  return (b == 0 || b == 1) ? 0.0 : b * (b - 1) * gr_pow(a, b - 2);
}
static inline double gr_pow_dab(double a, double b) {
  if (a == 0)
    return b == 1 ? 1.0 : 0.0;
  return pow(a, b - 1) * (1 + b * log(a));
}
static inline double gr_pow_dbb(double a, double b, double y) {
  return (a == 0 && b >= 0) ? 0.0 : y * log(a) * log(a);
}

#endif
