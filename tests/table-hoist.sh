#!/bin/sh
# A table's fixed variables (--at, with no partial column of their own) are blocks of one,
# so what depends only on them and on constants is evaluated once a block, not once a row.
# That must change no byte: each table is compared with the same table where the fixed
# variable is instead a range of one point (y=c:c:1, a block like x, nothing hoisted), whose
# rows are the same after their first column; and the warnings (kinks, non-finite values)
# and exit status must be the same too.
. "$(dirname "$0")/testlib.sh"
# same F YVAL RANGE [options...]: F over RANGE at y=YVAL, against y=YVAL:YVAL:1 as the outer range
same() {
  f=$1 yv=$2 rg=$3
  shift 3
  "$GRAD" "$f" --range "$rg" --at y="$yv" "$@" >"$tmp/h" 2>"$tmp/eh"
  rh=$?
  "$GRAD" "$f" --range "y=$yv:$yv:1,$rg" "$@" >"$tmp/g" 2>"$tmp/eg"
  rg_=$?
  if [ $rh -gt 1 ] || [ ! -s "$tmp/h" ]; then
    echo "FAIL: $f at y=$yv $*: exit $rh: $(head -3 "$tmp/eh")"
    fail=$((fail+1))
    return
  fi
  # drop the header lines and the grid's y column
  grep -v '^#' "$tmp/h" >"$tmp/h2"
  grep -v '^#' "$tmp/g" | cut -f2- >"$tmp/g2"
  if [ $rh = $rg_ ] && cmp -s "$tmp/h2" "$tmp/g2" && cmp -s "$tmp/eh" "$tmp/eg"; then
    ok
  else
    echo "FAIL: $f at y=$yv $*: differs from y as a one-point range (exit $rh vs $rg_)"
    diff "$tmp/h2" "$tmp/g2" | head -5 | cut -c1-200
    diff "$tmp/eh" "$tmp/eg" | head -5
    fail=$((fail+1))
  fi
}
F5='x^2*y + sin(z)*exp(u*v) - log(1+x^2)'
G='sin(y)*exp(y)*x + cos(y)^2*x^2 + y'
# (the partials: --wrt x, as the one-point range would add a column for y)
same "$G" 0.7 x=-2:3:5001 --wrt x
same "$G" 0.7 x=-2:3:5001 --no-grad
same "$G" 0.7 x=-2:3:5001 --order 3 --wrt x
same "$G" 0.7 x=-2:3:70001 --threads 2 --wrt x
same "$F5" 0.5 x=-6.5:3.5:3001 --at z=1.5,u=0.3,v=0.25 --wrt x
same "$F5" 0.5 x=-6.5:3.5:3001 --at z=1.5,u=0.3,v=0.25 --wrt x,z,u
same "$F5" 0.5 x=-6.5:3.5:3001 --at z=1.5,u=0.3,v=0.25 --no-grad
same 'exp(y)*x' 0.25 x=-1:1:999 --wrt x 'y^2 + sin(y)'
# warnings: a kink of a fixed variable, a non-finite value made by one
same 'abs(y)*x + x^2' 0 x=-1:1:1001 --wrt x
same 'max(y, 0)*x' 0 x=-1:1:1001 --wrt x
same 'log(y)*x' 0 x=-1:1:1001 --wrt x
same 'x/(y - 0.5)' 0.5 x=0:1:101 --wrt x
same 'sqrt(y)*x' 0 x=0:1:101 --wrt x
finish table-hoist
