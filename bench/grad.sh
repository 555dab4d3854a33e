#!/bin/sh
# grad against PyTorch, side by side in one run:
#  1. wall time of one whole command: grad 'x^2+3x+2' --at x=3.6 vs the same in a PyTorch
#     script (interpreter start, import torch, tensor, backward);
#  2. one value+gradient of the 5-variable function on a reused tape (a small C program
#     linking the engine library), vs PyTorch's cost per evaluation inside a warm process.
# Environment (make bench sets them): GRAD, PYTHON3, BUILDDIR, CC, GSL_LIBS.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
GRAD=${GRAD:-$top/src/grad}
BUILDDIR=${BUILDDIR:-$top}
: "${SLEEF_LIBS=$(grep -qs '^#define HAVE_SLEEF 1' "$BUILDDIR/config.h" && echo -lsleef)}"
PYTHON3=${PYTHON3:-python3}
CC=${CC:-cc}
GSL_LIBS=${GSL_LIBS:-"-lgsl -lgslcblas -lm"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

have_torch=1
"$PYTHON3" -c 'import torch' 2>/dev/null || have_torch=0
[ $have_torch = 1 ] || echo "grad.sh: $PYTHON3 cannot import torch; PyTorch columns skipped" >&2

# the two must agree before their speed means anything
"$GRAD" 'x^2+3x+2' --at x=3.6 >"$tmp/grad.out"
cat "$tmp/grad.out"
if [ $have_torch = 1 ]; then
  "$PYTHON3" "$here/grad_torch.py" once >"$tmp/torch.out"
  cmp -s "$tmp/grad.out" "$tmp/torch.out" || { echo "grad.sh: grad and PyTorch disagree:"; cat "$tmp/torch.out"; exit 1; }
fi

# mean wall time of a command in milliseconds
wall_ms() {
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 3 --min-runs "$1" --export-json "$tmp/h.json" "$2" >/dev/null 2>&1
    sed -n 's/.*"mean": *\([0-9.e+-]*\).*/\1/p' "$tmp/h.json" | head -n 1 | awk '{printf "%.3f", $1 * 1000}'
  else
    runs=$1
    sh -c "$2" >/dev/null
    t0=$(date +%s%N)
    i=0
    while [ $i -lt "$runs" ]; do sh -c "$2" >/dev/null; i=$((i+1)); done
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" -v n="$runs" 'BEGIN { printf "%.3f", (b - a) / n / 1e6 }'
  fi
}

g_ms=$(wall_ms 50 "$GRAD x^2+3x+2 --at x=3.6")
if [ $have_torch = 1 ]; then
  t_ms=$(wall_ms 10 "$PYTHON3 $here/grad_torch.py once")
fi

# the C benchmark, built against this build's library
"$CC" -O2 -I"$top/src/lib" -I"$top/src/cli" -I"$BUILDDIR/src" -o "$tmp/grad_bench" "$here/grad_bench.c" \
  "$BUILDDIR/src/lib/.libs/libgradengine.a" $NLOPT_LIBS $GSL_LIBS $SLEEF_LIBS -lm
n=2000000
g_ns=$("$tmp/grad_bench" $n)
g_ns_blk=$("$tmp/grad_bench" $((n * 4)) 256)
if [ $have_torch = 1 ]; then
  t_ns=$("$PYTHON3" "$here/grad_torch.py" loop 20000)
fi

printf '\n%-58s %12s %12s %9s\n' "" grad PyTorch ratio
if [ $have_torch = 1 ]; then
  printf '%-58s %9s ms %9s ms %8.0fx\n' "whole command: x^2+3x+2 at 3.6 (value + gradient)" \
    "$g_ms" "$t_ms" "$(awk -v a="$t_ms" -v b="$g_ms" 'BEGIN { print a / b }')"
  printf '%-58s %9s ns %9s ns %8.0fx\n' "5-variable function, one point per sweep (reused tape)" \
    "$g_ns" "$t_ns" "$(awk -v a="$t_ns" -v b="$g_ns" 'BEGIN { print a / b }')"
  printf '%-58s %9s ns %9s ns %8.0fx\n' "5-variable function, 256 points per sweep, per point" \
    "$g_ns_blk" "$t_ns" "$(awk -v a="$t_ns" -v b="$g_ns_blk" 'BEGIN { print a / b }')"
else
  printf '%-58s %9s ms\n' "whole command: x^2+3x+2 at 3.6 (value + gradient)" "$g_ms"
  printf '%-58s %9s ns\n' "5-variable function, one point per sweep (reused tape)" "$g_ns"
  printf '%-58s %9s ns\n' "5-variable function, 256 points per sweep, per point" "$g_ns_blk"
fi
