/* Memory-subsystem start-up. */
#ifndef MM_INIT_H
#define MM_INIT_H

/*
 * Builds the usable-memory map, the page-frame allocator and the kernel's
 * own page tables (direct map of all RAM, W^X kernel image, no identity
 * map). Panics only if the machine has no usable memory at all.
 */
void mm_init(void);

#endif
