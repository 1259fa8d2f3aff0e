/*
 * What the kernel does with a CPU exception it did not expect, in order:
 *   1. the exception fixup table (probe_read/probe_write return -EFAULT);
 *   2. resolvers: code that can make the access succeed (demand paging);
 *   3. the report: vector, error code, registers, backtrace, plus lines from
 *      explainers that know what lives at the faulting address;
 *   4. the catcher, if one is armed (the test harness), which does not
 *      return; otherwise the run ends as failed.
 */
#ifndef KERNEL_FAULT_H
#define KERNEL_FAULT_H

#include "kernel/types.h"

struct fault_info {
	unsigned vector;
	u64 error_code;
	unsigned long ip;
	unsigned long sp;
	unsigned long addr;     /* CR2 for page faults, else 0 */
	bool page_fault;
	bool present;           /* page faults: protection violation, not a missing page */
	bool write;
	bool fetch;
	bool user;
};

/* Returns true if it made the faulting access valid; the instruction is retried. */
typedef bool (*fault_resolver_fn)(const struct fault_info *info);
/* Prints lines that explain `info->addr` (e.g. which vmalloc area is there). */
typedef void (*fault_explainer_fn)(const struct fault_info *info);
/* Takes over after the report; must not return (the harness longjmps). */
typedef void (*fault_catcher_fn)(const struct fault_info *info);

#define FAULT_MAX_HOOKS 4

/* Registers a resolver or explainer; returns 0, or -ENOSPC when full. */
int fault_add_resolver(fault_resolver_fn fn);
int fault_add_explainer(fault_explainer_fn fn);

/* Arms (or, with NULL, disarms) the catcher. Returns the previous one. */
fault_catcher_fn fault_set_catcher(fault_catcher_fn fn);

/* Steps 2-4 above, called by the arch trap code. Returns true if resolved. */
bool fault_try_resolve(const struct fault_info *info);
void fault_explain(const struct fault_info *info);
void fault_catch(const struct fault_info *info);

#endif
