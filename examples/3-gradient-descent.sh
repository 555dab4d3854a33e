#!/bin/sh
# Gradient descent on x^2 + y^2 from (1.1, 2.1), learning rate 0.05, 100 steps: the
# PyTorch tutorial's loop (torch.optim.SGD), one row per step. With a display and
# gnuplot, the second command plots the path towards the minimum at (0, 0).
minimize 'x^2+y^2' --from x=1.1,y=2.1 --method gd --lr 0.05 --steps 100 --trace
minimize 'x^2+y^2' --from x=1.1,y=2.1 --method gd --lr 0.05 --steps 100 --trace \
  --format tsv >path.tsv
echo "plot it: gnuplot -p -e \"plot 'path.tsv' using 2:3 with linespoints\""
