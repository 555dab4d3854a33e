#!/bin/sh
# minimize against PyTorch (float64): the tutorial run must agree digit for digit, the
# other torch-style methods to ~1e-15 (NAdam: torch 1.13's foreach path divides by
# sqrt(bias correction) separately, the >= 2.0 formula we follow takes one sqrt).
# Needs python3-torch; not part of make check. Usage: sh bench/minimize_check.sh
: "${MINIMIZE:=src/minimize}"
: "${PYTHON3:=/usr/bin/python3}"
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PYTHON3" "$here/minimize_torch_trace.py" tutorial >"$tmp/torch.tsv" || exit 1
"$MINIMIZE" 'x^2+y^2' --from x=1.1,y=2.1 --method gd --lr 0.05 --steps 100 --trace \
  --format tsv | grep -v '^# [^i]' >"$tmp/ours.tsv"
if cmp -s "$tmp/torch.tsv" "$tmp/ours.tsv"; then
  echo "tutorial gd run: identical to PyTorch ($(grep -vc '^#' "$tmp/ours.tsv") rows)"
else
  echo "tutorial gd run: DIFFERS from PyTorch"; diff "$tmp/torch.tsv" "$tmp/ours.tsv" | head; exit 1
fi
for m in adam nadam rmsprop adagrad; do
  lr=0.1; [ $m = rmsprop ] && lr=0.01
  "$PYTHON3" "$here/minimize_torch_trace.py" $m >"$tmp/t.tsv"
  "$MINIMIZE" '(x-3)^2+(x*y-1)^2' --from x=0.5,y=-1 --method $m --lr $lr --steps 50 --trace \
    --format tsv >"$tmp/o.tsv"
  printf '%s: ' $m
  "$PYTHON3" "$here/minimize_cmp.py" "$tmp/t.tsv" "$tmp/o.tsv"
done
f='(x-3)^2+(x*y-1)^2'
check() { # name, then minimize's options
  name=$1; shift
  "$PYTHON3" "$here/minimize_torch_trace.py" "$name" >"$tmp/t.tsv"
  "$MINIMIZE" "$f" --from x=0.5,y=-1 --steps 50 --trace --format tsv "$@" >"$tmp/o.tsv"
  printf '%s: ' "$name"
  "$PYTHON3" "$here/minimize_cmp.py" "$tmp/t.tsv" "$tmp/o.tsv"
}
check adamw --method adamw --lr 0.1 --weight-decay 0.1 --amsgrad
check sgd --method sgd --lr 0.01 --momentum 0.9 --dampening 0.1 --weight-decay 0.01
check rmsprop-centered --method rmsprop --lr 0.01 --momentum 0.5 --centered --weight-decay 0.01
# The fit report against gnuplot's fit (standard errors, rss) on the example data.
if command -v gnuplot >/dev/null 2>&1; then
  sh "$here/../examples/7-make-samples.sh" >"$tmp/samples.tsv"
  (cd "$tmp" && gnuplot -e "set fit quiet; set fit logfile '/dev/null'; set fit errorvariables;
    f(x) = A*x**2 + B*x + C; A = 1; B = 1; C = 1;
    fit f(x) 'samples.tsv' using 1:2 via A, B, C;
    set print '-'; print sprintf('%.10g %.10g %.10g %.10g %.10g %.10g %.10g', A, B, C, A_err, B_err, C_err, FIT_WSSR)" \
    2>/dev/null) >"$tmp/gp"
  "$MINIMIZE" 'y = A*x^2 + B*x + C' --data "$tmp/samples.tsv" --format json >"$tmp/ours.json"
  "$PYTHON3" - "$tmp/gp" "$tmp/ours.json" <<'PY'
import json, sys
gp = [float(v) for v in open(sys.argv[1]).read().split()]
o = json.load(open(sys.argv[2]))
ours = [o["at"]["A"], o["at"]["B"], o["at"]["C"], o["stderr"]["A"], o["stderr"]["B"],
        o["stderr"]["C"], o["rss"]]
worst = max(abs(a - b) / max(abs(a), abs(b)) for a, b in zip(gp, ours))
print("fit report vs gnuplot fit: parameters, standard errors, rss agree to %.2g relative" % worst)
sys.exit(0 if worst < 1e-5 else 1)
PY
fi
