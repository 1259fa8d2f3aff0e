#!/bin/sh
# Usage: check-arch-seam.sh [BUILD]
# Checks the arch seam (docs/pgtable.md, "The arch seam"); run by every
# kernel build, or by hand from the top of the tree:
#
#   1. no file under mm/ names an architecture in an #include: the build
#      chooses the architecture's headers ("asm/mmu.h", "asm/layout.h") by
#      its -I path (arch/x86_64/include for the kernel, arch/host/include
#      for the host build);
#   2. no inline assembly in mm/;
#   3. with BUILD (the kernel's build directory): the objects of
#      arch/x86_64 use no symbol that an object of mm/ defines, so the
#      architecture never calls up into the memory subsystem;
#   4. with BUILD: the shell (kernel/shell) is the top layer: no object
#      but its own and kmain's uses a symbol it defines.
set -eu
build=${1:-}
status=0

bad=$(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"][^">]*(x86|arch/)' mm/*.c mm/*.h || true)
if [ -n "$bad" ]; then
	echo "error: mm/ names an architecture in an #include (use \"asm/...\"):"
	echo "$bad" | sed 's/^/    /'
	status=1
fi

bad=$(grep -n -E '\b(__asm__|asm)[[:space:]]*(volatile|__volatile__)?[[:space:]]*\(' mm/*.c mm/*.h || true)
if [ -n "$bad" ]; then
	echo "error: inline assembly in mm/ (it belongs in arch/*/include/asm):"
	echo "$bad" | sed 's/^/    /'
	status=1
fi

if [ -n "$build" ]; then
	arch_objs=$(for f in arch/x86_64/*.c; do echo "$build/${f%.c}.o"; done
		    for f in arch/x86_64/*.asm; do echo "$build/${f%.asm}.asm.o"; done)
	mm_objs=$(for f in mm/*.c; do echo "$build/${f%.c}.o"; done)
	# shellcheck disable=SC2086
	${NM:-nm} --defined-only $mm_objs | awk 'NF == 3 && $2 ~ /[A-Z]/ { print $3 }' | sort -u \
		> "$build/.mm-defined"
	# shellcheck disable=SC2086
	bad=$(${NM:-nm} -u $arch_objs | awk 'NF >= 2 { print $NF }' | sort -u |
		comm -12 - "$build/.mm-defined")
	rm -f "$build/.mm-defined"
	if [ -n "$bad" ]; then
		echo "error: arch/x86_64 uses symbols of mm/ (the arch layer must not call up):"
		echo "$bad" | sed 's/^/    /'
		status=1
	fi
fi
if [ -n "$build" ] && [ -d "$build/kernel/shell" ] && [ -f "$build/objs.list" ]; then
	${NM:-nm} --defined-only "$build"/kernel/shell/*.o | awk 'NF == 3 && $2 ~ /[A-Z]/ { print $3 }' |
		sort -u > "$build/.shell-defined"
	below=$(tr ' ' '\n' < "$build/objs.list" | grep -v -e "^$build/kernel/shell/" -e "^$build/kernel/kmain.o$")
	# shellcheck disable=SC2086
	bad=$(${NM:-nm} -u $below | awk 'NF >= 2 { print $NF }' | sort -u | comm -12 - "$build/.shell-defined")
	rm -f "$build/.shell-defined"
	if [ -n "$bad" ]; then
		echo "error: a layer below the shell uses kernel/shell (only kmain may start it):"
		echo "$bad" | sed 's/^/    /'
		status=1
	fi
fi
exit $status
