# SPDX-License-Identifier: GPL-3.0-or-later
# PyTorch doing grad --range's work: x = linspace(lo, hi, n) in float64, f(x), then
# f(x).sum().backward() for df/dx at every point; one thread. Prints the time for the
# numbers alone and, with "print", the time to also write the rows (numpy.savetxt %.17g).
import sys, time
import torch
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
n = int(sys.argv[1]); lo = float(sys.argv[2]); hi = float(sys.argv[3])
t0 = time.perf_counter()
x = torch.linspace(lo, hi, n, requires_grad=True)
f = x**2 + 3*x + 2
f.sum().backward()
t1 = time.perf_counter()
print("%.4f s checksum %.17g" % (t1 - t0, float((f.detach() + x.grad).sum())), file=sys.stderr)
if len(sys.argv) > 4 and sys.argv[4] == "print":
    import numpy
    numpy.savetxt(sys.stdout.buffer, torch.stack([x.detach(), f.detach(), x.grad], 1).numpy(), fmt="%.17g", delimiter="\t")
    print("%.3f s with output" % (time.perf_counter() - t0), file=sys.stderr)
