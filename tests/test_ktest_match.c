/* Suite ktest_match: the harness's regular-expression matcher (tests/ktest_match.h). */
#include "tests/ktest.h"
#include "tests/ktest_match.h"

struct match_row {
	const char *re, *text;
	bool match;
};

static void expect_rows(struct ktest *t, const struct match_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ktest_regex_match(rows[i].re, rows[i].text) != rows[i].match)
			KTEST_FAIL(t, "\"%s\" %s \"%s\"", rows[i].re,
				   rows[i].match ? "should match" : "should not match", rows[i].text);
}

static void literals_dot_and_escapes_match_the_whole_text(struct ktest *t)
{
	static const struct match_row rows[] = {
		{ "abc", "abc", true }, { "abc", "abcd", false }, { "abc", "ab", false },
		{ "", "", true }, { "", "a", false }, { "a.c", "axc", true }, { "a.c", "ac", false },
		{ "a\\.c", "a.c", true }, { "a\\.c", "axc", false }, { "\\+\\(", "+(", true },
	};

	expect_rows(t, rows, ARRAY_SIZE(rows));
}

static void classes_take_ranges_and_characters(struct ktest *t)
{
	static const struct match_row rows[] = {
		{ "[a-c_]", "b", true }, { "[a-c_]", "_", true }, { "[a-c_]", "d", false },
		{ "[0-9a-f]+", "0badf00d", true }, { "[0-9a-f]+", "", false },
		{ "[A-Za-z0-9_.]+", "foo_bar.1", true }, { "[A-Za-z0-9_.]+", "foo bar", false },
	};

	expect_rows(t, rows, ARRAY_SIZE(rows));
}

static void quantifiers_count_and_back_off(struct ktest *t)
{
	static const struct match_row rows[] = {
		{ "x*", "", true }, { "x*y", "xxxy", true }, { "x+y", "y", false },
		{ "x?y", "y", true }, { "x?y", "xxy", false }, { "[0-9]{3}", "123", true },
		{ "[0-9]{3}", "12", false }, { "[0-9]{3}", "1234", false },
		{ "[0-9]{2,}", "12345", true }, { "[0-9]{2,}", "1", false },
		{ " +[0-9]+", "   42", true }, { "a*ab", "aaab", true }, { "[a-z]+c", "abcbc", true },
	};

	expect_rows(t, rows, ARRAY_SIZE(rows));
}

static void optional_groups_keep_their_order(struct ktest *t)
{
	static const struct match_row rows[] = {
		{ "a( b)?( c)?", "a b c", true }, { "a( b)?( c)?", "a c", true },
		{ "a( b)?( c)?", "a", true }, { "a( b)?( c)?", "a c b", false },
		{ "a( [0-9]+)?z", "a 12z", true }, { "a( [0-9]+)?z", "a z", false },
	};

	expect_rows(t, rows, ARRAY_SIZE(rows));
}

static const struct ktest_case match_cases[] = {
	KTEST_CASE(literals_dot_and_escapes_match_the_whole_text),
	KTEST_CASE(classes_take_ranges_and_characters),
	KTEST_CASE(quantifiers_count_and_back_off),
	KTEST_CASE(optional_groups_keep_their_order),
	{}
};
KTEST_SUITE(ktest_match, match_cases);
