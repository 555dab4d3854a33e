/* SPDX-License-Identifier: GPL-3.0-or-later
 * Optimizer tests: every torch-style rule's first steps against published PyTorch values
 * (REFERENCE.md) or values from torch.optim itself, GSL methods on the GSL manual's example
 * and Rosenbrock, fits checked against closed forms and finite differences.
 */
#include "graph.h"
#include "minimize.h"
#include "optim.h"
#include "parse.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RTOL 1e-12

typedef struct Prob {
  GrGraph *g;
  GrProblem *p;
  GrObjective obj;
  int param[8];
  double value[8];
} Prob;

/* kind MIN: exprs[0]; EQ: every expression a residual. All variables are parameters. */
static void prob_make(Prob *pb, GrProbKind kind, const char *const *exprs, int n) {
  memset(pb, 0, sizeof *pb);
  pb->g = gr_graph_new();
  GrNode *outs[8];
  for (int i = 0; i < n; i++) {
    GrParsed ps;
    GrDiag d;
    ck_assert_int_eq(gr_parse(pb->g, exprs[i], NULL, &ps, &d), GR_OK);
    outs[i] = ps.out;
  }
  for (int v = 0; v < pb->g->nvars; v++)
    pb->param[v] = v;
  GrProblemSpec s = {pb->g, kind, outs, n, pb->g->nvars, pb->param, pb->value, NULL, NULL, 0, 0, 0};
  GrDiag d;
  ck_assert_int_eq(gr_problem_new(&s, &pb->p, &pb->obj, &d), GR_OK);
}

static void prob_free(Prob *pb) {
  gr_problem_free(pb->p);
  gr_graph_free(pb->g);
}

typedef struct Rec {
  double x[64][4];
  double f[64];
  long n;
  int nx; /* parameters: how many values x holds */
} Rec;

static int rec_cb(void *ud, long it, const double *x, double f, double gn) {
  (void)gn;
  Rec *r = ud;
  if (it < 64) {
    memcpy(r->x[it], x, (size_t)r->nx * sizeof *x);
    r->f[it] = f;
    r->n = it + 1;
  }
  return 0;
}

static void assert_rel(double got, double want, double rtol) {
  double tol = rtol * fmax(fabs(want), 1e-300);
  ck_assert_msg(fabs(got - want) <= tol, "got %.17g, want %.17g", got, want);
}

/* Run method m on a one-expression problem from x0 and compare x after each step. */
static void steps_check(const char *expr, GrMethod m, double lr, const double *x0, int nx,
                        const double *want, int nsteps, void (*tweak)(GrOptParams *)) {
  Prob pb;
  const char *e[] = {expr};
  prob_make(&pb, GR_PROB_MIN, e, 1);
  GrOptParams p;
  gr_opt_defaults(&p, m);
  if (!isnan(lr))
    p.lr = lr;
  p.steps = nsteps;
  if (tweak)
    tweak(&p);
  double x[4] = {0};
  memcpy(x, x0, (size_t)nx * sizeof *x);
  Rec r = {0};
  r.nx = nx;
  GrOptResult res;
  GrDiag d;
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, rec_cb, &r, &res, &d), GR_OK);
  ck_assert_int_eq(res.iter, nsteps);
  ck_assert_int_eq(res.stop, GR_STOP_STEPS);
  for (int k = 0; k < nsteps; k++)
    for (int j = 0; j < nx; j++)
      if (!isnan(want[k * nx + j])) /* NaN: not pinned */
        assert_rel(r.x[k + 1][j], want[k * nx + j], RTOL);
  prob_free(&pb);
}

static const double zero[] = {0, 0};

START_TEST(test_sgd_reference) {
  steps_check("(x-3)^2", GR_M_GD, 0.1, zero, 1, (double[]){0.6, 1.08, 1.464}, 3, NULL);
  steps_check("x^2+3x+2", GR_M_GD, 0.1, (double[]){3.6}, 1, (double[]){2.58, 1.764, 1.1112}, 3,
              NULL);
}
END_TEST

static void mom(GrOptParams *p) { p->momentum = 0.9; }
static void nest(GrOptParams *p) {
  p->momentum = 0.9;
  p->nesterov = 1;
}

START_TEST(test_sgd_momentum_nesterov_reference) {
  steps_check("(x-3)^2", GR_M_GD, 0.1, zero, 1, (double[]){0.6, 1.62, 2.814}, 3, mom);
  steps_check("(x-3)^2", GR_M_GD, 0.1, zero, 1, (double[]){1.14, 2.3328, 3.325056}, 3, nest);
}
END_TEST

START_TEST(test_adam_reference) {
  steps_check("(x-3)^2", GR_M_ADAM, 0.1, zero, 1,
              (double[]){0.099999999833333325, 0.19989729258521102, 0.29961847654925267,
                         0.39908646894421451, 0.49822054377271291},
              5, NULL);
  steps_check("x^2+3x+2", GR_M_ADAM, 0.1, (double[]){3.6}, 1,
              (double[]){3.5000000000980394, 3.4000565142671011, 3.3002086680396938}, 3, NULL);
}
END_TEST

START_TEST(test_nadam_reference) {
  steps_check("(x-3)^2", GR_M_NADAM, 0.1, zero, 1,
              (double[]){0.10564517765946355, 0.18275714043100344, 0.25412399789355278,
                         0.32476164252309819, 0.39620125057843902},
              5, NULL);
  /* PyTorch's default lr 2e-3 */
  steps_check("(x-3)^2", GR_M_NADAM, NAN, zero, 1,
              (double[]){0.0021129035531892706, 0.0036797831259797525, 0.0051435010853187633}, 3,
              NULL);
  steps_check("x^2+y^2", GR_M_NADAM, 0.01, (double[]){1, 1}, 2,
              (double[]){0.9894354822692687, 0.9894354822692687, 0.98163560866632704,
                         0.98163560866632704, 0.97436770217987367, 0.97436770217987367},
              3, NULL);
}
END_TEST

/* x+y=3, x-y=1 as a sum of squared residuals, 50 NAdam steps (REFERENCE.md) */
START_TEST(test_nadam_equations_reference) {
  Prob pb;
  const char *e[] = {"x+y-3", "x-y-1"};
  prob_make(&pb, GR_PROB_EQ, e, 2);
  GrOptParams p;
  gr_opt_defaults(&p, GR_M_NADAM);
  p.lr = 0.1;
  p.steps = 50;
  double x[2] = {0, 0};
  GrOptResult r;
  GrDiag d;
  Rec rec = {0};
  rec.nx = 2;
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, rec_cb, &rec, &r, &d), GR_OK);
  assert_rel(x[0], 2.051663762842979, RTOL);
  assert_rel(x[1], 0.9979915602376767, RTOL);
  /* the tutorial prints the loss computed before the 50th step */
  assert_rel(rec.f[49], 0.005532865769410615, 1e-11);
  prob_free(&pb);
}
END_TEST

/* First steps by hand from the PyTorch formulas: g = -6 at x = 0 for (x-3)^2. */
START_TEST(test_rmsprop_adagrad_adamw_first_step) {
  /* RMSprop: v = 0.01*36, x1 = 0.01*6/(sqrt(v) + 1e-8) */
  steps_check("(x-3)^2", GR_M_RMSPROP, NAN, zero, 1, (double[]){0.06 / (0.6 + 1e-8)}, 1, NULL);
  /* Adagrad: sum = 36, x1 = 0.01*6/(6 + 1e-10) */
  steps_check("(x-3)^2", GR_M_ADAGRAD, NAN, zero, 1, (double[]){0.06 / (6 + 1e-10)}, 1, NULL);
  /* AdamW from 1 (g = -4): decay by (1 - 1e-3*0.01), then a step of lr*4/(4 + 1e-8) */
  steps_check("(x-3)^2", GR_M_ADAMW, NAN, (double[]){1}, 1,
              (double[]){1 * (1 - 1e-3 * 0.01) + 1e-3 * 4 / (4 + 1e-8)}, 1, NULL);
}
END_TEST

/* Values printed by torch.optim (float64) for (x-3)^2+(x*y-1)^2 from (0.5,-1), 3 steps. */
START_TEST(test_rmsprop_adagrad_torch_values) {
  steps_check("(x-3)^2+(x*y-1)^2", GR_M_RMSPROP, 0.01, (double[]){0.5, -1}, 2,
              (double[]){NAN, NAN, NAN, NAN, 0.7311011859462619, -0.7560674845918629}, 3, NULL);
  steps_check("(x-3)^2+(x*y-1)^2", GR_M_ADAGRAD, 0.1, (double[]){0.5, -1}, 2,
              (double[]){NAN, NAN, NAN, NAN, 0.7306358259555147, -0.7564941898551115}, 3, NULL);
}
END_TEST

static void gsl_quad(GrMethod m, long max_iter, double tol) {
  Prob pb;
  const char *e[] = {"10(x-1)^2 + 20(y-2)^2 + 30"};
  prob_make(&pb, GR_PROB_MIN, e, 1);
  GrOptParams p;
  gr_opt_defaults(&p, m);
  double x[2] = {5, 7};
  GrOptResult r;
  GrDiag d;
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
  ck_assert_msg(r.iter <= max_iter, "%s took %ld iterations", gr_method_name(m), r.iter);
  ck_assert_msg(fabs(x[0] - 1) < tol && fabs(x[1] - 2) < tol, "%s: (%g, %g)", gr_method_name(m),
                x[0], x[1]);
  assert_rel(r.f, 30, 1e-12);
  prob_free(&pb);
}

START_TEST(test_gsl_manual_example) {
  gsl_quad(GR_M_BFGS, 3, 1e-8); /* the manual: vector_bfgs2 converges in 2 iterations */
  gsl_quad(GR_M_CGFR, 50, 1e-6);
  gsl_quad(GR_M_CGPR, 50, 1e-6);
  gsl_quad(GR_M_STEEPEST, 10000, 1e-4);
  gsl_quad(GR_M_NM, 2000, 1e-4);
}
END_TEST

START_TEST(test_rosenbrock) {
  Prob pb;
  const char *e[] = {"(1-x)^2 + 100(y-x^2)^2"};
  prob_make(&pb, GR_PROB_MIN, e, 1);
  GrMethod ms[] = {GR_M_BFGS, GR_M_CGPR, GR_M_NM};
  for (int i = 0; i < 3; i++) {
    GrOptParams p;
    gr_opt_defaults(&p, ms[i]);
    p.steps = 100000;
    double x[2] = {-1.2, 1};
    GrOptResult r;
    GrDiag d;
    ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
    ck_assert_msg(fabs(x[0] - 1) < 1e-4 && fabs(x[1] - 1) < 1e-4, "%s: (%g, %g)",
                  gr_method_name(ms[i]), x[0], x[1]);
  }
  prob_free(&pb);
  /* Levenberg-Marquardt on the residuals 10(y - x^2), 1 - x */
  const char *rs[] = {"10(y-x^2)", "1-x"};
  prob_make(&pb, GR_PROB_EQ, rs, 2);
  GrOptParams p;
  gr_opt_defaults(&p, GR_M_LM);
  double x[2] = {-1.2, 1};
  GrOptResult r;
  GrDiag d;
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
  ck_assert(fabs(x[0] - 1) < 1e-8 && fabs(x[1] - 1) < 1e-8);
  prob_free(&pb);
}
END_TEST

START_TEST(test_puzzle_rank) {
  Prob pb;
  const char *e[] = {"A+B-9", "C-D-1", "A+C-8", "B-D-2"};
  prob_make(&pb, GR_PROB_EQ, e, 4);
  double x[4] = {1, 2, 3, 4}, r[4], J[16];
  pb.obj.res(pb.obj.ctx, x, r, J);
  ck_assert_int_eq(gr_rank(J, 4, 4), 3);
  /* residuals by hand */
  ck_assert(r[0] == -6 && r[1] == -2 && r[2] == -4 && r[3] == -4);
  /* J row 0 = d(A+B-9)/d(A,B,C,D) */
  ck_assert(J[0] == 1 && J[1] == 1 && J[2] == 0 && J[3] == 0);
  prob_free(&pb);
}
END_TEST

/* NaN: log(x) with a step that leaves the domain stops with the last finite point. */
START_TEST(test_nonfinite_stops) {
  Prob pb;
  const char *e[] = {"log(x)"};
  prob_make(&pb, GR_PROB_MIN, e, 1);
  GrOptParams p;
  gr_opt_defaults(&p, GR_M_GD);
  p.lr = 10;
  p.steps = 10;
  double x[1] = {1};
  GrOptResult r;
  GrDiag d;
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
  ck_assert_int_eq(r.stop, GR_STOP_NONFINITE);
  ck_assert(isfinite(x[0]) && x[0] > 0);
  ck_assert_int_eq(r.bad_iter, r.iter + 1);
  prob_free(&pb);
}
END_TEST

/* A fit: y = A*x + B over data; the blocked gradient must not depend on the block size and
 * must match central differences; exact data fits with zero residual. */
static void fit_make(Prob *pb, GrData *dt, size_t block, int sse) {
  memset(pb, 0, sizeof *pb);
  pb->g = gr_graph_new();
  GrParsed ps;
  GrDiag d;
  ck_assert_int_eq(gr_parse(pb->g, "A*exp(x/10) + B*x - y", NULL, &ps, &d), GR_OK);
  static int col[8];
  int np = 0;
  for (int v = 0; v < pb->g->nvars; v++) {
    col[v] = gr_data_find(dt, pb->g->vars[v]);
    if (col[v] < 0)
      pb->param[np++] = v;
  }
  GrNode *out = ps.out;
  GrProblemSpec s = {pb->g, GR_PROB_FIT, &out, 1, np, pb->param, pb->value, dt, col, sse, block, 0};
  ck_assert_int_eq(gr_problem_new(&s, &pb->p, &pb->obj, &d), GR_OK);
}

START_TEST(test_fit_blocks_and_fd) {
  const char *text = "x y\n";
  char buf[4096];
  strcpy(buf, text);
  for (int i = 0; i < 37; i++) {
    char row[64];
    snprintf(row, sizeof row, "%d %.17g\n", i, 2 * exp(i / 10.0) - 0.5 * i + sin(i));
    strcat(buf, row);
  }
  GrData dt;
  GrDiag d;
  ck_assert_int_eq(gr_data_parse(buf, "t", NULL, &dt, &d), GR_OK);
  ck_assert_int_eq(dt.nrow, 37);
  Prob a, b;
  fit_make(&a, &dt, 4096, 0);
  fit_make(&b, &dt, 5, 0); /* 8 blocks, the last one short */
  double x[2] = {1.5, 0.25}, fa, fb, ga[2], gb[2];
  a.obj.fg(a.obj.ctx, x, &fa, ga);
  b.obj.fg(b.obj.ctx, x, &fb, gb);
  assert_rel(fb, fa, 1e-13);
  for (int j = 0; j < 2; j++) {
    assert_rel(gb[j], ga[j], 1e-12);
    double h = 1e-6, xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]}, fp, fm;
    xp[j] += h;
    xm[j] -= h;
    a.obj.fg(a.obj.ctx, xp, &fp, NULL);
    a.obj.fg(a.obj.ctx, xm, &fm, NULL);
    assert_rel(ga[j], (fp - fm) / (2 * h), 1e-6);
  }
  /* the loss is the mean squared residual: recompute it by hand */
  double s = 0;
  for (size_t i = 0; i < dt.nrow; i++) {
    double r = x[0] * exp(dt.col[0][i] / 10) + x[1] * dt.col[0][i] - dt.col[1][i];
    s += r * r;
  }
  assert_rel(fa, s / 37, 1e-13);
  prob_free(&a);
  prob_free(&b);
  gr_data_free(&dt);
}
END_TEST

/* A fit's blocks swept in strips of rows give the loss and gradient of whole sweeps bit for
 * bit: models whose rows are apart (parameters in a power, in exp, under if()) and two whose
 * are not (a mean over the block, a parameter as an if() branch: swept whole either way),
 * blocks of 4096, 1000 and 600 rows (strips of 256, 200, 200) with a short last block, on
 * one and two threads. */
START_TEST(test_fit_strips_bitwise) {
  static const char *const models[] = {
      "A*x^2 + B*x + C - y", "A*exp(-B*x) + C - y", "if(x > 0, A*x, B*x^2) + exp(C) - y",
      "(A*x + B)/(1 + C^2*x^2) - y", "A*x + B - mean(y) + C", "if(x > 0, A, B*x) + C - y"};
  static const size_t rows[] = {10000, 3001, 5000}, blocks[] = {0, 1000, 600};
  for (size_t c = 0; c < sizeof rows / sizeof *rows; c++) {
    GrData dt = {0};
    dt.ncol = 2;
    dt.nrow = rows[c];
    dt.names = gr_xmalloc(2 * sizeof *dt.names);
    dt.col = gr_xmalloc(2 * sizeof *dt.col);
    dt.names[0] = strdup("x");
    dt.names[1] = strdup("y");
    for (int j = 0; j < 2; j++)
      dt.col[j] = gr_xmalloc(rows[c] * sizeof(double));
    for (size_t i = 0; i < rows[c]; i++) {
      double xi = -2 + 4.0 * (double)i / (double)rows[c];
      dt.col[0][i] = xi;
      dt.col[1][i] = 2 * xi * xi - 3 * xi + 1 + 0.05 * sin(7.0 * (double)i);
    }
    for (size_t m = 0; m < sizeof models / sizeof *models; m++)
      for (int threads = 1; threads <= 2; threads++) {
        Prob pb;
        memset(&pb, 0, sizeof pb);
        pb.g = gr_graph_new();
        GrParsed ps;
        GrDiag d;
        ck_assert_int_eq(gr_parse(pb.g, models[m], NULL, &ps, &d), GR_OK);
        int col[8], np = 0;
        for (int v = 0; v < pb.g->nvars; v++) {
          col[v] = gr_data_find(&dt, pb.g->vars[v]);
          if (col[v] < 0)
            pb.param[np++] = v;
        }
        ck_assert_int_eq(np, 3);
        GrNode *out = ps.out;
        GrProblemSpec s = {pb.g, GR_PROB_FIT, &out, 1, np,        pb.param,
                           pb.value, &dt,   col,  0, blocks[c], threads};
        ck_assert_int_eq(gr_problem_new(&s, &pb.p, &pb.obj, &d), GR_OK);
        const double x[3] = {0.7, -1.3, 0.4};
        double f[2], g[2][3], f1;
        for (int whole = 0; whole <= 1; whole++) {
          gr_problem_whole_blocks(pb.p, whole);
          pb.obj.fg(pb.obj.ctx, x, &f[whole], g[whole]);
        }
        gr_problem_whole_blocks(pb.p, 0);
        pb.obj.fg(pb.obj.ctx, x, &f1, NULL); /* the loss alone, in strips */
        ck_assert_msg(!memcmp(&f[0], &f[1], sizeof *f) && !memcmp(&f1, &f[1], sizeof f1),
                      "'%s', %zu rows: loss %.17g (strips), %.17g (alone), %.17g (whole)",
                      models[m], rows[c], f[0], f1, f[1]);
        ck_assert_msg(!memcmp(g[0], g[1], sizeof g[0]),
                      "'%s', %zu rows: gradient %.17g %.17g %.17g (strips), %.17g %.17g %.17g",
                      models[m], rows[c], g[0][0], g[0][1], g[0][2], g[1][0], g[1][1], g[1][2]);
        prob_free(&pb);
      }
    gr_data_free(&dt);
  }
}
END_TEST

START_TEST(test_fit_exact_data) {
  GrData dt;
  GrDiag d;
  ck_assert_int_eq(gr_data_parse("x,y\n0,2\n1,2.5\n2,3\n3,3.5\n", "t", NULL, &dt, &d), GR_OK);
  /* y = A*exp(x/10) + B*x cannot be exact here; use a linear model instead */
  Prob pb;
  memset(&pb, 0, sizeof pb);
  pb.g = gr_graph_new();
  GrParsed ps;
  ck_assert_int_eq(gr_parse(pb.g, "A*x + B - y", NULL, &ps, &d), GR_OK);
  int col[4], np = 0;
  for (int v = 0; v < pb.g->nvars; v++) {
    col[v] = gr_data_find(&dt, pb.g->vars[v]);
    if (col[v] < 0)
      pb.param[np++] = v;
  }
  GrNode *out = ps.out;
  GrProblemSpec s = {pb.g, GR_PROB_FIT, &out, 1, np, pb.param, pb.value, &dt, col, 0, 0, 0};
  ck_assert_int_eq(gr_problem_new(&s, &pb.p, &pb.obj, &d), GR_OK);
  GrOptParams p;
  gr_opt_defaults(&p, GR_M_LM);
  double x[2] = {0, 0};
  GrOptResult r;
  ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
  ck_assert(r.stop != GR_STOP_ERROR && r.stop != GR_STOP_NONFINITE);
  ck_assert_double_eq_tol(x[0], 0.5, 1e-7);
  ck_assert_double_eq_tol(x[1], 2, 1e-7);
  double res[4], J[8], rss, se[2], corr[4];
  pb.obj.res(pb.obj.ctx, x, res, J);
  gr_fit_stats(J, res, 4, 2, &rss, se, corr);
  ck_assert(rss < 1e-14);
  ck_assert(se[0] < 1e-6 && se[1] < 1e-6);
  /* correlation of slope and intercept for x = 0..3: -sum(x)/sqrt(n*sum(x^2)) */
  assert_rel(corr[1], -6 / sqrt(4 * 14.0), 1e-12);
  prob_free(&pb);
  gr_data_free(&dt);
}
END_TEST

/* Standard errors as gnuplot's fit computes them: for a straight line they have a closed
 * form, se(slope) = sqrt(rss/(n-2) / Sxx). */
START_TEST(test_fit_stats_line) {
  double xs[5] = {0, 1, 2, 3, 4}, ys[5] = {1.1, 2.9, 5.2, 6.8, 9.1};
  double J[10], r[5];
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < 5; i++) {
    sx += xs[i];
    sy += ys[i];
    sxx += xs[i] * xs[i];
    sxy += xs[i] * ys[i];
  }
  double a = (5 * sxy - sx * sy) / (5 * sxx - sx * sx), b = (sy - a * sx) / 5;
  for (int i = 0; i < 5; i++) {
    J[2 * i] = xs[i];
    J[2 * i + 1] = 1;
    r[i] = a * xs[i] + b - ys[i];
  }
  double rss, se[2], corr[4];
  gr_fit_stats(J, r, 5, 2, &rss, se, corr);
  double Sxx = sxx - sx * sx / 5;
  assert_rel(se[0], sqrt(rss / 3 / Sxx), 1e-12);
  assert_rel(se[1], sqrt(rss / 3 * (1.0 / 5 + (sx / 5) * (sx / 5) / Sxx)), 1e-12);
}
END_TEST

/* The default method (bfgs with its default gradient tolerance) converges by that rule on
 * the classic test functions, to their known minima: GSL's line search stopping short
 * (ENOPROG) is restarted rather than reported. */
START_TEST(test_bfgs_converges) {
  static const struct {
    const char *f;
    double x0[4], want[4];
    int n;
  } cases[] = {
      {"(1-x)^2 + 100(y-x^2)^2", {-1.2, 1}, {1, 1}, 2},
      {"(1.5-x+x*y)^2 + (2.25-x+x*y^2)^2 + (2.625-x+x*y^3)^2", {1, 1}, {3, 0.5}, 2},
      {"(x+2y-7)^2 + (2x+y-5)^2", {0, 0}, {1, 3}, 2},
      {"(x^2+y-11)^2 + (x+y^2-7)^2", {0, 0}, {3, 2}, 2},
      {"(1-a)^2 + 100(b-a^2)^2 + (1-b)^2 + 100(c-b^2)^2 + (1-c)^2 + 100(d-c^2)^2",
       {-1.2, 1, -1.2, 1}, {1, 1, 1, 1}, 4},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    Prob pb;
    const char *e[] = {cases[k].f};
    prob_make(&pb, GR_PROB_MIN, e, 1);
    GrOptParams p;
    gr_opt_defaults(&p, GR_M_BFGS);
    double x[4];
    memcpy(x, cases[k].x0, sizeof x);
    GrOptResult r;
    GrDiag d;
    ck_assert_int_eq(gr_optimize(&pb.obj, &p, x, NULL, NULL, &r, &d), GR_OK);
    ck_assert_msg(r.stop == GR_STOP_GTOL, "%s: stopped by %s, gradient norm %g", cases[k].f,
                  gr_stop_name(r.stop), r.gnorm);
    ck_assert(r.gnorm <= p.gtol);
    for (int j = 0; j < cases[k].n; j++)
      ck_assert_msg(fabs(x[j] - cases[k].want[j]) < 1e-8, "%s: x[%d] = %.17g", cases[k].f, j,
                    x[j]);
    prob_free(&pb);
  }
}
END_TEST

/* Norms of huge and tiny vectors: a plain sum of squares overflows (1e155^2 = inf) or
 * underflows to 0; the norm is homogeneous, so scaling a small vector must scale it. */
START_TEST(test_norm_no_overflow) {
  double v[3] = {3, 4, 12}, big[3], tiny[3];
  double base = gr_norm(v, 3);
  assert_rel(base, 13, 1e-15);
  for (int i = 0; i < 3; i++) {
    big[i] = v[i] * 1e155;
    tiny[i] = v[i] * 1e-160;
  }
  ck_assert(isfinite(gr_norm(big, 3)));
  assert_rel(gr_norm(big, 3), base * 1e155, 1e-14);
  ck_assert(gr_norm(tiny, 3) > 0);
  assert_rel(gr_norm(tiny, 3), base * 1e-160, 1e-14);
}
END_TEST

/* Standard errors scale with the residuals: multiplying every residual by 1e160 (rss
 * overflows to inf) multiplies the errors by 1e160, not to inf. */
START_TEST(test_fit_stats_huge_residuals) {
  double J[8] = {0, 1, 1, 1, 2, 1, 3, 1}, r[4] = {0.1, -0.2, 0.15, -0.05}, rb[4];
  double rss, se[2], corr[4], rssb, seb[2], corrb[4];
  for (int i = 0; i < 4; i++)
    rb[i] = r[i] * 1e160;
  gr_fit_stats(J, r, 4, 2, &rss, se, corr);
  gr_fit_stats(J, rb, 4, 2, &rssb, seb, corrb);
  ck_assert(isinf(rssb));
  for (int j = 0; j < 2; j++) {
    ck_assert(isfinite(seb[j]));
    assert_rel(seb[j], se[j] * 1e160, 1e-13);
  }
}
END_TEST

/* The number after `key` in the text that follows `after` (both literal). */
static double json_after(const char *text, const char *after, const char *key) {
  const char *p = strstr(text, after);
  ck_assert_ptr_nonnull(p);
  p = strstr(p, key);
  ck_assert_ptr_nonnull(p);
  return strtod(p + strlen(key), NULL);
}

/* Run minimize with argv (NULL-terminated) and return its stdout (malloc'd). */
static char *minimize_out(char **argv) {
  char path[] = "/tmp/check_optim_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  fflush(stdout);
  ck_assert_ptr_nonnull(freopen(path, "w", stdout));
  int argc = 0;
  while (argv[argc])
    argc++;
  ck_assert_int_eq(minimize_main(argc, argv), 0);
  fflush(stdout);
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  char *buf = calloc(1, 65536);
  size_t n = fread(buf, 1, 65535, f);
  buf[n] = 0;
  fclose(f);
  unlink(path);
  return buf;
}

/* --sigma: a weighted straight-line fit against the closed form of weighted least squares,
 * a = (S Sxy - Sx Sy)/D, b = (Sxx Sy - Sx Sxy)/D with weights 1/s^2, and the errors of
 * curve_fit(absolute_sigma=False): var(a) = S/D chi2/(n-2), var(b) = Sxx/D chi2/(n-2).
 * Equal sigmas change nothing (the weights cancel in the scaled errors). */
START_TEST(test_fit_sigma_closed_form) {
  static const double xs[] = {0, 1, 2, 3, 4, 5, 6}, ys[] = {1.2, 2.8, 5.3, 6.9, 9.4, 10.7, 13.3},
                      ss[] = {0.1, 0.2, 0.1, 0.4, 0.3, 0.2, 0.5};
  enum { N = 7 };
  char path[] = "/tmp/check_sigma_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "x y s c\n");
  for (int i = 0; i < N; i++)
    fprintf(f, "%.17g %.17g %.17g 0.5\n", xs[i], ys[i], ss[i]);
  fclose(f);
  double S = 0, Sx = 0, Sy = 0, Sxx = 0, Sxy = 0;
  for (int i = 0; i < N; i++) {
    double w = 1 / (ss[i] * ss[i]);
    S += w;
    Sx += w * xs[i];
    Sy += w * ys[i];
    Sxx += w * xs[i] * xs[i];
    Sxy += w * xs[i] * ys[i];
  }
  double D = S * Sxx - Sx * Sx, a = (S * Sxy - Sx * Sy) / D, b = (Sxx * Sy - Sx * Sxy) / D;
  double chi2 = 0;
  for (int i = 0; i < N; i++) {
    double r = (a * xs[i] + b - ys[i]) / ss[i];
    chi2 += r * r;
  }
  double sea = sqrt(S / D * chi2 / (N - 2)), seb = sqrt(Sxx / D * chi2 / (N - 2));
  char a0[] = "minimize", a1[] = "y = a*x + b", a2[] = "--data", a4[] = "--sigma", a5[] = "s",
       a6[] = "--via", a7[] = "a,b", a8[] = "--format", a9[] = "json", c5[] = "c";
  char *w[] = {a0, a1, a2, path, a4, a5, a6, a7, a8, a9, NULL};
  char *out = minimize_out(w);
  assert_rel(json_after(out, "\"at\":", "\"a\":"), a, 1e-10);
  assert_rel(json_after(out, "\"at\":", "\"b\":"), b, 1e-10);
  assert_rel(json_after(out, "\"stderr\":", "\"a\":"), sea, 1e-8);
  assert_rel(json_after(out, "\"stderr\":", "\"b\":"), seb, 1e-8);
  free(out);
  /* equal sigmas (column c) against no weights at all */
  char *wc[] = {a0, a1, a2, path, a4, c5, a6, a7, a8, a9, NULL};
  char *u[] = {a0, a1, a2, path, a6, a7, a8, a9, NULL};
  char *oc = minimize_out(wc), *ou = minimize_out(u);
  const char *keys[] = {"\"a\":", "\"b\":"};
  for (int k = 0; k < 2; k++) {
    assert_rel(json_after(oc, "\"at\":", keys[k]), json_after(ou, "\"at\":", keys[k]), 1e-10);
    assert_rel(json_after(oc, "\"stderr\":", keys[k]), json_after(ou, "\"stderr\":", keys[k]),
               1e-8);
  }
  free(oc);
  free(ou);
  unlink(path);
}
END_TEST

/* The interactive session calls minimize_main again and again with built argvs: each
 * call must start from fresh options (getopt reset) and give the same status. */
START_TEST(test_minimize_main_repeatable) {
  ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
  ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
  char a0[] = "minimize", a1[] = "x^2+y^2", a2[] = "--from", a3[] = "x=1,y=2", a4[] = "-m",
       a5[] = "bfgs", h[] = "--help", bad[] = "--nope";
  char *run[] = {a0, a1, a2, a3, a4, a5, NULL};
  char *help[] = {a0, h, NULL};
  char *err[] = {a0, a1, bad, NULL};
  for (int k = 0; k < 3; k++) {
    ck_assert_int_eq(minimize_main(6, run), 0);
    ck_assert_int_eq(minimize_main(2, help), 0);
    ck_assert_int_eq(minimize_main(3, err), 2);
  }
}
END_TEST

static Suite *optim_suite(void) {
  Suite *s = suite_create("optim");
  TCase *t = tcase_create("core");
  tcase_set_timeout(t, 120); /* the fits under sanitizers on a busy machine */
  tcase_add_test(t, test_sgd_reference);
  tcase_add_test(t, test_sgd_momentum_nesterov_reference);
  tcase_add_test(t, test_adam_reference);
  tcase_add_test(t, test_nadam_reference);
  tcase_add_test(t, test_nadam_equations_reference);
  tcase_add_test(t, test_rmsprop_adagrad_adamw_first_step);
  tcase_add_test(t, test_rmsprop_adagrad_torch_values);
  tcase_add_test(t, test_gsl_manual_example);
  tcase_add_test(t, test_rosenbrock);
  tcase_add_test(t, test_puzzle_rank);
  tcase_add_test(t, test_nonfinite_stops);
  tcase_add_test(t, test_fit_blocks_and_fd);
  tcase_add_test(t, test_fit_exact_data);
  tcase_add_test(t, test_fit_strips_bitwise);
  tcase_add_test(t, test_fit_stats_line);
  tcase_add_test(t, test_norm_no_overflow);
  tcase_add_test(t, test_bfgs_converges);
  tcase_add_test(t, test_fit_sigma_closed_form);
  tcase_add_test(t, test_fit_stats_huge_residuals);
  tcase_add_test(t, test_minimize_main_repeatable);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  gr_init();
  SRunner *sr = srunner_create(optim_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
