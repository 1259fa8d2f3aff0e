#!/bin/sh
# Installs the Debian packages the host build of mm/ needs (docs/host.md),
# beyond the kernel's own (scripts/install-deps.sh), if any is missing: the
# sanitizer runtimes come with gcc; clang and its libFuzzer runtime build
# the fuzzer; Valgrind runs memcheck and callgrind (and gives the headers
# of their client requests). As root it runs apt-get; otherwise it prints
# the exact command to run and fails.
#
#   install-host-deps.sh       make host-test, make fuzz, make host-bench
set -eu

# package:file-or-command that proves it is installed
needs="
gcc:gcc
make:make
binutils:objdump
nasm:nasm
python3:python3
clang:clang
valgrind:valgrind
valgrind:/usr/include/valgrind/callgrind.h
"

. "$(dirname "$0")/lib-deps.sh"
missing=$(deps_missing "$needs")

# libFuzzer's runtime ships apart from clang (Debian: libclang-rt-<version>-dev).
if command -v clang > /dev/null 2>&1; then
	rt=$(clang -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a
	[ -e "$rt" ] || missing="$missing libclang-rt-dev"
fi

[ -z "$missing" ] && exit 0

deps_install install-host-deps "$missing"
# A clang installed just now may still lack the runtime package of its version.
if ! [ -e "$(clang -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a" ]; then
	ver=$(clang -dumpversion | cut -d. -f1)
	apt-get install -y --no-install-recommends "libclang-rt-$ver-dev"
fi
