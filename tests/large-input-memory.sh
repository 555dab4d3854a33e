#!/bin/sh
# The memory a large input costs: peak resident size of a whole `grad - --at x=1` run (parse,
# tape, value, gradient and its forward-mode check), less that of a one-term run, divided by
# the number of terms, for a 10^5-term sum (four nodes a term) and a 10^5-step chain of
# named intermediates. Memory is deterministic enough to bound (time is not: bench/parse.sh
# measures it). The bounds hold with a margin of about 7% over 297 and 248 bytes a term
# (32-byte nodes; no offset and length arrays on a tape of blocks of one; the dropped
# adjoints reused as the check's tangents; no id -> slot array while compiling); they were
# 375 and 310 (over 349 and 289) with 40-byte nodes in chunks found by id, per-slot value
# pointers only for a tape with a bound column, the adjoints freed before the check's
# tangents and the definitions freed after parsing; 730 and 650 with 80-byte nodes and a
# hash index kept after parsing, 640 and 580 with 64-byte nodes and the definitions' hash
# index kept after parsing, 575 and 555 with 40-byte nodes, 545 and 500 (over 510 and 468)
# with 32-bit tape offsets and lengths and operation nodes indexed only when a lookup needs
# them.
LC_ALL=C
export LC_ALL
GRAD=${GRAD:-src/grad}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "SKIP: needs GNU time as $TIME"; exit 77; }
if nm "$GRAD" 2>/dev/null | grep -q __asan_init; then echo "SKIP: sanitizer build"; exit 77; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
N=100000
fail=0
rss() { # input file -> max RSS in KiB of grad - --at x=1 (exit status 0 or 1 expected)
  "$TIME" -f '%M' -o "$tmp/time" "$GRAD" - --at x=1 <"$1" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ $rc -gt 1 ]; then
    echo "FAIL: grad exited $rc on $(basename "$1"): $(head -c 300 "$tmp/err")" >&2
    echo 0
    return
  fi
  tail -n 1 "$tmp/time"
}
echo 'x^1/1' >"$tmp/one"
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++) printf "%sx^%d/%d", (i > 1 ? "+" : ""), i, i }' >"$tmp/sum"
awk -v n=$N 'BEGIN { printf "a1=x+1"; for (i = 2; i <= n; i++) printf "; a%d=a%d*a%d+1", i, i - 1, i - 1
  printf "; a%d", n }' >"$tmp/let"
base=$(rss "$tmp/one")
check() { # name file bound
  r=$(rss "$2")
  per=$(( (r - base) * 1024 / N ))
  if [ "$r" -gt 0 ] && [ $per -le "$3" ]; then
    echo "PASS: $1: $per bytes a term (bound $3)"
  else
    echo "FAIL: $1: $per bytes a term (max RSS $r KiB, one term $base KiB), bound $3"
    fail=1
  fi
}
check sum "$tmp/sum" 318
check let "$tmp/let" 265
exit $fail
