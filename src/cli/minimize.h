/* SPDX-License-Identifier: GPL-3.0-or-later
 * The minimize program as a library function, so that the interactive session can run it
 * with a built argv: it never exits, resets getopt, frees what it allocates, and returns
 * the exit status (0 ok, 1 numeric trouble, 2 usage, 3 input/output, 130 interrupted).
 */
#ifndef MINIMIZE_H
#define MINIMIZE_H

int minimize_main(int argc, char **argv);

#endif
