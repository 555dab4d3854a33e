/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "gradprog.h"
int main(int argc, char **argv) { return gr_close_stdout("grad", grad_main(argc, argv)); }
