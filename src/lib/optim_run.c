/* SPDX-License-Identifier: GPL-3.0-or-later
 * The optimizer front: gr_optimize dispatches to a family (optim_torch.c, optim_gsl.c,
 * optim_nlopt.c) and runs --restarts from random points over it. The families never call
 * back here, so the optimizer files form no cycle.
 */
#include "optim.h"
#include "optim_nlopt.h"
#include "arena.h"
#include "util.h"
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static GrStatus opt_restarts(const GrObjective *o, const GrOptParams *p, double *x,
                             GrOptCallback cb, void *ud, GrOptResult *r, GrDiag *d);

GrStatus gr_optimize(const GrObjective *o, const GrOptParams *p, double *x, GrOptCallback cb,
                     void *ud, GrOptResult *r, GrDiag *d) {
  memset(r, 0, sizeof *r);
  if (p->restarts > 0)
    return opt_restarts(o, p, x, cb, ud, r, d);
  if (gr_method_is_nlopt(p->method))
    return gr_opt_nlopt(o, p, x, cb, ud, r, d);
  if (gr_method_is_torch(p->method))
    return gr_opt_torch(o, p, x, cb, ud, r, d);
  return gr_opt_gsl(o, p, x, cb, ud, r, d);
}


/* ---- restarts ---- */

typedef struct Offset {
  GrOptCallback cb;
  void *ud;
  long base;
} Offset;

/* iterations numbered across the runs, so that a trace or a plot reads as one sequence */
static int offset_cb(void *ud, long iter, const double *x, double f, double gnorm) {
  Offset *k = ud;
  return k->cb ? k->cb(k->ud, k->base + iter, x, f, gnorm) : 0;
}

static GrStatus opt_restarts(const GrObjective *o, const GrOptParams *p, double *x,
                         GrOptCallback cb, void *ud, GrOptResult *r, GrDiag *d) {
  int n = o->n;
  GrConstraints *cons = (GrConstraints *)p->cons;
  GrOptParams q = *p;
  q.restarts = 0;
  long runs = p->restarts + 1;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, p->seed);
  size_t N = (size_t)n + 1;
  double *x0 = gr_xmalloc(N * sizeof *x0), *xk = gr_xmalloc(N * sizeof *xk);
  double *best = gr_xmalloc(N * sizeof *best), *fk = gr_xmalloc((size_t)runs * sizeof *fk);
  memcpy(x0, x, (size_t)n * sizeof *x);
  memcpy(best, x, (size_t)n * sizeof *x);
  double best_f = INFINITY, best_v = INFINITY;
  int have = 0;
  GrOptResult rb, rk;
  memset(&rb, 0, sizeof rb);
  Offset off = {cb, ud, 0};
  GrStatus st = GR_OK;
  long k, total = 0, done = 0;
  int interrupted = 0;
  for (k = 0; k < runs; k++) {
    for (int j = 0; j < n; j++) {
      double lo = cons ? cons->lo[j] : -INFINITY, hi = cons ? cons->hi[j] : INFINITY;
      double v = x0[j];
      if (k > 0) {
        if (isfinite(lo) && isfinite(hi))
          v = lo + (hi - lo) * gsl_rng_uniform(rng);
        else {
          /* around the start; a half-bounded variable is reflected back inside */
          v = x0[j] + gsl_ran_gaussian(rng, 1.0);
          if (v < lo)
            v = lo + (lo - v);
          if (v > hi)
            v = hi - (v - hi);
        }
      }
      xk[j] = v;
    }
    off.base = total;
    q.seed = p->seed + (unsigned long)k; /* a stochastic method draws anew in every run */
    memset(&rk, 0, sizeof rk);
    st = gr_optimize(o, &q, xk, offset_cb, &off, &rk, d);
    if (st != GR_OK)
      break;
    done++;
    total += rk.iter + 1;
    double v = cons ? gr_cons_violation(cons, xk, NULL) : 0;
    int feas = v <= GR_FEAS_TOL && isfinite(rk.f);
    fk[k] = feas ? rk.f : NAN;
    int better = !have || (feas && !(best_v <= GR_FEAS_TOL)) ||
                 (feas ? rk.f < best_f : !(best_v <= GR_FEAS_TOL) && v < best_v);
    if (better && rk.stop != GR_STOP_NONFINITE) {
      have = 1;
      best_f = rk.f;
      best_v = v;
      rb = rk;
      memcpy(best, xk, (size_t)n * sizeof *xk);
    } else if (!have && k == 0) {
      rb = rk;
      memcpy(best, xk, (size_t)n * sizeof *xk);
    }
    if (rk.stop == GR_STOP_INTERRUPT || gr_interrupted) {
      interrupted = 1;
      break;
    }
  }
  if (st == GR_OK) {
    long nbest = 0;
    for (long i = 0; i < done; i++)
      nbest += !isnan(fk[i]) && best_v <= GR_FEAS_TOL &&
               fabs(fk[i] - best_f) <= 1e-6 * fmax(1, fabs(best_f));
    *r = rb;
    r->iter = total > 0 ? total - 1 : 0;
    r->runs = done;
    r->runs_best = nbest;
    if (interrupted)
      r->stop = GR_STOP_INTERRUPT;
    memcpy(x, best, (size_t)n * sizeof *x);
  }
  gsl_rng_free(rng);
  free(x0);
  free(xk);
  free(best);
  free(fk);
  return st;
}
