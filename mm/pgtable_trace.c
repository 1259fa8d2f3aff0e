/*
 * pgtable_trace(): the entries one translation reads, level by level, as
 * the MMU reads them (for the shell's `translate`; the walker's other
 * calls see only decoded entries).
 */
#include "mm/pgtable_internal.h"
#include "kernel/errno.h"

int pgtable_trace(struct pgtable *pt, unsigned long va, struct pgtable_step *steps)
{
	unsigned long flags;
	pte_t *table;
	int n = 0;

	if (!arch_va_is_canonical(va))
		return -EINVAL;
	flags = spin_lock_irqsave(&pt->lock);
	table = pt->root;
	for (int l = PT_ROOT_LEVEL; l >= 0; l--) {
		unsigned i = pt_index(va, l);
		pte_t e = READ_ONCE(table[i]);

		steps[n++] = (struct pgtable_step){
			.level = (enum pt_level)l,
			.table = virt_to_phys(table),
			.index = i,
			.entry = e,
		};
		if (!arch_pte_present(e) || arch_pte_is_leaf(e, l))
			break;
		table = entry_table(e, l);
	}
	spin_unlock_irqrestore(&pt->lock, flags);
	return n;
}
