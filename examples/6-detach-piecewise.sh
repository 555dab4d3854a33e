#!/bin/sh
# detach: z = detach(x^2)*x differentiates as if x^2 were a constant (dz/dx = x^2 = 4 at 2).
# Control flow: a piecewise function with relu and intermediates, and a table across the
# joint of if(x < 0, -x, x^2).
set -e
grad 'detach(x^2)*x' --at x=2
grad 'sum(detach(x*x)*x)' --at 'x=[0,1,2,3]'
grad 'z = 2x+2+x; q = relu(z) + z*x; h = relu(z*z); h + q + q*x' --at x=-4
grad 'if(x < 0, -x, x^2)' --range x=-2:2 --points 9
