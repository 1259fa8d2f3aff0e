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
	if (!fn || timer_ticks() < watchdog_deadline || !(read_flags() & X86_EFLAGS_IF))
		return;
	watchdog_fn = NULL;
	irq_disable();                  /* as in an interrupt handler */
	fn();                           /* longjmps out: SA_NODEFER keeps SIGALRM open */
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
