#!/bin/sh
# grad's modes off the happy path, each checked against an independent route:
#  - a NaN or infinite result exits 1 in every mode, a finite one 0 (one rule);
#  - a 5000-term formula prints whole and reads back to reverse mode's number;
#  - --order 3 with --wrt y,x,x equals a central difference of --hessian, in any order;
#  - --symbolic of a vector expression gives the Jacobian the plain mode gives;
#  - --wrt e makes e a variable (the formula then agrees with reverse mode).
. "$(dirname "$0")/testlib.sh"

# close A B TOL: |A - B| <= TOL * max(1, |B|)
close() {
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
    if (m < 1) m = 1; exit !(a == a + 0 && b == b + 0 && d <= t * m) }'
}

# veq "A1 A2 ..." "B1 B2 ...": as many numbers, each pair within 1e-12 relative
veq() {
  awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); m = split(b, y, " "); if (n != m || n == 0) exit 1
    for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; s = y[i] < 0 ? -y[i] : y[i]
      if (s < 1) s = 1; if (d > 1e-12 * s) exit 1 } }'
}

# --- the exit status rule: sqrt(x) is NaN at -2.5 and finite at 2.5, in every mode ---
for mode in "" "--format json" "--format tsv" "--no-grad" "--hessian" "--order 2" "--graph" \
  "--dot" "--symbolic" "--symbolic --format json" "--check" "--check --format json" \
  "--jvp x=1" "--vjp 1" "--mode forward"; do
  for x in -2.5 2.5; do
    want=0
    [ "$x" = -2.5 ] && want=1
    expr='sqrt(x)'
    case "$mode" in --jvp*|--vjp*|--mode*) expr='sqrt(x) + y'; mode="$mode --wrt x" ;; esac
    # shellcheck disable=SC2086
    "$GRAD" "$expr" --at "x=$x,y=1" $mode >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc = $want ]; then ok; else bad "grad '$expr' --at x=$x $mode: exit $rc, want $want"; fi
  done
done
for r in "x=-1:1:3 1" "x=1:2:3 0"; do
  set -- $r
  "$GRAD" 'sqrt(x)' --range "$1" >/dev/null 2>&1
  rc=$?
  if [ $rc = "$2" ]; then ok; else bad "--range $1: exit $rc, want $2"; fi
done

# --- a 5000-term derivative prints whole and reads back ---
i=1
: >"$tmp/terms"
while [ $i -le 5000 ]; do echo "sin($i*x)" >>"$tmp/terms"; i=$((i+1)); done
paste -sd+ "$tmp/terms" >"$tmp/f"
"$GRAD" - --symbolic <"$tmp/f" >"$tmp/sym" 2>"$tmp/err" || bad "5000 terms: --symbolic: $(cat "$tmp/err")"
if grep -q '\.\.\.' "$tmp/sym"; then bad "5000 terms: the formula has '...'"; else ok; fi
sed -n 's|^d/dx = ||p' "$tmp/sym" >"$tmp/df"
nt=$(tr '+' '\n' <"$tmp/df" | grep -c cos)
if [ "$nt" = 5000 ]; then ok; else bad "5000 terms: the formula has $nt cosines"; fi
v1=$("$GRAD" - --at x=0.3 --no-grad <"$tmp/df" 2>/dev/null | sed -n 's/^f = //p')
v2=$("$GRAD" - --at x=0.3 <"$tmp/f" 2>/dev/null | sed -n 's|^df/dx = ||p')
if close "$v1" "$v2" 1e-9; then ok; else bad "5000 terms: the printed formula gives '$v1', reverse mode '$v2'"; fi
# a difference chain too: a - b - c ... must keep its meaning
sed 's/+/-/g' "$tmp/f" >"$tmp/g"
"$GRAD" - --symbolic <"$tmp/g" | sed -n 's|^d/dx = ||p' >"$tmp/dg"
v1=$("$GRAD" - --at x=0.3 --no-grad <"$tmp/dg" 2>/dev/null | sed -n 's/^f = //p')
v2=$("$GRAD" - --at x=0.3 <"$tmp/g" 2>/dev/null | sed -n 's|^df/dx = ||p')
if close "$v1" "$v2" 1e-9; then ok; else bad "5000-term difference: formula '$v1', reverse '$v2'"; fi

# --- a mixed third partial against a central difference of the Hessian ---
third() { # EXPR X Y: d3f/dy dx dx by --order 3, every ordering of the names, and by the Hessian
  for w in y,x,x x,y,x x,x,y; do
    "$GRAD" "$1" --order 3 --wrt $w --at "x=$2,y=$3" --format tsv >"$tmp/o" 2>"$tmp/err"
    rc=$?
    d=$(awk '!/^#/ {print $2}' "$tmp/o")
    [ $rc = 0 ] && [ ! -s "$tmp/err" ] || { bad "$1 --order 3 --wrt $w: exit $rc: $(cat "$tmp/err")"; continue; }
    h=1e-4
    yp=$(awk -v y="$3" -v h=$h 'BEGIN { printf "%.17g", y + h }')
    ym=$(awk -v y="$3" -v h=$h 'BEGIN { printf "%.17g", y - h }')
    hp=$("$GRAD" "$1" --hessian --wrt x --at "x=$2,y=$yp" --format tsv | awk '!/^#/ {print $1}')
    hm=$("$GRAD" "$1" --hessian --wrt x --at "x=$2,y=$ym" --format tsv | awk '!/^#/ {print $1}')
    fd=$(awk -v a="$hp" -v b="$hm" -v h=$h 'BEGIN { printf "%.17g", (a - b) / (2 * h) }')
    if close "$d" "$fd" 1e-6; then ok; else bad "$1 --wrt $w at x=$2,y=$3: --order 3 gives $d, the Hessian's central difference $fd"; fi
  done
}
third 'x*y*y*sin(x*y)' 0.7 1.3
third 'exp(x*y) / (1 + x^2 + y)' -0.4 0.9
third 'log(1 + x^2*y^3) + atan(x - y)' 1.1 -0.6

# --- vector expressions: --symbolic's Jacobian equals the plain mode's ---
for e in 'x*[1,2,3]' 'sin(x*[1,2,3])*y' 'x*[1,2,3] + y^2' 'exp([0.5,1]*x*y)'; do
  "$GRAD" "$e" --symbolic --at x=0.6,y=-1.7 >"$tmp/s" 2>"$tmp/err"
  rc=$?
  [ $rc = 0 ] && [ ! -s "$tmp/err" ] && ok || bad "$e --symbolic: exit $rc: $(cat "$tmp/err")"
  "$GRAD" "$e" --at x=0.6,y=-1.7 >"$tmp/p" 2>/dev/null
  for v in x y; do
    grep -q "^df\[0\]/d$v" "$tmp/p" || continue
    col=$(sed -n "s|^df\[[0-9]*\]/d$v = ||p" "$tmp/p" | paste -sd' ')
    sym=$(sed -n "s|^df/d$v = \[\(.*\)\]|\1|p" "$tmp/s" | tr -d ',')
    if [ -n "$col" ] && veq "$col" "$sym"; then ok; else bad "$e: d/d$v: --symbolic [$sym], Jacobian [$col]"; fi
  done
  # the printed vector formula evaluates to the same column
  f=$(sed -n 's|^d/dx = ||p' "$tmp/s")
  fv=$("$GRAD" "$f" --at x=0.6,y=-1.7 --no-grad 2>/dev/null | sed -n 's/^f = //p' | tr -d '[],')
  sym=$(sed -n 's|^df/dx = \[\(.*\)\]|\1|p' "$tmp/s" | tr -d ',')
  if [ -n "$fv" ] && veq "$fv" "$sym"; then ok; else bad "$e: formula $f gives [$fv], Jacobian [$sym]"; fi
done

# --- e named in --wrt is a variable: the tutorial's five-variable function ---
F='a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2)'
"$GRAD" "$F" --symbolic --wrt e --at a=1,b=2,c=3,d=0.5,e=1.5 >"$tmp/e" 2>"$tmp/err"
rc=$?
if [ $rc = 0 ] && [ ! -s "$tmp/err" ]; then ok; else bad "--wrt e: exit $rc: $(cat "$tmp/err")"; fi
f=$(sed -n 's|^d/de = ||p' "$tmp/e")
v1=$("$GRAD" "$f" --at a=1,b=2,c=3,d=0.5,e=1.5 --no-grad 2>/dev/null | sed -n 's/^f = //p')
v2=$("$GRAD" "$F" --at a=1,b=2,c=3,d=0.5,e=1.5 --wrt e 2>/dev/null | sed -n 's|^df/de = ||p')
if close "$v1" "$v2" 1e-12; then ok; else bad "--wrt e: the formula '$f' gives '$v1', reverse mode '$v2'"; fi
"$GRAD" "$F" --symbolic --wrt e >/dev/null 2>"$tmp/err" && ok || bad "--wrt e without --at: $(cat "$tmp/err")"

# --- LaTeX of every operator and function of src/lib/ops.def is well formed ---
# (no pdflatex here: braces and \left/\right balance, no character LaTeX treats specially
# in math mode (& | ! # $ %), no ==, every _ opens a braced subscript)
E=$(awk -F, '/^OP\(/ && $4 ~ /GR_K_MATH/ { gsub(/[ "]/, "", $2); n = $3 + 0; k++
    if ($5 + 0 == 0) { if (n == 1) printf "y%d*%s(x)\n", k, $2; else printf "y%d*%s(x, z)\n", k, $2 }
    else if (n == 2) printf "y%d*(x %s z)\n", k, $2; else printf "y%d*(%sx)\n", k, $2 }' \
    "${srcdir:-.}/src/lib/ops.def" | paste -sd+)
"$GRAD" "$E + alpha_1*rate_of_x*e2" --symbolic --format latex >"$tmp/latex" 2>"$tmp/err" ||
  bad "--format latex of every op: $(cat "$tmp/err")"
n=$(wc -l <"$tmp/latex")
if [ "$n" -ge 50 ]; then ok; else bad "--format latex printed $n formulas"; fi
if awk '{ o = gsub(/[{]/, "{"); c = gsub(/[}]/, "}"); l = gsub(/\\left/, "&"); r = gsub(/\\right/, "&")
          if (o != c || l != r) { print "unbalanced: " $0; bad = 1 } }
        { t = $0; gsub(/\\left\||\\right\|/, "", t)  # |x| as \left| x \right|
          if (t ~ /[&|!#$%]|==/) { print "special character: " $0; bad = 1 } }
        { t = $0; gsub(/\\_/, "", t); if (t ~ /_[^{]/) { print "bare _: " $0; bad = 1 } }
        END { exit bad }' "$tmp/latex" >"$tmp/why"; then ok; else bad "LaTeX: $(head -c 300 "$tmp/why")"; fi

finish symbolic-modes
