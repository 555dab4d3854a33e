#!/bin/sh
# Every partial derivative of a function of five variables, by one reverse sweep.
set -e
grad 'a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2)' \
  --at a=1,b=2,c=3,d=0.5,e=1.5
