/* SPDX-License-Identifier: GPL-3.0-or-later
 * The vector math kernels against scalar libm, on every instruction set this processor has:
 *   - the 1-ulp rule: over more than 10^6 random arguments per function (spread over the
 *     whole domain: uniform in the usual ranges, and random bit patterns for every
 *     exponent) every result is within 1 ulp of libm's;
 *   - special arguments (0, -0, subnormals, the largest doubles, inf, NaN, the overflow and
 *     underflow thresholds of exp, multiples of pi for sin and cos, poles and domain edges,
 *     and their neighbours) are within 1 ulp too, and every result that is not a normal
 *     number (0, subnormal, inf, NaN) or whose argument is not finite is exactly libm's;
 *   - pow keeps the tape's own a^b (x*x for b = 2 ...) where it multiplies;
 *   - the tape's hooks: with vector math on, a block's values and adjoints are the kernels'
 *     (within 1 ulp of the sweeps without it), x^2 and non-finite adjoints are untouched,
 *     and a tape has vector math off until asked.
 */
#include "testutil.h"
#include "ops.h"
#include "vecmath.h"
#include "../ulps.h"
#include <float.h>
#include <stdint.h>
#include <stdio.h>

enum { NRAND = 1100000 };

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next64(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static double uni(double lo, double hi) { return lo + (hi - lo) * ((double)(next64() >> 11) * 0x1p-53); }
/* any finite double, every exponent equally likely */
static double bits(void) {
  for (;;) {
    uint64_t u = next64();
    double x;
    memcpy(&x, &u, sizeof x);
    if (isfinite(x))
      return x;
  }
}

static int normal(double y) { return fabs(y) >= DBL_MIN && fabs(y) <= DBL_MAX; }
/* bit-identical, any NaN matching any NaN */
static int same(double a, double b) {
  return (isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b));
}

static const char *const isas[] = {"avx512f", "avx2"};

/* arguments for function f: NRAND random ones, then the special ones */
static size_t fill(GrVecFn f, double *x) {
  size_t n = 0;
  for (size_t k = 0; k < NRAND; k++) {
    int part = (int)(k % 4);
    double v;
    switch (f) {
    case GR_VEC_EXP:
      v = part == 0 ? uni(-760, 720) : part == 1 ? uni(-2, 2) : part == 2 ? uni(-40, 40) : bits();
      break;
    case GR_VEC_EXPM1:
      v = part == 0 ? uni(-50, 720) : part == 1 ? uni(-1e-3, 1e-3) : part == 2 ? uni(-2, 2) : bits();
      break;
    case GR_VEC_LOG:
      v = part == 0 ? fabs(bits()) : part == 1 ? uni(0, 4) : part == 2 ? uni(0.9, 1.1) : bits();
      break;
    case GR_VEC_LOG1P:
      v = part == 0 ? fabs(bits()) : part == 1 ? uni(-1, 4) : part == 2 ? uni(-1e-3, 1e-3) : bits();
      break;
    case GR_VEC_SIN:
    case GR_VEC_COS:
      v = part == 0 ? uni(-10, 10)
          : part == 1 ? uni(-1e6, 1e6)
          : part == 2 ? (double)(int64_t)uni(-1e6, 1e6) * M_PI * 0.5 /* near multiples of pi/2 */
                      : bits();
      break;
    default:
      v = part < 2 ? uni(-20, 20) : bits();
      break;
    }
    x[n++] = v;
  }
  static const double special[] = {0.0, -0.0, 0x1p-1074, -0x1p-1074, 0x1p-1022, -0x1p-1022,
                                   0x1.fffffffffffffp-1023, DBL_MAX, -DBL_MAX, INFINITY,
                                   -INFINITY, NAN, -NAN, 1, -1, 2, 0.5, 1e-300, -1e-300,
                                   709.782712893384, 709.7827128933841, 709.78271289338397,
                                   710, -708.39641853226408, -708.3964185322642, -745.1332191019411,
                                   -745.1332191019412, -745.13321910194122, -746, -1e-17, 1e-17,
                                   M_PI, -M_PI, 2 * M_PI, M_PI / 2, -M_PI / 2, 1e22, 1e300,
                                   0x1p1023, 3 * M_PI, 1e6 * M_PI, 0x1.0p-26, -0x1.0p-26};
  for (size_t k = 0; k < sizeof special / sizeof *special; k++) {
    x[n++] = special[k];
    x[n++] = nextafter(special[k], INFINITY);
    x[n++] = nextafter(special[k], -INFINITY);
  }
  for (int k = -64; k <= 64; k++) /* multiples of pi, the zeros of sin and cos */
    x[n++] = k * M_PI, x[n++] = k * M_PI + M_PI / 2;
  return n;
}

/* the kernel of f over x[0..n): within 1 ulp of libm, non-normal results identical */
static void check_fn(GrVecFn f, const char *isa) {
  size_t cap = NRAND + 1024;
  double *x = malloc(cap * sizeof *x), *y = malloc(cap * sizeof *y);
  size_t n = fill(f, x);
  gr_vec1(f, y, x, n);
  uint64_t worst = 0;
  size_t bad = 0, at = 0;
  for (size_t k = 0; k < n; k++) {
    double s = gr_vecfn_scalar(f, x[k]);
    uint64_t d = ulps(y[k], s);
    int ok = d <= 1 && (normal(s) || same(y[k], s)) && (isfinite(x[k]) || same(y[k], s));
    if (!ok && !bad++)
      at = k;
    if (d > worst)
      worst = d;
  }
  if (bad)
    ck_abort_msg("%s %s: %zu of %zu results differ from libm by more than the rule allows "
                 "(first: %s(%a) = %a, libm %a; worst %llu ulp)",
                 isa, gr_vecfn_name(f), bad, n, gr_vecfn_name(f), x[at], y[at],
                 gr_vecfn_scalar(f, x[at]), (unsigned long long)worst);
  /* in place (y the same array as a) gives the same */
  memcpy(y, x, n * sizeof *x);
  gr_vec1(f, y, y, n);
  for (size_t k = 0; k < n; k++) {
    double z;
    gr_vec1(f, &z, &x[k], 1); /* one lane alone: a tail padded with ones */
    if (!same(y[k], z))
      ck_abort_msg("%s %s(%a): in place %a, alone %a", isa, gr_vecfn_name(f), x[k], y[k], z);
    if (k > 2000)
      break;
  }
  free(x);
  free(y);
}

static int use(const char *isa) {
  if (!gr_vecmath_select(isa)) {
    fprintf(stderr, "check_vecmath: no %s kernels here (processor or build): skipped\n", isa);
    return 0;
  }
  return 1;
}

START_TEST(test_every_kernel_within_one_ulp_of_libm) {
  const char *isa = isas[_i];
  if (use(isa))
    for (int f = 0; f < GR_VEC_NFN; f++)
      check_fn((GrVecFn)f, isa);
  gr_vecmath_select(NULL);
}
END_TEST

START_TEST(test_pow_within_one_ulp_and_multiplies_where_the_tape_does) {
  const char *isa = isas[_i];
  if (!use(isa))
    return;
  size_t n = NRAND + 4096;
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *y = malloc(n * sizeof *y);
  for (size_t k = 0; k < NRAND; k++) {
    switch (k % 4) {
    case 0:
      a[k] = exp(uni(-30, 30)), b[k] = uni(-40, 40);
      break;
    case 1:
      a[k] = uni(0, 3), b[k] = (double)(int)uni(-12, 12); /* 1, 2, 3, -1 among them */
      break;
    case 2:
      a[k] = uni(-3, 3), b[k] = (double)(int)uni(-12, 12); /* negative bases */
      break;
    default:
      a[k] = fabs(bits()), b[k] = uni(-2, 2);
      break;
    }
  }
  static const double sp[] = {0.0, -0.0, 1, -1, 2, 3, 0.5, -0.5, 1e-310, DBL_MAX, INFINITY,
                              -INFINITY, NAN, 1e300, 1e-300, 1024, -1075, 0x1p-1074};
  size_t m = NRAND, ns = sizeof sp / sizeof *sp;
  for (size_t i = 0; i < ns; i++)
    for (size_t j = 0; j < ns; j++)
      a[m] = sp[i], b[m] = sp[j], m++;
  gr_vec_pow(y, a, 1, b, 1, m);
  size_t bad = 0, at = 0;
  for (size_t k = 0; k < m; k++) {
    double s = gr_pow(a[k], b[k]);
    int ok = ulps(y[k], s) <= 1 && (normal(s) || same(y[k], s));
    if ((b[k] == 2 || b[k] == 1 || b[k] == 3 || b[k] == -1) && !same(y[k], s))
      ok = 0;
    if (!ok && !bad++)
      at = k;
  }
  if (bad)
    ck_abort_msg("%s pow: %zu of %zu wrong (first: %a^%a = %a, tape %a)", isa, bad, m, a[at],
                 b[at], y[at], gr_pow(a[at], b[at]));
  /* a block of one broadcast, either side */
  double b0 = 2.5, a0 = 1.75;
  gr_vec_pow(y, a, 1, &b0, 0, 1000);
  for (size_t k = 0; k < 1000; k++)
    ck_assert_msg(ulps(y[k], gr_pow(a[k], b0)) <= 1, "%a^2.5", a[k]);
  gr_vec_pow(y, &a0, 0, b, 1, 1000);
  for (size_t k = 0; k < 1000; k++)
    ck_assert_msg(ulps(y[k], gr_pow(a0, b[k])) <= 1, "1.75^%a", b[k]);
  free(a);
  free(b);
  free(y);
  gr_vecmath_select(NULL);
}
END_TEST

START_TEST(test_sincos_is_sin_and_cos) {
  enum { N = 1000 };
  double x[N], s[N], c[N], s1[N], c1[N];
  for (int k = 0; k < N; k++)
    x[k] = uni(-100, 100);
  gr_vec_sincos(s, c, x, N);
  gr_vec_sin(s1, x, N);
  gr_vec_cos(c1, x, N);
  for (int k = 0; k < N; k++)
    ck_assert(same(s[k], s1[k]) && same(c[k], c1[k]));
}
END_TEST

/* a tape for `src` over x, a block of n points, vector math on or off */
static GrTape *block_tape(GrGraph **gp, const char *src, const double *x, size_t n, int vec) {
  GrGraph *g = gr_graph_new();
  const char *vars[] = {"x", NULL};
  GrParseOpts po = {vars, NULL, 0};
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, src, &po, &p, &d), GR_OK);
  size_t len = n;
  GrTape *t;
  ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, &len, &t, &d), GR_OK);
  ck_assert_int_eq(t->vecmath, 0); /* off until asked */
  gr_tape_set_vecmath(t, vec);
  memcpy(gr_tape_var(t, 0), x, n * sizeof *x);
  gr_tape_forward(t);
  *gp = g;
  return t;
}

START_TEST(test_tape_hooks_use_the_kernels_within_one_ulp) {
  if (!gr_vecmath_isa())
    return; /* nothing to compare: the tape is libm either way */
  static const char *const ex[] = {"exp(x)", "log(x)", "sin(x)", "cos(x)", "atan(x)",
                                   "expm1(x)", "log1p(x)", "x^2.5", "2.5^x"};
  static const GrVecFn fn[] = {GR_VEC_EXP, GR_VEC_LOG, GR_VEC_SIN, GR_VEC_COS, GR_VEC_ATAN,
                               GR_VEC_EXPM1, GR_VEC_LOG1P};
  enum { N = 1000 };
  double x[N], y[N];
  for (int k = 0; k < N; k++)
    x[k] = uni(0.01, 6);
  x[0] = 0;
  x[1] = INFINITY;
  for (size_t e = 0; e < sizeof ex / sizeof *ex; e++) {
    GrGraph *g0, *g1;
    GrTape *t0 = block_tape(&g0, ex[e], x, N, 0), *t1 = block_tape(&g1, ex[e], x, N, 1);
    ck_assert_int_eq(t1->vecmath, 1);
    const double *v0 = gr_tape_out(t0, 0), *v1 = gr_tape_out(t1, 0);
    if (e < sizeof fn / sizeof *fn) { /* the hook is the kernel */
      gr_vec1(fn[e], y, x, N);
      for (int k = 0; k < N; k++)
        ck_assert_msg(same(v1[k], y[k]), "%s at %a: tape %a, kernel %a", ex[e], x[k], v1[k], y[k]);
    }
    gr_tape_reverse(t0, 0, NULL);
    gr_tape_reverse(t1, 0, NULL);
    const double *g0v = gr_tape_grad(t0, 0), *g1v = gr_tape_grad(t1, 0);
    for (int k = 0; k < N; k++) {
      ck_assert_msg(ulps(v0[k], v1[k]) <= 1, "%s at %a: %a vs %a", ex[e], x[k], v0[k], v1[k]);
      /* the partials: one kernel call (sin, cos, expm1) or the value times exact factors */
      /* (a^b's partial in b is y log a: one more rounding after the 1-ulp y, so 2) */
      ck_assert_msg(ulps(g0v[k], g1v[k]) <= (e < 8 ? 1u : 2u), "d %s at %a: %a vs %a", ex[e], x[k],
                    g0v[k], g1v[k]);
    }
    gr_tape_free(t0);
    gr_tape_free(t1);
    gr_graph_free(g0);
    gr_graph_free(g1);
  }
}
END_TEST

/* Without vector math a block's sin(x) or cos(x) gets both functions from one sincos call
 * in the forward sweep (once a reverse sweep has followed a forward sweep), and the reverse
 * sweep takes the partial from there: it must be the last forward sweep's, also when that
 * sweep ran with vector math (which leaves them unfilled) or was the first, and the reverse
 * sweep without, and it must be libm's own cos(x), -sin(x). */
START_TEST(test_sincos_partials_follow_the_last_forward_sweep) {
  enum { N = 300 }; /* two chunks of the reverse sweep */
  double x1[N], x2[N];
  for (int k = 0; k < N; k++)
    x1[k] = uni(0.01, 6), x2[k] = uni(-200, -0.01);
  static const char *const ex[] = {"sin(x)", "cos(x)"};
  for (int e = 0; e < 2; e++)
    for (int vec = 0; vec < 2; vec++) {
      GrGraph *g;
      GrTape *t = block_tape(&g, ex[e], x1, N, 0);
      ck_assert(!t->sc_ok); /* values alone so far: sin or cos alone */
      gr_tape_reverse(t, 0, NULL);
      gr_tape_forward(t); /* its sincos at x1 */
      ck_assert(t->sc_ok);
      gr_tape_reverse(t, 0, NULL);
      memcpy(gr_tape_var(t, 0), x2, sizeof x2);
      gr_tape_set_vecmath(t, vec);
      gr_tape_forward(t);
      gr_tape_set_vecmath(t, 0);
      gr_tape_reverse(t, 0, NULL);
      ck_assert(t->sc_ok == !vec);
      const double *gv = gr_tape_grad(t, 0), *v = gr_tape_out(t, 0);
      for (int k = 0; k < N; k++) {
        double d = e == 0 ? cos(x2[k]) : -sin(x2[k]);
        ck_assert_msg(same(gv[k], d), "d %s at %a (vector math %d): %a, libm %a", ex[e], x2[k],
                      vec, gv[k], d);
        if (!vec)
          ck_assert(same(v[k], e == 0 ? sin(x2[k]) : cos(x2[k])));
      }
      gr_tape_forward(t);
      ck_assert(t->sc_ok);
      gr_tape_forward(t); /* no reverse sweep after the last: values alone */
      ck_assert(!t->sc_ok);
      gr_tape_reverse(t, 0, NULL);
      for (int k = 0; k < N; k++)
        ck_assert(same(gv[k], e == 0 ? cos(x2[k]) : -sin(x2[k])));
      gr_tape_free(t);
      gr_graph_free(g);
    }
}
END_TEST

START_TEST(test_tape_hooks_leave_squares_and_nonfinite_adjoints_alone) {
  enum { N = 100 };
  double x[N], seed[N];
  for (int k = 0; k < N; k++)
    x[k] = uni(-3, 3), seed[k] = k % 7 ? uni(-1, 1) : k % 2 ? INFINITY : 0;
  static const char *const ex[] = {"x^2", "x^3 - x^-1", "sin(x)", "cos(x)", "expm1(x)"};
  for (size_t e = 0; e < sizeof ex / sizeof *ex; e++) {
    GrGraph *g0, *g1;
    GrTape *t0 = block_tape(&g0, ex[e], x, N, 0), *t1 = block_tape(&g1, ex[e], x, N, 1);
    gr_tape_reverse(t0, 0, seed);
    gr_tape_reverse(t1, 0, seed);
    const double *v0 = gr_tape_out(t0, 0), *v1 = gr_tape_out(t1, 0);
    const double *g0v = gr_tape_grad(t0, 0), *g1v = gr_tape_grad(t1, 0);
    for (int k = 0; k < N; k++) {
      if (e < 2) /* multiplications: the same bits */
        ck_assert_msg(same(v0[k], v1[k]), "%s at %a", ex[e], x[k]);
      /* an infinite adjoint in the block: the tape's own range-safe rule, bit for bit */
      ck_assert_msg(same(g0v[k], g1v[k]), "d %s at %a: %a vs %a", ex[e], x[k], g0v[k], g1v[k]);
    }
    gr_tape_free(t0);
    gr_tape_free(t1);
    gr_graph_free(g0);
    gr_graph_free(g1);
  }
}
END_TEST

/* A block holding one value (computed once, as one lane) against the same value in a block
 * that is not uniform (its last element another value: computed lane by lane), for every
 * function, special values among them (-0 beside +0: the same value, not the same bits),
 * block lengths around the vector widths and the chunk, and in place. */
START_TEST(test_uniform_blocks_are_the_lanes_bits) {
  const char *isa = isas[_i];
  if (!use(isa))
    return;
  static const double vals[] = {0.0, -0.0, 1.5, -2.75, 0x1p-1070, 1e300, -1e-300, 710.0,
                                -746.0, M_PI, 1e22, INFINITY, -INFINITY, NAN};
  static const size_t lens[] = {2, 3, 4, 5, 8, 9, 511, 512, 513, 1100};
  enum { MAXN = 1100 };
  static double x[MAXN], y[MAXN], z[MAXN];
  for (int f = 0; f < GR_VEC_NFN; f++)
    for (size_t v = 0; v < sizeof vals / sizeof *vals; v++)
      for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
        size_t n = lens[l];
        for (size_t k = 0; k < n; k++)
          x[k] = vals[v];
        gr_vec1((GrVecFn)f, y, x, n);
        x[n - 1] = 0.5; /* not uniform */
        gr_vec1((GrVecFn)f, z, x, n);
        for (size_t k = 0; k + 1 < n; k++)
          ck_assert_msg(same(y[k], z[k]), "%s %s(%a) n %zu at %zu: %a, lane by lane %a", isa,
                        gr_vecfn_name((GrVecFn)f), vals[v], n, k, y[k], z[k]);
        x[n - 1] = vals[v];
        gr_vec1((GrVecFn)f, x, x, n); /* in place */
        for (size_t k = 0; k + 1 < n; k++)
          ck_assert(same(x[k], z[k]));
        /* -0 among +0 (and the reverse): not one value's bits, each lane its own */
        if (vals[v] == 0) {
          for (size_t k = 0; k < n; k++)
            x[k] = vals[v];
          x[n / 2] = -vals[v];
          gr_vec1((GrVecFn)f, y, x, n);
          for (size_t k = 0; k < n; k++) {
            double w;
            gr_vec1((GrVecFn)f, &w, &x[k], 1);
            ck_assert_msg(same(y[k], w), "%s %s(%a) at %zu", isa, gr_vecfn_name((GrVecFn)f), x[k], k);
          }
        }
      }
  gr_vecmath_select(NULL);
}
END_TEST

static Suite *vecmath_suite(void) {
  Suite *s = suite_create("vecmath");
  TCase *tc = tcase_create("kernels");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, test_every_kernel_within_one_ulp_of_libm, 0, 2);
  tcase_add_loop_test(tc, test_pow_within_one_ulp_and_multiplies_where_the_tape_does, 0, 2);
  tcase_add_test(tc, test_sincos_is_sin_and_cos);
  tcase_add_loop_test(tc, test_uniform_blocks_are_the_lanes_bits, 0, 2);
  tcase_add_test(tc, test_tape_hooks_use_the_kernels_within_one_ulp);
  tcase_add_test(tc, test_tape_hooks_leave_squares_and_nonfinite_adjoints_alone);
  tcase_add_test(tc, test_sincos_partials_follow_the_last_forward_sweep);
  suite_add_tcase(s, tc);
  return s;
}

TU_MAIN(vecmath_suite)
