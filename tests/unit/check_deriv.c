/* SPDX-License-Identifier: GPL-3.0-or-later
 * Symbolic derivatives: the formula of every built-in function (golden text, and its value
 * against the tape's reverse mode), the REFERENCE.md oracles, thousands of random
 * expressions (raw and simplified formula vs reverse mode vs GSL central differences),
 * higher orders, Hessians (symmetric, equal to differences of the gradient) and size
 * bounds for deep compositions.
 */
#include "deriv.h"
#include "parse.h"
#include "print.h"
#include "simplify.h"
#include "tape.h"
#include <check.h>
#include <gsl/gsl_deriv.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the whole text (gr_print_str cuts long messages): read-back needs every character */
static char *print_full(const GrNode *n) {
  GrBuf b = {0};
  gr_print(&b, n, GR_PRINT_INFIX, 0);
  return b.s;
}

static GrNode *parse(GrGraph *g, const char *s) {
  GrParsed p;
  GrDiag d;
  GrStatus st = gr_parse(g, s, NULL, &p, &d);
  ck_assert_msg(st == GR_OK, "parse '%s': %s", s, d.msg);
  return p.out;
}

/* values of n nodes at scalar point vals[v] (by graph variable index) */
static void eval(GrGraph *g, GrNode **nodes, int n, const double *vals, double *out) {
  GrTape *t;
  GrDiag d;
  ck_assert(gr_tape_compile(g, nodes, (size_t)n, NULL, &t, &d) == GR_OK);
  for (int v = 0; v < g->nvars; v++) {
    double *x = gr_tape_var(t, v);
    if (x)
      x[0] = vals[v];
  }
  gr_tape_forward(t);
  for (int k = 0; k < n; k++)
    out[k] = gr_tape_out(t, (size_t)k)[0];
  gr_tape_free(t);
}

/* reverse-mode partial of f w.r.t. variable v */
static double rev(GrGraph *g, GrNode *f, const double *vals, int v) {
  GrTape *t;
  GrDiag d;
  ck_assert(gr_tape_compile(g, &f, 1, NULL, &t, &d) == GR_OK);
  for (int k = 0; k < g->nvars; k++) {
    double *x = gr_tape_var(t, k);
    if (x)
      x[0] = vals[k];
  }
  gr_tape_forward(t);
  gr_tape_reverse(t, 0, NULL);
  const double *gg = gr_tape_grad(t, v);
  double r = gg ? gg[0] : 0;
  gr_tape_free(t);
  return r;
}

static GrNode *dsimp(GrGraph *g, GrDeriv *D, GrNode *f, const char *var) {
  GrNode *r;
  GrDiag d;
  ck_assert(gr_deriv(D, f, gr_var(g, var), &r, &d) == GR_OK);
  return gr_simplify(g, r);
}

static int close(double a, double b, double tol) {
  if (isnan(a) || isnan(b))
    return isnan(a) && isnan(b);
  if (isinf(a) || isinf(b))
    return a == b;
  return fabs(a - b) <= tol * (1 + fabs(a) + fabs(b));
}

/* every built-in function: the printed formula, and its value against reverse mode */
static const struct {
  const char *f, *d;
  double at;
} golden[] = {
    {"sin(x)", "cos(x)", 0.7},
    {"cos(x)", "-sin(x)", 0.7},
    {"tan(x)", "tan(x)^2 + 1", 0.7},
    {"asin(x)", "1/sqrt(1 - x^2)", 0.3},
    {"acos(x)", "-1/sqrt(1 - x^2)", 0.3},
    {"atan(x)", "1/(x^2 + 1)", 0.7},
    {"sinh(x)", "cosh(x)", 0.7},
    {"cosh(x)", "sinh(x)", 0.7},
    {"tanh(x)", "1 - tanh(x)^2", 0.7},
    {"asinh(x)", "1/sqrt(x^2 + 1)", 0.7},
    {"acosh(x)", "1/sqrt(x^2 - 1)", 1.7},
    {"atanh(x)", "1/(1 - x^2)", 0.3},
    {"exp(x)", "exp(x)", 0.7},
    {"expm1(x)", "exp(x)", 0.7},
    {"log(x)", "1/x", 0.7},
    {"log1p(x)", "1/(x + 1)", 0.7},
    {"log2(x)", "1/(log(2)*x)", 0.7},
    {"log10(x)", "1/(log(10)*x)", 0.7},
    {"sqrt(x)", "1/(2*sqrt(x))", 0.7},
    {"cbrt(x)", "1/(3*cbrt(x)^2)", 0.7},
    {"abs(x)", "sign(x)", -0.7},
    {"sign(x)", "0", 0.7},
    {"erf(x)", "2/sqrt(pi)*exp(-x^2)", 0.7},
    {"erfc(x)", "-2/sqrt(pi)*exp(-x^2)", 0.7},
    {"lgamma(x)", "digamma(x)", 2.5},
    {"gamma(x)", "digamma(x)*gamma(x)", 2.5},
    {"digamma(x)", "polygamma(1, x)", 2.5},
    {"polygamma(2, x)", "polygamma(3, x)", 2.5},
    {"sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))", 0.7},
    {"relu(x)", "x > 0", 0.7},
    {"softplus(x)", "sigmoid(x)", 0.7},
    {"floor(x)", "0", 0.7},
    {"ceil(x)", "0", 0.7},
    {"round(x)", "0", 0.7},
    {"detach(x)", "0", 0.7},
    {"atan2(x, 2)", "2/(x^2 + 4)", 0.7},
    {"atan2(1, x)", "-1/(x^2 + 1)", 0.7},
    {"hypot(x, 2)", "x/hypot(x, 2)", 0.7},
    /* 0 at (0, 0), the tape's subgradient (x/hypot(x, -x) is 0/0 there) */
    {"hypot(x, -x)", "if(hypot(x, -x) == 0, 0, x/hypot(x, -x)) - if(hypot(x, -x) == 0, 0, -x/hypot(x, -x))", 0},
    {"min(x, 1)", "if(x < 1, 1, if(x == 1, 0.5, 0))", 0.7},
    {"max(x, 1)", "if(x > 1, 1, if(x == 1, 0.5, 0))", 0.7},
    /* PyTorch's masks: 0 at x = 0 (b == 0 and a == 0, b >= 0), as the tape does */
    {"x^x", "if(x == 0 && x >= 0, 0, x^x*log(x)) + if(x == 0, 0, x^(x - 1)*x)", 0.7},
    {"x^x", "if(x == 0 && x >= 0, 0, x^x*log(x)) + if(x == 0, 0, x^(x - 1)*x)", 0},
    {"0^x", "if(x >= 0, 0, log(0)*0^x)", -1.3},
    {"2^x", "log(2)*2^x", 0.7},
    {"x^3", "3*x^2", -2},
    {"1/x", "-1/x^2", 0.7},
    {"-x", "-1", 0.7},
    {"x - 1", "1", 0.7},
    {"if(x > 0, x^2, -x)", "if(x > 0, 2*x, -1)", 0.7},
    {"sum(x*[1, 2, 3])", "6", 0.7},
    {"mean(x*[1, 2, 3])", "2", 0.7},
    {"prod(x*[1, 2])", "2*x*2", 0.7},
    /* an element 0: the product of the others, not prod(a)*sum(da/a) = 0/0 */
    {"prod([3, 1, 0] + x)", "", 0},
    {"prod([3, 0, 0] + x)", "", 0},
    {"prod([3, 1, 0] + x)", "", 1.5},
    /* a mask's zero stops an infinite factor, as the sweeps' strong zeros do */
    {"sqrt(relu(x))", "if(x > 0, 1/(2*sqrt(relu(x))), 0)", -1},
    {"sqrt(abs(x))", "if(x != 0, sign(x)/(2*sqrt(abs(x))), 0)", 0},
    {"log(max(x, 1))", "if(x > 1, 1/max(x, 1), if(x == 1, 0.5*1/max(x, 1), 0))", 0.5},
    {"relu(x)^2", "2*(x > 0)*relu(x)", -1},
    /* a reduction of something whose derivative is 0 has the derivative 0 (strong) */
    {"acos(max(x < [1, 2, 3]))", "0", 0},
    /* the derivative of a vector can be a scalar: sum() counts the elements */
    {"sum([1, 2, 3] + 3*x)", "9", 0.7},
    {"mean([1, 2, 3] + 3*x)", "3", 0.7},
    {"sum(hypot(2, [1.5, 0.1, 1]) + 3*x)", "9", 0.7},
    {"acos(prod(x < [1, 2, 3]))", "0", 0},
};

START_TEST(test_golden) {
  GrGraph *g = gr_graph_new();
  GrDeriv *D = gr_deriv_new(g);
  for (size_t i = 0; i < sizeof golden / sizeof *golden; i++) {
    GrNode *f = parse(g, golden[i].f);
    GrNode *d = dsimp(g, D, f, "x");
    char *s = print_full(d);
    /* prod's rule goes through prod(a)*sum(da/a): check its value only */
    if (strncmp(golden[i].f, "prod", 4))
      ck_assert_msg(!strcmp(s, golden[i].d), "d/dx %s: got '%s', want '%s'", golden[i].f, s,
                    golden[i].d);
    /* the formula reads back, and its value is reverse mode's */
    GrNode *back = parse(g, s);
    double vals[8] = {0}, a, b;
    vals[gr_var_index(g, "x")] = golden[i].at;
    eval(g, &back, 1, vals, &a);
    b = rev(g, f, vals, gr_var_index(g, "x"));
    ck_assert_msg(close(a, b, 1e-12), "d/dx %s at %g: formula %.17g, reverse %.17g", golden[i].f,
                  golden[i].at, a, b);
    free(s);
  }
  /* every GR_K_MATH template parses */
  for (int op = 0; op < GR_OP_COUNT; op++)
    if (gr_ops[op].kind == GR_K_MATH) {
      ck_assert_msg(gr_deriv_template(D, op, 0) != NULL, "template DA of %s", gr_ops[op].name);
      if (gr_ops[op].nargs == 2)
        ck_assert_msg(gr_deriv_template(D, op, 1) != NULL, "template DB of %s", gr_ops[op].name);
    }
  gr_deriv_free(D);
  gr_graph_free(g);
}
END_TEST

/* REFERENCE.md oracles (PyTorch float64) */
START_TEST(test_reference) {
  GrGraph *g = gr_graph_new();
  GrDeriv *D = gr_deriv_new(g);
  double vals[4] = {0}, v[8];
  /* x^3 at 2: 12, 12, 6; x^6 at 1: 6, 30 */
  GrNode *f = parse(g, "x^3"), *d[3];
  d[0] = dsimp(g, D, f, "x");
  d[1] = dsimp(g, D, d[0], "x");
  d[2] = dsimp(g, D, d[1], "x");
  vals[0] = 2;
  eval(g, d, 3, vals, v);
  ck_assert(v[0] == 12 && v[1] == 12 && v[2] == 6);
  gr_deriv_free(D);
  gr_graph_free(g);

  g = gr_graph_new();
  D = gr_deriv_new(g);
  f = parse(g, "x^6");
  d[0] = dsimp(g, D, f, "x");
  d[1] = dsimp(g, D, d[0], "x");
  vals[0] = 1;
  eval(g, d, 2, vals, v);
  ck_assert(v[0] == 6 && v[1] == 30);
  gr_deriv_free(D);
  gr_graph_free(g);

  /* u = x*x; z = sin(u): dz/du = cos 9, dz/dx = -5.466781571308061 at x = 3 */
  g = gr_graph_new();
  D = gr_deriv_new(g);
  f = parse(g, "u = x*x; z = sin(u)");
  GrNode *u = gr_let(g, "u", gr_node(g, GR_OP_MUL, gr_var(g, "x"), gr_var(g, "x"), NULL));
  GrNode *du, *dx;
  GrDiag dg;
  ck_assert(gr_deriv(D, f, u, &du, &dg) == GR_OK);
  du = gr_simplify(g, gr_strip_lets(g, du));
  dx = dsimp(g, D, gr_strip_lets(g, f), "x");
  GrNode *two[2] = {du, dx};
  vals[0] = 3;
  eval(g, two, 2, vals, v);
  ck_assert(close(v[0], -0.9111302618846769, 1e-15));
  ck_assert(close(v[1], -5.466781571308061, 1e-15));
  gr_deriv_free(D);
  gr_graph_free(g);

  /* z = detach(x^2)*x at 2: 4; the relu example: y = -20, dy/dx = 46 at x = -4 */
  g = gr_graph_new();
  D = gr_deriv_new(g);
  f = parse(g, "detach(x^2)*x");
  d[0] = dsimp(g, D, f, "x");
  vals[0] = 2;
  eval(g, d, 1, vals, v);
  ck_assert(v[0] == 4);
  f = gr_strip_lets(g, parse(g, "z=2x+2+x; q=relu(z)+z*x; h=relu(z*z); y=h+q+q*x"));
  d[0] = dsimp(g, D, f, "x");
  GrNode *fy[2] = {f, d[0]};
  vals[0] = -4;
  eval(g, fy, 2, vals, v);
  ck_assert(v[0] == -20 && v[1] == 46);
  gr_deriv_free(D);
  gr_graph_free(g);

  /* Hessian of x^2 y + e^(xy) at (1, 0.5), symbolically */
  g = gr_graph_new();
  D = gr_deriv_new(g);
  f = parse(g, "x^2*y + exp(x*y)");
  GrNode *fx = dsimp(g, D, f, "x"), *fyy = dsimp(g, D, dsimp(g, D, f, "y"), "y");
  GrNode *h[3] = {dsimp(g, D, fx, "x"), dsimp(g, D, fx, "y"), fyy};
  vals[0] = 1;
  vals[1] = 0.5;
  eval(g, h, 3, vals, v);
  ck_assert(close(v[0], 1.412180317675032, 1e-15));
  ck_assert(close(v[1], 4.473081906050192, 1e-15));
  ck_assert(close(v[2], 1.6487212707001282, 1e-15));
  gr_deriv_free(D);
  gr_graph_free(g);
}
END_TEST

/* random expressions over x and y */
static void rnd_expr(gsl_rng *r, char *buf, size_t cap, int depth) {
  static const char *un[] = {"sin", "cos", "exp", "tanh", "atan", "sigmoid", "softplus", "sqrt",
                             "log", "erf", "asinh", "cbrt", "abs", "sinh"};
  static const char *bin[] = {"+", "-", "*", "/", "^"};
  static const char *leaf[] = {"x", "y", "x", "y", "2", "0.5", "3", "-1"};
  int k = depth <= 0 ? 0 : (int)gsl_rng_uniform_int(r, 10);
  char a[1200], b[1200];
  if (k < 3) {
    snprintf(buf, cap, "%s", leaf[gsl_rng_uniform_int(r, 8)]);
  } else if (k < 6) {
    rnd_expr(r, a, sizeof a, depth - 1);
    const char *fn = un[gsl_rng_uniform_int(r, 14)];
    /* keep log and sqrt in their domain */
    if (!strcmp(fn, "log") || !strcmp(fn, "sqrt"))
      snprintf(buf, cap, "%s(1 + (%s)^2)", fn, a);
    else
      snprintf(buf, cap, "%s(%s)", fn, a);
  } else {
    rnd_expr(r, a, sizeof a, depth - 1);
    rnd_expr(r, b, sizeof b, depth - 1);
    int op = (int)gsl_rng_uniform_int(r, 5);
    if (op == 3) /* a denominator away from zero */
      snprintf(buf, cap, "(%s)/(2 + sin(%s))", a, b);
    else if (op == 4 && gsl_rng_uniform_int(r, 2)) /* small integer exponents */
      snprintf(buf, cap, "(%s)^%d", a, (int)gsl_rng_uniform_int(r, 4));
    else if (op == 4) /* or a positive base */
      snprintf(buf, cap, "(1 + (%s)^2)^(sin(%s))", a, b);
    else
      snprintf(buf, cap, "(%s) %s (%s)", a, bin[op], b);
  }
}

typedef struct FDP {
  GrTape *t;
  double *x;
} FDP;

static double fd_f(double x, void *p) {
  FDP *q = p;
  q->x[0] = x;
  gr_tape_forward(q->t);
  return gr_tape_out(q->t, 0)[0];
}

START_TEST(test_random) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 42);
  int n = 0, fdn = 0;
  for (int it = 0; it < 3000; it++) {
    char src[4096];
    rnd_expr(r, src, sizeof src, 4);
    GrGraph *g = gr_graph_new();
    GrDeriv *D = gr_deriv_new(g);
    GrNode *f = parse(g, src);
    gr_var(g, "x");
    gr_var(g, "y");
    int vx = gr_var_index(g, "x");
    GrNode *raw, *simp;
    GrDiag d;
    ck_assert(gr_deriv(D, f, gr_var(g, "x"), &raw, &d) == GR_OK);
    simp = gr_simplify(g, raw);
    ck_assert_msg(gr_count_ops(g, simp) <= gr_count_ops(g, raw), "%s: more ops after simplify", src);
    /* the simplified formula reads back to the same function */
    char *txt = print_full(simp);
    GrNode *back = parse(g, txt);
    for (int p = 0; p < 3; p++) {
      double vals[2];
      vals[gr_var_index(g, "x")] = gsl_rng_uniform(r) * 4 - 2;
      vals[gr_var_index(g, "y")] = gsl_rng_uniform(r) * 4 - 2;
      double v[4];
      GrNode *ns[4] = {raw, simp, back, f};
      eval(g, ns, 4, vals, v);
      double rv = rev(g, f, vals, vx);
      if (!isfinite(rv) || !isfinite(v[3]) || fabs(rv) > 1e6)
        continue;
      ck_assert_msg(close(v[0], rv, 1e-12), "%s at (%g,%g): raw %.17g, reverse %.17g", src, vals[0],
                    vals[1], v[0], rv);
      ck_assert_msg(close(v[1], rv, 1e-8), "%s at (%g,%g): simplified %s = %.17g, reverse %.17g",
                    src, vals[0], vals[1], txt, v[1], rv);
      ck_assert_msg(close(v[2], v[1], 1e-12), "%s: re-read %s differs", src, txt);
      n++;
      /* central difference, where the function is smooth enough for it */
      GrTape *t;
      ck_assert(gr_tape_compile(g, &f, 1, NULL, &t, &d) == GR_OK);
      for (int k = 0; k < g->nvars; k++)
        if (gr_tape_var(t, k))
          gr_tape_var(t, k)[0] = vals[k];
      double *xp = gr_tape_var(t, vx), fdv = 0, err = 0;
      if (xp) {
        FDP q = {t, xp};
        gsl_function F = {fd_f, &q};
        gsl_deriv_central(&F, vals[vx], 1e-4, &fdv, &err);
      }
      gr_tape_free(t);
      if (strstr(src, "abs") || !isfinite(err) || err > 1e-6 * (1 + fabs(rv)))
        continue; /* a kink, or too rough for differences */
      ck_assert_msg(fabs(fdv - v[1]) <= 100 * err + 1e-6 * (1 + fabs(fdv)),
                    "%s at (%g,%g): central %.17g (+- %g), symbolic %.17g", src, vals[0], vals[1],
                    fdv, err, v[1]);
      fdn++;
    }
    free(txt);
    gr_deriv_free(D);
    gr_graph_free(g);
  }
  ck_assert_int_ge(n, 3000);
  ck_assert_int_ge(fdn, 1000);
  gsl_rng_free(r);
}
END_TEST

/* Hessian by forward-over-reverse: symmetric, equal to central differences of the gradient */
START_TEST(test_hessian) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 7);
  for (int it = 0; it < 300; it++) {
    char src[4096];
    rnd_expr(r, src, sizeof src, 3);
    if (strstr(src, "abs"))
      continue;
    GrGraph *g = gr_graph_new();
    GrNode *f = parse(g, src);
    gr_var(g, "x");
    gr_var(g, "y");
    GrTape *t;
    GrDiag d;
    ck_assert(gr_tape_compile(g, &f, 1, NULL, &t, &d) == GR_OK);
    double p[2] = {gsl_rng_uniform(r) * 2 - 1, gsl_rng_uniform(r) * 2 - 1}, H[2][2], G[2][2][2];
    for (int v = 0; v < 2; v++)
      if (gr_tape_var(t, v))
        gr_tape_var(t, v)[0] = p[v];
    gr_tape_forward(t);
    for (int j = 0; j < 2; j++) {
      double one = 1;
      const double *dir[2] = {NULL, NULL};
      dir[j] = &one;
      gr_tape_tangent(t, dir);
      gr_tape_reverse(t, 0, NULL);
      gr_tape_reverse_tangent(t, 0);
      for (int i = 0; i < 2; i++) {
        const double *h = gr_tape_hvp(t, i);
        H[i][j] = h ? h[0] : 0;
      }
    }
    /* gradient at p +- h e_j */
    double h = 1e-5;
    for (int j = 0; j < 2; j++)
      for (int s = 0; s < 2; s++) {
        for (int v = 0; v < 2; v++)
          if (gr_tape_var(t, v))
            gr_tape_var(t, v)[0] = p[v] + (v == j ? (s ? h : -h) : 0);
        gr_tape_forward(t);
        gr_tape_reverse(t, 0, NULL);
        for (int i = 0; i < 2; i++) {
          const double *gg = gr_tape_grad(t, i);
          G[j][s][i] = gg ? gg[0] : 0;
        }
      }
    gr_tape_free(t);
    int fin = 1;
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++)
        fin &= isfinite(H[i][j]) && fabs(H[i][j]) < 1e4;
    if (fin) {
      ck_assert_msg(close(H[0][1], H[1][0], 1e-10), "%s: H not symmetric %.17g %.17g", src, H[0][1],
                    H[1][0]);
      for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
          double fdv = (G[j][1][i] - G[j][0][i]) / (2 * h);
          ck_assert_msg(close(H[i][j], fdv, 1e-4), "%s: H[%d][%d] = %.17g, differences %.17g", src,
                        i, j, H[i][j], fdv);
        }
    }
    gr_graph_free(g);
  }
  gsl_rng_free(r);
}
END_TEST

static size_t cse_size(GrGraph *g, GrNode *root) {
  GrBuf b = {0};
  const char *name = "d";
  gr_print_cse(&b, g, &root, &name, 1, GR_PRINT_INFIX, 0);
  size_t n = b.n;
  gr_buf_free(&b);
  return n;
}

/* deep compositions stay small: sizes, not timings */
START_TEST(test_stress) {
  size_t sz[4], tree[4];
  for (int k = 1; k <= 3; k++) {
    GrGraph *g = gr_graph_new();
    GrDeriv *D = gr_deriv_new(g);
    char src[2048] = "x";
    for (int i = 0; i < 10 * k; i++) {
      char t[sizeof src + 16];
      int len = snprintf(t, sizeof t, "sin(x + %s)", src);
      ck_assert(len > 0 && (size_t)len < sizeof src);
      memcpy(src, t, (size_t)len + 1);
    }
    GrNode *d = dsimp(g, D, parse(g, src), "x");
    sz[k] = cse_size(g, d);
    tree[k] = gr_count_tree_ops(g, d);
    /* the derivative's DAG is linear in the nesting depth */
    ck_assert_uint_le(gr_count_ops(g, d), 10 * 10 * (size_t)k);
    gr_deriv_free(D);
    gr_graph_free(g);
  }
  /* --cse text grows linearly (equal steps within 10%), the plain tree quadratically */
  double s1 = (double)sz[2] - (double)sz[1], s2 = (double)sz[3] - (double)sz[2];
  ck_assert_msg(fabs(s2 - s1) <= 0.1 * s1, "cse sizes %zu %zu %zu", sz[1], sz[2], sz[3]);
  ck_assert_uint_le(sz[3], 4 * sz[1]);
  ck_assert_uint_ge(tree[3], 6 * tree[1]);

  /* the 10th derivative of sin(x) exp(x)/(1 + x^2): bounded size, right values */
  GrGraph *g = gr_graph_new();
  GrDeriv *D = gr_deriv_new(g);
  GrNode *f = parse(g, "sin(x)*exp(x)/(1+x^2)"), *d = f;
  size_t ops[11];
  for (int k = 1; k <= 10; k++) {
    GrNode *r;
    GrDiag dg;
    ck_assert(gr_deriv(D, d, gr_var(g, "x"), &r, &dg) == GR_OK);
    d = gr_simplify_ex(g, r, 1); /* as --order does */
    ops[k] = gr_count_ops(g, d);
  }
  ck_assert_uint_le(ops[10], 2000);
  ck_assert_uint_le(cse_size(g, d), 60000);
  /* d^10/dx^10 at 0.3 against a central difference of the 9th (from the formula) */
  GrNode *d9 = f;
  for (int k = 1; k <= 9; k++) {
    GrNode *r;
    GrDiag dg;
    ck_assert(gr_deriv(D, d9, gr_var(g, "x"), &r, &dg) == GR_OK);
    d9 = gr_simplify_ex(g, r, 1);
  }
  double h = 1e-4, vals[1], a, b, c;
  vals[0] = 0.3 + h;
  eval(g, &d9, 1, vals, &a);
  vals[0] = 0.3 - h;
  eval(g, &d9, 1, vals, &b);
  vals[0] = 0.3;
  eval(g, &d, 1, vals, &c);
  ck_assert_msg(close(c, (a - b) / (2 * h), 1e-6), "10th derivative %.17g vs %.17g", c, (a - b) / (2 * h));
  gr_deriv_free(D);
  gr_graph_free(g);
}
END_TEST

/* a deep chain (200000 levels) differentiates without recursion */
START_TEST(test_deep) {
  GrGraph *g = gr_graph_new();
  GrDeriv *D = gr_deriv_new(g);
  GrNode *x = gr_var(g, "x"), *f = x;
  for (int i = 0; i < 200000; i++)
    f = gr_node(g, GR_OP_SIN, gr_node(g, GR_OP_ADD, f, x, NULL), NULL, NULL);
  GrNode *d;
  GrDiag dg;
  ck_assert(gr_deriv(D, f, x, &d, &dg) == GR_OK);
  GrNode *s = gr_simplify(g, d);
  ck_assert_uint_le(gr_count_ops(g, s), gr_count_ops(g, d));
  double v = 0.1, out;
  eval(g, &s, 1, &v, &out);
  ck_assert(isfinite(out));
  ck_assert(close(out, rev(g, f, &v, 0), 1e-9));
  gr_deriv_free(D);
  gr_graph_free(g);
}
END_TEST

int main(void) {
  gr_init();
  Suite *s = suite_create("deriv");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_golden);
  tcase_add_test(tc, test_reference);
  tcase_add_test(tc, test_random);
  tcase_add_test(tc, test_hessian);
  tcase_add_test(tc, test_stress);
  tcase_add_test(tc, test_deep);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? 1 : 0;
}
