#!/bin/bash
# tcg-cost.sh: what one test_vmalloc loop costs QEMU itself, counted rather
# than timed (docs/bench.md, "Counting QEMU's work").
#
#   scripts/tcg-cost.sh [--kernel ELF] [--mask N] [--loops N]
#
# Boots the release kernel (make release-kernel) under TCG, -smp 1, with
# QEMU running inside Valgrind's callgrind with counting off. When the
# serial console shows test_vmalloc starting, counting goes on, until the
# kernel powers off after the scenario's Summary line. Prints host
# instructions per loop (all of QEMU: translated code, block lookups, the
# softmmu), and two things counted by QEMU functions that keep their names
# in Debian's binary: jump-cache misses (qht_lookup_custom, a block lookup
# that missed the per-CPU cache) and softmmu TLB fills (tlb_set_page_full).
# Counts repeat within about 2% from run to run on a loaded host, where
# times move by 20% and more. It takes a minute or two (the boot runs
# under Valgrind too).
set -u
kernel=build/bench/kernel.elf mask=1 loops=100000
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--mask) mask=$2; shift 2 ;;
	--loops) loops=$2; shift 2 ;;
	*) echo "tcg-cost.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
command -v valgrind > /dev/null || { echo "tcg-cost.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
[ -f "$kernel" ] || { echo "tcg-cost.sh: no $kernel (make release-kernel)" >&2; exit 2; }

work=$(mktemp -d /tmp/tcg-cost.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/qemu" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$work/cg.out \\
	qemu-system-x86_64 "\$@"
EOF
chmod +x "$work/qemu"

QEMU=$work/qemu sh scripts/qemu.sh --kernel "$kernel" --build "$(dirname "$kernel")" \
	--name tcg-cost --mem 256M --smp 1 --cmdline "bench bench.filter=vmalloc \
test_loop_count=$loops test_repeat_count=1 sequential_test_order=1 run_test_mask=$mask \
nr_threads=1" < /dev/null > "$work/serial.log" 2>&1 &
boot=$!

# Counting goes on at the scenario's start and stays on to QEMU's exit (the
# kernel powers off right after the Summary line: a few lines of output).
counting=0
while sleep 0.2; do
	kill -0 $boot 2> /dev/null || break
	pid=$(pgrep -f "callgrind-out-file=$work/cg.out" | head -n 1)
	[ -n "$pid" ] || continue       # still making the ISO
	if [ $counting = 0 ] && grep -q '^test_vmalloc: nr_threads' "$work/serial.log"; then
		callgrind_control -i on "$pid" > /dev/null 2>&1
		counting=1
	fi
done
wait
dump=$work/cg.out
[ $counting = 1 ] && [ -s "$dump" ] && grep -q '^Summary' "$work/serial.log" ||
	{ echo "tcg-cost.sh: no count (serial log:)" >&2; tail -n 5 "$work/serial.log" >&2; exit 1; }

python3 - "$dump" "$loops" "$(grep '^Summary' "$work/serial.log" | head -n 1)" <<'EOF'
import re, sys
dump, loops, summary = sys.argv[1], int(sys.argv[2]), sys.argv[3]
names, calls, total, callee = {}, {}, 0, None
for line in open(dump):
    m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?", line)
    if m:
        kind, ident, name = m.groups()
        if name:
            names[ident] = name
        if kind == "cfn":
            callee = ident
    elif line.startswith("calls="):
        calls[callee] = calls.get(callee, 0) + int(line[6:].split()[0])
    elif line.startswith("summary:"):
        total = int(line.split()[1])
per = {names.get(i, i): n / loops for i, n in calls.items()}
print(summary.strip())
print("host instructions per loop: %d" % (total / loops))
print("jump-cache misses per loop: %.2f" % per.get("qht_lookup_custom", 0))
print("softmmu TLB fills per loop: %.2f" % per.get("tlb_set_page_full", 0))
EOF
