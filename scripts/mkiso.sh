#!/bin/sh
# Usage: mkiso.sh KERNEL.elf OUT.iso "KERNEL COMMAND LINE"
# Builds a GRUB rescue ISO that boots KERNEL.elf through Multiboot2 with the
# given command line, on BIOS (El Torito) and UEFI (EFI system partition).
set -eu
kernel=$1 out=$2 cmdline=${3:-}
tree=${out%.iso}.tree
rm -rf "$tree"
mkdir -p "$tree/boot/grub"
cp "$kernel" "$tree/boot/kernel.elf"
# The command line must not break out of the GRUB menu entry.
case $cmdline in *[\"\'\;\`\$\\{}]*)
	echo "mkiso.sh: unsupported character in command line: $cmdline" >&2; exit 2 ;;
esac
sed "s|@CMDLINE@|$cmdline|" boot/grub.cfg > "$tree/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$tree" 2> "$out.log" || { cat "$out.log" >&2; exit 1; }
rm -rf "$tree"
