# SPDX-License-Identifier: GPL-3.0-or-later
# PyTorch doing bench/table5_hand.c's work: the grid x (outer) by u (inner) of
# f = x^2*y + sin(z)*exp(u*v) - log(1+x^2) at y = 0.5, z = 1.5, v = 0.25, float64, one
# thread, in chunks of rows; "all" also takes the five partials by one backward pass of
# f.sum() (the points are independent), "f" only evaluates. Writes the rows as doubles
# (binary) or with numpy.savetxt "%.17g" (print) on stdout; "T s checksum C" on stderr.
# Usage: table5_torch.py NX NU LO HI f|all print|binary
import sys, time
import torch
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
nx, nu = int(sys.argv[1]), int(sys.argv[2])
lo, hi = float(sys.argv[3]), float(sys.argv[4])
allp, binary = sys.argv[5] == "all", sys.argv[6] == "binary"
out = sys.stdout.buffer
t0 = time.perf_counter()
xs = torch.linspace(lo, hi, nx)
us = torch.linspace(-1, 1, nu)
rows = max(1, 1000000 // nu)
check = 0.0
for i0 in range(0, nx, rows):
    xi = xs[i0:i0 + rows]
    x = xi.repeat_interleave(nu)
    u = us.repeat(len(xi))
    n = len(x)
    y = torch.full((n,), 0.5)
    z = torch.full((n,), 1.5)
    v = torch.full((n,), 0.25)
    ins = [x, y, z, u, v]
    if allp:
        for t in ins:
            t.requires_grad_(True)
        f = x**2 * y + torch.sin(z) * torch.exp(u * v) - torch.log(1 + x**2)
        f.sum().backward()
        cols = [x.detach(), u.detach(), f.detach()] + [t.grad for t in ins]
    else:
        with torch.no_grad():
            f = x**2 * y + torch.sin(z) * torch.exp(u * v) - torch.log(1 + x**2)
        cols = [x, u, f]
    m = torch.stack(cols, 1).numpy()
    if binary:
        out.write(m.tobytes())
    else:
        import numpy
        numpy.savetxt(out, m, fmt="%.17g", delimiter="\t")
    check += float(m[-1, 2])
out.flush()
print("%.4f s checksum %.17g" % (time.perf_counter() - t0, check), file=sys.stderr)
