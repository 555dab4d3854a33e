/* SPDX-License-Identifier: GPL-3.0-or-later
 * Data files for fits: whitespace- or comma-separated columns, '#' comments, a header line
 * naming the columns (or names given by the caller). Every row must have every field and
 * every field must be a number; an error names file:line:column. Columns are malloc'd.
 */
#ifndef GR_DATA_H
#define GR_DATA_H
#include "diag.h"
#include <stddef.h>

typedef struct GrData {
  int ncol;
  char **names; /* ncol names */
  double **col; /* ncol columns of nrow values */
  size_t nrow;
} GrData;

/* Parse text (the contents of `file`, used in messages). names: column names from the
 * caller (NULL-terminated, e.g. --columns), or NULL to take them from a header line (or a
 * final comment line "# x y" before the first row, as gnuplot-ready files have).
 * GR_EIO with "file:line:column: msg" on bad data; an empty file is an error. */
GrStatus gr_data_parse(const char *text, const char *file, char *const *names, GrData *out,
                       GrDiag *d);
/* Read path ("-": stdin) and parse it. */
GrStatus gr_data_read(const char *path, char *const *names, GrData *out, GrDiag *d);
/* The same keeping only the columns numbered using[0..nusing) (from 1, in that order, as
 * gnuplot's `using 1:3`): header and names then name the selected columns. using NULL: all. */
GrStatus gr_data_read_using(const char *path, char *const *names, const int *using, int nusing,
                            GrData *out, GrDiag *d);
/* Parse "1:3" (whole numbers from 1, separated by ':') into a malloc'd array; NULL with a
 * message in d when malformed. */
int *gr_data_parse_using(const char *text, int *n, GrDiag *d);
int gr_data_find(const GrData *dt, const char *name); /* column index or -1 */
void gr_data_free(GrData *dt);

#endif
