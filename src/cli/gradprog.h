/* SPDX-License-Identifier: GPL-3.0-or-later
 * The grad program: options, the loaded expressions, and one function per mode. grad.c
 * parses options and the expressions (grad_load) and dispatches; each mode lives in its
 * own file and prints to stdout, diagnostics to stderr, and returns an exit status.
 */
#ifndef GRADPROG_H
#define GRADPROG_H
#include "cliutil.h"
#include "parse.h"
#include "tape.h"

typedef enum { FMT_TEXT, FMT_TSV, FMT_JSON, FMT_LATEX, FMT_C, FMT_BINARY } GradFormat;
typedef enum { MODE_AUTO, MODE_FORWARD, MODE_REVERSE } GradADMode;

typedef struct GradOpts {
  GrBindList at;     /* --at */
  char **wrt;        /* --wrt (NULL: every variable); may contain "all" */
  int nwrt;
  GradFormat format;
  int format_given;
  int digits;        /* --digits (0: shortest round-trip) */
  int no_grad;
  int symbolic, cse, order, hessian, check; /* symbolic and higher order */
  int taylor;        /* --taylor N: coefficients f_k/k! (0: off) */
  double check_eps, check_atol, check_rtol;
  char *vjp, *jvp;   /* autograd extras */
  GradADMode mode;
  int stats, graph, dot;
  char *range;       /* tables and plots */
  int points;
  int plot;
  char *plot_file;
  int gnuplot;
  int threads;       /* --threads (0: the cores available) */
  int exact;         /* --exact: tables with scalar libm only */
  char *file;        /* -f FILE: a session script */
  char **exprs;      /* the EXPR arguments */
  int nexprs;
} GradOpts;

/* The expressions parsed into one graph, with their sources for diagnostics. */
typedef struct GradCtx {
  GradOpts *o;
  GrGraph *g;
  GrEnv env;
  int nout;
  GrNode **outs;
  GrParsed *parsed;
  char **srcs;       /* per output: its source text */
  size_t *var_len;   /* per graph variable: its block length from --at */
  size_t nonfinite;  /* reported numbers that are NaN or infinite (grad_note) */
  int nonfinite_warned; /* the mode already said so in its own words */
} GradCtx;

/* grad_ctx.c: what the modes share. Parse every EXPR into ctx (sources from -: stdin). Renders its own diagnostics; returns
 * the exit status (0 ok). require_values: every variable needs a value from --at. */
int grad_load(GradCtx *c, GradOpts *o, int require_values);
void grad_ctx_free(GradCtx *c);
/* The source text that holds node n's span (for carets), or NULL. */
const char *grad_src_of(const GradCtx *c, const GrNode *n);
/* Print one warning: a kink, a non-finite derivative or value, with a caret under it. */
void grad_warn_issue(const GradCtx *c, const GrTapeIssue *is);
/* Print warnings for kinks and non-finite derivatives found by the last sweeps. */
void grad_warn_issues(const GradCtx *c, const GrTape *t);
/* Write the point (--at values) as JSON: {"x":3.6,...} */
void grad_json_at(const GradCtx *c, FILE *f);
/* Write values v[0..n) as a number (n == 1 and not a vector) or an array. */
void grad_put_vec(FILE *f, const double *v, size_t n, int vector, int digits, int json);
/* Variables to report (--wrt or all), as graph variable indices; n returned in *n. */
int *grad_wrt_vars(const GradCtx *c, int *n, int *status);

/* Numeric trouble, one rule for every mode: each number a mode reports as a result (a
 * value, a derivative, a Jacobian, J v or v^T J, a Hessian, a table's values) goes through
 * grad_note, and grad_exit_status turns any NaN or infinity among them into a warning and
 * exit status 1 (the numbers are still printed). Returns how many of v[0..n) were not finite. */
size_t grad_note(GradCtx *c, const double *v, size_t n);
/* 1 (with the warning) if grad_note saw a NaN or infinity and st is 0 or 1; else st. */
int grad_exit_status(GradCtx *c, int st);

/* Write the --at values of the variables the tape uses (block lengths from c->var_len). */
void grad_tape_set_at(const GradCtx *c, GrTape *t);
int grad_point(GradCtx *c);
/* --range/--plot/--gnuplot: tabulate or plot (grad_table.c); loads the expressions itself. */
int grad_table_main(GradOpts *o);
/* --symbolic, --order, --hessian, --check (grad_symbolic.c) */
int grad_symbolic(GradCtx *c);
/* The whole program, callable again (the interactive session builds an argv and calls
 * it): never exits, resets getopt. */
int grad_main(int argc, char **argv); /* value and gradient at --at (grad.c) */
/* The session and scripts (grad alone, grad -f FILE): repl.c's grad_repl, which main sets
 * (the session runs grad_main, so grad.c does not name it); NULL: none. */
extern int (*grad_session)(const char *file, char **extra, int nextra);
/* grad's getopt_long table (the session maps its words to these options). */
struct option;
const struct option *grad_long_options(void);

#endif
