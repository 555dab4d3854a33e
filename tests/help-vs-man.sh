#!/bin/sh
# Every long option that `grad --help` lists must be documented in man/grad.1 (written
# there as \-\-name), so that help and manual cannot drift apart.
LC_ALL=C
export LC_ALL
: "${srcdir:=.}"
GRAD=${GRAD:-src/grad}
man="$srcdir/man/grad.1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$GRAD" --help >"$tmp/help" || { echo "FAIL: grad --help exited non-zero"; exit 1; }
grep -o -- '--[a-z][a-z0-9-]*' "$tmp/help" | sort -u >"$tmp/h"
sed 's/\\-/-/g' "$man" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$tmp/m"
missing=$(comm -23 "$tmp/h" "$tmp/m")
n=$(wc -l <"$tmp/h")
if [ -n "$missing" ]; then
  echo "FAIL: options in grad --help but not in man/grad.1:"
  echo "$missing"
  echo "help-vs-man: 0 passed, 1 failed"
  exit 1
fi
[ "$n" -ge 5 ] || { echo "FAIL: found only $n options in grad --help"; exit 1; }
echo "help-vs-man: 1 passed, 0 failed ($n options checked)"
