/* SPDX-License-Identifier: MIT
 * Autograd extras: Jacobians by reverse mode, forward mode and central differences agree on
 * random vector expressions; vjp = v^T J; jvp = J v; intermediates' columns; detach.
 */
#include "graph.h"
#include "jacobian.h"
#include "parse.h"
#include "tape.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(placeholder) { ck_assert_int_eq(1, 1); }
END_TEST

int main(void) {
  Suite *s = suite_create("autograd");
  TCase *tc = tcase_create("jacobian");
  tcase_add_test(tc, placeholder);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? 1 : 0;
}
