#!/bin/sh
# Reading a data file: minimize reading ROWS rows of two columns (and taking one Adam step,
# which costs little beside the reading) against numpy.loadtxt on the same file, CPU time
# (user+sys, best of 3) and peak memory (max RSS), with the machine's load. Run from a
# build folder (MINIMIZE, default src/minimize) with PYTHON3 having numpy.
LC_ALL=C
export LC_ALL
: "${MINIMIZE:=src/minimize}" "${PYTHON3:=python3}" "${ROWS:=10000000}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v n="$ROWS" 'BEGIN { print "x y"; for (i = 0; i < n; i++) { x = i / n
  printf "%.9g %.9g\n", x, 2 * x - 1 + (i % 7) * 0.01 } }' >"$tmp/d.tsv"
echo "rows: $ROWS ($(wc -c <"$tmp/d.tsv") bytes); load:$(uptime | sed 's/.*load average://')"
best() { # label command...: best CPU seconds of 3 and the max RSS of that run
  label=$1
  shift
  b=""
  for i in 1 2 3; do
    /usr/bin/time -f '%U %S %M' -o "$tmp/t" "$@" >/dev/null 2>&1
    t=$(awk '{ printf "%.3f %d", $1 + $2, $3 }' "$tmp/t")
    if [ -z "$b" ] || [ "$(echo "$t $b" | awk '{ print ($1 < $3) }')" = 1 ]; then b=$t; fi
  done
  echo "$b" >"$tmp/$label"
  echo "$b" | awk -v l="$label" '{ printf "%-28s %8.3f s CPU  %8.1f MB max RSS\n", l, $1, $2 / 1024 }'
}
best minimize "$MINIMIZE" 'y = a*x + b' --via a,b --data "$tmp/d.tsv" --method adam --steps 1
best numpy.loadtxt "$PYTHON3" -c "import numpy, sys; numpy.loadtxt(sys.argv[1], skiprows=1)" "$tmp/d.tsv"
awk '{ getline n < "'"$tmp/numpy.loadtxt"'"; split(n, a, " ")
  printf "numpy.loadtxt / minimize: %.2fx time; minimize RSS %.1f bytes per value\n", a[1] / $1, $2 * 1024 / (2 * '"$ROWS"') }' "$tmp/minimize"
