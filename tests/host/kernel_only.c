/*
 * The kernel's suites run unchanged on the host, but for the cases below:
 * they test the CPU, the boot or the kernel image itself, or make an
 * assumption the host layout cannot meet. They still appear in the host's
 * KTAP, as "ok N name # SKIP kernel only: <why>", so the log says what the
 * host did not run; the QEMU configurations of `make test` run them.
 *
 * host_mark_kernel_only() replaces each such case, before the run, with a
 * copy whose body is a skip (same name, same parameters, so the numbering
 * is the kernel's); a glob may also name one parameter of a case
 * (suite.case.param). A suite whose every case is kernel-only also loses
 * its init and exit hooks: they may touch what the host does not have.
 */
#include "tests/host/host_tests.h"
#include "kernel/compiler.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "tests/ktest.h"

#include <stdlib.h>

struct kernel_only {
	const char *glob;       /* suite.case, ktest.filter style */
	const char *why;
};

static const struct kernel_only kernel_only[] = {
	{ "boot.*", "parses the Multiboot2 information from GRUB" },
	{ "paging.*", "checks the CPU's view of the kernel image, CR3, CR4" },
	{ "traps.*", "raises CPU exceptions, overflows the kernel stack" },
	{ "pgtable.huge_leaves_in_query_and_walk",
	  "uses virt_to_phys() of a kernel static" },
	{ "printk.percent_ps_symbolizes",
	  "vsnprintf is kernel_vsnprintf on the host" },
	{ "vm_sparse.prebuilt_*",
	  "prebuilt: vm_sparse.c maps virt_to_page(build_scratch), a static" },
	{ "arena.every_failure_point_leaves_no_trace.create_64m_prebuilt",
	  "prebuilt: vm_sparse.c maps virt_to_page(build_scratch), a static" },
};

/* Defined by arch/host/host.ld: the registry ktest.c reads, writable here. */
extern const struct ktest_suite *__host_ktest_suites_start[], *__host_ktest_suites_end[];

#define MAX_PARTLY 16

/* The cases with some kernel-only parameters, and their real bodies. */
static struct {
	const char *suite;
	const struct ktest_case *real;
} partly[MAX_PARTLY];
static unsigned nr_partly;

static const struct kernel_only *find(const char *suite, const char *name, const char *param)
{
	char full[200];

	snprintf(full, sizeof(full), "%s.%s%s%s", suite, name, param ? "." : "", param ? param : "");
	for (size_t i = 0; i < ARRAY_SIZE(kernel_only); i++)
		if (ktest_glob_match(kernel_only[i].glob, full))
			return &kernel_only[i];
	return NULL;
}

/* The description of parameter `p` of `c`, found by running its generator. */
static const char *param_desc(const struct ktest_case *c, const void *p, char *desc)
{
	for (const void *q = c->params(NULL, desc); q; q = c->params(q, desc))
		if (q == p)
			return desc;
	return "?";
}

/* True if some but not all parameters of `c` are kernel-only. */
static bool some_params_kernel_only(const char *suite, const struct ktest_case *c)
{
	char desc[KTEST_DESC_MAX];
	unsigned n = 0, kernel = 0;

	if (!c->params || find(suite, c->name, NULL))
		return false;
	for (const void *p = c->params(NULL, desc); p; p = c->params(p, desc), n++)
		kernel += find(suite, c->name, desc) != NULL;
	return kernel && kernel < n;
}

static void skip_kernel_only(struct ktest *t)
{
	char desc[KTEST_DESC_MAX];
	const struct kernel_only *k;

	for (unsigned i = 0; i < nr_partly; i++) {
		if (strcmp(partly[i].suite, t->suite) || strcmp(partly[i].real->name, t->name))
			continue;
		k = find(t->suite, t->name, param_desc(partly[i].real, t->param, desc));
		if (!k) {
			partly[i].real->run(t);
			return;
		}
		ktest_skip(t, "kernel only: %s", k->why);
	}
	k = find(t->suite, t->name, NULL);
	ktest_skip(t, "kernel only: %s", k ? k->why : "?");
}

/* A copy of `s` with its kernel-only cases skipped, or `s` itself if it has none. */
static const struct ktest_suite *host_version(const struct ktest_suite *s)
{
	unsigned n = 0, whole = 0, part = 0;
	struct ktest_case *cases;
	struct ktest_suite *copy;

	for (const struct ktest_case *c = s->cases; c->name; c++, n++) {
		whole += find(s->name, c->name, NULL) != NULL;
		part += some_params_kernel_only(s->name, c);
	}
	if (!whole && !part)
		return s;
	cases = calloc(n + 1, sizeof(*cases));
	copy = malloc(sizeof(*copy));
	if (!cases || !copy || nr_partly + part > MAX_PARTLY)
		abort();
	for (unsigned i = 0; i < n; i++) {
		cases[i] = s->cases[i];
		if (some_params_kernel_only(s->name, &s->cases[i])) {
			partly[nr_partly].suite = s->name;
			partly[nr_partly++].real = &s->cases[i];
			cases[i].run = skip_kernel_only;
		} else if (find(s->name, cases[i].name, NULL)) {
			cases[i].run = skip_kernel_only;
		}
	}
	*copy = *s;
	copy->cases = cases;
	if (whole == n) {
		copy->suite_init = NULL;
		copy->suite_exit = NULL;
		copy->init = NULL;
		copy->exit = NULL;
	}
	return copy;
}

void host_mark_kernel_only(void)
{
	for (const struct ktest_suite **s = __host_ktest_suites_start; s < __host_ktest_suites_end; s++)
		*s = host_version(*s);
}
