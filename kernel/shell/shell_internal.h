/*
 * Shared by the shell's files: the command tables, argument parsing and
 * the objects the shell created. Not for use outside kernel/shell/.
 *
 * Every command prints what it did or exactly one line saying why it did
 * nothing ("<command>: <why>"); it checks its arguments before it calls
 * into mm/, so bad input never reaches an API that would warn.
 */
#ifndef KERNEL_SHELL_SHELL_INTERNAL_H
#define KERNEL_SHELL_SHELL_INTERNAL_H

#include "kernel/types.h"

#define SHELL_MAX_ARGS  8

/* One command, or one subcommand of a group such as `sparse`. */
struct shell_cmd {
	const char *name;
	const char *args;               /* usage after the name, e.g. "AREA OFF N" */
	const char *help;               /* one line */
	unsigned min_args, max_args;    /* words after the name */
	int (*fn)(int argc, char **argv);       /* argv[0] is the name; 0 or -errno */
	const struct shell_cmd *subs;   /* a group: its subcommands (fn is NULL) */
};

/* The command groups, each ended by an entry with a NULL name (one file each). */
extern const struct shell_cmd shell_info_cmds[];        /* cmd_info.c */
extern const struct shell_cmd shell_page_cmds[];        /* cmd_page.c */
extern const struct shell_cmd shell_vm_cmds[];          /* cmd_vm.c */
extern const struct shell_cmd shell_sparse_cmds[];      /* cmd_sparse.c: `sparse ...` */
extern const struct shell_cmd shell_arena_cmds[];       /* cmd_arena.c: `arena ...` */
extern const struct shell_cmd shell_probe_cmds[];       /* cmd_probe.c */
extern const struct shell_cmd shell_run_cmds[];         /* cmd_run.c */

/*
 * Parses a decimal or 0x-hex number with an optional K/M/G suffix into
 * *out. false after one line "<cmd>: bad number '<s>' for <what>".
 */
bool shell_number(const char *cmd, const char *what, const char *s, u64 *out);

/*
 * SIZE of a new area: shell_number() and 1 byte to the whole vmalloc
 * space (its guard page aside); false after one line.
 */
bool shell_area_size(const char *cmd, const char *s, u64 *size);

/* shell_number() for an address (no suffix makes sense, but it is the same parser). */
static inline bool shell_addr(const char *cmd, const char *s, unsigned long *out)
{
	u64 v;

	if (!shell_number(cmd, "ADDR", s, &v))
		return false;
	*out = (unsigned long)v;
	return true;
}

/* "out of memory" for -ENOMEM and so on: what an mm/ error means, for one line. */
const char *shell_strerror(int err);

/* Runs one command line (split in place); the shell's loop and `help` use it. */
void shell_execute(char *line);

/* --- objects the shell created (objects.c) -------------------------------------- */

enum shell_obj_kind { SHELL_VMALLOC, SHELL_SPARSE, SHELL_ARENA };

struct vm_struct;
struct arena;

struct shell_obj {
	enum shell_obj_kind kind;
	unsigned long start, size;      /* usable bytes (no guard page) */
	struct vm_struct *area;         /* SHELL_SPARSE */
	struct arena *arena;            /* SHELL_ARENA */
	unsigned long mapped;           /* SHELL_SPARSE: pages the shell mapped (its frames) */
};

#define SHELL_MAX_OBJS  32

/* A free slot filled with `o`, or NULL after one line "<cmd>: ... full". */
struct shell_obj *shell_obj_add(const char *cmd, const struct shell_obj *o);

void shell_obj_remove(struct shell_obj *obj);

/* The object of `kind` whose usable range holds `addr`, or NULL. */
struct shell_obj *shell_obj_find(enum shell_obj_kind kind, unsigned long addr);

/*
 * The object of `kind` that starts at `addr` (any object holding it if
 * `anywhere`), or NULL after one line "<cmd>: 0x... is not ...".
 */
struct shell_obj *shell_obj_lookup(const char *cmd, enum shell_obj_kind kind,
				   const char *arg, bool anywhere);

/* Calls fn on each live object, oldest first. */
void shell_obj_for_each(void (*fn)(struct shell_obj *obj, void *arg), void *arg);

/* "vmalloc", "sparse", "arena". */
const char *shell_obj_kind_name(enum shell_obj_kind kind);

/* Checks every object against the page tables; problems printed, their count returned. */
unsigned long shell_obj_check(void);

#endif
