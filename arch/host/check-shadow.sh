#!/bin/sh
# Usage: check-shadow.sh OBJECT
# Fails if a host object contains an instruction that only ring 0 may run:
# it would mean a kernel header's inline assembly reached the host build
# (the shadow headers in arch/host/include did not win), and the program
# would die on it at run time. Ports, control registers, TLB and cache
# control, descriptor tables, MSRs, interrupt flag, halt.
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
	echo "error: $obj contains privileged instructions (a kernel header was not shadowed):"
	echo "$bad"
	rm -f "$obj"
	exit 1
fi
