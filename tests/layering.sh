#!/bin/sh
# The layering of the sources: the engine (src/lib) never uses the programs (src/cli), by
# #include or by symbol; and no two files depend on each other, directly or through others
# (a cycle), by the symbols their objects define and use (nm). tests/layering-cycles.txt lists
# the pairs that still do (to be broken); any other pair fails, and a listed pair that no
# longer depends both ways is reported so that the list only shrinks.
set -u
LC_ALL=C
export LC_ALL
fail=0
src=$SRCDIR/src
# 1. #include "X" in src/lib names no header of src/cli
for f in "$src"/lib/*.c "$src"/lib/*.h; do
  for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
    if [ -e "$src/cli/$h" ] && [ ! -e "$src/lib/$h" ]; then
      echo "FAIL: $(basename "$f") (src/lib) includes $h of src/cli"; fail=1
    fi
  done
done
# 2. symbols: object file -> the object files that define what it uses
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objs=$(find "$BUILDDIR/src" -name '*.o' | sort) # libtool's objects are in .libs
[ -n "$objs" ] || { echo "SKIP: no objects under $BUILDDIR/src"; exit 77; }
for o in $objs; do
  # name of the source file: libgradengine_la-tape.o -> lib/tape, grad-repl.o -> cli/repl
  n=$(basename "$o" .o | sed 's/^.*[-]//')
  d=$(basename "$(dirname "$o" | sed 's,/\.libs$,,')")
  nm "$o" | awk -v f="$d/$n" '$1 ~ /^[0-9a-f]+$/ && $2 ~ /^[TDBRC]$/ {print "D", f, $3} $1 == "U" {print "U", f, $2}'
done | sort -u >"$tmp/syms"
awk '$1 == "D" {def[$3] = $2} $1 == "U" {use[NR] = $2 " " $3}
     END {for (k in use) {split(use[k], a, " "); if ((a[2] in def) && def[a[2]] != a[1]) print a[1], def[a[2]]}}' \
  "$tmp/syms" | sort -u >"$tmp/edges"
if grep '^lib/[^ ]* cli/' "$tmp/edges"; then
  echo "FAIL: the engine uses the programs (file -> file above)"; fail=1
fi
# 3. cycles: the transitive closure of the edges, then pairs that reach each other
awk '{e[$1 " " $2] = 1; n[$1] = 1; n[$2] = 1}
     END {
       changed = 1
       while (changed) {
         changed = 0
         for (p in e) { split(p, a, " ")
           for (q in n) if (((a[2] " " q) in e) && !((a[1] " " q) in e)) { e[a[1] " " q] = 1; changed = 1 } }
       }
       for (p in e) { split(p, a, " "); if (a[1] < a[2] && ((a[2] " " a[1]) in e)) print a[1], a[2] }
     }' "$tmp/edges" | sort >"$tmp/cycles"
grep -v '^#' "$SRCDIR/tests/layering-cycles.txt" | sort >"$tmp/known"
comm -23 "$tmp/cycles" "$tmp/known" >"$tmp/new"
if [ -s "$tmp/new" ]; then
  echo "FAIL: files that depend on each other (directly or through others):"
  sed 's/^/  /' "$tmp/new"
  fail=1
fi
comm -13 "$tmp/cycles" "$tmp/known" | sed 's/^/note: no longer a cycle (remove it from tests\/layering-cycles.txt): /'
[ $fail = 0 ] && echo "PASS: src/lib does not use src/cli; $(wc -l <"$tmp/edges") file dependencies, no new cycle ($(wc -l <"$tmp/known") known)"
exit $fail
