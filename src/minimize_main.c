/* SPDX-License-Identifier: MIT
 * minimize: entry point; everything else is minimize_main in the library. */
#include "minimize.h"
int main(int argc, char **argv) { return minimize_main(argc, argv); }
