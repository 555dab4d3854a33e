/* SPDX-License-Identifier: GPL-3.0-or-later
 * Optimizers over an objective (value + gradient, optionally residuals + Jacobian):
 * PyTorch-exact update rules (optim_torch.c), GSL multimin and multifit_nlinear
 * (optim_gsl.c), and objectives built from compiled tapes (optim.c): a scalar expression,
 * a system of equations (sum of squared residuals) or a model fitted to data columns,
 * evaluated block by block with one reverse sweep per block. Library code: no printing.
 */
#ifndef GR_OPTIM_H
#define GR_OPTIM_H
#include "data.h"
#include "diag.h"
#include "graph.h"
#include "tape.h"
#include <stddef.h>

typedef struct GrObjective {
  int n; /* parameters */
  /* f at x and, when g != NULL, its gradient */
  void (*fg)(void *ctx, const double *x, double *f, double *g);
  size_t m; /* residuals; 0 when the objective is not a sum of squares. A fit of more rows
             * than one block gives n + 1 values with the same sum of squares and the same
             * J^T J and J^T r as its rows' residuals (see gr_problem_new) */
  /* residuals r[m] and, when J != NULL, the Jacobian J[m*n] (row-major) */
  void (*res)(void *ctx, const double *x, double *r, double *J);
  double scale; /* f = scale * sum(r^2) */
  void *ctx;
} GrObjective;

typedef enum GrMethod {
  GR_M_GD, GR_M_ADAM, GR_M_ADAMW, GR_M_NADAM, GR_M_RMSPROP, GR_M_ADAGRAD, /* torch-style */
  GR_M_BFGS, GR_M_CGFR, GR_M_CGPR, GR_M_STEEPEST, GR_M_NM,                /* GSL multimin */
  GR_M_LM,                                                                 /* multifit */
  GR_M_LBFGS, GR_M_SLSQP, GR_M_MMA, GR_M_CCSAQ, GR_M_COBYLA, GR_M_BOBYQA,  /* NLopt local */
  GR_M_DIRECT, GR_M_CRS2, GR_M_ISRES, GR_M_MLSL                            /* NLopt global */
} GrMethod;

/* "gd", "sgd", "adam", ... -> method; -1 if unknown. */
int gr_method_lookup(const char *name);
const char *gr_method_name(GrMethod m);
static inline int gr_method_is_torch(GrMethod m) { return m <= GR_M_ADAGRAD; }
static inline int gr_method_is_nlopt(GrMethod m) { return m >= GR_M_LBFGS; }

typedef struct GrOptParams {
  GrMethod method;
  double lr;                    /* NaN: the method's default (gd has none) */
  double momentum, dampening, weight_decay; /* weight_decay NaN: default (adamw 0.01) */
  int nesterov;
  double beta1, beta2, eps;     /* eps NaN: default (adagrad 1e-10, others 1e-8) */
  int amsgrad;
  double momentum_decay;        /* nadam */
  int decoupled;                /* nadam decoupled weight decay */
  double alpha;                 /* rmsprop */
  int centered;                 /* rmsprop */
  double lr_decay, initial_accumulator; /* adagrad */
  long steps;                   /* iteration limit */
  double gtol, ftol, xtol;      /* <= 0: rule off */
  double step, line_tol;        /* GSL: initial step (NaN: default), line-search tolerance */
  /* constraints (optim_nlopt.c/.h), restarts (optim_run.c): NULL/0 when none */
  const struct GrConstraints *cons;
  long restarts;
  unsigned long seed;
} GrOptParams;

/* PyTorch's defaults; steps/tolerances set for the method family. */
void gr_opt_defaults(GrOptParams *p, GrMethod m);

typedef enum GrStop {
  GR_STOP_STEPS, GR_STOP_GTOL, GR_STOP_FTOL, GR_STOP_XTOL, GR_STOP_NOPROG,
  GR_STOP_NONFINITE, GR_STOP_INTERRUPT, GR_STOP_ERROR,
  GR_STOP_CONVERGED /* NLopt's own convergence test passed (NLOPT_SUCCESS) */
} GrStop;
const char *gr_stop_name(GrStop s); /* "steps", "gtol", ... */

/* Called at iteration 0 (the start) and after every iteration; nonzero stops the run. */
typedef int (*GrOptCallback)(void *ud, long iter, const double *x, double f, double gnorm);

typedef struct GrOptResult {
  long iter;     /* iterations done */
  double f, gnorm;
  GrStop stop;
  long bad_iter; /* GR_STOP_NONFINITE: the iteration that produced it */
  char msg[160]; /* GR_STOP_ERROR: what GSL said */
  long runs, runs_best; /* --restarts: runs done, runs that reached the best f */
} GrOptResult;

/* Minimize from x (n values, overwritten with the result: the last point, the best point
 * when interrupted, the last finite point on NaN/inf). Returns GR_OK when it ran (read
 * r->stop), GR_EUSAGE for a bad combination (lm without residuals). */
GrStatus gr_optimize(const GrObjective *o, const GrOptParams *p, double *x, GrOptCallback cb,
                     void *ud, GrOptResult *r, GrDiag *d);

/* The families (optim_torch.c, optim_gsl.c, optim_nlopt.c); same contract as gr_optimize,
 * which (in optim_run.c) picks one and runs --restarts over it. */
GrStatus gr_opt_torch(const GrObjective *o, const GrOptParams *p, double *x, GrOptCallback cb,
                      void *ud, GrOptResult *r, GrDiag *d);
GrStatus gr_opt_gsl(const GrObjective *o, const GrOptParams *p, double *x, GrOptCallback cb,
                    void *ud, GrOptResult *r, GrDiag *d);
GrStatus gr_opt_nlopt(const GrObjective *o, const GrOptParams *p, double *x, GrOptCallback cb,
                      void *ud, GrOptResult *r, GrDiag *d);

/* Euclidean norm. (Whether every value is finite: gr_all_finite, tape.h.) */
double gr_norm(const double *v, int n);

/* ---- objectives from tapes ---- */
typedef enum { GR_PROB_MIN, GR_PROB_EQ, GR_PROB_FIT } GrProbKind;

typedef struct GrProblemSpec {
  GrGraph *g;
  GrProbKind kind;
  GrNode **outs; /* MIN: {f}; EQ: the residuals; FIT: {residual = model - observed} */
  int nout;
  int nparam;
  const int *param_var;  /* graph variable of each parameter */
  const double *value;   /* per graph variable: its value when neither parameter nor data */
  const GrData *data;    /* FIT */
  const int *data_col;   /* FIT: per graph variable, its data column or -1 */
  int sse;               /* FIT: sum of squares instead of the mean */
  size_t block;          /* FIT: rows per block (0: 4096) */
  int threads;           /* FIT: threads for the rows (0: gr_fit_threads(0)) */
} GrProblemSpec;

/* A fit over several processes: data holds rows [row0, row0 + data->nrow) of rows_total,
 * row0 a multiple of gr_fit_block(block, rows_total), and every process but the last holds
 * whole blocks. The per-block partial sums are laid out for all blocks of all processes,
 * this process filling blocks [row0 / B, ...); gather(ctx, part, width) must fill in the
 * other processes' blocks (width doubles per block), after which every process adds them in
 * block order: the same numbers on every process and for any number of processes. */
typedef struct GrFitShard {
  size_t row0, rows_total;
  void (*gather)(void *ctx, double *part, size_t width);
  void *ctx;
} GrFitShard;

/* The rows per block of a fit of `rows` rows asked for `want` (0: 4096). */
size_t gr_fit_block(size_t want, size_t rows);

/* The threads a fit runs on when asked for `want` (0: OMP_NUM_THREADS, else the cores
 * this process may use); 1 when built without OpenMP. The blocks of rows and the order
 * their partial sums are added in do not depend on it: neither do the results. */
int gr_fit_threads(int want);

typedef struct GrProblem GrProblem;
/* Compile the tape(s) and fill obj (whose ctx is the problem). GR_EUSAGE with a span of
 * the offending node (e.g. a vector-valued objective). */
GrStatus gr_problem_new(const GrProblemSpec *s, GrProblem **pp, GrObjective *obj, GrDiag *d);
/* The same for a FIT holding only some of the rows (sh NULL: all of them). */
GrStatus gr_problem_new_shard(const GrProblemSpec *s, const GrFitShard *sh, GrProblem **pp,
                              GrObjective *obj, GrDiag *d);
void gr_problem_free(GrProblem *p); /* NULL-safe */
/* FIT: sweep every block whole (on 1), or in strips of rows where the program allows (on 0,
 * the default; see gr_tape_reverse_strip): the same numbers, bit for bit. For tests and
 * measurements. */
void gr_problem_whole_blocks(GrProblem *p, int on);

/* A fit's report without its m x n Jacobian: the residuals and Jacobian are made one block
 * at a time (on the fit's threads), each block's J reduced to its n x n R factor, the R
 * factors of all blocks (of all processes, through the spec's gather) combined by QR in
 * block order, then rank and statistics as gr_rank and gr_fit_stats give them for the
 * whole J. rss: the sum of squared residuals; nrm: its root, computed without overflow. */
void gr_problem_fit_report(GrProblem *p, const double *x, double *rss, double *nrm, int *rank,
                           double *se, double *corr);
/* Numerical rank of the m x n matrix J (row-major), from its singular values. */
int gr_rank(const double *J, size_t m, int n);
/* Fit statistics from the Jacobian at the solution: covariance (J^T J)^-1 scaled by
 * rss/ndf as gnuplot's fit does, standard errors, correlation (n x n). ndf = m - n; when it
 * is 0 the errors are NaN. Never fails on a singular J (dependent parameters get NaN). */
void gr_fit_stats(const double *J, const double *r, size_t m, int n, double *rss, double *se,
                  double *corr);

#endif
