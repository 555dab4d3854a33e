#!/bin/sh
# Output people read has no trailing blanks: no expected stdout or stderr of a golden CLI
# case or of an example ends a line with a space or tab. (*.grep files are patterns, not output.) The caret
# line under an empty expression is the one known exception.
LC_ALL=C
export LC_ALL
: "${srcdir:=.}"
fail=0
for f in "$srcdir"/tests/cli/*.out "$srcdir"/tests/cli/*.err "$srcdir"/examples/*.out; do
  case ${f##*/} in
    grad-stdin-empty.err | grad-empty-expr.err) continue ;;
  esac
  if grep -n '[[:blank:]]$' "$f" >/dev/null; then
    grep -n '[[:blank:]]$' "$f" | sed "s|^|${f##*/}:|; s|\$|<|"
    fail=1
  fi
done
[ $fail -eq 0 ] || echo "golden-whitespace: lines ending in blanks (marked <) above"
exit $fail
