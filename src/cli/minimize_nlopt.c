/* SPDX-License-Identifier: GPL-3.0-or-later
 * minimize's bounds, constraints and restarts: options in, report lines out. The engine
 * is optim_nlopt.c; this file only talks to the user.
 */
#include "minimize_nlopt.h"
#include "arena.h"
#include "graph.h"
#include "num.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void push(const char ***v, int *n, const char *s) {
  *v = gr_xrealloc(*v, ((size_t)*n + 1) * sizeof **v);
  (*v)[(*n)++] = s;
}

int min_cons_opt(MinCons *m, int which, const char *arg) {
  if (which == MIN_CONS_BOUNDS)
    push(&m->bounds, &m->nbounds, arg);
  else if (which == MIN_CONS_SUBJECT_TO)
    push(&m->subject, &m->nsubject, arg);
  else {
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || *end || end == arg || v < 0) {
      fprintf(stderr, "minimize: error: --restarts takes a whole number >= 0, not '%s'\n", arg);
      return 2;
    }
    m->restarts = v;
  }
  return 0;
}

int min_cons_parse(MinCons *m, GrGraph *g, const GrParseOpts *po) {
  if (!m->nsubject)
    return 0;
  m->src = gr_xcalloc((size_t)m->nsubject, sizeof *m->src);
  for (int i = 0; i < m->nsubject; i++) {
    GrDiag d;
    if (gr_constraint_parse(g, m->subject[i], po, &m->src[i], &d) != GR_OK) {
      gr_diag_render(stderr, "minimize", &d, m->subject[i]);
      fprintf(stderr, "  (in --subject-to)\n");
      return d.status;
    }
  }
  return 0;
}

static int param_of(const GrGraph *g, int nparam, const int *param_var, const char *name) {
  int v = gr_var_index(g, name);
  for (int j = 0; v >= 0 && j < nparam; j++)
    if (param_var[j] == v)
      return j;
  return -1;
}

static void fmt_bound(char *b, double v) {
  if (isinf(v))
    strcpy(b, v < 0 ? "-inf" : "inf");
  else
    gr_fmt(b, v, 0);
}

int min_cons_setup(MinCons *m, GrGraph *g, int nparam, const int *param_var,
                   const double *value, const int *data_col, const GrBindList *from,
                   const GrBindList *fix, double *x) {
  if (!m->nbounds && !m->nsubject && !m->restarts)
    return 0;
  GrConstraints *c = m->c = gr_cons_new(g, nparam, param_var, value);
  for (int k = 0; k < m->nbounds; k++) {
    int ni;
    char **items = gr_split_list(m->bounds[k], &ni);
    for (int i = 0; i < ni; i++) {
      char *name;
      double lo, hi;
      GrDiag d;
      if (gr_bound_parse(items[i], &name, &lo, &hi, &d) != GR_OK) {
        fprintf(stderr, "minimize: error: --bounds: %s\n", d.msg);
        gr_free_list(items);
        return 2;
      }
      int j = param_of(g, nparam, param_var, name);
      int v = gr_var_index(g, name);
      const char *why = NULL;
      if (v < 0)
        why = "which is not a variable of the expression";
      else if (data_col && data_col[v] >= 0)
        why = "which is a data column";
      else if (gr_binds_find(fix, name))
        why = "which --fix holds constant";
      if (why || j < 0) {
        fprintf(stderr, "minimize: error: --bounds names '%s', %s\n", name,
                why ? why : "which is not an unknown");
        free(name);
        gr_free_list(items);
        return 2;
      }
      c->lo[j] = lo;
      c->hi[j] = hi;
      free(name);
    }
    gr_free_list(items);
  }
  for (int i = 0; i < m->nsubject; i++) {
    for (int v = 0; data_col && v < g->nvars; v++)
      if (data_col[v] >= 0 && gr_depends(g, m->src[i].c, v)) {
        fprintf(stderr, "minimize: error: --subject-to '%s' uses the data column '%s'; a "
                        "constraint is on the parameters only\n", m->subject[i], g->vars[v]);
        return 2;
      }
    gr_cons_add(c, &m->src[i]);
  }
  GrDiag d;
  for (int i = 0; i < c->m; i++) {
    /* compile each alone first, so that an error points into the right text */
    GrConstraints *one = gr_cons_new(g, nparam, param_var, value);
    gr_cons_add(one, &m->src[i]);
    GrStatus st = gr_cons_compile(one, &d);
    gr_cons_free(one);
    if (st != GR_OK) {
      gr_diag_render(stderr, "minimize", &d, m->subject[i]);
      fprintf(stderr, "  (in --subject-to)\n");
      return d.status;
    }
  }
  if (gr_cons_compile(c, &d) != GR_OK) {
    gr_diag_render(stderr, "minimize", &d, NULL);
    return d.status;
  }
  /* the start inside the bounds: a value from --from is moved to the nearest bound (with a
   * note); a variable not in --from starts in the middle of a finite range (0 is often a
   * stationary point, such as the saddle of -x*y, where a gradient method would not move),
   * else at 0 when that is inside, else at its one finite bound */
  for (int j = 0; j < nparam; j++) {
    double lo = c->lo[j], hi = c->hi[j], v = x[j];
    const char *name = g->vars[param_var[j]];
    int given = gr_binds_find(from, name) != NULL;
    if (!given && isfinite(lo) && isfinite(hi)) {
      x[j] = lo + (hi - lo) / 2;
      continue;
    }
    if (v >= lo && v <= hi)
      continue;
    if (given) {
      double nv = fmin(fmax(v, lo), hi);
      char a[40], b[40], l[40], h[40];
      gr_fmt(a, v, 0);
      gr_fmt(b, nv, 0);
      fmt_bound(l, lo);
      fmt_bound(h, hi);
      fprintf(stderr, "minimize: note: the start %s=%s is outside --bounds %s=%s:%s; starting "
                      "from %s=%s\n", name, a, name, l, h, name, b);
      x[j] = nv;
    } else if (0 >= lo && 0 <= hi)
      x[j] = 0;
    else if (isfinite(lo) && isfinite(hi))
      x[j] = lo + (hi - lo) / 2;
    else
      x[j] = isfinite(lo) ? lo : hi;
  }
  return 0;
}

int min_cons_method(const MinCons *m, const char *given, int *meth) {
  int bounded = m->c && gr_cons_has_bounds(m->c);
  int neq = 0, nle = 0;
  for (int i = 0; i < m->nsubject; i++)
    m->src[i].eq ? neq++ : nle++;
  const char *what = m->nsubject ? "--subject-to" : "--bounds";
  if ((bounded || m->nsubject) && !gr_nlopt_available()) {
    fprintf(stderr, "minimize: error: minimize was built without NLopt, which %s needs "
                    "(install libnlopt-dev and rebuild)\n", what);
    return 2;
  }
  if (!given && (bounded || m->nsubject))
    *meth = m->nsubject ? GR_M_SLSQP : GR_M_LBFGS;
  GrMethod mt = (GrMethod)*meth;
  const char *mn = gr_method_name(mt);
  if (gr_method_is_nlopt(mt) && !gr_nlopt_available()) {
    fprintf(stderr, "minimize: error: minimize was built without NLopt, which --method %s "
                    "needs (install libnlopt-dev and rebuild)\n", mn);
    return 2;
  }
  if ((bounded || m->nsubject) && !gr_method_is_nlopt(mt)) {
    fprintf(stderr, "minimize: error: --method %s does not take %s; use lbfgs, slsqp, mma, "
                    "ccsaq, cobyla, bobyqa, direct, crs2, isres or mlsl\n", mn, what);
    return 2;
  }
  if (neq && !gr_method_takes_eq(mt)) {
    int i = 0;
    while (!m->src[i].eq)
      i++;
    fprintf(stderr, "minimize: error: --method %s does not take equality constraints (like "
                    "'%s'); use slsqp, cobyla or isres\n", mn, m->subject[i]);
    return 2;
  }
  if (nle && !gr_method_takes_ineq(mt)) {
    fprintf(stderr, "minimize: error: --method %s does not take inequality constraints; use "
                    "slsqp, mma, ccsaq, cobyla or isres\n", mn);
    return 2;
  }
  if (gr_method_is_global(mt)) {
    for (int j = 0; m->c && j < m->c->n; j++)
      if (!isfinite(m->c->lo[j]) || !isfinite(m->c->hi[j])) {
        fprintf(stderr, "minimize: error: --method %s searches a box: '%s' needs finite "
                        "--bounds (e.g. --bounds %s=-10:10)\n", mn,
                m->c->g->vars[m->c->param_var[j]], m->c->g->vars[m->c->param_var[j]]);
        return 2;
      }
    if (!m->c) {
      fprintf(stderr, "minimize: error: --method %s searches a box: give every unknown "
                      "finite --bounds (e.g. --bounds x=-10:10)\n", mn);
      return 2;
    }
  }
  return 0;
}

static int converged(GrStop s);

/* A bounded, constrained or restarted run converged when the method's own test (or a
 * tolerance, or no further progress at the precision of doubles) stopped it at a feasible
 * point: its gradient need not be small there. */
int min_cons_converged(const MinCons *m, const double *x, const GrOptResult *r) {
  GrConstraints *c = m->c;
  int feasible = !c || gr_cons_violation(c, x, NULL) <= GR_FEAS_TOL;
  return converged(r->stop) && feasible;
}

int min_cons_any(const MinCons *m, int meth) {
  return m->c || gr_method_is_nlopt((GrMethod)meth);
}

static int converged(GrStop s) {
  /* no-progress: NLopt's roundoff-limited, the precision of doubles is reached */
  return s == GR_STOP_CONVERGED || s == GR_STOP_FTOL || s == GR_STOP_XTOL || s == GR_STOP_GTOL ||
         s == GR_STOP_NOPROG;
}


/* a constraint's state: 0 inactive (strictly satisfied), 1 active, 2 violated */
static int con_state(const GrConstraintSrc *s, double c, double l, double r, double *by) {
  double scale = 1 + fmax(fabs(l), fabs(r));
  *by = s->eq ? fabs(c) : fmax(c, 0);
  if (!(*by <= GR_FEAS_TOL * scale))
    return 2;
  if (s->eq || c >= -GR_FEAS_TOL * scale)
    return 1;
  return 0;
}

/* a multiplier for the text report: rounding noise of an inactive one prints as 0 */
static void put_mult(FILE *f, double v, double scale, int digits) {
  gr_put_num(f, fabs(v) <= 1e-12 * scale ? 0 : v, digits ? digits : 6, 0);
}

void min_cons_report(const MinCons *m, const GrObjective *obj, int meth, const double *x,
                     const GrOptResult *r, int digits, int json, const char *prefix) {
  GrConstraints *c = m->c;
  FILE *f = stdout;
  int feasible = !c || gr_cons_violation(c, x, NULL) <= GR_FEAS_TOL;
  int conv = converged(r->stop) && feasible;
  double *cv = NULL, *l = NULL, *rh = NULL;
  if (c && c->m) {
    cv = gr_xcalloc(3 * (size_t)c->m, sizeof *cv);
    l = cv + c->m;
    rh = l + c->m;
    gr_cons_eval(c, x, cv, l, rh, -1, NULL);
  }
  int bounded = c && gr_cons_has_bounds(c);
  /* first-order conditions at a feasible point of a bounded or constrained problem */
  int kkt = feasible && (bounded || (c && c->m)), kkt_met = 0, neg = -1;
  double *mult = NULL, kres = 0, gscale = 1;
  if (kkt) {
    double fx, *gf = gr_xcalloc((size_t)c->n + 1, sizeof *gf);
    mult = gr_xcalloc((size_t)(c->m + c->n) + 1, sizeof *mult);
    obj->fg(obj->ctx, x, &fx, gf);
    gscale = fmax(1, gr_norm(gf, c->n));
    kres = gr_cons_kkt(c, x, gf, mult);
    free(gf);
    double tol = 1e-5 * gscale;
    kkt_met = kres <= tol;
    for (int i = 0; i < c->m + c->n; i++)
      if ((i >= c->m || !c->con[i].eq) && mult[i] < -tol && (neg < 0 || mult[i] < mult[neg]))
        neg = i;
    kkt_met = kkt_met && neg < 0;
  }
  if (json) {
    if (bounded) {
      fputs(",\"bounds\":{", f);
      int first = 1;
      for (int j = 0; j < c->n; j++) {
        if (!isfinite(c->lo[j]) && !isfinite(c->hi[j]))
          continue;
        if (!first)
          putc(',', f);
        first = 0;
        gr_json_str(f, c->g->vars[c->param_var[j]]);
        fputs(":{\"lower\":", f);
        gr_put_num(f, c->lo[j], digits, 1);
        fputs(",\"upper\":", f);
        gr_put_num(f, c->hi[j], digits, 1);
        int a = gr_cons_at_bound(c, j, x[j]);
        fprintf(f, ",\"active\":%s", a < 0 ? "\"lower\"" : a > 0 ? "\"upper\"" : "null");
        if (kkt) {
          fputs(",\"multiplier\":", f);
          gr_put_num(f, mult[c->m + j], digits, 1);
        }
        putc('}', f);
      }
      putc('}', f);
    }
    if (c && c->m) {
      fputs(",\"constraints\":[", f);
      for (int i = 0; i < c->m; i++) {
        double by;
        int s = con_state(&c->con[i], cv[i], l[i], rh[i], &by);
        fputs(i ? ",{\"constraint\":" : "{\"constraint\":", f);
        gr_json_str(f, m->subject[i]);
        fputs(",\"lhs\":", f);
        gr_put_num(f, l[i], digits, 1);
        fputs(",\"rhs\":", f);
        gr_put_num(f, rh[i], digits, 1);
        fputs(",\"residual\":", f);
        gr_put_num(f, l[i] - rh[i], digits, 1);
        fprintf(f, ",\"active\":%s,\"satisfied\":%s,\"violation\":", s == 1 ? "true" : "false",
                s == 2 ? "false" : "true");
        gr_put_num(f, by, digits, 1);
        if (kkt) {
          fputs(",\"multiplier\":", f);
          gr_put_num(f, mult[i], digits, 1);
        }
        putc('}', f);
      }
      putc(']', f);
    }
    if (kkt) {
      fputs(",\"kkt\":{\"residual\":", f);
      gr_put_num(f, kres, digits, 1);
      fprintf(f, ",\"met\":%s}", kkt_met ? "true" : "false");
    }
    if (m->restarts)
      fprintf(f, ",\"restarts\":{\"runs\":%ld,\"reached_best\":%ld}", r->runs, r->runs_best);
    free(cv);
    free(mult);
    return;
  }
  if (bounded) {
    fprintf(f, "%sbounds:\n", prefix);
    for (int j = 0; j < c->n; j++) {
      if (!isfinite(c->lo[j]) && !isfinite(c->hi[j]))
        continue;
      char lo[40], hi[40];
      fmt_bound(lo, c->lo[j]);
      fmt_bound(hi, c->hi[j]);
      int a = gr_cons_at_bound(c, j, x[j]);
      fprintf(f, "%s  %s in [%s, %s]%s", prefix, c->g->vars[c->param_var[j]], lo, hi,
              a < 0 ? ": at the lower bound (active" : a > 0 ? ": at the upper bound (active"
                                                        : "");
      if (a && kkt) {
        fputs(", multiplier ", f);
        put_mult(f, mult[c->m + j], gscale, digits);
      }
      fputs(a ? ")\n" : "\n", f);
    }
  }
  if (c && c->m) {
    fprintf(f, "%sconstraints (residual = lhs - rhs):\n", prefix);
    for (int i = 0; i < c->m; i++) {
      double by;
      int s = con_state(&c->con[i], cv[i], l[i], rh[i], &by);
      fprintf(f, "%s  %-16s lhs = ", prefix, m->subject[i]);
      gr_put_num(f, l[i], digits, 0);
      fputs(", rhs = ", f);
      gr_put_num(f, rh[i], digits, 0);
      /* a residual within rounding of the sides prints as 0 (JSON keeps every digit) */
      double res = l[i] - rh[i];
      if (fabs(res) <= 1e-12 * (1 + fmax(fabs(l[i]), fabs(rh[i]))))
        res = 0;
      fputs(", residual = ", f);
      gr_put_num(f, res, digits, 0);
      if (s == 2) {
        fputs(": VIOLATED by ", f);
        gr_put_num(f, by, digits ? digits : 6, 0);
        putc('\n', f);
      } else {
        fputs(s == 1 ? (c->con[i].eq ? ": satisfied" : ": active") : ": inactive", f);
        if (s == 1 && kkt) {
          fputs(", multiplier ", f);
          put_mult(f, mult[i], gscale, digits);
        }
        putc('\n', f);
      }
    }
  }
  if (kkt) {
    fprintf(f, "%sfirst-order (KKT) conditions: ", prefix);
    if (kkt_met)
      fputs("met (grad f + multipliers * grad g = 0 within 1e-5)\n", f);
    else if (neg >= 0) {
      fputs("NOT met: the multiplier of ", f);
      if (neg < c->m)
        fprintf(f, "'%s'", m->subject[neg]);
      else
        fprintf(f, "the bound of %s", c->g->vars[c->param_var[neg - c->m]]);
      fputs(" is negative (", f);
      gr_put_num(f, mult[neg], digits ? digits : 6, 0);
      fputs("): f decreases away from it, into the feasible region\n", f);
    } else {
      fputs("NOT met: |grad f + multipliers * grad g| = ", f);
      gr_put_num(f, kres, digits ? digits : 6, 0);
      fputs(" (a local method that stopped early, or a point that is not a minimum)\n", f);
    }
  }
  if (m->restarts)
    fprintf(f, "%srestarts: %ld run%s (the start and %ld random point%s), %ld reached the best f "
               "(within 1e-6 relative)\n", prefix, r->runs, r->runs == 1 ? "" : "s",
            r->runs - 1, r->runs == 2 ? "" : "s", r->runs_best);
  if (!conv && r->stop != GR_STOP_INTERRUPT && gr_method_is_nlopt((GrMethod)meth) &&
      gr_method_is_global((GrMethod)meth) && r->stop == GR_STOP_STEPS)
    fprintf(f, "%s(a global method runs until --steps evaluations; the result is the best point "
               "found, not a proven optimum)\n", prefix);
  free(cv);
  free(mult);
}

int min_cons_check(const MinCons *m, const double *x) {
  GrConstraints *c = m->c;
  int worst;
  if (!c || gr_cons_violation(c, x, &worst) <= GR_FEAS_TOL)
    return 0;
  if (worst < c->n) {
    char a[40], b[40];
    int up = x[worst] > c->hi[worst];
    gr_fmt(a, x[worst], 6);
    fmt_bound(b, up ? c->hi[worst] : c->lo[worst]);
    fprintf(stderr, "minimize: error: the result is infeasible: %s = %s is %s its %s bound %s\n",
            c->g->vars[c->param_var[worst]], a, up ? "above" : "below", up ? "upper" : "lower",
            b);
    return 1;
  }
  int i = worst - c->n;
  double *cv = gr_xcalloc(3 * (size_t)c->m, sizeof *cv), *l = cv + c->m, *r = l + c->m;
  gr_cons_eval(c, x, cv, l, r, -1, NULL);
  double by = c->con[i].eq ? fabs(cv[i]) : cv[i];
  char bb[40], lb[40], rb[40];
  gr_fmt(bb, by, 6);
  gr_fmt(lb, l[i], 6);
  gr_fmt(rb, r[i], 6);
  fprintf(stderr, "minimize: error: the result is infeasible: '%s' is violated by %s (lhs = %s, "
                  "rhs = %s); no feasible point was found\n", m->subject[i], bb, lb, rb);
  free(cv);
  return 1;
}

void min_cons_free(MinCons *m) {
  gr_cons_free(m->c);
  free(m->bounds);
  free(m->subject);
  free(m->src);
  memset(m, 0, sizeof *m);
}
