#!/bin/sh
# Run every benchmark script in this folder (bench/*.sh) except this dispatcher, then
# tables.sh, which runs table5.sh, dtoa.sh, tables_io.sh and parse.sh itself and sums them up
# in one table (so they are not run twice). QUICK=1: a short smoke run of tables.sh.
# make bench sets GRAD, MINIMIZE, PYTHON3, BUILDDIR, CC and GSL_LIBS.
here=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$here"/*.sh; do
  case $(basename "$b") in
  run.sh | tables.sh | table5.sh | dtoa.sh | tables_io.sh | parse.sh) continue ;;
  esac
  echo "== $(basename "$b")"
  sh "$b" || status=1
done
echo "== tables.sh"
sh "$here/tables.sh" || status=1
exit $status
