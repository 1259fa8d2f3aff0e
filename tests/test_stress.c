/*
 * The memory subsystem's random model (tests/mm_model.h) as two suites:
 *
 * stress        `stress.ops` operations (default STRESS_DEFAULT_OPS, the
 *               short run of `make test`; `make stress` runs 10 million)
 *               from a generator seeded with ktest.seed, a full checkpoint
 *               every `stress.check` (500). A broken check prints the
 *               operations before it and the command line that replays
 *               it: ktest.filter=stress ktest.seed=S stress.ops=N, in the
 *               kernel or in mm-host-test. `stress.dump=1` prints each
 *               operation with the bytes it read (a fuzz input:
 *               tests/host/make-corpus.py --from-log).
 * model_replay  every saved fuzz input (tests/host/corpus and
 *               tests/host/regressions, built in), one parameter each,
 *               with the full checkpoint after every operation.
 */
#include "tests/ktest.h"
#include "tests/mm_model.h"
#include "kernel/bench.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"

#define STRESS_DEFAULT_OPS      100000
#define STRESS_DEFAULT_CHECK    500

static struct ktest *log_to;

static void log_line(const char *line)
{
	ktest_log(log_to, "model: %s", line);
}

static void print_summary(struct ktest *t, const struct mm_model_result *res, u64 seed,
			  unsigned long every, u64 ns)
{
	char line[320];
	int n = 0;

	for (unsigned i = 0; i < mm_model_nr_ops(); i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s:%lu", mm_model_op_name(i),
			      res->counts[i]);
	ktest_log(t, "stress: %lu ops in %llu.%03llu s (seed %llu, check every %lu)", res->ops,
		  (unsigned long long)(ns / 1000000000), (unsigned long long)(ns / 1000000 % 1000),
		  (unsigned long long)seed, every);
	ktest_log(t, "stress:%s", line);
}

static void random_ops_match_the_model(struct ktest *t)
{
	struct mm_model_config cfg = {
		.seed = ktest_seed(),
		.max_ops = cmdline_get_u64("stress.ops", STRESS_DEFAULT_OPS),
		.check_every = MAX(cmdline_get_u64("stress.check", STRESS_DEFAULT_CHECK), 1ul),
		.verbose = cmdline_get_u64("stress.dump", 0) != 0,
		.mode = MM_MODEL_RETURN,
		.log = log_line,
	};
	static struct mm_model_result res;
	u64 t0 = bench_now();
	int err;

	log_to = t;
	err = mm_model_run(&cfg, &res);
	print_summary(t, &res, cfg.seed, cfg.check_every, bench_cycles_to_ns(bench_now() - t0));
	if (err)
		KTEST_FAIL(t, "stress: mismatch at op %lu (seed %llu)", res.ops - 1,
			   (unsigned long long)cfg.seed);
}

static const struct ktest_case stress_cases[] = {
	/* Hours: `make stress` runs 10 million operations in this one case. */
	KTEST_CASE_TIMEOUT(random_ops_match_the_model, 4 * 3600),
	{}
};
KTEST_SUITE(stress, stress_cases);

static const void *input_params(const void *prev, char *desc)
{
	const struct mm_model_input *in = prev ? (const struct mm_model_input *)prev + 1
					       : mm_model_inputs;

	if (in >= mm_model_inputs + mm_model_nr_inputs)
		return NULL;
	snprintf(desc, KTEST_DESC_MAX, "%s", in->name);
	return in;
}

static void replay(struct ktest *t)
{
	const struct mm_model_input *in = t->param;
	struct mm_model_config cfg = {
		.data = in->data, .size = in->size, .check_every = 1,
		.verbose = cmdline_has("model.verbose"), .mode = MM_MODEL_RETURN, .log = log_line,
	};
	static struct mm_model_result res;

	log_to = t;
	/*
	 * An input's unmapped reads and read-only writes fault for real (the
	 * model checks each fault's address and access); how many depends on
	 * the input, and a fault-in may or may not succeed.
	 */
	ktest_expect_fault(t, KTEST_ANY);
	EXPECT_EQ(t, mm_model_run(&cfg, &res), 0);
}

static const struct ktest_case model_replay_cases[] = {
	KTEST_PARAM_CASE(replay, input_params),
	{}
};
KTEST_SUITE(model_replay, model_replay_cases);
