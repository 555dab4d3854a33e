#!/bin/sh
# Many inputs, one output: reverse mode gets all eight partials of f from one sweep; forward
# mode needs eight, one per input. --stats (on standard error, shown here alone) counts the
# tape sweeps each mode took for the same partials.
set -e
grad 'sum(x^2*sin(x))' --at 'x=[1,2,3,4,5,6,7,8]'
grad 'x1*x2*x3*x4 + x5*x6*x7*x8' --at x1=1,x2=2,x3=3,x4=4,x5=5,x6=6,x7=7,x8=8
grad 'x1*x2*x3*x4 + x5*x6*x7*x8' --at x1=1,x2=2,x3=3,x4=4,x5=5,x6=6,x7=7,x8=8 \
  --mode forward --stats 2>&1 >/dev/null
grad 'x1*x2*x3*x4 + x5*x6*x7*x8' --at x1=1,x2=2,x3=3,x4=4,x5=5,x6=6,x7=7,x8=8 \
  --mode reverse --stats 2>&1 >/dev/null
grad 'sum(x^2*sin(x))' --at 'x=[1,2,3,4,5,6,7,8]' --mode forward --stats 2>&1 >/dev/null
grad 'sum(x^2*sin(x))' --at 'x=[1,2,3,4,5,6,7,8]' --mode reverse --stats 2>&1 >/dev/null
