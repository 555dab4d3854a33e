#!/bin/sh
# Every optimizer family under valgrind, when it is installed (skipped otherwise): no read
# of an uninitialised value (nelder-mead once compared GSL's fval before GSL set it), no
# invalid access, no definite leak.
: "${srcdir:=.}"
. "$(dirname "$0")/testlib.sh"
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind is not installed"; exit 77; }
# under a sanitizer build valgrind cannot run the program
if nm "$MINIMIZE" 2>/dev/null | grep -q __asan_init; then echo "SKIP: sanitizer build"; exit 77; fi
vg() {
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    "$MINIMIZE" "$@" >/dev/null 2>"$tmp/err" </dev/null
  if [ $? = 99 ]; then
    echo "FAIL: minimize $*:"; cat "$tmp/err"; fail=$((fail+1))
  else
    pass=$((pass+1))
  fi
}
f='10(x-1)^2 + 20(y-2)^2 + 30'
vg "$f" --from x=5,y=7 --method nelder-mead
vg "$f" --from x=5,y=7 --method bfgs
vg "$f" --from x=5,y=7 --method cg-pr
vg '(1-x)^2 + 100(y-x^2)^2' --from x=-1.2,y=1
vg "$f" --from x=5,y=7 --method adam --steps 20 --trace
vg 'A+B=9' 'C-D=1' 'A+C=8' 'B-D=2'
vg 'x^2+1=0'
vg 'y = A*exp(-k*x) + C' --data "$srcdir/tests/cli/minimize-sigma.tsv" --sigma s --via A,k,C \
  --from A=1,k=0.1 --format json
finish valgrind
