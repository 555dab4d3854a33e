#!/bin/sh
# Error corpus: every line of tests/errors/*.txt is a bad input. grad-*.txt lines are
# expressions given to grad (with --at x=1,y=2); minimize-*.txt lines are whole argument
# lists for minimize, split on tabs. Each must exit with the status the file name gives
# (NAME.STATUS.txt, e.g. grad-parse.2.txt), print a diagnostic to stderr, and not crash.
LC_ALL=C
export LC_ALL
: "${srcdir:=.}"
GRAD=${GRAD:-src/grad}
MINIMIZE=${MINIMIZE:-src/minimize}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for f in "$srcdir"/tests/errors/*.txt; do
  [ -e "$f" ] || continue
  base=$(basename "$f" .txt)
  want=${base##*.}
  kind=${base%%-*}
  n=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n+1))
    case "$line" in ''|'#'*) continue ;; esac
    if [ "$kind" = grad ]; then
      "$GRAD" "$line" --at x=1,y=2 </dev/null >"$tmp/out" 2>"$tmp/err"
    else
      # shellcheck disable=SC2086
      (cd "$srcdir/tests/errors" && IFS='	' && set -f && "$MINIMIZE" $line </dev/null >"$tmp/out" 2>"$tmp/err")
    fi
    rc=$?
    if [ "$rc" != "$want" ] || [ ! -s "$tmp/err" ]; then
      echo "FAIL: $f:$n: '$line' exited $rc (expected $want), stderr:"
      cat "$tmp/err"
      fail=$((fail+1))
    else
      pass=$((pass+1))
    fi
  done <"$f"
done
# input/output errors (exit 3): output that cannot be written, input that cannot be read
io_case() {
  want=$1
  shift
  "$@" >/dev/null 2>"$tmp/err"
  rc=$?
  if [ "$rc" != "$want" ] || [ ! -s "$tmp/err" ]; then
    echo "FAIL: $*: exited $rc (expected $want), stderr:"
    cat "$tmp/err"
    fail=$((fail+1))
  else
    pass=$((pass+1))
  fi
}
if [ -w /dev/full ]; then
  io_case 3 sh -c '"$1" x --at x=1 >/dev/full' sh "$GRAD"
  io_case 3 sh -c '"$1" x --at x=1 --format json >/dev/full' sh "$GRAD"
fi
io_case 3 sh -c '"$1" - --at x=1 <"$2"' sh "$GRAD" "$tmp"
echo "errors: $pass passed, $fail failed"
[ $fail = 0 ]
