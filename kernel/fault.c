/* The registries behind kernel/fault.h. */
#include "kernel/fault.h"
#include "kernel/errno.h"

static fault_resolver_fn resolvers[FAULT_MAX_HOOKS];
static fault_explainer_fn explainers[FAULT_MAX_HOOKS];
static fault_catcher_fn catcher;

static int add_hook(void **table, void *fn)
{
	for (int i = 0; i < FAULT_MAX_HOOKS; i++) {
		if (table[i] == fn)
			return 0;
		if (!table[i]) {
			table[i] = fn;
			return 0;
		}
	}
	return -ENOSPC;
}

int fault_add_resolver(fault_resolver_fn fn)
{
	return add_hook((void **)resolvers, (void *)fn);
}

int fault_add_explainer(fault_explainer_fn fn)
{
	return add_hook((void **)explainers, (void *)fn);
}

fault_catcher_fn fault_set_catcher(fault_catcher_fn fn)
{
	fault_catcher_fn old = catcher;

	catcher = fn;
	return old;
}

bool fault_try_resolve(const struct fault_info *info)
{
	for (int i = 0; i < FAULT_MAX_HOOKS && resolvers[i]; i++)
		if (resolvers[i](info))
			return true;
	return false;
}

void fault_explain(const struct fault_info *info)
{
	for (int i = 0; i < FAULT_MAX_HOOKS && explainers[i]; i++)
		explainers[i](info);
}

void fault_catch(const struct fault_info *info)
{
	if (catcher)
		catcher(info);
}
