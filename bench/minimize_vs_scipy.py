#!/usr/bin/env python3
"""minimize's default method (bfgs) against scipy.optimize.minimize(method='BFGS') on the
classic test functions, side by side: iterations, final f and the distance to the known
minimizer. scipy gets the exact gradient (complex-step differentiation of the same
formula). Usage: minimize_vs_scipy.py MINIMIZE. Exit 1 if minimize misses a minimizer
by more than 1e-6."""
import json
import subprocess
import sys

minimize = sys.argv[1]


def ext_rosenbrock(n):
    terms = []
    for i in range(0, n, 2):
        a, b = 'x%d' % (i + 1), 'x%d' % (i + 2)
        terms.append('100(%s-%s^2)^2 + (1-%s)^2' % (b, a, a))
    return ' + '.join(terms), ['x%d' % (i + 1) for i in range(n)], [-1.2, 1] * (n // 2), [1] * n


problems = [
    ('Rosenbrock', '(1-x)^2 + 100(y-x^2)^2', ['x', 'y'], [-1.2, 1], [1, 1]),
    ('Beale', '(1.5-x+x*y)^2 + (2.25-x+x*y^2)^2 + (2.625-x+x*y^3)^2', ['x', 'y'], [1, 1], [3, 0.5]),
    ('Booth', '(x+2y-7)^2 + (2x+y-5)^2', ['x', 'y'], [0, 0], [1, 3]),
    ('Himmelblau', '(x^2+y-11)^2 + (x+y^2-7)^2', ['x', 'y'], [0, 0], [3, 2]),
    ('ExtRosenbrock10',) + ext_rosenbrock(10),
]


def py_expr(e, names):
    """the expression in Python: ^ -> **, implicit products 100( and 2y -> explicit"""
    import re
    e = e.replace('^', '**')
    e = re.sub(r'(\d)\(', r'\1*(', e)
    e = re.sub(r'(\d)([a-z])', r'\1*\2', e)
    return eval('lambda v: (lambda %s: %s)(*v)' % (','.join(names), e))


try:
    import numpy as np
    from scipy.optimize import minimize as sp_minimize
except ImportError:
    np = None
print('%-16s %3s | %-28s | %-28s' % ('problem', 'n', 'minimize (bfgs, default)', 'scipy BFGS'))
print('%-16s %3s | %5s %11s %10s | %5s %11s %10s' %
      ('', '', 'iter', 'f', '|x-x*|', 'iter', 'f', '|x-x*|'))
status = 0
for name, expr, names, x0, xstar in problems:
    start = ','.join('%s=%r' % (n, v) for n, v in zip(names, x0))
    r = subprocess.run([minimize, expr, '--from', start, '--format', 'json'],
                       capture_output=True, text=True)
    ours = json.loads(r.stdout)
    x = [ours['at'][n] for n in names]
    err = max(abs(a - b) for a, b in zip(x, xstar))
    if err > 1e-6 or r.returncode != 0:
        status = 1
    row = '%-16s %3d | %5d %11.3e %10.2e |' % (name, len(names), ours['iterations'], ours['value'], err)
    if np is not None:
        f = py_expr(expr, names)

        def jac(v):
            g = np.zeros(len(v))
            for j in range(len(v)):
                z = np.array(v, dtype=complex)
                z[j] += 1e-30j
                g[j] = f(z).imag / 1e-30
            return g
        res = sp_minimize(lambda v: f(v), np.array(x0, dtype=float), jac=jac, method='BFGS',
                          options={'gtol': 1e-8})
        serr = max(abs(a - b) for a, b in zip(res.x, xstar))
        row += ' %5d %11.3e %10.2e' % (res.nit, res.fun, serr)
    else:
        row += ' (scipy not installed)'
    print(row)
sys.exit(status)
