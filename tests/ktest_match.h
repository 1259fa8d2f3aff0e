/*
 * Text matching for tests that check what the kernel prints: a small
 * regular-expression matcher, enough for formats such as Linux's
 * /proc/vmallocinfo lines.
 */
#ifndef TESTS_KTEST_MATCH_H
#define TESTS_KTEST_MATCH_H

#include "kernel/types.h"

/*
 * True if the whole of `text` matches `re`. The syntax: literals, '.'
 * (any character), '\x' (x literally), classes "[a-z0-9_]" (ranges and
 * single characters, no negation), the quantifiers '*', '+', '?', "{n}"
 * and "{m,}" on a single atom, and optional groups "(...)?" (not nested,
 * at most 255 bytes of pattern after the group). No anchors are needed:
 * the match is always of the whole text.
 */
bool ktest_regex_match(const char *re, const char *text);

#endif
