#!/bin/sh
# Output paths, wall time (best of REPS, seconds; the machine may be busy):
#   grad's five-variable tutorial function with its 5 partials over N points as tsv, with
#   --digits 6, and as --format binary (to /dev/null), on one thread and on two (--threads;
#   the speedup needs two idle cores), and a hand-written C loop that prints
#   the same seven columns with printf("%.17g") and one that writes them as binary (the
#   C loops evaluate f only and put placeholders for the partials: the output cost alone)
#   minimize, 10^4 Adam steps, without and with --trace
#   --plot of 10^5 points to a PNG (data as a temporary binary file) against the same plot
#   with the data inline as text (--gnuplot piped into gnuplot)
# Environment: BUILDDIR (default .), CC, GRAD, MINIMIZE, N (default 1000000), REPS (3).
here=$(cd "$(dirname "$0")" && pwd)
B=${BUILDDIR:-.}
CC=${CC:-cc}
GRAD=${GRAD:-$B/src/grad}
MINIMIZE=${MINIMIZE:-$B/src/minimize}
N=${N:-1000000}
REPS=${REPS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
timed() { # best wall time of a command, its stdout to /dev/null
  b= i=0
  while [ $i -lt "$REPS" ]; do
    t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
    i=$((i + 1))
  done
  printf '%.3f' "$b"
}
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
cat >"$tmp/hand.c" <<'C'
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  int bin = argc > 2;
  for (long i = 0; i < n; i++) {
    double x = -6.5 + 10.0 * (double)i / (double)(n - 1), y = 0.5, z = 1.5, u = 2, v = 0.25;
    double r[7] = {x, x * x * y + sin(z) * exp(u * v) - log(1 + x * x), 2 * x * y,
                   x * x, cos(z), v, u};
    if (bin)
      fwrite(r, sizeof r, 1, stdout);
    else
      printf("%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\n", r[0], r[1], r[2], r[3], r[4],
             r[5], r[6]);
  }
  return 0;
}
C
$CC -O2 "$tmp/hand.c" -o "$tmp/hand" -lm || exit 1
F='x^2*y + sin(z)*exp(u*v) - log(1+x^2)'
R="--range x=-6.5:3.5:$N --at y=0.5,z=1.5,u=2,v=0.25 --wrt x,y,z,u,v"
echo "# f + 5 partials over $N points, best of $REPS (s)"
# shellcheck disable=SC2086
tt=$(timed "$GRAD" "$F" $R --threads 1)
# shellcheck disable=SC2086
td=$(timed "$GRAD" "$F" $R --threads 1 --digits 6)
# shellcheck disable=SC2086
tb=$(timed "$GRAD" "$F" $R --threads 1 --format binary)
# shellcheck disable=SC2086
tt2=$(timed "$GRAD" "$F" $R --threads 2)
# shellcheck disable=SC2086
tb2=$(timed "$GRAD" "$F" $R --threads 2 --format binary)
ht=$(timed "$tmp/hand" "$N")
hb=$(timed "$tmp/hand" "$N" binary)
printf '%-34s %8s\n' "grad tsv (shortest)" "$tt" "grad --digits 6" "$td" "grad --format binary" "$tb" \
  "grad tsv, 2 threads" "$tt2" "grad binary, 2 threads" "$tb2" "C printf %.17g" "$ht" "C fwrite binary" "$hb"
echo "2 threads: tsv $(ratio "$tt" "$tt2")x, binary $(ratio "$tb" "$tb2")x faster than one"
echo "grad tsv / C printf: $(ratio "$tt" "$ht")x; grad binary / C binary: $(ratio "$tb" "$hb")x; grad tsv / grad binary: $(ratio "$tt" "$tb")x"

echo "# minimize, 10^4 Adam steps (s)"
M="$MINIMIZE (x-1)^2+(y-2)^2 --from x=5,y=7 --method adam --lr 0.001 --steps 10000"
# shellcheck disable=SC2086
m0=$(timed $M)
# shellcheck disable=SC2086
m1=$(timed $M --trace)
echo "without --trace $m0, with --trace $m1"

if command -v gnuplot >/dev/null 2>&1; then
  echo "# --plot of 10^5 points to a PNG (s)"
  P="sin(x)/x --range x=-20:20:100000"
  # shellcheck disable=SC2086
  pb=$(timed "$GRAD" $P --plot="$tmp/b.png")
  # shellcheck disable=SC2086
  "$GRAD" $P --gnuplot --plot="$tmp/i.png" >"$tmp/i.gp"
  pi=$(timed sh -c "gnuplot < '$tmp/i.gp'")
  echo "binary temporary file $pb, inline text on gnuplot's stdin $pi ($(ratio "$pi" "$pb")x)"
fi
