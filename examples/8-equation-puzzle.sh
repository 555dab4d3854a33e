#!/bin/sh
# The puzzle: A+B=9, C-D=1, A+C=8, B-D=2. NAdam minimizes the sum of squared residuals;
# the report shows that the Jacobian has rank 3 for 4 unknowns, so the point found is one
# of a line of solutions (A = 7 - D, B = 2 + D, C = 1 + D for any D). Levenberg-Marquardt finds another;
# fixing D picks the unique one.
minimize 'A+B=9' 'C-D=1' 'A+C=8' 'B-D=2' --method nadam --lr 0.01 --steps 2000
minimize 'A+B=9' 'C-D=1' 'A+C=8' 'B-D=2' --method lm
minimize 'A+B=9' 'C-D=1' 'A+C=8' 'B-D=2' --method lm --fix D=1
