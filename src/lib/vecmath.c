/* SPDX-License-Identifier: GPL-3.0-or-later
 * Vector math kernels (see vecmath.h): SLEEF's u10 functions over blocks of points, the
 * special lanes patched with scalar libm, and the tape's hooks. Every kernel goes through
 * the same two steps: the vector function over whole vectors (a short tail padded with
 * ones, a harmless argument for every function here), then one pass that recomputes by
 * libm each lane whose argument or result is not a normal number (or is within a factor 2
 * of the underflow or overflow threshold), so that 0, -0, subnormals, inf and NaN come out
 * exactly as libm's (SLEEF's can differ in the sign of a zero, the payload of a NaN or the
 * last bits of a subnormal, and log1p of a subnormal rounds up to the smallest normal).
 */
#include "config.h"
#include "vecmath.h"
#include "ops.h"
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(HAVE_SLEEF) && defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define GR_VM_SLEEF 1
/* sleef.h declares its AVX2 and AVX-512 entry points only where the compiler targets those
 * instruction sets: declare them all, then compile only the kernels themselves for them
 * (picked at run time, so the rest of the library still runs on any x86-64). */
#include <immintrin.h> /* first: its functions keep their own targets */
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f")
#include <sleef.h>
#pragma GCC pop_options
#else
#define GR_VM_SLEEF 0
#endif

/* the instruction set in use: 0 scalar, 4 AVX2, 8 AVX-512 */
static int width = -1;

static const char *const fn_name[GR_VEC_NFN] = {"exp", "log", "sin", "cos", "atan", "expm1", "log1p"};

const char *gr_vecfn_name(GrVecFn f) { return (unsigned)f < GR_VEC_NFN ? fn_name[f] : "?"; }

double gr_vecfn_scalar(GrVecFn f, double a) {
  switch (f) {
  case GR_VEC_EXP:
    return exp(a);
  case GR_VEC_LOG:
    return log(a);
  case GR_VEC_SIN:
    return sin(a);
  case GR_VEC_COS:
    return cos(a);
  case GR_VEC_ATAN:
    return atan(a);
  case GR_VEC_EXPM1:
    return expm1(a);
  case GR_VEC_LOG1P:
    return log1p(a);
  default:
    return NAN;
  }
}

static int cpu_has(int w) {
#if GR_VM_SLEEF
  __builtin_cpu_init();
  if (w == 8)
    return __builtin_cpu_supports("avx512f");
  if (w == 4)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return w == 0;
}

/* (table threads may ask first at once: they all find the same answer) */
static int best(void) {
  int w = __atomic_load_n(&width, __ATOMIC_RELAXED);
  if (w < 0) {
    w = cpu_has(8) ? 8 : cpu_has(4) ? 4 : 0;
    __atomic_store_n(&width, w, __ATOMIC_RELAXED);
  }
  return w;
}

const char *gr_vecmath_isa(void) {
  int w = best();
  return w == 8 ? "avx512f" : w == 4 ? "avx2" : NULL;
}

int gr_vecmath_select(const char *isa) {
  int w;
  if (!isa) {
    width = -1;
    best();
    return 1;
  }
  if (!strcmp(isa, "avx512f"))
    w = 8;
  else if (!strcmp(isa, "avx2"))
    w = 4;
  else if (!strcmp(isa, "scalar"))
    w = 0;
  else
    return 0;
  if (!cpu_has(w))
    return 0;
  width = w;
  return 1;
}

#if GR_VM_SLEEF
/* a normal number, not within a factor 2 of the underflow or overflow threshold (where
 * the vector and scalar functions could round to different sides of it): not 0,
 * subnormal, inf or NaN either */
static inline int normal(double y) { return fabs(y) >= 2 * DBL_MIN && fabs(y) < DBL_MAX / 2; }
/* the kernels' test, on the bits (biased exponent 2 .. 2045; it lets DBL_MAX/2 itself
 * through, as normal() does not: either way such a lane is within the 1-ulp rule) */
static inline int special(double y) {
  uint64_t u;
  memcpy(&u, &y, sizeof u);
  return ((u >> 52) & 0x7ff) - 2 > 2043;
}
/* One kernel per function and width: whole vectors, then the tail through a padded vector.
 * Each returns whether an argument or result is not normal() (below), checked on the
 * vectors in registers: the biased exponent e is special when e < 2 or e > 2045, that is
 * when ((e + 2) mod 2048) - 4 is negative, whose sign bits are OR'd together. */
#define KERN(W, T, TI, LD, ST, CAST, SRLI, ADDI, SUBI, ANDI, ORI, SET1I, STI, TGT, NAME, SLEEF)   \
  __attribute__((target(TGT))) static int NAME(double *y, const double *a, size_t n) {          \
    size_t k = 0;                                                                                \
    const TI two = SET1I(2), four = SET1I(4), mask = SET1I(2047);                                \
    TI bad = SET1I(0);                                                                           \
    for (; k + W <= n; k += W) {                                                                 \
      T x = LD(a + k), r = SLEEF(x);                                                             \
      ST(y + k, r);                                                                              \
      bad = ORI(bad, SUBI(ANDI(ADDI(SRLI(CAST(x), 52), two), mask), four));                      \
      bad = ORI(bad, SUBI(ANDI(ADDI(SRLI(CAST(r), 52), two), mask), four));                      \
    }                                                                                            \
    uint64_t lane[W], any = 0;                                                                   \
    STI((void *)lane, bad);                                                                      \
    for (size_t l = 0; l < W; l++)                                                               \
      any |= lane[l];                                                                            \
    int sp = (int)(any >> 63);                                                                   \
    if (k < n) {                                                                                 \
      double t[W];                                                                               \
      for (size_t l = 0; l < W; l++)                                                             \
        t[l] = k + l < n ? a[k + l] : 1.0;                                                       \
      ST(t, SLEEF(LD(t)));                                                                       \
      memcpy(y + k, t, (n - k) * sizeof *t);                                                     \
      for (size_t l = 0; k + l < n; l++) /* (not the padding: log(1) is 0) */                    \
        sp |= special(a[k + l]) || special(t[l]);                                                \
    }                                                                                            \
    return sp;                                                                                   \
  }
#define K4(NAME, SLEEF)                                                                            \
  KERN(4, __m256d, __m256i, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_castpd_si256,              \
       _mm256_srli_epi64, _mm256_add_epi64, _mm256_sub_epi64, _mm256_and_si256, _mm256_or_si256,  \
       _mm256_set1_epi64x, _mm256_storeu_si256, "avx2,fma", NAME, SLEEF)
#define K8(NAME, SLEEF)                                                                            \
  KERN(8, __m512d, __m512i, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_castpd_si512,              \
       _mm512_srli_epi64, _mm512_add_epi64, _mm512_sub_epi64, _mm512_and_si512, _mm512_or_si512,  \
       _mm512_set1_epi64, _mm512_storeu_si512, "avx512f", NAME, SLEEF)
K4(exp4, Sleef_expd4_u10avx2)
K4(log4, Sleef_logd4_u10avx2)
K4(sin4, Sleef_sind4_u10avx2)
K4(cos4, Sleef_cosd4_u10avx2)
K4(atan4, Sleef_atand4_u10avx2)
K4(expm14, Sleef_expm1d4_u10avx2)
K4(log1p4, Sleef_log1pd4_u10avx2)
K8(exp8, Sleef_expd8_u10avx512f)
K8(log8, Sleef_logd8_u10avx512f)
K8(sin8, Sleef_sind8_u10avx512f)
K8(cos8, Sleef_cosd8_u10avx512f)
K8(atan8, Sleef_atand8_u10avx512f)
K8(expm18, Sleef_expm1d8_u10avx512f)
K8(log1p8, Sleef_log1pd8_u10avx512f)

typedef int (*Kern)(double *, const double *, size_t);
static const Kern kern4[GR_VEC_NFN] = {exp4, log4, sin4, cos4, atan4, expm14, log1p4};
static const Kern kern8[GR_VEC_NFN] = {exp8, log8, sin8, cos8, atan8, expm18, log1p8};

__attribute__((target("avx2,fma"))) static void pow4(double *y, const double *a, const double *b,
                                                      size_t n) {
  size_t k = 0;
  for (; k + 4 <= n; k += 4)
    _mm256_storeu_pd(y + k, Sleef_powd4_u10avx2(_mm256_loadu_pd(a + k), _mm256_loadu_pd(b + k)));
  if (k < n) {
    double s[4], t[4];
    for (size_t l = 0; l < 4; l++) {
      s[l] = k + l < n ? a[k + l] : 1.0;
      t[l] = k + l < n ? b[k + l] : 1.0;
    }
    _mm256_storeu_pd(s, Sleef_powd4_u10avx2(_mm256_loadu_pd(s), _mm256_loadu_pd(t)));
    memcpy(y + k, s, (n - k) * sizeof *s);
  }
}
__attribute__((target("avx512f"))) static void pow8(double *y, const double *a, const double *b,
                                                     size_t n) {
  size_t k = 0;
  for (; k + 8 <= n; k += 8)
    _mm512_storeu_pd(y + k, Sleef_powd8_u10avx512f(_mm512_loadu_pd(a + k), _mm512_loadu_pd(b + k)));
  if (k < n) {
    double s[8], t[8];
    for (size_t l = 0; l < 8; l++) {
      s[l] = k + l < n ? a[k + l] : 1.0;
      t[l] = k + l < n ? b[k + l] : 1.0;
    }
    _mm512_storeu_pd(s, Sleef_powd8_u10avx512f(_mm512_loadu_pd(s), _mm512_loadu_pd(t)));
    memcpy(y + k, s, (n - k) * sizeof *s);
  }
}
#endif

#if GR_VM_SLEEF
static inline int isfin(double x) { return x - x == 0; }
/* some y[k] or x[k] not normal()? One pass without branches, which vectorises (AVX2: it
 * runs only where the kernels do): the lanes to patch are rare, most chunks have none. */
__attribute__((target("avx2"))) static int any_special(const double *y, const double *x,
                                                       size_t n) {
  uint64_t bad = 0;
  for (size_t k = 0; k < n; k++) {
    uint64_t u, v;
    memcpy(&u, &y[k], sizeof u);
    memcpy(&v, &x[k], sizeof v);
    /* normal(): biased exponent 2 .. 2045 */
    bad |= (((u >> 52) & 0x7ff) - 2 > 2043) | (((v >> 52) & 0x7ff) - 2 > 2043);
  }
  return bad != 0;
}
#endif

#if GR_VM_SLEEF
/* Whether a[0..n) are all the same bits (a block that holds one value, as where a table's
 * fixed variable is a block because its partials are asked for). The last first: most
 * blocks that are not uniform stop there. */
__attribute__((target("avx2"))) static int uniform(const double *a, size_t n) {
  uint64_t a0, d = 0;
  memcpy(&a0, a, sizeof a0);
  if (memcmp(a + n - 1, &a0, sizeof a0) != 0)
    return 0;
  for (size_t k = 1; k < n; k++) {
    uint64_t u;
    memcpy(&u, a + k, sizeof u);
    d |= u ^ a0;
  }
  return d == 0;
}
#endif

void gr_vec1(GrVecFn f, double *y, const double *a, size_t n) {
  int w = best();
  if ((unsigned)f >= GR_VEC_NFN)
    return;
#if GR_VM_SLEEF
  if (w && n > 1 && uniform(a, n)) {
    /* one value: computed once, as one lane of a vector (each lane's result depends on its
     * own argument alone, so these are the bits of the whole block computed) */
    gr_vec1(f, y, a, 1);
    double v = y[0];
    for (size_t k = 1; k < n; k++)
      y[k] = v;
    return;
  }
  if (w) {
    /* in chunks, so that the patch pass reads what the kernel just wrote from the cache */
    enum { CH = 512 };
    for (size_t k0 = 0; k0 < n; k0 += CH) {
      size_t m = n - k0 < CH ? n - k0 : CH;
      double keep[CH]; /* the arguments, in case y overwrites a */
      const double *x = a + k0;
      if (y == a) {
        memcpy(keep, x, m * sizeof *keep);
        x = keep;
      }
      if ((w == 8 ? kern8 : kern4)[f](y + k0, x, m))
        for (size_t k = 0; k < m; k++)
          if (!normal(y[k0 + k]) || !normal(x[k]))
            y[k0 + k] = gr_vecfn_scalar(f, x[k]);
    }
    return;
  }
#else
  (void)w;
#endif
  for (size_t k = 0; k < n; k++)
    y[k] = gr_vecfn_scalar(f, a[k]);
}

void gr_vec_exp(double *y, const double *a, size_t n) { gr_vec1(GR_VEC_EXP, y, a, n); }
void gr_vec_log(double *y, const double *a, size_t n) { gr_vec1(GR_VEC_LOG, y, a, n); }
void gr_vec_sin(double *y, const double *a, size_t n) { gr_vec1(GR_VEC_SIN, y, a, n); }
void gr_vec_cos(double *y, const double *a, size_t n) { gr_vec1(GR_VEC_COS, y, a, n); }
void gr_vec_sincos(double *s, double *c, const double *a, size_t n) {
  /* two kernels rather than SLEEF's sincos: the same results, and c may not alias a */
  if (c == a) {
    gr_vec_sin(s, a, n);
    gr_vec_cos(c, a, n);
  } else {
    gr_vec_cos(c, a, n);
    gr_vec_sin(s, a, n);
  }
}

/* the exponents that gr_pow computes by multiplication */
static inline int pow_fast(double b) { return b == 2 || b == 1 || b == 3 || b == -1; }

void gr_vec_pow(double *y, const double *a, size_t sa, const double *b, size_t sb, size_t n) {
  int w = best();
#if GR_VM_SLEEF
  if (w && !(!sb && pow_fast(b[0]))) {
    enum { CH = 512 };
    double ta[CH], tb[CH];
    for (size_t k0 = 0; k0 < n; k0 += CH) {
      size_t m = n - k0 < CH ? n - k0 : CH;
      /* copies: a block of one broadcast, or y the same array as an argument */
      for (size_t k = 0; k < m; k++) {
        ta[k] = a[(k0 + k) * sa];
        tb[k] = b[(k0 + k) * sb];
      }
      (w == 8 ? pow8 : pow4)(y + k0, ta, tb, m);
      /* a base <= 0 (signs, zeros and poles) by libm too */
      int bad = any_special(y + k0, ta, m);
      for (size_t k = 0; k < m && !bad; k++)
        bad |= !isfin(tb[k]) | !(ta[k] > 0) | pow_fast(tb[k]);
      for (size_t k = 0; k < m && bad; k++)
        if (!normal(y[k0 + k]) || !normal(ta[k]) || !isfin(tb[k]) || !(ta[k] > 0) ||
            pow_fast(tb[k]))
          y[k0 + k] = gr_pow(ta[k], tb[k]);
    }
    return;
  }
#else
  (void)w;
#endif
  for (size_t k = 0; k < n; k++)
    y[k] = gr_pow(a[k * sa], b[k * sb]);
}

void gr_tape_set_vecmath(GrTape *t, int on) { t->vecmath = on && gr_vecmath_isa() != NULL; }

static int vecfn_of(unsigned op, GrVecFn *f) {
  switch (op) {
  case GR_OP_EXP:
    *f = GR_VEC_EXP;
    return 1;
  case GR_OP_LOG:
    *f = GR_VEC_LOG;
    return 1;
  case GR_OP_SIN:
    *f = GR_VEC_SIN;
    return 1;
  case GR_OP_COS:
    *f = GR_VEC_COS;
    return 1;
  case GR_OP_ATAN:
    *f = GR_VEC_ATAN;
    return 1;
  case GR_OP_EXPM1:
    *f = GR_VEC_EXPM1;
    return 1;
  case GR_OP_LOG1P:
    *f = GR_VEC_LOG1P;
    return 1;
  default:
    return 0;
  }
}

int gr_vecmath_forward(unsigned op, double *y, const double *a, size_t sa, const double *b,
                       size_t sb, size_t n) {
  GrVecFn f;
  if (!gr_vecmath_isa())
    return 0;
  if (op == GR_OP_POW) {
    if (!sb && pow_fast(b[0]))
      return 0; /* x^2 ...: the multiplications are faster still */
    gr_vec_pow(y, a, sa, b, sb, n);
    return 1;
  }
  if (!sa || !vecfn_of(op, &f))
    return 0;
  gr_vec1(f, y, a, n);
  return 1;
}

int gr_vecmath_reverse_op(unsigned op) {
  return op == GR_OP_SIN || op == GR_OP_COS || op == GR_OP_EXPM1;
}

/* The loops of gr_vecmath_reverse, vectorised where the kernels run (AVX2 without FMA: no
 * contraction, the same roundings as the tape's loop). */
#if GR_VM_SLEEF
#define VM_AVX2 __attribute__((target("avx2")))
#else
#define VM_AVX2
#endif
/* no inf or NaN among v[0..n) (see tape.c's all_finite) */
VM_AVX2 static int all_fin(const double *v, size_t n) {
  uint64_t bad = 0;
  for (size_t k = 0; k < n; k++) {
    uint64_t u;
    memcpy(&u, v + k, sizeof u);
    bad |= (u & 0x7ff0000000000000ULL) + (1ULL << 52);
  }
  return !(bad >> 63);
}
VM_AVX2 static void accumulate(double *restrict ga, const double *restrict g,
                               const double *restrict p, double sgn, size_t m) {
  for (size_t k = 0; k < m; k++) {
    /* the tape's rounding: g * (-s) is -(g * s) exactly */
    double gk = g[k], v = gk * (sgn * p[k]), x = ga[k], s = x + v;
    ga[k] = gk != 0 ? s : x;
  }
}

int gr_vecmath_reverse(unsigned op, double *ga, const double *g, const double *a, size_t n) {
  GrVecFn f;
  double sgn = 1;
  switch (op) {
  case GR_OP_SIN: /* g * cos(a) */
    f = GR_VEC_COS;
    break;
  case GR_OP_COS: /* g * (-sin(a)) */
    f = GR_VEC_SIN;
    sgn = -1;
    break;
  case GR_OP_EXPM1: /* g * exp(a) */
    f = GR_VEC_EXP;
    break;
  default:
    return 0;
  }
  if (!gr_vecmath_isa())
    return 0;
  /* a non-finite adjoint: the tape's own loop, whose range-safe rule decides */
  if (!all_fin(g, n))
    return 0;
  enum { CH = 512 };
  double p[CH];
  for (size_t k0 = 0; k0 < n; k0 += CH) {
    size_t m = n - k0 < CH ? n - k0 : CH;
    gr_vec1(f, p, a + k0, m);
    accumulate(ga + k0, g + k0, p, sgn, m);
  }
  return 1;
}
