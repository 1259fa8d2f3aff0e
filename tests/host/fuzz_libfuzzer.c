/*
 * The libFuzzer target (`make fuzz`): each input runs through the model
 * engine (tests/mm_model.h) on a freshly booted small host machine (31
 * MiB), with the full checkpoint after every operation; a broken check
 * aborts, so libFuzzer saves the input as a crash. Copy it to
 * tests/host/regressions/: the suite model_replay then runs it in the
 * kernel (make test) and on the host (make host-test).
 *
 * FUZZ_VERBOSE=1 in the environment prints every operation and its bytes
 * (for a replay: build/host/fuzz/mm-fuzz FILE).
 */
#include "tests/mm_model.h"
#include "host/machine.h"
#include "mm/init.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

/* Lines of the engine go to stderr: the console is muted while an input runs. */
static void log_line(const char *line)
{
	fprintf(stderr, "model: %s\n", line);
}

static void boot(void)
{
	static const struct host_machine *small;

	if (!small)
		small = host_machine_find("small");
	host_machine_init(small, "fuzz");
	mm_init();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static int verbose = -1;
	struct mm_model_config cfg = {
		.data = data, .size = size, .max_ops = 512, .check_every = 1,
		.mode = MM_MODEL_ABORT, .log = log_line,
	};
	struct mm_model_result res;

	if (verbose < 0) {
		verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") == '1';
		host_abort_on_exit = true;      /* a panic is a crash with its input */
	}
	cfg.verbose = verbose;
	host_console_mute(!verbose);
	boot();
	mm_model_run(&cfg, &res);
	host_console_mute(false);
	return 0;
}
