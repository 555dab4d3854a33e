#!/bin/sh
# Reading a data file of ROWS rows of two columns, CPU time (user+sys, best of 3, the
# programs interleaved) and peak memory (max RSS), with the machine's load:
#   reader         the data reader alone (bench/read_bench.c: gr_data_read)
#   minimize       minimize --data reading the file and taking one Adam step (which also
#                  prints the parameters' standard errors: a pass over the rows)
#   numpy.loadtxt  on the same file
# for each SHAPE of number: g9 (%.9g, the default), int (integers), fixed (%.6f), g17
# (%.17g, which reads back to the same doubles) and exp (%.6e). Run from a build folder
# (BUILDDIR, default .; MINIMIZE, default src/minimize) with PYTHON3 having numpy; make
# bench sets them. SHAPES="g9 int" runs some shapes only.
#
# On a shared 2-core machine (load about 2.3), 10^7 rows, the reader before and after the
# columns were sized by the file's size instead of a pass counting its lines, integers were
# converted without the exponent and fraction logic, each field's end was speculated from
# the one above it and two-digit exponents read at once (the two readers and numpy
# interleaved, best of 3 CPU), and numpy.loadtxt's time over the reader's:
#   g9     0.342 -> 0.282 s  3.06x -> 3.72x      g17  0.515 -> 0.444 s  6.47x -> 7.50x
#   int    0.301 -> 0.239 s  2.98x -> 3.76x      exp  0.370 -> 0.314 s  3.05x -> 3.60x
#   fixed  0.315 -> 0.265 s  3.15x -> 3.74x
# Max RSS: the reader 155.1 -> 154.7 MB, minimize 161 MB either way. Huge pages for the
# columns (madvise) made a read about 50 ms faster most of the time but, here, up to 0.5 s
# slower after another process's memory was freed, often enough to spoil a best of 3;
# they are not asked for.
LC_ALL=C
export LC_ALL
here=$(cd "$(dirname "$0")" && pwd)
: "${BUILDDIR:=.}" "${MINIMIZE:=$BUILDDIR/src/minimize}" "${PYTHON3:=python3}"
: "${SLEEF_LIBS=$(grep -qs '^#define HAVE_SLEEF 1' "$BUILDDIR/config.h" && echo -lsleef)}"
: "${ROWS:=10000000}" "${SHAPES:=g9 int fixed g17 exp}" "${CC:=cc}"
: "${GSL_LIBS:=$(pkg-config --libs gsl 2>/dev/null || echo -lgsl -lgslcblas)}"
: "${NLOPT_LIBS:=$(pkg-config --libs nlopt 2>/dev/null)}"
: "${OPENMP_CFLAGS=-fopenmp}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$CC -O2 $OPENMP_CFLAGS -I"$here/../src/lib" -I"$BUILDDIR" "$here/read_bench.c" \
  "$BUILDDIR/src/lib/.libs/libgradengine.a" $NLOPT_LIBS $GSL_LIBS $SLEEF_LIBS -lm -o "$tmp/read_bench" || exit 1
# run LABEL COMMAND...: one run, keeping the best CPU time of LABEL and that run's max RSS
run() {
  label=$1
  shift
  /usr/bin/time -f '%U %S %M' -o "$tmp/t" "$@" >/dev/null 2>&1
  t=$(awk '{ printf "%.3f %d", $1 + $2, $3 }' "$tmp/t")
  if [ ! -f "$tmp/$label" ] || [ "$(echo "$t $(cat "$tmp/$label")" | awk '{ print ($1 < $3) }')" = 1 ]
  then echo "$t" >"$tmp/$label"; fi
}
show() { awk -v l="$1" '{ printf "  %-14s %8.3f s CPU  %8.1f MB max RSS\n", l, $1, $2 / 1024 }' "$tmp/$1"; }
for shape in $SHAPES; do
  case $shape in
  g9) fmt='%.9g %.9g' ;;
  int) fmt='%d %d' ;;
  fixed) fmt='%.6f %.6f' ;;
  g17) fmt='%.17g %.17g' ;;
  exp) fmt='%.6e %.6e' ;;
  *) echo "read.sh: unknown shape $shape" >&2; exit 2 ;;
  esac
  awk -v n="$ROWS" -v fmt="$fmt\n" -v shape="$shape" 'BEGIN { print "x y"
    for (i = 0; i < n; i++) { x = i / n; y = 2 * x - 1 + (i % 7) * 0.01
      if (shape == "int") { x = i; y = (i * 7919) % 1000003 - 500000 }
      if (shape == "exp" || shape == "g17") { x = x * 1e-5 + 1e-9; y = y * 3.7e6 }
      printf fmt, x, y } }' >"$tmp/d.tsv"
  rm -f "$tmp/reader" "$tmp/minimize" "$tmp/numpy" 2>/dev/null
  echo "$shape: $ROWS rows ($(wc -c <"$tmp/d.tsv") bytes; e.g. '$(sed -n 3p "$tmp/d.tsv")'); load:$(uptime | sed 's/.*load average://')"
  for i in 1 2 3; do
    run reader "$tmp/read_bench" "$tmp/d.tsv"
    run minimize "$MINIMIZE" 'y = a*x + b' --via a,b --data "$tmp/d.tsv" --method adam --steps 1
    run numpy "$PYTHON3" -c "import numpy, sys; numpy.loadtxt(sys.argv[1], skiprows=1)" "$tmp/d.tsv"
  done
  show reader
  show minimize
  show numpy
  paste "$tmp/reader" "$tmp/minimize" "$tmp/numpy" | awk -v n="$ROWS" '{
    printf "  numpy.loadtxt / reader: %.2fx, / minimize: %.2fx time; minimize RSS %.1f bytes per value\n",
      $5 / ($1 > 0.001 ? $1 : 0.001), $5 / ($3 > 0.001 ? $3 : 0.001), $4 * 1024 / (2 * n) }'
done
