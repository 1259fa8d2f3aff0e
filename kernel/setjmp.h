/* setjmp/longjmp for the kernel (arch/x86_64/setjmp.asm). */
#ifndef KERNEL_SETJMP_H
#define KERNEL_SETJMP_H

#include "kernel/compiler.h"

struct kjmp_buf {
	unsigned long regs[8];  /* rbx rbp r12-r15 rsp rip */
};

/* Saves the context; returns 0 now and the longjmp value when jumped to. */
int ksetjmp(struct kjmp_buf *buf) __attribute__((returns_twice));

/* Resumes the context saved in `buf`, making ksetjmp return `val` (0 -> 1). */
__noreturn void klongjmp(struct kjmp_buf *buf, int val);

#endif
