# mmkernel: build, boot and test a small x86-64 kernel's memory subsystem.
#
#   make            build the kernel and the bootable ISO (BIOS + UEFI)
#   make run        boot it in QEMU, serial console on this terminal
#   make test       every test configuration, then the summary line
#   make debug      boot halted with a GDB stub and attach GDB
#   make bench      benchmarks (see docs/bench.md)
#   make release-kernel  the DEBUG=0, link-time optimised kernel that make
#                   bench measures and make test also boots (build/bench)
#   make clean
#
# Variables: CC=clang, CROSS=x86_64-elf- (a cross toolchain prefix),
# CMDLINE="..." (kernel command line for run/debug), UEFI=1 (run/debug
# under OVMF), MEM=512M, SMP=1 (CPUs), BUILD=build, OPT=2 (-O level; any
# other, e.g. `make debug OPT=0` for stepping, builds in build/O$(OPT)).
# LTO=1/0: link-time optimisation (default: on for DEBUG=0 with gcc).
# LAYOUT_PAD=N: the kernel's text, data and bss moved by N bytes (with its
# own BUILD=...; scripts/bench-ab.sh --layouts uses it).

CROSS   ?=
ifeq ($(origin CC),default)
CC      := $(CROSS)gcc
endif
LD      := $(CROSS)ld
NM      := $(CROSS)nm
NASM    ?= nasm
PYTHON  ?= python3
QEMU    ?= qemu-system-x86_64
OPT     ?= 2
BUILD   ?= $(if $(filter 2,$(OPT)),build,build/O$(OPT))
DEBUG   ?= 1
MEM     ?= 512M
SMP     ?= 1
CMDLINE ?= ktest ktest.exit=0

OVMF_CODE ?= $(firstword $(wildcard /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd))
OVMF_VARS ?= $(firstword $(wildcard /usr/share/OVMF/OVMF_VARS_4M.fd /usr/share/OVMF/OVMF_VARS.fd))

CFLAGS  := -std=gnu11 -O$(OPT) -g -Iarch/x86_64/include -I. \
	   -ffreestanding -nostdlib -fno-builtin -fno-pic -fno-pie \
	   -mcmodel=kernel -mno-red-zone -mgeneral-regs-only -mno-sse -mno-mmx \
	   -fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	   -fno-strict-aliasing -Wall -Wextra -Werror -Wno-unused-parameter \
	   -MMD -MP -DKCONFIG_DEBUG=$(DEBUG)
LAYOUT_PAD ?= 0
LDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack -T linker.ld
ASFLAGS := -f elf64 -g -F dwarf -Werror

# Link-time optimisation (docs/bench.md, "Link-time optimisation"): gcc
# inlines across files at the link, which saves a call and a return per
# inlined function (each costs a block lookup under TCG). On by default for
# DEBUG=0 builds (make bench) with gcc; off for DEBUG=1 (tests, GDB) and for
# clang. LTO=0 or LTO=1 overrides. The objects are fat (machine code as well
# as GIMPLE): nm (scripts/check-arch-seam.sh) and a plain ld still read them.
CC_IS_CLANG := $(shell $(CC) --version 2>/dev/null | grep -q clang && echo 1)
LTO     ?= $(if $(CC_IS_CLANG),0,$(if $(filter 0,$(DEBUG)),1,0))
ifeq ($(LTO),1)
ifeq ($(CC_IS_CLANG),1)
$(error LTO=1 is for gcc only (clang builds without it; docs/bench.md))
endif
CFLAGS    += -flto -ffat-lto-objects
KERNEL_LD := $(CC) $(filter-out -MMD -MP,$(CFLAGS)) -flto=auto -static -no-pie \
	     -Wl,--build-id=none -Wl,--defsym=LAYOUT_PAD=$(LAYOUT_PAD) $(LDFLAGS)
else
KERNEL_LD := $(LD) --defsym=LAYOUT_PAD=$(LAYOUT_PAD) $(LDFLAGS)
endif

# Sources: every .c and .asm of each layer (add a file and it is built).
SRC_DIRS := boot arch/x86_64 kernel kernel/lib kernel/shell mm tests
C_SRCS   := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
ASM_SRCS := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.asm))
OBJS     := $(C_SRCS:%.c=$(BUILD)/%.o) $(ASM_SRCS:%.asm=$(BUILD)/%.asm.o)

# The saved inputs of the random model (fuzz corpus and regressions) as a C
# table, built into the kernel and the host tests (suite model_replay).
MODEL_INPUT_DIRS := tests/host/corpus tests/host/regressions
MODEL_INPUTS_C   := $(BUILD)/gen/mm_model_inputs.c
OBJS             += $(BUILD)/gen/mm_model_inputs.o

# The object list, rewritten only when it changes: adding or removing a
# source file relinks the kernel even when no object is newer than it.
# (Not for `make clean`, which must not create what it removes.)
OBJS_LIST := $(BUILD)/objs.list
ifeq ($(filter clean,$(MAKECMDGOALS)),)
$(shell mkdir -p $(BUILD) && echo '$(OBJS)' | cmp -s - $(OBJS_LIST) || echo '$(OBJS)' > $(OBJS_LIST))
endif

KERNEL   := $(BUILD)/kernel.elf
ISO      := $(BUILD)/kernel.iso

.PHONY: all kernel iso run debug test test-update-expected release-kernel both-kernels bench bench-linux-params stress clean deps ktap-compat \
	picture readme-example
all: iso
kernel: $(KERNEL)
iso: $(ISO)

$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(MODEL_INPUTS_C): $(MODEL_INPUT_DIRS) $(wildcard $(MODEL_INPUT_DIRS:=/*)) tests/host/make-corpus.py
	@mkdir -p $(dir $@)
	@$(PYTHON) tests/host/make-corpus.py --c-table $@ $(wildcard $(MODEL_INPUT_DIRS:=/*))
$(BUILD)/gen/mm_model_inputs.o: $(MODEL_INPUTS_C)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.asm.o: %.asm Makefile
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) $(ASFLAGS) -MD $(@:.o=.d) -MP $< -o $@

# Two links: the first without symbols gives the addresses for the table
# (scripts/gen-ksyms.sh); the table sits at the end of .rodata, so text
# does not move in the second link, which is checked. With LTO both links
# run gcc's link-time optimiser on the same objects, which gives the same
# code; the check would catch it if it did not.
$(BUILD)/ksyms0.asm: scripts/gen-ksyms.sh
	@mkdir -p $(BUILD)
	@sh scripts/gen-ksyms.sh $(NM) > $@
$(BUILD)/ksyms0.o: $(BUILD)/ksyms0.asm
	@$(NASM) -f elf64 $< -o $@
$(BUILD)/kernel.pass1.elf: $(OBJS) $(BUILD)/ksyms0.o linker.ld $(OBJS_LIST)
	@echo "  LD      $@"
	@$(KERNEL_LD) -o $@ $(OBJS) $(BUILD)/ksyms0.o
$(BUILD)/ksyms.asm: $(BUILD)/kernel.pass1.elf scripts/gen-ksyms.sh
	@sh scripts/gen-ksyms.sh $(NM) $< > $@
$(BUILD)/ksyms.o: $(BUILD)/ksyms.asm
	@$(NASM) -f elf64 $< -o $@
$(KERNEL): $(BUILD)/kernel.pass1.elf $(BUILD)/ksyms.o
	@echo "  LD      $@"
	@$(KERNEL_LD) -o $@ $(OBJS) $(BUILD)/ksyms.o
	@sh scripts/gen-ksyms.sh $(NM) $@ | cmp -s - $(BUILD)/ksyms.asm || \
		{ echo "error: text moved between the two links"; rm -f $@; exit 1; }
	@NM=$(NM) sh scripts/check-arch-seam.sh $(BUILD) || { rm -f $@; exit 1; }

# The ISO `make iso` leaves behind boots with $(CMDLINE); run, debug and
# test build their own per configuration (scripts/qemu.sh).
$(ISO): $(KERNEL) boot/grub.cfg scripts/mkiso.sh
	@echo "  ISO     $@"
	@sh scripts/mkiso.sh $(KERNEL) $@ "$(CMDLINE)"

deps:
	@sh scripts/install-deps.sh

# --- booting -------------------------------------------------------------

# scripts/qemu.sh boots a kernel with a firmware, memory size and command
# line; run, debug and test all go through it.
QEMU_OPTS = --mem $(MEM) --smp $(SMP) $(if $(filter 1,$(UEFI)),--uefi) --cmdline "$(CMDLINE)"
QEMU_SH = sh scripts/qemu.sh --kernel $(KERNEL) --build $(BUILD) $(QEMU_OPTS)

# Exits 0 with "PASSED" or 1 with "FAILED" when the kernel ends the run
# (a command line with `ktest` but without `ktest.exit=0`).
run: deps kernel
	@$(QEMU_SH) --name run --interactive --verdict

# QEMU waits for GDB on :1234 (serial in $(BUILD)/debug-serial.log); GDB
# loads the kernel's symbols and the mm-* commands (scripts/gdb/mm.py) and
# stops in kmain. Ctrl-C stops the guest, not QEMU (scripts/gdb/debug.sh).
debug: deps kernel
	@exec sh scripts/gdb/debug.sh --kernel $(KERNEL) --build $(BUILD) -- $(QEMU_OPTS)

# --- tests ---------------------------------------------------------------

# Both kernels: this build's (DEBUG=1, the debug checkers on) for every
# configuration, and the release build `make bench` measures (DEBUG=0, LTO)
# for the bios-release one, built side by side.
RELEASE_BUILD  := $(BUILD)/bench
RELEASE_KERNEL := $(RELEASE_BUILD)/kernel.elf
release-kernel:
	@$(MAKE) -s --no-print-directory BUILD=$(RELEASE_BUILD) DEBUG=0 kernel
both-kernels:
	@$(MAKE) -s --no-print-directory -j2 kernel release-kernel

test: deps both-kernels
	@sh scripts/run-tests.sh --build $(BUILD) --kernel $(KERNEL) --release-kernel $(RELEASE_KERNEL)

# Pictures of memory (docs/pictures/*.svg, scripts/mm-picture.py) and the
# sample outputs in the docs (the <!-- sample: --> blocks, scripts/gen-docs.py),
# all from one `mmdemo picture` boot with GDB attached (scripts/gdb/check.py).
DOC_SAMPLES := README.md docs/walkthrough.md docs/shell.md
picture: deps kernel
	@$(PYTHON) scripts/gdb/check.py --kernel $(KERNEL) --build $(BUILD) --log $(BUILD)/logs/mmdemo.log
	@$(PYTHON) scripts/mm-picture.py $(BUILD)/logs/mmdemo.log docs/pictures
	@$(PYTHON) scripts/gen-docs.py --log $(BUILD)/logs/mmdemo.log --gdb $(BUILD)/gdb-check.out \
		$(if $(wildcard $(BUILD)/logs/bios.log),--test-log $(BUILD)/logs/bios.log) \
		$(if $(wildcard $(BUILD)/logs/shell.log),--shell-log $(BUILD)/logs/shell.log) \
		$(DOC_SAMPLES)

# The README's test example, compiled as written with the kernel's flags
# (make test; RESULT=file.json writes the verdict for the summary).
readme-example:
	@$(PYTHON) scripts/check-readme-example.py --cc "$(CC) $(CFLAGS)" \
		--out $(BUILD)/readme-example/example.o $(if $(RESULT),--result $(RESULT)) README.md

# After adding, renaming or removing test cases: rewrites the lists of cases
# each configuration must report (tests/expected/<config>.txt) from the
# kernel's own `ktest.list`. Commit the result with the tests.
test-update-expected: deps both-kernels
	@sh scripts/run-tests.sh --build $(BUILD) --kernel $(KERNEL) --release-kernel $(RELEASE_KERNEL) \
		--update-expected

# The logs of the last `make test`, read by Linux's kunit.py and a TAP14 parser.
ktap-compat:
	@sh scripts/check-ktap-compat.sh $(BUILD)

# Benchmarks: a separate build with the debug checkers and poisoning off
# (DEBUG=0), booted under TCG with fixed conditions (docs/testing.md). The
# serial log, with one `# bench:` line per figure, is kept in
# $(BUILD)/logs/bench.log. BENCH_FILTER=pfa runs one group; BENCH_SMP (2)
# CPUs: the smp group measures shootdowns, test_vmalloc warms up, then runs
# 3 pairs of 1 then 2 workers (scaling_pairs=N for more) and prints their
# throughput ratios and the medians (BENCH_SMP=1: one CPU). 3 GiB of RAM:
# the order-9 batch scenario holds 2 GiB.
# BENCH_VMALLOC: Linux's test_vmalloc parameters for the vmalloc group
# (short by default; `make bench-linux-params` runs Linux's defaults);
# BENCH_ARGS: more command-line words (e.g. bench.clock_max_spread_ppm=5000).
# The run fails when the clock calibration is too inconsistent to trust.
BENCH_MEM     ?= 3G
BENCH_FILTER  ?=
BENCH_SMP     ?= 2
BENCH_VMALLOC ?= test_loop_count=2000 test_repeat_count=3 sequential_test_order=1
BENCH_ARGS    ?=
bench: deps
	@$(MAKE) -s --no-print-directory release-kernel
	@mkdir -p $(BUILD)/logs
	@sh scripts/qemu.sh --kernel $(RELEASE_KERNEL) --build $(RELEASE_BUILD) \
		--name bench --mem $(BENCH_MEM) --smp $(BENCH_SMP) \
		--cmdline "bench $(if $(BENCH_FILTER),bench.filter=$(BENCH_FILTER)) $(BENCH_VMALLOC) $(BENCH_ARGS)" \
		< /dev/null 2>&1 | tee $(BUILD)/logs/bench.log
	@! grep '^bench: clock refused' $(BUILD)/logs/bench.log || \
		{ echo "make bench: the clock calibration was too inconsistent: no figures"; exit 1; }
	@grep -q '^bench: done' $(BUILD)/logs/bench.log || \
		{ echo "make bench: the run did not complete"; exit 1; }

# Linux's test_vmalloc with the module's own defaults (1000000 loops, every
# scenario, shuffled order, one worker): the vmalloc group only, long.
bench-linux-params:
	@$(MAKE) --no-print-directory bench BENCH_VMALLOC= BENCH_FILTER=$(or $(BENCH_FILTER),vmalloc)

# Random stress (docs/reliability.md): 10 million operations against the reference
# model in one boot, then STRESS_ROUNDS rounds of the concurrent stress on
# STRESS_SMP CPUs (docs/smp.md); logs in $(BUILD)/logs/stress.log and
# stress-smp.log. Replay a failure with make stress STRESS_SEED=S STRESS_OPS=N.
STRESS_OPS    ?= 10000000
STRESS_SEED   ?=
STRESS_SMP    ?= 4
STRESS_ROUNDS ?= 200
stress: deps kernel
	@sh scripts/stress.sh --build $(BUILD) --kernel $(KERNEL) --ops $(STRESS_OPS) \
		--smp $(STRESS_SMP) --rounds $(STRESS_ROUNDS) \
		$(if $(STRESS_SEED),--seed $(STRESS_SEED)) $(if $(filter 1,$(UEFI)),--uefi)

# Removes $(BUILD) (build/ by default; BUILD=build/clang removes only that).
clean:
	@case "$(BUILD)" in ""|.|./|/|..|../) echo "make clean: refusing BUILD=$(BUILD)"; exit 1 ;; esac
	rm -rf $(BUILD)

-include $(OBJS:.o=.d)
include arch/host/host.mk
