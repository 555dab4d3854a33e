/* SPDX-License-Identifier: GPL-3.0-or-later
 * Bounds, constraints and global search with NLopt: constraints `lhs <= rhs`, `lhs >= rhs`
 * and `lhs = rhs` compiled to one tape (gradients by the same reverse sweep as the
 * objective) and the NLopt driver (gr_opt_nlopt); restarts from random points are in
 * optim_run.c. Library code: no printing. Without NLopt (no HAVE_NLOPT) everything
 * but the NLopt run itself still works, and that run fails with a usage diagnostic.
 */
#ifndef GR_OPTIM_NLOPT_H
#define GR_OPTIM_NLOPT_H
#include "optim.h"
#include "parse.h"

/* Nonzero when minimize was built with NLopt. */
int gr_nlopt_available(void);
/* The methods that take bounds (every NLopt method), inequality constraints, equality
 * constraints, and the global ones (which need finite bounds on every variable). */
int gr_method_takes_ineq(GrMethod m);
int gr_method_takes_eq(GrMethod m);
int gr_method_is_global(GrMethod m);

/* A constraint made from text. c is the function that is <= 0 (or = 0) when the constraint
 * holds: lhs - rhs for <=, < and =; rhs - lhs for >= and >. Nodes belong to g. po (NULL:
 * none) gives the names that are variables and the definitions of the objective, so that a
 * constraint can use them. GR_EUSAGE with a span into src when the text is not one
 * relation. */
typedef struct GrConstraintSrc {
  GrNode *c, *lhs, *rhs;
  int eq;
  const char *rel; /* "<=", ">=", "=" */
} GrConstraintSrc;
GrStatus gr_constraint_parse(GrGraph *g, const char *src, const GrParseOpts *po,
                             GrConstraintSrc *out, GrDiag *d);

/* Bounds and constraints of a problem over n parameters (param_var[j]: the graph variable of
 * parameter j; value[v]: the value of every other variable). The arrays are borrowed and
 * must outlive the set. lo/hi start at -inf/+inf. */
typedef struct GrConstraints {
  int n;
  double *lo, *hi;
  int m;                 /* constraints */
  GrConstraintSrc *con;
  GrGraph *g;
  const int *param_var;
  const double *value;
  struct GrTape *t;      /* outputs 3i, 3i+1, 3i+2: c_i, lhs_i, rhs_i */
  double tol;            /* feasibility tolerance passed to NLopt (absolute) */
} GrConstraints;

GrConstraints *gr_cons_new(GrGraph *g, int n, const int *param_var, const double *value);
void gr_cons_free(GrConstraints *c); /* NULL-safe */
void gr_cons_add(GrConstraints *c, const GrConstraintSrc *s);
/* Compile the constraints to a tape: GR_EUSAGE with the span of a vector-valued side. */
GrStatus gr_cons_compile(GrConstraints *c, GrDiag *d);
int gr_cons_has_bounds(const GrConstraints *c);
/* Constraint values at x: c[i] (<= 0 or = 0 when it holds), lhs[i], rhs[i] (any may be
 * NULL). With eq >= 0 and J != NULL, also the gradients of the constraints whose eq flag
 * is eq, one row of n per such constraint, in order. */
void gr_cons_eval(GrConstraints *c, const double *x, double *cv, double *lhs, double *rhs,
                  int eq, double *J);
/* How far x is from feasible, scaled: the largest violation of a bound or a constraint
 * divided by 1 + the size of its sides; 0 when feasible. *worst: -1 none, j < n the
 * bound of parameter j, n + i constraint i. */
double gr_cons_violation(GrConstraints *c, const double *x, int *worst);
/* The feasibility tolerance of gr_cons_violation that reports and exit statuses use. */
#define GR_FEAS_TOL 1e-6

/* -1: x is at the lower bound of parameter j, 1: at the upper, 0: neither (within 1e-9
 * relative). */
int gr_cons_at_bound(const GrConstraints *c, int j, double x);
/* First-order (KKT) check at x, gf = grad f there. The active set is the bounds x is at,
 * the inequalities within GR_FEAS_TOL of their bound and every equality; their multipliers
 * come from the least-squares solution of grad f + sum mult_i grad g_i = 0 with each
 * constraint as g_i <= 0 (lhs - rhs, rhs - lhs for >=; lo - x and x - hi for bounds), so
 * at a minimum an inequality's multiplier is >= 0. mult: m constraint multipliers, then n
 * bound multipliers (0 when not active). Returns |grad f + sum mult_i grad g_i|. */
double gr_cons_kkt(GrConstraints *c, const double *x, const double *gf, double *mult);

/* Parse one NAME=LO:HI item of --bounds (LO or HI empty or +-inf: no bound). */
GrStatus gr_bound_parse(const char *item, char **name, double *lo, double *hi, GrDiag *d);

#endif
