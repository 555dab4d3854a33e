/* SPDX-License-Identifier: GPL-3.0-or-later
 * Helpers of the fuzz targets (see fuzz.h). */
#include "fuzz.h"
#include "graph.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_init(void) {
  static int done;
  if (done)
    return;
  done = 1;
  gr_init();
  if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout)) {
    perror("fuzz: /dev/null");
    abort();
  }
  setenv("GNUPLOT", "/dev/null/no-gnuplot", 1);
  setenv("LC_ALL", "C", 1);
  unsetenv("COLUMNS");
  unsetenv("LINES");
}

char *fuzz_str(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    abort();
  memcpy(s, data, size);
  s[size] = 0;
  return s;
}

int fuzz_bad_path(const char *s) {
  static const char *const bad[] = {"/dev", "/proc", "/sys", NULL};
  for (const char *const *b = bad; *b; b++)
    if (strstr(s, *b))
      return 1;
  return 0;
}

int fuzz_too_costly(const char *s) {
  int above64 = 0, above6 = 0;
  for (const char *p = s; *p;) {
    if (!(*p >= '0' && *p <= '9')) {
      p++;
      continue;
    }
    int frac = p > s && p[-1] == '.';
    while (*p == '0')
      p++;
    long v = 0;
    int nd = 0;
    for (; *p >= '0' && *p <= '9'; p++, nd++)
      v = nd < 6 ? v * 10 + (*p - '0') : v;
    if (frac)
      continue;
    if (nd > 3)
      return 1;
    above64 += v > 64;
    above6 += v > 6;
  }
  return above64 > 1 || (above6 && strstr(s, "order"));
}
