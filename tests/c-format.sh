#!/bin/sh
# grad --symbolic --format c must compute what grad computes, for every function grad has.
# One expression holds every function of src/lib/ops.def: y1*F1(x) + y2*F2(x, 0.5) + ...; its
# partials d/dyK are the functions themselves and d/dx holds every derivative formula.
# The emitted C is compiled with the C compiler and GSL and run at several points, negative
# arguments included; each partial must match grad's reverse-mode value at that point.
# Skipped (77) when there is no C compiler or no GSL headers.
LC_ALL=C
export LC_ALL
GRAD=${GRAD:-src/grad}
srcdir=${srcdir:-.}
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '#include <gsl/gsl_sf_psi.h>\nint main(void) { return 0; }\n' >"$tmp/probe.c"
if ! "$CC" -o "$tmp/probe" "$tmp/probe.c" -lgsl -lgslcblas -lm >/dev/null 2>&1; then
  echo "SKIP: no C compiler with GSL"
  exit 77
fi

# every function of the op table (function-call syntax: precedence column 0, GR_K_MATH)
awk -F, '/^OP\(/ && $4 ~ /GR_K_MATH/ && $5 + 0 == 0 {
    gsub(/[ "]/, "", $2); n = $3 + 0
    k++
    if (n == 1) printf "y%d*%s(x)\n", k, $2
    else if ($2 == "polygamma") printf "y%d*polygamma(1, x)\ny%d*polygamma(2, x)\n", k, k + 100
    else printf "y%d*%s(x, 0.5)\n", k, $2
  }' "$srcdir/src/lib/ops.def" >"$tmp/terms"
# the infix operators (in a condition: their derivative is 0, so d/dyK is where they show)
cat >>"$tmp/terms" <<'EOF2'
y201*if(x > 0.5 && x < 2 || !(x == 0.3), x^3, x - 1)
y202*((x >= 1) + (x <= 0.5) + (x != 0.8) - x/(x + 3))
y203*(-x)^2
EOF2
nterms=$(wc -l <"$tmp/terms")
if [ "$nterms" -lt 40 ]; then
  echo "FAIL: only $nterms functions found in $srcdir/src/lib/ops.def"
  exit 1
fi
expr=$(paste -sd+ "$tmp/terms")
ys=$(sed 's/\*.*//' "$tmp/terms")
wrt=x$(for y in $ys; do printf ',%s' "$y"; done)

"$GRAD" "$expr" --symbolic --format c --wrt "$wrt" >"$tmp/formulas" 2>"$tmp/err" ||
  { echo "FAIL: grad --format c: $(cat "$tmp/err")"; exit 1; }
# file-scope helpers first, then the declarations in a function
{
  echo '#include <math.h>'
  echo '#include <gsl/gsl_sf_psi.h>'
  grep -v '^double ' "$tmp/formulas"
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  echo 'int main(int argc, char **argv) {'
  echo '  (void)argc;'
  echo '  double x = strtod(argv[1], NULL);'
  for y in $ys; do echo "  double $y = 1.25;"; done
  grep '^double ' "$tmp/formulas" | sed 's/^/  /'
  for v in x $ys; do printf '  printf("df/d%s = %%.17g\\n", df_d%s);\n' "$v" "$v"; done
  echo '  return 0;'
  echo '}'
} >"$tmp/f.c"
if ! "$CC" -std=c99 -D_GNU_SOURCE -Wall -Wno-unused-variable -Werror -o "$tmp/f" "$tmp/f.c" -lgsl -lgslcblas -lm 2>"$tmp/cc"; then
  echo "FAIL: the emitted C does not compile:"
  cat "$tmp/cc"
  exit 1
fi

fail=0
at=$(for y in $ys; do printf ',%s=1.25' "$y"; done)
for x in -2.5 -0.75 -0.25 0.3 0.5 0.8 1.5 2.75 40; do
  "$GRAD" "$expr" --at "x=$x$at" --wrt "$wrt" 2>/dev/null | grep '^df/' >"$tmp/grad"
  "$tmp/f" "$x" >"$tmp/c"
  if [ "$(wc -l <"$tmp/grad")" -ne "$(wc -l <"$tmp/c")" ] || [ "$(wc -l <"$tmp/c")" -lt 40 ]; then
    echo "FAIL: x=$x: grad printed $(wc -l <"$tmp/grad") partials, the C program $(wc -l <"$tmp/c")"
    fail=1
    continue
  fi
  # both NaN, equal infinities, or 1e-12 relative (pow(x, 3) and x*x*x may differ in a bit)
  paste -d' ' "$tmp/grad" "$tmp/c" | awk -v x="$x" '
    function num(s) { return s == "nan" || s == "-nan" ? "nan" : s }
    { a = num($3); b = num($6)
      if (a == "nan" || b == "nan" || a ~ /inf/ || b ~ /inf/) { ok = (a == b) }
      else { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; if (m < 1e-300) m = 1e-300
             ok = d <= 1e-12 * m || d < 1e-300 }
      if (!ok || $1 != $4) { print "FAIL: x=" x ": " $1 " grad " $3 ", C " $6; bad = 1 } }
    END { exit bad }' || fail=1
done
[ $fail = 0 ] && echo "PASS: $nterms functions, C matches grad at 9 points"
exit $fail
