#!/bin/bash
# bench-ab.sh: the scaling table of `make bench` (test_vmalloc with 1
# worker, then 2) for one or more revisions, in interleaved rounds, and
# the median of each figure per revision (docs/bench.md, "Comparing
# revisions").
#
#   scripts/bench-ab.sh [--rounds N] [--loops N] [--mask N] [--layouts N] [--pairs N] REV...
#
# REV: a git revision, built once in a worktree of its own under
# build/bench-ab/ (kept for the next call), or "." for this tree as it is,
# uncommitted changes included. Each round runs one `make bench` of every
# REV in the order given, so a slow spell of the host falls on all of them
# alike. Defaults: 10 rounds, test_loop_count=5000, run_test_mask=63 (the
# six scenarios the ratio table compares), sequential order, one repeat:
# 8-13 s a run. Every run's figures go to build/logs/bench-ab.txt. With
# several REVs it also prints each later REV's times over the first's,
# round by round, and the median of those quotients. --layouts N (1 by
# default) builds each REV N times, its text, data and bss moved by 0,
# 1088, 2176 ... bytes (LAYOUT_PAD), and round r runs every REV in layout
# r mod N: under TCG the layout alone moves the figures by up to 13%, and
# the medians then cover N layouts instead of one. --pairs N (1 by
# default) runs N pairs of 1 worker / 2 workers in each boot
# (scaling_pairs=N), each pair's row counted in the medians. A revision
# older than the warm-up run (scaling_warmup) times a cold 1-worker run
# against a warm 2-worker one: its ratios read high, and a line says so.
set -u
rounds=10 loops=5000 mask=63 layouts=1 pairs=1
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--loops) loops=$2; shift 2 ;;
	--mask) mask=$2; shift 2 ;;
	--layouts) layouts=$2; shift 2 ;;
	--pairs) pairs=$2; shift 2 ;;
	-*) echo "bench-ab.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { echo "usage: scripts/bench-ab.sh [--rounds N] [--loops N] [--mask N] [--layouts N] [--pairs N] REV..." >&2; exit 2; }
case $layouts in
''|*[!0-9]*|0) echo "bench-ab.sh: --layouts takes a number of layouts, 1 or more" >&2; exit 2 ;;
esac
case $pairs in
''|*[!0-9]*|0) echo "bench-ab.sh: --pairs takes a number of pairs, 1 or more" >&2; exit 2 ;;
esac
top=$(git rev-parse --show-toplevel) || exit 2
cd "$top" || exit 2

# The tree each REV runs in: this one for ".", else a worktree at its commit.
dirs=() names=()
git worktree prune
for rev in "$@"; do
	if [ "$rev" = . ]; then
		dirs+=("$top"); names+=(.)
		continue
	fi
	sha=$(git rev-parse --verify --quiet "$rev^{commit}") ||
		{ echo "bench-ab.sh: $rev is not a revision" >&2; exit 2; }
	dir=$top/build/bench-ab/${sha:0:12}
	if [ ! -d "$dir" ]; then
		mkdir -p "$top/build/bench-ab"
		git worktree add --detach --quiet "$dir" "$sha" || exit 2
	fi
	dirs+=("$dir"); names+=("$rev")
done
for i in "${!dirs[@]}"; do
	grep -q scaling_warmup "${dirs[$i]}/tests/bench_test_vmalloc.c" ||
		echo "bench-ab.sh: ${names[$i]} predates the warm-up run: its 1-worker runs are cold, its ratios read high" >&2
done
if [ "$layouts" -gt 1 ]; then
	for i in "${!dirs[@]}"; do
		grep -q LAYOUT_PAD "${dirs[$i]}/linker.ld" || {
			echo "bench-ab.sh: ${names[$i]} predates LAYOUT_PAD: --layouts cannot move it" >&2
			exit 2
		}
	done
fi

mkdir -p build/logs
out=build/logs/bench-ab.txt log=build/logs/bench-ab-last.log
: > "$out"
params="test_loop_count=$loops test_repeat_count=1 sequential_test_order=1 run_test_mask=$mask scaling_pairs=$pairs"
for round in $(seq "$rounds"); do
	# Layout 0 is the plain build; layout k pads by k x 1088 bytes, in a build of its own.
	pad=$(( (round - 1) % layouts * 1088 ))
	layout_args=()
	[ "$pad" = 0 ] || layout_args=(BUILD=build/layout-$pad LAYOUT_PAD=$pad)
	for i in "${!dirs[@]}"; do
		if ! make -s -C "${dirs[$i]}" bench BENCH_FILTER=vmalloc BENCH_SMP=2 \
			BENCH_VMALLOC="$params" "${layout_args[@]}" > "$log" 2>&1; then
			echo "bench-ab.sh: make bench failed for ${names[$i]} (round $round):" >&2
			tail -n 20 "$log" >&2
			exit 1
		fi
		# The ratio table's rows: scenario, 1w usec, 2w w0 usec, 2w w1 usec, ratio.
		grep -a '^test_vmalloc: [a-z_]*_test  *[0-9]' "$log" |
			sed "s|^test_vmalloc: |${names[$i]} $round |" >> "$out"
	done
	echo "bench-ab.sh: round $round of $rounds done" >&2
done

python3 - "$out" "$@" <<'PY'
import collections, statistics, sys

path, revs = sys.argv[1], list(dict.fromkeys(sys.argv[2:]))
runs = collections.defaultdict(lambda: collections.defaultdict(list))
pairs = collections.defaultdict(list)  # (rev, scenario, round) -> [(1w usec, 2w mean usec)]
for line in open(path):
    rev, rnd, scenario, t1, w0, w1, ratio = line.split()
    mean = (int(w0) + int(w1)) / 2
    runs[rev][scenario].append((float(ratio), int(t1), mean))
    pairs[rev, scenario, rnd].append((int(t1), mean))
# A round's times: the medians over its pairs (one pair by default).
by_round = {k: (statistics.median(t for t, _ in v), statistics.median(m for _, m in v))
            for k, v in pairs.items()}
print("medians over the rounds (and pairs); ratio = 2 x t1 / mean(t2), every ratio in []")
for rev in revs:
    print(rev)
    for scenario, v in runs[rev].items():
        ratios = sorted(r for r, _, _ in v)
        print("  %-28s ratio %.2f [%s]  1w %7d usec  2w mean %7d usec" % (
            scenario, statistics.median(ratios), " ".join("%.2f" % r for r in ratios),
            statistics.median(t for _, t, _ in v), statistics.median(m for _, _, m in v)))
# Paired: each round's time over the first REV's in the same round, then the
# median of those quotients (a slow spell of the host falls on both).
for rev in revs[1:]:
    print("%s / %s, paired by round: median of the quotients, 2w mean's in []" % (rev, revs[0]))
    for scenario in runs[rev]:
        q1, q2 = [], []
        for (r, s, rnd), (t1, mean) in by_round.items():
            base = by_round.get((revs[0], s, rnd))
            if r == rev and s == scenario and base:
                q1.append(t1 / base[0])
                q2.append(mean / base[1])
        if q1:
            q2.sort()
            print("  %-28s 1w x%.2f  2w mean x%.2f [%s]" % (
                scenario, statistics.median(q1), statistics.median(q2),
                " ".join("%.2f" % q for q in q2)))
PY
