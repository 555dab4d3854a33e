/* SPDX-License-Identifier: GPL-3.0-or-later
 * libgrad's public functions (grad.h): thin wrappers over the engine (parse, graph, tape,
 * deriv, simplify, print, optim). Every entry point that may allocate sets the calling
 * thread's out-of-memory jump (arena.h: gr_oom_jmp), so that an allocation failure deep in
 * the engine comes back here as GRAD_ENOMEM instead of ending the process. What was
 * allocated on the way to such a failure is not reclaimed (the expression stays usable).
 * Only these functions are exported from the shared library (GRAD_API).
 */
#include "grad.h"
#include "arena.h"
#include "deriv.h"
#include "optim.h"
#include "parse.h"
#include "point.h"
#include "print.h"
#include "simplify.h"
#include "tape.h"
#include "vecmath.h"
#include "config.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAD_API __attribute__((visibility("default")))
#ifdef HAVE_NLOPT
#define HAVE_NLOPT_BUILD 1
#else
#define HAVE_NLOPT_BUILD 0
#endif

/* points per sweep of grad_eval_block: the blocks of a few variables stay in L1 */
enum { BLOCK = 256 };

typedef struct Const {
  char *name;
  double value;
} Const;

struct grad_expr {
  char *src;
  char **vars; /* grad_compile_vars: NULL-terminated (NULL: none) */
  Const *consts;
  int nconst;
  GrGraph *g;
  GrEnv env;
  GrNode *out;
  int nvars;
  int blockable;  /* no reduction over a block: one sweep may carry many points */
  GrPoint *p1;    /* one point per call (grad_eval, grad_hessian); NULL: a vector, use t1 */
  GrTape *t1;     /* one point per sweep, where p1 cannot */
  double **x1;    /* per variable: where its value goes on t1 (NULL: unused) */
  const double **g1; /* per variable: its adjoint on t1 (NULL: unused) */
  GrTape *tb;     /* BLOCK points per sweep (grad_eval_block), compiled on first use */
  GrTape *tt;     /* the tail of a block evaluation: tt_len points */
  size_t tt_len;
  int vecmath;    /* grad_set_vecmath: vector math on tb and tt */
};

/* the engine's errors: a column from the span, the status as the code */
static void set_err(grad_error *err, int code, const GrDiag *d, const char *msg) {
  if (!err)
    return;
  err->code = code;
  err->column = d && d->has_span ? d->off + 1 : 0;
  snprintf(err->message, sizeof err->message, "%.255s", msg ? msg : d ? d->msg : grad_strerror(code));
}

static void clear_err(grad_error *err) {
  if (err) {
    err->code = GRAD_OK;
    err->column = 0;
    err->message[0] = 0;
  }
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void init(void) { gr_init(); }

/* Run the body with out-of-memory caught: on failure `on_oom` runs and the function
 * returns. Locals modified in the body and read in on_oom must be volatile. */
#define OOM_GUARD(on_oom)                                                                      \
  jmp_buf oom_jb_;                                                                             \
  jmp_buf *oom_saved_ = gr_oom_jmp;                                                            \
  if (setjmp(oom_jb_)) {                                                                       \
    gr_oom_jmp = oom_saved_;                                                                   \
    on_oom;                                                                                    \
  }                                                                                            \
  gr_oom_jmp = &oom_jb_
#define OOM_END() (gr_oom_jmp = oom_saved_)

static void parts_free(struct grad_expr *e) {
  gr_point_free(e->p1);
  e->p1 = NULL;
  gr_tape_free(e->t1);
  gr_tape_free(e->tb);
  gr_tape_free(e->tt);
  free(e->x1);
  free((void *)e->g1);
  gr_env_free(&e->env);
  gr_graph_free(e->g);
  e->t1 = e->tb = e->tt = NULL;
  e->x1 = NULL;
  e->g1 = NULL;
  e->g = NULL;
}

/* Parse e->src with e->consts bound, compile the one-point tape. */
static int build(struct grad_expr *e, grad_error *err) {
  GrDiag d;
  e->g = gr_graph_new();
  for (int i = 0; i < e->nconst; i++) {
    GrEnv *v = &e->env;
    if (v->n == v->cap) {
      v->cap = v->cap ? 2 * v->cap : 8;
      v->b = gr_xrealloc(v->b, (size_t)v->cap * sizeof *v->b);
    }
    GrBinding *b = &v->b[v->n++];
    b->name = gr_arena_strdup(e->g->arena, e->consts[i].name);
    b->arity = -1;
    b->params = NULL;
    b->body = gr_const(e->g, e->consts[i].value);
  }
  for (char **v = e->vars; v && *v; v++)
    gr_var(e->g, *v); /* the declared variables first, in their order */
  GrParseOpts po = {(const char *const *)e->vars, &e->env, 0};
  GrParsed ps;
  if (gr_parse(e->g, e->src, &po, &ps, &d) != GR_OK) {
    set_err(err, d.status, &d, NULL);
    return d.status;
  }
  e->out = ps.out;
  e->nvars = e->g->nvars;
  if (gr_tape_compile(e->g, &e->out, 1, NULL, &e->t1, &d) != GR_OK) {
    set_err(err, d.status, &d, NULL);
    return d.status;
  }
  if (gr_tape_out_len(e->t1, 0) != 1) {
    char m[160];
    snprintf(m, sizeof m, "the expression is a vector of %zu elements, not a number (reduce it "
             "with sum, mean, dot or norm)", gr_tape_out_len(e->t1, 0));
    set_err(err, GRAD_EUSAGE, NULL, m);
    return GRAD_EUSAGE;
  }
  e->x1 = gr_xcalloc((size_t)e->nvars + 1, sizeof *e->x1);
  e->g1 = gr_xcalloc((size_t)e->nvars + 1, sizeof *e->g1);
  for (int v = 0; v < e->nvars; v++)
    e->x1[v] = gr_tape_var(e->t1, v);
  e->blockable = 1;
  for (size_t i = 0; i < e->t1->n; i++)
    switch (e->t1->ins[i].op) {
    case GR_OP_SUM: case GR_OP_MEAN: case GR_OP_PROD: case GR_OP_VMAX: case GR_OP_VMIN:
      e->blockable = 0;
      break;
    default:
      break;
    }
  /* the adjoints' places are fixed once the tape exists: one reverse sweep finds them */
  gr_tape_forward(e->t1);
  gr_tape_reverse(e->t1, 0, NULL);
  for (int v = 0; v < e->nvars; v++)
    e->g1[v] = gr_tape_grad(e->t1, v);
  e->p1 = gr_point_compile(e->g, e->out);
  return GRAD_OK;
}

static char **dup_list(const char *const *v) {
  size_t n = 0;
  while (v[n])
    n++;
  char **c = gr_xcalloc(n + 1, sizeof *c);
  for (size_t i = 0; i < n; i++)
    c[i] = gr_xstrdup(v[i]);
  return c;
}

static void free_list(char **v) {
  for (char **p = v; p && *p; p++)
    free(*p);
  free(v);
}

GRAD_API grad_expr *grad_compile(const char *src, grad_error *err) {
  return grad_compile_vars(src, NULL, err);
}

GRAD_API grad_expr *grad_compile_vars(const char *src, const char *const *vars, grad_error *err) {
  clear_err(err);
  pthread_once(&init_once, init);
  if (!src) {
    set_err(err, GRAD_EUSAGE, NULL, "no expression (NULL)");
    return NULL;
  }
  struct grad_expr *volatile e = calloc(1, sizeof *e);
  if (!e) {
    set_err(err, GRAD_ENOMEM, NULL, NULL);
    return NULL;
  }
  OOM_GUARD({
    set_err(err, GRAD_ENOMEM, NULL, NULL);
    grad_expr_free(e);
    return NULL;
  });
  e->src = gr_xstrdup(src);
  if (vars)
    e->vars = dup_list(vars);
  int st = build(e, err);
  OOM_END();
  if (st != GRAD_OK) {
    grad_expr_free(e);
    return NULL;
  }
  return e;
}

GRAD_API void grad_expr_free(grad_expr *e) {
  if (!e)
    return;
  parts_free(e);
  for (int i = 0; i < e->nconst; i++)
    free(e->consts[i].name);
  free(e->consts);
  free(e->src);
  free_list(e->vars);
  free(e);
}

GRAD_API int grad_nvars(const grad_expr *e) { return e ? e->nvars : 0; }

GRAD_API const char *grad_var_name(const grad_expr *e, int i) {
  return e && i >= 0 && i < e->nvars ? e->g->vars[i] : NULL;
}

GRAD_API int grad_var_index(const grad_expr *e, const char *name) {
  return e && name ? gr_var_index(e->g, name) : -1;
}

GRAD_API int grad_set_constant(grad_expr *e, const char *name, double value, grad_error *err) {
  clear_err(err);
  if (!e || !name || gr_var_index(e->g, name) < 0) {
    char m[200];
    snprintf(m, sizeof m, "'%.64s' is not a variable of the expression", name ? name : "(null)");
    set_err(err, GRAD_EUSAGE, NULL, m);
    return GRAD_EUSAGE;
  }
  /* the new state is built aside: on failure e stays as it was */
  struct grad_expr *volatile n = calloc(1, sizeof *n);
  Const *c = calloc((size_t)e->nconst + 1, sizeof *c);
  char *s = strdup(e->src), *nm = strdup(name);
  if (!n || !c || !s || !nm) {
    free(n);
    free(c);
    free(s);
    free(nm);
    set_err(err, GRAD_ENOMEM, NULL, NULL);
    return GRAD_ENOMEM;
  }
  if (e->nconst)
    memcpy(c, e->consts, (size_t)e->nconst * sizeof *c);
  c[e->nconst].name = nm;
  c[e->nconst].value = value;
  n->src = s;
  n->consts = c;
  n->nconst = e->nconst + 1;
  OOM_GUARD({
    set_err(err, GRAD_ENOMEM, NULL, NULL);
    parts_free(n);
    free(n->src);
    free(nm);
    free(n->consts);
    free_list(n->vars);
    free(n);
    return GRAD_ENOMEM;
  });
  if (e->vars) {
    size_t k = 0;
    n->vars = dup_list((const char *const *)e->vars);
    for (size_t i = 0; n->vars[i]; i++)
      if (strcmp(n->vars[i], name))
        n->vars[k++] = n->vars[i];
      else
        free(n->vars[i]);
    n->vars[k] = NULL;
  }
  int st = build(n, err);
  OOM_END();
  if (st != GRAD_OK) {
    parts_free(n);
    free(n->src);
    free(nm);
    free(n->consts);
    free_list(n->vars);
    free(n);
    return st;
  }
  /* swap: the old constants' names now belong to n->consts */
  n->vecmath = e->vecmath;
  parts_free(e);
  free(e->src);
  free(e->consts);
  free_list(e->vars);
  *e = *n;
  free(n);
  return GRAD_OK;
}

/* One point on the straight-line program: the tape's numbers, without its block machinery. */
static int eval_point(grad_expr *e, const double *x, double *value, double *gradient) {
  GrPoint *p = e->p1;
  int n = e->nvars;
  const long *vs = p->var_slot;
  for (int v = 0; v < n; v++)
    if (vs[v] >= 0)
      p->val[vs[v]] = x[v];
  double f = gradient ? gr_point_forward_partials(p) : gr_point_forward(p);
  if (value)
    *value = f;
  /* z stays a zero while every number is finite: x * 0 is NaN for inf and NaN */
  double z = f * 0;
  if (gradient) {
    gr_point_reverse(p);
    const double *adj = p->adj;
    for (int v = 0; v < n; v++) {
      const double d = vs[v] >= 0 ? adj[vs[v]] : 0.0;
      gradient[v] = d;
      z += d * 0;
    }
  }
  return z == 0 ? GRAD_OK : GRAD_ENUMERIC;
}

GRAD_API int grad_eval(grad_expr *e, const double *x, double *value, double *gradient) {
  if (e->p1)
    return eval_point(e, x, value, gradient);
  GrTape *t = e->t1;
  int n = e->nvars;
  for (int v = 0; v < n; v++)
    if (e->x1[v])
      e->x1[v][0] = x[v];
  gr_tape_forward(t);
  double f = gr_tape_out(t, 0)[0];
  int ok = isfinite(f);
  if (value)
    *value = f;
  if (gradient) {
    gr_tape_reverse(t, 0, NULL);
    for (int v = 0; v < n; v++) {
      gradient[v] = e->g1[v] ? e->g1[v][0] : 0.0;
      ok &= isfinite(gradient[v]);
    }
  }
  return ok ? GRAD_OK : GRAD_ENUMERIC;
}

/* points [off, off+m) on tape t (compiled for blocks of m) */
static int eval_chunk(grad_expr *e, GrTape *t, size_t off, size_t m, const double *const *x,
                      double *values, double *const *gradients) {
  int n = e->nvars, ok = 1;
  /* the sweeps read the caller's points in place; nothing is written before both sweeps
   * have run, so values and gradients may be the arrays of x */
  for (int v = 0; v < n; v++)
    gr_tape_bind(t, v, x[v] + off);
  gr_tape_forward(t);
  if (gradients)
    gr_tape_reverse(t, 0, NULL);
  const double *f = gr_tape_out(t, 0);
  size_t fl = gr_tape_out_len(t, 0);
  for (size_t i = 0; i < m; i++)
    values[off + i] = f[fl == 1 ? 0 : i];
  ok &= gr_all_finite(values + off, m);
  if (gradients) {
    for (int v = 0; v < n; v++) {
      const double *gv = gr_tape_grad(t, v);
      if (gv && gr_tape_var_len(t, v) == m)
        memcpy(gradients[v] + off, gv, m * sizeof *gv);
      else
        for (size_t i = 0; i < m; i++)
          gradients[v][off + i] = gv ? gv[0] : 0.0;
      ok &= gr_all_finite(gradients[v] + off, m);
    }
  }
  return ok;
}

static GrTape *block_tape(grad_expr *e, size_t m) {
  size_t *len = gr_xmalloc(((size_t)e->nvars + 1) * sizeof *len);
  for (int v = 0; v < e->nvars; v++)
    len[v] = m;
  GrTape *t = NULL;
  GrDiag d;
  if (gr_tape_compile(e->g, &e->out, 1, len, &t, &d) != GR_OK)
    t = NULL;
  else
    gr_tape_set_vecmath(t, e->vecmath);
  free(len);
  return t;
}

GRAD_API int grad_set_vecmath(grad_expr *e, int on) {
  if (!e)
    return 0;
  e->vecmath = on != 0;
  if (e->tb)
    gr_tape_set_vecmath(e->tb, e->vecmath);
  if (e->tt)
    gr_tape_set_vecmath(e->tt, e->vecmath);
  return e->vecmath && gr_vecmath_isa() != NULL;
}

/* the tapes for n points: blocks of BLOCK and the tail; 0 when out of memory */
static int block_tapes(grad_expr *e, size_t n) {
  OOM_GUARD(return 0);
  if (n >= BLOCK && !e->tb)
    e->tb = block_tape(e, BLOCK);
  size_t tail = n % BLOCK;
  if (tail && e->tt_len != tail) {
    gr_tape_free(e->tt);
    e->tt = NULL;
    e->tt_len = 0;
    e->tt = block_tape(e, tail);
    e->tt_len = e->tt ? tail : 0;
  }
  OOM_END();
  return 1;
}

GRAD_API int grad_eval_block(grad_expr *e, size_t n, const double *const *x, double *values,
                             double *const *gradients) {
  int ok = 1;
  if (!e->blockable || n < 4) {
    /* reductions (sum, max, ...) would reduce over the points: one point per sweep */
    double *xv = malloc(((size_t)e->nvars + 1) * sizeof *xv);
    double *gv = malloc(((size_t)e->nvars + 1) * sizeof *gv);
    if (!xv || !gv) {
      free(xv);
      free(gv);
      return GRAD_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
      for (int v = 0; v < e->nvars; v++)
        xv[v] = x[v][i];
      ok &= grad_eval(e, xv, &values[i], gradients ? gv : NULL) == GRAD_OK;
      if (gradients)
        for (int v = 0; v < e->nvars; v++)
          gradients[v][i] = gv[v];
    }
    free(xv);
    free(gv);
    return ok ? GRAD_OK : GRAD_ENUMERIC;
  }
  if (!block_tapes(e, n))
    return GRAD_ENOMEM;
  size_t tail = n % BLOCK;
  if ((n >= BLOCK && !e->tb) || (tail && !e->tt))
    return GRAD_EUSAGE; /* not reached: the one-point tape compiled */
  size_t off = 0;
  for (; off + BLOCK <= n; off += BLOCK)
    ok &= eval_chunk(e, e->tb, off, BLOCK, x, values, gradients);
  if (tail)
    ok &= eval_chunk(e, e->tt, off, tail, x, values, gradients);
  return ok ? GRAD_OK : GRAD_ENUMERIC;
}

/* Forward over reverse at one point on the straight-line program: one forward and one
 * reverse sweep, then per column j a tangent sweep along e_j and its adjoint sweep. */
static int hessian_point(grad_expr *e, const double *x, double *h, double *dir) {
  GrPoint *p = e->p1;
  int n = e->nvars;
  for (int v = 0; v < n; v++) {
    double *xv = gr_point_var(p, v);
    if (xv)
      *xv = x[v];
  }
  gr_point_forward_partials(p);
  gr_point_reverse(p);
  int ok = 1;
  for (int j = 0; j < n; j++) {
    if (!gr_point_var(p, j)) { /* f does not depend on x_j */
      for (int i = 0; i < n; i++)
        h[(size_t)i * (size_t)n + (size_t)j] = 0.0;
      continue;
    }
    dir[j] = 1;
    gr_point_tangent(p, dir);
    gr_point_reverse_tangent(p);
    dir[j] = 0;
    for (int i = 0; i < n; i++) {
      double hij = gr_point_hvp(p, i);
      h[(size_t)i * (size_t)n + (size_t)j] = hij;
      ok &= isfinite(hij);
    }
  }
  return ok;
}

static int hessian(grad_expr *e, const double *x, double *h, const double **dir) {
  int n = e->nvars;
  GrTape *t = e->t1;
  static const double one = 1.0;
  for (int v = 0; v < n; v++)
    if (e->x1[v])
      e->x1[v][0] = x[v];
  gr_tape_forward(t);
  int ok = 1;
  for (int j = 0; j < n; j++) {
    if (!e->x1[j]) { /* f does not depend on x_j */
      for (int i = 0; i < n; i++)
        h[(size_t)i * (size_t)n + (size_t)j] = 0.0;
      continue;
    }
    dir[j] = &one;
    gr_tape_tangent(t, dir);
    gr_tape_reverse(t, 0, NULL);
    gr_tape_reverse_tangent(t, 0);
    dir[j] = NULL;
    for (int i = 0; i < n; i++) {
      const double *hv = gr_tape_hvp(t, i);
      double hij = hv ? hv[0] : 0.0;
      h[(size_t)i * (size_t)n + (size_t)j] = hij;
      ok &= isfinite(hij);
    }
  }
  return ok;
}

GRAD_API int grad_hessian(grad_expr *e, const double *x, double *h) {
  if (e->p1) {
    double *volatile pd = calloc((size_t)e->nvars + 1, sizeof *pd);
    if (!pd)
      return GRAD_ENOMEM;
    OOM_GUARD({ /* the tangent arrays are allocated on first use */
      free(pd);
      return GRAD_ENOMEM;
    });
    int ok = hessian_point(e, x, h, pd);
    OOM_END();
    free(pd);
    return ok ? GRAD_OK : GRAD_ENUMERIC;
  }
  const double **volatile dir = calloc((size_t)e->nvars + 1, sizeof *dir);
  if (!dir)
    return GRAD_ENOMEM;
  OOM_GUARD({
    free((void *)dir);
    return GRAD_ENOMEM;
  });
  int ok = hessian(e, x, h, dir);
  OOM_END();
  free((void *)dir);
  return ok ? GRAD_OK : GRAD_ENUMERIC;
}

/* the simplified formula of f as a malloc'd string (shadowed e and pi print as exp(1)...) */
static char *to_string(GrGraph *g, GrNode *f) {
  GrBuf b = {0};
  gr_print_shadow(g);
  gr_print(&b, f, GR_PRINT_INFIX, 0);
  gr_print_shadow(NULL);
  char *s = strdup(b.s ? b.s : "");
  gr_buf_free(&b);
  if (!s)
    gr_oom(NULL);
  return s;
}

GRAD_API char *grad_derivative(const grad_expr *e, const char *var, grad_error *err) {
  clear_err(err);
  int v = e && var ? gr_var_index(e->g, var) : -1;
  if (v < 0) {
    char m[200];
    snprintf(m, sizeof m, "'%.64s' is not a variable of the expression", var ? var : "(null)");
    set_err(err, GRAD_EUSAGE, NULL, m);
    return NULL;
  }
  GrDeriv *volatile D = NULL;
  OOM_GUARD({
    set_err(err, GRAD_ENOMEM, NULL, NULL);
    return NULL;
  });
  GrGraph *g = e->g;
  D = gr_deriv_new(g);
  /* as grad --symbolic: intermediates expanded, the function simplified, then d/dvar */
  GrNode *f = gr_simplify(g, gr_strip_lets(g, e->out)), *df;
  GrDiag d;
  char *s = NULL;
  if (gr_deriv(D, f, gr_var(g, var), &df, &d) != GR_OK)
    set_err(err, d.status, &d, NULL);
  else
    s = to_string(g, gr_simplify_ex(g, df, 0));
  gr_deriv_free(D);
  OOM_END();
  return s;
}

GRAD_API char *grad_expr_string(const grad_expr *e) {
  OOM_GUARD(return NULL);
  char *s = to_string(e->g, gr_simplify(e->g, gr_strip_lets(e->g, e->out)));
  OOM_END();
  return s;
}

GRAD_API void grad_minimize_options_init(grad_minimize_options *o) {
  memset(o, 0, sizeof *o);
  o->method = "bfgs";
}

typedef struct Progress {
  grad_progress_fn fn;
  void *ud;
  int stopped;
} Progress;

static int progress(void *ud, long iter, const double *x, double f, double gnorm) {
  Progress *p = ud;
  if (p->fn && p->fn(p->ud, iter, x, f, gnorm)) {
    p->stopped = 1;
    return 1;
  }
  return 0;
}

static int minimize(grad_expr *e, double *x, const GrOptParams *p,
                    const grad_minimize_options *opts, grad_minimize_result *res,
                    grad_error *err) {
  int n = e->nvars;
  GrProblem *volatile prob = NULL;
  int *volatile pv = NULL;
  double *volatile vals = NULL;
  OOM_GUARD({
    gr_problem_free(prob);
    free(pv);
    free(vals);
    set_err(err, GRAD_ENOMEM, NULL, NULL);
    return GRAD_ENOMEM;
  });
  pv = gr_xmalloc(((size_t)n + 1) * sizeof *pv);
  for (int v = 0; v < n; v++)
    pv[v] = v;
  /* every variable is a parameter; the values are overwritten by x before each evaluation */
  vals = gr_xcalloc((size_t)n + 1, sizeof *vals);
  GrProblemSpec s = {e->g, GR_PROB_MIN, &e->out, 1, n, pv, vals, NULL, NULL, 0, 0, 1};
  GrObjective obj;
  GrDiag d;
  GrProblem *pr;
  int st = gr_problem_new(&s, &pr, &obj, &d);
  if (st != GR_OK) {
    OOM_END();
    free(pv);
    free(vals);
    set_err(err, st, &d, NULL);
    return st;
  }
  prob = pr; /* its objective evaluates on the one-point program (optim.c) */
  Progress pg = {opts->progress, opts->userdata, 0};
  GrOptResult r;
  memset(&r, 0, sizeof r);
  st = gr_optimize(&obj, p, x, progress, &pg, &r, &d);
  OOM_END();
  gr_problem_free(pr);
  free(pv);
  free(vals);
  if (st != GR_OK) {
    set_err(err, st, &d, NULL);
    return st;
  }
  int conv = r.stop == GR_STOP_GTOL || r.stop == GR_STOP_FTOL || r.stop == GR_STOP_XTOL ||
             r.stop == GR_STOP_CONVERGED;
  if (res) {
    res->iterations = r.iter;
    res->f = r.f;
    res->gnorm = r.gnorm;
    res->converged = conv;
    snprintf(res->stop, sizeof res->stop, "%s", pg.stopped ? "callback" : gr_stop_name(r.stop));
  }
  if (pg.stopped) {
    set_err(err, GRAD_EINTR, NULL, "stopped by the progress callback");
    return GRAD_EINTR;
  }
  if (!conv) {
    char msg[200];
    snprintf(msg, sizeof msg, "did not converge (stopped by %s after %ld iterations)%s%.100s",
             gr_stop_name(r.stop), r.iter, r.msg[0] ? ": " : "", r.msg);
    set_err(err, GRAD_ENUMERIC, NULL, msg);
    return GRAD_ENUMERIC;
  }
  return GRAD_OK;
}

GRAD_API int grad_minimize(grad_expr *e, double *x, const grad_minimize_options *opts,
                           grad_minimize_result *res, grad_error *err) {
  clear_err(err);
  grad_minimize_options def;
  if (!opts) {
    grad_minimize_options_init(&def);
    opts = &def;
  }
  const char *mname = opts->method ? opts->method : "bfgs";
  int m = gr_method_lookup(mname);
  if (m < 0 || (gr_method_is_nlopt((GrMethod)m) && !HAVE_NLOPT_BUILD)) {
    char msg[200];
    snprintf(msg, sizeof msg, m < 0 ? "unknown method '%.64s'"
                                    : "method '%.64s' needs NLopt, which this build lacks", mname);
    set_err(err, GRAD_EUSAGE, NULL, msg);
    return GRAD_EUSAGE;
  }
  if (m == GR_M_LM) {
    set_err(err, GRAD_EUSAGE, NULL, "method 'lm' minimizes sums of squares: use the minimize program");
    return GRAD_EUSAGE;
  }
  if (opts->lr < 0 || isnan(opts->lr) || opts->steps < 0) {
    set_err(err, GRAD_EUSAGE, NULL, "lr and steps must not be negative");
    return GRAD_EUSAGE;
  }
  GrOptParams p;
  gr_opt_defaults(&p, (GrMethod)m);
  if (opts->lr > 0) {
    p.lr = opts->lr;
    if (!gr_method_is_torch((GrMethod)m))
      p.step = opts->lr;
  }
  if (opts->steps > 0)
    p.steps = opts->steps;
  if (opts->gtol != 0)
    p.gtol = opts->gtol;
  if (gr_method_is_torch((GrMethod)m) && isnan(p.lr)) {
    set_err(err, GRAD_EUSAGE, NULL, "this method needs a learning rate (lr)");
    return GRAD_EUSAGE;
  }
  return minimize(e, x, &p, opts, res, err);
}

GRAD_API const char *grad_strerror(int code) {
  switch (code) {
  case GRAD_OK: return "success";
  case GRAD_ENUMERIC: return "a result is not finite, or no convergence";
  case GRAD_EUSAGE: return "invalid expression or argument";
  case GRAD_EIO: return "input/output error";
  case GRAD_ENOMEM: return "out of memory";
  case GRAD_EINTR: return "interrupted";
  default: return "unknown error";
  }
}

GRAD_API const char *grad_version(void) { return PACKAGE_VERSION; }
