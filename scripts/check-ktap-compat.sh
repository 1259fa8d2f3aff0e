#!/bin/sh
# `make ktap-compat`: checks that the serial logs `make test` left in
# build/logs are read by two independent parsers: Linux's own KUnit parser
# (`kunit.py parse`, from Debian's linux-source package) and node-tap's
# TAP14 parser (tap-parser, from the npm registry). Downloads both once into
# build/compat (about 150 MB for the kernel source package).
set -eu
build=${1:-build}
compat=$build/compat
mkdir -p "$compat"

# kunit.py finds its tree by the path tools/testing/kunit, so keep it.
kunit=$compat/linux/tools/testing/kunit/kunit.py
if [ ! -f "$kunit" ]; then
	tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | head -n 1 || true)
	if [ -z "$tarball" ]; then
		[ "$(id -u)" = 0 ] || { echo "run: sudo apt-get install linux-source"; exit 1; }
		apt-get install -y -q linux-source > /dev/null
		tarball=$(ls /usr/src/linux-source-*.tar.xz | head -n 1)
	fi
	top=$(basename "$tarball" .tar.xz)
	tar -xf "$tarball" -C "$compat" "$top/tools/testing/kunit/"
	rm -rf "$compat/linux"
	mv "$compat/$top" "$compat/linux"
fi
if [ ! -d "$compat/node_modules/tap-parser" ]; then
	(cd "$compat" && npm install --silent --no-audit --no-fund tap-parser > /dev/null)
fi

status=0
for log in "$build"/logs/bios.log "$build"/logs/uefi.log "$build"/logs/bios-smp4.log \
	   "$build"/logs/uefi-smp2.log "$build"/logs/harness-demo.log; do
	[ -f "$log" ] || { echo "$log missing: run make test first"; exit 1; }
	expect=expect-ok
	case $log in *harness-demo*) expect=expect-fail ;; esac
	out=$(python3 "$kunit" parse "$(realpath "$log")" 2>&1) || true
	summary=$(printf '%s\n' "$out" | grep 'Testing complete' || true)
	echo "$log: kunit.py: ${summary:-no summary}"
	if [ -z "$summary" ] || printf '%s\n' "$out" | grep -q '\[ERROR\]\|CRASHED'; then
		status=1
	fi
	NODE_PATH=$compat/node_modules node tests/runner/tap14-check.js "$log" "$expect" || status=1
done
exit $status
