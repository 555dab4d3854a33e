/* SPDX-License-Identifier: GPL-3.0-or-later
 * Minimal-parenthesis printer. A child is wrapped when its precedence is lower than the
 * parent's, or equal on the side where the operator does not associate (a - (b - c),
 * a/(b*c), (a^b)^c). Negative constants print in parentheses after an operator.
 */
#include "print.h"
#include "arena.h"
#include "num.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void gr_buf_puts(GrBuf *b, const char *s) {
  size_t n = strlen(s);
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->s = gr_xrealloc(b->s, b->cap);
  }
  memcpy(b->s + b->n, s, n + 1);
  b->n += n;
}

void gr_buf_printf(GrBuf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < (int)sizeof tmp) {
    gr_buf_puts(b, tmp);
    return;
  }
  char *big = gr_xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  gr_buf_puts(b, big);
  free(big);
}

void gr_buf_free(GrBuf *b) {
  free(b->s);
  b->s = NULL;
  b->n = b->cap = 0;
}

/* Constants that symbolic derivatives fold (2/sqrt(pi) from erf', 1/log(2) from log2')
 * print by name, in every style, so formulas read like the ones people write. */
static const struct {
  double v;
  const char *infix, *latex, *c;
  int prec;
} named[] = {
    {M_2_SQRTPI, "2/sqrt(pi)", "\\frac{2}{\\sqrt{\\pi}}", "M_2_SQRTPI", 5},
    {-M_2_SQRTPI, "-2/sqrt(pi)", "-\\frac{2}{\\sqrt{\\pi}}", "(-M_2_SQRTPI)", 6},
    {M_LN2, "log(2)", "\\ln 2", "M_LN2", 10},
    {M_E, "e", "e", "M_E", 10},
    {M_LN10, "log(10)", "\\ln 10", "M_LN10", 10},
    {1 / M_LN2, "1/log(2)", "\\frac{1}{\\ln 2}", "(1 / M_LN2)", 5},
    {1 / M_LN10, "1/log(10)", "\\frac{1}{\\ln 10}", "(1 / M_LN10)", 5},
};

static int named_const(double v) {
  for (size_t i = 0; i < sizeof named / sizeof *named; i++)
    if (v == named[i].v)
      return (int)i;
  return -1;
}

static _Thread_local int shadow_e, shadow_pi;

void gr_print_shadow(const GrGraph *g) {
  shadow_e = g && gr_var_index(g, "e") >= 0;
  shadow_pi = g && gr_var_index(g, "pi") >= 0;
}

static const char *const greek[] = {
    "alpha", "beta",  "gamma",   "delta", "epsilon", "zeta",  "eta",   "theta",
    "iota",  "kappa", "lambda",  "mu",    "nu",      "xi",    "rho",   "sigma",
    "pi",    "tau",   "upsilon", "phi",   "chi",   "psi",     "omega", "Gamma", "Delta",
    "Theta", "Lambda", "Xi",     "Pi",    "Sigma",   "Upsilon", "Phi", "Psi", "Omega"};

/* one part of a name: a Greek letter's command, one letter as is, else upright text */
static void latex_word(GrBuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < sizeof greek / sizeof *greek; i++)
    if (strlen(greek[i]) == n && !strncmp(greek[i], s, n)) {
      gr_buf_printf(b, "\\%s", greek[i]);
      return;
    }
  size_t digits = 0;
  while (digits < n && s[digits] >= '0' && s[digits] <= '9')
    digits++;
  if (n == 1 || digits == n) {
    gr_buf_printf(b, "%.*s", (int)n, s);
    return;
  }
  gr_buf_puts(b, "\\mathit{");
  for (size_t i = 0; i < n; i++)
    gr_buf_printf(b, s[i] == '_' ? "\\_" : "%c", s[i]);
  gr_buf_puts(b, "}");
}

void gr_latex_name(GrBuf *b, const char *name) {
  const char *u = strchr(name, '_');
  size_t n = strlen(name), d = n;
  while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
    d--;
  if (!u && d > 0 && d < n) { /* x1, y15, alpha2: a subscript */
    latex_word(b, name, d);
    gr_buf_printf(b, "_{%s}", name + d);
    return;
  }
  if (!u || u == name || !u[1]) {
    latex_word(b, name, strlen(name));
    return;
  }
  latex_word(b, name, (size_t)(u - name));
  gr_buf_puts(b, "_{");
  latex_word(b, u + 1, strlen(u + 1));
  gr_buf_puts(b, "}");
}

static int prec_of(const GrNode *n) {
  if (n->op == GR_OP_CONST && n->vlen == 1 && ((n->num == M_E && shadow_e) || (n->num == M_PI && shadow_pi)))
    return 10;
  if (n->op == GR_OP_CONST && n->vlen == 1 && named_const(n->num) >= 0)
    return named[named_const(n->num)].prec;
  if (n->op == GR_OP_CONST && n->vlen == 1 && (n->num < 0 || signbit(n->num)))
    return 6; /* prints like a negation */
  if (n->op == GR_OP_LET)
    return 10;
  return gr_ops[n->op].prec ? gr_ops[n->op].prec : 10;
}

typedef struct Ctx {
  GrBuf *b;
  GrPrintStyle st;
  int digits;
  size_t limit; /* stop (with "...") once the buffer is this long; 0: no limit */
  int cut;
  size_t cut_end; /* where the text ends, "..." included, once cut */
} Ctx;

static void pr(Ctx *c, const GrNode *n, int depth);

static void num(Ctx *c, double v) {
  char buf[40];
  /* a variable named e or pi: the constants print as expressions that read back */
  if (c->st != GR_PRINT_C && v == M_E && shadow_e) {
    gr_buf_puts(c->b, c->st == GR_PRINT_LATEX ? "\\mathrm{e}" : "exp(1)");
    return;
  }
  if (c->st != GR_PRINT_C && v == M_PI && shadow_pi) {
    gr_buf_puts(c->b, c->st == GR_PRINT_LATEX ? "\\mathrm{\\pi}" : "acos(-1)");
    return;
  }
  int k = c->digits ? -1 : named_const(v);
  if (k >= 0) {
    gr_buf_puts(c->b, c->st == GR_PRINT_LATEX ? named[k].latex : c->st == GR_PRINT_C ? named[k].c
                                                                                   : named[k].infix);
    return;
  }
  if (v == M_PI && c->st != GR_PRINT_C) {
    gr_buf_puts(c->b, c->st == GR_PRINT_LATEX ? "\\pi" : "pi");
    return;
  }
  if (c->st == GR_PRINT_C && isinf(v)) {
    gr_buf_puts(c->b, v > 0 ? "HUGE_VAL" : "-HUGE_VAL");
    return;
  }
  if (c->st == GR_PRINT_C && isnan(v)) {
    gr_buf_puts(c->b, "NAN");
    return;
  }
  if (c->st == GR_PRINT_LATEX && isinf(v)) {
    gr_buf_puts(c->b, v > 0 ? "\\infty" : "-\\infty");
    return;
  }
  if (c->st == GR_PRINT_LATEX && isnan(v)) {
    gr_buf_puts(c->b, "\\mathrm{NaN}");
    return;
  }
  gr_fmt(buf, v, c->digits);
  if (v == 0 && signbit(v) && buf[0] != '-') { /* -0 reads back as -0: atan2(-0, -1) = -pi */
    memmove(buf + 1, buf, strlen(buf) + 1);
    buf[0] = '-';
  }
  if (c->st == GR_PRINT_C && !strpbrk(buf, ".en"))
    strcat(buf, ".0");
  gr_buf_puts(c->b, buf);
}

static void child(Ctx *c, const GrNode *n, int need_prec, int depth) {
  if (prec_of(n) < need_prec) {
    gr_buf_puts(c->b, c->st == GR_PRINT_LATEX ? "\\left(" : "(");
    pr(c, n, depth + 1);
    gr_buf_puts(c->b, c->st == GR_PRINT_LATEX ? "\\right)" : ")");
  } else
    pr(c, n, depth + 1);
}

static const char *latex_fn(int op) {
  switch (op) {
  case GR_OP_SIN: return "\\sin";
  case GR_OP_COS: return "\\cos";
  case GR_OP_TAN: return "\\tan";
  case GR_OP_SINH: return "\\sinh";
  case GR_OP_COSH: return "\\cosh";
  case GR_OP_TANH: return "\\tanh";
  case GR_OP_ASIN: return "\\arcsin";
  case GR_OP_ACOS: return "\\arccos";
  case GR_OP_ATAN: return "\\arctan";
  case GR_OP_EXP: return "\\exp";
  case GR_OP_LOG: return "\\ln";
  case GR_OP_LGAMMA: return "\\ln\\Gamma";
  case GR_OP_GAMMA: return "\\Gamma";
  case GR_OP_DIGAMMA: return "\\psi";
  default: return NULL;
  }
}

/* Functions whose C library namesake means something else at some argument (fmin drops a
 * NaN, tgamma and GSL's psi_n differ from grad off their main domain or abort through
 * GSL's error handler, log1p(exp(x)) overflows): the C printer calls these helpers, which
 * compute what ops.h and ops.c compute, and gr_print_c_helpers defines the ones a formula
 * uses. GSL errors become NaN, as in grad; the caller's error handler is restored. */
#define GSL_QUIET(call)                                                                    \
  "  gsl_error_handler_t *h = gsl_set_error_handler_off();\n"                              \
  "  int s = " call ";\n"                                                                  \
  "  gsl_set_error_handler(h);\n"
static const struct {
  int op;
  const char *name, *def;
} c_helpers[] = {
    {GR_OP_SIGN, "grad_sign",
     "static double grad_sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; }\n"},
    {GR_OP_RELU, "grad_relu",
     "static double grad_relu(double x) { return x > 0 ? x : (x != x ? x : 0.0); }\n"},
    {GR_OP_MIN, "grad_min",
     "static double grad_min(double a, double b) { return a != a ? a : b != b ? b : a < b ? a : b; }\n"},
    {GR_OP_MAX, "grad_max",
     "static double grad_max(double a, double b) { return a != a ? a : b != b ? b : a > b ? a : b; }\n"},
    {GR_OP_SIGMOID, "grad_sigmoid",
     "static double grad_sigmoid(double x) {\n"
     "  return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));\n"
     "}\n"},
    {GR_OP_SOFTPLUS, "grad_softplus",
     "static double grad_softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }\n"},
    {GR_OP_GAMMA, "grad_gamma",
     "static double grad_gamma(double x) {\n"
     "  gsl_sf_result r;\n" GSL_QUIET("gsl_sf_gamma_e(x, &r)")
     "  if (s == GSL_EOVRFLW)\n"
     "    return x > 0 ? HUGE_VAL : NAN;\n"
     "  return s == GSL_SUCCESS ? r.val : NAN;\n"
     "}\n"},
    {GR_OP_LGAMMA, "grad_lgamma",
     "static double grad_lgamma(double x) {\n"
     "  gsl_sf_result r;\n" GSL_QUIET("gsl_sf_lngamma_e(x, &r)")
     "  if (s != GSL_SUCCESS)\n"
     "    return x == floor(x) && x <= 0 ? HUGE_VAL : NAN;\n"
     "  return r.val;\n"
     "}\n"},
    {GR_OP_DIGAMMA, "grad_digamma",
     "static double grad_digamma(double x) {\n"
     "  gsl_sf_result r;\n" GSL_QUIET("gsl_sf_psi_e(x, &r)")
     "  return s == GSL_SUCCESS ? r.val : NAN;\n"
     "}\n"},
    {GR_OP_POLYGAMMA, "grad_polygamma",
     "static double grad_polygamma(double n, double x) {\n"
     "  if (n < 0 || n != floor(n) || n > 1000)\n"
     "    return NAN;\n"
     "  if (n >= 2 && x <= 0) { /* psi_n(x) = psi_n(x + 1) - (-1)^n n!/x^(n+1) */\n"
     "    if (x == floor(x) || x < -1e4)\n"
     "      return NAN;\n"
     "    double nf = exp(lgamma(n + 1)), sum = 0, sg = fmod(n, 2) == 0 ? 1 : -1;\n"
     "    for (; x <= 0; x += 1)\n"
     "      sum += sg * nf / pow(x, n + 1);\n"
     "    return grad_polygamma(n, x) - sum;\n"
     "  }\n"
     "  gsl_sf_result r;\n" GSL_QUIET("gsl_sf_psi_n_e((int)n, x, &r)")
     "  return s == GSL_SUCCESS ? r.val : NAN;\n"
     "}\n"},
};

/* C: functions that <math.h> has with grad's meaning, by their C name; the others are
 * helpers (C_HELPERS) that gr_print_c_helpers defines */
static const char *c_fn(int op) {
  switch (op) {
  case GR_OP_ABS: return "fabs";
  case GR_OP_ROUND: return "nearbyint";
  default: break;
  }
  for (size_t i = 0; i < sizeof c_helpers / sizeof *c_helpers; i++)
    if (c_helpers[i].op == op)
      return c_helpers[i].name;
  return gr_ops[op].name;
}

/* LaTeX for the infix and prefix operators whose text is not valid LaTeX as written */
static const char *latex_infix(int op) {
  switch (op) {
  case GR_OP_OR: return "\\lor";
  case GR_OP_AND: return "\\land";
  case GR_OP_EQ: return "=";
  case GR_OP_NOT: return "\\lnot ";
  default: return gr_ops[op].name;
  }
}

/* the operator between the operands of binary infix node n, with its spaces */
static void infix_op(Ctx *c, const GrNode *n) {
  GrBuf *b = c->b;
  if (n->op == GR_OP_MUL)
    gr_buf_puts(b, c->st == GR_PRINT_LATEX ? " \\cdot " : "*");
  else if (n->op == GR_OP_DIV)
    gr_buf_puts(b, "/");
  else if (c->st == GR_PRINT_LATEX && n->op == GR_OP_LE)
    gr_buf_puts(b, " \\le ");
  else if (c->st == GR_PRINT_LATEX && n->op == GR_OP_GE)
    gr_buf_puts(b, " \\ge ");
  else if (c->st == GR_PRINT_LATEX && n->op == GR_OP_NE)
    gr_buf_puts(b, " \\ne ");
  else {
    gr_buf_puts(b, " ");
    gr_buf_puts(b, c->st == GR_PRINT_LATEX ? latex_infix(n->op) : gr_ops[n->op].name);
    gr_buf_puts(b, " ");
  }
}

/* the precedence a child needs to print bare: C compilers warn about a && b || c, so C
 * writes (a && b) || c */
static int c_need(const Ctx *c, const GrNode *parent, const GrNode *kid, int need) {
  if (c->st == GR_PRINT_C && parent->op == GR_OP_OR && kid->op == GR_OP_AND)
    return gr_ops[GR_OP_AND].prec + 1;
  return need;
}

/* comparisons do not chain (the grammar allows one): (a < b) <= c keeps its parentheses */
static int is_cmp(int op) {
  return op == GR_OP_EQ || op == GR_OP_NE || op == GR_OP_LT || op == GR_OP_LE ||
         op == GR_OP_GT || op == GR_OP_GE;
}

/* n continues a left-deep chain of binary infix ops of precedence p printed without
 * parentheses (LaTeX fractions and C's pow() are not infix) */
static int chain_link(const Ctx *c, const GrNode *n, int p) {
  return n->nargs == 2 && gr_ops[n->op].prec && prec_of(n) == p && n->op != GR_OP_POW &&
         !is_cmp(n->op) &&
         !(c->st == GR_PRINT_LATEX && n->op == GR_OP_DIV);
}

static void pr(Ctx *c, const GrNode *n, int depth) {
  GrBuf *b = c->b;
  if (c->limit && b->n >= c->limit) {
    /* a DAG with shared subtrees can print exponentially long: messages stop early */
    if (!c->cut) {
      gr_buf_puts(b, "...");
      c->cut_end = b->n;
    }
    c->cut = 1;
    return;
  }
  if (depth > GR_PRINT_MAX_DEPTH) {
    gr_buf_puts(b, "...");
    return;
  }
  const GrOpInfo *o = &gr_ops[n->op];
  switch (n->op) {
  case GR_OP_CONST:
    if (n->vlen == 1)
      num(c, n->num);
    else {
      gr_buf_puts(b, "[");
      for (uint32_t i = 0; i < n->vlen; i++) {
        if (i)
          gr_buf_puts(b, ", ");
        num(c, n->vec[i]);
      }
      gr_buf_puts(b, "]");
    }
    return;
  case GR_OP_VAR:
  case GR_OP_LET:
    if (c->st == GR_PRINT_LATEX)
      gr_latex_name(b, n->name);
    else
      gr_buf_puts(b, n->name);
    return;
  default:
    break;
  }
  if (o->prec && n->nargs == 1) { /* prefix - and ! */
    gr_buf_puts(b, c->st == GR_PRINT_LATEX ? latex_infix(n->op) : o->name);
    child(c, n->arg[0], 7, depth);
    return;
  }
  if (o->prec) {
    int p = o->prec;
    if (n->op == GR_OP_POW && c->st == GR_PRINT_C) {
      gr_buf_puts(b, "pow(");
      pr(c, n->arg[0], depth + 1);
      gr_buf_puts(b, ", ");
      pr(c, gr_arg(n, 1), depth + 1);
      gr_buf_puts(b, ")");
      return;
    }
    if (n->op == GR_OP_DIV && c->st == GR_PRINT_LATEX) {
      gr_buf_puts(b, "\\frac{");
      pr(c, n->arg[0], depth + 1);
      gr_buf_puts(b, "}{");
      pr(c, gr_arg(n, 1), depth + 1);
      gr_buf_puts(b, "}");
      return;
    }
    if (n->op == GR_OP_POW) {
      child(c, n->arg[0], p + 1, depth); /* (a^b)^c, (-x)^2 */
      if (c->st == GR_PRINT_LATEX) {
        gr_buf_puts(b, "^{");
        pr(c, gr_arg(n, 1), depth + 1);
        gr_buf_puts(b, "}");
      } else {
        gr_buf_puts(b, "^");
        child(c, gr_arg(n, 1), p, depth);
      }
      return;
    }
    /* a left-deep chain of one precedence (a sum of 5000 terms) is printed by a loop,
     * not by recursion: its length does not count against GR_PRINT_MAX_DEPTH */
    if (chain_link(c, n->arg[0], p)) {
      size_t m = 0, cap = 16;
      const GrNode **spine = gr_xmalloc(cap * sizeof *spine);
      const GrNode *l = n;
      while (chain_link(c, l, p)) {
        if (m == cap)
          spine = gr_xrealloc(spine, (cap *= 2) * sizeof *spine);
        spine[m++] = l;
        l = l->arg[0];
      }
      child(c, l, c_need(c, spine[m - 1], l, p), depth);
      while (m-- > 0) {
        infix_op(c, spine[m]);
        int assoc = spine[m]->op == GR_OP_ADD || spine[m]->op == GR_OP_MUL ||
                    spine[m]->op == GR_OP_AND || spine[m]->op == GR_OP_OR;
        child(c, gr_arg(spine[m], 1), c_need(c, spine[m], gr_arg(spine[m], 1), assoc ? p : p + 1),
              depth);
      }
      free(spine);
      return;
    }
    child(c, n->arg[0], c_need(c, n, n->arg[0], is_cmp(n->op) ? p + 1 : p), depth);
    infix_op(c, n);
    /* the right operand of a non-associative op needs parentheses at equal precedence */
    int assoc = n->op == GR_OP_ADD || n->op == GR_OP_MUL || n->op == GR_OP_AND || n->op == GR_OP_OR;
    child(c, gr_arg(n, 1), c_need(c, n, gr_arg(n, 1), assoc ? p : p + 1), depth);
    return;
  }
  /* function call syntax */
  if (c->st == GR_PRINT_LATEX && n->op == GR_OP_SQRT) {
    gr_buf_puts(b, "\\sqrt{");
    pr(c, n->arg[0], depth + 1);
    gr_buf_puts(b, "}");
    return;
  }
  if (c->st == GR_PRINT_LATEX && n->op == GR_OP_ABS) {
    gr_buf_puts(b, "\\left|");
    pr(c, n->arg[0], depth + 1);
    gr_buf_puts(b, "\\right|");
    return;
  }
  if (c->st == GR_PRINT_C && n->op == GR_OP_DETACH) { /* a value like any other in C */
    gr_buf_puts(b, "(");
    pr(c, n->arg[0], depth + 1);
    gr_buf_puts(b, ")");
    return;
  }
  if (c->st == GR_PRINT_C && n->op == GR_OP_IF) {
    gr_buf_puts(b, "(");
    pr(c, n->arg[0], depth + 1);
    gr_buf_puts(b, " ? ");
    pr(c, gr_arg(n, 1), depth + 1);
    gr_buf_puts(b, " : ");
    pr(c, gr_arg(n, 2), depth + 1);
    gr_buf_puts(b, ")");
    return;
  }
  const char *fn = o->name;
  if (c->st == GR_PRINT_LATEX && latex_fn(n->op))
    fn = latex_fn(n->op);
  else if (c->st == GR_PRINT_LATEX) {
    gr_buf_puts(b, "\\operatorname{");
    gr_buf_puts(b, fn);
    gr_buf_puts(b, "}");
    fn = "";
  } else if (c->st == GR_PRINT_C)
    fn = c_fn(n->op);
  gr_buf_puts(b, fn);
  gr_buf_puts(b, c->st == GR_PRINT_LATEX ? "\\left(" : "(");
  for (int i = 0; i < n->nargs; i++) {
    if (i)
      gr_buf_puts(b, ", ");
    pr(c, gr_arg(n, i), depth + 1);
  }
  gr_buf_puts(b, c->st == GR_PRINT_LATEX ? "\\right)" : ")");
}

void gr_print(GrBuf *b, const GrNode *n, GrPrintStyle style, int digits) {
  Ctx c = {b, style, digits, 0, 0, 0};
  if (!b->s)
    gr_buf_puts(b, "");
  pr(&c, n, 0);
}

char *gr_print_str(const GrNode *n) {
  GrBuf b = {0};
  Ctx c = {&b, GR_PRINT_INFIX, 0, GR_PRINT_STR_MAX, 0, 0};
  gr_buf_puts(&b, "");
  pr(&c, n, 0);
  if (c.cut) { /* drop what the enclosing calls added after the cut */
    b.n = c.cut_end;
    b.s[b.n] = 0;
  }
  return b.s;
}

void gr_print_c_helpers(GrBuf *b, const GrGraph *g, GrNode *const *roots, int n) {
  unsigned char *m = gr_reachable(g, roots, (size_t)n);
  unsigned char used[GR_OP_COUNT] = {0};
  for (size_t i = 0; i < g->count; i++)
    if (m[i])
      used[gr_graph_node(g, i)->op] = 1;
  free(m);
  int any = 0, gsl = 0;
  for (size_t i = 0; i < sizeof c_helpers / sizeof *c_helpers; i++) {
    any |= used[c_helpers[i].op];
    gsl |= used[c_helpers[i].op] && strstr(c_helpers[i].def, "gsl_");
  }
  if (!any)
    return;
  gr_buf_puts(b, "/* functions the formulas call (file scope");
  gr_buf_puts(b, gsl ? "; link with -lgsl -lgslcblas -lm) */\n" : ") */\n");
  gr_buf_puts(b, "#include <math.h>\n");
  if (gsl)
    gr_buf_puts(b, "#include <gsl/gsl_errno.h>\n#include <gsl/gsl_sf_gamma.h>\n#include <gsl/gsl_sf_psi.h>\n");
  for (size_t i = 0; i < sizeof c_helpers / sizeof *c_helpers; i++)
    if (used[c_helpers[i].op])
      gr_buf_puts(b, c_helpers[i].def);
}
