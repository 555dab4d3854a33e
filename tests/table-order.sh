#!/bin/sh
# grad --range ... --order N tabulates f and its derivatives 1..N; each row must agree with
# grad --order N --at at the same point (two code paths: the blocked table tape versus the
# point evaluation), and with derivatives known in closed form.
. "$(dirname "$0")/testlib.sh"

# agree EXPR N: the table over [0.25, 2] (8 points, all exact binary fractions) against
# --order N --at x=X for every row, each derivative to 1e-12 relative
agree() {
  "$GRAD" "$1" --range x=0.25:2 --points 8 --order "$2" >"$tmp/table" 2>"$tmp/err" ||
    { echo "FAIL: $1: table: $(cat "$tmp/err")"; fail=$((fail+1)); return; }
  bad=0
  for x in $(awk '!/^#/ {print $1}' "$tmp/table"); do
    "$GRAD" "$1" --order "$2" --at "x=$x" --format tsv 2>"$tmp/err" | awk '!/^#/ {print $NF}' >"$tmp/at"
    awk -v x="$x" '$1 == x {for (i = 3; i <= NF; i++) print $i}' "$tmp/table" >"$tmp/row"
    if ! paste "$tmp/row" "$tmp/at" | awk -v n="$2" '
        { a = $1; b = $2; d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a); if (m < 1) m = 1
          if (d > 1e-12 * m || NF != 2) bad = 1; k++ }
        END { exit bad || k != n }'; then
      echo "FAIL: $1 at x=$x: table $(tr '\n' ' ' <"$tmp/row") vs --at $(tr '\n' ' ' <"$tmp/at")"
      bad=1
    fi
  done
  if [ $bad = 0 ]; then ok; else fail=$((fail+1)); fi
}

agree 'x^6' 6
agree 'sin(x)*exp(x)' 4
agree 'log(1+x^2)/x' 3
agree 'atan(x) + sqrt(x)' 2

# closed forms: d^k/dx^k exp(2x) = 2^k exp(2x); the n-th derivative of sin is sin(x + n pi/2)
"$GRAD" 'exp(2x)' --range x=-1:1 --points 9 --order 4 | awk '!/^#/ {
    for (k = 1; k <= 4; k++) { w = 2^k * $2; d = $(2 + k) - w; if (d < 0) d = -d
      if (d > 1e-12 * (w < 0 ? -w : w)) bad = 1 } }
  END { exit bad }' && ok || { bad "exp(2x) derivatives"; }
"$GRAD" 'sin(x)' --range x=-3:3 --points 13 --order 5 | awk '!/^#/ {
    for (k = 1; k <= 5; k++) { w = sin($1 + k * 3.141592653589793 / 2); d = $(2 + k) - w
      if (d < 0) d = -d; if (d > 1e-12) bad = 1 } }
  END { exit bad }' && ok || { bad "sin derivatives"; }

finish table-order
