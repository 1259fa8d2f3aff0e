/*
 * Fault injection (see mm/fault_inject.h): per-site settings and counters,
 * the hook's slow path, the scope and the command-line syntax. A leaf: it
 * knows nothing of the allocators that call it (the test driver that takes
 * an operation through every failure point is tests/fault_points.c).
 */
#include "mm/fault_inject.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/lock_order.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"

unsigned int fault_inject_armed;

struct site_state {
	struct fault_attr attr;
	unsigned long left;             /* NTH: calls until the failure; 0 once it happened */
	u64 rng;                        /* PROB: the generator's state */
	struct fault_stats stats;
};

/*
 * `lock` covers everything here and the writes of fault_inject_armed. It
 * is a leaf lock: the hooks run under the allocators' locks.
 */
static struct {
	spinlock_t lock;
	struct site_state site[FAULT_NR_SITES];
	unsigned depth[SMP_MAX_CPUS];   /* open scopes of each CPU */
	unsigned open;                  /* their sum */
} fi = { .lock = SPINLOCK_INIT_ORDERED("fault_inject", LOCK_ORDER_FAULT_INJECT) };

static const char *const site_names[FAULT_NR_SITES] = {
	[FAULT_PAGE_ALLOC] = "page_alloc", [FAULT_SLAB] = "slab", [FAULT_PGTABLE] = "pgtable",
};

static const char *const mode_names[] = {
	[FAULT_MODE_OFF] = "off", [FAULT_MODE_NTH] = "nth",
	[FAULT_MODE_EVERY] = "every", [FAULT_MODE_PROB] = "prob",
};

const char *fault_site_name(enum fault_site site)
{
	return (unsigned)site < FAULT_NR_SITES ? site_names[site] : "?";
}

/* splitmix64: any seed (0 included) gives a full-period, well-mixed sequence. */
static u64 rng_next(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Recomputes which sites act now. Lock held. */
static void update_armed_locked(void)
{
	unsigned armed = 0;

	for (unsigned s = 0; s < FAULT_NR_SITES; s++) {
		const struct fault_attr *a = &fi.site[s].attr;

		if (a->mode != FAULT_MODE_OFF && (a->global || fi.open))
			armed |= FAULT_SITE_BIT(s);
	}
	WRITE_ONCE(fault_inject_armed, armed);
}

/* --- the hook's slow path ----------------------------------------------- */

/* Whether the call just counted at `st` fails. Lock held. */
static bool decide_locked(struct site_state *st)
{
	switch (st->attr.mode) {
	case FAULT_MODE_NTH:
		return st->left && --st->left == 0;
	case FAULT_MODE_EVERY:
		return st->stats.calls % st->attr.n == 0;
	case FAULT_MODE_PROB:
		return rng_next(&st->rng) % 100 < st->attr.n;
	default:
		return false;
	}
}

bool fault_inject_should_fail_slow(enum fault_site site)
{
	struct site_state *st = &fi.site[site];
	unsigned long irq = spin_lock_irqsave(&fi.lock);
	bool fail = false;

	/*
	 * Re-checked under the lock (the scope may have closed meanwhile), and
	 * a scoped setting acts only on the CPU whose scope is open.
	 */
	if ((READ_ONCE(fault_inject_armed) & FAULT_SITE_BIT(site)) &&
	    (st->attr.global || fi.depth[smp_processor_id()])) {
		st->stats.calls++;
		fail = decide_locked(st);
		st->stats.injected += fail;
	}
	spin_unlock_irqrestore(&fi.lock, irq);
	return fail;
}

/* --- settings ------------------------------------------------------------ */

static bool attr_is_valid(const struct fault_attr *a)
{
	switch (a->mode) {
	case FAULT_MODE_OFF:
		return true;
	case FAULT_MODE_NTH:
	case FAULT_MODE_EVERY:
		return a->n >= 1;
	case FAULT_MODE_PROB:
		return a->n <= 100;
	default:
		return false;
	}
}

/* "nth,3", "prob,10,seed=42" (+ " global"): the command-line form. */
static void format_attr(const struct fault_attr *a, char *buf, size_t size)
{
	if (a->mode == FAULT_MODE_OFF)
		snprintf(buf, size, "off");
	else if (a->mode == FAULT_MODE_PROB)
		snprintf(buf, size, "prob,%lu,seed=%llu%s", a->n, (unsigned long long)a->seed,
			 a->global ? " global" : "");
	else
		snprintf(buf, size, "%s,%lu%s", mode_names[a->mode], a->n,
			 a->global ? " global" : "");
}

/* Sets `site`; prints the setting if `announce` (after the lock is dropped). */
static int set_site(enum fault_site site, const struct fault_attr *attr, bool announce,
		    unsigned long caller)
{
	struct site_state *st;
	unsigned long irq;
	char text[64];

	if (WARN_CALL((unsigned)site >= FAULT_NR_SITES || !attr || !attr_is_valid(attr),
		      "fault_inject_set", caller, "bad site %d or setting", (int)site))
		return -EINVAL;
	st = &fi.site[site];
	irq = spin_lock_irqsave(&fi.lock);
	st->attr = *attr;
	st->left = attr->mode == FAULT_MODE_NTH ? attr->n : 0;
	st->rng = attr->seed;
	st->stats = (struct fault_stats){ 0 };
	update_armed_locked();
	spin_unlock_irqrestore(&fi.lock, irq);
	if (announce) {
		format_attr(attr, text, sizeof(text));
		printk("fault_inject: %s: %s\n", site_names[site], text);
	}
	return 0;
}

__noinline
int fault_inject_set(enum fault_site site, const struct fault_attr *attr)
{
	return set_site(site, attr, attr && attr->mode == FAULT_MODE_PROB, RET_IP);
}

void fault_inject_get(enum fault_site site, struct fault_attr *attr)
{
	unsigned long irq;

	if ((unsigned)site >= FAULT_NR_SITES) {
		*attr = (struct fault_attr){ .mode = FAULT_MODE_OFF };
		return;
	}
	irq = spin_lock_irqsave(&fi.lock);
	*attr = fi.site[site].attr;
	spin_unlock_irqrestore(&fi.lock, irq);
}

void fault_inject_clear(enum fault_site site)
{
	unsigned long irq;

	if ((unsigned)site >= FAULT_NR_SITES)
		return;
	irq = spin_lock_irqsave(&fi.lock);
	fi.site[site].attr = (struct fault_attr){ .mode = FAULT_MODE_OFF };
	update_armed_locked();
	spin_unlock_irqrestore(&fi.lock, irq);
}

void fault_inject_clear_all(void)
{
	unsigned long irq = spin_lock_irqsave(&fi.lock);

	for (unsigned s = 0; s < FAULT_NR_SITES; s++)
		fi.site[s] = (struct site_state){ .attr.mode = FAULT_MODE_OFF };
	memset(fi.depth, 0, sizeof(fi.depth));
	fi.open = 0;
	update_armed_locked();
	spin_unlock_irqrestore(&fi.lock, irq);
}

void fault_inject_get_stats(enum fault_site site, struct fault_stats *stats)
{
	unsigned long irq;

	if ((unsigned)site >= FAULT_NR_SITES) {
		*stats = (struct fault_stats){ 0 };
		return;
	}
	irq = spin_lock_irqsave(&fi.lock);
	*stats = fi.site[site].stats;
	spin_unlock_irqrestore(&fi.lock, irq);
}

/* --- scope --------------------------------------------------------------- */

void fault_inject_begin(void)
{
	unsigned long irq = spin_lock_irqsave(&fi.lock);

	fi.depth[smp_processor_id()]++;
	fi.open++;
	update_armed_locked();
	spin_unlock_irqrestore(&fi.lock, irq);
}

__noinline
void fault_inject_end(void)
{
	unsigned long irq = spin_lock_irqsave(&fi.lock);
	unsigned *depth = &fi.depth[smp_processor_id()];
	bool open = *depth > 0;

	if (open) {
		(*depth)--;
		fi.open--;
	}
	update_armed_locked();
	spin_unlock_irqrestore(&fi.lock, irq);
	WARN_CALL(!open, "fault_inject_end", RET_IP, "no scope is open");
}

bool fault_inject_in_scope(void)
{
	return READ_ONCE(fi.depth[smp_processor_id()]) > 0;
}

/* --- the command line ---------------------------------------------------- */

/* Splits `s` at commas into at most `max` words (in place); the count, or -1. */
static int split_commas(char *s, char **word, int max)
{
	int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		word[n++] = s;
		s = strchr(s, ',');
		if (!s)
			return n;
		*s++ = '\0';
	}
}

static int parse_mode(const char *word, enum fault_mode *mode)
{
	for (unsigned m = 0; m < ARRAY_SIZE(mode_names); m++) {
		if (!strcmp(word, mode_names[m])) {
			*mode = m;
			return 0;
		}
	}
	return -EINVAL;
}

/* A plain number: decimal or 0x hex, without parse_u64()'s K/M/G suffixes. */
static bool parse_number(const char *s, u64 *out)
{
	size_t len = strlen(s);
	char last = len ? s[len - 1] : '\0';
	bool hex = len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

	if (!(last >= '0' && last <= '9') && !(hex && last && strchr("abcdefABCDEF", last)))
		return false;
	return parse_u64(s, out);
}

int fault_inject_parse(const char *value, struct fault_attr *attr)
{
	struct fault_attr a = { .seed = FAULT_DEFAULT_SEED };
	char buf[64], *word[3];
	u64 num;
	int n;

	if (!value || strlen(value) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, value, strlen(value) + 1);
	n = split_commas(buf, word, ARRAY_SIZE(word));
	if (n < 1 || parse_mode(word[0], &a.mode))
		return -EINVAL;
	if (a.mode == FAULT_MODE_OFF) {
		if (n != 1)
			return -EINVAL;
		*attr = a;
		return 0;
	}
	if (n < 2 || !parse_number(word[1], &num))
		return -EINVAL;
	a.n = num;
	if (n == 3) {
		if (a.mode != FAULT_MODE_PROB || strncmp(word[2], "seed=", 5) ||
		    !parse_number(word[2] + 5, &a.seed))
			return -EINVAL;
	}
	if (!attr_is_valid(&a))
		return -EINVAL;
	*attr = a;
	return 0;
}

__noinline
int fault_inject_setup(enum fault_site site, const char *value)
{
	struct fault_attr a;

	if (WARN((unsigned)site >= FAULT_NR_SITES || fault_inject_parse(value, &a),
		 "fault_inject: fail_%s=%s: not off, nth,N, every,N or prob,P[,seed=S]; ignored",
		 fault_site_name(site), value ? value : "(null)"))
		return -EINVAL;
	a.global = a.mode != FAULT_MODE_OFF;
	return set_site(site, &a, true, RET_IP);
}

void fault_inject_init(void)
{
	static const char *const keys[FAULT_NR_SITES] = {
		[FAULT_PAGE_ALLOC] = "fail_page_alloc", [FAULT_SLAB] = "fail_slab",
		[FAULT_PGTABLE] = "fail_pgtable",
	};

	for (unsigned s = 0; s < FAULT_NR_SITES; s++) {
		const char *value = cmdline_get(keys[s]);

		if (value)
			fault_inject_setup(s, value);
	}
}
