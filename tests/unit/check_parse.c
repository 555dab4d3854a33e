/* SPDX-License-Identifier: GPL-3.0-or-later
 * Lexer and parser: the conventions users rely on (each pinned against a value computed
 * here in C), error messages with their spans, hash-consing, statements and definitions,
 * and bounded depth (a million nested parentheses, a million-term sum) both through the
 * library and through the grad program ($GRAD).
 */
#include "testutil.h"
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

/* --- conventions: value at x = 3, y = 2 (x, y are variables) --- */
static const char *const xy[] = {"x", "y"};
static const double xy_at[] = {3, 2};

static const struct {
  const char *src;
  double want;
} values[] = {
    {"2^3^2", 512},
    {"2**3**2", 512},
    {"(2^3)^2", 64},
    {"2^3**2", 512},
    {"-2^2", -4},
    {"-x^2", -9},
    {"(-x)^2", 9},
    {"- -x", 3},
    {"+x", 3},
    {"x - -y", 5},
    {"2^-x", 0.125},
    {"x^-1", 1.0 / 3},
    {"x**-2", 1.0 / 9},
    {"3x", 9},
    {"2(x+1)", 8},
    {"(x+1)(x-1)", 8},
    {"2pi", 2 * M_PI},
    {"pi(x+1)", 4 * M_PI},
    {"e(y-1)", 2.718281828459045},
    {"3sin(x)", 3 * 0.14112000805986721},
    {"x y", 6},
    {"x(y+1)", 9},
    {"1/2x", 1.5},
    {"1/2 x", 1.5},
    {"2x^2", 18},
    {"2^3x", 24},
    {"x^2y", 18},
    {"2^-x^2", 1.0 / 512},
    {"(x)2", 6},
    {"sin(x)^2(x)", 3 * 0.14112000805986721 * 0.14112000805986721},
    {"x y^2", 12},
    {"2^x y", 16},
    {"-x y", -6},
    {"x/y/2", 0.75},
    {"x-y-1", 0},
    {"1-x+y", 0},
    {"sin(x)^2", 0.14112000805986721 * 0.14112000805986721},
    {"e^x", 20.085536923187668},
    {"2 e", 2 * 2.718281828459045},
    {"2exp(0)", 2},
    {"x +\n y", 5},
    {"x\n - y", 1},
    {"e", 2.718281828459045},
    {"pi", M_PI},
    {".5", 0.5},
    {"1e-3", 0.001},
    {"2.5E+4", 25000},
    {"2.5e4x", 75000},
    {"1E3", 1000},
    {"3.", 3},
    {"2.x", 6},
    {"log(e)", 1},
    {"ln(e^2)", 2},
    {"log(x)", 1.0986122886681098},
    {"ln(x)", 1.0986122886681098},
    {"log10(1000)", 3},
    {"log2(1024)", 10},
    {"exp(log(x))", 3},
    {"pow(x, y)", 9},
    {"x == 3", 1},
    {"x < y", 0},
    {"x >= 3 && y != 2", 0},
    {"x > 5 || y <= 2", 1},
    {"(x < y) < 2", 1},
    {"x > y && y > 1", 1},
    {"(x > y) == (y < x)", 1},
    {"!x", 0},
    {"if(x > y, x, y)", 3},
    {"where(x < y, x, y)", 2},
    {"max(x, y) - min(x, y)", 1},
    {"sum([1, 2, 3]x)", 18},
    {"dot([1, 2], [3, 4]x)", 33},
    {"norm([3, 4]x)", 15},
    {"mean([1, 2, 3]x)", 6},
    {"prod([1, 2, 4]x)", 216},
    {"max([1, 7, 2]x)", 21},
    {"u = x*x; z = sin(u); z / sin(9)", 1},
    {"f(a, b) = a*b + 1; f(x, y) + f(1, 1)", 9},
    {"sq(t) = t^2; sq(sq(x))", 81},
    {"g() = 4; g() + x", 7},
    {"g(a,b,c,d,e,f,h,i) = a + 2i; g(1,2,3,4,5,6,7,x)", 7},
    {"x;", 3},
    {"  x\t+\ny  ", 5},
};

START_TEST(test_values) {
  double v = 0;
  GrDiag d;
  GrStatus st = tu_eval(values[_i].src, xy, xy_at, 2, &v, NULL, &d);
  ck_assert_msg(st == GR_OK, "'%s': %s", values[_i].src, d.msg);
  ck_assert_msg(tu_close(v, values[_i].want, 1e-15, 1e-15), "'%s' = %.17g, expected %.17g",
                values[_i].src, v, values[_i].want);
}
END_TEST

/* --- derivatives of the conventions (exact rules, independent of the tape) --- */
static const struct {
  const char *src;
  double dx, dy;
} grads[] = {
    {"-x^2", -6, 0},
    {"2^3^x", 0, 0}, /* placeholder: checked below through the exact formula */
    {"x y", 2, 3},
    {"xy", 0, 0},    /* xy is one name, not x*y */
    {"1/2x", 0.5, 0},
    {"x(y+1)", 3, 3},
    {"(x+1)(x-1)", 6, 0},
    {"log(x)", 1.0 / 3, 0},
    {"x^y", 6, 9 * 1.0986122886681098},
    {"detach(x^2)*x", 9, 0},
    {"stop_gradient(y)*x", 2, 0},
    {"u = x*x; u + u", 12, 0},
};

START_TEST(test_grads) {
  static const char *const n3[] = {"x", "y", "xy"};
  static const double at3[] = {3, 2, 7};
  double v = 0, g[3] = {0, 0, 0};
  GrDiag d;
  ck_assert_int_eq(tu_eval(grads[_i].src, n3, at3, 3, &v, g, &d), GR_OK);
  if (_i == 1) { /* d/dx 2^(3^x) = 2^(3^x) ln 2 * 3^x ln 3 */
    double want = pow(2, 27) * log(2) * 27 * log(3);
    tu_assert_close(g[0], want, 1e-14, 0);
    return;
  }
  ck_assert_msg(tu_close(g[0], grads[_i].dx, 1e-15, 1e-15), "d/dx '%s' = %.17g, want %.17g",
                grads[_i].src, g[0], grads[_i].dx);
  ck_assert_msg(tu_close(g[1], grads[_i].dy, 1e-15, 1e-15), "d/dy '%s' = %.17g, want %.17g",
                grads[_i].src, g[1], grads[_i].dy);
  if (_i == 3)
    tu_assert_close(g[2], 1, 0, 0); /* d(xy)/d(xy) */
}
END_TEST

/* a name listed as a variable shadows the constant of that name */
/* '#' comments (text from a file): the same node as the text without them; in an
 * argument (no comments option) '#' stays an error */
START_TEST(test_comments) {
  GrGraph *g = gr_graph_new();
  GrParseOpts po = {NULL, NULL, 1};
  GrParsed a, b;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, "# a header\nx # the first term\n  + y^2 # and #2\n", &po, &a, &d), GR_OK);
  ck_assert_int_eq(gr_parse(g, "x + y^2", NULL, &b, &d), GR_OK);
  ck_assert_ptr_eq(a.out, b.out);
  ck_assert_int_eq(gr_parse(g, "x # c", NULL, &b, &d), GR_EUSAGE);
  /* a comment does not join two lines into a product */
  ck_assert_int_eq(gr_parse(g, "x # c\ny", &po, &b, &d), GR_EUSAGE);
  ck_assert_msg(strstr(d.msg, "a new line starts a new expression"), "%s", d.msg);
  gr_graph_free(g);
}
END_TEST

START_TEST(test_shadow_constants) {
  static const char *const n[] = {"e", "pi"};
  static const double at[] = {1.5, 2};
  double v = 0, g[2] = {0, 0};
  ck_assert_int_eq(tu_eval("e^2 + pi", n, at, 2, &v, g, NULL), GR_OK);
  tu_assert_close(v, 4.25, 0, 0);
  tu_assert_close(g[0], 3, 0, 0);
  tu_assert_close(g[1], 1, 0, 0);
  /* without it, e is Euler's number and not a variable */
  GrGraph *gg = gr_graph_new();
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(gg, "e^x", NULL, &p, &d), GR_OK);
  ck_assert_int_eq(gg->nvars, 1);
  ck_assert_str_eq(gg->vars[0], "x");
  gr_graph_free(gg);
}
END_TEST

/* x(y+1) is a call when x names a function (built-in or defined), a product otherwise */
START_TEST(test_call_or_product) {
  double v = 0;
  static const char *const n[] = {"y"};
  static const double at[] = {2};
  ck_assert_int_eq(tu_eval("f(t) = t^2; f(y+1)", n, at, 1, &v, NULL, NULL), GR_OK);
  tu_assert_close(v, 9, 0, 0);
  ck_assert_int_eq(tu_eval("exp(y+1)", n, at, 1, &v, NULL, NULL), GR_OK);
  tu_assert_close(v, exp(3), 0, 0);
  /* x not listed as a variable and far from any function name: still a product */
  GrGraph *g = gr_graph_new();
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, "x(y+1)", NULL, &p, &d), GR_OK);
  ck_assert_int_eq(p.out->op, GR_OP_MUL);
  gr_graph_free(g);
}
END_TEST

/* A parse that adds many nodes frees the hash-consing index (it is most of a large input's
 * memory besides the nodes); the next node interned rebuilds it, and hash-consing still
 * finds every node: parsing the same input again adds nothing and gives the same root. */
START_TEST(test_index_dropped_and_rebuilt) {
  char *s = malloc(70000 * 24), *w = s;
  w += sprintf(w, "k = x*y; ");
  for (int i = 1; i <= 70000; i++)
    w += sprintf(w, "%sx^%d/%d", i > 1 ? "+" : "", i, i);
  w += sprintf(w, "+[1, 2, 3]+y*[4, 5, 6]+k");
  GrGraph *g = gr_graph_new();
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, s, NULL, &p, &d), GR_OK);
  ck_assert_ptr_null(g->table);
  GrNode *root = p.out;
  size_t count = g->count;
  ck_assert_ptr_eq(gr_node(g, GR_OP_ADD, gr_var(g, "y"), gr_const(g, 2), NULL)->arg[0],
                   gr_var(g, "y"));
  ck_assert_ptr_nonnull(g->table);
  count = g->count;
  ck_assert_int_eq(gr_parse(g, s, NULL, &p, &d), GR_OK);
  ck_assert_ptr_eq(p.out, root);
  ck_assert_uint_eq(g->count, count);
  free(s);
  gr_graph_free(g);
}
END_TEST

/* A node built from an argument nothing uses yet is made without a lookup and indexed only
 * when a later lookup needs it: hash-consing must still find it then, through any depth of
 * such nodes, and never make a twin. Random DAGs over a few leaves, every node built twice
 * (the second time all its arguments are in use), then no two nodes may be equal. */
static int by_key(const void *pa, const void *pb) {
  const GrNode *a = *(GrNode *const *)pa, *b = *(GrNode *const *)pb;
  if (a->op != b->op)
    return a->op < b->op ? -1 : 1;
  for (int k = 0; k < a->nargs; k++)
    if (gr_arg(a, k) != gr_arg(b, k))
      return gr_arg(a, k)->id < gr_arg(b, k)->id ? -1 : 1;
  return 0;
}

START_TEST(test_deferred_index_finds_every_node) {
  GrGraph *g = gr_graph_new();
  GrNode *x = gr_var(g, "x"), *one = gr_const(g, 1);
  GrNode *a = gr_node(g, GR_OP_ADD, x, one, NULL); /* x had no user: a is not indexed yet */
  GrNode *m = gr_node(g, GR_OP_MUL, a, a, NULL), *s = gr_node(g, GR_OP_SIN, m, NULL, NULL);
  ck_assert_uint_le(g->indexed, a->id);
  size_t count = g->count;
  GrNode *a2 = gr_node(g, GR_OP_ADD, x, one, NULL);
  ck_assert_ptr_eq(a2, a);
  ck_assert_ptr_eq(gr_node(g, GR_OP_MUL, a2, a2, NULL), m);
  ck_assert_ptr_eq(gr_node(g, GR_OP_SIN, m, NULL, NULL), s);
  ck_assert_uint_eq(g->count, count);
  gr_graph_free(g);

  static const int ops[] = {GR_OP_ADD, GR_OP_SUB, GR_OP_MUL, GR_OP_SIN};
  unsigned seed = 12345;
  for (int round = 0; round < 2; round++) {
    g = gr_graph_new();
    enum { N = 6000 };
    GrNode **pool = malloc(N * sizeof *pool);
    int n = 0;
    pool[n++] = gr_var(g, "x");
    pool[n++] = gr_var(g, "y");
    pool[n++] = gr_const(g, 2);
    while (n < N) {
      seed = seed * 1103515245u + 12345u;
      int op = ops[(seed >> 16) % 4];
      /* arguments mostly recent (often unused), sometimes old */
      seed = seed * 1103515245u + 12345u;
      int i = (seed >> 16) % 3 ? n - 1 - (int)((seed >> 20) % 3) : (int)((seed >> 16) % (unsigned)n);
      seed = seed * 1103515245u + 12345u;
      int j = (seed >> 16) % 2 ? n - 1 - (int)((seed >> 20) % 4) : (int)((seed >> 16) % (unsigned)n);
      i = i < 0 ? 0 : i;
      j = j < 0 ? 0 : j;
      GrNode *y = gr_node(g, op, pool[i], pool[j], NULL);
      if (round && n % 500 == 0)
        gr_graph_drop_index(g); /* the rebuilt index must hold the unindexed nodes too */
      ck_assert_ptr_eq(gr_node(g, op, pool[i], pool[j], NULL), y);
      pool[n++] = y;
    }
    GrNode **v = malloc(g->count * sizeof *v);
    size_t k = 0;
    for (size_t id = 0; id < g->count; id++)
      if (gr_graph_node(g, id)->nargs > 0)
        v[k++] = gr_graph_node(g, id);
    qsort(v, k, sizeof *v, by_key);
    for (size_t q = 1; q < k; q++)
      ck_assert_int_ne(by_key(&v[q - 1], &v[q]), 0);
    free(v);
    free(pool);
    gr_graph_free(g);
  }
}
END_TEST

/* Whole-number constants are found by value (GrGraph's ints), the others through the index:
 * one node per value either way, also for a number first made while out of the by-value
 * range, and after the index is dropped. */
START_TEST(test_whole_number_constants_unique) {
  GrGraph *g = gr_graph_new();
  GrNode *big = gr_const(g, 5000), *huge = gr_const(g, 1e12), *half = gr_const(g, 2.5);
  GrNode *zero = gr_const(g, 0.0), *mzero = gr_const(g, -0.0);
  ck_assert_ptr_ne(zero, mzero);
  GrNode *c[3000];
  GrNode *acc = gr_var(g, "x");
  for (int i = 0; i < 3000; i++) {
    c[i] = gr_const(g, i);
    acc = gr_node(g, GR_OP_ADD, acc, c[i], NULL);
  }
  size_t count = g->count;
  ck_assert_ptr_eq(gr_const(g, 5000), big); /* now in the by-value range */
  ck_assert_ptr_eq(gr_const(g, 1e12), huge);
  ck_assert_ptr_eq(gr_const(g, 2.5), half);
  ck_assert_ptr_eq(gr_const(g, 0.0), zero);
  ck_assert_ptr_eq(gr_const(g, -0.0), mzero);
  for (int i = 0; i < 3000; i++)
    ck_assert_ptr_eq(gr_const(g, i), c[i]);
  ck_assert_uint_eq(g->count, count);
  GrNode *n4999 = gr_const(g, 4999);
  ck_assert_ptr_eq(gr_const(g, 4999.0), n4999);
  gr_graph_drop_index(g);
  ck_assert_ptr_eq(gr_const(g, 17), c[17]);
  ck_assert_ptr_eq(gr_const(g, 5000), big);
  ck_assert_ptr_eq(gr_const(g, 4999), n4999);
  GrNode *n6000 = gr_const(g, 6000);
  ck_assert_ptr_eq(gr_const(g, 6000), n6000);
  ck_assert_uint_eq(g->count, count + 2);
  gr_graph_free(g);
}
END_TEST

/* After a large parse into a caller's environment its hash index is freed and its array
 * trimmed: the definitions are still found (the latest of a name), by gr_env_find and by the
 * next parse, which rebuilds the index, and more definitions can follow. */
START_TEST(test_env_compacted_after_large_parse) {
  size_t n = 70000;
  char *s = malloc(n * 40), *w = s;
  w += sprintf(w, "a0 = x; b = 7");
  for (size_t i = 1; i < n; i++)
    w += sprintf(w, "; a%zu = a%zu*a%zu + x", i, i - 1, i - 1);
  sprintf(w, "; b = 2*b; a%zu", n - 1);
  GrGraph *g = gr_graph_new();
  GrEnv env = {0};
  static const char *const xn[] = {"x", NULL};
  GrParseOpts o = {xn, &env, 0};
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, s, &o, &p, &d), GR_OK);
  ck_assert_ptr_null(env.hidx);
  ck_assert_int_eq(env.cap, env.n);
  const GrBinding *b = gr_env_find(&env, "b");
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(b->body->op, GR_OP_LET);
  ck_assert_int_eq(b->body->arg[0]->op, GR_OP_MUL); /* the latest b: 2*b */
  GrNode *bbody = b->body; /* (the bindings may move when more are added) */
  ck_assert_ptr_eq(gr_env_find(&env, "a5")->body, gr_env_find(&env, "a6")->body->arg[0]->arg[0]->arg[0]);
  ck_assert_ptr_null(gr_env_find(&env, "a70000"));
  /* the next parse sees every definition and adds more */
  ck_assert_int_eq(gr_parse(g, "c = a3 + b; c - a3", &o, &p, &d), GR_OK);
  ck_assert_ptr_nonnull(env.hidx);
  ck_assert_ptr_eq(gr_arg(p.out, 1), gr_env_find(&env, "a3")->body);
  ck_assert_ptr_nonnull(gr_env_find(&env, "c"));
  ck_assert_ptr_nonnull(gr_env_find(&env, "a69999"));
  ck_assert_ptr_eq(gr_env_find(&env, "b")->body, bbody);
  free(s);
  gr_env_free(&env);
  gr_graph_free(g);
}
END_TEST

/* Fields that share storage in a node: a name (over arg[1]) and a LET's argument, a
 * constant's value, elements and length and a variable's index (over the arguments); an
 * operation's unused arguments are null whatever gr_node was given; if()'s three arguments
 * (the second and third in a pair of their own) are what it was given, and interned by all
 * three. */
START_TEST(test_node_shared_fields) {
  GrGraph *g = gr_graph_new();
  GrNode *x = gr_var(g, "x"), *c = gr_const(g, 2.5);
  double v[3] = {1, 2, 3};
  GrNode *cv = gr_const_vec(g, v, 3);
  GrNode *l = gr_let(g, "u", gr_node(g, GR_OP_MUL, x, c, NULL));
  ck_assert_str_eq(x->name, "x");
  ck_assert_int_eq(x->var, 0);
  ck_assert(c->num == 2.5);
  ck_assert(cv->vec[2] == 3 && cv->vlen == 3);
  ck_assert_str_eq(l->name, "u");
  ck_assert_int_eq(gr_var(g, "y")->var, 1);
  ck_assert_int_eq(gr_param(g, 2, "p")->var, -3);
  ck_assert_int_eq(l->arg[0]->op, GR_OP_MUL);
  ck_assert_ptr_eq(gr_arg(l->arg[0], 1), c);
  ck_assert_ptr_ne(gr_let(g, "w", l->arg[0]), l);
  ck_assert_ptr_eq(gr_let(g, "u", l->arg[0]), l);
  GrNode *s = gr_node(g, GR_OP_SIN, x, c, x);
  ck_assert_ptr_null(s->arg[1]);
  ck_assert_ptr_eq(gr_node(g, GR_OP_SIN, x, NULL, NULL), s);
  ck_assert_ptr_eq(gr_arg(gr_node(g, GR_OP_ADD, x, c, s), 1), c);
  GrNode *f = gr_node(g, GR_OP_IF, x, s, c), *f2 = gr_node(g, GR_OP_IF, x, s, l);
  ck_assert_uint_eq(f->nargs, 3);
  ck_assert(f->arg[0] == x && gr_arg(f, 1) == s && gr_arg(f, 2) == c);
  ck_assert(f2->arg[0] == x && gr_arg(f2, 1) == s && gr_arg(f2, 2) == l);
  ck_assert_ptr_ne(f2, f);
  ck_assert_ptr_eq(gr_node(g, GR_OP_IF, x, s, c), f);
  ck_assert_ptr_eq(gr_node(g, GR_OP_IF, x, s, l), f2);
  ck_assert_ptr_ne(gr_node(g, GR_OP_IF, x, c, s), f);
  ck_assert_uint_eq(sizeof(void *) != 8 || sizeof(GrNode) == 32, 1);
  gr_graph_free(g);
}
END_TEST

/* Nodes live in chunks that double in size, found by id without an id -> node array:
 * every node is where gr_graph_node says, across the chunk boundaries, and never moves
 * while the graph grows. */
START_TEST(test_node_chunks) {
  GrGraph *g = gr_graph_new();
  enum { N = 70000 };
  GrNode **at = malloc(N * sizeof *at);
  for (size_t i = 0; i < N; i++) {
    at[i] = gr_const(g, (double)i + 0.5);
    ck_assert_uint_eq(at[i]->id, i);
    ck_assert_ptr_eq(gr_graph_node(g, i), at[i]);
  }
  ck_assert_uint_eq(g->count, N);
  for (size_t i = 0; i < N; i++) {
    ck_assert_ptr_eq(gr_graph_node(g, i), at[i]);
    ck_assert(at[i]->id == i && at[i]->num == (double)i + 0.5);
  }
  /* interning finds the same nodes again, the index dropped or not */
  ck_assert_ptr_eq(gr_const(g, 255.5), at[255]);
  gr_graph_drop_index(g);
  ck_assert_ptr_eq(gr_const(g, 256.5), at[256]);
  ck_assert_ptr_eq(gr_const(g, 65279.5), at[65279]);
  ck_assert_uint_eq(g->count, N);
  free(at);
  gr_graph_free(g);
}
END_TEST

/* The "did you mean" search (edit distances against every function name) runs only for a
 * name before '(' that is neither a variable nor defined, once per parse for a name
 * repeated, and never for an implicit product of a variable: it is no cost per term of a
 * large expression. */
START_TEST(test_suggest_only_when_needed) {
  static const char *const vars[] = {"x", "y", "a", NULL};
  GrParseOpts po = {vars, NULL, 0};
  char *s = malloc(20000 * 12), *w = s;
  for (int i = 0; i < 20000; i++)
    w += sprintf(w, "%sa (x+%d)", i ? "+" : "", i % 10);
  GrGraph *g = gr_graph_new();
  GrParsed p;
  GrDiag d;
  size_t before = gr_parse_suggest_count;
  ck_assert_int_eq(gr_parse(g, s, &po, &p, &d), GR_OK);
  ck_assert_uint_eq(gr_parse_suggest_count, before);
  /* b is not a variable: one search, not 20000 */
  for (w = s; *w; w++)
    if (*w == 'a')
      *w = 'b';
  ck_assert_int_eq(gr_parse(g, s, &po, &p, &d), GR_OK);
  ck_assert_uint_eq(gr_parse_suggest_count, before + 1);
  ck_assert_int_eq(p.out->op, GR_OP_ADD);
  /* a misspelt function is still caught, with its suggestion */
  ck_assert_int_eq(gr_parse(g, "x + sinn(y)", &po, &p, &d), GR_EUSAGE);
  ck_assert_ptr_nonnull(strstr(d.msg, "did you mean 'sin'"));
  free(s);
  gr_graph_free(g);
}
END_TEST

/* --- errors: status, message and span (the caret) --- */
static const struct {
  const char *src;
  const char *msg; /* a substring of the message */
  size_t off, len;
} errors[] = {
    {"x*(y+1", "expected ')' to close '(' at column 3, found end of input", 6, 0},
    {"sin(x", "expected ')' to close '(' at column 4", 5, 0},
    {"x+", "unexpected end of input", 2, 1},
    {")x(", "unexpected ')'", 0, 1},
    {"x)", "unmatched ')'", 1, 1},
    {"[1, 2]]", "unmatched ']'", 6, 1},
    {"sqr(x)", "unknown function 'sqr' (did you mean 'sqrt'?)", 0, 3},
    {"1 + exq(x)", "unknown function 'exq' (did you mean 'exp'?)", 4, 3},
    {"2*sinn(x)", "did you mean 'sin", 2, 4},
    {"sin x", "function 'sin' needs its arguments in parentheses", 0, 3},
    {"2^^3", "unexpected '^'", 2, 1},
    {"x @ y", "unexpected character '@'", 2, 1},
    {"x\x01", "unexpected character '\\x01'", 1, 1},
    {"x\xc2\xb2", "unexpected character '\xc2\xb2': use x^2 for a power", 1, 2},
    {"|x|", "unexpected character '|': use abs(x) for |x|", 0, 1},
    {"x!", "there is no factorial operator; use gamma(x+1) for x!", 1, 1},
    {"2e", "'2e' is not a number: write 2*e or 2e0", 0, 2},
    {"2.5E+x", "'2.5E' is not a number: write 2.5*e or 2.5E0", 0, 4},
    {"x+1\ny+1", "a new line starts a new expression", 4, 1},
    {"x # no comments in an argument", "unexpected character '#'", 2, 1},
    {"sin(x, y)", "function 'sin' takes 1 argument, got 2", 0, 3},
    {"atan2(x)", "function 'atan2' takes 2 arguments, got 1", 0, 5},
    {"min(1, 2, 3)", "function 'min' takes 1 or 2 arguments, got 3", 0, 3},
    {"if(x, 1)", "function 'if' takes 3 arguments, got 2", 0, 2},
    {"[1, x]", "vector literal holds numbers", 4, 1},
    {"[1, 2", "expected ']' to close '[' at column 1", 5, 0},
    {"", "empty expression", 0, 1},
    {"   ", "empty expression", 3, 1},
    {";", "unexpected ';'", 0, 1},
    {"()", "unexpected ')'", 1, 1},
    {"2 +* 3", "unexpected '*'", 3, 1},
    {"x = 3 = 4", "unexpected '='", 6, 1},
    {"x,y", "unexpected ','", 1, 1},
    {"1e+", "'1e' is not a number: write 1*e or 1e0", 0, 2},
    {"1..2", "malformed number '1..2'", 0, 4},
    {"1.2.3", "malformed number '1.2.3'", 0, 5},
    {"f(t) = t; f(1, 2)", "function 'f' takes 1 argument, got 2", 10, 1},
    {"f(t) = t; f", "function 'f' needs its arguments in parentheses", 10, 1},
    {"sin = 3; sin", "cannot redefine the built-in function 'sin'", 0, 3},
    {"exp(t) = t; 1", "cannot redefine the built-in function 'exp'", 0, 3},
    {"g(a,b,c,d,e,f,h,i,j) = a; 1", "a function takes at most 8 parameters", 18, 1},
    {"g(a,a) = a; 1", "parameter 'a' appears twice", 4, 1},
    {"g(a,) = a; 1", "expected a parameter name before ')'", 4, 1},
    {"x;\n  (y", "expected ')' to close '(' at line 2, column 3", 7, 0},
    /* one comparison per operand: the caret is on the second operator */
    {"x<y<2", "comparisons do not chain; write x<y && y<2", 3, 1},
    {"x < y <= 2", "comparisons do not chain; write x < y && y <= 2", 6, 2},
    {"1 == x != y", "write 1 == x && x != y", 7, 2},
    {"sin(x)>=y+1>2*x", "write sin(x)>=y+1 && y+1>2*x", 11, 1},
    {"x<y<", "comparisons do not chain; write a<b && b<c, not a<b<c", 3, 1},
    {"x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x<x",
     "comparisons do not chain; write x<x && x<x", 3, 1},
    {"x+x+x+x+x+x+x+x+x+x < y+y+y+y+y+y+y+y+y+y+y < x+x+x+x+x+x+x+x+x+x+x+x",
     "comparisons do not chain; write a<b && b<c", 44, 1},
};

START_TEST(test_errors) {
  GrDiag d;
  memset(&d, 0, sizeof d);
  GrStatus st = tu_parse_status(errors[_i].src, NULL, &d);
  ck_assert_msg(st == GR_EUSAGE, "'%s' parsed (status %d)", errors[_i].src, st);
  ck_assert_int_eq(d.status, GR_EUSAGE);
  ck_assert_msg(strstr(d.msg, errors[_i].msg), "'%s': message '%s' lacks '%s'", errors[_i].src,
                d.msg, errors[_i].msg);
  ck_assert_msg(d.has_span, "'%s': no span", errors[_i].src);
  ck_assert_msg(d.off == errors[_i].off && d.len == errors[_i].len,
                "'%s': span %zu+%zu, expected %zu+%zu", errors[_i].src, d.off, d.len,
                errors[_i].off, errors[_i].len);
}
END_TEST

/* a definition that computes nothing has no span but is an error */
START_TEST(test_error_only_definition) {
  GrDiag d;
  ck_assert_int_eq(tu_parse_status("f(x) = x^2", NULL, &d), GR_EUSAGE);
  ck_assert_ptr_nonnull(strstr(d.msg, "computes nothing"));
}
END_TEST

/* names and numbers that do not fit the lexer's buffers are errors, not overflows */
START_TEST(test_long_tokens) {
  char *s = malloc(5001);
  memset(s, 'a', 5000);
  s[5000] = 0;
  GrDiag d;
  ck_assert_int_eq(tu_parse_status(s, NULL, &d), GR_EUSAGE);
  ck_assert_ptr_nonnull(strstr(d.msg, "name too long"));
  ck_assert_uint_eq(d.off, 0);
  memset(s, '7', 5000);
  ck_assert_int_eq(tu_parse_status(s, NULL, &d), GR_EUSAGE);
  ck_assert_ptr_nonnull(strstr(d.msg, "number too long"));
  /* 127 characters is the longest name */
  s[0] = 'a';
  memset(s, 'b', 127);
  s[127] = 0;
  double v = 0;
  const char *const nm[] = {s};
  const double one = 1;
  ck_assert_int_eq(tu_eval(s, nm, &one, 1, &v, NULL, NULL), GR_OK);
  free(s);
}
END_TEST

/* the rendered diagnostic: message, source line, caret under the column */
START_TEST(test_render_caret) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  GrDiag d;
  ck_assert_int_eq(tu_parse_status("x*(y+1", NULL, &d), GR_EUSAGE);
  gr_diag_render(f, "grad", &d, "x*(y+1");
  ck_assert_int_eq(tu_parse_status("1 + sqr(x)", NULL, &d), GR_EUSAGE);
  gr_diag_render(f, "grad", &d, "1 + sqr(x)");
  fclose(f);
  ck_assert_str_eq(buf, "grad: error: expected ')' to close '(' at column 3, found end of input\n"
                        "  x*(y+1\n"
                        "        ^\n"
                        "grad: error: unknown function 'sqr' (did you mean 'sqrt'?)\n"
                        "  1 + sqr(x)\n"
                        "      ^~~\n");
  free(buf);
}
END_TEST

/* --- hash-consing: identical sub-expressions are one node --- */
START_TEST(test_hash_consing) {
  GrGraph *g = gr_graph_new();
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, "sin(x)*cos(x) + sin(x)*cos(x)", NULL, &p, &d), GR_OK);
  ck_assert_int_eq(p.out->op, GR_OP_ADD);
  ck_assert_ptr_eq(p.out->arg[0], gr_arg(p.out, 1));
  ck_assert_uint_eq(gr_count_ops(g, p.out), 4); /* sin, cos, *, + */
  GrNode *x = gr_var(g, "x"), *y = gr_var(g, "y");
  ck_assert_ptr_eq(x, gr_var(g, "x"));
  ck_assert_ptr_eq(gr_node(g, GR_OP_ADD, x, y, NULL), gr_node(g, GR_OP_ADD, x, y, NULL));
  ck_assert_ptr_ne(gr_node(g, GR_OP_ADD, x, y, NULL), gr_node(g, GR_OP_ADD, y, x, NULL));
  ck_assert_ptr_eq(gr_const(g, 2.5), gr_const(g, 2.5));
  ck_assert_ptr_ne(gr_const(g, 1), gr_const(g, 2));
  /* constants fold; a non-finite result is not folded (the diagnostic can point at it) */
  GrNode *six = gr_node(g, GR_OP_MUL, gr_const(g, 2), gr_const(g, 3), NULL);
  ck_assert(gr_is_num(six, 6));
  GrNode *inf = gr_node(g, GR_OP_DIV, gr_const(g, 1), gr_const(g, 0), NULL);
  ck_assert_int_eq(inf->op, GR_OP_DIV);
  /* a named intermediate stays distinct from an unnamed copy of its value */
  GrParsed q;
  ck_assert_int_eq(gr_parse(g, "u = x*x; u + x*x", NULL, &q, &d), GR_OK);
  ck_assert_int_eq(q.out->arg[0]->op, GR_OP_LET);
  ck_assert_ptr_eq(q.out->arg[0]->arg[0], gr_arg(q.out, 1));
  /* nodes come in topological order: arguments have smaller ids */
  for (size_t i = 0; i < g->count; i++)
    for (int k = 0; k < gr_graph_node(g, i)->nargs; k++)
      ck_assert_uint_lt(gr_arg(gr_graph_node(g, i), k)->id, gr_graph_node(g, i)->id);
  gr_graph_free(g);
}
END_TEST

/* two parses of the same text into one graph give the same node */
START_TEST(test_hash_consing_across_parses) {
  GrGraph *g = gr_graph_new();
  GrParsed p, q;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, "a^3 b^2/ln(c+1) + exp(a d)", NULL, &p, &d), GR_OK);
  size_t n = g->count;
  ck_assert_int_eq(gr_parse(g, "a^3*b^2/log(c+1) + exp(a*d)", NULL, &q, &d), GR_OK);
  ck_assert_ptr_eq(p.out, q.out);
  ck_assert_uint_eq(g->count, n);
  gr_graph_free(g);
}
END_TEST

/* --- statements --- */
START_TEST(test_statements) {
  GrGraph *g = gr_graph_new();
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, "x^2 = 4", NULL, &p, &d), GR_OK);
  ck_assert_int_eq(p.out->op, GR_OP_SUB);
  ck_assert_ptr_eq(p.out->arg[0], p.lhs);
  ck_assert_ptr_eq(gr_arg(p.out, 1), p.rhs);
  ck_assert_ptr_null(p.lhs_name);
  /* a built-in's name as the last statement: an equation, sin(x) - 0.5 */
  ck_assert_int_eq(gr_parse(g, "sin(x) = 0.5", NULL, &p, &d), GR_OK);
  ck_assert_int_eq(p.out->op, GR_OP_SUB);
  ck_assert_int_eq(p.lhs->op, GR_OP_SIN);
  ck_assert_ptr_eq(p.out->arg[0], p.lhs);
  ck_assert_ptr_eq(gr_arg(p.out, 1), p.rhs);
  ck_assert_int_eq(gr_parse(g, "y = A*x + B", NULL, &p, &d), GR_OK);
  ck_assert_str_eq(p.lhs_name, "y");
  ck_assert_int_eq(gr_var_index(g, "y"), -1); /* no variable was made for y */
  ck_assert_int_eq(p.out->op, GR_OP_LET);
  ck_assert_int_eq(gr_parse(g, "u = x*x; z = sin(u); z", NULL, &p, &d), GR_OK);
  ck_assert_int_eq(p.nstatements, 3);
  ck_assert_int_eq(gr_var_index(g, "u"), -1);
  gr_graph_free(g);
}
END_TEST

/* --- depth: never a stack overflow --- */
static char *repeat(const char *pre, const char *mid, const char *post, const char *sep,
                    size_t n) {
  size_t lp = strlen(pre), lm = strlen(mid), lq = strlen(post), ls = strlen(sep);
  char *s = malloc(n * (lp + lq + ls) + lm + 1), *w = s;
  for (size_t i = 0; i < n; i++, w += lp)
    memcpy(w, pre, lp);
  memcpy(w, mid, lm);
  w += lm;
  for (size_t i = 0; i < n; i++) {
    memcpy(w, sep, ls);
    w += ls;
    memcpy(w, post, lq);
    w += lq;
  }
  *w = 0;
  return s;
}

static const struct {
  const char *pre, *mid, *post, *sep;
  size_t n;
  int ok;             /* 1: must evaluate, 0: must fail cleanly */
  double val, dx;     /* at x = 1 when ok */
} deep[] = {
    {"(", "x", ")", "", 1000000, 0, 0, 0},
    {"(", "x", ")", "", 500, 1, 1, 1},
    {"sin(", "x", ")", "", 1000000, 0, 0, 0},
    {"-", "x", "", "", 1000000, 0, 0, 0},
    {"-", "x", "", "", 500, 1, 1, 1}, /* an even count of minus signs */
    {"", "x", "x", "^", 1000000, 0, 0, 0},
    {"2^-", "x", "", "", 1000000, 0, 0, 0},
    {"[", "1", "]", "", 1000000, 0, 0, 0},
    {"", "x", "x", "+", 999999, 1, 1000000, 1000000},
    {"", "x", "x", "*", 999999, 1, 1, 1000000},
    {"", "x", "x", " ", 999999, 1, 1, 1000000},
    {"", "x", "x", "-", 999999, 1, -999998, -999998},
    {"", "x", "1", "/", 999999, 1, 1, 1},
};

START_TEST(test_deep) {
  char *s = repeat(deep[_i].pre, deep[_i].mid, deep[_i].post, deep[_i].sep, deep[_i].n);
  static const char *const xn[] = {"x"};
  const double one = 1;
  double v = 0, g = 0;
  GrDiag d;
  GrStatus st = tu_eval(s, xn, &one, 1, &v, &g, &d);
  if (deep[_i].ok) {
    ck_assert_msg(st == GR_OK, "case %d: %s", _i, d.msg);
    tu_assert_close(v, deep[_i].val, 0, 0);
    tu_assert_close(g, deep[_i].dx, 0, 0);
  } else {
    ck_assert_int_eq(st, GR_EUSAGE);
    ck_assert_ptr_nonnull(strstr(d.msg, "nested too deeply"));
    ck_assert(d.has_span && d.off < strlen(s));
  }
  free(s);
}
END_TEST

/* With a small stack the parse stops before it is used up, with the same clean error:
 * the depth bound is measured, not assumed from frame sizes (which sanitizers multiply) */
START_TEST(test_deep_small_stack) {
  struct rlimit old, r;
  ck_assert_int_eq(getrlimit(RLIMIT_STACK, &old), 0);
  r = old;
  r.rlim_cur = 256 * 1024;
  ck_assert_int_eq(setrlimit(RLIMIT_STACK, &r), 0);
  static const char *const forms[][3] = {
      {"(", "x", ")"}, {"sin(", "x", ")"}, {"f(", "x", ")"}, {"[", "1", "]"}, {"-(", "x", ")"}};
  for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
    char *body = repeat(forms[i][0], forms[i][1], forms[i][2], "", 990);
    char *s = malloc(strlen(body) + 32);
    sprintf(s, "f(a) = a; %s", body);
    GrDiag d;
    GrStatus st = tu_parse_status(s, NULL, &d);
    ck_assert_msg(st == GR_EUSAGE, "form %zu parsed with a 256 KiB stack", i);
    ck_assert_ptr_nonnull(strstr(d.msg, "nested too deeply"));
    ck_assert_ptr_nonnull(strstr(d.msg, "fill the stack"));
    free(s);
    free(body);
  }
  ck_assert_int_eq(setrlimit(RLIMIT_STACK, &old), 0);
  /* with the usual stack the same depth parses */
  char *s = repeat("(", "x", ")", "", 990);
  GrDiag d;
  if (old.rlim_cur == RLIM_INFINITY || old.rlim_cur >= 8 * 1024 * 1024)
    ck_assert_int_eq(tu_parse_status(s, NULL, &d), GR_OK);
  free(s);
}
END_TEST

/* a long program of statements parses in linear time (name lookups are hashed) */
START_TEST(test_many_statements) {
  size_t n = 300000;
  char *s = malloc(n * 40), *w = s;
  w += sprintf(w, "a0 = x");
  for (size_t i = 1; i < n; i++)
    w += sprintf(w, "; a%zu = a%zu + x", i, i - 1);
  sprintf(w, "; a%zu", n - 1);
  static const char *const xn[] = {"x"};
  const double one = 1;
  double v = 0, g = 0;
  GrDiag d;
  ck_assert_int_eq(tu_eval(s, xn, &one, 1, &v, &g, &d), GR_OK);
  tu_assert_close(v, (double)n, 0, 0);
  tu_assert_close(g, (double)n, 0, 0);
  free(s);
}
END_TEST

/* What one parse builds is bounded: past max_nodes new nodes and definitions it stops with
 * an error that names the limit and points into the text, whatever the text is made of
 * (distinct terms, definitions that make no node, calls expanding a body) */
START_TEST(test_max_nodes) {
  static const struct {
    const char *pre, *mid, *post, *sep;
    size_t n;
  } big[] = {
      {"", "x", "x", "+", 3000},          /* 2 nodes a term */
      {"", "a=x", "a=x", ";", 3000},      /* definitions of one node */
      {"f(t) = t*t*t*t*t*t*t*t*t; f(x", "", ")", "+1", 1}, /* a call */
  };
  for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
    char *s = repeat(big[i].pre, big[i].mid, big[i].post, big[i].sep, big[i].n);
    for (int lim = 0; lim < 2; lim++) {
      GrGraph *g = gr_graph_new();
      gr_const(g, 1); /* nodes from before the parse do not count */
      size_t before = g->count;
      g->max_nodes = lim ? 10 : 100000;
      GrParsed p;
      GrDiag d;
      GrStatus st = gr_parse(g, s, NULL, &p, &d);
      if (!lim) {
        ck_assert_msg(st == GR_OK, "case %zu: %s", i, d.msg);
      } else {
        ck_assert_int_eq(st, GR_EUSAGE);
        ck_assert_ptr_nonnull(strstr(d.msg, "expression too large: more than 10 nodes"));
        ck_assert_ptr_nonnull(strstr(d.msg, "GRAD_MAX_NODES"));
        ck_assert(d.has_span && d.off <= strlen(s));
        /* it stopped soon after the limit, not at the end of the text */
        ck_assert_uint_le(g->count - before, 40);
      }
      gr_graph_free(g);
    }
    free(s);
  }
}
END_TEST

/* A call substitutes into its function's body only: the work of n calls is n times the
 * size of the body, however large the graph has grown (it was once the size of the whole
 * graph per call, quadratic in the length of the input). */
static char *calls_program(const char *def, const char *call, size_t n) {
  char *s = malloc(strlen(def) + n * (strlen(call) + 24) + 1), *w = s;
  w += sprintf(w, "%s", def);
  for (size_t i = 0; i < n; i++) {
    w += sprintf(w, "%s", i ? " + " : "");
    w += sprintf(w, call, (int)i);
  }
  return s;
}

START_TEST(test_call_cost_linear) {
  static const char *const xn[] = {"x"};
  size_t visits[2] = {0, 0}, sizes[2] = {1000, 4000};
  for (int r = 0; r < 2; r++) {
    char *s = calls_program("f(a) = a*a + 1; ", "f(x + %d)", sizes[r]);
    GrGraph *g = gr_graph_new();
    GrParsed p;
    GrDiag d;
    GrParseOpts po = {xn, NULL, 0};
    ck_assert_int_eq(gr_parse(g, s, &po, &p, &d), GR_OK);
    visits[r] = g->subst_visits;
    /* the body a*a + 1 has 4 nodes (a, a*a, 1, a*a + 1) */
    ck_assert_uint_eq(visits[r], 4 * sizes[r]);
    gr_graph_free(g);
    free(s);
  }
  ck_assert_uint_eq(visits[1], 4 * visits[0]);
}
END_TEST

/* calls substitute correctly through nested definitions, named intermediates and a
 * parameter used several times: the same value and derivative as the text written out */
START_TEST(test_call_substitution) {
  static const char *const xn[] = {"x"};
  const double at = 0.7;
  static const struct {
    const char *call, *expanded;
  } c[] = {
      {"f(a) = a^2; g(b) = f(b + 1)*b; g(x) + g(2x)", "(x + 1)^2*x + (2x + 1)^2*(2x)"},
      {"u = sin(x); f(a) = u*a + a; f(x) + f(3)", "sin(x)*x + x + sin(x)*3 + 3"},
      {"h(a, b) = a - b/a; h(x, x^2) + h(2, x)", "x - x^2/x + 2 - x/2"},
      {"k(a) = a; k(k(k(x)))*k(3)", "3x"},
      {"f(a) = 1 + 0*a; f(x)", "1 + 0*x"},
  };
  for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
    double v1 = 0, d1 = 0, v2 = 0, d2 = 0;
    GrDiag d;
    ck_assert_int_eq(tu_eval(c[i].call, xn, &at, 1, &v1, &d1, &d), GR_OK);
    ck_assert_int_eq(tu_eval(c[i].expanded, xn, &at, 1, &v2, &d2, &d), GR_OK);
    tu_assert_close(v1, v2, 1e-15, 1e-15);
    tu_assert_close(d1, d2, 1e-15, 1e-15);
  }
}
END_TEST

/* definitions live on in a caller's environment (the interactive session), and a later
 * definition of a name replaces the earlier one for what follows */
START_TEST(test_env) {
  GrEnv env = {0};
  GrGraph *g = gr_graph_new();
  GrParseOpts po = {NULL, &env, 0};
  GrParsed p;
  GrDiag d;
  ck_assert_int_eq(gr_parse(g, "f(t) = t + 1; u = 10; 0", &po, &p, &d), GR_OK);
  ck_assert_ptr_nonnull(gr_env_find(&env, "f"));
  ck_assert_int_eq(gr_env_find(&env, "f")->arity, 1);
  ck_assert_int_eq(gr_env_find(&env, "u")->arity, -1);
  ck_assert_ptr_null(gr_env_find(&env, "t"));
  for (int i = 0; i < 200; i++) { /* enough to grow the index */
    char buf[64];
    snprintf(buf, sizeof buf, "v%d = %d; f(t) = t + %d; 0", i, i, i + 2);
    ck_assert_int_eq(gr_parse(g, buf, &po, &p, &d), GR_OK);
  }
  ck_assert_int_eq(gr_parse(g, "f(u) + v7", &po, &p, &d), GR_OK);
  GrTape *t;
  ck_assert_int_eq(gr_tape_compile(g, &p.out, 1, NULL, &t, &d), GR_OK);
  gr_tape_forward(t);
  tu_assert_close(gr_tape_out(t, 0)[0], 10 + 201 + 7, 0, 0);
  gr_tape_free(t);
  gr_env_free(&env);
  ck_assert_ptr_null(gr_env_find(&env, "f"));
  gr_graph_free(g);
}
END_TEST

/* The grad program itself, reading the expression from stdin: the same answers and clean
 * errors (exit 2, a diagnostic, no crash). Skipped when GRAD is not set (make check sets it). */
static int run_grad(const char *input, char *out, size_t outsz, char *err, size_t errsz) {
  const char *grad = getenv("GRAD"), *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp)
    tmp = "/tmp";
  char in[512], o[512], e[512];
  snprintf(in, sizeof in, "%s/gr-check-inXXXXXX", tmp);
  snprintf(o, sizeof o, "%s/gr-check-outXXXXXX", tmp);
  snprintf(e, sizeof e, "%s/gr-check-errXXXXXX", tmp);
  int fi = mkstemp(in), fo = mkstemp(o), fe = mkstemp(e);
  ck_assert(fi >= 0 && fo >= 0 && fe >= 0);
  size_t n = strlen(input);
  ck_assert_int_eq(write(fi, input, n), (ssize_t)n);
  close(fi);
  close(fo);
  close(fe);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "'%s' - --at x=1 <'%s' >'%s' 2>'%s'", grad, in, o, e);
  int rc = system(cmd);
  FILE *f = fopen(o, "r");
  size_t k = fread(out, 1, outsz - 1, f);
  out[k] = 0;
  fclose(f);
  f = fopen(e, "r");
  k = fread(err, 1, errsz - 1, f);
  err[k] = 0;
  fclose(f);
  unlink(in);
  unlink(o);
  unlink(e);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

START_TEST(test_deep_cli) {
  if (!getenv("GRAD"))
    return;
  char out[4096], err[4096];
  char *s = repeat("(", "x", ")", "", 1000000);
  ck_assert_int_eq(run_grad(s, out, sizeof out, err, sizeof err), 2);
  ck_assert_str_eq(out, "");
  ck_assert_ptr_nonnull(strstr(err, "grad: error: expression nested too deeply"));
  free(s);
  s = repeat("", "x", "x", "+", 999999);
  ck_assert_int_eq(run_grad(s, out, sizeof out, err, sizeof err), 0);
  ck_assert_str_eq(out, "f = 1000000\ndf/dx = 1000000\n");
  ck_assert_str_eq(err, "");
  free(s);
}
END_TEST

/* GRAD_MAX_NODES sets the bound of a parse; grad stops with exit 2 and a diagnostic past it,
 * and a value that is not a positive integer is an error, not a silent default */
START_TEST(test_max_nodes_env) {
  char *s = repeat("", "x", "x", "+", 5000);
  GrGraph *g = gr_graph_new();
  GrParsed p;
  GrDiag d;
  setenv("GRAD_MAX_NODES", "1000", 1);
  ck_assert_int_eq(gr_parse(g, s, NULL, &p, &d), GR_EUSAGE);
  ck_assert_ptr_nonnull(strstr(d.msg, "more than 1000 nodes"));
  setenv("GRAD_MAX_NODES", "20000", 1);
  ck_assert_int_eq(gr_parse(g, s, NULL, &p, &d), GR_OK);
  static const char *const bad[] = {"0", "-5", "abc", "12x", ""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    setenv("GRAD_MAX_NODES", bad[i], 1);
    ck_assert_int_eq(gr_parse(g, "x", NULL, &p, &d), GR_EUSAGE);
    ck_assert_ptr_nonnull(strstr(d.msg, "GRAD_MAX_NODES must be a positive integer"));
  }
  if (getenv("GRAD")) {
    char out[4096], err[4096];
    setenv("GRAD_MAX_NODES", "1000", 1);
    ck_assert_int_eq(run_grad(s, out, sizeof out, err, sizeof err), 2);
    ck_assert_str_eq(out, "");
    ck_assert_ptr_nonnull(strstr(err, "grad: error: expression too large: more than 1000 nodes"));
    setenv("GRAD_MAX_NODES", "20000", 1);
    ck_assert_int_eq(run_grad(s, out, sizeof out, err, sizeof err), 0);
    ck_assert_str_eq(out, "f = 5001\ndf/dx = 5001\n"); /* x + ... + x, 5001 terms */
  }
  unsetenv("GRAD_MAX_NODES");
  gr_graph_free(g);
  free(s);
}
END_TEST

/* Fuzz: random token soup and random bytes either parse (and then compile and evaluate)
 * or fail with GR_EUSAGE and a span inside the text. Under ASan this is a memory check of
 * every error path. */
START_TEST(test_fuzz) {
  static const char *const frag[] = {
      "x", "y", "e", "pi", "2", ".5", "1e-3", "2e", "3.", "(", ")", "[", "]", ",", ";", "=",
      "==", "+", "-", "*", "**", "/", "^", "!", "<", ">=", "&&", "||", " ", "sin", "max",
      "f", "f(t) = ", "if", "sum", "dot", "\n", "sqr", "u = ", "1..2", "\x7f", "@", "t"};
  static const char *const xy2[] = {"x", "y", NULL};
  unsigned long seed = 12345;
  char src[128];
  int parsed = 0;
  for (int it = 0; it < 30000; it++) {
    size_t n = 0;
    int len = 1 + (int)((seed >> 33) % 14);
    for (int k = 0; k < len; k++) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      const char *f;
      char raw[2] = {0, 0};
      if (it % 5 == 4) { /* raw bytes */
        raw[0] = (char)(1 + (seed >> 40) % 255);
        f = raw;
      } else
        f = frag[(seed >> 33) % (sizeof frag / sizeof *frag)];
      size_t fl = strlen(f);
      if (n + fl >= sizeof src)
        break;
      memcpy(src + n, f, fl);
      n += fl;
    }
    src[n] = 0;
    GrGraph *g = gr_graph_new();
    GrParseOpts po = {xy2, NULL, 0};
    GrParsed p;
    GrDiag d;
    memset(&d, 0, sizeof d);
    GrStatus st = gr_parse(g, src, &po, &p, &d);
    if (st == GR_OK) {
      GrTape *t;
      parsed++;
      if (gr_tape_compile(g, &p.out, 1, NULL, &t, &d) == GR_OK) {
        for (int v = 0; v < g->nvars; v++)
          if (gr_tape_var(t, v))
            *gr_tape_var(t, v) = 0.5 + v;
        gr_tape_forward(t);
        if (gr_tape_out_len(t, 0) == 1)
          gr_tape_reverse(t, 0, NULL);
        gr_tape_free(t);
      }
    } else {
      ck_assert_msg(st == GR_EUSAGE && d.status == GR_EUSAGE, "'%s': status %d", src, st);
      ck_assert_msg(d.msg[0], "'%s': empty message", src);
      if (d.has_span)
        ck_assert_msg(d.off <= n, "'%s': span at %zu past the end", src, d.off);
    }
    gr_graph_free(g);
  }
  ck_assert_int_gt(parsed, 1000); /* the soup is not all errors */
}
END_TEST

static Suite *parse_suite(void) {
  Suite *s = suite_create("parse");
  TCase *tc = tcase_create("conventions");
  tcase_add_loop_test(tc, test_values, 0, sizeof values / sizeof *values);
  tcase_add_loop_test(tc, test_grads, 0, sizeof grads / sizeof *grads);
  tcase_add_test(tc, test_comments);
  tcase_add_test(tc, test_shadow_constants);
  tcase_add_test(tc, test_call_or_product);
  tcase_add_test(tc, test_suggest_only_when_needed);
  tcase_add_test(tc, test_index_dropped_and_rebuilt);
  tcase_add_test(tc, test_deferred_index_finds_every_node);
  tcase_add_test(tc, test_whole_number_constants_unique);
  tcase_add_test(tc, test_env_compacted_after_large_parse);
  tcase_add_test(tc, test_node_shared_fields);
  tcase_add_test(tc, test_node_chunks);
  suite_add_tcase(s, tc);
  tc = tcase_create("errors");
  tcase_add_loop_test(tc, test_errors, 0, sizeof errors / sizeof *errors);
  tcase_add_test(tc, test_error_only_definition);
  tcase_add_test(tc, test_long_tokens);
  tcase_add_test(tc, test_render_caret);
  suite_add_tcase(s, tc);
  tc = tcase_create("fuzz");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_fuzz);
  suite_add_tcase(s, tc);
  tc = tcase_create("dag");
  tcase_add_test(tc, test_hash_consing);
  tcase_add_test(tc, test_hash_consing_across_parses);
  tcase_add_test(tc, test_statements);
  tcase_add_test(tc, test_env);
  tcase_add_test(tc, test_call_cost_linear);
  tcase_add_test(tc, test_max_nodes);
  tcase_add_test(tc, test_call_substitution);
  suite_add_tcase(s, tc);
  tc = tcase_create("depth");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_deep, 0, sizeof deep / sizeof *deep);
  tcase_add_test(tc, test_deep_cli);
  tcase_add_test(tc, test_deep_small_stack);
  tcase_add_test(tc, test_max_nodes_env);
  tcase_add_test(tc, test_many_statements);
  suite_add_tcase(s, tc);
  return s;
}

TU_MAIN(parse_suite)
