/* SPDX-License-Identifier: GPL-3.0-or-later
 * What every mode of grad shares (gradprog.h): loading the expressions into a GradCtx,
 * their sources for carets, warnings of kinks and non-finite numbers, the exit status of
 * numeric trouble, the point and vectors in the output formats. The modes (grad.c,
 * grad_autograd.c, grad_symbolic.c, grad_table.c) use this file; it uses none of them.
 */
#include "gradprog.h"
#include "num.h"
#include "print.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "grad: error: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'grad --help' for more information.\n");
  return 2;
}

const char *grad_src_of(const GradCtx *c, const GrNode *n) {
  for (int i = 0; i < c->nout; i++) {
    size_t L = strlen(c->srcs[i]);
    if (n->len && n->off + n->len <= L) {
      /* the node's span must lie in this source: the graph is shared, so check that the
       * node is reachable from this output */
      unsigned char *m = gr_reachable(c->g, &c->outs[i], 1);
      int in = n->id < c->g->count && m[n->id];
      free(m);
      if (in)
        return c->srcs[i];
    }
  }
  return NULL;
}

int grad_load(GradCtx *c, GradOpts *o, int require_values) {
  memset(c, 0, sizeof *c);
  c->o = o;
  c->g = gr_graph_new();
  if (o->nexprs == 0)
    return usage_error("%s", "no expression given (try: grad 'x^2+3x+2' --at x=3.6)");
  /* the sources: the arguments, and the text of '-' (standard input), whose lines are
   * separate expressions (several outputs, as if each were an argument) */
  int nsrc = 0, from_stdin = -1, nlines = 0;
  char **lines = NULL;
  char *stdin_text = NULL;
  for (int i = 0; i < o->nexprs; i++) {
    if (strcmp(o->exprs[i], "-"))
      continue;
    if (from_stdin >= 0) {
      gr_free_list(lines);
      free(stdin_text);
      return usage_error("%s", "'-' (read the expression from stdin) may be given once");
    }
    from_stdin = i;
    GrDiag d;
    if (gr_read_text("-", &stdin_text, &d) != GR_OK) {
      gr_diag_render(stderr, "grad", &d, NULL);
      return d.status;
    }
    lines = gr_split_lines(stdin_text, &nlines);
  }
  nsrc = o->nexprs + (lines ? nlines - 1 : 0);
  c->outs = gr_xcalloc((size_t)nsrc, sizeof *c->outs);
  c->parsed = gr_xcalloc((size_t)nsrc, sizeof *c->parsed);
  c->srcs = gr_xcalloc((size_t)nsrc + 1, sizeof *c->srcs);
  for (int i = 0, k = 0; i < o->nexprs; i++)
    if (i != from_stdin)
      c->srcs[k++] = gr_xstrdup(o->exprs[i]);
    else if (!lines)
      c->srcs[k++] = stdin_text;
    else {
      for (int j = 0; j < nlines; j++)
        c->srcs[k++] = lines[j];
      free(lines);
      free(stdin_text);
    }
  /* names given a value (--at) or a derivative (--wrt) are variables, even e and pi */
  const char **vars = gr_xcalloc((size_t)o->at.n + (size_t)o->nwrt + 1, sizeof *vars);
  int nv = 0;
  for (int i = 0; i < o->at.n; i++)
    vars[nv++] = o->at.b[i].name;
  for (int i = 0; i < o->nwrt; i++)
    if (strcmp(o->wrt[i], "all") && !gr_op_is_function(o->wrt[i]))
      vars[nv++] = o->wrt[i];
  GrParseOpts po = {vars, &c->env, 0};
  for (int i = 0; i < nsrc; i++) {
    GrDiag d;
    /* text from stdin may carry '#' comments */
    po.comments = from_stdin >= 0 && i >= from_stdin && i < from_stdin + (nsrc - o->nexprs) + 1;
    if (gr_parse(c->g, c->srcs[i], &po, &c->parsed[i], &d) != GR_OK) {
      gr_diag_render(stderr, "grad", &d, c->srcs[i]);
      free(vars);
      c->nout = i;
      for (int k = i + 1; k < nsrc; k++) {
        free(c->srcs[k]); /* grad_ctx_free frees the one that failed */
        c->srcs[k] = NULL;
      }
      return d.status;
    }
    c->outs[i] = c->parsed[i].out;
    c->nout = i + 1;
  }
  /* the definitions are only for the sources after them: gone before the tape is built
   * (a program of many statements keeps one a statement) */
  gr_env_free(&c->env);
  free(vars);
  c->var_len = gr_xcalloc((size_t)c->g->nvars + 1, sizeof *c->var_len);
  /* every variable needs a value: list all that lack one */
  GrBuf miss = {0};
  int nmiss = 0;
  const char *first_missing = NULL;
  for (int v = 0; v < c->g->nvars; v++) {
    const GrBind *b = gr_binds_find(&o->at, c->g->vars[v]);
    if (b)
      c->var_len[v] = b->n;
    else {
      c->var_len[v] = 1;
      gr_buf_printf(&miss, "%s%s", nmiss ? ", " : "", c->g->vars[v]);
      if (!first_missing)
        first_missing = c->g->vars[v];
      nmiss++;
    }
  }
  if (nmiss && require_values) {
    fprintf(stderr, "grad: error: no value for %s %s (give %s with --at, e.g. --at %s=1)\n",
            nmiss == 1 ? "variable" : "variables", miss.s, nmiss == 1 ? "it" : "them",
            first_missing);
    for (int v = 0; v < c->g->nvars; v++) {
      const char *nm = c->g->vars[v];
      if (!gr_binds_find(&o->at, nm) && strlen(nm) == 2 && isalpha((unsigned char)nm[0]) &&
          isalpha((unsigned char)nm[1]))
        fprintf(stderr, "note: '%s' is one name; for a product write %c*%c or %c %c\n", nm, nm[0],
                nm[1], nm[0], nm[1]);
    }
    gr_buf_free(&miss);
    return 2;
  }
  gr_buf_free(&miss);
  return 0;
}

void grad_ctx_free(GradCtx *c) {
  for (int i = 0; i < c->nout; i++)
    free(c->srcs[i]);
  if (c->srcs)
    free(c->srcs[c->nout]); /* the one that failed to parse, or NULL */
  free(c->srcs);
  free(c->outs);
  free(c->parsed);
  free(c->var_len);
  gr_env_free(&c->env);
  gr_graph_free(c->g);
}

void grad_warn_issue(const GradCtx *c, const GrTapeIssue *is) {
  char *s = gr_print_str(is->node);
  char w[40];
  gr_fmt(w, is->where, 0);
  const char *src = grad_src_of(c, is->node);
  int op = is->node->op;
  if (is->kind == 0 && (op == GR_OP_LT || op == GR_OP_LE || op == GR_OP_GT || op == GR_OP_GE))
    gr_warn_span(stderr, "grad", src, is->node->off, is->node->len,
                 "the point is on a branch boundary: %s with both sides = %s; the derivative "
                 "is that of the branch taken", s, w);
  else if (is->kind == 0)
    gr_warn_span(stderr, "grad", src, is->node->off, is->node->len,
                 "derivative of %s taken at a kink or jump (argument = %s)", s, w);
  else if (is->kind == 1)
    gr_warn_span(stderr, "grad", src, is->node->off, is->node->len,
                 "derivative through %s is not finite (argument = %s)", s, w);
  else
    gr_warn_span(stderr, "grad", src, is->node->off, is->node->len,
                 "the value of %s is %s", s, w);
  free(s);
}

void grad_warn_issues(const GradCtx *c, const GrTape *t) {
  GrTapeIssue is[16];
  size_t n = gr_tape_issues(t, is, 16);
  for (size_t i = 0; i < n; i++)
    grad_warn_issue(c, &is[i]);
}

void grad_put_vec(FILE *f, const double *v, size_t n, int vector, int digits, int json) {
  if (n == 1 && !vector) {
    gr_put_num(f, v[0], digits, json);
    return;
  }
  fputc('[', f);
  for (size_t i = 0; i < n; i++) {
    if (i)
      fputs(json ? "," : ", ", f);
    gr_put_num(f, v[i], digits, json);
  }
  fputc(']', f);
}

void grad_json_at(const GradCtx *c, FILE *f) {
  fputs("{", f);
  int first = 1;
  for (int v = 0; v < c->g->nvars; v++) {
    const GrBind *b = gr_binds_find(&c->o->at, c->g->vars[v]);
    if (!b)
      continue;
    if (!first)
      fputc(',', f);
    first = 0;
    gr_json_str(f, c->g->vars[v]);
    fputc(':', f);
    grad_put_vec(f, b->v, b->n, b->vector, c->o->digits, 1);
  }
  fputs("}", f);
}

int *grad_wrt_vars(const GradCtx *c, int *n, int *status) {
  int *v = gr_xmalloc(((size_t)c->g->nvars + 1) * sizeof *v);
  *n = 0;
  *status = 0;
  if (!c->o->wrt) {
    for (int i = 0; i < c->g->nvars; i++)
      v[(*n)++] = i;
    return v;
  }
  for (int i = 0; i < c->o->nwrt; i++) {
    const char *w = c->o->wrt[i];
    if (!strcmp(w, "all")) {
      for (int k = 0; k < c->g->nvars; k++)
        v[(*n)++] = k;
      continue;
    }
    int k = gr_var_index(c->g, w);
    if (k < 0) {
      fprintf(stderr, "grad: error: --wrt names '%s', which is not a variable of the expression", w);
      if (c->g->nvars) {
        fprintf(stderr, " (variables:");
        for (int j = 0; j < c->g->nvars; j++)
          fprintf(stderr, " %s", c->g->vars[j]);
        fprintf(stderr, ")");
      }
      fputc('\n', stderr);
      *status = 2;
      free(v);
      return NULL;
    }
    int dup = 0;
    for (int j = 0; j < *n; j++)
      dup |= v[j] == k;
    if (!dup)
      v[(*n)++] = k;
  }
  return v;
}

size_t grad_note(GradCtx *c, const double *v, size_t n) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++)
    bad += !isfinite(v[i]);
  c->nonfinite += bad;
  return bad;
}

int grad_exit_status(GradCtx *c, int st) {
  if (!c->nonfinite || (st && st != 1)) /* a usage or I/O error says more */
    return st;
  if (!c->nonfinite_warned) {
    fflush(stdout);
    fprintf(stderr, "grad: warning: the result is not finite (nan or inf)\n");
  }
  return 1;
}

void grad_tape_set_at(const GradCtx *c, GrTape *t) {
  for (int v = 0; v < c->g->nvars; v++) {
    double *x = gr_tape_var(t, v);
    const GrBind *b = gr_binds_find(&c->o->at, c->g->vars[v]);
    if (x && b)
      memcpy(x, b->v, b->n * sizeof *x);
  }
}
