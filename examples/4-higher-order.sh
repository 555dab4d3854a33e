#!/bin/sh
# Higher derivatives of x^6 at x = 1: 6, 30, 120, 360, 720, 720. PyTorch needs
# create_graph=True for every further order; grad differentiates the formula itself, so
# --order 6 gives all six at once, --symbolic shows the formulas (6*x^5, 30*x^4, ...), and
# with --range the derivatives become columns of a table, ready for gnuplot.
set -e
grad 'x^6' --order 6 --at x=1
grad 'x^6' --order 6 --symbolic
grad 'x^6' --range x=-1:1 --points 5 --order 3
