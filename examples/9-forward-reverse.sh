#!/bin/sh
# Many inputs, one output: reverse mode gets all eight partials of f from one sweep (forward
# mode would need eight, one per input; grad --mode forward --stats shows the count).
set -e
grad 'sum(x^2*sin(x))' --at 'x=[1,2,3,4,5,6,7,8]'
grad 'x1*x2*x3*x4 + x5*x6*x7*x8' --at x1=1,x2=2,x3=3,x4=4,x5=5,x6=6,x7=7,x8=8
