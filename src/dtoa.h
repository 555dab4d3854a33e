/* SPDX-License-Identifier: MIT
 * Fast shortest round-trip double -> decimal (Grisu3 with an exact fallback). The text is
 * exactly what gr_fmt(buf, v, 0) prints ("%.Pg" with the smallest P that reads back, integers
 * below 1e15 in full, -0 as 0, inf/-inf/nan), so tables and points print the same numbers.
 */
#ifndef GR_DTOA_H
#define GR_DTOA_H

/* Writes v into buf (at least 32 bytes, not NUL-terminated) and returns the length. */
int gr_dtoa(double v, char *buf);
/* How many calls needed the slow exact fallback (Grisu3 could not decide); for tests. */
extern unsigned long gr_dtoa_fallbacks;

#endif
