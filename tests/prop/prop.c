/* SPDX-License-Identifier: GPL-3.0-or-later
 * The properties. For one generated case (program text and point):
 *
 *   gradient     reverse mode = forward mode (tangent sweeps) = the symbolic derivative
 *                (gr_deriv + gr_simplify, evaluated) = the unsimplified symbolic derivative
 *                = central differences
 *   2nd order    Hessian by forward-over-reverse is symmetric; its rows = reverse mode of
 *                the symbolic gradient; its diagonal = the symbolic second derivative (as
 *                --order builds it: gr_simplify_ex with expansion after every step)
 *                = central differences of the reverse-mode gradient
 *   3rd, 4th     the symbolic 3rd derivative = reverse mode of the symbolic 2nd; the
 *                symbolic 4th = forward-over-reverse of the symbolic 2nd
 *   printing     the infix text of f (lets stripped) and of each symbolic derivative parses
 *                back and evaluates to the same values; gr_simplify(f) evaluates like f
 *   vectors      Jacobian by reverse = by forward = central differences; vjp = v^T J;
 *                jvp = J d; symbolic derivatives by the scalar variables = J's columns
 *   the program  on a subset, what grad --order, --hessian and --jvp print = the library
 *   robustness   no crash and no hang (each run's cases are checked in child processes; a
 *                crash or hang is a disagreement of class crash@STAGE or hang@STAGE)
 *
 * EXPLANATION RULES (what is not a disagreement):
 *   - Two NaNs agree; equal infinities agree.
 *   - Where f itself is not finite at the point, only reverse vs forward mode is compared,
 *     and only when both are finite (no derivative of a NaN or inf value is meaningful).
 *   - Central differences are skipped (and counted) where the function is not smooth near
 *     the point: a kink (the one-sided differences differ and the gap does not shrink with
 *     the step), roughness (the central differences at h and h/2 disagree: a jump, a pole
 *     within reach, or rounding noise larger than the signal), a non-finite value within
 *     h (the edge of the domain, a pole), or where the tape itself reports an op evaluated
 *     at its kink (abs at 0, a max tie: AD follows the documented convention there, and
 *     cos(abs(t)) is smooth while abs''(0) = 0). An infinite AD derivative against a
 *     smooth finite central difference IS a disagreement.
 *   - Central differences are not compared where the step is absorbed (x + h == x inside
 *     the expression: every sample equals f) but AD is not 0, nor where the expression
 *     holds detach (the value moves, the derivative is 0 by design) or where AD gives 0
 *     and the expression holds floor, ceil, round or sign (identity above 2^52, jumps).
 *   - Central differences are not compared for if() at an exact integer coordinate (where
 *     a condition flips exactly at the point both branches meet, maybe without a kink), nor
 *     where a 16 times longer step sees a different slope (the doubles resolve the function
 *     only in steps there: acos(expm1(y)) at -28).
 *   - Finite values that disagree at an ill-conditioned point (a coordinate within 1e-4
 *     of an integer but not on it) are counted, not failed: correct formulas that cancel
 *     differently keep few common digits there.
 *   - Tolerances: first derivatives rtol 1e-7 (AD vs symbolic), 1e-9 (reverse vs forward);
 *     second and higher atol 1e-8 (expanded formulas cancel terms of order 1); central
 *     differences rtol 1e-5 plus the Richardson error estimate and rounding noise.
 *   - A NaN from an AD route where central differences give a number IS a disagreement.
 * Everything else that disagrees is classified: matched against the table of known
 * defects (KNOWN below, the one place to delete entries from once fixes land) or counted
 * as an unexplained failure, with the shortest reproducer of each class kept.
 */
#include "prop.h"
#include "deriv.h"
#include "graph.h"
#include "jacobian.h"
#include "parse.h"
#include "print.h"
#include "simplify.h"
#include "tape.h"
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const vnames[PROP_NV] = {"x", "y", "z"};

/* ------------------------------------------------------------------------------------ */
/* Known defects: each a predicate over a disagreement. Delete an entry once its fix has
 * landed: the test then fails if the fix is missing or incomplete. */

typedef struct PDis {
  const PCase *c;
  const char *check; /* e.g. "reverse/fd" */
  char flavor[8];    /* kinds of the two values: F finite, N NaN, I inf, e.g. "N-F" */
  double a, b;
  double f;          /* value of f at the point */
  int inf_inside;    /* some intermediate value is not finite at the point */
} PDis;

static int has(const PDis *d, const char *s) { return strstr(d->c->src, s) != NULL; }
static int nonfinite_pair(const PDis *d) { return !isfinite(d->a) || !isfinite(d->b); }
static int symbolic_check(const PDis *d) {
  return strstr(d->check, "symbolic") || strstr(d->check, "order") || strstr(d->check, "simplify") ||
         strstr(d->check, "reprint");
}
/* src names variable `name` (as a whole identifier) */
static int uses_var(const char *src, const char *name) {
  size_t n = strlen(name);
  for (const char *p = src; *p; p++) {
    if (!(isalpha((unsigned char)*p) || *p == '_'))
      continue;
    const char *q = p;
    while (isalnum((unsigned char)*q) || *q == '_')
      q++;
    if ((size_t)(q - p) == n && !strncmp(p, name, n))
      return 1;
    p = q - 1;
  }
  return 0;
}
/* some coordinate of a variable the expression uses satisfies pred */
static int point_has(const PDis *d, int (*pred)(double)) {
  for (int v = 0; v < PROP_NV; v++)
    if (uses_var(d->c->src, vnames[v]))
      for (int i = 0; i < (d->c->vector ? PROP_VLEN : 1); i++)
      if (pred(d->c->pt[v][i]))
        return 1;
  return 0;
}
static int huge(double v) { return fabs(v) >= 100; }

/* a bare gamma( call, not lgamma, digamma, polygamma */
static int has_gamma(const PDis *d) {
  for (const char *p = d->c->src; (p = strstr(p, "gamma(")); p++)
    if (p == d->c->src || !strchr("lagi", p[-1]))
      return 1;
  return 0;
}
static int has_any(const PDis *d, const char *const *names) {
  for (int i = 0; names[i]; i++)
    if (has(d, names[i]))
      return 1;
  return 0;
}
static int near171(double v) { return fabs(v) >= 100 && fabs(v) < 200; }

static int near_integer(double v) { return fabs(v - nearbyint(v)) < 1e-4; }
static int nonpositive_integer(double v) { return v <= 0 && v == nearbyint(v); }
static int k_psi_poles(const PDis *d) {
  return (has(d, "lgamma(") || has(d, "digamma(") || has(d, "polygamma(")) &&
         ((nonfinite_pair(d) && point_has(d, near_integer)) || point_has(d, nonpositive_integer));
}
static int k_gamma171(const PDis *d) { return has_gamma(d) && nonfinite_pair(d) && point_has(d, near171); }
static int tiny(double v);
static int k_range(const PDis *d) {
  return point_has(d, huge) || point_has(d, tiny) ||
         (!nonfinite_pair(d) && fmax(fabs(d->a), fabs(d->b)) < 1e-150);
}
static int tiny(double v) { return v != 0 && fabs(v) < 1e-150; }
static int k_atan2_scale(const PDis *d) {
  return symbolic_check(d) && has(d, "atan2(") && point_has(d, tiny);
}
static int k_vec_symbolic(const PDis *d) {
  return symbolic_check(d) && (d->c->vector || has(d, "[") || has(d, "dot(") || has(d, "norm("));
}
static int k_zero_inf(const PDis *d) {
  static const char *const edges[] = {"sqrt(", "cbrt(", "acos(", "asin(", "atanh(", "acosh(", "log",
                                      "^", "/", "gamma(", "tan(", "atan2(", NULL};
  return nonfinite_pair(d) && has_any(d, edges);
}
static int k_through_inf(const PDis *d) { return d->inf_inside && (isfinite(d->a) || isfinite(d->b)); }
static int k_expansion(const PDis *d) {
  return !nonfinite_pair(d) && (!strncmp(d->check, "order2", 6) || !strncmp(d->check, "order3", 6) ||
                                !strncmp(d->check, "order4", 6) || !strncmp(d->check, "cli-order", 9) ||
                                strstr(d->check, "of-symbolic") ||
                                !strncmp(d->check, "reprint-order", 13));
}
static int ten(double v) { return fabs(v) >= 10; }
static int k_dense_poles(const PDis *d) {
  static const char *const polar[] = {"gamma(", "tan(", NULL};
  return !nonfinite_pair(d) && strstr(d->check, "fd") && has_any(d, polar) && point_has(d, ten);
}
static int k_tanh_tail(const PDis *d) {
  return !nonfinite_pair(d) && (has(d, "tanh(") || has(d, "sigmoid(")) && strstr(d->check, "fd");
}

/* One row per known defect: a name, the issue, the predicate. Each has a reproducer in
 * prop_run.c's fixed cases (checked in every run), so that deleting a row whose fix is
 * missing fails the test deterministically. */
typedef struct PKnown {
  const char *name, *issue;
  int (*match)(const PDis *);
  int crash; /* the row is about crashes and hangs, which no other row explains */
} PKnown;

/* KNOWN DEFECTS. The first row that matches names the class: rows that name a function
 * and a region of the point first, then the mechanisms (masking, 0 * inf), then the rest.
 * The classification is by the text and the point, not by the sub-expression at fault, so
 * a disagreement can land in a neighbouring row; every row has a fixed reproducer in
 * prop_run.c that lands in it. */
static const PKnown KNOWN[] = {
    {"psi-poles", "poles of lgamma/digamma/polygamma (digamma is NaN at the negative integers, as in "
     "PyTorch): exp(-lgamma(x)) at -1: reverse 0, the symbolic formula NaN -- documented, not "
     "a defect (grad(1) CONVENTIONS, Printed formulas: exp(-inf) = 0 is a strong zero only "
     "on the tape); also vector variables in sum() of the symbolic route and poles within "
     "the central-difference step", k_psi_poles, 0},
    {"gamma-171", "gamma near 171: for atan(gamma(x)) at 171.5 (gamma = 9.5e307) the symbolic formula "
     "digamma(x)*gamma(x)/(gamma(x)^2 + 1) is inf/inf = NaN (reverse and forward mode 0, "
     "true 5.4e-308) -- documented, not a defect (grad(1) CONVENTIONS, Printed formulas)", k_gamma171, 0},
    {"atan2-scale",
     "documented, not a defect (grad(1) CONVENTIONS, Range): the printed partials of atan2, "
     "b/(a^2 + b^2), underflow to 0/0 for |a|, |b| < 1e-154 (and overflow above 1e154), so "
     "the symbolic formula of atan2(y, z) at y=z=1e-300 gives inf (true 5e299, which the "
     "sweeps compute scaled, first and second partials)",
     k_atan2_scale, 0},
    {"range-edge", "intermediate overflow/underflow at the edge of the double range: log(1/exp(x)) at 709: "
     "the Hessian (forward over reverse, whose second partials are not range-safe) is -1, "
     "true 0, and the unsimplified formula's first derivative -0 (exp(x)^2 overflows); "
     "second derivatives of printed formulas at subnormal points (x/hypot(x, 0) at 5e-324: "
     "hypot^2 underflows); derivatives below 1e-150 flushed to 0",
     k_range, 0},
    {"vector-symbolic",
     "vector expressions in symbolic mode: the first derivative of prod(v) is the product of "
     "the others, masked by if(sum(v == 0) == (v == 0), ..., 0), right where elements are 0; "
     "its derivative is taken branch-wise, so second derivatives miss the masked branch's "
     "slope there: prod([3, 1, 0] + x) at 0: d2 = 4 (true 8)",
     k_vec_symbolic, 0},
    {"zero-times-inf",
     "0 * inf where a partial is infinite at a domain edge -- documented, not a defect "
     "(grad(1) CONVENTIONS): cos(acos(x)) at 1: reverse and forward 0 (strong zero of "
     "-sin(0)), the symbolic formula NaN (PyTorch NaN); cbrt(x - x) at 0: reverse NaN "
     "(inf - inf), forward 0, central differences 0 (PyTorch NaN). Not documented: atan2 at "
     "the origin, where the Hessian is NaN and reverse mode of the symbolic gradient 0 (the "
     "formula's factor a = 0 is a strong zero there): atan2((round(e) && z), z) at z=0",
     k_zero_inf, 0},
    {"through-infinity",
     "a strong zero stops an infinite intermediate whose effect was finite -- documented, not "
     "a defect (grad(1) CONVENTIONS): grad '3/(1/y)' --at y=0 gives 0 in reverse and forward "
     "mode (true 3; PyTorch NaN), the simplified formula is 3",
     k_through_inf, 0},
    {"order-expansion",
     "--order's expanded formulas cancel huge terms: grad --order 4 'u = cosh(abs(x)); tanh(u)' "
     "--at x=12.75 gives d3 = -2, d4 = 4194304 (true values are below 1e-100000, that is 0)",
     k_expansion, 0},
    {"dense-poles",
     "not an engine defect: central differences cannot see the derivative of lgamma, digamma "
     "or tan of an argument that crosses many poles within the step: lgamma(sinh(x)) at "
     "-19.33 (reverse mode 3.1e9 is the local slope, central differences 2.3e9 the trend)",
     k_dense_poles, 0},
    {"saturation-tail",
     "tanh'(a) = 1 - y^2 and sigmoid'(a) = y*(1 - y) keep only absolute accuracy in the tails: "
     "relative error 2e-4 at tanh(12), 1e-4 at sigmoid(19) (seen against central differences "
     "of the gradient)",
     k_tanh_tail, 0},
};
#define NKNOWN ((int)(sizeof KNOWN / sizeof *KNOWN))

/* ------------------------------------------------------------------------------------ */
/* Tallies */

typedef struct PClass {
  char key[64];
  int known; /* index in KNOWN, or -1 */
  long count;
  char src[PROP_SRC_MAX];
  int vector;
  double pt[PROP_NV][PROP_VLEN];
  double a, b;
} PClass;

static PClass *classes;
static int nclasses, ccap;
static long known_count[NKNOWN];

static int is_crash(const PDis *d) {
  return !strncmp(d->check, "crash", 5) || !strncmp(d->check, "hang", 4) ||
         !strncmp(d->check, "cli-crash", 9);
}

/* Rows named in $PROP_DROP_KNOWN (comma-separated) are ignored: what deleting them would
 * do, to see whether a fix has landed without editing the table. */
static int dropped(int k) {
  const char *e = getenv("PROP_DROP_KNOWN");
  size_t n = strlen(KNOWN[k].name);
  for (const char *p = e; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p))
    if (!strncmp(p, KNOWN[k].name, n) && (p[n] == ',' || !p[n]))
      return 1;
  return 0;
}

/* The row of KNOWN that explains d, or -1. The fixed reproducer of a row is explained by
 * that row first, and by nothing once the row is deleted (or dropped): so deleting a row
 * whose fix is missing fails the test. */
static int known_row(const PDis *d) {
  if (d->c->known) {
    int k = -1;
    for (int i = 0; i < NKNOWN; i++)
      if (!strcmp(KNOWN[i].name, d->c->known) && !dropped(i))
        k = i;
    if (k < 0)
      return -1;
    if (KNOWN[k].crash == is_crash(d) && KNOWN[k].match(d))
      return k;
  }
  for (int i = 0; i < NKNOWN; i++)
    if (KNOWN[i].crash == is_crash(d) && !dropped(i) && KNOWN[i].match(d))
      return i;
  return -1;
}

static void record(const PDis *d, PStats *st, int verbose) {
  int k = known_row(d);
  char key[64];
  if (k >= 0) {
    snprintf(key, sizeof key, "%s:%s", d->check, d->flavor); /* a sub-class of row k */
    st->excluded++;
    known_count[k]++;
  } else {
    snprintf(key, sizeof key, "%s:%s", d->check, d->flavor);
    st->failed++;
  }
  PClass *c = NULL;
  for (int i = 0; i < nclasses; i++)
    if (!strcmp(classes[i].key, key) && classes[i].known == k)
      c = &classes[i];
  if (!c) {
    if (nclasses == ccap) {
      ccap = ccap ? 2 * ccap : 32;
      classes = realloc(classes, (size_t)ccap * sizeof *classes);
      if (!classes)
        abort();
    }
    c = &classes[nclasses++];
    memset(c, 0, sizeof *c);
    snprintf(c->key, sizeof c->key, "%s", key);
    c->known = k;
  }
  c->count++;
  if (!c->src[0] || strlen(d->c->src) < strlen(c->src)) {
    snprintf(c->src, sizeof c->src, "%s", d->c->src);
    c->vector = d->c->vector;
    memcpy(c->pt, d->c->pt, sizeof c->pt);
    c->a = d->a;
    c->b = d->b;
  }
  if (verbose && (k < 0 || verbose > 1))
    fprintf(stderr, "%s [%s]: %.17g vs %.17g: %s at x=%.17g y=%.17g z=%.17g%s\n", d->check,
            k >= 0 ? KNOWN[k].name : "UNEXPLAINED", d->a, d->b, d->c->src, d->c->pt[0][0],
            d->c->pt[1][0], d->c->pt[2][0], d->c->vector ? " (x vector)" : "");
}

static char kind(double v) { return isnan(v) ? 'N' : isinf(v) ? 'I' : 'F'; }

static int agree(double a, double b, double rtol, double atol) {
  if (isnan(a) || isnan(b))
    return isnan(a) && isnan(b);
  if (isinf(a) || isinf(b))
    return a == b;
  return fabs(a - b) <= atol + rtol * fmax(fabs(a), fabs(b));
}

typedef struct Ctx {
  const PCase *c;
  PStats *st;
  int verbose, bad;
  double f; /* value at the point */
  int inf_inside; /* some intermediate value is not finite at the point */
  int at_kink;    /* the tape reports an op evaluated at its kink (abs at 0, a max tie) */
} Ctx;

/* A coordinate within 1e-4 of an integer but not on it, or nonzero and smaller than 1e-4:
 * near a pole, a branch point or a zero, where two correct formulas that cancel large
 * terms differently keep few common digits. */
static int near_singular(const PCase *c) {
  for (int v = 0; v < PROP_NV; v++)
    for (int i = 0; i < (c->vector ? PROP_VLEN : 1); i++) {
      double p = c->pt[v][i], r = nearbyint(p);
      if (p != r && fabs(p - r) < 1e-4)
        return 1;
    }
  return 0;
}

/* In a checking child (prop_check_batch) disagreements go up this pipe. */
static int child_fd = -1;
typedef struct PMsg {
  char check[48];
  double a, b, f;
  int end; /* 1: the case ends (its PStats follow); 2: a stage name; 3: case (long)a begins */
  int inf_inside;
} PMsg;

/* In a child: tell the parent which part of the checks runs now (named in a crash class). */
static void stage(const char *what) {
  if (child_fd < 0)
    return;
  PMsg m = {{0}, 0, 0, 0, 2, 0};
  snprintf(m.check, sizeof m.check, "%s", what);
  if (write(child_fd, &m, sizeof m) != (ssize_t)sizeof m)
    _exit(3);
}

static void compare(Ctx *x, const char *check, double a, double b, double rtol, double atol) {
  x->st->comparisons++;
  if (agree(a, b, rtol, atol)) {
    x->st->agree++;
    return;
  }
  if (isfinite(a) && isfinite(b) && near_singular(x->c)) { /* rule: ill-conditioned point */
    x->st->illcond++;
    return;
  }
  if (child_fd >= 0) {
    PMsg m = {{0}, a, b, x->f, 0, x->inf_inside};
    snprintf(m.check, sizeof m.check, "%s", check);
    if (write(child_fd, &m, sizeof m) != (ssize_t)sizeof m)
      _exit(3);
    return;
  }
  PDis d = {x->c, check, {kind(a), '-', kind(b), 0}, a, b, x->f, x->inf_inside};
  record(&d, x->st, x->verbose);
  if (known_row(&d) < 0)
    x->bad++;
}

/* ------------------------------------------------------------------------------------ */
/* Parsing, compiling, evaluating */

static GrNode *parse(GrGraph *g, const char *src, GrDiag *d) {
  static const char *const vars[] = {"x", "y", "z", NULL};
  GrEnv env = {0};
  GrParseOpts po = {vars, &env, 0};
  GrParsed p;
  GrStatus s = gr_parse(g, src, &po, &p, d);
  gr_env_free(&env);
  return s == GR_OK ? p.out : NULL;
}

static GrTape *compile(const PCase *c, GrGraph *g, GrNode *const *outs, size_t n) {
  size_t *vl = calloc((size_t)g->nvars + 1, sizeof *vl);
  for (int v = 0; v < g->nvars; v++)
    vl[v] = c->vector && !strcmp(g->vars[v], "x") ? PROP_VLEN : 1;
  GrTape *t = NULL;
  GrDiag d;
  if (gr_tape_compile(g, outs, n, vl, &t, &d) != GR_OK)
    t = NULL;
  free(vl);
  return t;
}

/* graph variable index -> index in x, y, z */
static int vslot(const GrGraph *g, int v) {
  for (int k = 0; k < PROP_NV; k++)
    if (!strcmp(g->vars[v], vnames[k]))
      return k;
  return -1;
}

/* write pt (with pt[k][i] shifted by h when k == dk, i == di) and run forward */
static void set_point(GrTape *t, const GrGraph *g, const double pt[PROP_NV][PROP_VLEN], int dk,
                      int di, double h) {
  for (int v = 0; v < g->nvars; v++) {
    double *x = gr_tape_var(t, v);
    int k = vslot(g, v);
    if (!x || k < 0)
      continue;
    size_t len = gr_tape_var_len(t, v);
    for (size_t i = 0; i < len; i++)
      x[i] = pt[k][i] + (k == dk && (int)i == di ? h : 0);
  }
  gr_tape_forward(t);
}

static int kink_reported(const GrTape *t) {
  GrTapeIssue is[64];
  size_t n = gr_tape_issues(t, is, 64);
  for (size_t i = 0; i < n; i++)
    if (is[i].kind == 0)
      return 1;
  return 0;
}

static int any_nonfinite(const GrTape *t) {
  for (size_t i = 0; i < t->nvals; i++)
    if (!isfinite(t->val[i]))
      return 1;
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Central differences with smoothness detection */

typedef double (*Fn)(void *ctx, double h); /* the function at the point shifted by h */

enum { FD_OK, FD_KINK, FD_ROUGH, FD_DOMAIN, FD_ABSORBED };

static int central(Fn fn, void *ctx, double x0, double *D, double *err) {
  double h = ldexp(1.0, ilogb(fmax(fabs(x0), 1.0)) - 17);
  double f0 = fn(ctx, 0), fp1 = fn(ctx, h), fm1 = fn(ctx, -h), fp2 = fn(ctx, h / 2),
         fm2 = fn(ctx, -h / 2);
  if (!isfinite(f0) || !isfinite(fp1) || !isfinite(fm1) || !isfinite(fp2) || !isfinite(fm2))
    return FD_DOMAIN;
  if (fp1 == f0 && fm1 == f0 && fp2 == f0 && fm2 == f0)
    return FD_ABSORBED;
  double mag = fmax(fabs(f0), fmax(fmax(fabs(fp1), fabs(fm1)), fmax(fabs(fp2), fabs(fm2))));
  double noise = 16 * DBL_EPSILON * mag / h;
  double D1 = (fp1 - fm1) / (2 * h), D2 = (fp2 - fm2) / h;
  double j1 = fabs((fp1 - f0) / h - (f0 - fm1) / h), j2 = fabs((fp2 - f0) / (h / 2) - (f0 - fm2) / (h / 2));
  if (!isfinite(D1) || !isfinite(D2) || !isfinite(j1) || !isfinite(j2))
    return FD_DOMAIN;
  if (j2 > 0.7 * j1 && j2 > 16 * noise && j2 > 1e-9 * fabs(D2))
    return FD_KINK;
  double e = fabs(D1 - D2);
  if (e > 1e-3 * fmax(fabs(D1), fabs(D2)) + 16 * noise)
    return FD_ROUGH;
  /* a 16 times longer step must see the same slope: a function that the doubles resolve
   * only in steps (expm1(y) near -1: acos(expm1(y)) at -28) shows a different one */
  double fp3 = fn(ctx, 16 * h), fm3 = fn(ctx, -16 * h);
  if (isfinite(fp3) && isfinite(fm3)) {
    double D3 = (fp3 - fm3) / (32 * h);
    if (fabs(D3 - D2) > 0.05 * fmax(fabs(D3), fabs(D2)) + 256 * noise)
      return FD_ROUGH;
  }
  *D = D2 + (D2 - D1) / 3; /* Richardson */
  *err = 4 * e + 16 * noise;
  return FD_OK;
}

static void compare_fd(Ctx *x, const char *check, double ad, Fn fn, void *ctx, double x0) {
  if (!isfinite(x->f))
    return;
  if (strstr(x->c->src, "detach(")) { /* the value moves, the derivative is 0 by design */
    x->st->fd_skip_detach++;
    return;
  }
  /* floor, ceil, round, sign differentiate to 0 (PyTorch's convention) but are not flat
   * where every double is an integer (|a| >= 2^52) or where a jump lies within the step:
   * an AD zero against a central difference is not compared there */
  if (ad == 0 && (strstr(x->c->src, "floor(") || strstr(x->c->src, "ceil(") ||
                  strstr(x->c->src, "round(") || strstr(x->c->src, "sign("))) {
    x->st->fd_skip_detach++;
    return;
  }
  /* if/where takes the branch its condition selects at the point; where the condition
   * flips exactly there (an exact integer coordinate) the two sides can join without a kink
   * (if(y, y, 0) at 0): central differences straddle both branches */
  if (strstr(x->c->src, "if(") && x0 == nearbyint(x0)) {
    x->st->fd_skip_branch++;
    return;
  }
  if (x->at_kink) { /* the tape flagged a kink at the point: AD follows the convention */
    x->st->fd_skip_kink_at_point++;
    return;
  }
  double D = 0, err = 0;
  int r = central(fn, ctx, x0, &D, &err);
  if (r == FD_KINK) {
    x->st->fd_skip_kink++;
    return;
  }
  if (r == FD_ROUGH) {
    x->st->fd_skip_rough++;
    return;
  }
  if (r == FD_DOMAIN) {
    x->st->fd_skip_domain++;
    return;
  }
  if (r == FD_ABSORBED && ad != 0 && !isnan(ad)) { /* x + h rounds to x inside the expression */
    x->st->fd_skip_absorbed++;
    return;
  }
  if (r == FD_ABSORBED)
    D = err = 0;
  x->st->fd_done++;
  compare(x, check, ad, D, 1e-5, err + 1e-280);
}

/* f at the point shifted along one coordinate: value of output `out`, element `row` */
typedef struct FVal {
  GrTape *t;
  const GrGraph *g;
  const PCase *c;
  int k, i;
  size_t out, row;
  int grad_var; /* >= 0: the reverse-mode gradient by this graph variable instead of f */
} FVal;

static double fval(void *p, double h) {
  FVal *F = p;
  set_point(F->t, F->g, F->c->pt, F->k, F->i, h);
  if (F->grad_var < 0)
    return gr_tape_out(F->t, F->out)[F->row];
  gr_tape_reverse(F->t, F->out, NULL);
  const double *gv = gr_tape_grad(F->t, F->grad_var);
  return gv ? gv[0] : 0;
}

/* ------------------------------------------------------------------------------------ */
/* Printing and reading back */

#define TREE_MAX 20000 /* formulas printed as longer trees are not re-read */

/* Print n (infix, shortest round-trip numbers), parse it into a new graph and evaluate at
 * the point; NAN with *ok = 0 when it cannot be checked. */
static double reprint_value(Ctx *x, GrGraph *g, GrNode *n, size_t row, int *ok, int *parse_failed) {
  *ok = 0;
  *parse_failed = 0;
  if (gr_count_tree_ops(g, n) > TREE_MAX) {
    x->st->reprint_cut++;
    return NAN;
  }
  GrBuf b = {0};
  gr_print(&b, gr_strip_lets(g, n), GR_PRINT_INFIX, 0); /* as --symbolic prints */
  if (!b.s || strstr(b.s, "...")) {
    x->st->reprint_cut++;
    gr_buf_free(&b);
    return NAN;
  }
  GrGraph *g2 = gr_graph_new();
  GrDiag d;
  GrNode *o = parse(g2, b.s, &d);
  double v = NAN;
  for (int k = 0; o && k < g2->nvars; k++)
    if (vslot(g2, k) < 0) {
      o = NULL; /* a name that is not a variable of the case leaked into the text */
      snprintf(d.msg, sizeof d.msg, "unknown name '%s'", g2->vars[k]);
    }
  if (!o) {
    *parse_failed = 1;
    if (x->verbose)
      fprintf(stderr, "reprint: '%s' does not parse back: %s\n", b.s, d.msg);
  } else {
    GrTape *t = compile(x->c, g2, &o, 1);
    if (t) {
      set_point(t, g2, x->c->pt, -1, 0, 0);
      if (row < gr_tape_out_len(t, 0)) {
        v = gr_tape_out(t, 0)[row];
        *ok = 1;
      }
      gr_tape_free(t);
    } else
      *parse_failed = 1;
  }
  gr_graph_free(g2);
  gr_buf_free(&b);
  return v;
}

static void check_reprint(Ctx *x, GrGraph *g, GrNode *n, size_t row, double want, const char *check) {
  int ok, pf;
  double v = reprint_value(x, g, n, row, &ok, &pf);
  if (pf) {
    char k[64];
    snprintf(k, sizeof k, "%s-parse", check);
    compare(x, k, 0, 1, 0, 0); /* always a disagreement: the text does not read back */
    return;
  }
  if (ok)
    compare(x, check, v, want, 1e-9, 1e-12);
}

/* second and higher derivatives: expanded formulas cancel terms of order 1 */
#define ATOL2 1e-8

/* ------------------------------------------------------------------------------------ */
/* The grad program itself, for the modes that live only there (--order, --hessian, --jvp
 * as the program parses and prints them): run on every prop_cli_every-th scalar case. */

const char *prop_grad_path;
int prop_cli_every = 30;

/* Run argv, capture stdout (at most cap - 1 bytes); the wait status in *ws. */
static int run_capture(char *const *argv, char *buf, size_t cap, int *ws) {
  int fd[2];
  if (pipe(fd))
    return -1;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fd[0]);
    close(fd[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    if (!freopen("/dev/null", "w", stderr))
      _exit(127);
    execv(argv[0], argv);
    _exit(127);
  }
  close(fd[1]);
  size_t n = 0;
  ssize_t k;
  while ((k = read(fd[0], buf + n, cap - 1 - n)) > 0 && n + (size_t)k < cap - 1)
    n += (size_t)k;
  if (k > 0)
    n += (size_t)k;
  buf[n] = 0;
  close(fd[0]);
  waitpid(pid, ws, 0);
  return 0;
}

/* The numbers of the non-comment lines of TSV text, row-major; returns how many. Row
 * labels (a first field that is not a number) are skipped. */
static int tsv_numbers(const char *s, double *v, int max) {
  int n = 0;
  for (const char *line = s; *line && n < max;) {
    const char *end = strchr(line, '\n');
    if (!end)
      end = line + strlen(line);
    if (*line != '#') {
      const char *p = line;
      while (p < end && n < max) {
        char *e;
        double d = strtod(p, &e);
        if (e > p && (e == end || *e == '\t'))
          v[n++] = d;
        p = e > p ? e : p + 1;
        while (p < end && *p == '\t')
          p++;
        if (e == p - 1 && e < end && *e != '\t') /* a label: skip to the next tab */
          while (p < end && *p != '\t')
            p++;
      }
    }
    line = *end ? end + 1 : end;
  }
  return n;
}

/* grad with the case's point and the given mode options; 0 when it ran and exited 0 or 1 */
static int run_grad(Ctx *x, const GrGraph *g, const char *mode, const char *const *opts, int nopts,
                    char *out, size_t cap) {
  char at[PROP_NV * 40] = "", *argv[16];
  size_t n = 0;
  for (int v = 0; v < g->nvars; v++) {
    int k = vslot(g, v);
    if (k >= 0)
      n += (size_t)snprintf(at + n, sizeof at - n, "%s%s=%.17g", n ? "," : "", vnames[k], x->c->pt[k][0]);
  }
  int a = 0;
  argv[a++] = (char *)prop_grad_path;
  for (int i = 0; i < nopts && a < 12; i++)
    argv[a++] = (char *)opts[i];
  argv[a++] = (char *)"--format";
  argv[a++] = (char *)"tsv";
  if (n) {
    argv[a++] = (char *)"--at";
    argv[a++] = at;
  }
  argv[a++] = (char *)x->c->src;
  argv[a] = NULL;
  int ws = 0;
  if (run_capture(argv, out, cap, &ws))
    return -1;
  char check[48];
  if (WIFSIGNALED(ws)) {
    snprintf(check, sizeof check, "cli-crash@%s", mode);
    compare(x, check, 0, 1, 0, 0);
    return -1;
  }
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) > 1) {
    snprintf(check, sizeof check, "cli-status@%s", mode);
    compare(x, check, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, 0, 0, 0);
    return -1;
  }
  return 0;
}

static void check_cli(Ctx *x, const GrGraph *g, const double *rev, double H[PROP_NV][PROP_NV],
                      const double *ord, int no, int w) {
  static char out[1 << 16];
  double v[64];
  int nv = g->nvars;
  if (!nv)
    return;
  x->st->cli_cases++;
  /* --order: derivatives 1..no by the variable w */
  char ns[8];
  snprintf(ns, sizeof ns, "%d", no);
  const char *o1[] = {"--order", ns, "--wrt", g->vars[w]};
  if (no >= 1 && !run_grad(x, g, "order", o1, 4, out, sizeof out)) {
    /* lines "k<TAB>value": the values are every second number */
    int n = tsv_numbers(out, v, 64);
    if (n != 2 * no)
      compare(x, "cli-order-output", n, 2 * no, 0, 0);
    else {
      compare(x, "cli-order1/reverse", v[1], rev[w], 1e-7, 1e-10);
      if (no >= 2)
        compare(x, "cli-order2/hessian-diag", v[3], H[w][w], 1e-7, ATOL2);
      for (int k = 0; k < no; k++)
        compare(x, "cli-order/library", v[2 * k + 1], ord[k], 1e-12, 1e-300);
    }
  }
  /* --hessian: the matrix by forward-over-reverse */
  const char *o2[] = {"--hessian"};
  if (!run_grad(x, g, "hessian", o2, 1, out, sizeof out)) {
    int n = tsv_numbers(out, v, 64);
    if (n != nv * nv)
      compare(x, "cli-hessian-output", n, nv * nv, 0, 0);
    else
      for (int i = 0; i < nv; i++)
        for (int j = 0; j < nv; j++)
          compare(x, "cli-hessian/library", v[i * nv + j], H[i][j], 1e-12, 1e-300);
  }
  /* --jvp: the gradient along a direction */
  char dir[PROP_NV * 40] = "";
  size_t dn = 0;
  double want = 0, m = 0;
  for (int i = 0; i < nv; i++) {
    double d = (double)(i + 1) / 4 - 0.6;
    dn += (size_t)snprintf(dir + dn, sizeof dir - dn, "%s%s=%.17g", dn ? "," : "", g->vars[i], d);
    want += rev[i] * d;
    m = fmax(m, fabs(rev[i] * d));
  }
  const char *o3[] = {"--jvp", dir};
  if (!run_grad(x, g, "jvp", o3, 2, out, sizeof out)) {
    int n = tsv_numbers(out, v, 64); /* "f<TAB>value<TAB>jvp" */
    if (n != 2)
      compare(x, "cli-jvp-output", n, 2, 0, 0);
    else
      compare(x, "cli-jvp/reverse", v[1], want, 1e-9, 1e-12 * (1 + m));
  }
}

/* ------------------------------------------------------------------------------------ */
/* Scalar cases */

#define ORDER_MAX_OPS 5000 /* higher-order formulas larger than this are not pursued */

static void check_scalar(Ctx *x, GrGraph *g, GrNode *f) {
  const PCase *c = x->c;
  stage("ad");
  GrTape *t = compile(c, g, &f, 1);
  if (!t)
    return;
  int nv = g->nvars;
  if (nv > PROP_NV) { /* only x, y, z are variables of generated cases */
    compare(x, "unexpected-variable", 0, 1, 0, 0);
    gr_tape_free(t);
    return;
  }
  set_point(t, g, c->pt, -1, 0, 0);
  x->f = gr_tape_out(t, 0)[0];
  x->inf_inside = any_nonfinite(t);
  if (!isfinite(x->f))
    x->st->nonfinite_value++;
  int fin = isfinite(x->f);
  double rev[PROP_NV] = {0}, fwd[PROP_NV] = {0}, H[PROP_NV][PROP_NV] = {{0}};
  gr_tape_reverse(t, 0, NULL);
  for (int v = 0; v < nv; v++) {
    const double *gv = gr_tape_grad(t, v);
    rev[v] = gv ? gv[0] : 0;
  }
  x->at_kink = kink_reported(t);
  double one = 1;
  const double *dir[PROP_NV + 1] = {0};
  for (int v = 0; v < nv; v++) {
    memset(dir, 0, sizeof dir);
    dir[v] = &one;
    gr_tape_tangent(t, dir);
    fwd[v] = gr_tape_out_tangent(t, 0)[0];
    gr_tape_reverse(t, 0, NULL);
    gr_tape_reverse_tangent(t, 0);
    for (int i = 0; i < nv; i++) {
      const double *h = gr_tape_hvp(t, i);
      H[i][v] = h ? h[0] : 0;
    }
  }
  for (int v = 0; v < nv; v++)
    if (fin || (isfinite(rev[v]) && isfinite(fwd[v])))
      compare(x, "reverse/forward", rev[v], fwd[v], 1e-9, 1e-12);
  if (!fin) {
    gr_tape_free(t);
    return;
  }
  for (int i = 0; i < nv; i++)
    for (int j = i + 1; j < nv; j++)
      compare(x, "hessian-symmetry", H[i][j], H[j][i], 1e-7, ATOL2);
  /* central differences of f and of the reverse-mode gradient */
  for (int v = 0; v < nv; v++) {
    int k = vslot(g, v);
    if (k < 0 || !gr_tape_var(t, v))
      continue;
    FVal F = {t, g, c, k, 0, 0, 0, -1};
    compare_fd(x, "reverse/fd", rev[v], fval, &F, c->pt[k][0]);
    F.grad_var = v;
    compare_fd(x, "hessian-diag/fd", H[v][v], fval, &F, c->pt[k][0]);
  }
  set_point(t, g, c->pt, -1, 0, 0);

  /* symbolic: first derivatives (as --symbolic), unsimplified and simplified */
  stage("symbolic");
  GrDeriv *D = gr_deriv_new(g);
  GrNode *s1[PROP_NV] = {0}, *r1[PROP_NV] = {0};
  GrDiag dg;
  for (int v = 0; v < nv; v++) {
    if (gr_deriv(D, f, gr_var(g, g->vars[v]), &r1[v], &dg) != GR_OK) {
      compare(x, "symbolic-fails", 0, 1, 0, 0);
      gr_deriv_free(D);
      gr_tape_free(t);
      return;
    }
    s1[v] = gr_simplify(g, r1[v]);
  }
  /* the --order chain along one variable (expanding simplification, as --order does) */
  int w = nv ? (int)(strlen(c->src) % (size_t)nv) : 0;
  stage("order-chain");
  GrNode *o[5] = {f, 0, 0, 0, 0};
  int no = 0;
  for (int k = 1; k <= 4 && nv; k++) {
    if (gr_count_ops(g, o[k - 1]) > ORDER_MAX_OPS)
      break;
    GrNode *dk;
    if (gr_deriv(D, o[k - 1], gr_var(g, g->vars[w]), &dk, &dg) != GR_OK)
      break;
    o[k] = gr_simplify_ex(g, dk, 1);
    no = k;
  }
  stage("symbolic-eval");
  GrNode *sf = gr_simplify(g, f);
  /* one tape for every formula: s1, r1, o[1..no], sf */
  GrNode *outs[2 * PROP_NV + 6];
  size_t n = 0;
  for (int v = 0; v < nv; v++)
    outs[n++] = s1[v];
  for (int v = 0; v < nv; v++)
    outs[n++] = r1[v];
  for (int k = 1; k <= no; k++)
    outs[n++] = o[k];
  outs[n++] = sf;
  GrTape *ts = compile(c, g, outs, n);
  if (!ts) {
    compare(x, "symbolic-compile", 0, 1, 0, 0);
    goto done;
  }
  set_point(ts, g, c->pt, -1, 0, 0);
  double sv[2 * PROP_NV + 6];
  for (size_t i = 0; i < n; i++)
    sv[i] = gr_tape_out(ts, i)[0];
  for (int v = 0; v < nv; v++) {
    compare(x, "reverse/symbolic", rev[v], sv[v], 1e-7, 1e-10);
    compare(x, "symbolic-raw/simplified", sv[nv + v], sv[v], 1e-7, 1e-10);
  }
  compare(x, "simplify-value", sv[n - 1], x->f, 1e-9, 1e-12);
  if (no >= 1)
    compare(x, "order1/reverse", sv[2 * nv], rev[w], 1e-7, 1e-10);
  if (no >= 2)
    compare(x, "order2/hessian-diag", sv[2 * nv + 1], H[w][w], 1e-7, ATOL2);
  /* Hessian rows = reverse mode over the symbolic gradient */
  for (int i = 0; i < nv; i++) {
    gr_tape_reverse(ts, (size_t)i, NULL);
    for (int j = 0; j < nv; j++) {
      const double *gv = gr_tape_grad(ts, j);
      compare(x, "hessian/reverse-of-symbolic", H[i][j], gv ? gv[0] : 0, 1e-7, ATOL2);
    }
  }
  gr_tape_free(ts);
  /* orders 3 and 4 from the symbolic 2nd derivative by reverse and forward-over-reverse */
  if (no >= 3) {
    GrTape *t2 = compile(c, g, &o[2], 1);
    GrNode *o34[2] = {o[3], no >= 4 ? o[4] : o[3]};
    GrTape *t34 = compile(c, g, o34, 2);
    if (t2 && t34) {
      set_point(t2, g, c->pt, -1, 0, 0);
      set_point(t34, g, c->pt, -1, 0, 0);
      double d3 = gr_tape_out(t34, 0)[0], d4 = gr_tape_out(t34, 1)[0];
      double v2 = gr_tape_out(t2, 0)[0];
      if (isfinite(v2)) {
        gr_tape_reverse(t2, 0, NULL);
        const double *gv = gr_tape_grad(t2, w);
        compare(x, "order3/reverse-of-order2", d3, gv ? gv[0] : 0, 1e-7, ATOL2);
        if (no >= 4 && gr_tape_var(t2, w)) {
          memset(dir, 0, sizeof dir);
          dir[w] = &one;
          gr_tape_tangent(t2, dir);
          gr_tape_reverse(t2, 0, NULL);
          gr_tape_reverse_tangent(t2, 0);
          const double *hv = gr_tape_hvp(t2, w);
          compare(x, "order4/hvp-of-order2", d4, hv ? hv[0] : 0, 1e-7, ATOL2);
        }
      }
    }
    gr_tape_free(t2);
    gr_tape_free(t34);
  }
  /* printing: f and the first derivatives read back */
  stage("reprint");
  check_reprint(x, g, f, 0, x->f, "reprint-f");
  for (int v = 0; v < nv; v++)
    check_reprint(x, g, s1[v], 0, sv[v], "reprint-derivative");
  if (no >= 2)
    check_reprint(x, g, o[2], 0, sv[2 * nv + 1], "reprint-order2");
  if (prop_grad_path && prop_cli_every > 0 && (c->seq % (unsigned)prop_cli_every) == 0) {
    stage("cli");
    double ord[4] = {0};
    for (int k = 1; k <= no; k++)
      ord[k - 1] = sv[2 * nv + k - 1];
    check_cli(x, g, rev, H, ord, no, w);
  }
done:
  gr_deriv_free(D);
  gr_tape_free(t);
}

/* ------------------------------------------------------------------------------------ */
/* Vector cases: x has PROP_VLEN elements */

static void check_vector(Ctx *x, GrGraph *g, GrNode *f) {
  const PCase *c = x->c;
  stage("vector");
  GrTape *t = compile(c, g, &f, 1);
  if (!t) {
    compare(x, "vector-compile", 0, 1, 0, 0);
    return;
  }
  set_point(t, g, c->pt, -1, 0, 0);
  x->inf_inside = any_nonfinite(t);
  size_t R = gr_jac_rows(t);
  GrJacCol cols[PROP_NV];
  size_t nc = 0;
  for (int v = 0; v < g->nvars; v++)
    if (gr_tape_var(t, v))
      cols[nc++] = (GrJacCol){v, NULL, gr_tape_var_len(t, v)};
  size_t C = gr_jac_cols(cols, nc);
  double *val = calloc(R + 1, sizeof *val);
  int fin = 1;
  for (size_t r = 0; r < R; r++) {
    val[r] = gr_tape_out(t, 0)[r];
    fin &= isfinite(val[r]) != 0;
  }
  x->f = fin ? 0 : NAN;
  if (!fin)
    x->st->nonfinite_value++;
  /* gr_jacobian clears R * max(C, 1) entries */
  double *Jr = calloc(R * (C + 1) + 1, sizeof *Jr), *Jf = calloc(R * (C + 1) + 1, sizeof *Jf);
  double *u = calloc(R + C + 1, sizeof *u), *out = calloc(R + C + 1, sizeof *out);
  gr_jacobian(t, cols, nc, 0, Jr);
  x->at_kink = kink_reported(t);
  gr_jacobian(t, cols, nc, 1, Jf);
  for (size_t i = 0; i < R * C; i++)
    if (isfinite(val[i / C]) || (isfinite(Jr[i]) && isfinite(Jf[i])))
      compare(x, "jacobian-reverse/forward", Jr[i], Jf[i], 1e-9, 1e-12);
  if (fin) {
    /* vjp with a random cotangent, jvp with a random direction */
    PRng rr = {(uint64_t)strlen(c->src) * 31 + R};
    for (size_t r = 0; r < R; r++)
      u[r] = 2 * prng_unif(&rr) - 1;
    gr_vjp(t, u, cols, nc, out);
    for (size_t j = 0; j < C; j++) {
      double s = 0, m = 0;
      for (size_t r = 0; r < R; r++) {
        s += u[r] * Jr[r * C + j];
        m = fmax(m, fabs(u[r] * Jr[r * C + j]));
      }
      compare(x, "vjp/jacobian", out[j], s, 1e-9, 1e-12 * (1 + m));
    }
    double dv[PROP_NV][PROP_VLEN];
    const double *dir[PROP_NV + 1] = {0};
    double *dcol = calloc(C + 1, sizeof *dcol);
    size_t j = 0;
    for (size_t k = 0; k < nc; k++) {
      for (size_t i = 0; i < cols[k].len; i++)
        dcol[j++] = dv[k][i] = 2 * prng_unif(&rr) - 1;
      dir[cols[k].var] = dv[k];
    }
    gr_jvp(t, dir, out);
    for (size_t r = 0; r < R; r++) {
      double s = 0, m = 0;
      for (size_t j2 = 0; j2 < C; j2++) {
        s += Jf[r * C + j2] * dcol[j2];
        m = fmax(m, fabs(Jf[r * C + j2] * dcol[j2]));
      }
      compare(x, "jvp/jacobian", out[r], s, 1e-9, 1e-12 * (1 + m));
    }
    free(dcol);
    /* columns by central differences */
    j = 0;
    for (size_t k = 0; k < nc; k++)
      for (size_t i = 0; i < cols[k].len; i++, j++) {
        int vk = vslot(g, cols[k].var);
        for (size_t r = 0; r < R; r++) {
          FVal F = {t, g, c, vk, (int)i, 0, r, -1};
          x->f = val[r];
          compare_fd(x, "jacobian/fd", Jr[r * C + j], fval, &F, c->pt[vk][i]);
        }
      }
    x->f = 0;
    set_point(t, g, c->pt, -1, 0, 0);
    /* gr_simplify(f) evaluates like f; f reads back */
    GrNode *sf = gr_simplify(g, f);
    GrTape *ts = compile(c, g, &sf, 1);
    if (ts) {
      set_point(ts, g, c->pt, -1, 0, 0);
      for (size_t r = 0; r < R && r < gr_tape_out_len(ts, 0); r++)
        compare(x, "simplify-value", gr_tape_out(ts, 0)[r], val[r], 1e-9, 1e-12);
      gr_tape_free(ts);
    }
    for (size_t r = 0; r < R; r++)
      check_reprint(x, g, f, r, val[r], "reprint-f");
    /* symbolic derivatives by the scalar variables of a scalar output = J's columns */
    if (R == 1) {
      GrDeriv *D = gr_deriv_new(g);
      j = 0;
      for (size_t k = 0; k < nc; k++) {
        if (cols[k].len == 1) {
          GrNode *dn;
          GrDiag dg;
          if (gr_deriv(D, f, gr_var(g, g->vars[cols[k].var]), &dn, &dg) == GR_OK) {
            dn = gr_simplify(g, dn);
            GrTape *td = compile(c, g, &dn, 1);
            if (td) {
              set_point(td, g, c->pt, -1, 0, 0);
              compare(x, "reverse/symbolic", Jr[j], gr_tape_out(td, 0)[0], 1e-7, 1e-10);
              gr_tape_free(td);
            } else
              compare(x, "symbolic-compile", 0, 1, 0, 0);
          } else
            compare(x, "symbolic-fails", 0, 1, 0, 0);
        }
        j += cols[k].len;
      }
      gr_deriv_free(D);
    }
  }
  free(val);
  free(Jr);
  free(Jf);
  free(u);
  free(out);
  gr_tape_free(t);
}

int prop_check(const PCase *c, PStats *st, int verbose) {
  st->cases++;
  Ctx x = {c, st, verbose, 0, 0, 0, 0};
  GrGraph *g = gr_graph_new();
  GrDiag d;
  GrNode *f = parse(g, c->src, &d);
  if (!f) {
    st->parse_fail++;
    if (verbose)
      fprintf(stderr, "parse: %s: %s\n", c->src, d.msg);
    compare(&x, "parse", 0, 1, 0, 0);
  } else if (c->vector)
    check_vector(&x, g, f);
  else
    check_scalar(&x, g, f);
  gr_graph_free(g);
  return x.bad;
}

/* Cases first .. first+count-1 checked in child processes: a crash (or a hang longer than
 * secs per case) of the engine becomes a disagreement of class "crash@STAGE" or
 * "hang@STAGE" for that case, and a new child goes on with the next case. One child runs
 * many cases (forking per case is slow under ASan). Returns the number of unexplained
 * disagreements. */
long prop_check_batch(PCaseFn fn, void *ctx, long first, long count, PStats *st, int verbose,
                      unsigned secs) {
  PCase *c = malloc(sizeof *c);
  if (!c)
    abort();
  long bad = 0, next = first, end = first + count;
  while (next < end) {
    int fd[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fd))
      abort();
    pid_t pid = fork();
    if (pid < 0)
      abort();
    if (pid == 0) {
      close(fd[0]);
      child_fd = fd[1];
      for (long n = next; n < end; n++) {
        PMsg m = {{0}, (double)n, 0, 0, 3, 0}; /* case n begins */
        if (write(child_fd, &m, sizeof m) != (ssize_t)sizeof m)
          _exit(3);
        fn(ctx, n, c);
        alarm(secs);
        PStats cs = {0};
        prop_check(c, &cs, verbose);
        alarm(0);
        PMsg e = {{0}, 0, 0, 0, 1, 0}; /* case n ends: its tallies follow */
        if (write(child_fd, &e, sizeof e) != (ssize_t)sizeof e ||
            write(child_fd, &cs, sizeof cs) != (ssize_t)sizeof cs)
          _exit(3);
      }
      _exit(0);
    }
    close(fd[1]);
    long cur = -1;
    int in_case = 0;
    char where[48] = "start";
    PMsg m;
    while (read(fd[0], &m, sizeof m) == (ssize_t)sizeof m) {
      if (m.end == 3) {
        cur = (long)m.a;
        fn(ctx, cur, c);
        in_case = 1;
        snprintf(where, sizeof where, "start");
        continue;
      }
      if (m.end == 2) {
        memcpy(where, m.check, sizeof where);
        continue;
      }
      if (m.end == 1) {
        PStats cs;
        if (read(fd[0], &cs, sizeof cs) != (ssize_t)sizeof cs)
          break;
        long *dst = (long *)st;
        const long *src = (const long *)&cs;
        for (size_t i = 0; i < sizeof cs / sizeof(long); i++)
          dst[i] += src[i];
        in_case = 0;
        next = cur + 1;
        continue;
      }
      PDis d = {c, m.check, {kind(m.a), '-', kind(m.b), 0}, m.a, m.b, m.f, m.inf_inside};
      record(&d, st, verbose);
      bad += known_row(&d) < 0;
    }
    close(fd[0]);
    int ws = 0;
    waitpid(pid, &ws, 0);
    if (in_case) { /* the child died inside case cur */
      st->cases++;
      char what[64];
      snprintf(what, sizeof what, "%s@%s", WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM ? "hang" : "crash",
               where);
      PDis d = {c, what, "", 0, 0, NAN, 0};
      if (WIFSIGNALED(ws))
        snprintf(d.flavor, sizeof d.flavor, "sig%d", WTERMSIG(ws));
      else
        snprintf(d.flavor, sizeof d.flavor, "exit%d", WEXITSTATUS(ws));
      record(&d, st, verbose);
      bad += known_row(&d) < 0;
      next = cur + 1;
    } else if (next < end && cur < 0) { /* the child died before its first case */
      fprintf(stderr, "prop_run: a checking process died before its first case\n");
      abort();
    }
  }
  free(c);
  return bad;
}

/* ------------------------------------------------------------------------------------ */

static void put_case(FILE *f, const PClass *c) {
  fprintf(f, "      grad '%s' --at ", c->src);
  for (int v = 0; v < PROP_NV; v++) {
    if (v)
      fputc(',', f);
    fprintf(f, "%s=", vnames[v]);
    for (int i = 0; i < (c->vector && v == 0 ? PROP_VLEN : 1); i++)
      fprintf(f, "%s%.17g", i ? "," : "", c->pt[v][i]);
  }
  fprintf(f, "\n      (%.17g vs %.17g)\n", c->a, c->b);
}

void prop_report(FILE *f, const PStats *st) {
  fprintf(f, "cases %ld (f not finite at the point: %ld), comparisons %ld, agree %ld\n", st->cases,
          st->nonfinite_value, st->comparisons, st->agree);
  fprintf(f, "central differences: %ld compared; skipped: %ld kink, %ld rough, %ld domain edge\n",
          st->fd_done, st->fd_skip_kink, st->fd_skip_rough, st->fd_skip_domain);
  fprintf(f, "central differences skipped where the tape reports a kink at the point: %ld\n",
          st->fd_skip_kink_at_point);
  fprintf(f, "central differences skipped at a branch point of if(): %ld\n", st->fd_skip_branch);
  fprintf(f, "central differences skipped where the step was absorbed (x + h == x inside): %ld\n",
          st->fd_skip_absorbed);
  fprintf(f, "finite values disagreeing at ill-conditioned points (near an integer or 0): %ld\n",
          st->illcond);
  fprintf(f, "central differences skipped where detach or a step function makes the value move: %ld\n",
          st->fd_skip_detach);
  fprintf(f, "cases also run through the grad program (--order, --hessian, --jvp): %ld\n", st->cli_cases);
  fprintf(f, "formulas too long to re-read: %ld\n", st->reprint_cut);
  fprintf(f, "known defects (excluded, %ld disagreements):\n", st->excluded);
  for (int k = 0; k < NKNOWN; k++) {
    fprintf(f, "  %-20s %8ld  %s\n", KNOWN[k].name, known_count[k], KNOWN[k].issue);
    if (!known_count[k])
      fprintf(f, "    (not seen in this run, not even its fixed reproducer: fixed? then delete the row)\n");
    for (int i = 0; i < nclasses; i++)
      if (classes[i].known == k) {
        fprintf(f, "    %-38s %8ld\n", classes[i].key, classes[i].count);
        put_case(f, &classes[i]);
      }
  }
  fprintf(f, "unexplained disagreements: %ld\n", st->failed);
  for (int i = 0; i < nclasses; i++)
    if (classes[i].known < 0) {
      fprintf(f, "  %-40s %8ld\n", classes[i].key, classes[i].count);
      put_case(f, &classes[i]);
    }
}

int prop_failed_classes(void) {
  int n = 0;
  for (int i = 0; i < nclasses; i++)
    n += classes[i].known < 0;
  return n;
}
