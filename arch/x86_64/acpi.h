/*
 * ACPI, as far as the kernel needs it: the CPUs the firmware lists in the
 * MADT (ACPI 6.5, section 5.2.12), found from the RSDP that GRUB copies
 * into the Multiboot2 information, through the RSDT or XSDT; and the
 * ACPI PM timer's I/O port from the FADT (section 5.2.9), the benchmarks'
 * clock reference.
 */
#ifndef ARCH_X86_64_ACPI_H
#define ARCH_X86_64_ACPI_H

#include "arch/x86_64/percpu.h"
#include "kernel/types.h"

#define ACPI_MAX_CPUS SMP_MAX_CPUS

struct acpi_cpu {
	u32 apic_id;
	u32 acpi_uid;           /* processor UID (x2APIC) or ACPI processor id */
	bool enabled;           /* MADT flags bit 0: usable now */
	bool online_capable;    /* bit 1: may be enabled later (not started) */
	bool x2apic_entry;      /* from a type 9 (x2APIC) entry */
};

struct acpi_info {
	bool have_madt;
	phys_addr_t lapic_phys;         /* local APIC registers (after any override) */
	bool pcat_compat;               /* MADT flags bit 0: 8259 PICs present */
	unsigned nr_cpus;               /* entries in cpu[] */
	unsigned nr_ignored;            /* entries past ACPI_MAX_CPUS */
	struct acpi_cpu cpu[ACPI_MAX_CPUS];
	u16 pm_timer_port;              /* FADT PM timer (3.579545 MHz), 0: none */
	bool pm_timer_32bit;            /* FADT flag TMR_VAL_EXT, else 24 bits */
};

/*
 * Reads the MADT from the RSDP in bootinfo(). Runs before mm_init(), while
 * the boot tables map the first 4 GiB at the direct map; a table above
 * that, a bad checksum, no RSDP or no MADT leave have_madt false (one CPU),
 * with one boot line saying why. Prints one line with what it found. The
 * FADT's PM timer port is recorded quietly (0 if there is none).
 */
void acpi_init(void);

/* What acpi_init() found. */
const struct acpi_info *acpi_info(void);

#endif
