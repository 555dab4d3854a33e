/* SPDX-License-Identifier: GPL-3.0-or-later
 * Univariate Taylor propagation over the tape (see taylor.h). The rules are the standard
 * recurrences (Griewank & Walther, Evaluating Derivatives, ch. 13): for y = phi(a) with
 * y' = h(a) a', y_k = (1/k) sum_{j=1..k} j a_j h_{k-j}; quotients and roots solve their
 * defining product for the newest coefficient. An op whose derivative is a further
 * function of its argument without a short recurrence (the gamma family) composes the
 * argument's series with phi's own Taylor series at a_0 (the polygamma values).
 */
#include "taylor.h"
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_zeta.h>
#include <stdlib.h>
#include <string.h>

/* strong zeros: a product with an exact 0 factor is 0 */
static inline double smul(double x, double y) { return (x == 0 || y == 0) ? 0.0 : x * y; }
static inline double sdiv(double x, double y) { return x == 0 ? 0.0 : x / y; }

/* y = a * b (y may not alias a or b) */
static void t_mul(const double *a, const double *b, double *y, int N) {
  for (int k = 0; k <= N; k++) {
    double s = 0;
    for (int j = 0; j <= k; j++)
      s += smul(a[j], b[k - j]);
    y[k] = s;
  }
}

/* y = a / b, y_0 given */
static void t_div(const double *a, const double *b, double *y, int N) {
  for (int k = 1; k <= N; k++) {
    double s = a[k];
    for (int j = 0; j < k; j++)
      s -= smul(y[j], b[k - j]);
    y[k] = sdiv(s, b[0]);
  }
}

/* y' = h a' (y_0 given; h may be computed alongside: h_{k-1} must be ready before y_k) */
static inline double t_integ_k(const double *a, const double *h, int k) {
  double s = 0;
  for (int j = 1; j <= k; j++)
    s += smul(j * a[j], h[k - j]);
  return s / k;
}

/* y' q = a' (y_0 given): y_k = (k a_k - sum_{j=1..k-1} j y_j q_{k-j}) / (k q_0) */
static void t_integ_div(const double *a, const double *q, double *y, int N) {
  for (int k = 1; k <= N; k++) {
    double s = k * a[k];
    for (int j = 1; j < k; j++)
      s -= smul(j * y[j], q[k - j]);
    y[k] = sdiv(s, k * q[0]);
  }
}

/* y = sqrt(a), y_0 given */
static void t_sqrt(const double *a, double *y, int N) {
  for (int k = 1; k <= N; k++) {
    double s = a[k];
    for (int j = 1; j < k; j++)
      s -= smul(y[j], y[k - j]);
    y[k] = sdiv(s, 2 * y[0]);
  }
}

/* y = exp(a), y_0 given */
static void t_exp(const double *a, double *y, int N) {
  for (int k = 1; k <= N; k++)
    y[k] = t_integ_k(a, y, k);
}

/* s = sin(a), c = cos(a) (hyp: sinh, cosh), s_0 and c_0 given */
static void t_sincos(const double *a, double *s, double *c, int N, int hyp) {
  for (int k = 1; k <= N; k++) {
    s[k] = t_integ_k(a, c, k);
    c[k] = hyp ? t_integ_k(a, s, k) : -t_integ_k(a, s, k);
  }
}

/* y = a^r for a constant r with a_0 != 0 (y_0 given): a y' = r a' y */
static void t_powr(const double *a, double r, double *y, int N) {
  for (int k = 1; k <= N; k++) {
    double s = 0;
    for (int j = 1; j <= k; j++)
      s += smul((r * j - (k - j)) * a[j], y[k - j]);
    y[k] = sdiv(s, k * a[0]);
  }
}

/* y = a^n for a whole n >= 0 by repeated squaring (any a_0, 0 included); y_0 given */
static void t_powi(const double *a, double n, double *y, int N, double *w1, double *w2) {
  double y0 = y[0];
  memset(y, 0, (size_t)(N + 1) * sizeof *y);
  y[0] = 1;
  memcpy(w1, a, (size_t)(N + 1) * sizeof *w1);
  for (double m = n; m >= 1; m = floor(m / 2)) {
    if (fmod(m, 2) == 1) {
      t_mul(y, w1, w2, N);
      memcpy(y, w2, (size_t)(N + 1) * sizeof *y);
    }
    if (m >= 2) {
      t_mul(w1, w1, w2, N);
      memcpy(w1, w2, (size_t)(N + 1) * sizeof *w1);
    }
  }
  y[0] = y0;
}

/* y = phi(a) given phi's scaled derivatives g_n = phi^(n)(a_0)/n!, n = 1..N: Horner in
 * u = a - a_0 (u_0 = 0), O(N^3); y_0 given */
static void t_compose(const double *a, const double *g, double *y, int N, double *u, double *w) {
  double y0 = y[0];
  memcpy(u, a, (size_t)(N + 1) * sizeof *u);
  u[0] = 0;
  memset(y, 0, (size_t)(N + 1) * sizeof *y);
  for (int n = N; n >= 1; n--) {
    y[0] = g[n];
    t_mul(u, y, w, N);
    memcpy(y, w, (size_t)(N + 1) * sizeof *y);
  }
  y[0] = y0;
}

/* psi^(m)(x) / n! for the series of the gamma family: for x > 0 through the Hurwitz zeta
 * function, psi^(m)(x) = (-1)^(m+1) m! zeta(m+1, x), the factorials cancelled first */
static double psi_scaled(int m, double x, int n) {
  if (m >= 1 && x > 0) {
    gsl_sf_result r;
    if (gsl_sf_hzeta_e(m + 1.0, x, &r) == GSL_SUCCESS || isinf(r.val)) {
      double f = 1; /* m! / n! */
      if (m >= n)
        for (int i = n + 1; i <= m; i++)
          f *= i;
      else
        for (int i = m + 1; i <= n; i++)
          f /= i;
      return (m % 2 ? 1.0 : -1.0) * r.val * f;
    }
  }
  double v = gr_psi_n(m, x);
  for (int i = 2; i <= n; i++)
    v /= i;
  return v;
}

/* y = a^b; y_0 given. Constant exponents take the power recurrence (whole exponents at a
 * zero base by squaring), varying ones exp(b log a). */
static void t_pow(const double *a, const double *b, double *y, int N, double *w1, double *w2) {
  int bconst = 1;
  for (int k = 1; k <= N; k++)
    bconst &= b[k] == 0;
  double r = b[0];
  if (bconst) {
    if (r == 0) { /* PyTorch: 0 at b == 0, 0^0 included */
      for (int k = 1; k <= N; k++)
        y[k] = 0;
    } else if (a[0] != 0) {
      t_powr(a, r, y, N);
    } else if (r == floor(r) && r > 0 && r <= N) {
      t_powi(a, r, y, N, w1, w2);
    } else {
      /* a = s^m c(s), c_0 != 0: y = s^(m r) c^r: 0 below degree m r; a power series where
       * m r is whole and >= 0 (known up to degree N - m + m r); else unbounded above */
      int m = 1;
      while (m <= N && a[m] == 0)
        m++;
      double y0 = y[0];
      memset(y, 0, (size_t)(N + 1) * sizeof *y);
      y[0] = y0;
      if (m > N || m * r > N)
        return;
      double mr = m * r;
      if (mr == floor(mr) && mr >= 0) {
        int M = (int)mr, K = N - m; /* c known to degree K */
        for (int j = 0; j <= K; j++)
          w1[j] = a[j + m];
        w2[0] = pow(w1[0], r);
        t_powr(w1, r, w2, K);
        for (int k = 1; k <= N; k++)
          y[k] = k < M ? 0 : k - M <= K ? w2[k - M] : NAN;
      } else {
        double c0r = pow(a[m], r), fall = 1; /* falling factorial (m r)(m r - 1)... */
        for (int k = 1; k <= N; k++) {
          fall *= mr - (k - 1);
          y[k] = k < mr ? 0 : copysign(INFINITY, fall * c0r) + (c0r - c0r);
        }
      }
    }
    return;
  }
  int azero = 1;
  for (int k = 1; k <= N; k++)
    azero &= a[k] == 0;
  if (a[0] == 0 && azero && r >= 0) { /* 0^b: PyTorch's mask, d/db = 0 */
    for (int k = 1; k <= N; k++)
      y[k] = 0;
    return;
  }
  w1[0] = log(a[0]);
  t_integ_div(a, a, w1, N); /* log a */
  t_mul(b, w1, w2, N);      /* b log a */
  t_exp(w2, y, N);
}

int gr_taylor_has_rule(int op) {
  switch (op) {
  case GR_OP_CONST: case GR_OP_VAR: case GR_OP_LET: case GR_OP_IF:
  case GR_OP_SUM: case GR_OP_MEAN: case GR_OP_PROD: case GR_OP_VMAX: case GR_OP_VMIN:
  case GR_OP_OR: case GR_OP_AND: case GR_OP_EQ: case GR_OP_NE: case GR_OP_LT: case GR_OP_LE:
  case GR_OP_GT: case GR_OP_GE: case GR_OP_NOT: case GR_OP_SIGN: case GR_OP_FLOOR:
  case GR_OP_CEIL: case GR_OP_ROUND: case GR_OP_DETACH:
  case GR_OP_ADD: case GR_OP_SUB: case GR_OP_MUL: case GR_OP_DIV: case GR_OP_NEG:
  case GR_OP_POW: case GR_OP_SIN: case GR_OP_COS: case GR_OP_TAN: case GR_OP_ASIN:
  case GR_OP_ACOS: case GR_OP_ATAN: case GR_OP_SINH: case GR_OP_COSH: case GR_OP_TANH:
  case GR_OP_ASINH: case GR_OP_ACOSH: case GR_OP_ATANH: case GR_OP_EXP: case GR_OP_EXPM1:
  case GR_OP_LOG: case GR_OP_LOG1P: case GR_OP_LOG2: case GR_OP_LOG10: case GR_OP_SQRT:
  case GR_OP_CBRT: case GR_OP_ABS: case GR_OP_ERF: case GR_OP_ERFC: case GR_OP_LGAMMA:
  case GR_OP_GAMMA: case GR_OP_DIGAMMA: case GR_OP_POLYGAMMA: case GR_OP_SIGMOID:
  case GR_OP_RELU: case GR_OP_SOFTPLUS: case GR_OP_ATAN2: case GR_OP_HYPOT: case GR_OP_MIN:
  case GR_OP_MAX:
    return 1;
  default:
    return 0;
  }
}

double gr_taylor_deriv(double y, int k, double h) {
  int e = 0, ee;
  double m = y;
  for (int i = 1; i <= k && m != 0 && isfinite(m); i++) {
    m = frexp(m * (i / h), &ee);
    e += ee;
  }
  return ldexp(m, e);
}

const double *gr_taylor_out(const GrTape *t, const double *tc, int N, size_t k) {
  return tc + gr_tape_off(t, t->out_slot[k]) * (size_t)(N + 1);
}

/* one element of an elementwise op: y from a, b (c: the third argument of if) */
static void elem(int op, const double *a, const double *b, const double *c, double *y, int N,
                 double **w) {
  double y0 = y[0];
  size_t sz = (size_t)(N + 1) * sizeof(double);
  int k;
  switch (op) {
  case GR_OP_LET:
    memcpy(y, a, sz);
    break;
  case GR_OP_IF:
    memcpy(y, a[0] != 0 ? b : c, sz);
    break;
  case GR_OP_ADD:
  case GR_OP_SUB:
    for (k = 1; k <= N; k++)
      y[k] = op == GR_OP_ADD ? a[k] + b[k] : a[k] - b[k];
    break;
  case GR_OP_NEG:
    for (k = 1; k <= N; k++)
      y[k] = -a[k];
    break;
  case GR_OP_MUL:
    t_mul(a, b, y, N);
    break;
  case GR_OP_DIV:
    t_div(a, b, y, N);
    break;
  case GR_OP_POW:
    t_pow(a, b, y, N, w[0], w[1]);
    break;
  case GR_OP_EXP:
    t_exp(a, y, N);
    break;
  case GR_OP_EXPM1:
    w[0][0] = exp(a[0]);
    t_exp(a, w[0], N);
    memcpy(y + 1, w[0] + 1, sz - sizeof(double));
    break;
  case GR_OP_SIN:
  case GR_OP_COS:
  case GR_OP_SINH:
  case GR_OP_COSH: {
    int hyp = op == GR_OP_SINH || op == GR_OP_COSH;
    w[0][0] = hyp ? sinh(a[0]) : sin(a[0]);
    w[1][0] = hyp ? cosh(a[0]) : cos(a[0]);
    t_sincos(a, w[0], w[1], N, hyp);
    memcpy(y + 1, (op == GR_OP_SIN || op == GR_OP_SINH ? w[0] : w[1]) + 1, sz - sizeof(double));
    break;
  }
  case GR_OP_TAN:
  case GR_OP_TANH:
  case GR_OP_SIGMOID: {
    /* y' = h a' with h = 1 + y^2, 1 - y^2, y (1 - y), built alongside */
    double *h = w[0];
    for (k = 0; k < N; k++) {
      if (k)
        y[k] = t_integ_k(a, h, k);
      double s = 0;
      for (int j = 0; j <= k; j++)
        s += smul(y[j], y[k - j]);
      if (op == GR_OP_TAN)
        h[k] = k ? s : 1 + s;
      else if (op == GR_OP_TANH)
        h[k] = k ? -s : (1 - y[0]) * (1 + y[0]);
      else
        h[k] = k ? y[k] - s : y[0] * (1 - y[0]);
    }
    if (N)
      y[N] = t_integ_k(a, h, N);
    break;
  }
  case GR_OP_SOFTPLUS: /* y' = sigmoid(a) a' */
    w[1][0] = gr_sigmoid(a[0]);
    elem(GR_OP_SIGMOID, a, NULL, NULL, w[1], N, w + 2);
    for (k = 1; k <= N; k++)
      y[k] = t_integ_k(a, w[1], k);
    break;
  case GR_OP_LOG:
  case GR_OP_LOG1P:
  case GR_OP_LOG2:
  case GR_OP_LOG10: { /* y' q = a' with q = a, 1 + a, a ln 2, a ln 10 */
    double f = op == GR_OP_LOG2 ? M_LN2 : op == GR_OP_LOG10 ? M_LN10 : 1;
    for (k = 0; k <= N; k++)
      w[0][k] = (op == GR_OP_LOG1P && k == 0 ? 1 + a[0] : a[k]) * f;
    t_integ_div(a, w[0], y, N);
    break;
  }
  case GR_OP_SQRT:
    t_sqrt(a, y, N);
    break;
  case GR_OP_CBRT:
    if (a[0] != 0)
      t_powr(a, 1.0 / 3, y, N);
    else {
      w[3][0] = 1.0 / 3;
      for (k = 1; k <= N; k++)
        w[3][k] = 0;
      t_pow(a, w[3], y, N, w[0], w[1]);
    }
    break;
  case GR_OP_ASIN:
  case GR_OP_ACOS:
  case GR_OP_ASINH:
  case GR_OP_ACOSH:
  case GR_OP_ATAN:
  case GR_OP_ATANH: {
    /* y' q = a' with q = +-sqrt(1 - a^2), sqrt(a^2 + 1), sqrt(a^2 - 1), 1 + a^2, 1 - a^2 */
    double *q = w[1];
    t_mul(a, a, w[0], N);
    double sg = op == GR_OP_ACOS ? -1 : 1;
    if (op == GR_OP_ASIN || op == GR_OP_ACOS || op == GR_OP_ATANH)
      for (k = 0; k <= N; k++)
        w[0][k] = k ? -w[0][k] : (1 - a[0]) * (1 + a[0]);
    else if (op == GR_OP_ASINH || op == GR_OP_ATAN)
      w[0][0] += 1;
    else
      w[0][0] = (a[0] - 1) * (a[0] + 1);
    if (op == GR_OP_ATAN || op == GR_OP_ATANH)
      memcpy(q, w[0], sz);
    else {
      q[0] = sqrt(w[0][0]);
      t_sqrt(w[0], q, N);
    }
    for (k = 0; k <= N; k++)
      q[k] *= sg;
    t_integ_div(a, q, y, N);
    break;
  }
  case GR_OP_ERF:
  case GR_OP_ERFC: { /* y' = -+2/sqrt(pi) exp(-a^2) a' */
    t_mul(a, a, w[0], N);
    for (k = 0; k <= N; k++)
      w[0][k] = -w[0][k];
    w[1][0] = exp(w[0][0]);
    t_exp(w[0], w[1], N);
    double f = op == GR_OP_ERF ? M_2_SQRTPI : -M_2_SQRTPI;
    for (k = 0; k <= N; k++)
      w[1][k] *= f;
    for (k = 1; k <= N; k++)
      y[k] = t_integ_k(a, w[1], k);
    break;
  }
  case GR_OP_LGAMMA:
  case GR_OP_DIGAMMA:
  case GR_OP_GAMMA:
  case GR_OP_POLYGAMMA: {
    /* phi's series at x0: lgamma^(n) = psi^(n-1), psi_m^(n) = psi^(m+n) */
    const double *x = op == GR_OP_POLYGAMMA ? b : a;
    if (op == GR_OP_POLYGAMMA && !(a[0] >= 0 && a[0] <= 1e4 && a[0] == floor(a[0]))) {
      for (k = 1; k <= N; k++) /* no such polygamma (the value is NaN too) */
        y[k] = NAN;
      break;
    }
    int m0 = op == GR_OP_POLYGAMMA ? (int)a[0] : op == GR_OP_DIGAMMA ? 0 : -1;
    double *g = w[2];
    for (int n = 1; n <= N; n++)
      g[n] = m0 + n == 0 ? gr_psi(x[0]) : psi_scaled(m0 + n, x[0], n);
    if (op == GR_OP_GAMMA) { /* gamma = gamma(x0) exp(lgamma(x) - lgamma(x0)) */
      w[3][0] = 0;
      t_compose(x, g, w[3], N, w[0], w[1]);
      t_exp(w[3], y, N);
    } else
      t_compose(x, g, y, N, w[0], w[1]);
    break;
  }
  case GR_OP_ABS:
    for (k = 1; k <= N; k++)
      y[k] = a[0] > 0 ? a[k] : a[0] < 0 ? -a[k] : a[0] == 0 ? 0 : NAN;
    break;
  case GR_OP_RELU:
    for (k = 1; k <= N; k++)
      y[k] = a[0] > 0 ? a[k] : a[0] != a[0] ? NAN : 0;
    break;
  case GR_OP_MIN:
  case GR_OP_MAX: {
    double ta = op == GR_OP_MAX ? gr_tie(a[0], b[0]) : gr_tie(b[0], a[0]);
    double tb = op == GR_OP_MAX ? gr_tie(b[0], a[0]) : gr_tie(a[0], b[0]);
    for (k = 1; k <= N; k++)
      y[k] = smul(ta, a[k]) + smul(tb, b[k]);
    break;
  }
  case GR_OP_ATAN2: { /* y' = (b a' - a b') / (a^2 + b^2) */
    if (a[0] == 0 && b[0] == 0) {
      /* the origin: the tape's partials are 0/0 (NaN, as PyTorch's), sent on only where
       * a direction arrives (strong zeros) */
      int moves = 0;
      for (k = 1; k <= N; k++)
        moves |= a[k] != 0 || b[k] != 0;
      for (k = 1; k <= N; k++)
        y[k] = moves ? NAN : 0;
      break;
    }
    double *da = w[0], *db = w[1], *num = w[2], *den = w[3], *yp = w[4];
    for (k = 0; k < N; k++) {
      da[k] = (k + 1) * a[k + 1];
      db[k] = (k + 1) * b[k + 1];
    }
    t_mul(b, da, num, N - 1);
    t_mul(a, db, yp, N - 1);
    for (k = 0; k < N; k++)
      num[k] -= yp[k];
    t_mul(a, a, den, N - 1);
    t_mul(b, b, yp, N - 1);
    for (k = 0; k < N; k++)
      den[k] += yp[k];
    if (N) {
      yp[0] = sdiv(num[0], den[0]);
      t_div(num, den, yp, N - 1);
    }
    for (k = 1; k <= N; k++)
      y[k] = yp[k - 1] / k;
    break;
  }
  case GR_OP_HYPOT:
    if (a[0] == 0 && b[0] == 0) { /* the origin: a kink, derivative 0 as on the tape */
      for (k = 1; k <= N; k++)
        y[k] = 0;
      break;
    }
    t_mul(a, a, w[0], N);
    t_mul(b, b, w[1], N);
    for (k = 0; k <= N; k++)
      w[0][k] += w[1][k];
    t_sqrt(w[0], y, N);
    break;
  default: /* comparisons, logic, steps, detach: no higher coefficients */
    for (k = 1; k <= N; k++)
      y[k] = 0;
    break;
  }
  y[0] = y0;
}

double *gr_taylor(const GrTape *t, int N, const double *const *dir) {
  size_t N1 = (size_t)N + 1;
  double *tc = gr_xcalloc(t->nvals * N1 + 1, sizeof *tc);
  double *wbuf = gr_xcalloc(8 * N1 + 8, sizeof *wbuf), *w[8];
  for (int i = 0; i < 8; i++)
    w[i] = wbuf + (size_t)i * N1;
  for (size_t i = 0; i < t->n; i++) {
    const GrInstr *in = &t->ins[i];
    size_t n = gr_tape_len(t, i);
    double *Y = tc + gr_tape_off(t, i) * N1;
    for (size_t e = 0; e < n; e++)
      Y[e * N1] = t->val[gr_tape_off(t, i) + e];
    if (in->op == GR_OP_VAR) {
      int v = gr_tape_node(t, i)->var;
      if (N >= 1 && v >= 0 && v < t->nvars && dir && dir[v])
        for (size_t e = 0; e < n; e++)
          Y[e * N1 + 1] = dir[v][e];
      continue;
    }
    if (!in->need || in->nargs == 0)
      continue;
    const double *A = tc + gr_tape_off(t, in->a) * N1;
    size_t la = gr_tape_len(t, in->a);
    switch (in->op) {
    case GR_OP_SUM:
    case GR_OP_MEAN:
      for (size_t k = 1; k <= (size_t)N; k++) {
        double s = 0;
        for (size_t e = 0; e < la; e++)
          s += A[e * N1 + k];
        Y[k] = in->op == GR_OP_MEAN ? s / (double)la : s;
      }
      continue;
    case GR_OP_PROD: {
      double *p = w[5], *q = w[6];
      memset(p, 0, N1 * sizeof *p);
      p[0] = 1;
      for (size_t e = 0; e < la; e++) {
        t_mul(p, A + e * N1, q, N);
        memcpy(p, q, N1 * sizeof *p);
      }
      memcpy(Y + 1, p + 1, (N1 - 1) * sizeof *p);
      continue;
    }
    case GR_OP_VMAX:
    case GR_OP_VMIN: {
      size_t ties = 0;
      for (size_t e = 0; e < la; e++)
        ties += A[e * N1] == Y[0];
      for (size_t k = 1; k <= (size_t)N; k++) {
        double s = 0;
        for (size_t e = 0; e < la; e++)
          if (A[e * N1] == Y[0])
            s += A[e * N1 + k];
        Y[k] = ties ? s / (double)ties : 0;
      }
      continue;
    }
    default:
      break;
    }
    size_t sa = la > 1, sb = 0, sc = 0;
    const double *B = A, *C = A;
    if (in->nargs > 1) {
      B = tc + gr_tape_off(t, in->b) * N1;
      sb = gr_tape_len(t, in->b) > 1;
    }
    if (in->nargs > 2) {
      C = tc + gr_tape_off(t, in->c) * N1;
      sc = gr_tape_len(t, in->c) > 1;
    }
    for (size_t e = 0; e < n; e++)
      elem(in->op, A + e * sa * N1, B + e * sb * N1, C + e * sc * N1, Y + e * N1, N, w);
  }
  free(wbuf);
  return tc;
}
