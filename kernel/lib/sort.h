/* Sorting small arrays of numbers (medians of timing runs). */
#ifndef KERNEL_LIB_SORT_H
#define KERNEL_LIB_SORT_H

#include "kernel/types.h"

/* Sorts v[0..n) in place, ascending (insertion sort: for a few dozen values). */
void sort_u64(u64 *v, unsigned n);

#endif
