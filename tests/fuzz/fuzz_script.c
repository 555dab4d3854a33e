/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz target: session scripts. The input is a script for the interactive session's
 * command interpreter (grad -f FILE): it is written to an unnamed temporary file that
 * becomes standard input, and grad_repl reads it as a script ("-"). Scripts that name a
 * device or /proc path, or ask for too much work (see fuzz_too_costly), are not run.
 */
#include "fuzz.h"
#include "repl.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char fuzz_target[] = "script";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_init();
  static FILE *tmp;
  if (!tmp) {
    tmp = tmpfile();
    if (!tmp || dup2(fileno(tmp), STDIN_FILENO) < 0) {
      perror("fuzz_script: temporary file");
      abort();
    }
  }
  char *text = fuzz_str(data, size);
  if (fuzz_bad_path(text) || fuzz_too_costly(text)) {
    free(text);
    return 0;
  }
  size_t n = strlen(text);
  if (ftruncate(STDIN_FILENO, 0) != 0 || pwrite(STDIN_FILENO, text, n, 0) != (ssize_t)n) {
    perror("fuzz_script: temporary file");
    abort();
  }
  free(text);
  clearerr(stdin);
  if (fseek(stdin, 0, SEEK_SET) != 0) {
    perror("fuzz_script: rewind");
    abort();
  }
  optind = 0;
  (void)grad_repl("-", NULL, 0);
  return 0;
}
