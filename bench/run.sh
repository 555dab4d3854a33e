#!/bin/sh
# Run every benchmark script in this folder (bench/*.sh) except this dispatcher.
# make bench sets GRAD, MINIMIZE, PYTHON3, BUILDDIR, CC and GSL_LIBS.
here=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$here"/*.sh; do
  [ "$(basename "$b")" = run.sh ] && continue
  echo "== $(basename "$b")"
  sh "$b" || status=1
done
exit $status
