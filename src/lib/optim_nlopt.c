/* SPDX-License-Identifier: GPL-3.0-or-later
 * Bounds and constraints for NLopt's local and global methods, and restarts from random
 * points for every method. Constraints share the objective's graph and are compiled to
 * one tape: one forward sweep gives every constraint value, one reverse sweep per
 * constraint its gradient. NLopt counts function evaluations, not iterations: every
 * evaluation is reported to the callback as one iteration.
 */
#include "optim_nlopt.h"
#include "arena.h"
#include "util.h"
#include "config.h"
#include "tape.h"
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_NLOPT
#include <nlopt.h>
#endif

int gr_nlopt_available(void) {
#ifdef HAVE_NLOPT
  return 1;
#else
  return 0;
#endif
}

int gr_method_takes_ineq(GrMethod m) {
  return m == GR_M_SLSQP || m == GR_M_MMA || m == GR_M_CCSAQ || m == GR_M_COBYLA ||
         m == GR_M_ISRES;
}
int gr_method_takes_eq(GrMethod m) {
  return m == GR_M_SLSQP || m == GR_M_COBYLA || m == GR_M_ISRES;
}
int gr_method_is_global(GrMethod m) {
  return m == GR_M_DIRECT || m == GR_M_CRS2 || m == GR_M_ISRES || m == GR_M_MLSL;
}

/* ---- constraints ---- */

static int is_relation(const GrNode *n) {
  return n->op == GR_OP_LE || n->op == GR_OP_LT || n->op == GR_OP_GE || n->op == GR_OP_GT ||
         n->op == GR_OP_EQ || n->op == GR_OP_NE;
}

GrStatus gr_constraint_parse(GrGraph *g, const char *src, const GrParseOpts *po,
                             GrConstraintSrc *out, GrDiag *d) {
  GrParsed ps;
  memset(out, 0, sizeof *out);
  /* `x = 1` alone defines nothing (only a statement followed by ';' is bound), so the
   * objective's definitions are shared without a constraint redefining a variable */
  GrStatus st = gr_parse(g, src, po, &ps, d);
  if (st != GR_OK)
    return st;
  size_t L = strlen(src);
  if (ps.lhs_name) { /* name = expr */
    out->lhs = gr_var(g, ps.lhs_name);
    out->rhs = ps.rhs;
    out->eq = 1;
  } else if (ps.lhs) {
    out->lhs = ps.lhs;
    out->rhs = ps.rhs;
    out->eq = 1;
  } else if (is_relation(ps.out) && ps.out->op != GR_OP_NE) {
    out->lhs = ps.out->arg[0];
    out->rhs = gr_arg(ps.out, 1);
    out->eq = ps.out->op == GR_OP_EQ;
    if (ps.out->op == GR_OP_GE || ps.out->op == GR_OP_GT)
      out->rel = ">=";
  } else
    return gr_diag_span(d, GR_EUSAGE, 0, L,
                        "a constraint is a relation: 'EXPR <= EXPR', 'EXPR >= EXPR' or "
                        "'EXPR = EXPR'%s",
                        ps.out->op == GR_OP_NE ? " ('!=' cannot be a constraint)" : "");
  for (int k = 0; k < 2; k++) {
    GrNode *s = k ? out->rhs : out->lhs;
    if (is_relation(s))
      return gr_diag_span(d, GR_EUSAGE, s->len ? s->off : 0, s->len ? s->len : L,
                          "one relation per constraint: give 'a <= b <= c' as two "
                          "--subject-to options");
  }
  if (!out->rel)
    out->rel = out->eq ? "=" : "<=";
  int ge = !strcmp(out->rel, ">=");
  out->c = gr_node(g, GR_OP_SUB, ge ? out->rhs : out->lhs, ge ? out->lhs : out->rhs, NULL);
  return GR_OK;
}

GrConstraints *gr_cons_new(GrGraph *g, int n, const int *param_var, const double *value) {
  GrConstraints *c = gr_xcalloc(1, sizeof *c);
  c->n = n;
  c->g = g;
  c->param_var = param_var;
  c->value = value;
  c->lo = gr_xmalloc(((size_t)n + 1) * sizeof *c->lo);
  c->hi = gr_xmalloc(((size_t)n + 1) * sizeof *c->hi);
  for (int j = 0; j < n; j++) {
    c->lo[j] = -INFINITY;
    c->hi[j] = INFINITY;
  }
  c->tol = 1e-8;
  return c;
}

void gr_cons_free(GrConstraints *c) {
  if (!c)
    return;
  gr_tape_free(c->t);
  free(c->lo);
  free(c->hi);
  free(c->con);
  free(c);
}

void gr_cons_add(GrConstraints *c, const GrConstraintSrc *s) {
  c->con = gr_xrealloc(c->con, ((size_t)c->m + 1) * sizeof *c->con);
  c->con[c->m++] = *s;
}

GrStatus gr_cons_compile(GrConstraints *c, GrDiag *d) {
  if (c->m == 0)
    return GR_OK;
  size_t nout = 3 * (size_t)c->m;
  GrNode **outs = gr_xmalloc(nout * sizeof *outs);
  for (int i = 0; i < c->m; i++) {
    outs[3 * i] = c->con[i].c;
    outs[3 * i + 1] = c->con[i].lhs;
    outs[3 * i + 2] = c->con[i].rhs;
  }
  GrStatus st = gr_tape_compile(c->g, outs, nout, NULL, &c->t, d);
  free(outs);
  if (st != GR_OK)
    return st;
  for (size_t k = 0; k < nout; k++)
    if (gr_tape_out_len(c->t, k) != 1) {
      GrNode *bad = c->con[k / 3].c;
      if (k % 3)
        bad = k % 3 == 1 ? c->con[k / 3].lhs : c->con[k / 3].rhs;
      return gr_diag_span(d, GR_EUSAGE, bad->off, bad->len,
                          "a constraint compares numbers, but this side has %zu values",
                          gr_tape_out_len(c->t, k));
    }
  return GR_OK;
}

int gr_cons_has_bounds(const GrConstraints *c) {
  for (int j = 0; j < c->n; j++)
    if (c->lo[j] > -INFINITY || c->hi[j] < INFINITY)
      return 1;
  return 0;
}

void gr_cons_eval(GrConstraints *c, const double *x, double *cv, double *lhs, double *rhs,
                  int eq, double *J) {
  if (c->m == 0)
    return;
  GrTape *t = c->t;
  for (int v = 0; v < c->g->nvars; v++) {
    double *slot = gr_tape_var(t, v);
    if (slot)
      slot[0] = c->value[v];
  }
  for (int j = 0; j < c->n; j++) {
    double *slot = gr_tape_var(t, c->param_var[j]);
    if (slot)
      slot[0] = x[j];
  }
  gr_tape_forward(t);
  size_t row = 0;
  for (int i = 0; i < c->m; i++) {
    if (cv)
      cv[i] = gr_tape_out(t, 3 * (size_t)i)[0];
    if (lhs)
      lhs[i] = gr_tape_out(t, 3 * (size_t)i + 1)[0];
    if (rhs)
      rhs[i] = gr_tape_out(t, 3 * (size_t)i + 2)[0];
  }
  if (!J || eq < 0)
    return;
  for (int i = 0; i < c->m; i++) {
    if (c->con[i].eq != eq)
      continue;
    gr_tape_reverse(t, 3 * (size_t)i, NULL);
    for (int j = 0; j < c->n; j++) {
      const double *a = gr_tape_grad(t, c->param_var[j]);
      J[row * (size_t)c->n + (size_t)j] = a ? a[0] : 0;
    }
    row++;
  }
}

double gr_cons_violation(GrConstraints *c, const double *x, int *worst) {
  double w = 0;
  int at = -1;
  for (int j = 0; j < c->n; j++) {
    double v = fmax(c->lo[j] - x[j], x[j] - c->hi[j]);
    if (!(x[j] == x[j]))
      v = INFINITY;
    v /= 1 + fabs(x[j]);
    if (v > w) {
      w = v;
      at = j;
    }
  }
  if (c->m) {
    double *cv = gr_xmalloc(3 * (size_t)c->m * sizeof *cv), *l = cv + c->m, *r = l + c->m;
    gr_cons_eval(c, x, cv, l, r, -1, NULL);
    for (int i = 0; i < c->m; i++) {
      double v = c->con[i].eq ? fabs(cv[i]) : cv[i];
      if (!(v == v))
        v = INFINITY;
      v /= 1 + fmax(fabs(l[i]), fabs(r[i]));
      if (v > w) {
        w = v;
        at = c->n + i;
      }
    }
    free(cv);
  }
  if (worst)
    *worst = at;
  return w;
}

int gr_cons_at_bound(const GrConstraints *c, int j, double x) {
  double tol = 1e-9, lo = c->lo[j], hi = c->hi[j];
  if (isfinite(lo) && fabs(x - lo) <= tol * (1 + fabs(lo)))
    return -1;
  if (isfinite(hi) && fabs(x - hi) <= tol * (1 + fabs(hi)))
    return 1;
  return 0;
}

/* Least squares for the multipliers of the active constraints whose use[a] is set: G holds
 * their gradients (row a, n values). Writes lam[a] (0 where unused) and returns the norm
 * of gf + sum lam[a] G[a]. SVD (rows padded when more constraints than unknowns), tiny
 * singular values dropped: dependent constraints share a minimum-norm answer. */
static double kkt_solve(const double *G, const unsigned char *use, int k, int n, const double *gf,
                        double *lam) {
  size_t N = (size_t)n, K = 0;
  for (int a = 0; a < k; a++) {
    lam[a] = 0;
    K += use[a];
  }
  double *res = gr_xmalloc((N + 1) * sizeof *res);
  memcpy(res, gf, N * sizeof *res);
  if (K > 0) {
    size_t rows = N > K ? N : K;
    gsl_matrix *A = gsl_matrix_calloc(rows, K), *V = gsl_matrix_alloc(K, K);
    gsl_vector *S = gsl_vector_alloc(K), *w = gsl_vector_alloc(K), *b = gsl_vector_calloc(rows);
    gsl_vector *l = gsl_vector_calloc(K);
    size_t q = 0;
    for (int a = 0; a < k; a++)
      if (use[a]) {
        for (size_t j = 0; j < N; j++)
          gsl_matrix_set(A, j, q, G[(size_t)a * N + j]);
        q++;
      }
    for (size_t j = 0; j < N; j++)
      gsl_vector_set(b, j, -gf[j]);
    if (gsl_linalg_SV_decomp(A, V, S, w) == 0) {
      double smax = gsl_vector_max(S);
      for (size_t i = 0; i < K; i++)
        if (gsl_vector_get(S, i) <= 1e-12 * smax)
          gsl_vector_set(S, i, 0);
      if (smax > 0)
        gsl_linalg_SV_solve(A, V, S, b, l);
    }
    q = 0;
    for (int a = 0; a < k; a++)
      if (use[a]) {
        lam[a] = gsl_vector_get(l, q++);
        for (size_t j = 0; j < N; j++)
          res[j] += lam[a] * G[(size_t)a * N + j];
      }
    gsl_matrix_free(A);
    gsl_matrix_free(V);
    gsl_vector_free(S);
    gsl_vector_free(w);
    gsl_vector_free(b);
    gsl_vector_free(l);
  }
  double r = gr_norm(res, n);
  free(res);
  return r;
}

double gr_cons_kkt(GrConstraints *c, const double *x, const double *gf, double *mult) {
  int n = c->n, m = c->m;
  size_t N = (size_t)n;
  double *cv = gr_xcalloc(3 * (size_t)m + 1, sizeof *cv), *l = cv + m, *r = l + m;
  double *G = gr_xcalloc(((size_t)(m + n) + 1) * N, sizeof *G); /* active gradients */
  double *J = gr_xcalloc(((size_t)m + 1) * N, sizeof *J);
  int *col = gr_xmalloc(((size_t)(m + n) + 1) * sizeof *col); /* active a: index in mult */
  int k = 0;
  gr_cons_eval(c, x, cv, l, r, -1, NULL);
  for (int i = 0; i < m + n; i++)
    mult[i] = 0;
  for (int eq = 0; eq < 2 && m; eq++) {
    gr_cons_eval(c, x, NULL, NULL, NULL, eq, J);
    size_t row = 0;
    for (int i = 0; i < m; i++) {
      if (c->con[i].eq != eq)
        continue;
      double scale = 1 + fmax(fabs(l[i]), fabs(r[i]));
      if (eq || cv[i] >= -GR_FEAS_TOL * scale) {
        memcpy(G + (size_t)k * N, J + row * N, N * sizeof *J);
        col[k++] = i;
      }
      row++;
    }
  }
  for (int j = 0; j < n; j++) {
    int at = gr_cons_at_bound(c, j, x[j]);
    if (at) {
      G[(size_t)k * N + (size_t)j] = at < 0 ? -1 : 1; /* lo - x <= 0, x - hi <= 0 */
      col[k++] = m + j;
    }
  }
  unsigned char *use = gr_xmalloc((size_t)k + 1);
  double *lam = gr_xmalloc(((size_t)k + 1) * sizeof *lam);
  memset(use, 1, (size_t)k + 1);
  double res = kkt_solve(G, use, k, n, gf, lam);
  /* dependent active inequalities (x+y <= 4 with x+y >= 4) have many multiplier vectors and
   * the minimum-norm one may have a negative entry while a nonnegative one exists: drop the
   * most negative inequality while that leaves the residual where it was */
  double slack = 1e-9 * fmax(1, gr_norm(gf, n));
  for (int round = 0; round < k; round++) {
    int neg = -1;
    for (int a = 0; a < k; a++)
      if (use[a] && !(col[a] < m && c->con[col[a]].eq) && lam[a] < 0 &&
          (neg < 0 || lam[a] < lam[neg]))
        neg = a;
    if (neg < 0)
      break;
    use[neg] = 0;
    double *l2 = gr_xmalloc(((size_t)k + 1) * sizeof *l2);
    double r2 = kkt_solve(G, use, k, n, gf, l2);
    if (r2 > res + slack) {
      free(l2);
      use[neg] = 1;
      break;
    }
    memcpy(lam, l2, (size_t)k * sizeof *lam);
    res = r2;
    free(l2);
  }
  for (int a = 0; a < k; a++)
    mult[col[a]] = lam[a];
  free(cv);
  free(G);
  free(J);
  free(col);
  free(use);
  free(lam);
  return res;
}

GrStatus gr_bound_parse(const char *item, char **name, double *lo, double *hi, GrDiag *d) {
  *name = NULL;
  const char *eq = strchr(item, '=');
  if (!eq || eq == item)
    return gr_diag_set(d, GR_EUSAGE, "'%s' is not NAME=LO:HI", item);
  const char *colon = strchr(eq + 1, ':');
  if (!colon)
    return gr_diag_set(d, GR_EUSAGE, "'%s' is not NAME=LO:HI (no ':' between the bounds)", item);
  const char *nm = item; /* the name, without the spaces around it */
  while (*nm == ' ')
    nm++;
  size_t nl = (size_t)(eq - nm);
  while (nl > 0 && nm[nl - 1] == ' ')
    nl--;
  if (nl == 0)
    return gr_diag_set(d, GR_EUSAGE, "'%s' is not NAME=LO:HI (no name)", item);
  for (size_t k = 0; k < nl; k++)
    if (!(nm[k] == '_' || (nm[k] >= 'a' && nm[k] <= 'z') || (nm[k] >= 'A' && nm[k] <= 'Z') ||
          (k > 0 && nm[k] >= '0' && nm[k] <= '9')))
      return gr_diag_set(d, GR_EUSAGE, "'%.*s' in '%s' is not a variable name", (int)nl, nm,
                         item);
  for (int side = 0; side < 2; side++) {
    const char *a = side ? colon + 1 : eq + 1;
    size_t len = side ? strlen(a) : (size_t)(colon - a);
    char *s = gr_xmalloc(len + 1);
    memcpy(s, a, len);
    s[len] = 0;
    const char *t = s;
    while (*t == ' ')
      t++;
    double *out = side ? hi : lo;
    GrStatus st = GR_OK;
    if (!*t)
      *out = side ? INFINITY : -INFINITY;
    else if (!strcmp(t, "inf") || !strcmp(t, "+inf") || !strcmp(t, "-inf"))
      *out = t[0] == '-' ? -INFINITY : INFINITY;
    else {
      GrDiag dd;
      if (gr_eval_const(t, out, &dd) != GR_OK || isnan(*out))
        st = gr_diag_set(d, GR_EUSAGE, "the %s bound in '%s' is not a number: '%s'",
                         side ? "upper" : "lower", item, t);
    }
    free(s);
    if (st != GR_OK)
      return st;
  }
  if (*lo > *hi)
    return gr_diag_set(d, GR_EUSAGE, "the lower bound is above the upper bound in '%s'", item);
  if (*lo == INFINITY || *hi == -INFINITY)
    return gr_diag_set(d, GR_EUSAGE, "no number lies within the bounds '%s'", item);
  *name = gr_xmalloc(nl + 1);
  memcpy(*name, nm, nl);
  (*name)[nl] = 0;
  return GR_OK;
}

/* ---- the NLopt driver ---- */

#ifdef HAVE_NLOPT
typedef struct NlCtx {
  const GrObjective *o;
  GrConstraints *cons;
  GrOptCallback cb;
  void *ud;
  nlopt_opt opt, local;
  double *g;
  long evals;
  int n, stopped, nonfinite;
  double best_f, *best; /* lowest f at a feasible point (for an interrupted run) */
  int global;           /* a global method: it may sample non-finite regions at length */
  long consec;          /* non-finite evaluations in a row */
} NlCtx;

static void force_stop(NlCtx *c) {
  c->stopped = 1;
  nlopt_force_stop(c->opt);
  if (c->local)
    nlopt_force_stop(c->local);
}

static double nl_f(unsigned n, const double *x, double *grad, void *data) {
  NlCtx *c = data;
  double f;
  /* NLopt stops at its next check, which for a population method (crs2, isres) may come
   * after many more calls: after a stop, answer at once and do not count or report them */
  if (c->stopped) {
    if (grad)
      memset(grad, 0, n * sizeof *grad);
    return HUGE_VAL;
  }
  c->o->fg(c->o->ctx, x, &f, c->g);
  c->evals++;
  if (!isfinite(f) || !gr_all_finite(c->g, n)) {
    /* NLopt has no notion of a failed evaluation: +inf turns the method away from here */
    c->nonfinite++;
    /* ... but a local method that starts there, or any method that finds nothing else in
     * 1000 evaluations, has nowhere to go: stop (MMA would otherwise solve a dual problem
     * at every one of --steps iterations at f = inf) */
    if ((!c->global && c->evals == 1) || ++c->consec >= 1000)
      force_stop(c);
    if (!isfinite(f))
      f = HUGE_VAL;
    for (unsigned j = 0; j < n; j++)
      if (!isfinite(c->g[j]))
        c->g[j] = 0;
  } else {
    c->consec = 0;
  }
  if (grad)
    memcpy(grad, c->g, n * sizeof *grad);
  if (f < c->best_f && (!c->cons || gr_cons_violation(c->cons, x, NULL) <= GR_FEAS_TOL)) {
    c->best_f = f;
    memcpy(c->best, x, n * sizeof *x);
  }
  if ((c->cb && c->cb(c->ud, c->evals, x, f, gr_norm(c->g, (int)n))) || gr_interrupted)
    force_stop(c);
  return f;
}

typedef struct ConCtx {
  GrConstraints *c;
  int eq;
  double *cv;
} ConCtx;

static void nl_con(unsigned m, double *result, unsigned n, const double *x, double *grad,
                   void *data) {
  ConCtx *k = data;
  (void)n;
  gr_cons_eval(k->c, x, k->cv, NULL, NULL, k->eq, grad);
  unsigned r = 0;
  for (int i = 0; i < k->c->m && r < m; i++)
    if (k->c->con[i].eq == k->eq)
      result[r++] = isnan(k->cv[i]) ? HUGE_VAL : k->cv[i];
}

static nlopt_algorithm algorithm(GrMethod m) {
  switch (m) {
  case GR_M_SLSQP: return NLOPT_LD_SLSQP;
  case GR_M_MMA: return NLOPT_LD_MMA;
  case GR_M_CCSAQ: return NLOPT_LD_CCSAQ;
  case GR_M_COBYLA: return NLOPT_LN_COBYLA;
  case GR_M_BOBYQA: return NLOPT_LN_BOBYQA;
  case GR_M_DIRECT: return NLOPT_GN_DIRECT_L;
  case GR_M_CRS2: return NLOPT_GN_CRS2_LM;
  case GR_M_ISRES: return NLOPT_GN_ISRES;
  case GR_M_MLSL: return NLOPT_G_MLSL_LDS;
  default: return NLOPT_LD_LBFGS;
  }
}

static void set_stops(nlopt_opt opt, const GrOptParams *p) {
  /* tight defaults: the result is printed to the last digits, and evaluations are cheap */
  nlopt_set_xtol_rel(opt, p->xtol > 0 ? p->xtol : 1e-12);
  nlopt_set_ftol_rel(opt, p->ftol > 0 ? p->ftol : 1e-15);
}
#endif

GrStatus gr_opt_nlopt(const GrObjective *o, const GrOptParams *p, double *x, GrOptCallback cb,
                      void *ud, GrOptResult *r, GrDiag *d) {
#ifndef HAVE_NLOPT
  (void)o, (void)x, (void)cb, (void)ud, (void)r;
  return gr_diag_set(d, GR_EUSAGE,
                     "minimize was built without NLopt, which --method %s needs (install "
                     "libnlopt-dev and rebuild)",
                     gr_method_name(p->method));
#else
  int n = o->n;
  GrConstraints *cons = (GrConstraints *)p->cons;
  if (n == 0)
    return gr_diag_set(d, GR_EUSAGE, "nothing to optimize: every variable is fixed or data");
  int nle = 0, neq = 0;
  for (int i = 0; cons && i < cons->m; i++)
    cons->con[i].eq ? neq++ : nle++;
  const char *mn = gr_method_name(p->method);
  if (neq && !gr_method_takes_eq(p->method))
    return gr_diag_set(d, GR_EUSAGE,
                       "--method %s does not take equality constraints (slsqp, cobyla and "
                       "isres do)", mn);
  if (nle && !gr_method_takes_ineq(p->method))
    return gr_diag_set(d, GR_EUSAGE,
                       "--method %s does not take inequality constraints (slsqp, mma, ccsaq, "
                       "cobyla and isres do)", mn);
  if (gr_method_is_global(p->method))
    for (int j = 0; j < n; j++)
      if (!cons || !isfinite(cons->lo[j]) || !isfinite(cons->hi[j]))
        return gr_diag_set(d, GR_EUSAGE,
                           "--method %s searches a box: give every variable finite --bounds "
                           "(variable %d of %d has none)", mn, j + 1, n);
  nlopt_opt opt = nlopt_create(algorithm(p->method), (unsigned)n);
  if (!opt)
    return gr_diag_set(d, GR_EUSAGE, "NLopt cannot run --method %s on %d variables", mn, n);
  NlCtx c = {o, cons, cb, ud, opt, NULL, gr_xcalloc((size_t)n + 1, sizeof(double)), 0, n,
             0, 0, INFINITY, gr_xcalloc((size_t)n + 1, sizeof(double)),
             gr_method_is_global(p->method), 0};
  ConCtx ce = {cons, 1, NULL}, ci = {cons, 0, NULL};
  if (cons) {
    nlopt_set_lower_bounds(opt, cons->lo);
    nlopt_set_upper_bounds(opt, cons->hi);
    ce.cv = ci.cv = gr_xcalloc((size_t)cons->m + 1, sizeof(double));
    double *tol = gr_xmalloc(((size_t)cons->m + 1) * sizeof *tol);
    for (int i = 0; i < cons->m; i++)
      tol[i] = cons->tol;
    if (nle)
      nlopt_add_inequality_mconstraint(opt, (unsigned)nle, nl_con, &ci, tol);
    if (neq)
      nlopt_add_equality_mconstraint(opt, (unsigned)neq, nl_con, &ce, tol);
    free(tol);
  }
  nlopt_set_min_objective(opt, nl_f, &c);
  set_stops(opt, p);
  if (p->steps > 0)
    nlopt_set_maxeval(opt, (int)(p->steps < 2000000000L ? p->steps : 2000000000L));
  if (!isnan(p->step))
    nlopt_set_initial_step1(opt, p->step);
  if (p->method == GR_M_MLSL) {
    c.local = nlopt_create(NLOPT_LD_LBFGS, (unsigned)n);
    set_stops(c.local, p);
    nlopt_set_local_optimizer(opt, c.local);
  }
  nlopt_srand(p->seed); /* crs2, isres and mlsl draw random points */
  /* start inside the box: NLopt refuses a start outside it */
  for (int j = 0; cons && j < n; j++)
    x[j] = fmin(fmax(x[j], cons->lo[j]), cons->hi[j]);
  double fx = NAN;
  nlopt_result res = NLOPT_SUCCESS;
  double f0;
  o->fg(o->ctx, x, &f0, c.g);
  if (cb && cb(ud, 0, x, f0, gr_norm(c.g, n)))
    c.stopped = 1;
  if (p->steps == 0) /* NLopt reads a maxeval of 0 as no limit */
    res = NLOPT_MAXEVAL_REACHED;
  else if (!c.stopped)
    res = nlopt_optimize(opt, x, &fx);
  r->iter = c.evals;
  if (c.stopped || res == NLOPT_FORCED_STOP) {
    r->stop = GR_STOP_INTERRUPT;
    if (isfinite(c.best_f))
      memcpy(x, c.best, (size_t)n * sizeof *x);
  } else
    switch (res) {
    case NLOPT_SUCCESS:
    case NLOPT_STOPVAL_REACHED: r->stop = GR_STOP_CONVERGED; break;
    case NLOPT_FTOL_REACHED: r->stop = GR_STOP_FTOL; break;
    case NLOPT_XTOL_REACHED: r->stop = GR_STOP_XTOL; break;
    case NLOPT_MAXEVAL_REACHED:
    case NLOPT_MAXTIME_REACHED: r->stop = GR_STOP_STEPS; break;
    case NLOPT_ROUNDOFF_LIMITED: r->stop = GR_STOP_NOPROG; break;
    default:
      r->stop = GR_STOP_ERROR;
      snprintf(r->msg, sizeof r->msg, "NLopt %s: %s", nlopt_result_to_string(res),
               nlopt_get_errmsg(opt) ? nlopt_get_errmsg(opt) : "failed");
      break;
    }
  o->fg(o->ctx, x, &r->f, c.g);
  r->gnorm = gr_norm(c.g, n);
  if (!isfinite(r->f) || !gr_all_finite(x, (size_t)n)) {
    r->stop = GR_STOP_NONFINITE;
    r->bad_iter = c.evals;
  }
  nlopt_destroy(c.local);
  nlopt_destroy(opt);
  free(ce.cv);
  free(c.g);
  free(c.best);
  return GR_OK;
#endif
}
