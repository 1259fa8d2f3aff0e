/*
 * fault_inject_each_point() (tests/fault_points.h): a sweep over the
 * failure points of one operation, each run compared with a baseline
 * snapshot of the memory subsystem.
 */
#include "tests/fault_points.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/mm_check.h"
#include "mm/vmalloc.h"
#include "tests/mm_state.h"

/* One run of an each-point sweep: `op` with call `nth` at `site` failing. */
struct sweep {
	const struct fault_op *op;
	void *ctx;
	struct mm_snapshot base;
	char what[96];                  /* "<name>: <site> call <n> failing", for messages */
};

/* Compares the system with the baseline after a run; false after printing. */
static bool sweep_unchanged(struct sweep *w, bool failed)
{
	struct mm_snapshot now;
	bool ok;

	mm_snapshot_take(&now);
	if (!failed)
		mm_snapshot_keep_vmalloc_tables(&w->base, &now);
	ok = mm_snapshot_equal(&w->base, &now, w->what);
	if (mm_check_all()) {
		printk("fault points: %s: the invariant checks fail\n", w->what);
		ok = false;
	}
	if (failed && w->op->check && w->op->check(w->ctx)) {
		printk("fault points: %s: the op's own check fails\n", w->what);
		ok = false;
	}
	return ok;
}

/*
 * One run. Sets *more to whether the next call number is worth trying
 * (the failure happened). Returns false after printing a problem.
 */
static bool sweep_run(struct sweep *w, enum fault_site site, unsigned long nth, bool *more,
		      struct fault_points *pts)
{
	struct fault_attr nth_attr = { .mode = FAULT_MODE_NTH, .n = nth };
	struct fault_stats st;
	int err;

	snprintf(w->what, sizeof(w->what), "%s: %s call %lu failing", w->op->name,
		 fault_site_name(site), nth);
	fault_inject_set(site, &nth_attr);
	fault_inject_begin();
	err = w->op->op(w->ctx);
	fault_inject_end();
	fault_inject_get_stats(site, &st);
	fault_inject_clear(site);
	*more = st.injected > 0;
	if (*more && !err && !w->op->tolerant) {
		printk("fault points: %s: returned 0, the failure was ignored\n", w->what);
		w->op->undo(w->ctx);
		return false;
	}
	if (err && !*more) {
		printk("fault points: %s: failed with %d, but nothing was injected\n",
		       w->what, err);
		return false;
	}
	if (err > 0) {
		printk("fault points: %s: returned %d, not a negative errno\n", w->what, err);
		return false;
	}
	if (!err) {
		w->op->undo(w->ctx);
		pts->absorbed += *more;
	}
	/* Every run ends as the baseline began: nothing lazy or pooled, no pool miss counted. */
	vm_unmap_aliases();
	return sweep_unchanged(w, err != 0);
}

/* Every failure point at one site; false after printing a problem. */
static bool sweep_site(struct sweep *w, enum fault_site site, struct fault_points *pts)
{
	bool more = true;

	for (unsigned long nth = 1; more; nth++) {
		if (nth > FAULT_POINTS_MAX) {
			printk("fault points: %s: more than %u failure points at %s, stopped\n",
			       w->op->name, FAULT_POINTS_MAX, fault_site_name(site));
			return false;
		}
		if (!sweep_run(w, site, nth, &more, pts))
			return false;
		if (more)
			pts->per_site[site]++;
	}
	return true;
}

static void print_points(const struct fault_op *op, unsigned sites,
			 const struct fault_points *pts)
{
	char line[160];
	int len = snprintf(line, sizeof(line), "fault points: %s: %lu", op->name, pts->total);
	const char *sep = " (";

	for (unsigned s = 0; s < FAULT_NR_SITES; s++) {
		if (!(sites & FAULT_SITE_BIT(s)) || len >= (int)sizeof(line))
			continue;
		len += snprintf(line + len, sizeof(line) - len, "%s%s %lu", sep, fault_site_name(s),
				pts->per_site[s]);
		sep = ", ";
	}
	if (pts->absorbed && len < (int)sizeof(line))
		len += snprintf(line + len, sizeof(line) - len, "; %lu absorbed", pts->absorbed);
	printk("%s%s\n", line, sep[0] == ',' ? ")" : "");
}

__noinline
int fault_inject_each_point(const struct fault_op *op, void *ctx, struct fault_points *out)
{
	unsigned sites = op && op->sites ? op->sites : FAULT_SITES_ALL;
	struct fault_attr saved[FAULT_NR_SITES];
	struct fault_points pts = { 0 };
	struct sweep w = { .op = op, .ctx = ctx };
	bool ok = true;

	if (WARN_CALL(!op || !op->name || !op->op || !op->undo || sites >> FAULT_NR_SITES,
		      "fault_inject_each_point", RET_IP, "incomplete op or unknown sites"))
		return -EINVAL;
	/* Other settings (a global one from the command line) must not interfere. */
	for (unsigned s = 0; s < FAULT_NR_SITES; s++) {
		fault_inject_get(s, &saved[s]);
		fault_inject_clear(s);
	}
	vm_unmap_aliases();
	mm_snapshot_take(&w.base);
	for (unsigned s = 0; s < FAULT_NR_SITES && ok; s++)
		if (sites & FAULT_SITE_BIT(s))
			ok = sweep_site(&w, s, &pts);
	for (unsigned s = 0; s < FAULT_NR_SITES; s++)
		if (saved[s].mode != FAULT_MODE_OFF)
			fault_inject_set(s, &saved[s]);
	for (unsigned s = 0; s < FAULT_NR_SITES; s++)
		pts.total += pts.per_site[s];
	if (ok)
		print_points(op, sites, &pts);
	if (out)
		*out = pts;
	return ok ? 0 : -EINVAL;
}
