/* SPDX-License-Identifier: GPL-3.0-or-later
 * Runs a command and prints "CPU WALL" on stderr: its user + system seconds (from wait4's
 * rusage, to the microsecond, where GNU time prints hundredths) and the wall seconds.
 * Exits with the command's status. Usage: cputime COMMAND [ARG...]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2)
    return fprintf(stderr, "usage: cputime COMMAND [ARG...]\n"), 2;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0)
    return perror("cputime: fork"), 2;
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    perror("cputime: exec");
    _exit(127);
  }
  int st;
  struct rusage ru;
  if (wait4(pid, &st, 0, &ru) < 0)
    return perror("cputime: wait4"), 2;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  fprintf(stderr, "%.4f %.4f\n", cpu, wall);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
