/* Shared by the model engine's two files: the model and checks (mm_model.c), the operations (mm_ops.c). */
#ifndef TESTS_MM_MODEL_INTERNAL_H
#define TESTS_MM_MODEL_INTERNAL_H

#include "tests/mm_model.h"
#include "tests/ktest.h"
#include "tests/ktest_rand.h"
#include "kernel/compiler.h"
#include "kernel/setjmp.h"
#include "mm/mm_check.h"
#include "tests/mm_state.h"
#include "mm/page.h"

#define MODEL_MAX_OBJS  64      /* live objects at most */
#define MODEL_MAX_PAGES 64      /* pages of a vmap, sparse area or arena (a bit mask) */
#define MODEL_TRACE     8       /* operations shown with a failure */
#define MODEL_RECENT    8       /* freed ranges the purge checks */

enum mkind { MK_VMALLOC, MK_VMAP, MK_AREA, MK_SPARSE, MK_ARENA, MK_PAGES, MK_KMALLOC, MK_NR };

/*
 * What the model believes about one live object. Contents: page i holds
 * word(i) at offset 0 (written through the address the object is used
 * by, read through the direct map) and ~word(i) at offset 8 (written
 * through the direct map, read through the object's address). A kmalloc
 * object is filled with the low byte of its tag.
 */
struct mobj {
	enum mkind kind;
	bool live;
	bool read_only;                 /* vmap: PROT_KERNEL_RO */
	unsigned long addr;             /* first byte (kmalloc: the pointer; pages: direct map) */
	unsigned long nr_pages;         /* usable pages (kmalloc: 0) */
	unsigned long span;             /* bytes it takes: the area with its guard; kmalloc: size */
	unsigned long align;
	unsigned long flags;            /* VM_* or ARENA_* */
	unsigned areas;                 /* busy vmap areas it holds */
	unsigned order;                 /* pages: the block's order */
	u64 tag;
	u64 mapped;                     /* sparse, arena: bit i set if page i is mapped */
	bool lent;                      /* sparse: a range of the caller's area, never freed here */
	struct vm_struct *vm;
	struct arena *arena;
	struct page *page;              /* pages: the block */
	struct page *frames[MODEL_MAX_PAGES];   /* vmap, sparse: the engine's frames */
};

struct model {
	struct mobj objs[MODEL_MAX_OBJS];
	unsigned nr_live;
	const struct mm_model_config *cfg;
	struct ktest_rand rand;         /* the byte source when cfg->data is NULL */
	const u8 *p, *end;              /* the byte source otherwise */
	u8 bytes[40];                   /* what the running operation read */
	unsigned nr_bytes;
	unsigned long op;               /* index of the operation running */
	struct kjmp_buf bail;           /* where a broken check lands */
	bool failed;                    /* shared: a check broke, everything was released */
	unsigned long base_areas;       /* busy vmap areas before the run */
	unsigned long base_warnings;    /* warn_count() before the run */
	unsigned long warnings;         /* warning lines the operations were expected to print */
	unsigned long op_warnings;      /* warn_count() before the operation */
	unsigned expect_warnings;       /* lines the running operation must print */
	const char *warn_fn;            /* and the function they name */
	bool fail_next, failing;        /* failure injection armed / acting on this operation */
	unsigned long recent[MODEL_RECENT];     /* starts of the last vfree'd / vunmap'ed areas */
	unsigned nr_recent;
	struct ktest_capture cap;
	bool capturing;
	unsigned cap_lines;              /* lines captured before a pause */
	char capbuf[512];
	char trace[MODEL_TRACE][160];
};

/* --- the byte source (mm_model.c) --- */

/* The next byte of the input (0 past its end) or of the generator. */
u8 model_byte(struct model *m);

/* A number in [0, n) (n <= 65536): one byte, two if n > 256. */
unsigned long model_below(struct model *m, unsigned long n);

/* A number in [lo, hi]. */
unsigned long model_between(struct model *m, unsigned long lo, unsigned long hi);

/* True with about percent / 100 (one byte). */
bool model_chance(struct model *m, unsigned percent);

/* Other CPUs run models at the same time (mm_model.h, cfg->shared). */
static inline bool model_shared(const struct model *m)
{
	return m->cfg->shared;
}

/*
 * Shared mode skips a call that would print `lines` warnings: true (and
 * traced) if the operation must stop here.
 */
bool model_skip_warning(struct model *m, unsigned lines);

/* A tag for a new object: from the operation's index, no byte read. */
u64 model_tag(const struct model *m);

/* --- objects (mm_model.c) --- */

/* A free slot, zeroed, or NULL if the model is full. */
struct mobj *model_slot(struct model *m);

/* Makes a filled-in slot live; forgets a live object. */
void model_add(struct model *m, struct mobj *o);
void model_drop(struct model *m, struct mobj *o);

/* A live object of `kind` (MK_NR: any) for which `ok` (NULL: any) holds, picked by a byte; or NULL. */
struct mobj *model_pick(struct model *m, enum mkind kind, bool (*ok)(const struct mobj *o));

/* Bits [first, first + count) of a page mask. */
u64 model_mask(unsigned long first, unsigned long count);

/* The lowest `first` such that pages [first, first + count) of `o` are unmapped, or -1. */
long model_lowest_free_run(const struct mobj *o, unsigned long count);

/* Page i of `o` is mapped (vmalloc, vmap and pages: every page). */
bool model_page_mapped(const struct mobj *o, unsigned long i);

/* Remembers a freed range's start for the purge operation. */
void model_remember_freed(struct model *m, unsigned long addr);

/* --- reporting (mm_model.c) --- */

/* What the running operation is, for the trace printed with a failure. */
void model_trace(struct model *m, const char *fmt, ...) __printf(2, 3);

/* Reports a broken check and ends the run (abort, or back to mm_model_run). */
__noreturn void model_fail(struct model *m, const char *fmt, ...) __printf(2, 3);

#define MCHECK(m, cond, ...) do {                                       \
	if (unlikely(!(cond)))                                          \
		model_fail(m, __VA_ARGS__);                             \
} while (0)

/* Around a fault the operation takes on purpose: the fault catcher captures its report. */
void model_quiet_pause(struct model *m);
void model_quiet_resume(struct model *m);

/* The running operation must print exactly `lines` warning lines naming `fn`. */
void model_expect_warnings(struct model *m, unsigned lines, const char *fn);

/* --- checks (mm_model.c) --- */

/* Writes page i's words (through the object's address and the direct map) and reads them back. */
void model_tag_page(struct model *m, struct mobj *o, unsigned long i);

/* Page i is the frame `want` (if not NULL) and holds its words. */
void model_check_page(struct model *m, const struct mobj *o, unsigned long i, struct page *want);

/* A frame the engine owns still holds page i's words (read through the direct map). */
void model_check_frame(struct model *m, const struct mobj *o, unsigned long i);

/* Nothing is mapped at `va`, and the CPU agrees (the TLB was flushed). */
void model_check_gone(struct model *m, unsigned long va);

/* The page at `va` reads as zero. */
void model_check_zero(struct model *m, unsigned long va);

/* Every page of `o` holds what the model says; unmapped pages are unmapped. */
void model_verify(struct model *m, const struct mobj *o);

/* A new object is aligned, in its space, overlapping nothing live. */
void model_check_placement(struct model *m, const struct mobj *o);

/* The area at o->addr is o->vm with the start, size (guard included) and flags of the model. */
void model_check_area(struct model *m, const struct mobj *o);

/* The arena's allocated count is the model's. */
void model_check_arena_count(struct model *m, const struct mobj *o);

/* A failed operation left nothing behind, compared with `before`. */
void model_check_no_trace(struct model *m, const struct mm_snapshot *before, const char *what);

/* An allocation of `frames` may fail without a bug: failure injected, or memory is short. */
bool model_may_fail(const struct model *m, unsigned long frames);

/*
 * Takes `before` for model_check_no_trace() if the call may fail
 * (model_may_fail(frames)); a failure otherwise is a broken check anyway.
 */
void model_watch(struct model *m, unsigned long frames, struct mm_snapshot *before);

/* Around the call under test: the scope of an armed failure injection. */
void model_call_begin(struct model *m);
void model_call_end(struct model *m);

/* --- the operations (mm_ops.c) --- */

struct model_op {
	const char *name;
	void (*run)(struct model *m);
	unsigned weight;                /* out of 256 */
	bool creates;                   /* needs a free slot */
};

extern const struct model_op mm_model_ops[];
extern const unsigned mm_model_nr_op;

/* Frees `o` by its API, checking it before and after. */
void model_free_obj(struct model *m, struct mobj *o);

/* Frees `o` without checking anything (after a broken check). */
void model_release_obj(struct mobj *o);

#endif
