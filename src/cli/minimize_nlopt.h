/* SPDX-License-Identifier: GPL-3.0-or-later
 * The minimize program's bounds, constraints and restarts: the --bounds, --subject-to and
 * --restarts options, the choice of an NLopt method, the start moved inside the bounds, the
 * report lines and the infeasibility error. Functions returning int return an exit status
 * (0: go on) after printing any error.
 */
#ifndef MINIMIZE_NLOPT_H
#define MINIMIZE_NLOPT_H
#include "cliutil.h"
#include "optim_nlopt.h"
#include <stdio.h>

typedef struct MinCons {
  const char **bounds, **subject; /* the option arguments, in order */
  int nbounds, nsubject;
  long restarts;                  /* 0: none */
  GrConstraintSrc *src;           /* parsed --subject-to, one per nsubject */
  GrConstraints *c;               /* NULL until min_cons_setup */
} MinCons;

enum { MIN_CONS_BOUNDS, MIN_CONS_SUBJECT_TO, MIN_CONS_RESTARTS };
/* One option: which is MIN_CONS_BOUNDS, ... */
int min_cons_opt(MinCons *m, int which, const char *arg);
/* Parse the --subject-to texts into g (before the variables are sorted, so that a variable
 * used only by a constraint is an unknown too). po: the objective's (variables and the
 * definitions its text made). */
int min_cons_parse(MinCons *m, GrGraph *g, const GrParseOpts *po);
/* After the variables are sorted and the start x is set: the bounds, the constraint tape,
 * and the start moved inside the bounds (a note when --from put it outside). */
int min_cons_setup(MinCons *m, GrGraph *g, int nparam, const int *param_var,
                   const double *value, const int *data_col, const GrBindList *from,
                   const GrBindList *fix, double *x);
/* The method: given (name, or NULL for the default *meth) or chosen for the bounds and
 * constraints (slsqp with constraints, lbfgs with bounds only); checks that it can take
 * them and that NLopt is there. */
int min_cons_method(const MinCons *m, const char *given, int *meth);
/* Something for the report: bounds, constraints, restarts or an NLopt method. */
/* Whether a run that min_cons_any() claims converged (stop rule and feasibility). */
int min_cons_converged(const MinCons *m, const double *x, const GrOptResult *r);
int min_cons_any(const MinCons *m, int meth);
/* The report's part: JSON members (",\"bounds\":..." before the closing brace) or text
 * lines, each starting with prefix: bounds and constraints with their state and, at a
 * feasible point, their Lagrange multipliers and whether the first-order (KKT) conditions
 * hold. */
void min_cons_report(const MinCons *m, const GrObjective *obj, int meth, const double *x,
                     const GrOptResult *r, int digits, int json, const char *prefix);
/* Exit status 1 with an error naming the violated bound or constraint, else 0. */
int min_cons_check(const MinCons *m, const double *x);
void min_cons_free(MinCons *m); /* the option lists and the constraint set */

#endif
