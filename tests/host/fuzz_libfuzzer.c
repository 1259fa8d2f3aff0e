/*
 * The libFuzzer target (`make fuzz`): each input runs through the fuzz
 * engine (tests/host/fuzz.h) on a freshly booted host machine; a broken
 * check aborts, so libFuzzer saves the input as a crash. Copy it to
 * tests/host/regressions/ and `make host-test` replays it from then on.
 *
 * FUZZ_VERBOSE=1 in the environment prints every operation (for a replay:
 * build/host/fuzz/mm-fuzz FILE).
 */
#include "tests/host/fuzz.h"
#include "host/machine.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static int verbose = -1;

	if (verbose < 0) {
		verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") == '1';
		host_abort_on_exit = true;      /* a panic is a crash with its input */
	}
	fuzz_run(data, size, FUZZ_ABORT, verbose);
	return 0;
}
