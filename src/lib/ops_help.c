/* SPDX-License-Identifier: GPL-3.0-or-later
 * One line of help per built-in function and operator: what it is and its domain are
 * written here; the derivative rule is the op table's symbolic partial (ops.def, columns
 * DA and DB) with the argument names put in, so help cannot disagree with the
 * differentiator. Rows without a partial in ops.def (the parser's own forms such as if,
 * sum, dot) carry their rule here.
 */
#include "ops.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Help {
  const char *name;   /* as typed: "sin", "+", "ln" */
  const char *op;     /* the ops.def row's name, or NULL */
  int nargs;          /* of that row */
  const char *params; /* "x" or "y, x": the names put in for a and b */
  const char *what;   /* what it is */
  const char *domain;
  const char *rule; /* the derivative rule when ops.def has none */
  const char *kink; /* the convention at kinks and jumps, or NULL */
} Help;

static const Help helps[] = {
    {"+", "+", 2, "x, y", "x + y: addition", "all reals", NULL, NULL},
    {"-", "-", 2, "x, y", "x - y: subtraction (and -x: negation)", "all reals", NULL, NULL},
    {"*", "*", 2, "x, y", "x * y: multiplication (also written x y)", "all reals", NULL, NULL},
    {"/", "/", 2, "x, y", "x / y: division", "y != 0 (x/0 is +-inf or NaN)", NULL, NULL},
    {"^", "^", 2, "x, y", "x ^ y: power (right-associative; also pow(x, y))",
     "x > 0, or any x for an integer y", NULL, "d/dx at x = 0 follows PyTorch: 0 for y = 0"},
    {"pow", "^", 2, "x, y", "pow(x, y) = x^y: power", "x > 0, or any x for an integer y", NULL,
     "d/dx at x = 0 follows PyTorch: 0 for y = 0"},
    {"==", "==", 2, "x, y", "x == y: 1 if equal, else 0", "all reals", NULL, NULL},
    {"!=", "!=", 2, "x, y", "x != y: 1 if different, else 0", "all reals", NULL, NULL},
    {"<", "<", 2, "x, y", "x < y: 1 or 0", "all reals", NULL, "a jump at x = y (warns), slope 0"},
    {"<=", "<=", 2, "x, y", "x <= y: 1 or 0", "all reals", NULL, "a jump at x = y (warns), slope 0"},
    {">", ">", 2, "x, y", "x > y: 1 or 0", "all reals", NULL, "a jump at x = y (warns), slope 0"},
    {">=", ">=", 2, "x, y", "x >= y: 1 or 0", "all reals", NULL, "a jump at x = y (warns), slope 0"},
    {"&&", "&&", 2, "x, y", "x && y: 1 if both are nonzero, else 0", "all reals", NULL, NULL},
    {"||", "||", 2, "x, y", "x || y: 1 if either is nonzero, else 0", "all reals", NULL, NULL},
    {"!", "!", 1, "x", "!x: 1 if x is 0, else 0", "all reals", NULL, NULL},
    {"sin", "sin", 1, "x", "sin(x): sine (radians)", "all reals", NULL, NULL},
    {"cos", "cos", 1, "x", "cos(x): cosine (radians)", "all reals", NULL, NULL},
    {"tan", "tan", 1, "x", "tan(x): tangent (radians)", "x != pi/2 + k pi", NULL, NULL},
    {"asin", "asin", 1, "x", "asin(x): inverse sine", "-1 <= x <= 1", NULL, "inf slope at +-1"},
    {"acos", "acos", 1, "x", "acos(x): inverse cosine", "-1 <= x <= 1", NULL, "inf slope at +-1"},
    {"atan", "atan", 1, "x", "atan(x): inverse tangent", "all reals", NULL, NULL},
    {"atan2", "atan2", 2, "y, x", "atan2(y, x): the angle of the point (x, y), in (-pi, pi]",
     "all reals (atan2(0, 0) = 0)", NULL, "the cut along x < 0, y = 0; at (0, 0) the partials are NaN (warns)"},
    {"sinh", "sinh", 1, "x", "sinh(x): hyperbolic sine", "all reals", NULL, NULL},
    {"cosh", "cosh", 1, "x", "cosh(x): hyperbolic cosine", "all reals", NULL, NULL},
    {"tanh", "tanh", 1, "x", "tanh(x): hyperbolic tangent", "all reals", NULL, NULL},
    {"asinh", "asinh", 1, "x", "asinh(x): inverse hyperbolic sine", "all reals", NULL, NULL},
    {"acosh", "acosh", 1, "x", "acosh(x): inverse hyperbolic cosine", "x >= 1", NULL, "inf slope at 1"},
    {"atanh", "atanh", 1, "x", "atanh(x): inverse hyperbolic tangent", "-1 < x < 1", NULL, NULL},
    {"exp", "exp", 1, "x", "exp(x): e^x", "all reals", NULL, NULL},
    {"expm1", "expm1", 1, "x", "expm1(x) = exp(x) - 1, exact near 0", "all reals", NULL, NULL},
    {"log", "log", 1, "x", "log(x): natural logarithm (also ln)", "x > 0 (log(0) = -inf)", NULL, NULL},
    {"ln", "log", 1, "x", "ln(x): natural logarithm (= log)", "x > 0 (ln(0) = -inf)", NULL, NULL},
    {"log1p", "log1p", 1, "x", "log1p(x) = log(1 + x), exact near 0", "x > -1", NULL, NULL},
    {"log2", "log2", 1, "x", "log2(x): base-2 logarithm", "x > 0", NULL, NULL},
    {"log10", "log10", 1, "x", "log10(x): base-10 logarithm", "x > 0", NULL, NULL},
    {"sqrt", "sqrt", 1, "x", "sqrt(x): square root", "x >= 0", NULL, "sqrt'(0) = inf (PyTorch)"},
    {"cbrt", "cbrt", 1, "x", "cbrt(x): cube root (real, negative for x < 0)", "all reals", NULL,
     "cbrt'(0) = inf"},
    {"abs", "abs", 1, "x", "abs(x) = |x|: absolute value", "all reals", NULL,
     "a kink at 0: abs'(0) = 0 (PyTorch; warns)"},
    {"sign", "sign", 1, "x", "sign(x): -1, 0 or 1", "all reals", NULL, "a jump at 0 (warns), slope 0"},
    {"min", "min", 2, "x, y", "min(x, y): the smaller (min(v): of a vector's elements)", "all reals",
     NULL, "a kink at x = y: the gradient splits 0.5/0.5 (PyTorch; warns)"},
    {"max", "max", 2, "x, y", "max(x, y): the larger (max(v): of a vector's elements)", "all reals",
     NULL, "a kink at x = y: the gradient splits 0.5/0.5 (PyTorch; warns)"},
    {"hypot", "hypot", 2, "x, y", "hypot(x, y) = sqrt(x^2 + y^2) without overflow", "all reals", NULL,
     "a kink at (0, 0): both partials are 0 there (warns)"},
    {"erf", "erf", 1, "x", "erf(x): the error function", "all reals", NULL, NULL},
    {"erfc", "erfc", 1, "x", "erfc(x) = 1 - erf(x), exact for large x", "all reals", NULL, NULL},
    {"lgamma", "lgamma", 1, "x", "lgamma(x) = log|gamma(x)|", "x not 0, -1, -2, ... (inf there)", NULL,
     NULL},
    {"gamma", "gamma", 1, "x", "gamma(x): the gamma function (gamma(n + 1) = n!)",
     "x not 0, -1, -2, ... (NaN at the negative integers)", NULL, NULL},
    {"digamma", "digamma", 1, "x", "digamma(x) = gamma'(x)/gamma(x)", "x not 0, -1, -2, ...", NULL,
     NULL},
    {"polygamma", "polygamma", 2, "n, x", "polygamma(n, x): the n-th derivative of digamma",
     "n = 0, 1, 2, ...; x not 0, -1, -2, ...", NULL, "no derivative in n (0)"},
    {"sigmoid", "sigmoid", 1, "x", "sigmoid(x) = 1/(1 + exp(-x))", "all reals", NULL, NULL},
    {"relu", "relu", 1, "x", "relu(x) = max(x, 0)", "all reals", NULL,
     "a kink at 0: relu'(0) = 0 (PyTorch; warns)"},
    {"softplus", "softplus", 1, "x", "softplus(x) = log(1 + exp(x)), without overflow", "all reals",
     NULL, NULL},
    {"floor", "floor", 1, "x", "floor(x): the largest integer <= x", "all reals", NULL,
     "jumps at the integers (warns), slope 0"},
    {"ceil", "ceil", 1, "x", "ceil(x): the smallest integer >= x", "all reals", NULL,
     "jumps at the integers (warns), slope 0"},
    {"round", "round", 1, "x", "round(x): the nearest integer, halves to even", "all reals", NULL,
     "jumps at the halves (warns), slope 0"},
    {"detach", "detach", 1, "x", "detach(x): the value of x, with derivative 0 (PyTorch's detach)",
     "all reals", NULL, NULL},
    {"stop_gradient", "detach", 1, "x", "stop_gradient(x): the value of x, with derivative 0 (= detach)",
     "all reals", NULL, NULL},
    {"if", NULL, 3, "c, x, y", "if(c, x, y): x where c is nonzero, else y", "all reals",
     "d/dx = (c != 0), d/dy = (c == 0), d/dc = 0", "only the branch taken gets a gradient"},
    {"where", NULL, 3, "c, x, y", "where(c, x, y) = if(c, x, y) (PyTorch's name)", "all reals",
     "d/dx = (c != 0), d/dy = (c == 0), d/dc = 0", "only the branch taken gets a gradient"},
    {"sum", NULL, 1, "v", "sum(v): the sum of a vector's elements", "vectors", "d/dv_i = 1", NULL},
    {"mean", NULL, 1, "v", "mean(v): the mean of a vector's elements", "vectors", "d/dv_i = 1/n",
     NULL},
    {"prod", NULL, 1, "v", "prod(v): the product of a vector's elements", "vectors",
     "d/dv_i = the product of the other elements", NULL},
    {"dot", NULL, 2, "u, v", "dot(u, v) = sum(u*v): the dot product", "vectors of one length",
     "d/du = v, d/dv = u", NULL},
    {"norm", NULL, 1, "v", "norm(v) = sqrt(sum(v^2)): the Euclidean norm", "vectors",
     "d/dv = v/norm(v)", "at v = 0 the gradient is 0"},
};

#define NHELP (sizeof helps / sizeof *helps)

/* s with the whole identifiers a and b replaced by p0 and p1. */
static void put_names(char *out, size_t cap, const char *s, const char *p0, const char *p1) {
  size_t k = 0;
  for (const char *p = s; *p && k + 1 < cap;) {
    if (isalpha((unsigned char)*p) || *p == '_') {
      const char *st = p;
      while (isalnum((unsigned char)*p) || *p == '_')
        p++;
      size_t n = (size_t)(p - st);
      const char *w = st;
      if (n == 1 && *st == 'a')
        w = p0, n = strlen(p0);
      else if (n == 1 && *st == 'b' && p1)
        w = p1, n = strlen(p1);
      for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = w[i];
      continue;
    }
    out[k++] = *p++;
  }
  out[k] = 0;
}

static const GrOpInfo *row(const char *name, int nargs) {
  for (int i = 0; i < GR_OP_COUNT; i++)
    if (gr_ops[i].nargs == nargs && !strcmp(gr_ops[i].name, name) && gr_ops[i].kind == GR_K_MATH)
      return &gr_ops[i];
  return NULL;
}

int gr_op_help(const char *name, char *out, size_t cap) {
  for (size_t i = 0; i < NHELP; i++) {
    const Help *h = &helps[i];
    if (strcmp(h->name, name))
      continue;
    char p0[16] = "", p1[16] = "", rule[256] = "";
    const char *comma = strchr(h->params, ',');
    if (comma) {
      snprintf(p0, sizeof p0, "%.*s", (int)(comma - h->params), h->params);
      snprintf(p1, sizeof p1, "%s", comma + 2);
    } else
      snprintf(p0, sizeof p0, "%s", h->params);
    const GrOpInfo *o = h->op ? row(h->op, h->nargs) : NULL;
    if (o && o->da) {
      char da[128], db[128] = "";
      put_names(da, sizeof da, o->da, p0, p1);
      if (o->db)
        put_names(db, sizeof db, o->db, p0, p1);
      if (o->db)
        snprintf(rule, sizeof rule, "d/d%s = %s, d/d%s = %s", p0, da, p1, db);
      else
        snprintf(rule, sizeof rule, "d/d%s = %s", p0, da);
    } else
      snprintf(rule, sizeof rule, "%s", h->rule ? h->rule : "");
    snprintf(out, cap, "%s; domain: %s; %s%s%s", h->what, h->domain, rule, h->kink ? "; " : "",
             h->kink ? h->kink : "");
    return 1;
  }
  return 0;
}
