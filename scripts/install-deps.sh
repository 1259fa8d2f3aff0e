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
gcc:gcc
make:make
binutils:ld
"

missing=
for item in $needs; do
	pkg=${item%%:*}
	probe=${item#*:}
	case $probe in
	/*) [ -e "$probe" ] && continue ;;
	*) command -v "$probe" > /dev/null 2>&1 && continue ;;
	esac
	missing="$missing $pkg"
done

[ -z "$missing" ] && exit 0

echo "install-deps: missing Debian packages:$missing"
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run this as root, then try again:"
	echo "    sudo apt-get update && sudo $cmd"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
$cmd
