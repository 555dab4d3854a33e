/* SPDX-License-Identifier: GPL-3.0-or-later
 * grad's autograd extras (see grad_autograd.h). The numbers come from jacobian.c over the
 * tape grad_point compiled; this file resolves names, chooses the mode and prints. Rows of
 * a Jacobian are output elements (f, f[0], f1[2]: 0-based like PyTorch), columns the
 * elements of the --wrt entries (variables, then intermediates in the order asked).
 */
#include "grad_autograd.h"
#include "jacobian.h"
#include "num.h"
#include "print.h"
#include <stdlib.h>
#include <string.h>

typedef struct Wrt {
  GrJacCol col;
  const char *name;
  int vector;
} Wrt;

int grad_ag_parse_mode(const char *s, GradADMode *m) {
  if (!strcmp(s, "auto"))
    *m = MODE_AUTO;
  else if (!strcmp(s, "forward"))
    *m = MODE_FORWARD;
  else if (!strcmp(s, "reverse"))
    *m = MODE_REVERSE;
  else
    return -1;
  return 0;
}

static int is_output(const GradCtx *c, const GrNode *n) {
  for (int k = 0; k < c->nout; k++)
    if (c->outs[k] == n)
      return 1;
  return 0;
}

/* The named intermediate `name` (its last definition), or NULL. Outputs are not
 * intermediates: d f / d f is 1. */
static const GrNode *find_let(const GradCtx *c, const char *name) {
  const GrNode *best = NULL;
  for (size_t i = 0; i < c->g->count; i++) {
    const GrNode *n = gr_graph_node(c->g, i);
    if (n->op == GR_OP_LET && n->name && !strcmp(n->name, name) && !is_output(c, n))
      best = n;
  }
  return best;
}

/* Named intermediates the outputs use, by name (last definition of each), in order. */
static size_t tape_lets(const GradCtx *c, const GrTape *t, const GrNode **out) {
  size_t n = 0;
  for (size_t s = 0; s < t->n; s++) {
    const GrNode *nd = gr_tape_node(t, s);
    if (nd->op != GR_OP_LET || !nd->name || is_output(c, nd) || find_let(c, nd->name) != nd)
      continue;
    out[n++] = nd;
  }
  return n;
}

static void add_var(const GradCtx *c, Wrt *w, size_t *n, int v) {
  for (size_t j = 0; j < *n; j++)
    if (w[j].col.var == v)
      return;
  const GrBind *b = gr_binds_find(&c->o->at, c->g->vars[v]);
  w[*n].col.var = v;
  w[*n].col.node = NULL;
  w[*n].col.len = c->var_len[v];
  w[*n].name = c->g->vars[v];
  w[*n].vector = b && b->vector;
  (*n)++;
}

static void add_let(const GrTape *t, Wrt *w, size_t *n, const GrNode *nd) {
  for (size_t j = 0; j < *n; j++)
    if (w[j].col.node == nd)
      return;
  long s = gr_tape_slot(t, nd);
  w[*n].col.var = -1;
  w[*n].col.node = nd;
  w[*n].col.len = s < 0 ? 1 : gr_tape_len(t, s);
  w[*n].name = nd->name;
  w[*n].vector = w[*n].col.len > 1;
  (*n)++;
}

/* The --wrt entries: variables and named intermediates (NULL and *st = 2 on an unknown name). */
static Wrt *resolve_wrt(const GradCtx *c, const GrTape *t, size_t *n, int *st) {
  const GradOpts *o = c->o;
  const GrNode **lets = gr_xcalloc(t->n + 1, sizeof *lets);
  size_t nlets = tape_lets(c, t, lets);
  Wrt *w = gr_xcalloc((size_t)c->g->nvars + nlets + (size_t)o->nwrt + 1, sizeof *w);
  *n = 0;
  *st = 0;
  if (!o->wrt)
    for (int v = 0; v < c->g->nvars; v++)
      add_var(c, w, n, v);
  for (int i = 0; i < o->nwrt; i++) {
    const char *name = o->wrt[i];
    if (!strcmp(name, "all")) {
      for (int v = 0; v < c->g->nvars; v++)
        add_var(c, w, n, v);
      for (size_t j = 0; j < nlets; j++)
        add_let(t, w, n, lets[j]);
      continue;
    }
    int v = gr_var_index(c->g, name);
    const GrNode *nd = v < 0 ? find_let(c, name) : NULL;
    if (v >= 0)
      add_var(c, w, n, v);
    else if (nd)
      add_let(t, w, n, nd);
    else {
      fprintf(stderr, "grad: error: --wrt names '%s', which is neither a variable nor a named "
                      "intermediate of the expression", name);
      if (c->g->nvars) {
        fprintf(stderr, " (variables:");
        for (int j = 0; j < c->g->nvars; j++)
          fprintf(stderr, " %s", c->g->vars[j]);
        fprintf(stderr, nlets ? ";" : ")");
      }
      if (nlets) {
        fprintf(stderr, "%sintermediates:", c->g->nvars ? " " : " (");
        for (size_t j = 0; j < nlets; j++)
          fprintf(stderr, " %s", lets[j]->name);
        fprintf(stderr, ")");
      }
      fputc('\n', stderr);
      free(lets);
      free(w);
      *st = 2;
      return NULL;
    }
  }
  free(lets);
  return w;
}

int grad_ag_wanted(const GradCtx *c, const GrTape *t) {
  const GradOpts *o = c->o;
  if (o->graph || o->dot || o->vjp || o->jvp)
    return 1;
  if (o->no_grad)
    return 0;
  if (o->mode != MODE_AUTO || o->stats)
    return 1;
  for (size_t k = 0; k < t->nout; k++)
    if (gr_tape_out_len(t, k) > 1)
      return 1;
  if (c->nout > 1 && o->format != FMT_TSV)
    return 1;
  for (int i = 0; i < o->nwrt; i++) {
    if (!strcmp(o->wrt[i], "all")) {
      const GrNode **lets = gr_xcalloc(t->n + 1, sizeof *lets);
      size_t nl = tape_lets(c, t, lets);
      free(lets);
      if (nl)
        return 1;
    } else if (gr_var_index(c->g, o->wrt[i]) < 0)
      return 1; /* an intermediate, or an unknown name that resolve_wrt reports */
  }
  return 0;
}

static void json_requires(const GradCtx *c, const Wrt *w, size_t nw, FILE *f) {
  fputs(",\"requires_grad\":{", f);
  for (int v = 0; v < c->g->nvars; v++) {
    int rg = 0;
    /* u.retain_grad() needs the inputs under u to require grad */
    for (size_t j = 0; j < nw; j++)
      rg |= w[j].col.var == v ||
            (w[j].col.var < 0 && gr_depends(c->g, (GrNode *)w[j].col.node, v));
    if (v)
      fputc(',', f);
    gr_json_str(f, c->g->vars[v]);
    fputs(rg && !c->o->no_grad ? ":true" : ":false", f);
  }
  fputc('}', f);
}

void grad_ag_json_requires(const GradCtx *c, const int *w, int nw, FILE *f) {
  Wrt *ww = gr_xcalloc((size_t)nw + 1, sizeof *ww);
  for (int j = 0; j < nw; j++)
    ww[j].col.var = w[j];
  json_requires(c, ww, (size_t)nw, f);
  free(ww);
}

/* "f", "f2", with "[i]" for an element of a vector output */
static void row_label(char *buf, size_t cap, const GradCtx *c, const GrTape *t, size_t k, size_t i) {
  int n = snprintf(buf, cap, c->nout > 1 ? "f%zu" : "f", k + 1);
  if (gr_tape_out_len(t, k) > 1 && n >= 0 && (size_t)n < cap)
    snprintf(buf + n, cap - (size_t)n, "[%zu]", i);
}

static int usage(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "grad: error: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\nTry 'grad --help' for more information.\n");
  return 2;
}

/* --vjp v1,v2,...: constant expressions, one per output element. */
static int parse_vjp(const char *text, size_t R, double **out) {
  int n;
  GrDiag ld;
  if (gr_list_check(text, &ld) != GR_OK) {
    gr_diag_render(stderr, "grad", &ld, text);
    fprintf(stderr, "  (in --vjp)\n");
    return 2;
  }
  char **items = gr_split_list(text, &n);
  if ((size_t)n != R) {
    char have[32], want[32];
    snprintf(have, sizeof have, "%d", n);
    snprintf(want, sizeof want, "%zu", R);
    gr_free_list(items);
    return usage("--vjp gives %s values; the outputs have %s elements (one value per element)",
                 have, want);
  }
  double *v = gr_xcalloc(R + 1, sizeof *v);
  for (int i = 0; i < n; i++) {
    GrDiag d;
    if (gr_eval_const(items[i], &v[i], &d) != GR_OK) {
      gr_diag_render(stderr, "grad", &d, items[i]);
      fprintf(stderr, "  (in --vjp)\n");
      gr_free_list(items);
      free(v);
      return 2;
    }
  }
  gr_free_list(items);
  *out = v;
  return 0;
}

/* --jvp x=1,y=0: a direction per variable (absent: 0; one value fills a vector). */
static int parse_jvp(const GradCtx *c, const GrTape *t, double ***dirp) {
  GrBindList l = {0};
  GrDiag d;
  if (gr_binds_parse(&l, c->o->jvp, &d) != GR_OK) {
    gr_diag_render(stderr, "grad", &d, c->o->jvp);
    fprintf(stderr, "  (in --jvp)\n");
    gr_binds_free(&l);
    return 2;
  }
  double **dir = gr_xcalloc((size_t)c->g->nvars + 1, sizeof *dir);
  int st = 0;
  for (int i = 0; i < l.n && !st; i++) {
    int v = gr_var_index(c->g, l.b[i].name);
    if (v < 0) {
      st = usage("--jvp names '%s', which is not a variable of the expression%s", l.b[i].name, "");
      break;
    }
    size_t L = c->var_len[v];
    if (l.b[i].n != L && l.b[i].n != 1) {
      char m[64];
      snprintf(m, sizeof m, " has %zu elements; the direction has %zu", L, l.b[i].n);
      st = usage("in --jvp: '%s'%s (give one value or one per element)", l.b[i].name, m);
      break;
    }
    free(dir[v]);
    dir[v] = gr_xcalloc(L, sizeof *dir[v]);
    for (size_t e = 0; e < L; e++)
      dir[v][e] = l.b[i].v[l.b[i].n == 1 ? 0 : e];
  }
  gr_binds_free(&l);
  if (st) {
    for (int v = 0; v < c->g->nvars; v++)
      free(dir[v]);
    free(dir);
    return st;
  }
  (void)t;
  *dirp = dir;
  return 0;
}

static int all_finite(const double *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i]))
      return 0;
  return 1;
}

static int graph_out(GradCtx *c, GrTape *t);

int grad_ag_run(GradCtx *c, GrTape *t) {
  GradOpts *o = c->o;
  if (o->no_grad && (o->vjp || o->jvp))
    return usage("--no-grad cannot be combined with %s%s", o->vjp ? "--vjp" : "--jvp", "");
  if (o->graph || o->dot)
    return graph_out(c, t);
  size_t nw;
  int st;
  Wrt *w = resolve_wrt(c, t, &nw, &st);
  if (!w)
    return st;
  GrJacCol *cols = gr_xcalloc(nw + 1, sizeof *cols);
  size_t nvar_el = 0, nlet = 0;
  for (size_t j = 0; j < nw; j++) {
    cols[j] = w[j].col;
    if (cols[j].var >= 0)
      nvar_el += cols[j].len;
    else
      nlet++;
  }
  size_t R = gr_jac_rows(t), C = gr_jac_cols(cols, nw);
  size_t *roff = gr_xcalloc(t->nout + 1, sizeof *roff);
  for (size_t k = 0; k < t->nout; k++)
    roff[k + 1] = roff[k] + gr_tape_out_len(t, k);
  double *vjp_v = NULL, *vjp = NULL, *jvp = NULL, *J = NULL, **dir = NULL;
  int forward = 0;
  const char *how = NULL;
  if (o->vjp && (st = parse_vjp(o->vjp, R, &vjp_v)))
    goto done;
  if (o->jvp && (st = parse_jvp(c, t, &dir)))
    goto done;
  for (size_t k = 0; k < t->nout; k++)
    grad_note(c, gr_tape_out(t, k), gr_tape_out_len(t, k));
  if (vjp_v) {
    vjp = gr_xcalloc(C + 1, sizeof *vjp);
    gr_vjp(t, vjp_v, cols, nw, vjp);
    grad_note(c, vjp, C);
  }
  if (dir) {
    jvp = gr_xcalloc(R + 1, sizeof *jvp);
    gr_jvp(t, (const double *const *)dir, jvp);
    grad_note(c, jvp, R);
  }
  if (!vjp_v && !dir) {
    /* auto: forward mode costs one sweep per input element, reverse one per output
     * element; intermediates need reverse sweeps anyway */
    forward = o->mode == MODE_FORWARD || (o->mode == MODE_AUTO && !nlet && nvar_el < R);
    J = gr_xcalloc(R * C + 1, sizeof *J);
    gr_jacobian(t, cols, nw, forward, J);
    grad_note(c, J, R * C);
    how = forward ? (nlet ? "forward mode (intermediates: reverse)" : "forward mode") : "reverse mode";
  }
  size_t sweeps = t->sweeps;
  /* where did a non-finite derivative start? The adjoints on the tape are those of the last
   * row; sweep again from the first bad row (not counted in --stats) so the warning
   * points at the op */
  for (size_t k = 0, r = 0; J && k < t->nout; k++)
    for (size_t i = 0; i < gr_tape_out_len(t, k); i++, r++)
      if (!all_finite(J + r * C, C)) {
        double *seed = gr_xcalloc(gr_tape_out_len(t, k), sizeof *seed);
        seed[i] = 1;
        gr_tape_reverse(t, k, seed);
        free(seed);
        k = t->nout - 1;
        break;
      }
  grad_warn_issues(c, t);

  FILE *f = stdout;
  char lab[64];
  int json = o->format == FMT_JSON, multi = c->nout > 1;
  if (json) {
    fputs("{\"at\":", f);
    grad_json_at(c, f);
    fputs(",\"value\":", f);
    if (multi)
      fputc('[', f);
    for (size_t k = 0; k < t->nout; k++) {
      if (k)
        fputc(',', f);
      grad_put_vec(f, gr_tape_out(t, k), gr_tape_out_len(t, k), 0, o->digits, 1);
    }
    if (multi)
      fputc(']', f);
    json_requires(c, w, nw, f);
    if (nlet) {
      fputs(",\"intermediates\":[", f);
      int first = 1;
      for (size_t j = 0; j < nw; j++)
        if (w[j].col.var < 0) {
          fputs(first ? "" : ",", f);
          first = 0;
          gr_json_str(f, w[j].name);
        }
      fputc(']', f);
    }
    if (J) {
      int rows = R > 1 || multi;
      if (rows) {
        fputs(",\"rows\":[", f);
        for (size_t k = 0, r = 0; k < t->nout; k++)
          for (size_t i = 0; i < gr_tape_out_len(t, k); i++, r++) {
            row_label(lab, sizeof lab, c, t, k, i);
            fputs(r ? "," : "", f);
            gr_json_str(f, lab);
          }
        fputc(']', f);
      }
      fputs(rows ? ",\"jacobian\":[" : ",\"gradient\":", f);
      for (size_t r = 0; r < R; r++) {
        fputs(r ? ",{" : "{", f);
        for (size_t j = 0, off = 0; j < nw; off += w[j].col.len, j++) {
          fputs(j ? "," : "", f);
          gr_json_str(f, w[j].name);
          fputc(':', f);
          grad_put_vec(f, J + r * C + off, w[j].col.len, w[j].vector, o->digits, 1);
        }
        fputc('}', f);
      }
      if (rows)
        fputc(']', f);
    }
    if (vjp) {
      fputs(",\"vjp\":{", f);
      for (size_t j = 0, off = 0; j < nw; off += w[j].col.len, j++) {
        fputs(j ? "," : "", f);
        gr_json_str(f, w[j].name);
        fputc(':', f);
        grad_put_vec(f, vjp + off, w[j].col.len, w[j].vector, o->digits, 1);
      }
      fputc('}', f);
    }
    if (jvp) {
      fputs(",\"jvp\":", f);
      if (multi)
        fputc('[', f);
      for (size_t k = 0; k < t->nout; k++) {
        fputs(k ? "," : "", f);
        grad_put_vec(f, jvp + roff[k], gr_tape_out_len(t, k), 0, o->digits, 1);
      }
      if (multi)
        fputc(']', f);
    }
    if (o->stats) {
      fputs(",\"stats\":{\"mode\":", f);
      gr_json_str(f, J ? (forward ? "forward" : "reverse") : vjp && jvp ? "both" : vjp ? "reverse" : "forward");
      fprintf(f, ",\"sweeps\":%zu,\"outputs\":%zu,\"inputs\":%zu}", sweeps, R, nvar_el);
    }
    fputs("}\n", f);
  } else if (o->format == FMT_TSV) {
    if (J) {
      fputs("# output\tvalue", f);
      for (size_t j = 0; j < nw; j++)
        for (size_t e = 0; e < w[j].col.len; e++)
          if (w[j].vector)
            fprintf(f, "\td/d%s[%zu]", w[j].name, e);
          else
            fprintf(f, "\td/d%s", w[j].name);
      fputc('\n', f);
    } else if (jvp)
      fputs("# output\tvalue\tjvp\n", f);
    for (size_t k = 0, r = 0; k < t->nout && (J || jvp); k++)
      for (size_t i = 0; i < gr_tape_out_len(t, k); i++, r++) {
        row_label(lab, sizeof lab, c, t, k, i);
        fputs(lab, f);
        fputc('\t', f);
        gr_put_num(f, gr_tape_out(t, k)[i], o->digits, 0);
        if (J)
          for (size_t e = 0; e < C; e++) {
            fputc('\t', f);
            gr_put_num(f, J[r * C + e], o->digits, 0);
          }
        if (jvp && !J) {
          fputc('\t', f);
          gr_put_num(f, jvp[r], o->digits, 0);
        }
        fputc('\n', f);
      }
    if (vjp) {
      fputs("# input\tvjp\n", f);
      for (size_t j = 0, off = 0; j < nw; off += w[j].col.len, j++)
        for (size_t e = 0; e < w[j].col.len; e++) {
          if (w[j].vector)
            fprintf(f, "%s[%zu]\t", w[j].name, e);
          else
            fprintf(f, "%s\t", w[j].name);
          gr_put_num(f, vjp[off + e], o->digits, 0);
          fputc('\n', f);
        }
    }
  } else {
    for (size_t k = 0, r = 0; k < t->nout; k++) {
      row_label(lab, sizeof lab, c, t, k, 0);
      if (gr_tape_out_len(t, k) > 1)
        *strchr(lab, '[') = 0;
      fprintf(f, "%s = ", lab);
      grad_put_vec(f, gr_tape_out(t, k), gr_tape_out_len(t, k), 0, o->digits, 0);
      fputc('\n', f);
      for (size_t i = 0; J && i < gr_tape_out_len(t, k); i++, r++) {
        row_label(lab, sizeof lab, c, t, k, i);
        for (size_t j = 0, off = 0; j < nw; off += w[j].col.len, j++) {
          fprintf(f, "d%s/d%s = ", lab, w[j].name);
          grad_put_vec(f, J + r * C + off, w[j].col.len, w[j].vector, o->digits, 0);
          fputc('\n', f);
        }
      }
      if (jvp) {
        row_label(lab, sizeof lab, c, t, k, 0);
        if (gr_tape_out_len(t, k) > 1)
          *strchr(lab, '[') = 0;
        fprintf(f, "d%s.v = ", lab);
        grad_put_vec(f, jvp + roff[k], gr_tape_out_len(t, k), 0, o->digits, 0);
        fputc('\n', f);
      }
    }
    for (size_t j = 0, off = 0; vjp && j < nw; off += w[j].col.len, j++) {
      fprintf(f, "d(v.f)/d%s = ", w[j].name);
      grad_put_vec(f, vjp + off, w[j].col.len, w[j].vector, o->digits, 0);
      fputc('\n', f);
    }
  }
  if (o->stats && !json) {
    fflush(f);
    if (J)
      fprintf(stderr, "grad: stats: %zu x %zu Jacobian by %s: %zu tape sweep%s\n", R, C, how,
              sweeps, sweeps == 1 ? "" : "s");
    else
      fprintf(stderr, "grad: stats: %s%s%s: %zu tape sweep%s\n", vjp ? "vjp by reverse mode" : "",
              vjp && jvp ? ", " : "", jvp ? "jvp by forward mode" : "", sweeps,
              sweeps == 1 ? "" : "s");
  }
done:
  if (dir)
    for (int v = 0; v < c->g->nvars; v++)
      free(dir[v]);
  free(dir);
  free(vjp_v);
  free(vjp);
  free(jvp);
  free(J);
  free(roff);
  free(cols);
  free(w);
  return st;
}

/* ---- the tape shown: --graph (text) and --dot (Graphviz) ---- */

/* Comparisons and logic carry no gradient: like PyTorch, their results do not require it. */
static int blocks_grad(int op) {
  switch (op) {
  case GR_OP_CONST:
  case GR_OP_DETACH:
  case GR_OP_EQ:
  case GR_OP_NE:
  case GR_OP_LT:
  case GR_OP_LE:
  case GR_OP_GT:
  case GR_OP_GE:
  case GR_OP_AND:
  case GR_OP_OR:
  case GR_OP_NOT:
    return 1;
  default:
    return 0;
  }
}

static void put_block(GrBuf *b, const double *v, size_t n, int digits, size_t max) {
  char s[40];
  if (n == 1) {
    gr_fmt(s, v[0], digits);
    gr_buf_puts(b, s);
    return;
  }
  gr_buf_puts(b, "[");
  for (size_t i = 0; i < n && i < max; i++) {
    gr_fmt(s, v[i], digits);
    gr_buf_printf(b, "%s%s", i ? ", " : "", s);
  }
  if (n > max)
    gr_buf_printf(b, ", ... (%zu elements)", n);
  gr_buf_puts(b, "]");
}

static void op_text(GrBuf *b, const GrNode *n) {
  if (n->op == GR_OP_VAR)
    gr_buf_printf(b, "var %s", n->name);
  else if (n->op == GR_OP_LET)
    gr_buf_printf(b, "let %s", n->name);
  else if (n->op == GR_OP_CONST)
    gr_buf_puts(b, "const");
  else if (n->op == GR_OP_NEG)
    gr_buf_puts(b, "neg");
  else
    gr_buf_puts(b, gr_ops[n->op].name);
}

static void dot_escape(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fputc('\\', f);
    if (*s == '\n')
      fputs("\\n", f);
    else
      fputc(*s, f);
  }
}

static int graph_out(GradCtx *c, GrTape *t) {
  GradOpts *o = c->o;
  size_t nw;
  int st;
  Wrt *w = resolve_wrt(c, t, &nw, &st);
  if (!w)
    return st;
  /* which slots require grad: inputs asked for (--wrt), and whatever depends on them
   * through differentiable ops */
  unsigned char *rg = gr_xcalloc(t->n + 1, 1);
  for (size_t s = 0; s < t->n; s++) {
    const GrNode *n = gr_tape_node(t, s);
    const GrInstr *in = &t->ins[s];
    if (n->op == GR_OP_VAR) {
      for (size_t j = 0; j < nw; j++)
        rg[s] |= w[j].col.var == n->var ||
                 (w[j].col.var < 0 && gr_depends(c->g, (GrNode *)w[j].col.node, n->var));
      rg[s] &= !o->no_grad;
    } else if (!blocks_grad(n->op)) {
      uint32_t a[3] = {in->a, in->b, in->c};
      for (int k = 0; k < in->nargs; k++)
        rg[s] |= rg[a[k]];
      /* if(c, a, b): the condition does not carry a gradient */
      if (n->op == GR_OP_IF)
        rg[s] = rg[in->b] || rg[in->c];
    }
  }
  if (!o->no_grad)
    gr_tape_reverse(t, 0, NULL);
  grad_warn_issues(c, t);
  /* the results shown: the outputs' values and the derivatives of the inputs asked for */
  for (size_t k = 0; k < t->nout; k++)
    grad_note(c, gr_tape_out(t, k), gr_tape_out_len(t, k));
  for (size_t s = 0; s < t->n && !o->no_grad; s++)
    if (rg[s] && gr_tape_node(t, s)->op == GR_OP_VAR)
      grad_note(c, t->adj + gr_tape_off(t, s), gr_tape_len(t, s));
  FILE *f = stdout;
  char fname[16];
  snprintf(fname, sizeof fname, c->nout > 1 ? "f1" : "f");
  GrBuf b = {0};
  if (o->graph) {
    /* columns: node, op, args, value, adjoint, flags */
    char ***cell = gr_xcalloc(t->n + 1, sizeof *cell);
    size_t wid[6] = {4, 2, 4, 5, 7, 5};
    const char *head[6] = {"node", "op", "args", "value", "adjoint", "flags"};
    for (size_t s = 0; s < t->n; s++) {
      const GrNode *n = gr_tape_node(t, s);
      const GrInstr *in = &t->ins[s];
      cell[s] = gr_xcalloc(6, sizeof **cell);
      gr_buf_printf(&b, "%%%zu", s);
      cell[s][0] = gr_xstrdup(b.s);
      b.n = 0, b.s[0] = 0;
      op_text(&b, n);
      cell[s][1] = gr_xstrdup(b.s);
      b.n = 0, b.s[0] = 0;
      uint32_t a[3] = {in->a, in->b, in->c};
      for (int k = 0; k < in->nargs; k++)
        gr_buf_printf(&b, "%s%%%u", k ? " " : "", (unsigned)a[k]);
      cell[s][2] = gr_xstrdup(in->nargs ? b.s : "-");
      b.n = 0;
      if (b.s)
        b.s[0] = 0;
      put_block(&b, t->val + gr_tape_off(t, s), gr_tape_len(t, s), o->digits, (size_t)-1);
      cell[s][3] = gr_xstrdup(b.s);
      b.n = 0, b.s[0] = 0;
      if (rg[s])
        put_block(&b, t->adj + gr_tape_off(t, s), gr_tape_len(t, s), o->digits, (size_t)-1);
      cell[s][4] = gr_xstrdup(rg[s] ? b.s : "-");
      b.n = 0, b.s[0] = 0;
      int any = 0;
#define FLAG(cond, txt)                                                                            \
  if (cond) {                                                                                      \
    gr_buf_printf(&b, "%s%s", any ? ", " : "", txt);                                               \
    any = 1;                                                                                       \
  }
      FLAG(n->op == GR_OP_VAR || n->op == GR_OP_CONST, "leaf");
      FLAG(rg[s], "requires_grad");
      FLAG(n->op == GR_OP_LET && rg[s], "retains_grad");
      FLAG(n->op == GR_OP_DETACH, "detached");
      for (int k = 0; k < c->nout; k++)
        if ((long)s == gr_tape_slot(t, c->outs[k])) {
          char ob[24];
          snprintf(ob, sizeof ob, c->nout > 1 ? "output f%d" : "output", k + 1);
          FLAG(1, ob);
        }
#undef FLAG
      cell[s][5] = gr_xstrdup(any ? b.s : "");
      b.n = 0, b.s[0] = 0;
      for (int k = 0; k < 6; k++) {
        size_t L = strlen(cell[s][k]);
        if (L > wid[k])
          wid[k] = L;
      }
    }
    fprintf(f, "# the tape: %zu nodes in evaluation order; adjoint = d%s/d(node)%s%s%s\n", t->n,
            fname, gr_tape_out_len(t, 0) > 1 ? " with every element of " : "",
            gr_tape_out_len(t, 0) > 1 ? fname : "", gr_tape_out_len(t, 0) > 1 ? " seeded with 1" : "");
    for (int k = 0; k < 5; k++)
      fprintf(f, "%-*s  ", (int)wid[k], head[k]);
    fprintf(f, "%s\n", head[5]);
    for (size_t s = 0; s < t->n; s++) {
      for (int k = 0; k < 5; k++)
        fprintf(f, "%-*s  ", (int)wid[k], cell[s][k]);
      /* no trailing blanks when there are no flags */
      fprintf(f, "%s", cell[s][5]);
      fputc('\n', f);
      for (int k = 0; k < 6; k++)
        free(cell[s][k]);
      free(cell[s]);
    }
    free(cell);
  }
  if (o->dot) {
    int dg = o->digits ? o->digits : 6;
    fputs("digraph grad {\n", f);
    fprintf(f, "  label=\"value and adjoint d%s/d(node) of every node\";\n", fname);
    fputs("  node [shape=box, fontname=\"Helvetica\"];\n", f);
    for (size_t s = 0; s < t->n; s++) {
      const GrNode *n = gr_tape_node(t, s);
      b.n = 0;
      if (b.s)
        b.s[0] = 0;
      if (n->op == GR_OP_CONST)
        put_block(&b, t->val + gr_tape_off(t, s), gr_tape_len(t, s), dg, 6);
      else {
        op_text(&b, n);
        gr_buf_puts(&b, "\nvalue ");
        put_block(&b, t->val + gr_tape_off(t, s), gr_tape_len(t, s), dg, 6);
        if (rg[s]) {
          gr_buf_puts(&b, "\nadjoint ");
          put_block(&b, t->adj + gr_tape_off(t, s), gr_tape_len(t, s), dg, 6);
        }
      }
      fprintf(f, "  n%zu [label=\"", s);
      dot_escape(f, b.s);
      fputs("\"", f);
      if (n->op == GR_OP_VAR)
        fputs(", shape=ellipse, style=filled, fillcolor=\"lightblue\"", f);
      else if (n->op == GR_OP_CONST)
        fputs(", shape=plaintext", f);
      else if (n->op == GR_OP_LET)
        fputs(", style=filled, fillcolor=\"lightyellow\"", f);
      else if (n->op == GR_OP_DETACH)
        fputs(", style=dashed", f);
      for (int k = 0; k < c->nout; k++)
        if ((long)s == gr_tape_slot(t, c->outs[k])) {
          fputs(", peripheries=2", f);
          break;
        }
      fputs("];\n", f);
    }
    static const char *const if_lab[3] = {"cond", "then", "else"};
    for (size_t s = 0; s < t->n; s++) {
      const GrInstr *in = &t->ins[s];
      uint32_t a[3] = {in->a, in->b, in->c};
      for (int k = 0; k < in->nargs; k++) {
        char attr[64] = "";
        if (in->op == GR_OP_IF)
          snprintf(attr, sizeof attr, "label=\"%s\"", if_lab[k]);
        else if (in->op == GR_OP_SUB || in->op == GR_OP_DIV || in->op == GR_OP_POW)
          snprintf(attr, sizeof attr, "label=\"%c\"", k ? 'b' : 'a');
        /* dotted: no gradient flows along this edge */
        if (!rg[a[k]] || in->op == GR_OP_DETACH || (in->op == GR_OP_IF && k == 0))
          strcat(attr, attr[0] ? ", style=dotted" : "style=dotted");
        fprintf(f, "  n%u -> n%zu", (unsigned)a[k], s);
        if (attr[0])
          fprintf(f, " [%s]", attr);
        fputs(";\n", f);
      }
    }
    fputs("}\n", f);
  }
  gr_buf_free(&b);
  free(rg);
  free(w);
  return 0;
}
