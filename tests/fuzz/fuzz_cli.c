/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz target: command lines of grad and minimize. The input has the form of the golden
 * cases' NAME.args files: the first line names the program (grad or minimize), every
 * further line is one argument. grad_main or minimize_main runs it with standard input
 * from /dev/null and standard output to /dev/null. Relative file names are read from the
 * current directory (tests/cli when run by make, for its data files).
 *
 * Not run: other first lines, more than 64 arguments, arguments that name a device or
 * /proc path, command lines that ask for too much work (fuzz_too_costly). --plot finds no
 * gnuplot (fuzz.h), so no program is started and no file written.
 */
#include "fuzz.h"
#include "gradprog.h"
#include "repl.h"
#include "minimize.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

const char fuzz_target[] = "cli";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  grad_session = grad_repl; /* as grad's main does */
  fuzz_init();
  char *text = fuzz_str(data, size);
  char *argv[MAX_ARGS + 2];
  int argc = 0;
  if (fuzz_bad_path(text) || fuzz_too_costly(text))
    goto out;
  for (char *p = text, *line; p; p = line) {
    line = strchr(p, '\n');
    if (line)
      *line++ = 0;
    if (!line && !*p && argc > 0)
      break; /* the final newline ends the last argument */
    if (argc == MAX_ARGS + 1)
      goto out;
    argv[argc++] = p;
  }
  argv[argc] = NULL;
  if (argc == 0)
    goto out;
  optind = 0;
  if (!strcmp(argv[0], "grad"))
    (void)grad_main(argc, argv);
  else if (!strcmp(argv[0], "minimize"))
    (void)minimize_main(argc, argv);
out:
  free(text);
  return 0;
}
