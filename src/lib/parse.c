/* SPDX-License-Identifier: GPL-3.0-or-later
 * Lexer and precedence-climbing parser. Precedence, loosest first:
 *   ';'  '='  '||'  '&&'  comparisons  '+ -'  '* /' and juxtaposition  unary '- + !'  '^ **'
 * '^' is right-associative and binds tighter than unary minus (-x^2 = -(x^2)); its right
 * operand may itself be signed (2^-x). Juxtaposition is multiplication at the level of
 * '*', so 1/2x is (1/2)*x and 2x^2 is 2*(x^2).
 */
#include "parse.h"
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef enum {
  T_EOF, T_NUM, T_NAME, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_POW, T_LP, T_RP, T_LB, T_RB,
  T_COMMA, T_SEMI, T_ASSIGN, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_AND, T_OR, T_NOT
} Tok;

static const char *const tok_names[] = {
    "end of input", "number", "name", "'+'", "'-'", "'*'", "'/'", "'^'", "'('", "')'", "'['",
    "']'", "','", "';'", "'='", "'=='", "'!='", "'<'", "'<='", "'>'", "'>='", "'&&'", "'||'",
    "'!'"};

typedef struct P {
  GrGraph *g;
  const char *src;
  size_t pos;
  Tok t;
  size_t toff, tlen;
  double num;
  char name[128];
  const GrParseOpts *o;
  GrEnv *env;
  int depth;
  GrDiag *d;
  int err;
  /* parameters while parsing a function body */
  const char **params;
  int nparams;
  char nosuggest[128]; /* a name gr_op_suggest found far from every function name */
  GrNode *lastvar; /* the variable a name was last read as (until a definition) */
  size_t max_nodes; /* bound on the graph nodes + definitions this parse adds */
  size_t size0;     /* graph nodes + definitions before it */
  char *stack0;     /* the stack at the start of the parse */
  size_t stack_max; /* how much of it the parse may use */
} P;

static void next(P *p);

static int fail(P *p, size_t off, size_t len, const char *fmt, const char *a, const char *b) {
  if (!p->err) {
    char m[400];
    snprintf(m, sizeof m, fmt, a ? a : "", b ? b : "");
    gr_diag_span(p->d, GR_EUSAGE, off, len, "%s", m);
  }
  p->err = 1;
  return 0;
}

/* "column C", or "line L, column C" in a source of several lines */
static const char *where(const P *p, size_t off, char *buf, size_t n) {
  int c = 1, l = 1;
  for (size_t i = off; i > 0 && p->src[i - 1] != '\n'; i--)
    c++;
  for (size_t i = 0; i < off; i++)
    l += p->src[i] == '\n';
  if (l > 1 || strchr(p->src + off, '\n'))
    snprintf(buf, n, "line %d, column %d", l, c);
  else
    snprintf(buf, n, "column %d", c);
  return buf;
}

static const char *tokdesc(P *p, char *buf, size_t n) {
  if (p->t == T_NAME || p->t == T_NUM) {
    snprintf(buf, n, "'%.*s'", (int)(p->tlen > 40 ? 40 : p->tlen), p->src + p->toff);
    return buf;
  }
  return tok_names[p->t];
}

static void next(P *p) {
  const char *s = p->src;
  if (p->g->count + (size_t)p->env->n - p->size0 > p->max_nodes && !p->err) {
    char m[200];
    snprintf(m, sizeof m,
             "expression too large: more than %zu nodes and definitions (set GRAD_MAX_NODES "
             "to allow more)",
             p->max_nodes);
    fail(p, p->toff, p->tlen ? p->tlen : 1, "%s%s", m, NULL);
  }
  if (p->err) {
    p->t = T_EOF; /* stop: nothing after an error is read */
    p->tlen = 0;
    return;
  }
  for (;;) {
    while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r')
      p->pos++;
    if (s[p->pos] != '#' || !p->o || !p->o->comments)
      break;
    while (s[p->pos] && s[p->pos] != '\n') /* '#' comments to the end of the line */
      p->pos++;
  }
  p->toff = p->pos;
  char c = s[p->pos];
  if (!c) {
    p->t = T_EOF;
    p->tlen = 0;
    return;
  }
  if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)s[p->pos + 1]))) {
    size_t i = p->pos;
    while (isdigit((unsigned char)s[i]))
      i++;
    if (s[i] == '.') {
      i++;
      while (isdigit((unsigned char)s[i]))
        i++;
    }
    /* an exponent only when digits follow: 2e3 is 2000, 2exp(x) is 2*exp(x), 2e an error */
    if ((s[i] == 'e' || s[i] == 'E') &&
        (isdigit((unsigned char)s[i + 1]) ||
         ((s[i + 1] == '+' || s[i + 1] == '-') && isdigit((unsigned char)s[i + 2])))) {
      i += 2;
      while (isdigit((unsigned char)s[i]))
        i++;
    }
    if ((s[i] == 'e' || s[i] == 'E') && !isalnum((unsigned char)s[i + 1]) && s[i + 1] != '_') {
      /* 1e, 1e+x: an exponent without digits, not the product with e */
      char m[120];
      int k = (int)(i - p->pos > 40 ? 40 : i - p->pos);
      snprintf(m, sizeof m, "'%.*s%c' is not a number: write %.*s*e or %.*s%c0", k, s + p->pos,
               s[i], k, s + p->pos, k, s + p->pos, s[i]);
      p->t = T_EOF;
      p->tlen = i + 1 - p->pos;
      fail(p, p->toff, i + 1 - p->pos, "%s%s", m, NULL);
      return;
    }
    if (s[i] == '.') {
      /* 1.2.3 or 1..2 would otherwise read as the product 1.2*.3 */
      size_t j = i;
      while (isdigit((unsigned char)s[j]) || s[j] == '.')
        j++;
      char m[64];
      snprintf(m, sizeof m, "%.*s%s", (int)(j - p->pos > 40 ? 40 : j - p->pos), s + p->pos,
               j - p->pos > 40 ? "..." : "");
      p->t = T_EOF;
      p->tlen = j - p->pos;
      fail(p, p->toff, j - p->pos, "malformed number '%s'", m, NULL);
      return;
    }
    char buf[400];
    size_t n = i - p->pos;
    if (n >= sizeof buf) {
      p->t = T_EOF;
      p->tlen = n;
      fail(p, p->toff, n, "number too long", NULL, NULL);
      return;
    }
    memcpy(buf, s + p->pos, n);
    buf[n] = 0;
    p->num = strtod(buf, NULL);
    p->t = T_NUM;
    p->tlen = n;
    p->pos = i;
    return;
  }
  if (isalpha((unsigned char)c) || c == '_') {
    size_t i = p->pos;
    while (isalnum((unsigned char)s[i]) || s[i] == '_')
      i++;
    size_t n = i - p->pos;
    p->t = T_NAME;
    p->tlen = n;
    p->pos = i;
    if (n >= sizeof p->name) {
      fail(p, p->toff, n, "name too long (at most 127 characters)", NULL, NULL);
      p->t = T_EOF;
      return;
    }
    memcpy(p->name, s + p->toff, n);
    p->name[n] = 0;
    return;
  }
  char d = s[p->pos + 1];
  Tok t;
  size_t n = 1;
  switch (c) {
  case '+': t = T_PLUS; break;
  case '-': t = T_MINUS; break;
  case '*':
    if (d == '*') {
      t = T_POW;
      n = 2;
    } else
      t = T_STAR;
    break;
  case '/': t = T_SLASH; break;
  case '^': t = T_POW; break;
  case '(': t = T_LP; break;
  case ')': t = T_RP; break;
  case '[': t = T_LB; break;
  case ']': t = T_RB; break;
  case ',': t = T_COMMA; break;
  case ';': t = T_SEMI; break;
  case '=':
    if (d == '=') {
      t = T_EQ;
      n = 2;
    } else
      t = T_ASSIGN;
    break;
  case '!':
    if (d == '=') {
      t = T_NE;
      n = 2;
    } else
      t = T_NOT;
    break;
  case '<':
    if (d == '=') {
      t = T_LE;
      n = 2;
    } else
      t = T_LT;
    break;
  case '>':
    if (d == '=') {
      t = T_GE;
      n = 2;
    } else
      t = T_GT;
    break;
  case '&':
    if (d == '&') {
      t = T_AND;
      n = 2;
      break;
    }
    /* fall through */
  case '|':
    if (c == '|' && d == '|') {
      t = T_OR;
      n = 2;
      break;
    }
    /* fall through */
  default: {
    char buf[8];
    const char *hint = NULL;
    if ((unsigned char)c == 0xc2 && ((unsigned char)d == 0xb2 || (unsigned char)d == 0xb3)) {
      p->t = T_EOF;
      p->tlen = 2;
      fail(p, p->pos, 2, "unexpected character '%s': use x^%s for a power",
           (unsigned char)d == 0xb2 ? "\xc2\xb2" : "\xc2\xb3", (unsigned char)d == 0xb2 ? "2" : "3");
      return;
    }
    if (c == '|')
      hint = ": use abs(x) for |x|";
    if ((unsigned char)c < 32 || (unsigned char)c >= 127)
      snprintf(buf, sizeof buf, "\\x%02x", (unsigned char)c);
    else
      snprintf(buf, sizeof buf, "%c", c);
    p->t = T_EOF;
    p->tlen = 1;
    fail(p, p->pos, 1, "unexpected character '%s'%s", buf, hint);
    return;
  }
  }
  p->t = t;
  p->tlen = n;
  p->pos += n;
}

static GrNode *expr(P *p);
static GrNode *unary(P *p);

static GrNode *spanned(P *p, GrNode *n, size_t off, size_t end) {
  /* spans are 32-bit: past 4 GiB of text a node has none (diagnostics show no caret) */
  if (n && !n->len && n->op != GR_OP_CONST && end <= UINT32_MAX) {
    n->off = off;
    n->len = end > off ? end - off : 1;
  }
  (void)p;
  return n;
}

/* end offset of the previous token */
static size_t prev_end(P *p) {
  size_t e = p->toff;
  while (e > 0 && (p->src[e - 1] == ' ' || p->src[e - 1] == '\t' || p->src[e - 1] == '\n' ||
                   p->src[e - 1] == '\r'))
    e--;
  return e;
}

/* The stack a parse may use: the process's limit less a reserve for the callers, and for
 * sanitizer builds, whose frames are several times larger. */
static size_t stack_budget(void) {
  size_t lim = (size_t)8 << 20;
  struct rlimit r;
  if (!getrlimit(RLIMIT_STACK, &r) && r.rlim_cur != RLIM_INFINITY && r.rlim_cur > 0)
    lim = r.rlim_cur < ((rlim_t)1 << 30) ? (size_t)r.rlim_cur : (size_t)1 << 30;
  return lim > ((size_t)2 << 20) ? lim - ((size_t)1 << 20) : lim / 2;
}

/* One more level of nesting: at most GR_PARSE_MAX_DEPTH, and never past the stack budget
 * (measured, so that no build or stack limit turns deep nesting into a crash). */
static int enter(P *p) {
  char *here = __builtin_frame_address(0);
  size_t used = p->stack0 > here ? (size_t)(p->stack0 - here) : (size_t)(here - p->stack0);
  if (++p->depth > GR_PARSE_MAX_DEPTH)
    return fail(p, p->toff, p->tlen, "expression nested too deeply (more than %s levels)", "1000",
                NULL);
  if (used > p->stack_max) {
    char n[32];
    snprintf(n, sizeof n, "%d", p->depth);
    return fail(p, p->toff, p->tlen,
                "expression nested too deeply (%s levels fill the stack; ulimit -s raises it)", n,
                NULL);
  }
  return 1;
}

static int is_var_name(P *p, const char *name) {
  for (const char *const *v = p->o ? p->o->vars : NULL; v && *v; v++)
    if (!strcmp(*v, name))
      return 1;
  return 0;
}

/* The built-in function names as a hash set, made once per process: a program of many
 * statements `name = ...` asks for each name whether it is one. */
enum { FN_SLOTS = 256 };
static const char *fn_set[FN_SLOTS];
static pthread_once_t fn_once = PTHREAD_ONCE_INIT;

static unsigned fn_hash(const char *s) {
  unsigned h = 2166136261u;
  while (*s)
    h = (h ^ (unsigned char)*s++) * 16777619u;
  return h ^ (h >> 15);
}

static void fn_init(void) {
  for (const char *const *f = gr_op_function_names(); *f; f++) {
    unsigned k = fn_hash(*f) & (FN_SLOTS - 1);
    while (fn_set[k])
      k = (k + 1) & (FN_SLOTS - 1);
    fn_set[k] = *f;
  }
}

/* gr_op_is_function, without comparing name with every function name */
static int builtin_function(const char *name) {
  pthread_once(&fn_once, fn_init);
  for (unsigned k = fn_hash(name) & (FN_SLOTS - 1); fn_set[k]; k = (k + 1) & (FN_SLOTS - 1))
    if (!strcmp(fn_set[k], name))
      return 1;
  return 0;
}

static int is_function(P *p, const char *name) {
  const GrBinding *b = gr_env_find(p->env, name);
  if (b)
    return b->arity >= 0;
  return builtin_function(name);
}

_Thread_local size_t gr_parse_suggest_count;

/* gr_op_suggest for a name read before '(', remembering the last name found to have no
 * suggestion (a product such as a(x+1) repeated many times costs one search). */
static const char *suggest(P *p, const char *name) {
  if (!strcmp(p->nosuggest, name))
    return NULL;
  gr_parse_suggest_count++;
  const char *s = gr_op_suggest(name);
  if (!s)
    snprintf(p->nosuggest, sizeof p->nosuggest, "%s", name);
  return s;
}

/* The error paths of the recursive functions are not inlined into them: their message
 * buffers would otherwise sit in every frame of a deep nesting. */
#define COLD __attribute__((noinline, cold))

/* "expected ')' to close '(' at column C, found T" */
COLD static GrNode *close_error(P *p, size_t open, const char *closer, const char *opener) {
  char b[64], m[160], w[48];
  snprintf(m, sizeof m, "expected '%s' to close '%s' at %s, found %%s", closer, opener,
           where(p, open, w, sizeof w));
  return fail(p, p->toff, p->tlen, m, tokdesc(p, b, sizeof b), NULL), NULL;
}

/* "function 'f' takes 1 argument, got 2" (want2 < 0: one count) */
COLD static GrNode *arity_error(P *p, const char *name, size_t noff, size_t nlen, int want,
                                int want2, int n) {
  char m[200];
  if (want2 < 0)
    snprintf(m, sizeof m, "function '%%s' takes %d argument%s, got %d", want,
             want == 1 ? "" : "s", n);
  else
    snprintf(m, sizeof m, "function '%%s' takes %d or %d arguments, got %d", want, want2, n);
  return fail(p, noff, nlen, m, name, NULL), NULL;
}

COLD static GrNode *unexpected_error(P *p) {
  char b[64];
  return fail(p, p->toff, p->tlen, "unexpected %s, expected a number, a name or '('",
              tokdesc(p, b, sizeof b), NULL),
         NULL;
}

__attribute__((noinline)) static GrNode *call(P *p, const char *name, size_t noff, size_t nlen) {
  /* at '(' */
  size_t open = p->toff;
  next(p);
  GrNode *args[8];
  int n = 0;
  if (p->t != T_RP) {
    for (;;) {
      GrNode *a = expr(p);
      if (!a)
        return NULL;
      if (n == 8)
        return fail(p, noff, nlen, "too many arguments to '%s'", name, NULL), NULL;
      args[n++] = a;
      if (p->t == T_COMMA) {
        next(p);
        continue;
      }
      break;
    }
  }
  if (p->t != T_RP)
    return close_error(p, open, ")", "(");
  next(p);
  const GrBinding *bd = gr_env_find(p->env, name);
  if (bd && bd->arity >= 0) {
    if (bd->arity != n)
      return arity_error(p, name, noff, nlen, bd->arity, -1, n);
    return gr_subst(p->g, bd->body, args, n);
  }
  GrGraph *g = p->g;
  if (!strcmp(name, "dot") && n == 2)
    return gr_node(g, GR_OP_SUM, gr_node(g, GR_OP_MUL, args[0], args[1], NULL), NULL, NULL);
  if (!strcmp(name, "norm") && n == 1)
    return gr_node(g, GR_OP_SQRT,
                   gr_node(g, GR_OP_SUM, gr_node(g, GR_OP_MUL, args[0], args[0], NULL), NULL, NULL),
                   NULL, NULL);
  int op = gr_op_lookup(name, n);
  if (op < 0) {
    int want[4] = {0}, k = 0;
    for (int m = 0; m <= 3; m++)
      if (gr_op_lookup(name, m) >= 0)
        want[k++] = m;
    if (!strcmp(name, "dot"))
      want[k++] = 2;
    if (!strcmp(name, "norm"))
      want[k++] = 1;
    return arity_error(p, name, noff, nlen, want[0], k == 1 ? -1 : want[1], n);
  }
  GrNode *r = gr_node(g, op, args[0], n > 1 ? args[1] : NULL, n > 2 ? args[2] : NULL);
  return spanned(p, r, noff, prev_end(p));
}

/* primary -> NUM | NAME | NAME '(' args ')' | '(' expr ')' | '[' expr {',' expr} ']' */
static GrNode *primary(P *p) {
  size_t off = p->toff;
  switch (p->t) {
  case T_NUM: {
    double v = p->num;
    next(p);
    return gr_const(p->g, v);
  }
  case T_LP: {
    size_t open = p->toff;
    next(p);
    GrNode *e = expr(p);
    if (!e)
      return NULL;
    if (p->t != T_RP)
      return close_error(p, open, ")", "(");
    next(p);
    return e;
  }
  case T_LB: {
    size_t open = p->toff;
    next(p);
    size_t cap = 16, n = 0;
    double *v = gr_xmalloc(cap * sizeof *v);
    for (;;) {
      size_t eoff = p->toff;
      GrNode *e = expr(p);
      if (!e) {
        free(v);
        return NULL;
      }
      if (!gr_is_const(e)) {
        free(v);
        return fail(p, eoff, prev_end(p) - eoff,
                    "a vector literal holds numbers or constant expressions only%s", "", NULL),
               NULL;
      }
      if (n == cap)
        v = gr_xrealloc(v, (cap *= 2) * sizeof *v);
      v[n++] = e->num;
      if (p->t == T_COMMA) {
        next(p);
        continue;
      }
      break;
    }
    if (p->t != T_RB) {
      free(v);
      return close_error(p, open, "]", "[");
    }
    next(p);
    GrNode *r = gr_const_vec(p->g, v, (uint32_t)n);
    free(v);
    return r;
  }
  case T_NAME: {
    char name[128];
    memcpy(name, p->name, sizeof name);
    size_t nlen = p->tlen;
    next(p);
    for (int k = 0; k < p->nparams; k++)
      if (!strcmp(p->params[k], name))
        return gr_param(p->g, k, p->params[k]);
    if (p->lastvar && p->t != T_LP && !strcmp(p->lastvar->name, name))
      return p->lastvar; /* the same variable as last time: no lookups */
    if (p->t == T_LP) {
      if (is_function(p, name))
        return call(p, name, off, nlen);
      /* x(y+1) is a product when x is a variable; an unknown longer name that is close to
       * a function name is far more likely a misspelt call. The edit distances are the
       * last test, made only for a name that is neither a variable, a constant nor
       * defined, and once per parse for each such name. */
      int constant = !strcmp(name, "pi") || !strcmp(name, "e") || !strcmp(name, "inf");
      if (!constant && !is_var_name(p, name) && !gr_env_find(p->env, name)) {
        const char *s = suggest(p, name);
        if (s)
          return fail(p, off, nlen, "unknown function '%s' (did you mean '%s'?)", name, s), NULL;
      }
    } else if (is_function(p, name) && !gr_env_find(p->env, name)) {
      return fail(p, off, nlen, "function '%s' needs its arguments in parentheses", name, NULL),
             NULL;
    }
    const GrBinding *bd = gr_env_find(p->env, name);
    if (bd && bd->arity >= 0)
      return fail(p, off, nlen, "function '%s' needs its arguments in parentheses", name, NULL),
             NULL;
    if (bd)
      return bd->body;
    if (!is_var_name(p, name)) {
      if (!strcmp(name, "pi"))
        return gr_const(p->g, M_PI);
      if (!strcmp(name, "e"))
        return gr_const(p->g, exp(1.0));
      if (!strcmp(name, "inf"))
        return gr_const(p->g, INFINITY);
    }
    return p->lastvar = spanned(p, gr_var(p->g, name), off, off + nlen);
  }
  case T_EOF:
    if (p->err)
      return NULL;
    return fail(p, p->toff, 1, "unexpected end of input, expected a number, a name or '('%s", "",
                NULL),
           NULL;
  default:
    return unexpected_error(p);
  }
}

/* power -> primary [('^' | '**') unary] */
static GrNode *power(P *p) {
  size_t off = p->toff;
  GrNode *l = primary(p);
  if (!l || p->t != T_POW)
    return l;
  next(p);
  if (!enter(p))
    return NULL;
  GrNode *r = unary(p);
  p->depth--;
  if (!r)
    return NULL;
  return spanned(p, gr_node(p->g, GR_OP_POW, l, r, NULL), off, prev_end(p));
}

/* unary -> ('-' | '+' | '!') unary | power */
static GrNode *unary(P *p) {
  size_t off = p->toff;
  if (p->t == T_MINUS || p->t == T_PLUS || p->t == T_NOT) {
    Tok t = p->t;
    next(p);
    if (!enter(p))
      return NULL;
    GrNode *a = unary(p);
    p->depth--;
    if (!a || t == T_PLUS)
      return a;
    return spanned(p, gr_node(p->g, t == T_MINUS ? GR_OP_NEG : GR_OP_NOT, a, NULL, NULL), off,
                   prev_end(p));
  }
  return power(p);
}

static int starts_primary(Tok t) { return t == T_NUM || t == T_NAME || t == T_LP || t == T_LB; }

/* mul -> unary {('*' | '/' | juxtaposition) unary} */
static GrNode *mul(P *p) {
  size_t off = p->toff;
  GrNode *l = unary(p);
  while (l) {
    int op;
    if (p->t == T_STAR || p->t == T_SLASH) {
      op = p->t == T_STAR ? GR_OP_MUL : GR_OP_DIV;
      next(p);
    } else if (starts_primary(p->t)) {
      if (memchr(p->src + prev_end(p), '\n', p->toff - prev_end(p))) {
        char w[64];
        return fail(p, p->toff, p->tlen ? p->tlen : 1,
                    "a new line starts a new expression at %s: join the lines with an operator, "
                    "or give each expression as its own argument",
                    where(p, p->toff, w, sizeof w), NULL),
               NULL;
      }
      op = GR_OP_MUL;
    } else
      break;
    GrNode *r = unary(p);
    if (!r)
      return NULL;
    l = spanned(p, gr_node(p->g, op, l, r, NULL), off, prev_end(p));
  }
  return l;
}

/* add -> mul {('+' | '-') mul} */
static GrNode *add(P *p) {
  size_t off = p->toff;
  GrNode *l = mul(p);
  while (l && (p->t == T_PLUS || p->t == T_MINUS)) {
    int op = p->t == T_PLUS ? GR_OP_ADD : GR_OP_SUB;
    next(p);
    GrNode *r = mul(p);
    if (!r)
      return NULL;
    l = spanned(p, gr_node(p->g, op, l, r, NULL), off, prev_end(p));
  }
  return l;
}

static int cmp_op(Tok t) {
  switch (t) {
  case T_LT: return GR_OP_LT;
  case T_LE: return GR_OP_LE;
  case T_GT: return GR_OP_GT;
  case T_GE: return GR_OP_GE;
  case T_EQ: return GR_OP_EQ;
  case T_NE: return GR_OP_NE;
  default: return -1;
  }
}

/* x<y<2: an error at the second operator, whose hint spells the operands as written
 * (x<y && y<2). Not inlined: its locals stay out of the frame of the recursive cmp. */
COLD static GrNode *chain_error(P *p, size_t off, size_t roff) {
  size_t lend = prev_end(p), op2 = p->toff, op2len = p->tlen, rend = 0;
  P q = *p;
  GrDiag dd;
  q.d = &dd;
  next(&q);
  if (!q.err && add(&q) && !q.err)
    rend = prev_end(&q);
  char m[240];
  if (rend && rend - off <= 60)
    snprintf(m, sizeof m, "comparisons do not chain; write %.*s && %.*s%s%.*s",
             (int)(lend - off), p->src + off, (int)(lend - roff), p->src + roff,
             op2 > lend ? " " : "", (int)(rend - op2), p->src + op2);
  else
    snprintf(m, sizeof m, "comparisons do not chain; write a<b && b<c, not a<b<c");
  return fail(p, op2, op2len, "%s%s", m, NULL), NULL;
}

/* cmp -> add [('<' | '<=' | '>' | '>=' | '==' | '!=') add]: one comparison; a second
 * (x<y<2) is an error, as it would mean (x<y)<2, not x<y && y<2 */
static GrNode *cmp(P *p) {
  size_t off = p->toff;
  GrNode *l = add(p);
  int op = cmp_op(p->t);
  if (!l || op < 0)
    return l;
  next(p);
  size_t roff = p->toff;
  GrNode *r = add(p);
  if (!r)
    return NULL;
  if (cmp_op(p->t) >= 0)
    return chain_error(p, off, roff);
  return spanned(p, gr_node(p->g, op, l, r, NULL), off, prev_end(p));
}

/* and -> cmp {'&&' cmp};  or -> and {'||' and} */
static GrNode *and_(P *p) {
  size_t off = p->toff;
  GrNode *l = cmp(p);
  while (l && p->t == T_AND) {
    next(p);
    GrNode *r = cmp(p);
    if (!r)
      return NULL;
    l = spanned(p, gr_node(p->g, GR_OP_AND, l, r, NULL), off, prev_end(p));
  }
  return l;
}

static GrNode *expr(P *p) {
  if (!enter(p))
    return NULL;
  size_t off = p->toff;
  GrNode *l = and_(p);
  while (l && p->t == T_OR) {
    next(p);
    GrNode *r = and_(p);
    if (!r)
      return NULL;
    l = spanned(p, gr_node(p->g, GR_OP_OR, l, r, NULL), off, prev_end(p));
  }
  p->depth--;
  return l;
}

static unsigned env_hash(const char *s) {
  unsigned h = 2166136261u;
  while (*s)
    h = (h ^ (unsigned char)*s++) * 16777619u;
  /* the index uses the low bits: mix the high ones in (a1, a2, ... would cluster) */
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  return h;
}

const GrBinding *gr_env_find(const GrEnv *e, const char *name) {
  if (!e)
    return NULL;
  int hn = e->hidx && e->hn <= e->n ? e->hn : 0;
  for (int i = e->n; i-- > hn;)
    if (!strcmp(e->b[i].name, name))
      return &e->b[i];
  if (!hn)
    return NULL;
  unsigned h = env_hash(name);
  for (unsigned k = h & (unsigned)(e->hcap - 1);; k = (k + 1) & (unsigned)(e->hcap - 1)) {
    int i = e->hidx[k].i;
    if (i < 0)
      return NULL;
    if (e->hidx[k].h == h && !strcmp(e->b[i].name, name))
      return &e->b[i];
  }
}

/* index b[hn..n): each name's slot holds its latest binding */
static void env_index(GrEnv *e) {
  if (e->hn > e->n)
    e->hn = 0; /* entries were dropped: rebuild */
  if (!e->hidx || 2 * e->n >= e->hcap) {
    free(e->hidx);
    e->hcap = 64;
    while (2 * e->n >= e->hcap)
      e->hcap *= 2;
    e->hidx = gr_xmalloc((size_t)e->hcap * sizeof *e->hidx);
    for (int k = 0; k < e->hcap; k++)
      e->hidx[k].i = -1;
    e->hn = 0;
  } else if (e->hn == 0) {
    for (int k = 0; k < e->hcap; k++)
      e->hidx[k].i = -1;
  }
  for (; e->hn < e->n; e->hn++) {
    unsigned h = env_hash(e->b[e->hn].name), k = h & (unsigned)(e->hcap - 1);
    while (e->hidx[k].i >= 0 &&
           (e->hidx[k].h != h || strcmp(e->b[e->hidx[k].i].name, e->b[e->hn].name)))
      k = (k + 1) & (unsigned)(e->hcap - 1);
    e->hidx[k].i = e->hn;
    e->hidx[k].h = h;
  }
}

/* After a large parse: the bindings' room to grow and the hash index (16 to 32 bytes a
 * binding) are freed; gr_env_find scans while there is no index, the next parse or binding
 * rebuilds it. */
static void env_compact(GrEnv *e) {
  free(e->hidx);
  e->hidx = NULL;
  e->hcap = e->hn = 0;
  if (e->n && e->cap > e->n) {
    e->b = gr_xrealloc(e->b, (size_t)e->n * sizeof *e->b);
    e->cap = e->n;
  }
}

void gr_env_free(GrEnv *e) {
  if (!e)
    return;
  free(e->b);
  free(e->hidx);
  e->b = NULL;
  e->hidx = NULL;
  e->n = e->cap = e->hcap = e->hn = 0;
}

/* name: a copy that lives as long as the graph */
static void bind(P *p, const char *name, int arity, const char **params, GrNode *body) {
  GrEnv *e = p->env;
  if (e->n == e->cap) {
    e->cap = e->cap ? 2 * e->cap : 8;
    e->b = gr_xrealloc(e->b, e->cap * sizeof *e->b);
  }
  p->lastvar = NULL;
  GrBinding *b = &e->b[e->n++];
  b->name = name; /* the graph's copy */
  b->arity = arity;
  b->params = params;
  b->body = body;
  env_index(e);
}

/* Is this `NAME '(' NAME {',' NAME} ')' '='` (a function definition)? Looks ahead only. */
static int function_def_ahead(P *p, const char ***params, int *np) {
  P q = *p;
  GrDiag dd;
  q.d = &dd;
  q.err = 0;
  if (q.t != T_NAME)
    return 0;
  next(&q);
  if (q.t != T_LP)
    return 0;
  next(&q);
  enum { MAXP = 64 };
  int n = 0, trailing = 0;
  char names[MAXP][128];
  size_t offs[MAXP], lens[MAXP];
  while (q.t == T_NAME && n < MAXP) {
    memcpy(names[n], q.name, sizeof names[n]);
    offs[n] = q.toff;
    lens[n++] = q.tlen;
    next(&q);
    trailing = 0;
    if (q.t != T_COMMA)
      break;
    trailing = 1;
    next(&q);
  }
  if (q.t != T_RP)
    return 0;
  size_t rp = q.toff;
  next(&q);
  if (q.t != T_ASSIGN || q.err)
    return 0;
  /* it is a definition: now its parameter list must be right */
  if (trailing)
    return fail(p, rp, 1, "expected a parameter name before ')'%s", "", NULL);
  if (n > 8)
    return fail(p, offs[8], lens[8], "a function takes at most 8 parameters%s", "", NULL);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++)
      if (!strcmp(names[i], names[j]))
        return fail(p, offs[i], lens[i], "parameter '%s' appears twice", names[i], NULL);
  const char **v = gr_arena_alloc(p->g->arena, (n ? n : 1) * sizeof *v);
  for (int i = 0; i < n; i++)
    v[i] = gr_arena_strdup(p->g->arena, names[i]);
  *params = v;
  *np = n;
  return 1;
}

/* program -> stmt {';' stmt}
 * stmt -> NAME '(' params ')' '=' expr | expr ['=' expr] */
GrStatus gr_parse(GrGraph *g, const char *src, const GrParseOpts *o, GrParsed *out, GrDiag *d) {
  P p = {0};
  GrEnv local = {0};
  p.g = g;
  p.src = src;
  p.o = o;
  p.env = (o && o->env) ? o->env : &local;
  p.d = d;
  memset(out, 0, sizeof *out);
  p.max_nodes = g->max_nodes ? g->max_nodes : GR_PARSE_MAX_NODES;
  const char *env = g->max_nodes ? NULL : getenv("GRAD_MAX_NODES");
  if (env) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(env, &end, 10);
    if (errno || end == env || *end || v == 0 || env[0] == '-') {
      gr_diag_set(d, GR_EUSAGE, "GRAD_MAX_NODES must be a positive integer, not '%.40s'", env);
      return GR_EUSAGE;
    }
    p.max_nodes = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
  }
  if (p.env->n && !p.env->hidx)
    env_index(p.env); /* dropped by env_compact */
  p.size0 = g->count + (size_t)p.env->n;
  size_t count0 = g->count;
  p.stack0 = __builtin_frame_address(0);
  p.stack_max = stack_budget();
  next(&p);
  GrNode *last = NULL;
  while (!p.err) {
    if (p.t == T_EOF) {
      if (!last)
        fail(&p, p.toff, 1, "empty expression%s", "", NULL);
      break;
    }
    out->lhs = out->rhs = NULL;
    out->lhs_name = NULL;
    out->nstatements++;
    const char **params;
    int np;
    int def = function_def_ahead(&p, &params, &np);
    if (p.err)
      break;
    if (def) {
      char name[128];
      memcpy(name, p.name, sizeof name);
      size_t noff = p.toff, nlen = p.tlen;
      if (builtin_function(name)) {
        /* sin(x) = 0.5 as the last statement is an equation (a definition there would
         * compute nothing); before more statements it would redefine sin: refused */
        P q = p;
        GrDiag dd;
        q.d = &dd;
        while (q.t != T_SEMI && q.t != T_EOF && !q.err)
          next(&q);
        if (q.t != T_EOF || q.err) {
          fail(&p, noff, nlen, "cannot redefine the built-in function '%s'", name, NULL);
          break;
        }
        def = 0;
      }
    }
    if (def) {
      char name[128];
      memcpy(name, p.name, sizeof name);
      while (p.t != T_ASSIGN && !p.err)
        next(&p);
      next(&p);
      p.params = params;
      p.nparams = np;
      GrNode *body = expr(&p);
      p.params = NULL;
      p.nparams = 0;
      if (!body)
        break;
      bind(&p, gr_arena_strdup(g->arena, name), np, params, body);
      last = NULL;
    } else {
      P q = p;
      GrDiag dd;
      q.d = &dd;
      int named = 0;
      if (p.t == T_NAME) {
        next(&q);
        named = q.t == T_ASSIGN && !q.err;
      }
      if (named) {
        /* name = expr: a definition when more statements follow, else the output named */
        char name[128];
        memcpy(name, p.name, sizeof name);
        if (builtin_function(name) && !is_var_name(&p, name)) {
          fail(&p, p.toff, p.tlen, "cannot redefine the built-in function '%s'", name, NULL);
          break;
        }
        next(&p);
        next(&p);
        GrNode *r = expr(&p);
        if (!r)
          break;
        last = gr_let(g, name, r); /* its name is the graph's copy */
        out->lhs_name = last->name;
        out->rhs = r;
        if (p.t == T_SEMI)
          bind(&p, last->name, -1, NULL, last);
      } else {
        GrNode *l = expr(&p);
        if (!l)
          break;
        if (p.t == T_ASSIGN) {
          next(&p);
          GrNode *r = expr(&p);
          if (!r)
            break;
          out->lhs = l;
          out->rhs = r;
          last = gr_node(g, GR_OP_SUB, l, r, NULL);
        } else
          last = l;
      }
    }
    if (p.t == T_SEMI) {
      next(&p);
      if (p.t == T_EOF && !last && !p.err) {
        fail(&p, p.toff, 1, "the last statement defines a function; give an expression after it%s",
             "", NULL);
      }
      continue;
    }
    if (p.t != T_EOF) {
      char b[64];
      if (p.t == T_RP)
        fail(&p, p.toff, p.tlen, "unmatched ')'%s", "", NULL);
      else if (p.t == T_RB)
        fail(&p, p.toff, p.tlen, "unmatched ']'%s", "", NULL);
      else if (p.t == T_NOT)
        fail(&p, p.toff, p.tlen, "unexpected '!': there is no factorial operator; use gamma(x+1) "
             "for x!%s", "", NULL);
      else
        fail(&p, p.toff, p.tlen, "unexpected %s", tokdesc(&p, b, sizeof b), NULL);
    }
    break;
  }
  if (!o || !o->env)
    gr_env_free(&local);
  if (p.err)
    return GR_EUSAGE;
  if (!last) {
    gr_diag_set(d, GR_EUSAGE, "the input defines a function but computes nothing");
    return GR_EUSAGE;
  }
  out->out = last;
  /* a large input: its index is not needed until something else is built (the next node
   * interned rebuilds it), and the tape compiled from it can use the memory */
  if (g->count - count0 >= 65536) {
    gr_graph_drop_index(g);
    if (o && o->env)
      env_compact(o->env);
  }
  return GR_OK;
}
