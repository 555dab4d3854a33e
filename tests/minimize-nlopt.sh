#!/bin/sh
# minimize with --bounds, --subject-to and --restarts, checked against what is known
# independently of the optimizer: optima worked out by hand, the Lagrange condition (grad f
# parallel to grad c) with both gradients computed by grad at the reported point, the other
# methods, and Ctrl-C during a long search. Skipped (77) when minimize was built without
# NLopt, after checking that it then says so.
. "$(dirname "$0")/testlib.sh"

"$MINIMIZE" 'x^2' --bounds x=1:2 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc = 2 ] && grep -q 'minimize was built without NLopt' "$tmp/err"; then
  echo "minimize-nlopt: minimize was built without NLopt: skipped"
  exit 77
fi
[ $rc = 0 ] || { echo "FAIL: minimize 'x^2' --bounds x=1:2 exited $rc"; cat "$tmp/err"; exit 1; }

# a number from a one-line JSON report: jnum FILE KEY (the first "KEY":number)
jnum() { grep -o "\"$2\":[^,}]*" "$1" | head -n 1 | sed 's/.*://'; }
# |a - b| <= tol
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= t) }'; }

# run minimize with JSON output; check x and y against the expected point
expect_xy() {
  want_x=$1 want_y=$2 tol=$3
  shift 3
  if ! "$MINIMIZE" "$@" --format json >"$tmp/j" 2>"$tmp/e"; then
    bad "minimize $* failed:"; cat "$tmp/e"; return
  fi
  x=$(jnum "$tmp/j" x) y=$(jnum "$tmp/j" y)
  # the first-order conditions, from the multipliers minimize reports, hold there too
  if near "$x" "$want_x" "$tol" && near "$y" "$want_y" "$tol" &&
     grep -q '"converged":true' "$tmp/j" &&
     { ! grep -q '"kkt"' "$tmp/j" || grep -q '"met":true' "$tmp/j"; }; then
    pass=$((pass + 1))
  else
    bad "minimize $*: ($x, $y), want ($want_x, $want_y) within $tol, converged, KKT met:"; cat "$tmp/j"
  fi
}

# bounded separable bowls: the optimum is the free one clamped to the box, by every local
# method (cobyla and bobyqa use no derivatives: a looser tolerance)
for m in lbfgs slsqp mma ccsaq cobyla bobyqa; do
  tol=1e-7
  case $m in cobyla|bobyqa) tol=1e-5 ;; esac
  expect_xy 2 0 $tol '(x-3)^2+(y+1)^2' --bounds x=0:2,y=0:5 --method $m
  expect_xy -0.5 0.3 $tol '(x+1)^2 + 2(y-0.3)^2 + (x+1)^4' --bounds x=-0.5:1,y=-1:1 --method $m
  expect_xy 1.5 -2 $tol 'exp(x) + (y+5)^2' --bounds 'x=1.5:,y=-2:inf' --method $m
done
# the start is moved inside the bounds, with a note
"$MINIMIZE" 'x^2' --bounds x=1:2 --from x=5 >"$tmp/o" 2>"$tmp/e"
if grep -q 'note: the start x=5 is outside --bounds x=1:2; starting from x=2' "$tmp/e" &&
   grep -qx 'x = 1' "$tmp/o"; then pass=$((pass + 1)); else bad "start outside the bounds"; cat "$tmp/o" "$tmp/e"; fi

# the examples of minimize(1), by every method that takes the constraints
for m in slsqp cobyla; do
  expect_xy 0.5 0.5 1e-6 'x^2+y^2' --subject-to 'x+y = 1' --method $m
done
expect_xy 2 2 1e-7 '-x*y' --subject-to 'x+y <= 4' --bounds x=0:10,y=0:10
# (from the middle of the box mma steps onto the saddle of -x*y at the origin)
for m in slsqp mma ccsaq cobyla; do
  expect_xy 2 2 1e-6 '-x*y' --subject-to 'x+y <= 4' --bounds x=0:10,y=0:10 --method $m \
    --from x=3,y=0.5
done
# with no --method: slsqp for constraints, lbfgs for bounds, named in the report
"$MINIMIZE" 'x^2+y^2' --subject-to 'x+y = 1' | head -n 1 | grep -q '^slsqp: ' &&
  "$MINIMIZE" 'x^2+y^2' --bounds x=1: | head -n 1 | grep -q '^lbfgs: ' &&
  pass=$((pass + 1)) || bad "default methods for constraints and bounds"
# '=' is the pair '<=' and '>='; '>=' is '<=' with the sides swapped
expect_xy 2.8 1.2 1e-7 'x^2 + 3y^2 - x*y' --subject-to 'x + y <= 4' --subject-to 'x + y >= 4'
expect_xy 2.8 1.2 1e-7 'x^2 + 3y^2 - x*y' --subject-to '4 <= x + y'
# a constraint on a variable that the objective does not use
expect_xy 0 3 1e-7 'x^2' --subject-to 'y = 3'

# Lagrange: at the optimum on x^2 + y = 3, grad f is parallel to grad c (both by grad)
f='x^2 + 2y^2 + x*y + x' c='x^2 + y'
if "$MINIMIZE" "$f" --subject-to "$c = 3" --format json >"$tmp/j"; then
  x=$(jnum "$tmp/j" x) y=$(jnum "$tmp/j" y)
  "$GRAD" "$f" --at "x=$x,y=$y" --format json >"$tmp/gf"
  "$GRAD" "$c" --at "x=$x,y=$y" --format json >"$tmp/gc"
  fx=$(sed 's/.*"gradient"://' "$tmp/gf" | grep -o '"x":[^,}]*' | sed 's/.*://')
  fy=$(sed 's/.*"gradient"://' "$tmp/gf" | grep -o '"y":[^,}]*' | sed 's/.*://')
  cx=$(sed 's/.*"gradient"://' "$tmp/gc" | grep -o '"x":[^,}]*' | sed 's/.*://')
  cy=$(sed 's/.*"gradient"://' "$tmp/gc" | grep -o '"y":[^,}]*' | sed 's/.*://')
  cv=$(jnum "$tmp/j" residual)
  if awk -v fx="$fx" -v fy="$fy" -v cx="$cx" -v cy="$cy" -v r="$cv" 'BEGIN {
       cross = fx * cy - fy * cx; if (cross < 0) cross = -cross; if (r < 0) r = -r
       exit !(fx != "" && cx != "" && cross <= 1e-7 * sqrt((fx^2 + fy^2) * (cx^2 + cy^2)) && r <= 1e-9) }'
  then pass=$((pass + 1))
  else bad "Lagrange condition at ($x, $y): grad f ($fx, $fy), grad c ($cx, $cy), c = $cv"; fi
else bad "minimize $f subject to $c = 3 failed"; fi

# Rastrigin on [-5.12, 5.12]^2 (minimum 0 at the origin, many local minima): global methods
# on an off-centre box (DIRECT's first point, the centre, is not the optimum), and lbfgs
# with restarts from a start in another basin
r='20 + x^2 - 10cos(2pi x) + y^2 - 10cos(2pi y)'
# (global methods run to --steps: "converged" is false, so f is checked instead)
for m in direct crs2 mlsl; do
  "$MINIMIZE" "$r" --bounds x=-5.12:4,y=-5.12:3.3 --from x=3.3,y=-2.7 --method $m --seed 1 \
    --format json >"$tmp/j"
  if awk -v f="$(jnum "$tmp/j" value)" 'BEGIN { exit !(f != "" && f < 1e-8) }'; then
    pass=$((pass + 1)); else bad "$m on Rastrigin:"; cat "$tmp/j"; fi
done
"$MINIMIZE" "$r" --bounds x=-5.12:5.12,y=-5.12:5.12 --from x=3.3,y=-2.7 --restarts 200 --seed 1 \
  --format json >"$tmp/j"
"$MINIMIZE" "$r" --bounds x=-5.12:5.12,y=-5.12:5.12 --from x=3.3,y=-2.7 --format json >"$tmp/j0"
if awk -v f="$(jnum "$tmp/j" value)" -v f0="$(jnum "$tmp/j0" value)" \
     'BEGIN { exit !(f != "" && f < 1e-8 && f0 > 1) }' &&
   grep -q '"restarts":{"runs":201,"reached_best":[1-9]' "$tmp/j"; then
  pass=$((pass + 1)); else bad "restarts on Rastrigin:"; cat "$tmp/j" "$tmp/j0"; fi
# the command of the issue: from the middle of the box the first run starts at the optimum
"$MINIMIZE" "$r" --bounds x=-5.12:5.12,y=-5.12:5.12 --restarts 50 --seed 1 --format json >"$tmp/j50"
if awk -v f="$(jnum "$tmp/j50" value)" 'BEGIN { exit !(f != "" && f < 1e-8) }' &&
   grep -q '"restarts":{"runs":51,' "$tmp/j50"; then pass=$((pass + 1))
else bad "restarts 50 on Rastrigin:"; cat "$tmp/j50"; fi
# restarts of a stochastic method draw new random numbers in every run (with the same
# numbers the 29 random points of the initial population repeat in every run: 70 repeats)
"$MINIMIZE" "$r" --bounds x=-5.12:5.12,y=-5.12:5.12 --method crs2 --steps 300 --restarts 3 \
  --trace --format tsv | grep -v '^#' | awk '{ print $2, $3 }' >"$tmp/t"
if [ "$(sort "$tmp/t" | uniq -d | wc -l)" -lt 40 ] && [ "$(wc -l <"$tmp/t")" -gt 1000 ]; then
  pass=$((pass + 1)); else bad "crs2 restarts repeat the same points"; fi
# the same seed gives the same runs; another seed other random points
"$MINIMIZE" "$r" --bounds x=-5.12:5.12,y=-5.12:5.12 --from x=3.3,y=-2.7 --restarts 200 --seed 1 \
  --format json >"$tmp/j2"
"$MINIMIZE" "$r" --bounds x=-5.12:5.12,y=-5.12:5.12 --from x=3.3,y=-2.7 --restarts 200 --seed 2 \
  --format json >"$tmp/j3"
if cmp -s "$tmp/j" "$tmp/j2" && ! cmp -s "$tmp/j" "$tmp/j3"; then pass=$((pass + 1))
else bad "--seed does not make --restarts reproducible"; fi

# an infeasible problem: exit 1, the violated constraint and by how much
"$MINIMIZE" 'x^2+y^2' --subject-to 'x+y >= 3' --subject-to 'x <= 1' --bounds y=:1 >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ $rc = 1 ] && grep -q "infeasible: 'x+y >= 3' is violated by 1 " "$tmp/e" &&
   grep -q 'VIOLATED by 1' "$tmp/o"; then pass=$((pass + 1))
else bad "infeasible problem: exit $rc"; cat "$tmp/o" "$tmp/e"; fi

# Ctrl-C during a long search: exit 130, the best point so far is reported
if command -v timeout >/dev/null 2>&1; then
  timeout --preserve-status -s INT 1 "$MINIMIZE" "$r" --bounds x=-5.12:5.12,y=-5.12:5.12 \
    --method isres --steps 2000000000 >"$tmp/o" 2>"$tmp/e"
  rc=$?
  if [ $rc = 130 ] && grep -q 'stopped: interrupted' "$tmp/o" && grep -q '^f = [0-9]' "$tmp/o" &&
     grep -q 'interrupted at iteration' "$tmp/e"; then pass=$((pass + 1))
  else bad "SIGINT: exit $rc"; cat "$tmp/o" "$tmp/e"; fi
fi

finish minimize-nlopt
