/* SPDX-License-Identifier: GPL-3.0-or-later
 * Distance between two doubles in ulps, for the tests that hold vector math to within an
 * ulp or two of scalar libm (tests/unit/check_vecmath.c, tests/prop/table_vecmath.c).
 * Header-only (static functions).
 */
#ifndef GR_TEST_ULPS_H
#define GR_TEST_ULPS_H
#include <math.h>
#include <stdint.h>
#include <string.h>

/* x's bits as an integer ordered like the doubles: -0 and +0 both 0, each next double
 * one more */
static inline int64_t key(double x) {
  int64_t i;
  memcpy(&i, &x, sizeof i);
  return i < 0 ? INT64_MIN - i : i;
}
/* the representable doubles between a and b; NaN against NaN 0, NaN against a number
 * UINT64_MAX */
static inline uint64_t ulps(double a, double b) {
  if (isnan(a) || isnan(b))
    return isnan(a) && isnan(b) ? 0 : UINT64_MAX;
  int64_t ka = key(a), kb = key(b); /* (the difference in unsigned: no overflow) */
  return ka > kb ? (uint64_t)ka - (uint64_t)kb : (uint64_t)kb - (uint64_t)ka;
}

#endif
