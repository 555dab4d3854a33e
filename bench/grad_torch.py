# SPDX-License-Identifier: GPL-3.0-or-later
# The PyTorch side of bench/grad.sh (float64, CPU).
#   grad_torch.py once      x^2+3x+2 at 3.6: value and gradient, printed (a whole process)
#   grad_torch.py loop N    N value+gradient evaluations of the 5-variable function;
#                           prints nanoseconds per evaluation
import sys
import time

import torch

torch.set_default_dtype(torch.float64)

if sys.argv[1] == "once":
    x = torch.tensor(3.6, requires_grad=True)
    f = x**2 + 3 * x + 2
    f.backward()
    print("f = %r\ndf/dx = %r" % (f.item(), x.grad.item()))
else:
    n = int(sys.argv[2])
    vals = [1.0, 2.0, 3.0, 0.5, 1.5]

    def once(k):
        a, b, c, d, e = (torch.tensor(v + 1e-9 * k, requires_grad=True) for v in vals)
        f = a**3 * b**2 / torch.log(c + 1) + torch.exp(a * d) * torch.cos(b * c) \
            + torch.sqrt(a**2 + b**2) * torch.log(d**2 + e**2)
        f.backward()
        return f.item() + a.grad.item()

    for k in range(min(n, 200)):  # warm up
        once(k)
    t0 = time.perf_counter()
    s = 0.0
    for k in range(n):
        s += once(k)
    t1 = time.perf_counter()
    print("%.1f" % ((t1 - t0) / n * 1e9))
