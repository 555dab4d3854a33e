#!/bin/sh
# grad --range ... --exact: every row is bit for bit what --at gives at that point (scalar
# libm, as single points always are), for the functions that tables otherwise compute by
# vector math; and the vector-math table (the default) agrees with it to within 1 ulp,
# which the printed shortest round-trip numbers cannot show exactly, so here only that it
# is close (tests/prop/table_vecmath checks the ulps). --exact outside a table changes nothing.
. "$(dirname "$0")/testlib.sh"

rows() { # EXPR RANGE: every row of the --exact table against --at at its x
  "$GRAD" "$1" --range "x=$2" --exact --format tsv >"$tmp/t" 2>"$tmp/e" || { bad "$1 --exact: exit $?: $(head -2 "$tmp/e")"; return; }
  n=0
  grep -v '^#' "$tmp/t" | while IFS="$(printf '\t')" read -r x rest; do
    at=$("$GRAD" "$1" --at "x=$x" --format tsv | tail -n 1)
    [ "$at" = "$x	$rest" ] || { echo "$1 at x=$x: table '$x	$rest', --at '$at'"; }
  done >"$tmp/d"
  if [ -s "$tmp/d" ]; then bad "$(head -3 "$tmp/d")"; else ok; fi
  # the default (vector math) table: the same rows to 12 digits
  "$GRAD" "$1" --range "x=$2" --digits 12 >"$tmp/v" 2>&1
  "$GRAD" "$1" --range "x=$2" --digits 12 --exact >"$tmp/x" 2>&1
  if cmp -s "$tmp/v" "$tmp/x"; then ok; else bad "$1: vector math and --exact differ beyond 12 digits"; diff "$tmp/v" "$tmp/x" | head -4; fi
}
rows 'exp(x)' -20:20:41
rows 'log(x)' 0.125:100:37
rows 'sin(x)' -7:7:29
rows 'cos(x)' -7:7:29
rows 'atan(x) + expm1(x) + log1p(x)' -0.75:3:31
rows 'x^2.5 + 2.5^x' 0:9:19
rows 'x^2*0.5 + sin(1.5)*exp(0.25*x) - log(1+x^2)' -6.5:3.5:23
# --exact with --at is accepted and changes nothing
a=$("$GRAD" 'exp(x)*sin(x)' --at x=1.25)
b=$("$GRAD" 'exp(x)*sin(x)' --at x=1.25 --exact)
if [ "$a" = "$b" ]; then ok; else bad "--exact changed an --at result: '$a' vs '$b'"; fi
# binary tables: --exact and the default are the same size, and --threads changes nothing
"$GRAD" 'sin(x)*exp(x)' --range x=-3:3:20001 --format binary --threads 1 >"$tmp/b1"
"$GRAD" 'sin(x)*exp(x)' --range x=-3:3:20001 --format binary --threads 2 >"$tmp/b2"
"$GRAD" 'sin(x)*exp(x)' --range x=-3:3:20001 --format binary --exact >"$tmp/bx"
if cmp -s "$tmp/b1" "$tmp/b2" && [ "$(wc -c <"$tmp/b1")" = "$(wc -c <"$tmp/bx")" ]; then ok; else bad "binary tables: threads or --exact change the output's shape"; fi
finish table-vecmath
