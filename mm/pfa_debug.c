/*
 * Debug checks of the page-frame allocator: free-frame poisoning (debug
 * builds only) and pfa_check(), the full consistency check the tests run.
 */
#include "mm/pfa_internal.h"
#include "kernel/errno.h"
#include "kernel/irqflags.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

#define POISON_WORD     (0x0101010101010101ull * PFA_POISON_BYTE)
#define CHECK_MAX_LINES 8

#if KCONFIG_DEBUG

void pfa_poison_block(struct page *page, unsigned order)
{
	pfa_fill_block(page, order, POISON_WORD);
	for (unsigned long i = 0; i < (1ul << order); i++)
		page[i].flags |= PG_POISONED;
}

/* Byte offset of the first word that lost its poison, or -1. */
static long poison_damage(const struct page *page)
{
	const u64 *p = page_address(page);

	for (size_t i = 0; i < PAGE_SIZE / sizeof(u64); i++)
		if (p[i] != POISON_WORD)
			return (long)(i * sizeof(u64));
	return -1;
}

void pfa_check_poison(struct page *page, unsigned order, unsigned long caller)
{
	struct page *first_bad = NULL;
	unsigned long bad = 0;
	long offset = -1;

	for (unsigned long i = 0; i < (1ul << order); i++) {
		long off;

		if (!(page[i].flags & PG_POISONED))
			continue;
		page[i].flags &= ~PG_POISONED;
		off = poison_damage(&page[i]);
		if (off < 0)
			continue;
		if (!bad++) {
			first_bad = &page[i];
			offset = off;
		}
	}
	if (!bad)
		return;
	__atomic_fetch_add(&pfa.poison_errors, 1, __ATOMIC_RELAXED);
	WARN(1, "alloc_pages: pfn 0x%x was written after free (offset 0x%lx holds 0x%016llx; "
	     "%lu of %lu frames damaged), allocating for %pS", first_bad->pfn, offset,
	     (unsigned long long)((const u64 *)page_address(first_bad))[offset / 8], bad,
	     1ul << order, (void *)caller);
}

#endif /* KCONFIG_DEBUG */

/* --- pfa_check ---------------------------------------------------------- */

struct check {
	unsigned errors;
	unsigned long listed_pages;     /* frames in blocks on the free lists */
};

#define check_fail(c, ...) do {                                         \
	if ((c)->errors++ < CHECK_MAX_LINES)                            \
		printk("pfa_check: " __VA_ARGS__);                      \
} while (0)

/* One free block on the list of `order`: head state, alignment, its buddy. */
static void check_free_block(struct check *c, struct page *p, unsigned order)
{
	unsigned long pfn = p->pfn;

	if (p->state != PAGE_FREE || p->order != order)
		check_fail(c, "pfn 0x%lx on the order-%u list is %s order %u\n", pfn, order,
			   page_state_name(p->state), p->order);
	if (!IS_ALIGNED(pfn, 1ul << order) || pfn_to_page(pfn) != p)
		check_fail(c, "pfn 0x%lx on the order-%u list is misaligned or unknown\n",
			   pfn, order);
	if (p->flags & PG_VISITED)
		check_fail(c, "pfn 0x%lx is on the free lists twice\n", pfn);
	p->flags |= PG_VISITED;
	if (order < MAX_ORDER) {
		struct page *b = p + ((long)(pfn ^ (1ul << order)) - (long)pfn);

		if (b->state == PAGE_FREE && b->order == order)
			check_fail(c, "free buddies pfn 0x%lx and 0x%x (order %u) not merged\n",
				   pfn, b->pfn, order);
	}
}

/* Walks one list with a bound, so a cycle cannot hang the check. */
static void check_list(struct check *c, unsigned order)
{
	const struct free_area *area = &pfa.area[order];
	struct page *prev = NULL;
	unsigned long n = 0;

	for (struct page *p = area->list.first; p; prev = p, p = p->next) {
		if (++n > area->nr_free) {
			check_fail(c, "order-%u list longer than its count %lu\n", order,
				   area->nr_free);
			return;
		}
		if (p->prev != prev)
			check_fail(c, "order-%u list: broken back link at pfn 0x%x\n", order, p->pfn);
		check_free_block(c, p, order);
		c->listed_pages += 1ul << order;
	}
	if (n != area->nr_free || area->list.last != prev)
		check_fail(c, "order-%u list holds %lu blocks, count says %lu\n", order, n,
			   area->nr_free);
}

/*
 * Every frame of a section, in order: a head (free or allocated) is
 * followed by exactly 2^order - 1 tails, and a free head was seen on a list.
 */
static unsigned long check_section(struct check *c, struct page *map)
{
	unsigned long tails_due = 0, managed = 0;

	for (unsigned long i = 0; i < PAGES_PER_SECTION; i++) {
		struct page *p = &map[i];
		bool tail = p->state == PAGE_TAIL;

		if (p->state >= PAGE_STATE_COUNT || tail != (tails_due > 0))
			check_fail(c, "pfn 0x%x is %s where a %s was due\n", p->pfn,
				   page_state_name(p->state), tails_due ? "tail" : "head");
		if (p->state == PAGE_FREE && !(p->flags & PG_VISITED))
			check_fail(c, "free block at pfn 0x%x is on no list\n", p->pfn);
		if (p->state == PAGE_PCP && !(p->flags & PG_VISITED))
			check_fail(c, "pcp frame at pfn 0x%x is on no per-CPU list\n", p->pfn);
		p->flags &= ~PG_VISITED;
		if (tails_due) {
			tails_due--;
		} else if (p->state == PAGE_FREE || p->state == PAGE_PCP || page_is_allocated(p)) {
			tails_due = (1ul << p->order) - 1;
			managed += 1ul << p->order;
		}
	}
	return managed;
}

/* One CPU's list, with a bound: order-0 frames in state PAGE_PCP, each once, count right. */
static void check_pcp(struct check *c, unsigned cpu)
{
	const struct pfa_pcp *pcp = &pfa_pcp[cpu];
	struct page *prev = NULL;
	unsigned long n = 0;

	for (struct page *p = pcp->list.first; p; prev = p, p = p->next) {
		if (++n > pcp->count) {
			check_fail(c, "CPU %u's per-CPU list longer than its count %lu\n", cpu,
				   pcp->count);
			return;
		}
		if (p->prev != prev)
			check_fail(c, "CPU %u's per-CPU list: broken back link at pfn 0x%x\n", cpu,
				   p->pfn);
		if (p->state != PAGE_PCP || p->order != 0 || pfn_to_page(p->pfn) != p)
			check_fail(c, "pfn 0x%x on CPU %u's per-CPU list is %s order %u\n", p->pfn,
				   cpu, page_state_name(p->state), p->order);
		if (p->flags & PG_VISITED)
			check_fail(c, "pfn 0x%x is on the free and per-CPU lists twice\n", p->pfn);
		p->flags |= PG_VISITED;
	}
	if (n != pcp->count || pcp->list.last != prev)
		check_fail(c, "CPU %u's per-CPU list holds %lu frames, count says %lu\n", cpu, n,
			   pcp->count);
	if (n > PCP_HIGH)
		check_fail(c, "CPU %u's per-CPU list holds %lu frames, above its high mark %lu\n",
			   cpu, n, PCP_HIGH);
}

int pfa_check(void)
{
	struct check c = { 0 };
	unsigned long irq = irq_save();
	unsigned long managed = 0;

	pcp_lock_all();
	spin_lock(&pfa.lock);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		check_pcp(&c, cpu);
	for (unsigned o = 0; o < NR_ORDERS; o++)
		check_list(&c, o);
	for (unsigned long sec = 0; sec < nr_mem_sections; sec++)
		if (mem_section[sec])
			managed += check_section(&c, mem_section[sec]);
	if (c.listed_pages != pfa.free_pages)
		check_fail(&c, "free lists hold %lu frames, counter says %lu\n", c.listed_pages,
			   pfa.free_pages);
	if (managed != pfa.total_pages)
		check_fail(&c, "blocks cover %lu frames, %lu are managed\n", managed,
			   pfa.total_pages);
	spin_unlock(&pfa.lock);
	pcp_unlock_all();
	irq_restore(irq);
	if (c.errors > CHECK_MAX_LINES)
		printk("pfa_check: ... %u problems in all\n", c.errors);
	return c.errors ? -EINVAL : 0;
}

/* --- frame states --------------------------------------------------------- */

static void count_section(const struct page *map, unsigned long counts[PAGE_STATE_COUNT])
{
	for (unsigned long i = 0; i < PAGES_PER_SECTION; ) {
		const struct page *p = &map[i];
		unsigned long frames = 1;

		if (p->state == PAGE_FREE || page_is_allocated(p))
			frames = MIN(1ul << p->order, PAGES_PER_SECTION - i);
		if (p->state < PAGE_STATE_COUNT)
			counts[p->state] += frames;
		i += frames;
	}
}

void pfa_count_states(unsigned long counts[PAGE_STATE_COUNT])
{
	unsigned long irq = spin_lock_irqsave(&pfa.lock);

	for (unsigned s = 0; s < PAGE_STATE_COUNT; s++)
		counts[s] = 0;
	for (unsigned long sec = 0; sec < nr_mem_sections; sec++)
		if (mem_section[sec])
			count_section(mem_section[sec], counts);
	spin_unlock_irqrestore(&pfa.lock, irq);
}
