#!/bin/sh
# The cost of reading large inputs: CPU time (user + system) and peak memory of one whole
# grad run (parse, compile, one value and gradient) on generated programs:
#  - calls: `f(a) = a*a+1; f(x+0) + f(x+1) + ...` against the same number of built-in calls
#    `sin(x+0) + sin(x+1) + ...` (user-function calls must cost about what built-in ones do);
#  - sum: the 10^6-term sum x^1/1 + x^2/2 + ...;
#  - let: the 10^6-step chain a1 = x+1; a2 = a1*0.5+1; ... (a multiplication and an addition
#    a step). The let figures below up to the 40-byte nodes were taken on a2 = a1*a1+1, the
#    same ops, whose value overflows (grad exits 1); this chain stays at 2 (exit 0), so that
#    the normal path is what is measured.
# Per-term figures divide by the number of terms. Needs /usr/bin/time (GNU time).
# Environment (make bench sets it): GRAD.  TERMS=N changes the 10^6 of sum and let.
#
# Timings on a shared, busy 2-core machine (CPU = user + system seconds), before
# and after calls substituted in the size of the body and the graph's nodes and index
# shrank (104 -> 80 byte nodes, chained buckets -> (hash, id) slots):
#   calls  12500   0.14 s ->  0.01 s      builtin  12500  0.01 s -> 0.01 s
#   calls  25000   0.52 s ->  0.03 s      builtin  25000  0.03 s -> 0.01 s
#   calls  50000   2.05 s ->  0.07 s      builtin  50000  0.08 s -> 0.06 s
#   calls 100000   8.19 s ->  0.16 s      builtin 100000  0.21 s -> 0.13 s
#   sum  10^6  2.62 s, 781 MB (2.6 us, 800 bytes a term) -> 1.47 s, 641 MB (1.5 us, 672)
#   let  10^6  3.18 s, 704 MB (3.2 us, 721 bytes a step) -> 1.91 s, 578 MB (1.9 us, 606)
# Then with 64-byte nodes (fields no op uses together share storage; the hash only in the
# index), the index freed after a large parse (rebuilt when next needed) and the tape's
# tangent adjoints allocated only for forward-over-reverse:
#   sum  10^6  1.28 s, 668 MB (701 bytes a term) -> 1.38 s, 575 MB (589 bytes a term)
#   let  10^6  1.61 s, 598 MB (628 bytes a step) -> 1.85 s, 515 MB (527 bytes a step)
# (CPU times at load 10-14.) Of the about 590 bytes a term of sum (4 nodes, 4 tape slots):
# nodes 256, the id -> node array 32 to 64, the tape 224 (instruction 16, offset, length,
# node, value, adjoint and tangent 8 each, a slot), the source text about 20.
# Then with 40-byte nodes (a leaf's fields over the arguments), names packed, the node
# array and the definitions trimmed and their index dropped after a large parse, and the
# built-in function names in a hash set (load 3-7):
#   sum  10^6  1.70 s, 608 MB (622 bytes a term) -> 1.45 s, 514 MB (526 bytes a term)
#   let  10^6  1.86 s, 542 MB (555 bytes a step) -> 1.73 s, 449 MB (460 bytes a step)
# Of the 526 bytes a term of sum: nodes 160, the id -> node array 32, the tape 4 slots of
# 65 bytes (instruction 16; offset, length, node, value pointer, value, adjoint, tangent 8
# each; a flag byte) = 260, the source text 16, the rest malloc's and the kernel's.
# Then with operation nodes indexed only when a lookup could find them (a node with an
# argument nobody uses yet has no twin: no probe, indexed later in prefetched batches or
# never), whole-number constants found by value in an array instead of the index, 32-bit
# tape offsets and lengths, and line splitting by memcpy; previous build against this one,
# runs interleaved, load 11, both on the finite let chain (best of two):
#   calls   100000  0.16 s, 718 bytes a term -> 0.08 s, 680
#   builtin 100000  0.13 s, 597 bytes a term -> 0.06 s, 569
#   sum  10^6  1.57 s, 503 MB (1.57 us, 528 bytes a term) -> 0.69 s, 473 MB (0.69 us, 496)
#   let  10^6  2.06 s, 436 MB (2.06 us, 458 bytes a step) -> 0.98 s, 400 MB (0.98 us, 419)
# Of the about 500 bytes a term of sum: nodes 160 (and the arena's slack), the id -> node
# array 32, the tape 4 slots of 57 bytes (instruction 16; offset, length 4 each; node,
# value pointer, value, adjoint, tangent 8 each; a flag byte) = 228, the source text 16.
# Left: the time is now spread over lexing, strtod, pow, compiling and the sweeps; system
# time (page faults: the kernel zeroing fresh pages) is about 0.3 s of the 0.7.
# Then with the nodes in chunks that double in size, found by id (no id -> node pointer
# array), the tape's per-slot value pointers only once a column is bound (fits), the
# adjoints freed before the gradient check's tangent sweep allocates the tangents (the peak
# was there, with both), and the definitions freed after parsing; previous build against
# this one, runs interleaved, best of two, load 3.5-3.8 (a sanitizer build running):
#   calls   100000  0.07 s, 640 bytes a term -> 0.07 s, 498
#   builtin 100000  0.05 s, 538 bytes a term -> 0.05 s, 417
#   sum  10^6  0.61 s, 443 MB (0.61 us, 464 bytes a term) -> 0.62 s, 346 MB (0.62 us, 363)
#   let  10^6  0.82 s, 378 MB (0.82 us, 397 bytes a step) -> 0.81 s, 279 MB (0.81 us, 292)
# Of the 363 bytes a term of sum (massif and counting): nodes 160 (4 of 40 bytes), the tape
# 4 slots of 41 bytes (instruction 16; offset, length 4 each; value, adjoint 8 each; a flag
# byte) = 164, the source text 17, the program and its libraries about 20. Of the 292 a step
# of let: 3 nodes 120, 3 slots 123, the source 22, the name 8. The peak is now the reverse
# sweep (nodes, tape and source all alive); 32-byte nodes (the third argument of if()
# somewhere else) and a 12-byte instruction would take sum under 320.
# The peak was not only there: the compile held an id -> slot array (4 bytes a node) and
# the reachable flags beside the new tape, and for let the gradient check's tangents came on
# top of the freed adjoints (malloc kept them: below its mmap threshold, which grows as
# large blocks are freed). Then with the slots found from the tape's on_tape bits, the
# dropped adjoints reused as the tangents, no offset and length arrays on a tape of blocks
# of one (off[s] = s, len[s] = 1; the forward and reverse sweeps in a copy for each kind of
# tape) and 32-byte nodes (if()'s second and third arguments in a pair in the arena);
# previous build against this one, runs interleaved, best of three, load 1.0:
#   sum  10^6  0.62 s, 350 MB (0.62 us, 367 bytes a term) -> 0.57 s, 270 MB (0.57 us, 283)
#   let  10^6  0.72 s, 305 MB (0.72 us, 320 bytes a step) -> 0.65 s, 225 MB (0.65 us, 235)
# (the previous build gave 320 bytes a step of let here, not the 292 above.) Of the 283
# bytes a term of sum: nodes 128 (4 of 32 bytes), the tape 4 slots of 33 bytes (instruction 16;
# value, adjoint 8 each; a flag byte) = 132, the source text 17; the peak is the reverse
# sweep. A 12-byte instruction (if()'s third operand elsewhere) and constants in a
# value-only pool instead of full slots would save 16 and 33 more.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
GRAD=${GRAD:-$top/src/grad}
TERMS=${TERMS:-1000000}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "parse.sh: needs GNU time as $TIME" >&2; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen() { # kind n -> program on stdout
  awk -v kind="$1" -v n="$2" 'BEGIN {
    if (kind == "calls") { printf "f(a) = a*a+1; "; for (i = 0; i < n; i++) printf "%sf(x+%d)", (i ? "+" : ""), i }
    else if (kind == "builtin") { for (i = 0; i < n; i++) printf "%ssin(x+%d)", (i ? "+" : ""), i }
    else if (kind == "sum") { for (i = 1; i <= n; i++) printf "%sx^%d/%d", (i > 1 ? "+" : ""), i, i }
    else if (kind == "let") { printf "a1=x+1"; for (i = 2; i <= n; i++) printf "; a%d=a%d*0.5+1", i, i - 1; printf "; a%d", n }
  }'
}

run() { # kind n -> "user+sys seconds, max RSS KiB, exit status"
  gen "$1" "$2" >"$tmp/in"
  "$TIME" -f '%U %S %M' -o "$tmp/time" "$GRAD" - --at x=1 <"$tmp/in" >/dev/null 2>"$tmp/err"
  rc=$?
  tail -n 1 "$tmp/time" | awk -v kind="$1" -v n="$2" -v rc="$rc" '{
    cpu = $1 + $2
    printf "%-8s %8d  %7.2f s  %8.3f us/term  %8.0f MB  %6.0f bytes/term  exit %d\n", kind, n, cpu,
      cpu * 1e6 / n, $3 / 1024, $3 * 1024 / n, rc }'
}

echo "kind        terms      cpu                         max RSS"
for n in 12500 25000 50000 100000; do
  run calls $n
  run builtin $n
done
run sum "$TERMS"
run let "$TERMS"
