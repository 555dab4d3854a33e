#!/bin/sh
# minimize's optimizer core against PyTorch (float64, one thread), CPU time:
#   Adam iterations/second on a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2)
#   ms per Adam iteration of y = A x^2 + B x + C fitted to 10^6 rows
# Run from the build directory (make bench sets BUILDDIR, CC, GSL_LIBS, PYTHON3).
here=$(cd "$(dirname "$0")" && pwd)
: "${BUILDDIR:=.}"
: "${SLEEF_LIBS=$(grep -qs '^#define HAVE_SLEEF 1' "$BUILDDIR/config.h" && echo -lsleef)}"
: "${CC:=cc}"
: "${PYTHON3:=python3}"
: "${GSL_LIBS:=$(pkg-config --libs gsl 2>/dev/null || echo -lgsl -lgslcblas)}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$CC -O2 -I"$here/../src/lib" -I"$here/../src/cli" -I"$BUILDDIR" "$here/minimize_bench.c" \
  "$BUILDDIR/src/lib/.libs/libgradengine.a" $NLOPT_LIBS $GSL_LIBS $SLEEF_LIBS -lm -o "$tmp/bench" || exit 1
"$tmp/bench" >"$tmp/ours" || exit 1
if ! "$PYTHON3" -c 'import torch' 2>/dev/null; then
  echo "minimize bench: PyTorch not available; our figures only:"
  cat "$tmp/ours"
  exit 0
fi
"$PYTHON3" "$here/minimize_torch.py" >"$tmp/torch" || exit 1
awk '
  FNR == NR { ours[$1] = $2; next }
  { torch[$1] = $2 }
  END {
    a = ours["adam5_iters_per_sec"]; b = torch["adam5_iters_per_sec"]
    printf "adam, 5-variable function: %.4g iterations/s (PyTorch %.4g): %.1fx\n", a, b, a / b
    a = ours["fit_ms_per_iter"]; b = torch["fit_ms_per_iter"]
    printf "fit, 10^6 rows, 3 parameters: %.4g ms/iteration (PyTorch %.4g): %.1fx\n", a, b, b / a
  }' "$tmp/ours" "$tmp/torch"
