/* SPDX-License-Identifier: GPL-3.0-or-later
 * Tabulating expressions over evenly spaced points (one range: a line; two: a grid) through
 * the blocked tape: the tape is compiled once with every variable a block of `block` values,
 * and each block costs one forward sweep plus one reverse sweep per output, seeded with ones,
 * which for elementwise expressions gives every point's partials at once. Memory stays
 * constant however many rows are produced: the caller pulls one block at a time.
 * The table keeps pointers into the graph (not a copy): free the graph after the table.
 */
#ifndef GR_TABLE_H
#define GR_TABLE_H
#include "diag.h"
#include "graph.h"
#include "tape.h"
#include <stdint.h>

/* Point i of n evenly spaced points from lo to hi, both included, with torch.linspace's
 * formula: step = (hi - lo)/(n - 1); lo + step*i in the first half, hi - step*(n - 1 - i)
 * in the second (so both ends are exact and the sequence is symmetric). n == 1: lo. */
double gr_linspace(double lo, double hi, uint64_t n, uint64_t i);

typedef struct GrRange {
  int var;       /* graph variable index */
  double lo, hi;
  uint64_t n;    /* points (>= 1) */
} GrRange;

typedef struct GrTableSpec {
  const GrGraph *g;
  GrNode *const *outs; /* value columns, one per output (e.g. f, or f, f', f'' built elsewhere) */
  size_t nout;
  const GrRange *ranges; /* 1 or 2; with 2 the first is the outer (slow) index */
  int nranges;
  const double *fixed;   /* per graph variable: the value of a variable not in a range */
  const int *wrt;        /* partial-derivative columns: for each output, d/d wrt[j] */
  int nwrt;
  size_t block;          /* points per sweep (0: 512) */
  int vecmath;           /* vector math in the sweeps (vecmath.h: each exp, log, sin, cos,
                          * pow ... within 1 ulp of libm's); 0: scalar libm, bit for bit
                          * the numbers of a single point */
} GrTableSpec;

typedef struct GrTable GrTable;

/* Compile the tape. Fails with GR_EUSAGE (span on the node) when an output uses a reduction
 * (sum, mean, prod, max, min over a vector, dot, norm): per-point values need elementwise
 * expressions. */
GrStatus gr_table_open(const GrTableSpec *s, GrTable **tp, GrDiag *d);
/* Right after gr_table_open of one output with no partial columns: add the columns of its
 * derivatives 1..order along variable var, by Taylor mode, one sweep per block. Called
 * again, before the first block: the new order and variable replace the old (order 0: no
 * such columns). */
void gr_table_set_order(GrTable *t, int order, int var);
/* Compute the next block; returns its row count (0 when done). */
size_t gr_table_next(GrTable *t);
/* Columns: the range variables, then the outputs (with order: f, f', ..., f^(order)), then
 * the partials (output-major:
 * d out0/d wrt0, d out0/d wrt1, ..., d out1/d wrt0, ...). Valid until the next call; most
 * point straight into the tape's blocks (no copies), so they are read-only. */
size_t gr_table_ncols(const GrTable *t);
const double *gr_table_col(const GrTable *t, size_t j);
/* Global index of the current block's first row (row r of a grid is point
 * (r / n_inner, r % n_inner)). */
uint64_t gr_table_row(const GrTable *t);
uint64_t gr_table_rows(const GrTable *t); /* total */
/* The tape, for gr_tape_issues after each block (kinks, non-finite derivatives). */
const GrTape *gr_table_tape(const GrTable *t);
/* gr_tape_issues of the current block's sweeps, the same list, but without the scan of
 * the whole tape when no warning is possible (no op that can kink, every column finite
 * and every other adjoint of a variable or named intermediate finite). finite: 1 when the
 * caller has seen every value of the block's columns finite (gr_table_pack), 0 when it
 * has seen one that is not, -1 when it does not know (then the columns are checked). */
size_t gr_table_issues(const GrTable *t, int finite, GrTapeIssue *out, size_t max);
/* Rows i0..i0+k of the columns cols[0..ncol) (gr_table_col's) interleaved into dst, ncol
 * doubles a row in the machine's byte order; returns 1 when every value was finite. */
int gr_table_pack(double *dst, const double *const *cols, size_t ncol, size_t i0, size_t k);
/* Points per block (every block but the last is full). */
size_t gr_table_block(const GrTable *t);
/* Make the next gr_table_next compute the block that starts at row (a multiple of the
 * block; past the end: no more blocks). Tables opened from one spec compute the same
 * blocks bit for bit, so threads can share out a table's blocks. */
void gr_table_seek(GrTable *t, uint64_t row);
void gr_table_free(GrTable *t); /* NULL-safe */

#endif
