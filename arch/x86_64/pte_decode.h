/* x86-64 page-table entries in words, for the shell's `translate`. */
#ifndef ARCH_X86_64_PTE_DECODE_H
#define ARCH_X86_64_PTE_DECODE_H

#include "mm/arch_mmu.h"

/*
 * Writes the names of the bits set in entry `e` at `level` (0 = PTE ..
 * 3 = PML4), as the SDM names them ("P RW A D G XD"), then what they mean
 * ("kernel read/write, no execute, global, cache WB" for a leaf,
 * "points to a table" otherwise), or "not present". NUL-terminated in
 * `buf`; returns the length like snprintf.
 */
int x86_pte_describe(pte_t e, int level, char *buf, size_t size);

/* The SDM's name of a table at `level`: "PML4", "PDPT", "PD", "PT". */
const char *x86_table_name(int level);

#endif
