/* SPDX-License-Identifier: GPL-3.0-or-later
 * Command-line helpers shared by the programs.
 */
#include "cliutil.h"
#include "ops.h"
#include "num.h"
#include "parse.h"
#include "print.h"
#include "tape.h"
#include <ctype.h>
#include <math.h>
#include <time.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void on_sigint(int sig) {
  (void)sig;
  int e = errno; /* nothing here should change it; kept for whatever the handler becomes */
  gr_interrupted = 1;
  errno = e;
}

void gr_catch_sigint(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
}

char **gr_split_list(const char *text, int *n) {
  int cap = 8, k = 0, depth = 0;
  char **v = gr_xmalloc((size_t)cap * sizeof *v);
  const char *start = text;
  for (const char *p = text;; p++) {
    if (*p == '(' || *p == '[')
      depth++;
    else if ((*p == ')' || *p == ']') && depth > 0)
      depth--;
    if (*p == 0 || (*p == ',' && depth == 0)) {
      if (k + 2 > cap)
        v = gr_xrealloc(v, (size_t)(cap *= 2) * sizeof *v);
      size_t len = (size_t)(p - start);
      v[k] = gr_xmalloc(len + 1);
      memcpy(v[k], start, len);
      v[k][len] = 0;
      k++;
      if (!*p)
        break;
      start = p + 1;
    }
  }
  v[k] = NULL;
  if (n)
    *n = k;
  return v;
}

GrStatus gr_list_check(const char *text, GrDiag *d) {
  size_t start = 0, i = 0;
  int depth = 0, blank = 1;
  for (;; i++) {
    char c = text[i];
    if (c == '(' || c == '[')
      depth++;
    else if ((c == ')' || c == ']') && depth > 0)
      depth--;
    if (c == 0 || (c == ',' && depth == 0)) {
      if (blank) {
        if (c == 0 && start == 0)
          return gr_diag_set(d, GR_EUSAGE, "empty list");
        return gr_diag_span(d, GR_EUSAGE, c == ',' ? i : start - 1, 1,
                            "empty item in the list (nothing %s this comma)",
                            c == ',' ? "before" : "after");
      }
      if (c == 0)
        return GR_OK;
      start = i + 1;
      blank = 1;
    } else if (c != ' ' && c != '\t')
      blank = 0;
  }
}

void gr_free_list(char **v) {
  if (!v)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

static int valid_name(const char *s, size_t n) {
  if (n == 0 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return 0;
  for (size_t i = 1; i < n; i++)
    if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9')))
      return 0;
  return 1;
}

GrStatus gr_binds_parse(GrBindList *l, const char *text, GrDiag *d) {
  if (gr_list_check(text, d) != GR_OK)
    return GR_EUSAGE;
  int depth = 0;
  size_t start = 0, len = strlen(text);
  for (size_t i = 0; i <= len; i++) {
    char c = text[i];
    if (c == '(' || c == '[')
      depth++;
    else if ((c == ')' || c == ']') && depth > 0)
      depth--;
    if (!(c == 0 || (c == ',' && depth == 0)))
      continue;
    const char *item = text + start;
    size_t ilen = i - start;
    const char *eq = memchr(item, '=', ilen);
    if (!eq)
      return gr_diag_span(d, GR_EUSAGE, start, ilen ? ilen : 1,
                          "expected NAME=VALUE, found '%.*s'", (int)ilen, item);
    size_t nlen = (size_t)(eq - item);
    while (nlen > 0 && item[nlen - 1] == ' ')
      nlen--;
    size_t skip = 0;
    while (skip < nlen && item[skip] == ' ')
      skip++;
    if (!valid_name(item + skip, nlen - skip))
      return gr_diag_span(d, GR_EUSAGE, start, nlen ? nlen : 1, "'%.*s' is not a valid name",
                          (int)nlen, item);
    char name[128];
    if (nlen - skip >= sizeof name)
      return gr_diag_span(d, GR_EUSAGE, start, nlen, "name too long");
    memcpy(name, item + skip, nlen - skip);
    name[nlen - skip] = 0;
    const char *val = eq + 1;
    size_t vlen = ilen - nlen - skip - 1 + skip;
    vlen = (size_t)(item + ilen - val);
    size_t voff = (size_t)(val - text);
    while (vlen && *val == ' ') {
      val++;
      vlen--;
      voff++;
    }
    if (!vlen)
      return gr_diag_span(d, GR_EUSAGE, voff, 1, "missing value for '%s'", name);
    char *vs = gr_xmalloc(vlen + 1);
    memcpy(vs, val, vlen);
    vs[vlen] = 0;
    double *vals = NULL;
    size_t n = 0;
    int vector = 0;
    GrStatus st = GR_OK;
    GrDiag sub;
    if (vs[0] == '[') {
      vector = 1;
      char *end = strrchr(vs, ']');
      if (!end || end[1] != 0) {
        st = gr_diag_span(d, GR_EUSAGE, voff, vlen, "expected ']' to close the vector for '%s'",
                          name);
      } else {
        *end = 0;
        char **parts = gr_split_list(vs + 1, NULL);
        size_t cap = 0;
        for (char **p = parts; *p && !st; p++)
          cap++;
        vals = gr_xmalloc((cap ? cap : 1) * sizeof *vals);
        size_t pos = voff + 1;
        for (char **p = parts; *p; p++) {
          if (gr_eval_const(*p, &vals[n], &sub) != GR_OK) {
            st = gr_diag_span(d, GR_EUSAGE, pos + (sub.has_span ? sub.off : 0),
                              sub.has_span ? sub.len : strlen(*p), "in the value of '%s': %s",
                              name, sub.msg);
            break;
          }
          n++;
          pos += strlen(*p) + 1;
        }
        if (!st && n == 0)
          st = gr_diag_span(d, GR_EUSAGE, voff, vlen, "empty vector for '%s'", name);
        gr_free_list(parts);
      }
    } else {
      vals = gr_xmalloc(sizeof *vals);
      if (gr_eval_const(vs, &vals[0], &sub) != GR_OK)
        st = gr_diag_span(d, GR_EUSAGE, voff + (sub.has_span ? sub.off : 0),
                          sub.has_span ? sub.len : vlen, "in the value of '%s': %s", name, sub.msg);
      n = 1;
    }
    free(vs);
    if (st) {
      free(vals);
      return st;
    }
    GrBind *b = NULL;
    for (int k = 0; k < l->n; k++)
      if (!strcmp(l->b[k].name, name)) {
        b = &l->b[k];
        free(b->v);
        break;
      }
    if (!b) {
      if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->b = gr_xrealloc(l->b, (size_t)l->cap * sizeof *l->b);
      }
      b = &l->b[l->n++];
      b->name = gr_xstrdup(name);
    }
    b->v = vals;
    b->n = n;
    b->vector = vector;
    start = i + 1;
  }
  return GR_OK;
}

const GrBind *gr_binds_find(const GrBindList *l, const char *name) {
  for (int k = 0; k < l->n; k++)
    if (!strcmp(l->b[k].name, name))
      return &l->b[k];
  return NULL;
}

void gr_binds_free(GrBindList *l) {
  for (int k = 0; k < l->n; k++) {
    free(l->b[k].name);
    free(l->b[k].v);
  }
  free(l->b);
  l->b = NULL;
  l->n = l->cap = 0;
}

GrStatus gr_check_output_path(const char *path, GrDiag *d) {
  struct stat sb;
  int err = 0;
  if (stat(path, &sb) == 0) {
    if (S_ISDIR(sb.st_mode))
      err = EISDIR;
    else if (access(path, W_OK) != 0)
      err = errno;
  } else if (errno != ENOENT) {
    err = errno;
  } else {
    /* a new file: its folder must exist and be writable */
    const char *slash = strrchr(path, '/');
    char *dir = slash ? gr_xstrdup(path) : gr_xstrdup(".");
    if (slash)
      dir[slash == path ? 1 : (size_t)(slash - path)] = 0;
    if (stat(dir, &sb) != 0)
      err = errno;
    else if (!S_ISDIR(sb.st_mode))
      err = ENOTDIR;
    else if (access(dir, W_OK | X_OK) != 0)
      err = errno;
    free(dir);
  }
  if (err)
    return gr_diag_set(d, GR_EIO, "cannot write '%s': %s", path, strerror(err));
  return GR_OK;
}

int gr_find_nul(const char *s, size_t n, size_t *off, size_t *line, size_t *col) {
  const char *z = memchr(s, 0, n);
  if (!z)
    return 0;
  *off = (size_t)(z - s);
  *line = 1;
  *col = 1;
  for (const char *p = s; p < z; p++) {
    if (*p == '\n') {
      ++*line;
      *col = 1;
    } else
      ++*col;
  }
  return 1;
}

const char *gr_compressed(const void *buf, size_t n) {
  static const struct {
    const char *magic;
    size_t len;
    const char *what;
  } packed[] = {{"\x1f\x8b", 2, "gzip"},
                {"BZh", 3, "bzip2"},
                {"\xfd" "7zXZ\0", 6, "xz"},
                {"\x28\xb5\x2f\xfd", 4, "zstd"},
                {"PK\x03\x04", 4, "zip"}};
  for (size_t k = 0; k < sizeof packed / sizeof *packed; k++)
    if (n >= packed[k].len && !memcmp(buf, packed[k].magic, packed[k].len))
      return packed[k].what;
  return NULL;
}

GrStatus gr_read_text(const char *path, char **out, GrDiag *d) {
  size_t n, off, line, col;
  const char *what = strcmp(path, "-") ? path : "standard input";
  char *s = gr_read_all(path, &n);
  if (!s)
    return gr_diag_set(d, GR_EIO, "cannot read %s: %s", what, strerror(errno));
  const char *z = gr_compressed(s, n);
  if (z) {
    free(s);
    return gr_diag_set(d, GR_EIO, "%s: compressed data (%s): decompress it first", what, z);
  }
  if (gr_find_nul(s, n, &off, &line, &col)) {
    free(s);
    return gr_diag_set(d, GR_EUSAGE, "%s, line %zu, column %zu (byte offset %zu): a NUL byte; "
                       "an expression is text", what, line, col, off);
  }
  *out = s;
  return GR_OK;
}

/* Does s (n bytes) hold something other than blanks? */
static int has_text(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isspace((unsigned char)s[i]))
      return 1;
  return 0;
}

/* The last character of s that is not a blank, or 0. */
static char last_char(const char *s, size_t n) {
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return n ? s[n - 1] : 0;
}

/* Append the n bytes at s to b: plain copies, as the lines of a large input can be
 * megabytes long (a printf would scan them twice more). */
static void buf_put(GrBuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->s = gr_xrealloc(b->s, b->cap);
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = 0;
}

char **gr_split_lines(const char *text, int *n) {
  char **v = NULL;
  int k = 0, depth = 0, cont = 0;
  GrBuf prefix = {0}, cur = {0};
  gr_buf_puts(&prefix, "");
  for (const char *p = text; *p;) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    const char *hash = memchr(p, '#', len);
    size_t body = hash ? (size_t)(hash - p) : len; /* without its comment */
    const char *b = p;
    while (b < p + body && isspace((unsigned char)*b))
      b++;
    size_t blen = body - (size_t)(b - p);
    p = e ? e + 1 : p + len;
    if (!has_text(b, blen))
      continue; /* blank, or only a comment */
    char last = last_char(b, blen);
    int starts_op = strchr("+-*/^=<>!&|,)]", *b) != NULL && *b != '!';
    if (cur.n && !cont && !starts_op && depth == 0) {
      /* the expression so far is complete: a new one starts */
      v = gr_xrealloc(v, (size_t)(k + 2) * sizeof *v);
      GrBuf x = {0};
      buf_put(&x, prefix.s, prefix.n);
      buf_put(&x, cur.s, cur.n);
      v[k++] = x.s;
      v[k] = NULL;
      gr_buf_free(&cur);
      cur = (GrBuf){0};
    }
    for (size_t i = 0; i < blen; i++)
      depth += b[i] == '(' || b[i] == '[' ? 1 : b[i] == ')' || b[i] == ']' ? -1 : 0;
    size_t keep = blen;
    while (keep && isspace((unsigned char)b[keep - 1]))
      keep--;
    cont = last == '\\' || (last && strchr("+-*/^=<>&|,([", last));
    if (last == '\\')
      keep--; /* the backslash goes */
    if (cur.n)
      buf_put(&cur, "\n", 1);
    buf_put(&cur, b, keep);
    if (last == ';' && depth == 0) {
      /* a statement: it comes before every expression */
      buf_put(&prefix, cur.s, cur.n);
      buf_put(&prefix, "\n", 1);
      gr_buf_free(&cur);
      cur = (GrBuf){0};
    }
  }
  if (cur.n) {
    v = gr_xrealloc(v, (size_t)(k + 2) * sizeof *v);
    GrBuf x = {0};
    buf_put(&x, prefix.s, prefix.n);
    buf_put(&x, cur.s, cur.n);
    v[k++] = x.s;
    v[k] = NULL;
  }
  gr_buf_free(&cur);
  gr_buf_free(&prefix);
  if (k < 2) {
    gr_free_list(v);
    return NULL;
  }
  *n = k;
  return v;
}

static int write_error_reported; /* one message per process, however many commands fail */

int gr_check_stdout(const char *prog, int status) {
  errno = 0;
  int fail = fflush(stdout) != 0, err = errno;
  if (!fail && !ferror(stdout))
    return status;
  if (!write_error_reported && status != 3) /* a status 3 comes with its message */
    fprintf(stderr, "%s: error: writing output: %s\n", prog,
            fail && err ? strerror(err) : "write error");
  write_error_reported = 1;
  return status == 130 ? status : 3;
}

int gr_close_stdout(const char *prog, int status) {
  int prev = ferror(stdout), pending = __fpending(stdout) > 0;
  errno = 0;
  int fail = fclose(stdout) != 0, err = errno;
  /* a closed stdout that nothing was written to is not an error (gnulib's close_stdout) */
  if (!prev && !(fail && (pending || err != EBADF)))
    return status;
  if (!write_error_reported && status != 3)
    fprintf(stderr, "%s: error: writing output: %s\n", prog,
            fail && err ? strerror(err) : "write error");
  return status == 130 ? status : 3;
}

void gr_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c == '\n')
      fputs("\\n", f);
    else if (c == '\t')
      fputs("\\t", f);
    else if (c < 32)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

void gr_put_num(FILE *f, double v, int digits, int json) {
  char buf[40];
  if (json && !isfinite(v)) {
    fputs("null", f);
    return;
  }
  gr_fmt(buf, v, digits);
  fputs(buf, f);
}

/* Is s (after the '-') a cluster of known short options, such as "s", "Vs" or "d3" (an
 * option taking a value ends the cluster)? "-sin(x)" and "-x^2" are expressions. */
static int short_cluster(const char *s, const char *short_opts, const char *short_arg_opts) {
  if (!*s)
    return 0;
  for (; *s; s++) {
    if (strchr(short_arg_opts, *s))
      return 1;
    if (!strchr(short_opts, *s))
      return 0;
  }
  return 1;
}

char **gr_permute_args(int argc, char **argv, const char *short_opts, const char *short_arg_opts,
                       const struct option *long_opts, int *nargc, const char **missing) {
  char **ops = gr_xcalloc((size_t)argc + 1, sizeof *ops);
  char **rest = gr_xcalloc((size_t)argc + 1, sizeof *rest);
  int no = 0, nr = 0, i = 1;
  if (missing)
    *missing = NULL;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) {
      i++;
      break;
    }
    int is_opt = a[0] == '-' && ((a[1] == '-' && a[2]) || short_cluster(a + 1, short_opts, short_arg_opts));
    if (is_opt) {
      ops[no++] = argv[i];
      const char *name = a + (a[1] == '-' ? 2 : 1);
      int takes = 0;
      if (a[1] != '-')
        takes = strchr(short_arg_opts, a[1]) && a[2] == 0;
      else if (!strchr(name, '='))
        for (const struct option *lo = long_opts; lo->name; lo++)
          /* getopt_long accepts unique prefixes (--di 3 is --digits 3): so must this */
          if (!strncmp(lo->name, name, strlen(name)) && lo->has_arg == required_argument)
            takes = 1;
      if (takes && i + 1 < argc)
        ops[no++] = argv[++i];
      else if (takes && missing && !*missing)
        *missing = a; /* getopt would take the "--" inserted below as its value */
    } else
      rest[nr++] = argv[i];
  }
  for (; i < argc; i++)
    rest[nr++] = argv[i];
  char **out = gr_xmalloc(((size_t)argc + 2) * sizeof *out);
  int k = 0;
  out[k++] = argv[0];
  for (int j = 0; j < no; j++)
    out[k++] = ops[j];
  static char dashdash[] = "--";
  out[k++] = dashdash;
  for (int j = 0; j < nr; j++)
    out[k++] = rest[j];
  out[k] = NULL;
  free(ops);
  free(rest);
  *nargc = k;
  return out;
}

size_t gr_bind_form(const char *s) {
  size_t i = 0;
  if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
    return 0;
  while (isalnum((unsigned char)s[i]) || s[i] == '_')
    i++;
  size_t n = i;
  while (s[i] == ' ')
    i++;
  if (s[i] != '=' || s[i + 1] == '=')
    return 0;
  double v;
  GrDiag d;
  return gr_eval_const(s + i + 1, &v, &d) == GR_OK ? n : 0;
}

GrSlip *gr_find_slips(int argc, char **argv, const char *const *opts, int *n) {
  GrSlip *sl = gr_xcalloc((size_t)argc + 1, sizeof *sl);
  *n = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--"))
      break;
    const char *opt = NULL, *val = NULL;
    int next = 0;
    for (int k = 0; opts[k] && !opt; k++) {
      size_t L = strlen(opts[k]);
      if (!strcmp(argv[i], opts[k]) && i + 1 < argc) {
        opt = opts[k];
        val = argv[i + 1];
        next = i + 2;
      } else if (!strncmp(argv[i], opts[k], L) && argv[i][L] == '=') {
        opt = opts[k];
        val = argv[i] + L + 1;
        next = i + 1;
      }
    }
    for (int k = next; opt && k < argc && argv[k][0] != '-' && gr_bind_form(argv[k]); k++)
      sl[(*n)++] = (GrSlip){argv[k], opt, val};
  }
  return sl;
}

void gr_slip_error(const char *prog, const char *what, const GrSlip *sl, int n, int s) {
  fprintf(stderr, "%s: error: '%s' after %s %s looks like %s: did you mean %s %s", prog,
          sl[s].arg, sl[s].opt, sl[s].val, what, sl[s].opt, sl[s].val);
  for (int t = 0; t < n; t++)
    if (sl[t].val == sl[s].val) {
      fputc(',', stderr);
      for (const char *c = sl[t].arg; *c; c++)
        if (*c != ' ')
          fputc(*c, stderr);
    }
  fprintf(stderr, "?\nTry '%s --help' for more information.\n", prog);
}

const char *gr_option_msg(const char *arg, const struct option *lo, char *buf, size_t bn) {
  if (strncmp(arg, "--", 2) || !arg[2]) {
    snprintf(buf, bn, "unknown option '%s'", arg);
    return buf;
  }
  const char *name = arg + 2, *eq = strchr(name, '=');
  size_t len = eq ? (size_t)(eq - name) : strlen(name);
  int exact = -1, nmatch = 0, first = -1;
  for (int i = 0; lo[i].name; i++) {
    if (strncmp(lo[i].name, name, len))
      continue;
    if (strlen(lo[i].name) == len)
      exact = i;
    if (first < 0)
      first = i;
    nmatch++;
  }
  if (exact < 0 && nmatch == 1)
    exact = first;
  if (exact >= 0) {
    if (eq && lo[exact].has_arg == no_argument)
      snprintf(buf, bn, "option '--%s' doesn't allow an argument", lo[exact].name);
    else
      snprintf(buf, bn, "option '--%s' needs a value", lo[exact].name);
    return buf;
  }
  if (nmatch > 1) {
    int k = snprintf(buf, bn, "option '--%.*s' is ambiguous; it could be", (int)len, name);
    for (int i = 0, c = 0; lo[i].name && k > 0 && (size_t)k < bn; i++)
      if (!strncmp(lo[i].name, name, len))
        k += snprintf(buf + k, bn - (size_t)k, "%s --%s", c++ ? "," : "", lo[i].name);
    return buf;
  }
  int best = -1, bd = 99;
  for (int i = 0; lo[i].name; i++) {
    int dd = gr_edit_distance(name, len, lo[i].name);
    if (dd < bd) {
      bd = dd;
      best = i;
    }
  }
  if (best >= 0 && bd <= (len <= 4 ? 1 : 2))
    snprintf(buf, bn, "unknown option '--%.*s' (did you mean --%s?)", (int)len, name, lo[best].name);
  else
    snprintf(buf, bn, "unknown option '--%.*s'", (int)len, name);
  return buf;
}

/* ---- the progress line ---- */

static double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void gr_progress_start(GrProgress *p, const char *prog, const char *what, int enabled) {
  memset(p, 0, sizeof *p);
  p->on = enabled && isatty(2);
  p->prog = prog;
  p->what = what;
  p->t0 = p->last = mono_now();
}

/* seconds as "12 s", "3 min 5 s", "2 h 10 min" */
static void fmt_eta(char *b, size_t n, double s) {
  if (!(s < 1e9))
    snprintf(b, n, "?");
  else if (s < 60)
    snprintf(b, n, "%.0f s", s);
  else if (s < 3600)
    snprintf(b, n, "%.0f min %02.0f s", floor(s / 60), fmod(s, 60));
  else
    snprintf(b, n, "%.0f h %02.0f min", floor(s / 3600), fmod(floor(s / 60), 60));
}

void gr_progress_show(GrProgress *p, uint64_t done, uint64_t total, const char *extra) {
  if (!p->on)
    return;
  double now = mono_now();
  if (now - p->t0 < 1.0 || now - p->last < 0.2)
    return;
  p->last = now;
  double el = now - p->t0;
  char eta[40];
  if (total && done && done <= total) {
    fmt_eta(eta, sizeof eta, el * (double)(total - done) / (double)done);
    fprintf(stderr, "\r%s: %s %llu of %llu (%.0f%%), ETA %s%s%s\033[K", p->prog, p->what,
            (unsigned long long)done, (unsigned long long)total,
            floor(100.0 * (double)done / (double)total), eta, extra ? "  " : "",
            extra ? extra : "");
  } else {
    fprintf(stderr, "\r%s: %s %llu (%.3g per second)%s%s\033[K", p->prog, p->what,
            (unsigned long long)done, (double)done / el, extra ? "  " : "", extra ? extra : "");
  }
  p->shown = 1;
}

void gr_progress_clear(GrProgress *p) {
  if (p->shown)
    fputs("\r\033[K", stderr);
  p->shown = 0;
}
