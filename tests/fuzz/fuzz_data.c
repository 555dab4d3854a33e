/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz target: the data-file reader. The input is the file's text, parsed twice: with the
 * column names from its header (as --data FILE reads it) and with names given by the
 * caller (as --columns x,y does), each also from a file holding the text (where plain rows
 * take the row reader's own road), which must give the same data or the same message. On
 * success every column is read and looked up by name.
 */
#include "data.h"
#include "fuzz.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The file the text is also written to, so that it is read again from a file, where plain
 * rows take the row reader's own road: the same rows and values or the same message. A
 * new one for each input, removed after it (libFuzzer may end without running atexit). */
static char path[4096];

static void write_text(const char *text) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/fuzz_data_XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  size_t n = strlen(text);
  if (fd < 0 || write(fd, text, n) != (ssize_t)n || close(fd) != 0) {
    perror("fuzz_data: writing the file");
    abort();
  }
}

static void same_as_file(const char *text, char *const *names, GrStatus st, const GrData *dt,
                         const GrDiag *d) {
  GrData ft;
  GrDiag fd;
  GrStatus fst = gr_data_read(path, names, &ft, &fd);
  if (!*text || (fst != GR_OK && strstr(fd.msg, "compressed data")))
    ; /* an empty file says so, and compressed data is only recognized in a file */
  else if (st != fst || (st != GR_OK && strcmp(d->msg, fd.msg))) {
    fprintf(stderr, "fuzz_data: the string reads as '%s', the file as '%s'\n",
            st == GR_OK ? "ok" : d->msg, fst == GR_OK ? "ok" : fd.msg);
    abort();
  } else if (st == GR_OK) {
    int same = dt->ncol == ft.ncol && dt->nrow == ft.nrow;
    for (int c = 0; same && c < dt->ncol; c++) {
      same = !strcmp(dt->names[c], ft.names[c]);
      for (size_t r = 0; same && r < dt->nrow; r++)
        same = !memcmp(&dt->col[c][r], &ft.col[c][r], sizeof(double));
    }
    if (!same) {
      fprintf(stderr, "fuzz_data: the string and the file give different data\n");
      abort();
    }
  }
  if (fst == GR_OK)
    gr_data_free(&ft);
}

static void one(const char *text, char *const *names) {
  GrData dt;
  GrDiag d;
  memset(&dt, 0, sizeof dt);
  GrStatus st = gr_data_parse(text, path, names, &dt, &d);
  same_as_file(text, names, st, &dt, &d);
  if (st != GR_OK)
    return; /* (the reader frees what it had read) */
  double s = 0;
  for (int c = 0; c < dt.ncol; c++) {
    if (gr_data_find(&dt, dt.names[c]) < 0) {
      fprintf(stderr, "fuzz_data: column '%s' is not found by its own name\n", dt.names[c]);
      abort();
    }
    for (size_t r = 0; r < dt.nrow; r++)
      s += dt.col[c][r];
  }
  (void)gr_data_find(&dt, "no such column");
  if (dt.nrow == 0 && dt.ncol > 0) {
    fprintf(stderr, "fuzz_data: a data set without rows was accepted\n");
    abort();
  }
  (void)s;
  gr_data_free(&dt);
}

const char fuzz_target[] = "data";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_init();
  char *text = fuzz_str(data, size);
  write_text(text);
  static char x[] = "x", y[] = "y", z[] = "z";
  static char *const xy[] = {x, y, NULL};
  static char *const xyz[] = {x, y, z, NULL};
  one(text, NULL);
  one(text, xy);
  one(text, xyz);
  unlink(path);
  free(text);
  return 0;
}
