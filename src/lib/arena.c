/* SPDX-License-Identifier: GPL-3.0-or-later
 * Bump allocator in growing blocks; large requests get a block of their own.
 */
#include "arena.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct GrArenaBlock {
  GrArenaBlock *prev;
  size_t size, used;
  /* payload follows, 16-byte aligned */
  _Alignas(16) unsigned char data[];
};

_Thread_local jmp_buf *gr_oom_jmp;

void gr_oom(const char *what) {
  if (gr_oom_jmp)
    longjmp(*gr_oom_jmp, 1);
  fprintf(stderr, "grad: fatal: out of memory%s%s%s\n", what ? " (" : "", what ? what : "",
          what ? ")" : "");
  exit(4);
}

void *gr_xmalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p)
    gr_oom(NULL);
  return p;
}

void *gr_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    gr_oom(NULL);
  return p;
}

void *gr_xrealloc(void *p, size_t size) {
  void *q = realloc(p, size ? size : 1);
  if (!q)
    gr_oom(NULL);
  return q;
}

char *gr_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(gr_xmalloc(n), s, n);
}

GrArena *gr_arena_new(void) {
  return gr_xcalloc(1, sizeof(GrArena));
}

void gr_arena_free(GrArena *a) {
  if (!a)
    return;
  GrArenaBlock *b = a->head;
  while (b) {
    GrArenaBlock *p = b->prev;
    free(b);
    b = p;
  }
  free(a);
}

/* size bytes at a multiple of align (1 or 16) in the current block, or a new one */
static void *bump(GrArena *a, size_t size, size_t align) {
  GrArenaBlock *b = a->head;
  size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
  if (b && at <= b->size && b->size - at >= size)
    b->used = at;
  else {
    size_t bs = 64 * 1024;
    if (a->total > 1024 * 1024)
      bs = 1024 * 1024;
    if (bs < size)
      bs = (size + 15) & ~(size_t)15;
    b = gr_xmalloc(sizeof(GrArenaBlock) + bs);
    b->size = bs;
    b->used = 0;
    b->prev = a->head;
    a->head = b;
    a->total += bs;
  }
  void *p = b->data + b->used;
  b->used += size;
  return p;
}

void *gr_arena_alloc(GrArena *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  return memset(bump(a, size, 16), 0, size);
}

void *gr_arena_alloc_align(GrArena *a, size_t size, size_t align) {
  size = (size + align - 1) & ~(align - 1);
  return memset(bump(a, size, align), 0, size);
}

/* strings need no alignment: packed, a name of 7 letters costs 8 bytes, not 16 */
char *gr_arena_strndup(GrArena *a, const char *s, size_t n) {
  char *p = bump(a, n + 1, 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *gr_arena_strdup(GrArena *a, const char *s) {
  return gr_arena_strndup(a, s, strlen(s));
}

GrArenaMark gr_arena_mark(GrArena *a) {
  GrArenaMark m = {a->head, a->head ? a->head->used : 0};
  return m;
}

void gr_arena_release(GrArena *a, GrArenaMark m) {
  while (a->head && a->head != m.block) {
    GrArenaBlock *p = a->head->prev;
    a->total -= a->head->size;
    free(a->head);
    a->head = p;
  }
  if (a->head)
    a->head->used = m.used;
}
