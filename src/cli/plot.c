/* SPDX-License-Identifier: GPL-3.0-or-later
 * gnuplot script generation (see plot.h). Scripts carry their data as datablocks, so one
 * file reproduces the plot; text goes through 'noenhanced' so that x^2 in a title stays x^2.
 * gnuplot is found as $GNUPLOT or "gnuplot" on PATH and fed the script through a pipe.
 */
#include "plot.h"
#include "arena.h"
#include "dtoa.h"
#include "table.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

void gr_plot_quote(FILE *f, const char *s) {
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'')
      fputc('\'', f); /* '' is a quote inside a single-quoted gnuplot string */
    if (*s == '\n')
      fputc(' ', f);
    else
      fputc(*s, f);
  }
  fputc('\'', f);
}

static void put_num(FILE *f, double v) {
  char b[40];
  int n = gr_dtoa(v, b);
  fwrite(b, 1, (size_t)n, f);
}

GrStatus gr_plot_term_for(const char *output, GrPlotTerm *term, GrDiag *d) {
  if (!output) {
    *term = GR_TERM_DUMB;
    return GR_OK;
  }
  const char *dot = strrchr(output, '.');
  if (dot && !strcasecmp(dot, ".png"))
    *term = GR_TERM_PNG;
  else if (dot && !strcasecmp(dot, ".svg"))
    *term = GR_TERM_SVG;
  else if (dot && !strcasecmp(dot, ".pdf"))
    *term = GR_TERM_PDF;
  else
    return gr_diag_set(d, GR_EUSAGE, "cannot tell the plot format of '%s': name it .png, .svg or .pdf",
                       output);
  return GR_OK;
}

/* The size of the terminal we write to: its window, else $COLUMNS/$LINES, else 79x24. */
static void text_size(int *w, int *h) {
  struct winsize ws;
  *w = 79;
  *h = 24;
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 &&
      ws.ws_row > 8) {
    *w = ws.ws_col - 1;
    *h = ws.ws_row - 2;
    return;
  }
  const char *c = getenv("COLUMNS"), *l = getenv("LINES");
  if (c && atoi(c) > 20)
    *w = atoi(c) - 1;
  if (l && atoi(l) > 8)
    *h = atoi(l) - 2;
}

GrStatus gr_plot_begin(FILE *f, const GrPlotOpts *o, GrDiag *d) {
  GrPlotTerm term;
  if (gr_plot_term_for(o->output, &term, d) != GR_OK)
    return d->status;
  int w = o->width, h = o->height;
  fputs("# gnuplot script written by grad; the data follow inline as datablocks\n", f);
  switch (term) {
  case GR_TERM_DUMB:
    if (o->interactive) {
      /* gnuplot's own default terminal: a window (qt, wxt, x11) where there is a display */
      fputs("# gnuplot's default terminal: a window where there is a display\n", f);
      break;
    }
    if (w <= 0 || h <= 0)
      text_size(&w, &h);
    fprintf(f, "set terminal dumb size %d,%d noenhanced\n", w, h);
    break;
  case GR_TERM_PNG:
    if (w <= 0 || h <= 0)
      w = 800, h = 600;
    fprintf(f,
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo size %d,%d noenhanced font 'Sans,10'\n"
            "} else {\n"
            "  set terminal png size %d,%d noenhanced\n"
            "}\n",
            w, h, w, h);
    break;
  case GR_TERM_SVG:
    if (w <= 0 || h <= 0)
      w = 800, h = 600;
    fprintf(f, "set terminal svg size %d,%d noenhanced font 'Sans,10' background 'white'\n", w, h);
    break;
  case GR_TERM_PDF:
    if (w <= 0 || h <= 0)
      w = 800, h = 600;
    fprintf(f, "set terminal pdfcairo size %gin,%gin noenhanced font 'Sans,10'\n", w / 100.0,
            h / 100.0);
    break;
  }
  if (o->output) {
    fputs("set output ", f);
    gr_plot_quote(f, o->output);
    fputc('\n', f);
  }
  if (o->title) {
    fputs("set title ", f);
    gr_plot_quote(f, o->title);
    fputc('\n', f);
  }
  if (term != GR_TERM_DUMB || o->interactive)
    fputs("set grid\n", f);
  return GR_OK;
}

void gr_plot_data_begin(FILE *f, const char *name) { fprintf(f, "$%s << EOD\n", name); }
void gr_plot_data_end(FILE *f) { fputs("EOD\n", f); }

static int is_dumb(const GrPlotOpts *o) { return o->output == NULL && !o->interactive; }

/* The end of a script for a window: keep it open until it is closed (gnuplot without mouse
 * support or without a display just ends) */
static void plot_end(FILE *f, const GrPlotOpts *o) {
  if (o->interactive && !o->output)
    fputs("if (strstrt(GPVAL_COMPILE_OPTIONS, '+MOUSE') > 0 && "
          "strstrt('qt wxt x11 aqua windows', GPVAL_TERM) > 0) {\n"
          "  pause mouse close\n"
          "}\n",
          f);
}

/* Text joined by ", " (a shared axis label) */
static void put_names(FILE *f, const char *const *names, const int *idx, int n) {
  size_t L = 0;
  for (int i = 0; i < n; i++)
    L += strlen(names[idx[i]]) + 2;
  char *b = gr_xmalloc(L + 1), *q = b;
  for (int i = 0; i < n; i++)
    q += sprintf(q, "%s%s", i ? ", " : "", names[idx[i]]);
  gr_plot_quote(f, b);
  free(b);
}

/* an inline data block of n (x, y) rows */
static void xy_block(FILE *f, const char *name, const double *x, const double *y, size_t n) {
  gr_plot_data_begin(f, name);
  for (size_t i = 0; i < n; i++) {
    put_num(f, x[i]);
    fputc('\t', f);
    put_num(f, y[i]);
    fputc('\n', f);
  }
  gr_plot_data_end(f);
}

/* Curves whose spans differ by more than this factor get axes of their own */
#define SCALE_RATIO 5.0

/* One curve of the plot command: column i + 2 of data, in linetype i + 1 (the same colour
 * whichever axis or panel it is on) */
static void put_curve(FILE *f, const char *data, int i, const char *name, const char *axes,
                      const GrPlotOpts *o) {
  fprintf(f, "%s using 1:%d with lines linetype %d", data, i + 2, i + 1);
  if (!is_dumb(o))
    fputs(" linewidth 2", f);
  if (axes)
    fprintf(f, " axes %s", axes);
  fputs(" title ", f);
  gr_plot_quote(f, name);
}

void gr_plot_curves(FILE *f, const char *data, const char *xname, int ny,
                    const char *const *names, const double *lo, const double *hi,
                    const GrPlotOpts *o) {
  /* Group the curves by scale (the span of their values; a constant: its size): sorted by
   * span, a curve joins the group of the smallest one while it spans at most SCALE_RATIO
   * times as much. A curve of zeros, or with no finite value, goes with the first curve. */
  int *grp = gr_xmalloc((size_t)ny * sizeof *grp), *ord = gr_xmalloc((size_t)ny * sizeof *ord);
  double *sc = gr_xmalloc((size_t)ny * sizeof *sc);
  int nord = 0, ngrp = 0;
  for (int i = 0; i < ny; i++) {
    grp[i] = -1;
    sc[i] = 0;
    if (lo && hi && lo[i] <= hi[i]) {
      sc[i] = hi[i] - lo[i];
      if (!(sc[i] > 0))
        sc[i] = fmax(fabs(lo[i]), fabs(hi[i]));
    }
    if (sc[i] > 0 && isfinite(sc[i])) {
      int k = nord++;
      while (k > 0 && sc[ord[k - 1]] > sc[i]) {
        ord[k] = ord[k - 1];
        k--;
      }
      ord[k] = i;
    }
  }
  for (int k = 0; k < nord;) {
    int j = k;
    while (j < nord && sc[ord[j]] <= SCALE_RATIO * sc[ord[k]])
      grp[ord[j++]] = ngrp;
    ngrp++;
    k = j;
  }
  /* groups numbered in the order of their first curve, so f is on the left axis or on top */
  int *ren = gr_xmalloc((size_t)(ngrp + 1) * sizeof *ren), nren = 0;
  for (int g = 0; g <= ngrp; g++)
    ren[g] = -1;
  for (int i = 0; i < ny; i++)
    if (grp[i] >= 0 && ren[grp[i]] < 0)
      ren[grp[i]] = nren++;
  if (nren == 0)
    nren = 1;
  for (int i = 0; i < ny; i++)
    grp[i] = grp[i] >= 0 ? ren[grp[i]] : 0;
  free(ren);
  free(sc);

  fputs("set xlabel ", f);
  gr_plot_quote(f, xname);
  /* the key beside the plot never hides a curve; x spans exactly the tabulated range */
  fputs("\nset key outside right top\nset autoscale xfix\nset xzeroaxis\n", f);
  if (nren <= 2) {
    /* one axis, or (two scales) f's on the left and the other on the right */
    for (int side = 0; side < nren; side++) {
      int n = 0;
      for (int i = 0; i < ny; i++)
        if (grp[i] == side)
          ord[n++] = i;
      fputs(side ? "set y2label " : "set ylabel ", f);
      put_names(f, names, ord, n);
      fputc('\n', f);
    }
    if (nren == 2)
      fprintf(f, "# two scales: the curves of the second on the right-hand axis\n"
                 "set ytics nomirror\nset y2tics\n%s",
              is_dumb(o) ? "" : "set autoscale y2\n");
    fputs("plot ", f);
    for (int i = 0; i < ny; i++) {
      if (i)
        fputs(", \\\n     ", f);
      put_curve(f, data, i, names[i], grp[i] ? "x1y2" : NULL, o);
    }
    fputc('\n', f);
  } else {
    /* three scales or more: stacked panels sharing the x axis, each with its own y axis */
    fprintf(f, "# %d scales: a panel for each, one above the other\n", nren);
    fprintf(f, "set multiplot layout %d,1 margins %s spacing 0,%s", nren,
            is_dumb(o) ? "0.12,0.78,0.12,0.9" : "0.1,0.82,0.1,0.92", is_dumb(o) ? "0" : "0.02");
    if (o->title) {
      fputs(" title ", f);
      gr_plot_quote(f, o->title);
      fputs("\nunset title", f);
    }
    fputs("\nset format x ''\nunset xlabel\n", f);
    for (int g = 0; g < nren; g++) {
      if (g == nren - 1) {
        fputs("set format x '% h'\nset xlabel ", f);
        gr_plot_quote(f, xname);
        fputc('\n', f);
      }
      int n = 0;
      for (int i = 0; i < ny; i++)
        if (grp[i] == g)
          ord[n++] = i;
      fputs("set ylabel ", f);
      put_names(f, names, ord, n);
      fputs("\nplot ", f);
      for (int k = 0; k < n; k++) {
        if (k)
          fputs(", \\\n     ", f);
        put_curve(f, data, ord[k], names[ord[k]], NULL, o);
      }
      fputc('\n', f);
    }
    fputs("unset multiplot\n", f);
  }
  free(grp);
  free(ord);
  plot_end(f, o);
}

/* viridis (matplotlib's perceptually uniform colour map), sampled at ten points */
static const char viridis[] =
    "set palette defined (0 '#440154', 1 '#482878', 2 '#3e4989', 3 '#31688e', 4 '#26828e', \\\n"
    "  5 '#1f9e89', 6 '#35b779', 7 '#6ece58', 8 '#b5de2b', 9 '#fde725')\n";

void gr_plot_surface(FILE *f, const char *data, const char *xname, const char *yname,
                     const char *zname, const GrPlotOpts *o) {
  fputs("set xlabel ", f);
  gr_plot_quote(f, xname);
  fputs("\nset ylabel ", f);
  gr_plot_quote(f, yname);
  fputc('\n', f);
  fputs("set contour base\nset cntrparam levels auto 10\n", f);
  if (is_dumb(o)) {
    /* a map of contour lines reads better in text than a surface */
    fputs("set view map\nunset surface\nset key outside right\n", f);
    fprintf(f, "splot %s using 1:2:3 with lines title ", data);
    gr_plot_quote(f, zname);
    fputc('\n', f);
    return;
  }
  fputs("set zlabel ", f);
  gr_plot_quote(f, zname);
  fputs(" rotate parallel\n", f);
  fputs(viridis, f);
  fputs("unset clabel\n", f); /* every contour line in one colour */
  fputs("set colorbox\nset cblabel ", f);
  gr_plot_quote(f, zname);
  /* The contour lines on the base come first and the surface is painted over them, its
   * quadrangles far to near: what the surface hides stays hidden */
  fputs("\nset pm3d depthorder\nset key off\nset view 55,35\nset autoscale xfix\n"
        "set autoscale yfix\n",
        f);
  fprintf(f, "splot %s using 1:2:3 with lines nosurface linecolor 'gray30' notitle, \\\n"
             "      %s using 1:2:3 with pm3d nocontour title ",
          data, data);
  gr_plot_quote(f, zname);
  fputc('\n', f);
  plot_end(f, o);
}

GrStatus gr_plot_loss(FILE *f, const GrPlotOpts *o, const double *iter, const double *loss,
                      size_t n, GrDiag *d) {
  GrPlotOpts t = *o;
  if (!t.title)
    t.title = "loss per iteration";
  if (gr_plot_begin(f, &t, d) != GR_OK)
    return d->status;
  /* a log scale when every value is positive and they span two decades or more */
  int pos = n > 0;
  double lo = INFINITY, hi = 0;
  for (size_t i = 0; i < n; i++) {
    pos &= loss[i] > 0 && isfinite(loss[i]);
    lo = fmin(lo, loss[i]);
    hi = fmax(hi, loss[i]);
  }
  pos &= hi >= 100 * lo;
  gr_plot_data_begin(f, "loss");
  for (size_t i = 0; i < n; i++) {
    if (iter)
      put_num(f, iter[i]);
    else
      fprintf(f, "%zu", i);
    fputc('\t', f);
    put_num(f, loss[i]);
    fputc('\n', f);
  }
  gr_plot_data_end(f);
  fputs("set xlabel 'iteration'\nset ylabel 'loss'\n", f);
  if (pos)
    fputs("set logscale y\nset format y '%g'\n", f);
  fprintf(f, "plot $loss using 1:2 with lines%s title 'loss'\n", is_dumb(o) ? "" : " linewidth 2");
  plot_end(f, o);
  return GR_OK;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Evenly spaced contour levels, unless f is a narrow valley in a steep landscape (half the
 * grid lies in the lowest 10% of f's range, as with Rosenbrock's function): then levels
 * spaced geometrically above the minimum, so the valley the path follows gets lines too.
 * Fills lev[levels] (sorting z) and writes the levels command (f NULL: not). */
static void contour_levels(FILE *f, double *z, size_t n, int levels, double *lev) {
  double lo = 0, d = 0, med = 0;
  if (n > 2) {
    qsort(z, n, sizeof *z, cmp_double);
    lo = z[0];
    d = z[n - 1] - lo;
    med = z[n / 2] - lo;
  }
  int geo = d > 0 && med < 0.1 * d;
  for (int k = 0; k < levels; k++)
    lev[k] = geo ? lo + d * pow(10, -3.5 + 3.5 * k / (levels - 1))
                 : lo + d * (k + 0.5) / levels;
  if (!f)
    return;
  if (!geo) {
    fprintf(f, "set cntrparam levels auto %d\n", levels);
    return;
  }
  fputs("set cntrparam levels discrete ", f);
  for (int k = 0; k < levels; k++) {
    if (k)
      fputc(',', f);
    put_num(f, lev[k]);
  }
  fputc('\n', f);
}

/* z's place among the levels: k where z is lev[k], in between linearly, clamped to the
 * first and the last */
static double level_place(double z, const double *lev, int nlev) {
  if (!(z > lev[0]))
    return 0;
  for (int k = 0; k + 1 < nlev; k++)
    if (z < lev[k + 1])
      return k + (z - lev[k]) / (lev[k + 1] - lev[k]);
  return nlev - 1;
}

/* How many levels lie between a and b, in fractions of a level */
static double crossings(double a, double b, const double *lev, int nlev) {
  if (!isfinite(a) || !isfinite(b))
    return 0;
  return fabs(level_place(a, lev, nlev) - level_place(b, lev, nlev));
}

/* The contour map's grid is picked from a fine one (FINE points a side) by equidistribution:
 * each fine interval weighs 1 plus 20 times the most contour levels it crosses along any
 * line of the grid (in fractions of a level), and the COARSE points a side cut the total
 * weight evenly. Where f is steep the
 * lines crowd and the grid is finer: they stay smooth where they matter. */
enum { FINE = 241, COARSE = 81 };

static int pick_nodes(const double *wt, int *sel) {
  double tot = 0;
  for (int i = 0; i + 1 < FINE; i++)
    tot += wt[i];
  int n = 0;
  double acc = 0;
  sel[n++] = 0;
  for (int i = 0; i + 1 < FINE; i++) {
    acc += wt[i];
    /* the node that ends this interval, when the weight so far reaches the next share */
    if (i + 2 < FINE && acc >= tot * n / (COARSE - 1) && n < COARSE - 1)
      sel[n++] = i + 1;
  }
  sel[n++] = FINE - 1;
  return n;
}

GrStatus gr_plot_path(FILE *f, const GrPlotOpts *o, const GrGraph *g, GrNode *out, int xvar,
                      int yvar, const double *fixed, const double *px, const double *py,
                      size_t n, GrDiag *d) {
  if (n == 0)
    return gr_diag_set(d, GR_EUSAGE, "no path to plot");
  double lo[2] = {px[0], py[0]}, hi[2] = {px[0], py[0]};
  for (size_t i = 0; i < n; i++) {
    if (isfinite(px[i])) {
      lo[0] = fmin(lo[0], px[i]);
      hi[0] = fmax(hi[0], px[i]);
    }
    if (isfinite(py[i])) {
      lo[1] = fmin(lo[1], py[i]);
      hi[1] = fmax(hi[1], py[i]);
    }
  }
  /* a margin around the path; a square view when the path is a point or a line */
  double span = fmax(hi[0] - lo[0], hi[1] - lo[1]);
  if (!(span > 0) || !isfinite(span))
    span = 2;
  for (int k = 0; k < 2; k++) {
    double c = (lo[k] + hi[k]) / 2, half = span / 2 * 1.3;
    lo[k] = c - half;
    hi[k] = c + half;
  }
  GrRange r[2] = {{xvar, lo[0], hi[0], FINE}, {yvar, lo[1], hi[1], FINE}};
  GrTableSpec s = {g, &out, 1, r, 2, fixed, NULL, 0, 0, 0};
  GrTable *t;
  if (gr_table_open(&s, &t, d) != GR_OK)
    return d->status;
  if (gr_plot_begin(f, o, d) != GR_OK) {
    gr_table_free(t);
    return d->status;
  }
  size_t N = (size_t)FINE * FINE, m, nz = 0;
  double *zf = gr_xmalloc(N * sizeof *zf), *zs = gr_xmalloc(N * sizeof *zs);
  while ((m = gr_table_next(t)) > 0) {
    const double *z = gr_table_col(t, 2);
    uint64_t row = gr_table_row(t);
    for (size_t i = 0; i < m; i++) {
      zf[row + i] = z[i];
      if (isfinite(z[i]))
        zs[nz++] = z[i];
    }
  }
  gr_table_free(t);
  int nlev = is_dumb(o) ? 6 : 20; /* characters: fewer lines stay legible */
  double lev[20];
  contour_levels(NULL, zs, nz, nlev, lev);
  /* the weights of the fine intervals along x (outer index) and y (inner) */
  double wx[FINE], wy[FINE];
  for (int i = 0; i < FINE; i++)
    wx[i] = wy[i] = 1;
  for (int i = 0; i < FINE; i++)
    for (int j = 0; j < FINE; j++) {
      double z = zf[(size_t)i * FINE + j];
      if (i + 1 < FINE)
        wx[i] = fmax(wx[i], 1 + 20 * crossings(z, zf[(size_t)(i + 1) * FINE + j], lev, nlev));
      if (j + 1 < FINE)
        wy[j] = fmax(wy[j], 1 + 20 * crossings(z, zf[(size_t)i * FINE + j + 1], lev, nlev));
    }
  int sx[COARSE], sy[COARSE];
  int nx = pick_nodes(wx, sx), ny = pick_nodes(wy, sy);
  gr_plot_data_begin(f, "grid");
  for (int a = 0; a < nx; a++) {
    if (a)
      fputc('\n', f);
    for (int b = 0; b < ny; b++) {
      put_num(f, gr_linspace(lo[0], hi[0], FINE, (uint64_t)sx[a]));
      fputc('\t', f);
      put_num(f, gr_linspace(lo[1], hi[1], FINE, (uint64_t)sy[b]));
      fputc('\t', f);
      put_num(f, zf[(size_t)sx[a] * FINE + (size_t)sy[b]]);
      fputc('\n', f);
    }
  }
  free(zf);
  gr_plot_data_end(f);
  xy_block(f, "path", px, py, n);
  fputs("set xlabel ", f);
  gr_plot_quote(f, g->vars[xvar]);
  fputs("\nset ylabel ", f);
  gr_plot_quote(f, g->vars[yvar]);
  fputs("\nset view map\nset contour base\nunset surface\n", f);
  contour_levels(f, zs, nz, nlev, lev);
  free(zs);
  fputs("set table $contours\nsplot $grid using 1:2:3 with lines notitle\nunset table\n"
        "unset contour\nset size ratio -1\nset key outside right\n",
        f);
  fprintf(f, "set xrange [%.17g:%.17g]\nset yrange [%.17g:%.17g]\n", lo[0], hi[0], lo[1], hi[1]);
  if (is_dumb(o))
    fputs("plot $contours using 1:2 with lines title 'contours', \\\n"
          "     $path using 1:2 with linespoints title 'path'\n",
          f);
  else
    fprintf(f, "set style textbox opaque noborder margins 0.5,0.5\n"
            "plot $contours using 1:2 with lines linecolor 'gray60' title 'contours', \\\n"
            /* each level's value once on each of its lines, at the line's 15th point */
            "     $contours every ::15::15 using 1:2:(sprintf('%%.3g', $3)) with labels boxed "
            "font ',7' textcolor 'gray30' notitle, \\\n"
          "     $path using 1:2 with %s linewidth 2 "
          "linecolor 'red' title 'path', \\\n"
          "     $path every ::0::0 using 1:2 with points pointtype 9 pointsize 2 "
          "linecolor 'dark-green' title 'start', \\\n"
          "     $path every ::(|$path|-1) using 1:2 with points pointtype 5 pointsize 1.6 "
          "linecolor 'blue' title 'end'\n",
            /* a point per iteration only while the points stay apart */
            n <= 200 ? "linespoints pointtype 7 pointsize 0.6" : "lines");
  plot_end(f, o);
  return GR_OK;
}

GrStatus gr_plot_fit(FILE *f, const GrPlotOpts *o, const char *xname, const char *yname,
                     const double *x, const double *y, size_t n, const double *cx,
                     const double *cy, size_t m, const char *const *params, int nparams,
                     GrDiag *d) {
  if (gr_plot_begin(f, o, d) != GR_OK)
    return d->status;
  xy_block(f, "data", x, y, n);
  xy_block(f, "fit", cx, cy, m);
  fputs("set xlabel ", f);
  gr_plot_quote(f, xname);
  fputs("\nset ylabel ", f);
  gr_plot_quote(f, yname);
  fputc('\n', f);
  if (is_dumb(o))
    fputs("set key top left\n"
          "plot $data using 1:2 with points title 'data', $fit using 1:2 with lines title 'fit'", f);
  else /* the key with the parameters beside the plot, where it hides no point */
    fputs("set key outside right top box\n"
          "plot $data using 1:2 with points pointtype 7 pointsize 0.8 title 'data', \\\n"
          "     $fit using 1:2 with lines linewidth 2 title 'fit'",
          f);
  /* the fitted parameters in the key, below the fit's line */
  for (int j = 0; j < nparams; j++) {
    fputs(", \\\n     keyentry title ", f);
    gr_plot_quote(f, params[j]);
  }
  fputc('\n', f);
  plot_end(f, o);
  return GR_OK;
}

static const char *gnuplot_prog(void) {
  const char *p = getenv("GNUPLOT");
  return p && *p ? p : "gnuplot";
}

int gr_plot_available(void) {
  const char *p = gnuplot_prog();
  if (strchr(p, '/'))
    return access(p, X_OK) == 0;
  const char *path = getenv("PATH");
  if (!path)
    return 0;
  char *dup = gr_xstrdup(path), *save = NULL;
  int ok = 0;
  for (char *dir = strtok_r(dup, ":", &save); dir && !ok; dir = strtok_r(NULL, ":", &save)) {
    size_t L = strlen(dir) + strlen(p) + 2;
    char *full = gr_xmalloc(L);
    snprintf(full, L, "%s/%s", *dir ? dir : ".", p);
    ok = access(full, X_OK) == 0;
    free(full);
  }
  free(dup);
  return ok;
}

/* The running gnuplot (one at a time): its process and the file that collects its stderr. */
static pid_t plot_pid = -1;
static FILE *plot_err;

static void cloexec(int fd) { fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC); }

FILE *gr_plot_open(int show_output, GrDiag *d) {
  if (!gr_plot_available()) {
    gr_diag_set(d, GR_EIO, "gnuplot is not installed (or not on PATH): install gnuplot, or use "
                           "--gnuplot to write the script instead");
    return NULL;
  }
  fflush(stdout);
  fflush(stderr);
  int fds[2];
  if (pipe(fds) != 0) {
    gr_diag_set(d, GR_EIO, "cannot run %s: %s", gnuplot_prog(), strerror(errno));
    return NULL;
  }
  cloexec(fds[0]);
  cloexec(fds[1]);
  /* gnuplot's messages go to an unnamed temporary file, relayed when it is done (a pipe
   * could fill up while we are still writing the script); without one they stay ours */
  plot_err = tmpfile();
  if (plot_err)
    cloexec(fileno(plot_err));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
  /* an image goes to its file: whatever gnuplot prints on stdout never reaches ours */
  if (!show_output)
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  if (plot_err)
    posix_spawn_file_actions_adddup2(&fa, fileno(plot_err), STDERR_FILENO);
  char *argv[] = {(char *)gnuplot_prog(), NULL};
  extern char **environ;
  int e = posix_spawnp(&plot_pid, gnuplot_prog(), &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[0]);
  FILE *p = e == 0 ? fdopen(fds[1], "w") : NULL;
  if (!p) {
    if (e == 0) {
      e = errno;
      close(fds[1]);
      waitpid(plot_pid, NULL, 0);
    } else
      close(fds[1]);
    plot_pid = -1;
    if (plot_err)
      fclose(plot_err);
    plot_err = NULL;
    gr_diag_set(d, GR_EIO, "cannot run %s: %s", gnuplot_prog(), strerror(e));
  }
  return p;
}

/* gnuplot's messages, each line as "PROG: gnuplot: LINE" (blank lines dropped; at most 40) */
static int relay_messages(const char *prog) {
  if (!plot_err)
    return 0;
  rewind(plot_err);
  char line[1024];
  int n = 0, bol = 1;
  while (fgets(line, sizeof line, plot_err)) {
    size_t L = strlen(line);
    int eol = L && line[L - 1] == '\n';
    if (bol && strspn(line, " \t\r\n") == L)
      continue;
    if (bol && ++n > 40) {
      fprintf(stderr, "%s: gnuplot: ...\n", prog);
      break;
    }
    if (bol)
      fprintf(stderr, "%s: gnuplot: ", prog);
    fputs(line, stderr);
    bol = eol;
  }
  if (!bol)
    fputc('\n', stderr);
  fclose(plot_err);
  plot_err = NULL;
  return n;
}

GrStatus gr_plot_close(FILE *p, const char *prog, GrDiag *d) {
  int werr = fflush(p) != 0 || ferror(p);
  fclose(p);
  int st = -1;
  while (plot_pid > 0 && waitpid(plot_pid, &st, 0) < 0 && errno == EINTR)
    ;
  plot_pid = -1;
  int said = relay_messages(prog);
  if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || werr) {
    if (st != -1 && WIFSIGNALED(st))
      return gr_diag_set(d, GR_EIO, "gnuplot was killed by signal %d", WTERMSIG(st));
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
      return gr_diag_set(d, GR_EIO, "cannot run %s", gnuplot_prog());
    return gr_diag_set(d, GR_EIO, "gnuplot failed (exit status %d)%s",
                       st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1,
                       said ? "; its messages are above" : "");
  }
  return GR_OK;
}
