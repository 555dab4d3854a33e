#!/bin/sh
# Gradient descent on x^2 + y^2 from (1.1, 2.1), learning rate 0.05, 100 steps: the
# PyTorch tutorial's loop (torch.optim.SGD), one row per step. The trace in tsv form is
# gnuplot-ready; with gnuplot installed, --plot draws the path over the contour map of f
# into path.png (the report it prints is the one above, so it is not shown again).
minimize 'x^2+y^2' --from x=1.1,y=2.1 --method gd --lr 0.05 --steps 100 --trace
minimize 'x^2+y^2' --from x=1.1,y=2.1 --method gd --lr 0.05 --steps 100 --trace \
  --format tsv >path.tsv
echo "plot it: gnuplot -p -e \"plot 'path.tsv' using 2:3 with linespoints\""
if command -v gnuplot >/dev/null 2>&1; then
  minimize 'x^2+y^2' --from x=1.1,y=2.1 --method gd --lr 0.05 --steps 100 \
    --plot=path.png >/dev/null
fi
