/* SPDX-License-Identifier: GPL-3.0-or-later
 * torch.optim's update rules (the >= 2.0 formulas), written in the same order of floating
 * point operations as PyTorch's CPU kernels, so trajectories agree to the last bits.
 * PyTorch's CPU kernels compute `a + alpha*b` (add_, addcmul_, addcdiv_) as one fused
 * multiply-add, so the same expressions are written with fma() here; addcdiv_ is
 * self + (value*t1)/t2, which cannot fuse. One loop for all of
 * them: evaluate, check, step, repeat; state arrays are per parameter.
 */
#include "optim.h"
#include "arena.h"
#include "util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct State {
  double *m, *v, *vmax, *buf, *gavg;
  double mu_product;
  int have_buf;
} State;

/* One step of method p->method at step t (from 1), gradient g (may be modified). */
static void step(const GrOptParams *p, State *s, long t, int n, double *x, double *g) {
  double lr = p->lr, wd = p->weight_decay;
  switch (p->method) {
  case GR_M_GD:
    for (int i = 0; i < n; i++) {
      double gi = g[i];
      if (wd != 0)
        gi = fma(wd, x[i], gi);
      if (p->momentum != 0) {
        if (!s->have_buf)
          s->buf[i] = gi;
        else
          s->buf[i] = fma(1 - p->dampening, gi, s->buf[i] * p->momentum);
        gi = p->nesterov ? fma(p->momentum, s->buf[i], gi) : s->buf[i];
      }
      x[i] = fma(-lr, gi, x[i]);
    }
    s->have_buf = 1;
    break;
  case GR_M_ADAM:
  case GR_M_ADAMW: {
    double bc1 = 1 - pow(p->beta1, (double)t), bc2 = 1 - pow(p->beta2, (double)t);
    double step_size = lr / bc1, bc2s = sqrt(bc2);
    for (int i = 0; i < n; i++) {
      double gi = g[i];
      if (p->method == GR_M_ADAMW)
        x[i] = x[i] * (1 - lr * wd);
      else if (wd != 0)
        gi = fma(wd, x[i], gi);
      s->m[i] = fma(1 - p->beta1, gi, s->m[i] * p->beta1);
      s->v[i] = fma((1 - p->beta2) * gi, gi, s->v[i] * p->beta2);
      double vv = s->v[i];
      if (p->amsgrad) {
        if (vv > s->vmax[i])
          s->vmax[i] = vv;
        vv = s->vmax[i];
      }
      double denom = sqrt(vv) / bc2s + p->eps;
      x[i] = x[i] + -step_size * s->m[i] / denom;
    }
    break;
  }
  case GR_M_NADAM: {
    double bc2 = 1 - pow(p->beta2, (double)t);
    double mu = p->beta1 * (1. - 0.5 * pow(0.96, (double)t * p->momentum_decay));
    double mu_next = p->beta1 * (1. - 0.5 * pow(0.96, (double)(t + 1) * p->momentum_decay));
    s->mu_product *= mu;
    double mu_product_next = s->mu_product * mu_next;
    double c1 = -lr * (1. - mu) / (1. - s->mu_product);
    double c2 = (-lr * mu_next) / (1. - mu_product_next);
    for (int i = 0; i < n; i++) {
      double gi = g[i];
      if (wd != 0) {
        if (p->decoupled)
          x[i] = x[i] * (1 - lr * wd);
        else
          gi = fma(wd, x[i], gi);
      }
      s->m[i] = fma(1 - p->beta1, gi, s->m[i] * p->beta1);
      s->v[i] = fma((1 - p->beta2) * gi, gi, s->v[i] * p->beta2);
      double denom = sqrt(s->v[i] / bc2) + p->eps;
      x[i] = x[i] + c1 * gi / denom;
      x[i] = x[i] + c2 * s->m[i] / denom;
    }
    break;
  }
  case GR_M_RMSPROP:
    for (int i = 0; i < n; i++) {
      double gi = g[i];
      if (wd != 0)
        gi = fma(wd, x[i], gi);
      s->v[i] = fma((1 - p->alpha) * gi, gi, s->v[i] * p->alpha);
      double avg;
      if (p->centered) {
        s->gavg[i] = fma(1 - p->alpha, gi, s->gavg[i] * p->alpha);
        avg = sqrt(fma(-1 * s->gavg[i], s->gavg[i], s->v[i])) + p->eps;
      } else
        avg = sqrt(s->v[i]) + p->eps;
      if (p->momentum > 0) {
        s->buf[i] = s->buf[i] * p->momentum + gi / avg;
        x[i] = fma(-lr, s->buf[i], x[i]);
      } else
        x[i] = x[i] + -lr * gi / avg;
    }
    break;
  case GR_M_ADAGRAD: {
    double clr = lr / (1 + (double)(t - 1) * p->lr_decay);
    for (int i = 0; i < n; i++) {
      double gi = g[i];
      if (wd != 0)
        gi = fma(wd, x[i], gi);
      s->v[i] = fma(gi, gi, s->v[i]);
      double std = sqrt(s->v[i]) + p->eps;
      x[i] = x[i] + -clr * gi / std;
    }
    break;
  }
  default:
    break;
  }
}

GrStatus gr_opt_torch(const GrObjective *o, const GrOptParams *p, double *x, GrOptCallback cb,
                      void *ud, GrOptResult *r, GrDiag *d) {
  int n = o->n;
  size_t N = (size_t)n + 1;
  if (!(p->lr > 0) || !isfinite(p->lr))
    return gr_diag_set(d, GR_EUSAGE, "--method %s needs a positive learning rate (--lr)",
                       gr_method_name(p->method));
  State s = {0};
  s.m = gr_xcalloc(N, sizeof *s.m);
  s.v = gr_xcalloc(N, sizeof *s.v);
  s.vmax = gr_xcalloc(N, sizeof *s.vmax);
  s.buf = gr_xcalloc(N, sizeof *s.buf);
  s.gavg = gr_xcalloc(N, sizeof *s.gavg);
  s.mu_product = 1;
  if (p->method == GR_M_ADAGRAD)
    for (int i = 0; i < n; i++)
      s.v[i] = p->initial_accumulator;
  double *g = gr_xcalloc(N, sizeof *g), *prev = gr_xcalloc(N, sizeof *prev),
         *best = gr_xcalloc(N, sizeof *best);
  double f, best_f;
  o->fg(o->ctx, x, &f, g);
  r->iter = 0;
  if (!isfinite(f) || !gr_all_finite(g, (size_t)n)) {
    r->stop = GR_STOP_NONFINITE;
    r->bad_iter = 0;
    r->f = f;
    r->gnorm = gr_norm(g, n);
    goto out;
  }
  double gn = gr_norm(g, n);
  memcpy(best, x, (size_t)n * sizeof *x);
  best_f = f;
  r->stop = GR_STOP_STEPS;
  if (cb && cb(ud, 0, x, f, gn)) {
    r->stop = GR_STOP_INTERRUPT;
    goto done;
  }
  for (long t = 1; t <= p->steps; t++) {
    if (p->gtol > 0 && gn <= p->gtol) {
      r->stop = GR_STOP_GTOL;
      break;
    }
    if (gr_interrupted) {
      r->stop = GR_STOP_INTERRUPT;
      break;
    }
    memcpy(prev, x, (size_t)n * sizeof *x);
    double fprev = f;
    step(p, &s, t, n, x, g);
    o->fg(o->ctx, x, &f, g);
    r->iter = t;
    if (!isfinite(f) || !gr_all_finite(g, (size_t)n) || !gr_all_finite(x, (size_t)n)) {
      /* keep the last finite point */
      memcpy(x, prev, (size_t)n * sizeof *x);
      r->stop = GR_STOP_NONFINITE;
      r->bad_iter = t;
      r->iter = t - 1;
      f = fprev;
      o->fg(o->ctx, x, &f, g);
      gn = gr_norm(g, n);
      goto done;
    }
    gn = gr_norm(g, n);
    if (f < best_f) {
      best_f = f;
      memcpy(best, x, (size_t)n * sizeof *x);
    }
    if (cb && cb(ud, t, x, f, gn)) {
      r->stop = GR_STOP_INTERRUPT;
      break;
    }
    if (p->ftol > 0 && fabs(f - fprev) <= p->ftol * fmax(fabs(f), fabs(fprev))) {
      r->stop = GR_STOP_FTOL;
      break;
    }
    if (p->xtol > 0) {
      double dx = 0;
      for (int i = 0; i < n; i++)
        dx += (x[i] - prev[i]) * (x[i] - prev[i]);
      if (sqrt(dx) <= p->xtol * (1 + gr_norm(x, n))) {
        r->stop = GR_STOP_XTOL;
        break;
      }
    }
    if (gr_interrupted) {
      r->stop = GR_STOP_INTERRUPT;
      break;
    }
  }
  if (r->stop == GR_STOP_STEPS && p->gtol > 0 && gn <= p->gtol)
    r->stop = GR_STOP_GTOL;
done:
  if (r->stop == GR_STOP_INTERRUPT && best_f < f) {
    memcpy(x, best, (size_t)n * sizeof *x);
    o->fg(o->ctx, x, &f, g);
    gn = gr_norm(g, n);
  }
  r->f = f;
  r->gnorm = gn;
out:
  free(s.m);
  free(s.v);
  free(s.vmax);
  free(s.buf);
  free(s.gavg);
  free(g);
  free(prev);
  free(best);
  return GR_OK;
}
