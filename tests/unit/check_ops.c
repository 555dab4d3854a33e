/* SPDX-License-Identifier: GPL-3.0-or-later
 * Every GR_K_MATH row of ops.def, for each argument, at many points of its domain:
 * reverse-mode partials (PA, PB) against GSL's gsl_deriv_central of the value and against
 * the row's symbolic rule ("DA", "DB" parsed and evaluated); forward mode equal to reverse
 * mode; second partials (PAA, PAB, PBB, through gr_tape_reverse_tangent/gr_tape_hvp)
 * against central differences of the first partials. Then the kink conventions (PyTorch's)
 * and the kink warnings. A row without a domain below fails test_every_row_covered.
 */
#include "testutil.h"
#include <gsl/gsl_deriv.h>
#include <gsl/gsl_rng.h>

enum { NOFD_A = 1, NOFD_B = 2, INT_A = 4, INT_B = 8 };

static const struct Dom {
  int op;
  double alo, ahi, blo, bhi;
  int flags;
} doms[] = {
    {GR_OP_OR, -2, 2, -2, 2, 0},
    {GR_OP_AND, -2, 2, -2, 2, 0},
    {GR_OP_EQ, -2, 2, -2, 2, 0},
    {GR_OP_NE, -2, 2, -2, 2, 0},
    {GR_OP_LT, -2, 2, -2, 2, 0},
    {GR_OP_LE, -2, 2, -2, 2, 0},
    {GR_OP_GT, -2, 2, -2, 2, 0},
    {GR_OP_GE, -2, 2, -2, 2, 0},
    {GR_OP_ADD, -5, 5, -5, 5, 0},
    {GR_OP_SUB, -5, 5, -5, 5, 0},
    {GR_OP_MUL, -5, 5, -5, 5, 0},
    {GR_OP_DIV, -5, 5, 0.2, 4, 0},
    {GR_OP_DIV, -5, 5, -4, -0.2, 0},
    {GR_OP_NEG, -5, 5, 0, 0, 0},
    {GR_OP_NOT, -2, 2, 0, 0, 0},
    {GR_OP_POW, 0.2, 3, -3, 3, 0},
    {GR_OP_POW, -3, -0.2, -3, 4, INT_B | NOFD_B}, /* (-2)^3: d/db is NaN (log of a < 0) */
    {GR_OP_SIN, -6, 6, 0, 0, 0},
    {GR_OP_COS, -6, 6, 0, 0, 0},
    {GR_OP_TAN, -1.4, 1.4, 0, 0, 0},
    {GR_OP_ASIN, -0.95, 0.95, 0, 0, 0},
    {GR_OP_ACOS, -0.95, 0.95, 0, 0, 0},
    {GR_OP_ATAN, -5, 5, 0, 0, 0},
    {GR_OP_SINH, -4, 4, 0, 0, 0},
    {GR_OP_COSH, -4, 4, 0, 0, 0},
    {GR_OP_TANH, -4, 4, 0, 0, 0},
    {GR_OP_ASINH, -5, 5, 0, 0, 0},
    {GR_OP_ACOSH, 1.05, 6, 0, 0, 0},
    {GR_OP_ATANH, -0.95, 0.95, 0, 0, 0},
    {GR_OP_EXP, -5, 5, 0, 0, 0},
    {GR_OP_EXPM1, -5, 5, 0, 0, 0},
    {GR_OP_LOG, 0.05, 10, 0, 0, 0},
    {GR_OP_LOG1P, -0.9, 10, 0, 0, 0},
    {GR_OP_LOG2, 0.05, 10, 0, 0, 0},
    {GR_OP_LOG10, 0.05, 10, 0, 0, 0},
    {GR_OP_SQRT, 0.05, 10, 0, 0, 0},
    {GR_OP_CBRT, -8, 8, 0, 0, 0},
    {GR_OP_ABS, -5, 5, 0, 0, 0},
    {GR_OP_SIGN, -5, 5, 0, 0, 0},
    {GR_OP_ERF, -3, 3, 0, 0, 0},
    {GR_OP_ERFC, -3, 3, 0, 0, 0},
    {GR_OP_LGAMMA, 0.2, 8, 0, 0, 0},
    {GR_OP_LGAMMA, -2.9, -0.1, 0, 0, 0},
    {GR_OP_GAMMA, 0.2, 5, 0, 0, 0},
    {GR_OP_GAMMA, -2.9, -0.1, 0, 0, 0},
    {GR_OP_DIGAMMA, 0.2, 8, 0, 0, 0},
    {GR_OP_DIGAMMA, -2.9, -0.1, 0, 0, 0},
    {GR_OP_POLYGAMMA, 0, 3, 0.3, 6, INT_A | NOFD_A}, /* the order is an integer */
    {GR_OP_SIGMOID, -8, 8, 0, 0, 0},
    {GR_OP_RELU, -5, 5, 0, 0, 0},
    {GR_OP_SOFTPLUS, -8, 8, 0, 0, 0},
    {GR_OP_FLOOR, -5, 5, 0, 0, 0},
    {GR_OP_CEIL, -5, 5, 0, 0, 0},
    {GR_OP_ROUND, -5, 5, 0, 0, 0},
    {GR_OP_DETACH, -5, 5, 0, 0, NOFD_A}, /* the value passes, the gradient does not */
    {GR_OP_ATAN2, -3, 3, -3, 3, 0},
    {GR_OP_HYPOT, -3, 3, -3, 3, 0},
    {GR_OP_MIN, -3, 3, -3, 3, 0},
    {GR_OP_MAX, -3, 3, -3, 3, 0},
};
#define NDOMS (int)(sizeof doms / sizeof *doms)
#define NPOINTS 60

/* Points where a finite difference straddles a kink or a singularity. */
static int near_trouble(int op, double a, double b) {
  double fa = a - floor(a);
  switch (op) {
  case GR_OP_ABS: case GR_OP_SIGN: case GR_OP_RELU: case GR_OP_CBRT:
    return fabs(a) < 0.05;
  case GR_OP_FLOOR: case GR_OP_CEIL:
    return fa < 0.02 || fa > 0.98;
  case GR_OP_ROUND:
    return fabs(fa - 0.5) < 0.02;
  case GR_OP_MIN: case GR_OP_MAX: case GR_OP_EQ: case GR_OP_NE: case GR_OP_LT: case GR_OP_LE:
  case GR_OP_GT: case GR_OP_GE:
    return fabs(a - b) < 0.02;
  case GR_OP_TAN:
    return fabs(cos(a)) < 0.1;
  case GR_OP_ATAN2: case GR_OP_HYPOT:
    return a * a + b * b < 0.1;
  case GR_OP_GAMMA: case GR_OP_LGAMMA: case GR_OP_DIGAMMA:
    return a < 0.5 && fabs(a - nearbyint(a)) < 0.1;
  default:
    return 0;
  }
}

/* One op applied to variables a and b, compiled once and evaluated at many points. */
typedef struct Probe {
  GrGraph *g;
  GrTape *t;
  int op, va, vb; /* graph variable indices (vb < 0 for one argument) */
  double a, b;
  int what;       /* for fd(): 0 value, 1 d/da, 2 d/db */
  int wrt;        /* for fd(): 0 vary a, 1 vary b */
} Probe;

static void probe_init(Probe *p, int op) {
  memset(p, 0, sizeof *p);
  p->op = op;
  p->g = gr_graph_new();
  GrNode *A = gr_var(p->g, "a"), *B = gr_ops[op].nargs > 1 ? gr_var(p->g, "b") : NULL;
  GrNode *y = gr_node(p->g, op, A, B, NULL);
  ck_assert_int_eq(y->op, op);
  GrDiag d;
  ck_assert_int_eq(gr_tape_compile(p->g, &y, 1, NULL, &p->t, &d), GR_OK);
  p->va = 0;
  p->vb = B ? 1 : -1;
}

static void probe_free(Probe *p) {
  gr_tape_free(p->t);
  gr_graph_free(p->g);
}

/* value, then partials ga, gb by one reverse sweep */
static double probe_eval(Probe *p, double a, double b, double *ga, double *gb) {
  *gr_tape_var(p->t, p->va) = a;
  if (p->vb >= 0)
    *gr_tape_var(p->t, p->vb) = b;
  gr_tape_forward(p->t);
  double y = gr_tape_out(p->t, 0)[0];
  if (ga) {
    gr_tape_reverse(p->t, 0, NULL);
    *ga = gr_tape_grad(p->t, p->va)[0];
    if (gb)
      *gb = p->vb >= 0 ? gr_tape_grad(p->t, p->vb)[0] : 0;
  }
  return y;
}

static double fd_fn(double x, void *vp) {
  Probe *p = vp;
  double a = p->wrt == 0 ? x : p->a, b = p->wrt == 1 ? x : p->b, ga, gb;
  double y = probe_eval(p, a, b, &ga, &gb);
  return p->what == 0 ? y : p->what == 1 ? ga : gb;
}

/* central difference of p->what along argument wrt at (p->a, p->b) */
static double fd(Probe *p, int what, int wrt, double *abserr) {
  gsl_function F = {fd_fn, p};
  p->what = what;
  p->wrt = wrt;
  double x = wrt ? p->b : p->a, r;
  double h = 1e-3 * (fabs(x) > 1 ? fabs(x) : 1);
  gsl_deriv_central(&F, x, h, &r, abserr);
  return r;
}

/* the row's symbolic partial ("DA" or "DB") evaluated at (a, b) */
static double rule(const char *expr, double a, double b) {
  static const char *const ab[] = {"a", "b"};
  const double at[] = {a, b};
  double v = NAN;
  GrDiag d;
  ck_assert_msg(tu_eval(expr, ab, at, 2, &v, NULL, &d) == GR_OK, "rule '%s': %s", expr, d.msg);
  return v;
}

static void expect_fd(const char *what, int op, double a, double b, double got, double want,
                      double err, double rtol) {
  double tol = rtol * (fabs(want) > 1 ? fabs(want) : 1) + 10 * err;
  ck_assert_msg(fabs(got - want) <= tol,
                "%s of %s at a=%.17g b=%.17g: %.17g, finite difference %.17g (err %.3g)", what,
                gr_ops[op].name, a, b, got, want, err);
}

START_TEST(test_row) {
  const struct Dom *dm = &doms[_i];
  int op = dm->op, two = gr_ops[op].nargs > 1;
  Probe p;
  probe_init(&p, op);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 1234 + (unsigned long)_i);
  int checked = 0;
  for (int k = 0; k < NPOINTS * 4 && checked < NPOINTS; k++) {
    double a = dm->alo + (dm->ahi - dm->alo) * gsl_rng_uniform(r);
    double b = two ? dm->blo + (dm->bhi - dm->blo) * gsl_rng_uniform(r) : 0;
    if (dm->flags & INT_A)
      a = nearbyint(a);
    if (dm->flags & INT_B)
      b = nearbyint(b);
    if (near_trouble(op, a, b))
      continue;
    checked++;
    double ga, gb, y = probe_eval(&p, a, b, &ga, &gb);
    ck_assert_msg(isfinite(y), "%s(%g, %g) = %g", gr_ops[op].name, a, b, y);
    p.a = a;
    p.b = b;
    double err, want;
    /* first partials against finite differences of the value */
    if (!(dm->flags & NOFD_A)) {
      want = fd(&p, 0, 0, &err);
      expect_fd("d/da", op, a, b, ga, want, err, 1e-7);
    }
    if (two && !(dm->flags & NOFD_B)) {
      want = fd(&p, 0, 1, &err);
      expect_fd("d/db", op, a, b, gb, want, err, 1e-7);
    }
    /* ... and against the row's symbolic rule */
    ck_assert_msg(tu_close(ga, rule(gr_ops[op].da, a, b), 1e-13, 1e-300),
                  "%s: PA %.17g but DA '%s' gives %.17g at a=%g b=%g", gr_ops[op].name, ga,
                  gr_ops[op].da, rule(gr_ops[op].da, a, b), a, b);
    if (two)
      ck_assert_msg(tu_close(gb, rule(gr_ops[op].db, a, b), 1e-13, 1e-300),
                    "%s: PB %.17g but DB '%s' gives %.17g at a=%g b=%g", gr_ops[op].name, gb,
                    gr_ops[op].db, rule(gr_ops[op].db, a, b), a, b);
    /* forward mode (one tangent sweep per direction) equals reverse mode */
    probe_eval(&p, a, b, &ga, &gb);
    for (int wrt = 0; wrt <= two; wrt++) {
      const double one = 1;
      const double *dir[2] = {wrt == 0 ? &one : NULL, wrt == 1 ? &one : NULL};
      gr_tape_tangent(p.t, dir);
      double tan = gr_tape_out_tangent(p.t, 0)[0];
      ck_assert_msg(tu_close(tan, wrt ? gb : ga, 1e-15, 0), "%s: forward %.17g, reverse %.17g",
                    gr_ops[op].name, tan, wrt ? gb : ga);
      /* second partials: forward over reverse against differences of the first */
      gr_tape_reverse(p.t, 0, NULL);
      gr_tape_reverse_tangent(p.t, 0);
      for (int out = 0; out <= two; out++) {
        if (((wrt == 0 || out == 0) && (dm->flags & NOFD_A)) ||
            ((wrt == 1 || out == 1) && (dm->flags & NOFD_B)))
          continue;
        const double *hv = gr_tape_hvp(p.t, out == 0 ? p.va : p.vb);
        ck_assert_ptr_nonnull(hv);
        double h = hv[0];
        want = fd(&p, 1 + out, wrt, &err);
        char what[32];
        snprintf(what, sizeof what, "d2/d%cd%c", "ab"[out], "ab"[wrt]);
        expect_fd(what, op, a, b, h, want, err, 1e-6);
        /* fd() moved the point: restore the sweeps for the next output */
        probe_eval(&p, a, b, &ga, &gb);
        gr_tape_tangent(p.t, dir);
        gr_tape_reverse(p.t, 0, NULL);
        gr_tape_reverse_tangent(p.t, 0);
      }
    }
  }
  ck_assert_msg(checked >= NPOINTS / 2, "%s: only %d points away from kinks", gr_ops[op].name,
                checked);
  gsl_rng_free(r);
  probe_free(&p);
}
END_TEST

/* a new row in ops.def needs a domain above before its derivative counts as tested */
START_TEST(test_every_row_covered) {
  for (int op = 0; op < GR_OP_COUNT; op++) {
    if (gr_ops[op].kind != GR_K_MATH)
      continue;
    int found = 0;
    for (int i = 0; i < NDOMS; i++)
      found |= doms[i].op == op;
    ck_assert_msg(found, "op '%s' has no domain in check_ops.c", gr_ops[op].name);
    ck_assert_ptr_nonnull(gr_ops[op].da);
    if (gr_ops[op].nargs > 1)
      ck_assert_ptr_nonnull(gr_ops[op].db);
  }
}
END_TEST

/* special functions against GSL's own (and lgamma' = digamma) at a few fixed points */
START_TEST(test_special_values) {
  tu_assert_close(tu_value("gamma(5)"), 24, 1e-15, 0);
  tu_assert_close(tu_value("gamma(0.5)"), sqrt(M_PI), 1e-15, 0);
  tu_assert_close(tu_value("lgamma(10)"), log(362880.0), 1e-15, 0);
  tu_assert_close(tu_value("digamma(1)"), -0.57721566490153286, 1e-15, 0);
  tu_assert_close(tu_value("polygamma(1, 1)"), M_PI * M_PI / 6, 1e-15, 0);
  tu_assert_close(tu_value("erf(1) + erfc(1)"), 1, 1e-15, 0);
  tu_assert_close(tu_value("sigmoid(0)"), 0.5, 0, 0);
  tu_assert_close(tu_value("softplus(0)"), log(2), 1e-15, 0);
  tu_assert_close(tu_value("softplus(1000)"), 1000, 0, 0); /* no overflow */
  tu_assert_close(tu_value("softplus(-1000)"), 0, 0, 0);
  tu_assert_close(tu_value("sigmoid(-1000)"), 0, 0, 0);
  tu_assert_close(tu_value("round(2.5) + round(-0.5)"), 2, 0, 0); /* half to even */
  double g;
  tu_dx("lgamma(x)", 3.7, &g);
  tu_assert_close(g, tu_value("digamma(3.7)"), 1e-15, 0);
  tu_dx("gamma(x)", 4, &g);
  tu_assert_close(g, 6 * (1 + 0.5 + 1.0 / 3 - 0.57721566490153286), 1e-14, 0);
  /* out of the domain: NaN or inf, never an abort (GSL's handler is off) */
  ck_assert(!isfinite(tu_value("gamma(-1)")));
  ck_assert(!isfinite(tu_value("lgamma(0)")));
  ck_assert(isnan(tu_value("digamma(-2)")));
  ck_assert(isnan(tu_value("polygamma(1.5, 1)")));
  ck_assert(isnan(tu_value("polygamma(-1, 1)")));
  ck_assert(isinf(tu_value("gamma(200)")));
}
END_TEST

/* --- derivatives at kinks: PyTorch's conventions (DESIGN.md, REFERENCE.md) --- */
static const struct {
  const char *src;
  double x, y, dx, dy;
  int kink; /* gr_tape_issues must report a kink */
} kinks[] = {
    {"abs(x)", 0, 0, 0, 0, 1},
    {"abs(x)", -2, 0, -1, 0, 0},
    {"relu(x)", 0, 0, 0, 0, 1},
    {"relu(x)", 3, 0, 1, 0, 0},
    {"sign(x)", 0, 0, 0, 0, 1},
    {"sign(x)", 2, 0, 0, 0, 0},
    {"floor(x)", 1, 0, 0, 0, 1},
    {"floor(x)", 1.5, 0, 0, 0, 0},
    {"ceil(x)", -2, 0, 0, 0, 1},
    {"round(x)", 0.5, 0, 0, 0, 1},
    {"round(x)", 0.7, 0, 0, 0, 0},
    {"max(x, y)", 1, 1, 0.5, 0.5, 1},
    {"min(x, y)", 1, 1, 0.5, 0.5, 1},
    {"max(x, y)", 2, 1, 1, 0, 0},
    {"min(x, y)", 2, 1, 0, 1, 0},
    {"max([1, 1, 1]x)", 2, 0, 1, 0, 1}, /* three-way tie: 1/3 each, times 3 */
    {"min([1, 2, 3]x)", 2, 0, 1, 0, 0},
    {"min([1, 1, 3]x + y)", 2, 2, 1, 1, 1},
    {"hypot(x, y)", 0, 0, 0, 0, 1},
    {"x^2", -3, 0, -6, 0, 0},
    {"x^3", -2, 0, 12, 0, 0},       /* n x^(n-1) for constant n: (-2)^3 is fine */
    {"x^0", 0, 0, 0, 0, 0},         /* PyTorch masks b == 0 */
    {"x^y", 0, 2, 0, 0, 0},         /* d/dy at a = 0, b >= 0: 0 (PyTorch's mask) */
    {"if(x > 0, sqrt(x), x)", 0, 0, 1, 0, 1}, /* the untaken branch leaks no NaN */
    {"detach(x)*x", 3, 0, 3, 0, 0},
    {"x > y", 1, 1, 0, 0, 1},
};

START_TEST(test_kinks) {
  static const char *const n[] = {"x", "y"};
  const double at[] = {kinks[_i].x, kinks[_i].y};
  GrGraph *g = gr_graph_new();
  GrParseOpts po = {n, NULL, 0};
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, kinks[_i].src, &po, &p, &d), GR_OK);
  GrTape *t;
  ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, NULL, &t, &d), GR_OK);
  for (int v = 0; v < g->nvars; v++)
    *gr_tape_var(t, v) = at[gr_var_index(g, "x") == v ? 0 : 1];
  gr_tape_forward(t);
  gr_tape_reverse(t, 0, NULL);
  int vx = gr_var_index(g, "x"), vy = gr_var_index(g, "y");
  double dx = vx >= 0 && gr_tape_grad(t, vx) ? gr_tape_grad(t, vx)[0] : 0;
  double dy = vy >= 0 && gr_tape_grad(t, vy) ? gr_tape_grad(t, vy)[0] : 0;
  ck_assert_msg(dx == kinks[_i].dx && dy == kinks[_i].dy, "%s at (%g, %g): d/dx %g, d/dy %g",
                kinks[_i].src, kinks[_i].x, kinks[_i].y, dx, dy);
  GrTapeIssue is[4];
  size_t ni = gr_tape_issues(t, is, 4);
  int kink = 0;
  for (size_t i = 0; i < ni; i++)
    kink |= is[i].kind == 0;
  ck_assert_msg(kink == kinks[_i].kink, "%s: kink reported %d, expected %d", kinks[_i].src, kink,
                kinks[_i].kink);
  gr_tape_free(t);
  gr_graph_free(g);
}
END_TEST

/* sqrt'(0) = inf, reported as a non-finite derivative (kind 1) at the sqrt */
START_TEST(test_sqrt_zero) {
  static const char *const n[] = {"x"};
  GrGraph *g = gr_graph_new();
  GrParseOpts po = {n, NULL, 0};
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, "2*sqrt(x) + x", &po, &p, &d), GR_OK);
  GrTape *t;
  ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, NULL, &t, &d), GR_OK);
  *gr_tape_var(t, 0) = 0;
  gr_tape_forward(t);
  gr_tape_reverse(t, 0, NULL);
  ck_assert(isinf(gr_tape_grad(t, 0)[0]) && gr_tape_grad(t, 0)[0] > 0);
  GrTapeIssue is[4];
  ck_assert_uint_eq(gr_tape_issues(t, is, 4), 1);
  ck_assert_int_eq(is[0].kind, 1);
  ck_assert_int_eq(is[0].node->op, GR_OP_SQRT);
  ck_assert_uint_eq(is[0].node->off, 2); /* the span names the sub-expression */
  ck_assert_uint_eq(is[0].node->len, 7);
  gr_tape_free(t);
  gr_graph_free(g);
}
END_TEST

/* atan2's Hessian at a tiny and a huge scale t is its Hessian at (1, 2) over t^2: the
 * squares in -2ab/(a^2 + b^2)^2 leave the range where the result does not */
static void atan2_hessian(double a, double b, double h[2][2]) {
  GrGraph *g = gr_graph_new();
  GrNode *f = gr_node(g, GR_OP_ATAN2, gr_var(g, "y"), gr_var(g, "z"), NULL);
  GrTape *t;
  GrDiag d;
  ck_assert_int_eq(gr_tape_compile(g, &f, 1, NULL, &t, &d), GR_OK);
  int v[2] = {gr_var_index(g, "y"), gr_var_index(g, "z")};
  *gr_tape_var(t, v[0]) = a;
  *gr_tape_var(t, v[1]) = b;
  gr_tape_forward(t);
  for (int i = 0; i < 2; i++) {
    const double one = 1;
    const double *dir[2] = {NULL, NULL};
    dir[v[i]] = &one;
    gr_tape_tangent(t, dir);
    gr_tape_reverse(t, 0, NULL);
    gr_tape_reverse_tangent(t, 0);
    for (int j = 0; j < 2; j++)
      h[i][j] = gr_tape_hvp(t, v[j])[0];
  }
  gr_tape_free(t);
  gr_graph_free(g);
}

/* atan2(a, b) at a = 5e-324, b = 0: a^2 + b^2 underflows to 0, d/da = b/(a^2 + b^2) is
 * still exactly 0 (was 0/0) */
START_TEST(test_atan2_tiny) {
  GrGraph *g = gr_graph_new();
  GrNode *f = gr_node(g, GR_OP_ATAN2, gr_var(g, "y"), gr_var(g, "z"), NULL);
  GrTape *t;
  GrDiag d;
  ck_assert_int_eq(gr_tape_compile(g, &f, 1, NULL, &t, &d), GR_OK);
  int vy = gr_var_index(g, "y"), vz = gr_var_index(g, "z");
  *gr_tape_var(t, vy) = 5e-324;
  *gr_tape_var(t, vz) = 0;
  gr_tape_forward(t);
  gr_tape_reverse(t, 0, NULL);
  ck_assert_msg(gr_tape_grad(t, vy)[0] == 0, "d/dy %g", gr_tape_grad(t, vy)[0]);
  ck_assert(isinf(gr_tape_grad(t, vz)[0]) && gr_tape_grad(t, vz)[0] < 0);
  gr_tape_free(t);
  gr_graph_free(g);
}
END_TEST

/* atan'' at huge arguments, where (1 + a^2)^2 overflows: against central differences of
 * reverse mode's first derivative */
START_TEST(test_atan_second_huge) {
  static const double pts[] = {1e80, -1e90, 1e200, 9.483367566824801e307};
  for (size_t k = 0; k < sizeof pts / sizeof *pts; k++) {
    double a = pts[k], h = a * 1e-6, d[3];
    GrGraph *g = gr_graph_new();
    GrNode *f = gr_node(g, GR_OP_ATAN, gr_var(g, "x"), NULL, NULL);
    GrTape *t;
    GrDiag dg;
    ck_assert_int_eq(gr_tape_compile(g, &f, 1, NULL, &t, &dg), GR_OK);
    int vx = gr_var_index(g, "x");
    const double xs[3] = {a - h, a + h, a};
    for (int i = 0; i < 3; i++) {
      *gr_tape_var(t, vx) = xs[i];
      gr_tape_forward(t);
      gr_tape_reverse(t, 0, NULL);
      d[i] = gr_tape_grad(t, vx)[0];
    }
    const double one = 1;
    const double *dir[1] = {&one};
    gr_tape_tangent(t, dir);
    gr_tape_reverse(t, 0, NULL);
    gr_tape_reverse_tangent(t, 0);
    double hv = gr_tape_hvp(t, vx)[0], fd = (d[1] - d[0]) / (2 * h);
    ck_assert_msg(isfinite(hv) && fabs(hv - fd) <= 1e-6 * fabs(fd) + 1e-320,
                  "atan'' at %g: %.17g, central differences %.17g", a, hv, fd);
    gr_tape_free(t);
    gr_graph_free(g);
  }
}
END_TEST

START_TEST(test_atan2_hessian_scale) {
  double h1[2][2], h[2][2];
  atan2_hessian(1, 2, h1);
  static const double scale[] = {1e-100, 1e-120, 1e100, 1e120};
  for (size_t k = 0; k < sizeof scale / sizeof *scale; k++) {
    double t = scale[k];
    atan2_hessian(t, 2 * t, h);
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++)
        ck_assert_msg(fabs(h[i][j] * t * t - h1[i][j]) <= 1e-14 * fabs(h1[i][j]),
                      "atan2 at t*(1, 2), t=%g: H[%d][%d] = %.17g, want %.17g / t^2", t, i, j,
                      h[i][j], h1[i][j]);
  }
}
END_TEST

/* --- every op at special points: reverse mode equals forward mode --- */
static const double special_pts[] = {0,     -0.0,   1,       -1,      2,       -2,     0.5,
                                     -1.5,  3,      INFINITY, -INFINITY, NAN,   1e300, -1e300,
                                     1e-300, 5e-324, 171.5,  40,      -40};
#define NSPECIAL (int)(sizeof special_pts / sizeof *special_pts)

/* op(x, y) in three surroundings: alone; under sqrt (an infinite adjoint arrives where the
 * op's value is 0); over sqrt(x), sqrt(y) (infinite tangents arrive at x = 0). A zero local
 * partial (relu, floor, sign, the untaken side of max, ...) must stop an infinite adjoint in
 * reverse mode exactly as it stops an infinite tangent in forward mode. */
static GrNode *special_expr(GrGraph *g, int op, int form) {
  GrNode *x = gr_var(g, "x"), *y = gr_ops[op].nargs > 1 ? gr_var(g, "y") : NULL;
  if (form == 2) {
    x = gr_node(g, GR_OP_SQRT, x, NULL, NULL);
    y = y ? gr_node(g, GR_OP_SQRT, y, NULL, NULL) : NULL;
  }
  GrNode *f = gr_node(g, op, x, y, NULL);
  return form == 1 ? gr_node(g, GR_OP_SQRT, f, NULL, NULL) : f;
}

/* same double, or both NaN; a relative 1e-12 for rounding in another order. The sweeps
 * multiply in opposite orders, so one may overflow where the other stays in range (the
 * tangent of gamma at 171.5 is beyond the doubles, the adjoint of sqrt(gamma(x)) is not):
 * inf against a finite nonzero of the same sign passes; NaN against a number never does. */
static int same_number_tol(double a, double b, double rtol) {
  if (isnan(a) || isnan(b))
    return isnan(a) && isnan(b);
  if (a == b)
    return 1;
  if (isinf(a) || isinf(b))
    return a != 0 && b != 0 && (a > 0) == (b > 0);
  return fabs(a - b) <= rtol * fmax(fabs(a), fabs(b));
}
static int same_number(double a, double b) { return same_number_tol(a, b, 1e-12); }

START_TEST(test_special_points) {
  int op = _i;
  if (gr_ops[op].kind != GR_K_MATH)
    return;
  int two = gr_ops[op].nargs > 1;
  for (int form = 0; form < 3; form++) {
    GrGraph *g = gr_graph_new();
    GrNode *f = special_expr(g, op, form);
    if (f->op == GR_OP_CONST) { /* folded: nothing to sweep */
      gr_graph_free(g);
      continue;
    }
    GrTape *t;
    GrDiag d;
    ck_assert_int_eq(gr_tape_compile(g, &f, 1, NULL, &t, &d), GR_OK);
    int vx = gr_var_index(g, "x"), vy = two ? gr_var_index(g, "y") : -1;
    for (int i = 0; i < NSPECIAL; i++)
      for (int j = 0; j < (two ? NSPECIAL : 1); j++) {
        double x = special_pts[i], y = special_pts[j];
        if (op == GR_OP_POLYGAMMA) /* the order: small integers (and the bad ones) */
          x = i < 6 ? i : special_pts[i];
        if (gr_tape_var(t, vx))
          *gr_tape_var(t, vx) = x;
        if (vy >= 0 && gr_tape_var(t, vy))
          *gr_tape_var(t, vy) = y;
        gr_tape_forward(t);
        gr_tape_reverse(t, 0, NULL);
        double rev[2] = {0, 0};
        for (int v = 0; v <= two; v++) {
          const double *gv = gr_tape_grad(t, v ? vy : vx);
          rev[v] = gv ? gv[0] : 0;
        }
        for (int v = 0; v <= two; v++) {
          const double one = 1;
          const double *dir[2] = {NULL, NULL};
          dir[v ? vy : vx] = &one;
          gr_tape_tangent(t, dir);
          double fwd = gr_tape_out_tangent(t, 0)[0];
          /* at a subnormal point a tangent in between may be subnormal too: few bits */
          int sub = (x != 0 && fabs(x) < 0x1p-1022) || (two && y != 0 && fabs(y) < 0x1p-1022);
          ck_assert_msg(same_number_tol(rev[v], fwd, sub ? 1e-2 : 1e-12),
                        "%s (form %d) at x=%.17g y=%.17g: d/d%c reverse %.17g, forward %.17g",
                        gr_ops[op].name, form, x, y, "xy"[v], rev[v], fwd);
        }
        /* forward over reverse: an op whose derivative is identically 0 (floor, sign,
         * comparisons, ...) has second derivatives 0 too, whatever arrives; a binary op's
         * mixed partials agree both ways */
        int flat = !strcmp(gr_ops[op].da, "0") && (!two || !strcmp(gr_ops[op].db, "0"));
        double hv[2][2];
        for (int v = 0; v <= two; v++) {
          const double one = 1;
          const double *dir[2] = {NULL, NULL};
          dir[v ? vy : vx] = &one;
          gr_tape_tangent(t, dir);
          gr_tape_reverse(t, 0, NULL);
          gr_tape_reverse_tangent(t, 0);
          for (int w = 0; w <= two; w++) {
            const double *h = gr_tape_hvp(t, w ? vy : vx);
            hv[v][w] = h ? h[0] : 0;
            if (flat)
              ck_assert_msg(hv[v][w] == 0, "%s (form %d) at x=%.17g y=%.17g: d2/d%cd%c %.17g",
                            gr_ops[op].name, form, x, y, "xy"[w], "xy"[v], hv[v][w]);
          }
        }
        if (two && form == 0)
          ck_assert_msg(same_number(hv[0][1], hv[1][0]),
                        "%s at x=%.17g y=%.17g: d2/dydx %.17g, d2/dxdy %.17g", gr_ops[op].name,
                        x, y, hv[0][1], hv[1][0]);
      }
    gr_tape_free(t);
    gr_graph_free(g);
  }
}
END_TEST

/* the cases of the issue, and norm at the origin, pinned by value */
START_TEST(test_strong_zero_cases) {
  static const struct {
    const char *src;
    double x, dx;
  } c[] = {
      {"sqrt(relu(x))", -1, 0},
      {"sqrt(floor(x))", 0.5, 0},
      {"acos(sign(x))", 2, 0},
      {"x^ceil(x)", -1.5, -0.4444444444444444},
      {"norm([1, 1]*x)", 0, 0},
      {"sqrt(max(x, 0))", -3, 0},
      {"sqrt(min(x, 0))", 3, 0},
      {"sqrt(abs(x))*0 + sqrt(relu(-x))", 2, 0},
      {"log(1/exp(x))", 400, -1},
      {"log(1/exp(x))", -400, -1},
  };
  static const char *const n[] = {"x"};
  for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
    double v, dx;
    GrDiag d;
    ck_assert_int_eq(tu_eval(c[i].src, n, &c[i].x, 1, &v, &dx, &d), GR_OK);
    ck_assert_msg(dx == c[i].dx, "%s at %g: d/dx %.17g, want %.17g", c[i].src, c[i].x, dx,
                  c[i].dx);
  }
}
END_TEST

/* --- intermediates beyond the double range, results inside it --- */
static const struct {
  const char *src;
  double x, value, dx; /* dx NAN: the value only */
  int fwd;              /* 0: an intermediate tangent is outside the doubles: reverse only */
} extreme[] = {
#include "extreme_corpus.h"
};

/* Value, reverse mode and forward mode against mpmath's 50-digit values (rounded once). The
 * products of the adjoint rules are formed in an order that stays in range (gr_gdiv and
 * friends in ops.h); a plain g * partial gives 0 or inf for most of these. */
START_TEST(test_extreme_corpus) {
  static const char *const n[] = {"x"};
  const double tol = 1e-12;
  int bad = 0;
  for (size_t i = 0; i < sizeof extreme / sizeof *extreme; i++) {
    GrGraph *g = gr_graph_new();
    GrParseOpts po = {n, NULL, 0};
    GrParsed p;
    GrDiag d;
    ck_assert_int_eq(gr_parse(g, extreme[i].src, &po, &p, &d), GR_OK);
    GrTape *t;
    ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, NULL, &t, &d), GR_OK);
    *gr_tape_var(t, 0) = extreme[i].x;
    gr_tape_forward(t);
    double got[3] = {gr_tape_out(t, 0)[0], NAN, NAN};
    if (!isnan(extreme[i].dx)) {
      gr_tape_reverse(t, 0, NULL);
      got[1] = gr_tape_grad(t, 0)[0];
      const double one = 1, *dir[1] = {&one};
      gr_tape_tangent(t, dir);
      got[2] = gr_tape_out_tangent(t, 0)[0];
    }
    static const char *const what[] = {"value", "reverse d/dx", "forward d/dx"};
    for (int k = 0; k < (extreme[i].fwd ? 3 : 2); k++) {
      double want = k ? extreme[i].dx : extreme[i].value;
      if (!tu_close(got[k], want, tol, 0)) {
        fprintf(stderr, "%s at %.17g: %s %.17g, mpmath %.17g\n", extreme[i].src, extreme[i].x,
                what[k], got[k], want);
        bad++;
      }
    }
    gr_tape_free(t);
    gr_graph_free(g);
  }
  ck_assert_msg(bad == 0, "%d results off the mpmath values (listed above)", bad);
}
END_TEST

/* help NAME: every function name and every operator of the op table has its line, and
 * the line carries the table's own derivative rule */
START_TEST(test_every_op_has_help) {
  char line[512];
  for (const char *const *f = gr_op_function_names(); *f; f++)
    ck_assert_msg(gr_op_help(*f, line, sizeof line), "no help for the function %s", *f);
  for (int i = 0; i < GR_OP_COUNT; i++) {
    if (gr_ops[i].kind == GR_K_LEAF || i == GR_OP_LET)
      continue;
    ck_assert_msg(gr_op_help(gr_ops[i].name, line, sizeof line), "no help for the op %s",
                  gr_ops[i].name);
    ck_assert_msg(strstr(line, "domain: ") != NULL, "help of %s: %s", gr_ops[i].name, line);
    ck_assert_msg(strstr(line, "d/d") != NULL, "help of %s has no rule: %s", gr_ops[i].name, line);
  }
  ck_assert(gr_op_help("sin", line, sizeof line));
  ck_assert_msg(strstr(line, "d/dx = cos(x)") != NULL, "%s", line);
  ck_assert(gr_op_help("atan2", line, sizeof line));
  ck_assert_msg(strstr(line, "d/dy = x/(y^2 + x^2), d/dx = -y/(y^2 + x^2)") != NULL, "%s", line);
  ck_assert(gr_op_help("abs", line, sizeof line));
  ck_assert_msg(strstr(line, "abs'(0) = 0") != NULL, "%s", line);
  ck_assert(!gr_op_help("nosuch", line, sizeof line));
}
END_TEST

static Suite *ops_suite(void) {
  Suite *s = suite_create("ops");
  TCase *tc = tcase_create("derivatives");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_row, 0, NDOMS);
  tcase_add_test(tc, test_every_row_covered);
  tcase_add_test(tc, test_special_values);
  tcase_add_test(tc, test_every_op_has_help);
  suite_add_tcase(s, tc);
  tc = tcase_create("kinks");
  tcase_add_loop_test(tc, test_kinks, 0, sizeof kinks / sizeof *kinks);
  tcase_add_test(tc, test_sqrt_zero);
  tcase_add_test(tc, test_atan2_hessian_scale);
  tcase_add_test(tc, test_atan2_tiny);
  tcase_add_test(tc, test_atan_second_huge);
  suite_add_tcase(s, tc);
  tc = tcase_create("special points");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_special_points, 0, GR_OP_COUNT);
  tcase_add_test(tc, test_strong_zero_cases);
  tcase_add_test(tc, test_extreme_corpus);
  suite_add_tcase(s, tc);
  return s;
}

TU_MAIN(ops_suite)
