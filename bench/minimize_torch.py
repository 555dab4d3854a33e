#!/usr/bin/python3
# The same jobs as bench/minimize_bench.c in PyTorch (float64, one thread, CPU time):
# Adam iterations per second on the 5-variable function, and ms per Adam iteration of
# the 3-parameter polynomial fit over 10^6 rows (mean squared residual).
import math
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
what = sys.argv[1] if len(sys.argv) > 1 else "all"

if what in ("adam5", "all"):
    p = [torch.tensor(v, requires_grad=True) for v in (0.5, 0.6, 0.7, 0.8, 0.9)]
    opt = torch.optim.Adam(p, lr=1e-3)
    n = 5000
    t = time.process_time()
    for _ in range(n):
        opt.zero_grad()
        a, b, c, d, e = p
        f = a ** 3 * b ** 2 / torch.log(c + 1) + torch.exp(a * d) * torch.cos(b * c) + \
            torch.sqrt(a ** 2 + b ** 2) * torch.log(d ** 2 + e ** 2)
        f.backward()
        opt.step()
    t = time.process_time() - t
    print("adam5_iters_per_sec %.6g" % (n / t))

if what in ("fit", "all"):
    N = 10 ** 6
    i = torch.arange(N, dtype=torch.float64)
    x = -2 + 4 * i / N
    y = 2 * x * x - 3 * x + 1 + 0.05 * torch.sin(7 * i)
    A, B, C = (torch.zeros((), requires_grad=True) for _ in range(3))
    opt = torch.optim.Adam([A, B, C], lr=1e-3)
    n = 20
    t = time.process_time()
    for _ in range(n):
        opt.zero_grad()
        loss = torch.mean((A * x ** 2 + B * x + C - y) ** 2)
        loss.backward()
        opt.step()
    t = time.process_time() - t
    print("fit_ms_per_iter %.6g" % (1e3 * t / n))
