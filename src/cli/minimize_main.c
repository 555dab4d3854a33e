/* SPDX-License-Identifier: GPL-3.0-or-later
 * minimize: entry point; everything else is minimize_main in the library. */
#include "cliutil.h"
#include "minimize.h"
int main(int argc, char **argv) { return gr_close_stdout("minimize", minimize_main(argc, argv)); }
