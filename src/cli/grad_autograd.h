/* SPDX-License-Identifier: GPL-3.0-or-later
 * grad's autograd extras: Jacobians of vector-valued or several outputs, --vjp, --jvp,
 * --mode, --stats, derivatives with respect to named intermediates (--wrt u, --wrt all),
 * which inputs require gradients, and the tape shown as text (--graph) or DOT (--dot).
 */
#ifndef GRAD_AUTOGRAD_H
#define GRAD_AUTOGRAD_H
#include "gradprog.h"

/* Parse the value of --mode; -1 if it is none of forward, reverse, auto. */
int grad_ag_parse_mode(const char *s, GradADMode *m);
/* Does this run need the autograd path instead of the plain gradient? t has values. */
int grad_ag_wanted(const GradCtx *c, const GrTape *t);
/* Report values and derivatives (or the graph) for a tape with values; the exit status. */
int grad_ag_run(GradCtx *c, GrTape *t);
/* JSON member ,"requires_grad":{"x":true,...} for the reported variables w[0..nw). */
void grad_ag_json_requires(const GradCtx *c, const int *w, int nw, FILE *f);

#endif
