# SPDX-License-Identifier: GPL-3.0-or-later
# PyTorch (float64, tensors preloaded) on bench/fit.sh's fit: y = A x^2 + B x + C over N
# rows by Adam or NAdam, mean squared residual. Usage: fit_torch.py N adam|nadam ITERS
# [THREADS]. Prints the fastest iteration's CPU and wall time in ms, and the parameters.
import math
import sys
import time

import torch

n, method, iters = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
i = torch.arange(n, dtype=torch.float64)
x = -2 + 4.0 * i / n
y = 2 * x * x - 3 * x + 1 + 0.05 * torch.sin(7.0 * i)
p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
# foreach=True and float64 by default: PyTorch 1.13's default single-tensor NAdam puts
# mu_product*mu_t*mu_t+1 in the last denominator (fixed in 2.0), and its foreach path has
# the published formula (the one grad and the C loop follow) but keeps its momentum
# schedule in the default dtype
torch.set_default_dtype(torch.float64)
opt = (torch.optim.NAdam([p], lr=2e-3, foreach=True) if method == "nadam"
       else torch.optim.Adam([p], lr=1e-3))
best_cpu = best_wall = math.inf
for _ in range(iters):
    c0, w0 = time.process_time(), time.perf_counter()
    opt.zero_grad()
    r = p[0] * (x * x) + p[1] * x + p[2] - y
    loss = (r * r).mean()
    loss.backward()
    opt.step()
    best_cpu = min(best_cpu, time.process_time() - c0)
    best_wall = min(best_wall, time.perf_counter() - w0)
a, b, c = p.detach().tolist()
print("cpu_ms %.6g wall_ms %.6g A %.17g B %.17g C %.17g" % (1e3 * best_cpu, 1e3 * best_wall, a, b, c))
