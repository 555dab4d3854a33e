/* SPDX-License-Identifier: GPL-3.0-or-later
 * The C side of bench/read.sh: the data reader alone (gr_data_read, what minimize --data
 * runs before fitting), so that its time is not mixed with a fit's. Prints the rows and
 * columns read and the sum of every column (to compare with numpy's), exit 3 on a bad file.
 * Usage: read_bench FILE
 */
#include "data.h"
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return fprintf(stderr, "usage: read_bench FILE\n"), 2;
  GrData d;
  GrDiag g;
  if (gr_data_read(argv[1], NULL, &d, &g) != GR_OK)
    return fprintf(stderr, "read_bench: %s\n", g.msg), 3;
  printf("%zu rows %d columns", d.nrow, d.ncol);
  for (int k = 0; k < d.ncol; k++) {
    double s = 0;
    for (size_t i = 0; i < d.nrow; i++)
      s += d.col[k][i];
    printf(" %.17g", s);
  }
  printf("\n");
  gr_data_free(&d);
  return 0;
}
