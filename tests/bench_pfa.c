/*
 * Page-frame allocator benchmarks (`bench bench.filter=pfa`): ns per
 * alloc+free pair for order 0 and order 9, one pair at a time and in
 * batches of 1000 (1000 allocations, then 1000 frees), the median of
 * several runs after a warm-up; and the metadata cost per frame.
 *
 * The order-9 batch holds 1000 x 2 MiB at once: it needs about 2 GiB free
 * (boot with --mem 3G); with less it is skipped with a message.
 */
#include "kernel/bench.h"
#include "kernel/printk.h"
#include "mm/pfa.h"

#define RUNS            9
#define WARMUP_PAIRS    1000
#define SINGLE_PAIRS    2000
#define BATCH           1000

static struct page *batch[BATCH];

/* ns per pair of `pairs` back-to-back alloc_pages + free_pages; 0 if allocation failed. */
static u64 run_single(unsigned order, unsigned pairs)
{
	u64 start = bench_now();

	for (unsigned i = 0; i < pairs; i++) {
		struct page *page = alloc_pages(order, 0);

		if (!page)
			return 0;
		free_pages(page, order);
	}
	return bench_cycles_to_ns(bench_now() - start) / pairs;
}

/* ns per pair of BATCH allocations followed by BATCH frees; 0 if allocation failed. */
static u64 run_batch(unsigned order)
{
	u64 start = bench_now();
	unsigned n = 0;

	while (n < BATCH && (batch[n] = alloc_pages(order, 0)))
		n++;
	for (unsigned i = 0; i < n; i++)
		free_pages(batch[i], order);
	if (n < BATCH)
		return 0;
	return bench_cycles_to_ns(bench_now() - start) / BATCH;
}

static void bench_single(const char *name, unsigned order)
{
	u64 ns[RUNS];

	run_single(order, WARMUP_PAIRS);
	for (unsigned r = 0; r < RUNS; r++)
		if (!(ns[r] = run_single(order, SINGLE_PAIRS))) {
			printk("bench: %s skipped: out of memory\n", name);
			return;
		}
	bench_report(name, "ns_per_op", bench_median(ns, RUNS), SINGLE_PAIRS, "ns");
}

static void bench_batch(const char *name, unsigned order)
{
	unsigned long need = (unsigned long)BATCH << order;
	u64 ns[RUNS];

	if (pfa_free_pages() < need + (need >> 4)) {
		printk("bench: %s skipped: needs %lu MiB free, %lu MiB are (boot with more memory)\n",
		       name, (need * PAGE_SIZE) >> 20, (pfa_free_pages() * PAGE_SIZE) >> 20);
		return;
	}
	run_batch(order);
	for (unsigned r = 0; r < RUNS; r++)
		if (!(ns[r] = run_batch(order))) {
			printk("bench: %s skipped: out of memory\n", name);
			return;
		}
	bench_report(name, "ns_per_op", bench_median(ns, RUNS), BATCH, "ns");
}

static void bench_pfa(void)
{
	struct pfa_stats s;

	if (KCONFIG_DEBUG)
		printk("bench: pfa: KCONFIG_DEBUG=1, poisoning is on: figures are not representative\n");
	bench_single("pfa_alloc_free_order0", 0);
	bench_single("pfa_alloc_free_order9", 9);
	bench_batch("pfa_alloc_free_order0_batch1000", 0);
	bench_batch("pfa_alloc_free_order9_batch1000", 9);
	pfa_get_stats(&s);
	bench_report("pfa_metadata", "bytes_per_frame", sizeof(struct page), 0, "bytes");
	bench_report("pfa_metadata", "bytes", s.metadata_bytes, s.present_pages, "bytes");
}
KBENCH("pfa", bench_pfa);
