#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# For every expression of sympy_corpus.txt: the operation count (SymPy's count_ops) of
# grad's simplified symbolic derivative against that of SymPy's diff, and a numeric check
# that both are the same function. Usage: sympy_compare.py [GRAD] (needs python3-sympy).
import os, random, subprocess, sys
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, standard_transformations, convert_xor

grad = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("GRAD", "src/grad")
here = os.path.dirname(os.path.abspath(__file__))
T = standard_transformations + (convert_xor,)
x, y = sp.symbols("x y", real=True)
names = {"x": x, "y": y, "erf": sp.erf, "erfc": sp.erfc, "sign": sp.sign,
         "abs": sp.Abs, "atan2": sp.atan2, "log": sp.log, "pi": sp.pi}

def parse(s, evaluate=True):
    return parse_expr(s, local_dict=dict(names), transformations=T, evaluate=evaluate)

rows, worse, bad = 0, 0, 0
ours_total, theirs_total = 0, 0
print("%-42s %5s %5s  %s" % ("expression (d/dvar)", "grad", "sympy", "grad's derivative"))
for line in open(os.path.join(here, "sympy_corpus.txt")):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    expr, _, var = line.partition("\t")
    var = var or "x"
    out = subprocess.run([grad, expr, "--symbolic", "--wrt", var], capture_output=True, text=True)
    if out.returncode != 0 or " = " not in out.stdout:
        print("%-42s grad failed: %s" % (expr, out.stderr.strip()))
        bad += 1
        continue
    ours_txt = out.stdout.strip().split(" = ", 1)[1]
    ours = parse(ours_txt, evaluate=False)
    theirs = sp.diff(parse(expr), names[var])
    n_ours, n_theirs = sp.count_ops(ours), sp.count_ops(theirs)
    # the same function? compare at a few points inside the domain
    rnd = random.Random(rows)
    agree = True
    for _ in range(5):
        pt = {x: rnd.uniform(1.1, 1.9), y: rnd.uniform(0.2, 0.9)}
        a = complex(sp.N(ours.subs(pt)))
        b = complex(sp.N(theirs.subs(pt)))
        if abs(a - b) > 1e-9 * (1 + abs(b)):
            agree = False
    rows += 1
    ours_total += n_ours
    theirs_total += n_theirs
    flag = ""
    if n_ours > n_theirs:
        worse += 1
        flag = "  MORE OPS"
    if not agree:
        bad += 1
        flag += "  VALUES DIFFER"
    print("%-42s %5d %5d  %s%s" % ("%s (d/d%s)" % (expr, var), n_ours, n_theirs, ours_txt[:60], flag))
print("%d expressions: grad %d ops in total, SymPy %d; %d with more ops than SymPy, %d wrong or failed"
      % (rows, ours_total, theirs_total, worse, bad))
sys.exit(1 if worse or bad else 0)
