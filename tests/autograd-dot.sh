#!/bin/sh
# grad --dot: the structure of the DOT text (nodes, edges, labels with values and adjoints
# that PyTorch gives: x.grad = -5.466781571308061, u.grad = -0.9111302618846769 for
# u = x*x; sin(u) at x = 3), and, when Graphviz is installed, that dot parses it.
LC_ALL=C
export LC_ALL
GRAD=${GRAD:-src/grad}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, command...
  d=$1
  shift
  if "$@"; then :; else echo "FAIL: $d"; fail=1; fi
}
"$GRAD" 'u = x*x; sin(u)' --at x=3 --dot >"$tmp/a.dot" 2>"$tmp/err" || { echo "FAIL: grad --dot exit status $?"; cat "$tmp/err"; exit 1; }
"$GRAD" 'sum(detach(x*x)*x)' --at 'x=[0,1,2,3]' --dot >"$tmp/b.dot" 2>>"$tmp/err" || { echo "FAIL: grad --dot (detach)"; exit 1; }
check "no diagnostics" test ! -s "$tmp/err"
check "starts with digraph" test "$(head -n 1 "$tmp/a.dot")" = "digraph grad {"
check "ends with }" test "$(tail -n 1 "$tmp/a.dot")" = "}"
check "4 nodes" test "$(grep -c '^  n[0-9]* \[label=' "$tmp/a.dot")" = 4
check "4 edges (x*x uses x twice)" test "$(grep -c '^  n[0-9]* -> n[0-9]*' "$tmp/a.dot")" = 4
check "x with its value and adjoint" grep -q 'n0 \[label="var x\\nvalue 3\\nadjoint -5.46678"' "$tmp/a.dot"
check "u with its adjoint" grep -q 'label="let u\\nvalue 9\\nadjoint -0.91113"' "$tmp/a.dot"
check "the output is marked" grep -q 'label="sin\\nvalue 0.412118\\nadjoint 1", peripheries=2' "$tmp/a.dot"
# every edge joins declared nodes
for f in a b; do
  sed -n 's/^  \(n[0-9]*\) \[label=.*/\1/p' "$tmp/$f.dot" | sort >"$tmp/nodes"
  sed -n 's/^  \(n[0-9]*\) -> \(n[0-9]*\).*/\1\n\2/p' "$tmp/$f.dot" | sort -u >"$tmp/ends"
  check "edges of $f.dot join declared nodes" test -z "$(comm -13 "$tmp/nodes" "$tmp/ends")"
done
check "detach has no adjoint" grep -q 'label="detach\\nvalue \[0, 1, 4, 9\]", style=dashed' "$tmp/b.dot"
check "no gradient flows into detach" grep -q 'n1 -> n2 \[style=dotted\]' "$tmp/b.dot"
check "x's adjoint is [0, 1, 4, 9]" grep -q 'adjoint \[0, 1, 4, 9\]", shape=ellipse' "$tmp/b.dot"
if command -v dot >/dev/null 2>&1; then
  for f in a b; do
    check "dot -Tsvg parses $f.dot" dot -Tsvg "$tmp/$f.dot" -o "$tmp/$f.svg"
    check "dot -Tsvg wrote an SVG for $f.dot" grep -q '<svg' "$tmp/$f.svg"
  done
else
  echo "SKIP: graphviz (dot) is not installed; checked the DOT text only"
fi
[ $fail = 0 ] && echo "PASS: grad --dot"
exit $fail
