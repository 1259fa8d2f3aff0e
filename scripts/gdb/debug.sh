#!/bin/sh
# `make debug`: boots the kernel halted with a GDB stub and attaches GDB
# with the kernel's symbols and the mm-* commands (scripts/gdb/mm.py),
# stopped at kmain. QEMU is ended when GDB exits.
#
#   debug.sh --kernel ELF --build DIR [--port N] [--batch FILE] [-- qemu.sh options]
#
# Ctrl-C in GDB stops the guest, not QEMU: QEMU runs in a session of its
# own (setsid), so the terminal's SIGINT reaches only GDB (which turns it
# into a stop request to the stub) and this script, which ignores it and
# waits for GDB. The serial console goes to DIR/debug-serial.log, QEMU's
# pid to DIR/debug-qemu.pid.
# --batch FILE runs GDB's commands from FILE instead of the prompt (the
# test in scripts/gdb/check.py); the target is already connected then.
set -eu

kernel= build=build port=1234 batch=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--port) port=$2; shift 2 ;;
	--batch) batch=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "debug.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$kernel" ] || { echo "debug.sh: --kernel is required" >&2; exit 2; }
serial=$build/debug-serial.log

setsid sh scripts/qemu.sh --kernel "$kernel" --build "$build" --name debug "$@" \
	-- -S -gdb "tcp:127.0.0.1:$port" > "$serial" 2>&1 < /dev/null &
qemu=$!
echo "$qemu" > "$build/debug-qemu.pid"
# A handler (not SIG_IGN, which GDB would inherit): Ctrl-C leaves this
# script waiting for GDB.
trap 'true' INT

# GDB retries the connection until QEMU listens (up to 15 s).
set -- -q -nx -ex "set pagination off" -ex "source scripts/gdb/mm.py" \
	-ex "set tcp connect-timeout 15" -ex "target remote 127.0.0.1:$port"
if [ -n "$batch" ]; then
	gdb "$@" -batch -x "$batch" "$kernel" || status=$?
else
	echo "debug.sh: serial console in $serial; mm-* commands: "help user-defined"" >&2
	gdb "$@" -ex "hbreak kmain" -ex "continue" "$kernel" || status=$?
fi
kill "$qemu" 2>/dev/null || true
wait "$qemu" 2>/dev/null || true
exit "${status:-0}"
