/* The harness's regular-expression matcher: see tests/ktest_match.h. */
#include "tests/ktest_match.h"
#include "kernel/compiler.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"

/* Length of the atom at `re` (a character, an escape, a class). */
static int atom_len(const char *re)
{
	const char *p = re;

	if (*p == '\\')
		return 2;
	if (*p != '[')
		return 1;
	while (*++p && *p != ']')
		;
	return p - re + 1;
}

static bool atom_matches(const char *re, char c)
{
	bool hit = false;

	if (!c)
		return false;
	if (*re == '.')
		return true;
	if (*re == '\\')
		return re[1] == c;
	if (*re != '[')
		return *re == c;
	for (re++; *re != ']'; re++) {
		if (re[1] == '-' && re[2] != ']') {
			hit |= c >= re[0] && c <= re[2];
			re += 2;
		} else {
			hit |= *re == c;
		}
	}
	return hit;
}

/* Parses a quantifier after an atom: min/max repeats and its length. */
static int quantifier(const char *q, int *min, int *max)
{
	*min = 1;
	*max = 1;
	if (*q == '*' || *q == '+' || *q == '?') {
		*min = *q == '+';
		*max = *q == '?' ? 1 : 1 << 30;
		return 1;
	}
	if (*q != '{')
		return 0;
	const char *p = q + 1;

	for (*min = 0; *p >= '0' && *p <= '9'; p++)
		*min = *min * 10 + (*p - '0');
	*max = *p == ',' ? 1 << 30 : *min;
	while (*p != '}')
		p++;
	return p - q + 1;
}

/*
 * "(body)?rest": the body followed by the rest, or the rest alone. Its
 * own function (not inlined) so that only group levels carry the buffer.
 */
static __noinline bool group_match(const char *re, const char *text)
{
	const char *close = strchr(re, ')');
	char joined[256];
	int body = close - re - 1;

	snprintf(joined, sizeof(joined), "%.*s%s", body, re + 1, close + 2);
	return ktest_regex_match(joined, text) || ktest_regex_match(close + 2, text);
}

/*
 * Atoms with a fixed count are matched in a loop; only a variable count
 * recurses (greedy, then backing off), so the depth stays small.
 */
bool ktest_regex_match(const char *re, const char *text)
{
	int len, qlen, min, max, n;

	for (;;) {
		if (!*re)
			return !*text;
		if (*re == '(')
			return group_match(re, text);
		len = atom_len(re);
		qlen = quantifier(re + len, &min, &max);
		if (min != max)
			break;
		for (n = 0; n < min; n++)
			if (!atom_matches(re, *text++))
				return false;
		re += len + qlen;
	}
	for (n = 0; n < max && atom_matches(re, text[n]); n++)
		;
	for (; n >= min; n--)
		if (ktest_regex_match(re + len + qlen, text + n))
			return true;
	return false;
}

