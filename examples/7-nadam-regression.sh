#!/bin/sh
# Polynomial regression with NAdam, as in the tutorial: fit y = A x^2 + B x + C to the
# samples written by 7-make-samples.sh (the mean squared residual, like torch.mean), then
# the same fit by Levenberg-Marquardt, whose report matches gnuplot's fit. With gnuplot
# installed, --plot draws the samples and the fitted parabola into fit.png (its report,
# the one above, is not shown again).
here=$(dirname "$0")
sh "$here/7-make-samples.sh" >samples.tsv
minimize 'y = A*x^2 + B*x + C' --data samples.tsv --method nadam --lr 0.01 --steps 1000
minimize 'y = A*x^2 + B*x + C' --data samples.tsv --method lm
if command -v gnuplot >/dev/null 2>&1; then
  minimize 'y = A*x^2 + B*x + C' --data samples.tsv --method nadam --lr 0.01 --steps 1000 \
    --plot=fit.png >/dev/null
fi
