#!/bin/sh
# Golden CLI tests: tests/cli/NAME.args holds argv (one argument per line, no shell
# quoting; the first line names the program: grad or minimize), optional NAME.in is stdin,
# NAME.out the expected stdout, NAME.err the expected stderr (when present), NAME.rc the
# exit status (default 0). UPDATE=1 rewrites the expectations. Where the exact stdout would
# pin text that legitimately changes (--help, --version), NAME.grep replaces NAME.out: every
# line of it is an extended regular expression that some line of stdout must match.
# Cases named *-nlopt-* need minimize built with NLopt and are skipped without it.
LC_ALL=C
export LC_ALL
: "${srcdir:=.}"
# absolute paths: each test runs in the tests/cli folder (for data files it names)
dir=$(cd "$srcdir/tests/cli" && pwd)
GRAD=${GRAD:-$PWD/src/grad}
MINIMIZE=${MINIMIZE:-$PWD/src/minimize}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
skip=0
nlopt=yes
"$MINIMIZE" 'x^2' --bounds x=0:1 2>&1 | grep -q 'built without NLopt' && nlopt=no
for args in "$dir"/*.args; do
  [ -e "$args" ] || continue
  name=$(basename "$args" .args)
  case $name in *-nlopt-*) if [ $nlopt = no ]; then skip=$((skip+1)); continue; fi ;; esac
  base="$dir/$name"
  prog=$(head -n 1 "$args")
  case "$prog" in
    grad) bin=$GRAD ;;
    minimize) bin=$MINIMIZE ;;
    *) echo "FAIL: $name: first line of $args must be grad or minimize"; fail=$((fail+1)); continue ;;
  esac
  # build "$@" from the remaining lines (none: no arguments at all)
  set --
  tail -n +2 "$args" >"$tmp/argv"
  while IFS= read -r line || [ -n "$line" ]; do
    set -- "$@" "$line"
  done <"$tmp/argv"
  if [ -f "$base.in" ]; then
    (cd "$dir" && "$bin" "$@") <"$base.in" >"$tmp/out" 2>"$tmp/err"
  else
    (cd "$dir" && "$bin" "$@" </dev/null >"$tmp/out" 2>"$tmp/err")
  fi
  rc=$?
  want_rc=0
  [ -f "$base.rc" ] && want_rc=$(cat "$base.rc")
  if [ -n "$UPDATE" ]; then
    [ -f "$base.grep" ] || cp "$tmp/out" "$base.out"
    if [ -s "$tmp/err" ]; then cp "$tmp/err" "$base.err"; else rm -f "$base.err"; fi
    if [ "$rc" != 0 ]; then echo "$rc" >"$base.rc"; else rm -f "$base.rc"; fi
    continue
  fi
  ok=1
  if [ -f "$base.grep" ]; then
    while IFS= read -r pat || [ -n "$pat" ]; do
      if ! grep -Eq -e "$pat" "$tmp/out"; then
        echo "FAIL: $name: no line of stdout matches '$pat'"; ok=0
      fi
    done <"$base.grep"
  elif ! diff -u "$base.out" "$tmp/out" >"$tmp/diff" 2>&1; then
    echo "FAIL: $name: stdout differs"; cat "$tmp/diff"; ok=0
  fi
  if [ -f "$base.err" ]; then
    if ! diff -u "$base.err" "$tmp/err" >"$tmp/diff" 2>&1; then
      echo "FAIL: $name: stderr differs"; cat "$tmp/diff"; ok=0
    fi
  elif [ -s "$tmp/err" ]; then
    echo "FAIL: $name: unexpected stderr:"; cat "$tmp/err"; ok=0
  fi
  if [ "$rc" != "$want_rc" ]; then
    echo "FAIL: $name: exit status $rc, expected $want_rc"; ok=0
  fi
  if [ $ok = 1 ]; then pass=$((pass+1)); else fail=$((fail+1)); fi
done
echo "cli: $pass passed, $fail failed"
[ $skip = 0 ] || echo "cli: $skip skipped (minimize built without NLopt)"
[ $fail = 0 ]
