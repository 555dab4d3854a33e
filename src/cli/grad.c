/* SPDX-License-Identifier: GPL-3.0-or-later
 * grad: value and every partial derivative of an expression at a point, by one reverse
 * sweep over the compiled tape. Options -> GradOpts -> grad_load -> a mode function.
 */
#include "gradprog.h"
#include "grad_autograd.h"
#include "jacobian.h"
#include "config.h"
#include "num.h"
#include "print.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const usage_text =
    "Usage: grad [OPTIONS] EXPR [EXPR...]\n"
    "       grad [-f FILE [OPTIONS]]\n"
    "Value and every partial derivative of EXPR, by reverse-mode automatic differentiation.\n"
    "EXPR '-' reads the expression from standard input.\n"
    "\n"
    "  -a, --at NAME=VALUE[,...]   the point; values may be constant expressions (pi/4)\n"
    "                              or vectors ([1,2,3]); repeatable\n"
    "  -w, --wrt NAME[,...]        which partial derivatives to report (default: every\n"
    "                              variable); a NAME may be a named intermediate (u in\n"
    "                              'u = x*x; sin(u)'); 'all': variables and intermediates\n"
    "  -F, --format FMT            text (default), tsv, json; with --symbolic also\n"
    "                              latex and c; with --range binary (doubles)\n"
    "  -d, --digits N              significant digits (default: shortest round-trip)\n"
    "      --no-grad               value only (JSON: no input requires_grad)\n"
    "  -s, --symbolic              print each derivative as a simplified formula\n"
    "                              (with --at also its value, checked against reverse mode)\n"
    "      --cse                   print shared sub-expressions once, as t1 = ...\n"
    "      --order N               derivatives 1..N of one variable (N up to 1000; at --at\n"
    "                              by Taylor mode on the tape); with N --wrt names the\n"
    "                              mixed partial (--wrt y,x,x --order 3: d3f/dydxdx;\n"
    "                              formulas with -s, N up to 100);\n"
    "                              with --range the columns f, df/dx, ..., dNf/dxN\n"
    "      --taylor N              the Taylor coefficients f_k/k!, k = 0..N, of one\n"
    "                              variable at --at (N up to 1000)\n"
    "      --hessian               matrix of second partials at --at (forward-over-reverse)\n"
    "      --check                 compare reverse mode, the symbolic formula and a central\n"
    "                              difference per partial; exit 1 on FAIL\n"
    "      --eps H, --atol A, --rtol R   --check step and tolerances (1e-6, 1e-5, 1e-3)\n"
    "  -f FILE                     run a session script (FILE '-': standard input);\n"
    "                              grad alone starts an interactive session\n"
    "      --range NAME=LO:HI[:N][,NAME=LO:HI[:N]]\n"
    "                              tabulate value and partials over N evenly spaced points\n"
    "                              (both ends included); two ranges make a grid; no\n"
    "                              reductions (sum, mean, dot, ...)\n"
    "      --points N              points per range without :N (default 101)\n"
    "      --plot[=FILE]           plot the table with gnuplot: a text plot on the terminal,\n"
    "                              or FILE.png, FILE.svg, FILE.pdf (write the '=')\n"
    "      --gnuplot               write the gnuplot script (data inline) to stdout: for\n"
    "                              --plot=FILE, else for a window (gnuplot's own terminal)\n"
    "      --threads N             compute a table on N threads (default: the cores\n"
    "                              available); the output is the same for any N\n"
    "      --exact                 tables by scalar libm, the numbers of --at bit for\n"
    "                              bit; by default exp, log, sin, cos, pow, atan, expm1\n"
    "                              and log1p go through vector math, each result within\n"
    "                              1 ulp of libm's (--at, minimize: always libm)\n"
    "\n"
    "A vector-valued EXPR or several EXPRs give the Jacobian, one row per output\n"
    "element (f[0], f[1], ...; f1, f2, ... for several EXPRs).\n"
    "      --vjp V1,V2,...         v^T J instead (what y.backward(gradient=v) puts in\n"
    "                              .grad), one value per output element; printed d(v.f)/dx\n"
    "      --jvp NAME=V,...        J v by forward mode (absent names: 0); printed df.v\n"
    "      --mode MODE             forward, reverse or auto (default): how Jacobians are\n"
    "                              computed; auto takes forward mode when there are fewer\n"
    "                              input than output elements (intermediates: reverse)\n"
    "      --stats                 the number of tape sweeps used (stderr; JSON: \"stats\")\n"
    "      --graph                 the tape as text: op, inputs, value, adjoint, flags\n"
    "      --dot                   the graph in Graphviz DOT with values and adjoints\n"
    "                              (grad ... --dot | dot -Tpng > g.png)\n"
    "\n"
    "  -h, --help                  this help\n"
    "  -V, --version               version\n"
    "\n"
    "where(c, a, b) differentiates the branch taken only: where(x>0, sqrt(x), x) at x=0\n"
    "gives 1 (zero adjoints are strong zeros; PyTorch gives nan there).\n"
    "\n"
    "Exit status: 0 ok, 1 numeric trouble in any mode (a NaN or infinite result, a\n"
    "table row included; --check FAIL; reverse mode disagrees with another route),\n"
    "2 usage or parse error (a script: a command failed), 3 input/output error (no\n"
    "gnuplot for --plot, unreadable -f FILE, unwritable output), 4 out of memory,\n"
    "130 interrupted.\n"
    "Example: grad 'x^2+3x+2' --at x=3.6\n";

enum {
  OPT_NO_GRAD = 256,
  OPT_SYMBOLIC,
  OPT_CSE,
  OPT_ORDER,
  OPT_TAYLOR,
  OPT_HESSIAN,
  OPT_CHECK,
  OPT_EPS,
  OPT_ATOL,
  OPT_RTOL,
  OPT_VJP,
  OPT_JVP,
  OPT_MODE,
  OPT_STATS,
  OPT_GRAPH,
  OPT_DOT,
  OPT_RANGE,
  OPT_POINTS,
  OPT_PLOT,
  OPT_GNUPLOT,
  OPT_THREADS,
  OPT_EXACT
};

static const struct option long_opts[] = {
    {"at", required_argument, NULL, 'a'},
    {"wrt", required_argument, NULL, 'w'},
    {"format", required_argument, NULL, 'F'},
    {"digits", required_argument, NULL, 'd'},
    {"no-grad", no_argument, NULL, OPT_NO_GRAD},
    {"vjp", required_argument, NULL, OPT_VJP},
    {"jvp", required_argument, NULL, OPT_JVP},
    {"mode", required_argument, NULL, OPT_MODE},
    {"stats", no_argument, NULL, OPT_STATS},
    {"graph", no_argument, NULL, OPT_GRAPH},
    {"dot", no_argument, NULL, OPT_DOT},
    {"range", required_argument, NULL, OPT_RANGE},
    {"points", required_argument, NULL, OPT_POINTS},
    {"plot", optional_argument, NULL, OPT_PLOT},
    {"gnuplot", no_argument, NULL, OPT_GNUPLOT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"exact", no_argument, NULL, OPT_EXACT},
    {"symbolic", no_argument, NULL, 's'},
    {"cse", no_argument, NULL, OPT_CSE},
    {"order", required_argument, NULL, OPT_ORDER},
    {"taylor", required_argument, NULL, OPT_TAYLOR},
    {"hessian", no_argument, NULL, OPT_HESSIAN},
    {"check", no_argument, NULL, OPT_CHECK},
    {"eps", required_argument, NULL, OPT_EPS},
    {"atol", required_argument, NULL, OPT_ATOL},
    {"rtol", required_argument, NULL, OPT_RTOL},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

const struct option *grad_long_options(void) { return long_opts; }

#define SHORT_OPTS "awFdfhVs"
#define SHORT_ARG_OPTS "awFdf"

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "grad: error: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'grad --help' for more information.\n");
  return 2;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || end == s || v < lo || v > hi)
    return -1;
  *out = (int)v;
  return 0;
}

static int parse_opts(int argc, char **argv, GradOpts *o) {
  memset(o, 0, sizeof *o);
  o->check_eps = 1e-6;
  o->check_atol = 1e-5;
  o->check_rtol = 1e-3;
  o->points = 101;
  int c;
  opterr = 0;
  optind = 0; /* glibc: full reinitialization, so grad_main can run again (the REPL) */
  optopt = 0;
  while ((c = getopt_long(argc, argv, "+a:w:F:d:hVf:s", long_opts, NULL)) != -1) {
    GrDiag d;
    /* a last option without its value took the "--" that permute() appends */
    if (optarg && !strcmp(optarg, "--") && optind >= 2 && optarg == argv[optind - 1])
      return usage_error("option '%s' needs a value", argv[optind - 2]);
    switch (c) {
    case 'a':
      if (gr_binds_parse(&o->at, optarg, &d) != GR_OK) {
        gr_diag_render(stderr, "grad", &d, optarg);
        fprintf(stderr, "  (in --at)\n");
        fputs("Try 'grad --help' for more information.\n", stderr);
        return 2;
      }
      break;
    case 'w': {
      int n;
      if (gr_list_check(optarg, &d) != GR_OK) {
        gr_diag_render(stderr, "grad", &d, optarg);
        fprintf(stderr, "  (in --wrt)\n");
        fputs("Try 'grad --help' for more information.\n", stderr);
        return 2;
      }
      char **v = gr_split_list(optarg, &n);
      o->wrt = gr_xrealloc(o->wrt, (size_t)(o->nwrt + n + 1) * sizeof *o->wrt);
      for (int i = 0; i < n; i++)
        o->wrt[o->nwrt++] = v[i];
      o->wrt[o->nwrt] = NULL;
      free(v);
      break;
    }
    case 'F':
      o->format_given = 1;
      if (!strcmp(optarg, "text"))
        o->format = FMT_TEXT;
      else if (!strcmp(optarg, "tsv"))
        o->format = FMT_TSV;
      else if (!strcmp(optarg, "json"))
        o->format = FMT_JSON;
      else if (!strcmp(optarg, "latex"))
        o->format = FMT_LATEX;
      else if (!strcmp(optarg, "c"))
        o->format = FMT_C;
      else if (!strcmp(optarg, "binary"))
        o->format = FMT_BINARY;
      else
        return usage_error("unknown --format '%s' (expected text, tsv, json, latex, c or binary)",
                           optarg);
      break;
    case 'd':
      if (parse_int(optarg, 1, 17, &o->digits))
        return usage_error("--digits takes a whole number from 1 to 17, not '%s'", optarg);
      break;
    case OPT_NO_GRAD:
      o->no_grad = 1;
      break;
    case OPT_VJP:
      o->vjp = optarg;
      break;
    case OPT_JVP:
      o->jvp = optarg;
      break;
    case OPT_MODE:
      if (grad_ag_parse_mode(optarg, &o->mode))
        return usage_error("unknown --mode '%s' (expected forward, reverse or auto)", optarg);
      break;
    case OPT_STATS:
      o->stats = 1;
      break;
    case OPT_GRAPH:
      o->graph = 1;
      break;
    case OPT_DOT:
      o->dot = 1;
      break;
    case 's':
      o->symbolic = 1;
      break;
    case OPT_CSE:
      o->cse = 1;
      break;
    case OPT_ORDER:
      if (parse_int(optarg, 1, 1000, &o->order))
        return usage_error("--order takes a whole number from 1 to 1000, not '%s'", optarg);
      break;
    case OPT_TAYLOR:
      if (parse_int(optarg, 1, 1000, &o->taylor))
        return usage_error("--taylor takes a whole number from 1 to 1000, not '%s'", optarg);
      break;
    case OPT_HESSIAN:
      o->hessian = 1;
      break;
    case OPT_CHECK:
      o->check = 1;
      break;
    case OPT_EPS:
    case OPT_ATOL:
    case OPT_RTOL: {
      double v;
      GrDiag dd;
      if (gr_eval_const(optarg, &v, &dd) != GR_OK || !(v >= 0) || isinf(v) || (c == OPT_EPS && v == 0))
        return usage_error("--eps, --atol and --rtol take a finite number >= 0 (eps > 0), not '%s'",
                           optarg);
      *(c == OPT_EPS ? &o->check_eps : c == OPT_ATOL ? &o->check_atol : &o->check_rtol) = v;
      break;
    }
    case 'f':
      o->file = optarg;
      break;
    case OPT_RANGE:
      o->range = optarg;
      break;
    case OPT_POINTS:
      if (parse_int(optarg, 1, 1000000000, &o->points))
        return usage_error("--points takes a whole number from 1 to 10^9, not '%s'", optarg);
      break;
    case OPT_PLOT:
      o->plot = 1;
      o->plot_file = optarg && *optarg ? optarg : NULL;
      if (o->plot_file && gr_check_output_path(o->plot_file, &d) != GR_OK) {
        gr_diag_render(stderr, "grad", &d, NULL);
        return d.status;
      }
      break;
    case OPT_GNUPLOT:
      o->gnuplot = 1;
      break;
    case OPT_THREADS:
      if (parse_int(optarg, 1, 256, &o->threads))
        return usage_error("--threads takes a whole number from 1 to 256, not '%s'", optarg);
      break;
    case OPT_EXACT:
      o->exact = 1;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return -1;
    case 'V':
      printf("grad %s\n", PACKAGE_VERSION);
      return -1;
    case ':':
      return usage_error("option '%s' needs a value", argv[optind - 1]);
    default: {
      char m[400];
      if (optind > 0 && !strncmp(argv[optind - 1], "--", 2))
        return usage_error("%s", gr_option_msg(argv[optind - 1], long_opts, m, sizeof m));
      if (optopt > 0 && optopt < 128) {
        char opt[3] = {'-', (char)optopt, 0};
        return usage_error("unknown option '%s'", opt);
      }
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
    }
  }
  o->exprs = argv + optind;
  o->nexprs = argc - optind;
  /* options may also follow the expressions: grad 'x^2' --at x=3 */
  for (int i = optind; i < argc; i++)
    (void)i;
  return 0;
}

/* The rows of a --format tsv point: the length shared by every vector among the variables
 * and the outputs. Two different lengths: 2 with a message naming them. */
static int tsv_rows(const GradCtx *c, const GrTape *t, size_t *rows) {
  char first[80] = "", name[80];
  size_t n = 1;
  for (int k = -c->g->nvars; k < c->nout; k++) {
    size_t L = k < 0 ? c->var_len[k + c->g->nvars] : gr_tape_out_len(t, (size_t)k);
    if (L == 1 || L == n)
      continue;
    if (k < 0)
      snprintf(name, sizeof name, "%s", c->g->vars[k + c->g->nvars]);
    else if (c->nout > 1)
      snprintf(name, sizeof name, "output f%d", k + 1);
    else
      snprintf(name, sizeof name, "the output");
    if (n != 1) {
      fprintf(stderr, "grad: error: --format tsv writes one row per vector element, but %s has "
                      "%zu elements and %s %zu (use --format json or text)\n", first, n, name, L);
      return 2;
    }
    n = L;
    memcpy(first, name, sizeof first);
  }
  *rows = n;
  return 0;
}

int grad_point(GradCtx *c) {
  GradOpts *o = c->o;
  GrTape *t;
  GrDiag d;
  if (gr_tape_compile(c->g, c->outs, (size_t)c->nout, c->var_len, &t, &d) != GR_OK) {
    gr_diag_render(stderr, "grad", &d,
                   !d.has_span ? NULL : c->nout == 1 ? c->srcs[0] : grad_src_of(c, c->outs[0]));
    return d.status;
  }
  grad_tape_set_at(c, t);
  gr_tape_forward(t);
  if (grad_ag_wanted(c, t)) { /* Jacobians, vjp/jvp, intermediates, --graph/--dot */
    int r = grad_ag_run(c, t);
    gr_tape_free(t);
    return r;
  }
  int nw, st;
  int *w = grad_wrt_vars(c, &nw, &st);
  if (!w) {
    gr_tape_free(t);
    return st;
  }
  if (o->no_grad)
    nw = 0;
  int json = o->format == FMT_JSON, multi = c->nout > 1;
  /* gradients: one reverse sweep per output, all partials at once */
  double **grads = gr_xcalloc((size_t)c->nout * (size_t)(nw ? nw : 1), sizeof *grads);
  for (int k = 0; k < c->nout; k++) {
    size_t L = gr_tape_out_len(t, k);
    grad_note(c, gr_tape_out(t, k), L);
    if (!nw)
      continue;
    if (L != 1) {
      fprintf(stderr, "grad: error: the expression is a vector of %zu elements; reduce it (sum, "
                      "mean, dot, norm) to differentiate it\n", L);
      free(w);
      free(grads);
      gr_tape_free(t);
      return 2;
    }
    gr_tape_reverse(t, (size_t)k, NULL);
    grad_warn_issues(c, t);
    for (int j = 0; j < nw; j++) {
      size_t n = c->var_len[w[j]];
      double *gv = gr_xcalloc(n, sizeof *gv);
      const double *gg = gr_tape_grad(t, w[j]);
      if (gg)
        memcpy(gv, gg, n * sizeof *gv);
      grad_note(c, gv, n);
      grads[k * nw + j] = gv;
    }
  }
  /* reverse mode checked by a forward sweep (a tangent along a fixed direction); the
   * gradients are copied out, so the adjoints make room for the tangents */
  int disagree = 0;
  if (nw) {
    gr_tape_drop_adjoints(t);
    unsigned char *mis = gr_xcalloc((size_t)nw, 1);
    double *rv = gr_xcalloc((size_t)nw, sizeof *rv), *fv = gr_xcalloc((size_t)nw, sizeof *fv);
    for (int k = 0; k < c->nout; k++) {
      if (!gr_check_reverse(t, (size_t)k, w, (size_t)nw, (const double *const *)grads + k * nw,
                            mis, rv, fv))
        continue;
      for (int j = 0; j < nw; j++)
        if (mis[j]) {
          char a[40], b[40], fn[16];
          gr_fmt(a, rv[j], 0);
          gr_fmt(b, fv[j], 0);
          snprintf(fn, sizeof fn, multi ? "f%d" : "f", k + 1);
          fprintf(stderr, "grad: warning: d%s/d%s: reverse mode gives %s, forward mode %s%s\n", fn,
                  c->g->vars[w[j]], a, b,
                  c->var_len[w[j]] > 1 ? " (along a fixed direction over its elements)" : "");
          disagree = 1;
        }
    }
    free(mis);
    free(rv);
    free(fv);
  }
  FILE *f = stdout;
  char fname[32];
  /* tsv: one row per element, scalars repeat (a point is one row); every vector (variable
   * or output) must then have the same length */
  size_t rows = 1;
  if (o->format == FMT_TSV && (st = tsv_rows(c, t, &rows))) {
    for (size_t i = 0; i < (size_t)c->nout * (size_t)nw; i++)
      free(grads[i]);
    free(grads);
    free(w);
    gr_tape_free(t);
    return st;
  }
  if (o->format == FMT_TSV) {
    fputs("#", f);
    for (int v = 0; v < c->g->nvars; v++)
      fprintf(f, " %s", c->g->vars[v]);
    for (int k = 0; k < c->nout; k++) {
      snprintf(fname, sizeof fname, multi ? "f%d" : "f", k + 1);
      fprintf(f, " %s", fname);
    }
    for (int k = 0; k < c->nout; k++)
      for (int j = 0; j < nw; j++)
        if (multi)
          fprintf(f, " df%d/d%s", k + 1, c->g->vars[w[j]]);
        else
          fprintf(f, " df/d%s", c->g->vars[w[j]]);
    fputc('\n', f);
    for (size_t r = 0; r < rows; r++) {
      int first = 1;
      for (int v = 0; v < c->g->nvars; v++) {
        const GrBind *b = gr_binds_find(&o->at, c->g->vars[v]);
        fputs(first ? "" : "\t", f);
        first = 0;
        gr_put_num(f, b->v[b->n > 1 ? r : 0], o->digits, 0);
      }
      for (int k = 0; k < c->nout; k++) {
        const double *y = gr_tape_out(t, k);
        fputs(first ? "" : "\t", f);
        first = 0;
        gr_put_num(f, y[gr_tape_out_len(t, k) > 1 ? r : 0], o->digits, 0);
      }
      for (int k = 0; k < c->nout; k++)
        for (int j = 0; j < nw; j++) {
          fputs(first ? "" : "\t", f);
          first = 0;
          gr_put_num(f, grads[k * nw + j][c->var_len[w[j]] > 1 ? r : 0], o->digits, 0);
        }
      fputc('\n', f);
    }
  } else if (json) {
    fputs("{\"at\":", f);
    grad_json_at(c, f);
    fputs(",\"value\":", f);
    if (multi)
      fputc('[', f);
    for (int k = 0; k < c->nout; k++) {
      if (k)
        fputc(',', f);
      grad_put_vec(f, gr_tape_out(t, k), gr_tape_out_len(t, k), 0, o->digits, 1);
    }
    if (multi)
      fputc(']', f);
    grad_ag_json_requires(c, w, nw, f);
    if (nw) {
      fputs(multi ? ",\"jacobian\":[" : ",\"gradient\":", f);
      for (int k = 0; k < c->nout; k++) {
        fputs(k ? ",{" : "{", f);
        for (int j = 0; j < nw; j++) {
          if (j)
            fputc(',', f);
          gr_json_str(f, c->g->vars[w[j]]);
          fputc(':', f);
          const GrBind *b = gr_binds_find(&o->at, c->g->vars[w[j]]);
          grad_put_vec(f, grads[k * nw + j], c->var_len[w[j]], b && b->vector, o->digits, 1);
        }
        fputc('}', f);
      }
      if (multi)
        fputc(']', f);
    }
    fputs("}\n", f);
  } else {
    for (int k = 0; k < c->nout; k++) {
      snprintf(fname, sizeof fname, multi ? "f%d" : "f", k + 1);
      fprintf(f, "%s = ", fname);
      grad_put_vec(f, gr_tape_out(t, k), gr_tape_out_len(t, k), 0, o->digits, 0);
      fputc('\n', f);
      for (int j = 0; j < nw; j++) {
        const GrBind *b = gr_binds_find(&o->at, c->g->vars[w[j]]);
        fprintf(f, "d%s/d%s = ", fname, c->g->vars[w[j]]);
        grad_put_vec(f, grads[k * nw + j], c->var_len[w[j]], b && b->vector, o->digits, 0);
        fputc('\n', f);
      }
    }
  }
  for (int i = 0; i < c->nout * nw; i++)
    free(grads[i]);
  free(grads);
  free(w);
  gr_tape_free(t);
  return disagree;
}

/* Operands that belong to an option: NAME=VALUE after --at's value (a lost comma), and
 * a file name after --plot, whose FILE must follow '='. */
static int grad_check_slips(int argc, char **argv, const GradOpts *o) {
  static const char *const opts[] = {"--at", "-a", NULL};
  int n;
  GrSlip *sl = gr_find_slips(argc, argv, opts, &n);
  for (int s = 0; s < n; s++) {
    size_t L = gr_bind_form(sl[s].arg);
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)L, sl[s].arg);
    if (!gr_binds_find(&o->at, name)) {
      gr_slip_error("grad", "a value for --at", sl, n, s);
      free(sl);
      return 2;
    }
  }
  free(sl);
  for (int i = 1; i + 1 < argc && strcmp(argv[i], "--"); i++) {
    if (strcmp(argv[i], "--plot"))
      continue;
    const char *f = argv[i + 1], *dot = strrchr(f, '.');
    static const char *const ext[] = {".png", ".svg", ".pdf", ".eps", ".ps", ".jpg", ".jpeg",
                                      ".gif", ".gp", ".gnuplot", ".tex", NULL};
    for (int k = 0; dot && ext[k]; k++)
      if (!strcasecmp(dot, ext[k])) {
        fprintf(stderr, "grad: error: --plot takes its FILE after '=': write --plot=%s\n"
                        "Try 'grad --help' for more information.\n", f);
        return 2;
      }
  }
  return 0;
}

int (*grad_session)(const char *file, char **extra, int nextra);

int grad_main(int argc, char **argv) {
  gr_init();
  int nargc;
  /* options may follow the expression (grad EXPR --at ...); -x^2 then needs "--" */
  char **nargv = gr_permute_args(argc, argv, SHORT_OPTS, SHORT_ARG_OPTS, long_opts, &nargc, NULL);
  GradOpts o;
  int st = parse_opts(nargc, nargv, &o);
  if (!st)
    st = grad_check_slips(argc, argv, &o);
  if (st) {
    gr_binds_free(&o.at);
    gr_free_list(o.wrt);
    free(nargv);
    return st < 0 ? 0 : st;
  }
  if (o.nexprs == 0 && (o.file || nargc == 2)) {
    /* no expression: an interactive session (grad alone) or a script (-f FILE); options
     * given with -f apply to every grad command of the script */
    char **extra = gr_xcalloc((size_t)nargc + 1, sizeof *extra);
    int nextra = 0;
    for (int i = 1; i < nargc && strcmp(nargv[i], "--"); i++) {
      if (!strcmp(nargv[i], "-f"))
        i++;
      else if (strncmp(nargv[i], "-f", 2))
        extra[nextra++] = nargv[i];
    }
    st = grad_session ? grad_session(o.file, extra, nextra)
                      : usage_error("%s", "this program has no interactive session");
    free(extra);
    gr_binds_free(&o.at);
    gr_free_list(o.wrt);
    free(nargv);
    return st;
  }
  if (o.file) {
    gr_binds_free(&o.at);
    gr_free_list(o.wrt);
    free(nargv);
    return usage_error("%s", "-f FILE runs a session script; give no EXPR with it");
  }
  GradCtx c;
  memset(&c, 0, sizeof c);
  int symbolic = o.symbolic || o.order || o.hessian || o.check || o.taylor;
  if (o.taylor && (o.range || o.plot || o.gnuplot || o.symbolic || o.cse)) {
    fprintf(stderr, "grad: error: --taylor prints numbers at one point (--at); not with %s\n",
            o.symbolic ? "--symbolic" : o.cse ? "--cse" : "--range, --plot or --gnuplot");
    st = 2;
  } else if (o.order > 100 && (o.range || o.plot || o.gnuplot || o.symbolic || !o.at.n)) {
    fprintf(stderr, "grad: error: --order %d: formulas and tables go to order 100; beyond, give "
                    "the point (--at) for Taylor mode\n", o.order);
    st = 2;
  } else if (o.range || o.plot || o.gnuplot) {
    st = grad_table_main(&o);
  } else if (o.format == FMT_BINARY) {
    fprintf(stderr, "grad: error: --format binary writes --range tables: add --range\n");
    st = 2;
  } else if ((o.format == FMT_LATEX || o.format == FMT_C) &&
             !(o.symbolic || (o.order && !o.at.n))) {
    fprintf(stderr, "grad: error: --format latex and c print formulas: add --symbolic\n");
    st = 2;
  } else if (o.cse && !o.symbolic && !o.order) {
    fprintf(stderr, "grad: error: --cse applies to formulas: add --symbolic\n");
    st = 2;
  } else if (o.hessian + o.check + (o.order > 0) + (o.taylor > 0) > 1) {
    fprintf(stderr, "grad: error: --order, --taylor, --hessian and --check are separate modes; give "
                    "one\n");
    st = 2;
  } else {
    /* formulas alone need no point */
    st = grad_load(&c, &o, !symbolic || o.at.n || o.hessian || o.check || o.taylor);
    if (st == 0)
      st = grad_exit_status(&c, symbolic ? grad_symbolic(&c) : grad_point(&c));
  }
  st = gr_check_stdout("grad", st);
  grad_ctx_free(&c);
  gr_binds_free(&o.at);
  gr_free_list(o.wrt);
  free(nargv);
  return st;
}
