/* SPDX-License-Identifier: GPL-3.0-or-later
 * Op metadata and the special functions that come from GSL. GSL's error handler must be
 * off (gr_ops_init does it): a domain error becomes NaN here, never an abort.
 */
#include "ops.h"
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <string.h>

const GrOpInfo gr_ops[GR_OP_COUNT] = {
#define OP(id, nm, n, kind, prec, V, PA, PB, PAA, PAB, PBB, KINK, DA, DB) {nm, n, kind, prec, DA, DB},
#include "ops.def"
#undef OP
};

/* At the poles (0, -1, -2, ...) the special functions follow PyTorch 1.13 where it gives
 * an infinity: digamma(+0) = -inf and digamma(-0) = +inf (the one-sided limits; NaN at the
 * negative integers, where the two sides disagree), polygamma(n, pole) = (-1)^(n+1) inf
 * (for odd n both sides agree; PyTorch returns a large finite number at the negative
 * integers, a rounding artefact of its reflection formula). */
static int is_pole(double x) { return x <= 0 && x == floor(x) && x != -INFINITY; }

double gr_psi(double x) {
  gsl_sf_result r;
  if (x == 0)
    return signbit(x) ? INFINITY : -INFINITY;
  if (is_pole(x))
    return NAN;
  if (gsl_sf_psi_e(x, &r) != GSL_SUCCESS)
    return NAN;
  return r.val;
}

double gr_psi_n(double n, double x) {
  gsl_sf_result r;
  if (n < 0 || n != floor(n) || n > 1000)
    return NAN;
  if (n == 0)
    return gr_psi(x);
  if (is_pole(x))
    return fmod(n, 2) == 1 ? INFINITY : -INFINITY;
  double sg = fmod(n, 2) == 1 ? 1 : -1; /* (-1)^(n+1) */
  if (x == INFINITY)
    return sg * 0.0;
  if (x > 1e15 || (x > 0 && x < 1e-15)) {
    /* GSL gives up where x^n over- or underflows. The asymptotic series (n-1)!/x^n
     * (1 + n/(2x)) beyond 1e15 and the pole term n!/x^(n+1) below 1e-15 are exact to the
     * last bits there; their factors i/x are all below 1 (above 1), so the product
     * under- (over-) flows only where the result does */
    double t = 1 / x;
    if (x > 1) {
      for (double i = 1; i < n && t != 0; i++)
        t *= i / x;
      t *= 1 + n / (2 * x);
    } else {
      for (double i = 1; i <= n && !isinf(t); i++)
        t *= i / x;
    }
    return sg * t;
  }
  if (n >= 2 && x <= 0) {
    /* GSL's psi_n takes x > 0 only for n >= 2 (psi and psi_1 reflect themselves): shift
     * up with psi_n(x) = psi_n(x + 1) - (-1)^n n! / x^(n+1) */
    if (x < -1e4)
      return NAN;
    double nf = exp(lgamma(n + 1)), s = 0, sgn = fmod(n, 2) == 0 ? 1 : -1;
    for (; x <= 0; x += 1)
      s += sgn * nf / pow(x, n + 1);
    double p = gr_psi_n(n, x);
    return p - s;
  }
  if (gsl_sf_psi_n_e((int)n, x, &r) != GSL_SUCCESS)
    return NAN;
  return r.val;
}

/* gamma(+0) = inf, gamma(-0) = -inf, NaN at the negative integers (C's tgamma; the two
 * sides of those poles have opposite signs). GSL's gamma stops at 171 (its overflow limit
 * is conservative): up to the true limit 171.62 one step of the recurrence, exact but for
 * one rounding, gamma(x) = (x - 1) gamma(x - 1). */
double gr_gamma(double x) {
  gsl_sf_result r;
  if (x == 0)
    return signbit(x) ? -INFINITY : INFINITY;
  if (is_pole(x))
    return NAN;
  if (x > 171 && x < 172) {
    if (gsl_sf_gamma_e(x - 1, &r) != GSL_SUCCESS)
      return NAN;
    return (x - 1) * r.val; /* inf beyond 171.6243769563027 */
  }
  int s = gsl_sf_gamma_e(x, &r);
  if (s == GSL_EOVRFLW)
    return x > 0 ? INFINITY : NAN;
  if (s != GSL_SUCCESS)
    return NAN;
  return r.val;
}

double gr_lgamma(double x) {
  gsl_sf_result r;
  if (isinf(x)) /* C's lgamma and PyTorch: inf at both ends */
    return INFINITY;
  if (gsl_sf_lngamma_e(x, &r) != GSL_SUCCESS)
    return is_pole(x) ? INFINITY : NAN;
  return r.val;
}

static const char *const function_names[] = {
    "sin",   "cos",    "tan",     "asin",    "acos",      "atan",   "atan2", "sinh",
    "cosh",  "tanh",   "asinh",   "acosh",   "atanh",     "exp",    "expm1", "log",
    "ln",    "log1p",  "log2",    "log10",   "sqrt",      "cbrt",   "pow",   "abs",
    "sign",  "min",    "max",     "hypot",   "erf",       "erfc",   "lgamma", "gamma",
    "digamma", "polygamma", "sigmoid", "relu", "softplus", "floor", "ceil", "round",
    "detach", "stop_gradient", "if", "where", "sum", "mean", "prod", "dot", "norm", NULL};

const char *const *gr_op_function_names(void) { return function_names; }

int gr_op_lookup(const char *name, int nargs) {
  if (!strcmp(name, "ln"))
    name = "log";
  if (!strcmp(name, "stop_gradient"))
    name = "detach";
  if (!strcmp(name, "where"))
    name = "if";
  if (!strcmp(name, "pow"))
    name = "^";
  for (int i = 0; i < GR_OP_COUNT; i++) {
    const GrOpInfo *o = &gr_ops[i];
    if (o->kind == GR_K_LEAF || i == GR_OP_LET)
      continue;
    if (o->prec && strcmp(name, "^"))
      continue; /* infix operators are not callable by name, except pow */
    if (o->nargs == nargs && !strcmp(o->name, name))
      return i;
  }
  return -1;
}

int gr_op_is_function(const char *name) {
  for (int i = 0; function_names[i]; i++)
    if (!strcmp(function_names[i], name))
      return 1;
  return 0;
}

int gr_edit_distance(const char *s, size_t n, const char *t) {
  size_t m = strlen(t);
  if (n > 30 || m > 30)
    return 99;
  int d[32][32];
  for (size_t i = 0; i <= n; i++)
    d[i][0] = (int)i;
  for (size_t j = 0; j <= m; j++)
    d[0][j] = (int)j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      int c = d[i - 1][j - 1] + (s[i - 1] != t[j - 1]);
      if (d[i - 1][j] + 1 < c)
        c = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < c)
        c = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && s[i - 1] == t[j - 2] && s[i - 2] == t[j - 1] && d[i - 2][j - 2] + 1 < c)
        c = d[i - 2][j - 2] + 1;
      d[i][j] = c;
    }
  return d[n][m];
}

const char *gr_op_suggest(const char *name) {
  const char *best = NULL;
  int bd = 3;
  for (int i = 0; function_names[i]; i++) {
    int dd = gr_edit_distance(name, strlen(name), function_names[i]);
    if (dd < bd) {
      bd = dd;
      best = function_names[i];
    }
  }
  /* a short name is a misspelling at one edit (sinn, co), not two (foo is not cos) */
  return (bd <= (strlen(name) <= 3 ? 1 : 2) && strlen(name) > 1) ? best : NULL;
}
