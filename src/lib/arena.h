/* SPDX-License-Identifier: GPL-3.0-or-later
 * GrArena: a bump allocator. Everything of one parsed expression (nodes, names, derivative
 * trees, diagnostic strings) lives in one arena and is released at once by gr_arena_free;
 * nothing allocated from an arena is ever freed individually.
 */
#ifndef GR_ARENA_H
#define GR_ARENA_H
#include <setjmp.h>
#include <stddef.h>

typedef struct GrArenaBlock GrArenaBlock;
typedef struct GrArena {
  GrArenaBlock *head;
  size_t total;
} GrArena;

typedef struct GrArenaMark {
  GrArenaBlock *block;
  size_t used;
} GrArenaMark;

GrArena *gr_arena_new(void);
void gr_arena_free(GrArena *a); /* NULL-safe */
/* Zeroed, 16-byte aligned memory that lives as long as the arena. */
void *gr_arena_alloc(GrArena *a, size_t size);
/* Zeroed memory aligned to align (a power of two up to 16): small objects packed closer. */
void *gr_arena_alloc_align(GrArena *a, size_t size, size_t align);
char *gr_arena_strdup(GrArena *a, const char *s);
char *gr_arena_strndup(GrArena *a, const char *s, size_t n);
GrArenaMark gr_arena_mark(GrArena *a);
void gr_arena_release(GrArena *a, GrArenaMark m);

/* The single out-of-memory choke point. When the calling thread has set gr_oom_jmp (the
 * library's entry points do, src/lib/api.c), it longjmps there; otherwise (the programs)
 * prints "grad: fatal: out of memory" and exits 4. */
extern _Thread_local jmp_buf *gr_oom_jmp;
_Noreturn void gr_oom(const char *what);
void *gr_xmalloc(size_t size);
void *gr_xcalloc(size_t n, size_t size);
void *gr_xrealloc(void *p, size_t size);
char *gr_xstrdup(const char *s);

#endif
