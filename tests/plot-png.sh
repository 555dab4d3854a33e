#!/bin/sh
# grad --plot renders PNG files headlessly; each must be a real PNG of the requested size
# (800x600). Reads the PNG header itself (signature, IHDR width and height) so that no image
# tool is needed. Also: a clear error and exit status 3 when gnuplot is missing.
# Skipped (77) only when gnuplot is not installed.
. "$(dirname "$0")/testlib.sh"
srcdir_cli=$(cd "${srcdir:-.}/tests/cli" && pwd)

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

# A stand-in gnuplot that reads the script, prints bytes on its stdout (what gnuplot does
# with an image whose output it cannot open) and an error on its stderr, and fails. An
# image plot must keep those bytes off our stdout; the error is relayed naming gnuplot,
# then exit status 3. A text plot is gnuplot's stdout, so it passes through.
fake="$tmp/fake-gnuplot"
cat >"$fake" <<'EOF'
#!/bin/sh
cat >/dev/null
printf '\211PNG\r\n\032\nIMAGEBYTES'
printf '         plot foo\n                ^\n         line 12: undefined variable: foo\n\n' >&2
exit 1
EOF
chmod +x "$fake"
GNUPLOT="$fake" "$GRAD" 'x^2' --range x=0:1 --plot="$tmp/fake.png" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc = 3 ] && [ ! -s "$tmp/out" ] && grep -q '^grad: gnuplot:          line 12: undefined variable: foo$' "$tmp/err" &&
  grep -q '^grad: error: gnuplot failed (exit status 1)' "$tmp/err" && ! grep -q '^grad: gnuplot: *$' "$tmp/err"
then ok; else bad "gnuplot's stdout or stderr, grad: rc $rc: $(od -c "$tmp/out" | head -3) $(cat "$tmp/err")"; fi
GNUPLOT="$fake" "$MINIMIZE" 'x^2' --from x=1 --method gd --lr 0.1 --steps 3 --plot="$tmp/fake.png" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc = 3 ] && ! grep -q IMAGEBYTES "$tmp/out" && grep -q '^x = ' "$tmp/out" &&
  grep -q '^minimize: gnuplot:          line 12: undefined variable: foo$' "$tmp/err"
then ok; else bad "gnuplot's stdout or stderr, minimize: rc $rc: $(cat "$tmp/err")"; fi
GNUPLOT="$fake" "$GRAD" 'x^2' --range x=0:1 --plot >"$tmp/out" 2>"$tmp/err"
grep -q IMAGEBYTES "$tmp/out" && ok || bad "a text plot's output did not pass through"
# an unwritable --plot=FILE is refused before gnuplot runs
cat >"$tmp/spy-gnuplot" <<EOF
#!/bin/sh
touch "$tmp/gnuplot-ran"
cat >/dev/null
EOF
chmod +x "$tmp/spy-gnuplot"
for prog in "$GRAD" "$MINIMIZE"; do
  case $prog in *grad) set -- 'x^2' --range x=0:1 ;; *) set -- 'x^2' --from x=1 ;; esac
  GNUPLOT="$tmp/spy-gnuplot" "$prog" "$@" --plot="$tmp/no/such/dir/f.png" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ $rc = 3 ] && grep -q "cannot write '$tmp/no/such/dir/f.png': No such file or directory" "$tmp/err" &&
    [ ! -e "$tmp/gnuplot-ran" ] && [ ! -s "$tmp/out" ]
  then ok; else bad "unwritable plot file ($prog): rc $rc: $(cat "$tmp/err")"; fi
done

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

# scales: tan(x) and its derivative on the left and right axes; x^8 and four derivatives in
# three stacked panels; the loss of a run across decades on a log scale; a fit whose key
# lists the parameters; each renders
check_png tan 'tan(x)' --range x=-1.5:1.5
check_png panels 'x^8' --range x=-2:2 --order 4
PROG=minimize
check_png mlosslog '(x-1)^2+(y-2)^2+z^2' --from x=5,y=7,z=1 --method gd --lr 0.3 --steps 40
check_png mfiterr 'y = a*exp(-b*x) + c' --data "$srcdir_cli/minimize-sigma.tsv" --method lm
PROG=
# the surface is viridis: pixels of its darkest and brightest colours, none of a rainbow's
# red (ImageMagick's convert, when installed, gives the pixels as a PPM: an 800x600 one has
# a 15-byte header)
if command -v convert >/dev/null 2>&1; then
  "$GRAD" 'sin(x)*cos(y)' --range x=-3:3,y=-3:3 --points 30 --plot="$tmp/vir.png" 2>"$tmp/err"
  convert "$tmp/vir.png" ppm:- 2>>"$tmp/err" | tail -c +16 | od -An -tu1 -v -w3 |
    awk 'function near(r, g, b, R, G, B) { return (r-R)^2 + (g-G)^2 + (b-B)^2 < 300 }
         near($1, $2, $3, 68, 1, 84) { dark++ }
         near($1, $2, $3, 253, 231, 37) { light++ }
         $1 > 200 && $2 < 60 && $3 < 60 { red++ }
         END { print dark + 0, light + 0, red + 0 }' >"$tmp/pix"
  read -r dark light red <"$tmp/pix"
  if [ "${dark:-0}" -gt 20 ] && [ "${light:-0}" -gt 20 ] && [ "${red:-1}" = 0 ]; then ok
  else bad "surface palette: dark $dark, light $light, red $red pixels: $(cat "$tmp/err")"; fi
fi
# --gnuplot without FILE: no terminal named, so gnuplot's own (a window); the same script
# renders to a file when a terminal is set before it, and ends without one (no display)
"$GRAD" 'x^2+3x+2' --range x=-6.5:3.5 --gnuplot >"$tmp/win.gp" 2>"$tmp/err"
if ! grep -q 'set terminal' "$tmp/win.gp" &&
  (cd "$tmp" && "$GNUPLOT" -e "set terminal pngcairo size 800,600; set output 'win.png'" win.gp) 2>>"$tmp/err" &&
  [ "$(png_size "$tmp/win.png")" = "800 600" ] &&
  (cd "$tmp" && DISPLAY= timeout 20 "$GNUPLOT" win.gp) >/dev/null 2>&1 </dev/null
then ok; else bad "--gnuplot window script: $(cat "$tmp/err")"; fi
# a text plot of minimize (its run, then the plot on stdout)
COLUMNS=80 LINES=24 "$MINIMIZE" 'x^2+y^2' --from x=1,y=2 --method gd --lr 0.1 --steps 20 --plot >"$tmp/dumb" 2>"$tmp/err"
grep -q 'path' "$tmp/dumb" && grep -q '^x = ' "$tmp/dumb" && ok || bad "minimize text plot: $(cat "$tmp/err")"
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

finish plot
