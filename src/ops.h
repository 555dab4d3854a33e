/* SPDX-License-Identifier: MIT
 * The operation enum and metadata generated from ops.def, and the scalar helpers its
 * formulas call. Everything per operation comes from that one table.
 */
#ifndef GR_OPS_H
#define GR_OPS_H
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
/* The built-in function name closest to `name` (edit distance <= 2), or NULL. */
const char *gr_op_suggest(const char *name);
/* NULL-terminated list of the user-visible function names (for help and completion). */
const char *const *gr_op_function_names(void);

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
