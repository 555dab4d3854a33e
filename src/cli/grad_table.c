/* SPDX-License-Identifier: GPL-3.0-or-later
 * grad --range/--points/--plot/--gnuplot: tabulate the expressions and their partials over
 * a line or a grid (gr_table), written as gnuplot's whitespace-separated columns (scan lines
 * of a grid separated by a blank line), JSON or raw little-endian doubles (--format
 * binary), or piped into gnuplot as a plot (past PLOT_INLINE_MAX rows the data go to gnuplot
 * as a temporary binary file, which it reads far faster than inline text). Rows go through
 * one 64 KiB buffer and the fast printer: memory stays constant while streaming.
 */
#include "deriv.h"
#include "dtoa.h"
#include "gradprog.h"
#include "num.h"
#include "plot.h"
#include "print.h"
#include "simplify.h"
#include "table.h"
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUTCAP 65536
/* --plot: tables with more rows reach gnuplot as a temporary binary file */
#define PLOT_INLINE_MAX 2000

/* Output through a buffer of OUTCAP bytes flushed to f, or (f NULL) a buffer that grows:
 * a chunk of rows formatted by a thread, written in order later. */
typedef struct Out {
  FILE *f;
  char *b;
  size_t n, cap;
  int err;
  int digits, json, binary;
  double *lo, *hi; /* a plot: each column's least and greatest finite value (else NULL) */
} Out;

static void span_alloc(Out *o, size_t ncol) {
  o->lo = gr_xmalloc(ncol * sizeof *o->lo);
  o->hi = gr_xmalloc(ncol * sizeof *o->hi);
  for (size_t k = 0; k < ncol; k++) {
    o->lo[k] = INFINITY;
    o->hi[k] = -INFINITY;
  }
}

static void span_merge(Out *o, const Out *w, size_t ncol) {
  for (size_t k = 0; k < ncol; k++) {
    o->lo[k] = fmin(o->lo[k], w->lo[k]);
    o->hi[k] = fmax(o->hi[k], w->hi[k]);
  }
}

static void out_flush(Out *o) {
  if (!o->f)
    return;
  if (o->n && fwrite(o->b, 1, o->n, o->f) != o->n)
    o->err = errno ? errno : EIO;
  o->n = 0;
}
static void out_grow(Out *o, size_t k) {
  while (o->n + k > o->cap)
    o->cap *= 2;
  o->b = gr_xrealloc(o->b, o->cap);
}
static inline void out_room(Out *o, size_t k) {
  if (o->n + k > o->cap) {
    if (o->f)
      out_flush(o);
    if (o->n + k > o->cap)
      out_grow(o, k);
  }
}
static inline void out_ch(Out *o, char c) {
  out_room(o, 1);
  o->b[o->n++] = c;
}
static void out_str(Out *o, const char *s) {
  size_t L = strlen(s);
  if (o->f && L > OUTCAP / 2) {
    out_flush(o);
    fputs(s, o->f);
    return;
  }
  out_room(o, L);
  memcpy(o->b + o->n, s, L);
  o->n += L;
}
static inline void out_num(Out *o, double v) {
  out_room(o, 40);
  if (o->json && !isfinite(v)) {
    memcpy(o->b + o->n, "null", 4);
    o->n += 4;
  } else if (o->digits > 0)
    o->n += (size_t)gr_fmt(o->b + o->n, v, o->digits);
  else
    o->n += (size_t)gr_dtoa(v, o->b + o->n);
}

#if !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
/* v as 8 little-endian bytes (IEEE binary64) at p, on a machine not known to be little-endian
 * (a little-endian one packs whole rows with gr_table_pack) */
static inline void put_le(char *p, double v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  uint64_t u;
  memcpy(&u, &v, 8);
  u = __builtin_bswap64(u);
  memcpy(p, &u, 8);
#else
  memcpy(p, &v, 8);
#endif
}
#endif

/* The rows of one block (m rows from global row `row`); returns how many have a value that
 * is not finite. inner: a grid's inner count (a blank line after each scan line), or 0. */
static uint64_t emit_block(Out *out, const double *const *cols, size_t ncol, size_t m,
                           uint64_t row, uint64_t inner) {
  uint64_t nonfinite = 0;
  if (out->lo)
    for (size_t k = 0; k < ncol; k++) {
      double lo = out->lo[k], hi = out->hi[k];
      for (size_t i = 0; i < m; i++) {
        double v = cols[k][i];
        if (isfinite(v)) {
          lo = v < lo ? v : lo;
          hi = v > hi ? v : hi;
        }
      }
      out->lo[k] = lo;
      out->hi[k] = hi;
    }
  if (out->binary) {
    /* as many whole rows as the buffer holds at a time */
    size_t rowb = ncol * 8;
    for (size_t i = 0; i < m;) {
      out_room(out, rowb);
      size_t k = (out->cap - out->n) / rowb;
      if (k > m - i)
        k = m - i;
      char *p = out->b + out->n;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      /* (binary output fills the malloc'd buffer in whole doubles: p is aligned) */
      if (gr_table_pack((double *)(void *)p, cols, ncol, i, k))
        i += k; /* all finite: no row to count */
      else
        for (size_t e = i + k; i < e; i++) {
          int bad = 0;
          for (size_t c = 0; c < ncol; c++)
            bad |= !isfinite(cols[c][i]);
          nonfinite += (uint64_t)bad;
        }
#else
      for (size_t e = i + k; i < e; i++) {
        int bad = 0;
        for (size_t c = 0; c < ncol; c++, p += 8) {
          double v = cols[c][i];
          bad |= !isfinite(v);
          put_le(p, v);
        }
        nonfinite += (uint64_t)bad;
      }
#endif
      out->n += k * rowb;
    }
    return nonfinite;
  }
  for (size_t i = 0; i < m; i++, row++) {
    if (out->json) {
      out_str(out, row ? ",[" : "[");
    } else if (inner && row && row % inner == 0)
      out_ch(out, '\n'); /* gnuplot's grid: a blank line ends each scan line */
    int bad = 0;
    for (size_t k = 0; k < ncol; k++) {
      double v = cols[k][i];
      if (k)
        out_ch(out, out->json ? ',' : '\t');
      bad |= !isfinite(v);
      out_num(out, v);
    }
    nonfinite += (uint64_t)bad;
    out_ch(out, out->json ? ']' : '\n');
  }
  return nonfinite;
}

/* A temporary file for --plot's binary data: in TMPDIR, else the C library's P_tmpdir;
 * NULL (and a message) if it cannot be made. */
static FILE *plot_tmpfile(char **path) {
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir)
    dir = P_tmpdir;
  GrBuf b = {0};
  gr_buf_printf(&b, "%s/grad-plot-XXXXXX", dir);
  int fd = mkstemp(b.s);
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f) {
    fprintf(stderr, "grad: error: cannot create a temporary file for the plot data in %s: %s\n",
            dir, strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(b.s);
    }
    gr_buf_free(&b);
    return NULL;
  }
  *path = b.s;
  return f;
}

/* How gnuplot names the binary file: 'path' binary format='%Ndouble' (record=NxM: a grid) */
static char *binary_spec(const char *path, size_t ncol, uint64_t inner, uint64_t outer) {
  GrBuf b = {0};
  gr_buf_puts(&b, "'");
  for (const char *p = path; *p; p++)
    gr_buf_puts(&b, *p == '\'' ? "''" : (char[2]){*p, 0});
  gr_buf_printf(&b, "' binary format='%%%zudouble'", ncol);
  if (inner)
    gr_buf_printf(&b, " record=%llux%llu", (unsigned long long)inner, (unsigned long long)outer);
  return b.s;
}

/* One --range item: NAME=LO:HI[:N], with byte offsets into the option text for carets. */
typedef struct RangeText {
  char *name;
  double lo, hi;
  long n; /* 0: --points */
} RangeText;

static int range_error(const char *text, size_t off, size_t len, const char *msg) {
  GrDiag d;
  gr_diag_span(&d, GR_EUSAGE, off, len, "%s", msg);
  gr_diag_render(stderr, "grad", &d, text);
  fprintf(stderr, "  (in --range; the form is NAME=LO:HI[,NAME=LO:HI], e.g. x=-6.5:3.5)\n");
  fputs("Try 'grad --help' for more information.\n", stderr);
  return 2;
}

/* Evaluate text[off, off+len) as a constant expression. */
static int range_value(const char *text, size_t off, size_t len, double *v) {
  char *s = gr_xmalloc(len + 1);
  memcpy(s, text + off, len);
  s[len] = 0;
  GrDiag d;
  int st = 0;
  if (len == 0)
    st = range_error(text, off, 0, "missing value");
  else if (gr_eval_const(s, v, &d) != GR_OK) {
    size_t o2 = d.has_span ? off + d.off : off, l2 = d.has_span ? d.len : len;
    st = range_error(text, o2, l2, d.msg);
  } else if (!isfinite(*v))
    st = range_error(text, off, len, "a range end must be a finite number");
  free(s);
  return st;
}

static int parse_ranges(const char *text, RangeText *r, int *nr) {
  *nr = 0;
  size_t L = strlen(text), start = 0;
  for (size_t i = 0; i <= L; i++) {
    if (i < L && text[i] != ',')
      continue;
    /* one item text[start, i) */
    size_t eq = start;
    while (eq < i && text[eq] != '=')
      eq++;
    size_t ns = start, ne = eq;
    while (ns < ne && isspace((unsigned char)text[ns]))
      ns++;
    while (ne > ns && isspace((unsigned char)text[ne - 1]))
      ne--;
    if (eq == i)
      return range_error(text, start, i - start, "expected NAME=LO:HI");
    int ok = ne > ns && (isalpha((unsigned char)text[ns]) || text[ns] == '_');
    for (size_t k = ns; ok && k < ne; k++)
      ok = isalnum((unsigned char)text[k]) || text[k] == '_';
    if (!ok)
      return range_error(text, ns, ne - ns, "expected a variable name before '='");
    if (*nr == 2)
      return range_error(text, start, i - start,
                         "at most two ranges: one makes a line, two make a grid");
    size_t c1 = eq + 1, c2;
    int depth = 0;
    while (c1 < i && (text[c1] != ':' || depth)) {
      depth += text[c1] == '(' ? 1 : text[c1] == ')' ? -1 : 0;
      c1++;
    }
    if (c1 == i)
      return range_error(text, eq + 1, i - eq - 1, "expected LO:HI after '='");
    c2 = c1 + 1;
    while (c2 < i && (text[c2] != ':' || depth)) {
      depth += text[c2] == '(' ? 1 : text[c2] == ')' ? -1 : 0;
      c2++;
    }
    RangeText *t = &r[*nr];
    memset(t, 0, sizeof *t);
    if (range_value(text, eq + 1, c1 - eq - 1, &t->lo) || range_value(text, c1 + 1, c2 - c1 - 1, &t->hi))
      return 2;
    if (c2 < i) {
      char *end;
      errno = 0;
      t->n = strtol(text + c2 + 1, &end, 10);
      if (errno || end != text + i || t->n < 1 || t->n > 1000000000L)
        return range_error(text, c2 + 1, i - c2 - 1, "the point count must be a whole number from 1 to 10^9");
    }
    t->name = gr_xmalloc(ne - ns + 1);
    memcpy(t->name, text + ns, ne - ns);
    t->name[ne - ns] = 0;
    if (*nr == 1 && !strcmp(r[0].name, t->name)) {
      free(t->name);
      return range_error(text, ns, ne - ns, "this variable already has a range");
    }
    (*nr)++;
    start = i + 1;
  }
  return 0;
}

/* Warnings collected over all blocks: each troubled node once, with its first point. */
typedef struct Issues {
  GrTapeIssue is[16];
  size_t n;
  int full;
} Issues;

/* Keep issue x unless one of its node and kind is kept already (at most 16). */
static void add_issue(Issues *I, const GrTapeIssue *x) {
  if (I->full)
    return;
  int seen = 0;
  for (size_t j = 0; j < I->n; j++)
    seen |= I->is[j].node == x->node && I->is[j].kind == x->kind;
  if (!seen)
    I->is[I->n++] = *x;
  I->full = I->n >= 16;
}

/* finite: every value of the block's columns was finite (gr_table_issues) */
static void collect_issues(Issues *I, const GrTable *t, int finite) {
  if (I->full)
    return;
  GrTapeIssue buf[16];
  size_t n = gr_table_issues(t, finite, buf, 16);
  for (size_t i = 0; i < n; i++)
    add_issue(I, &buf[i]);
}

/* the cores this process may run on */
static long cores_available(void) {
  cpu_set_t cs;
  return sched_getaffinity(0, sizeof cs, &cs) == 0 ? CPU_COUNT(&cs) : sysconf(_SC_NPROCESSORS_ONLN);
}

/* --threads N: the main thread and N - 1 workers share the chunks of CHUNK_BLOCKS blocks.
 * Each thread takes the next chunk not yet taken, computes it on its own table and formats
 * its rows into one of its own two buffers. The chunks are written in order, with their
 * issues replayed in block order, so the bytes on stdout and stderr are the same for any N:
 * a thread that has finished a chunk writes, under the pool's lock, every chunk that is
 * next in order and ready. A thread waits (polls, then sleeps) only when both its buffers
 * hold chunks not yet written. At most 2N chunks are taken and not written, so ring[c % 2N]
 * finds chunk c's buffer.
 *   What this replaced or was tried, each measured slower on two cores: a main thread that
 * only waited and wrote (it slept and woke twice a chunk, a third thread on two cores);
 * chunks dealt out round-robin (every thread waited for the slowest: the median run 1.66x
 * one thread against 1.80x now); and buffers shared by all threads in a ring (their lines
 * left the cores' caches: with one thread, four buffers of a chunk instead of one cost 10%
 * of a binary table's time). */
#ifndef CHUNK_BLOCKS
#define CHUNK_BLOCKS 16
#endif
/* how many times a thread polls before it sleeps on the condition variable (about 10 ns
 * each): a chunk's time or two, so that a buffer about to be written costs no sleep. Only
 * when every thread has a core: else the pollers would take time from the others. */
#ifndef SPIN_POLLS
#define SPIN_POLLS 20000
#endif

typedef struct Slot {
  Out out;
  uint64_t nonfinite;
  GrTapeIssue *is; /* the issues of each block of the chunk, in order */
  size_t nis, capis;
  uint64_t done; /* c + 1 once chunk c is formatted here; atomic */
} Slot;

typedef struct Pool {
  Slot **ring;      /* ring[c % nring]: the buffer of chunk c, once taken */
  uint64_t nring, nchunks;
  uint64_t next;    /* the next chunk to take; atomic */
  uint64_t written; /* how many chunks are written; atomic, changed under mu */
  int quit;         /* stop: interrupted, or the output failed; atomic, set under mu */
  int go;           /* every thread has started; atomic, set under mu */
  int polls;        /* SPIN_POLLS, or 0 with more threads than cores */
  size_t nw;
  uint64_t inner;
  /* the writer's state, under mu */
  Out *out;
  Issues *iss;
  uint64_t nonfinite, rows, per;
  size_t ncol;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* broadcast when written, quit or go changes */
} Pool;

typedef struct Worker {
  pthread_t th;
  GrTable *t;
  Pool *pool;
  Slot s[2];
} Worker;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static inline uint64_t load64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline int quitting(const Pool *P) { return __atomic_load_n(&P->quit, __ATOMIC_ACQUIRE); }

/* The issues of one block list (ended by a null node) merged as collect_issues does. */
static const GrTapeIssue *merge_issues(Issues *I, const GrTapeIssue *p) {
  for (; p->node; p++)
    add_issue(I, p);
  return p + 1;
}

/* the table's progress line, shown as chunks are written */
static GrProgress *table_progress;

/* Chunk c's buffer if the chunk is formatted, else NULL. (A stale ring entry is the buffer
 * of an earlier chunk, whose done is not c + 1.) */
static const Slot *formatted(const Pool *P, uint64_t c) {
  const Slot *sl = __atomic_load_n(&P->ring[c % P->nring], __ATOMIC_ACQUIRE);
  return sl && load64(&sl->done) == c + 1 ? sl : NULL;
}

/* With mu held: write every chunk that is next in order and formatted. */
static void write_ready(Pool *P) {
  Out *out = P->out;
  uint64_t c0 = P->written, c = c0;
  const Slot *sl;
  for (; c < P->nchunks && !P->quit && (sl = formatted(P, c)); c++) {
    if (sl->out.n > out->cap - out->n) /* make room, without growing the buffer */
      out_flush(out);
    if (sl->out.n > out->cap - out->n) { /* bigger than the buffer: straight out, no copy */
      if (sl->out.n && fwrite(sl->out.b, 1, sl->out.n, out->f) != sl->out.n)
        out->err = errno ? errno : EIO;
    } else {
      memcpy(out->b + out->n, sl->out.b, sl->out.n);
      out->n += sl->out.n;
    }
    P->nonfinite += sl->nonfinite;
    if (table_progress)
      gr_progress_show(table_progress, (c + 1) * P->per < P->rows ? (c + 1) * P->per : P->rows,
                       P->rows, NULL);
    if (out->lo)
      span_merge(out, &sl->out, P->ncol);
    for (const GrTapeIssue *p = sl->is, *e = sl->is + sl->nis; p < e;)
      p = merge_issues(P->iss, p);
    if (gr_interrupted || out->err)
      __atomic_store_n(&P->quit, 1, __ATOMIC_RELEASE);
  }
  if (c != c0 || P->quit) {
    __atomic_store_n(&P->written, c, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&P->cv);
  }
}

/* Compute chunk c on table t into sl; cols has room for the table's columns. */
static void compute_chunk(Pool *P, GrTable *t, Slot *sl, uint64_t c, const double **cols) {
  size_t ncol = gr_table_ncols(t), B = gr_table_block(t);
  sl->out.n = 0;
  sl->nis = 0;
  sl->nonfinite = 0;
  gr_table_seek(t, c * CHUNK_BLOCKS * B);
  for (int b = 0; b < CHUNK_BLOCKS && !gr_interrupted; b++) {
    size_t m = gr_table_next(t);
    if (!m)
      break;
    for (size_t i = 0; i < ncol; i++)
      cols[i] = gr_table_col(t, i);
    uint64_t bad = emit_block(&sl->out, cols, ncol, m, gr_table_row(t), P->inner);
    sl->nonfinite += bad;
    if (P->nw) {
      GrTapeIssue buf[16];
      size_t n = gr_table_issues(t, bad == 0, buf, 16);
      if (sl->nis + n + 1 > sl->capis) {
        sl->capis = 2 * (sl->nis + n + 1);
        sl->is = gr_xrealloc(sl->is, sl->capis * sizeof *sl->is);
      }
      memcpy(sl->is + sl->nis, buf, n * sizeof *buf);
      sl->nis += n;
      sl->is[sl->nis++] = (GrTapeIssue){0}; /* a null node ends each block's list */
    }
  }
  __atomic_store_n(&sl->done, c + 1, __ATOMIC_RELEASE);
}

/* May the thread fill sl (its chunk is written, or it never had one), or must it stop? */
static int slot_free(const Pool *P, const Slot *sl) {
  return (__atomic_load_n(&P->go, __ATOMIC_ACQUIRE) && load64(&sl->done) <= load64(&P->written)) ||
         quitting(P);
}

/* One thread's share: take chunks until none is left, computing and writing them. */
static void work(Pool *P, Worker *w) {
  const double **cols = gr_xmalloc(gr_table_ncols(w->t) * sizeof *cols);
  for (unsigned k = 0;; k ^= 1) {
    Slot *sl = &w->s[k];
    int spins = 0;
    while (spins < P->polls && !slot_free(P, sl))
      cpu_relax(), spins++;
    if (spins == P->polls) {
      pthread_mutex_lock(&P->mu);
      while (!slot_free(P, sl))
        pthread_cond_wait(&P->cv, &P->mu);
      pthread_mutex_unlock(&P->mu);
    }
    if (quitting(P))
      break;
    uint64_t c = __atomic_fetch_add(&P->next, 1, __ATOMIC_ACQ_REL);
    if (c >= P->nchunks)
      break;
    __atomic_store_n(&P->ring[c % P->nring], sl, __ATOMIC_RELEASE);
    compute_chunk(P, w->t, sl, c, cols);
    /* Write it if it is next, with whatever is ready after it. (A trylock, leaving the
     * writing to a thread that holds the lock, was no faster, and needs fences to be sure
     * that a chunk finished meanwhile is not left unwritten.) */
    pthread_mutex_lock(&P->mu);
    write_ready(P);
    pthread_mutex_unlock(&P->mu);
  }
  free(cols);
}

static void *worker_main(void *arg) {
  Worker *w = arg;
  work(w->pool, w);
  return NULL;
}

/* Run the table on n threads, writing to out (flushed in order). Returns the non-finite
 * row count; *ok is 0 when a thread could not be started (then nothing was written). */
static uint64_t run_threads(const GrTableSpec *spec, GrTable *t0, int order, int order_var,
                            int n, Out *out, uint64_t inner, size_t nw, Issues *iss, int *ok) {
  size_t ncol = gr_table_ncols(t0);
  uint64_t rows = gr_table_rows(t0), per = (uint64_t)CHUNK_BLOCKS * gr_table_block(t0);
  Pool P = {.nchunks = (rows + per - 1) / per, .nw = nw, .inner = inner, .out = out, .iss = iss,
            .rows = rows, .per = per, .ncol = ncol};
  P.nring = 2 * (uint64_t)n;
  P.polls = n <= cores_available() ? SPIN_POLLS : 0;
  P.ring = gr_xcalloc(P.nring, sizeof *P.ring);
  pthread_mutex_init(&P.mu, NULL);
  pthread_cond_init(&P.cv, NULL);
  Worker *w = gr_xcalloc((size_t)n, sizeof *w);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < 2; j++) {
      w[i].s[j].out = (Out){NULL, gr_xmalloc(OUTCAP), 0, OUTCAP, 0, out->digits, out->json,
                            out->binary, NULL, NULL};
      if (out->lo)
        span_alloc(&w[i].s[j].out, ncol);
    }
  w[0].t = t0;
  w[0].pool = &P;
  int started = 1; /* the main thread */
  /* the workers wait for go, set once every one has started: if one cannot be started,
   * the others stop and the caller runs the table alone */
  for (int i = 1; i < n; i++) {
    GrDiag d;
    if (gr_table_open(spec, &w[i].t, &d) != GR_OK)
      break;
    if (order >= 1) /* every thread's table computes the same columns as t0 */
      gr_table_set_order(w[i].t, order, order_var);
    w[i].pool = &P;
    if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
      gr_table_free(w[i].t);
      break;
    }
    started++;
  }
  *ok = started == n;
  pthread_mutex_lock(&P.mu);
  __atomic_store_n(*ok ? &P.go : &P.quit, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&P.cv);
  pthread_mutex_unlock(&P.mu);
  if (*ok)
    work(&P, &w[0]);
  for (int i = 1; i < started; i++) {
    pthread_join(w[i].th, NULL);
    gr_table_free(w[i].t);
  }
  pthread_mutex_lock(&P.mu); /* anything finished last and not yet written */
  write_ready(&P);
  pthread_mutex_unlock(&P.mu);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < 2; j++) {
      free(w[i].s[j].out.b);
      free(w[i].s[j].out.lo);
      free(w[i].s[j].out.hi);
      free(w[i].s[j].is);
    }
  free(P.ring);
  free(w);
  pthread_mutex_destroy(&P.mu);
  pthread_cond_destroy(&P.cv);
  return P.nonfinite;
}

/* The threads for a table of `rows` rows: --threads, else the cores this process may use;
 * never more than there are chunks of blocks. */
static int table_threads(const GradOpts *o, uint64_t rows, size_t block) {
  long n = o->threads;
  if (n <= 0)
    n = cores_available();
  uint64_t chunks = (rows + (uint64_t)CHUNK_BLOCKS * block - 1) / ((uint64_t)CHUNK_BLOCKS * block);
  if ((uint64_t)n > chunks)
    n = (long)chunks;
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static int grad_table_run(GradCtx *c, RangeText *rt, int nr) {
  GradOpts *o = c->o;
  GrGraph *g = c->g;
  int st = 0;
  int plotting = o->plot || o->gnuplot;
  if (o->format == FMT_LATEX || o->format == FMT_C)
    return fprintf(stderr, "grad: error: --range writes text, tsv, json or binary, not latex or c\n"), 2;
  if (o->format == FMT_BINARY) {
    const char *why = plotting ? "--plot and --gnuplot write gnuplot scripts, not a table"
                      : o->digits ? "--digits rounds printed numbers; binary rows are exact doubles"
                      : isatty(STDOUT_FILENO) ? "standard output is a terminal: redirect it to a file or a pipe"
                                              : NULL;
    if (why)
      return fprintf(stderr, "grad: error: --format binary: %s\n", why), 2;
  }
  GrRange r[2];
  for (int k = 0; k < nr; k++) {
    if (gr_var_index(g, rt[k].name) < 0)
      gr_var(g, rt[k].name); /* not in the expression: a column all the same */
    int v = gr_var_index(g, rt[k].name);
    r[k] = (GrRange){v, rt[k].lo, rt[k].hi, rt[k].n ? (uint64_t)rt[k].n : (uint64_t)o->points};
  }
  /* every other variable is a fixed scalar from --at */
  double *fixed = gr_xcalloc((size_t)g->nvars + 1, sizeof *fixed);
  for (int v = 0; v < g->nvars; v++) {
    const GrBind *b = gr_binds_find(&o->at, g->vars[v]);
    int ranged = 0;
    for (int k = 0; k < nr; k++)
      ranged |= r[k].var == v;
    if (b && !ranged) {
      if (b->vector || b->n != 1) {
        fprintf(stderr, "grad: error: --at %s is a vector; with --range every other variable "
                        "must be a single number\n", g->vars[v]);
        free(fixed);
        return 2;
      }
      fixed[v] = b->v[0];
    }
  }
  /* partials: the range variables unless --wrt says otherwise */
  int nw = 0, *w;
  if (o->wrt) {
    w = grad_wrt_vars(c, &nw, &st);
    if (!w) {
      free(fixed);
      return st;
    }
  } else {
    w = gr_xmalloc(2 * sizeof *w);
    for (int k = 0; k < nr; k++)
      w[nw++] = r[k].var;
  }
  int want_grad = !o->no_grad;
  if (o->no_grad)
    nw = 0;
  GrDiag d;
  /* --order N: the value columns f, f', ..., f^(N) by Taylor mode per block (as grad
   * --order N --at computes them), and no reverse-mode partial columns */
  GrNode **outs = c->outs;
  size_t nouts = (size_t)c->nout;
  int order = o->order;
  if (order >= 1) {
    const char *why = !want_grad  ? "asks for derivatives, which --no-grad turns off"
                      : c->nout > 1 ? "tabulates the derivatives of one expression"
                      : nw != 1     ? "differentiates by one variable: name it with --wrt"
                                    : NULL;
    if (why) {
      fprintf(stderr, "grad: error: --order with --range %s\n", why);
      free(fixed);
      free(w);
      return 2;
    }
    nw = 0;
  }
  /* vector math unless --exact (the 1-ulp rule: man grad, --exact) */
  GrTableSpec spec = {g, outs, nouts, r, nr, fixed, w, nw, 0, !o->exact};
  GrTable *t;
  if (gr_table_open(&spec, &t, &d) != GR_OK) {
    /* find the expression the span belongs to */
    const char *src = c->nout == 1 ? c->srcs[0] : NULL;
    for (int k = 0; k < c->nout && !src; k++) {
      GrTableSpec one = spec;
      GrTable *t1;
      GrDiag d1;
      one.outs = &c->outs[k];
      one.nout = 1;
      if (gr_table_open(&one, &t1, &d1) != GR_OK)
        src = c->srcs[k];
      gr_table_free(t1);
    }
    gr_diag_render(stderr, "grad", &d, d.has_span ? src : NULL);
    free(fixed);
    free(w);
    return d.status;
  }
  if (order >= 1)
    gr_table_set_order(t, order, w[0]);
  /* column names */
  int multi = c->nout > 1;
  size_t ncol = gr_table_ncols(t);
  char **names = gr_xcalloc(ncol, sizeof *names);
  size_t j = 0;
  for (int k = 0; k < nr; k++)
    names[j++] = gr_xstrdup(rt[k].name);
  GrBuf nb = {0};
  for (int k = 0; k < c->nout; k++) {
    nb.n = 0;
    if (multi)
      gr_buf_printf(&nb, "f%d", k + 1);
    else
      gr_buf_printf(&nb, "f");
    names[j++] = gr_xstrdup(nb.s);
  }
  for (int k = 1; k <= order; k++) {
    /* f df/dx d2f/dx2 ...: the names grad --order uses */
    nb.n = 0;
    if (k == 1)
      gr_buf_printf(&nb, "df/d%s", g->vars[w[0]]);
    else
      gr_buf_printf(&nb, "d%df/d%s%d", k, g->vars[w[0]], k);
    names[j++] = gr_xstrdup(nb.s);
  }
  for (int k = 0; k < c->nout; k++)
    for (int i = 0; i < nw; i++) {
      nb.n = 0;
      if (multi)
        gr_buf_printf(&nb, "df%d/d%s", k + 1, g->vars[w[i]]);
      else
        gr_buf_printf(&nb, "df/d%s", g->vars[w[i]]);
      names[j++] = gr_xstrdup(nb.s);
    }
  gr_buf_free(&nb);

  FILE *f = stdout, *pipe = NULL, *tmpf = NULL;
  char *tmppath = NULL, *dspec = NULL;
  double *span_lo = NULL, *span_hi = NULL;
  uint64_t inner = nr == 2 ? r[1].n : 0;
  /* --gnuplot without a file: a script for gnuplot's own terminal, a window */
  GrPlotOpts po = {o->plot_file, 0, 0, c->nout == 1 ? c->srcs[0] : NULL,
                   o->gnuplot && !o->plot_file};
  /* (before gnuplot starts: a failure here must not leave it an unfinished script) */
  if (plotting && !o->gnuplot && gr_table_rows(t) > PLOT_INLINE_MAX) {
    tmpf = plot_tmpfile(&tmppath);
    if (!tmpf) {
      st = 3;
      goto done;
    }
    dspec = binary_spec(tmppath, ncol, inner, nr == 2 ? r[0].n : 0);
  }
  if (plotting) {
    if (!o->gnuplot) {
      signal(SIGPIPE, SIG_IGN); /* a gnuplot that dies must not kill us: we report it */
      pipe = gr_plot_open(!o->plot_file, &d);
      if (!pipe) {
        gr_diag_render(stderr, "grad", &d, NULL);
        st = d.status;
        goto done;
      }
      f = pipe;
    }
    if (gr_plot_begin(f, &po, &d) != GR_OK) {
      gr_diag_render(stderr, "grad", &d, NULL);
      st = d.status;
      goto done;
    }
    if (!tmpf) {
      gr_plot_data_begin(f, "data");
      dspec = gr_xstrdup("$data");
    }
  }
  Out out = {tmpf ? tmpf : f, gr_xmalloc(OUTCAP), 0, OUTCAP, 0, o->digits,
             !plotting && o->format == FMT_JSON, tmpf || (!plotting && o->format == FMT_BINARY),
             NULL, NULL};
  if (plotting)
    span_alloc(&out, ncol);
  if (out.binary) {
    /* no header: rows of ncol doubles */
  } else if (out.json) {
    out_str(&out, "{\"columns\":[");
    for (size_t i = 0; i < ncol; i++) {
      if (i)
        out_ch(&out, ',');
      out_flush(&out);
      gr_json_str(f, names[i]);
    }
    out_str(&out, "],\"rows\":[");
  } else {
    out_ch(&out, '#');
    for (size_t i = 0; i < ncol; i++) {
      out_ch(&out, ' ');
      out_str(&out, names[i]);
    }
    out_ch(&out, '\n');
  }
  Issues iss = {0};
  uint64_t nonfinite = 0;
  size_t m;
  gr_catch_sigint();
  const double **cols = gr_xmalloc(ncol * sizeof *cols);
  int nth = table_threads(o, gr_table_rows(t), gr_table_block(t)), threaded = 0;
  /* a progress line for big tables written to a file or a pipe (never among rows on the
   * terminal) */
  GrProgress progress;
  gr_progress_start(&progress, "grad", "point", gr_table_rows(t) >= 1000000 && !isatty(1));
  table_progress = &progress;
  if (nth > 1)
    nonfinite = run_threads(&spec, t, order, order >= 1 ? w[0] : -1, nth, &out, inner, (size_t)nw, &iss,
                            &threaded);
  if ((nth > 1) && !threaded)
    gr_table_seek(t, 0);
  while (!threaded && (m = gr_table_next(t)) > 0) {
    for (size_t i = 0; i < ncol; i++)
      cols[i] = gr_table_col(t, i);
    uint64_t bad = emit_block(&out, cols, ncol, m, gr_table_row(t), inner);
    nonfinite += bad;
    if (nw)
      collect_issues(&iss, t, bad == 0);
    gr_progress_show(&progress, gr_table_row(t) + m, gr_table_rows(t), NULL);
    if (gr_interrupted || out.err)
      break;
  }
  gr_progress_clear(&progress);
  table_progress = NULL;
  free(cols);
  if (out.json)
    out_str(&out, "]}\n");
  out_flush(&out);
  free(out.b);
  span_lo = out.lo;
  span_hi = out.hi;
  if (tmpf) {
    if (fclose(tmpf) != 0 && !out.err)
      out.err = errno ? errno : EIO;
    tmpf = NULL;
  }
  if (gr_interrupted) {
    fprintf(stderr, "grad: interrupted\n");
    st = 130;
    goto done;
  }
  if (out.err) {
    fprintf(stderr, "grad: error: writing output: %s\n", strerror(out.err));
    st = 3;
    goto done;
  }
  if (plotting) {
    if (!tmppath)
      gr_plot_data_end(f);
    const char *zname = names[nr];
    if (nr == 1)
      gr_plot_curves(f, dspec, names[0], (int)ncol - 1, (const char *const *)names + 1,
                     span_lo + 1, span_hi + 1, &po);
    else
      gr_plot_surface(f, dspec, names[0], names[1], zname, &po);
  }
  for (size_t i = 0; i < iss.n; i++)
    grad_warn_issue(c, &iss.is[i]);
  if (nonfinite) {
    fprintf(stderr, "grad: warning: %llu of %llu rows have a value that is not finite (nan or inf)\n",
            (unsigned long long)nonfinite, (unsigned long long)gr_table_rows(t));
    c->nonfinite += nonfinite;
    c->nonfinite_warned = 1;
  }
done:
  if (pipe) {
    GrStatus ps = gr_plot_close(pipe, "grad", &d);
    if (ps != GR_OK && (st == 0 || st == 1)) {
      gr_diag_render(stderr, "grad", &d, NULL);
      st = ps;
    }
  }
  if (tmpf)
    fclose(tmpf);
  if (tmppath) /* gnuplot has finished with it */
    unlink(tmppath);
  free(tmppath);
  free(dspec);
  free(span_lo);
  free(span_hi);
  for (size_t i = 0; i < ncol; i++)
    free(names[i]);
  free(names);
  gr_table_free(t);
  if (outs != c->outs)
    free(outs);
  free(fixed);
  free(w);
  return st;
}

int grad_table_main(GradOpts *o) {
  if (!o->range) {
    fprintf(stderr, "grad: error: %s needs --range (e.g. --range x=-6.5:3.5)\n",
            o->gnuplot ? "--gnuplot" : "--plot");
    return 2;
  }
  RangeText rt[2];
  int nr;
  int st = parse_ranges(o->range, rt, &nr);
  if (st) {
    for (int k = 0; k < nr; k++)
      free(rt[k].name);
    return st;
  }
  /* the range variables get a placeholder value, so that they count as variables (they
   * shadow pi and e like --at names) and only the other variables need --at */
  for (int k = 0; k < nr; k++) {
    GrDiag d;
    GrBuf b = {0};
    gr_buf_printf(&b, "%s=0", rt[k].name);
    gr_binds_parse(&o->at, b.s, &d);
    gr_buf_free(&b);
  }
  GradCtx c;
  st = grad_load(&c, o, 1);
  if (st == 0)
    st = grad_exit_status(&c, grad_table_run(&c, rt, nr));
  grad_ctx_free(&c);
  for (int k = 0; k < nr; k++)
    free(rt[k].name);
  return st;
}
