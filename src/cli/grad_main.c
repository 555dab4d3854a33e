/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "gradprog.h"
#include "repl.h"
int main(int argc, char **argv) {
  grad_session = grad_repl;
  return gr_close_stdout("grad", grad_main(argc, argv));
}
