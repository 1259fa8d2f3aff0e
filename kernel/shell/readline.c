/* The shell's line editor (kernel/shell/readline.h). */
#include "kernel/shell/readline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"

#define CTRL(c)         ((c) & 0x1f)
#define KEY_BS          0x08
#define KEY_DEL         0x7f
#define KEY_ESC         0x1b
#define KEY_BELL        "\a"

struct line {
	struct readline *rl;
	char *buf;
	size_t len;
	unsigned long browse;   /* history index shown: nr_history = the new line */
};

static void echo(struct line *l, const char *s)
{
	l->rl->echo(s, strlen(s));
}

/* Erases what the terminal shows of the line, back to the prompt. */
static void erase_shown(struct line *l)
{
	for (; l->len; l->len--)
		echo(l, "\b \b");
}

static void show(struct line *l, const char *text)
{
	erase_shown(l);
	l->len = strnlen(text, SHELL_LINE_MAX - 1);
	memcpy(l->buf, text, l->len);
	l->rl->echo(l->buf, l->len);
}

/* Up (older, -1) or down (newer, +1) in the history. */
static void browse(struct line *l, int dir)
{
	struct readline *rl = l->rl;
	unsigned long oldest = rl->nr_history > SHELL_HISTORY ? rl->nr_history - SHELL_HISTORY : 0;

	if ((dir < 0 && l->browse == oldest) || (dir > 0 && l->browse == rl->nr_history)) {
		echo(l, KEY_BELL);
		return;
	}
	l->browse += dir;
	show(l, l->browse == rl->nr_history ? "" : rl->history[l->browse % SHELL_HISTORY]);
}

/* After ESC: "[A" / "OA" up, "[B" / "OB" down; other sequences are dropped. */
static void escape(struct line *l)
{
	int c = l->rl->getc();

	if (c != '[' && c != 'O')
		return;
	c = l->rl->getc();
	if (c == 'A')
		browse(l, -1);
	else if (c == 'B')
		browse(l, 1);
	while ((c >= '0' && c <= '9') || c == ';')      /* ESC [ 3 ~ and the like */
		c = l->rl->getc();
}

static void insert(struct line *l, char c)
{
	char s[2] = { c, 0 };

	if (l->len + 1 >= SHELL_LINE_MAX) {
		echo(l, KEY_BELL);
		return;
	}
	l->buf[l->len++] = c;
	echo(l, s);
}

static void remember(struct readline *rl, const char *buf, size_t len)
{
	const char *last = rl->history[(rl->nr_history - 1) % SHELL_HISTORY];

	if (!len || (rl->nr_history && !strcmp(last, buf)))
		return;
	snprintf(rl->history[rl->nr_history++ % SHELL_HISTORY], SHELL_LINE_MAX, "%s", buf);
}

/* One byte of input; 1 when it ended the line, -1 when it dropped it, else 0. */
static int key(struct line *l, int c)
{
	bool after_cr = l->rl->after_cr;

	l->rl->after_cr = c == '\r';
	if (c == '\n' && after_cr)
		return 0;                       /* the LF of a CR LF */
	if (c == '\r' || c == '\n')
		return 1;
	if (c == CTRL('C')) {
		echo(l, "^C");
		return -1;
	}
	if (c == CTRL('U'))
		erase_shown(l);
	else if (c == KEY_BS || c == KEY_DEL) {
		if (l->len) {
			l->len--;
			echo(l, "\b \b");
		}
	} else if (c == KEY_ESC)
		escape(l);
	else if (c >= ' ' && c < KEY_DEL)
		insert(l, (char)c);
	return 0;
}

int readline(struct readline *rl, const char *prompt, char *buf)
{
	struct line l = { .rl = rl, .buf = buf, .browse = rl->nr_history };
	int done;

	echo(&l, prompt);
	while (!(done = key(&l, rl->getc())))
		;
	echo(&l, "\n");
	buf[done > 0 ? l.len : 0] = '\0';
	if (done < 0)
		return -1;
	remember(rl, buf, l.len);
	return (int)l.len;
}
