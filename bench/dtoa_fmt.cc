// SPDX-License-Identifier: GPL-3.0-or-later
// fmt's shortest round-trip printer (Dragonbox) for bench/dtoa_bench.c, when libfmt is there.
#include <fmt/format.h>
extern "C" int fmt_shortest(double v, char *out);
extern "C" int fmt_shortest(double v, char *out) {
  return (int)(fmt::format_to(out, "{}", v) - out);
}
