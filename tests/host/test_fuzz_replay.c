/*
 * fuzz_replay: every input of the fuzzer's seed corpus (tests/host/corpus)
 * and every input it ever found a bug with (tests/host/regressions) runs
 * through the fuzz engine again, one parameter per file, under the host
 * test's sanitizers and Valgrind. The directories come from the command
 * line (host.corpus=, host.regressions=); `make host-test` passes both.
 * The engine boots its own small machine for each input; the suite boots
 * the test machine again at the end.
 */
#include "tests/host/fuzz.h"
#include "tests/host/host_tests.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "tests/ktest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_INPUTS      256
#define MAX_INPUT_SIZE  (FUZZ_MAX_OPS * FUZZ_RECORD)

struct input {
	char path[256];
	char desc[KTEST_DESC_MAX];
};

static struct input inputs[MAX_INPUTS];
static unsigned nr_inputs;
static bool listed;

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct input *)a)->path, ((const struct input *)b)->path);
}

/* A KTAP-safe description: <dir>_<file>, other characters as '_'. */
static void describe(struct input *in, const char *dir_name, const char *file)
{
	snprintf(in->desc, sizeof(in->desc), "%s_%s", dir_name, file);
	for (char *c = in->desc; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
			*c = '_';
}

static void list_dir(const char *key, const char *dir_name)
{
	const char *dir = cmdline_get(key);
	struct dirent *e;
	DIR *d;

	if (!dir || !*dir || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) && nr_inputs < MAX_INPUTS) {
		struct input *in = &inputs[nr_inputs];

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README"))
			continue;
		snprintf(in->path, sizeof(in->path), "%s/%s", dir, e->d_name);
		describe(in, dir_name, e->d_name);
		nr_inputs++;
	}
	closedir(d);
}

/* The inputs, listed once, sorted: the generator must give the same list twice. */
static const void *input_params(const void *prev, char *desc)
{
	const struct input *in = prev ? (const struct input *)prev + 1 : inputs;

	if (!listed) {
		list_dir("host.corpus", "corpus");
		list_dir("host.regressions", "regression");
		qsort(inputs, nr_inputs, sizeof(inputs[0]), by_path);
		listed = true;
	}
	if (in >= inputs + nr_inputs)
		return NULL;
	snprintf(desc, KTEST_DESC_MAX, "%s", in->desc);
	return in;
}

static void replay(struct ktest *t)
{
	const struct input *in = t->param;
	static u8 data[MAX_INPUT_SIZE];
	size_t size;
	FILE *file = fopen(in->path, "rb");

	/* An input runs on its own machine and may misuse the API on purpose. */
	ktest_no_leak_check(t, "the input boots its own machine");
	ktest_expect_warning(t, KTEST_ANY);
	ktest_expect_fault(t, KTEST_ANY);
	ASSERT_NOT_NULL(t, file);
	size = fread(data, 1, sizeof(data), file);
	fclose(file);
	EXPECT_EQ(t, fuzz_run(data, size, FUZZ_RETURN, cmdline_has("fuzz.verbose")), 0);
}

static void reboot_test_machine(void)
{
	host_tests_reboot();
}

static const struct ktest_case fuzz_replay_cases[] = {
	KTEST_PARAM_CASE(replay, input_params),
	{}
};

static const struct ktest_suite fuzz_replay_suite = {
	.name = "fuzz_replay",
	.cases = fuzz_replay_cases,
	.suite_exit = reboot_test_machine,
};
KTEST_SUITE_REGISTER(fuzz_replay_suite);
