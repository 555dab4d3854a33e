#!/bin/sh
# Higher derivatives of x^6 at x = 1: 6, 30, 120, 360, 720, 720. PyTorch needs
# create_graph=True for every further order; grad differentiates the formula itself, so
# --order 6 gives all six at once, --symbolic shows the formulas (6*x^5, 30*x^4, ...), and
# with --range the derivatives become columns of a table, ready for gnuplot. With gnuplot
# installed, --plot draws f and its derivatives into 4-higher-order.png: their scales
# differ (64 for f, about 2000 for the third derivative), so f has the left axis and the
# derivatives the right one, and every curve shows.
set -e
grad 'x^6' --order 6 --at x=1
grad 'x^6' --order 6 --symbolic
grad 'x^6' --range x=-1:1 --points 5 --order 3
if command -v gnuplot >/dev/null 2>&1; then
  grad 'x^6' --range x=-2:2 --order 3 --plot=4-higher-order.png
fi
