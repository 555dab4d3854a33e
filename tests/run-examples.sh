#!/bin/sh
# Runs every examples/N-*.sh that has an expected output examples/N-*.out, in a scratch
# directory with the built grad and minimize first on PATH, and compares stdout.
LC_ALL=C
export LC_ALL
: "${srcdir:=.}"
GRAD=${GRAD:-src/grad}
MINIMIZE=${MINIMIZE:-src/minimize}
abs() { case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }
ex=$(abs "$srcdir/examples")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/run"
ln -s "$(abs "$GRAD")" "$tmp/bin/grad"
ln -s "$(abs "$MINIMIZE")" "$tmp/bin/minimize"
PATH="$tmp/bin:$PATH"
export PATH
pass=0
fail=0
for script in "$ex"/[0-9]*-*.sh; do
  [ -e "$script" ] || continue
  name=$(basename "$script" .sh)
  [ -f "$ex/$name.out" ] || continue
  rm -rf "$tmp/run"/*
  (cd "$tmp/run" && sh "$script" >"$tmp/out" 2>"$tmp/err")
  rc=$?
  if [ $rc != 0 ]; then
    echo "FAIL: $name: exit status $rc"; cat "$tmp/err"; fail=$((fail+1)); continue
  fi
  if diff -u "$ex/$name.out" "$tmp/out" >"$tmp/diff"; then pass=$((pass+1))
  else echo "FAIL: $name: output differs"; cat "$tmp/diff"; fail=$((fail+1)); fi
done
echo "examples: $pass passed, $fail failed"
[ $fail = 0 ]
