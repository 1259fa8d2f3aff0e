/*
 * Three tiers of checking (docs/style): static_assert for layouts,
 * WARN/WARN_ON + an error return for survivable misuse, panic() only for
 * corrupted state from which the kernel cannot go on.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include "kernel/compiler.h"
#include "kernel/types.h"

/* Prints "Kernel panic - not syncing: <msg>" with a backtrace and stops QEMU as failed. */
__noreturn void panic_at(const char *file, int line, const char *fmt, ...) __printf(3, 4);
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* Prints one warning line "WARNING: file:line: <msg>" and counts it. */
void warn_at(const char *file, int line, const char *fmt, ...) __printf(3, 4);

#define WARN(cond, ...) ({                                      \
	bool __c = !!(cond);                                    \
	if (unlikely(__c))                                      \
		warn_at(__FILE__, __LINE__, __VA_ARGS__);       \
	__c;                                                    \
})
#define WARN_ON(cond) WARN(cond, "WARN_ON(%s)", #cond)

/*
 * The one warning line of a refused call, in the same words for every API:
 * "WARNING: file:line: <fn>: <what> (caller <symbol+0xoff/0xlen>)", where
 * `caller` is the return address of the public function `fn` (RET_IP
 * there), so the line names the code that misused it. WARN_CALL(cond, ...)
 * prints only if `cond` and returns it, like WARN.
 */
void warn_call_at(const char *file, int line, const char *fn, unsigned long caller,
		  const char *fmt, ...) __printf(5, 6);
#define warn_call(fn, caller, ...) \
	warn_call_at(__FILE__, __LINE__, fn, (unsigned long)(caller), __VA_ARGS__)
#define WARN_CALL(cond, fn, caller, ...) ({                     \
	bool __c = !!(cond);                                    \
	if (unlikely(__c))                                      \
		warn_call(fn, caller, __VA_ARGS__);             \
	__c;                                                    \
})
#define WARN_ONCE(cond, ...) ({                                 \
	static bool __warned;                                   \
	bool __c = !!(cond);                                    \
	if (unlikely(__c) && !__warned) {                       \
		__warned = true;                                \
		warn_at(__FILE__, __LINE__, __VA_ARGS__);       \
	}                                                       \
	__c;                                                    \
})
#define BUG_ON(cond) do {                                       \
	if (unlikely(cond))                                     \
		panic("BUG_ON(%s)", #cond);                     \
} while (0)

/* How many warnings have been printed since boot (tests compare before/after). */
unsigned long warn_count(void);

/* Prints the call chain starting at frame pointer `rbp`, symbolized. */
void dump_backtrace(unsigned long rbp);

/* The same for interrupted code: "RIP: <symbol+off>" of `ip`, then the chain. */
void dump_backtrace_at(unsigned long ip, unsigned long rbp);

/*
 * Saves up to `max` return addresses of the call chain at `rbp` (no
 * printing: for an NMI handler, whose CPU may hold the console) and
 * returns how many; backtrace_print() prints such a list as dump_backtrace.
 */
unsigned backtrace_save(unsigned long rbp, unsigned long *ips, unsigned max);
void backtrace_print(const unsigned long *ips, unsigned n);

/*
 * A watcher of warnings and fault reports (the test harness counts them
 * per case and marks the ones a case expects). begin() is called before
 * the first line of a warning or of a fault report, with where it comes
 * from ("file:line" of the WARN; "<exception> at <symbol+off>" for a
 * fault), end() after its last line. The kernel does
 * not depend on one being set.
 */
enum report_kind { REPORT_WARNING, REPORT_FAULT };
struct report_watcher {
	void (*begin)(enum report_kind kind, const char *where);
	void (*end)(enum report_kind kind);
};

/* Sets (or, with NULL, removes) the watcher. */
void report_set_watcher(const struct report_watcher *w);

/* Brackets one warning or fault report for the watcher (warn_at, trap_report). */
void report_begin(enum report_kind kind, const char *where);
void report_end(enum report_kind kind);

#endif
