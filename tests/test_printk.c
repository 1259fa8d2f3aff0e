/* printk's formatting engine (vsnprintf) and the kernel symbol table. */
#include "tests/ktest.h"
#include "kernel/ksyms.h"
#include "kernel/lib/format.h"
#include "kernel/printk.h"

static void check_format(struct ktest *t, const char *want, const char *fmt, ...)
	__printf(3, 4);

static void check_format(struct ktest *t, const char *want, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	EXPECT_STREQ(t, buf, want);
	EXPECT_EQ(t, n, (int)strlen(want));
}

static void integers(struct ktest *t)
{
	check_format(t, "42 -42 0", "%d %i %d", 42, -42, 0);
	check_format(t, "4294967295", "%u", 4294967295u);
	check_format(t, "-9223372036854775808", "%lld", (long long)(-9223372036854775807ll - 1));
	check_format(t, "18446744073709551615", "%llu", 18446744073709551615ull);
	check_format(t, "ff FF 377", "%x %X %o", 255, 255, 255);
	check_format(t, "ffffffff80000000", "%lx", 0xffffffff80000000ul);
	check_format(t, "123456789abcdef0", "%llx", 0x123456789abcdef0ull);
	check_format(t, "4096", "%zu", (size_t)4096);
	check_format(t, "-1", "%zd", (ssize_t)-1);
	check_format(t, "200 -56", "%hhu %hhd", (unsigned char)200, (signed char)-56);
	check_format(t, "+5 -5", "%+d %+d", 5, -5);
	check_format(t, "0x1f 0X1F", "%#x %#X", 31, 31);
}

static void widths_and_padding(struct ktest *t)
{
	check_format(t, "[   42]", "[%5d]", 42);
	check_format(t, "[42   ]", "[%-5d]", 42);
	check_format(t, "[00042]", "[%05d]", 42);
	check_format(t, "[-0042]", "[%05d]", -42);
	check_format(t, "[000000000000abcd]", "[%016lx]", 0xabcdul);
	check_format(t, "[  abc]", "[%5s]", "abc");
	check_format(t, "[abc  ]", "[%-5s]", "abc");
	check_format(t, "[ab]", "[%.2s]", "abc");
	check_format(t, "[   7]", "[%*d]", 4, 7);
	check_format(t, "[007]", "[%.3d]", 7);
}

/* volatile: keeps the compiler from flagging the deliberate NULL "%s". */
static const char *volatile null_string;

static void strings_chars_and_pointers(struct ktest *t)
{
	check_format(t, "x=A", "x=%c", 'A');
	check_format(t, "hello world", "%s %s", "hello", "world");
	check_format(t, "(null)", "%s", null_string);
	check_format(t, "100%", "100%%");
	check_format(t, "0x0000000000001000", "%p", (void *)0x1000);
	check_format(t, "0xffffffff80000000", "%p", (void *)0xffffffff80000000ul);
}

static void truncation_returns_full_length(struct ktest *t)
{
	char buf[8];
	int n = snprintf(buf, sizeof(buf), "%s", "0123456789");

	EXPECT_EQ(t, n, 10);
	EXPECT_STREQ(t, buf, "0123456");
	EXPECT_EQ(t, snprintf(NULL, 0, "%d", 12345), 5);
}

static void symbol_lookup(struct ktest *t)
{
	const char *name = NULL;
	unsigned long off = ~0ul, size = 0;
	unsigned long addr = (unsigned long)printk;

	ASSERT_TRUE(t, ksym_lookup(addr + 3, &name, &off, &size));
	EXPECT_STREQ(t, name, "printk");
	EXPECT_EQ(t, off, 3);
	EXPECT_GT(t, size, 3);
	EXPECT_EQ(t, ksym_address("printk"), addr);
	EXPECT_FALSE(t, ksym_lookup(0x1000, &name, &off, &size));
}

static void percent_ps_symbolizes(struct ktest *t)
{
	char buf[96], want[96];
	const char *name;
	unsigned long off, size;

	ASSERT_TRUE(t, ksym_lookup((unsigned long)vsnprintf, &name, &off, &size));
	snprintf(want, sizeof(want), "vsnprintf+0x10/0x%lx", size);
	snprintf(buf, sizeof(buf), "%pS", (void *)((unsigned long)vsnprintf + 0x10));
	EXPECT_STREQ(t, buf, want);
}

static const struct ktest_case printk_cases[] = {
	KTEST_CASE(integers),
	KTEST_CASE(widths_and_padding),
	KTEST_CASE(strings_chars_and_pointers),
	KTEST_CASE(truncation_returns_full_length),
	KTEST_CASE(symbol_lookup),
	KTEST_CASE(percent_ps_symbolizes),
	{}
};
KTEST_SUITE(printk, printk_cases);
