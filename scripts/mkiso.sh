#!/bin/sh
# Usage: mkiso.sh KERNEL.elf OUT.iso "KERNEL COMMAND LINE"
# Builds a GRUB rescue ISO that boots KERNEL.elf through Multiboot2 with the
# given command line, on BIOS (El Torito) and UEFI (EFI system partition).
set -eu
kernel=$1 out=$2 cmdline=${3:-}
tree=${out%.iso}.tree
rm -rf "$tree"
mkdir -p "$tree/boot/grub"
# Without its debug sections: GRUB loads every section of the ELF into memory
# (for the ELF-sections tag), and the DWARF (2 MiB and growing) stops a larger
# kernel from booting on the 8 MiB machine (bios-8m). GDB reads the build's
# ELF. A file objcopy cannot read (the runner's tests pass an empty one) goes
# in as it is.
objcopy --strip-debug "$kernel" "$tree/boot/kernel.elf" 2>/dev/null ||
	cp "$kernel" "$tree/boot/kernel.elf"
# The command line must not break out of the GRUB menu entry.
case $cmdline in *[\"\'\;\`\$\\{}]*)
	echo "mkiso.sh: unsupported character in command line: $cmdline" >&2; exit 2 ;;
esac
sed "s|@CMDLINE@|$cmdline|" boot/grub.cfg > "$tree/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$tree" 2> "$out.log" || { cat "$out.log" >&2; exit 1; }
rm -rf "$tree"
