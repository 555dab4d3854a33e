#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference values for tests/unit/extreme_corpus.h: expressions whose derivative is known in
closed form, at points where an intermediate of the value or of a local partial is near or
beyond the ends of the double range (1/exp(400), 1/x at a subnormal x, a^(b-1) overflowing,
gamma near 171.6) while the value and the derivative are ordinary doubles.

Each value and derivative is computed with mpmath at 50 digits from the closed form, checked
against mpmath's own numerical derivative, and rounded once to the nearest double. The
point is the double nearest the decimal given (both sides parse the same string).

    python3 bench/extreme_corpus.py > tests/unit/extreme_corpus.h
"""
import sys
import mpmath as mp

mp.mp.dps = 50
E = mp.mpf


def D(s):
    """the double nearest the decimal s, exactly, as grad reads the constant"""
    return E(float(s))

# (expression in grad's language, point, value f(x), derivative f'(x)) as mpmath lambdas
CORPUS = [
    # division: the local partial -y/b under- or overflows, the adjoint product does not
    ("log(1/exp(x))", ["400", "600", "700", "-400", "-700"], lambda x: -x, lambda x: E(-1)),
    ("log(x/exp(x))", ["400", "700"], lambda x: mp.log(x) - x, lambda x: 1 / x - 1),
    ("log(1/x)", ["1e-300", "1e300", "3e-308"], lambda x: -mp.log(x), lambda x: -1 / x),
    ("1e-300*(x/1e-310)", ["1e-20", "-3.5e-15"], lambda x: D("1e-300") * x / D("1e-310"),
     lambda x: D("1e-300") / D("1e-310")),
    # log, log2, log10 at a subnormal argument: 1/a overflows, g/a does not
    ("1e-300*log(x)", ["1e-310", "5e-324"], lambda x: D("1e-300") * mp.log(x),
     lambda x: D("1e-300") / x),
    ("1e-300*log2(x)", ["1e-310"], lambda x: D("1e-300") * mp.log(x, 2),
     lambda x: D("1e-300") / (x * mp.log(2))),
    ("1e-300*log10(x)", ["1e-310"], lambda x: D("1e-300") * mp.log10(x),
     lambda x: D("1e-300") / (x * mp.log(10))),
    # pow: a^(b-1) overflows where a^b does not
    ("log(x^-0.05)", ["1e-300", "1e-305"], lambda x: E("-0.05") * mp.log(x),
     lambda x: E("-0.05") / x),
    ("x^0.5", ["1e-310", "1e300"], lambda x: mp.sqrt(x), lambda x: 1 / (2 * mp.sqrt(x))),
    ("log(x^300)", ["0.1", "1e1"], lambda x: 300 * mp.log(x), lambda x: 300 / x),
    # exp and log whose composition stays in range
    ("log(exp(x))", ["709", "-700", "-708"], lambda x: x, lambda x: E(1)),
    ("exp(x)*exp(-x)", ["700", "-700"], lambda x: E(1), lambda x: E(0)),
    # atan, atan2, asinh, acosh: a^2 overflows
    ("1e300*atan(x)", ["1e160", "-1e200"], lambda x: D("1e300") * mp.atan(x),
     lambda x: D("1e300") / (1 + x * x)),
    ("1e300*atan2(x, 1e160)", ["1e160", "-3e159"], lambda x: D("1e300") * mp.atan2(x, D("1e160")),
     lambda x: D("1e300") * D("1e160") / (x * x + D("1e160") ** 2)),
    ("1e300*asinh(x)", ["1e200", "-1e300"], lambda x: D("1e300") * mp.asinh(x),
     lambda x: D("1e300") / mp.sqrt(x * x + 1)),
    ("1e300*acosh(x)", ["1e200"], lambda x: D("1e300") * mp.acosh(x),
     lambda x: D("1e300") / mp.sqrt(x * x - 1)),
    # erf: exp(-a^2) is subnormal, the product with a large adjoint is not
    ("1e300*erf(x)", ["26.7", "-26.9"], lambda x: D("1e300") * mp.erf(x),
     lambda x: D("1e300") * 2 / mp.sqrt(mp.pi) * mp.exp(-x * x)),
    ("1e300*erfc(x)", ["26.7"], lambda x: D("1e300") * mp.erfc(x),
     lambda x: D("-1e300") * 2 / mp.sqrt(mp.pi) * mp.exp(-x * x)),
    # gamma between 171 and its overflow at 171.62, and its derivative scaled into range
    ("gamma(x)", ["171.1", "171.5", "171.6", "171.62", "170.9"], lambda x: mp.gamma(x), None),
    ("1e-300*gamma(x)", ["171.5", "171.6"], lambda x: D("1e-300") * mp.gamma(x),
     lambda x: D("1e-300") * mp.gamma(x) * mp.digamma(x)),
    ("sqrt(gamma(x))", ["171.5"], lambda x: mp.sqrt(mp.gamma(x)),
     lambda x: mp.sqrt(mp.gamma(x)) * mp.digamma(x) / 2),
    ("lgamma(x)", ["171.5", "1e300"], lambda x: mp.loggamma(x), lambda x: mp.digamma(x)),
    # polygamma where x^n leaves the range (GSL gives up): asymptotic series and pole term
    ("polygamma(1, x)", ["1e16", "1e150", "1e-16", "1e-100"], lambda x: mp.psi(1, x),
     lambda x: mp.psi(2, x)),
    ("polygamma(2, x)", ["1e20", "1e-50"], lambda x: mp.psi(2, x), lambda x: mp.psi(3, x)),
    ("digamma(x)", ["1e300", "1e-150"], lambda x: mp.digamma(x), lambda x: mp.psi(1, x)),
    # sqrt and hypot at the ends
    ("sqrt(x)", ["5e-324", "1.7e308"], lambda x: mp.sqrt(x), lambda x: 1 / (2 * mp.sqrt(x))),
    ("hypot(x, 1e300)", ["1e300", "3e299"], lambda x: mp.hypot(x, D("1e300")),
     lambda x: x / mp.hypot(x, D("1e300"))),
]


# Forward mode carries the derivative of every intermediate with respect to x: where that
# itself is outside the doubles (the tangent of 1/x at x = 1e-300 is -1e600, of atan(x) at
# 1e160 a subnormal 1e-320) no order of products can save it, while reverse mode's adjoints
# (derivatives of the output) stay in range. These are checked in reverse mode only.
REVERSE_ONLY = {
    ("log(1/x)", "1e-300"), ("log(1/x)", "1e300"), ("log(1/x)", "3e-308"),
    ("1e-300*(x/1e-310)", "1e-20"), ("1e-300*(x/1e-310)", "-3.5e-15"),
    ("1e-300*log(x)", "1e-310"), ("1e-300*log(x)", "5e-324"), ("1e-300*log2(x)", "1e-310"),
    ("1e-300*log10(x)", "1e-310"), ("log(x^-0.05)", "1e-300"), ("log(x^-0.05)", "1e-305"),
    ("1e300*atan(x)", "1e160"), ("1e300*atan(x)", "-1e200"), ("1e300*erf(x)", "26.7"),
    ("1e300*erf(x)", "-26.9"), ("1e300*erfc(x)", "26.7"), ("1e-300*gamma(x)", "171.5"),
    ("1e-300*gamma(x)", "171.6"), ("sqrt(gamma(x))", "171.5"),
}


def dbl(v):
    return repr(float(v))


def main():
    out = sys.stdout
    out.write("/* Generated by bench/extreme_corpus.py (mpmath, 50 digits): do not edit. */\n")
    out.write("/* expression, point, value, derivative (NAN: value only), forward mode too */\n")
    for src, points, f, df in CORPUS:
        for s in points:
            x = D(s)
            v = f(x)
            if df is None:
                d = None
            else:
                d = df(x)
                # the closed form against mpmath's own numerical derivative
                with mp.workdps(600):
                    num = mp.diff(f, x, h=abs(x) * E("1e-40"))
                assert abs(num - d) <= E("1e-25") * (abs(d) + D("1e-300")), (src, s, num, d)
            for w in (v, d):
                if w is not None:
                    assert mp.isfinite(w) and abs(w) < E("1.7976931348623157e308"), (src, s, w)
            fwd = 0 if (src, s) in REVERSE_ONLY else 1
            out.write('{"%s", %s, %s, %s, %d},\n' % (src, s, dbl(v), "NAN" if d is None else dbl(d), fwd))


main()
