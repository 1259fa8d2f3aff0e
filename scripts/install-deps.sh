#!/bin/sh
# Installs the Debian packages the build, `make run` and `make test` need,
# if any is missing. As root it runs apt-get; otherwise it prints the exact
# command to run and fails.
#
#   install-deps.sh            kernel build + QEMU (BIOS and UEFI)
set -eu

# package:file-or-command that proves it is installed
needs="
nasm:nasm
qemu-system-x86:qemu-system-x86_64
grub-common:grub-mkrescue
grub-pc-bin:/usr/lib/grub/i386-pc/multiboot2.mod
grub-efi-amd64-bin:/usr/lib/grub/x86_64-efi/multiboot2.mod
xorriso:xorriso
mtools:mformat
ovmf:/usr/share/OVMF/OVMF_VARS_4M.fd
python3:python3
gdb:gdb
gcc:gcc
make:make
binutils:ld
"

. "$(dirname "$0")/lib-deps.sh"
missing=$(deps_missing "$needs")
[ -z "$missing" ] && exit 0
deps_install install-deps "$missing"
