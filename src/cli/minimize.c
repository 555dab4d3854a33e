/* SPDX-License-Identifier: GPL-3.0-or-later
 * minimize: options -> a problem (one expression to minimize, a system of equations, or a
 * model fitted to a data file) -> an optimizer run -> a report (text, tsv or json).
 * Everything allocated here is freed before returning; the run can be repeated.
 */
#include "minimize.h"
#include "cliutil.h"
#include "config.h"
#include "data.h"
#include "minimize_mpi.h"
#include "eqfamily.h"
#include "minimize_nlopt.h"
#include "num.h"
#include "optim.h"
#include "parse.h"
#include "plot.h"
#include "table.h"
#include "print.h"
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
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
    "                              for equations and fits). Default: bfgs; lm for\n"
    "                              equations and fits\n"
    "                              With NLopt: lbfgs (bounds), slsqp (bounds, constraints),\n"
    "                              mma, ccsaq (bounds, inequalities), cobyla (constraints,\n"
    "                              no derivatives), bobyqa (bounds, no derivatives); global\n"
    "                              direct, crs2, isres, mlsl (need finite --bounds)\n"
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
    "Bounds and constraints (NLopt: an iteration is one evaluation of f), restarts:\n"
    "      --bounds NAME=LO:HI,... keep NAME in [LO, HI] (an empty side or inf: no bound);\n"
    "                              a --from outside is moved to the nearest bound\n"
    "      --subject-to 'A <= B'   a constraint (also 'A >= B', 'A = B'; repeatable);\n"
    "                              default method slsqp, lbfgs with --bounds only\n"
    "      --restarts N            N more runs from random points (uniform within finite\n"
    "                              bounds, else N(0,1) around the start; --seed); the best\n"
    "                              is reported with how many runs reached it\n"
    "Data fits:\n"
    "      --data FILE             rows of numbers ('-': stdin); a header names the columns\n"
    "      --columns NAME,...      column names (instead of a header line)\n"
    "      --using N:M:...         only the columns numbered N, M, ... (from 1, gnuplot's\n"
    "                              using); the header or --columns names those\n"
    "      --loss mse|sse          mean (default) or sum of squared residuals\n"
    "      --via NAME,...          the fitted parameters (as gnuplot's via); any other\n"
    "                              name must then be a column or --fix'ed\n"
    "      --sigma COLUMN          weight residuals by 1/COLUMN^2 (standard deviations)\n"
    "      --threads N             evaluate the rows on N threads (default: OMP_NUM_THREADS,\n"
    "                              else the cores available); the same results for any N\n"
    "                              (mpirun -n K minimize ... --data FILE: the rows split\n"
    "                              over K processes, again the same results)\n"
    "Output:\n"
    "  -t, --trace                 one row per iteration: iter, variables, f, gradient norm\n"
    "      --every K               trace every K-th iteration (and the last)\n"
    "  -F, --format FMT            text (default), tsv (gnuplot-ready), json\n"
    "  -d, --digits N              significant digits (default: shortest round-trip)\n"
    "      --plot[=FILE]           plot the run with gnuplot: the path over the contour map\n"
    "                              of f (two variables), the data and the fitted curve (a\n"
    "                              fit with one input column), else the loss per iteration;\n"
    "                              a text plot on the terminal, or FILE (.png .svg .pdf)\n"
    "      --gnuplot               write that gnuplot script (data inline) to stdout (for\n"
    "                              --plot=FILE, else for a window); the report then goes\n"
    "                              to standard error\n"
    "  -h, --help                  this help\n"
    "  -V, --version               version\n"
    "\n"
    "A run converged when a tolerance stopped it, or when its final gradient norm is at\n"
    "most 1e-8 (1 + |f|), or 1e-3 of its start after --steps iterations (1e-6 after no\n"
    "progress); one that did not gets a warning.\n"
    "Exit status: 0 ok (converged or not), 1 numeric trouble (NaN/inf, --gtol given and\n"
    "not reached, equations without an exact solution, an infeasible result), 2 usage\n"
    "or parse error, 3 input/output (unwritable output included), data or gnuplot\n"
    "error, 4 out of memory, 130 interrupted.\n"
    "Example: minimize 'x^2+y^2' --from x=1.1,y=2.1 --method gd --lr 0.05 --steps 100\n";

enum {
  OPT_FROM = 256, OPT_FIX, OPT_INIT, OPT_SEED, OPT_MOMENTUM, OPT_DAMPENING, OPT_NESTEROV,
  OPT_WD, OPT_BETA1, OPT_BETA2, OPT_EPS, OPT_AMSGRAD, OPT_MDECAY, OPT_DECOUPLED, OPT_ALPHA,
  OPT_CENTERED, OPT_LRDECAY, OPT_INITACC, OPT_STEP, OPT_LINETOL, OPT_GTOL, OPT_FTOL,
  OPT_XTOL, OPT_DATA, OPT_COLUMNS, OPT_LOSS, OPT_EVERY, OPT_PLOT, OPT_GNUPLOT,
  OPT_VIA, OPT_SIGMA, OPT_USING, OPT_THREADS,
  OPT_BOUNDS, OPT_SUBJECT_TO, OPT_RESTARTS /* same order as MIN_CONS_BOUNDS, ... */
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
    {"using", required_argument, NULL, OPT_USING},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"via", required_argument, NULL, OPT_VIA},
    {"sigma", required_argument, NULL, OPT_SIGMA},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"trace", no_argument, NULL, 't'},
    {"every", required_argument, NULL, OPT_EVERY},
    {"format", required_argument, NULL, 'F'},
    {"digits", required_argument, NULL, 'd'},
    {"plot", optional_argument, NULL, OPT_PLOT},
    {"gnuplot", no_argument, NULL, OPT_GNUPLOT},
    {"bounds", required_argument, NULL, OPT_BOUNDS},
    {"subject-to", required_argument, NULL, OPT_SUBJECT_TO},
    {"restarts", required_argument, NULL, OPT_RESTARTS},
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
  int *use_cols, nuse_cols; /* --using */
  char **via;        /* --via: the fitted parameters */
  const char *sigma; /* --sigma: the column of the residuals' standard deviations */
  int sse;
  long threads; /* --threads; 0: OMP_NUM_THREADS, else the cores available */
  int trace;
  long every;
  OutFmt format;
  int digits;
  int plot, gnuplot;
  const char *plot_file; /* NULL: a text plot on the terminal */
  char **exprs;
  int nexprs;
  /* operands that follow a --from/--fix value on the command line (NAME=VALUE slips) */
  GrSlip *slips;
  int nslips;
  MinCons cons; /* --bounds, --subject-to, --restarts */
} MinOpts;

/* Operands right after a --from/--fix value that have the form NAME=VALUE: kept so that
 * load() can tell a start value that lost its comma from an equation. */
static void find_slips(int argc, char **argv, MinOpts *o) {
  static const char *const opts[] = {"--from", "--fix", NULL};
  o->slips = gr_find_slips(argc, argv, opts, &o->nslips);
}

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
  GrSlip *slips = o->slips;
  int nslips = o->nslips;
  memset(o, 0, sizeof *o);
  o->slips = slips;
  o->nslips = nslips;
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
                           "rmsprop, adagrad, bfgs, cg-fr, cg-pr, steepest, nelder-mead, lm, "
                           "lbfgs, slsqp, mma, ccsaq, cobyla, bobyqa, direct, crs2, isres or "
                           "mlsl)", optarg);
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
    case OPT_USING: {
      GrDiag d;
      free(o->use_cols);
      if (!(o->use_cols = gr_data_parse_using(optarg, &o->nuse_cols, &d)))
        return usage_error("%s", d.msg);
      break;
    }
    case OPT_COLUMNS: {
      int n;
      GrDiag d;
      if (gr_list_check(optarg, &d) != GR_OK) {
        gr_diag_render(stderr, "minimize", &d, optarg);
        fprintf(stderr, "  (in --columns)\n");
        fputs("Try 'minimize --help' for more information.\n", stderr);
        return 2;
      }
      gr_free_list(o->columns);
      o->columns = gr_split_list(optarg, &n);
      break;
    }
    case OPT_VIA: {
      int n;
      gr_free_list(o->via);
      o->via = gr_split_list(optarg, &n);
      break;
    }
    case OPT_SIGMA: o->sigma = optarg; break;
    case OPT_LOSS:
      if (!strcmp(optarg, "sse"))
        o->sse = 1;
      else if (!strcmp(optarg, "mse"))
        o->sse = 0;
      else
        return usage_error("unknown --loss '%s' (expected mse or sse)", optarg);
      break;
    case OPT_THREADS:
      if ((st = long_opt("threads", optarg, 1, &o->threads)) == 0 && o->threads > 256)
        return usage_error("--threads takes a whole number from 1 to 256, not '%s'", optarg);
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
      char *end;
      errno = 0;
      long v = strtol(optarg, &end, 10);
      if (errno || *end || end == optarg || v < 1 || v > 17)
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
    case OPT_BOUNDS:
    case OPT_SUBJECT_TO:
    case OPT_RESTARTS: st = min_cons_opt(&o->cons, c - OPT_BOUNDS, optarg); break;
    case 'h': fputs(usage_text, stdout); return -1;
    case 'V': printf("minimize %s\n", PACKAGE_VERSION); return -1;
    case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
    default:
      if (optopt && strchr(SHORT_ARG_OPTS, optopt) && optind > 0 && argv[optind - 1][2] == 0)
        return usage_error("option '%s' needs a value", argv[optind - 1]);
      if (optind > 0 && !strncmp(argv[optind - 1], "--", 2)) {
        char m[400];
        return usage_error("%s", gr_option_msg(argv[optind - 1], long_opts, m, sizeof m));
      }
      if (optopt > 0 && optopt < 128) {
        char opt[3] = {'-', (char)optopt, 0};
        return usage_error("unknown option '%s'", opt);
      }
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
    if (st) {
      if (st == 2) /* a bad option value */
        fputs("Try 'minimize --help' for more information.\n", stderr);
      return st;
    }
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
  GrData data;     /* under mpirun: this process's rows (shard.row0 on) */
  int have_data;
  GrFitShard shard; /* under mpirun: where the rows here are among all */
  size_t rows;     /* the data rows in all */
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
  GrProgress progress;
  /* --plot: the path, rows of (iteration, x..., f) at iterations 0, stride, 2*stride, ... */
  double *path;
  size_t npath, pcap;
  long pstride;
  GrOptResult result;
  int have_result;
  double g0;         /* the gradient norm at the start */
  int tw_iter;       /* text trace: width of the iteration column */
  double r0norm;     /* EQ: the residual norm at the start */
  int conv, solved;  /* set by the report */
  double rnorm;      /* EQ: the residual norm at the end */
  double *fit_se;    /* FIT: the parameters' standard errors (set by the report) */
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

/* Text trace column widths: the iteration column fits the iteration limit, a number
 * column the longest number of its --digits (shortest round-trip: up to 24 characters)
 * or its name. */
static int trace_width(const Run *u, int j) {
  int w = u->o->digits ? u->o->digits + 7 : 24;
  const char *name = j < u->nparam ? u->g->vars[u->param_var[j]] : j == u->nparam ? "f" : "gnorm";
  int L = (int)strlen(name);
  return L > w ? L : w;
}

static void trace_row(Run *u, long it, const double *x, double f, double gn) {
  gr_progress_clear(&u->progress);
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
  if (u->o->format == OUT_TSV) {
    printf("%ld", it);
    for (int j = 0; j < u->nparam; j++) {
      putchar('\t');
      put(stdout, u, x[j]);
    }
    putchar('\t');
    put(stdout, u, f);
    putchar('\t');
    put(stdout, u, gn);
    putchar('\n');
    return;
  }
  /* text: right-aligned columns as wide as the header's (trace_widths) */
  char b[40];
  printf("%*ld", u->tw_iter, it);
  for (int j = 0; j < u->nparam + 2; j++) {
    gr_fmt(b, j < u->nparam ? x[j] : j == u->nparam ? f : gn, u->o->digits);
    printf(" %*s", trace_width(u, j), b);
  }
  putchar('\n');
}

static int on_iter(void *ud, long it, const double *x, double f, double gn) {
  Run *u = ud;
  if (min_mpi_on() && min_mpi_interrupted()) {
    gr_interrupted = 1; /* on every rank at once */
    return 1;
  }
  if (it == 0)
    u->g0 = gn;
  if (u->o->plot || u->o->gnuplot)
    path_add(u, it, x, f);
  if (u->o->trace && (it % u->o->every == 0)) {
    trace_row(u, it, x, f, gn);
    u->last_traced = it;
  }
  /* progress on a terminal only, after the first second, a few times a second */
  if (u->progress.on && (it & 63) == 0) {
    char fb[40], gb[40], extra[100];
    gr_fmt(fb, f, 6);
    gr_fmt(gb, gn, 3);
    snprintf(extra, sizeof extra, "f = %s  |grad| = %s", fb, gb);
    gr_progress_show(&u->progress, (uint64_t)(it > 0 ? it : 0),
                     u->p.steps > 0 ? (uint64_t)u->p.steps : 0, extra);
  }
  return 0;
}

static void run_free(Run *u) {
  gr_problem_free(u->prob);
  gr_cons_free(u->o->cons.c);
  u->o->cons.c = NULL;
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
  free(u->fit_se);
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

static const char *pname(const Run *u, int j);

/* Names that differ only by case, or (names of 3 or more characters) by one edit: insert,
 * delete, replace, or swap of neighbours. The likely typos of a column name. */
static int near_name(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la == lb && !strcasecmp(a, b))
    return 1;
  if (la + 1 < lb || lb + 1 < la || la < 3 || lb < 3) /* one edit of a short name: anything */
    return 0;
  size_t i = 0;
  while (i < la && i < lb && a[i] == b[i])
    i++;
  if (la == lb) {
    if (i == la)
      return 1;
    if (i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && !strcmp(a + i + 2, b + i + 2))
      return 1;
    return !strcmp(a + i + 1, b + i + 1);
  }
  return la < lb ? !strcmp(a + i, b + i + 1) : !strcmp(a + i + 1, b + i);
}

static void list_columns(const Run *u) {
  fputs(" (columns:", stderr);
  for (int c = 0; c < u->data.ncol; c++)
    fprintf(stderr, " %s", u->data.names[c]);
  fputs(")\n", stderr);
}

/* A fit: --sigma is a column of positive numbers; with --via the parameters are exactly
 * those names, without it a parameter that looks like a misspelt column is an error; an
 * unused column and the inferred parameters are named in warnings. */
static int check_fit_names(Run *u) {
  MinOpts *o = u->o;
  GrNode *out = u->outs[0];
  const char *file = strcmp(o->data, "-") ? o->data : "<stdin>";
  if (o->sigma) {
    int c = gr_data_find(&u->data, o->sigma);
    if (c < 0) {
      fprintf(stderr, "minimize: error: --sigma names '%s', which is not a column of %s",
              o->sigma, file);
      list_columns(u);
      return 2;
    }
    for (size_t i = 0; i < u->data.nrow; i++)
      if (!(u->data.col[c][i] > 0)) {
        fprintf(stderr, "minimize: error: %s: data row %zu: the --sigma column %s is %g; "
                        "standard deviations must be positive\n",
                file, u->shard.row0 + i + 1, o->sigma, u->data.col[c][i]);
        return 3;
      }
  }
  if (o->via) {
    for (int k = 0; o->via[k]; k++) {
      int v = gr_var_index(u->g, o->via[k]), ok = 0;
      for (int j = 0; j < u->nparam && v >= 0; j++)
        ok |= u->param_var[j] == v;
      if (!ok) {
        fprintf(stderr, "minimize: error: --via names '%s', which is %s\n", o->via[k],
                v < 0 || !gr_depends(u->g, out, v) ? "not a name in the model"
                : u->data_col[v] >= 0              ? "a data column"
                                                   : "held by --fix");
        return 2;
      }
    }
  }
  for (int j = 0; j < u->nparam; j++) {
    const char *name = pname(u, j);
    int in_via = 0;
    for (int k = 0; o->via && o->via[k]; k++)
      in_via |= !strcmp(o->via[k], name);
    if (in_via)
      continue;
    const char *near = NULL;
    for (int c = 0; c < u->data.ncol && !near; c++)
      if (near_name(name, u->data.names[c]))
        near = u->data.names[c];
    if (o->via) {
      fprintf(stderr, "minimize: error: '%s' is neither a column of %s nor a --via parameter%s%s%s",
              name, file, near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
      list_columns(u);
      return 2;
    }
    if (near) {
      fprintf(stderr, "minimize: error: '%s' is not a column of %s; did you mean %s? give --via "
                      "to fit %s as a parameter", name, file, near, name);
      list_columns(u);
      return 2;
    }
  }
  for (int c = 0; c < u->data.ncol; c++) {
    int v = gr_var_index(u->g, u->data.names[c]);
    if (v < 0 || !gr_depends(u->g, out, v))
      fprintf(stderr, "minimize: warning: column %s of %s is not used by the model\n",
              u->data.names[c], file);
  }
  if (!o->via) {
    fprintf(stderr, "minimize: warning: fitting");
    for (int j = 0; j < u->nparam; j++)
      fprintf(stderr, "%s %s", j ? "," : "", pname(u, j));
    fprintf(stderr, ": name%s that no column of %s has (give --via ", u->nparam == 1 ? "" : "s",
            file);
    for (int j = 0; j < u->nparam; j++)
      fprintf(stderr, "%s%s", j ? "," : "", pname(u, j));
    fprintf(stderr, " to name the parameters)\n");
  }
  return 0;
}

/* An operand that is a method name, an option word without its dashes, or an existing
 * file is a slip, not an expression: say what it looks like. */
static int operand_slip(const char *a) {
  size_t n = strlen(a), w = 0;
  while (w < n && (isalnum((unsigned char)a[w]) || a[w] == '_' || a[w] == '-'))
    w++;
  if (w == n && n > 0) {
    if (gr_method_lookup(a) >= 0) {
      fprintf(stderr, "minimize: error: '%s' is a method name, not an expression: did you mean "
                      "--method %s?\n", a, a);
      return 1;
    }
    for (const struct option *lo = long_opts; lo->name; lo++)
      if (!strcmp(lo->name, a)) {
        fprintf(stderr, "minimize: error: '%s' is an option name, not an expression: did you "
                        "mean --%s?\n", a, a);
        return 1;
      }
  }
  struct stat sb;
  if (strpbrk(a, "./") && !strpbrk(a, " \t()+*^") && stat(a, &sb) == 0) {
    if (S_ISDIR(sb.st_mode))
      fprintf(stderr, "minimize: error: '%s' is a directory, not an expression\n", a);
    else
      fprintf(stderr, "minimize: error: '%s' is a file, not an expression: to fit its columns "
                      "give --data %s\n", a, a);
    return 1;
  }
  return 0;
}

/* An operand NAME=VALUE right after a --from/--fix value, where NAME is a variable of the
 * other expressions, is a start value that lost its comma, not an equation. */
static int bind_slips(const Run *u) {
  const MinOpts *o = u->o;
  for (int s = 0; s < o->nslips; s++) {
    int i = 0;
    while (i < o->nexprs && o->exprs[i] != o->slips[s].arg)
      i++;
    if (i == o->nexprs)
      continue;
    size_t n = gr_bind_form(o->exprs[i]);
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)n, o->exprs[i]);
    int v = gr_var_index(u->g, name), used = 0;
    for (int k = 0; v >= 0 && k < o->nexprs && !used; k++) {
      int slip = 0;
      for (int t = 0; t < o->nslips; t++)
        slip |= o->exprs[k] == o->slips[t].arg;
      used = !slip && gr_depends(u->g, u->parsed[k].out, v);
    }
    if (!used)
      continue;
    gr_slip_error("minimize", "a start value, not an equation", o->slips, o->nslips, s);
    return 1;
  }
  return 0;
}

/* Parse the expressions, read the data, sort variables into parameters, data and fixed. */
static int load(Run *u) {
  MinOpts *o = u->o;
  if (o->nexprs == 0)
    return usage_error("%s", "no expression given (try: minimize 'x^2+y^2' --from x=1,y=2)");
  u->g = gr_graph_new();
  if (o->data) {
    GrDiag d;
    int mine = 1;
    GrStatus ds = min_mpi_on() ? min_mpi_read(o->data, o->columns, o->use_cols, o->nuse_cols,
                                              0, &u->data, &u->shard, &mine, &d)
                               : gr_data_read_using(o->data, o->columns, o->use_cols,
                                                    o->nuse_cols, &u->data, &d);
    if (ds != GR_OK) {
      /* under mpirun the rank that read the bad row says so */
      if (mine)
        gr_diag_render(min_mpi_err(), "minimize", &d, NULL);
      return (int)ds;
    }
    u->have_data = 1;
    u->rows = u->shard.rows_total ? u->shard.rows_total : u->data.nrow;
    if (o->nexprs != 1)
      return usage_error("%s", "--data fits one model expression (e.g. 'y = A*x + B')");
  } else if (o->columns || o->via || o->sigma || o->use_cols)
    return usage_error("%s", o->use_cols ? "--using picks columns of --data, which is not given"
                             : o->columns ? "--columns names the columns of --data, which is not given"
                             : o->via   ? "--via names the parameters of a fit to --data, which is not given"
                                        : "--sigma names a column of --data, which is not given");
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
  for (int i = 0; i < o->nexprs; i++)
    if (operand_slip(o->exprs[i])) {
      free(vars);
      return 2;
    }
  GrParseOpts po = {vars, &u->env, 0};
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
    po.comments = !strcmp(o->exprs[i], "-"); /* text from stdin may carry '#' comments */
    if (gr_parse(u->g, u->srcs[i], &po, &u->parsed[i], &d) != GR_OK) {
      gr_diag_render(stderr, "minimize", &d, u->srcs[i]);
      free(vars);
      return d.status;
    }
  }
  int cst = min_cons_parse(&o->cons, u->g, &po);
  free(vars);
  if (cst)
    return cst;
  if (bind_slips(u))
    return 2;
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
    if (u->kind == GR_PROB_FIT && o->sigma)
      r = gr_node(u->g, GR_OP_DIV, r, gr_var(u->g, o->sigma), NULL);
    u->outs[i] = r;
  }
  u->nout = o->nexprs;
  /* classify variables */
  int n = u->g->nvars;
  u->data_col = gr_xmalloc(((size_t)n + 1) * sizeof *u->data_col);
  u->value = gr_xcalloc((size_t)n + 1, sizeof *u->value);
  u->param_var = gr_xmalloc(((size_t)n + 1) * sizeof *u->param_var);
  u->x = gr_xcalloc((size_t)n + 1, sizeof *u->x);
  int used_col = 0, st;
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
  if (u->have_data && (st = check_fit_names(u)))
    return st;
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
  if (u->kind == GR_PROB_FIT && u->rows < (size_t)u->nparam) {
    fprintf(stderr, "minimize: error: %s has %zu data row%s for %d parameters (need at least "
                    "as many rows as parameters)\n",
            o->data, u->rows, u->rows == 1 ? "" : "s", u->nparam);
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
  return min_cons_setup(&o->cons, u->g, u->nparam, u->param_var, u->value, u->data_col, &o->from,
                        &o->fix, u->x);
}

static int setup_params(Run *u) {
  MinOpts *o = u->o;
  int m = o->method ? gr_method_lookup(o->method) : (u->kind == GR_PROB_MIN ? GR_M_BFGS : GR_M_LM);
  if (!o->method && u->kind == GR_PROB_EQ && (size_t)u->nout < (size_t)u->nparam)
    m = GR_M_BFGS; /* lm needs at least as many equations as unknowns */
  int cst = min_cons_method(&o->cons, o->method, &m);
  if (cst)
    return cst;
  GrOptParams *p = &u->p;
  gr_opt_defaults(p, (GrMethod)m);
  p->cons = o->cons.c;
  p->restarts = o->cons.restarts;
  p->seed = o->seed;
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
  case GR_STOP_CONVERGED: return "converged (the method's own test)";
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

/* Whether the run converged, and by which rule. A tolerance rule that stopped the run
 * (--gtol, --ftol, --xtol, or Levenberg-Marquardt's scaled tests) is convergence; a run
 * that stopped on its iteration limit or for lack of progress converged when its gradient
 * norm is small: at most 1e-8 (1 + |f|), or at most 1e-3 (iteration limit) or 1e-6 (no
 * progress) of the norm at the start. */
static int converged(const Run *u, const GrOptResult *r, const char **rule) {
  *rule = NULL;
  if (min_cons_any(&u->o->cons, u->p.method))
    return min_cons_converged(&u->o->cons, u->x, r);
  switch (r->stop) {
  case GR_STOP_GTOL: /* the stop line names the rule */
  case GR_STOP_FTOL:
  case GR_STOP_XTOL: return 1;
  case GR_STOP_STEPS:
  case GR_STOP_NOPROG:
    /* a run of fixed length that cut its gradient a thousandfold did its job; a method
     * that gave up must have got much closer (x^3 gives up near its inflection point) */
    if (r->stop == GR_STOP_STEPS && r->gnorm <= 1e-3 * u->g0) {
      *rule = "gradient norm below 1e-3 of its start";
      return 1;
    }
    if (r->stop == GR_STOP_NOPROG && r->gnorm <= 1e-6 * u->g0) {
      *rule = "gradient norm below 1e-6 of its start";
      return 1;
    }
    if (r->gnorm <= 1e-8 * (1 + fabs(r->f))) {
      *rule = "gradient norm below 1e-8 (1 + |f|)";
      return 1;
    }
    return 0;
  default: return 0;
  }
}

/* EQ: the reported point solves the equations when its residual norm is at most 1e-5 of
 * the scale of the equations: max(1, the residual norm at the start, |J| |x|). */
static int is_solution(const Run *u, const double *res, const double *J, double *rnorm,
                       double *thr) {
  size_t m = u->obj.m;
  int n = u->nparam;
  *rnorm = gr_norm(res, (int)m);
  double scale = fmax(1, u->r0norm);
  scale = fmax(scale, gr_norm(J, (int)(m * (size_t)n)) * gr_norm(u->x, n));
  *thr = 1e-5 * scale;
  return *rnorm <= *thr;
}

/* The report's words for a solution where the Jacobian is singular (see eqfamily.h). */
static void say_solution_set(const char *c, int kind, int rank, int n, int nullity) {
  const char *dirs = nullity == 1 ? "direction" : "directions";
  switch (kind) {
  case GR_EQ_FAMILY:
    printf("%sJacobian rank %d for %d unknowns: the solution is not unique (other points "
           "next to it fit equally well); this is one of them\n",
           c, rank, n);
    break;
  case GR_EQ_MULTIPLE:
    printf("%sJacobian rank %d for %d unknowns: a multiple root: no other solution is near, "
           "but the equations are flat to first order along %d %s, so the point is less "
           "accurate along %s\n",
           c, rank, n, nullity, dirs, nullity == 1 ? "it" : "them");
    break;
  default:
    printf("%sJacobian rank %d for %d unknowns: the solution is not unique along some of the "
           "%d singular %s; this is one of them\n",
           c, rank, n, nullity, dirs);
    break;
  }
}

/* A fitted parameter and its standard error as text: with digits, that many; in text,
 * as many as the error supports: down to the place of its third significant digit
 * (gnuplot's 2.00448 +/- 0.004438); else every digit (JSON and TSV) */
static void fmt_param(char *v, char *e, double x, double se, int digits, int text) {
  int vd = digits, ed = digits ? digits : 6;
  if (!digits && text && isfinite(se) && se > 0 && isfinite(x)) {
    int place = (int)floor(log10(se)) - 2;
    int top = x != 0 ? (int)floor(log10(fabs(x))) : place;
    vd = top - place + 1;
    vd = vd < 1 ? 1 : vd > 17 ? 17 : vd;
    ed = 4;
  }
  gr_fmt(v, x, vd);
  gr_fmt(e, se, ed);
}

/* The report after the run. */
static void report(Run *u, const GrOptResult *r) {
  MinOpts *o = u->o;
  int n = u->nparam;
  size_t m = u->kind == GR_PROB_FIT ? u->rows : u->obj.m;
  double *res = NULL, *J = NULL, rss = 0, nrm = 0, *se = NULL, *corr = NULL;
  int rank = -1;
  if (m && u->kind == GR_PROB_FIT) {
    /* block by block: no m x n Jacobian, and the rows may be spread over processes */
    se = gr_xcalloc((size_t)n, sizeof *se);
    corr = gr_xcalloc((size_t)n * (size_t)n, sizeof *corr);
    gr_problem_fit_report(u->prob, u->x, &rss, &nrm, &rank, se, corr);
  } else if (m) {
    res = gr_xcalloc(m, sizeof *res);
    J = gr_xcalloc(m * (size_t)n, sizeof *J);
    u->obj.res(u->obj.ctx, u->x, res, J);
    rank = gr_rank(J, m, n);
    nrm = gr_norm(res, (int)m);
  }
  long ndf = (long)m - n;
  double rms = ndf > 0 ? (isfinite(rss) ? sqrt(rss / (double)ndf) : nrm / sqrt((double)ndf))
                       : NAN;
  const char *method = gr_method_name(u->p.method);
  const char *rule;
  int conv = converged(u, r, &rule);
  double rnorm = 0, thr = 0;
  int solved = u->kind == GR_PROB_EQ ? is_solution(u, res, J, &rnorm, &thr) : 1;
  int set = GR_EQ_ISOLATED, nullity = 0;
  if (u->kind == GR_PROB_EQ && solved && rank >= 0 && rank < n)
    set = gr_eq_family(u->obj.res, u->obj.ctx, u->x, J, m, n, thr, &nullity);
  u->conv = conv;
  u->solved = solved;
  u->rnorm = rnorm;
  if (o->format == OUT_JSON) {
    printf("{\"method\":");
    gr_json_str(stdout, method);
    printf(",\"iterations\":%ld,\"stop\":\"%s\",\"converged\":%s,\"at\":", r->iter,
           gr_stop_name(r->stop), conv ? "true" : "false");
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
      printf("],\"residual_norm\":");
      put(stdout, u, rnorm);
      printf(",\"solution\":%s,\"rank\":%d,\"unique\":%s", solved ? "true" : "false", rank,
             rank == n || set == GR_EQ_MULTIPLE ? "true" : "false");
      if (solved)
        printf(",\"solution_set\":\"%s\"", rank == n                ? "isolated"
                                           : set == GR_EQ_FAMILY   ? "family"
                                           : set == GR_EQ_MULTIPLE ? "multiple root"
                                                                   : "mixed");
    }
    if (u->kind == GR_PROB_FIT) {
      printf(",\"rss\":");
      put(stdout, u, rss);
      printf(",\"ndf\":%ld,\"rms\":", ndf);
      put(stdout, u, rms);
      printf(",\"rank\":%d,\"stderr_meaningful\":%s,\"stderr\":", rank,
             conv ? "true" : "false");
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
    if (min_cons_any(&o->cons, u->p.method))
      min_cons_report(&o->cons, &u->obj, u->p.method, u->x, r, o->digits, 1, "");
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
  const char *cb = o->format == OUT_TSV ? "#" : ""; /* an empty line: no trailing blank */
  if (o->format == OUT_TSV && !o->trace) {
    printf("# iter");
    for (int j = 0; j < n; j++)
      printf(" %s", pname(u, j));
    printf(" f gnorm\n");
    trace_row(u, r->iter, u->x, r->f, r->gnorm);
  }
  if (o->trace && o->format == OUT_TEXT)
    putchar('\n');
  if (u->kind == GR_PROB_FIT) {
    printf("%sfitted parameters:", c);
    for (int j = 0; j < n; j++)
      printf("%s %s", j ? "," : "", pname(u, j));
    printf(" (%zu rows of %s", u->rows, strcmp(o->data, "-") ? o->data : "<stdin>");
    if (o->sigma)
      printf(", residuals weighted by 1/%s^2", o->sigma);
    printf(")\n");
  }
  printf("%s%s: %ld iteration%s, stopped: %s\n", c, method, r->iter, r->iter == 1 ? "" : "s",
         stop_text(r));
  if (r->stop == GR_STOP_ERROR && r->msg[0])
    printf("%s  (%s)\n", c, r->msg);
  if (conv && rule)
    printf("%sconverged: yes (%s)\n", c, rule);
  else if (conv)
    printf("%sconverged: yes\n", c);
  else
    printf("%sconverged: no\n", c);
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
    if (!solved) {
      printf("%sno exact solution found: residual norm ", c);
      put(stdout, u, rnorm);
      printf(" (this is a least-squares point, not a solution)\n");
    } else if (rank < n)
      say_solution_set(c, set, rank, n, nullity);
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
    printf("\n%s\n", cb);
    if (!conv)
      printf("%sthe fit did not converge: this is not a minimum, and the standard errors below "
             "are not meaningful\n", c);
    printf("%sFinal set of parameters            Asymptotic Standard Error\n", c);
    printf("%s=======================            ==========================\n", c);
    free(u->fit_se);
    u->fit_se = gr_xmalloc((size_t)n * sizeof *se);
    memcpy(u->fit_se, se, (size_t)n * sizeof *se);
    for (int j = 0; j < n; j++) {
      char v[40], e[40];
      fmt_param(v, e, u->x[j], se[j], o->digits, o->format == OUT_TEXT);
      if (u->x[j] != 0 && isfinite(se[j])) /* the padding only before another column */
        printf("%s%-15s = %-24s +/- %-12s (%.4g%%)\n", c, pname(u, j), v, e,
               fabs(100 * se[j] / u->x[j]));
      else
        printf("%s%-15s = %-24s +/- %s\n", c, pname(u, j), v, e);
    }
    if (rank < n)
      printf("%sJacobian rank %d for %d parameters: the parameters are not all determined by "
             "the data\n", c, rank, n);
    printf("%s\n%scorrelation matrix of the fit parameters:\n%s%-15s", cb, c, c, "");
    for (int j = 0; j < n; j++)
      printf(" %7.7s", pname(u, j)); /* right-aligned over the numbers, no trailing blanks */
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
  if (min_cons_any(&o->cons, u->p.method))
    min_cons_report(&o->cons, &u->obj, u->p.method, u->x, r, o->digits, 0, c);
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
    pipe = gr_plot_open(!o->plot_file, &d);
    if (!pipe) {
      gr_diag_render(stderr, "minimize", &d, NULL);
      return d.status;
    }
    f = pipe;
  }
  /* --gnuplot without --plot=FILE: a script for gnuplot's own terminal, a window */
  GrPlotOpts po = {o->plot_file, 0, 0, u->nsrc == 1 ? u->srcs[0] : NULL,
                   o->gnuplot && !o->plot_file};
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
    GrTableSpec ts = {u->g, &u->parsed[0].rhs, 1, &rg, 1, fixed, NULL, 0, 0, 0};
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
      /* the key: each parameter with its standard error, as the report gives them */
      char **keys = gr_xcalloc((size_t)n, sizeof *keys);
      for (int j = 0; j < n; j++) {
        char v[40], e[40];
        GrBuf kb = {0};
        fmt_param(v, e, u->x[j], u->fit_se ? u->fit_se[j] : NAN, o->digits, 1);
        if (u->fit_se)
          gr_buf_printf(&kb, "%s = %s +/- %s", pname(u, j), v, e);
        else
          gr_buf_printf(&kb, "%s = %s", pname(u, j), v);
        keys[j] = kb.s;
      }
      ps = gr_plot_fit(f, &po, u->g->vars[in], u->g->vars[obs], xs, ys, u->data.nrow, cx, cy,
                       m, (const char *const *)keys, n, &d);
      for (int j = 0; j < n; j++)
        free(keys[j]);
      free(keys);
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
    if (u->kind == GR_PROB_EQ)
      po.title = "sum of squared residuals per iteration";
    else if (u->kind == GR_PROB_FIT)
      po.title = "sum of squared residuals of the fit per iteration";
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
    GrStatus cs = gr_plot_close(pipe, "minimize", &d);
    if (cs != GR_OK && !st) {
      gr_diag_render(stderr, "minimize", &d, NULL);
      st = cs;
    }
  } else
    st = gr_check_stdout("minimize", st);
  return st;
}

static int run_opt(Run *u);

/* Everything before the run: parse, read, set up, compile. Under mpirun every rank does
 * it (each with its rows) and they agree on the outcome: a message that is one rank's alone
 * (a bad --sigma value in its rows) is shown by that rank. */
static int prepare(Run *u) {
  int st = load(u);
  if (!st)
    st = setup_params(u);
  if (!st && min_mpi_size() > 1 && (u->o->plot || u->o->gnuplot) && u->have_data) {
    fprintf(stderr, "minimize: error: --plot and --gnuplot show all the data rows, which "
                    "are split over the %d processes of mpirun: run the fit without mpirun "
                    "to plot it\n", min_mpi_size());
    st = 2;
  }
  if (!st) {
    GrProblemSpec s = {u->g, u->kind, u->outs, u->nout, u->nparam, u->param_var, u->value,
                       u->have_data ? &u->data : NULL, u->data_col, u->o->sse, 0,
                       (int)u->o->threads};
    GrDiag d;
    if (gr_problem_new_shard(&s, min_mpi_on() ? &u->shard : NULL, &u->prob, &u->obj, &d) !=
        GR_OK) {
      gr_diag_render(stderr, "minimize", &d, d.has_span ? src_of(u, u->outs[0]) : NULL);
      st = d.status;
    }
  }
  int mine;
  st = min_mpi_agree(st, &mine);
  min_mpi_release(mine);
  return st;
}

static int run(Run *u) {
  int st = prepare(u);
  if (st)
    return st;
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
  if (o->trace && o->format == OUT_TSV) {
    printf("# iter");
    for (int j = 0; j < u->nparam; j++)
      printf(" %s", pname(u, j));
    printf(" f gnorm\n");
  } else if (o->trace && o->format == OUT_TEXT) {
    char b[24];
    u->tw_iter = snprintf(b, sizeof b, "%ld", u->p.steps);
    if (u->tw_iter < 4)
      u->tw_iter = 4;
    printf("%*s", u->tw_iter, "iter");
    for (int j = 0; j < u->nparam + 2; j++)
      printf(" %*s", trace_width(u, j), j < u->nparam ? pname(u, j) : j == u->nparam ? "f" : "gnorm");
    putchar('\n');
  }
  gr_progress_start(&u->progress, "minimize", "iteration", 1);
  u->last_traced = -1;
  gr_interrupted = 0;
  gr_catch_sigint();
  min_mpi_catch_signals(); /* under mpirun: every rank stops at the same iteration */
  if (u->kind == GR_PROB_EQ && u->obj.m) {
    double *r0 = gr_xcalloc(u->obj.m, sizeof *r0);
    size_t m = u->obj.m;
    int n = u->nparam;
    double *J0 = gr_xcalloc(m * (size_t)n, sizeof *J0);
    u->obj.res(u->obj.ctx, u->x, r0, J0);
    u->r0norm = gr_norm(r0, (int)m);
    /* Unknowns whose partial of the squared residuals is exactly 0 at a start where the
     * equations do not hold (x and y for x^2+y^2 = 1 from the origin, c and d for c*d = 3)
     * are often where no method can move them: step them off, by a fixed pattern so that
     * runs repeat. */
    int nflat = 0;
    if (n > 0 && !o->cons.c && u->r0norm > 1e-5 * fmax(1, u->r0norm))
      for (int j = 0; j < n; j++) {
        double gj = 0;
        for (size_t i = 0; i < m; i++)
          gj += J0[i * (size_t)n + (size_t)j] * r0[i];
        if (gj != 0)
          continue;
        if (!nflat++)
          fprintf(stderr, "minimize: note: the squared residuals are flat at the start "
                          "(gradient 0) and the equations do not hold there; starting from");
        /* 0.1 (1 + |x|) times a fixed pattern in [0.5, 1.5) with alternating signs */
        double frac = fmod(0.6180339887498949 * (j + 1), 1.0) + 0.5;
        u->x[j] += (j % 2 ? -0.1 : 0.1) * (1 + fabs(u->x[j])) * frac;
        char b[40];
        gr_fmt(b, u->x[j], 6);
        fprintf(stderr, "%s %s=%s", nflat > 1 ? "," : "", pname(u, j), b);
      }
    if (nflat) {
      fputs(" instead\n", stderr);
      u->obj.res(u->obj.ctx, u->x, r0, NULL);
      u->r0norm = fmax(u->r0norm, gr_norm(r0, (int)m));
    }
    free(J0);
    free(r0);
  }
  GrOptResult r;
  st = gr_optimize(&u->obj, &u->p, u->x, on_iter, u, &r, &d);
  gr_progress_clear(&u->progress);
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
  if (r.stop != GR_STOP_INTERRUPT && min_cons_check(&o->cons, u->x))
    return 1;
  switch (r.stop) {
  case GR_STOP_NONFINITE:
    if (r.bad_iter <= r.iter) /* no finite point was seen */
      fprintf(stderr, "minimize: error: f or its gradient is not finite at the start (iteration "
                      "%ld); start elsewhere with --from\n", r.bad_iter);
    else
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
  default:
    break;
  }
  /* asked to converge (--gtol given) and did not */
  if ((r.stop == GR_STOP_STEPS || r.stop == GR_STOP_NOPROG) && !isnan(o->gtol) &&
      !(r.gnorm <= o->gtol)) {
    fprintf(stderr, "minimize: error: gradient norm still above --gtol after %ld "
                    "iterations\n", r.iter);
    return 1;
  }
  /* a global method runs until --steps by design: its report says the point is the best
   * found, not a proven optimum, and there is nothing to raise */
  if (!u->conv && !(gr_method_is_global(u->p.method) && r.stop == GR_STOP_STEPS)) {
    char gb[40], lb[48] = "";
    gr_fmt(gb, r.gnorm, 3);
    if (gr_method_is_torch(u->p.method) && !isnan(u->p.lr)) {
      char l[40];
      gr_fmt(l, u->p.lr, 6);
      snprintf(lb, sizeof lb, " (lr %s)", l);
    }
    const char *other = u->p.method == GR_M_BFGS || u->p.method == GR_M_LM ||
                                gr_method_is_nlopt(u->p.method) || u->o->cons.c
                            ? ""
                        : u->kind == GR_PROB_MIN                          ? ", or use --method bfgs"
                                                                          : ", or use --method lm";
    fprintf(stderr, "minimize: warning: not converged: gradient norm %s after %ld step%s of %s%s",
            gb, r.iter, r.iter == 1 ? "" : "s", gr_method_name(u->p.method), lb);
    if (r.stop == GR_STOP_NOPROG)
      fprintf(stderr, ": no further progress possible (f may be unbounded below, or not smooth there)%s\n", other);
    else
      fprintf(stderr, "; raise --steps%s%s\n", gr_method_is_torch(u->p.method) ? " or --lr" : "",
              other);
  }
  if (!u->solved) {
    char rb[40];
    gr_fmt(rb, u->rnorm, 6);
    fprintf(stderr, "minimize: error: no exact solution found: the residual norm is %s at the "
                    "reported least-squares point\n", rb);
    return 1;
  }
  return 0;
}

int minimize_main(int argc, char **argv) {
  gr_init();
  min_mpi_init(); /* only when started by mpirun */
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
  memset(&o, 0, sizeof o);
  find_slips(argc, argv, &o);
  st = parse_opts(nargc, nargv, &o);
  if (st == 0 && !o.data)
    min_mpi_solo(); /* under mpirun only a data fit is shared out: rank 0 runs the rest */
  if (st == 0 && min_mpi_rank() > 0 && !o.data) {
  } else if (st == 0) {
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
  min_cons_free(&o.cons);
  gr_free_list(o.columns);
  free(o.use_cols);
  gr_free_list(o.via);
  free(o.slips);
  free(nargv);
  min_mpi_finish();
  return st;
}
