/* SPDX-License-Identifier: GPL-3.0-or-later
 * Jacobians from the tape's sweeps: reverse rows (seed a unit vector on one output
 * element, read every adjoint) or forward columns (seed a unit tangent on one input
 * element, read every output tangent). Both fill the same row-major matrix.
 */
#include "jacobian.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t gr_jac_rows(const GrTape *t) {
  size_t r = 0;
  for (size_t k = 0; k < t->nout; k++)
    r += gr_tape_out_len(t, k);
  return r;
}

size_t gr_jac_cols(const GrJacCol *cols, size_t ncols) {
  size_t c = 0;
  for (size_t j = 0; j < ncols; j++)
    c += cols[j].len;
  return c;
}

/* Copy the adjoint of column entry c (zeros when it is not on the tape) into out. */
static void read_adj(const GrTape *t, const GrJacCol *c, double *out, size_t stride) {
  const double *g = c->var >= 0 ? gr_tape_grad(t, c->var) : gr_tape_node_adj(t, c->node);
  size_t have =
      c->var >= 0 ? gr_tape_var_len(t, c->var) : (g ? gr_tape_len(t, gr_tape_slot(t, c->node)) : 0);
  for (size_t e = 0; e < c->len; e++)
    out[e * stride] = g && e < have ? g[e] : 0;
}

void gr_jacobian(GrTape *t, const GrJacCol *cols, size_t ncols, int forward, double *J) {
  size_t R = gr_jac_rows(t), C = gr_jac_cols(cols, ncols);
  memset(J, 0, R * C * sizeof *J);
  int any_node = 0;
  for (size_t j = 0; j < ncols; j++)
    any_node |= cols[j].var < 0;
  if (!forward || any_node) {
    size_t row = 0;
    for (size_t k = 0; k < t->nout; k++) {
      size_t L = gr_tape_out_len(t, k);
      double *seed = gr_xcalloc(L, sizeof *seed);
      for (size_t i = 0; i < L; i++, row++) {
        seed[i] = 1;
        gr_tape_reverse(t, k, seed);
        seed[i] = 0;
        size_t off = 0;
        for (size_t j = 0; j < ncols; j++) {
          if (!forward || cols[j].var < 0)
            read_adj(t, &cols[j], J + row * C + off, 1);
          off += cols[j].len;
        }
      }
      free(seed);
    }
  }
  if (!forward)
    return;
  const double **dir = gr_xcalloc((size_t)t->nvars + 1, sizeof *dir);
  size_t off = 0;
  for (size_t j = 0; j < ncols; j++) {
    const GrJacCol *c = &cols[j];
    if (c->var < 0 || gr_tape_var_len(t, c->var) == 0) { /* unused variable: a zero column */
      off += c->len;
      continue;
    }
    double *unit = gr_xcalloc(c->len, sizeof *unit);
    dir[c->var] = unit;
    for (size_t e = 0; e < c->len; e++, off++) {
      unit[e] = 1;
      gr_tape_tangent(t, dir);
      unit[e] = 0;
      size_t row = 0;
      for (size_t k = 0; k < t->nout; k++) {
        const double *ty = gr_tape_out_tangent(t, k);
        for (size_t i = 0; i < gr_tape_out_len(t, k); i++, row++)
          J[row * C + off] = ty[i];
      }
    }
    dir[c->var] = NULL;
    free(unit);
  }
  free(dir);
}

void gr_vjp(GrTape *t, const double *v, const GrJacCol *cols, size_t ncols, double *out) {
  size_t C = gr_jac_cols(cols, ncols), row = 0;
  double *tmp = gr_xcalloc(C ? C : 1, sizeof *tmp);
  memset(out, 0, C * sizeof *out);
  for (size_t k = 0; k < t->nout; k++) {
    gr_tape_reverse(t, k, v + row);
    row += gr_tape_out_len(t, k);
    size_t off = 0;
    for (size_t j = 0; j < ncols; j++) {
      read_adj(t, &cols[j], tmp + off, 1);
      off += cols[j].len;
    }
    for (size_t i = 0; i < C; i++)
      out[i] += tmp[i];
  }
  free(tmp);
}

void gr_jvp(GrTape *t, const double *const *dir, double *out) {
  gr_tape_tangent(t, dir);
  size_t row = 0;
  for (size_t k = 0; k < t->nout; k++) {
    const double *ty = gr_tape_out_tangent(t, k);
    for (size_t i = 0; i < gr_tape_out_len(t, k); i++)
      out[row++] = ty[i];
  }
}

int gr_ad_disagree(double rev, double fwd, double scale) {
  if (isnan(rev) || isnan(fwd))
    return isnan(rev) != isnan(fwd);
  if (isinf(rev) || isinf(fwd))
    return rev != fwd;
  double m = fabs(rev) > fabs(fwd) ? fabs(rev) : fabs(fwd), d = fabs(rev - fwd);
  if (scale > m)
    m = scale;
  return d > 1e-6 * m && d > 1e-300;
}

/* the fixed direction's weight for element i of variable v: in [0.5, 1.5) (no cancellation)
 * times the size of the variable's value there (1 at 0 or a non-finite value), so that the
 * tangents stay in the range of the values: at x = 1e-300 the tangent of 1/x along 1 would
 * be -1e600 (inf) while reverse mode's -1e300 is right; along 1e-300 it is -1e300 */
static double dir_weight(const GrTape *t, int v, size_t i) {
  double x = 0.6180339887498949 * (double)(i + 1) + 0.4142135623730951 * (double)(v + 1);
  double w = 0.5 + (x - floor(x));
  const double *val = gr_tape_var((GrTape *)t, v);
  double a = val ? fabs(val[i]) : 0;
  return a > 0 && isfinite(a) ? w * a : w;
}

/* forward-mode directional derivative of output k along the weights on variables with on[v] */
static double fwd_along(GrTape *t, size_t k, const unsigned char *on) {
  double **dir = gr_xcalloc((size_t)t->nvars + 1, sizeof *dir);
  for (int v = 0; v < t->nvars; v++) {
    size_t n = gr_tape_var_len(t, v);
    if (!on[v] || !n)
      continue;
    dir[v] = gr_xmalloc(n * sizeof **dir);
    for (size_t i = 0; i < n; i++)
      dir[v][i] = dir_weight(t, v, i);
  }
  gr_tape_tangent(t, (const double *const *)dir);
  double r = gr_tape_out_tangent(t, k)[0];
  for (int v = 0; v < t->nvars; v++)
    free(dir[v]);
  free(dir);
  return r;
}

size_t gr_check_reverse(GrTape *t, size_t k, const int *vars, size_t n, const double *const *grads,
                        unsigned char *bad, double *rev_out, double *fwd_out) {
  unsigned char *on = gr_xcalloc((size_t)t->nvars + 1, 1);
  double *rv = gr_xcalloc(n + 1, sizeof *rv), *sc = gr_xcalloc(n + 1, sizeof *sc);
  double rev = 0, scale = 0;
  for (size_t j = 0; j < n; j++) {
    size_t L = gr_tape_var_len(t, vars[j]);
    on[vars[j]] = 1;
    for (size_t i = 0; i < L && grads[j]; i++) {
      rv[j] += grads[j][i] * dir_weight(t, vars[j], i);
      sc[j] += fabs(grads[j][i] * dir_weight(t, vars[j], i));
    }
    rev += rv[j];
    scale += sc[j];
  }
  size_t nbad = 0;
  memset(bad, 0, n);
  /* one sweep along every variable at once; one per variable only when that disagrees */
  if (gr_ad_disagree(rev, fwd_along(t, k, on), scale)) {
    for (size_t j = 0; j < n; j++) {
      memset(on, 0, (size_t)t->nvars);
      on[vars[j]] = 1;
      double f = fwd_along(t, k, on);
      if (gr_ad_disagree(rv[j], f, sc[j])) {
        /* a scalar variable: the derivative itself, not its weighted multiple */
        double w = gr_tape_var_len(t, vars[j]) == 1 ? dir_weight(t, vars[j], 0) : 1;
        bad[j] = 1;
        rev_out[j] = rv[j] / w;
        fwd_out[j] = f / w;
        nbad++;
      }
    }
  }
  free(on);
  free(rv);
  free(sc);
  return nbad;
}
