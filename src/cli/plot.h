/* SPDX-License-Identifier: GPL-3.0-or-later
 * gnuplot scripts with the data inline ($name << EOD ... EOD) and running gnuplot. A script
 * is: gr_plot_begin (terminal and output), one or more data blocks written by the caller
 * between gr_plot_data_begin/_end (streamed, so a table need not fit in memory), then one
 * of the plot commands. gr_plot_loss/_path/_fit write whole scripts from arrays (for
 * minimize). Functions here write to a FILE * and never print anything else.
 */
#ifndef GR_PLOT_H
#define GR_PLOT_H
#include "diag.h"
#include "graph.h"
#include <stdio.h>

typedef enum { GR_TERM_DUMB, GR_TERM_PNG, GR_TERM_SVG, GR_TERM_PDF } GrPlotTerm;

typedef struct GrPlotOpts {
  const char *output;  /* file (.png .svg .pdf), or NULL: a dumb text plot on stdout */
  int width, height;   /* pixels, or characters for dumb; 0: 800x600 / the terminal's size */
  const char *title;   /* NULL: none */
  int interactive;     /* output NULL: gnuplot's default terminal (a window), not a text plot */
} GrPlotOpts;

/* The terminal for an output file name by its extension; GR_EUSAGE for an unknown one. */
GrStatus gr_plot_term_for(const char *output, GrPlotTerm *term, GrDiag *d);
/* set terminal/output/title; GR_EUSAGE for an unknown extension. PNG uses pngcairo when
 * the gnuplot that runs the script has it (tested in the script), else png. */
GrStatus gr_plot_begin(FILE *f, const GrPlotOpts *o, GrDiag *d);
void gr_plot_data_begin(FILE *f, const char *name);
void gr_plot_data_end(FILE *f);
/* Write s as a gnuplot single-quoted string. */
void gr_plot_quote(FILE *f, const char *s);

/* The data argument of the plot commands is gnuplot's name for the table: "$name" for a
 * datablock, or a file with its options ('file' binary format='%3double'; a grid's also
 * record=NINNERxNOUTER). */
/* Curves: column 1 is x, columns 2..ny+1 the curves named names[], whose finite values lie
 * in [lo[i], hi[i]] (lo, hi NULL: unknown). Curves of one scale share a y axis; of two
 * scales, the second scale's are on the right-hand axis (y2); of three or more, each scale
 * has a panel of its own, stacked over the shared x axis. Every y axis is labelled. */
void gr_plot_curves(FILE *f, const char *data, const char *xname, int ny,
                    const char *const *names, const double *lo, const double *hi,
                    const GrPlotOpts *o);
/* A grid (x y z ..., scan lines separated by blank lines): a surface coloured by height
 * (viridis, with a colour box) over contour lines that it hides, or contour lines only in a
 * text plot. */
void gr_plot_surface(FILE *f, const char *data, const char *xname, const char *yname,
                     const char *zname, const GrPlotOpts *o);

/* Whole scripts for minimize. A loss curve over the iterations iter[] (NULL: 0, 1, ...),
 * titled o->title or "loss per iteration", on a log scale when every value is positive and
 * they span two decades or more. */
GrStatus gr_plot_loss(FILE *f, const GrPlotOpts *o, const double *iter, const double *loss,
                      size_t n, GrDiag *d);
/* The path (px[i], py[i]) over the contour map of out(x, y), its levels labelled with their
 * values: f is tabulated on a grid around the path with gr_table, finer where f is steep;
 * fixed gives the values of the graph's other variables. */
GrStatus gr_plot_path(FILE *f, const GrPlotOpts *o, const GrGraph *g, GrNode *out, int xvar,
                      int yvar, const double *fixed, const double *px, const double *py,
                      size_t n, GrDiag *d);
/* Data points (x[i], y[i]) and a fitted curve (cx[j], cy[j]); the key lists params[]
 * (lines such as "a = 2.004 +/- 0.0044") under the fit's entry. */
GrStatus gr_plot_fit(FILE *f, const GrPlotOpts *o, const char *xname, const char *yname,
                     const double *x, const double *y, size_t n, const double *cx,
                     const double *cy, size_t m, const char *const *params, int nparams,
                     GrDiag *d);

/* Is gnuplot installed? (env GNUPLOT names the program, else "gnuplot" on PATH.) */
int gr_plot_available(void);
/* Start gnuplot reading a script from the returned stream; NULL with GR_EIO when gnuplot is
 * not installed or cannot be started. With show_output its stdout (a text plot) is ours,
 * else /dev/null: an image goes to its file, never to the terminal. Its stderr is
 * collected. One gnuplot at a time. */
FILE *gr_plot_open(int show_output, GrDiag *d);
/* Finish the script and wait. gnuplot's messages are relayed to stderr, each line as
 * "PROG: gnuplot: ..."; GR_EIO when gnuplot failed. */
GrStatus gr_plot_close(FILE *p, const char *prog, GrDiag *d);

#endif
