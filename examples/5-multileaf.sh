#!/bin/sh
# The multi-leaf example: (x+y)^2 * z^3 on vectors, summed, and the gradient with respect to
# the intermediate s = x + y (PyTorch's s.retain_grad()).
set -e
grad 'sum((x+y)^2*z^3)' --at 'x=[1,2,3],y=[3,4,5],z=[1,2,3]'
grad 's = x+y; sum(s^2*z^3)' --at 'x=[1,2,3],y=[3,4,5],z=[1,2,3]' --wrt all
