#!/bin/sh
# Usage: check-unprivileged.sh OBJECT
# Fails if a host object contains an instruction that only ring 0 may run:
# the program would die on it at run time. It would mean kernel-only
# assembly reached the host build: a header of arch/x86_64/include named
# by path instead of "asm/...", or inline assembly added to a file the
# host compiles (arch/x86_64/mmu.c, traps.c, kernel/, mm/). Ports, control
# registers, TLB and cache control, descriptor tables, MSRs, interrupt
# flag, halt.
set -eu
obj=$1
bad=$(objdump -d --no-show-raw-insn "$obj" | awk -F'\t' '
	NF >= 2 {
		insn = $2
		if (insn ~ /^(cli|sti|hlt|invlpg|invpcid|lgdt|lidt|lldt|ltr|rdmsr|wrmsr|wbinvd|invd|clts|swapgs|iretq|sysretq|in|out|ins[bwl]?|outs[bwl]?)( |$)/ ||
		    insn ~ /%cr[0-9]/ || insn ~ /%db[0-9]/)
			print "    " insn
	}' | sort -u)
if [ -n "$bad" ]; then
	echo "error: $obj contains privileged instructions (kernel-only assembly in the host build):"
	echo "$bad"
	rm -f "$obj"
	exit 1
fi
