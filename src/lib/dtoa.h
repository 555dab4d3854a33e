/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fast exact double -> decimal. gr_dtoa prints the shortest text that reads back to the same
 * double, exactly what gr_fmt(buf, v, 0) prints ("%.Pg" with the smallest P that reads back,
 * among those the closest to v; integers below 1e15 in full, -0 as 0, inf/-inf/nan), so
 * tables, points and reports print the same numbers. gr_dtoa_prec prints what
 * printf("%.*g", prec, v) prints (prec clamped to 1..17), except -0 as 0.
 */
#ifndef GR_DTOA_H
#define GR_DTOA_H
#include <stdint.h>

/* Write v into buf (at least 32 bytes, not NUL-terminated) and return the length (at most
 * 24). The bytes after the text, up to the 32nd, may be overwritten. */
int gr_dtoa(double v, char *buf);
int gr_dtoa_prec(double v, int prec, char *buf);
/* How many gr_dtoa_prec calls let the C library decide a rounding (v 10^-e within 2^-64 of a
 * half without being one: never seen in random testing); for tests. */
extern unsigned long gr_dtoa_fallbacks;

/* Decimal -> double: w 10^q (w at most 19 digits) correctly rounded (as strtod), negated
 * when neg, into *out; -1 when the fast method cannot decide (rare: results next to a
 * halfway point, subnormal or overflowing results), then the caller uses strtod. */
int gr_decimal_to_double(uint64_t w, int q, int neg, double *out);

#endif
