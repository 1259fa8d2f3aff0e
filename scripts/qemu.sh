#!/bin/sh
# Boots the kernel ISO in QEMU (TCG) and replaces itself with QEMU.
#
#   qemu.sh --kernel ELF --build DIR [--name NAME] [--uefi] [--mem SIZE]
#           [--cmdline "KERNEL ARGS"] [--smp N] [--interactive] [--gdb] [--kvm]
#           [--verdict] [-- QEMU ARGS]
#
# Each configuration NAME gets its own ISO under DIR/boot-config/NAME with
# the kernel command line baked into its GRUB menu (scripts/mkiso.sh; it
# takes a fraction of a second). Test mode (the default) puts the serial console on
# stdout and lets the kernel end QEMU through isa-debug-exit (status 33 =
# tests passed, 35 = failed). --interactive multiplexes the QEMU monitor on
# the terminal (Ctrl-A X quits); --gdb also waits for GDB on port 1234.
# TCG is the default; --kvm (or KVM=1 in the environment) uses KVM when
# /dev/kvm is usable, and falls back to TCG with a note otherwise. --smp N
# (or SMP=N in the environment) gives the machine N CPUs (default 1); under
# TCG each runs on its own host thread (MTTCG).
# --verdict (make run) waits for QEMU instead of becoming it, prints
# "PASSED" or "FAILED" when the kernel ended QEMU through isa-debug-exit
# and exits 0 or 1 (0 also when QEMU was quit by hand; any other status is
# passed on, with a line saying the machine crashed). $QEMU names the
# QEMU binary (default qemu-system-x86_64).
set -eu

kernel= build=build name=run uefi=0 mem=512M cmdline= interactive=0 gdb=0 accel=tcg verdict=0
smp=${SMP:-1}
[ "${KVM:-0}" = 1 ] && accel=kvm
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--uefi) uefi=1; shift ;;
	--mem) mem=$2; shift 2 ;;
	--cmdline) cmdline=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	--gdb) gdb=1; shift ;;
	--kvm) accel=kvm; shift ;;
	--verdict) verdict=1; shift ;;
	--) shift; break ;;
	*) echo "qemu.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$kernel" ] || { echo "qemu.sh: --kernel is required" >&2; exit 2; }

cfgdir=$build/boot-config/$name
iso=$cfgdir/kernel.iso
mkdir -p "$cfgdir"
sh scripts/mkiso.sh "$kernel" "$iso" "$cmdline" >&2

if [ "$accel" = kvm ] && [ ! -w /dev/kvm ]; then
	echo "qemu.sh: /dev/kvm is not usable, using TCG" >&2
	accel=tcg
fi
cpu=max
[ "$accel" = kvm ] && cpu=host

set -- -accel "$accel" -cpu "$cpu" -smp "$smp" -m "$mem" -display none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -nic none \
	-cdrom "$iso" \
	"$@"

if [ "$uefi" = 1 ]; then
	code=$(ls /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd 2>/dev/null | head -n 1)
	vars=$(ls /usr/share/OVMF/OVMF_VARS_4M.fd /usr/share/OVMF/OVMF_VARS.fd 2>/dev/null | head -n 1)
	[ -n "$code" ] || { echo "qemu.sh: OVMF not found (apt-get install ovmf)" >&2; exit 1; }
	cp "$vars" "$cfgdir/OVMF_VARS.fd"
	set -- -machine q35 \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" \
		-drive "if=pflash,format=raw,unit=1,file=$cfgdir/OVMF_VARS.fd" "$@"
fi

if [ "$interactive" = 1 ]; then
	set -- "$@" -serial mon:stdio
else
	set -- "$@" -serial stdio -monitor none
fi
[ "$gdb" = 1 ] && set -- "$@" -s -S

[ "$verdict" = 1 ] || exec "${QEMU:-qemu-system-x86_64}" "$@"

# isa-debug-exit makes QEMU exit with (value << 1) | 1: 33 and 35 (arch/x86_64/qemu.h).
status=0
"${QEMU:-qemu-system-x86_64}" "$@" || status=$?
case $status in
33) echo "qemu.sh: PASSED (the kernel reported success, isa-debug-exit 33)"; exit 0 ;;
35) echo "qemu.sh: FAILED (the kernel reported failure, isa-debug-exit 35)"; exit 1 ;;
0) exit 0 ;;
*) echo "qemu.sh: FAILED: QEMU exited with status $status (triple fault, reset or QEMU error)"
   exit "$status" ;;
esac
