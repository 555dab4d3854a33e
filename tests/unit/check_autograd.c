/* SPDX-License-Identifier: GPL-3.0-or-later
 * Autograd extras: on random points of vector expressions the Jacobian by reverse mode,
 * by forward mode and by central differences agree; vjp = v^T J; jvp = J v; the sweep
 * counts are one per row (reverse) or per input element (forward); intermediates' columns
 * and detach have the derivatives worked out by hand.
 */
#include "graph.h"
#include "jacobian.h"
#include "parse.h"
#include "tape.h"
#include <check.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NX 3 /* x is a vector of NX elements, y a scalar */

typedef struct Fx {
  GrGraph *g;
  GrTape *t;
  GrJacCol cols[2];
  size_t R, C;
} Fx;

/* Parse each of srcs (one output each) and compile with x of NX elements. */
static void setup(Fx *f, const char *const *srcs, int n) {
  static const char *const vars[] = {"x", "y", NULL};
  GrEnv env = {0};
  GrParseOpts po = {vars, &env, 0};
  f->g = gr_graph_new();
  GrNode *outs[8];
  for (int k = 0; k < n; k++) {
    GrParsed p;
    GrDiag d;
    ck_assert_msg(gr_parse(f->g, srcs[k], &po, &p, &d) == GR_OK, "parse %s: %s", srcs[k], d.msg);
    outs[k] = p.out;
  }
  gr_env_free(&env);
  size_t var_len[2] = {1, 1};
  int vx = gr_var_index(f->g, "x"), vy = gr_var_index(f->g, "y");
  ck_assert(vx >= 0 && vy >= 0);
  var_len[vx] = NX;
  GrDiag d;
  ck_assert(gr_tape_compile(f->g, outs, (size_t)n, var_len, &f->t, &d) == GR_OK);
  f->cols[0] = (GrJacCol){vx, NULL, NX};
  f->cols[1] = (GrJacCol){vy, NULL, 1};
  f->R = gr_jac_rows(f->t);
  f->C = gr_jac_cols(f->cols, 2);
}

static void set_point(Fx *f, const double *x, double y) {
  memcpy(gr_tape_var(f->t, f->cols[0].var), x, NX * sizeof *x);
  *gr_tape_var(f->t, f->cols[1].var) = y;
  gr_tape_forward(f->t);
}

static void teardown(Fx *f) {
  gr_tape_free(f->t);
  gr_graph_free(f->g);
}

static void all_outputs(const GrTape *t, double *out) {
  size_t r = 0;
  for (size_t k = 0; k < t->nout; k++)
    for (size_t i = 0; i < gr_tape_out_len(t, k); i++)
      out[r++] = gr_tape_out(t, k)[i];
}

/* Column (x element e, or y when e == NX) by central differences. */
static void fd_column(Fx *f, const double *x, double y, size_t e, double *col) {
  double xp[NX], h = 1e-6 * fmax(1, fabs(e < NX ? x[e] : y));
  double *plus = calloc(f->R, sizeof *plus), *minus = calloc(f->R, sizeof *minus);
  memcpy(xp, x, sizeof xp);
  if (e < NX)
    xp[e] = x[e] + h;
  set_point(f, xp, e < NX ? y : y + h);
  all_outputs(f->t, plus);
  if (e < NX)
    xp[e] = x[e] - h;
  set_point(f, xp, e < NX ? y : y - h);
  all_outputs(f->t, minus);
  for (size_t r = 0; r < f->R; r++)
    col[r] = (plus[r] - minus[r]) / (2 * h);
  free(plus);
  free(minus);
  set_point(f, x, y);
}

static void close_to(double a, double b, double rtol, double atol, const char *what, const char *src) {
  ck_assert_msg(fabs(a - b) <= atol + rtol * fabs(b), "%s of %s: %.17g vs %.17g", what, src, a, b);
}

/* Random vector expressions of x (NX elements) and y; several outputs in one group. */
static const char *const cases[][3] = {
    {"sin(x)*y + x^2", NULL, NULL},
    {"exp(-x*y)/(1 + x^2)", NULL, NULL},
    {"x*sum(x*x) + y", NULL, NULL},
    {"tanh(x)*prod(x) - log(1 + x^2)*y", NULL, NULL},
    {"sqrt(x*x + y*y)*mean(x)", NULL, NULL},
    {"sigmoid(x*y)*norm(x) + max(x)", NULL, NULL},
    {"u = x*y; v = sin(u); v*u + atan(x)", NULL, NULL},
    {"f(a, b) = a^2*b; f(x, y) + f(y, x)", NULL, NULL},
    {"sum(x*y)", "x*y", "dot(x, x)*y^3"},
    {"where(x > 0, x^3, -x)*y", "cosh(x)/y", NULL},
};

START_TEST(reverse_forward_fd) {
  const char *const *srcs = cases[_i];
  int n = 0;
  while (n < 3 && srcs[n])
    n++;
  Fx f;
  setup(&f, srcs, n);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 1234 + (unsigned long)_i);
  double *Jr = calloc(f.R * f.C, sizeof *Jr), *Jf = calloc(f.R * f.C, sizeof *Jf);
  double *col = calloc(f.R, sizeof *col), *v = calloc(f.R, sizeof *v), *out = calloc(f.R + f.C, sizeof *out);
  for (int trial = 0; trial < 5; trial++) {
    double x[NX], y = 0.5 + 1.5 * gsl_rng_uniform(rng);
    for (int e = 0; e < NX; e++)
      x[e] = 3 * gsl_rng_uniform(rng) - 1.5;
    set_point(&f, x, y);
    size_t s0 = f.t->sweeps;
    gr_jacobian(f.t, f.cols, 2, 0, Jr);
    ck_assert_uint_eq(f.t->sweeps - s0, f.R); /* reverse: one sweep per output element */
    s0 = f.t->sweeps;
    gr_jacobian(f.t, f.cols, 2, 1, Jf);
    ck_assert_uint_eq(f.t->sweeps - s0, f.C); /* forward: one sweep per input element */
    for (size_t e = 0; e < f.C; e++) {
      fd_column(&f, x, y, e, col);
      for (size_t r = 0; r < f.R; r++) {
        close_to(Jf[r * f.C + e], Jr[r * f.C + e], 1e-12, 1e-13, "forward vs reverse", srcs[0]);
        close_to(Jr[r * f.C + e], col[r], 1e-6, 1e-7, "reverse vs central differences", srcs[0]);
      }
    }
    /* vjp = v^T J, one sweep per output */
    for (size_t r = 0; r < f.R; r++)
      v[r] = 2 * gsl_rng_uniform(rng) - 1;
    s0 = f.t->sweeps;
    gr_vjp(f.t, v, f.cols, 2, out);
    ck_assert_uint_eq(f.t->sweeps - s0, (size_t)n);
    for (size_t e = 0; e < f.C; e++) {
      double s = 0;
      for (size_t r = 0; r < f.R; r++)
        s += v[r] * Jr[r * f.C + e];
      close_to(out[e], s, 1e-12, 1e-13, "vjp vs v^T J", srcs[0]);
    }
    /* jvp = J d, one forward sweep */
    double dx[NX], dy = 2 * gsl_rng_uniform(rng) - 1;
    for (int e = 0; e < NX; e++)
      dx[e] = 2 * gsl_rng_uniform(rng) - 1;
    const double *dir[2];
    dir[f.cols[0].var] = dx;
    dir[f.cols[1].var] = &dy;
    s0 = f.t->sweeps;
    gr_jvp(f.t, dir, out);
    ck_assert_uint_eq(f.t->sweeps - s0, 1);
    for (size_t r = 0; r < f.R; r++) {
      double s = Jr[r * f.C + NX] * dy;
      for (int e = 0; e < NX; e++)
        s += Jr[r * f.C + (size_t)e] * dx[e];
      close_to(out[r], s, 1e-12, 1e-13, "jvp vs J v", srcs[0]);
    }
  }
  free(Jr);
  free(Jf);
  free(col);
  free(v);
  free(out);
  gsl_rng_free(rng);
  teardown(&f);
}
END_TEST

/* d out / d u for u = x*x, out = sin(u)*y: diagonal cos(u_i)*y; d out / dx: 2 x cos(u) y. */
START_TEST(intermediate_column) {
  const char *src[] = {"u = x*x; sin(u)*y"};
  Fx f;
  setup(&f, src, 1);
  const GrNode *u = NULL;
  for (size_t i = 0; i < f.g->count; i++)
    if (gr_graph_node(f.g, i)->op == GR_OP_LET)
      u = gr_graph_node(f.g, i);
  ck_assert_ptr_nonnull(u);
  GrJacCol cols[2] = {f.cols[0], {-1, u, NX}};
  double x[NX] = {0.3, -1.2, 2}, y = 1.5, J[NX * 2 * NX];
  set_point(&f, x, y);
  for (int fwd = 0; fwd < 2; fwd++) {
    gr_jacobian(f.t, cols, 2, fwd, J);
    for (int r = 0; r < NX; r++)
      for (int e = 0; e < NX; e++) {
        double du = r == e ? cos(x[r] * x[r]) * y : 0;
        close_to(J[r * 2 * NX + e], 2 * x[r] * du, 1e-15, 1e-15, "d/dx", src[0]);
        close_to(J[r * 2 * NX + NX + e], du, 1e-15, 1e-15, "d/du", src[0]);
      }
  }
  teardown(&f);
}
END_TEST

/* detach(x*x)*x: the Jacobian is diag(x^2), not diag(3x^2); y unused gives a zero column. */
START_TEST(detach_column) {
  const char *src[] = {"detach(x*x)*x + 0*y"};
  Fx f;
  setup(&f, src, 1);
  double x[NX] = {0, 1, 2}, J[NX * (NX + 1)];
  set_point(&f, x, 1);
  for (int fwd = 0; fwd < 2; fwd++) {
    gr_jacobian(f.t, f.cols, 2, fwd, J);
    for (int r = 0; r < NX; r++)
      for (int e = 0; e < NX; e++)
        ck_assert_double_eq(J[r * (NX + 1) + e], r == e ? x[r] * x[r] : 0);
  }
  teardown(&f);
}
END_TEST

/* where(x > 0, sqrt(x), x) at x = 0: 1, not NaN (strong zeros), in both modes. */
START_TEST(where_strong_zero) {
  const char *src[] = {"where(x > 0, sqrt(x), x) + y"};
  Fx f;
  setup(&f, src, 1);
  double x[NX] = {0, 0, 4}, J[NX * (NX + 1)];
  set_point(&f, x, 1);
  for (int fwd = 0; fwd < 2; fwd++) {
    gr_jacobian(f.t, f.cols, 2, fwd, J);
    ck_assert_double_eq(J[0], 1);
    ck_assert_double_eq(J[(NX + 1) + 1], 1);
    ck_assert_double_eq(J[2 * (NX + 1) + 2], 0.25);
  }
  teardown(&f);
}
END_TEST

/* The comparison rule of reverse against forward mode. */
START_TEST(ad_disagree_rule) {
  ck_assert_int_eq(gr_ad_disagree(1, 1 + 1e-9, 0), 0);
  ck_assert_int_eq(gr_ad_disagree(1, 1.1, 0), 1);
  ck_assert_int_eq(gr_ad_disagree(-3e8, 3e8, 0), 1);
  ck_assert_int_eq(gr_ad_disagree(0, NAN, 0), 1);
  ck_assert_int_eq(gr_ad_disagree(NAN, 2, 0), 1);
  ck_assert_int_eq(gr_ad_disagree(NAN, NAN, 0), 0);
  ck_assert_int_eq(gr_ad_disagree(INFINITY, INFINITY, 0), 0);
  ck_assert_int_eq(gr_ad_disagree(INFINITY, -INFINITY, 0), 1);
  ck_assert_int_eq(gr_ad_disagree(INFINITY, 1e300, 0), 1);
  ck_assert_int_eq(gr_ad_disagree(1e-320, 0, 0), 0); /* both tiny */
  /* a sum that cancels: the size of its terms is the scale */
  ck_assert_int_eq(gr_ad_disagree(1e-10, 2e-10, 1), 0);
  ck_assert_int_eq(gr_ad_disagree(1e-10, 2e-10, 0), 1);
}
END_TEST

/* gr_check_reverse: reverse gradients agree with forward mode on every case; a corrupted
 * one is found, named, and forward mode's value is the true derivative. */
START_TEST(check_reverse_names_variable) {
  const char *const *src = cases[_i];
  int n = src[2] ? 3 : src[1] ? 2 : 1;
  Fx f;
  setup(&f, src, n);
  double x[NX] = {0.3, -1.2, 0.7}, y = 1.6;
  set_point(&f, x, y);
  int vars[2] = {f.cols[0].var, f.cols[1].var};
  for (size_t k = 0; k < f.t->nout; k++) {
    if (gr_tape_out_len(f.t, k) != 1)
      continue;
    gr_tape_reverse(f.t, k, NULL);
    double gx[NX] = {0}, gy = 0;
    const double *a = gr_tape_grad(f.t, vars[0]), *b = gr_tape_grad(f.t, vars[1]);
    if (a)
      memcpy(gx, a, sizeof gx);
    gy = b ? b[0] : 0;
    const double *grads[2] = {gx, &gy};
    unsigned char bad[2] = {9, 9};
    double rv[2] = {0, 0}, fv[2] = {0, 0};
    ck_assert_uint_eq(gr_check_reverse(f.t, k, vars, 2, grads, bad, rv, fv), 0);
    ck_assert(!bad[0] && !bad[1]);
    double true_gy = gy;
    gy += 0.5 + fabs(gy);
    ck_assert_uint_eq(gr_check_reverse(f.t, k, vars, 2, grads, bad, rv, fv), 1);
    ck_assert(!bad[0] && bad[1]);
    close_to(fv[1], true_gy, 1e-12, 1e-12, "forward d/dy", src[0]);
    close_to(rv[1], gy, 1e-12, 1e-12, "reverse d/dy", src[0]);
    gy = true_gy;
    gx[1] += 1 + fabs(gx[1]);
    ck_assert_uint_eq(gr_check_reverse(f.t, k, vars, 2, grads, bad, rv, fv), 1);
    ck_assert(bad[0] && !bad[1]);
  }
  teardown(&f);
}
END_TEST

/* Every routine writes exactly the documented number of doubles: J has R*C, vjp C, jvp R.
 * Shapes with no columns (as for an expression without variables) or a single row included;
 * a guard of sentinels after each buffer must survive. */
#define GUARD 8
static double *guarded(size_t n) {
  double *b = malloc((n + GUARD) * sizeof *b);
  for (size_t i = 0; i < n + GUARD; i++)
    b[i] = -12345.5;
  return b;
}
static void guard_intact(const double *b, size_t n, const char *what, const char *src) {
  for (size_t i = n; i < n + GUARD; i++)
    ck_assert_msg(b[i] == -12345.5, "%s of %s wrote past its %zu elements", what, src, n);
}

START_TEST(buffer_sizes) {
  static const char *const srcs[] = {"x*y", "sum(x)*y", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40]*y + sum(x)"};
  for (size_t k = 0; k < sizeof srcs / sizeof *srcs; k++) {
    Fx f;
    setup(&f, &srcs[k], 1);
    double x[NX] = {0.5, -1, 2}, dx[NX] = {1, 0, -1}, dy = 0.5;
    set_point(&f, x, 1.5);
    for (size_t ncols = 0; ncols <= 2; ncols++) {
      size_t C = gr_jac_cols(f.cols, ncols);
      double *v = guarded(f.R);
      for (size_t r = 0; r < f.R; r++)
        v[r] = 1;
      for (int fwd = 0; fwd < 2; fwd++) {
        double *J = guarded(f.R * C);
        gr_jacobian(f.t, f.cols, ncols, fwd, J);
        guard_intact(J, f.R * C, "gr_jacobian", srcs[k]);
        free(J);
      }
      double *out = guarded(C);
      gr_vjp(f.t, v, f.cols, ncols, out);
      guard_intact(out, C, "gr_vjp", srcs[k]);
      free(out);
      const double *dir[2];
      dir[f.cols[0].var] = dx;
      dir[f.cols[1].var] = &dy;
      out = guarded(f.R);
      gr_jvp(f.t, dir, out);
      guard_intact(out, f.R, "gr_jvp", srcs[k]);
      free(out);
      free(v);
    }
    teardown(&f);
  }
}
END_TEST

int main(void) {
  gr_init();
  Suite *s = suite_create("autograd");
  TCase *tc = tcase_create("jacobian");
  tcase_add_loop_test(tc, reverse_forward_fd, 0, (int)(sizeof cases / sizeof cases[0]));
  tcase_add_test(tc, intermediate_column);
  tcase_add_test(tc, detach_column);
  tcase_add_test(tc, where_strong_zero);
  tcase_add_test(tc, ad_disagree_rule);
  tcase_add_loop_test(tc, check_reverse_names_variable, 0, (int)(sizeof cases / sizeof cases[0]));
  tcase_add_test(tc, buffer_sizes);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? 1 : 0;
}
