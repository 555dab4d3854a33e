/* SPDX-License-Identifier: GPL-3.0-or-later
 * grad's symbolic and higher-order modes: --symbolic (formulas, optionally --cse, in infix,
 * LaTeX or C), --order N (derivatives of one variable, or a mixed partial over the --wrt
 * names), --hessian (forward-over-reverse on the tape, one column per variable) and
 * --check (reverse mode vs the symbolic formula vs GSL's central difference).
 * Formulas come from gr_deriv + gr_simplify; every number printed at --at comes from a
 * compiled tape, and the symbolic value is checked against reverse mode.
 */
#include "deriv.h"
#include "gradprog.h"
#include "num.h"
#include "print.h"
#include "simplify.h"
#include "taylor.h"
#include <gsl/gsl_deriv.h>
#include <gsl/gsl_errno.h>
#include <stdlib.h>
#include <string.h>

/* values of nodes[0..n) at the --at point (scalar variables) */
/* A tape of nodes[0..n) with the --at values written in and the values computed. */
static GrTape *point_tape_n(GradCtx *c, GrNode *const *nodes, int n, int *st) {
  GrTape *t;
  GrDiag d;
  *st = 0;
  if (gr_tape_compile(c->g, nodes, (size_t)n, c->var_len, &t, &d) != GR_OK) {
    gr_diag_render(stderr, "grad", &d, grad_src_of(c, nodes[0]));
    *st = d.status;
    return NULL;
  }
  grad_tape_set_at(c, t);
  gr_tape_forward(t);
  return t;
}

static GrTape *point_tape(GradCtx *c, GrNode *f, int *st) { return point_tape_n(c, &f, 1, st); }

/* the values of nodes[0..n) at --at */
static int eval_at(GradCtx *c, GrNode *const *nodes, int n, double *out) {
  int st;
  GrTape *t = point_tape_n(c, nodes, n, &st);
  if (!t)
    return st;
  for (int k = 0; k < n; k++)
    out[k] = gr_tape_out(t, (size_t)k)[0];
  gr_tape_free(t);
  return 0;
}

static int close_enough(double a, double b, double atol, double rtol) {
  if (isnan(a) || isnan(b))
    return isnan(a) && isnan(b);
  if (isinf(a) || isinf(b))
    return a == b;
  return fabs(a - b) <= atol + rtol * fabs(b);
}

static void put(FILE *f, double v, const GradOpts *o, int json) { gr_put_num(f, v, o->digits, json); }

/* "at":{...},"value":v,"gradient":{"x":..,...} for the variables w[0..nw) */
static void json_point(const GradCtx *c, double val, const int *w, const double *g, int nw) {
  fputs("\"at\":", stdout);
  grad_json_at(c, stdout);
  fputs(",\"value\":", stdout);
  put(stdout, val, c->o, 1);
  fputs(",\"gradient\":{", stdout);
  for (int j = 0; j < nw; j++) {
    if (j)
      putchar(',');
    gr_json_str(stdout, c->g->vars[w[j]]);
    putchar(':');
    put(stdout, g[j], c->o, 1);
  }
  putchar('}');
}

static GrPrintStyle style_of(const GradOpts *o) {
  return o->format == FMT_LATEX ? GR_PRINT_LATEX : o->format == FMT_C ? GR_PRINT_C : GR_PRINT_INFIX;
}

/* the label of a derivative: d/dx, d2/dx2, d2/dxdy (infix), LaTeX or C identifiers */
static char *label(const GradOpts *o, const char *const *vars, int n, int numeric) {
  GrBuf b = {0};
  int same = 1;
  for (int i = 1; i < n; i++)
    same &= !strcmp(vars[i], vars[0]);
  if (o->format == FMT_C) {
    gr_buf_puts(&b, "d");
    if (n > 1 && same)
      gr_buf_printf(&b, "%d", n);
    gr_buf_puts(&b, "f_d");
    for (int i = 0; i < (same ? 1 : n); i++)
      gr_buf_printf(&b, "%s%s", i ? "d" : "", vars[i]);
    if (n > 1 && same)
      gr_buf_printf(&b, "%d", n);
    return b.s;
  }
  if (o->format == FMT_LATEX) {
    if (n == 1) {
      gr_buf_puts(&b, "\\frac{\\partial f}{\\partial ");
      gr_latex_name(&b, vars[0]);
      gr_buf_puts(&b, "}");
    } else if (same) {
      gr_buf_printf(&b, "\\frac{\\partial^{%d} f}{\\partial ", n);
      gr_latex_name(&b, vars[0]);
      gr_buf_printf(&b, "^{%d}}", n);
    } else {
      gr_buf_printf(&b, "\\frac{\\partial^{%d} f}{", n);
      for (int i = 0; i < n; i++) {
        gr_buf_puts(&b, "\\partial ");
        gr_latex_name(&b, vars[i]);
        gr_buf_puts(&b, i + 1 < n ? " " : "}");
      }
    }
    return b.s;
  }
  gr_buf_puts(&b, "d");
  if (n > 1)
    gr_buf_printf(&b, "%d", n);
  gr_buf_puts(&b, numeric ? "f/" : "/");
  if (same) {
    gr_buf_printf(&b, "d%s", vars[0]);
    if (n > 1)
      gr_buf_printf(&b, "%d", n);
  } else
    for (int i = 0; i < n; i++)
      gr_buf_printf(&b, "d%s", vars[i]);
  return b.s;
}

/* Shared sub-expressions (as --cse) also without --cse when a formula printed as a tree
 * would be out of proportion to its DAG (more than 20 times its operations and 2000 in
 * all, or 10 million): a deep composition such as the logistic map doubles its tree at
 * every level. Says so on stderr. */
static int share(GradCtx *c, GrNode **roots, char **names, int n) {
  if (c->o->cse)
    return 1;
  for (int k = 0; k < n; k++) {
    size_t tree = gr_count_tree_ops(c->g, roots[k]), dag = gr_count_ops(c->g, roots[k]);
    if ((tree / 20 > dag && tree > 2000) || tree > 10000000) {
      char num[40];
      if (tree == SIZE_MAX)
        snprintf(num, sizeof num, "more than %zu", (size_t)SIZE_MAX - 1);
      else
        snprintf(num, sizeof num, "%zu", tree);
      fprintf(stderr, "grad: note: %s has %s operations as a tree and %zu distinct ones; "
                      "printed with shared sub-expressions (as --cse)\n",
              names[k][0] == '\x01' || c->o->format == FMT_JSON ? "a formula" : names[k], num, dag);
      return 1;
    }
  }
  return 0;
}

/* print formulas (text/latex/c), with --cse as temporaries */
static void print_formulas(GradCtx *c, GrNode **roots, char **names, int n) {
  GradOpts *o = c->o;
  int cse = share(c, roots, names, n);
  GrBuf b = {0};
  gr_buf_puts(&b, "");
  if (o->format == FMT_C)
    gr_print_c_helpers(&b, c->g, roots, n);
  if (cse)
    gr_print_cse(&b, c->g, roots, (const char *const *)names, n, style_of(o), o->digits);
  else
    for (int k = 0; k < n; k++) {
      gr_buf_printf(&b, "%s%s = ", o->format == FMT_C ? "double " : "", names[k]);
      gr_print(&b, roots[k], style_of(o), o->digits);
      gr_buf_puts(&b, o->format == FMT_C ? ";\n" : "\n");
    }
  fputs(b.s, stdout);
  gr_buf_free(&b);
}

/* JSON: "symbolic":{"x":"..."}; with --cse the temporaries go first, in "temporaries" */
static void json_formulas(GradCtx *c, const char *key, GrNode **roots, char **names, int n,
                          int as_array) {
  GradOpts *o = c->o;
  GrBuf b = {0};
  gr_buf_puts(&b, "");
  char **nm = gr_xcalloc((size_t)n + 1, sizeof *nm);
  for (int k = 0; k < n; k++) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "\x01%d", k); /* marks a root's line */
    nm[k] = gr_xstrdup(tmp);
  }
  int cse = share(c, roots, names, n);
  if (cse)
    gr_print_cse(&b, c->g, roots, (const char *const *)nm, n, GR_PRINT_INFIX, o->digits);
  else
    for (int k = 0; k < n; k++) {
      gr_buf_printf(&b, "%s = ", nm[k]);
      gr_print(&b, roots[k], GR_PRINT_INFIX, o->digits);
      gr_buf_puts(&b, "\n");
    }
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 0 && !cse)
      continue;
    printf(",\"%s\":%s", pass ? key : "temporaries", pass && as_array ? "[" : "{");
    int k = 0;
    for (char *line = b.s; *line;) {
      char *end = strchr(line, '\n');
      *end = 0;
      char *eq = strstr(line, " = ");
      int root = line[0] == '\x01';
      if (root == pass) {
        *eq = 0;
        if (k++)
          putchar(',');
        if (!(pass && as_array)) {
          gr_json_str(stdout, root ? names[atoi(line + 1)] : line);
          putchar(':');
        }
        gr_json_str(stdout, eq + 3);
        *eq = ' ';
      }
      *end = '\n';
      line = end + 1;
    }
    fputs(pass && as_array ? "]" : "}", stdout);
  }
  for (int j = 0; j < n; j++)
    free(nm[j]);
  free(nm);
  gr_buf_free(&b);
}

static int scalar_only(GradCtx *c, const char *what) {
  for (int v = 0; v < c->g->nvars; v++)
    if (c->var_len[v] > 1) {
      fprintf(stderr, "grad: error: %s needs scalar values; '%s' is a vector\n", what, c->g->vars[v]);
      return 2;
    }
  if (c->nout != 1) {
    fprintf(stderr, "grad: error: %s takes one expression, not %d\n", what, c->nout);
    return 2;
  }
  return 0;
}

/* d^n f / d w[0] ... d w[n-1], simplified after every step (raw: not simplified) */
static int nth(GradCtx *c, GrDeriv *D, GrNode *f, const int *w, int n, GrNode **out, int expand) {
  GrDiag d;
  for (int i = 0; i < n; i++) {
    GrNode *v = gr_var(c->g, c->g->vars[w[i]]);
    if (gr_deriv(D, f, v, &f, &d) != GR_OK) {
      gr_diag_render(stderr, "grad", &d, NULL);
      return d.status;
    }
    f = gr_simplify_ex(c->g, f, expand);
    if (gr_interrupted)
      return 130;
  }
  *out = f;
  return 0;
}

static int have_point(const GradCtx *c) { return c->o->at.n > 0; }

/* --symbolic (first derivatives). A vector-valued expression has a vector formula per
 * variable: its elements are the Jacobian's column, computed by one reverse sweep per
 * output element (what the plain mode prints as df[i]/dx), and compared element by element. */
static int mode_symbolic(GradCtx *c, GrDeriv *D, GrNode *f, const int *w, int nw) {
  GradOpts *o = c->o;
  int json = o->format == FMT_JSON, st = 0, bad = 0;
  GrNode **roots = gr_xcalloc((size_t)nw + 1, sizeof *roots);
  char **names = gr_xcalloc((size_t)nw + 1, sizeof *names);
  for (int j = 0; j < nw; j++) {
    if ((st = nth(c, D, f, &w[j], 1, &roots[j], 0)))
      goto out;
    names[j] = json ? gr_xstrdup(c->g->vars[w[j]]) : label(o, &c->g->vars[w[j]], 1, 0);
  }
  if (o->format == FMT_C) {
    /* C declarations hold numbers: a vector formula has no C expression */
    GrTape *t;
    GrDiag d;
    if (gr_tape_compile(c->g, roots, (size_t)nw, c->var_len, &t, &d) == GR_OK) {
      for (int j = 0; j < nw && !st; j++)
        if (gr_tape_out_len(t, (size_t)j) != 1) {
          fprintf(stderr, "grad: error: --format c prints scalar formulas; d/d%s is a vector of "
                          "%zu elements (use --format text, latex or json)\n",
                  c->g->vars[w[j]], gr_tape_out_len(t, (size_t)j));
          st = 2;
        }
      gr_tape_free(t);
    }
    if (st)
      goto out;
  }
  size_t L = 1; /* elements of the value */
  double *val = NULL, *rev = NULL; /* val[i]; rev[i*nw + j] = d f[i] / d w[j] */
  if (have_point(c)) {
    GrTape *t = point_tape(c, f, &st);
    if (!t)
      goto out;
    L = gr_tape_out_len(t, 0);
    val = gr_xcalloc(L, sizeof *val);
    rev = gr_xcalloc(L * (size_t)nw + 1, sizeof *rev);
    memcpy(val, gr_tape_out(t, 0), L * sizeof *val);
    double *seed = gr_xcalloc(L, sizeof *seed);
    for (size_t i = 0; i < L; i++) {
      seed[i] = 1;
      gr_tape_reverse(t, 0, seed);
      seed[i] = 0;
      if (i == 0)
        grad_warn_issues(c, t);
      for (int j = 0; j < nw; j++) {
        const double *gg = gr_tape_grad(t, w[j]);
        rev[i * (size_t)nw + (size_t)j] = gg ? gg[0] : 0;
      }
    }
    free(seed);
    gr_tape_free(t);
    grad_note(c, val, L);
    grad_note(c, rev, L * (size_t)nw);
    /* the formulas' values, element by element (a formula of one element broadcasts) */
    GrTape *ts = point_tape_n(c, roots, nw, &st);
    if (!ts)
      goto out_vals;
    for (int j = 0; j < nw; j++) {
      const double *sv = gr_tape_out(ts, (size_t)j);
      size_t n = gr_tape_out_len(ts, (size_t)j);
      for (size_t i = 0; i < L; i++) {
        double sym = n == L ? sv[i] : n == 1 ? sv[0] : NAN, r = rev[i * (size_t)nw + (size_t)j];
        if (!close_enough(sym, r, 1e-12, 1e-9)) {
          char a[40], b2[40], el[32] = "";
          gr_fmt(a, sym, 0);
          gr_fmt(b2, r, 0);
          if (L > 1)
            snprintf(el, sizeof el, " element %zu", i);
          fprintf(stderr, "grad: warning: d/d%s%s: the symbolic formula gives %s, reverse mode %s\n",
                  c->g->vars[w[j]], el, a, b2);
          bad = 1;
          break;
        }
      }
    }
    gr_tape_free(ts);
  }
  if (json) {
    fputs("{", stdout);
    if (have_point(c) && L == 1) {
      json_point(c, val[0], w, rev, nw);
    } else if (have_point(c)) {
      /* the plain mode's layout of a Jacobian: rows f[0], f[1], ... */
      fputs("\"at\":", stdout);
      grad_json_at(c, stdout);
      fputs(",\"value\":", stdout);
      grad_put_vec(stdout, val, L, 1, o->digits, 1);
      fputs(",\"rows\":[", stdout);
      for (size_t i = 0; i < L; i++)
        printf("%s\"f[%zu]\"", i ? "," : "", i);
      fputs("],\"jacobian\":[", stdout);
      for (size_t i = 0; i < L; i++) {
        fputs(i ? ",{" : "{", stdout);
        for (int j = 0; j < nw; j++) {
          if (j)
            putchar(',');
          gr_json_str(stdout, c->g->vars[w[j]]);
          putchar(':');
          put(stdout, rev[i * (size_t)nw + (size_t)j], o, 1);
        }
        putchar('}');
      }
      putchar(']');
    } else
      fputs("\"at\":{}", stdout);
    json_formulas(c, "symbolic", roots, names, nw, 0);
    fputs("}\n", stdout);
  } else {
    if (have_point(c) && o->format == FMT_TEXT) {
      fputs("f = ", stdout);
      grad_put_vec(stdout, val, L, L > 1, o->digits, 0);
      putchar('\n');
      double *col = gr_xcalloc(L, sizeof *col);
      for (int j = 0; j < nw; j++) {
        for (size_t i = 0; i < L; i++)
          col[i] = rev[i * (size_t)nw + (size_t)j];
        printf("df/d%s = ", c->g->vars[w[j]]);
        grad_put_vec(stdout, col, L, L > 1, o->digits, 0);
        putchar('\n');
      }
      free(col);
    }
    print_formulas(c, roots, names, nw);
  }
out_vals:
  free(val);
  free(rev);
  if (!st && bad)
    st = 1;
out:
  for (int j = 0; j < nw; j++)
    free(names[j]);
  free(names);
  free(roots);
  return st;
}

/* (H e_j)_i: forward-over-reverse at the tape's current values */
static double hvp_at(GrTape *t, int nv, int i, int j) {
  double **dir = gr_xcalloc((size_t)nv + 1, sizeof *dir);
  double one = 1;
  dir[j] = &one;
  gr_tape_tangent(t, (const double *const *)dir);
  gr_tape_reverse(t, 0, NULL);
  gr_tape_reverse_tangent(t, 0);
  const double *h = gr_tape_hvp(t, i);
  free(dir);
  return h ? h[0] : 0;
}

typedef struct FDH {
  GrTape *t;
  double *x;
  int nv, i, j;
} FDH;

static double fdh_f(double x, void *p) {
  FDH *q = p;
  q->x[0] = x;
  gr_tape_forward(q->t);
  return hvp_at(q->t, q->nv, q->i, q->j);
}

/* Taylor mode at --at on the user's expression as written (named intermediates and all):
 * the coefficients 0..N of f along the direction dir (per graph variable, NULL: 0).
 * Returns a malloc'd array of N + 1, or NULL with *st set. keep (may be NULL): the tape,
 * reused when *keep is set already, else compiled and stored there (the caller frees it). */
static double *taylor_at(GradCtx *c, const double *dirv, int N, int *st, GrTape **keep) {
  GrTape *t = keep && *keep ? *keep : point_tape(c, c->outs[0], st);
  if (!t)
    return NULL;
  int nv = c->g->nvars;
  const double **dir = gr_xcalloc((size_t)nv + 1, sizeof *dir);
  for (int v = 0; v < nv; v++)
    dir[v] = dirv[v] != 0 ? &dirv[v] : NULL;
  double *tc = gr_taylor(t, N, (const double *const *)dir);
  double *y = gr_xcalloc((size_t)N + 1, sizeof *y);
  memcpy(y, gr_taylor_out(t, tc, N, 0), ((size_t)N + 1) * sizeof *y);
  free(tc);
  free(dir);
  if (keep)
    *keep = t;
  else
    gr_tape_free(t);
  return y;
}

/* The derivatives 1..N along variable v into d[0..N). The coefficients along h e_v are
 * f^(k) h^k / k!: with h = 1 those of an entire function underflow at high order (1/k!)
 * and those of a function with a pole near by overflow, so the step h (a power of 2: the
 * scaling is exact) is chosen again from the last coefficient in range until the highest
 * ones are representable (a few sweeps at most). */
static int taylor_derivs(GradCtx *c, int v, int N, double *d) {
  int st = 0;
  double *dirv = gr_xcalloc((size_t)c->g->nvars + 1, sizeof *dirv), h = 1, *y = NULL;
  GrTape *t = NULL;
  for (int pass = 0; pass < 8; pass++) {
    dirv[v] = h;
    free(y);
    if (!(y = taylor_at(c, dirv, N, &st, &t)))
      break;
    int K = 0; /* the last coefficient in the normal range */
    for (int k = 1; k <= N; k++)
      if (isfinite(y[k]) && fabs(y[k]) >= 0x1p-1022)
        K = k;
    if (K == 0 || K == N || (fabs(y[K]) > 1e-200 && fabs(y[K]) < 1e200 && isfinite(y[K + 1])))
      break;
    int e = (int)lround(-log2(fabs(y[K])) / K);
    if (e == 0)
      break;
    h = ldexp(h, e);
  }
  for (int k = 1; y && k <= N; k++)
    d[k - 1] = gr_taylor_deriv(y[k], k, h);
  free(y);
  free(dirv);
  gr_tape_free(t);
  return st;
}

/* The mixed partial d^N f / d w[0] ... d w[N-1] by polarization of Taylor mode: with the
 * distinct variables u_j counted c_j times, and y_N(d) the degree-N coefficient along d,
 *   d^N f = sum over 0 <= m_j <= c_j, m != 0, of (-1)^(N - |m|) prod_j C(c_j, m_j) y_N(sum m_j u_j)
 * (the polarization identity of the symmetric N-linear form D^N f; Griewank, Utke & Walther
 * 2000 interpolate the same family of univariate Taylor expansions). prod (c_j + 1) - 1
 * sweeps of O(N^2) per op. */
static double taylor_mixed(GradCtx *c, const int *w, int N, int *st) {
  int nv = c->g->nvars, nd = 0;
  int *var = gr_xcalloc((size_t)N, sizeof *var), *cnt = gr_xcalloc((size_t)N, sizeof *cnt);
  for (int i = 0; i < N; i++) {
    int j = 0;
    while (j < nd && var[j] != w[i])
      j++;
    if (j == nd)
      var[nd++] = w[i];
    cnt[j]++;
  }
  int *m = gr_xcalloc((size_t)nd, sizeof *m);
  double *dirv = gr_xcalloc((size_t)nv + 1, sizeof *dirv), sum = 0;
  GrTape *t = NULL;
  for (;;) {
    int j = 0; /* the next multi-index m (mixed radix c_j + 1) */
    while (j < nd && m[j] == cnt[j])
      m[j++] = 0;
    if (j == nd)
      break;
    m[j]++;
    double wgt = 1;
    int tot = 0;
    for (int i = 0; i < nd; i++) {
      dirv[var[i]] = m[i];
      tot += m[i];
      for (int r = 0; r < m[i]; r++) /* C(c_i, m_i) */
        wgt = wgt * (cnt[i] - r) / (r + 1);
    }
    double *y = taylor_at(c, dirv, N, st, &t);
    if (!y)
      break;
    sum += ((N - tot) % 2 ? -wgt : wgt) * y[N];
    free(y);
  }
  gr_tape_free(t);
  free(var);
  free(cnt);
  free(m);
  free(dirv);
  return sum;
}

/* --order N: derivatives 1..N of one variable, or the mixed partial over the --wrt names */
static int mode_order(GradCtx *c, GrDeriv *D, GrNode *f, const int *w, int nw) {
  GradOpts *o = c->o;
  int N = o->order, json = o->format == FMT_JSON, st = 0;
  int mixed = nw > 1;
  if (mixed && !o->wrt) {
    fprintf(stderr, "grad: error: --order: the expression has %d variables; name the one to "
                    "differentiate by with --wrt (or N names for a mixed partial)\n", nw);
    return 2;
  }
  if (mixed && nw != N) {
    fprintf(stderr, "grad: error: --order %d with %d --wrt names: give one name (derivatives 1 to "
                    "%d) or exactly %d names (a mixed partial)\n", N, nw, N, N);
    return 2;
  }
  if (nw == 0) {
    fprintf(stderr, "grad: error: --order needs a variable (the expression has none)\n");
    return 2;
  }
  int nr = mixed ? 1 : N;
  GrNode **roots = gr_xcalloc((size_t)nr, sizeof *roots);
  char **names = gr_xcalloc((size_t)nr, sizeof *names);
  const char **vs = gr_xcalloc((size_t)N, sizeof *vs);
  for (int i = 0; i < N; i++)
    vs[i] = c->g->vars[w[mixed ? i : 0]];
  /* formulas only when printed: the numbers at --at come from Taylor mode on the tape */
  int formulas = o->symbolic || !have_point(c);
  if (formulas && N > 100) {
    fprintf(stderr, "grad: error: --order %d: formulas go to order 100\n", N);
    st = 2;
  } else if (mixed && have_point(c) && N > 16) {
    fprintf(stderr, "grad: error: --order %d: a mixed partial at a point goes to order 16\n", N);
    st = 2;
  }
  if (mixed) {
    if (!st && formulas)
      st = nth(c, D, f, w, N, &roots[0], 1);
    names[0] = label(o, vs, N, 0);
  } else {
    GrNode *d = f;
    for (int k = 0; k < N && !st; k++) {
      if (formulas)
        st = nth(c, D, d, w, 1, &d, N > 1);
      roots[k] = d;
      names[k] = label(o, vs, k + 1, 0);
    }
  }
  double *val = gr_xcalloc((size_t)nr, sizeof *val);
  int bad = 0;
  if (!st && have_point(c)) {
    if (mixed)
      val[0] = taylor_mixed(c, w, N, &st);
    else {
      st = taylor_derivs(c, w[0], N, val);
    }
    if (!st && o->symbolic) {
      /* the formulas, evaluated, against Taylor mode */
      double *sv = gr_xcalloc((size_t)nr, sizeof *sv);
      st = eval_at(c, roots, nr, sv);
      for (int k = 0; k < nr && !st; k++)
        if (!close_enough(sv[k], val[k], 1e-12, 1e-8)) {
          char a[40], b2[40], *l = label(o, vs, mixed ? N : k + 1, 1);
          gr_fmt(a, sv[k], 0);
          gr_fmt(b2, val[k], 0);
          fprintf(stderr, "grad: warning: %s: the symbolic formula gives %s, Taylor mode %s\n", l, a,
                  b2);
          free(l);
          bad = 1;
        }
      free(sv);
    }
    /* cross-check the first and second derivatives against the tape's own sweeps */
    GrTape *t = st ? NULL : point_tape(c, c->outs[0], &st);
    if (t) {
      gr_tape_reverse(t, 0, NULL);
      const double *g1 = gr_tape_grad(t, w[0]);
      double rev = g1 ? g1[0] : 0, hv = 0;
      if (N >= 2) {
        int nv = c->g->nvars;
        double **dir = gr_xcalloc((size_t)nv, sizeof *dir);
        double one = 1;
        dir[w[mixed ? 1 : 0]] = &one;
        gr_tape_tangent(t, (const double *const *)dir);
        gr_tape_reverse_tangent(t, 0);
        const double *h = gr_tape_hvp(t, w[0]);
        hv = h ? h[0] : 0;
        free(dir);
      }
      if (N == 3 && mixed) {
        /* a third partial: the central difference of forward-over-reverse along w[2] */
        double *x = gr_tape_var(t, w[2]), fd = NAN, err = 0;
        if (x) {
          double x0 = x[0], h = 1e-3 * (fabs(x0) > 1 ? fabs(x0) : 1);
          FDH q = {t, x, c->g->nvars, w[0], w[1]};
          gsl_function F = {fdh_f, &q};
          if (gsl_deriv_central(&F, x0, h, &fd, &err) != GSL_SUCCESS)
            fd = NAN;
          x[0] = x0;
          gr_tape_forward(t);
        } else
          fd = 0; /* the expression does not use w[2] */
        if (isfinite(val[0]) && isfinite(fd) && !close_enough(val[0], fd, 1e-6 + 10 * err, 1e-5)) {
          char a[40], b2[40];
          gr_fmt(a, val[0], 0);
          gr_fmt(b2, fd, 0);
          fprintf(stderr, "grad: warning: Taylor mode's third partial gives %s, a central difference "
                          "of forward-over-reverse %s\n", a, b2);
          bad = 1;
        }
      }
      grad_warn_issues(c, t);
      gr_tape_free(t);
      if (!mixed && !close_enough(val[0], rev, 1e-12, 1e-9)) {
        fprintf(stderr, "grad: warning: Taylor mode's first derivative disagrees with reverse mode\n");
        bad = 1;
      }
      if (N == 2 && mixed && !close_enough(val[0], hv, 1e-12, 1e-8)) {
        fprintf(stderr, "grad: warning: Taylor mode's mixed partial disagrees with forward-over-reverse\n");
        bad = 1;
      }
      if (!mixed && N >= 2 && !close_enough(val[1], hv, 1e-12, 1e-8)) {
        fprintf(stderr, "grad: warning: Taylor mode's second derivative disagrees with forward-over-reverse\n");
        bad = 1;
      }
    }
    grad_note(c, val, (size_t)nr);
  }
  if (!st) {
    if (json) {
      fputs("{\"at\":", stdout);
      if (have_point(c))
        grad_json_at(c, stdout);
      else
        fputs("{}", stdout);
      fputs(",\"wrt\":[", stdout);
      for (int i = 0; i < N; i++) {
        if (i)
          putchar(',');
        gr_json_str(stdout, vs[i]);
      }
      putchar(']');
      if (have_point(c)) {
        fputs(",\"derivatives\":[", stdout);
        for (int k = 0; k < nr; k++) {
          if (k)
            putchar(',');
          put(stdout, val[k], o, 1);
        }
        putchar(']');
      }
      if (o->symbolic)
        json_formulas(c, "formulas", roots, names, nr, 1);
      fputs("}\n", stdout);
    } else if (o->format == FMT_TSV) {
      printf("# order");
      printf(" %s\n", mixed ? "derivative" : "derivative");
      for (int k = 0; k < nr; k++) {
        printf("%d\t", mixed ? N : k + 1);
        put(stdout, val[k], o, 0);
        putchar('\n');
      }
    } else {
      if (have_point(c) && o->format == FMT_TEXT)
        for (int k = 0; k < nr; k++) {
          char *l = label(o, vs, mixed ? N : k + 1, 1);
          printf("%s = ", l);
          put(stdout, val[k], o, 0);
          putchar('\n');
          free(l);
        }
      if (o->symbolic || !have_point(c))
        print_formulas(c, roots, names, nr);
    }
  }
  for (int k = 0; k < nr; k++)
    free(names[k]);
  free(names);
  free(roots);
  free(vs);
  free(val);
  return st ? st : bad;
}

/* --taylor N: the coefficients f_k/k!, k = 0..N, along one variable at --at */
static int mode_taylor(GradCtx *c, const int *w, int nw) {
  GradOpts *o = c->o;
  int N = o->taylor, st = 0;
  if (nw != 1) {
    fprintf(stderr, "grad: error: --taylor expands in one variable; %s\n",
            nw ? "name it with --wrt" : "the expression has none");
    return 2;
  }
  double *dirv = gr_xcalloc((size_t)c->g->nvars + 1, sizeof *dirv);
  dirv[w[0]] = 1;
  GrTape *t = NULL;
  double *y = taylor_at(c, dirv, N, &st, &t);
  free(dirv);
  if (!y)
    return st;
  gr_tape_reverse(t, 0, NULL); /* kinks and non-finite values on the way */
  grad_warn_issues(c, t);
  gr_tape_free(t);
  grad_note(c, y, (size_t)N + 1);
  const char *x = c->g->vars[w[0]];
  if (o->format == FMT_JSON) {
    fputs("{\"at\":", stdout);
    grad_json_at(c, stdout);
    fputs(",\"wrt\":", stdout);
    gr_json_str(stdout, x);
    fputs(",\"taylor\":[", stdout);
    for (int k = 0; k <= N; k++) {
      if (k)
        putchar(',');
      put(stdout, y[k], o, 1);
    }
    fputs("]}\n", stdout);
  } else if (o->format == FMT_TSV) {
    printf("# k coefficient of (%s - %s0)^k\n", x, x);
    for (int k = 0; k <= N; k++) {
      printf("%d\t", k);
      put(stdout, y[k], o, 0);
      putchar('\n');
    }
  } else {
    for (int k = 0; k <= N; k++) {
      printf("c%d = ", k);
      put(stdout, y[k], o, 0);
      putchar('\n');
    }
  }
  free(y);
  return 0;
}

/* --hessian: column v of H is the Hessian-vector product with e_v (forward-over-reverse) */
static int mode_hessian(GradCtx *c, GrNode *f, const int *w, int nw) {
  GradOpts *o = c->o;
  int st, json = o->format == FMT_JSON;
  GrTape *t = point_tape(c, f, &st);
  if (!t)
    return st;
  int nv = c->g->nvars;
  double *H = gr_xcalloc((size_t)nw * (size_t)nw + 1, sizeof *H);
  double *grad = gr_xcalloc((size_t)nw + 1, sizeof *grad);
  double val = gr_tape_out(t, 0)[0];
  double **dir = gr_xcalloc((size_t)nv + 1, sizeof *dir);
  double one = 1;
  gr_tape_reverse(t, 0, NULL);
  for (int i = 0; i < nw; i++) {
    const double *g1 = gr_tape_grad(t, w[i]);
    grad[i] = g1 ? g1[0] : 0;
  }
  for (int j = 0; j < nw; j++) {
    memset(dir, 0, (size_t)nv * sizeof *dir);
    dir[w[j]] = &one;
    gr_tape_tangent(t, (const double *const *)dir);
    gr_tape_reverse(t, 0, NULL);
    gr_tape_reverse_tangent(t, 0);
    for (int i = 0; i < nw; i++) {
      const double *h = gr_tape_hvp(t, w[i]);
      H[i * nw + j] = h ? h[0] : 0;
    }
  }
  grad_warn_issues(c, t);
  gr_tape_free(t);
  free(dir);
  grad_note(c, &val, 1);
  grad_note(c, grad, (size_t)nw);
  grad_note(c, H, (size_t)nw * (size_t)nw);
  for (int i = 0; i < nw; i++)
    for (int j = 0; j < nw; j++) {
      if (j > i && !close_enough(H[i * nw + j], H[j * nw + i], 1e-12, 1e-9))
        fprintf(stderr, "grad: warning: the Hessian is not symmetric in %s, %s\n", c->g->vars[w[i]],
                c->g->vars[w[j]]);
    }
  if (json) {
    fputs("{", stdout);
    json_point(c, val, w, grad, nw);
    fputs(",\"hessian\":{", stdout);
    for (int i = 0; i < nw; i++) {
      printf("%s", i ? "," : "");
      gr_json_str(stdout, c->g->vars[w[i]]);
      fputs(":{", stdout);
      for (int j = 0; j < nw; j++) {
        printf("%s", j ? "," : "");
        gr_json_str(stdout, c->g->vars[w[j]]);
        putchar(':');
        put(stdout, H[i * nw + j], o, 1);
      }
      putchar('}');
    }
    fputs("}}\n", stdout);
  } else if (o->format == FMT_TSV) {
    fputs("#", stdout);
    for (int j = 0; j < nw; j++)
      printf(" %s", c->g->vars[w[j]]);
    putchar('\n');
    for (int i = 0; i < nw; i++) {
      for (int j = 0; j < nw; j++) {
        if (j)
          putchar('\t');
        put(stdout, H[i * nw + j], o, 0);
      }
      putchar('\n');
    }
  } else {
    printf("f = ");
    put(stdout, val, o, 0);
    putchar('\n');
    for (int i = 0; i < nw; i++)
      for (int j = 0; j < nw; j++) {
        const char *vs[2] = {c->g->vars[w[i]], c->g->vars[w[j]]};
        char *l = label(o, vs, 2, 1);
        printf("%s = ", l);
        put(stdout, H[i * nw + j], o, 0);
        putchar('\n');
        free(l);
      }
  }
  free(H);
  free(grad);
  return 0;
}

typedef struct FD {
  GrTape *t;
  double *x;
} FD;

static double fd_f(double x, void *p) {
  FD *fd = p;
  fd->x[0] = x;
  gr_tape_forward(fd->t);
  return gr_tape_out(fd->t, 0)[0];
}

/* --check: reverse mode, the symbolic formula and gsl_deriv_central per partial */
static int mode_check(GradCtx *c, GrDeriv *D, GrNode *f, const int *w, int nw) {
  GradOpts *o = c->o;
  int st = 0, json = o->format == FMT_JSON, allpass = 1;
  GrNode **sym = gr_xcalloc((size_t)nw + 1, sizeof *sym);
  for (int j = 0; j < nw && !st; j++)
    st = nth(c, D, f, &w[j], 1, &sym[j], 0);
  double *sv = gr_xcalloc((size_t)nw + 1, sizeof *sv);
  if (!st)
    st = eval_at(c, sym, nw, sv);
  GrTape *t = st ? NULL : point_tape(c, f, &st);
  if (!t) {
    free(sym);
    free(sv);
    return st;
  }
  double val = gr_tape_out(t, 0)[0];
  gr_tape_reverse(t, 0, NULL);
  grad_warn_issues(c, t);
  grad_note(c, &val, 1);
  double *rev = gr_xcalloc((size_t)nw + 1, sizeof *rev);
  for (int j = 0; j < nw; j++) {
    const double *gg = gr_tape_grad(t, w[j]);
    rev[j] = gg ? gg[0] : 0;
  }
  if (json) {
    fputs("{\"at\":", stdout);
    grad_json_at(c, stdout);
    fputs(",\"value\":", stdout);
    put(stdout, val, o, 1);
    fputs(",\"eps\":", stdout);
    put(stdout, o->check_eps, o, 1);
    fputs(",\"atol\":", stdout);
    put(stdout, o->check_atol, o, 1);
    fputs(",\"rtol\":", stdout);
    put(stdout, o->check_rtol, o, 1);
    fputs(",\"check\":{", stdout);
  } else {
    printf("gradient check: eps ");
    put(stdout, o->check_eps, o, 0);
    printf(", atol ");
    put(stdout, o->check_atol, o, 0);
    printf(", rtol ");
    put(stdout, o->check_rtol, o, 0);
    printf(" (pass: |reverse - other| <= atol + rtol*|other|)\n");
  }
  for (int j = 0; j < nw; j++) {
    double *x = gr_tape_var(t, w[j]);
    double fdv = 0, err = 0;
    if (x) {
      double x0 = x[0];
      FD p = {t, x};
      gsl_function F = {fd_f, &p};
      if (gsl_deriv_central(&F, x0, o->check_eps, &fdv, &err) != GSL_SUCCESS)
        fdv = NAN;
      x[0] = x0;
      gr_tape_forward(t);
    }
    double d1 = fabs(rev[j] - sv[j]), d2 = fabs(rev[j] - fdv);
    double md = isnan(d1) || d1 > d2 ? d1 : d2;
    /* a NaN or infinite derivative never passes, even when all three agree on it */
    int pass = isfinite(rev[j]) && isfinite(sv[j]) && isfinite(fdv) &&
               close_enough(rev[j], sv[j], o->check_atol, o->check_rtol) &&
               close_enough(rev[j], fdv, o->check_atol, o->check_rtol);
    allpass &= pass;
    if (json) {
      printf("%s", j ? "," : "");
      gr_json_str(stdout, c->g->vars[w[j]]);
      fputs(":{\"reverse\":", stdout);
      put(stdout, rev[j], o, 1);
      fputs(",\"symbolic\":", stdout);
      put(stdout, sv[j], o, 1);
      fputs(",\"central\":", stdout);
      put(stdout, fdv, o, 1);
      fputs(",\"central_error\":", stdout);
      put(stdout, err, o, 1);
      fputs(",\"max_discrepancy\":", stdout);
      put(stdout, md, o, 1);
      printf(",\"pass\":%s}", pass ? "true" : "false");
    } else {
      char a[40], b[40], cc[40], e[40], m[40];
      gr_fmt(a, rev[j], o->digits);
      gr_fmt(b, sv[j], o->digits);
      gr_fmt(cc, fdv, o->digits);
      gr_fmt(e, err, 3);
      gr_fmt(m, md, 3);
      printf("%s: reverse %s, symbolic %s, central %s (+- %s), max discrepancy %s: %s\n",
             c->g->vars[w[j]], a, b, cc, e, m, pass ? "PASS" : "FAIL");
    }
  }
  if (json)
    printf("},\"pass\":%s}\n", allpass ? "true" : "false");
  else
    printf("%s\n", allpass ? "PASS" : "FAIL");
  gr_tape_free(t);
  free(rev);
  free(sv);
  free(sym);
  return allpass ? 0 : 1;
}

int grad_symbolic(GradCtx *c) {
  GradOpts *o = c->o;
  const char *what = o->check     ? "--check"
                     : o->hessian ? "--hessian"
                     : o->order   ? "--order"
                     : o->taylor  ? "--taylor"
                                  : "--symbolic";
  int st = scalar_only(c, what);
  if (st)
    return st;
  if (o->format == FMT_TSV && !o->order && !o->hessian && !o->taylor) {
    fprintf(stderr, "grad: error: --format tsv holds numbers; %s prints text, json, latex or c\n", what);
    return 2;
  }
  if ((o->check || o->hessian || o->taylor) && !have_point(c) && c->g->nvars) {
    fprintf(stderr, "grad: error: %s needs the point (--at)\n", what);
    return 2;
  }
  int nw;
  int *w = grad_wrt_vars(c, &nw, &st);
  if (!w)
    return st;
  int all = 0;
  for (int i = 0; i < o->nwrt; i++)
    all |= !strcmp(o->wrt[i], "all");
  if ((o->order || o->taylor) && o->wrt && !all) {
    /* --order N --wrt y,x,x: a mixed partial names a variable once per differentiation */
    w = gr_xrealloc(w, ((size_t)o->nwrt + 1) * sizeof *w);
    for (int i = 0; i < o->nwrt; i++)
      w[i] = gr_var_index(c->g, o->wrt[i]);
    nw = o->nwrt;
  }
  /* named intermediates are expanded (the formula must read back), and the function is
   * simplified first: the derivative of the simpler equal function is simpler */
  GrNode *f = gr_simplify(c->g, gr_strip_lets(c->g, c->outs[0]));
  if (o->check || o->hessian || o->order || o->taylor) {
    /* these modes differentiate a scalar; --symbolic alone takes vectors (the Jacobian) */
    GrTape *t;
    GrDiag d;
    if (gr_tape_compile(c->g, &f, 1, c->var_len, &t, &d) != GR_OK) {
      gr_diag_render(stderr, "grad", &d, grad_src_of(c, c->outs[0]));
      free(w);
      return d.status;
    }
    size_t L = gr_tape_out_len(t, 0);
    gr_tape_free(t);
    if (L != 1) {
      fprintf(stderr, "grad: error: %s needs a scalar expression; this one is a vector of %zu "
                      "elements (reduce it with sum, mean, dot or norm, or use --symbolic for "
                      "its Jacobian)\n", what, L);
      free(w);
      return 2;
    }
  }
  GrDeriv *D = gr_deriv_new(c->g);
  gr_print_shadow(c->g);
  if (o->check)
    st = mode_check(c, D, f, w, nw);
  else if (o->hessian)
    st = mode_hessian(c, f, w, nw);
  else if (o->order)
    st = mode_order(c, D, f, w, nw);
  else if (o->taylor)
    st = mode_taylor(c, w, nw);
  else
    st = mode_symbolic(c, D, f, w, nw);
  gr_print_shadow(NULL);
  gr_deriv_free(D);
  free(w);
  return st;
}
