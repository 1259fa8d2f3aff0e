# GDB commands that read mmkernel's memory-management structures from a
# halted machine, in the formats the kernel itself prints (like Linux's
# lx-* helpers in scripts/gdb/linux/). Loaded by `make debug`; by hand:
#
#   (gdb) source scripts/gdb/mm.py
#
#   mm-vmallocinfo         the vmap areas, as the `vmallocinfo` boot option prints them
#   mm-buddyinfo           free blocks per order and the totals, as pfa_print()
#   mm-translate VA        the four-level walk of VA in the kernel's tables, entry by entry
#   mm-page PFN|ADDR       the struct page of a frame (ADDR: direct map, image or vmalloc)
#   mm-ptdump [START END]  the kernel's page tables, as the `ptdump` boot option prints them
#
# Everything is read from memory through the symbols of build/kernel.elf
# (its DWARF types give the field offsets): nothing here knows a structure's
# layout, only the x86-64 entry bits (arch/x86_64/include/asm/mmu.h). The
# page tables are read through the direct map, as the kernel reads them.
# scripts/gdb/check.py (make test) compares every command with the kernel's
# own output for the same state.

import bisect
import struct

import gdb

# x86-64 entry bits (Intel SDM vol. 3A, 4.5; arch/x86_64/include/asm/mmu.h).
PTE_P, PTE_RW, PTE_PWT, PTE_PCD, PTE_PS, PTE_G = 1 << 0, 1 << 1, 1 << 3, 1 << 4, 1 << 7, 1 << 8
PTE_XD = 1 << 63
PTE_ADDR = 0x000ffffffffff000
LEVEL_NAMES = ["pte", "pmd", "pud", "pgd"]
PAGE_SHIFT = 12


def sym(expr):
    return gdb.parse_and_eval(expr)


def read_u64s(addr, count):
    data = gdb.selected_inferior().read_memory(addr, 8 * count)
    return struct.unpack("<%dQ" % count, bytes(data))


def direct_map_base():
    # phys_to_virt() adds DIRECT_MAP_BASE; the kernel keeps the root both ways.
    pt = sym("kernel_pgtable")
    return int(pt["root"]) - int(pt["root_phys"])


def container_of(node, type_name, member):
    t = gdb.lookup_type(type_name)
    offset = next(f.bitpos // 8 for f in t.fields() if f.name == member)
    return (node.cast(gdb.lookup_type("unsigned long")) - offset).cast(t.pointer())


def rb_in_order(root):
    """The nodes of a struct rb_root, in order (kernel/lib/rbtree.h)."""
    out, stack, node = [], [], root["node"]
    while stack or int(node):
        while int(node):
            stack.append(node)
            node = node["left"]
        node = stack.pop()
        out.append(node)
        node = node["right"]
    return out


# --- symbols, as %pS prints them (kernel/ksyms.c, scripts/gen-ksyms.sh) -----

class Ksyms:
    """Text symbols of the ELF, sorted; a symbol ends where the next starts."""

    def __init__(self, path):
        with open(path, "rb") as f:
            elf = f.read()
        shoff, = struct.unpack_from("<Q", elf, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize)
                    for i in range(shnum)]
        names = {}
        for sh in sections:
            if sh[1] != 2:      # SHT_SYMTAB
                continue
            strtab = sections[sh[6]]
            for off in range(sh[4], sh[4] + sh[5], 24):
                name_off, info, _, shndx, value, _ = struct.unpack_from("<IBBHQQ", elf, off)
                if not 0 < shndx < shnum or not sections[shndx][2] & 4:   # SHF_EXECINSTR
                    continue
                end = elf.index(b"\0", strtab[4] + name_off)
                name = elf[strtab[4] + name_off:end].decode()
                if name and not name.startswith(".") and name not in ("_text", "_etext"):
                    names.setdefault(value, name)
        self.addrs = sorted(names)
        self.names = [names[a] for a in self.addrs]
        self.etext = int(sym("&_etext"))

    def format(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0 or addr >= self.etext:
            return "0x%016x" % addr
        end = self.addrs[i + 1] if i + 1 < len(self.addrs) else self.etext
        return "%s+0x%x/0x%x" % (self.names[i], addr - self.addrs[i], end - self.addrs[i])


_ksyms = None


def ksym_format(addr):
    global _ksyms
    if _ksyms is None:
        _ksyms = Ksyms(gdb.current_progspace().filename)
    return _ksyms.format(addr)


# --- vmallocinfo (mm/vmallocinfo.c) -----------------------------------------

def vmalloc_range():
    regions = ptdump_regions()
    return next((s, e) for s, e, n in regions if n == "vmalloc")


def area_line(va):
    start, end = int(va["va_start"]), int(va["va_end"])
    line = "0x%016x-0x%016x %7d" % (start, end, end - start)
    vm = va["vm"]
    if not int(vm):
        return line + " vm_map_ram"
    if int(vm["caller"]):
        line += " " + ksym_format(int(vm["caller"]))
    if int(vm["nr_pages"]):
        line += " pages=%d" % int(vm["nr_pages"])
    if int(vm["phys_addr"]):
        line += " phys=0x%016x" % int(vm["phys_addr"])
    flags = int(vm["flags"])
    vstart, vend = vmalloc_range()
    for name, bit in (("ioremap", "VM_IOREMAP"), ("sparse", "VM_SPARSE"),
                      ("vmalloc", "VM_ALLOC"), ("vmap", "VM_MAP")):
        if flags & vm_flag(bit):
            line += " " + name
    if vstart <= int(vm["pages"]) < vend:
        line += " vpages"
    return line


def vm_flag(name):
    # Macros are not in the DWARF of a -g build: Linux's values (mm/vmalloc.h).
    return {"VM_IOREMAP": 0x1, "VM_ALLOC": 0x2, "VM_MAP": 0x4, "VM_SPARSE": 0x1000}[name]


def vmallocinfo_lines():
    # mm/vmallocinfo.c's order: busy areas by address (merged from the zones),
    # then each CPU's lazy list, newest first.
    space = sym("kernel_vmap_space")
    zones = space["busy"]
    busy = [container_of(n, "struct vmap_area", "rb_node")
            for z in range(zones.type.range()[1] + 1)
            for n in rb_in_order(zones[z]["root"])]
    busy.sort(key=lambda va: int(va["va_start"]))
    lines = [area_line(va) for va in busy]
    ncpus = sym("pfa_pcp").type.range()[1] + 1          # SMP_MAX_CPUS
    for c in range(ncpus):
        va = space["cpu"][c]["lazy"]
        while int(va):
            start, end = int(va["va_start"]), int(va["va_end"])
            lines.append("0x%016x-0x%016x %7d unpurged vm_area" % (start, end, end - start))
            va = va["next"]
    return lines


# --- buddyinfo (mm/pfa.c: pfa_buddyinfo, pfa_print) ---------------------------

def buddyinfo_lines():
    pfa = sym("pfa")
    area = pfa["area"]
    n = area.type.range()[1] + 1
    line = "Node 0, zone %8s " % "Normal" + "".join(
        "%6d " % int(area[o]["nr_free"]) for o in range(n))
    kib = (1 << PAGE_SHIFT) >> 10
    # Frames on the per-CPU lists (state PAGE_PCP) count as free, as pfa_get_stats says.
    pcp = sym("pfa_pcp")
    on_lists = sum(int(pcp[c]["count"]) for c in range(pcp.type.range()[1] + 1))
    total = "pfa: %d KiB free of %d KiB managed, %d KiB reserved, %d frames described" % (
        (int(pfa["free_pages"]) + on_lists) * kib, int(pfa["total_pages"]) * kib,
        int(pfa["reserved_pages"]) * kib, int(pfa["present_pages"]))
    return [line, total]


# --- struct page (mm/page.h) --------------------------------------------------

def page_state_names():
    t = gdb.lookup_type("enum page_state")
    return {f.enumval: f.name[len("PAGE_"):].lower() for f in t.fields()
            if f.name != "PAGE_STATE_COUNT"}


def pfn_to_page(pfn):
    section_shift = 27 - PAGE_SHIFT     # SECTION_SHIFT (mm/page.h; macros are not in DWARF)
    sec = pfn >> section_shift
    if sec >= int(sym("nr_mem_sections")):
        return None
    base = sym("mem_section")[sec]
    if not int(base):
        return None
    return base + (pfn & ((1 << section_shift) - 1))


def page_line(page):
    names = page_state_names()
    state = int(page["state"])
    pfn = int(page["pfn"])
    return "page pfn 0x%x phys 0x%x state %s order %d flags 0x%x private 0x%x" % (
        pfn, pfn << PAGE_SHIFT, names.get(state, "invalid"), int(page["order"]),
        int(page["flags"]), int(page["private"]))


def virt_to_phys(addr):
    """Physical address of a kernel address, or None if nothing maps it."""
    kernel_vma = int(sym("&_text")) & ~((1 << 30) - 1)      # KERNEL_VMA, 1 GiB aligned
    if addr >= kernel_vma:
        return addr - kernel_vma
    leaf = walk(addr)[-1]
    return leaf[4] if leaf[3] else None


# --- page tables ----------------------------------------------------------------

def level_shift(level):
    return PAGE_SHIFT + 9 * level


def prot_words(e, level):
    """["RW"|"ro", "UC"|"WC"|"", "GLB"|"", "x"|"NX"], as arch_pte_prot() decodes."""
    pat = (1 << 12) if level else (1 << 7)
    cache = e & (PTE_PCD | PTE_PWT | pat)
    return ["RW" if e & PTE_RW else "ro",
            "UC" if cache == PTE_PCD | PTE_PWT else "WC" if cache == PTE_PWT else "",
            "GLB" if e & PTE_G else "",
            "NX" if e & PTE_XD else "x"]


def is_leaf(e, level):
    return level == 0 or bool(e & PTE_PS)


def entry_phys(e, level):
    mask = PTE_ADDR
    if is_leaf(e, level):
        mask &= ~((1 << level_shift(level)) - 1)
    return e & mask


def canonical(va):
    return va | (0xffff << 48) if va & (1 << 47) else va


def walk(va):
    """[(level, index, entry address, leaf?, phys of va or of the next table)]: the path."""
    base = direct_map_base()
    table = int(sym("kernel_pgtable")["root_phys"])
    path = []
    for level in range(3, -1, -1):
        index = (va >> level_shift(level)) & 511
        addr = base + table + 8 * index
        e, = read_u64s(addr, 1)
        if not e & PTE_P:
            path.append((level, index, e, False, None))
            return path
        if is_leaf(e, level):
            phys = entry_phys(e, level) + (va & ((1 << level_shift(level)) - 1))
            path.append((level, index, e, True, phys))
            return path
        table = entry_phys(e, level)
        path.append((level, index, e, False, table))
    return path


def translate_line(va, path):
    level, _, e, leaf, phys = path[-1]
    if not leaf:
        return "translate 0x%016x -> not mapped" % va
    words = [w for w in prot_words(e, level) if w]
    return "translate 0x%016x -> phys 0x%x %s %s" % (va, phys, LEVEL_NAMES[level], " ".join(words))


def ptdump_regions():
    """(start, end, name) of mm/ptdump.c's own table (end 0: the top)."""
    regions = sym("'ptdump.c'::regions")
    n = regions.type.range()[1] + 1
    out = []
    for i in range(n):
        start = int(regions[i]["start"])
        end = int(regions[i + 1]["start"]) if i + 1 < n else 0
        if start == 0:
            end = 1 << 47           # the lower half ends at its top
        out.append((start, end, regions[i]["name"].string()))
    return out


def format_size(size):
    size >>= 10
    units, u = "KMGTPE", 0
    while size and not size & 1023 and u + 1 < len(units):
        size >>= 10
        u += 1
    return "%d%s" % (size, units[u])


class Dumper:
    """Merges leaves like mm/ptdump.c and prints one line per run."""

    def __init__(self, out):
        self.out, self.base, self.tables = out, direct_map_base(), {}
        self.run = None     # [start, end, prot words, level]

    def table(self, phys):
        if phys not in self.tables:
            self.tables[phys] = read_u64s(self.base + phys, 512)
        return self.tables[phys]

    def flush(self):
        if self.run:
            start, end, (rw, cache, glb, x), level = self.run
            self.out("0x%016x-0x%016x   %10s     %s %-4s            %-4s%-3s%s" % (
                start, end, format_size(end - start), rw, cache, glb, x, LEVEL_NAMES[level]))
        self.run = None

    def leaf(self, va, size, words, level):
        r = self.run
        if r and r[1] == va and r[2] == words and r[3] == level:
            r[1] = va + size
            return
        self.flush()
        self.run = [va, va + size, words, level]

    def walk(self, table_phys, level, start, end):
        """Leaves of [start, end), 48-bit addresses, in the table at table_phys."""
        entries, size = self.table(table_phys), 1 << level_shift(level)
        first = (start >> level_shift(level)) & 511
        va = start & ~(size - 1)
        for index in range(first, 512):
            if va >= end:
                break
            e = entries[index]
            if e & PTE_P:
                if is_leaf(e, level):
                    self.leaf(canonical(va), size, prot_words(e, level), level)
                else:
                    self.walk(entry_phys(e, level), level - 1, max(va, start),
                              min(va + size, end))
            va += size

    def dump(self, start, end):
        """Leaves of [start, end), canonical addresses (end 2^64: the top)."""
        root = int(sym("kernel_pgtable")["root_phys"])
        # The walk runs in the 48-bit space; leaves are shown sign-extended.
        lo, hi = start & ((1 << 48) - 1), (end - 1 & ((1 << 48) - 1)) + 1
        self.walk(root, 3, lo, hi)
        self.flush()


def ptdump_lines(start=None, end=None):
    lines = []
    d = Dumper(lines.append)
    for rstart, rend, name in ptdump_regions():
        rend = rend or 1 << 64
        if start is not None and (rend <= start or rstart >= end):
            continue
        lines.append("---[ %s ]---" % name)
        lo, hi = rstart, rend
        if start is not None:
            lo, hi = max(lo, start), min(hi, end)
        d.dump(lo, hi)
    return lines


# --- the commands ---------------------------------------------------------------

def parse_addr(text):
    return int(gdb.parse_and_eval(text)) & ((1 << 64) - 1)


class MmVmallocinfo(gdb.Command):
    """Lists the vmap areas as /proc/vmallocinfo (the kernel's `vmallocinfo` option)."""

    def __init__(self):
        super().__init__("mm-vmallocinfo", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        for line in vmallocinfo_lines():
            gdb.write(line + "\n")


class MmBuddyinfo(gdb.Command):
    """Free blocks of each order (/proc/buddyinfo) and the frame totals."""

    def __init__(self):
        super().__init__("mm-buddyinfo", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        for line in buddyinfo_lines():
            gdb.write(line + "\n")


def cr3_note():
    """", CR3 0x..." when the stub shows the register (QEMU does for x86-64)."""
    try:
        return ", CR3 0x%x" % (int(gdb.parse_and_eval("$cr3")) & PTE_ADDR)
    except gdb.error:
        return ""


class MmTranslate(gdb.Command):
    """mm-translate VA: walks VA through the kernel's page tables, level by level.

Each line shows the table index, the entry's value and its bits decoded;
the last line gives the physical address, or says nothing maps VA.
The root is kernel_pgtable.root_phys (CR3 when the kernel's tables are loaded)."""

    def __init__(self):
        super().__init__("mm-translate", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("usage: mm-translate VA")
        va = parse_addr(arg)
        path = walk(va)
        gdb.write("  root 0x%x (kernel_pgtable)%s\n" % (
            int(sym("kernel_pgtable")["root_phys"]), cr3_note()))
        for level, index, e, leaf, phys in path:
            bits = [n for n, b in (("P", PTE_P), ("RW", PTE_RW), ("PWT", PTE_PWT),
                                   ("PCD", PTE_PCD), ("A", 1 << 5), ("D", 1 << 6),
                                   ("PS", PTE_PS if level else 0), ("G", PTE_G),
                                   ("XD", PTE_XD)) if b and e & b]
            what = ("not present" if not e & PTE_P else
                    "leaf -> 0x%x" % entry_phys(e, level) if leaf else
                    "table at 0x%x" % phys)
            gdb.write("  %s[%3d] = 0x%016x %-22s %s\n" % (
                LEVEL_NAMES[level], index, e, " ".join(bits), what))
        gdb.write(translate_line(va, path) + "\n")
        if path[-1][3]:
            page = pfn_to_page(path[-1][4] >> PAGE_SHIFT)
            if page is not None:
                gdb.write(page_line(page) + "\n")


class MmPage(gdb.Command):
    """mm-page PFN|ADDR: the struct page of frame PFN, or of the frame behind ADDR.

A number below 2^32 is a frame number; above, a kernel virtual address
(direct map, kernel image, or vmalloc through the page tables)."""

    def __init__(self):
        super().__init__("mm-page", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("usage: mm-page PFN|ADDR")
        value = parse_addr(arg)
        if value < 1 << 32:
            pfn = value
        else:
            phys = virt_to_phys(value)
            if phys is None:
                raise gdb.GdbError("0x%x is not mapped" % value)
            pfn = phys >> PAGE_SHIFT
        page = pfn_to_page(pfn)
        if page is None:
            raise gdb.GdbError("pfn 0x%x has no struct page (beyond RAM or a hole)" % pfn)
        gdb.write(page_line(page) + "\n")
        gdb.write("struct page at 0x%x\n" % int(page))


class MmPtdump(gdb.Command):
    """mm-ptdump [START END]: the kernel's page tables as the `ptdump` option prints them.

With START and END, only the part of each region inside [START, END)."""

    def __init__(self):
        super().__init__("mm-ptdump", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if len(words) not in (0, 2):
            raise gdb.GdbError("usage: mm-ptdump [START END]")
        rng = [parse_addr(w) for w in words] or [None, None]
        for line in ptdump_lines(*rng):
            gdb.write(line + "\n")


MmVmallocinfo()
MmBuddyinfo()
MmTranslate()
MmPage()
MmPtdump()
