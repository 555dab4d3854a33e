/* SPDX-License-Identifier: GPL-3.0-or-later
 * Data files for fits: whitespace- or comma-separated columns, '#' comments, a header line
 * naming the columns (or names given by the caller). Every row must have every field and
 * every field must be a number (converted exactly: the correctly rounded double, as strtod);
 * an error names file:line:column. Columns are malloc'd. Files are read in fixed chunks.
 */
#ifndef GR_DATA_H
#define GR_DATA_H
#include "diag.h"
#include <stddef.h>
#include <stdint.h>

typedef struct GrData {
  int ncol;
  char **names; /* ncol names */
  double **col; /* ncol columns of nrow values */
  size_t nrow;
} GrData;

/* For tests: the most bytes the reader allocates at once for a file's columns from the bound
 * its size gives (0: no limit). Above it, the columns double as they fill, as when the
 * system refuses that allocation. */
extern size_t gr_data_bound_max;

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
/* A file read in parts (a fit split over processes, each reading its own byte range):
 * gr_data_head reads the names (header line, "# x y" comment or `names`) and sets *start to
 * the offset of the first data row and *size to the file's size (out holds names, no rows;
 * GR_EIO for a stream, which cannot be read in parts). gr_data_count_lines counts the
 * newline bytes in [begin, end). gr_data_read_range reads the rows of the lines that start
 * in [begin, end) (begin >= *start), with the names of `head`; nl_before: the newlines
 * before begin (so that messages give the file's own line numbers); nl_in: those in
 * [begin, end) (the columns get room for nl_in + 1 rows at once). Reading [start, size) as
 * any number of consecutive ranges gives exactly the rows of gr_data_read_using; a range
 * may hold no row. */
GrStatus gr_data_head(const char *path, char *const *names, const int *using, int nusing,
                      GrData *out, uint64_t *start, uint64_t *size, GrDiag *d);
GrStatus gr_data_count_lines(const char *path, uint64_t begin, uint64_t end, uint64_t *nl,
                             GrDiag *d);
GrStatus gr_data_read_range(const char *path, const GrData *head, const int *using, int nusing,
                            uint64_t begin, uint64_t end, uint64_t nl_before, uint64_t nl_in,
                            GrData *out, GrDiag *d);
/* Parse "1:3" (whole numbers from 1, separated by ':') into a malloc'd array; NULL with a
 * message in d when malformed. */
int *gr_data_parse_using(const char *text, int *n, GrDiag *d);
int gr_data_find(const GrData *dt, const char *name); /* column index or -1 */
void gr_data_free(GrData *dt);

#endif
