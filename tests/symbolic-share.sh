#!/bin/sh
# --symbolic of a deep composition prints with shared sub-expressions on its own (and says
# so) instead of a tree that doubles at every level: the logistic map at 30 and 50 levels
# prints in a few kilobytes, and the printed formula, read back, gives reverse mode's
# derivative. A small formula still prints as a tree, with no note.
. "$(dirname "$0")/testlib.sh"

close() {
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
    if (m < 1e-300) m = 1e-300; exit !(a == a + 0 && b == b + 0 && d <= t * m) }'
}

for n in 30 50; do
  e=$(awk -v n="$n" 'BEGIN { s = "l1 = 4*x*(1 - x); "
    for (i = 2; i <= n; i++) s = s sprintf("l%d = 4*l%d*(1 - l%d); ", i, i - 1, i - 1)
    printf "%sl%d", s, n }')
  if "$GRAD" "$e" --symbolic >"$tmp/out" 2>"$tmp/err"; then ok; else bad "logistic $n: exit $?"; fi
  size=$(wc -c <"$tmp/out")
  if [ "$size" -lt 20000 ]; then ok; else bad "logistic $n: $size bytes"; fi
  if grep -q 'printed with shared sub-expressions' "$tmp/err"; then ok; else bad "logistic $n: no note"; fi
  # read the printed formula back: t1 = ...; ...; <the d/dx formula>
  back=$(sed -e 's/^d\/dx = //' "$tmp/out" | awk '{ printf "%s%s", (NR > 1 ? "; " : ""), $0 }')
  x=0.3
  v=$("$GRAD" "$back" --at x=$x --no-grad | sed -n 's/^f = //p')
  r=$("$GRAD" "$e" --at x=$x | sed -n 's/^df\/dx = //p')
  if close "$v" "$r" 1e-9; then ok; else bad "logistic $n: the printed formula gives $v, reverse mode $r"; fi
done

# a formula of modest size stays a tree
"$GRAD" 'sin(x)*exp(x)/(1 + x^2)' --symbolic >"$tmp/out" 2>"$tmp/err"
if [ ! -s "$tmp/err" ] && ! grep -q '^t1 = ' "$tmp/out"; then ok; else bad "a small formula was shared"; fi

finish symbolic-share
