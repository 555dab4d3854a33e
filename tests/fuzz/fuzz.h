/* SPDX-License-Identifier: GPL-3.0-or-later
 * Shared by the fuzz targets (tests/fuzz/fuzz_*.c) and the replay driver (replay.c).
 *
 * Each target defines LLVMFuzzerTestOneInput. Built with --enable-fuzz it is linked with
 * libFuzzer; in every build it is also linked with replay.c, whose main() feeds it the
 * files of the regression and seed corpora, so `make check` runs each of them under the
 * build's own compiler and sanitizers.
 *
 * The code under test prints to stdout (and diagnostics to stderr); stdout goes to
 * /dev/null and stdin reads /dev/null. GNUPLOT names a program that cannot exist, so that
 * --plot and the session's plot fail with "gnuplot is not installed" instead of running
 * anything.
 */
#ifndef GR_FUZZ_H
#define GR_FUZZ_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* The target's name (expr, data, script, cli): its corpora are seeds/NAME and regression/NAME. */
extern const char fuzz_target[];

/* Once per process: the engine's init, stdin/stdout from/to /dev/null, no gnuplot. */
void fuzz_init(void);
/* A malloc'd NUL-terminated copy of data[0..size) (cut at the first NUL byte). */
char *fuzz_str(const uint8_t *data, size_t size);
/* Nonzero if s names a path that could block or never end when read (/dev/..., /proc/...,
 * /sys/...): command lines and scripts that name one are not run. */
int fuzz_bad_path(const char *s);
/* Nonzero if s asks for more work than one fuzz input should do: a whole number above 999
 * (point counts, steps, orders), more than one above 64 (a grid of two ranges), or "order"
 * with one above 6 (symbolic derivatives grow with the order). Digits after a '.' are not
 * counted. */
int fuzz_too_costly(const char *s);

#endif
