#!/bin/sh
# Under mpirun each process holds only its share of the data: after reading its byte range
# of the file, the processes hand each other the rows that put every block boundary on
# one process, and that exchange must not make a second copy of a process's columns (it
# did: 1.5 times the share at its peak). Peak resident size of each of 3 processes on a
# fit of 3 * 10^6 two-column rows (16 MB of columns each), less that of the same run on a
# 3-row file, must stay within its share of the columns plus a quarter.
LC_ALL=C
export LC_ALL
. "$(dirname "$0")/testlib.sh"
if [ -z "${MPIRUN:-}" ]; then
  echo "SKIP: minimize is built without MPI"
  exit 77
fi
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "SKIP: needs GNU time as $TIME"; exit 77; }
if nm "$MINIMIZE" 2>/dev/null | grep -q __asan_init; then echo "SKIP: sanitizer build"; exit 77; fi
mpi="$MPIRUN --oversubscribe -n 3"
[ "$(id -u)" = 0 ] && mpi="$mpi --allow-run-as-root"
N=3000000
awk -v n=$N 'BEGIN { print "x y"; for (i = 0; i < n; i++) printf "%d %d\n", i % 1000, i % 7 }' \
  >"$tmp/big.tsv"
printf 'x y\n1 2\n2 3\n3 5\n' >"$tmp/small.tsv"
# each process's peak, in KiB, one per line
cat >"$tmp/rss.sh" <<EOS
#!/bin/sh
exec "$TIME" -f '%M' -o "$tmp/rss.\${OMPI_COMM_WORLD_RANK:-0}" "\$@"
EOS
chmod +x "$tmp/rss.sh"
peak() { # data file: pk = the largest of the 3 processes' peaks (0 when the run failed)
  pk=0
  rm -f "$tmp"/rss.[0-9]*
  $mpi "$tmp/rss.sh" "$MINIMIZE" 'y = A*x + B' --data "$1" --method adam --steps 2 \
    >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ $rc -le 1 ] || { bad "mpirun -n 3 on $(basename "$1"): exit $rc: $(head -3 "$tmp/err")"; return; }
  pk=$(cat "$tmp"/rss.[0-9]* | awk 'NF { v = $NF; if (v > m) m = v } END { print m + 0 }')
}
peak "$tmp/small.tsv"
base=$pk
peak "$tmp/big.tsv"
big=$pk
share=$((N / 3 * 2 * 8 / 1024))
if [ "$big" -gt 0 ] && [ "$base" -gt 0 ] && [ $((big - base)) -le $((share + share / 4)) ]; then
  ok
  echo "largest process: $((big - base)) KiB over a 3-row run, share of the columns $share KiB"
else
  bad "largest process: $big KiB, 3-row run $base KiB, share of the columns $share KiB (bound +25%)"
fi
finish fit-mpi-memory
