#!/bin/sh
# <grad.h> compiles alone in a C99 and a C++11 program with every warning as an error, and
# the shared library exports only the grad_ functions (nm -D).
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
cat >"$tmp/t.c" <<'X'
#include <grad.h>
#include <stdlib.h>
int main(void) {
  grad_error err;
  grad_expr *e = grad_compile("x^2", &err);
  double x = 3, v, g;
  int st = e ? grad_eval(e, &x, &v, &g) : err.code;
  grad_expr_free(e);
  return st != GRAD_OK || v != 9 || g != 6 ? EXIT_FAILURE : EXIT_SUCCESS;
}
X
cp "$tmp/t.c" "$tmp/t.cc"
$CC -std=c99 -Wall -Wextra -pedantic -Werror -I"$SRCDIR/src/lib" -c "$tmp/t.c" -o "$tmp/c.o" ||
  { echo "FAIL: grad.h as C99"; fail=1; }
if $CXX --version >/dev/null 2>&1; then
  $CXX -std=c++11 -Wall -Wextra -pedantic -Werror -I"$SRCDIR/src/lib" -c "$tmp/t.cc" -o "$tmp/cc.o" ||
    { echo "FAIL: grad.h as C++11"; fail=1; }
  # SAN_FLAGS: the sanitizers libgrad.so was built with (their runtime must come first)
  if $CXX ${SAN_FLAGS:-} "$tmp/cc.o" -o "$tmp/cc" -L"$(dirname "$LIBGRAD_SO")" -lgrad; then
    LD_LIBRARY_PATH="$(dirname "$LIBGRAD_SO")" "$tmp/cc" || { echo "FAIL: the C++ program"; fail=1; }
  else
    echo "FAIL: linking the C++ program with libgrad"; fail=1
  fi
else
  echo "SKIP: no C++ compiler ($CXX)"
fi
if [ -f "$LIBGRAD_SO" ]; then
  nm -D --defined-only "$LIBGRAD_SO" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' >"$tmp/syms"
  grep -q '^grad_compile$' "$tmp/syms" || { echo "FAIL: grad_compile not exported"; fail=1; }
  if grep -v '^grad_' "$tmp/syms"; then echo "FAIL: exported symbols above are not grad_"; fail=1; fi
else
  echo "SKIP: no shared library ($LIBGRAD_SO)"
fi
[ $fail = 0 ] && echo "PASS: grad.h as C99 and C++11, exports: $(wc -l <"$tmp/syms") grad_ symbols"
exit $fail
