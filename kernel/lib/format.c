/* vsnprintf: a small, complete-enough printf engine for the kernel. */
#include "kernel/lib/format.h"
#include "kernel/ksyms.h"
#include "kernel/lib/string.h"

struct out {
	char *buf;
	size_t size;
	size_t len;             /* bytes the full output needs so far */
};

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int precision;          /* -1: none */
	int length;             /* 0, 'h', 'H' (hh), 'l', 'L' (ll), 'z', 't' */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
	if (!s)
		s = "(null)";
	int n = (int)strnlen(s, sp->precision >= 0 ? (size_t)sp->precision : (size_t)-1);

	if (!sp->left)
		pad(o, ' ', sp->width - n);
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - n);
}

/* Prints an integer given as magnitude and sign, honouring every flag. */
static void put_num(struct out *o, const struct spec *sp, u64 mag, bool neg,
		    unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	char sign = neg ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
	const char *prefix = "";

	do {
		tmp[n++] = digits[mag % base];
		mag /= base;
	} while (mag);
	if (sp->precision == 0 && n == 1 && tmp[0] == '0')
		n = 0;
	if (sp->alt && base == 16)
		prefix = upper ? "0X" : "0x";
	else if (sp->alt && base == 8)
		prefix = "0";

	int digits_len = MAX(n, sp->precision);
	int total = digits_len + (sign ? 1 : 0) + (int)strlen(prefix);
	bool zero_pad = sp->zero && !sp->left && sp->precision < 0;

	if (!sp->left && !zero_pad)
		pad(o, ' ', sp->width - total);
	if (sign)
		put(o, sign);
	for (const char *p = prefix; *p; p++)
		put(o, *p);
	if (zero_pad)
		pad(o, '0', sp->width - total);
	pad(o, '0', digits_len - n);
	while (n)
		put(o, tmp[--n]);
	if (sp->left)
		pad(o, ' ', sp->width - total);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .precision = -1 };
	for (;; f++) {
		if (*f == '-') sp->left = true;
		else if (*f == '0') sp->zero = true;
		else if (*f == '+') sp->plus = true;
		else if (*f == ' ') sp->space = true;
		else if (*f == '#') sp->alt = true;
		else break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->precision = sp->precision * 10 + (*f++ - '0');
	}
	if (*f == 'h') {
		f++;
		sp->length = (*f == 'h') ? (f++, 'H') : 'h';
	} else if (*f == 'l') {
		f++;
		sp->length = (*f == 'l') ? (f++, 'L') : 'l';
	} else if (*f == 'z' || *f == 't') {
		sp->length = *f++;
	}
	return f;
}

static u64 get_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned int);
	case 'h': return (unsigned short)va_arg(*ap, unsigned int);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	case 't': return (u64)va_arg(*ap, ptrdiff_t);
	default:  return va_arg(*ap, unsigned int);
	}
}

static s64 get_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return va_arg(*ap, ssize_t);
	case 't': return va_arg(*ap, ptrdiff_t);
	default:  return va_arg(*ap, int);
	}
}

static const char *put_pointer(struct out *o, struct spec *sp, const char *f,
			       va_list *ap)
{
	void *p = va_arg(*ap, void *);

	if (*f == 'S') {
		char sym[128];

		ksym_format(sym, sizeof(sym), (unsigned long)p);
		put_str(o, sp, sym);
		return f + 1;
	}
	sp->alt = true;
	sp->zero = true;
	if (!sp->width)
		sp->width = 18;
	put_num(o, sp, (u64)(unsigned long)p, false, 16, false);
	return f;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = { .buf = buf, .size = size };
	struct spec sp;
	va_list ap;

	va_copy(ap, ap_in);
	for (const char *f = fmt; *f; ) {
		if (*f != '%') {
			put(&o, *f++);
			continue;
		}
		f = parse_spec(f + 1, &sp, &ap);
		char conv = *f ? *f++ : 0;
		switch (conv) {
		case 'd': case 'i': {
			s64 v = get_signed(&sp, &ap);
			put_num(&o, &sp, v < 0 ? -(u64)v : (u64)v, v < 0, 10, false);
			break;
		}
		case 'u': put_num(&o, &sp, get_unsigned(&sp, &ap), false, 10, false); break;
		case 'x': put_num(&o, &sp, get_unsigned(&sp, &ap), false, 16, false); break;
		case 'X': put_num(&o, &sp, get_unsigned(&sp, &ap), false, 16, true); break;
		case 'o': put_num(&o, &sp, get_unsigned(&sp, &ap), false, 8, false); break;
		case 'c': {
			char s[2] = { (char)va_arg(ap, int), 0 };
			put_str(&o, &sp, s);
			break;
		}
		case 's': put_str(&o, &sp, va_arg(ap, const char *)); break;
		case 'p': f = put_pointer(&o, &sp, f, &ap); break;
		case '%': put(&o, '%'); break;
		default:  put(&o, '%'); if (conv) put(&o, conv); break;
		}
	}
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
