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
