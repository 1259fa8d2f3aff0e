/*
 * The ACPI table walk: RSDP -> RSDT (32-bit entries) or XSDT (64-bit
 * entries) -> the MADT, whose variable-length entries list the local APICs
 * (type 0), x2APICs (type 9) and a 64-bit local APIC address (type 5);
 * and the FADT, for the PM timer's port (PM_TMR_BLK, or X_PM_TMR_BLK when
 * that is an I/O-space address).
 * Every table's checksum is verified before it is used.
 */
#include "arch/x86_64/acpi.h"
#include "kernel/bootinfo.h"
#include "kernel/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/printk.h"
#include "mm/layout.h"

#define BOOT_MAP_END    (4ull << 30)    /* what the boot tables map */
#define MADT_LAPIC      0
#define MADT_LAPIC_ADDR 5
#define MADT_X2APIC     9
#define MADT_ENABLED    (1u << 0)
#define MADT_ONLINE_CAPABLE (1u << 1)
#define MADT_PCAT_COMPAT (1u << 0)
#define FADT_PM_TMR_BLK 76              /* u32 I/O port */
#define FADT_FLAGS      112             /* u32 */
#define FADT_TMR_VAL_EXT (1u << 8)      /* the PM timer counts 32 bits */
#define FADT_X_PM_TMR_BLK 208           /* generic address structure, 12 bytes */
#define GAS_SYSTEM_IO   1

struct rsdp {
	char signature[8];
	u8 checksum;
	char oem_id[6];
	u8 revision;
	u32 rsdt;
	u32 length;             /* revision >= 2 from here */
	u64 xsdt;
	u8 ext_checksum;
	u8 reserved[3];
} __packed;

struct sdt_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

struct madt {
	struct sdt_header h;
	u32 lapic_addr;
	u32 flags;
} __packed;

struct madt_entry {
	u8 type;
	u8 length;
} __packed;

struct madt_lapic {
	struct madt_entry e;
	u8 acpi_id;
	u8 apic_id;
	u32 flags;
} __packed;

struct madt_lapic_addr {
	struct madt_entry e;
	u16 reserved;
	u64 addr;
} __packed;

struct madt_x2apic {
	struct madt_entry e;
	u16 reserved;
	u32 x2apic_id;
	u32 flags;
	u32 acpi_uid;
} __packed;

static struct acpi_info info;

const struct acpi_info *acpi_info(void)
{
	return &info;
}

static bool checksum_ok(const void *p, u32 len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (u32 i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

/* The table at `pa` if the boot map reaches all of it and its checksum holds. */
static const struct sdt_header *map_table(u64 pa)
{
	const struct sdt_header *h;

	if (!pa || pa + sizeof(*h) > BOOT_MAP_END)
		return NULL;
	h = phys_to_virt(pa);
	if (h->length < sizeof(*h) || pa + h->length > BOOT_MAP_END ||
	    !checksum_ok(h, h->length))
		return NULL;
	return h;
}

/* Finds the table `sig` in the RSDT or XSDT `root`. */
static const struct sdt_header *find_table(const struct sdt_header *root, bool xsdt,
					   const char *sig)
{
	unsigned entry = xsdt ? 8 : 4;
	unsigned n = (root->length - sizeof(*root)) / entry;
	const u8 *p = (const u8 *)(root + 1);

	for (unsigned i = 0; i < n; i++) {
		u64 pa = 0;

		memcpy(&pa, p + i * entry, entry);
		const struct sdt_header *h = map_table(pa);

		if (h && !memcmp(h->signature, sig, 4))
			return h;
	}
	return NULL;
}

static void add_cpu(u32 apic_id, u32 uid, u32 flags, bool x2)
{
	if (!(flags & (MADT_ENABLED | MADT_ONLINE_CAPABLE)))
		return;                 /* neither usable nor hot-pluggable */
	if (info.nr_cpus == ACPI_MAX_CPUS) {
		info.nr_ignored++;
		return;
	}
	info.cpu[info.nr_cpus++] = (struct acpi_cpu){
		.apic_id = apic_id, .acpi_uid = uid, .enabled = flags & MADT_ENABLED,
		.online_capable = flags & MADT_ONLINE_CAPABLE, .x2apic_entry = x2,
	};
}

static void parse_madt(const struct madt *m)
{
	const u8 *p = (const u8 *)(m + 1), *end = (const u8 *)m + m->h.length;

	info.have_madt = true;
	info.lapic_phys = m->lapic_addr;
	info.pcat_compat = m->flags & MADT_PCAT_COMPAT;
	while (p + sizeof(struct madt_entry) <= end) {
		const struct madt_entry *e = (const void *)p;

		if (e->length < sizeof(*e) || p + e->length > end)
			break;
		if (e->type == MADT_LAPIC && e->length >= sizeof(struct madt_lapic)) {
			const struct madt_lapic *l = (const void *)e;

			add_cpu(l->apic_id, l->acpi_id, l->flags, false);
		} else if (e->type == MADT_X2APIC && e->length >= sizeof(struct madt_x2apic)) {
			const struct madt_x2apic *x = (const void *)e;

			add_cpu(x->x2apic_id, x->acpi_uid, x->flags, true);
		} else if (e->type == MADT_LAPIC_ADDR &&
			   e->length >= sizeof(struct madt_lapic_addr)) {
			info.lapic_phys = ((const struct madt_lapic_addr *)e)->addr;
		}
		p += e->length;
	}
}

/* Records the PM timer's I/O port from the FADT `f`, if it has one. */
static void parse_fadt(const struct sdt_header *f)
{
	const u8 *b = (const u8 *)f;
	u32 port = 0, flags = 0;
	u64 xaddr = 0;

	if (f->length >= FADT_FLAGS + 4) {
		memcpy(&port, b + FADT_PM_TMR_BLK, 4);
		memcpy(&flags, b + FADT_FLAGS, 4);
	}
	if (f->length >= FADT_X_PM_TMR_BLK + 12 && b[FADT_X_PM_TMR_BLK] == GAS_SYSTEM_IO) {
		memcpy(&xaddr, b + FADT_X_PM_TMR_BLK + 4, 8);
		if (xaddr && xaddr <= 0xffff)
			port = (u32)xaddr;
	}
	if (port && port <= 0xffff) {
		info.pm_timer_port = (u16)port;
		info.pm_timer_32bit = flags & FADT_TMR_VAL_EXT;
	}
}

/* The RSDT or XSDT the RSDP names, or NULL with the reason in *why. */
static const struct sdt_header *find_root(const struct rsdp *r, bool *xsdt,
					  const char **why)
{
	const struct sdt_header *root = NULL;

	*xsdt = false;
	if (memcmp(r->signature, "RSD PTR ", 8) || !checksum_ok(r, 20)) {
		*why = "RSDP signature or checksum wrong";
		return NULL;
	}
	if (r->revision >= 2 && r->xsdt && checksum_ok(r, sizeof(*r))) {
		root = map_table(r->xsdt);
		*xsdt = root != NULL;
	}
	if (!root)
		root = map_table(r->rsdt);
	if (!root)
		*why = "RSDT/XSDT above 4 GiB or checksum wrong";
	return root;
}

void acpi_init(void)
{
	const struct boot_info *bi = bootinfo();
	const struct sdt_header *root, *madt = NULL;
	const char *why = "no ACPI RSDP from the loader";
	bool xsdt = false;

	if (bi->acpi_rsdp && (root = find_root(phys_to_virt(bi->acpi_rsdp), &xsdt, &why))) {
		const struct sdt_header *fadt = find_table(root, xsdt, "FACP");

		if (fadt)
			parse_fadt(fadt);
		madt = find_table(root, xsdt, "APIC");
		if (!madt)
			why = "no MADT (or a bad one)";
	}
	if (!madt) {
		printk("acpi: %s: one CPU\n", why);
		return;
	}
	parse_madt((const struct madt *)madt);
	printk("acpi: %s, MADT: %u CPU entr%s, local APIC at 0x%llx%s\n",
	       xsdt ? "XSDT" : "RSDT", info.nr_cpus, info.nr_cpus == 1 ? "y" : "ies",
	       (unsigned long long)info.lapic_phys, info.pcat_compat ? ", 8259 PICs" : "");
	if (info.nr_ignored)
		printk("acpi: %u more CPU entries ignored (at most %u CPUs)\n",
		       info.nr_ignored, ACPI_MAX_CPUS);
}
