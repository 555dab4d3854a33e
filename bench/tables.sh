#!/bin/sh
# Tables, traces and large inputs in one run, with one summary table: the figures beside the
# targets of the work on tables and traces at memory speed. It runs
#   table5.sh     grad tsv / binary / binary --exact / binary on 2 threads / hand-written C (printf %.17g,
#                 fwrite, fwrite with libmvec) / PyTorch, for f and for f and its 5 partials
#                 over NX*NU points (10^7)
#   dtoa.sh       the shortest printer and --digits' against printf("%.17g") and Dragonbox
#   tables_io.sh  minimize, 10^4 Adam steps, with and without --trace; --plot of 10^5 points
#   parse.sh      the 10^6-term sum and the 10^6-step let-chain (CPU and peak memory)
# shows what each prints, then the summary. CPU is user + system seconds; wall times need
# idle cores to mean anything, so the load is printed first and last.
# Environment: GRAD, MINIMIZE, BUILDDIR, CC, PYTHON3 (as make bench sets them); NX, NU
# (10000, 1000), TERMS (10^6), DTOA_N (10^6), REPS (3). QUICK=1: 10^6 points, 10^5 terms,
# 10^5 printed values, one repetition (a smoke run: the figures are not the targets' sizes).
here=$(cd "$(dirname "$0")" && pwd)
B=${BUILDDIR:-.}
export GRAD=${GRAD:-$B/src/grad}
export MINIMIZE=${MINIMIZE:-$B/src/minimize}
export BUILDDIR=$B
if [ "${QUICK:-0}" = 1 ]; then
  : "${NX:=1000}" "${NU:=1000}" "${TERMS:=100000}" "${DTOA_N:=100000}" "${REPS:=1}"
fi
export NX=${NX:-10000} NU=${NU:-1000} TERMS=${TERMS:-1000000} DTOA_N=${DTOA_N:-1000000}
export REPS=${REPS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load() { uptime | sed 's/.*load average: *//'; }
load0=$(load)
status=0
part() { # name script [VAR=value...]: runs it, shows its output, keeps it in $tmp/name
  name=$1 script=$2
  shift 2
  echo "== $script"
  env "$@" sh "$here/$script" >"$tmp/$name" 2>&1 || status=1
  cat "$tmp/$name"
}
part t5 table5.sh
part dtoa dtoa.sh
part io tables_io.sh N=100000
part parse parse.sh

# --- the summary ---
awk -v nx="$NX" -v nu="$NU" -v terms="$TERMS" -v load0="$load0" -v load1="$(load)" '
function num(s) { return s + 0 }
function fig(x, unit) { return x == "" ? "-" : sprintf(unit == "ns" ? "%.1f %s" : "%.3f %s", x, unit) }
function rat(a, b) { return (a == "" || b == "" || b + 0 <= 0) ? "-" : sprintf("%.2fx", a / b) }
function row(what, figure, ratio, target) { printf "%-46s %16s %12s   %s\n", what, figure, ratio, target }
FILENAME ~ /t5$/ {
  if ($0 ~ /^## f alone/) sec = "f"
  else if ($0 ~ /^## f and its/) sec = "all"
  else if (sec != "" && $0 ~ / s CPU /) {
    # label ... CPU s CPU wall s wall ratio
    lab = $0; sub(/ +[0-9.]+ s CPU.*/, "", lab)
    n = split($0, w, " ")
    for (i = 1; i <= n; i++) if (w[i] == "CPU" && w[i-1] == "s") { cpu = w[i-2]; wall = w[i+1] }
    T[sec, lab, "cpu"] = cpu; T[sec, lab, "wall"] = wall
    if (lab ~ /^C fwrite, libmvec/) T[sec, "vec", "cpu"] = cpu
    if (lab ~ /^PyTorch, rows/) T[sec, "torch", "cpu"] = cpu
    if (lab ~ /^PyTorch: import/) torch_import = cpu
  }
}
FILENAME ~ /dtoa$/ {
  if ($1 == "grad" && $2 == "shortest") shortest = $3
  if ($1 == "grad" && $2 == "%.6g") d6 = $3
  if ($1 == "grad" && $2 == "%.17g") d17 = $3
  if ($1 == "printf" && $2 == "%.17g") pf = $3
  if ($1 == "Dragonbox") db = $3
}
FILENAME ~ /io$/ {
  if ($1 == "without" && $2 == "--trace") { m0 = $3; sub(/,/, "", m0); m1 = $6 }
  if ($1 == "binary" && $2 == "temporary") { pb = $4; sub(/,/, "", pb); pinl = $10 }
}
FILENAME ~ /parse$/ {
  if ($1 == "sum" || $1 == "let") { P[$1, "us"] = $5; P[$1, "bytes"] = $9 }
}
END {
  printf "\n== summary (%s x %s points, %s terms; load %s at the start, %s at the end)\n", nx, nu, terms, load0, load1
  row("", "figure", "ratio", "target")
  for (k = 0; k < 2; k++) {
    s = k ? "all" : "f"
    printf "-- %s over %d points: CPU s (ratio to C fwrite with libmvec)\n", k ? "f and its 5 partials" : "f alone", nx * nu
    v = T[s, "vec", "cpu"]
    row("grad --format tsv", fig(T[s, "grad --format tsv", "cpu"], "s"), rat(T[s, "grad --format tsv", "cpu"], v), "")
    row("grad --format binary (1 thread)", fig(T[s, "grad --format binary", "cpu"], "s"), rat(T[s, "grad --format binary", "cpu"], v), k ? "<= 2.5x (vector math)" : "")
    row("grad --format binary --exact (scalar libm)", fig(T[s, "grad --format binary --exact", "cpu"], "s"), rat(T[s, "grad --format binary --exact", "cpu"], v), "")
    row("grad --format binary --threads 2 (CPU)", fig(T[s, "grad --format binary --threads 2", "cpu"], "s"), rat(T[s, "grad --format binary --threads 2", "cpu"], v), "")
    row("  wall speedup of 2 threads over 1", fig(T[s, "grad --format binary --threads 2", "wall"], "s wall"), rat(T[s, "grad --format binary", "wall"], T[s, "grad --format binary --threads 2", "wall"]), k ? ">= 1.7x (two idle cores)" : "")
    row("C printf(\"%.17g\")", fig(T[s, "C printf %.17g", "cpu"], "s"), rat(T[s, "C printf %.17g", "cpu"], v), "")
    row("C fwrite", fig(T[s, "C fwrite", "cpu"], "s"), rat(T[s, "C fwrite", "cpu"], v), "")
    row("C fwrite, libmvec", fig(v, "s"), rat(v, v), "")
    row("PyTorch (float64, 1 thread, incl. import)", fig(T[s, "torch", "cpu"], "s"), rat(T[s, "torch", "cpu"], v), "")
  }
  if (torch_import != "") row("  (importing torch alone)", fig(torch_import, "s"), "", "")
  print "-- the number printer: ns per value (ratio to grad shortest)"
  row("grad shortest round-trip", fig(shortest, "ns"), rat(shortest, shortest), "<= 40 ns")
  row("grad --digits 17 (%.17g)", fig(d17, "ns"), rat(d17, shortest), "<= 2x shortest")
  row("grad --digits 6 (%.6g)", fig(d6, "ns"), rat(d6, shortest), "<= 2x shortest")
  row("printf(\"%.17g\")", fig(pf, "ns"), rat(pf, shortest), "")
  row("Dragonbox (fmt), Ryu-class reference", fig(db, "ns"), rat(db, shortest), "")
  print "-- minimize, 10^4 Adam steps: wall s"
  row("without --trace", fig(m0, "s"), "", "")
  row("with --trace", fig(m1, "s"), rat(m1, m0), "(was 4 ms -> 280 ms)")
  print "-- --plot of 10^5 points to a PNG: wall s"
  row("data as a temporary binary file", fig(pb, "s"), "", "about 0.3 s")
  row("data inline as text (the old way)", fig(pinl, "s"), rat(pinl, pb), "")
  printf "-- large inputs: one value and gradient, %s terms\n", terms
  row("sum x^1/1 + x^2/2 + ...: CPU per term", fig(P["sum", "us"], "us"), "", "<= 1 us")
  row("  peak memory per term", P["sum", "bytes"] == "" ? "-" : P["sum", "bytes"] " bytes", "", "<= 300 bytes")
  row("let-chain a1 = x+1; a2 = a1*a1+1; ...: per step", fig(P["let", "us"], "us"), "", "<= 1 us")
  row("  peak memory per step", P["let", "bytes"] == "" ? "-" : P["let", "bytes"] " bytes", "", "<= 300 bytes")
}' "$tmp/t5" "$tmp/dtoa" "$tmp/io" "$tmp/parse"
exit $status
