#!/bin/sh
# Usage: run-fuzz.sh FUZZER SECONDS NAME LOG RESULT.json CORPUS
#
# Runs the mm fuzzer (tests/host/fuzz_libfuzzer.c) for SECONDS from the seed
# corpus (tests/host/corpus, read-only) plus CORPUS, the directory where it
# keeps what it finds (make fuzz: one that grows run after run; the short
# run of make test: a fresh one, so that replaying a large corpus does not
# eat its time), keeps libFuzzer's output in LOG, prints one summary line and
# writes RESULT.json in scripts/ktest.py's format (one test: the run), so
# `make test` counts it with the QEMU configurations. A crash is saved
# under crashes/ next to the fuzzer; the summary says how to replay it and
# how to make it a regression test.
set -u
fuzzer=$1 seconds=$2 name=$3 log=$4 result=$5 corpus=$6
dir=$(dirname "$fuzzer")
mkdir -p "$corpus" "$dir/crashes" "$(dirname "$log")" "$(dirname "$result")"
before=$(ls "$dir/crashes" | wc -l)

"$fuzzer" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -max_len=2048 \
	-print_final_stats=1 -artifact_prefix="$dir/crashes/" \
	"$corpus" tests/host/corpus > "$log" 2>&1
status=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
crash=$(ls -t "$dir/crashes" 2>/dev/null | head -n 1)

if [ "$status" = 0 ]; then
	echo "[$name] ok      ${execs:-0} inputs in ${seconds} s (${speed:-0}/s), coverage ${cov:-?} edges, ${ft:-?} features"
	printf '{"name": "%s", "passed": 1, "failed": 0, "skipped": 0, "ok": true, "problems": []}\n' \
		"$name" > "$result"
	exit 0
fi
problem="fuzzer exited with status $status after ${execs:-?} inputs (log: $log)"
if [ "$(ls "$dir/crashes" | wc -l)" -gt "$before" ] && [ -n "$crash" ]; then
	problem="crash: $dir/crashes/$crash; replay with FUZZ_VERBOSE=1 $fuzzer $dir/crashes/$crash, then copy it to tests/host/regressions/"
fi
echo "[$name] FAILED  $problem"
grep -E '^(fuzz:|==[0-9]+==ERROR|SUMMARY)' "$log" | head -n 20
printf '{"name": "%s", "passed": 0, "failed": 1, "skipped": 0, "ok": false, "problems": ["%s"]}\n' \
	"$name" "$problem" > "$result"
exit 1
