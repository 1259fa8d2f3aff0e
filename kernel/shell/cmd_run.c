/*
 * Running things from the shell: `test FILTER` and `stress N SEED` (the
 * ktest suites, KTAP out), `check` (every invariant checker), `fail`
 * (fault injection, the command line's syntax), `reboot`, `poweroff`.
 */
#include "kernel/shell/shell_internal.h"
#include "arch/x86_64/qemu.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/printk.h"
#include "kernel/shell/readline.h"
#include "mm/fault_inject.h"
#include "mm/mm_check.h"
#include "tests/ktest.h"

static unsigned count_words(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s != ' ' && (s[1] == ' ' || !s[1]);
	return n;
}

/*
 * Runs the suites with the boot command line plus `extra` (the harness
 * reads its switches there; the last value of a key wins), then puts the
 * boot line back.
 */
static int run_tests(const char *cmd, const char *extra)
{
	static char saved[CMDLINE_MAX], line[CMDLINE_MAX];
	bool ok;

	snprintf(saved, sizeof(saved), "%s", cmdline_raw());
	if ((size_t)snprintf(line, sizeof(line), "%s %s", saved, extra) >= sizeof(line) ||
	    count_words(line) > CMDLINE_MAX_WORDS) {
		printk("%s: the command line would be too long with '%s'\n", cmd, extra);
		return -1;
	}
	cmdline_init(line);
	ok = ktest_run_all();
	cmdline_init(saved);
	printk("%s: %s\n", cmd, ok ? "PASSED" : "FAILED");
	return ok ? 0 : -1;
}

static int cmd_test(int argc, char **argv)
{
	char extra[SHELL_LINE_MAX + 16];

	snprintf(extra, sizeof(extra), "ktest.filter=%s", argc > 1 ? argv[1] : "*");
	return run_tests("test", extra);
}

static int cmd_stress(int argc, char **argv)
{
	char extra[96];
	u64 ops, seed;

	if (!shell_number("stress", "N", argv[1], &ops) ||
	    !shell_number("stress", "SEED", argv[2], &seed))
		return -1;
	if (!ops) {
		printk("stress: N is a number of operations, at least 1\n");
		return -1;
	}
	snprintf(extra, sizeof(extra), "ktest.filter=stress stress.ops=%llu ktest.seed=%llu",
		 (unsigned long long)ops, (unsigned long long)seed);
	return run_tests("stress", extra);
}

static int cmd_check(int argc, char **argv)
{
	int err = mm_check_all();
	unsigned long shell = shell_obj_check();

	if (err || shell) {
		printk("check: FAILED (%s%s)\n", err ? "mm_check_all" : "",
		       shell ? (err ? ", the shell's objects" : "the shell's objects") : "");
		return -1;
	}
	printk("check: ok (frame allocator, slab, vmap space, page tables, vmalloc PTEs and "
	       "pages, the shell's objects)\n");
	return 0;
}

static const char *const mode_names[] = { "off", "nth", "every", "prob" };

static void show_site(enum fault_site site)
{
	struct fault_attr attr;
	struct fault_stats st;

	fault_inject_get(site, &attr);
	fault_inject_get_stats(site, &st);
	printk("fail: %-10s %s", fault_site_name(site), mode_names[attr.mode]);
	if (attr.mode != FAULT_MODE_OFF)
		printk(",%lu%s", attr.n, attr.global ? " global" : "");
	printk(" (%lu calls, %lu failed since set)\n", st.calls, st.injected);
}

static int cmd_fail(int argc, char **argv)
{
	struct fault_attr attr;
	int site;

	if (argc == 1) {
		for (site = 0; site < FAULT_NR_SITES; site++)
			show_site((enum fault_site)site);
		return 0;
	}
	if (argc != 3) {
		printk("usage: fail [SITE SETTING], e.g. fail page_alloc nth,3\n");
		return -1;
	}
	for (site = 0; site < FAULT_NR_SITES; site++)
		if (!strcmp(argv[1], fault_site_name((enum fault_site)site)))
			break;
	if (site == FAULT_NR_SITES) {
		printk("fail: unknown site '%.32s' (page_alloc, slab, pgtable)\n", argv[1]);
		return -1;
	}
	if (fault_inject_parse(argv[2], &attr)) {
		printk("fail: bad setting '%.32s' (off, nth,N, every,N, prob,P[,seed=S])\n",
		       argv[2]);
		return -1;
	}
	return fault_inject_setup((enum fault_site)site, argv[2]);
}

static int cmd_reboot(int argc, char **argv)
{
	printk("reboot: resetting (QEMU with -no-reboot exits)\n");
	machine_reboot();
}

static int cmd_poweroff(int argc, char **argv)
{
	printk("poweroff: leaving QEMU through isa-debug-exit (status 33)\n");
	qemu_exit(QEMU_EXIT_SUCCESS);
}

const struct shell_cmd shell_run_cmds[] = {
	{ "test", "[FILTER]", "run test suites (ktest.filter globs), KTAP out", 0, 1, cmd_test,
	  NULL },
	{ "stress", "N SEED", "N random operations against the reference model", 2, 2,
	  cmd_stress, NULL },
	{ "check", NULL, "run every invariant checker", 0, 0, cmd_check, NULL },
	{ "fail", "[SITE SETTING]", "fault injection: page_alloc|slab|pgtable nth,N|every,N|"
	  "prob,P|off", 0, 2, cmd_fail, NULL },
	{ "reboot", NULL, "reset the machine", 0, 0, cmd_reboot, NULL },
	{ "poweroff", NULL, "end QEMU", 0, 0, cmd_poweroff, NULL },
	{}
};
