#!/bin/sh
# Runs every bench/*.sh other than this one (make bench).
here=$(dirname "$0")
st=0
for b in "$here"/*.sh; do
  [ "$(basename "$b")" = run.sh ] && continue
  echo "== $(basename "$b")"
  sh "$b" || st=1
done
exit $st
