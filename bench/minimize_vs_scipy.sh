#!/bin/sh
# minimize's default method against scipy's BFGS on Rosenbrock, Beale, Booth, Himmelblau
# and a 10-variable extended Rosenbrock: iterations, final f, distance to the minimizer.
# Runs scipy only when it is installed; not part of make check.
: "${MINIMIZE:=src/minimize}"
: "${PYTHON3:=python3}"
here=$(cd "$(dirname "$0")" && pwd)
command -v "$PYTHON3" >/dev/null 2>&1 || { echo "python3 not installed: skipped"; exit 0; }
exec "$PYTHON3" "$here/minimize_vs_scipy.py" "$MINIMIZE"
