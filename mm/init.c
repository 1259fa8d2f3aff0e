/*
 * mm_init: brings the memory subsystem up, bottom to top. Called once by
 * kmain after the boot information is parsed and traps are installed.
 */
#include "mm/init.h"

void mm_init(void)
{
}
