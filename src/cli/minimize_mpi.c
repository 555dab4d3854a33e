/* SPDX-License-Identifier: GPL-3.0-or-later
 * minimize under mpirun (minimize_mpi.h). The only file that calls MPI; compiled to stubs without it.
 */
#include "config.h"
#include "minimize_mpi.h"
#include "util.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#ifdef HAVE_MPI
#include <mpi.h>
#include <limits.h>

static int on, rank, size, solo;
static int held = -1;      /* ranks > 0: the real stderr while it is held back */
static FILE *held_err;     /* ... and a stream on it */
static FILE *hold;         /* ... and what was written meanwhile */
static volatile sig_atomic_t pending;
/* the rows each rank holds after min_mpi_read, for gather: first row and count */
static size_t *row_first, *row_count, block_rows;

static int started_by_launcher(void) {
  /* Open MPI, PMIx-based launchers (Slurm, PRRTE), MPICH's Hydra */
  static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                     "PMI_SIZE"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    if (getenv(vars[i]))
      return 1;
  return 0;
}

int min_mpi_init(void) {
  if (on || !started_by_launcher())
    return on;
  if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
    return 0;
  on = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank > 0) {
    fflush(stdout);
    fflush(stderr);
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0) {
      dup2(devnull, STDOUT_FILENO);
      close(devnull);
    }
    hold = tmpfile();
    held = dup(STDERR_FILENO);
    if (hold && held >= 0) {
      held_err = fdopen(held, "w");
      dup2(fileno(hold), STDERR_FILENO);
    }
  }
  return 1;
}

int min_mpi_on(void) { return on; }
int min_mpi_rank(void) { return on ? rank : 0; }
int min_mpi_size(void) { return on ? size : 1; }

void min_mpi_solo(void) {
  if (on && rank == 0) {
    on = 0; /* no collectives from here on; MPI_Finalize still at the end */
    solo = 1;
  }
}

void min_mpi_finish(void) {
  if (solo) {
    solo = 0;
    MPI_Finalize();
  }
  if (!on)
    return;
  fflush(stdout);
  fflush(stderr);
  free(row_first);
  free(row_count);
  row_first = row_count = NULL;
  if (held_err)
    fclose(held_err);
  held_err = NULL;
  if (hold)
    fclose(hold);
  hold = NULL;
  MPI_Finalize();
  on = 0;
}

FILE *min_mpi_err(void) { return held_err ? held_err : stderr; }

int min_mpi_agree(int st, int *mine) {
  *mine = st != 0;
  if (!on)
    return st;
  int key = st ? rank : size, first;
  MPI_Allreduce(&key, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == size) {
    *mine = 0;
    return 0;
  }
  int s = st;
  MPI_Bcast(&s, 1, MPI_INT, first, MPI_COMM_WORLD);
  *mine = first == rank;
  return s;
}

void min_mpi_release(int mine) {
  if (!on || rank == 0 || !held_err)
    return;
  fflush(stderr);
  if (mine && hold) {
    char buf[4096];
    size_t n;
    rewind(hold);
    while ((n = fread(buf, 1, sizeof buf, hold)) > 0)
      fwrite(buf, 1, n, held_err);
    fflush(held_err);
  }
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, STDERR_FILENO);
    close(devnull);
  }
}

int min_mpi_any(int flag) {
  if (!on)
    return flag;
  int any = 0, mine = flag != 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any;
}

static void on_signal(int sig) {
  (void)sig;
  pending = 1;
}

void min_mpi_catch_signals(void) {
  if (!on)
    return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  /* Open MPI's mpirun passes SIGUSR1 on to every process without ending the job, so the
   * processes' own status 130 becomes mpirun's (on SIGINT or SIGTERM it returns 1 whatever
   * the processes return) */
  sigaction(SIGUSR1, &sa, NULL);
}

int min_mpi_interrupted(void) { return min_mpi_any(pending); }

/* all-gather the per-block partial sums: rank k holds blocks [first_k / B, ...) */
static void gather(void *ctx, double *part, size_t width) {
  (void)ctx;
  int *cnt = gr_xmalloc((size_t)size * sizeof *cnt), *dsp = gr_xmalloc((size_t)size * sizeof *dsp);
  for (int k = 0; k < size; k++) {
    cnt[k] = (int)((row_count[k] + block_rows - 1) / block_rows * width);
    dsp[k] = (int)(row_first[k] / block_rows * width);
  }
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, part, cnt, dsp, MPI_DOUBLE,
                 MPI_COMM_WORLD);
  free(cnt);
  free(dsp);
}

static size_t overlap(size_t a0, size_t a1, size_t b0, size_t b1) {
  size_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
  return hi > lo ? hi - lo : 0;
}

GrStatus min_mpi_read(const char *path, char *const *names, const int *us, int nus,
                      size_t block, GrData *out, GrFitShard *sh, int *mine, GrDiag *d) {
  memset(out, 0, sizeof *out);
  memset(sh, 0, sizeof *sh);
  GrData head;
  uint64_t start = 0, fsize = 0, nl_head = 0, nl_in = 0, nl_before = 0;
  GrStatus st = gr_data_head(path, names, us, nus, &head, &start, &fsize, d);
  if ((st = min_mpi_agree(st, mine)))
    return st;
  /* the rows part [start, fsize) in equal byte ranges, cut at line starts by the reader */
  uint64_t len = fsize - start;
  uint64_t begin = start + (uint64_t)((unsigned __int128)len * (unsigned)rank / (unsigned)size);
  uint64_t end = start + (uint64_t)((unsigned __int128)len * (unsigned)(rank + 1) / (unsigned)size);
  st = gr_data_count_lines(path, 0, start, &nl_head, d);
  if (!st)
    st = gr_data_count_lines(path, begin, end, &nl_in, d);
  if ((st = min_mpi_agree(st, mine))) {
    gr_data_free(&head);
    return st;
  }
  /* line numbers: the newlines before this range are those of the ranges before it */
  MPI_Exscan(&nl_in, &nl_before, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0)
    nl_before = 0;
  st = gr_data_read_range(path, &head, us, nus, begin, end, nl_head + nl_before, nl_in, out, d);
  gr_data_free(&head);
  if ((st = min_mpi_agree(st, mine)))
    return st;
  /* the row counts; then rank k keeps global rows [t_k, t_k+1), t_k the first block
   * boundary at or after its first row, so that only the last rank has a short block */
  uint64_t n = out->nrow, *cnt = gr_xmalloc((size_t)size * sizeof *cnt);
  MPI_Allgather(&n, 1, MPI_UINT64_T, cnt, 1, MPI_UINT64_T, MPI_COMM_WORLD);
  size_t total = 0, *o = gr_xmalloc(((size_t)size + 1) * sizeof *o);
  size_t *t = gr_xmalloc(((size_t)size + 1) * sizeof *t);
  for (int k = 0; k < size; k++) {
    o[k] = total;
    total += cnt[k];
  }
  o[size] = total;
  free(cnt);
  if (total == 0) {
    free(o);
    free(t);
    *mine = rank == 0;
    gr_data_free(out);
    return gr_diag_set(d, GR_EIO, "%s: no data rows", strcmp(path, "-") ? path : "<stdin>");
  }
  size_t B = gr_fit_block(block, total);
  int moves = 0;
  for (int k = 0; k <= size; k++) {
    size_t b = k == 0 ? 0 : k == size ? total : (o[k] + B - 1) / B * B;
    t[k] = b > total ? total : b;
    moves |= t[k] != o[k];
  }
  size_t mine0 = o[rank], mine1 = o[rank + 1], new0 = t[rank], new1 = t[rank + 1];
  if (moves) {
    /* Only the rows that change hands travel (a block's worth at each boundary, at most);
     * the rows a process keeps stay in its columns, which are moved and resized in place,
     * so that no process ever holds a second copy of its share. Rows come in rank order,
     * which is row order: those from the processes before this one go before the kept
     * rows, those from the processes after it after them. */
    int *sc = gr_xcalloc((size_t)size, sizeof *sc), *sd = gr_xcalloc((size_t)size, sizeof *sd);
    int *rc = gr_xcalloc((size_t)size, sizeof *rc), *rd = gr_xcalloc((size_t)size, sizeof *rd);
    int big = 0;
    size_t nrecv = 0, low = 0;
    for (int j = 0; j < size; j++) {
      if (j == rank)
        continue;
      size_t s = overlap(mine0, mine1, t[j], t[j + 1]), r = overlap(o[j], o[j + 1], new0, new1);
      big |= mine1 - mine0 > INT_MAX || new1 - new0 > INT_MAX;
      sc[j] = (int)s;
      sd[j] = s ? (int)((t[j] > mine0 ? t[j] : mine0) - mine0) : 0;
      rc[j] = (int)r;
      rd[j] = (int)nrecv;
      nrecv += r;
      if (j < rank)
        low += r;
    }
    size_t keep0 = mine0 > new0 ? mine0 : new0, keep1 = mine1 < new1 ? mine1 : new1;
    size_t kept = keep1 > keep0 ? keep1 - keep0 : 0, from = kept ? keep0 - mine0 : 0;
    size_t oldn = mine1 - mine0, newn = new1 - new0;
    if (min_mpi_any(big)) {
      st = gr_diag_set(d, GR_EUSAGE, "%s: more than %d rows for one process: run more "
                                     "processes", path, INT_MAX);
      *mine = rank == 0;
      gr_data_free(out);
    } else {
      double *recv = gr_xmalloc((nrecv ? nrecv : 1) * sizeof *recv);
      for (int c = 0; c < out->ncol; c++) {
        double *col = out->col[c];
        MPI_Alltoallv(col, sc, sd, MPI_DOUBLE, recv, rc, rd, MPI_DOUBLE, MPI_COMM_WORLD);
        if (newn > oldn)
          col = gr_xrealloc(col, newn * sizeof *col);
        if (kept && from != low)
          memmove(col + low, col + from, kept * sizeof *col);
        memcpy(col, recv, low * sizeof *col);
        memcpy(col + low + kept, recv + low, (nrecv - low) * sizeof *col);
        if (newn < oldn)
          col = gr_xrealloc(col, (newn ? newn : 1) * sizeof *col);
        out->col[c] = col;
      }
      free(recv);
    }
    out->nrow = new1 - new0;
    free(sc);
    free(sd);
    free(rc);
    free(rd);
  }
  free(row_first);
  free(row_count);
  row_first = gr_xmalloc((size_t)size * sizeof *row_first);
  row_count = gr_xmalloc((size_t)size * sizeof *row_count);
  for (int k = 0; k < size; k++) {
    row_first[k] = t[k];
    row_count[k] = t[k + 1] - t[k];
  }
  block_rows = B;
  free(o);
  free(t);
  if (st)
    return st;
  sh->row0 = new0;
  sh->rows_total = total;
  sh->gather = gather;
  return GR_OK;
}

#else /* no MPI: nothing to do */

int min_mpi_init(void) { return 0; }
int min_mpi_on(void) { return 0; }
int min_mpi_rank(void) { return 0; }
int min_mpi_size(void) { return 1; }
void min_mpi_finish(void) {}
void min_mpi_solo(void) {}
FILE *min_mpi_err(void) { return stderr; }
int min_mpi_agree(int st, int *mine) {
  *mine = st != 0;
  return st;
}
void min_mpi_release(int mine) { (void)mine; }
int min_mpi_any(int flag) { return flag; }
void min_mpi_catch_signals(void) {}
int min_mpi_interrupted(void) { return 0; }
GrStatus min_mpi_read(const char *path, char *const *names, const int *us, int nus,
                      size_t block, GrData *out, GrFitShard *sh, int *mine, GrDiag *d) {
  (void)block;
  memset(sh, 0, sizeof *sh);
  GrStatus st = gr_data_read_using(path, names, us, nus, out, d);
  *mine = st != 0;
  return st;
}
#endif
