#!/bin/bash
# tcg-profile.sh: where a test_vmalloc run spends the host's time under TCG,
# by kernel function (docs/bench.md, "Profiling under TCG").
#
#   scripts/tcg-profile.sh [--kernel ELF] [--mask N] [--loops N] [--threads N]
#
# Boots the release kernel (make release-kernel) with -smp 2 and runs one
# test_vmalloc run of `--threads` workers (1 or 2) over the scenarios of
# `--mask`, with perf sampling QEMU only while the run lasts (from the
# serial line that starts it to the kernel's power-off). QEMU logs every
# block it translates (-d in_asm,out_asm): for each host instruction of
# translated code, the guest instruction it came from. tcg-profile.py maps
# each sample in translated code to that guest address and the kernel
# function around it; a sample in QEMU itself (a helper: a softmmu TLB
# fill, an atomic operation, a block lookup) is counted by QEMU's symbol.
# Sampling does not stop the vCPUs, so it leaves the run's timing alone,
# which QEMU's own monitor sampling does not. Needs perf (apt-get install
# linux-perf) and permission to use it (root, or perf_event_paranoid <= 1).
set -u
kernel=build/bench/kernel.elf mask=8 loops=200000 threads=1
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--mask) mask=$2; shift 2 ;;
	--loops) loops=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	*) echo "tcg-profile.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
command -v perf > /dev/null || { echo "tcg-profile.sh: needs perf (apt-get install linux-perf)" >&2; exit 2; }
[ -f "$kernel" ] || { echo "tcg-profile.sh: no $kernel (make release-kernel)" >&2; exit 2; }
case $threads in
1|2) ;;
*) echo "tcg-profile.sh: --threads takes 1 or 2 (the machine has 2 CPUs)" >&2; exit 2 ;;
esac

work=$(mktemp -d /tmp/tcg-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkfifo "$work/ctl"
perf record -q -F 1999 -D -1 --control "fifo:$work/ctl" -o "$work/perf.data" -- \
	sh scripts/qemu.sh --kernel "$kernel" --build "$(dirname "$kernel")" --name tcg-profile \
	--mem 1G --smp 2 --cmdline "bench bench.filter=vmalloc test_loop_count=$loops \
test_repeat_count=1 sequential_test_order=1 run_test_mask=$mask nr_threads=$threads" \
	-- -D "$work/tb.log" -d in_asm,out_asm < /dev/null > "$work/serial.log" 2>&1 &
run=$!
exec 3> "$work/ctl"     # held open: perf sees end-of-file on the fifo only at our exit

# Sampling goes on when the run starts and stays on to QEMU's exit.
sampling=0
while sleep 0.1; do
	kill -0 $run 2> /dev/null || break
	if [ $sampling = 0 ] && grep -q '^test_vmalloc: nr_threads' "$work/serial.log"; then
		echo enable >&3
		sampling=1
	fi
done
wait $run
exec 3>&-
grep -a '^Summary' "$work/serial.log" || {
	echo "tcg-profile.sh: the run did not complete; its serial log:" >&2
	tail -n 20 "$work/serial.log" >&2
	exit 1
}
[ $sampling = 1 ] || { echo "tcg-profile.sh: the run never started" >&2; exit 1; }
python3 scripts/tcg-profile.py "$work/perf.data" "$work/tb.log" "$kernel"
