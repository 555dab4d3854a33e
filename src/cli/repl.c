/* SPDX-License-Identifier: GPL-3.0-or-later
 * The interactive session: definitions are kept as source text; each command becomes a
 * program "definitions it uses; EXPR" plus an argv for grad_main/minimize_main, so the
 * session says exactly what the command line says. GNU Readline on a terminal (history,
 * completion, Ctrl-C clears the line); plain line input otherwise.
 */
#include "repl.h"
#include "config.h"
#include "gradprog.h"
#include "num.h"
#include "ops.h"
#include "print.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#include <sys/select.h>
#endif

/* The minimize program's entry point, when it is built into grad. */
#if defined(__has_include)
#if __has_include("minimize.h")
#include "minimize.h"
#define HAVE_MINIMIZE_MAIN 1
#endif
#endif
#ifndef HAVE_MINIMIZE_MAIN
static int minimize_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fputs("grad: error: minimize is not available in this build\n", stderr);
  return 2;
}
#endif

enum { DEF_FUNC, DEF_EXPR, DEF_CONST };

/* One definition. FUNC and EXPR keep their statement text as entered; a CONST keeps its
 * value as a literal ("3", "[1,2,3]") that reads back to the same doubles. */
typedef struct Def {
  char *name;
  int kind;
  char *text;    /* FUNC, EXPR: "f(x,y) = x^2 + y^2"; CONST: "a = 3" */
  char *value;   /* CONST: the literal */
  char **params; /* FUNC: parameter names (NULL-terminated) */
  int arity;
} Def;

typedef struct Repl {
  Def *d;
  int n, cap;
  char **failed_names; /* definitions that failed and left their name undefined */
  size_t *failed_lines;
  int nfailed;
  size_t lineno; /* of the line being run (its first line when it was continued) */
  char **extra; /* grad options from the command line, for every grad command */
  int nextra;
  int interactive;
  int failed; /* a command failed (the exit status of a script) */
  int status; /* 130: a script was interrupted */
  int quit;
} Repl;

static const char *const commands[] = {"grad", "minimize", "table", "plot", "check", "help",
                                       "vars", "clear", "quit",  "exit",  NULL};
/* Words that end an expression and start an option; `word value` becomes --word value for
 * any word, these are only the ones that may follow an expression. */
static const char *const keywords[] = {
    "at",     "from",  "wrt",   "format", "digits",  "no-grad", "symbolic", "hessian", "order",
    "check",  "eps",   "atol",  "rtol",   "vjp",     "jvp",     "mode",     "stats",   "graph",
    "dot",    "range", "points", "plot",  "gnuplot", "cse",     "method",   "lr",      "steps",
    "tol",    "data",  "trace", "seed",   "momentum", "taylor", "exact", NULL};
/* Options that evaluate at a point: without `at`, every variable needs a value. */
static const char *const point_opts[] = {"wrt",   "format", "digits", "no-grad",
                                         "hessian", "check", "taylor", NULL};
/* Options that never take a value. */
static const char *const flags[] = {"no-grad", "symbolic", "hessian", "check", "stats", "graph",
                                    "dot",     "plot",     "gnuplot", "cse",   "exact", NULL};
static const char *const methods[] = {"gd",      "sgd", "adam",  "adamw", "nadam",
                                      "rmsprop", "adagrad", "bfgs", "cg-fr", "cg-pr",
                                      "steepest", "nelder-mead", "lm", NULL};

/* The file name of a script, for error locations (NULL: standard input or a terminal). */
static const char *script_file;
static size_t script_line;

/* "grad: error: FILE:LINE: msg" in a script, "grad: error: msg" otherwise. */
static void rerr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rerr(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("grad: error: ", stderr);
  if (script_file)
    fprintf(stderr, "%s:%zu: ", script_file, script_line);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

static int in_list(const char *const *l, const char *s) {
  for (; *l; l++)
    if (!strcmp(*l, s))
      return 1;
  return 0;
}

/* grad's long option `name` (n bytes): 1 takes a value, 0 a flag, -1 not an option. Words
 * of options added to grad later work in the session without a change here. */
static int grad_option(const char *name, size_t n) {
  for (const struct option *o = grad_long_options(); o->name; o++)
    if (strlen(o->name) == n && !strncmp(o->name, name, n) && strcmp(o->name, "help") &&
        strcmp(o->name, "version"))
      return o->has_arg != no_argument;
  return -1;
}

static int is_flag(const char *w) {
  int k = grad_option(w, strlen(w));
  return k == 0 || (k < 0 && in_list(flags, w));
}

static int is_ident_start(int c) { return isalpha(c) || c == '_'; }
static int is_ident(int c) { return isalnum(c) || c == '_'; }

static char *xstrndup(const char *s, size_t n) {
  char *r = gr_xmalloc(n + 1);
  memcpy(r, s, n);
  r[n] = 0;
  return r;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = 0;
  return s;
}

/* ---- argument vectors ---- */

typedef struct Argv {
  char **v;
  int n, cap;
} Argv;

static void arg_add(Argv *a, const char *s) {
  if (a->n + 2 > a->cap) {
    a->cap = a->cap ? 2 * a->cap : 16;
    a->v = gr_xrealloc(a->v, (size_t)a->cap * sizeof *a->v);
  }
  a->v[a->n++] = gr_xstrdup(s);
  a->v[a->n] = NULL;
}

static void arg_free(Argv *a) {
  for (int i = 0; i < a->n; i++)
    free(a->v[i]);
  free(a->v);
  memset(a, 0, sizeof *a);
}

/* ---- definitions ---- */

static Def *find_def(Repl *r, const char *name) {
  for (int i = 0; i < r->n; i++)
    if (!strcmp(r->d[i].name, name))
      return &r->d[i];
  return NULL;
}

static void def_free(Def *d) {
  free(d->name);
  free(d->text);
  free(d->value);
  gr_free_list(d->params);
}

static void remove_def(Repl *r, const char *name) {
  for (int i = 0; i < r->n; i++)
    if (!strcmp(r->d[i].name, name)) {
      def_free(&r->d[i]);
      memmove(&r->d[i], &r->d[i + 1], (size_t)(r->n - i - 1) * sizeof *r->d);
      r->n--;
      return;
    }
}

/* Does text mention the name `name` as an identifier (outside numbers such as 2e3)? Names
 * in `except` (a function's parameters) do not count. */
static int mentions(const char *text, const char *name, char *const *except) {
  size_t L = strlen(name);
  const char *p = text;
  while (*p) {
    if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
      while (isdigit((unsigned char)*p) || *p == '.')
        p++;
      if ((*p == 'e' || *p == 'E') &&
          (isdigit((unsigned char)p[1]) ||
           ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2]))))
        for (p += 2; isdigit((unsigned char)*p); p++)
          ;
      continue;
    }
    if (is_ident_start((unsigned char)*p)) {
      const char *s = p;
      while (is_ident((unsigned char)*p))
        p++;
      if ((size_t)(p - s) == L && !memcmp(s, name, L)) {
        int ex = 0;
        for (char *const *e = except; e && *e; e++)
          ex |= !strcmp(*e, name);
        if (!ex)
          return 1;
      }
      continue;
    }
    p++;
  }
  return 0;
}

/* The body of a FUNC/EXPR statement: the text after its top-level '='. */
static const char *def_body(const Def *d) {
  const char *eq = strchr(d->text, '=');
  return eq ? eq + 1 : d->text;
}

/* Mark the definitions that expr uses, directly or through other definitions. */
static unsigned char *needed(const Repl *r, const char *expr, int skip) {
  unsigned char *m = gr_xcalloc((size_t)r->n + 1, 1);
  /* fixpoint: a definition only refers to names defined before it, but a redefinition
   * keeps its place, so iterate until nothing changes */
  for (int i = 0; i < r->n; i++)
    m[i] = i != skip && mentions(expr, r->d[i].name, NULL);
  for (int changed = 1; changed;) {
    changed = 0;
    for (int i = 0; i < r->n; i++) {
      if (!m[i] || r->d[i].kind == DEF_CONST)
        continue;
      for (int j = 0; j < r->n; j++)
        if (!m[j] && j != skip && j != i &&
            mentions(def_body(&r->d[i]), r->d[j].name, r->d[i].params)) {
          m[j] = 1;
          changed = 1;
        }
    }
  }
  return m;
}

static int name_in(char *const *names, const char *s) {
  for (; names && *names; names++)
    if (!strcmp(*names, s))
      return 1;
  return 0;
}

/* The program text for expr: the constants it uses (except those in `point`, which the
 * command gives values to), then the other definitions it uses in the order they were
 * entered, one statement per line so that a caret shows only the line at fault. */
static char *program(const Repl *r, const char *expr, char *const *point, int skip) {
  unsigned char *m = needed(r, expr, skip);
  GrBuf b = {0};
  gr_buf_puts(&b, "");
  for (int i = 0; i < r->n; i++)
    if (m[i] && r->d[i].kind == DEF_CONST && !name_in(point, r->d[i].name))
      gr_buf_printf(&b, "%s = %s;\n", r->d[i].name, r->d[i].value);
  for (int i = 0; i < r->n; i++)
    if (m[i] && r->d[i].kind != DEF_CONST)
      gr_buf_printf(&b, "%s;\n", r->d[i].text);
  gr_buf_puts(&b, expr);
  free(m);
  return b.s;
}

/* Render a diagnostic against the session's program text (the caret line is the user's). */
static int report(const GrDiag *d, const char *src) {
  gr_diag_render(stderr, "grad", d, src);
  return d->status ? (int)d->status : 2;
}

/* The value of out (no free variables) as a literal that reads back to the same doubles:
 * "3", "[1,2]". Returns 0, 1 when not finite (*lit is the value), 2 on a tape error (d). */
static int literal(GrGraph *g, GrNode *out, char **lit, GrDiag *d) {
  size_t *len = gr_xcalloc((size_t)g->nvars + 1, sizeof *len);
  for (int v = 0; v < g->nvars; v++)
    len[v] = 1;
  GrTape *t;
  GrStatus s = gr_tape_compile(g, &out, 1, len, &t, d);
  free(len);
  if (s != GR_OK)
    return 2;
  gr_tape_forward(t);
  const double *v = gr_tape_out(t, 0);
  size_t n = gr_tape_out_len(t, 0);
  GrBuf b = {0};
  gr_buf_puts(&b, n > 1 ? "[" : "");
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    char w[40];
    gr_fmt(w, v[i], 0);
    if (!isfinite(v[i]) && !bad) {
      bad = 1;
      gr_buf_free(&b);
      b = (GrBuf){0};
      gr_buf_puts(&b, w);
      break;
    }
    gr_buf_printf(&b, "%s%s", i ? "," : "", w);
  }
  if (!bad)
    gr_buf_puts(&b, n > 1 ? "]" : "");
  gr_tape_free(t);
  *lit = b.s;
  return bad;
}

/* text with each bare name of a defined function (not followed by '(') written as the
 * function applied to its own parameters: with f(x, y) defined, `g = 2*f` is
 * `g = 2*f(x, y)`. Names in `except` (parameters of a function being defined) and the
 * name `self` stay. A new string. */
static char *expand_functions(const Repl *r, const char *text, const char *except,
                              const char *self) {
  GrBuf b = {0};
  gr_buf_puts(&b, "");
  for (const char *p = text; *p;) {
    if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
      const char *st = p;
      while (isalnum((unsigned char)*p) || *p == '.' || ((*p == '+' || *p == '-') &&
                                                         (p[-1] == 'e' || p[-1] == 'E')))
        p++;
      gr_buf_printf(&b, "%.*s", (int)(p - st), st);
      continue;
    }
    if (is_ident_start((unsigned char)*p)) {
      const char *st = p;
      while (is_ident((unsigned char)*p))
        p++;
      char *w = xstrndup(st, (size_t)(p - st));
      const Def *d = find_def((Repl *)r, w);
      const char *q = p;
      while (*q == ' ' || *q == '\t')
        q++;
      /* followed by an operator or the end: not by '(' (a call) nor by a name or a number
       * (f frobnicate 3 is a mistake the parser reports) */
      int ends = !*q || strchr("+-*/^=<>!&|,;)]", *q);
      if (d && d->kind == DEF_FUNC && ends && (!self || strcmp(w, self)) &&
          !(except && mentions(except, w, NULL))) {
        gr_buf_printf(&b, "%s(", w);
        for (int k = 0; k < d->arity; k++)
          gr_buf_printf(&b, "%s%s", k ? ", " : "", d->params[k]);
        gr_buf_puts(&b, ")");
      } else
        gr_buf_puts(&b, w);
      free(w);
      continue;
    }
    gr_buf_printf(&b, "%c", *p++);
  }
  return b.s;
}

/* Check and store a definition: `name = rhs` (a constant when rhs has a value now, else a
 * named expression) or `name(params) = body`. */
static int define_text(Repl *r, const char *line, const char *name, int is_func);

static int define(Repl *r, const char *line, const char *name, int is_func) {
  /* a bare function name on the right stands for its call (g = f is g = f(x)) */
  const char *eq = strchr(line, '=');
  char *header = xstrndup(line, (size_t)(eq - line));
  char *rhs = expand_functions(r, eq + 1, is_func ? header : NULL, name);
  GrBuf b = {0};
  gr_buf_printf(&b, "%s=%s", header, rhs);
  int st = define_text(r, b.s, name, is_func);
  gr_buf_free(&b);
  free(rhs);
  free(header);
  return st;
}

static int define_text(Repl *r, const char *line, const char *name, int is_func) {
  if (in_list(commands, name)) {
    rerr("'%s' is a command word; choose another name\n", name);
    return 2;
  }
  if (gr_op_is_function(name) || !strcmp(name, "pi") || !strcmp(name, "e") || !strcmp(name, "inf")) {
    rerr("cannot redefine the built-in %s '%s'\n",
            gr_op_is_function(name) ? "function" : "constant", name);
    return 2;
  }
  const Def *old = find_def(r, name);
  int skip = old && old->kind != DEF_CONST ? (int)(old - r->d) : -1;
  const char *rhs = strchr(line, '=') + 1;
  while (isspace((unsigned char)*rhs))
    rhs++;
  /* a value may be updated from itself (a = a + 1 uses the old value), but a function or
   * a named expression that refers to itself would turn the name into a free variable */
  if ((is_func || !old || old->kind != DEF_CONST) && mentions(rhs, name, NULL)) {
    char *params_end = strchr(line, ')');
    int self = 1;
    if (is_func && params_end) {
      /* f(x) = x is fine when f is a parameter name... only the body counts */
      char *pl = xstrndup(strchr(line, '(') + 1, (size_t)(params_end - strchr(line, '(') - 1));
      int np;
      char **pv = gr_split_list(pl, &np);
      for (int k = 0; k < np; k++) {
        char *tp = trim(pv[k]);
        memmove(pv[k], tp, strlen(tp) + 1);
      }
      self = mentions(rhs, name, pv);
      gr_free_list(pv);
      free(pl);
    }
    if (self) {
      rerr("%s refers to itself; %s\n", name,
              is_func ? "a function cannot call itself" : "write its expression out");
      return 2;
    }
  }
  /* the new statement is checked as the last one of a program with what it uses */
  GrBuf sb = {0};
  char *base = program(r, rhs, NULL, skip);
  /* keep the definitions it uses, then the line as typed (the caret shows all of it); a
   * final `name = rhs` is the value of rhs under that name */
  size_t blen = strlen(base) - strlen(rhs);
  gr_buf_printf(&sb, "%.*s%s", (int)blen, base, line);
  free(base);
  char *src = sb.s;
  GrGraph *g = gr_graph_new();
  GrEnv env = {0};
  GrParseOpts po = {NULL, &env, 0};
  GrParsed parsed;
  GrDiag d;
  int st = 0;
  GrStatus ps = gr_parse(g, src, &po, &parsed, &d);
  const GrBinding *fb = is_func ? gr_env_find(&env, name) : NULL;
  /* a program that ends with a function definition "computes nothing": that is the one
   * failure that a good definition gives (it has no span) */
  if (ps != GR_OK && !(fb && fb->arity >= 0 && !d.has_span)) {
    st = report(&d, src);
    goto out;
  }
  Def nd = {0};
  nd.name = gr_xstrdup(name);
  if (is_func) {
    const GrBinding *bd = fb;
    if (!bd || bd->arity < 0) {
      rerr("'%s' is not a function definition (parameters are names: "
                      "f(x, y) = ...)\n", line);
      def_free(&nd);
      st = 2;
      goto out;
    }
    nd.kind = DEF_FUNC;
    nd.arity = bd ? bd->arity : 0;
    nd.params = gr_xcalloc((size_t)nd.arity + 1, sizeof *nd.params);
    for (int i = 0; i < nd.arity; i++)
      nd.params[i] = gr_xstrdup(bd->params[i]);
    nd.text = gr_xstrdup(line);
  } else {
    int free_vars = 0;
    for (int v = 0; v < g->nvars; v++)
      free_vars |= gr_depends(g, parsed.out, v);
    if (free_vars) {
      nd.kind = DEF_EXPR;
      nd.text = gr_xstrdup(line);
    } else {
      /* a value now: evaluate it once, like an assignment in bc or Python */
      char *lit;
      int e = literal(g, parsed.out, &lit, &d);
      if (e) {
        if (e == 1) {
          rerr("the value of %s is not finite (%s)\n", name, lit);
          free(lit);
        } else
          report(&d, src);
        def_free(&nd);
        st = e == 1 ? 1 : (int)d.status;
        goto out;
      }
      nd.kind = DEF_CONST;
      nd.value = lit;
      GrBuf tx = {0};
      gr_buf_printf(&tx, "%s = %s", name, nd.value);
      nd.text = tx.s;
    }
  }
  /* a redefinition keeps its place, so definitions that use it see the new one */
  Def *slot = find_def(r, name);
  if (slot && slot->kind != DEF_CONST && nd.kind != DEF_CONST) {
    def_free(slot);
    *slot = nd;
  } else {
    if (slot)
      remove_def(r, name);
    if (r->n == r->cap) {
      r->cap = r->cap ? 2 * r->cap : 16;
      r->d = gr_xrealloc(r->d, (size_t)r->cap * sizeof *r->d);
    }
    r->d[r->n++] = nd;
  }
  if (nd.kind == DEF_CONST)
    printf("%s = %s\n", name, nd.value);
out:
  gr_env_free(&env);
  gr_graph_free(g);
  free(src);
  return st;
}

/* Is the line a definition? `NAME = rhs` or `NAME(a, b) = body` with one top-level '='
 * and no ';' (a ';' program is an expression, as on the command line). */
static int is_definition(const char *s, char *name, size_t cap, int *is_func) {
  const char *p = s;
  if (!is_ident_start((unsigned char)*p))
    return 0;
  while (is_ident((unsigned char)*p))
    p++;
  size_t n = (size_t)(p - s);
  if (n >= cap)
    return 0;
  memcpy(name, s, n);
  name[n] = 0;
  while (*p == ' ' || *p == '\t')
    p++;
  *is_func = 0;
  if (*p == '(') {
    for (p++; *p && *p != ')'; p++)
      if (!is_ident((unsigned char)*p) && *p != ',' && *p != ' ' && *p != '\t')
        return 0;
      else if (isdigit((unsigned char)*p) && !is_ident((unsigned char)p[-1]))
        return 0; /* f(2) = 3 is an equation */
    if (*p != ')')
      return 0;
    p++;
    while (*p == ' ' || *p == '\t')
      p++;
    *is_func = 1;
  }
  if (*p != '=' || p[1] == '=')
    return 0;
  int neq = 0, depth = 0;
  for (const char *q = s; *q; q++) {
    if (*q == '(' || *q == '[')
      depth++;
    else if (*q == ')' || *q == ']')
      depth--;
    else if (*q == ';')
      return 0;
    else if (*q == '=' && depth == 0) {
      int cmp = q[1] == '=' || (q > s && strchr("=<>!", q[-1]));
      if (cmp) {
        if (q[1] == '=')
          q++;
      } else
        neq++;
    }
  }
  return neq == 1;
}

/* ---- commands ---- */

typedef struct Tok {
  const char *s; /* into the line */
  size_t len;
  int depth; /* bracket depth at its start */
} Tok;

static Tok *tokenize(const char *s, int *n) {
  int cap = 16, k = 0, depth = 0;
  Tok *t = gr_xmalloc((size_t)cap * sizeof *t);
  for (const char *p = s; *p;) {
    if (isspace((unsigned char)*p)) {
      p++;
      continue;
    }
    const char *st = p;
    int d0 = depth;
    while (*p && !isspace((unsigned char)*p)) {
      if (*p == '(' || *p == '[')
        depth++;
      else if ((*p == ')' || *p == ']') && depth > 0)
        depth--;
      p++;
    }
    if (k == cap)
      t = gr_xrealloc(t, (size_t)(cap *= 2) * sizeof *t);
    t[k].s = st;
    t[k].len = (size_t)(p - st);
    t[k].depth = d0;
    k++;
  }
  *n = k;
  return t;
}

static int tok_is(const Tok *t, const char *w) { return strlen(w) == t->len && !memcmp(t->s, w, t->len); }

static int tok_keyword(const Tok *t) {
  if (t->depth)
    return 0;
  if (t->len > 2 && t->s[0] == '-' && t->s[1] == '-')
    return 1;
  for (const char *const *k = keywords; *k; k++)
    if (tok_is(t, *k))
      return 1;
  return grad_option(t->s, t->len) >= 0;
}

/* NAME=...:... (a range of table and plot) */
static int tok_range(const Tok *t) {
  if (t->depth || !is_ident_start((unsigned char)t->s[0]))
    return 0;
  size_t i = 0;
  while (i < t->len && is_ident((unsigned char)t->s[i]))
    i++;
  return i < t->len && t->s[i] == '=' && memchr(t->s, ':', t->len) != NULL;
}

/* Append the names of a NAME=VALUE,... list to *names. */
static void add_names(char ***names, int *nn, const char *list) {
  int n;
  char **v = gr_split_list(list, &n);
  for (int i = 0; i < n; i++) {
    char *eq = strchr(v[i], '=');
    if (!eq)
      continue;
    *eq = 0;
    *names = gr_xrealloc(*names, (size_t)(*nn + 2) * sizeof **names);
    (*names)[(*nn)++] = gr_xstrdup(trim(v[i]));
    (*names)[*nn] = NULL;
  }
  gr_free_list(v);
}

/* Join tokens [i, j) without spaces: "x=1," "y=2" -> "x=1,y=2". */
static char *join(const Tok *t, int i, int j) {
  GrBuf b = {0};
  gr_buf_puts(&b, "");
  for (int k = i; k < j; k++)
    gr_buf_printf(&b, "%.*s", (int)t[k].len, t[k].s);
  return b.s;
}

/* Add the option value that starts at token i; a value with spaces after commas is joined
 * (wrt x, y). Returns the index of the token after it. */
static int add_value(Argv *opts, const Tok *t, int i, int nt) {
  int j = i + 1;
  while (j < nt && (t[j - 1].s[t[j - 1].len - 1] == ',' || t[j].s[0] == ',' || t[j].depth))
    j++;
  char *v = join(t, i, j);
  arg_add(opts, v);
  free(v);
  return j;
}

enum { CMD_GRAD, CMD_CHECK, CMD_TABLE, CMD_PLOT, CMD_MINIMIZE };

/* ans: the value of src at the point `at` (NAME=VALUE,...), when it has one. */
static void set_ans(Repl *r, const char *src, const char *at) {
  GrBuf b = {0};
  gr_buf_puts(&b, "");
  if (at) {
    int n;
    char **v = gr_split_list(at, &n);
    for (int i = 0; i < n; i++)
      gr_buf_printf(&b, "%s;\n", v[i]);
    gr_free_list(v);
  }
  gr_buf_puts(&b, src);
  GrGraph *g = gr_graph_new();
  GrParsed parsed;
  GrDiag d;
  char *lit = NULL;
  if (gr_parse(g, b.s, NULL, &parsed, &d) == GR_OK) {
    int free_vars = 0;
    for (int v = 0; v < g->nvars; v++)
      free_vars |= gr_depends(g, parsed.out, v);
    if (!free_vars && literal(g, parsed.out, &lit, &d) == 0) {
      remove_def(r, "ans");
      if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->d = gr_xrealloc(r->d, (size_t)r->cap * sizeof *r->d);
      }
      Def nd = {0};
      nd.name = gr_xstrdup("ans");
      nd.kind = DEF_CONST;
      nd.value = lit;
      lit = NULL;
      GrBuf tx = {0};
      gr_buf_printf(&tx, "ans = %s", nd.value);
      nd.text = tx.s;
      r->d[r->n++] = nd;
    }
  }
  free(lit);
  gr_graph_free(g);
  gr_buf_free(&b);
}

/* Run `grad|check|table|plot|minimize ARGS` (or a bare expression: CMD_GRAD). */
static int run(Repl *r, int cmd, const char *args) {
  int nt;
  Tok *t = tokenize(args, &nt);
  /* the first word is always part of the expression (eps + 1), unless it is at/from */
  int i = nt && !tok_is(&t[0], "at") && !tok_is(&t[0], "from") ? 1 : 0;
  while (i < nt && !tok_keyword(&t[i]) && !((cmd == CMD_TABLE || cmd == CMD_PLOT) && tok_range(&t[i])))
    i++;
  const char *cname = cmd == CMD_MINIMIZE ? "minimize" : cmd == CMD_CHECK ? "check"
                      : cmd == CMD_TABLE  ? "table"
                      : cmd == CMD_PLOT   ? "plot"
                                          : "grad";
  if (i == 0 || (i == 1 && tok_range(&t[0]) && (cmd == CMD_TABLE || cmd == CMD_PLOT))) {
    rerr("'%s' needs an expression first (try: help %s)\n", cname, cname);
    free(t);
    return 2;
  }
  /* the expression as typed (a substring, so carets point where the user typed) */
  char *expr = xstrndup(t[0].s, (size_t)(t[i - 1].s + t[i - 1].len - t[0].s));
  if (!strcmp(expr, "-")) {
    /* grad reads '-' from standard input: the session's own input */
    rerr("'-' is not an expression here (type the expression)\n");
    free(expr);
    free(t);
    return 2;
  }
  const Def *fd = find_def(r, expr), *fn = fd && fd->kind == DEF_FUNC ? fd : NULL;
  if (fn) {
    /* a function name stands for its body applied to its own parameter names */
    GrBuf b = {0};
    gr_buf_printf(&b, "%s(", fd->name);
    for (int k = 0; k < fd->arity; k++)
      gr_buf_printf(&b, "%s%s", k ? ", " : "", fd->params[k]);
    gr_buf_puts(&b, ")");
    free(expr);
    expr = b.s;
  } else {
    char *x = expand_functions(r, expr, NULL, NULL);
    free(expr);
    expr = x;
  }
  Argv opts = {0};
  char **point = NULL; /* names the command gives values to */
  int npoint = 0, has_point = 0, other = 0;
  char *ranges = NULL, *atv = NULL; /* the point, for ans */
  if (cmd == CMD_CHECK)
    arg_add(&opts, "--check");
  if (cmd == CMD_PLOT)
    arg_add(&opts, "--plot");
  while (i < nt) {
    const Tok *k = &t[i];
    char word[64];
    if (k->len >= sizeof word) {
      rerr("unexpected '%.*s'\n", (int)k->len, k->s);
      goto fail;
    }
    memcpy(word, k->s, k->len);
    word[k->len] = 0;
    if ((cmd == CMD_TABLE || cmd == CMD_PLOT) && tok_range(k)) {
      int j = i + 1;
      while (j < nt && !tok_keyword(&t[j]) && !tok_range(&t[j]))
        j++;
      char *v = join(t, i, j);
      GrBuf b = {0};
      gr_buf_printf(&b, "%s%s%s", ranges ? ranges : "", ranges ? "," : "", v);
      free(ranges);
      free(v);
      ranges = b.s;
      i = j;
      continue;
    }
    if (!strncmp(word, "--", 2)) {
      /* an option spelled as on the command line passes through, with its value */
      arg_add(&opts, word);
      other = 1;
      i++;
      if (!strchr(word, '=') && (i == nt || tok_keyword(&t[i])) &&
          grad_option(word + 2, strlen(word + 2)) == 1) {
        rerr("'%s' needs a value\n", word);
        goto fail;
      }
      if (!strchr(word, '=') && i < nt && !tok_keyword(&t[i]) && !is_flag(word + 2))
        i = add_value(&opts, t, i, nt);
      continue;
    }
    i++;
    if (!strcmp(word, "at") || !strcmp(word, "from")) {
      /* the rest up to the next keyword: at x=1, y=2 */
      int j = i;
      while (j < nt && !tok_keyword(&t[j]) && !((cmd == CMD_TABLE || cmd == CMD_PLOT) && tok_range(&t[j])))
        j++;
      if (j == i) {
        rerr("'%s' needs NAME=VALUE pairs (e.g. %s x=1, y=2)\n", word, word);
        goto fail;
      }
      char *v = join(t, i, j);
      GrBuf o = {0};
      gr_buf_printf(&o, "--%s", word);
      arg_add(&opts, o.s);
      gr_buf_free(&o);
      arg_add(&opts, v);
      add_names(&point, &npoint, v);
      has_point = 1;
      free(atv);
      atv = v;
      i = j;
      continue;
    }
    if (!in_list(point_opts, word))
      other = 1;
    if ((i == nt || tok_keyword(&t[i])) && grad_option(word, strlen(word)) == 1) {
      rerr("'%s' needs a value (as in: %s)\n", word,
              !strcmp(word, "wrt")      ? "wrt x, y"
              : !strcmp(word, "format") ? "format json"
              : !strcmp(word, "digits") ? "digits 6"
                                        : "--help lists grad's options");
      goto fail;
    }
    GrBuf o = {0};
    gr_buf_printf(&o, "--%s", word);
    arg_add(&opts, o.s);
    gr_buf_free(&o);
    if (!is_flag(word) && i < nt && !tok_keyword(&t[i]))
      i = add_value(&opts, t, i, nt); /* `word value` */
  }
  if (ranges) {
    arg_add(&opts, "--range");
    arg_add(&opts, ranges);
    add_names(&point, &npoint, ranges);
    has_point = 1;
  }
  if (!has_point) {
    /* no point given: for a function name, the values of its parameters are the point (the
     * start of minimize) and other values stay constants; for an expression, grad takes
     * every value as the point and minimize keeps them all constant */
    unsigned char *m = needed(r, expr, -1);
    for (int k = 0; k < r->n; k++)
      if (m[k] && r->d[k].kind == DEF_CONST &&
          (fn ? name_in(fn->params, r->d[k].name) : cmd != CMD_MINIMIZE)) {
        point = gr_xrealloc(point, (size_t)(npoint + 2) * sizeof *point);
        point[npoint++] = gr_xstrdup(r->d[k].name);
        point[npoint] = NULL;
      }
    free(m);
  }
  char *src = program(r, expr, point, -1);
  if (!has_point) {
    /* which variables are left without a value? (parse as grad will; on a parse error
     * grad reports it with the caret) */
    GrGraph *g = gr_graph_new();
    GrParseOpts po = {(const char *const *)point, NULL, 0};
    GrParsed parsed;
    GrDiag d;
    GrBuf at = {0}, miss = {0};
    gr_buf_puts(&at, "");
    int nmiss = 0;
    char first[128] = "";
    if (gr_parse(g, src, &po, &parsed, &d) == GR_OK) {
      for (int v = 0; v < g->nvars; v++) {
        const Def *c = find_def(r, g->vars[v]);
        if (c && c->kind == DEF_CONST)
          gr_buf_printf(&at, "%s%s=%s", at.n ? "," : "", c->name, c->value);
        else if (cmd != CMD_MINIMIZE && !other) {
          if (!nmiss)
            snprintf(first, sizeof first, "%s", g->vars[v]);
          gr_buf_printf(&miss, "%s%s", nmiss++ ? ", " : "", g->vars[v]);
        }
      }
    }
    gr_graph_free(g);
    if (nmiss) {
      fprintf(stderr,
              "grad: error: no value for %s %s (assign one first, as in %s = 1, or give the "
              "point: %s %s at %s=1)\n",
              nmiss > 1 ? "variables" : "variable", miss.s, first, cname, expr, first);
      gr_buf_free(&at);
      gr_buf_free(&miss);
      free(src);
      goto fail;
    }
    if (at.n) {
      arg_add(&opts, cmd == CMD_MINIMIZE ? "--from" : "--at");
      arg_add(&opts, at.s);
      free(atv);
      atv = gr_xstrdup(at.s);
    }
    gr_buf_free(&at);
    gr_buf_free(&miss);
  }
  Argv a = {0};
  arg_add(&a, cmd == CMD_MINIMIZE ? "minimize" : "grad");
  if (cmd != CMD_MINIMIZE)
    for (int k = 0; k < r->nextra; k++)
      arg_add(&a, r->extra[k]);
  for (int k = 0; k < opts.n; k++)
    arg_add(&a, opts.v[k]);
  arg_add(&a, "--");
  arg_add(&a, src);
  fflush(stdout);
  int st = cmd == CMD_MINIMIZE ? minimize_main(a.n, a.v) : grad_main(a.n, a.v);
  fflush(stdout);
  if (st == 0 && cmd == CMD_GRAD && !ranges)
    set_ans(r, src, atv);
  free(src);
  free(atv);
  arg_free(&a);
  arg_free(&opts);
  gr_free_list(point);
  free(ranges);
  free(expr);
  free(t);
  return st;
fail:
  free(atv);
  arg_free(&opts);
  gr_free_list(point);
  free(ranges);
  free(expr);
  free(t);
  return 2;
}

static const char *const help_text =
    "Definitions:\n"
    "  f(x,y) = x^2 + y^2      a function\n"
    "  a = 3                   a value (the right side is evaluated now)\n"
    "  u = x*x                 a named expression (it has free variables)\n"
    "Commands (the words are grad's and minimize's options without the dashes):\n"
    "  EXPR                    value, and gradient when every variable has a value\n"
    "  grad EXPR at x=1, y=2   value and gradient at a point (wrt, format, digits, ...)\n"
    "  grad f symbolic         symbolic derivatives; grad f hessian at x=1, y=2\n"
    "  check f at x=1, y=2     compare the gradient with finite differences\n"
    "  minimize f from x=1, y=2 method gd lr 0.05 steps 100\n"
    "  table f x=-1:1 points 5 a table over a range\n"
    "  plot f x=-6.5:3.5       a plot over a range\n"
    "  vars                    the definitions and values\n"
    "  clear NAME | clear      forget a definition (or all of them)\n"
    "  help NAME               a function, operator, definition or command\n"
    "  help TOPIC              functions, operators, input, keys\n"
    "  ans                     the value of the last expression\n"
    "  quit, exit, Ctrl-D      leave the session\n"
    "A function name f stands for f applied to its own parameters. Any other word W\n"
    "followed by a value becomes the option --W VALUE; --options pass through as written.\n";

static const struct {
  const char *name, *text;
} topics[] = {
    {"functions", "The built-in functions (help NAME: its domain, derivative and kinks):\n"},
    {"operators", "Operators, loosest first (help OP for each):\n"
                  "  ||   &&   == != < <= > >=   + -   * / (and juxtaposition: 2x, x y)\n"
                  "  unary - !   ^ (right-associative)   [a, b] a vector, v[i] an element\n"},
    {"input", "Input:\n"
              "  a line ending inside an open ( or [ or with \\ continues on the next line\n"
              "  (prompt '...>'; a blank line ends it); # starts a comment to the end of\n"
              "  the line; ; separates statements (x = 2; x^2)\n"
              "  ans is the value of the last expression, usable in the next one\n"},
    {"keys", "Keys (on a terminal):\n"
             "  Tab completes commands, names, functions and method names\n"
             "  Up/Down recall history (kept across sessions)\n"
             "  Ctrl-C discards the line being typed, or stops a running command\n"
             "  Ctrl-D on an empty line leaves the session\n"},
};

static const struct {
  const char *name, *text;
} command_help[] = {
    {"grad", "grad EXPR [at NAME=VALUE, ...] [wrt NAMES] [format text|tsv|json] [digits N] [no-grad]\n"
             "  value and every partial derivative; without 'at', the point is the values\n"
             "  assigned earlier (for a function name f: those of f's parameters)"},
    {"check", "check EXPR [at NAME=VALUE, ...]\n  the gradient compared with finite differences"},
    {"minimize", "minimize EXPR [from NAME=VALUE, ...] [method M] [lr RATE] [steps N]\n"
                 "  without 'from', a function's parameters start from the values assigned to\n"
                 "  them; other values stay constant. Methods:"},
    {"table", "table EXPR NAME=LO:HI [points N]\n  value and derivatives over a range"},
    {"plot", "plot EXPR NAME=LO:HI [points N]\n  a plot of the value and derivatives over a range"},
    {"help", "help [NAME]\n  the commands, or what NAME is"},
    {"vars", "vars\n  the definitions and values of the session"},
    {"clear", "clear [NAME]\n  forget NAME (or every definition)"},
    {"quit", "quit\n  leave the session (also: exit, Ctrl-D)"},
    {"exit", "exit\n  leave the session (also: quit, Ctrl-D)"},
    {"ans", "ans\n  the value of the last expression or grad command (a number or a vector)"},
};

static int help(Repl *r, const char *name) {
  if (!*name) {
    fputs(help_text, stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof topics / sizeof *topics; i++)
    if (!strcmp(topics[i].name, name)) {
      fputs(topics[i].text, stdout);
      if (!strcmp(name, "functions")) {
        int col = 0;
        for (const char *const *f = gr_op_function_names(); *f; f++) {
          if (col + strlen(*f) + 1 > 78) {
            putchar('\n');
            col = 0;
          }
          col += printf("%s%s", col ? " " : "  ", *f);
        }
        putchar('\n');
      }
      return 0;
    }
  for (size_t i = 0; i < sizeof command_help / sizeof *command_help; i++)
    if (!strcmp(command_help[i].name, name)) {
      printf("%s\n", command_help[i].text);
      if (!strcmp(name, "minimize")) {
        fputs(" ", stdout);
        for (const char *const *m = methods; *m; m++)
          printf(" %s", *m);
        fputs("\n", stdout);
      }
      return 0;
    }
  const Def *d = find_def(r, name);
  if (d) {
    printf("%s\n", d->text);
    return 0;
  }
  char line[512];
  if (gr_op_help(name, line, sizeof line)) {
    printf("%s\n", line);
    return 0;
  }
  if (!strcmp(name, "pi") || !strcmp(name, "e")) {
    printf("%s: the constant %s\n", name, !strcmp(name, "pi") ? "3.141592653589793" : "2.718281828459045");
    return 0;
  }
  const char *s = gr_op_suggest(name);
  if (s)
    rerr("nothing is called '%s' (did you mean '%s'?)\n", name, s);
  else
    rerr("nothing is called '%s' (try: help, vars)\n", name);
  return 2;
}

static int vars(Repl *r) {
  if (!r->n && r->interactive)
    puts("(no definitions)");
  for (int i = 0; i < r->n; i++) {
    const Def *d = &r->d[i];
    printf("%s", d->text);
    if (d->kind == DEF_EXPR) {
      /* its value, when every variable it uses has one */
      char *src = program(r, d->name, NULL, -1);
      GrGraph *g = gr_graph_new();
      GrParsed parsed;
      GrDiag dg;
      char *lit = NULL;
      if (gr_parse(g, src, NULL, &parsed, &dg) == GR_OK) {
        int free_vars = 0;
        for (int v = 0; v < g->nvars; v++)
          free_vars |= gr_depends(g, parsed.out, v);
        if (!free_vars && literal(g, parsed.out, &lit, &dg) != 2)
          printf("   (= %s)", lit);
      }
      free(lit);
      gr_graph_free(g);
      free(src);
    }
    putchar('\n');
  }
  return 0;
}

static int clear(Repl *r, const char *name) {
  if (!*name) {
    /* say what went: a clear is not undone */
    if (!r->n)
      puts("nothing to clear (no definitions)");
    else {
      printf("cleared %d definition%s:", r->n, r->n > 1 ? "s" : "");
      for (int i = 0; i < r->n; i++)
        printf(" %s", r->d[i].name);
      putchar('\n');
    }
    for (int i = 0; i < r->n; i++)
      def_free(&r->d[i]);
    r->n = 0;
    return 0;
  }
  const Def *d = find_def(r, name);
  if (!d) {
    rerr("'%s' is not defined\n", name);
    return 2;
  }
  /* keep the session consistent: a definition that uses it would silently change */
  for (int i = 0; i < r->n; i++)
    if (&r->d[i] != d && r->d[i].kind != DEF_CONST &&
        mentions(def_body(&r->d[i]), name, r->d[i].params)) {
      rerr("%s uses %s; clear %s first\n", r->d[i].name, name, r->d[i].name);
      return 2;
    }
  remove_def(r, name);
  printf("cleared %s\n", name);
  return 0;
}

/* Edit distance at most 1, or one transposition: hlep, vras, qiut. Words of four or more
 * letters only (a one-letter variable is never a misspelt command). */
static int near(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la < 4 || lb < 4 || !strcmp(a, b))
    return 0;
  size_t i = 0;
  while (i < la && i < lb && a[i] == b[i])
    i++;
  if (la == lb)
    return !strcmp(a + i + 1, b + i + 1) ||
           (i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && !strcmp(a + i + 2, b + i + 2));
  if (la == lb + 1)
    return !strcmp(a + i + 1, b + i);
  if (lb == la + 1)
    return !strcmp(a + i, b + i + 1);
  return 0;
}

static void forget_failed(Repl *r, const char *name) {
  for (int i = 0; i < r->nfailed; i++)
    if (!strcmp(r->failed_names[i], name)) {
      free(r->failed_names[i]);
      r->failed_names[i] = r->failed_names[r->nfailed - 1];
      r->failed_lines[i] = r->failed_lines[r->nfailed - 1];
      r->nfailed--;
      return;
    }
}

static void note_failed(Repl *r, const char *name) {
  forget_failed(r, name);
  r->failed_names = gr_xrealloc(r->failed_names, (size_t)(r->nfailed + 1) * sizeof *r->failed_names);
  r->failed_lines = gr_xrealloc(r->failed_lines, (size_t)(r->nfailed + 1) * sizeof *r->failed_lines);
  r->failed_names[r->nfailed] = gr_xstrdup(name);
  r->failed_lines[r->nfailed++] = r->lineno;
}

/* Does text use a name whose definition failed (and that is still undefined)? Then say
 * so, once, instead of the "no value for variable" that running it would give. Names in
 * `except` (a function's parameter list) do not count. */
static int uses_failed(Repl *r, const char *text, const char *except) {
  for (int i = 0; i < r->nfailed; i++) {
    const char *nm = r->failed_names[i];
    if (find_def(r, nm) || !mentions(text, nm, NULL) || (except && mentions(except, nm, NULL)))
      continue;
    if (r->interactive)
      rerr("'%s' is not defined: its definition failed\n", nm);
    else
      rerr("'%s' is not defined: its definition on line %zu failed\n", nm, r->failed_lines[i]);
    return 1;
  }
  return 0;
}

/* One line of the session: a command, a definition or an expression. */
static int do_line(Repl *r, char *line) {
  char *s = trim(line);
  if (!*s || *s == '#')
    return 0;
  const char *p = s;
  while (*p && !isspace((unsigned char)*p))
    p++;
  size_t n = (size_t)(p - s);
  char word[16] = "";
  if (n < sizeof word) {
    memcpy(word, s, n);
    word[n] = 0;
  }
  const char *rest = p;
  while (isspace((unsigned char)*rest))
    rest++;
  char name[128];
  int is_func;
  if (in_list(commands, word) && (*rest != '=' || rest[1] == '=')) {
    if (!strcmp(word, "quit") || !strcmp(word, "exit")) {
      r->quit = 1;
      return 0;
    }
    if (!strcmp(word, "help"))
      return help(r, rest);
    if (!strcmp(word, "vars"))
      return vars(r);
    if (!strcmp(word, "clear")) {
      if (!*rest)
        return clear(r, rest);
      /* clear a b c: in the order given (clear u before what u uses) */
      int nn, st = 0;
      char **v = gr_split_list(rest, &nn);
      for (int i = 0; i < nn; i++) {
        char *one = trim(v[i]);
        char *sp = one;
        while (*sp) {
          char *e = sp;
          while (*e && !isspace((unsigned char)*e))
            e++;
          char c = *e;
          *e = 0;
          if (*sp)
            st |= clear(r, sp);
          *e = c;
          sp = e;
          while (isspace((unsigned char)*sp))
            sp++;
        }
      }
      gr_free_list(v);
      return st ? 2 : 0;
    }
    if (uses_failed(r, rest, NULL))
      return 2;
    int cmd = !strcmp(word, "minimize") ? CMD_MINIMIZE
              : !strcmp(word, "check")  ? CMD_CHECK
              : !strcmp(word, "table")  ? CMD_TABLE
              : !strcmp(word, "plot")   ? CMD_PLOT
                                        : CMD_GRAD;
    return run(r, cmd, rest);
  }
  if (is_definition(s, name, sizeof name, &is_func)) {
    /* a definition that fails leaves its name undefined: later lines that use it get one
     * note naming the line that failed, and definitions that use it fail the same way */
    const char *eq = strchr(s, '=');
    char *header = xstrndup(s, (size_t)(eq - s));
    int st = uses_failed(r, eq + 1, is_func ? header : NULL) ? 2 : define(r, s, name, is_func);
    free(header);
    if (st && !find_def(r, name) && !in_list(commands, name) && !gr_op_is_function(name) &&
        strcmp(name, "pi") && strcmp(name, "e") && strcmp(name, "inf"))
      note_failed(r, name);
    else if (!st)
      forget_failed(r, name);
    return st;
  }
  if (uses_failed(r, s, NULL))
    return 2;
  const Def *d = find_def(r, s);
  if (is_ident_start((unsigned char)*s)) {
    /* an unknown word close to a command, alone or followed by a space and an argument
     * (not an operator), is a misspelt command, not a variable: minimise f, tabel sin(x) */
    const char *p2 = s;
    while (is_ident((unsigned char)*p2))
      p2++;
    char *w = xstrndup(s, (size_t)(p2 - s));
    const char *a = p2;
    while (*a == ' ' || *a == '\t')
      a++;
    int arg = a > p2 && *a && !strchr("+-*/^=<>!&|,;)]", *a);
    if ((!*p2 || arg) && !find_def(r, w) && !gr_op_is_function(w))
      for (const char *const *c = commands; *c; c++)
        if (near(w, *c)) {
          rerr("unknown command '%s' (did you mean '%s'?)\n", w, *c);
          free(w);
          return 2;
        }
    free(w);
  }
  if (d && d->kind == DEF_CONST) {
    printf("%s\n", d->text); /* a value: its name and value */
    return 0;
  }
  return run(r, CMD_GRAD, s);
}

/* ---- line input ---- */

/* Does the input so far continue on the next line: it ends with a backslash (removed
 * here) or inside an open '(' or '['? A '#' comment is cut off first. */
static int continues(char *text) {
  char *hash = strchr(text, '#');
  if (hash)
    *hash = 0;
  size_t n = strlen(text);
  while (n && isspace((unsigned char)text[n - 1]))
    text[--n] = 0;
  if (n && text[n - 1] == '\\') {
    text[n - 1] = 0;
    return 1;
  }
  int depth = 0;
  for (const char *p = text; *p; p++)
    depth += *p == '(' || *p == '[' ? 1 : *p == ')' || *p == ']' ? -1 : 0;
  return depth > 0;
}

/* Input read so far of a line that continues (NULL: none). */
static char *pending;
static size_t pending_line;

/* Add line to the pending input. Returns the complete input to run (the caller frees
 * it), or NULL when it continues on the next line. */
static char *gather(char *line, size_t lineno) {
  char *hash = strchr(line, '#'); /* a comment to the end of the line */
  if (hash && hash > line)
    *hash = 0;
  if (pending && !*trim(line)) {
    /* a blank line ends a continued input: it runs, and its error says what is open */
    char *all = pending;
    pending = NULL;
    return all;
  }
  GrBuf b = {0};
  gr_buf_printf(&b, "%s%s%s", pending ? pending : "", pending ? " " : "", line);
  if (!pending)
    pending_line = lineno;
  free(pending);
  pending = NULL;
  char *probe = gr_xstrdup(b.s);
  if (strchr(b.s, '(') || strchr(b.s, '[') || strchr(b.s, '\\')) {
    if (continues(probe)) {
      pending = probe;
      gr_buf_free(&b);
      return NULL;
    }
  }
  free(probe);
  return b.s;
}

static Repl *current; /* for completion and the readline callback */

/* Run one line and account for its status; an interrupted script stops (130). */
static void process(Repl *r, char *line) {
  gr_interrupted = 0;
  script_line = r->lineno;
  int st = do_line(r, line);
  fflush(stdout);
  if (gr_interrupted && !r->interactive) {
    r->status = 130;
    r->quit = 1;
  }
  gr_interrupted = 0;
  if (st)
    r->failed = 1;
}

#ifdef HAVE_READLINE
static char **candidates;
static int ncand;

static void cand_add(const char *s) {
  candidates = gr_xrealloc(candidates, (size_t)(ncand + 2) * sizeof *candidates);
  candidates[ncand++] = (char *)s;
  candidates[ncand] = NULL;
}

static char *generator(const char *text, int state) {
  static int i;
  if (!state)
    i = 0;
  size_t L = strlen(text);
  while (i < ncand) {
    const char *c = candidates[i++];
    if (!strncmp(c, text, L))
      return strdup(c); /* readline frees it with free() */
  }
  return NULL;
}

/* The whitespace-separated word before the one being completed. */
static void previous_word(int point, char *out, size_t cap, int *is_first) {
  const char *b = rl_line_buffer;
  int i = point;
  while (i > 0 && !isspace((unsigned char)b[i - 1]))
    i--;
  while (i > 0 && isspace((unsigned char)b[i - 1]))
    i--;
  int e = i;
  while (i > 0 && !isspace((unsigned char)b[i - 1]))
    i--;
  size_t n = (size_t)(e - i);
  if (n >= cap)
    n = cap - 1;
  memcpy(out, b + i, n);
  out[n] = 0;
  *is_first = e == 0;
}

static char *word_breaks(void) {
  char prev[64];
  int first;
  previous_word(rl_point, prev, sizeof prev, &first);
  /* method names contain '-' */
  static char ws[] = " \t\n";
  return !strcmp(prev, "method") ? ws : NULL;
}

static char **complete(const char *text, int start, int end) {
  (void)end;
  rl_attempted_completion_over = 1; /* never file names */
  ncand = 0;
  free(candidates);
  candidates = NULL;
  char prev[64], first[16] = "";
  int at_start;
  previous_word(start, prev, sizeof prev, &at_start);
  int k = 0;
  while (k < start && isspace((unsigned char)rl_line_buffer[k]))
    k++;
  int only_space = k >= start;
  if (!only_space)
    sscanf(rl_line_buffer + k, "%15s", first);
  if (!strcmp(prev, "method")) {
    for (const char *const *m = methods; *m; m++)
      cand_add(*m);
  } else {
    if (only_space)
      for (const char *const *c = commands; *c; c++)
        cand_add(*c);
    else if (!strcmp(first, "help"))
      for (const char *const *c = commands; *c; c++)
        cand_add(*c);
    for (int i = 0; i < current->n; i++)
      cand_add(current->d[i].name);
    if (strcmp(first, "clear")) {
      for (const char *const *f = gr_op_function_names(); *f; f++)
        cand_add(*f);
      if (!only_space && in_list(commands, first))
        for (const char *const *w = keywords; *w; w++)
          cand_add(*w);
    }
  }
  char **m = rl_completion_matches(text, generator);
  /* a space after a command, option word or method; none after a name, so that an
   * operator or '(' can follow directly */
  rl_completion_append_character = ' ';
  if (m && !m[1] && !in_list(commands, m[0]) && !in_list(keywords, m[0]) && !in_list(methods, m[0]))
    rl_completion_append_character = '\0';
  return m;
}

static char *hist_path;

static char *history_file(void) {
  const char *x = getenv("XDG_STATE_HOME");
  GrBuf b = {0};
  if (x && x[0] == '/') {
    mkdir(x, 0700); /* failures show up when the file is written, and are ignored */
    gr_buf_printf(&b, "%s/grad", x);
    mkdir(b.s, 0700);
    gr_buf_puts(&b, "/history");
    return b.s;
  }
  const char *h = getenv("HOME");
  if (!h || !*h)
    return NULL;
  gr_buf_printf(&b, "%s/.grad_history", h);
  return b.s;
}

static void save_line(const char *line) {
  HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
  if (last && !strcmp(last->line, line))
    return;
  add_history(line);
  if (hist_path) {
    /* append now (a killed session keeps its history); append_history does not create */
    int fd = open(hist_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      close(fd);
      append_history(1, hist_path);
    }
  }
}

static int rl_finished;

/* A line from readline (NULL: Ctrl-D). The command runs here, inside the callback, with the
 * terminal restored by readline; the handler stays installed so that lines typed ahead are
 * kept in order. */
static void on_line(char *line) {
  int eof = !line;
  if (line) {
    char *tl = gr_xstrdup(line);
    char *tt = trim(tl);
    if (*tt)
      save_line(tt);
    free(tl);
    char *all = gather(line, ++current->lineno);
    free(line);
    rl_set_prompt(all ? "grad> " : "...> "); /* "...>": the line continues */
    if (all) {
      current->lineno = pending_line;
      process(current, all);
      free(all);
    }
  } else if (pending) {
    /* Ctrl-D inside a continued line: run what was typed (its error says what is open) */
    char *all = pending;
    pending = NULL;
    fputc('\n', rl_outstream);
    process(current, all);
    free(all);
  } else
    fputc('\n', rl_outstream); /* Ctrl-D: end the prompt line */
  if (eof || current->quit) {
    rl_finished = 1;
    rl_callback_handler_remove(); /* no new prompt */
  }
}

/* The session with readline's callback interface, so that Ctrl-C at the prompt (our
 * handler sets gr_interrupted, select returns EINTR) can clear the line. */
static void loop_rl(void) {
  rl_finished = 0;
  gr_interrupted = 0;
  rl_callback_handler_install("grad> ", on_line);
  while (!rl_finished) {
    if (gr_interrupted) {
      gr_interrupted = 0;
      /* as bash does: ^C after the whole line, which stays on the screen */
      rl_point = rl_end;
      rl_redisplay();
      fputs("^C", rl_outstream);
      fflush(rl_outstream);
      rl_free_line_state();
      rl_callback_sigcleanup();
      rl_cleanup_after_signal();
      rl_callback_handler_remove();
      fputs("\n", rl_outstream);
      free(pending); /* a continued line is discarded too */
      pending = NULL;
      rl_callback_handler_install("grad> ", on_line);
      continue;
    }
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(fileno(rl_instream), &fds);
    int k = select(fileno(rl_instream) + 1, &fds, NULL, NULL, NULL);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    rl_callback_read_char();
  }
  if (!rl_finished)
    rl_callback_handler_remove();
}
#endif

/* One line without readline and without its newline (NULL at the end). A prompt only on
 * a terminal. *nul is the column (from 1) of a NUL byte in the line (then emptied), or 0. */
static char *read_line_plain(FILE *in, int prompt, size_t *nul) {
  const char *ps = pending ? "...> " : "grad> ";
  char *line = NULL;
  size_t cap = 0;
  *nul = 0;
  for (;;) {
    if (prompt) {
      fputs(ps, stdout);
      fflush(stdout);
    }
    errno = 0;
    ssize_t n = getline(&line, &cap, in);
    if (n >= 0) {
      size_t off, ln;
      if (gr_find_nul(line, (size_t)n, &off, &ln, nul))
        line[0] = 0;
      else if (n && line[n - 1] == '\n')
        line[n - 1] = 0;
      return line;
    }
    if (errno == EINTR && prompt && gr_interrupted) {
      /* Ctrl-C at the prompt: drop the line (and a continued one), prompt again */
      gr_interrupted = 0;
      free(pending);
      pending = NULL;
      ps = "grad> ";
      clearerr(in);
      fputc('\n', stdout);
      continue;
    }
    if (prompt)
      fputc('\n', stdout);
    free(line);
    return NULL;
  }
}

int grad_repl(const char *file, char **extra, int nextra) {
  Repl r = {0};
  r.extra = extra;
  r.nextra = nextra;
  current = &r;
  FILE *in = stdin;
  const char *what = file && strcmp(file, "-") ? file : "standard input";
  const char *q = what == file ? "'" : ""; /* a file name is quoted */
  if (file && strcmp(file, "-")) {
    in = fopen(file, "r");
    if (!in) {
      rerr("cannot open '%s': %s\n", file, strerror(errno));
      return 3;
    }
  }
  struct stat sb;
  if (in != stdin && fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode)) {
    /* a compressed script: say so rather than quote its bytes */
    unsigned char head[8];
    size_t got = fread(head, 1, sizeof head, in);
    const char *z = gr_compressed(head, got);
    if (z) {
      rerr("%s: compressed data (%s): decompress it first\n", file, z);
      fclose(in);
      return 3;
    }
    rewind(in);
  }
  if (fstat(fileno(in), &sb) == 0 && S_ISDIR(sb.st_mode)) {
    rerr("cannot read %s%s%s: %s\n", q, what, q, strerror(EISDIR));
    if (in != stdin)
      fclose(in);
    return 3;
  }
  r.interactive = !file && isatty(STDIN_FILENO);
  gr_catch_sigint();
#ifdef HAVE_READLINE
  int use_rl = r.interactive;
  if (use_rl) {
    rl_readline_name = "grad";
    rl_catch_signals = 0; /* Ctrl-C is ours: see read_line_rl */
    rl_attempted_completion_function = complete;
    rl_completion_word_break_hook = word_breaks;
    rl_basic_word_break_characters = " \t\n()+-*/^,=;[]<>!&|:";
    rl_completer_word_break_characters = rl_basic_word_break_characters;
    hist_path = history_file();
    stifle_history(1000);
    if (hist_path)
      read_history(hist_path);
  }
#endif
  if (r.interactive)
    printf("grad %s interactive session%s; 'help' lists the commands, Ctrl-D leaves.\n",
           PACKAGE_VERSION,
#ifdef HAVE_READLINE
           ""
#else
           " (built without line editing)"
#endif
    );
#ifdef HAVE_READLINE
  if (use_rl)
    loop_rl();
  else
#endif
    for (size_t lineno = 1, nul; !r.quit; lineno++) {
      char *line = read_line_plain(in, r.interactive, &nul);
      if (!line && pending && !gr_interrupted) {
        /* the input ends inside a continued line: run it (its error says what is open) */
        line = pending;
        pending = NULL;
        lineno = pending_line;
        r.lineno = lineno;
        if (!r.interactive && file && strcmp(file, "-")) {
          gr_diag_where(file, lineno, line);
          script_file = file;
        }
        process(&r, line);
        script_file = NULL;
        gr_diag_where(NULL, 0, NULL);
        free(line);
        break;
      }
      if (!line) {
        if (gr_interrupted && !r.interactive)
          r.status = 130; /* Ctrl-C while a script waited for its input */
        else if (ferror(in)) {
          rerr("reading %s%s%s: %s\n", q, what, q,
                  strerror(errno ? errno : EIO));
          r.status = 3;
        }
        break;
      }
      if (nul) {
        rerr("%s, line %zu, column %zu: a NUL byte; a command is text\n",
                what, lineno, nul);
        r.failed = 1;
      } else {
        char *all = gather(line, lineno);
        if (all) {
          r.lineno = pending_line;
          if (!r.interactive && file && strcmp(file, "-")) {
            /* errors name the script's file and line (the first of a continued one) */
            gr_diag_where(file, r.lineno, all);
            script_file = file;
          }
          process(&r, all);
          script_file = NULL;
          gr_diag_where(NULL, 0, NULL);
          free(all);
        }
      }
      free(line);
    }
#ifdef HAVE_READLINE
  if (use_rl) {
    if (hist_path)
      history_truncate_file(hist_path, 1000);
    free(hist_path);
    hist_path = NULL;
    free(candidates);
    candidates = NULL;
  }
#endif
  if (in != stdin)
    fclose(in);
  for (int i = 0; i < r.n; i++)
    def_free(&r.d[i]);
  free(r.d);
  for (int i = 0; i < r.nfailed; i++)
    free(r.failed_names[i]);
  free(r.failed_names);
  free(r.failed_lines);
  free(pending);
  pending = NULL;
  current = NULL;
  if (r.status)
    return r.status;
  return r.failed && !r.interactive ? 2 : 0;
}
