/*
 * The per-CPU lists of free order-0 frames (mm/pfa.h, docs/pfa.md
 * "Per-CPU lists"). A CPU allocates from and frees to its own list under
 * its own lock, which no other CPU takes but to drain or check it; the
 * zone lock is taken once per batch: a refill of PCP_BATCH frames when the
 * list is empty, a drain of PCP_BATCH (the coldest, from the back) when a
 * free takes it above PCP_HIGH.
 *
 *   alloc_page()  --pop front-->  [ hot ........ cold ]  <--refill (batch)-- buddy
 *   free_page()   --push front->  [ hot ........ cold ]  --drain (batch)----> buddy
 */
#include "mm/pfa_internal.h"
#include "kernel/irqflags.h"

struct pfa_pcp pfa_pcp[SMP_MAX_CPUS];
bool pfa_pcp_on;

#define PCP_NAME(n) "pfa_pcp" #n
static const char *const pcp_names[SMP_MAX_CPUS] = {
	PCP_NAME(0), PCP_NAME(1), PCP_NAME(2), PCP_NAME(3), PCP_NAME(4), PCP_NAME(5),
	PCP_NAME(6), PCP_NAME(7), PCP_NAME(8), PCP_NAME(9), PCP_NAME(10), PCP_NAME(11),
	PCP_NAME(12), PCP_NAME(13), PCP_NAME(14), PCP_NAME(15),
};
_Static_assert(SMP_MAX_CPUS == 16, "pcp_names: one name per CPU");

void pcp_init(void)
{
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		pfa_pcp[cpu].lock = (spinlock_t)SPINLOCK_INIT(pcp_names[cpu]);
	pfa_pcp_on = true;
}

/* Puts a frame the buddy handed out on the list's cold end, in state PAGE_PCP. */
static void pcp_add_cold(struct pfa_pcp *pcp, struct page *page)
{
	page->state = PAGE_PCP;
	page->order = 0;
	page->private = 0;
	page_list_add_tail(&pcp->list, page);
	pcp->count++;
}

/*
 * Moves up to PCP_BATCH frames from the buddy: one block of PCP_BATCH_ORDER
 * cut into frames when there is one, else frame by frame. Both locks held.
 */
static void pcp_refill_locked(struct pfa_pcp *pcp)
{
	struct page *block = buddy_take_block_locked(PCP_BATCH_ORDER);

	if (block) {
		for (unsigned long i = 0; i < PCP_BATCH; i++)
			pcp_add_cold(pcp, block + i);
	} else {
		for (unsigned long i = 0; i < PCP_BATCH; i++) {
			struct page *page = buddy_take_block_locked(0);

			if (!page)
				break;
			pcp_add_cold(pcp, page);
		}
	}
	if (pcp->count)
		pcp->refills++;
}

/* Gives the `n` coldest frames back to the buddy, where they merge. List lock held. */
static unsigned long pcp_drain_locked(struct pfa_pcp *pcp, unsigned long n)
{
	unsigned long moved = 0;

	spin_lock(&pfa.lock);
	while (moved < n && pcp->list.last) {
		struct page *page = pcp->list.last;

		page_list_del(&pcp->list, page);
		pcp->count--;
		buddy_put_block_locked(page, 0);
		moved++;
	}
	pfa.free_pages += moved;
	spin_unlock(&pfa.lock);
	if (moved)
		pcp->drains++;
	return moved;
}

/* A frame off the list's hot end, after a refill if it was empty; NULL if none. List lock held. */
static __always_inline struct page *pcp_take_locked(struct pfa_pcp *pcp)
{
	struct page *page;

	if (unlikely(!pcp->count)) {
		spin_lock(&pfa.lock);
		pcp_refill_locked(pcp);
		spin_unlock(&pfa.lock);
	}
	page = page_list_pop(&pcp->list);
	if (page)
		pcp->count--;
	return page;
}

struct page *pcp_alloc(void)
{
	unsigned long irq = irq_save();
	struct pfa_pcp *pcp = &pfa_pcp[arch_cpu_id()];
	struct page *page;

	spin_lock(&pcp->lock);
	page = pcp_take_locked(pcp);
	if (page)
		page->state = PAGE_ALLOCATED;
	spin_unlock_irqrestore(&pcp->lock, irq);
	return page;
}

unsigned long pcp_alloc_bulk(struct page **pages, unsigned long nr, enum page_state state,
			     unsigned long private)
{
	unsigned long irq = irq_save(), i = 0;
	struct pfa_pcp *pcp = &pfa_pcp[arch_cpu_id()];

	spin_lock(&pcp->lock);
	while (i < nr) {
		unsigned long take;
		struct page *page;

		if (unlikely(!pcp->count)) {
			spin_lock(&pfa.lock);
			pcp_refill_locked(pcp);
			spin_unlock(&pfa.lock);
			if (!pcp->count)
				break;
		}
		/* A run off the hot end, unlinked in one cut (their links are the owner's now). */
		take = MIN(nr - i, pcp->count);
		page = pcp->list.first;
		for (unsigned long k = 0; k < take; k++, page = page->next) {
			/* Relaxed atomic: a neighbour's buddy merge reads it without our lock. */
			__atomic_store_n(&page->state, (u8)state, __ATOMIC_RELAXED);
			page->private = private;
			pages[i++] = page;
		}
		pcp->count -= take;
		pcp->list.first = page;
		if (page)
			page->prev = NULL;
		else
			pcp->list.last = NULL;
	}
	spin_unlock_irqrestore(&pcp->lock, irq);
	return i;
}

/*
 * Takes the frame from its owner: its state goes from an owner state (with
 * order 0) to PAGE_PCP in one compare-and-exchange, so two CPUs freeing the
 * same frame at once cannot both succeed (the loser sees PAGE_PCP: a double
 * free). False if the state is not one a free accepts.
 */
static bool pcp_claim(struct page *page)
{
	u8 seen = READ_ONCE(page->state);

	return seen >= PAGE_ALLOCATED && seen < PAGE_STATE_COUNT && page->order == 0 &&
	       __atomic_compare_exchange_n(&page->state, &seen, (u8)PAGE_PCP, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/*
 * Takes a frame being freed from its owner (pcp_claim), or refuses a misuse
 * with its warning naming `caller` (false). List lock held.
 */
static __always_inline bool pcp_take_back(struct page *page, unsigned long caller)
{
	if (unlikely(!page_is_valid(page) || !pcp_claim(page))) {
		/* a misuse, or the state changed under us: the slow path says which */
		do {
			if (free_is_misuse(page, 0, caller))
				return false;
		} while (!pcp_claim(page));
	}
	pfa_poison_block(page, 0);
	page->private = 0;
	return true;
}

/* Drains batches until the list is at or below its high mark. List lock held. */
static void pcp_trim_locked(struct pfa_pcp *pcp)
{
	if (pcp->count > PCP_HIGH)
		pcp_drain_locked(pcp, ALIGN_UP(pcp->count - PCP_HIGH, PCP_BATCH));
}

void pcp_free(struct page *page, unsigned long caller)
{
	unsigned long irq = irq_save();
	struct pfa_pcp *pcp = &pfa_pcp[arch_cpu_id()];

	spin_lock(&pcp->lock);
	if (pcp_take_back(page, caller)) {
		page_list_add(&pcp->list, page);
		pcp->count++;
		pcp_trim_locked(pcp);
	}
	spin_unlock_irqrestore(&pcp->lock, irq);
}

void pcp_free_bulk(struct page *const *pages, unsigned long nr, unsigned long caller)
{
	unsigned long irq = irq_save(), n = 0;
	struct pfa_pcp *pcp = &pfa_pcp[arch_cpu_id()];
	struct page *head = NULL, *tail = NULL;

	spin_lock(&pcp->lock);
	for (unsigned long i = 0; i < nr; i++) {
		struct page *page = pages[i];

		if (!page || !pcp_take_back(page, caller))
			continue;
		/* A run built in registers, the last one freed first (hottest), ... */
		page->prev = NULL;
		page->next = head;
		if (head)
			head->prev = page;
		else
			tail = page;
		head = page;
		n++;
	}
	if (n) {                /* ... then put on the hot end in one splice */
		tail->next = pcp->list.first;
		if (pcp->list.first)
			pcp->list.first->prev = tail;
		else
			pcp->list.last = tail;
		pcp->list.first = head;
		pcp->count += n;
		pcp_trim_locked(pcp);
	}
	spin_unlock_irqrestore(&pcp->lock, irq);
}

unsigned long pfa_drain_cpu(unsigned cpu)
{
	struct pfa_pcp *pcp;
	unsigned long irq, moved;

	if (cpu >= SMP_MAX_CPUS)
		return 0;
	pcp = &pfa_pcp[cpu];
	irq = spin_lock_irqsave(&pcp->lock);
	moved = pcp_drain_locked(pcp, pcp->count);
	spin_unlock_irqrestore(&pcp->lock, irq);
	return moved;
}

unsigned long pfa_drain_all(void)
{
	unsigned long moved = 0;

	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		if (READ_ONCE(pfa_pcp[cpu].count))
			moved += pfa_drain_cpu(cpu);
	return moved;
}

bool pfa_pcp_set_enabled(bool on)
{
	bool was = READ_ONCE(pfa_pcp_on);

	WRITE_ONCE(pfa_pcp_on, on);
	if (!on)
		pfa_drain_all();
	return was;
}

unsigned long pfa_pcp_count(unsigned cpu)
{
	return cpu < SMP_MAX_CPUS ? READ_ONCE(pfa_pcp[cpu].count) : 0;
}

void pcp_lock_all(void)
{
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		spin_lock(&pfa_pcp[cpu].lock);
}

void pcp_unlock_all(void)
{
	for (unsigned cpu = SMP_MAX_CPUS; cpu-- > 0;)
		spin_unlock(&pfa_pcp[cpu].lock);
}

unsigned long pcp_total_locked(void)
{
	unsigned long n = 0;

	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		n += pfa_pcp[cpu].count;
	return n;
}
