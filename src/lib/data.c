/* SPDX-License-Identifier: GPL-3.0-or-later
 * The data file reader: line by line, from a string or from a file read in fixed chunks
 * (never the whole text at once; a file's size bounds its rows, so that the columns are
 * allocated once). A byte range of a file can be read on its own, for a fit split over
 * processes. Nothing is skipped silently: a short row, a long row or a field that is not
 * a number stops the read with its place.
 */
#include "data.h"
#include "arena.h"
#include "util.h"
#include "num.h"
#include "dtoa.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct Field {
  const char *s;
  size_t len;
  size_t col; /* 1-based byte column */
} Field;

/* Split one line (without its newline) into fields: at commas when it has any, else at
 * whitespace. Returns the number of fields (fields beyond max are counted, not stored). */
static int split(const char *line, size_t len, Field *f, int max) {
  int n = 0;
  int commas = memchr(line, ',', len) != NULL;
  size_t i = 0;
  if (commas) {
    for (;;) {
      size_t start = i;
      int quoted = 0; /* a comma inside "..." is part of the field */
      while (i < len && (line[i] != ',' || quoted))
        quoted ^= line[i++] == '"';
      size_t a = start, b = i;
      while (a < b && isspace((unsigned char)line[a]))
        a++;
      while (b > a && isspace((unsigned char)line[b - 1]))
        b--;
      if (b - a >= 2 && line[a] == '"' && line[b - 1] == '"') {
        a++; /* a quoted field ("x","y" as spreadsheets write them) */
        b--;
      }
      if (n < max)
        f[n] = (Field){line + a, b - a, a + 1};
      n++;
      if (i >= len)
        break;
      i++;
    }
    return n;
  }
  while (i < len) {
    while (i < len && isspace((unsigned char)line[i]))
      i++;
    if (i >= len)
      break;
    size_t start = i;
    while (i < len && !isspace((unsigned char)line[i]))
      i++;
    size_t a = start, b = i;
    if (b - a >= 2 && line[a] == '"' && line[b - 1] == '"') {
      a++;
      b--;
    }
    if (n < max)
      f[n] = (Field){line + a, b - a, a + 1};
    n++;
  }
  return n;
}

static int is_name(const char *s, size_t len) {
  if (!len || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
    return 0;
  for (size_t i = 1; i < len; i++)
    if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
      return 0;
  return 1;
}

static int field_num(const Field *f, double *v) {
  char buf[128];
  if (f->len == 0 || f->len >= sizeof buf)
    return -1;
  memcpy(buf, f->s, f->len);
  buf[f->len] = 0;
  return gr_parse_double(buf, v);
}

void gr_data_free(GrData *dt) {
  for (int i = 0; i < dt->ncol; i++) {
    free(dt->names ? dt->names[i] : NULL);
    free(dt->col ? dt->col[i] : NULL);
  }
  free(dt->names);
  free(dt->col);
  memset(dt, 0, sizeof *dt);
}

int gr_data_find(const GrData *dt, const char *name) {
  for (int i = 0; i < dt->ncol; i++)
    if (!strcmp(dt->names[i], name))
      return i;
  return -1;
}

static void set_names(GrData *o, const Field *f, int n) {
  o->ncol = n;
  o->names = gr_xcalloc((size_t)n, sizeof *o->names);
  o->col = gr_xcalloc((size_t)n, sizeof *o->col);
  for (int i = 0; i < n; i++) {
    o->names[i] = gr_xmalloc(f[i].len + 1);
    memcpy(o->names[i], f[i].s, f[i].len);
    o->names[i][f[i].len] = 0;
  }
}


#define MAXF 256

/* Keep the fields numbered us[0..nus) (from 1): 0 when the line has all of them, else the
 * first missing number. */
static int pick(Field *f, int *n, const int *us, int nus) {
  if (!us)
    return 0;
  Field g[MAXF];
  for (int k = 0; k < nus; k++) {
    if (us[k] > *n || us[k] > MAXF)
      return us[k];
    g[k] = f[us[k] - 1];
  }
  memcpy(f, g, (size_t)nus * sizeof *f);
  *n = nus;
  return 0;
}

/* The reader's state: lines go in one at a time (feed_line), from a string or from a file
 * read in fixed chunks, so no reader holds more text than one chunk. */
typedef struct Parser {
  const char *file;
  char *const *names;
  const int *us;
  int nus;
  GrData *o;
  GrDiag *d;
  size_t cap;    /* rows the columns have room for */
  size_t hint;   /* rows at most (counted lines or bound), 0: unknown, the columns double */
  uint64_t size; /* a regular file's size, which bounds its rows; 0: not known */
  int seen_row;  /* a row (or a header replaced by --columns) was seen */
  int head_only; /* stop at the first data row and note its offset */
  int started;   /* head_only: that row was found */
  uint64_t lineno;
  uint64_t start; /* head_only: the offset of the first data row */
  char *cand;     /* the last comment line that could be a header ("# x y") */
  size_t flen[MAXF]; /* fast_row: the length of each column's last field */
} Parser;

static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The correctly rounded value of (neg ? -1 : 1) m 10^e (m at most 19 digits): zero for any
 * exponent; an integer of at most 2^53 times or over a power of ten of at most 10^22 is
 * exact before one IEEE operation rounds it (Clinger); else Eisel and Lemire's method;
 * -1 when neither decides (the caller then uses strtod). */
static inline int decimal(uint64_t m, long e, int neg, double *v) {
  double x;
  if (m == 0)
    x = 0;
  else if (m <= ((uint64_t)1 << 53) && e >= -22 && e <= 22)
    x = e < 0 ? (double)m / p10[-e] : (double)m * p10[e];
  else if (e < -400 || e > 400 || gr_decimal_to_double(m, (int)e, 0, &x))
    return -1;
  *v = neg ? -x : x;
  return 0;
}

/* Every number the reader converts goes through here: a plain decimal ([+-]digits[.digits]
 * [e[+-]digits]) with at most 19 significant digits goes to decimal(); anything else (more
 * digits, hex, inf, nan) or what decimal() leaves undecided goes to strtod. */
static int fast_num(const char *s, size_t len, double *v) {
  size_t i = 0;
  int neg = 0;
  if (i < len && (s[i] == '+' || s[i] == '-'))
    neg = s[i++] == '-';
  uint64_t m = 0;
  int nd = 0, digits = 0, frac = 0;
  long e = 0;
  for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++)
    if (m || s[i] != '0') {
      if (++nd > 19)
        return -1;
      m = m * 10 + (uint64_t)(s[i] - '0');
    }
  if (i < len && s[i] == '.')
    for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++, frac++)
      if (m || s[i] != '0') {
        if (++nd > 19)
          return -1;
        m = m * 10 + (uint64_t)(s[i] - '0');
      }
  if (!digits)
    return -1;
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    int eneg = 0;
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-'))
      eneg = s[i++] == '-';
    if (i >= len || s[i] < '0' || s[i] > '9')
      return -1;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
      if (e < 100000)
        e = e * 10 + (s[i] - '0');
    e = eneg ? -e : e;
  }
  if (i != len)
    return -1;
  return decimal(m, e - frac, neg, v);
}

static int field_value(const Field *f, double *v) {
  if (fast_num(f->s, f->len, v) == 0)
    return 0;
  return field_num(f, v);
}

size_t gr_data_bound_max;

/* Room for one more row: the counted rows at once, or by doubling when not counted. A
 * file's size bounds its rows: a row of f fields (f = the columns, or the largest --using
 * number) takes at least 2f bytes (a byte a field, a separator or newline after each; the
 * last row may lack its newline), so (size + 1) / 2f rows are allocated at once (pages
 * never written take no memory where the system allocates them lazily, and parser_end
 * gives back the rest); when that much is not to be had, the columns double. */
static int room(Parser *ps) {
  GrData *o = ps->o;
  if (o->nrow < ps->cap)
    return 0;
  if (ps->hint && ps->cap)
    return -1;
  if (ps->size && !ps->cap && o->ncol) {
    uint64_t f = ps->us ? 1 : (uint64_t)o->ncol;
    for (int k = 0; ps->us && k < ps->nus; k++)
      f = (uint64_t)ps->us[k] > f ? (uint64_t)ps->us[k] : f;
    uint64_t rows = (ps->size + 1) / (2 * f) + 1;
    int k = 0;
    if (rows <= SIZE_MAX / sizeof(double) / (uint64_t)o->ncol &&
        (!gr_data_bound_max || rows * sizeof(double) * (uint64_t)o->ncol <= gr_data_bound_max))
      for (; k < o->ncol && (o->col[k] = malloc((size_t)rows * sizeof **o->col)); k++)
        ;
    if (k == o->ncol) {
      ps->cap = ps->hint = (size_t)rows;
      return 0;
    }
    while (k > 0)
      free(o->col[--k]), o->col[k] = NULL;
    ps->size = 0;
  }
  ps->cap = ps->hint ? ps->hint : ps->cap ? ps->cap * 2 : 1024;
  for (int k = 0; k < o->ncol; k++)
    o->col[k] = gr_xrealloc(o->col[k], ps->cap * sizeof **o->col);
  return 0;
}

/* One line (without its newline) starting at byte `off` of the input. */
static GrStatus feed_line(Parser *ps, const char *line, size_t len, uint64_t off) {
  Field f[MAXF];
  GrData *o = ps->o;
  GrDiag *d = ps->d;
  const char *file = ps->file;
  const int *us = ps->us;
  int nus = ps->nus;
  uint64_t lineno = ++ps->lineno;
  const char *nul = memchr(line, 0, len);
  if (nul)
    return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ":%zu: a NUL byte (the file is binary, not text "
                                  "columns)", file, lineno, (size_t)(nul - line) + 1);
  if (len && line[len - 1] == '\r')
    len--;
  size_t i = 0;
  while (i < len && isspace((unsigned char)line[i]))
    i++;
  if (i == len)
    return GR_OK;
  if (line[i] == '#') {
    if (!o->names) {
      int n = split(line + i + 1, len - i - 1, f, MAXF);
      int ok = n > 0 && n <= MAXF && !pick(f, &n, us, nus);
      for (int k = 0; ok && k < n; k++)
        ok = is_name(f[k].s, f[k].len);
      if (ok) {
        free(ps->cand);
        ps->cand = gr_xmalloc(len - i);
        memcpy(ps->cand, line + i + 1, len - i - 1);
        ps->cand[len - i - 1] = 0;
      }
    }
    return GR_OK;
  }
  /* a '#' later in the line starts a trailing comment */
  const char *hash = memchr(line, '#', len);
  if (hash)
    len = (size_t)(hash - line);
  int n = split(line, len, f, MAXF);
  double v0;
  if (us && n <= MAXF) {
    int miss = pick(f, &n, us, nus);
    if (miss)
      return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ":%zu: row has %d field%s, --using needs "
                                    "column %d", file, lineno, len + 1, n, n == 1 ? "" : "s",
                         miss);
  }
  int first = !ps->seen_row;
  ps->seen_row = 1;
  if (ps->names && first && n <= MAXF && field_value(&f[0], &v0) != 0) {
    /* --columns renames the columns: a header line in the file (no field of it a number;
     * its names need not be valid names, as in "time (s)") is replaced */
    int all = 1;
    for (int k = 0; k < n; k++)
      all = all && field_value(&f[k], &v0) != 0;
    if (all)
      return GR_OK;
  }
  if (!o->names) {
    if (n > MAXF)
      return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ":1: too many columns (at most %d)", file,
                         lineno, MAXF);
    if (field_value(&f[0], &v0) != 0) {
      /* the header line */
      for (int k = 0; k < n; k++)
        if (!is_name(f[k].s, f[k].len))
          return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ":%zu: header field '%.*s' is not a "
                                        "column name (rename the columns with --columns)",
                             file, lineno, f[k].col, (int)f[k].len, f[k].s);
      for (int k = 0; k < n; k++)
        for (int j = 0; j < k; j++)
          if (f[j].len == f[k].len && !memcmp(f[j].s, f[k].s, f[k].len))
            return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ":%zu: column name '%.*s' appears "
                                          "twice", file, lineno, f[k].col, (int)f[k].len,
                               f[k].s);
      set_names(o, f, n);
      return GR_OK;
    }
    Field cf[MAXF];
    int cn = ps->cand ? split(ps->cand, strlen(ps->cand), cf, MAXF) : 0;
    if (cn)
      pick(cf, &cn, us, nus);
    if (cn != n)
      return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ":1: no header line naming the columns (add "
                                    "one such as 'x y', or give --columns)", file, lineno);
    set_names(o, cf, cn);
  }
  if (ps->head_only) {
    ps->started = 1;
    ps->start = off;
    ps->lineno--;
    return GR_OK;
  }
  if (n != o->ncol) {
    size_t col = n > o->ncol ? f[o->ncol < MAXF ? o->ncol : MAXF - 1].col : len + 1;
    return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ":%zu: row has %d field%s, expected %d (%s)",
                       file, lineno, col, n, n == 1 ? "" : "s", o->ncol,
                       n > o->ncol ? "extra field" : "missing field");
  }
  if (room(ps)) /* more rows than lines were counted */
    return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ": the file changed while being read", file,
                       lineno);
  for (int k = 0; k < n; k++) {
    double v;
    if (field_value(&f[k], &v) != 0) {
      if (f[k].len == 0)
        return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ":%zu: empty field (column %s)", file,
                           lineno, f[k].col, o->names[k]);
      return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ":%zu: '%.*s' is not a number (column %s)",
                         file, lineno, f[k].col, (int)(f[k].len > 40 ? 40 : f[k].len), f[k].s,
                         o->names[k]);
    }
    if (!isfinite(v))
      return gr_diag_set(d, GR_EIO, "%s:%" PRIu64 ":%zu: '%.*s' is not a finite number "
                                    "(column %s)", file, lineno, f[k].col, (int)f[k].len,
                         f[k].s, o->names[k]);
    o->col[k][o->nrow] = v;
  }
  o->nrow++;
  return GR_OK;
}

/* The digits of a plain decimal, eight bytes at a time where the bytes are little-endian
 * words (GCC and clang say so): the leading digits of a word are counted by flagging each
 * byte that is not '0'..'9' (its high nibble is not 3 before or after adding 6; a carry out
 * of a byte comes only from a byte of at least 0xfa, itself flagged, and only reaches the
 * bytes after it), and up to eight of them are combined in three multiplications. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static const uint64_t p10i[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

/* The digits at s, added to *m (mod 2^64: more than 19 digits are refused by the caller);
 * returns the byte after them. Reads 8 bytes past the last digit at most. No digit or one
 * (as before the point of 0.25 or 1.5e-3) is found by two predicted branches, so the next
 * byte's address does not wait for a word's digit count. */
static inline const char *run_digits(const char *s, uint64_t *m) {
  if ((unsigned)(*s - '0') >= 10)
    return s;
  if ((unsigned)(s[1] - '0') >= 10) {
    *m = *m * 10 + (uint64_t)(*s - '0');
    return s + 1;
  }
  for (;;) {
    uint64_t w;
    memcpy(&w, s, 8);
    uint64_t bad = ((w & 0xf0f0f0f0f0f0f0f0ull) ^ 0x3030303030303030ull) |
                   (((w + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull) ^ 0x3030303030303030ull);
    int n = bad ? __builtin_ctzll(bad) >> 3 : 8;
    if (!n)
      return s;
    /* the n digits to the top bytes (the bytes below them read as leading zeros) */
    w = (w - 0x3030303030303030ull) << (64 - 8 * n);
    w = w * 10 + (w >> 8);
    w = ((w & 0x000000ff000000ffull) * (100 + (1000000ull << 32)) +
         ((w >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32))) >> 32;
    *m = *m * p10i[n] + w;
    s += n;
    if (n < 8)
      return s;
  }
}
#else
static inline const char *run_digits(const char *s, uint64_t *m) {
  while ((unsigned)(*s - '0') < 10)
    *m = *m * 10 + (uint64_t)(*s++ - '0');
  return s;
}
#endif

/* The bytes after the text that fast_row may read: a 0 (which ends every run of digits,
 * blanks or exponent) and room for run_digits' last word. */
#define SLACK 16

/* The common row, read straight from the buffer: fields of plain decimals (as fast_num
 * takes them) separated by blanks (spaces, tabs) or by commas with optional blanks, ending in
 * "\n" or "\r\n", as many as the columns. Returns the bytes used (the newline included) after
 * storing the row, or 0 to leave the line to feed_line (anything else: a comment, quotes, a
 * number for strtod, a bad or short row, no newline before the text's end), which then reads
 * it from the start, so the messages and values are feed_line's. The text in the buffer is
 * followed by SLACK zero bytes: no run of the bytes it looks for goes past them, so the runs
 * need no bound (and a row cut off by the text's end, or holding a 0 byte, is left). */
static size_t fast_row(Parser *ps, const char *p) {
  GrData *o = ps->o;
  const char *s = p;
  int comma = -1; /* the separator: -1 not yet seen, 0 blanks, 1 commas */
  for (int k = 0; k < o->ncol; k++) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (k > 0) {
      int c = *s == ',';
      if (c != comma && comma >= 0)
        return 0;
      comma = c;
      if (c)
        for (s++; *s == ' ' || *s == '\t';)
          s++;
    }
    const char *start = s;
    int neg = 0;
    if (*s == '-' || *s == '+')
      neg = *s++ == '-';
    const char *d0 = s;
    while (*s == '0')
      s++;
    uint64_t m = 0;
    const char *m0 = s;
    s = run_digits(s, &m);
    int nd = (int)(s - m0), digits = (int)(s - d0);
    double x;
    if (*s != '.' && (*s | 0x20) != 'e') {
      /* an integer: m itself, which the conversion to double rounds correctly (m < 10^19 <
       * 2^64), as decimal() would, without its exponent and fraction */
      if (!digits || nd > 19)
        return 0;
      x = (double)m;
    } else {
      long e = 0;
      if (*s == '.') {
        const char *f0 = ++s;
        if (!m)
          while (*s == '0')
            s++;
        const char *f1 = s;
        s = run_digits(s, &m);
        nd += (int)(s - f1);
        digits += (int)(s - f0);
        e = -(long)(s - f0);
      }
      if (!digits || nd > 19)
        return 0;
      if (*s == 'e' || *s == 'E') {
        int eneg = 0;
        long ex = 0;
        if (*++s == '+' || *s == '-')
          eneg = *s++ == '-';
        if ((unsigned)(*s - '0') >= 10)
          return 0;
        if ((unsigned)(s[1] - '0') < 10 && (unsigned)(s[2] - '0') >= 10) {
          ex = (s[0] - '0') * 10 + (s[1] - '0'); /* two digits, as %e writes them */
          s += 2;
        } else
          for (; (unsigned)(*s - '0') < 10; s++)
            if (ex < 100000)
              ex = ex * 10 + (*s - '0');
        e += eneg ? -ex : ex;
      }
      if (decimal(m, e, 0, &x))
        return 0;
    }
#if defined(__GNUC__)
    {
      /* Value speculation: the row goes on from where the field would end were it as long
       * as the one above it (columns written with one format), an address known before
       * this field's digits are read, instead of from the end the digits give, which would
       * make every field wait for the one before it. The branch checks the guess (a wrong
       * one costs a misprediction); the empty asm hides from the compiler that g equals s
       * there, so that it cannot take s's register for it. */
      const char *guess = start + ps->flen[k], *g = guess;
      __asm__("" : "+r"(g));
      if (s == guess)
        s = g;
      else
        ps->flen[k] = (size_t)(s - start);
    }
#endif
    if (*s != ' ' && *s != '\t' && *s != ',' && *s != '\r' && *s != '\n')
      return 0;
    o->col[k][o->nrow] = neg ? -x : x;
  }
  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == '\r')
    s++;
  if (*s != '\n')
    return 0;
  return (size_t)(s + 1 - p);
}

static void parser_init(Parser *ps, const char *file, char *const *names, const int *us,
                        int nus, GrData *o, GrDiag *d) {
  memset(ps, 0, sizeof *ps);
  memset(o, 0, sizeof *o);
  ps->file = file;
  ps->names = names;
  ps->us = us;
  ps->nus = nus;
  ps->o = o;
  ps->d = d;
}

static GrStatus set_given_names(Parser *ps) {
  char *const *names = ps->names;
  if (!names)
    return GR_OK;
  int n = 0;
  while (names[n])
    n++;
  Field nf[MAXF];
  if (n > MAXF)
    return gr_diag_set(ps->d, GR_EUSAGE, "too many column names (at most %d)", MAXF);
  for (int i = 0; i < n; i++) {
    if (!is_name(names[i], strlen(names[i])))
      return gr_diag_set(ps->d, GR_EUSAGE, "'%s' is not a valid column name", names[i]);
    nf[i] = (Field){names[i], strlen(names[i]), 0};
  }
  set_names(ps->o, nf, n);
  return GR_OK;
}

/* The end of a read: trim the columns to their rows; on error free everything. */
static GrStatus parser_end(Parser *ps, GrStatus st, int need_rows) {
  GrData *o = ps->o;
  if (st == GR_OK && need_rows && o->nrow == 0)
    st = gr_diag_set(ps->d, GR_EIO, "%s: no data rows", ps->file);
  free(ps->cand);
  ps->cand = NULL;
  if (st != GR_OK) {
    gr_data_free(o);
    return st;
  }
  if (o->nrow < ps->cap)
    for (int k = 0; k < o->ncol; k++)
      o->col[k] = o->nrow ? gr_xrealloc(o->col[k], o->nrow * sizeof **o->col)
                          : (free(o->col[k]), NULL);
  return GR_OK;
}

GrStatus gr_data_parse(const char *text, const char *file, char *const *names, GrData *o,
                       GrDiag *d) {
  Parser ps;
  parser_init(&ps, file, names, NULL, 0, o, d);
  GrStatus st = set_given_names(&ps);
  const char *p = text;
  while (st == GR_OK && *p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    st = feed_line(&ps, p, len, (uint64_t)(p - text));
    p = nl ? nl + 1 : p + len;
  }
  return parser_end(&ps, st, 1);
}

/* ---- files, read in fixed chunks ---- */

#define CHUNK ((size_t)1 << 20)

static GrStatus open_data(const char *path, const char *file, int *fd, uint64_t *size,
                          int *regular, GrDiag *d) {
  *fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
  if (*fd < 0)
    return gr_diag_set(d, GR_EIO, "cannot read %s: %s", file, strerror(errno));
  struct stat sb;
  if (fstat(*fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    if (*fd != STDIN_FILENO)
      close(*fd);
    return gr_diag_set(d, GR_EIO, "cannot read %s: %s", file, strerror(EISDIR));
  }
  *regular = S_ISREG(sb.st_mode) && *fd != STDIN_FILENO;
  *size = *regular ? (uint64_t)sb.st_size : UINT64_MAX;
  return GR_OK;
}

static void close_data(int fd) {
  if (fd != STDIN_FILENO)
    close(fd);
}

/* Bytes at `pos` (pread on a file, read on a pipe); -1 with errno on error. */
static ssize_t get(int fd, int regular, char *buf, size_t n, uint64_t pos) {
  for (;;) {
    ssize_t r = regular ? pread(fd, buf, n, (off_t)pos) : read(fd, buf, n);
    if (r >= 0 || errno != EINTR)
      return r;
  }
}

/* compressed files by their magic numbers: say so rather than quote their bytes */
static GrStatus check_magic(const char *buf, size_t n, const char *file, GrDiag *d) {
  static const struct {
    const char *magic;
    size_t len;
    const char *what, *tool;
  } packed[] = {{"\x1f\x8b", 2, "gzip", "gunzip -k"},
                {"BZh", 3, "bzip2", "bunzip2 -k"},
                {"\xfd" "7zXZ\0", 6, "xz", "unxz -k"},
                {"\x28\xb5\x2f\xfd", 4, "zstd", "unzstd"},
                {"PK\x03\x04", 4, "zip", "unzip"}};
  for (size_t k = 0; k < sizeof packed / sizeof *packed; k++)
    if (n >= packed[k].len && !memcmp(buf, packed[k].magic, packed[k].len))
      return gr_diag_set(d, GR_EIO, "%s: compressed data (%s): decompress it first (%s %s)",
                         file, packed[k].what, packed[k].tool, file);
  return GR_OK;
}

/* Feed the lines that start in [begin, end) (a line that starts there is read to its end,
 * past `end` if need be); nl_before: the newlines before `begin`, for the line numbers. */
static GrStatus read_lines(Parser *ps, int fd, int regular, uint64_t size, uint64_t begin,
                           uint64_t end, uint64_t nl_before) {
  GrDiag *d = ps->d;
  size_t cap = CHUNK, have = 0, at = 0;
  int eof = 0, skip = 0, any = 0;
  uint64_t pos = begin; /* the file offset of buf[0] */
  ps->lineno = nl_before;
  if (begin > 0) {
    /* a line that began before `begin` belongs to the range before */
    char c;
    ssize_t r = get(fd, regular, &c, 1, begin - 1);
    if (r < 0)
      return gr_diag_set(d, GR_EIO, "cannot read %s: %s", ps->file, strerror(errno));
    skip = r == 1 && c != '\n';
  }
  if (regular && size >= begin && size - begin < cap)
    cap = size - begin < 255 ? 256 : (size_t)(size - begin) + 1; /* a small file */
  char *buf = gr_xmalloc(cap + SLACK); /* the text, then SLACK zeros for fast_row */
  memset(buf, 0, SLACK);
  GrStatus st = GR_OK;
  /* rows of the common kind go through fast_row once the names are known (not with
   * --using, nor while a header could still be replaced) */
  int fast = !ps->us && !ps->head_only;
  while (st == GR_OK && !ps->started) {
    if (fast && ps->o->names && ps->seen_row && !skip) {
      /* the lines that start before `end` */
      size_t lim = end <= pos ? 0 : end - pos < have ? (size_t)(end - pos) : have;
      size_t used;
      while (at < lim && ps->o->nrow < ps->cap && (used = fast_row(ps, buf + at))) {
        at += used;
        ps->o->nrow++;
        ps->lineno++;
      }
    }
    char *nl = memchr(buf + at, '\n', have - at);
    if (!nl && !eof) {
      memmove(buf, buf + at, have - at);
      pos += at;
      have -= at;
      at = 0;
      if (have == cap)
        buf = gr_xrealloc(buf, (cap *= 2) + SLACK); /* a line longer than a chunk */
      ssize_t r = get(fd, regular, buf + have, cap - have, pos + have);
      if (r < 0) {
        st = gr_diag_set(d, GR_EIO, "cannot read %s: %s", ps->file, strerror(errno));
        break;
      }
      if (pos == 0 && have == 0 && r > 0 && (st = check_magic(buf, (size_t)r, ps->file, d)))
        break;
      eof = r == 0;
      have += (size_t)r;
      memset(buf + have, 0, SLACK);
      any |= r > 0;
      continue;
    }
    size_t len = nl ? (size_t)(nl - (buf + at)) : have - at;
    if (!nl && len == 0)
      break;
    if (pos + at >= end)
      break;
    if (skip) {
      skip = 0;
      ps->lineno++;
    } else
      st = feed_line(ps, buf + at, len, pos + at);
    at += len + (nl != NULL);
  }
  free(buf);
  if (st == GR_OK && !any && begin == 0 && !ps->o->nrow)
    st = gr_diag_set(d, GR_EIO, "%s: no data rows (the file is empty)", ps->file);
  return st;
}

/* The newline bytes of buf[0..n): sixteen at a time with SSE2 (each compare gives -1 in a
 * byte, 255 of them are summed in bytes before the sums are added up), else eight at a time:
 * a byte of x = word ^ "\n\n..." is zero exactly when its high bit is clear in both x and
 * (x & 0x7f..) + 0x7f.. */
static size_t count_nl(const char *buf, size_t n) {
  size_t c = 0, i = 0;
#ifdef __SSE2__
  const __m128i nlv = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
  while (i + 16 <= n) {
    __m128i acc = zero;
    for (int k = 0; k < 255 && i + 16 <= n; k++, i += 16)
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(buf + i)), nlv));
    __m128i sum = _mm_sad_epu8(acc, zero);
    c += (size_t)_mm_cvtsi128_si64(sum) + (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sum, sum));
  }
#else
  const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full, nl = 0x0a0a0a0a0a0a0a0aull;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, buf + i, 8);
    uint64_t x = w ^ nl;
    uint64_t z = ~(((x & lo7) + lo7) | x | lo7); /* 0x80 in each zero byte */
    c += (size_t)(((z >> 7) * 0x0101010101010101ull) >> 56);
  }
#endif
  for (; i < n; i++)
    c += buf[i] == '\n';
  return c;
}

static GrStatus count_lines(int fd, uint64_t begin, uint64_t end, uint64_t *nl,
                            const char *file, GrDiag *d) {
  size_t cap = end - begin < CHUNK ? (size_t)(end - begin) + 1 : CHUNK;
  char *buf = gr_xmalloc(cap);
  uint64_t n = 0;
  GrStatus st = GR_OK;
  for (uint64_t pos = begin; pos < end;) {
    size_t want = end - pos < cap ? (size_t)(end - pos) : cap;
    ssize_t r = get(fd, 1, buf, want, pos);
    if (r < 0) {
      st = gr_diag_set(d, GR_EIO, "cannot read %s: %s", file, strerror(errno));
      break;
    }
    if (r == 0)
      break;
    n += count_nl(buf, (size_t)r);
    pos += (uint64_t)r;
  }
  free(buf);
  *nl = n;
  return st;
}

GrStatus gr_data_read(const char *path, char *const *names, GrData *out, GrDiag *d) {
  return gr_data_read_using(path, names, NULL, 0, out, d);
}

GrStatus gr_data_read_using(const char *path, char *const *names, const int *us, int nus,
                            GrData *out, GrDiag *d) {
  const char *file = strcmp(path, "-") ? path : "<stdin>";
  Parser ps;
  parser_init(&ps, file, names, us, nus, out, d);
  int fd, regular;
  uint64_t size;
  GrStatus st = open_data(path, file, &fd, &size, &regular, d);
  if (st)
    return st;
  st = set_given_names(&ps);
  ps.size = regular ? size : 0; /* a file: its size bounds its rows (room) */
  if (st == GR_OK)
    st = read_lines(&ps, fd, regular, size, 0, UINT64_MAX, 0);
  close_data(fd);
  return parser_end(&ps, st, 1);
}

GrStatus gr_data_head(const char *path, char *const *names, const int *us, int nus,
                      GrData *out, uint64_t *start, uint64_t *size, GrDiag *d) {
  const char *file = strcmp(path, "-") ? path : "<stdin>";
  Parser ps;
  parser_init(&ps, file, names, us, nus, out, d);
  int fd, regular;
  GrStatus st = open_data(path, file, &fd, size, &regular, d);
  if (st)
    return st;
  if (!regular) {
    close_data(fd);
    return gr_diag_set(d, GR_EIO, "%s is not a regular file: it cannot be read in parts",
                       file);
  }
  ps.head_only = 1;
  if ((st = set_given_names(&ps)) == GR_OK)
    st = read_lines(&ps, fd, regular, *size, 0, UINT64_MAX, 0);
  close_data(fd);
  if (st == GR_OK && !ps.started)
    st = gr_diag_set(d, GR_EIO, "%s: no data rows", file);
  *start = ps.start;
  return parser_end(&ps, st, 0);
}

GrStatus gr_data_count_lines(const char *path, uint64_t begin, uint64_t end, uint64_t *nl,
                             GrDiag *d) {
  const char *file = strcmp(path, "-") ? path : "<stdin>";
  int fd, regular;
  uint64_t size;
  *nl = 0;
  GrStatus st = open_data(path, file, &fd, &size, &regular, d);
  if (st)
    return st;
  st = count_lines(fd, begin, end, nl, file, d);
  close_data(fd);
  return st;
}

GrStatus gr_data_read_range(const char *path, const GrData *head, const int *us, int nus,
                            uint64_t begin, uint64_t end, uint64_t nl_before, uint64_t nl_in,
                            GrData *out, GrDiag *d) {
  const char *file = strcmp(path, "-") ? path : "<stdin>";
  Parser ps;
  parser_init(&ps, file, NULL, us, nus, out, d);
  int fd, regular;
  uint64_t size;
  GrStatus st = open_data(path, file, &fd, &size, &regular, d);
  if (st)
    return st;
  Field nf[MAXF];
  for (int k = 0; k < head->ncol && k < MAXF; k++)
    nf[k] = (Field){head->names[k], strlen(head->names[k]), 0};
  set_names(out, nf, head->ncol);
  ps.seen_row = 1;
  ps.hint = (size_t)nl_in + 1;
  st = read_lines(&ps, fd, regular, size, begin, end, nl_before);
  close_data(fd);
  return parser_end(&ps, st, 0);
}

int *gr_data_parse_using(const char *text, int *n, GrDiag *d) {
  int *v = gr_xcalloc(strlen(text) / 2 + 2, sizeof *v);
  *n = 0;
  const char *s = text;
  for (;;) {
    char *end;
    errno = 0;
    long k = isdigit((unsigned char)*s) ? strtol(s, &end, 10) : 0;
    if (k < 1 || k > MAXF || errno) {
      free(v);
      gr_diag_set(d, GR_EUSAGE, "--using takes column numbers from 1 to %d separated by ':' "
                                "(as 1:3), not '%s'", MAXF, text);
      return NULL;
    }
    v[(*n)++] = (int)k;
    if (!*end)
      return v;
    if (*end != ':') {
      free(v);
      gr_diag_set(d, GR_EUSAGE, "--using takes column numbers from 1 to %d separated by ':' "
                                "(as 1:3), not '%s'", MAXF, text);
      return NULL;
    }
    s = end + 1;
  }
}

