/* SPDX-License-Identifier: GPL-3.0-or-later
 * Number formatting: the shortest decimal that reads back to the same double (25.76, not
 * 25.760000000000002), or a fixed number of significant digits. Always the C locale.
 */
#ifndef GR_NUM_H
#define GR_NUM_H
#include <stddef.h>

/* Writes v into buf (at least 32 bytes); digits <= 0 means shortest round-trip.
 * Returns the length. Non-finite values print as inf, -inf, nan. */
int gr_fmt(char *buf, double v, int digits) __attribute__((nonnull(1)));
/* Parse a whole string as a double (C locale); 0 on success. */
int gr_parse_double(const char *s, double *out);

#endif
