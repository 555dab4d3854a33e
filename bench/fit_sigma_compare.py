#!/usr/bin/env python3
"""minimize --sigma against scipy.optimize.curve_fit(sigma=..., absolute_sigma=False) and
gnuplot's fit with y errors: the fitted parameters and their standard errors.
Usage: fit_sigma_compare.py MINIMIZE GNUPLOT-or-empty DATAFILE. Exit 1 on a mismatch.
Tolerances on the errors: the closed formula 1e-9, scipy 1e-5, gnuplot 2e-3 (gnuplot's
fit differentiates the model by finite differences, which moves the errors' 4th digit)."""
import json
import math
import os
import subprocess
import sys
import tempfile

minimize, gnuplot, data = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [l.split() for l in open(data) if l.strip() and not l.startswith('#')]
xs = [float(r[0]) for r in rows[1:]]
ys = [float(r[1]) for r in rows[1:]]
ss = [float(r[2]) for r in rows[1:]]
names = ['A', 'k', 'C']
out = subprocess.run([minimize, 'y = A*exp(-k*x) + C', '--data', data, '--sigma', 's',
                      '--via', 'A,k,C', '--from', 'A=1,k=0.1', '--format', 'json'],
                     capture_output=True, text=True, check=True)
ours = json.loads(out.stdout)
p = [ours['at'][n] for n in names]
e = [ours['stderr'][n] for n in names]
print('%-8s %-22s %-22s' % ('', 'value', 'standard error'))
print('%-8s %s' % ('minimize', '  '.join('%s=%.10g+/-%.6g' % (n, a, b) for n, a, b in zip(names, p, e))))
status = 0


def compare(who, q, qe, etol):
    global status
    print('%-8s %s' % (who, '  '.join('%s=%.10g+/-%.6g' % (n, a, b) for n, a, b in zip(names, q, qe))))
    for n, a, b, c, d in zip(names, p, q, e, qe):
        if abs(a - b) > 1e-5 * max(abs(b), 1e-3) or abs(c - d) > etol * abs(d):
            print('  MISMATCH %s: %s vs %s, error %s vs %s' % (n, a, b, c, d))
            status = 1


# the textbook formula at our point, with the analytic Jacobian of the weighted residuals:
# cov = (J^T J)^-1 chi2/(m-n); an independent check of the algebra (pure Python)
A, k, C = p
J, chi2 = [], 0.0
for x, y, s in zip(xs, ys, ss):
    ex = math.exp(-k * x)
    J.append([ex / s, -A * x * ex / s, 1 / s])
    chi2 += ((A * ex + C - y) / s) ** 2
M = [[sum(row[a] * row[b] for row in J) for b in range(3)] for a in range(3)]
(a, b, c), (d, f_, g), (h, i, j) = M
det = a * (f_ * j - g * i) - b * (d * j - g * h) + c * (d * i - f_ * h)
diag = [(f_ * j - g * i) / det, (a * j - c * h) / det, (a * f_ - b * d) / det]
compare('formula', p, [math.sqrt(v * chi2 / (len(xs) - 3)) for v in diag], 1e-9)

try:
    import numpy as np
    from scipy.optimize import curve_fit
    f = lambda x, A, k, C: A * np.exp(-k * x) + C
    q, cov = curve_fit(f, np.array(xs), np.array(ys), p0=[1, 0.1, 0.5], sigma=np.array(ss),
                       absolute_sigma=False, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    compare('scipy', list(q), [math.sqrt(cov[i][i]) for i in range(3)], 1e-5)
except ImportError:
    print('scipy: not installed, skipped')
if gnuplot:
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, 'fit.gp')
        with open(script, 'w') as g:
            g.write('set fit quiet errorvariables\nset fit logfile "/dev/null"\n'
                    'set fit limit 1e-15\nA=1; k=0.1; C=0.5\nFIT_LIMIT=1e-14\nset fit maxiter 1000\n'
                    'f(x) = A*exp(-k*x) + C\n'
                    'fit f(x) "%s" using 1:2:3 yerrors via A,k,C\n'
                    'set print "-"\nprint sprintf("%%.17g %%.17g %%.17g %%.17g %%.17g %%.17g", '
                    'A, k, C, A_err, k_err, C_err)\n' % os.path.abspath(data))
        r = subprocess.run([gnuplot, script], capture_output=True, text=True)
        v = [float(t) for t in r.stdout.split()] if r.returncode == 0 else []
        if len(v) == 6:
            compare('gnuplot', v[:3], v[3:], 2e-3)  # its Jacobian: finite differences
        else:
            print('gnuplot: failed: %s' % r.stderr.strip()[:200])
            status = 1
else:
    print('gnuplot: not installed, skipped')
sys.exit(status)
