#!/bin/sh
# `make stress`: one boot that runs the stress suite (tests/test_stress.c)
# for 10 million random operations against its reference model, then one
# boot with --smp CPUs (4) that runs the concurrent stress
# (tests/test_smp_stress.c) for --rounds rounds (200), each checked by the
# KTAP runner like any test configuration. Prints the runner's verdicts,
# the suites' summary lines and the wall-clock times; exits non-zero on a
# mismatch, a crash or a hang in either.
#
#   stress.sh --build DIR --kernel ELF [--ops N] [--seed S] [--uefi]
#             [--mem SIZE] [--timeout SECONDS] [--smp N] [--rounds R]
#
# --smp 1 leaves the concurrent boot out; --ops 0 the one-CPU boot.
#
# A mismatch prints "model: FAILED at op I: ...", the last operations and
# "model: replay: ktest.filter=stress ktest.seed=S stress.ops=I+1": run
# `stress.sh ... --seed S --ops I+1` (or `make stress STRESS_SEED=S
# STRESS_OPS=I+1`), or the same command line in mm-host-test
# (docs/reliability.md). Log: DIR/logs/stress.log.
set -u

build=build kernel= ops=10000000 seed= uefi= mem=512M timeout=14400 smp=4 rounds=200
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--ops) ops=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--uefi) uefi=--uefi; shift ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	*) echo "stress.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$kernel" ] || { echo "stress.sh: --kernel is required" >&2; exit 2; }
PYTHON=${PYTHON:-python3}

mkdir -p "$build/logs" "$build/results"

# boot NAME CPUS WHAT CMDLINE: one boot under the runner; its status.
boot() {
	log=$build/logs/$1.log
	echo "== $1: $3, command line \"$4\" (log $log)"
	start=$(date +%s)
	# shellcheck disable=SC2086
	$PYTHON scripts/ktest.py boot --name "$1" --timeout "$timeout" \
		--log "$log" --result "$build/results/$1.json" -- \
		sh scripts/qemu.sh --kernel "$kernel" --build "$build" --name "$1" \
		--mem "$mem" --smp "$2" $uefi --cmdline "$4" < /dev/null
	st=$?
	end=$(date +%s)
	grep -E 'stress: |model: ' "$log" | sed 's/^ *# //'
	echo "$1: $((end - start)) s wall clock, $([ $st = 0 ] && echo passed || echo FAILED)"
	return $st
}

status=0
if [ "$ops" != 0 ]; then
	boot stress 1 "$ops operations" \
		"ktest ktest.filter=stress stress.ops=$ops${seed:+ ktest.seed=$seed}" || status=1
fi
if [ "$smp" -gt 1 ]; then
	boot stress-smp "$smp" "$rounds rounds on $smp CPUs" \
		"ktest ktest.filter=smp_stress smp_stress.rounds=$rounds${seed:+ ktest.seed=$seed}" ||
		status=1
fi
exit $status
