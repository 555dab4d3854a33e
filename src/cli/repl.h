/* SPDX-License-Identifier: GPL-3.0-or-later
 * The interactive session of grad (`grad` with no expression, or `grad -f FILE`). It keeps
 * definitions as source text and runs each command by building a program text and an argv
 * for grad_main or minimize_main, so it has no evaluation logic of its own.
 */
#ifndef GRAD_REPL_H
#define GRAD_REPL_H

/* Run a session. file: a script to run (NULL: standard input; "-": standard input read as
 * a script even on a terminal). On a terminal the session reads lines with GNU Readline
 * (prompt, history, completion) when built with it. extra[0..nextra): grad options given
 * on the command line, passed on to every grad command. Returns the exit status: 0, or for
 * a script (not a terminal) 2 when any command failed, 130 when interrupted, 3 when the
 * file cannot be read. */
int grad_repl(const char *file, char **extra, int nextra);

#endif
