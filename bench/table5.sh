#!/bin/sh
# Tabulating the five-variable tutorial function f = x^2*y + sin(z)*exp(u*v) - log(1+x^2)
# over the grid x=-6.5:3.5:NX by u=-1:1:NU (NX*NU points, 10^7 by default) at y = 0.5,
# z = 1.5, v = 0.25: f alone (--no-grad) and f with its five partials (--wrt x,y,z,u,v),
# every row written to /dev/null, by
#   grad       --format tsv, --format binary (--threads 1; with vector math, and with
#              --exact: scalar libm), binary with --threads 2
#   C          bench/table5_hand.c: printf("%.17g"), fwrite of doubles (-O3), and fwrite
#              with -O3 -ffast-math, which vectorises exp through glibc's libmvec
#   PyTorch    bench/table5_torch.py, float64, one thread, rows written as doubles
# CPU time is user + system seconds of the whole process (bench/cputime.c), best of REPS;
# for --threads 2 the wall time too (PyTorch's CPU includes importing it, shown alone). Ratios are to the C with libmvec. The machine's load
# is printed first: on a busy machine two threads cannot show their speedup in wall time.
# Environment: GRAD, CC, PYTHON3 (default /usr/bin/python3), NX (10000), NU (1000), REPS (3).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
GRAD=${GRAD:-$top/src/grad}
CC=${CC:-cc}
PY=${PYTHON3:-/usr/bin/python3}
NX=${NX:-10000}
NU=${NU:-1000}
REPS=${REPS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$CC -O2 "$here/cputime.c" -o "$tmp/cputime" || exit 1
$CC -O3 "$here/table5_hand.c" -lm -o "$tmp/hand" || exit 1
# libmvec: AVX2 variants where the processor has them, else the SSE2 ones
if grep -qw avx2 /proc/cpuinfo 2>/dev/null &&
  $CC -O3 -ffast-math -march=x86-64-v3 "$here/table5_hand.c" -lm -o "$tmp/vec" 2>/dev/null; then
  vec="libmvec AVX2"
else
  $CC -O3 -ffast-math "$here/table5_hand.c" -lm -o "$tmp/vec" || exit 1
  vec="libmvec SSE2"
fi
nm "$tmp/vec" | grep -q '_ZGV' || vec="$vec (not vectorised)"
have_torch=no
"$PY" -c 'import torch' 2>/dev/null && have_torch=yes
export OMP_NUM_THREADS=1

F='x^2*y + sin(z)*exp(u*v) - log(1+x^2)'
R="x=-6.5:3.5:$NX,u=-1:1:$NU"
AT='y=0.5,z=1.5,v=0.25'

best() { # command... -> "cpu wall" seconds, best of REPS (by CPU), stdout to /dev/null
  i=0
  while [ $i -lt "$REPS" ]; do
    "$tmp/cputime" "$@" >/dev/null 2>"$tmp/err" || { echo "FAILED FAILED"; return; }
    tail -n 1 "$tmp/err" | awk '{ printf "%.3f %.3f\n", $1, $2 }'
    i=$((i + 1))
  done | sort -n | head -1
}
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.1f", $1 / $2; else printf "-" }'; }

echo "# $F over $NX x $NU points, at $AT; CPU seconds (user+sys), best of $REPS"
echo "# load: $(uptime | sed 's/.*load average/load average/'), $(getconf _NPROCESSORS_ONLN) cores"
for what in f all; do
  if [ $what = f ]; then
    opts="--no-grad"; echo "## f alone (x u f)"
  else
    opts="--wrt x,y,z,u,v"; echo "## f and its five partials (x u f df/dx ... df/dv)"
  fi
  cv=$(best "$tmp/vec" "$NX" "$NU" -6.5 3.5 $what binary)
  cvc=${cv%% *}
  line() { # label "cpu wall"
    printf '%-34s %8s s CPU %8s s wall   %6sx C+libmvec\n' "$1" "${2%% *}" "${2##* }" \
      "$(ratio "${2%% *}" "$cvc")"
  }
  # shellcheck disable=SC2086
  line "grad --format tsv" "$(best "$GRAD" "$F" --range "$R" --at "$AT" $opts --format tsv --threads 1)"
  # shellcheck disable=SC2086
  line "grad --format binary" "$(best "$GRAD" "$F" --range "$R" --at "$AT" $opts --format binary --threads 1)"
  # shellcheck disable=SC2086
  line "grad --format binary --exact" "$(best "$GRAD" "$F" --range "$R" --at "$AT" $opts --format binary --threads 1 --exact)"
  # shellcheck disable=SC2086
  g2=$(best "$GRAD" "$F" --range "$R" --at "$AT" $opts --format binary --threads 2)
  line "grad --format binary --threads 2" "$g2"
  line "C printf %.17g" "$(best "$tmp/hand" "$NX" "$NU" -6.5 3.5 $what print)"
  line "C fwrite" "$(best "$tmp/hand" "$NX" "$NU" -6.5 3.5 $what binary)"
  line "C fwrite, $vec" "$cv"
  if [ $have_torch = yes ]; then
    [ $what = f ] && line "PyTorch: import torch alone" "$(best "$PY" -c 'import torch')"
    line "PyTorch, rows as doubles" "$(best "$PY" "$here/table5_torch.py" "$NX" "$NU" -6.5 3.5 $what binary)"
  else
    echo "PyTorch: not installed"
  fi
done
