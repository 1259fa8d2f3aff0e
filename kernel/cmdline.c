/* Command-line storage and key lookup. */
#include "kernel/cmdline.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"


static char raw[CMDLINE_MAX];
static char words_buf[CMDLINE_MAX];
static const char *words[CMDLINE_MAX_WORDS];
static unsigned nr_words;

/* Splits words_buf into words; warns if there are more than it keeps. */
static void split_words(void)
{
	char *p = words_buf;

	nr_words = 0;
	while (*p) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		if (nr_words == CMDLINE_MAX_WORDS) {
			WARN(true, "cmdline: more than %d words, ignored from '%.32s'",
			     CMDLINE_MAX_WORDS, raw + (p - words_buf));
			break;
		}
		words[nr_words++] = p;
		while (*p && *p != ' ')
			p++;
	}
}

void cmdline_init(const char *line)
{
	size_t n = line ? strnlen(line, CMDLINE_MAX) : 0;

	if (n == CMDLINE_MAX) {
		n = CMDLINE_MAX - 1;
		WARN(true, "cmdline: longer than %d bytes, cut after '...%.24s'",
		     CMDLINE_MAX - 1, line + n - 24);
	}
	memcpy(raw, line ? line : "", n);
	raw[n] = '\0';
	memcpy(words_buf, raw, n + 1);
	split_words();
}

const char *cmdline_raw(void)
{
	return raw;
}

const char *cmdline_get(const char *key)
{
	size_t klen = strlen(key);
	const char *found = NULL;

	for (unsigned i = 0; i < nr_words; i++) {
		const char *w = words[i];

		if (strncmp(w, key, klen))
			continue;
		if (w[klen] == '=')
			found = w + klen + 1;
		else if (w[klen] == '\0')
			found = "";
	}
	return found;
}

bool cmdline_has(const char *key)
{
	return cmdline_get(key) != NULL;
}

bool parse_u64(const char *s, u64 *out)
{
	unsigned base = 10;
	u64 v = 0;

	if (!s || !*s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		v = v * base + d;
	}
	switch (*s) {
	case 'K': case 'k': v <<= 10; s++; break;
	case 'M': case 'm': v <<= 20; s++; break;
	case 'G': case 'g': v <<= 30; s++; break;
	}
	if (*s)
		return false;
	*out = v;
	return true;
}

u64 cmdline_get_u64(const char *key, u64 def)
{
	u64 v;

	return parse_u64(cmdline_get(key), &v) ? v : def;
}
