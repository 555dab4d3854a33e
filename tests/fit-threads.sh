#!/bin/sh
# minimize --threads N on a fit: the trace, the report, the warnings and the exit status
# must be byte for byte the same for any N (the rows are cut into blocks of 4096 whatever
# N is, and the blocks' sums are added in block order). 10001 rows: three blocks, the last
# one short. PyTorch-style, GSL and LM methods, text and json, OMP_NUM_THREADS as the
# default. The loss at the start is also checked against awk's own sum.
. "$(dirname "$0")/testlib.sh"
awk 'BEGIN { print "x y"; for (i = 0; i < 10001; i++) { x = -2 + 4 * i / 10001
  printf "%.17g %.17g\n", x, 2 * x * x - 3 * x + 1 + 0.05 * sin(7 * i) } }' >"$tmp/d.tsv"
M='y = A*x^2 + B*x + C'
same() { # minimize arguments; --threads 1 against 2, 3 and OMP_NUM_THREADS=2
  "$MINIMIZE" "$M" --data "$tmp/d.tsv" "$@" --threads 1 >"$tmp/o1" 2>"$tmp/e1"
  r1=$?
  if [ $r1 -gt 1 ] || [ ! -s "$tmp/o1" ]; then
    echo "FAIL: $* --threads 1: exit $r1: $(head -3 "$tmp/e1")"
    fail=$((fail+1))
    return
  fi
  for n in 2 3 omp; do
    if [ $n = omp ]; then
      OMP_NUM_THREADS=2 "$MINIMIZE" "$M" --data "$tmp/d.tsv" "$@" >"$tmp/on" 2>"$tmp/en"
    else
      "$MINIMIZE" "$M" --data "$tmp/d.tsv" "$@" --threads $n >"$tmp/on" 2>"$tmp/en"
    fi
    rn=$?
    if [ $rn = $r1 ] && cmp -s "$tmp/o1" "$tmp/on" && cmp -s "$tmp/e1" "$tmp/en"; then
      ok
    else
      echo "FAIL: $* --threads $n differs from --threads 1 (exit $rn vs $r1)"
      diff "$tmp/o1" "$tmp/on" | head -5
      fail=$((fail+1))
    fi
  done
}
same --method nadam --steps 60 --trace --via A,B,C
same --method adam --lr 0.05 --steps 200 --trace --every 7 --via A,B,C
same --method bfgs --trace --via A,B,C
same --method lm --trace --via A,B,C
same --method lm --via A,B,C --format json
same --method rmsprop --steps 30 --trace --loss sse --via A,B,C

# the loss at the start (A = B = C = 0): the mean of y^2, summed by awk in row order
"$MINIMIZE" "$M" --data "$tmp/d.tsv" --method adam --steps 1 --trace --via A,B,C \
  --format tsv --threads 2 >"$tmp/t" 2>/dev/null
f0=$(awk -F'\t' '$1 == "0" { print $5 }' "$tmp/t")
if awk -v f="$f0" 'NR > 1 { s += $2 * $2; n++ } END { d = f - s / n; if (d < 0) d = -d
     exit !(f != "" && d <= 1e-13 * s / n) }' "$tmp/d.tsv"; then
  ok
else
  bad "the loss at the start is '$f0', not awk's mean of y^2"
fi
finish fit-threads
