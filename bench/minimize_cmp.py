#!/usr/bin/python3
# Compare two traces (rows of numbers; '#' lines ignored): max relative difference.
import sys
a = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
b = [l.split() for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
assert len(a) == len(b), (len(a), len(b))
worst = 0.0
same = 0
for ra, rb in zip(a, b):
    same += ra == rb
    for x, y in zip(ra, rb):
        x, y = float(x), float(y)
        d = abs(x - y) / max(abs(x), abs(y), 1e-300)
        worst = max(worst, d)
print("%d rows, %d identical, max relative difference %.3g" % (len(a), same, worst))
