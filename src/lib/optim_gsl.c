/* SPDX-License-Identifier: GPL-3.0-or-later
 * GSL drivers: multimin (vector_bfgs2, conjugate_fr, conjugate_pr, steepest_descent with
 * our reverse-mode gradient; nmsimplex2 without one) and multifit_nlinear's trust-region
 * Levenberg-Marquardt with the Jacobian from forward-mode tangents. Our own iteration loop
 * around GSL's iterate calls, so every iteration is traced and SIGINT is polled.
 */
#include "optim.h"
#include "arena.h"
#include "util.h"
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Ctx {
  const GrObjective *o;
  double *x, *g; /* scratch of n */
} Ctx;

static double mm_f(const gsl_vector *v, void *ud) {
  Ctx *c = ud;
  double f;
  c->o->fg(c->o->ctx, v->data, &f, NULL);
  return isfinite(f) ? f : GSL_POSINF; /* line searches treat +inf as "too far" */
}
static void mm_df(const gsl_vector *v, void *ud, gsl_vector *g) {
  Ctx *c = ud;
  double f;
  c->o->fg(c->o->ctx, v->data, &f, g->data);
}
static void mm_fdf(const gsl_vector *v, void *ud, double *f, gsl_vector *g) {
  Ctx *c = ud;
  c->o->fg(c->o->ctx, v->data, f, g->data);
  if (!isfinite(*f))
    *f = GSL_POSINF;
}

static int nl_f(const gsl_vector *v, void *ud, gsl_vector *r) {
  Ctx *c = ud;
  c->o->res(c->o->ctx, v->data, r->data, NULL);
  return gr_all_finite(r->data, r->size) ? GSL_SUCCESS : GSL_EDOM;
}
static int nl_df(const gsl_vector *v, void *ud, gsl_matrix *J) {
  Ctx *c = ud;
  double *r = gr_xmalloc(c->o->m * sizeof *r);
  c->o->res(c->o->ctx, v->data, r, J->data);
  free(r);
  return gr_all_finite(J->data, J->size1 * J->size2) ? GSL_SUCCESS : GSL_EDOM;
}

/* one iteration's bookkeeping shared by both drivers: returns 1 to stop */
typedef struct Run {
  const GrObjective *o;
  const GrOptParams *p;
  GrOptCallback cb;
  void *ud;
  GrOptResult *r;
  double *g, *best, *last;
  double best_f, last_f;
  int n;
} Run;

/* After iteration `it` produced x: evaluate, check, trace. */
static int after(Run *u, long it, const double *x, double *f, double *gn) {
  int n = u->n;
  u->o->fg(u->o->ctx, x, f, u->g);
  *gn = gr_norm(u->g, n);
  u->r->iter = it;
  if (!isfinite(*f) || !gr_all_finite(u->g, (size_t)n) || !gr_all_finite(x, (size_t)n)) {
    u->r->stop = GR_STOP_NONFINITE;
    u->r->bad_iter = it;
    u->r->iter = it > 0 ? it - 1 : 0;
    return 1;
  }
  memcpy(u->last, x, (size_t)n * sizeof *x);
  u->last_f = *f;
  if (*f < u->best_f || it == 0) {
    u->best_f = *f;
    memcpy(u->best, x, (size_t)n * sizeof *x);
  }
  if (u->cb && u->cb(u->ud, it, x, *f, *gn)) {
    u->r->stop = GR_STOP_INTERRUPT;
    return 1;
  }
  if (gr_interrupted) {
    u->r->stop = GR_STOP_INTERRUPT;
    return 1;
  }
  return 0;
}

static GrStatus finish(Run *u, double *x) {
  int n = u->n;
  GrOptResult *r = u->r;
  if (r->stop == GR_STOP_INTERRUPT)
    memcpy(x, u->best, (size_t)n * sizeof *x);
  else
    memcpy(x, u->last, (size_t)n * sizeof *x);
  u->o->fg(u->o->ctx, x, &r->f, u->g);
  r->gnorm = gr_norm(u->g, n);
  free(u->g);
  free(u->best);
  free(u->last);
  return GR_OK;
}

static GrStatus run_multimin(Run *u, double *x) {
  const GrOptParams *p = u->p;
  int n = u->n;
  GrOptResult *r = u->r;
  Ctx c = {u->o, NULL, NULL};
  gsl_vector_view xv = gsl_vector_view_array(x, (size_t)n);
  double f, gn;
  if (after(u, 0, x, &f, &gn))
    return finish(u, x);
  if (p->method == GR_M_NM) {
    gsl_multimin_function fn = {mm_f, (size_t)n, &c};
    gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)n);
    gsl_vector *ss = gsl_vector_alloc((size_t)n);
    gsl_vector_set_all(ss, isnan(p->step) ? 1.0 : p->step);
    gsl_multimin_fminimizer_set(s, &fn, &xv.vector, ss);
    r->stop = GR_STOP_STEPS;
    long still = 0; /* iterations without a change of the best vertex */
    double fbest = f; /* the start is a vertex; GSL sets s->fval only when it iterates */
    for (long it = 1; it <= p->steps; it++) {
      int st = gsl_multimin_fminimizer_iterate(s);
      /* at the resolution of doubles the simplex stops shrinking: give up after a while */
      if (st == GSL_SUCCESS && s->fval == fbest && ++still >= 200L * n) {
        r->stop = GR_STOP_NOPROG;
        break;
      }
      if (s->fval != fbest) {
        fbest = s->fval;
        still = 0;
      }
      if (st == GSL_ENOPROG) {
        r->stop = GR_STOP_NOPROG;
        break;
      }
      if (st) {
        r->stop = GR_STOP_ERROR;
        snprintf(r->msg, sizeof r->msg, "%s", gsl_strerror(st));
        break;
      }
      if (after(u, it, s->x->data, &f, &gn))
        break;
      if (p->xtol > 0 && gsl_multimin_fminimizer_size(s) < p->xtol) {
        r->stop = GR_STOP_XTOL;
        break;
      }
      if (p->gtol > 0 && gn <= p->gtol) {
        r->stop = GR_STOP_GTOL;
        break;
      }
    }
    gsl_vector_free(ss);
    gsl_multimin_fminimizer_free(s);
    return finish(u, x);
  }
  const gsl_multimin_fdfminimizer_type *T =
      p->method == GR_M_BFGS   ? gsl_multimin_fdfminimizer_vector_bfgs2
      : p->method == GR_M_CGFR ? gsl_multimin_fdfminimizer_conjugate_fr
      : p->method == GR_M_CGPR ? gsl_multimin_fdfminimizer_conjugate_pr
                               : gsl_multimin_fdfminimizer_steepest_descent;
  gsl_multimin_function_fdf fn = {mm_f, mm_df, mm_fdf, (size_t)n, &c};
  gsl_multimin_fdfminimizer *s = gsl_multimin_fdfminimizer_alloc(T, (size_t)n);
  gsl_multimin_fdfminimizer_set(s, &fn, &xv.vector, isnan(p->step) ? 0.01 : p->step, p->line_tol);
  r->stop = GR_STOP_STEPS;
  /* GSL's line search gives up (ENOPROG) when its quasi-Newton model goes stale, often a
   * little short of the gradient tolerance: restart from the point reached with a fresh
   * model, the first step as long as the last one, shorter after a restart that gained
   * nothing; a bounded number of times. */
  gsl_vector *x0 = gsl_vector_alloc((size_t)n);
  double f_restart = INFINITY, rstep = 0;
  int restarts = 0;
  if (p->gtol > 0 && gn <= p->gtol)
    r->stop = GR_STOP_GTOL;
  else
    for (long it = 1; it <= p->steps; it++) {
      double fprev = f;
      int st = gsl_multimin_fdfminimizer_iterate(s);
      if (st == GSL_SUCCESS && gsl_blas_dnrm2(s->dx) == 0)
        st = GSL_ENOPROG; /* a "successful" step of length 0 (f linear, say): no progress */
      if (st == GSL_ENOPROG && p->gtol > 0 && gn > p->gtol && restarts < 30) {
        if (f < f_restart) {
          f_restart = f;
          rstep = gsl_blas_dnrm2(s->dx);
          if (!(rstep > 0 && isfinite(rstep)))
            rstep = isnan(p->step) ? 0.01 : p->step;
        } else
          rstep /= 16;
        restarts++;
        gsl_vector_memcpy(x0, s->x);
        gsl_multimin_fdfminimizer_set(s, &fn, x0, rstep, p->line_tol);
        it--;
        continue;
      }
      if (st == GSL_ENOPROG) {
        r->stop = GR_STOP_NOPROG;
        break;
      }
      if (st) {
        r->stop = GR_STOP_ERROR;
        snprintf(r->msg, sizeof r->msg, "%s", gsl_strerror(st));
        break;
      }
      if (after(u, it, s->x->data, &f, &gn))
        break;
      if (p->gtol > 0 && gn <= p->gtol) {
        r->stop = GR_STOP_GTOL;
        break;
      }
      if (p->ftol > 0 && fabs(f - fprev) <= p->ftol * fmax(fabs(f), fabs(fprev))) {
        r->stop = GR_STOP_FTOL;
        break;
      }
      if (p->xtol > 0 && gsl_blas_dnrm2(s->dx) <= p->xtol * (1 + gsl_blas_dnrm2(s->x))) {
        r->stop = GR_STOP_XTOL;
        break;
      }
    }
  gsl_vector_free(x0);
  gsl_multimin_fdfminimizer_free(s);
  return finish(u, x);
}

static GrStatus run_lm(Run *u, double *x, GrDiag *d) {
  const GrOptParams *p = u->p;
  const GrObjective *o = u->o;
  int n = u->n;
  GrOptResult *r = u->r;
  if (!o->res || o->m == 0)
    return gr_diag_set(d, GR_EUSAGE,
                       "--method lm needs equations (lhs = rhs, or several expressions) or "
                       "--data; to minimize one expression use bfgs");
  Ctx c = {o, NULL, NULL};
  double f, gn;
  if (after(u, 0, x, &f, &gn))
    return finish(u, x);
  gsl_multifit_nlinear_parameters par = gsl_multifit_nlinear_default_parameters();
  gsl_multifit_nlinear_fdf fdf = {0};
  fdf.f = nl_f;
  fdf.df = nl_df;
  fdf.n = o->m;
  fdf.p = (size_t)n;
  fdf.params = &c;
  /* the trust region solver needs n >= p; an underdetermined system is padded with zero
   * residuals (they change neither the solution nor the sum of squares) */
  size_t m = o->m;
  if (m < (size_t)n) {
    u->r->stop = GR_STOP_ERROR;
    snprintf(r->msg, sizeof r->msg, "fewer equations than unknowns: use a gradient method");
    return finish(u, x);
  }
  gsl_multifit_nlinear_workspace *w =
      gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, m, (size_t)n);
  gsl_vector_view xv = gsl_vector_view_array(x, (size_t)n);
  int st = gsl_multifit_nlinear_init(&xv.vector, &fdf, w);
  r->stop = GR_STOP_STEPS;
  if (st) {
    r->stop = st == GSL_EDOM ? GR_STOP_NONFINITE : GR_STOP_ERROR;
    snprintf(r->msg, sizeof r->msg, "%s", gsl_strerror(st));
  } else if (f == 0 || (p->gtol > 0 && gn <= p->gtol)) {
    r->stop = GR_STOP_GTOL;
  } else
    for (long it = 1; it <= p->steps; it++) {
      st = gsl_multifit_nlinear_iterate(w);
      if (st == GSL_ENOPROG) {
        /* no step reduces the residual: at an exact zero that is convergence */
        r->stop = gsl_blas_dnrm2(gsl_multifit_nlinear_residual(w)) == 0 ? GR_STOP_GTOL
                                                                          : GR_STOP_NOPROG;
        break;
      }
      if (st) {
        r->stop = st == GSL_EDOM ? GR_STOP_NONFINITE : GR_STOP_ERROR;
        r->bad_iter = it;
        snprintf(r->msg, sizeof r->msg, "%s", gsl_strerror(st));
        break;
      }
      if (after(u, it, gsl_multifit_nlinear_position(w)->data, &f, &gn))
        break;
      if (f == 0) {
        r->stop = GR_STOP_GTOL;
        break;
      }
      /* GSL's scaled tests decide, tighter than GSL suggests (gtol scaled by 1e-6): a
       * linear system or exactly-fitting data then converge to the last digits */
      int info = 0;
      double xt = p->xtol > 0 ? p->xtol : 1e-15, gt = p->gtol > 0 ? p->gtol * 1e-6 : 1e-15;
      if (gsl_multifit_nlinear_test(xt, gt, p->ftol > 0 ? p->ftol : 0, &info, w) == GSL_SUCCESS) {
        r->stop = info == 1 ? GR_STOP_XTOL : info == 2 ? GR_STOP_GTOL : GR_STOP_FTOL;
        break;
      }
    }
  gsl_multifit_nlinear_free(w);
  return finish(u, x);
}

GrStatus gr_opt_gsl(const GrObjective *o, const GrOptParams *p, double *x, GrOptCallback cb,
                    void *ud, GrOptResult *r, GrDiag *d) {
  int n = o->n;
  size_t N = (size_t)n + 1;
  if (n == 0)
    return gr_diag_set(d, GR_EUSAGE, "nothing to optimize: every variable is fixed or data");
  Run u = {o, p, cb, ud, r, gr_xcalloc(N, sizeof(double)), gr_xcalloc(N, sizeof(double)),
           gr_xcalloc(N, sizeof(double)), INFINITY, INFINITY, n};
  if (p->method == GR_M_LM) {
    GrStatus st = run_lm(&u, x, d);
    if (st != GR_OK) {
      free(u.g);
      free(u.best);
      free(u.last);
    }
    return st;
  }
  return run_multimin(&u, x);
}
