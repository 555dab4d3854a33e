/* SPDX-License-Identifier: MIT
 * grad --range/--points/--plot/--gnuplot: tabulate the expressions and their partials over
 * a line or a grid (gr_table), written as gnuplot's whitespace-separated columns (scan lines
 * of a grid separated by a blank line) or JSON, or piped into gnuplot as a plot. Rows go
 * through one 64 KiB buffer and the fast printer: memory stays constant while streaming.
 */
#include "deriv.h"
#include "dtoa.h"
#include "grad.h"
#include "num.h"
#include "plot.h"
#include "print.h"
#include "simplify.h"
#include "table.h"
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define OUTCAP 65536

typedef struct Out {
  FILE *f;
  char *b;
  size_t n;
  int err;
  int digits, json;
} Out;

static void out_flush(Out *o) {
  if (o->n && fwrite(o->b, 1, o->n, o->f) != o->n)
    o->err = errno ? errno : EIO;
  o->n = 0;
}
static inline void out_room(Out *o, size_t k) {
  if (o->n + k > OUTCAP)
    out_flush(o);
}
static inline void out_ch(Out *o, char c) {
  out_room(o, 1);
  o->b[o->n++] = c;
}
static void out_str(Out *o, const char *s) {
  size_t L = strlen(s);
  if (L > OUTCAP / 2) {
    out_flush(o);
    fputs(s, o->f);
    return;
  }
  out_room(o, L);
  memcpy(o->b + o->n, s, L);
  o->n += L;
}
static inline void out_num(Out *o, double v) {
  out_room(o, 40);
  if (o->json && !isfinite(v)) {
    memcpy(o->b + o->n, "null", 4);
    o->n += 4;
  } else if (o->digits > 0)
    o->n += (size_t)gr_fmt(o->b + o->n, v, o->digits);
  else
    o->n += (size_t)gr_dtoa(v, o->b + o->n);
}

/* One --range item: NAME=LO:HI[:N], with byte offsets into the option text for carets. */
typedef struct RangeText {
  char *name;
  double lo, hi;
  long n; /* 0: --points */
} RangeText;

static int range_error(const char *text, size_t off, size_t len, const char *msg) {
  GrDiag d;
  gr_diag_span(&d, GR_EUSAGE, off, len, "%s", msg);
  gr_diag_render(stderr, "grad", &d, text);
  fprintf(stderr, "  (in --range; the form is NAME=LO:HI[,NAME=LO:HI], e.g. x=-6.5:3.5)\n");
  return 2;
}

/* Evaluate text[off, off+len) as a constant expression. */
static int range_value(const char *text, size_t off, size_t len, double *v) {
  char *s = gr_xmalloc(len + 1);
  memcpy(s, text + off, len);
  s[len] = 0;
  GrDiag d;
  int st = 0;
  if (len == 0)
    st = range_error(text, off, 0, "missing value");
  else if (gr_eval_const(s, v, &d) != GR_OK) {
    size_t o2 = d.has_span ? off + d.off : off, l2 = d.has_span ? d.len : len;
    st = range_error(text, o2, l2, d.msg);
  } else if (!isfinite(*v))
    st = range_error(text, off, len, "a range end must be a finite number");
  free(s);
  return st;
}

static int parse_ranges(const char *text, RangeText *r, int *nr) {
  *nr = 0;
  size_t L = strlen(text), start = 0;
  for (size_t i = 0; i <= L; i++) {
    if (i < L && text[i] != ',')
      continue;
    /* one item text[start, i) */
    size_t eq = start;
    while (eq < i && text[eq] != '=')
      eq++;
    size_t ns = start, ne = eq;
    while (ns < ne && isspace((unsigned char)text[ns]))
      ns++;
    while (ne > ns && isspace((unsigned char)text[ne - 1]))
      ne--;
    if (eq == i)
      return range_error(text, start, i - start, "expected NAME=LO:HI");
    int ok = ne > ns && (isalpha((unsigned char)text[ns]) || text[ns] == '_');
    for (size_t k = ns; ok && k < ne; k++)
      ok = isalnum((unsigned char)text[k]) || text[k] == '_';
    if (!ok)
      return range_error(text, ns, ne - ns, "expected a variable name before '='");
    if (*nr == 2)
      return range_error(text, start, i - start,
                         "at most two ranges: one makes a line, two make a grid");
    size_t c1 = eq + 1, c2;
    int depth = 0;
    while (c1 < i && (text[c1] != ':' || depth)) {
      depth += text[c1] == '(' ? 1 : text[c1] == ')' ? -1 : 0;
      c1++;
    }
    if (c1 == i)
      return range_error(text, eq + 1, i - eq - 1, "expected LO:HI after '='");
    c2 = c1 + 1;
    while (c2 < i && (text[c2] != ':' || depth)) {
      depth += text[c2] == '(' ? 1 : text[c2] == ')' ? -1 : 0;
      c2++;
    }
    RangeText *t = &r[*nr];
    memset(t, 0, sizeof *t);
    if (range_value(text, eq + 1, c1 - eq - 1, &t->lo) || range_value(text, c1 + 1, c2 - c1 - 1, &t->hi))
      return 2;
    if (c2 < i) {
      char *end;
      errno = 0;
      t->n = strtol(text + c2 + 1, &end, 10);
      if (errno || end != text + i || t->n < 1 || t->n > 1000000000L)
        return range_error(text, c2 + 1, i - c2 - 1, "the point count must be a whole number from 1 to 10^9");
    }
    t->name = gr_xmalloc(ne - ns + 1);
    memcpy(t->name, text + ns, ne - ns);
    t->name[ne - ns] = 0;
    if (*nr == 1 && !strcmp(r[0].name, t->name)) {
      free(t->name);
      return range_error(text, ns, ne - ns, "this variable already has a range");
    }
    (*nr)++;
    start = i + 1;
  }
  return 0;
}

/* Warnings collected over all blocks: each troubled node once, with its first point. */
typedef struct Issues {
  GrTapeIssue is[16];
  size_t n;
  int full;
} Issues;

static void collect_issues(Issues *I, const GrTape *t) {
  if (I->full)
    return;
  GrTapeIssue buf[16];
  size_t n = gr_tape_issues(t, buf, 16);
  for (size_t i = 0; i < n; i++) {
    int seen = 0;
    for (size_t j = 0; j < I->n; j++)
      seen |= I->is[j].node == buf[i].node && I->is[j].kind == buf[i].kind;
    if (!seen && I->n < 16)
      I->is[I->n++] = buf[i];
  }
  I->full = I->n >= 16;
}

static int grad_table_run(GradCtx *c, RangeText *rt, int nr) {
  GradOpts *o = c->o;
  GrGraph *g = c->g;
  int st = 0;
  if (o->format == FMT_LATEX || o->format == FMT_C)
    return fprintf(stderr, "grad: error: --range writes text, tsv or json, not latex or c\n"), 2;
  GrRange r[2];
  for (int k = 0; k < nr; k++) {
    if (gr_var_index(g, rt[k].name) < 0)
      gr_var(g, rt[k].name); /* not in the expression: a column all the same */
    int v = gr_var_index(g, rt[k].name);
    r[k] = (GrRange){v, rt[k].lo, rt[k].hi, rt[k].n ? (uint64_t)rt[k].n : (uint64_t)o->points};
  }
  /* every other variable is a fixed scalar from --at */
  double *fixed = gr_xcalloc((size_t)g->nvars + 1, sizeof *fixed);
  for (int v = 0; v < g->nvars; v++) {
    const GrBind *b = gr_binds_find(&o->at, g->vars[v]);
    int ranged = 0;
    for (int k = 0; k < nr; k++)
      ranged |= r[k].var == v;
    if (b && !ranged) {
      if (b->vector || b->n != 1) {
        fprintf(stderr, "grad: error: --at %s is a vector; with --range every other variable "
                        "must be a single number\n", g->vars[v]);
        free(fixed);
        return 2;
      }
      fixed[v] = b->v[0];
    }
  }
  /* partials: the range variables unless --wrt says otherwise */
  int nw = 0, *w;
  if (o->wrt) {
    w = grad_wrt_vars(c, &nw, &st);
    if (!w) {
      free(fixed);
      return st;
    }
  } else {
    w = gr_xmalloc(2 * sizeof *w);
    for (int k = 0; k < nr; k++)
      w[nw++] = r[k].var;
  }
  int want_grad = !o->no_grad;
  if (o->no_grad)
    nw = 0;
  GrDiag d;
  /* --order N: the value columns f, f', ..., f^(N) by Taylor mode per block (as grad
   * --order N --at computes them), and no reverse-mode partial columns */
  GrNode **outs = c->outs;
  size_t nouts = (size_t)c->nout;
  int order = o->order;
  if (order >= 1) {
    const char *why = !want_grad  ? "asks for derivatives, which --no-grad turns off"
                      : c->nout > 1 ? "tabulates the derivatives of one expression"
                      : nw != 1     ? "differentiates by one variable: name it with --wrt"
                                    : NULL;
    if (why) {
      fprintf(stderr, "grad: error: --order with --range %s\n", why);
      free(fixed);
      free(w);
      return 2;
    }
    nw = 0;
  }
  GrTableSpec spec = {g, outs, nouts, r, nr, fixed, w, nw, 0};
  GrTable *t;
  if (gr_table_open(&spec, &t, &d) != GR_OK) {
    /* find the expression the span belongs to */
    const char *src = c->nout == 1 ? c->srcs[0] : NULL;
    for (int k = 0; k < c->nout && !src; k++) {
      GrTableSpec one = spec;
      GrTable *t1;
      GrDiag d1;
      one.outs = &c->outs[k];
      one.nout = 1;
      if (gr_table_open(&one, &t1, &d1) != GR_OK)
        src = c->srcs[k];
      gr_table_free(t1);
    }
    gr_diag_render(stderr, "grad", &d, d.has_span ? src : NULL);
    free(fixed);
    free(w);
    return d.status;
  }
  if (order >= 1)
    gr_table_set_order(t, order, w[0]);
  /* column names */
  int multi = c->nout > 1;
  size_t ncol = gr_table_ncols(t);
  char **names = gr_xcalloc(ncol, sizeof *names);
  size_t j = 0;
  for (int k = 0; k < nr; k++)
    names[j++] = gr_xstrdup(rt[k].name);
  GrBuf nb = {0};
  for (int k = 0; k < c->nout; k++) {
    nb.n = 0;
    if (multi)
      gr_buf_printf(&nb, "f%d", k + 1);
    else
      gr_buf_printf(&nb, "f");
    names[j++] = gr_xstrdup(nb.s);
  }
  for (int k = 1; k <= order; k++) {
    /* f df/dx d2f/dx2 ...: the names grad --order uses */
    nb.n = 0;
    if (k == 1)
      gr_buf_printf(&nb, "df/d%s", g->vars[w[0]]);
    else
      gr_buf_printf(&nb, "d%df/d%s%d", k, g->vars[w[0]], k);
    names[j++] = gr_xstrdup(nb.s);
  }
  for (int k = 0; k < c->nout; k++)
    for (int i = 0; i < nw; i++) {
      nb.n = 0;
      if (multi)
        gr_buf_printf(&nb, "df%d/d%s", k + 1, g->vars[w[i]]);
      else
        gr_buf_printf(&nb, "df/d%s", g->vars[w[i]]);
      names[j++] = gr_xstrdup(nb.s);
    }
  gr_buf_free(&nb);

  int plotting = o->plot || o->gnuplot;
  FILE *f = stdout, *pipe = NULL;
  GrPlotOpts po = {o->plot_file, 0, 0, c->nout == 1 ? c->srcs[0] : NULL};
  if (plotting) {
    if (!o->gnuplot) {
      signal(SIGPIPE, SIG_IGN); /* a gnuplot that dies must not kill us: we report it */
      pipe = gr_plot_open(&d);
      if (!pipe) {
        gr_diag_render(stderr, "grad", &d, NULL);
        st = d.status;
        goto done;
      }
      f = pipe;
    }
    if (gr_plot_begin(f, &po, &d) != GR_OK) {
      gr_diag_render(stderr, "grad", &d, NULL);
      st = d.status;
      goto done;
    }
    gr_plot_data_begin(f, "data");
  }
  Out out = {f, gr_xmalloc(OUTCAP), 0, 0, o->digits, !plotting && o->format == FMT_JSON};
  if (out.json) {
    out_str(&out, "{\"columns\":[");
    for (size_t i = 0; i < ncol; i++) {
      if (i)
        out_ch(&out, ',');
      out_flush(&out);
      gr_json_str(f, names[i]);
    }
    out_str(&out, "],\"rows\":[");
  } else {
    out_ch(&out, '#');
    for (size_t i = 0; i < ncol; i++) {
      out_ch(&out, ' ');
      out_str(&out, names[i]);
    }
    out_ch(&out, '\n');
  }
  Issues iss = {0};
  uint64_t nonfinite = 0, inner = nr == 2 ? r[1].n : 0;
  size_t m;
  gr_catch_sigint();
  const double **cols = gr_xmalloc(ncol * sizeof *cols);
  while ((m = gr_table_next(t)) > 0) {
    if (nw)
      collect_issues(&iss, gr_table_tape(t));
    for (size_t i = 0; i < ncol; i++)
      cols[i] = gr_table_col(t, i);
    uint64_t row = gr_table_row(t);
    for (size_t i = 0; i < m; i++, row++) {
      if (out.json) {
        out_str(&out, row ? ",[" : "[");
      } else if (inner && row && row % inner == 0)
        out_ch(&out, '\n'); /* gnuplot's grid: a blank line ends each scan line */
      int bad = 0;
      for (size_t k = 0; k < ncol; k++) {
        double v = cols[k][i];
        if (k)
          out_ch(&out, out.json ? ',' : '\t');
        bad |= !isfinite(v);
        out_num(&out, v);
      }
      nonfinite += bad;
      out_ch(&out, out.json ? ']' : '\n');
    }
    if (gr_interrupted || out.err)
      break;
  }
  free(cols);
  if (out.json)
    out_str(&out, "]}\n");
  out_flush(&out);
  free(out.b);
  if (gr_interrupted) {
    fprintf(stderr, "grad: interrupted\n");
    st = 130;
    goto done;
  }
  if (out.err) {
    fprintf(stderr, "grad: error: writing output: %s\n", strerror(out.err));
    st = 3;
    goto done;
  }
  if (plotting) {
    gr_plot_data_end(f);
    const char *zname = names[nr];
    if (nr == 1)
      gr_plot_curves(f, "data", names[0], (int)ncol - 1, (const char *const *)names + 1, &po);
    else
      gr_plot_surface(f, "data", names[0], names[1], zname, &po);
  }
  for (size_t i = 0; i < iss.n; i++)
    grad_warn_issue(c, &iss.is[i]);
  if (nonfinite) {
    fprintf(stderr, "grad: warning: %llu of %llu rows have a value that is not finite (nan or inf)\n",
            (unsigned long long)nonfinite, (unsigned long long)gr_table_rows(t));
    c->nonfinite += nonfinite;
    c->nonfinite_warned = 1;
  }
done:
  if (pipe) {
    GrStatus ps = gr_plot_close(pipe, &d);
    if (ps != GR_OK && (st == 0 || st == 1)) {
      gr_diag_render(stderr, "grad", &d, NULL);
      st = ps;
    }
  }
  for (size_t i = 0; i < ncol; i++)
    free(names[i]);
  free(names);
  gr_table_free(t);
  if (outs != c->outs)
    free(outs);
  free(fixed);
  free(w);
  return st;
}

int grad_table_main(GradOpts *o) {
  if (!o->range) {
    fprintf(stderr, "grad: error: %s needs --range (e.g. --range x=-6.5:3.5)\n",
            o->gnuplot ? "--gnuplot" : "--plot");
    return 2;
  }
  RangeText rt[2];
  int nr;
  int st = parse_ranges(o->range, rt, &nr);
  if (st) {
    for (int k = 0; k < nr; k++)
      free(rt[k].name);
    return st;
  }
  /* the range variables get a placeholder value, so that they count as variables (they
   * shadow pi and e like --at names) and only the other variables need --at */
  for (int k = 0; k < nr; k++) {
    GrDiag d;
    GrBuf b = {0};
    gr_buf_printf(&b, "%s=0", rt[k].name);
    gr_binds_parse(&o->at, b.s, &d);
    gr_buf_free(&b);
  }
  GradCtx c;
  st = grad_load(&c, o, 1);
  if (st == 0)
    st = grad_exit_status(&c, grad_table_run(&c, rt, nr));
  grad_ctx_free(&c);
  for (int k = 0; k < nr; k++)
    free(rt[k].name);
  return st;
}
