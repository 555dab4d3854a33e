#!/bin/sh
# The installed library as a user sees it: `make install DESTDIR=$dest` done by the caller,
# then the examples compiled through pkg-config (shared, then static), run, and compared
# with grad and minimize; <grad.h> from the installed include folder; nm -D of the
# installed libgrad.so lists only grad_ symbols.
#   sh tests/lib-install.sh DESTDIR PREFIX-LIBDIR SRCDIR BUILDDIR
set -eu
dest=$1 libdir=$2 srcdir=$3 builddir=$4
LC_ALL=C
export LC_ALL
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PKG_CONFIG_PATH="$dest$libdir/pkgconfig"
PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
cflags=$(pkg-config --cflags grad)
libs=$(pkg-config --libs grad)
echo "pkg-config grad: $cflags $libs"
for p in gradient minimize; do
  ${CC:-cc} -std=c99 -Wall -Wextra -pedantic -Werror $cflags "$srcdir/examples/c/$p.c" -o "$tmp/$p" $libs
  ${CC:-cc} -std=c99 $cflags "$srcdir/examples/c/$p.c" -o "$tmp/$p-static" \
    $(pkg-config --static --libs grad | sed 's/-lgrad/-l:libgrad.a/')
done
mkdir "$tmp/c"
for p in gradient minimize; do
  cp "$tmp/$p" "$tmp/c/$p"
done
LD_LIBRARY_PATH="$dest$libdir" GRAD="$builddir/src/grad" MINIMIZE="$builddir/src/minimize" \
  LIB_EXAMPLES="$tmp/c" sh "$srcdir/tests/lib-examples.sh"
for p in gradient minimize; do
  cp "$tmp/$p-static" "$tmp/c/$p"
done
GRAD="$builddir/src/grad" MINIMIZE="$builddir/src/minimize" LIB_EXAMPLES="$tmp/c" \
  sh "$srcdir/tests/lib-examples.sh"
if ldd "$tmp/c/gradient" | grep -q libgrad; then echo "FAIL: the static example uses libgrad.so"; exit 1; fi
CC=${CC:-cc} CXX=${CXX:-c++} SRCDIR=$srcdir LIBGRAD_SO="$dest$libdir/libgrad.so" \
  sh "$srcdir/tests/lib-header.sh"
echo "PASS: the installed library"
