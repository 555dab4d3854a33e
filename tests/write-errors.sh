#!/bin/sh
# A write error on stdout is an error in every mode of both programs: a message on stderr
# naming it and exit status 3 (also after a warning that would exit 1, and for --help and
# --version). Output goes to /dev/full (skipped where there is none) or to a closed stdout.
. "$(dirname "$0")/testlib.sh"
: "${srcdir:=.}"
if [ ! -w /dev/full ]; then
  echo "write-errors: no /dev/full, skipped"
  exit 77
fi

# full CMD...: CMD >/dev/full exits 3 with one "writing output" message on stderr
full() {
  "$@" <"${stdin:-/dev/null}" >/dev/full 2>"$tmp/err"
  rc=$?
  stdin= # "stdin=FILE full ...": the input of one command
  n=$(grep -c 'error: writing output' "$tmp/err")
  if [ "$rc" != 3 ] || [ "$n" != 1 ] || grep -q 'Sanitizer\|runtime error' "$tmp/err"; then
    echo "FAIL: $* >/dev/full: exited $rc (expected 3 and one 'writing output' message), stderr:"
    cat "$tmp/err"
    fail=$((fail+1))
  else
    pass=$((pass+1))
  fi
}

full "$GRAD" --help
full "$GRAD" --version
full "$GRAD" 'x^2+3x+2' --at x=3.6
full "$GRAD" 'x^2+3x+2' --at x=3.6 --format tsv
full "$GRAD" 'x^2+3x+2' --at x=3.6 --format json
full "$GRAD" 'log(x)' --at x=-1
full "$GRAD" 'x^2*y' --symbolic
full "$GRAD" 'x^2*y' --symbolic --at x=1,y=2 --format json
full "$GRAD" 'x^2*y' --hessian --at x=1,y=2
full "$GRAD" 'sin(x)' --order 3 --at x=1
full "$GRAD" 'sin(x)' --check --at x=1
full "$GRAD" 'sin(x)' --symbolic --format latex
full "$GRAD" 'x*[1, 2]' --at x=1
full "$GRAD" 'x*y' 'x+y' --at x=1,y=2 --format json
full "$GRAD" 'sin(x)' --range x=0:1
full "$GRAD" 'sin(x)' --range x=0:1 --format json
full "$GRAD" 'sin(x)' --range x=0:1 --points 200000 --format tsv
full "$GRAD" 'sin(x)' --range x=0:1 --gnuplot
printf 'a = 2\ngrad x^2 at x=a\ngrad sin(x) at x=0:1\n' >"$tmp/script"
full "$GRAD" -f "$tmp/script"
stdin=$tmp/script full "$GRAD" -f -
stdin=$tmp/script full "$GRAD"
full "$MINIMIZE" --help
full "$MINIMIZE" --version
full "$MINIMIZE" 'x^2' --method gd --lr 0.1 --steps 3
full "$MINIMIZE" 'x^2' --method gd --lr 0.1 --steps 3 --trace --format tsv
full "$MINIMIZE" 'x^2' --method gd --lr 0.1 --steps 3 --format json
full "$MINIMIZE" '(x-1)^2+(y-2)^2' --method bfgs
full "$MINIMIZE" 'A+B=3' 'A-B=1' --method lm
full "$MINIMIZE" 'y = A*x^2 + B*x + C' --data "$srcdir/tests/cli/minimize-samples.tsv" --format json
full "$MINIMIZE" 'x^2' --method gd --lr 0.1 --steps 3 --gnuplot

# a closed stdout: an error when something was to be written, nothing more otherwise
"$GRAD" x --at x=1 >&- 2>"$tmp/err"
rc=$?
if [ $rc = 3 ] && grep -q 'writing output' "$tmp/err"; then pass=$((pass+1)); else
  echo "FAIL: grad >&-: exited $rc, stderr:"; cat "$tmp/err"; fail=$((fail+1)); fi
"$GRAD" x --at x=1 --wrt y >&- 2>"$tmp/err"
rc=$?
if [ $rc = 2 ] && ! grep -q 'writing output' "$tmp/err"; then pass=$((pass+1)); else
  echo "FAIL: grad --wrt y >&-: exited $rc (expected 2), stderr:"; cat "$tmp/err"; fail=$((fail+1)); fi

finish write-errors
