# SPDX-License-Identifier: GPL-3.0-or-later
# Independent oracle for the engine's unit tests and goldens: the tutorial examples
# computed by PyTorch autograd in float64. Run: python3 bench/grad_reference.py
# (the system python3 with torch). Not part of make check.
import torch

torch.set_default_dtype(torch.float64)


def show(name, **vals):
    print(name + ": " + ", ".join("%s=%r" % (k, float(v)) for k, v in vals.items()))


# x^2 + 3x + 2 at 3.6
x = torch.tensor(3.6, requires_grad=True)
f = x**2 + 3 * x + 2
f.backward()
show("x^2+3x+2 at 3.6", f=f, dfdx=x.grad)

# the 5-variable function of the tutorials
p = {k: torch.tensor(v, requires_grad=True) for k, v in
     dict(a=1.0, b=2.0, c=3.0, d=0.5, e=1.5).items()}
a, b, c, d, e = (p[k] for k in "abcde")
f = a**3 * b**2 / torch.log(c + 1) + torch.exp(a * d) * torch.cos(b * c) \
    + torch.sqrt(a**2 + b**2) * torch.log(d**2 + e**2)
f.backward()
show("5-variable", f=f, **{"df/d" + k: p[k].grad for k in "abcde"})

# u = x*x, z = sin(u) at x = 3
x = torch.tensor(3.0, requires_grad=True)
u = x * x
u.retain_grad()
z = torch.sin(u)
z.backward()
show("sin(x*x) at 3", z=z, dzdu=u.grad, dzdx=x.grad)

# relu example at x = -4
x = torch.tensor(-4.0, requires_grad=True)
z = 2 * x + 2 + x
q = torch.relu(z) + z * x
h = torch.relu(z * z)
y = h + q + q * x
y.backward()
show("relu example at -4", y=y, dydx=x.grad)

# detach(x^2)*x at 2
x = torch.tensor(2.0, requires_grad=True)
z = (x**2).detach() * x
z.backward()
show("detach(x^2)*x at 2", z=z, dzdx=x.grad)

# x^3 at 2: first derivative
x = torch.tensor(2.0, requires_grad=True)
(g,) = torch.autograd.grad(x**3, x, create_graph=True)
(h,) = torch.autograd.grad(g, x)
show("x^3 at 2", d1=g, d2=h)

# Jacobian rows of [x0, 5 x2, 4 x1^2 - 2 x2, x2 sin x0] at (1, 2, 3)
X = torch.tensor([1.0, 2.0, 3.0])
J = torch.autograd.functional.jacobian(
    lambda v: torch.stack([v[0], 5 * v[2], 4 * v[1]**2 - 2 * v[2], v[2] * torch.sin(v[0])]), X)
for i, row in enumerate(J):
    print("jacobian row %d: %s" % (i, ", ".join(repr(float(r)) for r in row)))

# constant powers (PyTorch's x*x, x*x*x, 1/x fast paths): the same doubles
x, y, z = (torch.tensor(v, requires_grad=True) for v in (1.1, 1.3, 3.3))
f = x**3 + y**2 + z**-1
f.backward()
show("x^3 + y^2 + z^-1 at (1.1, 1.3, 3.3)", f=f, dfdx=x.grad, dfdy=y.grad, dfdz=z.grad)
