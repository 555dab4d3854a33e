/* SPDX-License-Identifier: GPL-3.0-or-later
 * minimize under mpirun: a data fit split over processes (ranks). Each rank reads its own
 * byte range of the data file and keeps whole blocks of rows; the fit's per-block partial
 * sums are all-gathered so that every rank adds all of them in block order and takes the
 * same steps. Rank 0 prints; the others print nothing unless an error is theirs alone.
 * Built without MPI (or not started by an MPI launcher) every function here is inert.
 */
#ifndef MIN_MPI_H
#define MIN_MPI_H
#include "data.h"
#include "optim.h"
#include <stdio.h>

/* MPI_Init when built with MPI and started by an MPI launcher (its environment tells):
 * returns 1 then; else 0 and nothing changes. Ranks other than 0 send stdout to /dev/null
 * and hold their stderr until min_mpi_release. */
int min_mpi_init(void);
int min_mpi_on(void);
int min_mpi_rank(void); /* 0 when off */
int min_mpi_size(void); /* 1 when off */
void min_mpi_finish(void);
/* Rank 0 goes on alone (not a data fit): no collectives, nothing held back. */
void min_mpi_solo(void);
/* Where this rank writes a message that is its own (a bad row in its part of the file). */
FILE *min_mpi_err(void);
/* Every rank passes its status; all get the first nonzero one in rank order (0 if none) and
 * *mine says whether it was this rank's. */
int min_mpi_agree(int st, int *mine);
/* After the set-up: a rank other than 0 shows what it held back on stderr if `mine`, then
 * writes to /dev/null. */
void min_mpi_release(int mine);
/* 1 on every rank if flag is set on any. */
int min_mpi_any(int flag);
/* Under MPI, SIGINT and SIGTERM (mpirun passes Ctrl-C on as SIGTERM) set a flag that
 * min_mpi_interrupted() combines over the ranks; call it at iteration boundaries. */
void min_mpi_catch_signals(void);
int min_mpi_interrupted(void);
/* Read this rank's share of a data file (collective): whole blocks of `block` rows
 * (gr_fit_block) but on the last rank, sh filled for gr_problem_new_shard. On error every
 * rank returns the same status and the rank whose error it is has it in d (*mine). */
GrStatus min_mpi_read(const char *path, char *const *names, const int *us, int nus,
                      size_t block, GrData *out, GrFitShard *sh, int *mine, GrDiag *d);

#endif
