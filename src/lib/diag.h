/* SPDX-License-Identifier: GPL-3.0-or-later
 * GrDiag: what library code returns instead of printing. A category (which fixes the exit
 * status), a byte span in the source text and a message. gr_diag_render draws the
 * message, the source line and a caret under the span.
 */
#ifndef GR_DIAG_H
#define GR_DIAG_H
#include <stddef.h>
#include <stdio.h>

typedef enum GrStatus {
  GR_OK = 0,
  GR_ENUMERIC = 1, /* NaN/inf result, no convergence */
  GR_EUSAGE = 2,   /* usage or parse error */
  GR_EIO = 3,      /* input/output error */
  GR_EINTR = 130   /* interrupted */
} GrStatus;

typedef struct GrDiag {
  GrStatus status;
  int has_span;     /* off/len are meaningful */
  size_t off, len;  /* byte span in the source text */
  char msg[512];
} GrDiag;

/* Fill d (if non-NULL) and return status. */
GrStatus gr_diag_set(GrDiag *d, GrStatus status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
GrStatus gr_diag_span(GrDiag *d, GrStatus status, size_t off, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "prog: error: msg", then when a span is set the source line and a caret line. */
void gr_diag_render(FILE *f, const char *prog, const GrDiag *d, const char *src);
/* While a script runs: its file, the number and text of the line being run (file NULL:
 * none). gr_diag_render then writes "prog: error: FILE:LINE:COL: msg", COL the column in
 * text of a span in the source's last line (the part of the script's line that was parsed;
 * earlier lines are definitions it uses), or "FILE:LINE: msg". */
void gr_diag_where(const char *file, size_t line, const char *text);
/* A warning with an optional span into src: "prog: warning: msg" + caret. */
void gr_warn_span(FILE *f, const char *prog, const char *src, size_t off, size_t len,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
