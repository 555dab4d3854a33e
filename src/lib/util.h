/* SPDX-License-Identifier: GPL-3.0-or-later
 * Engine services shared by the data reader, the optimizers and the programs.
 */
#ifndef GR_UTIL_H
#define GR_UTIL_H
#include "diag.h"
#include "graph.h"
#include <stddef.h>

/* Evaluate a constant expression (no variables); GR_EUSAGE with a span on failure. */
GrStatus gr_eval_const(const char *text, double *out, GrDiag *d);

/* Read all of a file ("-": stdin) into a malloc'd string; NULL and errno on failure (a
 * directory: EISDIR). */
char *gr_read_file(const char *path);
/* The same, with the length in *len (NULL: not wanted): text with a NUL byte inside. */
char *gr_read_all(const char *path, size_t *len);

/* Set by the programs' SIGINT handler (cliutil.h: gr_catch_sigint); long loops of the
 * optimizers poll it, from any thread (hence atomic). The library never sets it. */
extern _Atomic int gr_interrupted;

#endif
