#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Taylor mode (grad --order 10 --at) against a 50-digit reference: mpmath's Taylor
# coefficients of the same function (mp.taylor, at 50 significant digits), for a corpus of
# smooth expressions kept apart from the unit tests. Prints the worst relative error per
# expression and overall, and the whole-process time of --order 100 and --order 1000 of
# sin(x)*exp(x)/(1+x^2). Usage: taylor_mpmath.py [GRAD] (needs python3-mpmath).
import os, subprocess, sys, time
import mpmath as mp

grad = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("GRAD", "src/grad")
mp.mp.dps = 50
N = 10

# (grad expression, mpmath function, point)
corpus = [
    ("sin(x)*exp(x)/(1 + x^2)", lambda x: mp.sin(x) * mp.exp(x) / (1 + x**2), "0.5"),
    ("exp(-x^2/2)*cos(3*x)", lambda x: mp.exp(-x**2 / 2) * mp.cos(3 * x), "0.3"),
    ("log(1 + x^2)*atan(x)", lambda x: mp.log(1 + x**2) * mp.atan(x), "1.2"),
    ("sqrt(1 + x)/(2 + sin(x))", lambda x: mp.sqrt(1 + x) / (2 + mp.sin(x)), "0.8"),
    ("tanh(x)^2 + sinh(x/2)", lambda x: mp.tanh(x)**2 + mp.sinh(x / 2), "0.4"),
    ("x^2.5*exp(-x)", lambda x: x**mp.mpf("2.5") * mp.exp(-x), "1.7"),
    ("x^x", lambda x: x**x, "1.3"),
    ("lgamma(x)", lambda x: mp.loggamma(x), "2.5"),
    ("gamma(x)/x", lambda x: mp.gamma(x) / x, "1.4"),
    ("digamma(x)*x", lambda x: mp.digamma(x) * x, "3.3"),
    ("erf(x)*exp(x)", lambda x: mp.erf(x) * mp.exp(x), "0.6"),
    ("erfc(x)/(1 + x)", lambda x: mp.erfc(x) / (1 + x), "1.1"),
    ("asin(x)*acos(x/2)", lambda x: mp.asin(x) * mp.acos(x / 2), "0.35"),
    ("asinh(x)*acosh(x + 1)", lambda x: mp.asinh(x) * mp.acosh(x + 1), "0.9"),
    ("atanh(x/2)/(1 + x)", lambda x: mp.atanh(x / 2) / (1 + x), "0.5"),
    ("sigmoid(3*x)*softplus(x)", lambda x: 1 / (1 + mp.exp(-3 * x)) * mp.log(1 + mp.exp(x)), "0.2"),
    ("log2(x)*log10(x + 1)", lambda x: mp.log(x, 2) * mp.log(x + 1, 10), "2.2"),
    ("cbrt(x)*expm1(x)", lambda x: mp.cbrt(x) * mp.expm1(x), "1.9"),
    ("atan2(x, 2 - x)", lambda x: mp.atan2(x, 2 - x), "0.7"),
    ("hypot(x, 1 + x^2)", lambda x: mp.hypot(x, 1 + x**2), "0.6"),
    ("tan(x)/x", lambda x: mp.tan(x) / x, "0.9"),
    ("1/(1 + exp(sin(x)))", lambda x: 1 / (1 + mp.exp(mp.sin(x))), "2.1"),
    ("(1 + x)^sin(x)", lambda x: (1 + x)**mp.sin(x), "0.8"),
    ("log1p(x^2)*cos(x)^3", lambda x: mp.log1p(x**2) * mp.cos(x)**3, "1.05"),
    ("polygamma(1, x)", lambda x: mp.polygamma(1, x), "1.6"),
]

worst, worst_at = 0.0, ""
print("%-32s %6s  %s" % ("expression", "x", "worst relative error, orders 1..%d" % N))
for expr, f, x0 in corpus:
    out = subprocess.run([grad, expr, "--order", str(N), "--at", "x=" + x0, "--format", "tsv"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print("%-32s %6s  grad failed: %s" % (expr, x0, out.stderr.strip()))
        worst = float("inf")
        continue
    got = {}
    for line in out.stdout.splitlines():
        if line.startswith("#"):
            continue
        k, v = line.split("\t")
        got[int(k)] = float(v)
    ref = mp.taylor(f, mp.mpf(x0), N)
    w, wk = 0.0, 0
    for k in range(1, N + 1):
        r = ref[k] * mp.factorial(k)
        e = float(abs((got[k] - r) / r)) if r != 0 else abs(got[k])
        if e > w:
            w, wk = e, k
    print("%-32s %6s  %.2e (order %d)" % (expr, x0, w, wk))
    if w > worst:
        worst, worst_at = w, "%s at x=%s, order %d" % (expr, x0, wk)
print("worst: %.2e  (%s)" % (worst, worst_at))

for order in (100, 1000):
    cmd = [grad, "sin(x)*exp(x)/(1 + x^2)", "--order", str(order), "--at", "x=0.5"]
    best = float("inf")
    for _ in range(10):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    print("--order %d of sin(x)*exp(x)/(1+x^2): %.1f ms whole process (best of 10)" % (order, best * 1e3))
sys.exit(0 if worst <= 1e-12 else 1)
