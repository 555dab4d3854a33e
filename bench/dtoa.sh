#!/bin/sh
# The number printer, CPU ns per value (bench/dtoa_bench.c): grad's shortest (Schubfach) and
# fixed-precision paths against the printers it replaced, printf("%.17g") and, when a C++
# compiler and fmt's headers (Debian: libfmt-dev) are there, fmt's Dragonbox.
# Environment: BUILDDIR (default .), CC, CXX (default c++), DTOA_N (values, default 1000000).
set -e
here=$(cd "$(dirname "$0")" && pwd)
B=${BUILDDIR:-.}
CC=${CC:-cc}
CXX=${CXX:-c++}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
extra= def=
if printf '#include <fmt/format.h>\nint main(void){return 0;}\n' |
  $CXX -x c++ - -o "$tmp/probe" -lfmt 2>/dev/null; then
  $CXX -O2 -c "$here/dtoa_fmt.cc" -o "$tmp/dtoa_fmt.o"
  extra="$tmp/dtoa_fmt.o -lfmt -lstdc++" def=-DHAVE_FMT
else
  echo "(no fmt: the Dragonbox row is left out; install libfmt-dev for it)"
fi
$CC -O2 $def -I"$here/../src/lib" "$here/dtoa_bench.c" "$here/dtoa_grisu.c" "$here/../src/lib/dtoa.c" \
  $extra -lm -o "$tmp/dtoa_bench"
"$tmp/dtoa_bench" "${DTOA_N:-1000000}"
