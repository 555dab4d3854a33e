/* SPDX-License-Identifier: GPL-3.0-or-later
 * The small pieces under everything: the arena (alignment, zeroed memory, blocks of their
 * own for large requests, release to a mark), the allocators' exit status 4 when memory
 * runs out, diagnostics (the caret under the offending text, cut to a window on long
 * lines; file:line:column for text read from a file) and number parsing.
 */
#include "arena.h"
#include "diag.h"
#include "num.h"
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Under AddressSanitizer a failed malloc returns NULL (as it does in a plain build) rather
 * than stopping the program: the allocators' own out-of-memory exit is under test. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

START_TEST(test_arena_alloc) {
  GrArena *a = gr_arena_new();
  ck_assert_uint_eq(a->total, 0);
  unsigned char *p = gr_arena_alloc(a, 3);
  ck_assert_uint_eq((uintptr_t)p % 16, 0);
  ck_assert(p[0] == 0 && p[1] == 0 && p[2] == 0);
  memset(p, 0xff, 3);
  unsigned char *q = gr_arena_alloc(a, 5);
  ck_assert_uint_eq((uintptr_t)q % 16, 0);
  ck_assert_uint_eq(q - p, 16); /* rounded up to 16, the same block */
  ck_assert_uint_eq(a->total, 64 * 1024);
  /* a request larger than a block gets a block of exactly its size */
  unsigned char *big = gr_arena_alloc(a, 200 * 1024);
  ck_assert_uint_eq(a->total, 64 * 1024 + 200 * 1024);
  for (size_t i = 0; i < 200 * 1024; i += 4096)
    ck_assert_uint_eq(big[i], 0);
  /* past 1 MiB in all, new blocks are 1 MiB */
  gr_arena_alloc(a, 900 * 1024);
  size_t before = a->total;
  gr_arena_alloc(a, 16);
  ck_assert_uint_eq(a->total, before + 1024 * 1024);
  gr_arena_free(a);
  gr_arena_free(NULL);
}
END_TEST

START_TEST(test_arena_release) {
  GrArena *a = gr_arena_new();
  GrArenaMark empty = gr_arena_mark(a);
  ck_assert_ptr_null(empty.block);
  char *s = gr_arena_strdup(a, "hello");
  ck_assert_str_eq(s, "hello");
  ck_assert_str_eq(gr_arena_strndup(a, "world!", 5), "world");
  GrArenaMark m = gr_arena_mark(a);
  size_t total = a->total;
  char *t = gr_arena_alloc(a, 32);
  gr_arena_alloc(a, 300 * 1024); /* a block of its own, freed by the release */
  gr_arena_alloc(a, 70 * 1024);
  ck_assert_uint_gt(a->total, total);
  gr_arena_release(a, m);
  ck_assert_uint_eq(a->total, total);
  ck_assert_str_eq(s, "hello"); /* what was allocated before the mark stays */
  /* the space after the mark is handed out again, zeroed */
  memset(t, 'x', 32);
  char *t2 = gr_arena_alloc(a, 32);
  ck_assert_ptr_eq(t, t2);
  ck_assert_int_eq(t2[0], 0);
  gr_arena_release(a, empty);
  ck_assert_uint_eq(a->total, 0);
  ck_assert_ptr_null(a->head);
  gr_arena_free(a);
}
END_TEST

START_TEST(test_xalloc) {
  /* size 0 is a valid, freeable allocation */
  void *p = gr_xmalloc(0), *q = gr_xcalloc(0, 8), *r = gr_xcalloc(8, 0);
  ck_assert(p && q && r);
  p = gr_xrealloc(p, 0);
  ck_assert_ptr_nonnull(p);
  char *s = gr_xstrdup("abc");
  ck_assert_str_eq(s, "abc");
  free(p);
  free(q);
  free(r);
  free(s);
}
END_TEST

/* out of memory: "grad: fatal: out of memory", exit 4 (DESIGN.md) */
START_TEST(test_xmalloc_oom) { gr_xmalloc(SIZE_MAX / 2); }
END_TEST
START_TEST(test_xcalloc_oom) { gr_xcalloc(SIZE_MAX / 16, 4); }
END_TEST
static void *volatile kept; /* still reachable at the exit (a failed realloc keeps the block) */
START_TEST(test_xrealloc_oom) {
  kept = gr_xmalloc(8);
  gr_xrealloc(kept, SIZE_MAX / 2);
}
END_TEST

/* what gr_diag_render writes for d over src */
static char *render(const GrDiag *d, const char *src) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  ck_assert_ptr_nonnull(f);
  gr_diag_render(f, "grad", d, src);
  fclose(f);
  return buf;
}

START_TEST(test_caret) {
  GrDiag d;
  ck_assert_int_eq(gr_diag_span(&d, GR_EUSAGE, 4, 3, "unknown function '%s'", "sn"), GR_EUSAGE);
  char *out = render(&d, "1 + sn(x)");
  ck_assert_str_eq(out, "grad: error: unknown function 'sn'\n  1 + sn(x)\n      ^~~\n");
  free(out);
  /* the line of a multi-line source that holds the offset, nothing of the others */
  gr_diag_span(&d, GR_EUSAGE, 8, 0, "here");
  out = render(&d, "a = 1\nb = ?\nc = 3");
  ck_assert_str_eq(out, "grad: error: here\n  b = ?\n    ^\n");
  free(out);
  /* without a span: the message alone, even with a source */
  ck_assert_int_eq(gr_diag_set(&d, GR_EUSAGE, "bad %d", 7), GR_EUSAGE);
  out = render(&d, "x");
  ck_assert_str_eq(out, "grad: error: bad 7\n");
  free(out);
  /* NULL diagnostics are allowed: only the status comes back */
  ck_assert_int_eq(gr_diag_set(NULL, GR_EIO, "x"), GR_EIO);
  ck_assert_int_eq(gr_diag_span(NULL, GR_EIO, 0, 0, "x"), GR_EIO);
}
END_TEST

START_TEST(test_caret_long_line) {
  char src[301];
  for (int i = 0; i < 300; i++)
    src[i] = (char)('a' + i % 26);
  src[300] = 0;
  GrDiag d;
  /* 40 characters before the offset are kept, the line is cut at 100 characters, and
   * "..." marks each cut; the caret stays under the offset */
  gr_diag_span(&d, GR_EUSAGE, 150, 2, "m");
  char *out = render(&d, src);
  char want[512];
  snprintf(want, sizeof want, "grad: error: m\n  ...%.100s...\n  %43s^~\n", src + 110, "");
  ck_assert_str_eq(out, want);
  free(out);
  /* a span running past the window is cut at its end */
  gr_diag_span(&d, GR_EUSAGE, 150, 200, "m");
  out = render(&d, src);
  snprintf(want, sizeof want, "grad: error: m\n  ...%.100s...\n  %43s^%.59s\n", src + 110, "",
           "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~");
  ck_assert_str_eq(out, want);
  free(out);
  /* an offset past the end points just after the text */
  gr_diag_span(&d, GR_EUSAGE, 999, 1, "m");
  out = render(&d, "ab");
  ck_assert_str_eq(out, "grad: error: m\n  ab\n    ^\n");
  free(out);
}
END_TEST

START_TEST(test_where) {
  GrDiag d;
  /* statement text "y = (1+" read from line 3 of f.txt, indented by two */
  gr_diag_where("f.txt", 3, "  y = (1+");
  gr_diag_span(&d, GR_EUSAGE, 7, 1, "unexpected end");
  char *out = render(&d, "y = (1+");
  ck_assert_str_eq(out, "grad: error: f.txt:3:10: unexpected end\n  y = (1+\n         ^\n");
  free(out);
  gr_diag_set(&d, GR_EUSAGE, "no span");
  out = render(&d, "y = (1+");
  ck_assert_str_eq(out, "grad: error: f.txt:3: no span\n");
  free(out);
  gr_diag_where(NULL, 0, NULL);
  out = render(&d, "y");
  ck_assert_str_eq(out, "grad: error: no span\n");
  free(out);
}
END_TEST

START_TEST(test_warn_span) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  gr_warn_span(f, "grad", "abs(x)", 0, 3, "kink of %s at %g", "abs", 0.0);
  gr_warn_span(f, "grad", NULL, 0, 0, "no source");
  fclose(f);
  ck_assert_str_eq(buf, "grad: warning: kink of abs at 0\n  abs(x)\n  ^~~\n"
                        "grad: warning: no source\n");
  free(buf);
}
END_TEST

START_TEST(test_numbers) {
  double v = 0;
  ck_assert_int_eq(gr_parse_double("2.5e-3", &v), 0);
  ck_assert(v == 2.5e-3);
  ck_assert_int_eq(gr_parse_double("", &v), -1);
  ck_assert_int_eq(gr_parse_double("1x", &v), -1);
  ck_assert_int_eq(gr_parse_double("-inf", &v), 0);
  ck_assert(v < 0 && v * 0 != 0);
  char buf[40];
  ck_assert_int_eq(gr_fmt(buf, 0.1, 0), 3);
  ck_assert_str_eq(buf, "0.1");
  gr_fmt(buf, 2.0 / 3, 3);
  ck_assert_str_eq(buf, "0.667");
}
END_TEST

int main(void) {
  Suite *s = suite_create("base");
  TCase *tc = tcase_create("base");
  tcase_add_test(tc, test_arena_alloc);
  tcase_add_test(tc, test_arena_release);
  tcase_add_test(tc, test_xalloc);
  tcase_add_exit_test(tc, test_xmalloc_oom, 4);
  tcase_add_exit_test(tc, test_xcalloc_oom, 4);
  tcase_add_exit_test(tc, test_xrealloc_oom, 4);
  tcase_add_test(tc, test_caret);
  tcase_add_test(tc, test_caret_long_line);
  tcase_add_test(tc, test_where);
  tcase_add_test(tc, test_warn_span);
  tcase_add_test(tc, test_numbers);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
