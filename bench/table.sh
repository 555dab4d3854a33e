#!/bin/sh
# Tabulating f(x) = x^2 + 3x + 2 and f'(x) over N linspace points three ways, one thread:
#   grad      the library's blocked tape (bench/table_lib.c) and the grad program itself
#   C         a hand-written loop with the derivative written out (bench/table_hand.c)
#   PyTorch   torch.linspace, f(x).sum().backward(), float64 (bench/table_torch.py)
# First the numbers alone, two ways: "store" produces x, f, f' for every point in memory
# (grad: the table's blocks, as handed to the printer; C: blocks of 512 in a loop; PyTorch:
# its tensors) and "sum" also adds every f and f' into a checksum (a serial chain of adds
# that costs both sides the same, and hides the C loop's arithmetic under its latency).
# Then every row printed to /dev/null, then grad's peak memory while streaming.
# Times are the best of REPS runs (the machine may be busy). Needs a built tree; PyTorch is
# optional. Environment: BUILDDIR (default .), CC, GSL_LIBS, PYTHON3 (default
# /usr/bin/python3), N (default 10000000), NOUT (rows printed, default 1000000), REPS (5).
set -e
here=$(cd "$(dirname "$0")" && pwd)
B=${BUILDDIR:-.}
: "${SLEEF_LIBS=$(grep -qs '^#define HAVE_SLEEF 1' "$B/config.h" && echo -lsleef)}"
CC=${CC:-cc}
GSL_LIBS=${GSL_LIBS:--lgsl -lgslcblas -lm}
PY=${PYTHON3:-/usr/bin/python3}
N=${N:-10000000}
NOUT=${NOUT:-1000000}
REPS=${REPS:-5}
GRAD=${GRAD:-$B/src/grad}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$CC -O2 -I"$here/../src/lib" -I"$here/../src/cli" -I"$B" -I"$B/src" "$here/table_lib.c" \
  "$B/src/lib/.libs/libgradengine.a" $NLOPT_LIBS $GSL_LIBS $SLEEF_LIBS -lm -o "$tmp/table_lib"
$CC -O2 "$here/table_hand.c" -o "$tmp/table_hand"
export OMP_NUM_THREADS=1
have_torch=no
"$PY" -c 'import torch' 2>/dev/null && have_torch=yes

best() { # best of REPS runs of a command that reports "T s checksum C" on stdout or stderr
  i=0
  while [ $i -lt "$REPS" ]; do
    "$@" 2>&1 | grep ' s checksum'
    i=$((i + 1))
  done | sort -n | head -1 | cut -d' ' -f1
}
now() { date +%s.%N; }
timed() { # wall time of a command with stdout to /dev/null, best of REPS
  b= i=0
  while [ $i -lt "$REPS" ]; do
    t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
    i=$((i + 1))
  done
  printf '%.3f' "$b"
}
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

echo "# tabulating x^2+3x+2 and its derivative, float64, one thread, best of $REPS"
echo "# numbers alone, N = $N points (seconds)"
gs=$(best "$tmp/table_lib" 'x^2+3x+2' "$N" -6.5 3.5 store)
gx=$(best "$tmp/table_lib" 'x^2+3x+2' "$N" -6.5 3.5 sum)
cs=$(best "$tmp/table_hand" "$N" -6.5 3.5 store)
cx=$(best "$tmp/table_hand" "$N" -6.5 3.5 sum)
printf '%-22s %9s %9s\n' "" store sum
printf '%-22s %9s %9s\n' "grad (blocked tape)" "$gs" "$gx"
printf '%-22s %9s %9s\n' "hand-written C" "$cs" "$cx"
if [ $have_torch = yes ]; then
  p=$(best "$PY" "$here/table_torch.py" "$N" -6.5 3.5)
  printf '%-22s %9s %9s\n' "PyTorch" "$p" "-"
  printf '%-22s %9s %9s   (target <= 2)\n' "ratio grad / C" "$(ratio "$gs" "$cs")" "$(ratio "$gx" "$cx")"
  printf '%-22s %9s %9s   (target >= 3)\n' "ratio PyTorch / grad" "$(ratio "$p" "$gs")" "-"
else
  printf '%-22s %9s %9s\n' "PyTorch" "(not installed)" ""
  printf '%-22s %9s %9s   (target <= 2)\n' "ratio grad / C" "$(ratio "$gs" "$cs")" "$(ratio "$gx" "$cx")"
fi

echo "# every row printed to /dev/null, N = $NOUT rows (seconds)"
gp=$(timed "$GRAD" 'x^2+3x+2' --range x=-6.5:3.5 --points "$NOUT")
cp=$(timed "$tmp/table_hand" "$NOUT" -6.5 3.5 print)
printf '%-22s %9s\n' "grad --range" "$gp"
printf '%-22s %9s   (grad %sx faster)\n' "C printf %.17g" "$cp" "$(ratio "$cp" "$gp")"
if [ $have_torch = yes ]; then
  tp=$(timed "$PY" "$here/table_torch.py" "$NOUT" -6.5 3.5 print)
  printf '%-22s %9s   (grad %sx faster)\n' "PyTorch + savetxt" "$tp" "$(ratio "$tp" "$gp")"
fi
printf '%-22s %9s\n' "grad, N = $N rows" "$(timed "$GRAD" 'x^2+3x+2' --range x=-6.5:3.5 --points "$N")"

if [ -x /usr/bin/time ]; then
  for n in 100000 $N; do
    kb=$(/usr/bin/time -v "$GRAD" 'x^2+3x+2' --range x=-6.5:3.5 --points "$n" 2>&1 >/dev/null |
      sed -n 's/.*Maximum resident set size (kbytes): //p')
    echo "# grad peak RSS streaming $n rows: $kb KiB"
  done
fi
