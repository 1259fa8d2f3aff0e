/* Compiler helpers and small generic macros. */
#ifndef KERNEL_COMPILER_H
#define KERNEL_COMPILER_H

#define __section(s)    __attribute__((section(s)))
#define __used          __attribute__((used))
#define __unused        __attribute__((unused))
#define __noreturn      __attribute__((noreturn))
#define __packed        __attribute__((packed))
#define __aligned(n)    __attribute__((aligned(n)))
#define __printf(a, b)  __attribute__((format(printf, a, b)))
#define __noinline      __attribute__((noinline))
#ifndef __always_inline         /* the host build's glibc defines it too */
#define __always_inline inline __attribute__((always_inline))
#endif

#define likely(x)       __builtin_expect(!!(x), 1)
#define unlikely(x)     __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* Power-of-two alignment helpers; `a` must be a power of two. */
#define ALIGN_UP(x, a)      (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)    ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)    (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define IS_POWER_OF_2(x)    ((x) != 0 && ((x) & ((x) - 1)) == 0)

#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))

#define READ_ONCE(x)        (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)    (*(volatile __typeof__(x) *)&(x) = (v))
#define barrier()           __asm__ __volatile__("" ::: "memory")

/*
 * The address a function was called from (for "caller" fields). A
 * function that reads it is __noinline: inlined into its caller (the
 * DEBUG=0 build's link-time optimisation inlines across files), it would
 * read its caller's return address instead.
 */
#define RET_IP ((unsigned long)__builtin_return_address(0))
#define THIS_IP ({ __label__ __here; __here: (unsigned long)&&__here; })

#endif
