/* SPDX-License-Identifier: GPL-3.0-or-later
 * Diagnostics: formatting and caret rendering. Columns count bytes from 1; a span in a
 * multi-line source (files, ';' programs) shows only the line that holds its start.
 */
#include "diag.h"
#include <stdarg.h>
#include <string.h>

GrStatus gr_diag_set(GrDiag *d, GrStatus status, const char *fmt, ...) {
  if (d) {
    va_list ap;
    va_start(ap, fmt);
    d->status = status;
    d->has_span = 0;
    d->off = d->len = 0;
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
  }
  return status;
}

GrStatus gr_diag_span(GrDiag *d, GrStatus status, size_t off, size_t len, const char *fmt, ...) {
  if (d) {
    va_list ap;
    va_start(ap, fmt);
    d->status = status;
    d->has_span = 1;
    d->off = off;
    d->len = len;
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
  }
  return status;
}

static void caret(FILE *f, const char *src, size_t off, size_t len) {
  size_t n = strlen(src);
  if (off > n)
    off = n;
  size_t start = off, end = off;
  while (start > 0 && src[start - 1] != '\n')
    start--;
  while (end < n && src[end] != '\n')
    end++;
  /* Very long lines are cut to a window around the caret. */
  size_t from = start, to = end;
  if (off - start > 60)
    from = off - 40;
  if (to - from > 100)
    to = from + 100;
  if (to < off)
    to = off;
  fprintf(f, "  %s%.*s%s\n", from > start ? "..." : "", (int)(to - from), src + from,
          to < end ? "..." : "");
  fprintf(f, "  %*s", (int)(off - from + (from > start ? 3 : 0)), "");
  size_t w = len ? len : 1;
  if (off + w > to)
    w = to > off ? to - off : 1;
  for (size_t i = 0; i < w; i++)
    fputc(i == 0 ? '^' : '~', f);
  fputc('\n', f);
}

static _Thread_local const char *where_file;
static _Thread_local size_t where_line;
static _Thread_local const char *where_text;

void gr_diag_where(const char *file, size_t line, const char *text) {
  where_file = file;
  where_line = line;
  where_text = text;
}

void gr_diag_render(FILE *f, const char *prog, const GrDiag *d, const char *src) {
  if (where_file) {
    size_t col = 0;
    if (d->has_span && src) {
      const char *last = strrchr(src, '\n');
      size_t start = last ? (size_t)(last - src) + 1 : 0;
      const char *in = where_text ? strstr(where_text, src + start) : NULL;
      if (in && d->off >= start && d->off <= strlen(src))
        col = (size_t)(in - where_text) + d->off - start + 1;
    }
    if (col)
      fprintf(f, "%s: error: %s:%zu:%zu: %s\n", prog, where_file, where_line, col, d->msg);
    else
      fprintf(f, "%s: error: %s:%zu: %s\n", prog, where_file, where_line, d->msg);
  } else
    fprintf(f, "%s: error: %s\n", prog, d->msg);
  if (d->has_span && src)
    caret(f, src, d->off, d->len);
}

void gr_warn_span(FILE *f, const char *prog, const char *src, size_t off, size_t len,
                  const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(f, "%s: warning: ", prog);
  vfprintf(f, fmt, ap);
  fputc('\n', f);
  va_end(ap);
  if (src)
    caret(f, src, off, len);
}
