/* SPDX-License-Identifier: GPL-3.0-or-later
 * What every optimizer family shares: method names, default parameters, stop names, the
 * gradient norm and the finiteness test. It uses no other optimizer file, so that the
 * families (optim_torch.c, optim_gsl.c, optim_nlopt.c) depend on it and not on each other.
 */
#include "optim.h"
#include <gsl/gsl_blas.h>
#include <math.h>
#include <string.h>

static const struct {
  const char *name;
  GrMethod m;
} methods[] = {{"gd", GR_M_GD},           {"sgd", GR_M_GD},         {"adam", GR_M_ADAM},
               {"adamw", GR_M_ADAMW},     {"nadam", GR_M_NADAM},    {"rmsprop", GR_M_RMSPROP},
               {"adagrad", GR_M_ADAGRAD}, {"bfgs", GR_M_BFGS},      {"cg-fr", GR_M_CGFR},
               {"cg-pr", GR_M_CGPR},      {"steepest", GR_M_STEEPEST}, {"nelder-mead", GR_M_NM},
               {"lm", GR_M_LM},           {"lbfgs", GR_M_LBFGS},    {"slsqp", GR_M_SLSQP},
               {"mma", GR_M_MMA},         {"ccsaq", GR_M_CCSAQ},    {"cobyla", GR_M_COBYLA},
               {"bobyqa", GR_M_BOBYQA},   {"direct", GR_M_DIRECT},  {"crs2", GR_M_CRS2},
               {"isres", GR_M_ISRES},     {"mlsl", GR_M_MLSL}};

int gr_method_lookup(const char *name) {
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
    if (!strcmp(methods[i].name, name))
      return (int)methods[i].m;
  return -1;
}

const char *gr_method_name(GrMethod m) {
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
    if (methods[i].m == m)
      return methods[i].name;
  return "?";
}

const char *gr_stop_name(GrStop s) {
  static const char *const n[] = {"steps",    "gtol",      "ftol",  "xtol",
                                  "no-progress", "nonfinite", "interrupted", "error",
                                  "converged"};
  return n[s];
}

void gr_opt_defaults(GrOptParams *p, GrMethod m) {
  memset(p, 0, sizeof *p);
  p->method = m;
  p->lr = NAN;
  p->weight_decay = m == GR_M_ADAMW ? 0.01 : 0;
  p->beta1 = 0.9;
  p->beta2 = 0.999;
  p->eps = m == GR_M_ADAGRAD ? 1e-10 : 1e-8;
  p->momentum_decay = 4e-3;
  p->alpha = 0.99;
  switch (m) {
  case GR_M_ADAM:
  case GR_M_ADAMW:
    p->lr = 1e-3;
    break;
  case GR_M_NADAM:
    p->lr = 2e-3;
    break;
  case GR_M_RMSPROP:
  case GR_M_ADAGRAD:
    p->lr = 1e-2;
    break;
  default:
    break;
  }
  if (gr_method_is_torch(m)) {
    p->steps = 1000; /* run the given steps; no tolerance unless asked */
  } else {
    p->steps = 10000;
    p->gtol = 1e-8;
    p->xtol = m == GR_M_NM ? 1e-8 : (m == GR_M_LM ? 1e-12 : 0);
  }
  p->step = NAN;
  p->line_tol = 0.1;
}

double gr_norm(const double *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += v[i] * v[i];
  if (s < 1e300 && (s > 1e-290 || s == 0) && isfinite(s))
    return sqrt(s);
  /* the plain sum over- or underflowed (a component near 1e155 or 1e-150): BLAS dnrm2
   * scales as it sums. Only then, so that ordinary norms stay bit for bit the same. */
  gsl_vector_const_view vv = gsl_vector_const_view_array(v, (size_t)n);
  return gsl_blas_dnrm2(&vv.vector);
}

