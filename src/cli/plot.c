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
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
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
  if (term != GR_TERM_DUMB)
    fputs("set grid\n", f);
  return GR_OK;
}

void gr_plot_data_begin(FILE *f, const char *name) { fprintf(f, "$%s << EOD\n", name); }
void gr_plot_data_end(FILE *f) { fputs("EOD\n", f); }

static int is_dumb(const GrPlotOpts *o) { return o->output == NULL; }

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

void gr_plot_curves(FILE *f, const char *data, const char *xname, int ny,
                    const char *const *names, const GrPlotOpts *o) {
  fputs("set xlabel ", f);
  gr_plot_quote(f, xname);
  /* the key below the plot never hides a curve; x spans exactly the tabulated range */
  fputs("\nset key outside right top\nset autoscale xfix\nset xzeroaxis\n", f);
  fputs("plot ", f);
  for (int i = 0; i < ny; i++) {
    fprintf(f, "%s%s using 1:%d with lines", i ? ", \\\n     " : "", data, i + 2);
    if (!is_dumb(o))
      fputs(" linewidth 2", f);
    fputs(" title ", f);
    gr_plot_quote(f, names[i]);
  }
  fputc('\n', f);
}

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
  } else {
    fputs("set zlabel ", f);
    gr_plot_quote(f, zname);
    fputs(" rotate parallel\nset pm3d at s implicit\nset palette rgbformulae 33,13,10\n"
          "unset clabel\nset key off\nset view 55,35\nset autoscale xfix\nset autoscale yfix\n",
          f);
    fprintf(f, "splot %s using 1:2:3 with pm3d title ", data);
  }
  gr_plot_quote(f, zname);
  if (!is_dumb(o)) /* the contour lines on the base, drawn by a second pass */
    fprintf(f, ", \\\n      %s using 1:2:3 with lines nosurface linecolor 'black' notitle", data);
  fputc('\n', f);
}

GrStatus gr_plot_loss(FILE *f, const GrPlotOpts *o, const double *iter, const double *loss,
                      size_t n, GrDiag *d) {
  if (gr_plot_begin(f, o, d) != GR_OK)
    return d->status;
  int pos = n > 0;
  for (size_t i = 0; i < n; i++)
    pos &= loss[i] > 0 && isfinite(loss[i]);
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
  return GR_OK;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Evenly spaced contour levels, unless f is a narrow valley in a steep landscape (half the
 * grid lies in the lowest 10% of f's range, as with Rosenbrock's function): then levels
 * spaced geometrically above the minimum, so the valley the path follows gets lines too. */
static void contour_levels(FILE *f, double *z, size_t n, int levels) {
  if (n > 2) {
    qsort(z, n, sizeof *z, cmp_double);
    double lo = z[0], d = z[n - 1] - lo, med = z[n / 2] - lo;
    if (d > 0 && med < 0.1 * d) {
      fputs("set cntrparam levels discrete ", f);
      for (int k = 0; k < levels; k++) {
        if (k)
          fputc(',', f);
        put_num(f, lo + d * pow(10, -3.5 + 3.5 * k / (levels - 1)));
      }
      fputc('\n', f);
      return;
    }
  }
  fprintf(f, "set cntrparam levels auto %d\n", levels);
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
  GrRange r[2] = {{xvar, lo[0], hi[0], 61}, {yvar, lo[1], hi[1], 61}};
  GrTableSpec s = {g, &out, 1, r, 2, fixed, NULL, 0, 0};
  GrTable *t;
  if (gr_table_open(&s, &t, d) != GR_OK)
    return d->status;
  if (gr_plot_begin(f, o, d) != GR_OK) {
    gr_table_free(t);
    return d->status;
  }
  gr_plot_data_begin(f, "grid");
  size_t m, nz = 0;
  double *zs = gr_xmalloc(61 * 61 * sizeof *zs);
  while ((m = gr_table_next(t)) > 0) {
    const double *c0 = gr_table_col(t, 0), *c1 = gr_table_col(t, 1), *z = gr_table_col(t, 2);
    uint64_t row = gr_table_row(t);
    for (size_t i = 0; i < m; i++, row++) {
      if (row && row % 61 == 0)
        fputc('\n', f);
      put_num(f, c0[i]);
      fputc('\t', f);
      put_num(f, c1[i]);
      fputc('\t', f);
      put_num(f, z[i]);
      fputc('\n', f);
      if (isfinite(z[i]) && nz < 61 * 61)
        zs[nz++] = z[i];
    }
  }
  gr_table_free(t);
  gr_plot_data_end(f);
  xy_block(f, "path", px, py, n);
  fputs("set xlabel ", f);
  gr_plot_quote(f, g->vars[xvar]);
  fputs("\nset ylabel ", f);
  gr_plot_quote(f, g->vars[yvar]);
  fputs("\nset view map\nset contour base\nunset surface\n", f);
  contour_levels(f, zs, nz, is_dumb(o) ? 6 : 20); /* characters: fewer lines stay legible */
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
    fprintf(f, "plot $contours using 1:2 with lines linecolor 'gray60' title 'contours', \\\n"
          "     $path using 1:2 with %s linewidth 2 "
          "linecolor 'red' title 'path', \\\n"
          "     $path every ::0::0 using 1:2 with points pointtype 9 pointsize 2 "
          "linecolor 'dark-green' title 'start', \\\n"
          "     $path every ::(|$path|-1) using 1:2 with points pointtype 5 pointsize 1.6 "
          "linecolor 'blue' title 'end'\n",
            /* a point per iteration only while the points stay apart */
            n <= 200 ? "linespoints pointtype 7 pointsize 0.6" : "lines");
  return GR_OK;
}

GrStatus gr_plot_fit(FILE *f, const GrPlotOpts *o, const char *xname, const char *yname,
                     const double *x, const double *y, size_t n, const double *cx,
                     const double *cy, size_t m, GrDiag *d) {
  if (gr_plot_begin(f, o, d) != GR_OK)
    return d->status;
  xy_block(f, "data", x, y, n);
  xy_block(f, "fit", cx, cy, m);
  fputs("set xlabel ", f);
  gr_plot_quote(f, xname);
  fputs("\nset ylabel ", f);
  gr_plot_quote(f, yname);
  fputs("\nset key top left\n", f);
  if (is_dumb(o))
    fputs("plot $data using 1:2 with points title 'data', $fit using 1:2 with lines title 'fit'\n", f);
  else
    fputs("plot $data using 1:2 with points pointtype 7 pointsize 0.8 title 'data', \\\n"
          "     $fit using 1:2 with lines linewidth 2 title 'fit'\n",
          f);
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

FILE *gr_plot_open(GrDiag *d) {
  if (!gr_plot_available()) {
    gr_diag_set(d, GR_EIO, "gnuplot is not installed (or not on PATH): install gnuplot, or use "
                           "--gnuplot to write the script instead");
    return NULL;
  }
  fflush(stdout);
  FILE *p = popen(gnuplot_prog(), "w");
  if (!p)
    gr_diag_set(d, GR_EIO, "cannot run %s: %s", gnuplot_prog(), strerror(errno));
  return p;
}

GrStatus gr_plot_close(FILE *p, GrDiag *d) {
  int werr = fflush(p) != 0 || ferror(p);
  int st = pclose(p);
  if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || werr)
    return gr_diag_set(d, GR_EIO, "gnuplot failed (exit status %d)",
                       st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return GR_OK;
}
