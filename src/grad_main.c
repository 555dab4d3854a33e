/* SPDX-License-Identifier: MIT */
#include "grad.h"
int main(int argc, char **argv) { return grad_main(argc, argv); }
