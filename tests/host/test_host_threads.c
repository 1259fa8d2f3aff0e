/*
 * Suite host_threads: host threads as CPUs (docs/host.md, "Threads as
 * CPUs"). Four threads, each CPU n of the simulated machine
 * (host_cpu_enter()), run seeded random allocations and frees at the same
 * time over the shared allocators: vmalloc/vfree, vmap/vunmap,
 * get_vm_area/free_vm_area of VM_SPARSE areas with a page mapped, maps and
 * unmaps in the thread's own slice of one shared sparse area, kmalloc,
 * frame blocks, purges. Each thread checks what it holds through the
 * direct map (the frames behind its addresses and their words), never
 * through the shared simulated TLB. Then mm_check_all(), and the harness's
 * leak check.
 *
 * Its purpose is the ThreadSanitizer build (make host-tsan): every access
 * of mm/ from two threads must be ordered by a lock or atomic, or TSan
 * reports the pair. The ASan and Valgrind runs run it too.
 */
#include "host/machine.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/smp.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"
#include "tests/ktest.h"
#include "tests/ktest_rand.h"
#include "tests/mm_state.h"

#include <pthread.h>
#include <signal.h>

#define NR_THREADS      4
#define OPS_DEFAULT     3000    /* per thread; host_threads.ops= */
#define SLOTS           24
#define MAX_PAGES       8
#define SLICE_PAGES     16

enum kind { K_VMALLOC, K_VMAP, K_SPARSE, K_KMALLOC, K_PAGES, K_NR };

struct tobj {
	enum kind kind;
	bool live;
	void *addr;
	struct vm_struct *vm;
	struct page *pages[MAX_PAGES];  /* vmap, sparse: the thread's frames; pages: the block */
	unsigned n;                     /* pages; kmalloc: bytes */
	u64 tag;
};

struct worker {
	unsigned cpu;
	struct ktest_rand rand;
	struct tobj objs[SLOTS];
	struct page *slice[SLICE_PAGES];        /* the frame mapped at each slice page, or NULL */
	unsigned long ops;
	char problem[160];
	pthread_t thread;
};

static struct worker workers[NR_THREADS];
static struct vm_struct *shared;
static unsigned long nr_ops;

static void fail(struct worker *w, const char *fmt, ...) __printf(2, 3);
static void fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->problem, sizeof(w->problem), fmt, ap);
	va_end(ap);
}

static u64 *word_of(struct page *p)
{
	return page_address(p);
}

/* The frame behind page i of `o`, as the page table says (vmalloc, vmap, sparse). */
static struct page *frame_at(const struct tobj *o, unsigned i)
{
	return vmalloc_to_page((const char *)o->addr + i * PAGE_SIZE);
}

static void fill(struct worker *w, struct tobj *o)
{
	if (o->kind == K_KMALLOC) {
		memset(o->addr, (u8)o->tag, o->n);
		return;
	}
	for (unsigned i = 0; i < o->n; i++) {
		struct page *p = o->kind == K_PAGES ? o->pages[0] + i : frame_at(o, i);

		if (!p) {
			fail(w, "page %u of %p is not mapped", i, o->addr);
			return;
		}
		*word_of(p) = o->tag + i;
	}
}

static void check(struct worker *w, const struct tobj *o)
{
	if (o->kind == K_KMALLOC) {
		if (!mem_is_filled(o->addr, (u8)o->tag, o->n))
			fail(w, "kmalloc(%u) = %p lost its bytes", o->n, o->addr);
		return;
	}
	for (unsigned i = 0; i < o->n; i++) {
		struct page *p = o->kind == K_PAGES ? o->pages[0] + i : frame_at(o, i);

		if (!p || ((o->kind == K_VMAP || o->kind == K_SPARSE) && p != o->pages[i]))
			fail(w, "page %u of %p maps another frame", i, o->addr);
		else if (*word_of(p) != o->tag + i)
			fail(w, "page %u of %p holds 0x%llx, not 0x%llx", i, o->addr,
			     (unsigned long long)*word_of(p), (unsigned long long)(o->tag + i));
	}
}

static bool alloc_frames(struct tobj *o)
{
	for (unsigned i = 0; i < o->n; i++) {
		o->pages[i] = alloc_page(0);
		if (!o->pages[i]) {
			while (i--)
				free_page(o->pages[i]);
			return false;
		}
	}
	return true;
}

static void free_frames(struct tobj *o)
{
	for (unsigned i = 0; i < o->n; i++)
		free_page(o->pages[i]);
}

/* Makes `o` (kind and size chosen) live; false if memory ran out. */
static bool create(struct tobj *o)
{
	switch (o->kind) {
	case K_VMALLOC:
		o->addr = vmalloc(o->n * PAGE_SIZE);
		return o->addr;
	case K_VMAP:
		if (!alloc_frames(o))
			return false;
		o->addr = vmap(o->pages, o->n, 0, PROT_KERNEL_RW);
		if (!o->addr)
			free_frames(o);
		return o->addr;
	case K_SPARSE:
		o->vm = get_vm_area(o->n * PAGE_SIZE, VM_SPARSE);
		if (!o->vm || !alloc_frames(o))
			return o->vm ? (free_vm_area(o->vm), false) : false;
		o->addr = o->vm->addr;
		if (vm_area_map_pages(o->vm, (unsigned long)o->addr,
				      (unsigned long)o->addr + o->n * PAGE_SIZE, o->pages) == 0)
			return true;
		free_frames(o);
		free_vm_area(o->vm);
		return false;
	case K_KMALLOC:
		o->addr = kmalloc(o->n);
		return o->addr;
	default:
		o->pages[0] = alloc_pages(o->n == 1 ? 0 : 2, 0);
		o->addr = o->pages[0] ? page_address(o->pages[0]) : NULL;
		return o->addr;
	}
}

static void destroy(struct tobj *o)
{
	switch (o->kind) {
	case K_VMALLOC:
		vfree(o->addr);
		break;
	case K_VMAP:
		vunmap(o->addr);
		free_frames(o);
		break;
	case K_SPARSE:
		vm_area_unmap_pages(o->vm, (unsigned long)o->addr,
				    (unsigned long)o->addr + o->n * PAGE_SIZE);
		free_vm_area(o->vm);
		free_frames(o);
		break;
	case K_KMALLOC:
		kfree(o->addr);
		break;
	default:
		free_pages(o->pages[0], o->n == 1 ? 0 : 2);
	}
	o->live = false;
}

static void new_object(struct worker *w, struct tobj *o)
{
	o->kind = (enum kind)ktest_rand_below(&w->rand, K_NR);
	o->n = o->kind == K_KMALLOC ? ktest_rand_between(&w->rand, 1, 3000) :
	       o->kind == K_PAGES ? (ktest_rand_below(&w->rand, 2) ? 1 : 4) :
	       ktest_rand_between(&w->rand, 1, MAX_PAGES);
	o->tag = ktest_rand(&w->rand);
	if (!create(o)) {
		fail(w, "kind %d of %u failed with %lu frames free", o->kind, o->n,
		     pfa_free_pages());
		return;
	}
	o->live = true;
	fill(w, o);
	check(w, o);
}

static unsigned long slice_va(const struct worker *w, unsigned page)
{
	return (unsigned long)shared->addr + (w->cpu * SLICE_PAGES + page) * PAGE_SIZE;
}

/* Maps a free page of the thread's slice, or unmaps a mapped one. */
static void slice_op(struct worker *w)
{
	unsigned i = ktest_rand_below(&w->rand, SLICE_PAGES);
	struct page *p = w->slice[i];

	if (p) {
		vm_area_unmap_pages(shared, slice_va(w, i), slice_va(w, i + 1));
		if (vmalloc_to_page((void *)slice_va(w, i)))
			fail(w, "slice page %u still mapped after its unmap", i);
		free_page(p);
		w->slice[i] = NULL;
		return;
	}
	p = alloc_page(0);
	if (!p || vm_area_map_pages(shared, slice_va(w, i), slice_va(w, i + 1), &p)) {
		fail(w, "slice page %u: no frame or map refused", i);
		if (p)
			free_page(p);
		return;
	}
	w->slice[i] = p;
	if (vmalloc_to_page((void *)slice_va(w, i)) != p)
		fail(w, "slice page %u maps another frame", i);
}

static void one_op(struct worker *w)
{
	unsigned roll = ktest_rand_below(&w->rand, 100);
	struct tobj *o = &w->objs[ktest_rand_below(&w->rand, SLOTS)];

	if (roll < 15) {
		slice_op(w);
	} else if (roll < 17) {
		vm_unmap_aliases();
	} else if (o->live) {
		check(w, o);
		destroy(o);
	} else {
		new_object(w, o);
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	sigset_t alarm;

	sigemptyset(&alarm);
	sigaddset(&alarm, SIGALRM);                     /* the watchdog's tick stays on CPU 0 */
	if (w->cpu)
		pthread_sigmask(SIG_BLOCK, &alarm, NULL);
	host_cpu_enter(w->cpu);
	for (w->ops = 0; w->ops < nr_ops && !w->problem[0]; w->ops++)
		one_op(w);
	for (unsigned i = 0; i < SLOTS; i++)
		if (w->objs[i].live)
			destroy(&w->objs[i]);
	for (unsigned i = 0; i < SLICE_PAGES; i++)
		if (w->slice[i])
			vm_area_unmap_pages(shared, slice_va(w, i), slice_va(w, i + 1)),
			free_page(w->slice[i]), w->slice[i] = NULL;
	return NULL;
}

static void threads_share_the_allocators(struct ktest *t)
{
	unsigned long total = 0;

	/* Small vmap limits: the threads purge into their pools and take from them often. */
	static const struct vmap_limits small = { 64 * PAGE_SIZE, 32 * PAGE_SIZE };
	struct vmap_limits old;
	struct vmap_stats v0, v;

	nr_ops = cmdline_get_u64("host_threads.ops", OPS_DEFAULT);
	shared = get_vm_area(NR_THREADS * SLICE_PAGES * PAGE_SIZE, VM_SPARSE);
	ASSERT_TRUE(t, shared != NULL);
	mm_state_set_vmap_limits(&small, &old);
	vmap_get_stats(&kernel_vmap_space, &v0);
	memset(workers, 0, sizeof(workers));
	host_smp_set_online(NR_THREADS);
	for (unsigned c = 0; c < NR_THREADS; c++) {
		workers[c].cpu = c;
		ktest_rand_init(&workers[c].rand, ktest_seed() + c);
	}
	for (unsigned c = 1; c < NR_THREADS; c++)
		EXPECT_EQ(t, pthread_create(&workers[c].thread, NULL, work, &workers[c]), 0);
	work(&workers[0]);
	for (unsigned c = 1; c < NR_THREADS; c++)
		pthread_join(workers[c].thread, NULL);
	host_smp_set_online(1);
	host_cpu_enter(0);
	for (unsigned c = 0; c < NR_THREADS; c++) {
		total += workers[c].ops;
		if (workers[c].problem[0])
			KTEST_FAIL(t, "CPU %u, after %lu operations: %s", c, workers[c].ops,
				   workers[c].problem);
	}
	free_vm_area(shared);
	vmap_get_stats(&kernel_vmap_space, &v);
	mm_state_set_vmap_limits(&old, NULL);
	EXPECT_EQ(t, mm_check_all(), 0);
	EXPECT_GT(t, v.pool_hits, v0.pool_hits);
	ktest_log(t, "host_threads: %u threads, %lu operations (seed %llu), %lu areas from the "
		  "vmap pools", NR_THREADS, total, (unsigned long long)ktest_seed(),
		  v.pool_hits - v0.pool_hits);
}

static const struct ktest_case host_threads_cases[] = {
	KTEST_CASE_TIMEOUT(threads_share_the_allocators, 120),
	{}
};
KTEST_SUITE(host_threads, host_threads_cases);
