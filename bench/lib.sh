#!/bin/sh
# libgrad's speed on the five-variable function of examples/2-partials.sh, value and
# gradient, CPU ns per point (best of REPS runs, interleaved): grad_eval (one call per point;
# target <= 100 ns), grad_eval_block (points in blocks; target <= 1.5x hand-written C; also
# with grad_set_vecmath's vector math, within 1 ulp of libm),
# hand-written -O2 C, and GNU libmatheval (its evaluator and evaluator_derivative per
# variable; the row is skipped when libmatheval-dev is not installed). The last column is
# the largest relative difference from the hand-written numbers. Two more rows: grad_hessian
# (the 5 x 5 matrix at one point) and grad_minimize (ns per Adam step: value, gradient and
# update), both without a comparison.
# Environment (make bench sets them): BUILDDIR, CC.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILDDIR=${BUILDDIR:-$top}
CC=${CC:-cc}
N=${N:-2000000}
REPS=${REPS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lib="$BUILDDIR/src/lib/.libs"
[ -f "$lib/libgrad.so" ] || { echo "lib.sh: no $lib/libgrad.so (configure with shared libraries)" >&2; exit 1; }
modes="eval block blockvec hand hessian minimize"
mflags=
if printf '#include <matheval.h>\nint main(void){return 0;}\n' | $CC -x c - -lmatheval -o "$tmp/m" 2>/dev/null; then
  mflags="-DHAVE_MATHEVAL -lmatheval"
  modes="$modes matheval"
else
  echo "lib.sh: libmatheval not found (Debian libmatheval-dev): its row is skipped" >&2
fi
$CC -O2 -I"$top/src/lib" "$here/lib_bench.c" -o "$tmp/lib_bench" -L"$lib" -Wl,-rpath,"$lib" -lgrad \
  $mflags -lm
echo "load: $(uptime | sed 's/.*load average/load average/')"
for m in $modes; do echo 1e9 >"$tmp/$m"; done
r=0
while [ $r -lt "$REPS" ]; do
  for m in $modes; do
    n=$N
    [ $m = matheval ] && n=$((N / 10))
    [ $m = hessian ] && n=$((N / 10))
    "$tmp/lib_bench" $m $n >"$tmp/out"
    read -r ns diff <"$tmp/out"
    best=$(cat "$tmp/$m")
    awk -v a="$ns" -v b="$best" 'BEGIN { exit !(a < b) }' && echo "$ns" >"$tmp/$m"
    echo "$diff" >"$tmp/$m.diff"
  done
  r=$((r + 1))
done
hand=$(cat "$tmp/hand")
printf '%-40s %10s %8s %12s\n' "value + gradient, 5 variables" "ns/point" "x hand" "max rel diff"
for m in $modes; do
  case $m in
    eval) what="libgrad grad_eval (1 point per call)" ;;
    block) what="libgrad grad_eval_block" ;;
    blockvec) what="  the same, grad_set_vecmath on" ;;
    hand) what="hand-written C (-O2)" ;;
    matheval) what="libmatheval (evaluator_derivative)" ;;
    hessian) what="libgrad grad_hessian (5x5, per point)" ;;
    minimize) what="libgrad grad_minimize (per Adam step)" ;;
  esac
  ratio=$(awk -v a="$(cat "$tmp/$m")" -v b="$hand" 'BEGIN { printf "%.2f", a / b }')
  case $m in hessian | minimize) ratio=- ;; esac
  printf '%-40s %10s %8s %12s\n' "$what" "$(cat "$tmp/$m")" "$ratio" "$(cat "$tmp/$m.diff")"
done
