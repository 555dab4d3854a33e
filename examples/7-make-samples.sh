#!/bin/sh
# Writes samples.tsv for the NAdam polynomial regression (example 7): y = 2x^2 - 3x + 1
# plus a small deterministic wobble, for x from -2 to 2 in steps of 0.1 (41 rows).
# Usage: sh examples/7-make-samples.sh > samples.tsv
awk 'BEGIN {
  print "x\ty"
  for (i = 0; i <= 40; i++) {
    x = -2 + i / 10
    printf "%g\t%.6f\n", x, 2 * x * x - 3 * x + 1 + 0.05 * sin(7 * i)
  }
}'
