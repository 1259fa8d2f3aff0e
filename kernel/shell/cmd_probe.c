/*
 * `read ADDR [N]` and `write ADDR VAL` through the safe probes
 * (kernel/probe.h): an access that faults comes back as -EFAULT, and the
 * shell prints what the kernel's fault report says about it (the decoded
 * error, the area that owns the address) and goes on. Reads go anywhere;
 * writes only into memory the shell created, so a typo cannot corrupt the
 * kernel.
 */
#include "kernel/shell/shell_internal.h"
#include "arch/x86_64/trap.h"
#include "kernel/errno.h"
#include "kernel/fault.h"
#include "kernel/printk.h"
#include "kernel/probe.h"

#define READ_MAX_WORDS  64
#define WORDS_PER_LINE  4

static void report_fault(const char *cmd, unsigned long addr)
{
	struct fault_info info;

	if (!probe_last_fault(&info)) {
		printk("%s: 0x%lx faulted\n", cmd, addr);
		return;
	}
	if (info.page_fault)
		printk("%s: page fault at 0x%016lx, caught by the probe; the kernel says:\n", cmd,
		       info.addr);
	else
		printk("%s: %s at 0x%016lx (not a canonical address), caught by the probe\n",
		       cmd, trap_name(info.vector), addr);
	trap_describe_fault(&info);
}

static int cmd_read(int argc, char **argv)
{
	unsigned long addr;
	u64 n = 1;

	if (!shell_addr("read", argv[1], &addr) ||
	    (argc > 2 && !shell_number("read", "N", argv[2], &n)))
		return -1;
	if (!n || n > READ_MAX_WORDS) {
		printk("read: N is a number of 8-byte words, 1 to %d\n", READ_MAX_WORDS);
		return -1;
	}
	for (u64 i = 0; i < n; i++) {
		unsigned long a = addr + i * 8;
		u64 v;

		if (probe_read_u64(a, &v)) {
			if (i % WORDS_PER_LINE)
				printk("\n");
			report_fault("read", a);
			return -EFAULT;
		}
		if (i % WORDS_PER_LINE == 0)
			printk("0x%016lx:", a);
		printk(" 0x%016llx", (unsigned long long)v);
		if (i % WORDS_PER_LINE == WORDS_PER_LINE - 1 || i + 1 == n)
			printk("\n");
	}
	return 0;
}

/* True if the 8 bytes at `addr` lie in one object the shell created. */
static bool shell_owns(unsigned long addr)
{
	for (int k = SHELL_VMALLOC; k <= SHELL_ARENA; k++) {
		struct shell_obj *o = shell_obj_find((enum shell_obj_kind)k, addr);

		if (o && addr + 8 <= o->start + o->size)
			return true;
	}
	return false;
}

static int cmd_write(int argc, char **argv)
{
	unsigned long addr;
	u64 val;

	if (!shell_addr("write", argv[1], &addr) || !shell_number("write", "VAL", argv[2], &val))
		return -1;
	if (!shell_owns(addr)) {
		printk("write: 0x%lx is not in memory this shell created; it writes only there "
		       "(see 'objects')\n", addr);
		return -1;
	}
	if (probe_write_u64(addr, val)) {
		report_fault("write", addr);
		return -EFAULT;
	}
	printk("0x%016lx: 0x%016llx written\n", addr, (unsigned long long)val);
	return 0;
}

const struct shell_cmd shell_probe_cmds[] = {
	{ "read", "ADDR [N]", "read N 8-byte words (a fault is reported, not fatal)", 1, 2,
	  cmd_read, NULL },
	{ "write", "ADDR VAL", "write 8 bytes into memory the shell created", 2, 2, cmd_write,
	  NULL },
	{}
};
