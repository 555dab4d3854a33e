#!/bin/sh
# grad --range ... --threads N: the bytes on stdout and stderr and the exit status must not
# depend on N. Tables of several chunks of blocks (so that every thread has work, and the
# last chunk is short), lines and grids, text, json and binary, several outputs, --order,
# kinks (abs, max) and non-finite values (the warnings name the first point, whichever
# thread met it), and a table smaller than one chunk; an interrupted table writes whole rows,
# in order.
. "$(dirname "$0")/testlib.sh"
same() { # the grad arguments; compares --threads 1 with 2, 3 and 7
  "$GRAD" "$@" --threads 1 >"$tmp/o1" 2>"$tmp/e1"
  r1=$?
  if [ $r1 -gt 1 ] || [ ! -s "$tmp/o1" ]; then
    echo "FAIL: $* --threads 1: exit $r1: $(head -3 "$tmp/e1")"
    fail=$((fail+1))
    return
  fi
  for n in 2 3 7; do
    "$GRAD" "$@" --threads $n >"$tmp/on" 2>"$tmp/en"
    rn=$?
    if [ $rn = $r1 ] && cmp -s "$tmp/o1" "$tmp/on" && cmp -s "$tmp/e1" "$tmp/en"; then
      ok
    else
      echo "FAIL: $* --threads $n differs from --threads 1 (exit $rn vs $r1)"
      diff "$tmp/e1" "$tmp/en" | head -5
      fail=$((fail+1))
    fi
  done
}
same 'x^2*y + sin(z)*exp(u*v) - log(1+x^2)' --range x=-6.5:3.5:100001 --at y=0.5,z=1.5,u=2,v=0.25 --wrt x,y,z,u,v
same 'sin(x)*cos(y) + abs(x - 0.5)' --range x=-3:3:301,y=-2:2:207
same 'log(x)' 'sqrt(x)' 'max(x, 0.25)' --range x=-1:1:60001
same 'atan2(y, x)' --range x=-1:1:257,y=-1:1:255 --format json
same 'x^3 - x' --range x=-2:2:70000 --format binary
same 'sin(x)/x' --range x=-20:20:40001 --order 2 --wrt x
same '1/(x - 0.3)' --range x=0:1:50000 --digits 6
same 'x^2' --range x=0:1:1000
# trouble only in the last chunks (x > 0.9999) and in the middle (abs at x = 0.75): the
# warnings are there and the same
same 'sqrt(0.9999 - x)' 'abs(x - 0.75)' --range x=0:1:100001
grep -q "sqrt(0.9999 - x) is nan" "$tmp/e1" && grep -q "kink" "$tmp/e1" && ok ||
  { echo "FAIL: late warnings: $(cat "$tmp/e1")"; fail=$((fail+1)); }
# Ctrl-C (SIGINT) in the middle of a big table: exit 130, "interrupted", and what was written
# is whole rows, in order: a prefix of the same table from one thread, interrupted later.
big() { # threads seconds output
  timeout --preserve-status -s INT -k 20 "$2" "$GRAD" 'sin(x)*exp(-x)' --range x=0:1:1000000000 \
    --format binary --threads "$1" >"$3" 2>"$tmp/ei"
  ri=$?
  if [ $ri = 130 ] && grep -q interrupted "$tmp/ei" && [ $(($(wc -c <"$3") % 24)) = 0 ]; then ok
  else bad "--threads $1 interrupted: exit $ri, $(wc -c <"$3") bytes: $(cat "$tmp/ei")"; fi
}
big 1 3 "$tmp/b1"
for n in 2 3; do
  big $n 1 "$tmp/b$n"
  sz=$(wc -c <"$tmp/b$n")
  if [ "$sz" -gt 0 ] && [ "$sz" -lt "$(wc -c <"$tmp/b1")" ] && cmp -s -n "$sz" "$tmp/b$n" "$tmp/b1"; then ok
  else bad "--threads $n interrupted: $sz bytes, not a prefix of one thread's $(wc -c <"$tmp/b1")"; fi
done
finish threads
