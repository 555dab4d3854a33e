# Sourced by the test scripts (. "$(dirname "$0")/testlib.sh"): the C locale, the programs
# under test ($GRAD, $MINIMIZE; make check sets them to the build's), a temporary folder
# $tmp removed on exit, and the pass/fail counters with their report.
LC_ALL=C
export LC_ALL
GRAD=${GRAD:-src/grad}
MINIMIZE=${MINIMIZE:-src/minimize}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
# ok: one check passed; bad MESSAGE: one failed, and says which
ok() { pass=$((pass + 1)); }
bad() {
  echo "FAIL: $*"
  fail=$((fail + 1))
}
# finish NAME: the counts, and the script's status (0 only when nothing failed)
finish() {
  echo "$1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  exit
}
