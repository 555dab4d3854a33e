/* SPDX-License-Identifier: GPL-3.0-or-later
 * Replay driver: a main() that feeds every file named on the command line (a folder: each
 * file in it, in name order, skipping README and dot files) to the fuzz target's
 * LLVMFuzzerTestOneInput, once. Linked with each target in every build, so that `make
 * check` runs the regression and seed corpora with the build's compiler and sanitizers: a
 * crash, a sanitizer report or an abort fails the test. Without arguments it replays the
 * target's own corpora (see run_default).
 */
#include "fuzz.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long ninputs;

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
    return 3;
  }
  size_t cap = 4096, n = 0;
  unsigned char *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap)
      buf = realloc(buf, cap *= 2);
  }
  int err = !buf || ferror(f);
  fclose(f);
  if (err) {
    fprintf(stderr, "replay: cannot read '%s'\n", path);
    free(buf);
    return 3;
  }
  fprintf(stderr, "replay: %s\n", path);
  /* a copy of exactly n bytes, so that reading past the input is caught as with libFuzzer */
  unsigned char *in = malloc(n ? n : 1);
  memcpy(in, buf, n);
  free(buf);
  LLVMFuzzerTestOneInput(in, n);
  free(in);
  ninputs++;
  return 0;
}

static int skip(const char *name) { return name[0] == '.' || !strncmp(name, "README", 6); }

static int run_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
    return 3;
  }
  if (!S_ISDIR(st.st_mode))
    return run_file(path);
  struct dirent **ents;
  int n = scandir(path, &ents, NULL, alphasort), rc = 0;
  if (n < 0) {
    fprintf(stderr, "replay: cannot list '%s': %s\n", path, strerror(errno));
    return 3;
  }
  for (int i = 0; i < n; i++) {
    if (!rc && !skip(ents[i]->d_name)) {
      size_t L = strlen(path) + strlen(ents[i]->d_name) + 2;
      char *full = malloc(L);
      snprintf(full, L, "%s/%s", path, ents[i]->d_name);
      rc = run_path(full);
      free(full);
    }
    free(ents[i]);
  }
  free(ents);
  return rc;
}

/* No arguments (make check): $srcdir/tests/fuzz/regression/NAME and seeds/NAME, run in
 * $srcdir/tests/cli (where command lines and scripts find the data files they name). */
static int run_default(void) {
  const char *sd = getenv("srcdir");
  char *top = realpath(sd && *sd ? sd : ".", NULL);
  if (!top) {
    fprintf(stderr, "replay: cannot find the source folder '%s'\n", sd ? sd : ".");
    return 3;
  }
  size_t L = strlen(top) + strlen(fuzz_target) + 64;
  char *reg = malloc(L), *seeds = malloc(L), *cli = malloc(L);
  snprintf(reg, L, "%s/tests/fuzz/regression/%s", top, fuzz_target);
  snprintf(seeds, L, "%s/tests/fuzz/seeds/%s", top, fuzz_target);
  snprintf(cli, L, "%s/tests/cli", top);
  int rc = 0;
  if (chdir(cli) != 0) {
    fprintf(stderr, "replay: cannot enter '%s': %s\n", cli, strerror(errno));
    rc = 3;
  }
  if (!rc)
    rc = run_path(reg);
  if (!rc)
    rc = run_path(seeds);
  free(reg);
  free(seeds);
  free(cli);
  free(top);
  return rc;
}

int main(int argc, char **argv) {
  fuzz_init();
  if (argc < 2) {
    int rc = run_default();
    if (rc)
      return rc;
  }
  for (int i = 1; i < argc; i++) {
    int rc = run_path(argv[i]);
    if (rc)
      return rc;
  }
  fprintf(stderr, "replay: %ld inputs, no crash\n", ninputs);
  return 0;
}
