#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Reference numbers for the autograd goldens (tests/cli/autograd-*), computed with PyTorch
# in float64. Run with a Python that has torch (make bench passes PYTHON3_SYSTEM); compare
# with the .out files.
import math
import torch
torch.set_default_dtype(torch.float64)
t = torch.tensor

x = t([0., 1, 2, 3], requires_grad=True)
y = 2 * torch.dot(x, x); y.backward()
print("2*dot(x,x)", y.item(), x.grad.tolist())

x = t([1., 2, 3], requires_grad=True); y = t([3., 4, 5], requires_grad=True); z = t([1., 2, 3], requires_grad=True)
f = torch.sum((x + y) ** 2 * z ** 3); f.backward()
print("sum((x+y)^2*z^3)", f.item(), x.grad.tolist(), y.grad.tolist(), z.grad.tolist())

xs = t([1., 2, 3]); ys = t([2., 4, 7]); w = t(1.5, requires_grad=True); b = t(0.5, requires_grad=True)
c = torch.sum((w * xs + b - ys) ** 2) / 2; c.backward()
print("linreg", c.item(), w.grad.item(), b.grad.item())

x = t([1., 2, 3], requires_grad=True); y = 2 * x
y.backward(gradient=t([0.1, 1.0, 0.0001]))
print("vjp 2x", y.tolist(), x.grad.tolist())

x = t(3., requires_grad=True); u = x * x; u.retain_grad(); z = torch.sin(u); z.backward()
print("retain_grad", z.item(), u.grad.item(), x.grad.item())

x = t([0., 1, 2, 3], requires_grad=True)
f = torch.sum((x * x).detach() * x); f.backward()
print("detach", f.item(), x.grad.tolist())

# Jacobian of a vector function, and a JVP
def F(a, b):
    return torch.stack([a * b, a + b, torch.sin(a) * b])
a = t(0.5); b = t(2.0)
J = torch.autograd.functional.jacobian(F, (a, b))
print("jacobian", [j.tolist() for j in J])
_, jv = torch.autograd.functional.jvp(F, (a, b), (t(1.0), t(0.0)))
print("jvp x=1,y=0", jv.tolist())
_, vj = torch.autograd.functional.vjp(F, (a, b), t([1.0, 2.0, 3.0]))
print("vjp 1,2,3", [v.item() for v in vj])

x = t([1., 2, 3], requires_grad=True)
J = torch.autograd.functional.jacobian(lambda x: x ** 2 * torch.exp(-x), x)
print("jacobian x^2 exp(-x)", J.tolist())

x = t(0., requires_grad=True)
y = torch.where(x > 0, torch.sqrt(x), x); y.backward()
print("where trap (torch gives nan)", x.grad.item())

x = t([1., 2, 4], requires_grad=True)
f = x.mean() + x.prod() + x.max() - x.min() + x.norm(); f.backward()
print("reductions", f.item(), x.grad.tolist())

x = t(0., requires_grad=True)
y = torch.where(x >= 0, x, 0.1 * x); y.backward()
print("leaky relu at 0", y.item(), x.grad.item())

# 'f(a,b) = a^2 + b; f(x, 2y)' at x=1, y=2
x = t(1., requires_grad=True); y = t(2., requires_grad=True)
def f(a, b): return a ** 2 + b
z = f(x, 2 * y); z.backward()
print("user function", z.item(), x.grad.item(), y.grad.item())

x = t([1., 2], requires_grad=True); u = x * x; u.retain_grad()
f = torch.sin(u).sum(); f.backward()
print("retain_grad vector", f.item(), x.grad.tolist(), u.grad.tolist())
_, jv = torch.autograd.functional.jvp(lambda x, y: (x * y, torch.sin(x)),
                                      (t([1., 2]), t(3.)), (torch.ones(2), t(0.)))
print("jvp several vector", [j.tolist() for j in jv])
