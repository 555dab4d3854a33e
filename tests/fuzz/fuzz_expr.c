/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz target: expression text through every mode of the engine. The input is the program
 * text (statements separated by ';' or newlines, as grad reads it). Variables take the
 * values 0.5, 0.875, 1.25, ... in the order they are first seen.
 *
 *   parse (diagnostic rendered on failure) -> tape: value, reverse sweep per output
 *   element, forward tangents, forward and reverse Jacobians, Hessian-vector products
 *   -> symbolic derivative per variable, simplified (plain and expanded), up to the
 *   third derivative of the first variable, each evaluated -> printed in infix, LaTeX, C
 *   and with shared sub-expressions (CSE) -> the infix text of the expression and of its
 *   derivative parsed again and evaluated
 *   -> grad_main itself with JSON, DOT, --graph, --symbolic (LaTeX, C, --cse), --hessian,
 *   --order 3, --check and forward mode.
 *
 * Defects that abort: a printed formula that does not parse again, or that parses to a
 * different finite value (both are printed to be read back). Differences between reverse,
 * forward and symbolic derivatives are expected at kinks and where values overflow, so they
 * are exercised, not judged, unless FUZZ_STRICT is set in the environment.
 */
#include "deriv.h"
#include "diag.h"
#include "fuzz.h"
#include "gradprog.h"
#include "repl.h"
#include "graph.h"
#include "jacobian.h"
#include "parse.h"
#include "print.h"
#include "simplify.h"
#include "tape.h"
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VARS 8      /* more variables: parse and print only */
#define MAX_OPS 400     /* bigger expressions: no higher derivatives, no grad_main runs */
#define MAX_ELEMS 64    /* output elements for which every reverse sweep is run */

static int strict;
static FILE *devnull;

static double var_value(int v) { return 0.5 + 0.375 * v; }

static void defect(const char *what, const char *src, const char *text, double a, double b) {
  fprintf(stderr, "fuzz_expr: %s\n  input:   %s\n  printed: %s\n  values:  %.17g vs %.17g\n",
          what, src, text ? text : "", a, b);
  abort();
}

/* |a - b| <= 1e-9 max(|a|, |b|) + atol; non-finite values are not judged */
static int close_enough(double a, double b, double atol) {
  if (!isfinite(a) || !isfinite(b))
    return 1;
  double m = fmax(fabs(a), fabs(b));
  return fabs(a - b) <= 1e-9 * m + atol;
}

/* A tape for f in g at the standard point, forward sweep done; NULL if it does not compile. */
static GrTape *tape_at(GrGraph *g, GrNode *f) {
  GrDiag d;
  GrTape *t;
  if (gr_tape_compile(g, &f, 1, NULL, &t, &d) != GR_OK) {
    gr_diag_render(devnull, "grad", &d, NULL);
    return NULL;
  }
  for (int v = 0; v < g->nvars; v++) {
    double *x = gr_tape_var(t, v);
    if (x)
      for (size_t i = 0; i < gr_tape_var_len(t, v); i++)
        x[i] = var_value(v);
  }
  gr_tape_forward(t);
  return t;
}

/* Value of element 0 of f (NaN when it does not compile). */
static double value_of(GrGraph *g, GrNode *f) {
  GrTape *t = tape_at(g, f);
  if (!t)
    return NAN;
  double y = gr_tape_out_len(t, 0) ? gr_tape_out(t, 0)[0] : NAN;
  gr_tape_free(t);
  return y;
}

/* The largest |value| of any node f depends on, at the standard point: the scale of the
 * rounding noise in f's value. A result that cancels (terms of size 1 summing to 1e-16)
 * legitimately differs by that noise between two evaluation orders of the same formula. */
static void max_abs_walk(const GrTape *t, const GrNode *n, unsigned char *seen, double *m) {
  if (seen[n->id])
    return;
  seen[n->id] = 1;
  const double *v = gr_tape_node_val(t, n);
  if (v && isfinite(v[0]) && fabs(v[0]) > *m)
    *m = fabs(v[0]);
  for (int i = 0; i < n->nargs; i++)
    max_abs_walk(t, gr_arg(n, i), seen, m);
}

static double noise_scale(GrGraph *g, GrNode *f) {
  GrTape *t = tape_at(g, f);
  double m = 0;
  if (!t)
    return m;
  unsigned char *seen = calloc(g->count + 1, 1);
  max_abs_walk(t, f, seen, &m);
  free(seen);
  gr_tape_free(t);
  return m;
}

/* Print f in infix, parse it again into a fresh graph with the same variable names and
 * values, and compare the values. */
static void reparse(GrGraph *g, GrNode *f, const char *src) {
  GrBuf b = {0};
  gr_print(&b, f, GR_PRINT_INFIX, 0);
  if (!b.s || strstr(b.s, "...")) { /* cut at GR_PRINT_MAX_DEPTH: not meant to read back */
    gr_buf_free(&b);
    return;
  }
  const char **vars = calloc((size_t)g->nvars + 1, sizeof *vars);
  for (int v = 0; v < g->nvars; v++)
    vars[v] = g->vars[v];
  GrGraph *g2 = gr_graph_new();
  GrParseOpts po = {vars, NULL, 0};
  GrParsed p;
  GrDiag d;
  if (gr_parse(g2, b.s, &po, &p, &d) != GR_OK) {
    fprintf(stderr, "fuzz_expr: parse error: %s\n", d.msg);
    defect("printed formula does not parse", src, b.s, 0, 0);
  }
  /* the same values by name: g2 numbers its variables in its own order */
  GrTape *t2;
  if (gr_tape_compile(g2, &p.out, 1, NULL, &t2, &d) == GR_OK) {
    for (int v = 0; v < g2->nvars; v++) {
      double *x = gr_tape_var(t2, v);
      int k = gr_var_index(g, g2->vars[v]);
      if (x)
        for (size_t i = 0; i < gr_tape_var_len(t2, v); i++)
          x[i] = k >= 0 ? var_value(k) : 0;
    }
    gr_tape_forward(t2);
    double a = value_of(g, f);
    double c = gr_tape_out_len(t2, 0) ? gr_tape_out(t2, 0)[0] : NAN;
    if (!close_enough(a, c, fmax(1e-300, 1e-12 * noise_scale(g, f))))
      defect("printed formula reads back to a different value", src, b.s, a, c);
    gr_tape_free(t2);
  }
  gr_graph_free(g2);
  free(vars);
  gr_buf_free(&b);
}

static void print_all(GrGraph *g, GrNode *f, const char *name) {
  GrBuf b = {0};
  gr_print(&b, f, GR_PRINT_INFIX, 0);
  gr_print(&b, f, GR_PRINT_LATEX, 0);
  gr_print(&b, f, GR_PRINT_C, 6);
  const char *names[1] = {name};
  gr_print_cse(&b, g, &f, names, 1, GR_PRINT_INFIX, 0);
  gr_print_cse(&b, g, &f, names, 1, GR_PRINT_C, 0);
  free(gr_print_str(f));
  (void)gr_count_tree_ops(g, f);
  gr_buf_free(&b);
}

/* The tape sweeps: reverse per output element, tangents, Jacobians both ways, HVPs. */
static void sweeps(GrGraph *g, GrNode *f) {
  GrTape *t = tape_at(g, f);
  if (!t)
    return;
  size_t rows = gr_jac_rows(t);
  int nv = g->nvars;
  GrJacCol *cols = calloc((size_t)nv + 1, sizeof *cols);
  for (int v = 0; v < nv; v++)
    cols[v] = (GrJacCol){v, NULL, gr_tape_var_len(t, v) ? gr_tape_var_len(t, v) : 1};
  size_t ncol = gr_jac_cols(cols, (size_t)nv);
  double **dir = calloc((size_t)nv + 1, sizeof *dir);
  for (int v = 0; v < nv; v++) {
    size_t L = gr_tape_var_len(t, v);
    dir[v] = calloc(L ? L : 1, sizeof **dir);
    for (size_t i = 0; i < L; i++)
      dir[v][i] = 1.0 / (v + 1);
  }
  /* reverse: one sweep seeded with ones, and the gradient read back */
  gr_tape_reverse(t, 0, NULL);
  double *rev = calloc((size_t)nv + 1, sizeof *rev);
  for (int v = 0; v < nv; v++) {
    const double *gv = gr_tape_grad(t, v);
    rev[v] = gv ? gv[0] : 0;
  }
  gr_tape_issues(t, NULL, 0);
  GrTapeIssue is[8];
  gr_tape_issues(t, is, 8);
  /* forward: tangents */
  gr_tape_tangent(t, (const double *const *)dir);
  (void)gr_tape_out_tangent(t, 0);
  /* forward-over-reverse: Hessian-vector product */
  gr_tape_reverse_tangent(t, 0);
  for (int v = 0; v < nv; v++)
    (void)gr_tape_hvp(t, v);
  if (rows <= MAX_ELEMS && ncol <= MAX_ELEMS) {
    /* gr_jacobian clears rows x max(ncol, 1) entries */
    size_t nJ = rows * (ncol ? ncol : 1) + 1;
    double *Jf = calloc(nJ, sizeof *Jf), *Jr = calloc(nJ, sizeof *Jr);
    gr_jacobian(t, cols, (size_t)nv, 1, Jf);
    gr_jacobian(t, cols, (size_t)nv, 0, Jr);
    if (strict)
      for (size_t i = 0; i < rows * ncol; i++)
        if (!close_enough(Jf[i], Jr[i], 1e-12)) /* sums of rounding noise */
          defect("forward and reverse Jacobians differ", "", NULL, Jf[i], Jr[i]);
    double *v = calloc(rows + 1, sizeof *v), *out = calloc(ncol + rows + 1, sizeof *out);
    for (size_t i = 0; i < rows; i++)
      v[i] = 1.0 + (double)i;
    gr_vjp(t, v, cols, (size_t)nv, out);
    gr_jvp(t, (const double *const *)dir, out);
    free(v);
    free(out);
    free(Jf);
    free(Jr);
  }
  for (int v = 0; v < nv; v++)
    free(dir[v]);
  free(dir);
  free(cols);
  free(rev);
  gr_tape_free(t);
}

/* Symbolic derivatives: each variable, then up to the third of the first, each simplified,
 * printed, evaluated, and the first one read back from its printed form. */
static void symbolic(GrGraph *g, GrNode *f, const char *src, int small) {
  GrDeriv *D = gr_deriv_new(g);
  GrDiag d;
  GrNode *plain = gr_strip_lets(g, f);
  int nv = g->nvars;
  for (int v = 0; v < nv; v++) {
    GrNode *df;
    if (gr_deriv(D, f, gr_var(g, g->vars[v]), &df, &d) != GR_OK) {
      gr_diag_render(devnull, "grad", &d, src);
      continue;
    }
    GrNode *s = gr_simplify(g, df);
    GrNode *e = small ? gr_simplify_ex(g, df, 1) : s;
    print_all(g, s, "df");
    double vs = value_of(g, s), ve = value_of(g, e);
    if (strict && !close_enough(vs, ve, 1e-12))
      defect("simplified and expanded derivatives differ", src, NULL, vs, ve);
    if (v == 0 && small)
      reparse(g, gr_strip_lets(g, s), src);
  }
  if (small && nv > 0) {
    GrNode *h = f;
    GrNode *x = gr_var(g, g->vars[0]);
    for (int k = 1; k <= 3 && gr_count_ops(g, h) <= MAX_OPS; k++) {
      if (gr_deriv(D, h, x, &h, &d) != GR_OK)
        break;
      h = gr_simplify(g, h);
      (void)value_of(g, h);
    }
    if (nv > 1) { /* a mixed partial */
      GrNode *m;
      if (gr_deriv(D, f, x, &m, &d) == GR_OK &&
          gr_deriv(D, gr_simplify(g, m), gr_var(g, g->vars[1]), &m, &d) == GR_OK)
        (void)value_of(g, gr_simplify(g, m));
    }
  }
  (void)plain;
  gr_deriv_free(D);
}

/* grad_main on the text with the variables at their values and one set of options. */
static void run_grad(const char *src, const char *at, const char *const *opts) {
  char *argv[16];
  int n = 0;
  argv[n++] = (char *)"grad";
  if (at) {
    argv[n++] = (char *)"--at";
    argv[n++] = (char *)at;
  }
  for (; *opts && n < 13; opts++)
    argv[n++] = (char *)*opts;
  argv[n++] = (char *)"--";
  argv[n++] = (char *)src;
  argv[n] = NULL;
  optind = 0;
  grad_session = grad_repl; /* as grad's main does */
  (void)grad_main(n, argv);
}

static void programs(GrGraph *g, const char *src) {
  char at[MAX_VARS * 48 + 1] = "";
  size_t L = 0;
  for (int v = 0; v < g->nvars; v++)
    L += (size_t)snprintf(at + L, sizeof at - L, "%s%s=%.17g", v ? "," : "", g->vars[v], var_value(v));
  static const char *const sets[][6] = {
      {"--format", "json", "--stats", NULL},
      {"--format", "tsv", NULL},
      {"--dot", NULL},
      {"--graph", NULL},
      {"--mode", "forward", NULL},
      {"--mode", "reverse", "--format", "json", NULL},
      {"--symbolic", "--format", "latex", NULL},
      {"--symbolic", "--cse", "--format", "c", NULL},
      {"--symbolic", "--format", "json", NULL},
      {"--hessian", "--format", "json", NULL},
      {"--order", "3", NULL},
      {"--check", NULL},
  };
  for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++)
    run_grad(src, g->nvars ? at : NULL, sets[k]);
}

const char fuzz_target[] = "expr";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_init();
  if (!devnull) {
    devnull = fopen("/dev/null", "w");
    strict = getenv("FUZZ_STRICT") != NULL;
  }
  char *src = fuzz_str(data, size);
  GrGraph *g = gr_graph_new();
  GrParsed p;
  GrDiag d;
  if (gr_parse(g, src, NULL, &p, &d) != GR_OK) {
    gr_diag_render(devnull, "grad", &d, src);
    gr_graph_free(g);
    free(src);
    return 0;
  }
  GrNode *f = p.out;
  int small = gr_count_ops(g, f) <= MAX_OPS && g->nvars <= MAX_VARS;
  print_all(g, f, "f");
  if (small)
    reparse(g, gr_strip_lets(g, f), src);
  sweeps(g, f);
  symbolic(g, f, src, small);
  /* the programs, with the variables of this parse at their values */
  if (small)
    programs(g, src);
  gr_graph_free(g);
  free(src);
  return 0;
}
