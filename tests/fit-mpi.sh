#!/bin/sh
# minimize under mpirun (when built with MPI): a fit's trace, report, messages and exit
# status are byte for byte those of the same fit without MPI, on 1, 2 and 3 processes
# (10001 rows: three blocks of 4096, so block boundaries and the processes' byte ranges
# of the file fall in different places). Small crafted files put the ranges' boundaries
# inside comments, blank lines and the last line (with and without its newline); a bad
# row is reported with the file's own line number by whichever process reads it; a fit
# that is not one (no --data) runs on rank 0 alone.
LC_ALL=C
export LC_ALL
MINIMIZE=${MINIMIZE:-src/minimize}
if [ -z "${MPIRUN:-}" ]; then
  echo "SKIP: minimize is built without MPI"
  exit 77
fi
# Open MPI's own components leave allocations to the end of the process: under
# AddressSanitizer the processes started by mpirun do not check for leaks (the runs
# without MPI here still do)
mpi="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 $MPIRUN --oversubscribe"
[ "$(id -u)" = 0 ] && mpi="$mpi --allow-run-as-root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }

# minimize's own messages (mpirun adds its banners about failed processes)
own() { grep '^minimize:' "$1" >"$1.own" || true; }

# same FILE ARGS...: without MPI, then under mpirun -n 1, 2, 3
same() {
  f=$1
  shift
  "$MINIMIZE" "$@" --data "$f" >"$tmp/o0" 2>"$tmp/e0"
  r0=$?
  own "$tmp/e0"
  if [ $r0 -gt 3 ] || { [ $r0 -le 1 ] && [ ! -s "$tmp/o0" ]; }; then
    bad "$* (no MPI): exit $r0: $(head -3 "$tmp/e0")"
    return
  fi
  for n in 1 2 3; do
    $mpi -n $n "$MINIMIZE" "$@" --data "$f" >"$tmp/on" 2>"$tmp/en"
    rn=$?
    own "$tmp/en"
    if [ $rn = $r0 ] && cmp -s "$tmp/o0" "$tmp/on" && cmp -s "$tmp/e0.own" "$tmp/en.own"; then
      ok
    else
      bad "$* --data $(basename "$f"): mpirun -n $n differs from no MPI (exit $rn vs $r0)"
      diff "$tmp/o0" "$tmp/on" | head -5
      diff "$tmp/e0.own" "$tmp/en.own" | head -5
    fi
  done
}

awk 'BEGIN { print "# a fit over processes"; print "x y"
  for (i = 0; i < 10001; i++) { x = -2 + 4 * i / 10001
    if (i % 997 == 5) print "# a comment between rows"
    if (i % 1511 == 7) print ""
    printf "%.17g %.17g\n", x, 2 * x * x - 3 * x + 1 + 0.05 * sin(7 * i) } }' >"$tmp/d.tsv"
M='y = A*x^2 + B*x + C'
same "$tmp/d.tsv" "$M" --method adam --lr 0.05 --steps 60 --trace --format json
same "$tmp/d.tsv" "$M" --method nadam --steps 40 --trace --every 7 --threads 2
same "$tmp/d.tsv" "$M" --method bfgs --trace
same "$tmp/d.tsv" "$M" --method lm --trace --format json
same "$tmp/d.tsv" "$M" --method lm --threads 2
same "$tmp/d.tsv" "$M" --sse --method lbfgs --format tsv --trace

# small files: the byte ranges' boundaries sweep over comments, blank lines, a header
# comment, CR LF ends and the last line (a pad of 0..15 bytes shifts them)
p=0
while [ $p -lt 16 ]; do
  pad=$(printf '%*s' $p '' | tr ' ' '-')
  {
    printf '# data %s\nt,v\r\n' "$pad"
    printf '0,1.5\n# c1 %s\n1,2.25\n\n2,4.125 # trailing\n   \n3,7.0625\r\n# c2\n4,11.5\n' "$pad"
    printf '5,17.25\n6,23.5\n7,31.0\n8,40.25'
    [ $((p % 2)) = 0 ] && printf '\n'
  } >"$tmp/s$p.csv"
  same "$tmp/s$p.csv" 'v = a*t^2 + b' --method bfgs --format json
  p=$((p+1))
done

# bad rows: each process reads some; the first bad row of the file is the one reported,
# with its line number and exit status 3, as without MPI
awk 'BEGIN { print "x y"; for (i = 0; i < 30; i++) print i, i * i }' >"$tmp/b.tsv"
for line in 3 12 20 31; do
  awk -v l=$line 'NR == l { print $1, "oops"; next } { print }' "$tmp/b.tsv" >"$tmp/bad$line.tsv"
  same "$tmp/bad$line.tsv" 'y = a*x^2'
  grep -q "bad$line.tsv:$line:" "$tmp/e0.own" || bad "bad row on line $line: $(cat "$tmp/e0.own")"
done
awk 'NR == 25 { print $1 } NR == 8 { print $1, $2, 7 } NR != 8 && NR != 25 { print }' "$tmp/b.tsv" >"$tmp/bad2.tsv"
same "$tmp/bad2.tsv" 'y = a*x^2'
# a --sigma column with a bad value in the last process's rows only
awk 'NR == 1 { print $0, "s"; next } { print $0, (NR == 28 ? 0 : 1) }' "$tmp/b.tsv" >"$tmp/sig.tsv"
same "$tmp/sig.tsv" 'y = a*x^2' --sigma s

# not a fit: rank 0 runs it alone and prints it once
"$MINIMIZE" '(x-1)^2 + (y+2)^2' --from x=0,y=0 >"$tmp/o0" 2>&1
$mpi -n 3 "$MINIMIZE" '(x-1)^2 + (y+2)^2' --from x=0,y=0 >"$tmp/on" 2>&1
if cmp -s "$tmp/o0" "$tmp/on"; then ok; else bad "no --data under mpirun -n 3"; diff "$tmp/o0" "$tmp/on" | head; fi

# Ctrl-C: SIGINT to one of the processes stops every process at the same iteration;
# process 0 reports the best point so far and says so, and the processes exit with 130,
# which mpirun returns (the lowest rank's non-zero status). SIGUSR1 to mpirun, which passes
# it on without ending the job, does the same. SIGINT to mpirun itself, which passes SIGTERM
# on, stops the processes the same way, but mpirun then returns 1 whatever they return (and
# may stop forwarding process 0's output before a long trace is through: only its status
# is tested here).
# interrupt SIGNAL WHO: run a long fit under mpirun -n 2 and send SIGNAL to WHO (rank1:
# the last process mpirun started, mpirun: mpirun) once the trace has begun; sets rc
interrupt() {
  rm -f "$tmp/oi" "$tmp/ei"
  $mpi -n 2 "$MINIMIZE" "$M" --data "$tmp/d.tsv" --method adam --steps 100000000 --trace \
    --every 1000 >"$tmp/oi" 2>"$tmp/ei" &
  pid=$!
  i=0
  while [ $i -lt 300 ] && [ "$(lines)" -lt 3 ]; do sleep 0.1; i=$((i+1)); done
  if [ "$2" = mpirun ]; then
    kill -"$1" $pid
  else
    kids=$(pgrep -P $pid)
    kill -"$1" $(echo "$kids" | tail -1)
  fi
  wait $pid
  rc=$?
}
lines() { if [ -f "$tmp/oi" ]; then wc -l <"$tmp/oi"; else echo 0; fi; }
reported() { grep -q '^minimize: interrupted at iteration' "$tmp/ei" && grep -q 'stopped: interrupted' "$tmp/oi"; }
interrupt INT rank1
if reported && [ $rc = 130 ]
then ok; else bad "SIGINT to one process: exit $rc: $(grep -v '^-' "$tmp/ei" | head -3)"; fi
interrupt USR1 mpirun
if reported && [ $rc = 130 ]
then ok; else bad "SIGUSR1 to mpirun: exit $rc: $(grep -v '^-' "$tmp/ei" | head -3)"; fi
interrupt INT mpirun
if [ $rc = 1 ]; then ok; else bad "SIGINT to mpirun: exit $rc, not Open MPI's 1"; fi

echo "fit-mpi: $pass passed, $fail failed"
[ $fail = 0 ]
