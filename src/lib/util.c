/* SPDX-License-Identifier: GPL-3.0-or-later
 * Small engine services that the data reader, the optimizers and the programs share:
 * reading a whole file, evaluating a constant expression, the interruption flag.
 */
#include "util.h"
#include "parse.h"
#include "tape.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

_Atomic int gr_interrupted;

GrStatus gr_eval_const(const char *text, double *out, GrDiag *d) {
  GrGraph *g = gr_graph_new();
  GrParsed ps;
  GrStatus st = gr_parse(g, text, NULL, &ps, d);
  if (st == GR_OK) {
    /* x=y=2 or x=1;2 would otherwise quietly give x the value 2 */
    if (ps.nstatements != 1 || ps.lhs || ps.lhs_name) {
      st = gr_diag_set(d, GR_EUSAGE, "a value must be one constant expression (no '=' or ';')");
    } else if (g->nvars > 0) {
      GrNode *v = NULL;
      for (size_t i = 0; i < g->count; i++)
        if (gr_graph_node(g, i)->op == GR_OP_VAR && gr_graph_node(g, i)->var >= 0) {
          v = gr_graph_node(g, i);
          break;
        }
      st = gr_diag_span(d, GR_EUSAGE, v ? v->off : 0, v ? v->len : 0,
                        "a value must be a constant expression, but '%s' is a name",
                        g->vars[0]);
    } else {
      GrTape *t;
      st = gr_tape_compile(g, &ps.out, 1, NULL, &t, d);
      if (st == GR_OK) {
        if (gr_tape_out_len(t, 0) != 1)
          st = gr_diag_set(d, GR_EUSAGE, "a value must be a number here, not a vector");
        else {
          gr_tape_forward(t);
          *out = gr_tape_out(t, 0)[0];
        }
        gr_tape_free(t);
      }
    }
  }
  gr_graph_free(g);
  return st;
}

/* All of path ("-": stdin) and its length; NULL and errno on failure. A directory is
 * EISDIR (fopen opens one for reading on Linux; reading it fails or, elsewhere, yields
 * bytes that are not text). */
char *gr_read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f)
    return NULL;
  struct stat sb;
  if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
    if (f != stdin)
      fclose(f);
    errno = EISDIR;
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *s = gr_xmalloc(cap);
  int err = 0;
  for (;;) {
    if (n + 4096 > cap)
      s = gr_xrealloc(s, cap *= 2);
    errno = 0;
    size_t r = fread(s + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0) {
      err = ferror(f) ? (errno ? errno : EIO) : 0;
      break;
    }
  }
  if (f != stdin)
    fclose(f);
  if (err) {
    free(s);
    errno = err;
    return NULL;
  }
  s[n] = 0;
  if (len)
    *len = n;
  return s;
}

char *gr_read_file(const char *path) { return gr_read_all(path, NULL); }
