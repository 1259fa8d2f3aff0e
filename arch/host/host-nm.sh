#!/bin/sh
# nm for scripts/gen-ksyms.sh on a host program: the same listing without
# the symbols below the program's first page (0x400000, non-PIE), which
# are offsets, not code: clang's coverage runtime has a TLS variable
# (__sancov_lowest_stack at 0x48) that would otherwise head the table
# and give every low address a symbol.
nm "$@" | awk '$1 >= "0000000000400000"'
