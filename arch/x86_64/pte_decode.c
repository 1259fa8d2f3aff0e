/* Decoding x86-64 page-table entries (Intel SDM vol. 3A, tables 4-15 to 4-20). */
#include "arch/x86_64/pte_decode.h"
#include "kernel/lib/format.h"

struct bit_name {
	u64 bit;
	const char *name;
};

static const struct bit_name entry_bits[] = {
	{ X86_PTE_P, "P" }, { X86_PTE_RW, "RW" }, { X86_PTE_US, "US" },
	{ X86_PTE_PWT, "PWT" }, { X86_PTE_PCD, "PCD" }, { X86_PTE_A, "A" },
	{ X86_PTE_D, "D" }, { X86_PTE_G, "G" }, { X86_PTE_XD, "XD" },
};

/* The PAT entries arch_mmu_init() leaves: 0 WB, 1 WC, 2 UC-, 3 UC, 4-7 as 0-3. */
static const char *const pat_names[8] = { "WB", "WC", "UC-", "UC", "WB", "WC", "UC-", "UC" };

const char *x86_table_name(int level)
{
	static const char *const names[] = { "PT", "PD", "PDPT", "PML4" };

	return level >= 0 && level < 4 ? names[level] : "?";
}

static int bit_names(pte_t e, int level, char *buf, size_t size)
{
	int n = 0;

	for (unsigned i = 0; i < sizeof(entry_bits) / sizeof(entry_bits[0]); i++)
		if (e & entry_bits[i].bit)
			n += snprintf(buf + n, size - (size_t)n, "%s%s", n ? " " : "",
				      entry_bits[i].name);
	if (level > 0 && (e & X86_PTE_PS))
		n += snprintf(buf + n, size - (size_t)n, " PS");
	if ((level == 0 && (e & X86_PTE_PAT)) || (level > 0 && (e & X86_PTE_PS) &&
						  (e & X86_PTE_PAT_LARGE)))
		n += snprintf(buf + n, size - (size_t)n, " PAT");
	return n;
}

static unsigned pat_index(pte_t e, int level)
{
	u64 pat_bit = level ? X86_PTE_PAT_LARGE : X86_PTE_PAT;

	return ((e & pat_bit) ? 4 : 0) | ((e & X86_PTE_PCD) ? 2 : 0) | ((e & X86_PTE_PWT) ? 1 : 0);
}

int x86_pte_describe(pte_t e, int level, char *buf, size_t size)
{
	int n;

	if (!(e & X86_PTE_P))
		return snprintf(buf, size, "not present");
	n = bit_names(e, level, buf, size);
	if (level > 0 && !(e & X86_PTE_PS))
		return n + snprintf(buf + n, size - (size_t)n, ": points to a %s",
				    x86_table_name(level - 1));
	return n + snprintf(buf + n, size - (size_t)n, ": %s %s, %s, %s, cache %s",
			    (e & X86_PTE_US) ? "user" : "kernel",
			    (e & X86_PTE_RW) ? "read/write" : "read-only",
			    (e & X86_PTE_XD) ? "no execute" : "executable",
			    (e & X86_PTE_G) ? "global" : "not global",
			    pat_names[pat_index(e, level)]);
}
