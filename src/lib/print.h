/* SPDX-License-Identifier: GPL-3.0-or-later
 * Printing nodes as text: infix that reads back into grad (minimal parentheses, spaces
 * around + and -), LaTeX, and C. Output goes into a growable buffer owned by the caller.
 */
#ifndef GR_PRINT_H
#define GR_PRINT_H
#include "graph.h"
#include <stdio.h>

typedef enum { GR_PRINT_INFIX, GR_PRINT_LATEX, GR_PRINT_C } GrPrintStyle;

typedef struct GrBuf {
  char *s;
  size_t n, cap;
} GrBuf;

void gr_buf_puts(GrBuf *b, const char *s);
void gr_buf_printf(GrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gr_buf_free(GrBuf *b);

/* Append node n as text. Deeper than GR_PRINT_MAX_DEPTH prints "..." there. */
#define GR_PRINT_MAX_DEPTH 2000
void gr_print(GrBuf *b, const GrNode *n, GrPrintStyle style, int digits);
/* A malloc'd string of n in infix, for messages: cut with "..." after about
 * GR_PRINT_STR_MAX bytes (shared subtrees can make the full text exponentially long). */
#define GR_PRINT_STR_MAX 200
char *gr_print_str(const GrNode *n);
/* C style calls helpers where <math.h> lacks a function or means something else (grad_min,
 * grad_polygamma, ...): append the file-scope definitions of those that the formulas
 * roots[0..n) use (nothing when none is used). */
/* A variable name in LaTeX: Greek names as letters (alpha: \alpha), a name of several
 * letters in \mathit{rate}, the part after the first '_' or trailing digits a subscript. */
void gr_latex_name(GrBuf *b, const char *name);
/* The constants e and pi print by name unless g has a variable of that name (then as
 * exp(1) and acos(-1), which read back); NULL: by name. Set before printing g's formulas. */
void gr_print_shadow(const GrGraph *g);
void gr_print_c_helpers(GrBuf *b, const GrGraph *g, GrNode *const *roots, int n);

#endif
