#!/bin/sh
# Tabulating f(x) = x^2 + 3x + 2 and f'(x) over N linspace points three ways, one thread:
#   grad      the library's blocked tape (bench/table_lib.c) and the grad program itself
#   C         a hand-written loop with the derivative written out (bench/table_hand.c)
#   PyTorch   torch.linspace, f(x).sum().backward(), float64 (bench/table_torch.py)
# first the numbers alone, then with every row printed to /dev/null, then grad's peak
# memory while streaming. Needs a built tree; PyTorch is optional.
# Environment: BUILDDIR (default .), CC, GSL_LIBS, PYTHON3 (default /usr/bin/python3),
# N (default 10000000), NOUT (rows for the printing comparison, default 1000000).
set -e
here=$(cd "$(dirname "$0")" && pwd)
B=${BUILDDIR:-.}
CC=${CC:-cc}
GSL_LIBS=${GSL_LIBS:--lgsl -lgslcblas -lm}
PY=${PYTHON3:-/usr/bin/python3}
N=${N:-10000000}
NOUT=${NOUT:-1000000}
GRAD=${GRAD:-$B/src/grad}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$CC -O2 -I"$here/../src" -I"$B" -I"$B/src" "$here/table_lib.c" "$B/src/libgrad.a" $GSL_LIBS -o "$tmp/table_lib"
$CC -O2 "$here/table_hand.c" -o "$tmp/table_hand"
export OMP_NUM_THREADS=1

best() { # best of 3 runs of a command printing "T s ..." on stdout or stderr
  for i in 1 2 3; do "$@" 2>&1 >/dev/null | grep ' s ' || "$@" 2>/dev/null | grep ' s '; done |
    sort -n | head -1 | cut -d' ' -f1
}
now() { date +%s.%N; }
timed() { # wall time of a command with stdout to /dev/null, best of 3
  b=
  for i in 1 2 3; do
    t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
  done
  printf '%.3f' "$b"
}

echo "# tabulating x^2+3x+2 and its derivative, float64, one thread"
echo "# numbers alone, N = $N points (seconds, best of 3)"
g=$(best "$tmp/table_lib" 'x^2+3x+2' "$N" -6.5 3.5)
c=$(best "$tmp/table_hand" "$N" -6.5 3.5)
echo "grad (blocked tape)   $g"
echo "hand-written C        $c"
if "$PY" -c 'import torch' 2>/dev/null; then
  p=$(best "$PY" "$here/table_torch.py" "$N" -6.5 3.5)
  echo "PyTorch               $p"
  echo "# PyTorch / grad = $(echo "$p / $g" | bc -l | cut -c1-5)   grad / C = $(echo "$g / $c" | bc -l | cut -c1-5)"
else
  echo "PyTorch               (not installed)"
  echo "# grad / C = $(echo "$g / $c" | bc -l | cut -c1-5)"
fi

echo "# every row printed to /dev/null, N = $NOUT rows (seconds, best of 3)"
echo "grad --range          $(timed "$GRAD" 'x^2+3x+2' --range x=-6.5:3.5 --points "$NOUT")"
echo "C printf %.17g        $(timed "$tmp/table_hand" "$NOUT" -6.5 3.5 print)"
if "$PY" -c 'import torch' 2>/dev/null; then
  echo "PyTorch + savetxt     $(timed "$PY" "$here/table_torch.py" "$NOUT" -6.5 3.5 print)"
fi
echo "grad, N = $N rows     $(timed "$GRAD" 'x^2+3x+2' --range x=-6.5:3.5 --points "$N")"

if [ -x /usr/bin/time ]; then
  for n in 100000 $N; do
    kb=$(/usr/bin/time -v "$GRAD" 'x^2+3x+2' --range x=-6.5:3.5 --points "$n" 2>&1 >/dev/null |
      sed -n 's/.*Maximum resident set size (kbytes): //p')
    echo "# grad peak RSS streaming $n rows: $kb KiB"
  done
fi
