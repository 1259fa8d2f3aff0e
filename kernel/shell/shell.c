/*
 * The shell's loop: read a line (readline.c), split it into words, find
 * the command in the groups' tables and run it. `help` lists them all.
 */
#include "kernel/shell/shell.h"
#include "arch/x86_64/serial.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/shell/readline.h"
#include "mm/layout.h"
#include "kernel/shell/shell_internal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"

#define PROMPT "mm> "

static int cmd_help(int argc, char **argv);

static const struct shell_cmd help_cmds[] = {
	{ "help", NULL, "this list", 0, 0, cmd_help, NULL },
	{}
};

static const struct shell_cmd *const groups[] = {
	help_cmds, shell_info_cmds, shell_page_cmds, shell_vm_cmds, shell_probe_cmds, shell_run_cmds,
};

bool shell_number(const char *cmd, const char *what, const char *s, u64 *out)
{
	if (parse_u64(s, out))
		return true;
	printk("%s: bad number '%s' for %s\n", cmd, s, what);
	return false;
}

const char *shell_strerror(int err)
{
	switch (err) {
	case -ENOMEM: return "out of memory";
	case -EBUSY: return "already in use";
	case -ENOSPC: return "no free room";
	case -EINVAL: return "invalid argument";
	case -ERANGE: return "out of range";
	case -EFAULT: return "bad address";
	default: return "failed";
	}
}

bool shell_area_size(const char *cmd, const char *s, u64 *size)
{
	if (!shell_number(cmd, "SIZE", s, size))
		return false;
	if (*size && *size <= VMALLOC_END - VMALLOC_START - PAGE_SIZE)
		return true;
	printk("%s: SIZE must be 1 byte to the vmalloc space's size\n", cmd);
	return false;
}

static int split(char *line, char **argv)
{
	int argc = 0;

	for (char *p = line; *p; ) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == SHELL_MAX_ARGS)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return argc;
}

static const struct shell_cmd *find_in(const struct shell_cmd *table, const char *name)
{
	for (const struct shell_cmd *c = table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static const struct shell_cmd *find_cmd(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(groups); i++) {
		const struct shell_cmd *c = find_in(groups[i], name);

		if (c)
			return c;
	}
	return NULL;
}

/* "sparse map AREA OFF N" for usage lines; `group` is NULL for a top-level command. */
static void print_usage(const char *prefix, const char *group, const struct shell_cmd *c)
{
	char name[48];

	snprintf(name, sizeof(name), "%s%s%s", group ? group : "", group ? " " : "", c->name);
	printk("%s%s%s%s\n", prefix, name, c->args ? " " : "", c->args ? c->args : "");
}

/* Runs `c` with argv[0] its name; `group` names the group for messages. */
static void run(const struct shell_cmd *c, const char *group, int argc, char **argv)
{
	if (c->subs) {
		const struct shell_cmd *sub = argc > 1 ? find_in(c->subs, argv[1]) : NULL;

		if (!sub) {
			printk("%s: %s '%s'; one of:", c->name, argc > 1 ? "unknown subcommand" :
			       "missing subcommand", argc > 1 ? argv[1] : "");
			for (const struct shell_cmd *s = c->subs; s->name; s++)
				printk(" %s", s->name);
			printk("\n");
			return;
		}
		run(sub, c->name, argc - 1, argv + 1);
		return;
	}
	if ((unsigned)argc - 1 < c->min_args || (unsigned)argc - 1 > c->max_args) {
		print_usage("usage: ", group, c);
		return;
	}
	c->fn(argc, argv);
}

void shell_execute(char *line)
{
	char *argv[SHELL_MAX_ARGS];
	int argc = split(line, argv);
	const struct shell_cmd *c;

	if (argc < 0) {
		printk("shell: more than %d words\n", SHELL_MAX_ARGS);
		return;
	}
	if (!argc)
		return;
	c = find_cmd(argv[0]);
	if (!c) {
		printk("%.32s: unknown command (try 'help')\n", argv[0]);
		return;
	}
	run(c, NULL, argc, argv);
}

static void help_table(const struct shell_cmd *table, const char *group)
{
	for (const struct shell_cmd *c = table; c->name; c++) {
		char usage[64];

		if (c->subs) {
			help_table(c->subs, c->name);
			continue;
		}
		snprintf(usage, sizeof(usage), "%s%s%s%s%s", group ? group : "", group ? " " : "",
			 c->name, c->args ? " " : "", c->args ? c->args : "");
		printk("  %-34s %s\n", usage, c->help);
	}
}

static int cmd_help(int argc, char **argv)
{
	printk("Commands (numbers: decimal or 0x hex, sizes may end in K, M or G):\n");
	for (unsigned i = 0; i < ARRAY_SIZE(groups); i++)
		help_table(groups[i], NULL);
	printk("Keys: Backspace, Ctrl-C drops the line, Ctrl-U erases it, Up/Down: history.\n");
	return 0;
}

static struct readline rl;

static void echo(const char *s, size_t len)
{
	console_write_raw(s, len);
}

__noreturn void shell_run(void)
{
	static char line[SHELL_LINE_MAX];

	rl.getc = serial_rx_getc;
	rl.echo = echo;
	serial_rx_init();
	printk("shell: ready on the serial console; 'help' lists the commands "
	       "(QEMU: Ctrl-A X quits)\n");
	for (;;) {
		if (readline(&rl, PROMPT, line) > 0)
			shell_execute(line);
	}
}
