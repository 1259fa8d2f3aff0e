#!/bin/sh
# `make stress`: one boot that runs the stress suite (tests/test_stress.c)
# for 10 million random operations against its reference model, checked
# by the KTAP runner like any test configuration. Prints the runner's
# verdict, the suite's summary lines and the wall-clock time; exits
# non-zero on a mismatch, a crash or a hang.
#
#   stress.sh --build DIR --kernel ELF [--ops N] [--seed S] [--uefi]
#             [--mem SIZE] [--timeout SECONDS]
#
# A mismatch prints "model: FAILED at op I: ...", the last operations and
# "model: replay: ktest.filter=stress ktest.seed=S stress.ops=I+1": run
# `stress.sh ... --seed S --ops I+1` (or `make stress STRESS_SEED=S
# STRESS_OPS=I+1`), or the same command line in mm-host-test
# (docs/reliability.md). Log: DIR/logs/stress.log.
set -u

build=build kernel= ops=10000000 seed= uefi= mem=512M timeout=14400
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--ops) ops=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--uefi) uefi=--uefi; shift ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	*) echo "stress.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$kernel" ] || { echo "stress.sh: --kernel is required" >&2; exit 2; }
PYTHON=${PYTHON:-python3}

cmdline="ktest ktest.filter=stress stress.ops=$ops${seed:+ ktest.seed=$seed}"
log=$build/logs/stress.log
mkdir -p "$build/logs" "$build/results"
echo "== stress: $ops operations, command line \"$cmdline\" (log $log)"
start=$(date +%s)
# shellcheck disable=SC2086
$PYTHON scripts/ktest.py boot --name stress --timeout "$timeout" \
	--log "$log" --result "$build/results/stress.json" -- \
	sh scripts/qemu.sh --kernel "$kernel" --build "$build" --name stress \
	--mem "$mem" $uefi --cmdline "$cmdline" < /dev/null
status=$?
end=$(date +%s)
grep -E 'stress: |model: ' "$log" | sed 's/^ *# //'
echo "stress: $((end - start)) s wall clock, $([ $status = 0 ] && echo passed || echo FAILED)"
exit $status
