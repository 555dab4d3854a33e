#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch's (float64) value and derivative for each case of the CONVENTIONS section of
man/grad.1, next to grad's, to check that section against both. Needs python3-torch and a
built grad (GRAD, default ./src/grad). Not part of make check.

    python3 bench/conventions_torch.py
"""
import os
import subprocess
import torch
import torch.nn.functional as F

GRAD = os.environ.get("GRAD", "./src/grad")
T = torch.float64

# (grad expression, point, torch function of x)
CASES = [
    ("sqrt(relu(x))", -1.0, lambda x: torch.sqrt(torch.relu(x))),
    ("sqrt(relu(x))", 0.0, lambda x: torch.sqrt(torch.relu(x))),
    ("sqrt(floor(x))", 0.5, lambda x: torch.sqrt(torch.floor(x))),
    ("sqrt(ceil(x))", -0.5, lambda x: torch.sqrt(torch.ceil(x))),
    ("sqrt(round(x))", 0.3, lambda x: torch.sqrt(torch.round(x))),
    ("acos(sign(x))", 2.0, lambda x: torch.acos(torch.sign(x))),
    ("sqrt(abs(x))", 0.0, lambda x: torch.sqrt(torch.abs(x))),
    ("sqrt(max(x, 0))", -1.0, lambda x: torch.sqrt(torch.maximum(x, torch.zeros((), dtype=T)))),
    ("sqrt(min(x, 0))", 1.0, lambda x: torch.sqrt(torch.minimum(x, torch.zeros((), dtype=T)))),
    ("x^ceil(x)", -1.5, lambda x: x ** torch.ceil(x)),
    ("where(x > 0, sqrt(x), x)", 0.0, lambda x: torch.where(x > 0, torch.sqrt(x), x)),
    ("where(x > 0, log(x), 0)", -1.0, lambda x: torch.where(x > 0, torch.log(x), torch.zeros((), dtype=T))),
    ("hypot(x, 0)", 0.0, lambda x: torch.hypot(x, torch.zeros((), dtype=T))),
    ("norm([1, 1]*x)", 0.0, lambda x: torch.linalg.norm(torch.stack([x, x]))),
    ("softplus(x)", 30.0, lambda x: F.softplus(x)),
    ("softplus(x)", 25.0, lambda x: F.softplus(x)),
    ("x*log(x)", 0.0, lambda x: x * torch.log(x)),
    ("0*log(x)", 0.0, lambda x: 0 * torch.log(x)),
    ("log(exp(x))", 800.0, lambda x: torch.log(torch.exp(x))),
    ("log(exp(x))", -800.0, lambda x: torch.log(torch.exp(x))),
    ("log(1/exp(x))", 400.0, lambda x: torch.log(1 / torch.exp(x))),
    ("sqrt(tanh(x) - 1 + 1)", 30.0, lambda x: torch.sqrt(torch.tanh(x) - 1 + 1)),
    ("0^x", -1.3, lambda x: torch.zeros((), dtype=T) ** x),
    ("0^x", 2.0, lambda x: torch.zeros((), dtype=T) ** x),
    ("x^x", 0.0, lambda x: x ** x),
    ("lgamma(x)", 0.0, torch.lgamma),
    ("lgamma(x)", -0.0, torch.lgamma),
    ("lgamma(x)", -1.0, torch.lgamma),
    ("digamma(x)", 0.0, torch.digamma),
    ("digamma(x)", -0.0, torch.digamma),
    ("digamma(x)", -2.0, torch.digamma),
    ("polygamma(1, x)", 0.0, lambda x: torch.polygamma(1, x)),
    ("polygamma(1, x)", -1.0, lambda x: torch.polygamma(1, x)),
    ("polygamma(2, x)", -2.0, lambda x: torch.polygamma(2, x)),
]


def torch_case(f, x0):
    x = torch.tensor(x0, dtype=T, requires_grad=True)
    y = f(x)
    (d,) = torch.autograd.grad(y, x)
    return y.item(), d.item()


def grad_case(src, x0):
    r = subprocess.run([GRAD, src, "--at", "x=%r" % x0, "--format", "tsv"], capture_output=True,
                       text=True)
    last = r.stdout.strip().splitlines()[-1].split("\t")
    return last[1], last[2]


for src, x0, f in CASES:
    tv, td = torch_case(f, x0)
    gv, gd = grad_case(src, x0)
    print("%-26s x=%-6r torch %-22r %-22r grad %-22s %s" % (src, x0, tv, td, gv, gd))
