#!/bin/sh
# f(x) = x^2 + 3x + 2 and its derivative: the value at 3.6, a table over [-6.5, 3.5]
# (torch.linspace's points), and a plot (the gnuplot script, and a PNG when gnuplot exists).
set -e
grad 'x^2+3x+2' --at x=3.6
grad 'x^2+3x+2' --range x=-6.5:3.5 --points 11
grad 'x^2+3x+2' --range x=-6.5:3.5 --points 1000 --gnuplot --plot=1-quadratic.png >1-quadratic.gp
if command -v gnuplot >/dev/null 2>&1; then gnuplot 1-quadratic.gp; fi
