/*
 * mm_init: brings the memory subsystem up, bottom to top. Called once by
 * kmain after the boot information is parsed and traps are installed.
 */
#include "mm/init.h"
#include "mm/arch_mmu.h"
#include "mm/memmap.h"
#include "mm/pfa.h"

void mm_init(void)
{
	memmap_init();
	pfa_init();
	paging_init();
}
