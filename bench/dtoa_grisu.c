/* SPDX-License-Identifier: GPL-3.0-or-later
 * The printer grad used before Schubfach, kept for bench/dtoa_bench.c only: Loitsch's
 * Grisu3 ("Printing floating-point numbers quickly and accurately with integers", PLDI 2010): the double and its rounding boundaries are scaled
 * by a cached power of ten into 64-bit fixed point, digits are generated until the number
 * lies in the (safely shrunk) rounding interval, and the last digit is walked towards v.
 * Grisu3 knows when its 64-bit precision cannot decide (about 0.5% of doubles): those take the
 * exact path, snprintf("%.Pg") for P = 15, 16, 17 checked with strtod. The result is always
 * the shortest digit string that reads back to v, formatted as printf's %g would.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long gr_dtoa_fallbacks;

typedef struct {
  uint64_t f;
  int e;
} Fp; /* f * 2^e */

/* 10^k rounded to 64 significant bits, for k = -348, -340, ..., 340 (generated exactly from
 * rational arithmetic; the spacing of 8 decimal exponents covers every double's exponent
 * with the target window [-60, -32] below). */
static const struct {
  uint64_t f;
  int e, k;
} pow10_cache[] = {
    {0xfa8fd5a0081c0288u, -1220, -348},
    {0xbaaee17fa23ebf76u, -1193, -340},
    {0x8b16fb203055ac76u, -1166, -332},
    {0xcf42894a5dce35eau, -1140, -324},
    {0x9a6bb0aa55653b2du, -1113, -316},
    {0xe61acf033d1a45dfu, -1087, -308},
    {0xab70fe17c79ac6cau, -1060, -300},
    {0xff77b1fcbebcdc4fu, -1034, -292},
    {0xbe5691ef416bd60cu, -1007, -284},
    {0x8dd01fad907ffc3cu, -980, -276},
    {0xd3515c2831559a83u, -954, -268},
    {0x9d71ac8fada6c9b5u, -927, -260},
    {0xea9c227723ee8bcbu, -901, -252},
    {0xaecc49914078536du, -874, -244},
    {0x823c12795db6ce57u, -847, -236},
    {0xc21094364dfb5637u, -821, -228},
    {0x9096ea6f3848984fu, -794, -220},
    {0xd77485cb25823ac7u, -768, -212},
    {0xa086cfcd97bf97f4u, -741, -204},
    {0xef340a98172aace5u, -715, -196},
    {0xb23867fb2a35b28eu, -688, -188},
    {0x84c8d4dfd2c63f3bu, -661, -180},
    {0xc5dd44271ad3cdbau, -635, -172},
    {0x936b9fcebb25c996u, -608, -164},
    {0xdbac6c247d62a584u, -582, -156},
    {0xa3ab66580d5fdaf6u, -555, -148},
    {0xf3e2f893dec3f126u, -529, -140},
    {0xb5b5ada8aaff80b8u, -502, -132},
    {0x87625f056c7c4a8bu, -475, -124},
    {0xc9bcff6034c13053u, -449, -116},
    {0x964e858c91ba2655u, -422, -108},
    {0xdff9772470297ebdu, -396, -100},
    {0xa6dfbd9fb8e5b88fu, -369, -92},
    {0xf8a95fcf88747d94u, -343, -84},
    {0xb94470938fa89bcfu, -316, -76},
    {0x8a08f0f8bf0f156bu, -289, -68},
    {0xcdb02555653131b6u, -263, -60},
    {0x993fe2c6d07b7facu, -236, -52},
    {0xe45c10c42a2b3b06u, -210, -44},
    {0xaa242499697392d3u, -183, -36},
    {0xfd87b5f28300ca0eu, -157, -28},
    {0xbce5086492111aebu, -130, -20},
    {0x8cbccc096f5088ccu, -103, -12},
    {0xd1b71758e219652cu, -77, -4},
    {0x9c40000000000000u, -50, 4},
    {0xe8d4a51000000000u, -24, 12},
    {0xad78ebc5ac620000u, 3, 20},
    {0x813f3978f8940984u, 30, 28},
    {0xc097ce7bc90715b3u, 56, 36},
    {0x8f7e32ce7bea5c70u, 83, 44},
    {0xd5d238a4abe98068u, 109, 52},
    {0x9f4f2726179a2245u, 136, 60},
    {0xed63a231d4c4fb27u, 162, 68},
    {0xb0de65388cc8ada8u, 189, 76},
    {0x83c7088e1aab65dbu, 216, 84},
    {0xc45d1df942711d9au, 242, 92},
    {0x924d692ca61be758u, 269, 100},
    {0xda01ee641a708deau, 295, 108},
    {0xa26da3999aef774au, 322, 116},
    {0xf209787bb47d6b85u, 348, 124},
    {0xb454e4a179dd1877u, 375, 132},
    {0x865b86925b9bc5c2u, 402, 140},
    {0xc83553c5c8965d3du, 428, 148},
    {0x952ab45cfa97a0b3u, 455, 156},
    {0xde469fbd99a05fe3u, 481, 164},
    {0xa59bc234db398c25u, 508, 172},
    {0xf6c69a72a3989f5cu, 534, 180},
    {0xb7dcbf5354e9beceu, 561, 188},
    {0x88fcf317f22241e2u, 588, 196},
    {0xcc20ce9bd35c78a5u, 614, 204},
    {0x98165af37b2153dfu, 641, 212},
    {0xe2a0b5dc971f303au, 667, 220},
    {0xa8d9d1535ce3b396u, 694, 228},
    {0xfb9b7cd9a4a7443cu, 720, 236},
    {0xbb764c4ca7a44410u, 747, 244},
    {0x8bab8eefb6409c1au, 774, 252},
    {0xd01fef10a657842cu, 800, 260},
    {0x9b10a4e5e9913129u, 827, 268},
    {0xe7109bfba19c0c9du, 853, 276},
    {0xac2820d9623bf429u, 880, 284},
    {0x80444b5e7aa7cf85u, 907, 292},
    {0xbf21e44003acdd2du, 933, 300},
    {0x8e679c2f5e44ff8fu, 960, 308},
    {0xd433179d9c8cb841u, 986, 316},
    {0x9e19db92b4e31ba9u, 1013, 324},
    {0xeb96bf6ebadf77d9u, 1039, 332},
    {0xaf87023b9bf0ee6bu, 1066, 340},
};
#define NCACHE (sizeof pow10_cache / sizeof pow10_cache[0])

enum { ALPHA = -60, GAMMA = -32 };

static Fp fp_mul(Fp a, Fp b) {
  unsigned __int128 p = (unsigned __int128)a.f * b.f;
  uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p;
  hi += lo >> 63; /* round to nearest: the result is within half a unit */
  return (Fp){hi, a.e + b.e + 64};
}

static Fp fp_norm(Fp x) {
  int s = __builtin_clzll(x.f);
  return (Fp){x.f << s, x.e - s};
}

/* Walk the last digit down towards w while that stays inside the interval and gets closer,
 * then say whether the result is provably the closest shortest representation. All
 * quantities are distances below too_high in units of 2^e, each known within `unit`. */
static int round_weed(char *buf, int len, uint64_t dist_high_w, uint64_t unsafe, uint64_t rest,
                      uint64_t ten_kappa, uint64_t unit) {
  uint64_t small = dist_high_w - unit, big = dist_high_w + unit;
  while (rest < small && unsafe - rest >= ten_kappa &&
         (rest + ten_kappa < small || small - rest >= rest + ten_kappa - small)) {
    buf[len - 1]--;
    rest += ten_kappa;
  }
  /* could the digit go one further towards w's lower error bound? then it is undecided */
  if (rest < big && unsafe - rest >= ten_kappa &&
      (rest + ten_kappa < big || big - rest > rest + ten_kappa - big))
    return 0;
  /* inside the safe interval: at least 2 units from too_high, 4 from too_low */
  return 2 * unit <= rest && rest <= unsafe - 4 * unit;
}

static const uint32_t pow10_32[] = {1u,      10u,      100u,      1000u,      10000u,
                                    100000u, 1000000u, 10000000u, 100000000u, 1000000000u};

/* Digits of w (scaled so that low.e == w.e == high.e in [ALPHA, GAMMA]) as the shortest
 * string in (low, high); *kappa gets the decimal exponent of the last digit. */
static int digit_gen(Fp low, Fp w, Fp high, char *buf, int *len, int *kappa) {
  uint64_t unit = 1;
  Fp too_low = {low.f - unit, low.e}, too_high = {high.f + unit, high.e};
  uint64_t unsafe = too_high.f - too_low.f;
  int sh = -w.e;
  uint64_t one = (uint64_t)1 << sh;
  uint32_t integrals = (uint32_t)(too_high.f >> sh);
  uint64_t fractionals = too_high.f & (one - 1);
  /* the largest power of ten <= integrals */
  int k = 9;
  while (k > 0 && pow10_32[k] > integrals)
    k--;
  uint32_t divisor = pow10_32[k];
  *kappa = k + 1;
  *len = 0;
  while (*kappa > 0) {
    buf[(*len)++] = (char)('0' + integrals / divisor);
    integrals %= divisor;
    (*kappa)--;
    uint64_t rest = ((uint64_t)integrals << sh) + fractionals;
    if (rest < unsafe)
      return round_weed(buf, *len, too_high.f - w.f, unsafe, rest, (uint64_t)divisor << sh, unit);
    divisor /= 10;
  }
  for (;;) {
    fractionals *= 10;
    unit *= 10;
    unsafe *= 10;
    buf[(*len)++] = (char)('0' + (fractionals >> sh));
    fractionals &= one - 1;
    (*kappa)--;
    if (fractionals < unsafe)
      return round_weed(buf, *len, (too_high.f - w.f) * unit, unsafe, fractionals, one, unit);
    if (*len > 18)
      return 0;
  }
}

/* Shortest digits of a positive finite v: digits in buf, value = digits * 10^(*dexp). */
static int grisu3(double v, char *buf, int *len, int *dexp) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  uint64_t frac = bits & ((1ull << 52) - 1);
  int be = (int)(bits >> 52 & 0x7ff);
  Fp x = be ? (Fp){frac | 1ull << 52, be - 1075} : (Fp){frac, -1074};
  Fp plus = fp_norm((Fp){(x.f << 1) + 1, x.e - 1});
  /* the gap below a power of two is half the gap above */
  Fp minus = (frac == 0 && be > 1) ? (Fp){(x.f << 2) - 1, x.e - 2} : (Fp){(x.f << 1) - 1, x.e - 1};
  minus.f <<= minus.e - plus.e;
  minus.e = plus.e;
  Fp w = fp_norm(x);
  /* a cached 10^-mk that brings w's exponent into [ALPHA, GAMMA] */
  int lo_e = ALPHA - (w.e + 64);
  int idx = ((int)ceil((lo_e + 63) * 0.30102999566398114) + 348 + 7) / 8;
  if (idx < 0)
    idx = 0;
  if (idx >= (int)NCACHE)
    idx = NCACHE - 1;
  while (idx > 0 && pow10_cache[idx].e > GAMMA - (w.e + 64))
    idx--;
  while (idx + 1 < (int)NCACHE && pow10_cache[idx].e < lo_e)
    idx++;
  Fp c = {pow10_cache[idx].f, pow10_cache[idx].e};
  int mk = pow10_cache[idx].k;
  Fp sw = fp_mul(w, c), sm = fp_mul(minus, c), sp = fp_mul(plus, c);
  if (sw.e < ALPHA || sw.e > GAMMA)
    return 0;
  int kappa;
  if (!digit_gen(sm, sw, sp, buf, len, &kappa))
    return 0;
  *dexp = kappa - mk;
  return 1;
}

/* Write digits d[0..n) with decimal exponent x of the first digit as %.{n}g does. */
static int format_g(char *out, int neg, const char *d, int n, int x) {
  char *p = out;
  if (neg)
    *p++ = '-';
  if (x < -4 || x >= n) {
    if (x >= n && x < 15) { /* integers below 1e15 in full, as gr_fmt does */
      memcpy(p, d, (size_t)n);
      p += n;
      for (int i = n; i <= x; i++)
        *p++ = '0';
      return (int)(p - out);
    }
    *p++ = d[0];
    if (n > 1) {
      *p++ = '.';
      memcpy(p, d + 1, (size_t)n - 1);
      p += n - 1;
    }
    *p++ = 'e';
    *p++ = x < 0 ? '-' : '+';
    int ax = x < 0 ? -x : x;
    if (ax >= 100) {
      *p++ = (char)('0' + ax / 100);
      ax %= 100;
    }
    *p++ = (char)('0' + ax / 10);
    *p++ = (char)('0' + ax % 10);
    return (int)(p - out);
  }
  if (x < 0) {
    *p++ = '0';
    *p++ = '.';
    for (int i = -1; i > x; i--)
      *p++ = '0';
    memcpy(p, d, (size_t)n);
    p += n;
  } else {
    memcpy(p, d, (size_t)x + 1);
    p += x + 1;
    if (n > x + 1) {
      *p++ = '.';
      memcpy(p, d + x + 1, (size_t)(n - x - 1));
      p += n - x - 1;
    }
  }
  return (int)(p - out);
}

/* The exact path: the smallest P whose %.Pg reads back (shortest, correctly rounded). */
static int slow_digits(double v, char *d, int *x) {
  char tmp[40];
  int p = 1;
  for (; p < 17; p++) {
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
    if (strtod(tmp, NULL) == v)
      break;
  }
  snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
  int n = 0;
  char *s = tmp;
  for (; *s && *s != 'e'; s++)
    if (*s >= '0' && *s <= '9')
      d[n++] = *s;
  *x = atoi(s + 1);
  return n;
}

int old_grisu_dtoa(double v, char *out);
int old_grisu_dtoa(double v, char *out) {
  if (v != v) {
    memcpy(out, "nan", 3);
    return 3;
  }
  int neg = signbit(v) != 0;
  if (neg)
    v = -v;
  if (v == 0) {
    out[0] = '0';
    return 1;
  }
  if (isinf(v)) {
    if (neg)
      memcpy(out, "-inf", 4);
    else
      memcpy(out, "inf", 3);
    return neg ? 4 : 3;
  }
  char d[32];
  int n, dexp, x;
  if (grisu3(v, d, &n, &dexp)) {
    while (n > 1 && d[n - 1] == '0') {
      n--;
      dexp++;
    }
    x = n + dexp - 1;
  } else {
    gr_dtoa_fallbacks++;
    n = slow_digits(v, d, &x);
    while (n > 1 && d[n - 1] == '0')
      n--;
  }
  return format_g(out, neg, d, n, x);
}
