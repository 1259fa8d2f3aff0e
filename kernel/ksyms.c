/* Address -> symbol lookups over the generated, address-sorted table. */
#include "kernel/ksyms.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"

/* Emitted by scripts/gen-ksyms.sh: parallel arrays sorted by address. */
extern const u64 ksyms_count;
extern const u64 ksyms_addr[];
extern const u32 ksyms_name_off[];
extern const char ksyms_names[];
extern const char _etext[];

bool ksym_lookup(unsigned long addr, const char **name, unsigned long *offset,
		 unsigned long *size)
{
	u64 lo = 0, hi = ksyms_count;

	if (!ksyms_count || addr < ksyms_addr[0] || addr >= (unsigned long)_etext)
		return false;
	while (hi - lo > 1) {           /* last entry with address <= addr */
		u64 mid = lo + (hi - lo) / 2;

		if (ksyms_addr[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	unsigned long end = lo + 1 < ksyms_count ? ksyms_addr[lo + 1]
						 : (unsigned long)_etext;
	*name = ksyms_names + ksyms_name_off[lo];
	*offset = addr - ksyms_addr[lo];
	*size = end - ksyms_addr[lo];
	return true;
}

void ksym_format(char *buf, size_t size, unsigned long addr)
{
	const char *name;
	unsigned long off, len;

	if (ksym_lookup(addr, &name, &off, &len))
		snprintf(buf, size, "%s+0x%lx/0x%lx", name, off, len);
	else
		snprintf(buf, size, "0x%016lx", addr);
}

unsigned long ksym_address(const char *name)
{
	for (u64 i = 0; i < ksyms_count; i++)
		if (!strcmp(ksyms_names + ksyms_name_off[i], name))
			return ksyms_addr[i];
	return 0;
}
