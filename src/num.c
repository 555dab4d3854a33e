/* SPDX-License-Identifier: MIT
 * Shortest round-trip formatting by trying 1..17 significant digits; %.17g always reads
 * back, so the loop ends. -0 prints as 0 (a sign on zero only confuses a table).
 */
#include "num.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gr_fmt(char *buf, double v, int digits) {
  if (isnan(v))
    return sprintf(buf, "nan");
  if (isinf(v))
    return sprintf(buf, v > 0 ? "inf" : "-inf");
  if (v == 0)
    return sprintf(buf, "0");
  if (digits > 0)
    return snprintf(buf, 32, "%.*g", digits > 17 ? 17 : digits, v);
  if (v == rint(v) && fabs(v) < 1e15)
    return snprintf(buf, 32, "%.0f", v);
  for (int p = 1; p <= 17; p++) {
    int n = snprintf(buf, 32, "%.*g", p, v);
    if (strtod(buf, NULL) == v)
      return n;
  }
  return snprintf(buf, 32, "%.17g", v);
}

int gr_parse_double(const char *s, double *out) {
  char *end;
  if (!*s)
    return -1;
  *out = strtod(s, &end);
  return *end ? -1 : 0;
}
