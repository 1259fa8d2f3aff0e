/* Shared by the fuzz engine's two files: the model (fuzz_model.c) and the operations (fuzz_ops.c). */
#ifndef TESTS_HOST_FUZZ_INTERNAL_H
#define TESTS_HOST_FUZZ_INTERNAL_H

#include "tests/host/fuzz.h"
#include "kernel/compiler.h"
#include "kernel/setjmp.h"
#include "mm/mm_check.h"
#include "tests/mm_state.h"
#include "mm/page.h"

#define FUZZ_MAX_OBJS   24      /* live objects at most */
#define FUZZ_MAX_PAGES  64      /* pages of a vmap, sparse area or arena (a bit mask) */
#define FUZZ_TRACE      8       /* operations shown with a failure */

enum fkind { FK_VMALLOC, FK_VMAP, FK_AREA, FK_SPARSE, FK_ARENA, FK_PAGES, FK_KMALLOC, FK_NR };

/* What the model believes about one live object. */
struct fobj {
	enum fkind kind;
	bool live;
	unsigned long addr;             /* first byte (kmalloc: the pointer; pages: direct map) */
	unsigned long nr_pages;         /* usable pages (kmalloc: 0) */
	unsigned long span;             /* bytes of vmalloc space it holds, guard page included */
	unsigned long align;
	unsigned areas;                 /* busy vmap areas it holds */
	u64 tag;                        /* page i holds tag ^ i in its first word */
	u64 mapped;                     /* sparse, arena: bit i set if page i is mapped */
	bool read_only, fault_in;
	size_t size;                    /* kmalloc: bytes */
	unsigned order;                 /* pages: the block's order */
	struct vm_struct *vm;
	struct arena *arena;
	struct page *page;              /* pages: the block */
	struct page *frames[FUZZ_MAX_PAGES];    /* vmap, sparse: the engine's frames */
};

struct fuzz {
	struct fobj objs[FUZZ_MAX_OBJS];
	const u8 *p, *end;
	unsigned op;                    /* index of the operation running */
	enum fuzz_mode mode;
	bool verbose;
	struct kjmp_buf bail;           /* FUZZ_RETURN: where a failed check lands */
	struct mm_snapshot boot;        /* right after boot */
	unsigned long busy_at_boot;
	unsigned long warnings;         /* warn_count() before the operation */
	unsigned expect_warnings;       /* lines the operation must print */
	bool fail_next, failing;        /* FOP_FAIL_NEXT armed / acting on this operation */
	char trace[FUZZ_TRACE][112];
};

/* --- the model (fuzz_model.c) --- */

/* A free slot, zeroed, or NULL if FUZZ_MAX_OBJS are live. */
struct fobj *fuzz_slot(struct fuzz *f);

/* The n-th live object (modulo their number) of `kind` (FK_NR: any with memory), or NULL. */
struct fobj *fuzz_pick(struct fuzz *f, enum fkind kind, unsigned n);

/* Records what the operation is, for the trace printed with a failure. */
void fuzz_trace(struct fuzz *f, const char *fmt, ...) __printf(2, 3);

/* Reports a broken check and ends the input (abort, or back to fuzz_run). */
__noreturn void fuzz_fail(struct fuzz *f, const char *fmt, ...) __printf(2, 3);

#define FUZZ_CHECK(f, cond, ...) do {                                   \
	if (unlikely(!(cond)))                                          \
		fuzz_fail(f, __VA_ARGS__);                              \
} while (0)

/* The checks after every operation: invariants, model, TLB, warnings. */
void fuzz_check_all(struct fuzz *f);

/*
 * A failed operation left no trace: compared with `before`, frames, page
 * tables (those vmalloc keeps aside), busy areas and mapped pages are the
 * same; slab objects too unless lazily freed ranges moved.
 */
void fuzz_check_no_trace(struct fuzz *f, const struct mm_snapshot *before, const char *what);

/* Page i's expected first word. */
static inline u64 fuzz_word(const struct fobj *o, unsigned long i)
{
	return o->tag ^ (i * 0x9e3779b97f4a7c15ull);
}

/* Bits [first, first + count) of a page mask. */
static inline u64 fuzz_mask(unsigned long first, unsigned long count)
{
	return (count >= 64 ? ~0ull : (1ull << count) - 1) << first;
}

/* --- the operations (fuzz_ops.c) --- */

/* Frees every live object (the end of an input). */
void fuzz_free_everything(struct fuzz *f);

#endif
