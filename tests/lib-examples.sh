#!/bin/sh
# The library's examples (examples/c) print the numbers the programs print for the same
# problems: the tutorial's five-variable gradient and df/da's formula (grad), Rosenbrock's
# minimum by BFGS (minimize).
set -u
LC_ALL=C
export LC_ALL
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
f='a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2)'
at='a=1,b=2,c=3,d=0.5,e=1.5'
{ "$GRAD" "$f" --at "$at" && "$GRAD" "$f" --symbolic --wrt a --at "$at" | grep '^d/da = '; } >"$tmp/want"
"$LIB_EXAMPLES/gradient" >"$tmp/got" || { echo "FAIL: examples/c/gradient exit status $?"; fail=1; }
[ "$(wc -l <"$tmp/want")" -eq 7 ] || { echo "FAIL: grad printed:"; cat "$tmp/want"; fail=1; }
diff -u "$tmp/want" "$tmp/got" || { echo "FAIL: examples/c/gradient differs from grad"; fail=1; }
"$MINIMIZE" '(1-x)^2 + 100(y-x^2)^2' --from x=-1.2,y=1 >"$tmp/mwant"
"$LIB_EXAMPLES/minimize" >"$tmp/mgot" 2>"$tmp/merr" || { echo "FAIL: examples/c/minimize exit status $?"; fail=1; }
grep -q '^iteration 0: ' "$tmp/merr" || { echo "FAIL: no progress report"; fail=1; }
for k in 'converged' 'x' 'y' 'f' 'gradient norm'; do
  w=$(grep "^$k = \|^$k: " "$tmp/mwant")
  g=$(grep "^$k = \|^$k: " "$tmp/mgot")
  [ -n "$w" ] && [ "$w" = "$g" ] || { echo "FAIL: minimize '$w' vs example '$g'"; fail=1; }
done
wi=$(sed -n 's/^bfgs: \([0-9]*\) iterations.*/\1/p' "$tmp/mwant")
gi=$(sed -n 's/^bfgs: \([0-9]*\) iterations.*/\1/p' "$tmp/mgot")
[ -n "$wi" ] && [ "$wi" = "$gi" ] || { echo "FAIL: iterations $wi vs $gi"; fail=1; }
[ $fail = 0 ] && echo "PASS: examples/c agree with grad and minimize"
exit $fail
