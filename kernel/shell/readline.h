/*
 * The shell's line editor over a byte source (the serial receive ring):
 * echo, Backspace/DEL, Ctrl-C (drop the line), Ctrl-U (erase it), and a
 * history of the last SHELL_HISTORY lines under the Up and Down arrows
 * (ESC [ A / ESC [ B, or ESC O A / ESC O B). CR, LF and CR LF all end a
 * line. Other control bytes and escape sequences are ignored.
 */
#ifndef KERNEL_SHELL_READLINE_H
#define KERNEL_SHELL_READLINE_H

#include "kernel/types.h"

#define SHELL_LINE_MAX  160     /* bytes of a line, with the NUL */
#define SHELL_HISTORY   16

struct readline {
	int (*getc)(void);                      /* the next byte; blocks */
	void (*echo)(const char *s, size_t len);
	char history[SHELL_HISTORY][SHELL_LINE_MAX];
	unsigned long nr_history;               /* lines ever added */
	bool after_cr;                          /* last byte ended a line with CR */
};

/*
 * Prints `prompt`, reads one line into `buf` (NUL-terminated, at most
 * SHELL_LINE_MAX - 1 bytes; more are refused with a bell) and adds it to
 * the history unless it is empty or repeats the last one. Returns its
 * length, or -1 if Ctrl-C dropped it.
 */
int readline(struct readline *rl, const char *prompt, char *buf);

#endif
