/* SPDX-License-Identifier: GPL-3.0-or-later
 * grad --range ... --format binary against --format tsv of the same table: the binary rows
 * (little-endian IEEE doubles, no header, TSV's column order) must hold, bit for bit, the
 * doubles that strtod reads from the TSV text, and both runs must exit alike. Lines, grids,
 * several outputs, --order, --wrt, non-finite values (exit 1 in both). $GRAD is the program.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *cases[] = {
    "'x^2+3x+2' --range x=-6.5:3.5:1001",
    "'sin(x)*exp(-y)/(1+x^2)' --range x=-3:3:37,y=-1:2:23",
    "'x*y+z' 'log(x)' --range x=-1:1:50 --at y=0.3,z=2",
    "'sqrt(x)' '1/x' --range x=-1:1:41",
    "'atan2(y,x)' --range x=-1:1:9,y=-1:1:7 --wrt y",
    "'sin(x)/x' --range x=-20:20:3000 --order 2 --wrt x",
    "'x^2' --range x=0:1e300:77 --no-grad",
    "'exp(x)' --range x=-745.5:-700:200",
};

static int run(const char *cmd, char **buf, size_t *len) {
  FILE *p = popen(cmd, "r");
  if (!p)
    return -1;
  size_t cap = 1 << 16, n = 0, k;
  char *b = malloc(cap);
  while (b && (k = fread(b + n, 1, cap - n, p)) > 0) {
    n += k;
    if (n == cap)
      b = realloc(b, cap *= 2);
  }
  int st = pclose(p);
  *buf = b;
  *len = n;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void) {
  const char *grad = getenv("GRAD");
  if (!grad)
    grad = "src/grad";
  int fail = 0;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char cmd[512], *tsv, *bin;
    size_t nt, nb;
    snprintf(cmd, sizeof cmd, "'%s' %s --format tsv 2>/dev/null", grad, cases[c]);
    int rt = run(cmd, &tsv, &nt);
    snprintf(cmd, sizeof cmd, "'%s' %s --format binary 2>/dev/null", grad, cases[c]);
    int rb = run(cmd, &bin, &nb);
    if (rt != rb || (rt != 0 && rt != 1) || nb % 8) {
      fprintf(stderr, "FAIL: %s: tsv exit %d, binary exit %d, %zu bytes\n", cases[c], rt, rb, nb);
      fail++;
      continue;
    }
    /* the TSV's numbers in order, header and blank lines skipped */
    tsv = realloc(tsv, nt + 1);
    tsv[nt] = 0;
    size_t i = 0, bad = 0, cols = 0, first = 1;
    for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
      if (*line == '#') {
        for (char *s = line; *s; s++)
          cols += *s == ' ';
        continue;
      }
      for (char *s = line, *e; *s; s = e) {
        double v = strtod(s, &e);
        if (e == s) {
          e = s + 1;
          continue;
        }
        uint64_t a, b = 0;
        memcpy(&a, &v, 8);
        if (8 * i + 8 <= nb)
          for (int k = 7; k >= 0; k--) /* little-endian, whatever this machine is */
            b = b << 8 | (unsigned char)bin[8 * i + (size_t)k];
        double w;
        memcpy(&w, &b, 8);
        if (a != b && !(isnan(v) && isnan(w))) {
          if (first)
            fprintf(stderr, "FAIL: %s: value %zu: tsv %a, binary %a\n", cases[c], i, v, w);
          first = 0;
          bad++;
        }
        i++;
      }
    }
    if (bad || 8 * i != nb || !cols || i % cols) {
      fprintf(stderr, "FAIL: %s: %zu values in tsv (%zu columns), %zu in binary, %zu differ\n",
              cases[c], i, cols, nb / 8, bad);
      fail++;
    }
    free(tsv);
    free(bin);
  }
  printf("table_binary: %zu tables, %d failed\n", sizeof cases / sizeof cases[0], fail);
  return fail != 0;
}
