#!/bin/sh
# Polynomial regression with NAdam, as in the tutorial: fit y = A x^2 + B x + C to the
# samples written by 7-make-samples.sh (the mean squared residual, like torch.mean), then
# the same fit by Levenberg-Marquardt, whose report matches gnuplot's fit.
here=$(dirname "$0")
sh "$here/7-make-samples.sh" >samples.tsv
minimize 'y = A*x^2 + B*x + C' --data samples.tsv --method nadam --lr 0.01 --steps 1000
minimize 'y = A*x^2 + B*x + C' --data samples.tsv --method lm
