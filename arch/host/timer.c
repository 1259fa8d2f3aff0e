/*
 * The host machine's timer: ticks from CLOCK_MONOTONIC at TIMER_HZ, the
 * TSC is the real one (its rate measured once), and the harness's
 * watchdog is a SIGALRM every tick that calls the watchdog function once
 * its deadline has passed, but only while the simulated interrupt flag
 * is on, as the kernel's timer interrupt would: code holding a spinlock
 * (irqsave) is never interrupted. `host.watchdog=off` on the command
 * line disables it (Valgrind runs, where time means little).
 */
#define _GNU_SOURCE
#include "asm/cpu.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/tsc_calibrate.h"
#include "kernel/cmdline.h"
#include "kernel/lib/string.h"

#include <signal.h>
#include <sys/time.h>
#include <time.h>

static volatile u64 watchdog_deadline;
static timer_watchdog_fn volatile watchdog_fn;
static u64 tsc_rate;

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

u64 timer_ticks(void)
{
	return now_ns() / (1000000000ull / TIMER_HZ);
}

static void on_alarm(int sig)
{
	timer_watchdog_fn fn = watchdog_fn;

	(void)sig;
	if (!fn || rdtsc() < watchdog_deadline || !(read_flags() & X86_EFLAGS_IF))
		return;
	watchdog_fn = NULL;
	irq_disable();                  /* as in an interrupt handler */
	fn(NULL);                       /* longjmps out: SA_NODEFER keeps SIGALRM open */
}

void timer_init(void)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART | SA_NODEFER };
	struct itimerval tick = { { 0, 1000000 / TIMER_HZ }, { 0, 1000000 / TIMER_HZ } };
	const char *w = cmdline_get("host.watchdog");

	if (w && !strcmp(w, "off"))
		return;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &tick, NULL);
}

void timer_set_watchdog(u64 deadline, timer_watchdog_fn fn)
{
	watchdog_fn = NULL;
	watchdog_deadline = deadline;
	watchdog_fn = fn;
}

u64 tsc_hz(void)
{
	if (!tsc_rate) {
		u64 t0 = now_ns(), c0 = rdtsc();

		while (now_ns() - t0 < 10000000)
			;
		tsc_rate = (rdtsc() - c0) * 100;
	}
	return tsc_rate;
}

/* TSC ticks over one window of `ms` of CLOCK_MONOTONIC. */
static u64 window_hz(unsigned ms)
{
	u64 t0 = now_ns(), c0 = rdtsc(), t1, c1;

	do {
		t1 = now_ns();
		c1 = rdtsc();
	} while (t1 - t0 < (u64)ms * 1000000);
	return (c1 - c0) * 1000000000ull / (t1 - t0);
}

/* The host's version: windows against CLOCK_MONOTONIC, the middle half kept. */
void tsc_calibrate_long(struct tsc_calibration *c, unsigned windows, unsigned window_ms,
			bool pit)
{
	u64 hz[TSC_CAL_MAX_WINDOWS];
	unsigned kept, first;

	windows = windows < 1 ? 1 : windows > TSC_CAL_MAX_WINDOWS ? TSC_CAL_MAX_WINDOWS : windows;
	window_ms = window_ms ? window_ms : 1;
	for (unsigned i = 0; i < windows; i++) {
		u64 x = window_hz(window_ms);
		unsigned j = i;

		for (; j > 0 && hz[j - 1] > x; j--)     /* insertion sort */
			hz[j] = hz[j - 1];
		hz[j] = x;
	}
	kept = (windows + 1) / 2;
	first = (windows - kept) / 2;
	*c = (struct tsc_calibration){
		.hz = hz[windows / 2], .lo_hz = hz[first], .hi_hz = hz[first + kept - 1],
		.windows = windows, .kept = kept, .window_ms = window_ms,
		.reference = "CLOCK_MONOTONIC",
	};
	c->spread_ppm = (u32)((c->hi_hz - c->lo_hz) * 1000000ull / c->hz);
}
