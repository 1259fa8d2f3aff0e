/*
 * What the command line asks of the harness: which suites and cases
 * `ktest.filter` selects, and a check of every `ktest.*` switch, so that a
 * typo is a warning and a filter that selects nothing is a failure rather
 * than a green run of nothing.
 */
#include "tests/ktest_internal.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"

#define FILTER_ITEM_MAX 128

extern const struct ktest_suite *const __ktest_suites_start[];
extern const struct ktest_suite *const __ktest_suites_end[];

/* Copies the next non-empty comma-separated item of *f into item; false at the end. */
static bool next_item(const char **f, char *item, size_t size)
{
	while (**f == ',')
		(*f)++;
	if (!**f)
		return false;
	size_t n = 0;

	while ((*f)[n] && (*f)[n] != ',')
		n++;
	snprintf(item, size, "%.*s", (int)n, *f);
	*f += n;
	return true;
}

/* One item: <suite glob>[.<case glob>]; a manual suite only by its exact name. */
static bool item_selects(const char *item, const struct ktest_suite *s, const char *test)
{
	char suite[FILTER_ITEM_MAX];
	char *dot;

	snprintf(suite, sizeof(suite), "%s", item);
	dot = strchr(suite, '.');
	if (dot)
		*dot = '\0';
	if (s->manual ? strcmp(suite, s->name) : !ktest_glob_match(suite, s->name))
		return false;
	return !dot || !test || ktest_glob_match(dot + 1, test);
}

bool ktest_filter_selects(const struct ktest_suite *s, const char *test)
{
	const char *f = cmdline_get("ktest.filter");
	char item[FILTER_ITEM_MAX];

	if (!f || !*f)
		return !s->manual;
	while (next_item(&f, item, sizeof(item)))
		if (item_selects(item, s, test))
			return true;
	return false;
}

static bool item_matches_a_case(const char *item)
{
	for (const struct ktest_suite *const *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		for (const struct ktest_case *c = (*s)->cases; c->name; c++)
			if (item_selects(item, *s, c->name))
				return true;
	return false;
}

bool ktest_filter_items_match(void)
{
	const char *f = cmdline_get("ktest.filter");
	char item[FILTER_ITEM_MAX];
	bool ok = true;

	if (!f)
		return true;
	while (next_item(&f, item, sizeof(item))) {
		if (item_matches_a_case(item))
			continue;
		ktest_out("ktest: filter matched nothing: '%s' (ktest.list prints the names)\n", item);
		ok = false;
	}
	return ok;
}

static const char *const known_switches[] = {
	"ktest", "ktest.filter", "ktest.list", "ktest.seed", "ktest.exit",
};

static bool known_switch(const char *word, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_switches); i++)
		if (strlen(known_switches[i]) == len && !strncmp(word, known_switches[i], len))
			return true;
	return false;
}

/* Warns about each `ktest.*` word that is not a switch the harness knows. */
static void check_unknown_switches(const char *line)
{
	while (*line) {
		size_t n = 0, key = 0;

		while (*line == ' ')
			line++;
		while (line[n] && line[n] != ' ')
			n++;
		while (key < n && line[key] != '=')
			key++;
		if (key && !strncmp(line, "ktest", 5) && (key == 5 || line[5] == '.') &&
		    !known_switch(line, key))
			WARN(true, "ktest: unknown switch '%.*s' ignored (known: ktest.filter, "
			     "ktest.list, ktest.seed, ktest.exit)", (int)n, line);
		line += n;
	}
}

void ktest_check_cmdline(void)
{
	const char *v;
	u64 n;

	check_unknown_switches(cmdline_raw());
	v = cmdline_get("ktest.seed");
	WARN(v && !parse_u64(v, &n), "ktest: ktest.seed='%s' is not a number, a random "
	     "seed is used", v);
	v = cmdline_get("ktest.exit");
	WARN(v && *v && strcmp(v, "0") && strcmp(v, "1"), "ktest: ktest.exit='%s' is "
	     "neither 0 nor 1, it is read as %s", v, cmdline_get_u64("ktest.exit", 1) ? "1" : "0");
	v = cmdline_get("ktest.filter");
	WARN(v && !*v, "ktest: ktest.filter is empty, every suite runs");
	v = cmdline_get("ktest.list");
	WARN(v && *v, "ktest: ktest.list takes no value ('%s' ignored)", v);
}
