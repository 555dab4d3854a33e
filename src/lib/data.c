/* SPDX-License-Identifier: GPL-3.0-or-later
 * The data file reader: one pass over the text, line by line. Nothing is skipped silently:
 * a short row, a long row or a field that is not a number stops the read with its place.
 */
#include "data.h"
#include "arena.h"
#include "util.h"
#include "num.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static GrStatus parse_using(const char *text, const char *file, char *const *names,
                            const int *us, int nus, GrData *o, GrDiag *d);

GrStatus gr_data_parse(const char *text, const char *file, char *const *names, GrData *o,
                       GrDiag *d) {
  return parse_using(text, file, names, NULL, 0, o, d);
}

static GrStatus parse_using(const char *text, const char *file, char *const *names,
                            const int *us, int nus, GrData *o, GrDiag *d) {
  memset(o, 0, sizeof *o);
  Field f[MAXF];
  size_t cap = 0, lineno = 0;
  int seen_row = 0;
  /* the last comment line that could be a header ("# x y") and its line number */
  char *cand = NULL;
  size_t cand_line = 0;
  if (names) {
    int n = 0;
    while (names[n])
      n++;
    Field nf[MAXF];
    if (n > MAXF)
      return gr_diag_set(d, GR_EUSAGE, "too many column names (at most %d)", MAXF);
    for (int i = 0; i < n; i++) {
      if (!is_name(names[i], strlen(names[i])))
        return gr_diag_set(d, GR_EUSAGE, "'%s' is not a valid column name", names[i]);
      nf[i] = (Field){names[i], strlen(names[i]), 0};
    }
    set_names(o, nf, n);
  }
  GrStatus st = GR_OK;
  const char *p = text;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    const char *line = p;
    p = nl ? nl + 1 : p + len;
    lineno++;
    if (len && line[len - 1] == '\r')
      len--;
    size_t i = 0;
    while (i < len && isspace((unsigned char)line[i]))
      i++;
    if (i == len)
      continue;
    if (line[i] == '#') {
      if (!o->names) {
        int n = split(line + i + 1, len - i - 1, f, MAXF);
        int ok = n > 0 && n <= MAXF && !pick(f, &n, us, nus);
        for (int k = 0; ok && k < n; k++)
          ok = is_name(f[k].s, f[k].len);
        if (ok) {
          free(cand);
          cand = gr_xmalloc(len - i);
          memcpy(cand, line + i + 1, len - i - 1);
          cand[len - i - 1] = 0;
          cand_line = lineno;
        }
      }
      continue;
    }
    /* a '#' later in the line starts a trailing comment */
    const char *hash = memchr(line, '#', len);
    if (hash)
      len = (size_t)(hash - line);
    int n = split(line, len, f, MAXF);
    double v0;
    if (us && n <= MAXF) {
      int miss = pick(f, &n, us, nus);
      if (miss) {
        st = gr_diag_set(d, GR_EIO, "%s:%zu:%zu: row has %d field%s, --using needs column %d",
                         file, lineno, len + 1, n, n == 1 ? "" : "s", miss);
        break;
      }
    }
    int first = !seen_row;
    seen_row = 1;
    if (names && first && n <= MAXF && field_num(&f[0], &v0) != 0) {
      /* --columns renames the columns: a header line in the file (no field of it a number;
       * its names need not be valid names, as in "time (s)") is replaced */
      int all = 1;
      for (int k = 0; k < n; k++)
        all = all && field_num(&f[k], &v0) != 0;
      if (all)
        continue;
    }
    if (!o->names) {
      if (n > MAXF) {
        st = gr_diag_set(d, GR_EIO, "%s:%zu:1: too many columns (at most %d)", file, lineno, MAXF);
        break;
      }
      if (field_num(&f[0], &v0) != 0) {
        /* the header line */
        for (int k = 0; k < n; k++)
          if (!is_name(f[k].s, f[k].len)) {
            st = gr_diag_set(d, GR_EIO, "%s:%zu:%zu: header field '%.*s' is not a column name "
                             "(rename the columns with --columns)",
                             file, lineno, f[k].col, (int)f[k].len, f[k].s);
            goto done;
          }
        for (int k = 0; k < n; k++)
          for (int j = 0; j < k; j++)
            if (f[j].len == f[k].len && !memcmp(f[j].s, f[k].s, f[k].len)) {
              st = gr_diag_set(d, GR_EIO, "%s:%zu:%zu: column name '%.*s' appears twice", file,
                               lineno, f[k].col, (int)f[k].len, f[k].s);
              goto done;
            }
        set_names(o, f, n);
        continue;
      }
      Field cf[MAXF];
      int cn = cand ? split(cand, strlen(cand), cf, MAXF) : 0;
      if (cn)
        pick(cf, &cn, us, nus);
      if (cn != n) {
        st = gr_diag_set(d, GR_EIO,
                         "%s:%zu:1: no header line naming the columns (add one such as "
                         "'x y', or give --columns)",
                         file, lineno);
        break;
      }
      (void)cand_line;
      set_names(o, cf, cn);
    }
    if (n != o->ncol) {
      size_t col = n > o->ncol ? f[o->ncol < MAXF ? o->ncol : MAXF - 1].col : len + 1;
      st = gr_diag_set(d, GR_EIO, "%s:%zu:%zu: row has %d field%s, expected %d (%s)", file,
                       lineno, col, n, n == 1 ? "" : "s", o->ncol,
                       n > o->ncol ? "extra field" : "missing field");
      break;
    }
    if (o->nrow == cap) {
      cap = cap ? cap * 2 : 1024;
      for (int k = 0; k < o->ncol; k++)
        o->col[k] = gr_xrealloc(o->col[k], cap * sizeof **o->col);
    }
    for (int k = 0; k < n; k++) {
      double v;
      if (field_num(&f[k], &v) != 0) {
        if (f[k].len == 0)
          st = gr_diag_set(d, GR_EIO, "%s:%zu:%zu: empty field (column %s)", file, lineno,
                           f[k].col, o->names[k]);
        else
          st = gr_diag_set(d, GR_EIO, "%s:%zu:%zu: '%.*s' is not a number (column %s)", file,
                           lineno, f[k].col, (int)(f[k].len > 40 ? 40 : f[k].len), f[k].s,
                           o->names[k]);
        goto done;
      }
      if (!isfinite(v)) {
        st = gr_diag_set(d, GR_EIO, "%s:%zu:%zu: '%.*s' is not a finite number (column %s)",
                         file, lineno, f[k].col, (int)f[k].len, f[k].s, o->names[k]);
        goto done;
      }
      o->col[k][o->nrow] = v;
    }
    o->nrow++;
  }
  if (st == GR_OK && o->nrow == 0)
    st = gr_diag_set(d, GR_EIO, "%s: no data rows", file);
done:
  free(cand);
  if (st != GR_OK)
    gr_data_free(o);
  return st;
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

GrStatus gr_data_read(const char *path, char *const *names, GrData *out, GrDiag *d) {
  return gr_data_read_using(path, names, NULL, 0, out, d);
}

GrStatus gr_data_read_using(const char *path, char *const *names, const int *us, int nus,
                            GrData *out, GrDiag *d) {
  memset(out, 0, sizeof *out);
  size_t n = 0;
  char *text = gr_read_all(path, &n);
  const char *file = strcmp(path, "-") ? path : "<stdin>";
  if (!text)
    return gr_diag_set(d, GR_EIO, "cannot read %s: %s", file, strerror(errno));
  /* compressed files by their magic numbers: say so rather than quote their bytes */
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
    if (n >= packed[k].len && !memcmp(text, packed[k].magic, packed[k].len)) {
      GrStatus st = gr_diag_set(d, GR_EIO, "%s: compressed data (%s): decompress it first "
                                           "(%s %s)", file, packed[k].what, packed[k].tool,
                                file);
      free(text);
      return st;
    }
  const char *nul = memchr(text, 0, n);
  if (nul) {
    size_t line = 1;
    const char *bol = text;
    for (const char *q = text; q < nul; q++)
      if (*q == '\n') {
        line++;
        bol = q + 1;
      }
    GrStatus st = gr_diag_set(d, GR_EIO, "%s:%zu:%zu: a NUL byte (the file is binary, not text "
                                         "columns)", file, line, (size_t)(nul - bol) + 1);
    free(text);
    return st;
  }
  if (n == 0) {
    free(text);
    return gr_diag_set(d, GR_EIO, "%s: no data rows (the file is empty)", file);
  }
  GrStatus st = parse_using(text, file, names, us, nus, out, d);
  free(text);
  return st;
}
