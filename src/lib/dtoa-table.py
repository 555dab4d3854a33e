#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Prints the table pow10_g of src/dtoa.c: for e = -308 ... 341,
#   g = floor(10^e * 2^(127 - fl)) + 1,  fl = floor(log2(10^e)),
# a 128-bit upper approximation of 10^e (2^127 <= g < 2^128), as {high, low} 64-bit words.
# Exact integer arithmetic only. Also checks the multiply-and-shift logarithms dtoa.c uses.
from fractions import Fraction

EMIN, EMAX = -308, 341


def floor_log2_pow10(e):
    if e >= 0:
        return (10**e).bit_length() - 1
    n = 10**(-e)
    b = n.bit_length() - 1
    return -(b if n == 1 << b else b + 1)


def floor_log10(x):
    k = 0
    while Fraction(10)**k > x:
        k -= 1
    while Fraction(10)**(k + 1) <= x:
        k += 1
    return k


def main():
    for e in range(-1650, 1651):
        assert floor_log2_pow10(e) == (e * 1741647) >> 19, e
    for q in range(-1100, 1000):
        x = Fraction(2)**q
        assert floor_log10(x) == (q * 1262611) >> 22, q
        assert floor_log10(x * 3 / 4) == (q * 1262611 - 524031) >> 22, q
    for e in range(EMIN, EMAX + 1):
        s = 127 - floor_log2_pow10(e)
        num, den = (10**e, 1) if e >= 0 else (1, 10**(-e))
        if s >= 0:
            num <<= s
        else:
            den <<= -s
        g = num // den + 1
        assert 1 << 127 <= g < 1 << 128, e
        print("    {0x%016xu, 0x%016xu}, /* %d */" % (g >> 64, g & (2**64 - 1), e))


main()
