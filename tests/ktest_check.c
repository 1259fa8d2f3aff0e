/* Failure reports for EXPECT_/ASSERT_, skips, fault catching and console capture. */
#include "tests/ktest_internal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/printk.h"
#include "kernel/irqflags.h"

static const char *check_word(enum ktest_check kind)
{
	return kind == KTEST_ASSERT ? "ASSERTION" : "EXPECTATION";
}

static void fail_header(struct ktest *t, enum ktest_check kind, const char *file, int line)
{
	ktest_out("%s# %s: %s FAILED at %s:%d\n", t->indent, t->name, check_word(kind),
		  file, line);
}

void ktest_fail_int(struct ktest *t, enum ktest_check kind, const char *file, int line,
		    const char *op, const char *lexpr, long long lv,
		    const char *rexpr, long long rv)
{
	fail_header(t, kind, file, line);
	ktest_out("%sExpected %s %s %s, but\n", t->indent, lexpr, op, rexpr);
	ktest_out("%s    %s == %lld (0x%llx)\n", t->indent, lexpr, lv, (unsigned long long)lv);
	ktest_out("%s    %s == %lld (0x%llx)\n", t->indent, rexpr, rv, (unsigned long long)rv);
	ktest_record_failure(t, kind);
}

void ktest_fail_str(struct ktest *t, enum ktest_check kind, const char *file, int line,
		    const char *lexpr, const char *lv, const char *rexpr, const char *rv)
{
	fail_header(t, kind, file, line);
	ktest_out("%sExpected %s == %s, but\n", t->indent, lexpr, rexpr);
	ktest_out("%s    %s == \"%s\"\n", t->indent, lexpr, lv ? lv : "(null)");
	ktest_out("%s    %s == \"%s\"\n", t->indent, rexpr, rv ? rv : "(null)");
	ktest_record_failure(t, kind);
}

void ktest_fail_bool(struct ktest *t, enum ktest_check kind, const char *file, int line,
		     const char *expr, bool want)
{
	fail_header(t, kind, file, line);
	ktest_out("%sExpected %s to be %s, but is %s\n", t->indent, expr,
		  want ? "true" : "false", want ? "false" : "true");
	ktest_record_failure(t, kind);
}

void ktest_fail_msg(struct ktest *t, enum ktest_check kind, const char *file, int line,
		    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_header(t, kind, file, line);
	ktest_out("%s%s\n", t->indent, msg);
	ktest_record_failure(t, kind);
}

void ktest_log(struct ktest *t, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ktest_out("%s# %s\n", t->indent, msg);
}

__noreturn void ktest_skip(struct ktest *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->skip_reason, sizeof(t->skip_reason), fmt, ap);
	va_end(ap);
	t->status = KTEST_SKIP;
	klongjmp(&t->abort, 1);
}

bool ktest_contains(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	for (; *haystack; haystack++)
		if (!strncmp(haystack, needle, n))
			return true;
	return n == 0;
}

static bool capture_tap(const char *text, size_t len, void *ctx)
{
	struct ktest_capture *cap = ctx;

	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			cap->lines++;
		if (cap->len + 1 < cap->size)
			cap->buf[cap->len++] = text[i];
	}
	cap->buf[cap->len] = '\0';
	return cap->quiet;
}

static const struct ktest_capture *capturing;

void ktest_capture_start(struct ktest_capture *cap, char *buf, size_t size, bool quiet)
{
	*cap = (struct ktest_capture){ .buf = buf, .size = size, .quiet = quiet };
	buf[0] = '\0';
	capturing = cap;
	console_set_tap(capture_tap, cap);
}

unsigned ktest_capture_stop(struct ktest_capture *cap)
{
	console_set_tap(NULL, NULL);
	capturing = NULL;
	return cap->lines;
}

bool ktest_capture_is_quiet(void)
{
	return capturing && capturing->quiet;
}

/* State of the one ktest_catch_fault() in progress. */
static struct kjmp_buf catch_point;
static struct ktest_fault *catch_out;
static bool catching;

bool ktest_catching_fault(void)
{
	return catching;
}

static void catch_fault_landing(const struct fault_info *info)
{
	catch_out->info = *info;
	klongjmp(&catch_point, 1);
}

static bool catch_fault(void (*fn)(void *arg), void *arg, struct ktest_fault *fault, bool quiet)
{
	struct ktest_capture cap;
	unsigned long flags = read_flags();
	bool faulted;

	memset(fault, 0, sizeof(*fault));
	catch_out = fault;
	ktest_capture_start(&cap, fault->report, sizeof(fault->report), quiet);
	if (ksetjmp(&catch_point) == 0) {
		fault_set_catcher(catch_fault_landing);
		catching = true;
		fn(arg);
		faulted = false;
	} else {
		faulted = true;
	}
	catching = false;
	ktest_capture_stop(&cap);
	fault->report_len = cap.len;
	ktest_arm_fault_catcher();
	irq_restore(flags);
	return faulted;
}

bool ktest_catch_fault(struct ktest *t, void (*fn)(void *arg), void *arg,
		       struct ktest_fault *fault)
{
	(void)t;
	return catch_fault(fn, arg, fault, false);
}

bool ktest_catch_fault_quiet(void (*fn)(void *arg), void *arg, struct ktest_fault *fault)
{
	return catch_fault(fn, arg, fault, true);
}
