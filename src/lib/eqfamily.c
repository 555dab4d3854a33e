/* SPDX-License-Identifier: GPL-3.0-or-later
 * Family or multiple root: see eqfamily.h. The null space comes from GSL's SVD.
 */
#include "eqfamily.h"
#include "arena.h"
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdlib.h>

/* The SVD of the m x n matrix A (rows padded with zeros to at least n): V and S, and the
 * numerical rank. */
static int svd(const double *A, size_t m, int n, gsl_matrix *V, gsl_vector *S) {
  size_t rows = m < (size_t)n ? (size_t)n : m;
  gsl_matrix *U = gsl_matrix_calloc(rows, (size_t)n);
  gsl_vector *w = gsl_vector_alloc((size_t)n);
  for (size_t i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      gsl_matrix_set(U, i, (size_t)j, A[i * (size_t)n + (size_t)j]);
  int rank = 0;
  if (gsl_linalg_SV_decomp(U, V, S, w) == 0) {
    double smax = gsl_vector_max(S), tol = (double)rows * 2.220446049250313e-16 * smax;
    for (int j = 0; j < n; j++)
      rank += gsl_vector_get(S, (size_t)j) > tol && smax > 0;
  } else {
    rank = -1;
  }
  gsl_matrix_free(U);
  gsl_vector_free(w);
  return rank;
}

static double norm2(const double *v, size_t n) {
  double s = 0, scale = 0;
  for (size_t i = 0; i < n; i++)
    scale = fmax(scale, fabs(v[i]));
  if (!(scale > 0) || !isfinite(scale))
    return scale;
  for (size_t i = 0; i < n; i++)
    s += (v[i] / scale) * (v[i] / scale);
  return scale * sqrt(s);
}

/* From y, Gauss-Newton steps restricted to the columns Q (n x q, the first q columns of V):
 * 1 when the residual norm reaches thr. */
static int corrects(GrResFn res, void *ctx, double *y, size_t m, int n, const gsl_matrix *V,
                    int q, double thr, double *r, double *J) {
  double *JQ = gr_xmalloc((m ? m : 1) * (size_t)(q ? q : 1) * sizeof *JQ);
  gsl_matrix *W = gsl_matrix_alloc((size_t)(q ? q : 1), (size_t)(q ? q : 1));
  gsl_vector *S = gsl_vector_alloc((size_t)(q ? q : 1));
  int ok = 0;
  for (int it = 0; it <= 30; it++) {
    res(ctx, y, r, J);
    double rn = norm2(r, m);
    if (!isfinite(rn))
      break;
    if (rn <= thr) {
      ok = 1;
      break;
    }
    if (q == 0 || it == 30)
      break;
    /* JQ = J Q; the step d minimizes |r + JQ d| (pseudo-inverse through the SVD of JQ) */
    for (size_t i = 0; i < m; i++)
      for (int k = 0; k < q; k++) {
        double s = 0;
        for (int j = 0; j < n; j++)
          s += J[i * (size_t)n + (size_t)j] * gsl_matrix_get(V, (size_t)j, (size_t)k);
        JQ[i * (size_t)q + (size_t)k] = s;
      }
    /* U S W^T = JQ: d = -W S^+ U^T r, with U = JQ W S^-1 */
    int rk = svd(JQ, m, q, W, S);
    if (rk <= 0)
      break;
    for (int k = 0; k < q; k++) {
      double s = gsl_vector_get(S, (size_t)k);
      if (k >= rk || !(s > 0))
        continue;
      /* coefficient along W's column k: -(u_k . r) / s, u_k = JQ w_k / s */
      double ur = 0;
      for (size_t i = 0; i < m; i++) {
        double u = 0;
        for (int l = 0; l < q; l++)
          u += JQ[i * (size_t)q + (size_t)l] * gsl_matrix_get(W, (size_t)l, (size_t)k);
        ur += u / s * r[i];
      }
      double c = -ur / s;
      for (int l = 0; l < q; l++) {
        double dl = c * gsl_matrix_get(W, (size_t)l, (size_t)k);
        for (int j = 0; j < n; j++)
          y[j] += dl * gsl_matrix_get(V, (size_t)j, (size_t)l);
      }
    }
  }
  free(JQ);
  gsl_matrix_free(W);
  gsl_vector_free(S);
  return ok;
}

int gr_eq_family(GrResFn res, void *ctx, const double *x, const double *J, size_t m, int n,
                 double thr, int *nullity) {
  *nullity = 0;
  if (n <= 0)
    return GR_EQ_ISOLATED;
  gsl_matrix *V = gsl_matrix_alloc((size_t)n, (size_t)n);
  gsl_vector *S = gsl_vector_alloc((size_t)n);
  int rank = svd(J, m, n, V, S);
  if (rank < 0 || rank >= n) {
    gsl_matrix_free(V);
    gsl_vector_free(S);
    return GR_EQ_ISOLATED;
  }
  *nullity = n - rank;
  double *y = gr_xmalloc((size_t)n * sizeof *y), *r = gr_xmalloc((m ? m : 1) * sizeof *r),
         *Jy = gr_xmalloc((m ? m : 1) * (size_t)n * sizeof *Jy);
  double t = 0.1 * fmax(1, norm2(x, (size_t)n));
  int back = 0, away = 0;
  for (int k = rank; k < n; k++)
    for (int sgn = -1; sgn <= 1; sgn += 2) {
      for (int j = 0; j < n; j++)
        y[j] = x[j] + sgn * t * gsl_matrix_get(V, (size_t)j, (size_t)k);
      if (corrects(res, ctx, y, m, n, V, rank, thr, r, Jy))
        back++;
      else
        away++;
    }
  free(y);
  free(r);
  free(Jy);
  gsl_matrix_free(V);
  gsl_vector_free(S);
  return away == 0 ? GR_EQ_FAMILY : back == 0 ? GR_EQ_MULTIPLE : GR_EQ_MIXED;
}
