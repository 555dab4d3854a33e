#!/bin/sh
# Bad input off the happy path must fail cleanly: a message on stderr that names what is
# wrong, the documented exit status, never a crash (status >= 128, or a sanitizer report).
#  - every comma list option of both programs, with an empty item in each position
#    (",V", "V,", "V,,V", "V, ,V" and the empty string): exit 2, the message names the option
LC_ALL=C
export LC_ALL
GRAD=${GRAD:-src/grad}
MINIMIZE=${MINIMIZE:-src/minimize}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# expect STATUS PATTERN CMD...: CMD exits STATUS and its stderr matches the extended
# regular expression PATTERN (and holds no sanitizer report)
expect() {
  want=$1
  pat=$2
  shift 2
  "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" != "$want" ] || ! grep -Eq -e "$pat" "$tmp/err" ||
     grep -q 'Sanitizer\|runtime error' "$tmp/err"; then
    echo "FAIL: $*: exited $rc (expected $want, stderr matching '$pat'), stderr:"
    cat "$tmp/err"
    fail=$((fail+1))
  else
    pass=$((pass+1))
  fi
}

# lists PROG OPTION ITEM EXPR ARGS...: OPTION with an empty item in every position
lists() {
  prog=$1
  opt=$2
  v=$3
  shift 3
  for list in ",$v" "$v," "$v,,$v" "$v, ,$v" "$v,	" ""; do
    expect 2 "in $opt" "$prog" "$@" "$opt" "$list"
  done
}

lists "$GRAD" --at x=1 'x*y' --at y=2
lists "$GRAD" --wrt x 'x*y' --at x=1,y=2
lists "$GRAD" --vjp 1 'x*y' 'x+y' --at x=1,y=2
lists "$GRAD" --jvp x=1 'x*y' 'x+y' --at x=1,y=2
lists "$GRAD" --range x=0:1 'x*y' --at y=2
lists "$MINIMIZE" --from x=1 'x^2+y^2'
lists "$MINIMIZE" --fix y=1 'x^2+y^2'
lists "$MINIMIZE" --columns x 'y = a*x' --data /dev/null

echo "bad-input: $pass passed, $fail failed"
[ $fail = 0 ]
