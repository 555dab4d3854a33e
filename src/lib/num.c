/* SPDX-License-Identifier: GPL-3.0-or-later
 * Number formatting through the exact fast printer of dtoa.c (shortest round trip, or a
 * fixed number of significant digits as %.Ng). -0 prints as 0 (a sign on zero only confuses
 * a table).
 */
#include "num.h"
#include "dtoa.h"
#include <stdlib.h>
#include <string.h>

int gr_fmt(char *buf, double v, int digits) {
  int n = digits > 0 ? gr_dtoa_prec(v, digits, buf) : gr_dtoa(v, buf);
  buf[n] = 0;
  return n;
}

int gr_parse_double(const char *s, double *out) {
  char *end;
  if (!*s)
    return -1;
  *out = strtod(s, &end);
  return *end ? -1 : 0;
}
