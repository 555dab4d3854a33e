#!/bin/sh
# grad --plot renders PNG files headlessly; each must be a real PNG of the requested size
# (800x600). Reads the PNG header itself (signature, IHDR width and height) so that no image
# tool is needed. Also: a clear error and exit status 3 when gnuplot is missing.
# Skipped (77) only when gnuplot is not installed.
LC_ALL=C
export LC_ALL
GRAD=${GRAD:-src/grad}
MINIMIZE=${MINIMIZE:-src/minimize}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }

# no gnuplot: exit status 3 and a message naming gnuplot, whatever is installed
GNUPLOT="$tmp/no-such-gnuplot" "$GRAD" 'x^2' --range x=0:1 --plot="$tmp/none.png" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc = 3 ] && grep -q 'gnuplot is not installed' "$tmp/err"; then ok; else bad "missing gnuplot: rc $rc: $(cat "$tmp/err")"; fi
# minimize says so before it runs (no report on stdout); --gnuplot needs no gnuplot
GNUPLOT="$tmp/no-such-gnuplot" "$MINIMIZE" 'x^2' --plot >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc = 3 ] && grep -q 'gnuplot is not installed' "$tmp/err" && [ ! -s "$tmp/out" ]; then ok
else bad "minimize, missing gnuplot: rc $rc: $(cat "$tmp/err")"; fi
GNUPLOT="$tmp/no-such-gnuplot" "$MINIMIZE" 'x^2' --from x=1 --gnuplot >"$tmp/out" 2>"$tmp/err" &&
  grep -q '^plot \$loss' "$tmp/out" && grep -q '^bfgs:' "$tmp/err" && ok ||
  bad "minimize --gnuplot without gnuplot: $(cat "$tmp/err")"

if [ -n "$GNUPLOT" ] && [ -x "$GNUPLOT" ]; then :
elif command -v gnuplot >/dev/null 2>&1; then GNUPLOT=$(command -v gnuplot)
else echo "SKIP: gnuplot is not installed"; exit 77; fi
export GNUPLOT

# png_size FILE: prints "WIDTH HEIGHT" when FILE is a PNG, else nothing
png_size() {
  sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
  [ "$sig" = 89504e470d0a1a0a ] || return 1
  ihdr=$(od -An -c -j12 -N4 "$1" | tr -d ' \n')
  [ "$ihdr" = IHDR ] || return 1
  od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}'
}

check_png() { # name, then the grad (or minimize: PROG=minimize) arguments
  name=$1
  shift
  if [ "$PROG" = minimize ]; then
    "$MINIMIZE" "$@" --plot="$tmp/$name.png" >"$tmp/out" 2>"$tmp/err"
  else
    "$GRAD" "$@" --plot="$tmp/$name.png" >"$tmp/out" 2>"$tmp/err"
  fi
  rc=$?
  if [ $rc != 0 ]; then bad "$name: exit status $rc: $(cat "$tmp/err")"; return; fi
  # minimize reports its result on stdout; grad's table goes into the file only
  if [ "$PROG" != minimize ] && [ -s "$tmp/out" ]; then bad "$name: a file plot wrote to stdout"; return; fi
  size=$(png_size "$tmp/$name.png")
  if [ "$size" = "800 600" ]; then ok; else bad "$name: not an 800x600 PNG (got '$size')"; fi
  # a plot with curves is not one flat colour: the file is well above an empty canvas
  bytes=$(wc -c <"$tmp/$name.png")
  if [ "$bytes" -gt 8000 ]; then ok; else bad "$name: suspiciously small PNG ($bytes bytes)"; fi
}

check_png line 'x^2+3x+2' --range x=-6.5:3.5
check_png grid 'sin(x)*cos(y)' --range x=-3:3,y=-3:3 --points 30
check_png two 'x^2' 'x^3' --range x=-1:1

# minimize: the path over the contour map (two unknowns, a GSL method and lm too), the
# loss curve (three unknowns), the data and the fitted curve (a fit)
PROG=minimize
check_png mpath 'x^2+y^2' --from x=1.1,y=2.1 --method gd --lr 0.05 --steps 100
check_png mbfgs '(1-x)^2 + 100(y-x^2)^2' --from x=-1.2,y=1 --method bfgs
check_png meq 'x+y=3' 'x-y=1' --method lm
check_png mloss '(x-1)^2+(y-2)^2+z^2' --from x=5,y=7,z=1 --method adam --lr 0.1 --steps 200
printf 'x y\n' >"$tmp/fit.tsv"
for i in 0 1 2 3 4 5 6 7 8 9 10; do echo "$i $((i*i - 3*i + 2))"; done >>"$tmp/fit.tsv"
check_png mfit 'y = A*x^2 + B*x + C' --data "$tmp/fit.tsv" --method lm
PROG=
# the fit's report still goes to stdout with a file plot
grep -q 'Final set of parameters' "$tmp/out" && ok || bad "minimize fit: no report on stdout"

# svg and pdf by extension
"$GRAD" 'x^2' --range x=0:1 --plot="$tmp/a.svg" 2>"$tmp/err" && grep -q '<svg' "$tmp/a.svg" && ok || bad "svg: $(cat "$tmp/err")"
"$GRAD" 'x^2' --range x=0:1 --plot="$tmp/a.pdf" 2>"$tmp/err" && [ "$(head -c 5 "$tmp/a.pdf")" = "%PDF-" ] && ok || bad "pdf: $(cat "$tmp/err")"
# an unknown extension is a usage error, before gnuplot runs
"$GRAD" 'x^2' --range x=0:1 --plot="$tmp/a.jpg" 2>"$tmp/err"
[ $? = 2 ] && grep -q '.png, .svg or .pdf' "$tmp/err" && ok || bad "jpg: $(cat "$tmp/err")"

# a text plot: the dumb terminal draws f's curve with characters on stdout
COLUMNS=80 LINES=24 "$GRAD" 'x^2' --range x=-1:1 --plot >"$tmp/dumb" 2>"$tmp/err"
if [ $? = 0 ] && grep -q '\*\*\*' "$tmp/dumb" && [ "$(wc -l <"$tmp/dumb")" -ge 20 ]; then ok
else bad "dumb plot: $(cat "$tmp/err")"; fi

# the --gnuplot script renders the same PNG when run by gnuplot itself
(cd "$tmp" && "$GRAD" 'x^2+3x+2' --range x=-6.5:3.5 --gnuplot --plot=script.png >s.gp && "$GNUPLOT" s.gp) 2>"$tmp/err"
[ "$(png_size "$tmp/script.png")" = "800 600" ] && ok || bad "--gnuplot script: $(cat "$tmp/err")"

# big tables reach gnuplot as a temporary binary file (in $TMPDIR, removed afterwards):
# the image is the very PNG that the inline-text script of --gnuplot gives
mkdir "$tmp/td"
for spec in "sin(x)/x --range x=-20:20:20000" "sin(x)*cos(y) --range x=-3:3:90,y=-2:2:70"; do
  set -f
  # shellcheck disable=SC2086
  TMPDIR="$tmp/td" "$GRAD" $spec --plot="$tmp/bin.png" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  # shellcheck disable=SC2086
  (cd "$tmp" && "$GRAD" $spec --gnuplot --plot="$tmp/inline.png" >big.gp && "$GNUPLOT" big.gp) 2>>"$tmp/err"
  set +f
  if [ $rc = 0 ] && [ "$(png_size "$tmp/bin.png")" = "800 600" ] && cmp -s "$tmp/bin.png" "$tmp/inline.png"
  then ok; else bad "binary plot data ($spec): rc $rc, $(cat "$tmp/err")"; fi
  [ -z "$(ls -A "$tmp/td")" ] && ok || bad "temporary plot data left behind: $(ls -A "$tmp/td")"
done
# and a text plot of many points works the same way
COLUMNS=80 LINES=24 TMPDIR="$tmp/td" "$GRAD" 'x^2' --range x=-1:1:5000 --plot >"$tmp/dumb" 2>"$tmp/err"
if [ $? = 0 ] && grep -q '\*\*\*' "$tmp/dumb" && [ -z "$(ls -A "$tmp/td")" ]; then ok
else bad "dumb plot of 5000 points: $(cat "$tmp/err")"; fi
# an unusable TMPDIR: exit status 3, naming the folder
TMPDIR="$tmp/no/such/dir" "$GRAD" 'x^2' --range x=-1:1:5000 --plot="$tmp/never.png" >"$tmp/out" 2>"$tmp/err"
[ $? = 3 ] && grep -q "no/such/dir" "$tmp/err" && [ ! -e "$tmp/never.png" ] && ok || bad "bad TMPDIR: $(cat "$tmp/err")"

# the other file formats, by the name's extension (any case); an unknown one is refused
"$GRAD" 'x^2' --range x=0:1 --plot="$tmp/a.SVG" >"$tmp/out" 2>"$tmp/err" &&
  grep -q '^<svg' "$tmp/a.SVG" && ok || bad "svg plot: $(cat "$tmp/err")"
"$GRAD" 'x*y' --range x=0:1,y=0:1 --points 10 --plot="$tmp/a.pdf" >"$tmp/out" 2>"$tmp/err" &&
  [ "$(head -c 5 "$tmp/a.pdf")" = "%PDF-" ] && ok || bad "pdf plot: $(cat "$tmp/err")"
"$GRAD" 'x^2' --range x=0:1 --plot="$tmp/a.gif" >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] && grep -q "plot format of '.*a.gif'" "$tmp/err" && [ ! -e "$tmp/a.gif" ] && ok ||
  bad "unknown plot format: $(cat "$tmp/err")"
# a text plot fits the terminal that COLUMNS and LINES describe (a grid too, and
# minimize's loss curve)
for prog in "$GRAD x^2 --range x=0:1" "$GRAD x*y --range x=0:1,y=0:1 --points 10" \
  "$MINIMIZE x^2+y^2 --from x=1,y=2 -m gd --lr 0.1 --steps 20"; do
  set -f
  # shellcheck disable=SC2086
  COLUMNS=60 LINES=20 $prog --plot >"$tmp/dumb" 2>"$tmp/err"
  rc=$?
  set +f
  w=$(awk '/^[A-Za-z]/ { next } { if (length($0) > m) m = length($0) } END { print m + 0 }' "$tmp/dumb")
  if [ $rc = 0 ] && [ "$w" -le 60 ] && [ "$w" -gt 30 ] && [ "$(grep -c . "$tmp/dumb")" -ge 10 ]; then ok
  else bad "text plot of '$prog' for 60x20: rc $rc, width $w: $(cat "$tmp/err")"; fi
done
# gnuplot failing is an error (exit 3) that says so; so is a folder that does not exist
GNUPLOT=false "$GRAD" 'x^2' --range x=0:1 --plot="$tmp/f.png" >"$tmp/out" 2>"$tmp/err"
[ $? = 3 ] && grep -q 'gnuplot failed' "$tmp/err" && ok || bad "failing gnuplot: $(cat "$tmp/err")"
"$GRAD" 'x^2' --range x=0:1 --plot="$tmp/nodir/f.png" >"$tmp/out" 2>"$tmp/err"
[ $? = 3 ] && grep -q "cannot write '.*nodir/f.png'" "$tmp/err" && ok || bad "plot into a missing folder: $(cat "$tmp/err")"

echo "plot: $pass passed, $fail failed"
[ $fail = 0 ]
