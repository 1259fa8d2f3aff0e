/* Booting the host machine again, for suites that need another machine for a while. */
#include "tests/host/host_tests.h"
#include "kernel/lib/format.h"
#include "kernel/printk.h"
#include "mm/init.h"
#include "tests/ktest.h"

static const struct host_machine *booted;
static char booted_cmdline[1024];

void host_tests_booted(const struct host_machine *m, const char *cmdline)
{
	booted = m;
	snprintf(booted_cmdline, sizeof(booted_cmdline), "%s", cmdline);
}

void host_tests_reboot(void)
{
	struct ktest_capture cap;
	char log[256];

	ktest_capture_start(&cap, log, sizeof(log), true);
	host_machine_init(booted, booted_cmdline);
	mm_init();
	ktest_capture_stop(&cap);
}
