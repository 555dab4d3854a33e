#!/bin/sh
# Higher derivatives of x^6 at x = 1: 6, 30, 120 (each step differentiates the previous
# derivative; grad --order 3 gives them in one call). A table of x^6 and its derivative.
set -e
grad 'x^6' --at x=1
grad '6x^5' --at x=1
grad '30x^4' --at x=1
grad 'x^6' --range x=-1:1 --points 5
