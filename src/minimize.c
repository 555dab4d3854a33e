/* SPDX-License-Identifier: MIT
 * minimize: options -> a problem (one expression to minimize, a system of equations, or a
 * model fitted to a data file) -> an optimizer run -> a report (text, tsv or json).
 * Everything allocated here is freed before returning; the run can be repeated.
 */
#include "minimize.h"
#include "cliutil.h"
#include "config.h"
#include "data.h"
#include "num.h"
#include "optim.h"
#include "parse.h"
#include "plot.h"
#include "table.h"
#include "print.h"
#include <errno.h>
#include <getopt.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const usage_text =
    "Usage: minimize [OPTIONS] EXPR [EXPR...]\n"
    "Minimize EXPR over its variables; with several EXPR (or EXPR of the form lhs = rhs)\n"
    "solve the equations in the least-squares sense; with --data fit the model EXPR\n"
    "(e.g. 'y = A*x + B') to the columns of a data file. Gradients by reverse-mode AD.\n"
    "\n"
    "Start and variables:\n"
    "      --from NAME=VALUE,...   start point (default 0, or random with --init random)\n"
    "      --fix NAME=VALUE,...    hold variables constant\n"
    "      --init zero|random      start of variables not in --from (random: N(0,1))\n"
    "      --seed N                seed of the random start (default 0)\n"
    "Method:\n"
    "  -m, --method NAME           gd (alias sgd), adam, adamw, nadam, rmsprop, adagrad\n"
    "                              (PyTorch's update rules); bfgs, cg-fr, cg-pr, steepest,\n"
    "                              nelder-mead (GSL multimin); lm (Levenberg-Marquardt,\n"
    "                              for equations and fits). Default: adam; lm for\n"
    "                              equations and fits\n"
    "  -l, --lr X                  learning rate (PyTorch's default; gd requires it)\n"
    "      --momentum X, --dampening X, --nesterov        gd, rmsprop (momentum)\n"
    "      --weight-decay X        L2 penalty (adamw: decoupled, default 0.01)\n"
    "      --beta1 X, --beta2 X, --eps X, --amsgrad        adam, adamw, nadam\n"
    "      --momentum-decay X, --decoupled-weight-decay    nadam\n"
    "      --alpha X, --centered                           rmsprop\n"
    "      --lr-decay X, --initial-accumulator X           adagrad\n"
    "      --step X                GSL initial step (multimin 0.01, nelder-mead 1)\n"
    "      --line-tol X            GSL line-search tolerance (default 0.1)\n"
    "Stopping:\n"
    "  -n, --steps N               iteration limit (torch-style 1000, GSL 10000)\n"
    "      --gtol X                stop when the gradient norm is <= X (GSL default 1e-8);\n"
    "                              given and not reached: exit status 1\n"
    "      --ftol X                stop when f changes by <= X relative\n"
    "      --xtol X                stop when the step is <= X relative\n"
    "Data fits:\n"
    "      --data FILE             rows of numbers ('-': stdin); a header names the columns\n"
    "      --columns NAME,...      column names (instead of a header line)\n"
    "      --loss mse|sse          mean (default) or sum of squared residuals\n"
    "Output:\n"
    "  -t, --trace                 one row per iteration: iter, variables, f, gradient norm\n"
    "      --every K               trace every K-th iteration (and the last)\n"
    "  -F, --format FMT            text (default), tsv (gnuplot-ready), json\n"
    "  -d, --digits N              significant digits (default: shortest round-trip)\n"
    "      --plot[=FILE]           plot the run with gnuplot: the path over the contour map\n"
    "                              of f (two variables), the data and the fitted curve (a\n"
    "                              fit with one input column), else the loss per iteration;\n"
    "                              a text plot on the terminal, or FILE (.png .svg .pdf)\n"
    "      --gnuplot               write that gnuplot script (data inline) to stdout; the\n"
    "                              report then goes to standard error\n"
    "  -h, --help                  this help\n"
    "  -V, --version               version\n"
    "\n"
    "Exit status: 0 ok, 1 numeric trouble (NaN/inf, --gtol not reached), 2 usage or parse\n"
    "error, 3 input/output (unwritable output included), data or gnuplot error, 4 out\n"
    "of memory, 130 interrupted.\n"
    "Example: minimize 'x^2+y^2' --from x=1.1,y=2.1 --method gd --lr 0.05 --steps 100\n";

enum {
  OPT_FROM = 256, OPT_FIX, OPT_INIT, OPT_SEED, OPT_MOMENTUM, OPT_DAMPENING, OPT_NESTEROV,
  OPT_WD, OPT_BETA1, OPT_BETA2, OPT_EPS, OPT_AMSGRAD, OPT_MDECAY, OPT_DECOUPLED, OPT_ALPHA,
  OPT_CENTERED, OPT_LRDECAY, OPT_INITACC, OPT_STEP, OPT_LINETOL, OPT_GTOL, OPT_FTOL,
  OPT_XTOL, OPT_DATA, OPT_COLUMNS, OPT_LOSS, OPT_EVERY, OPT_PLOT, OPT_GNUPLOT
};

static const struct option long_opts[] = {
    {"from", required_argument, NULL, OPT_FROM},
    {"fix", required_argument, NULL, OPT_FIX},
    {"init", required_argument, NULL, OPT_INIT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"method", required_argument, NULL, 'm'},
    {"lr", required_argument, NULL, 'l'},
    {"momentum", required_argument, NULL, OPT_MOMENTUM},
    {"dampening", required_argument, NULL, OPT_DAMPENING},
    {"nesterov", no_argument, NULL, OPT_NESTEROV},
    {"weight-decay", required_argument, NULL, OPT_WD},
    {"beta1", required_argument, NULL, OPT_BETA1},
    {"beta2", required_argument, NULL, OPT_BETA2},
    {"eps", required_argument, NULL, OPT_EPS},
    {"amsgrad", no_argument, NULL, OPT_AMSGRAD},
    {"momentum-decay", required_argument, NULL, OPT_MDECAY},
    {"decoupled-weight-decay", no_argument, NULL, OPT_DECOUPLED},
    {"alpha", required_argument, NULL, OPT_ALPHA},
    {"centered", no_argument, NULL, OPT_CENTERED},
    {"lr-decay", required_argument, NULL, OPT_LRDECAY},
    {"initial-accumulator", required_argument, NULL, OPT_INITACC},
    {"step", required_argument, NULL, OPT_STEP},
    {"line-tol", required_argument, NULL, OPT_LINETOL},
    {"steps", required_argument, NULL, 'n'},
    {"gtol", required_argument, NULL, OPT_GTOL},
    {"ftol", required_argument, NULL, OPT_FTOL},
    {"xtol", required_argument, NULL, OPT_XTOL},
    {"data", required_argument, NULL, OPT_DATA},
    {"columns", required_argument, NULL, OPT_COLUMNS},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"trace", no_argument, NULL, 't'},
    {"every", required_argument, NULL, OPT_EVERY},
    {"format", required_argument, NULL, 'F'},
    {"digits", required_argument, NULL, 'd'},
    {"plot", optional_argument, NULL, OPT_PLOT},
    {"gnuplot", no_argument, NULL, OPT_GNUPLOT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

#define SHORT_OPTS "mlnFdthV"
#define SHORT_ARG_OPTS "mlnFd"

typedef enum { OUT_TEXT, OUT_TSV, OUT_JSON } OutFmt;

/* Numeric options given on the command line: NaN = not given (the method's default). */
typedef struct MinOpts {
  GrBindList from, fix;
  int random_init;
  unsigned long seed;
  const char *method;
  double lr, momentum, dampening, wd, beta1, beta2, eps, mdecay, alpha, lrdecay, initacc;
  double step, line_tol, gtol, ftol, xtol;
  long steps;
  int nesterov, amsgrad, decoupled, centered;
  const char *data;
  char **columns;
  int sse;
  int trace;
  long every;
  OutFmt format;
  int digits;
  int plot, gnuplot;
  const char *plot_file; /* NULL: a text plot on the terminal */
  char **exprs;
  int nexprs;
} MinOpts;

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "minimize: error: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'minimize --help' for more information.\n");
  return 2;
}

/* A number option: a constant expression (1e-3, pi/4). */
static int num_opt(const char *name, const char *arg, double *out, int positive) {
  GrDiag d;
  if (gr_eval_const(arg, out, &d) != GR_OK || !isfinite(*out)) {
    fprintf(stderr, "minimize: error: --%s takes a number, not '%s'\n", name, arg);
    return 2;
  }
  if (positive && !(*out > 0)) {
    fprintf(stderr, "minimize: error: --%s must be positive, not '%s'\n", name, arg);
    return 2;
  }
  if (!positive && *out < 0) {
    fprintf(stderr, "minimize: error: --%s must not be negative, not '%s'\n", name, arg);
    return 2;
  }
  return 0;
}

static int long_opt(const char *name, const char *arg, long lo, long *out) {
  char *end;
  errno = 0;
  long v = strtol(arg, &end, 10);
  if (errno || *end || end == arg || v < lo) {
    fprintf(stderr, "minimize: error: --%s takes a whole number >= %ld, not '%s'\n", name, lo,
            arg);
    return 2;
  }
  *out = v;
  return 0;
}

static int binds_opt(GrBindList *l, const char *name, const char *arg) {
  GrDiag d;
  if (gr_binds_parse(l, arg, &d) != GR_OK) {
    gr_diag_render(stderr, "minimize", &d, arg);
    fprintf(stderr, "  (in --%s)\n", name);
    return 2;
  }
  for (int i = 0; i < l->n; i++)
    if (l->b[i].vector || l->b[i].n != 1) {
      fprintf(stderr, "minimize: error: --%s: '%s' is a vector; minimize works on scalar "
                      "variables\n", name, l->b[i].name);
      return 2;
    }
  return 0;
}

/* Returns 0 to go on, -1 for --help/--version (exit 0), or an exit status. */
static int parse_opts(int argc, char **argv, MinOpts *o) {
  memset(o, 0, sizeof *o);
  double *nums[] = {&o->lr, &o->momentum, &o->dampening, &o->wd, &o->beta1, &o->beta2,
                    &o->eps, &o->mdecay, &o->alpha, &o->lrdecay, &o->initacc, &o->step,
                    &o->line_tol, &o->gtol, &o->ftol, &o->xtol};
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
    *nums[i] = NAN;
  o->steps = -1;
  o->every = 1;
  int c, st = 0;
  opterr = 0;
  optind = 0; /* glibc: full reinitialization, so minimize_main can run again */
  optopt = 0;
  while ((c = getopt_long(argc, argv, "+m:l:n:F:d:thV", long_opts, NULL)) != -1) {
    switch (c) {
    case OPT_FROM: st = binds_opt(&o->from, "from", optarg); break;
    case OPT_FIX: st = binds_opt(&o->fix, "fix", optarg); break;
    case OPT_INIT:
      if (!strcmp(optarg, "random"))
        o->random_init = 1;
      else if (!strcmp(optarg, "zero"))
        o->random_init = 0;
      else
        return usage_error("unknown --init '%s' (expected zero or random)", optarg);
      break;
    case OPT_SEED: {
      long v;
      if ((st = long_opt("seed", optarg, 0, &v)) == 0)
        o->seed = (unsigned long)v;
      break;
    }
    case 'm':
      if (gr_method_lookup(optarg) < 0)
        return usage_error("unknown --method '%s' (expected gd, sgd, adam, adamw, nadam, "
                           "rmsprop, adagrad, bfgs, cg-fr, cg-pr, steepest, nelder-mead or lm)",
                           optarg);
      o->method = optarg;
      break;
    case 'l': st = num_opt("lr", optarg, &o->lr, 1); break;
    case OPT_MOMENTUM: st = num_opt("momentum", optarg, &o->momentum, 0); break;
    case OPT_DAMPENING: st = num_opt("dampening", optarg, &o->dampening, 0); break;
    case OPT_NESTEROV: o->nesterov = 1; break;
    case OPT_WD: st = num_opt("weight-decay", optarg, &o->wd, 0); break;
    case OPT_BETA1: st = num_opt("beta1", optarg, &o->beta1, 0); break;
    case OPT_BETA2: st = num_opt("beta2", optarg, &o->beta2, 0); break;
    case OPT_EPS: st = num_opt("eps", optarg, &o->eps, 0); break;
    case OPT_AMSGRAD: o->amsgrad = 1; break;
    case OPT_MDECAY: st = num_opt("momentum-decay", optarg, &o->mdecay, 0); break;
    case OPT_DECOUPLED: o->decoupled = 1; break;
    case OPT_ALPHA: st = num_opt("alpha", optarg, &o->alpha, 0); break;
    case OPT_CENTERED: o->centered = 1; break;
    case OPT_LRDECAY: st = num_opt("lr-decay", optarg, &o->lrdecay, 0); break;
    case OPT_INITACC: st = num_opt("initial-accumulator", optarg, &o->initacc, 0); break;
    case OPT_STEP: st = num_opt("step", optarg, &o->step, 1); break;
    case OPT_LINETOL: st = num_opt("line-tol", optarg, &o->line_tol, 1); break;
    case 'n': st = long_opt("steps", optarg, 0, &o->steps); break;
    case OPT_GTOL: st = num_opt("gtol", optarg, &o->gtol, 0); break;
    case OPT_FTOL: st = num_opt("ftol", optarg, &o->ftol, 0); break;
    case OPT_XTOL: st = num_opt("xtol", optarg, &o->xtol, 0); break;
    case OPT_DATA: o->data = optarg; break;
    case OPT_COLUMNS: {
      int n;
      GrDiag d;
      if (gr_list_check(optarg, &d) != GR_OK) {
        gr_diag_render(stderr, "minimize", &d, optarg);
        fprintf(stderr, "  (in --columns)\n");
        return 2;
      }
      gr_free_list(o->columns);
      o->columns = gr_split_list(optarg, &n);
      break;
    }
    case OPT_LOSS:
      if (!strcmp(optarg, "sse"))
        o->sse = 1;
      else if (!strcmp(optarg, "mse"))
        o->sse = 0;
      else
        return usage_error("unknown --loss '%s' (expected mse or sse)", optarg);
      break;
    case 't': o->trace = 1; break;
    case OPT_EVERY: st = long_opt("every", optarg, 1, &o->every); break;
    case 'F':
      if (!strcmp(optarg, "text"))
        o->format = OUT_TEXT;
      else if (!strcmp(optarg, "tsv"))
        o->format = OUT_TSV;
      else if (!strcmp(optarg, "json"))
        o->format = OUT_JSON;
      else
        return usage_error("unknown --format '%s' (expected text, tsv or json)", optarg);
      break;
    case 'd': {
      long v;
      if (long_opt("digits", optarg, 1, &v) || v > 17)
        return usage_error("--digits takes a whole number from 1 to 17, not '%s'", optarg);
      o->digits = (int)v;
      break;
    }
    case OPT_PLOT: {
      GrPlotTerm term;
      GrDiag d;
      o->plot = 1;
      o->plot_file = optarg && *optarg ? optarg : NULL;
      if (gr_plot_term_for(o->plot_file, &term, &d) != GR_OK)
        return usage_error("%s", d.msg);
      if (o->plot_file && gr_check_output_path(o->plot_file, &d) != GR_OK) {
        gr_diag_render(stderr, "minimize", &d, NULL);
        return d.status;
      }
      break;
    }
    case OPT_GNUPLOT: o->gnuplot = 1; break;
    case 'h': fputs(usage_text, stdout); return -1;
    case 'V': printf("minimize %s\n", PACKAGE_VERSION); return -1;
    case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
    default:
      if (optopt && strchr(SHORT_ARG_OPTS, optopt) && optind > 0 && argv[optind - 1][2] == 0)
        return usage_error("option '%s' needs a value", argv[optind - 1]);
      if (optopt) {
        char opt[3] = {'-', (char)optopt, 0};
        return usage_error("unknown option '%s'", opt);
      }
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
    if (st)
      return st;
  }
  o->exprs = argv + optind;
  o->nexprs = argc - optind;
  if (o->plot && !o->plot_file && !o->gnuplot && o->format == OUT_JSON)
    return usage_error("%s", "a text plot after JSON output would not be JSON: give --plot=FILE");
  return 0;
}

/* Everything one run owns. */
typedef struct Run {
  MinOpts *o;
  GrGraph *g;
  GrEnv env;
  char **srcs;
  GrParsed *parsed;
  GrNode **outs; /* MIN: {f}; EQ: residuals; FIT: {model - observed} */
  int nsrc, nout;
  GrProbKind kind;
  GrData data;
  int have_data;
  int *data_col;   /* per graph variable */
  int *param_var;  /* per parameter: graph variable */
  int nparam;
  double *value;   /* per graph variable: fixed values */
  double *x;       /* parameters */
  GrProblem *prob;
  GrObjective obj;
  GrOptParams p;
  /* trace and progress */
  double *trace;   /* JSON: rows of (iter, x..., f, gnorm) */
  size_t ntrace, tcap;
  long last_traced;
  int progress_tty, progress_shown;
  struct timespec t0, tlast;
  /* --plot: the path, rows of (iteration, x..., f) at iterations 0, stride, 2*stride, ... */
  double *path;
  size_t npath, pcap;
  long pstride;
  GrOptResult result;
  int have_result;
} Run;

/* Rows kept for a plot: beyond this, every other row is dropped and the stride doubles,
 * so a long run costs bounded memory and the plot still spans the whole run. */
#define PATH_MAX_ROWS 65536

static void path_push(Run *u, long it, const double *x, double f) {
  size_t w = (size_t)u->nparam + 2;
  if (u->npath == u->pcap) {
    u->pcap = u->pcap ? 2 * u->pcap : 256;
    u->path = gr_xrealloc(u->path, u->pcap * w * sizeof *u->path);
  }
  double *r = u->path + u->npath++ * w;
  r[0] = (double)it;
  memcpy(r + 1, x, (size_t)u->nparam * sizeof *x);
  r[u->nparam + 1] = f;
}

static void path_add(Run *u, long it, const double *x, double f) {
  size_t w = (size_t)u->nparam + 2;
  if (u->pstride < 1)
    u->pstride = 1;
  if (it % u->pstride)
    return;
  if (u->npath == PATH_MAX_ROWS) {
    for (size_t i = 0; 2 * i < u->npath; i++)
      memmove(u->path + i * w, u->path + 2 * i * w, w * sizeof *u->path);
    u->npath = (u->npath + 1) / 2;
    u->pstride *= 2;
    if (it % u->pstride)
      return;
  }
  path_push(u, it, x, f);
}

static void put(FILE *f, const Run *u, double v) { gr_put_num(f, v, u->o->digits, u->o->format == OUT_JSON); }

static double since(const struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (double)(b.tv_sec - a->tv_sec) + 1e-9 * (double)(b.tv_nsec - a->tv_nsec);
}

static void trace_row(Run *u, long it, const double *x, double f, double gn) {
  if (u->o->format == OUT_JSON) {
    size_t w = (size_t)u->nparam + 3;
    if (u->ntrace == u->tcap) {
      u->tcap = u->tcap ? 2 * u->tcap : 64;
      u->trace = gr_xrealloc(u->trace, u->tcap * w * sizeof *u->trace);
    }
    double *r = u->trace + u->ntrace++ * w;
    r[0] = (double)it;
    memcpy(r + 1, x, (size_t)u->nparam * sizeof *x);
    r[u->nparam + 1] = f;
    r[u->nparam + 2] = gn;
    return;
  }
  const char *sep = u->o->format == OUT_TSV ? "\t" : " ";
  printf("%ld", it);
  for (int j = 0; j < u->nparam; j++) {
    fputs(sep, stdout);
    put(stdout, u, x[j]);
  }
  fputs(sep, stdout);
  put(stdout, u, f);
  fputs(sep, stdout);
  put(stdout, u, gn);
  putchar('\n');
}

static int on_iter(void *ud, long it, const double *x, double f, double gn) {
  Run *u = ud;
  if (u->o->plot || u->o->gnuplot)
    path_add(u, it, x, f);
  if (u->o->trace && (it % u->o->every == 0)) {
    trace_row(u, it, x, f, gn);
    u->last_traced = it;
  }
  /* progress on a terminal only, after the first second, a few times a second */
  if (u->progress_tty && (it & 63) == 0 && since(&u->t0) > 1.0 && since(&u->tlast) > 0.2) {
    char fb[40], gb[40];
    gr_fmt(fb, f, 6);
    gr_fmt(gb, gn, 3);
    fprintf(stderr, "\rminimize: iteration %ld  f = %s  |grad| = %s   ", it, fb, gb);
    clock_gettime(CLOCK_MONOTONIC, &u->tlast);
    u->progress_shown = 1;
  }
  return 0;
}

static void run_free(Run *u) {
  gr_problem_free(u->prob);
  for (int i = 0; i < u->nsrc; i++)
    free(u->srcs[i]);
  free(u->srcs);
  free(u->parsed);
  free(u->outs);
  if (u->have_data)
    gr_data_free(&u->data);
  free(u->data_col);
  free(u->param_var);
  free(u->value);
  free(u->x);
  free(u->trace);
  free(u->path);
  gr_env_free(&u->env);
  gr_graph_free(u->g);
}

static const char *src_of(const Run *u, const GrNode *n) {
  for (int i = 0; i < u->nsrc; i++) {
    size_t L = strlen(u->srcs[i]);
    if (n && n->len && n->off + n->len <= L) {
      unsigned char *m = gr_reachable(u->g, &u->parsed[i].out, 1);
      int in = n->id < u->g->count && m[n->id];
      free(m);
      if (in)
        return u->srcs[i];
    }
  }
  return u->nsrc == 1 ? u->srcs[0] : NULL;
}

/* Parse the expressions, read the data, sort variables into parameters, data and fixed. */
static int load(Run *u) {
  MinOpts *o = u->o;
  if (o->nexprs == 0)
    return usage_error("%s", "no expression given (try: minimize 'x^2+y^2' --from x=1,y=2)");
  u->g = gr_graph_new();
  if (o->data) {
    GrDiag d;
    if (gr_data_read(o->data, o->columns, &u->data, &d) != GR_OK) {
      gr_diag_render(stderr, "minimize", &d, NULL);
      return d.status;
    }
    u->have_data = 1;
    if (o->nexprs != 1)
      return usage_error("%s", "--data fits one model expression (e.g. 'y = A*x + B')");
  } else if (o->columns)
    return usage_error("%s", "--columns names the columns of --data, which is not given");
  /* names given values or columns stay variables even if they are pi or e */
  int nv = o->from.n + o->fix.n + (u->have_data ? u->data.ncol : 0);
  const char **vars = gr_xcalloc((size_t)nv + 1, sizeof *vars);
  int k = 0;
  for (int i = 0; i < o->from.n; i++)
    vars[k++] = o->from.b[i].name;
  for (int i = 0; i < o->fix.n; i++)
    vars[k++] = o->fix.b[i].name;
  for (int i = 0; u->have_data && i < u->data.ncol; i++)
    vars[k++] = u->data.names[i];
  GrParseOpts po = {vars, &u->env};
  u->srcs = gr_xcalloc((size_t)o->nexprs, sizeof *u->srcs);
  u->parsed = gr_xcalloc((size_t)o->nexprs, sizeof *u->parsed);
  u->outs = gr_xcalloc((size_t)o->nexprs, sizeof *u->outs);
  int used_stdin = 0;
  for (int i = 0; i < o->nexprs; i++) {
    if (!strcmp(o->exprs[i], "-")) {
      if (used_stdin || (o->data && !strcmp(o->data, "-"))) {
        free(vars);
        return usage_error("%s", "standard input ('-') may be read once");
      }
      used_stdin = 1;
      GrDiag d;
      if (gr_read_text("-", &u->srcs[i], &d) != GR_OK) {
        free(vars);
        gr_diag_render(stderr, "minimize", &d, NULL);
        return d.status;
      }
    } else
      u->srcs[i] = gr_xstrdup(o->exprs[i]);
    u->nsrc = i + 1;
    GrDiag d;
    if (gr_parse(u->g, u->srcs[i], &po, &u->parsed[i], &d) != GR_OK) {
      gr_diag_render(stderr, "minimize", &d, u->srcs[i]);
      free(vars);
      return d.status;
    }
  }
  free(vars);
  /* the kind of problem and its outputs */
  int any_eq = 0;
  for (int i = 0; i < o->nexprs; i++)
    any_eq |= u->parsed[i].lhs != NULL || u->parsed[i].lhs_name != NULL;
  u->kind = u->have_data ? GR_PROB_FIT : (o->nexprs > 1 || any_eq) ? GR_PROB_EQ : GR_PROB_MIN;
  for (int i = 0; i < o->nexprs; i++) {
    GrParsed *pp = &u->parsed[i];
    GrNode *r = pp->out;
    if (pp->lhs_name) {
      if (u->kind == GR_PROB_FIT && gr_data_find(&u->data, pp->lhs_name) < 0) {
        fprintf(stderr, "minimize: error: '%s' (left of '=') is not a column of %s (columns:",
                pp->lhs_name, o->data);
        for (int c = 0; c < u->data.ncol; c++)
          fprintf(stderr, " %s", u->data.names[c]);
        fputs(")\n", stderr);
        return 2;
      }
      /* the model minus the observation: the residual as torch's y_pred - y */
      GrNode *lhs = gr_var(u->g, pp->lhs_name);
      r = u->kind == GR_PROB_FIT ? gr_node(u->g, GR_OP_SUB, pp->rhs, lhs, NULL)
                                 : gr_node(u->g, GR_OP_SUB, lhs, pp->rhs, NULL);
    }
    u->outs[i] = r;
  }
  u->nout = o->nexprs;
  /* classify variables */
  int n = u->g->nvars;
  u->data_col = gr_xmalloc(((size_t)n + 1) * sizeof *u->data_col);
  u->value = gr_xcalloc((size_t)n + 1, sizeof *u->value);
  u->param_var = gr_xmalloc(((size_t)n + 1) * sizeof *u->param_var);
  u->x = gr_xcalloc((size_t)n + 1, sizeof *u->x);
  int used_col = 0;
  for (int v = 0; v < n; v++) {
    const char *name = u->g->vars[v];
    u->data_col[v] = u->have_data ? gr_data_find(&u->data, name) : -1;
    const GrBind *fx = gr_binds_find(&o->fix, name);
    if (u->data_col[v] >= 0) {
      used_col = 1;
      if (fx || gr_binds_find(&o->from, name)) {
        fprintf(stderr, "minimize: error: '%s' is a data column; it cannot be given a value\n",
                name);
        return 2;
      }
    } else if (fx) {
      u->value[v] = fx->v[0];
      if (gr_binds_find(&o->from, name)) {
        fprintf(stderr, "minimize: error: '%s' is given both --from and --fix\n", name);
        return 2;
      }
    } else
      u->param_var[u->nparam++] = v;
  }
  if (u->have_data && !used_col) {
    fprintf(stderr, "minimize: error: the model uses no column of %s (columns:", o->data);
    for (int c = 0; c < u->data.ncol; c++)
      fprintf(stderr, " %s", u->data.names[c]);
    fputs(")\n", stderr);
    return 2;
  }
  const GrBindList *lists[2] = {&o->from, &o->fix};
  const char *lname[2] = {"from", "fix"};
  for (int l = 0; l < 2; l++)
    for (int i = 0; i < lists[l]->n; i++)
      if (gr_var_index(u->g, lists[l]->b[i].name) < 0) {
        fprintf(stderr, "minimize: error: --%s names '%s', which is not a variable of the "
                        "expression\n", lname[l], lists[l]->b[i].name);
        return 2;
      }
  if (u->nparam == 0) {
    fprintf(stderr, "minimize: error: nothing to optimize: the expression has no free "
                    "variables\n");
    return 2;
  }
  if (u->kind == GR_PROB_FIT && u->data.nrow < (size_t)u->nparam) {
    fprintf(stderr, "minimize: error: %s has %zu data row%s for %d parameters (need at least "
                    "as many rows as parameters)\n",
            o->data, u->data.nrow, u->data.nrow == 1 ? "" : "s", u->nparam);
    return 3;
  }
  /* the start */
  gsl_rng *rng = NULL;
  if (o->random_init) {
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, o->seed);
  }
  for (int j = 0; j < u->nparam; j++) {
    const GrBind *b = gr_binds_find(&o->from, u->g->vars[u->param_var[j]]);
    u->x[j] = b ? b->v[0] : rng ? gsl_ran_gaussian(rng, 1.0) : 0.0;
  }
  gsl_rng_free(rng);
  return 0;
}

static int setup_params(Run *u) {
  MinOpts *o = u->o;
  int m = o->method ? gr_method_lookup(o->method) : (u->kind == GR_PROB_MIN ? GR_M_ADAM : GR_M_LM);
  if (!o->method && u->kind == GR_PROB_EQ && (size_t)u->nout < (size_t)u->nparam)
    m = GR_M_BFGS; /* lm needs at least as many equations as unknowns */
  GrOptParams *p = &u->p;
  gr_opt_defaults(p, (GrMethod)m);
  if (m == GR_M_GD && isnan(o->lr))
    return usage_error("%s", "--method gd needs a learning rate: give --lr (e.g. --lr 0.01)");
#define SET(field, opt)                                                                          \
  if (!isnan(o->opt))                                                                            \
    p->field = o->opt;
  SET(lr, lr) SET(momentum, momentum) SET(dampening, dampening) SET(weight_decay, wd)
  SET(beta1, beta1) SET(beta2, beta2) SET(eps, eps) SET(momentum_decay, mdecay)
  SET(alpha, alpha) SET(lr_decay, lrdecay) SET(initial_accumulator, initacc) SET(step, step)
  SET(line_tol, line_tol) SET(gtol, gtol) SET(ftol, ftol) SET(xtol, xtol)
#undef SET
  if (o->steps >= 0)
    p->steps = o->steps;
  p->nesterov = o->nesterov;
  p->amsgrad = o->amsgrad;
  p->decoupled = o->decoupled;
  p->centered = o->centered;
  if (p->nesterov && (p->momentum <= 0 || p->dampening != 0))
    return usage_error("%s", "--nesterov needs --momentum > 0 and no --dampening (as in PyTorch)");
  if (p->beta1 >= 1 || p->beta2 >= 1)
    return usage_error("%s", "--beta1 and --beta2 must be below 1");
  return 0;
}

static const char *stop_text(const GrOptResult *r) {
  switch (r->stop) {
  case GR_STOP_STEPS: return "iteration limit";
  case GR_STOP_GTOL: return "gradient norm below --gtol";
  case GR_STOP_FTOL: return "relative change of f below --ftol";
  case GR_STOP_XTOL: return "step below --xtol";
  case GR_STOP_NOPROG: return "no further progress possible";
  case GR_STOP_NONFINITE: return "f or its gradient became NaN or infinite";
  case GR_STOP_INTERRUPT: return "interrupted";
  default: return "error";
  }
}

static const char *pname(const Run *u, int j) { return u->g->vars[u->param_var[j]]; }

static void json_obj_of(const Run *u, const double *v) {
  putchar('{');
  for (int j = 0; j < u->nparam; j++) {
    if (j)
      putchar(',');
    gr_json_str(stdout, pname(u, j));
    putchar(':');
    put(stdout, u, v[j]);
  }
  putchar('}');
}

/* The report after the run. */
static void report(Run *u, const GrOptResult *r) {
  MinOpts *o = u->o;
  int n = u->nparam;
  size_t m = u->obj.m;
  double *res = NULL, *J = NULL, rss = 0, *se = NULL, *corr = NULL;
  int rank = -1;
  if (m) {
    res = gr_xcalloc(m, sizeof *res);
    J = gr_xcalloc(m * (size_t)n, sizeof *J);
    u->obj.res(u->obj.ctx, u->x, res, J);
    rank = gr_rank(J, m, n);
    if (u->kind == GR_PROB_FIT) {
      se = gr_xcalloc((size_t)n, sizeof *se);
      corr = gr_xcalloc((size_t)n * (size_t)n, sizeof *corr);
      gr_fit_stats(J, res, m, n, &rss, se, corr);
    }
  }
  long ndf = (long)m - n;
  double rms = ndf > 0 ? sqrt(rss / (double)ndf) : NAN;
  const char *method = gr_method_name(u->p.method);
  if (o->format == OUT_JSON) {
    printf("{\"method\":");
    gr_json_str(stdout, method);
    printf(",\"iterations\":%ld,\"stop\":\"%s\",\"at\":", r->iter, gr_stop_name(r->stop));
    json_obj_of(u, u->x);
    printf(",\"value\":");
    put(stdout, u, r->f);
    printf(",\"gradient_norm\":");
    put(stdout, u, r->gnorm);
    if (r->stop == GR_STOP_NONFINITE)
      printf(",\"nonfinite_at_iteration\":%ld", r->bad_iter);
    if (u->kind == GR_PROB_EQ) {
      printf(",\"residuals\":[");
      for (size_t i = 0; i < m; i++) {
        if (i)
          putchar(',');
        put(stdout, u, res[i]);
      }
      printf("],\"rank\":%d,\"unique\":%s", rank, rank == n ? "true" : "false");
    }
    if (u->kind == GR_PROB_FIT) {
      printf(",\"rss\":");
      put(stdout, u, rss);
      printf(",\"ndf\":%ld,\"rms\":", ndf);
      put(stdout, u, rms);
      printf(",\"rank\":%d,\"stderr\":", rank);
      json_obj_of(u, se);
      printf(",\"correlation\":{");
      for (int i = 0; i < n; i++) {
        if (i)
          putchar(',');
        gr_json_str(stdout, pname(u, i));
        putchar(':');
        json_obj_of(u, corr + (size_t)i * (size_t)n);
      }
      putchar('}');
    }
    if (o->trace) {
      printf(",\"trace\":[");
      size_t w = (size_t)n + 3;
      for (size_t t = 0; t < u->ntrace; t++) {
        printf(t ? ",[" : "[");
        for (size_t k = 0; k < w; k++) {
          if (k)
            putchar(',');
          put(stdout, u, u->trace[t * w + k]);
        }
        putchar(']');
      }
      putchar(']');
    }
    printf("}\n");
    goto out;
  }
  /* text and tsv: tsv writes every line but the data rows as a # comment */
  const char *c = o->format == OUT_TSV ? "# " : "";
  if (o->format == OUT_TSV && !o->trace) {
    printf("# iter");
    for (int j = 0; j < n; j++)
      printf(" %s", pname(u, j));
    printf(" f gnorm\n");
    trace_row(u, r->iter, u->x, r->f, r->gnorm);
  }
  if (o->trace && o->format == OUT_TEXT)
    putchar('\n');
  printf("%s%s: %ld iteration%s, stopped: %s\n", c, method, r->iter, r->iter == 1 ? "" : "s",
         stop_text(r));
  if (r->stop == GR_STOP_ERROR && r->msg[0])
    printf("%s  (%s)\n", c, r->msg);
  if (u->kind != GR_PROB_FIT || o->format == OUT_TSV) {
    int w = 1;
    for (int j = 0; j < n; j++)
      if ((int)strlen(pname(u, j)) > w)
        w = (int)strlen(pname(u, j));
    for (int j = 0; j < n; j++) {
      printf("%s%-*s = ", c, w, pname(u, j));
      put(stdout, u, u->x[j]);
      putchar('\n');
    }
  }
  printf("%sf = ", c);
  put(stdout, u, r->f);
  printf("\n%sgradient norm = ", c);
  put(stdout, u, r->gnorm);
  putchar('\n');
  if (u->kind == GR_PROB_EQ) {
    printf("%sresiduals (lhs - rhs):\n", c);
    for (size_t i = 0; i < m; i++) {
      printf("%s  %-16s ", c, u->srcs[i]);
      put(stdout, u, res[i]);
      putchar('\n');
    }
    if (rank < n)
      printf("%sJacobian rank %d for %d unknowns: the solution is not unique (a %d-dimensional "
             "family of points fits equally well); this is one of them\n",
             c, rank, n, n - rank);
    else
      printf("%sJacobian rank %d for %d unknowns: the solution is locally unique\n", c, rank, n);
  }
  if (u->kind == GR_PROB_FIT) {
    printf("%sfinal sum of squares of residuals : ", c);
    put(stdout, u, rss);
    printf("\n%sdegrees of freedom    (ndf)       : %ld\n", c, ndf);
    printf("%srms of residuals      sqrt(rss/ndf): ", c);
    put(stdout, u, rms);
    printf("\n%svariance of residuals (rss/ndf)   : ", c);
    put(stdout, u, ndf > 0 ? rss / (double)ndf : NAN);
    printf("\n%s\n%sFinal set of parameters            Asymptotic Standard Error\n", c, c);
    printf("%s=======================            ==========================\n", c);
    for (int j = 0; j < n; j++) {
      char v[40], e[40];
      gr_fmt(v, u->x[j], o->digits);
      gr_fmt(e, se[j], o->digits ? o->digits : 6);
      printf("%s%-15s = %-24s +/- %-12s", c, pname(u, j), v, e);
      if (u->x[j] != 0 && isfinite(se[j]))
        printf(" (%.4g%%)", fabs(100 * se[j] / u->x[j]));
      putchar('\n');
    }
    if (rank < n)
      printf("%sJacobian rank %d for %d parameters: the parameters are not all determined by "
             "the data\n", c, rank, n);
    printf("%s\n%scorrelation matrix of the fit parameters:\n%s%-15s", c, c, c, "");
    for (int j = 0; j < n; j++)
      printf(" %-7.7s", pname(u, j));
    putchar('\n');
    for (int i = 0; i < n; i++) {
      printf("%s%-15s", c, pname(u, i));
      for (int j = 0; j <= i; j++) {
        double v = corr[(size_t)i * (size_t)n + (size_t)j];
        if (isfinite(v))
          printf(" %7.3f", fabs(v) < 5e-4 ? 0.0 : v); /* no "-0.000" for rounding noise */
        else
          printf(" %7s", "nan");
      }
      putchar('\n');
    }
  }
out:
  free(res);
  free(J);
  free(se);
  free(corr);
}

/* The one data column a fit's model reads besides the observed one, or -1 when the model
 * reads several (or the fit is not of the form `column = model`). */
static int fit_input_var(const Run *u, int *obs) {
  const GrParsed *pp = &u->parsed[0];
  if (u->kind != GR_PROB_FIT || !pp->lhs_name || !pp->rhs)
    return -1;
  *obs = gr_var_index(u->g, pp->lhs_name);
  int in = -1;
  for (int v = 0; v < u->g->nvars; v++)
    if (u->data_col[v] >= 0 && v != *obs && gr_depends(u->g, pp->rhs, v)) {
      if (in >= 0)
        return -1;
      in = v;
    }
  return in;
}

/* --plot/--gnuplot after the run: the path over the contour map of f for two unknowns, the
 * data and the fitted curve for a fit with one input column, else the loss per iteration. */
static int plot_run(Run *u, const GrOptResult *r) {
  MinOpts *o = u->o;
  int n = u->nparam;
  size_t w = (size_t)n + 2;
  /* the reported point ends the path (after Ctrl-C: the best point so far) */
  if (isfinite(r->f) &&
      (!u->npath || memcmp(u->path + (u->npath - 1) * w + 1, u->x, (size_t)n * sizeof *u->x)))
    path_push(u, r->iter, u->x, r->f);
  GrDiag d;
  FILE *f = stdout, *pipe = NULL;
  int st = 0;
  if (!o->gnuplot) {
    signal(SIGPIPE, SIG_IGN); /* a gnuplot that dies must not kill us: we report it */
    pipe = gr_plot_open(&d);
    if (!pipe) {
      gr_diag_render(stderr, "minimize", &d, NULL);
      return d.status;
    }
    f = pipe;
  }
  GrPlotOpts po = {o->plot_file, 0, 0, u->nsrc == 1 ? u->srcs[0] : NULL};
  int obs = -1, in = fit_input_var(u, &obs);
  double *a = gr_xmalloc((u->npath + 1) * sizeof *a), *b = gr_xmalloc((u->npath + 1) * sizeof *b);
  GrStatus ps;
  if (in >= 0) {
    /* the model over the span of the data, at the fitted parameters */
    const double *xs = u->data.col[u->data_col[in]], *ys = u->data.col[u->data_col[obs]];
    double lo = xs[0], hi = xs[0];
    for (size_t i = 0; i < u->data.nrow; i++) {
      lo = fmin(lo, xs[i]);
      hi = fmax(hi, xs[i]);
    }
    double *fixed = gr_xcalloc((size_t)u->g->nvars + 1, sizeof *fixed);
    memcpy(fixed, u->value, (size_t)u->g->nvars * sizeof *fixed);
    for (int j = 0; j < n; j++)
      fixed[u->param_var[j]] = u->x[j];
    enum { M = 301 };
    GrRange rg = {in, lo, hi, lo < hi ? M : 1};
    GrTableSpec ts = {u->g, &u->parsed[0].rhs, 1, &rg, 1, fixed, NULL, 0, 0};
    GrTable *t;
    double *cx = gr_xmalloc(M * sizeof *cx), *cy = gr_xmalloc(M * sizeof *cy);
    size_t m = 0, k;
    ps = gr_table_open(&ts, &t, &d);
    if (ps == GR_OK) {
      while ((k = gr_table_next(t)) > 0) {
        memcpy(cx + m, gr_table_col(t, 0), k * sizeof *cx);
        memcpy(cy + m, gr_table_col(t, 1), k * sizeof *cy);
        m += k;
      }
      gr_table_free(t);
      ps = gr_plot_fit(f, &po, u->g->vars[in], u->g->vars[obs], xs, ys, u->data.nrow, cx, cy,
                       m, &d);
    }
    free(cx);
    free(cy);
    free(fixed);
  } else if (n == 2 && u->kind != GR_PROB_FIT && u->npath) {
    /* f itself: the expression, or the sum of squared residuals of a system */
    GrNode *fn = u->outs[0];
    if (u->kind == GR_PROB_EQ) {
      fn = NULL;
      for (int i = 0; i < u->nout; i++) {
        GrNode *sq = gr_node(u->g, GR_OP_MUL, u->outs[i], u->outs[i], NULL);
        fn = fn ? gr_node(u->g, GR_OP_ADD, fn, sq, NULL) : sq;
      }
      po.title = "sum of squared residuals";
    }
    for (size_t i = 0; i < u->npath; i++) {
      a[i] = u->path[i * w + 1];
      b[i] = u->path[i * w + 2];
    }
    ps = gr_plot_path(f, &po, u->g, fn, u->param_var[0], u->param_var[1], u->value, a, b,
                      u->npath, &d);
  } else {
    for (size_t i = 0; i < u->npath; i++) {
      a[i] = u->path[i * w];
      b[i] = u->path[i * w + (size_t)n + 1];
    }
    ps = gr_plot_loss(f, &po, a, b, u->npath, &d);
  }
  free(a);
  free(b);
  if (ps != GR_OK) {
    gr_diag_render(stderr, "minimize", &d, NULL);
    st = d.status;
  }
  if (pipe) {
    if (st)
      fputs("exit\n", pipe); /* nothing half-written gets drawn */
    GrStatus cs = gr_plot_close(pipe, &d);
    if (cs != GR_OK && !st) {
      gr_diag_render(stderr, "minimize", &d, NULL);
      st = cs;
    }
  } else
    st = gr_check_stdout("minimize", st);
  return st;
}

static int run_opt(Run *u);

static int run(Run *u) {
  int st = load(u);
  if (st)
    return st;
  if ((st = setup_params(u)))
    return st;
  GrProblemSpec s = {u->g, u->kind, u->outs, u->nout, u->nparam, u->param_var, u->value,
                     u->have_data ? &u->data : NULL, u->data_col, u->o->sse, 0};
  GrDiag d;
  if (gr_problem_new(&s, &u->prob, &u->obj, &d) != GR_OK) {
    gr_diag_render(stderr, "minimize", &d, d.has_span ? src_of(u, u->outs[0]) : NULL);
    return d.status;
  }
  if (u->p.method == GR_M_LM && !u->obj.res)
    return usage_error("%s", "--method lm needs equations (lhs = rhs, or several expressions) "
                             "or --data; to minimize one expression use bfgs");
  if (u->p.method == GR_M_LM && u->obj.m < (size_t)u->nparam) {
    fprintf(stderr, "minimize: error: --method lm needs at least as many equations as unknowns "
                    "(%zu equations, %d unknowns); use a gradient method such as bfgs\n",
            u->obj.m, u->nparam);
    return 2;
  }
  MinOpts *o = u->o;
  if (o->plot && !o->gnuplot && !gr_plot_available()) {
    /* before the run, not after it: the user learns at once */
    fprintf(stderr, "minimize: error: gnuplot is not installed (or not on PATH): install "
                    "gnuplot, or use --gnuplot to write the script instead\n");
    return 3;
  }
  /* --gnuplot: stdout carries the script, so the trace and the report go to stderr */
  int saved_stdout = -1;
  if (o->gnuplot) {
    fflush(stdout);
    saved_stdout = dup(STDOUT_FILENO);
    if (saved_stdout < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
      fprintf(stderr, "minimize: error: cannot redirect the report: %s\n", strerror(errno));
      return 3;
    }
  }
  st = run_opt(u);
  if (saved_stdout >= 0) {
    fflush(stdout);
    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
  }
  if (st >= 0 && (o->plot || o->gnuplot) && u->have_result) {
    int ps = plot_run(u, &u->result);
    if (ps && (st == 0 || st == 1))
      st = ps;
  }
  return st < 0 ? -st : st;
}

/* The optimizer run and the report; a negative status: an error before any result. */
static int run_opt(Run *u) {
  MinOpts *o = u->o;
  int st;
  GrDiag d;
  if (o->trace && o->format != OUT_JSON) {
    printf("%siter", o->format == OUT_TSV ? "# " : "");
    for (int j = 0; j < u->nparam; j++)
      printf(" %s", pname(u, j));
    printf(" f gnorm\n");
  }
  u->progress_tty = isatty(2);
  clock_gettime(CLOCK_MONOTONIC, &u->t0);
  u->tlast = u->t0;
  u->last_traced = -1;
  gr_interrupted = 0;
  gr_catch_sigint();
  GrOptResult r;
  st = gr_optimize(&u->obj, &u->p, u->x, on_iter, u, &r, &d);
  if (u->progress_shown)
    fputs("\r\033[K", stderr);
  if (st != GR_OK) {
    gr_diag_render(stderr, "minimize", &d, NULL);
    return -st;
  }
  u->result = r;
  u->have_result = 1;
  /* the last row of a thinned trace */
  if (o->trace && u->last_traced != r.iter && r.stop != GR_STOP_INTERRUPT &&
      r.stop != GR_STOP_NONFINITE)
    trace_row(u, r.iter, u->x, r.f, r.gnorm);
  report(u, &r);
  switch (r.stop) {
  case GR_STOP_NONFINITE:
    fprintf(stderr, "minimize: error: f or its gradient is not finite at iteration %ld; the "
                    "last finite point (iteration %ld) is reported\n", r.bad_iter, r.iter);
    return 1;
  case GR_STOP_INTERRUPT:
    fprintf(stderr, "minimize: interrupted at iteration %ld; the best point so far is "
                    "reported\n", r.iter);
    return 130;
  case GR_STOP_ERROR:
    fprintf(stderr, "minimize: error: the optimizer failed: %s\n", r.msg);
    return 1;
  case GR_STOP_STEPS:
  case GR_STOP_NOPROG:
    /* asked to converge (--gtol given) and did not */
    if (!isnan(o->gtol) && !(r.gnorm <= o->gtol)) {
      fprintf(stderr, "minimize: error: gradient norm still above --gtol after %ld "
                      "iterations\n", r.iter);
      return 1;
    }
    return 0;
  default:
    return 0;
  }
}

int minimize_main(int argc, char **argv) {
  gr_init();
  int nargc;
  const char *missing;
  /* options may follow the expressions; "-x^2" as an expression must follow "--" */
  char **nargv =
      gr_permute_args(argc, argv, SHORT_OPTS, SHORT_ARG_OPTS, long_opts, &nargc, &missing);
  MinOpts o;
  int st = missing ? usage_error("option '%s' needs a value", missing) : 0;
  if (st) {
    free(nargv);
    return st;
  }
  st = parse_opts(nargc, nargv, &o);
  if (st == 0) {
    Run u;
    memset(&u, 0, sizeof u);
    u.o = &o;
    st = run(&u);
    run_free(&u);
  } else if (st < 0)
    st = 0;
  st = gr_check_stdout("minimize", st);
  gr_binds_free(&o.from);
  gr_binds_free(&o.fix);
  gr_free_list(o.columns);
  free(nargv);
  return st;
}
