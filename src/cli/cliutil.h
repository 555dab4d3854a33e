/* SPDX-License-Identifier: GPL-3.0-or-later
 * What grad and minimize share on the command line: NAME=VALUE lists (values are constant
 * expressions such as pi/4, or vectors [1,2,3]), name lists, reading an expression from a
 * file or stdin, JSON string escaping and numbers in the chosen output format.
 */
#ifndef GR_CLIUTIL_H
#define GR_CLIUTIL_H
#include <stdint.h>
#include "diag.h"
#include "graph.h"
#include "util.h"
#include <stdio.h>

struct option;

typedef struct GrBind {
  char *name;
  double *v; /* n values (malloc'd) */
  size_t n;
  int vector; /* written as [..] (a vector of length 1 stays a vector) */
} GrBind;

typedef struct GrBindList {
  GrBind *b;
  int n, cap;
} GrBindList;

/* Parse "a=1,b=pi/4,x=[1,2,3]" and append to l (a later value of a name replaces an
 * earlier one). On error: GR_EUSAGE with a span into text. */
GrStatus gr_binds_parse(GrBindList *l, const char *text, GrDiag *d);
const GrBind *gr_binds_find(const GrBindList *l, const char *name);
void gr_binds_free(GrBindList *l);

/* Split "a,b,c" at top-level commas into a malloc'd NULL-terminated array of strings. */
char **gr_split_list(const char *text, int *n);
void gr_free_list(char **v);
/* GR_EUSAGE with a span at the first empty item of a comma list ("x,,y", "x,", ",x", or
 * only blanks), else GR_OK. gr_binds_parse does this check itself. */
GrStatus gr_list_check(const char *text, GrDiag *d);

/* The expressions of a text of several lines (an expression read from standard input):
 * each line is one expression, except that a line continues on the next when it ends
 * with a backslash (removed), inside an open '(' or '[', or with an operator, and when
 * the next line starts with an operator or a closing bracket; blank lines and '#'
 * comments are skipped; statements ending in ';' (definitions) are put before every
 * expression. A malloc'd NULL-terminated list; NULL when the text holds at most one
 * expression (then it is parsed as it is). */
char **gr_split_lines(const char *text, int *n);
/* The compression format whose magic number starts buf (gzip, bzip2, xz, zstd, zip), or
 * NULL: compressed input is reported as such, not quoted as bytes. */
const char *gr_compressed(const void *buf, size_t n);
/* Like gr_read_all (util.h) for the text of an expression: GR_EIO naming the file and the reason when it
 * cannot be read, GR_EUSAGE naming the line, column and byte offset of a NUL byte (which
 * would otherwise end the text there). *out is malloc'd. */
GrStatus gr_read_text(const char *path, char **out, GrDiag *d);
/* Can path be written (an output file named on the command line)? GR_EIO naming it and the
 * reason (a directory, no such folder, no permission), checked before any work is done. */
GrStatus gr_check_output_path(const char *path, GrDiag *d);
/* The first NUL byte among s[0..n): 1 with its byte offset, line and column (from 1). */
int gr_find_nul(const char *s, size_t n, size_t *off, size_t *line, size_t *col);

/* Write errors on stdout, checked where a command ends: flush stdout; when that or an
 * earlier write failed, print "PROG: error: writing output: REASON" (once per process, and
 * not for a status 3: that came with its own message) and return 3 (130 stays 130), else
 * status. */
int gr_check_stdout(const char *prog, int status);
/* The same at the end of main, closing stdout as gnulib's close_stdout does (a closed
 * stdout that nothing was written to is fine). */
int gr_close_stdout(const char *prog, int status);

/* Write s as a JSON string literal. */
void gr_json_str(FILE *f, const char *s);
/* Write a number: shortest round-trip or `digits` significant digits; in JSON, non-finite
 * values are written as null (JSON has no inf/nan). */
void gr_put_num(FILE *f, double v, int digits, int json);

/* getopt_long with "+" stops at the first operand; this returns a malloc'd argv (free the
 * array, not the strings) with the options first, then "--", then the operands, so that
 * options may follow the expressions. Only "--long" and the short options listed in
 * short_opts count as options ("-x^2" is an expression); short_arg_opts and the
 * required_argument entries of long_opts take the next argument as their value. When such
 * an option is last and missing != NULL, *missing names it (else NULL). */
char **gr_permute_args(int argc, char **argv, const char *short_opts, const char *short_arg_opts,
                       const struct option *long_opts, int *nargc, const char **missing);

/* NAME=NUMBER (spaces allowed around '='): the name's length, else 0. */
size_t gr_bind_form(const char *s);
/* An operand NAME=VALUE right after the value of one of the options opts (NULL-terminated,
 * e.g. "--from", "--fix"; the forms --opt VALUE and --opt=VALUE), which most likely lost its
 * comma ("--at x=1 y=2" meant "--at x=1,y=2"). */
typedef struct GrSlip {
  const char *arg, *opt, *val;
} GrSlip;
/* The slips among argv (before any "--"): a malloc'd array of *n entries. */
GrSlip *gr_find_slips(int argc, char **argv, const char *const *opts, int *n);
/* Print "PROG: error: 'ARG' after OPT VAL is ...: did you mean OPT VAL,ARG,...?" for
 * slips[s] with every slip of the same value, on stderr. */
void gr_slip_error(const char *prog, const char *what, const GrSlip *slips, int n, int s);

/* A getopt_long error on arg (argv[optind-1]) as the user typed it: an option that takes
 * no value given one (--no-grad=1), an ambiguous abbreviation (with the candidates), an
 * unknown long option (with the nearest name when one is close). Written into buf. */
const char *gr_option_msg(const char *arg, const struct option *long_opts, char *buf, size_t n);

/* Sets gr_interrupted (util.h) on SIGINT. */
void gr_catch_sigint(void);

/* A progress line on standard error for long runs, only when it is a terminal: after the
 * first second, at most five times a second, "PROG: WHAT N of TOTAL (P%), ETA T" (a rate
 * when total is 0), then EXTRA; erased by gr_progress_clear (call it before anything else
 * is printed on the terminal). */
typedef struct GrProgress {
  int on, shown;
  const char *prog, *what;
  double t0, last;
} GrProgress;
void gr_progress_start(GrProgress *p, const char *prog, const char *what, int enabled);
void gr_progress_show(GrProgress *p, uint64_t done, uint64_t total, const char *extra);
void gr_progress_clear(GrProgress *p);

#endif
