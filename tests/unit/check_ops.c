/* SPDX-License-Identifier: MIT */
#include "testutil.h"
static Suite *s_(void) { return suite_create("x"); }
TU_MAIN(s_)
