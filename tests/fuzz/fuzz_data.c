/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz target: the data-file reader. The input is the file's text, parsed twice: with the
 * column names from its header (as --data FILE reads it) and with names given by the
 * caller (as --columns x,y does). On success every column is read and looked up by name.
 */
#include "data.h"
#include "fuzz.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void one(const char *text, char *const *names) {
  GrData dt;
  GrDiag d;
  memset(&dt, 0, sizeof dt);
  if (gr_data_parse(text, "fuzz.tsv", names, &dt, &d) != GR_OK)
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
  static char x[] = "x", y[] = "y", z[] = "z";
  static char *const xy[] = {x, y, NULL};
  static char *const xyz[] = {x, y, z, NULL};
  one(text, NULL);
  one(text, xy);
  one(text, xyz);
  free(text);
  return 0;
}
