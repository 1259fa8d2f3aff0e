/*
 * The machine-readable dump of the memory state that scripts/mm-picture.py
 * draws (`make picture`), every line starting with "picture: ":
 *
 *   picture: begin
 *   picture: region START END NAME          the kernel's layout, all of it
 *   picture: area START END KIND GUARD NR_PAGES CALLER
 *                                           a vmap area (KIND vmalloc, vmap,
 *                                           sparse, ioremap, vm_area,
 *                                           vm_map_ram or unpurged; GUARD 0/1)
 *   picture: mapped START END               a run of 4 KiB leaves in vmalloc space
 *   picture: frames PFN COUNT STATE ORDER   COUNT frames in blocks of 2^ORDER,
 *                                           all in STATE (page_state_name)
 *   picture: end
 *
 * Addresses are hex with 0x, counts decimal.
 */
#ifndef KERNEL_MM_PICTURE_H
#define KERNEL_MM_PICTURE_H

/* Prints the dump on the console. Reads the frame states without the allocator's lock: for a quiet machine. */
void mm_picture_print(void);

#endif
