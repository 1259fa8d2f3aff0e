/*
 * mm_init: brings the memory subsystem up, bottom to top. Called once by
 * kmain after the boot information is parsed and traps are installed.
 */
#include "mm/init.h"
#include "mm/fault_inject.h"
#include "mm/kernel_map.h"
#include "mm/mm_check.h"
#include "mm/memmap.h"
#include "mm/pfa.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmalloc_fault.h"

void mm_init(void)
{
	memmap_init();
	pfa_init();
	kernel_map_init();
	slab_init();
	vmalloc_init();
	vmalloc_fault_init();
	fault_inject_init();
	mm_check_init();
}
