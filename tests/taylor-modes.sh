#!/bin/sh
# Taylor mode (--order at a point, --taylor) against independent routes to the same numbers:
#  - the second derivative and the mixed second partial equal forward-over-reverse (--hessian);
#  - the third derivative equals a central difference of the second;
#  - --taylor's coefficients times k! are --order's derivatives;
#  - at order 1000 the derivatives of sin are +-sin, +-cos (awk's libm), no overflow.
. "$(dirname "$0")/testlib.sh"

# close A B TOL: |A - B| <= TOL * max(1e-300, |B|) (relative), both numbers
close() {
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
    exit !(a == a + 0 && b == b + 0 && d <= t * m + 1e-300) }'
}
# row K of a --format tsv listing (column 2)
row() { awk -v k="$1" -F '\t' '$1 == k { print $2 }'; }

for case in 'sin(exp(2.8))*asin(sigmoid(z*3.6))|z|2.721276636788352' \
  'exp(sin(x))/(1 + x^2)|x|0.7' 'lgamma(x)*erf(x/3)|x|2.3' 'atan2(x, 1 + x*x)*tanh(x)|x|-0.4' \
  'x^x*log1p(x)|x|1.6' 'sqrt(x + 1)*cbrt(x)*asinh(x)|x|0.9' 'gamma(x) + digamma(x)|x|3.1' \
  'u = x*x; softplus(u)*acosh(u + 1)|x|1.1'; do
  e=${case%%|*}; rest=${case#*|}; v=${rest%%|*}; x=${rest#*|}
  h=$("$GRAD" "$e" --hessian --at "$v=$x" --format tsv | awk -F '\t' 'NR == 2 { print $1 }')
  o=$("$GRAD" "$e" --order 3 --at "$v=$x" --format tsv)
  d2=$(echo "$o" | row 2); d3=$(echo "$o" | row 3)
  if close "$d2" "$h" 1e-12; then ok; else bad "$e: --order 2 gives $d2, --hessian $h"; fi
  # central difference of d2 with step s (error O(s^2))
  s=1e-4
  lo=$(awk -v x="$x" -v s="$s" 'BEGIN { printf "%.17g", x - s }')
  hi=$(awk -v x="$x" -v s="$s" 'BEGIN { printf "%.17g", x + s }')
  a=$("$GRAD" "$e" --order 2 --at "$v=$lo" --format tsv | row 2)
  b=$("$GRAD" "$e" --order 2 --at "$v=$hi" --format tsv | row 2)
  fd=$(awk -v a="$a" -v b="$b" -v s="$s" 'BEGIN { printf "%.17g", (b - a) / (2 * s) }')
  if close "$d3" "$fd" 1e-6; then ok; else bad "$e: --order 3 gives $d3, a central difference $fd"; fi
  # --taylor: c_k k!
  t=$("$GRAD" "$e" --taylor 3 --at "$v=$x" --format tsv)
  for k in 1 2 3; do
    ck=$(echo "$t" | row $k)
    dk=$(echo "$o" | row $k)
    f=$(awk -v c="$ck" -v k="$k" 'BEGIN { f = 1; for (i = 2; i <= k; i++) f *= i; printf "%.17g", c * f }')
    if close "$f" "$dk" 1e-14; then ok; else bad "$e: --taylor c$k * $k! = $f, --order $dk"; fi
  done
done

# mixed second partials by polarization against forward-over-reverse
for case in 'x*y*sin(x)|1,2' 'exp(x*y)/(1 + y^2)|0.3,-0.8' 'atan2(y, x)*hypot(x, y)|1.5,0.5'; do
  e=${case%%|*}; p=${case#*|}
  h=$("$GRAD" "$e" --hessian --at "x=${p%,*},y=${p#*,}" --format tsv | awk -F '\t' 'NR == 2 { print $2 }')
  m=$("$GRAD" "$e" --order 2 --wrt x,y --at "x=${p%,*},y=${p#*,}" --format tsv | row 2)
  if close "$m" "$h" 1e-12; then ok; else bad "$e: --wrt x,y --order 2 gives $m, --hessian $h"; fi
done

# order 1000: d999 sin = -cos, d1000 sin = sin
o=$("$GRAD" 'sin(x)' --order 1000 --at x=0.5 --format tsv)
want=$(awk 'BEGIN { printf "%.17g %.17g", -cos(0.5), sin(0.5) }')
if close "$(echo "$o" | row 999)" "${want% *}" 1e-13 && close "$(echo "$o" | row 1000)" "${want#* }" 1e-13; then
  ok
else
  bad "sin --order 1000: $(echo "$o" | tail -n 2 | tr '\n' ' '), want $want"
fi

finish taylor-modes
