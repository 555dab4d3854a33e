#!/bin/sh
# One Adam and one NAdam iteration of the fit y = A x^2 + B x + C over 10^6 and 10^7 rows
# (mean squared residual, 3 parameters), side by side in one run:
#   minimize's engine on 1 and 2 threads (bench/fit_bench.c, in process, data preloaded),
#   the hand-written C loop at -O2 with the same formulas and libm (bench/fit_hand.c),
#   minimize itself under `mpirun -n 2` (one thread a process) when it is built with MPI:
#   the whole program timed at 1 and at 1+ITERS steps, the difference per iteration (the
#   data file, the same rows, is read in both runs, so reading cancels out);
#   PyTorch float64 on one thread, tensors preloaded (bench/fit_torch.py).
# Each contender runs ITERS iterations per round and keeps its fastest; the rounds are
# interleaved (ROUNDS of them) and the best over the rounds is printed: CPU time (user +
# sys of all threads) and wall time per iteration, in ms, and ratios. The machine's load
# is printed before and after: wall times mean something only on an idle machine.
# Run from the build directory (make bench sets BUILDDIR, CC, GSL_LIBS, NLOPT_LIBS,
# OPENMP_CFLAGS, PYTHON3). ROWS (default "1000000 10000000") and METHODS (default
# "adam nadam") narrow the run.
here=$(cd "$(dirname "$0")" && pwd)
: "${BUILDDIR:=.}"
: "${SLEEF_LIBS=$(grep -qs '^#define HAVE_SLEEF 1' "$BUILDDIR/config.h" && echo -lsleef)}"
: "${CC:=cc}"
: "${PYTHON3:=python3}"
: "${GSL_LIBS:=$(pkg-config --libs gsl 2>/dev/null || echo -lgsl -lgslcblas)}"
: "${NLOPT_LIBS:=$(pkg-config --libs nlopt 2>/dev/null)}"
: "${OPENMP_CFLAGS=-fopenmp}"
: "${ROWS:=1000000 10000000}"
: "${METHODS:=adam nadam}"
: "${ROUNDS:=3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$CC -O2 $OPENMP_CFLAGS -I"$here/../src/lib" -I"$BUILDDIR" "$here/fit_bench.c" \
  "$BUILDDIR/src/lib/.libs/libgradengine.a" $NLOPT_LIBS $GSL_LIBS $SLEEF_LIBS -lm -o "$tmp/grad" || exit 1
$CC -O2 "$here/fit_hand.c" -lm -o "$tmp/hand" || exit 1
mpi=no
if grep -q '^#define HAVE_MPI 1' "$BUILDDIR/config.h" 2>/dev/null && command -v mpirun >/dev/null 2>&1; then
  mpi=yes
  mpirun="mpirun --oversubscribe -n 2"
  [ "$(id -u)" = 0 ] && mpirun="$mpirun --allow-run-as-root"
fi
: "${MINIMIZE:=$BUILDDIR/src/minimize}"
# mpi_row N METHOD ITERS: "mpi cpu_ms C wall_ms W A a B b C c", per iteration, CPU of all ranks
mpi_row() {
  for s in 1 $((1 + $3)); do
    /usr/bin/time -f '%e %U %S' -o "$tmp/t$s" $mpirun "$MINIMIZE" 'y = A*x^2 + B*x + C' \
      --data "$tmp/rows$1.tsv" --via A,B,C --from A=0,B=0,C=0 --method "$2" --steps $s \
      --threads 1 --format json >"$tmp/j$s" 2>/dev/null
  done
  read -r w1 u1 s1 <"$tmp/t1"
  read -r w2 u2 s2 <"$tmp/t$((1 + $3))"
  # the parameters after ITERS steps are not those of the 1+ITERS run; print the latter's
  awk -v w1="$w1" -v w2="$w2" -v c1="$u1 $s1" -v c2="$u2 $s2" -v k="$3" -v j="$(cat "$tmp/j$((1 + $3))")" '
    function p(name) { if (match(j, "\"" name "\":[^,}]*")) return substr(j, RSTART + length(name) + 3, RLENGTH - length(name) - 3); return "nan" }
    BEGIN { split(c1, a, " "); split(c2, b, " ")
      printf "mpi cpu_ms %.6g wall_ms %.6g A %s B %s C %s\n", 1e3 * (b[1] + b[2] - a[1] - a[2]) / k,
        1e3 * (w2 - w1) / k, p("A"), p("B"), p("C") }'
}
torch=yes
"$PYTHON3" -c 'import torch' 2>/dev/null || torch=no
echo "load before: $(uptime | sed 's/.*load/load/')"
for n in $ROWS; do
  iters=$((20000000 / n)); [ $iters -lt 5 ] && iters=5
  [ $mpi = yes ] && awk -v n="$n" 'BEGIN { print "x\ty"
    for (i = 0; i < n; i++) { x = -2 + 4.0 * i / n; printf "%.17g\t%.17g\n", x, 2 * x * x - 3 * x + 1 + 0.05 * sin(7.0 * i) } }' >"$tmp/rows$n.tsv"
  for m in $METHODS; do
    : >"$tmp/res"
    r=1
    while [ $r -le "$ROUNDS" ]; do
      "$tmp/grad" "$n" 1 "$m" $iters | sed 's/^/grad1 /' >>"$tmp/res"
      "$tmp/hand" "$n" "$m" $iters | sed 's/^/hand /' >>"$tmp/res"
      "$tmp/grad" "$n" 2 "$m" $iters | sed 's/^/grad2 /' >>"$tmp/res"
      # at least 200 steps: the difference of two whole runs must outweigh the noise of
      # reading the file twice (50 steps over 10^7 rows did not: negative times)
      mi=$((iters * 10)); [ $mi -lt 200 ] && mi=200
      [ $mpi = yes ] && mpi_row "$n" "$m" $mi >>"$tmp/res"
      [ $torch = yes ] && "$PYTHON3" "$here/fit_torch.py" "$n" "$m" $iters 1 | sed 's/^/torch /' >>"$tmp/res"
      r=$((r + 1))
    done
    echo "== $m, $n rows, 3 parameters: ms per iteration (best of $ROUNDS x $iters)"
    awk -v torch=$torch -v mpi=$mpi '
      { k = $1; c = $3; w = $5
        if (!(k in cpu) || c < cpu[k]) cpu[k] = c
        if (!(k in wall) || w < wall[k]) wall[k] = w
        A[k] = $7; B[k] = $9; C[k] = $11 }
      function rel(a, b) { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; return s ? d / s : d }
      function row(k, name) {
        printf "  %-34s cpu %9.3f  wall %9.3f   cpu/C %6.2f  wall/C %6.2f", name, cpu[k], wall[k],
               cpu[k] / cpu["hand"], wall[k] / wall["hand"]
        if (k == "mpi")
          printf "   (params after 1 more step)"
        else if (k != "hand")
          printf "   params vs C: %.1e", rel(A[k], A["hand"]) + rel(B[k], B["hand"]) + rel(C[k], C["hand"])
        printf "\n" }
      END {
        row("hand", "hand-written C loop (-O2)")
        row("grad1", "minimize engine, 1 thread")
        row("grad2", "minimize engine, 2 threads")
        if (mpi == "yes") row("mpi", "minimize under mpirun -n 2")
        else print "  minimize under mpirun -n 2         not built with MPI, or no mpirun"
        if (torch == "yes") row("torch", "PyTorch float64, 1 thread")
        else print "  PyTorch                            not available (python3 -c \"import torch\" fails)"
        printf "  2 threads vs 1: wall %.2fx faster\n", wall["grad1"] / wall["grad2"]
        if (mpi == "yes")
          printf "  mpirun -n 2 vs 1 thread: wall %.2fx faster\n", wall["grad1"] / wall["mpi"]
        if (torch == "yes")
          printf "  vs PyTorch: 1 thread %.1fx, 2 threads %.1fx faster (wall)\n",
                 wall["torch"] / wall["grad1"], wall["torch"] / wall["grad2"]
      }' "$tmp/res"
  done
done
echo "load after: $(uptime | sed 's/.*load/load/')"
