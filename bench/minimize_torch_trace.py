#!/usr/bin/python3
# Prints the PyTorch trajectory of the tutorial run in the format of
#   minimize 'x^2+y^2' --from x=1.1,y=2.1 --method gd --lr 0.05 --steps 100 --trace --format tsv
# (float64). bench/minimize_check.sh diffs the two; never part of make check.
import sys
import torch

torch.set_default_dtype(torch.float64)


def fmt(v):
    s = repr(float(v))  # shortest round-trip, as minimize prints
    return s[:-2] if s.endswith(".0") else s
    return repr(v).replace("e-0", "e-").replace("e+0", "e+").replace("e+", "e+") if v != int(v) or abs(v) >= 1e16 else str(int(v))


def run(method, steps, start, lr, f, names, extra=None):
    ps = [torch.tensor(s, requires_grad=True) for s in start]
    opt = {"gd": torch.optim.SGD, "adam": torch.optim.Adam, "nadam": torch.optim.NAdam,
           "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad,
           "adamw": torch.optim.AdamW}[method](ps, lr=lr, **(extra or {}))
    print("# iter " + " ".join(names) + " f gnorm")
    for it in range(steps + 1):
        opt.zero_grad()
        loss = f(*ps)
        loss.backward()
        gn = torch.sqrt(sum(p.grad * p.grad for p in ps))
        print("\t".join([str(it)] + [fmt(p.item()) for p in ps] + [fmt(loss.item()), fmt(gn.item())]))
        if it < steps:
            opt.step()


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "tutorial"
    if which == "tutorial":
        run("gd", 100, [1.1, 2.1], 0.05, lambda x, y: x ** 2 + y ** 2, ["x", "y"])
    elif which == "adam":
        run("adam", 50, [0.5, -1.0], 0.1, lambda x, y: (x - 3) ** 2 + (x * y - 1) ** 2, ["x", "y"])
    elif which == "nadam":
        run("nadam", 50, [0.5, -1.0], 0.1, lambda x, y: (x - 3) ** 2 + (x * y - 1) ** 2, ["x", "y"],
            {"foreach": True})
    elif which == "rmsprop":
        run("rmsprop", 50, [0.5, -1.0], 0.01, lambda x, y: (x - 3) ** 2 + (x * y - 1) ** 2, ["x", "y"])
    elif which == "adamw":
        run("adamw", 50, [0.5, -1.0], 0.1, lambda x, y: (x - 3) ** 2 + (x * y - 1) ** 2, ["x", "y"],
            {"weight_decay": 0.1, "amsgrad": True})
    elif which == "sgd":
        run("gd", 50, [0.5, -1.0], 0.01, lambda x, y: (x - 3) ** 2 + (x * y - 1) ** 2, ["x", "y"],
            {"momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01})
    elif which == "rmsprop-centered":
        run("rmsprop", 50, [0.5, -1.0], 0.01, lambda x, y: (x - 3) ** 2 + (x * y - 1) ** 2, ["x", "y"],
            {"momentum": 0.5, "centered": True, "weight_decay": 0.01})
    elif which == "adagrad":
        run("adagrad", 50, [0.5, -1.0], 0.1, lambda x, y: (x - 3) ** 2 + (x * y - 1) ** 2, ["x", "y"])
