#!/bin/sh
# minimize --sigma (weighted fit) against scipy's curve_fit and gnuplot's fit: the same
# parameters and standard errors. Runs only what is installed; not part of make check.
: "${MINIMIZE:=src/minimize}"
: "${PYTHON3:=python3}"
here=$(cd "$(dirname "$0")" && pwd)
command -v "$PYTHON3" >/dev/null 2>&1 || { echo "python3 not installed: skipped"; exit 0; }
gp=$(command -v gnuplot 2>/dev/null || true)
exec "$PYTHON3" "$here/fit_sigma_compare.py" "$MINIMIZE" "$gp" "$here/../tests/cli/minimize-sigma.tsv"
