/* Basic types shared by every layer. Freestanding: only compiler headers. */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#ifndef __SIZE_TYPE__
#error "compiler does not provide __SIZE_TYPE__"
#endif
typedef long ssize_t;

/*
 * A physical address. Kernel virtual addresses are plain pointers or
 * `unsigned long`; the two never mix without phys_to_virt()/virt_to_phys().
 */
typedef u64 phys_addr_t;

#endif
