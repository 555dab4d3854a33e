/* SPDX-License-Identifier: GPL-3.0-or-later
 * libgrad: an expression typed by a user, compiled once, then its value and its exact
 * gradient (reverse-mode automatic differentiation) at as many points as wanted; symbolic
 * derivatives as formulas; Hessians; minimization by the optimizers of the grad and
 * minimize programs. man 3 libgrad documents every function.
 *
 * Link with: cc prog.c $(pkg-config --cflags --libs grad)
 *
 * No global state: two threads may use two expressions at once (one expression is used by
 * one thread at a time). Errors are returned, never printed; the library never exits.
 */
#ifndef GRAD_H
#define GRAD_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (grad_error.code and return values): the exit statuses of grad and minimize */
enum {
  GRAD_OK = 0,
  GRAD_ENUMERIC = 1, /* a NaN or infinite result; a minimization that did not converge */
  GRAD_EUSAGE = 2,   /* a syntax error, an unknown name, a bad argument */
  GRAD_EIO = 3,      /* an input/output error */
  GRAD_ENOMEM = 4,   /* out of memory */
  GRAD_EINTR = 130   /* interrupted (a progress callback asked to stop) */
};

typedef struct grad_expr grad_expr;

typedef struct {
  int code;          /* one of the GRAD_E* codes; GRAD_OK when there was no error */
  size_t column;     /* 1-based byte position in the source of the culprit; 0: none */
  char message[256]; /* what is wrong, in words */
} grad_error;

/* Compile src (statements separated by ';', the last one the value). NULL on error, with
 * *err filled in (err may be NULL). */
grad_expr *grad_compile(const char *src, grad_error *err);
/* The same with declared variables: vars (NULL-terminated) are variables even where they
 * would name a constant (e, pi), and come first, in this order; the other free names follow
 * in the order of their first appearance. */
grad_expr *grad_compile_vars(const char *src, const char *const *vars, grad_error *err);
void grad_expr_free(grad_expr *e); /* NULL-safe */

/* The variables (free names), in the order of their first appearance in the source. */
int grad_nvars(const grad_expr *e);
const char *grad_var_name(const grad_expr *e, int i); /* NULL when i is out of range */
int grad_var_index(const grad_expr *e, const char *name); /* -1 when not a variable */

/* Give the variable `name` a fixed value: it is no longer a variable (the expression is
 * recompiled; variable indices after it move down by one). GRAD_EUSAGE if name is not a
 * variable of e. */
int grad_set_constant(grad_expr *e, const char *name, double value, grad_error *err);

/* Value at x[0..nvars) and, when gradient != NULL, every partial derivative into
 * gradient[0..nvars). Returns GRAD_OK, or GRAD_ENUMERIC when a result is NaN or infinite
 * (the numbers are still written). */
int grad_eval(grad_expr *e, const double *x, double *value, double *gradient);

/* n points at once: x[i] is an array of the n values of variable i; values[n] receives
 * the values, gradients[i] (when gradients != NULL) the n partial derivatives by variable i.
 * Returns GRAD_OK or GRAD_ENUMERIC (some result not finite). */
int grad_eval_block(grad_expr *e, size_t n, const double *const *x, double *values,
                    double *const *gradients);
/* Vector math in grad_eval_block (off by default): exp, log, sin, cos, atan, expm1, log1p
 * and a^b several points at a time, each result within 1 ulp of scalar libm's (0, inf,
 * NaN, subnormals exactly libm's). grad_eval and grad_hessian always use scalar libm.
 * Returns 1 when vector math is now in use, 0 when off or not available (a build without
 * SLEEF, a processor without AVX2). */
int grad_set_vecmath(grad_expr *e, int on);

/* The Hessian at x: h[i*nvars + j] = d2f/dxi dxj (row-major, nvars x nvars), by one
 * forward-over-reverse sweep per variable. Returns GRAD_OK or GRAD_ENUMERIC. */
int grad_hessian(grad_expr *e, const double *x, double *h);

/* d e / d var as a simplified formula that grad_compile reads back; a malloc'd string
 * (free() it), NULL on error. */
char *grad_derivative(const grad_expr *e, const char *var, grad_error *err);

/* The expression itself as text (simplified); free() it. NULL when out of memory. */
char *grad_expr_string(const grad_expr *e);

/* ---- minimization ---- */

/* Called at the start (iter 0) and after every iteration with the current point, value
 * and gradient norm; return nonzero to stop (grad_minimize then returns GRAD_EINTR). */
typedef int (*grad_progress_fn)(void *userdata, long iter, const double *x, double f,
                                double gnorm);

typedef struct {
  const char *method; /* "bfgs" (default), "cg-fr", "cg-pr", "steepest", "nelder-mead" (GSL);
                         "gd", "adam", "adamw", "nadam", "rmsprop", "adagrad" (PyTorch's
                         rules); "lbfgs", "slsqp", ... when built with NLopt */
  double lr;          /* learning rate / step; 0: the method's default */
  long steps;         /* iteration limit; 0: the method's default */
  double gtol;        /* stop when the gradient norm is below; 0: the default, < 0: off */
  grad_progress_fn progress; /* NULL: none */
  void *userdata;            /* passed to progress */
} grad_minimize_options;

typedef struct {
  long iterations;
  double f;          /* the value at the point returned */
  double gnorm;      /* the gradient norm there */
  int converged;     /* a convergence rule stopped the run (not the iteration limit) */
  char stop[16];     /* why it stopped: "gtol", "ftol", "xtol", "steps", "nonfinite", ... */
} grad_minimize_result;

/* The defaults: bfgs, its own step, iteration limit and tolerance, no progress callback. */
void grad_minimize_options_init(grad_minimize_options *o);

/* Minimize e over all its variables from x[0..nvars), overwritten with the result. opts
 * NULL: the defaults; res may be NULL. Returns GRAD_OK when the run converged,
 * GRAD_ENUMERIC when it did not (iteration limit, NaN or infinity), GRAD_EINTR when the
 * progress callback stopped it, GRAD_EUSAGE for an unknown method (with *err). */
int grad_minimize(grad_expr *e, double *x, const grad_minimize_options *opts,
                  grad_minimize_result *res, grad_error *err);

/* A short description of an error code ("out of memory", ...). */
const char *grad_strerror(int code);
/* The library's version, "MAJOR.MINOR.PATCH". */
const char *grad_version(void);

#ifdef __cplusplus
}
#endif
#endif
