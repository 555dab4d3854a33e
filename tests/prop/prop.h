/* SPDX-License-Identifier: GPL-3.0-or-later
 * Random property tests of the differentiation engine: a generator of random expressions
 * over every operation of the op table (gen.c) and the checks that compare the independent
 * ways of getting the same derivative (prop.c). The driver prop_run.c runs a fixed-seed
 * sample in make check and long runs by hand.
 */
#ifndef PROP_H
#define PROP_H
#include "ops.h"
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* ---- random numbers: splitmix64, so a seed gives the same cases on every machine ---- */
typedef struct PRng {
  uint64_t s;
} PRng;
uint64_t prng_next(PRng *r);
double prng_unif(PRng *r);           /* [0, 1) */
int prng_int(PRng *r, int n);        /* 0 .. n-1 */

/* ---- generated cases ---- */
#define PROP_NV 3   /* variables x, y, z */
#define PROP_VLEN 3 /* elements of a vector (vector cases: x is a vector) */
#define PROP_SRC_MAX 4096

typedef struct PCase {
  char src[PROP_SRC_MAX]; /* the program text: definitions then the expression */
  int vector;             /* x is a vector of PROP_VLEN elements (outputs may be vectors) */
  double pt[PROP_NV][PROP_VLEN]; /* the point: pt[v][0] for scalar variables */
  unsigned ops[GR_OP_COUNT];      /* how many times each op of the table was written */
  unsigned dot, norm, lets, funs; /* parse-level forms written */
  unsigned seq;                   /* the case's number in its run */
  const char *known;              /* a fixed reproducer: the known-defect row it is for */
} PCase;

/* A random case: expression of depth <= max_depth, and a random point. */
void prop_gen(PRng *r, int max_depth, int vector, PCase *c);
/* A random value for a variable: ordinary, integer, kink, near a pole, edge of the range. */
double prop_point_value(PRng *r);

/* ---- checks ---- */
/* Tallies. Only longs: a checking process's tallies are added field by field. */
typedef struct PStats {
  long cases, nonfinite_value, parse_fail;
  long comparisons, agree;
  long fd_done, fd_skip_kink, fd_skip_rough, fd_skip_domain, fd_skip_detach, fd_skip_absorbed;
  long fd_skip_branch, fd_skip_kink_at_point;
  long excluded, failed;
  long reprint_cut, illcond;
  long cli_cases;
} PStats;

/* Run every check on c; disagreements are classified (known exclusion or failure) and
 * recorded. Returns the number of unexplained disagreements. */
int prop_check(const PCase *c, PStats *st, int verbose);

/* Fill case number n (for prop_check_batch; called in the parent and in the child). */
typedef void (*PCaseFn)(void *ctx, long n, PCase *c);
/* Cases first .. first+count-1 checked in child processes: a crash or a hang (longer than
 * secs) of the engine is a disagreement of class crash@STAGE or hang@STAGE for that case,
 * not the end of the run. Returns the number of unexplained disagreements. */
long prop_check_batch(PCaseFn fn, void *ctx, long first, long count, PStats *st, int verbose,
                      unsigned secs);

/* The grad program to run for the modes that live only there (NULL: not run), on every
 * prop_cli_every-th scalar case. */
extern const char *prop_grad_path;
extern int prop_cli_every;

/* Tallies and reproducers per class (known exclusions and unexplained failures). */
void prop_report(FILE *f, const PStats *st);
/* Number of unexplained disagreement classes. */
int prop_failed_classes(void);

#endif
