/* SPDX-License-Identifier: GPL-3.0-or-later
 * GrTape: the DAG compiled to flat arrays, one slot per reachable node in topological
 * order. Every slot holds a block of len[i] doubles: a scalar is a block of one, a vector
 * variable or a batch of points is a longer block, and elementwise ops broadcast blocks of
 * one. Sweeps are loops over instructions with a tight loop over each block; nothing walks
 * a tree at evaluation time. The tape owns its arrays (gr_tape_free) and refers to the
 * graph's nodes (gr_tape_node) only for diagnostics: free the graph after the tape.
 */
#ifndef GR_TAPE_H
#define GR_TAPE_H
#include "diag.h"
#include "graph.h"

/* How many partial sums a block's reduction into a block of one keeps (see tape.c). */
#define GR_LANES 8
/* Before a loop over the GR_LANES accumulators: unrolled whole, they stay in registers
 * (a loop over them kept them in memory, each row waiting on the last row's store). */
#if defined(__clang__)
#define GR_UNROLL_LANES _Pragma("unroll 8")
#elif defined(__GNUC__) && __GNUC__ >= 8
#define GR_UNROLL_LANES _Pragma("GCC unroll 8")
#else
#define GR_UNROLL_LANES
#endif
/* The GR_LANES partial sums added up, in lane order: every reduction into a block of one
 * ends so (the whole sweep, the strips' finish, a fit's loss), whence the same bits. */
static inline double gr_lanes_sum(const double *acc) {
  double s = acc[0];
  for (size_t l = 1; l < GR_LANES; l++)
    s += acc[l];
  return s;
}

/* The two sweeps that tabulation and fits run over blocks (tape.c), and a fit's loop over the
 * strips of a block (optim.c), are also compiled for AVX2 and for x86-64-v4 (AVX-512; picked
 * at load time, through glibc's ifunc, where the CPU has it): two and four times the lanes,
 * the same IEEE results. AVX-512 brings FMA instructions, so the build passes
 * -ffp-contract=off (configure.ac): no product is ever fused with a sum, in any clone. GCC
 * before 11 knows no x86-64-v4: AVX2 alone there. Not without optimisation (-O0, as in
 * coverage builds): nothing is vectorised there, and gcov would count every branch of both
 * sweeps twice, once in a clone that the CPU never runs. */
#if defined(GR_SWEEP_TARGET)
/* One variant alone, for testing each clone on a processor that would pick another: built
 * with -DGR_SWEEP_TARGET=avx2 (or =arch=x86-64, the baseline the default clone is compiled
 * for), the sweeps are that clone's code and nothing else. .ci/run builds both and runs the
 * sweep tests, which compare the sweeps bit for bit with the one-point evaluator. */
#define GR_SWEEP_STR_(x) #x
#define GR_SWEEP_STR(x) GR_SWEEP_STR_(x)
#define GR_SWEEP_CLONES __attribute__((target(GR_SWEEP_STR(GR_SWEEP_TARGET))))
#elif defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) &&     \
    defined(__OPTIMIZE__) && __GNUC__ >= 11
#define GR_SWEEP_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#elif defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) &&       \
    defined(__OPTIMIZE__)
#define GR_SWEEP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GR_SWEEP_CLONES
#endif

typedef struct GrInstr {
  uint16_t op;
  uint8_t nargs;
  uint8_t need; /* this slot depends on a variable through differentiable ops */
  uint32_t a, b, c;
} GrInstr;

/* A large input costs a few slots a term: per-slot arrays are kept narrow. Offsets and
 * lengths are 32-bit (gr_tape_compile refuses a tape of 2^32 values or more, which would
 * need 64 GB for its values and adjoints alone); read them through gr_tape_off and
 * gr_tape_len (a tape of blocks of one has neither array). */
typedef uint32_t GrTapeIdx;

typedef struct GrTape {
  size_t n; /* slots */
  GrInstr *ins;
  /* per slot: where its block starts in val (adj, tan, tadj) and its length; read them
   * through gr_tape_off and gr_tape_len. NULL, both, on a tape of blocks of one (slot s's
   * value is val[s]): a large scalar input then saves 8 bytes a slot. */
  GrTapeIdx *off, *len;
  double *val, *adj; /* values and adjoints, nvals each */
  double **vp; /* per slot: where its values are (val + off, or a bound column); NULL, and
                  every slot's values at val + off, until gr_tape_bind binds a column */
  unsigned char *touch; /* per slot: a reverse sweep may write its adjoint (cleared each sweep) */
  double *tan, *tadj; /* tangents and their adjoints (forward mode); NULL until used */
  double *spare;      /* nvals doubles that gr_tape_drop_adjoints kept, for the next of adj, tan
                         and tadj to be allocated (NULL: none) */
  double *lanes; /* strip sweeps: GR_LANES sums per instruction and argument; NULL until used */
  /* strip sweeps (NULL until used): gp[s], where slot s's adjoint is for this strip when it is
   * its one consumer's adjoint as is (see tape.c, "Shared adjoints"), else NULL; pass[s] says
   * whether slot s may be so (its one use passes the adjoint through unchanged) */
  double **gp;
  unsigned char *pass;
  size_t nvals;
  int nvars;
  long *var_slot; /* per graph variable: its slot, or -1 when the outputs do not use it */
  size_t nout;
  size_t *out_slot;
  /* slot <-> node, for diagnostics (gr_tape_node, gr_tape_slot): slots are the reachable
   * nodes in id order, so a bit per node id (set: on the tape) and the number of set bits
   * before each 64-bit word map both ways, at about 0.2 bytes a node instead of a pointer
   * a slot */
  const GrGraph *graph;
  uint64_t *on_tape;  /* bit id % 64 of word id / 64 */
  uint32_t *on_rank;  /* on_rank[w]: slots of the ids below 64 w; nwords + 1 entries */
  size_t nwords;
  size_t sweeps;  /* reverse + forward sweeps run so far (for --stats) */
  int vecmath;    /* vector math kernels in the block sweeps (vecmath.h; off by default) */
  /* per sin or cos block that needs an adjoint: the other function of its argument (cos
   * for sin, sin for cos), which the forward sweep gets from the same sincos call and the
   * reverse sweep uses as the partial; sc_ok: the last forward sweep filled them, which it
   * does only after a reverse sweep followed the forward sweep before it (sc_rev), so that
   * sweeps of values alone (tables without derivatives, line searches) pay for sin alone */
  double *sc;
  GrTapeIdx *sc_off; /* per slot: where its block starts in sc (NULL: no such block) */
  int sc_ok, sc_rev;
} GrTape;

/* Where slot s's block starts in val (and adj, tan, tadj), and its length. */
static inline size_t gr_tape_off(const GrTape *t, size_t s) { return t->off ? t->off[s] : s; }
static inline size_t gr_tape_len(const GrTape *t, size_t s) { return t->len ? t->len[s] : 1; }

/* Compile the nodes reachable from outs. var_len gives each graph variable's block length
 * (NULL: all 1). Fails (GR_EUSAGE, span of the node) on mismatched block lengths. */
GrStatus gr_tape_compile(const GrGraph *g, GrNode *const *outs, size_t nout, const size_t *var_len,
                         GrTape **tp, GrDiag *d);
void gr_tape_free(GrTape *t); /* NULL-safe */

/* Where variable v's values go (NULL when no output uses it); write them before forward. */
double *gr_tape_var(GrTape *t, int v);
size_t gr_tape_var_len(const GrTape *t, int v);
/* Read variable v's values from p (gr_tape_var_len(t, v) doubles, which must stay valid
 * and unchanged during the sweeps) instead of the tape's own block: a fit binds each data
 * column's rows in place, no copy. The sweeps never write a variable's values. p NULL:
 * the tape's own block again (what gr_tape_var writes). */
void gr_tape_bind(GrTape *t, int v, const double *p);
void gr_tape_forward(GrTape *t);
/* Values of output k (len gr_tape_out_len). */
const double *gr_tape_out(const GrTape *t, size_t k);
size_t gr_tape_out_len(const GrTape *t, size_t k);
/* One reverse sweep from output k seeded with `seed` (NULL: all ones). Afterwards
 * gr_tape_grad(t, v) holds d(seed . out_k)/d var v, for every variable at once. */
void gr_tape_reverse(GrTape *t, size_t k, const double *seed);
/* Drop the adjoints and their tangents (8 or 16 bytes a value) once the gradients have
 * been read, before a forward sweep allocates the tangents: a gradient checked by a
 * tangent sweep then never holds both arrays (one of them is kept, and becomes the
 * tangents or the next adjoints; the other is freed). Until the next gr_tape_reverse, which
 * allocates them again, gr_tape_grad and gr_tape_node_adj return NULL and
 * gr_tape_issues reports no non-finite derivative. */
void gr_tape_drop_adjoints(GrTape *t);
/* A reverse sweep in strips of rows, for a tape whose rows are apart (gr_tape_rows_apart):
 * compile it with the strip's length in place of the block's, and for each strip in order
 * (each but the last a multiple of GR_LANES rows long; rows never seeded may be left out),
 * gr_tape_forward then gr_tape_reverse_strip with that strip's seed; then
 * gr_tape_reverse_finish once. The adjoints of the blocks of one (the parameters) are then
 * those of one gr_tape_reverse over the whole block, bit for bit: the strips feed the same
 * GR_LANES partial sums, row k into sum k % GR_LANES, and the finish adds them in as the
 * whole sweep does. The rows' own adjoints are only those of the last strip. */
void gr_tape_reverse_strip(GrTape *t, size_t k, const double *seed);
void gr_tape_reverse_finish(GrTape *t, size_t k);
/* Whether the rows of a block are independent of each other for the sweeps (no reduction of
 * a block, no block of one that if() or let over a block passes an adjoint to), so that a
 * block can be swept in strips of rows. */
int gr_tape_rows_apart(const GrTape *t);
/* Adjoint of variable v after gr_tape_reverse (NULL if unused: the derivative is 0). */
const double *gr_tape_grad(const GrTape *t, int v);
/* Adjoint of the slot holding node n (NULL if n is not on the tape). */
const double *gr_tape_node_adj(const GrTape *t, const GrNode *n);
const double *gr_tape_node_val(const GrTape *t, const GrNode *n);
/* The slot of node n (-1: not on the tape), and the node of slot s (s < t->n). */
long gr_tape_slot(const GrTape *t, const GrNode *n);
GrNode *gr_tape_node(const GrTape *t, size_t s);
/* Forward mode: tangents from per-variable directions dir[v] (NULL entries: zero).
 * Needs values (gr_tape_forward first). Output tangents: gr_tape_out_tangent. */
void gr_tape_tangent(GrTape *t, const double *const *dir);
const double *gr_tape_out_tangent(const GrTape *t, size_t k);
/* Forward-over-reverse: after gr_tape_forward, gr_tape_tangent(dir) and gr_tape_reverse(k),
 * computes the directional derivative of the adjoints: gr_tape_hvp(t, v) = (H dir)_v. */
void gr_tape_reverse_tangent(GrTape *t, size_t k);
const double *gr_tape_hvp(const GrTape *t, int v);

/* Where the last sweeps met trouble: nodes evaluated at a kink (abs at 0, max tie, ...) and
 * nodes whose adjoint turned non-finite first. Returns how many were written to out. */
typedef struct GrTapeIssue {
  const GrNode *node;
  int kind;     /* 0: kink, 1: non-finite derivative, 2: a non-finite value starts here */
  double where; /* the argument value at the kink; for kind 2 the value itself */
} GrTapeIssue;
size_t gr_tape_issues(const GrTape *t, GrTapeIssue *out, size_t max);
/* Whether gr_tape_issues can report a kink at a GR_K_MATH op (its KINK column is not 0). */
int gr_tape_can_kink(int op);
/* No inf or NaN among v[0..n) (a loop that vectorises). */
int gr_all_finite(const double *v, size_t n);

#endif
