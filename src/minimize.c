/* SPDX-License-Identifier: MIT
 * minimize: placeholder entry point until the optimizer driver lands.
 */
#include "config.h"
#include <stdio.h>
int main(void) {
  fputs("minimize: error: not built yet\n", stderr);
  return 2;
}
