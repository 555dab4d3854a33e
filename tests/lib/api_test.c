/* SPDX-License-Identifier: GPL-3.0-or-later
 * libgrad's public API (grad.h) against independent ways of getting the same numbers:
 * reverse mode against central differences and against the symbolic derivative compiled
 * back; blocks of points against one point at a time; the Hessian against differences of
 * gradients; two threads against one; out of memory reported, not fatal.
 */
#include "config.h"
#include <grad.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
#define CHECK(c)                                                                               \
  do {                                                                                         \
    if (!(c)) {                                                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                   \
      failures++;                                                                              \
    }                                                                                          \
  } while (0)

static int close_to(double a, double b, double rel) {
  return fabs(a - b) <= rel * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static const char *const V5[] = {"a", "b", "c", "d", "e", NULL};
static const char *F5 = "a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2)";

/* df/dx_i at x (5 variables) by central differences, step 1e-6 */
static double central_difference(grad_expr *f, const double *x, int i) {
  double h = 1e-6, xp[5], xm[5], fp, fm;
  memcpy(xp, x, sizeof xp);
  memcpy(xm, x, sizeof xm);
  xp[i] += h;
  xm[i] -= h;
  grad_eval(f, xp, &fp, NULL);
  grad_eval(f, xm, &fm, NULL);
  return (fp - fm) / (2 * h);
}

static void test_gradient(void) {
  grad_error err;
  grad_expr *f = grad_compile_vars(F5, V5, &err);
  CHECK(f && grad_nvars(f) == 5);
  if (!f)
    return;
  for (int i = 0; i < 5; i++)
    CHECK(!strcmp(grad_var_name(f, i), V5[i]) && grad_var_index(f, V5[i]) == i);
  CHECK(grad_var_name(f, 5) == NULL && grad_var_index(f, "zz") == -1);
  double x[5] = {1, 2, 3, 0.5, 1.5}, v, g[5];
  CHECK(grad_eval(f, x, &v, g) == GRAD_OK);
  for (int i = 0; i < 5; i++) {
    CHECK(close_to(g[i], central_difference(f, x, i), 1e-7));
    /* the symbolic derivative, compiled back and evaluated */
    char *s = grad_derivative(f, V5[i], &err);
    CHECK(s != NULL);
    grad_expr *d = s ? grad_compile_vars(s, V5, &err) : NULL;
    CHECK(d != NULL);
    if (d) {
      double dv;
      grad_eval(d, x, &dv, NULL);
      CHECK(close_to(g[i], dv, 1e-13));
    }
    grad_expr_free(d);
    free(s);
  }
  /* the Hessian: symmetric, and the differences of reverse-mode gradients */
  double H[25];
  CHECK(grad_hessian(f, x, H) == GRAD_OK);
  for (int j = 0; j < 5; j++) {
    double h = 1e-5, xp[5], xm[5], gp[5], gm[5];
    memcpy(xp, x, sizeof x);
    memcpy(xm, x, sizeof x);
    xp[j] += h;
    xm[j] -= h;
    grad_eval(f, xp, NULL, gp);
    grad_eval(f, xm, NULL, gm);
    for (int i = 0; i < 5; i++) {
      CHECK(close_to(H[i * 5 + j], (gp[i] - gm[i]) / (2 * h), 1e-6));
      CHECK(close_to(H[i * 5 + j], H[j * 5 + i], 1e-13));
    }
  }
  /* value without gradient: the same value */
  double v2;
  CHECK(grad_eval(f, x, &v2, NULL) == GRAD_OK && v2 == v);
  char *s = grad_expr_string(f);
  CHECK(s && strstr(s, "cos"));
  free(s);
  grad_expr_free(f);
}

/* n points in blocks against one point at a time: the same doubles */
static void block_vs_points(const char *src, size_t n) {
  grad_error err;
  grad_expr *f = grad_compile(src, &err);
  CHECK(f != NULL);
  if (!f)
    return;
  int nv = grad_nvars(f);
  double **x = calloc((size_t)nv + 1, sizeof *x), **g = calloc((size_t)nv + 1, sizeof *g);
  double *val = calloc(n, sizeof *val);
  for (int v = 0; v < nv; v++) {
    x[v] = malloc(n * sizeof **x);
    g[v] = malloc(n * sizeof **g);
    for (size_t i = 0; i < n; i++)
      x[v][i] = 0.3 + 0.01 * (double)((i * 7 + (size_t)v * 13) % 101);
  }
  CHECK(grad_eval_block(f, n, (const double *const *)x, val, g) == GRAD_OK);
  double *xi = calloc((size_t)nv + 1, sizeof *xi), *gi = calloc((size_t)nv + 1, sizeof *gi);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    double vi;
    for (int v = 0; v < nv; v++)
      xi[v] = x[v][i];
    grad_eval(f, xi, &vi, gi);
    bad += vi != val[i];
    for (int v = 0; v < nv; v++)
      bad += gi[v] != g[v][i];
  }
  if (bad)
    fprintf(stderr, "%s: %zu numbers differ between blocks and points\n", src, bad);
  CHECK(bad == 0);
  /* in place: the values into x[0], each gradient over its own x (the points are read
   * where they are, so nothing may be written before both sweeps have run) */
  if (nv > 0) {
    double **xg = calloc((size_t)nv, sizeof *xg);
    for (int v = 0; v < nv; v++) {
      xg[v] = malloc(n * sizeof **xg);
      memcpy(xg[v], x[v], n * sizeof **xg);
    }
    double *vals0 = malloc(n * sizeof *vals0);
    memcpy(vals0, x[0], n * sizeof *vals0);
    CHECK(grad_eval_block(f, n, (const double *const *)xg, xg[0], xg) == GRAD_OK);
    size_t bad2 = 0;
    for (int v = 0; v < nv; v++)
      for (size_t i = 0; i < n; i++)
        bad2 += memcmp(&xg[v][i], &g[v][i], sizeof(double)) != 0;
    CHECK(grad_eval_block(f, n, (const double *const *)x, x[0], NULL) == GRAD_OK);
    for (size_t i = 0; i < n; i++)
      bad2 += memcmp(&x[0][i], &val[i], sizeof(double)) != 0;
    if (bad2)
      fprintf(stderr, "%s: %zu numbers differ when the results overwrite the points\n", src,
              bad2);
    CHECK(bad2 == 0);
    memcpy(x[0], vals0, n * sizeof *vals0);
    free(vals0);
    for (int v = 0; v < nv; v++)
      free(xg[v]);
    free(xg);
  }
  for (int v = 0; v < nv; v++) {
    free(x[v]);
    free(g[v]);
  }
  free(x);
  free(g);
  free(val);
  free(xi);
  free(gi);
  grad_expr_free(f);
}

static void test_errors(void) {
  grad_error err;
  CHECK(grad_compile("x +", &err) == NULL && err.code == GRAD_EUSAGE && err.column > 0);
  CHECK(grad_compile("sinn(x)", &err) == NULL && err.code == GRAD_EUSAGE && err.column == 1 &&
        strstr(err.message, "sinn"));
  CHECK(grad_compile("x*[1,2]", &err) == NULL && err.code == GRAD_EUSAGE &&
        strstr(err.message, "vector"));
  CHECK(grad_compile(NULL, &err) == NULL && err.code == GRAD_EUSAGE);
  CHECK(grad_compile("x +", NULL) == NULL);
  grad_expr *f = grad_compile("log(x) + y", &err);
  CHECK(f && err.code == GRAD_OK);
  double x[2] = {0, 1}, v, g[2];
  CHECK(grad_eval(f, x, &v, g) == GRAD_ENUMERIC && isinf(v));
  /* the status covers the gradient too: a finite value with an infinite or NaN partial is
   * numeric trouble; without the gradient it is not */
  grad_expr *h = grad_compile("sqrt(x) + y", &err);
  CHECK(h);
  CHECK(grad_eval(h, x, &v, g) == GRAD_ENUMERIC && v == 1 && isinf(g[0]) && g[1] == 1);
  CHECK(grad_eval(h, x, &v, NULL) == GRAD_OK && v == 1);
  x[1] = NAN;
  CHECK(grad_eval(h, x, &v, NULL) == GRAD_ENUMERIC && isnan(v));
  x[0] = 4;
  x[1] = 1;
  CHECK(grad_eval(h, x, &v, g) == GRAD_OK && v == 3 && g[0] == 0.25 && g[1] == 1);
  grad_expr_free(h);
  CHECK(grad_derivative(f, "z", &err) == NULL && err.code == GRAD_EUSAGE);
  CHECK(grad_set_constant(f, "z", 1, &err) == GRAD_EUSAGE);
  grad_expr_free(f);
  grad_expr_free(NULL);
  CHECK(!strcmp(grad_strerror(GRAD_ENOMEM), "out of memory"));
  CHECK(!strcmp(grad_version(), PACKAGE_VERSION));
}

static void test_constants(void) {
  grad_error err;
  grad_expr *f = grad_compile("a*x^2 + b", &err);
  CHECK(f && grad_nvars(f) == 3);
  CHECK(grad_set_constant(f, "a", 3, &err) == GRAD_OK && grad_nvars(f) == 2);
  CHECK(!strcmp(grad_var_name(f, 0), "x") && !strcmp(grad_var_name(f, 1), "b"));
  double x[2] = {2, 1}, v, g[2];
  CHECK(grad_eval(f, x, &v, g) == GRAD_OK && v == 13 && g[0] == 12 && g[1] == 1);
  char *s = grad_derivative(f, "x", &err);
  CHECK(s && !strcmp(s, "6*x"));
  free(s);
  grad_expr_free(f);
  /* e declared a variable, then fixed: Euler's number would give another value */
  static const char *const ve[] = {"e", "x", NULL};
  f = grad_compile_vars("e*x", ve, &err);
  CHECK(f && grad_nvars(f) == 2);
  CHECK(grad_set_constant(f, "e", 2, &err) == GRAD_OK && grad_nvars(f) == 1);
  double y = 5;
  CHECK(grad_eval(f, &y, &v, g) == GRAD_OK && v == 10 && g[0] == 2);
  grad_expr_free(f);
}

static int stop_at_3(void *ud, long iter, const double *x, double f, double gnorm) {
  (void)x, (void)f, (void)gnorm;
  *(long *)ud = iter;
  return iter == 3;
}

static void test_minimize(void) {
  grad_error err;
  grad_expr *f = grad_compile("(x-1)^2 + 2(y+3)^2", &err);
  double x[2] = {0, 0};
  grad_minimize_result r;
  CHECK(grad_minimize(f, x, NULL, &r, &err) == GRAD_OK && r.converged);
  CHECK(fabs(x[0] - 1) < 1e-6 && fabs(x[1] + 3) < 1e-6);
  grad_minimize_options o;
  grad_minimize_options_init(&o);
  o.method = "adam";
  o.lr = 0.1;
  o.steps = 3000;
  x[0] = x[1] = 0;
  int st = grad_minimize(f, x, &o, &r, &err);
  CHECK((st == GRAD_OK || st == GRAD_ENUMERIC) && fabs(x[0] - 1) < 1e-3 && fabs(x[1] + 3) < 1e-3);
  long last = -1;
  o.progress = stop_at_3;
  o.userdata = &last;
  x[0] = x[1] = 0;
  CHECK(grad_minimize(f, x, &o, &r, &err) == GRAD_EINTR && last == 3 && !strcmp(r.stop, "callback"));
  o.method = "no-such-method";
  CHECK(grad_minimize(f, x, &o, &r, &err) == GRAD_EUSAGE && strstr(err.message, "no-such-method"));
  grad_expr_free(f);
}

/* ---- two threads, two expressions ---- */
typedef struct Job {
  const char *src;
  double sum;
  char *deriv;
} Job;

static void *job(void *p) {
  Job *j = p;
  grad_error err;
  grad_expr *f = grad_compile(j->src, &err); /* parsing, simplifying, printing in parallel */
  j->sum = 0;
  if (!f)
    return NULL;
  int n = grad_nvars(f);
  double x[8], g[8], v;
  for (int k = 0; k < 20000; k++) {
    for (int i = 0; i < n; i++)
      x[i] = 0.5 + 1e-4 * (double)((k * (i + 3)) % 977);
    grad_eval(f, x, &v, g);
    j->sum += v;
    for (int i = 0; i < n; i++)
      j->sum += g[i] * (double)(i + 1);
  }
  j->deriv = grad_derivative(f, grad_var_name(f, 0), &err);
  grad_expr_free(f);
  return NULL;
}

static void test_threads(void) {
  Job serial[2] = {{"sin(x*y) + exp(-x^2) * pi + e", 0, NULL},
                   {"u = log(1+a^2); u*b/(c+2) + tanh(a-b)", 0, NULL}};
  Job par[2] = {serial[0], serial[1]};
  job(&serial[0]);
  job(&serial[1]);
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, job, &par[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  for (int i = 0; i < 2; i++) {
    CHECK(serial[i].sum != 0 && serial[i].sum == par[i].sum);
    CHECK(serial[i].deriv && par[i].deriv && !strcmp(serial[i].deriv, par[i].deriv));
    free(serial[i].deriv);
    free(par[i].deriv);
  }
}

/* Out of memory in a child limited to 256 MB more address space: grad_compile returns
 * GRAD_ENOMEM (the programs would print and exit 4), and the process goes on. */
static void test_oom(void) {
#if defined(__SANITIZE_ADDRESS__)
  fputs("api_test: out-of-memory test skipped under AddressSanitizer\n", stderr);
#else
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit rl;
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f && fscanf(f, "%lu", &pages) != 1)
      pages = 0;
    if (f)
      fclose(f);
    rl.rlim_cur = rl.rlim_max = pages * (unsigned long)sysconf(_SC_PAGESIZE) + (256ul << 20);
    setrlimit(RLIMIT_AS, &rl);
    /* f_k calls f_{k-1} twice with different arguments: 2^k distinct nodes */
    char src[4096] = "f0(x) = sin(x);";
    for (int k = 1; k <= 26; k++)
      snprintf(src + strlen(src), sizeof src - strlen(src),
               " f%d(x) = f%d(x+1) * f%d(x+2);", k, k - 1, k - 1);
    strcat(src, " f26(y)");
    grad_error err;
    grad_expr *e = grad_compile(src, &err);
    if (e || err.code != GRAD_ENOMEM) {
      fprintf(stderr, "api_test: expected out of memory, got %d: %s\n", err.code, err.message);
      _exit(1);
    }
    e = grad_compile("x^2", &err); /* and the library still works */
    double x = 3, v, g;
    _exit(e && grad_eval(e, &x, &v, &g) == GRAD_OK && v == 9 && g == 6 ? 0 : 1);
  }
  int status;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#endif
}

/* distance in ulps between two doubles of the same sign */
static double ulps(double a, double b) {
  if (a == b)
    return 0;
  return fabs(a - b) / (nextafter(fabs(b), INFINITY) - fabs(b));
}

/* grad_set_vecmath: off by default (blocks are the points' bits, block_vs_points), on within
 * 1 ulp of the points for a one-function expression, off again the points' bits */
static void test_vecmath(void) {
  static const char *const src[] = {"exp(x)", "sin(x)", "cos(x)", "log(x)", "x^2.5"};
  enum { N = 2000 };
  static double x[N], val[N], gx[N];
  for (size_t i = 0; i < N; i++)
    x[i] = 0.25 + 4.0 * (double)i / N;
  for (size_t s = 0; s < sizeof src / sizeof *src; s++) {
    grad_error err;
    grad_expr *f = grad_compile(src[s], &err);
    CHECK(f != NULL);
    if (!f)
      return;
    const double *xs[1] = {x};
    double *gs[1] = {gx};
    for (int pass = 0; pass < 3; pass++) {
      int on = pass == 1;
      int used = grad_set_vecmath(f, on);
      CHECK(on || !used);
      CHECK(grad_eval_block(f, N, xs, val, gs) == GRAD_OK);
      double worst = 0;
      size_t differ = 0;
      for (size_t i = 0; i < N; i++) {
        double v, g;
        grad_eval(f, &x[i], &v, &g);
        double u = ulps(val[i], v), ug = ulps(gx[i], g);
        worst = u > worst ? u : worst;
        worst = ug > worst ? ug : worst;
        differ += u != 0 || ug != 0;
      }
      if (!on && differ)
        fprintf(stderr, "%s: vector math off, yet %zu points differ from grad_eval\n", src[s], differ);
      CHECK(on || differ == 0);
      if (worst > 1)
        fprintf(stderr, "%s: vector math %d: %g ulp from grad_eval\n", src[s], used, worst);
      CHECK(worst <= 1);
    }
    grad_expr_free(f);
  }
}

/* declared variables that the expression does not use, and an order of declaration that is
 * not the order of appearance: their gradient entries are exactly 0 (the buffer starts as
 * NaN), the others those of blocks of points and of central differences */
static void test_unused_vars(void) {
  static const char *const vars[] = {"p", "q", "r", "s", "t", NULL};
  grad_error err;
  grad_expr *f = grad_compile_vars("s*exp(q) + s^2 - q", vars, &err);
  CHECK(f != NULL && grad_nvars(f) == 5);
  if (!f)
    return;
  double x[5] = {7, 0.5, -3, 1.25, 9}, g[5], v;
  for (int k = 0; k < 5; k++)
    g[k] = NAN;
  CHECK(grad_eval(f, x, &v, g) == GRAD_OK);
  CHECK(v == 1.25 * exp(0.5) + 1.25 * 1.25 - 0.5);
  for (int k = 0; k < 5; k++)
    CHECK(close_to(g[k], central_difference(f, x, k), 1e-7));
  CHECK(g[0] == 0 && !signbit(g[0]) && g[2] == 0 && !signbit(g[2]) && g[4] == 0 &&
        !signbit(g[4]));
  const double *xc[5] = {&x[0], &x[1], &x[2], &x[3], &x[4]};
  double vb, gb[5], *gc[5] = {&gb[0], &gb[1], &gb[2], &gb[3], &gb[4]};
  CHECK(grad_eval_block(f, 1, xc, &vb, gc) == GRAD_OK);
  CHECK(vb == v);
  for (int k = 0; k < 5; k++)
    CHECK(memcmp(&gb[k], &g[k], sizeof g[k]) == 0);
  grad_expr_free(f);
}

/* grad_eval_block reports GRAD_ENUMERIC exactly when some value or gradient is not finite,
 * wherever in the block (first, last, inside or after the first 256-point chunk) it is */
static void test_block_nonfinite(void) {
  grad_error err;
  grad_expr *f = grad_compile("log(x) + sqrt(y)", &err);
  CHECK(f != NULL);
  if (!f)
    return;
  enum { N = 700 };
  static double x[N], y[N], val[N], gx[N], gy[N];
  const double *xs[2] = {x, y};
  double *gs[2] = {gx, gy};
  int ix = grad_var_index(f, "x"), iy = grad_var_index(f, "y");
  CHECK(ix >= 0 && iy >= 0 && ix != iy);
  if (ix < 0 || iy < 0) {
    grad_expr_free(f);
    return;
  }
  xs[ix] = x;
  xs[iy] = y;
  const size_t at[] = {0, 1, 255, 256, 300, 699};
  /* x = 0: the value is -inf; x = -1: NaN; y = 0: the value is finite, dy is inf */
  const double bad_x[] = {0, -1}, bad_y = 0;
  for (size_t i = 0; i < N; i++)
    x[i] = y[i] = 1 + (double)i / N;
  CHECK(grad_eval_block(f, N, xs, val, gs) == GRAD_OK);
  CHECK(grad_eval_block(f, N, xs, val, NULL) == GRAD_OK);
  for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
    for (int b = 0; b < 2; b++) {
      x[at[k]] = bad_x[b];
      CHECK(grad_eval_block(f, N, xs, val, gs) == GRAD_ENUMERIC);
      CHECK(grad_eval_block(f, N, xs, val, NULL) == GRAD_ENUMERIC);
      x[at[k]] = 1;
    }
    y[at[k]] = bad_y;
    CHECK(grad_eval_block(f, N, xs, val, gs) == GRAD_ENUMERIC);
    CHECK(grad_eval_block(f, N, xs, val, NULL) == GRAD_OK); /* the values are all finite */
    y[at[k]] = 1;
  }
  grad_expr_free(f);
}

int main(void) {
  test_gradient();
  test_vecmath();
  block_vs_points(F5, 1000);
  block_vs_points("x^2*y + exp(x*y) - relu(x-y) + max(x, y)", 300);
  block_vs_points("x^2", 3);
  block_vs_points("sum([1,2,3]*x) + y", 600); /* a reduction: one point per sweep */
  block_vs_points("u = x*x; if(u > 0.5, u, -u) + 0*y", 257);
  test_unused_vars();
  test_block_nonfinite();
  test_errors();
  test_constants();
  test_minimize();
  test_threads();
  test_oom();
  if (failures)
    fprintf(stderr, "api_test: %d checks failed\n", failures);
  return failures != 0;
}
