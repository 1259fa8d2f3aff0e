# The host build of mm/ (docs/host.md), included by the top Makefile:
#
#   make host-test          mm/ unit tests on the host: under ASan+UBSan, then
#                           under Valgrind memcheck; results feed `make test`
#   make host-tsan          host threads as CPUs (suite host_threads) under
#                           ThreadSanitizer; also a stage of `make test`
#   make fuzz               the libFuzzer target for FUZZ_SECONDS (default 600)
#   make fuzz-smoke         the same for FUZZ_SMOKE_SECONDS (30), from the corpus
#   make host-bench         instructions per operation under callgrind
#   make host-deps          installs what the host build needs (scripts/install-host-deps.sh)
#
# mm/ and the kernel pieces it needs are compiled unchanged; the host's
# architecture directory is arch/host/include (the kernel's is
# arch/x86_64/include), so "asm/cpu.h", "asm/layout.h" and "asm/mmu.h" are
# the host's: the simulated CPU, the direct map where a process can have
# one, and the x86-64 entry encoding. Every host object is checked for
# privileged instructions after it is built.
#
# Variables: HOST_CC (gcc), FUZZ_CC (clang), FUZZ_SECONDS, FUZZ_SMOKE_SECONDS,
# HOST_MACHINE (bios-512m; also bios-128m, bios-6g, small), HOST_KTEST_FILTER
# (a ktest.filter for the host runs; empty: everything), VALGRIND.

HOST_CC            ?= gcc
FUZZ_CC            ?= clang
VALGRIND           ?= valgrind
FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 30
HOST_MACHINE       ?= bios-512m
HOST_DIR           := $(BUILD)/host
# The makefile that included this one, for the recursive calls below.
HOST_MAKE          := $(MAKE) -f $(firstword $(MAKEFILE_LIST))

# --- sources ----------------------------------------------------------------

# All of mm/ (a new file is built automatically), the kernel pieces it calls,
# the real arch/x86_64 MMU code, and the host machine.
HOST_LIB_SRCS := $(wildcard mm/*.c) \
	kernel/printk.c kernel/panic.c kernel/lock_order.c kernel/irq_off_wait.c kernel/cmdline.c kernel/fault.c kernel/ksyms.c kernel/bench.c \
	$(wildcard kernel/lib/*.c) \
	arch/x86_64/mmu.c arch/x86_64/traps.c \
	$(wildcard arch/host/*.c)
HOST_ASM_SRCS := arch/x86_64/setjmp.asm
# The kernel's harness and suites, all built for the host (HOST_KTEST_FILTER
# picks what runs), but the harness's own demo suites (a triple fault, lidt)
# and the benchmarks (make bench).
HOST_KERNEL_TESTS := $(filter-out tests/test_harness.c tests/bench_%.c,$(wildcard tests/*.c))
HOST_TEST_SRCS := $(HOST_KERNEL_TESTS) \
	$(filter-out tests/host/fuzz_libfuzzer.c,$(wildcard tests/host/*.c)) $(MODEL_INPUTS_C)
FUZZ_SRCS := tests/mm_model.c tests/mm_ops.c tests/ktest_rand.c tests/host/model_host.c \
	tests/host/fuzz_libfuzzer.c

# Kernel names that a C library also has: the kernel's own versions keep
# their code but get these names on the host (format.c gives %pS, which
# the C library does not have; the C library's string functions are
# checked by the sanitizers and Valgrind, the kernel's copies are not used).
HOST_RENAMES := -Dvsnprintf=kernel_vsnprintf -Dsnprintf=kernel_snprintf
HOST_STRING_RENAMES := $(foreach f,memset memcpy memmove memcmp strlen strnlen strcmp strncmp strchr,-D$(f)=kernel_$(f))

# KCONFIG_IRQ_OFF_WAIT=0: host threads are preempted by the host whatever
# their simulated interrupt flag, so the long-wait check means nothing here.
HOST_CFLAGS_COMMON := -std=gnu11 -g -Iarch/host/include -I. \
	-fno-strict-aliasing -fno-omit-frame-pointer -fPIC \
	-Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP $(HOST_RENAMES) \
	-DKCONFIG_IRQ_OFF_WAIT=0
HOST_LDFLAGS_COMMON := -no-pie -Wl,-z,noexecstack -Wl,-T,arch/host/host.ld

# One build per flavour, each in its own directory:
#   asan   ASan + UBSan, debug checks on        (host-test)
#   plain  no sanitizer, debug checks on        (host-test under Valgrind)
#   bench  -O2, debug checks and poisoning off  (host-bench, like make bench)
#   tsan   ThreadSanitizer, debug checks on, the regions moved where TSan
#          has shadow memory (arch/host/include/asm/layout.h)   (host-tsan)
#   fuzz   clang, libFuzzer + ASan + UBSan      (fuzz, fuzz-smoke)
HOST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
HOST_FLAVOUR_CFLAGS_asan  := -O1 $(HOST_SAN) -DKCONFIG_DEBUG=1
HOST_FLAVOUR_CFLAGS_plain := -O2 -DKCONFIG_DEBUG=1
HOST_FLAVOUR_CFLAGS_bench := -O2 -DKCONFIG_DEBUG=0
HOST_FLAVOUR_LDFLAGS_asan := $(HOST_SAN)
# -Wno-tsan: gcc warns that TSan does not model a lone fence; the one
# seqlock (mm/vmalloc_fault.c's history of frees) is read only by fault
# reports, which the threaded suite does not take. gcc at -O1 with TSan
# also sees a maybe-uninitialized that is not (vmalloc_fault.c's view).
HOST_FLAVOUR_CFLAGS_tsan  := -O1 -fsanitize=thread -DKCONFIG_DEBUG=1 -DHOST_TSAN_LAYOUT \
	-Wno-tsan -Wno-maybe-uninitialized
HOST_FLAVOUR_LDFLAGS_tsan := -fsanitize=thread
# clang's AddressSanitizer pads every global with a redzone, also the suite
# pointers KTEST_SUITE_REGISTER puts in .ktest_suites, which must stay an
# array (gcc leaves globals in named sections alone): no global checks in
# the files that register suites.
HOST_CC_IS_CLANG := $(shell $(HOST_CC) --version 2>/dev/null | grep -q clang && echo 1)
HOST_FLAVOUR_TESTS_CFLAGS_asan := $(if $(HOST_CC_IS_CLANG),-mllvm -asan-globals=0)

# --- rules, per flavour -----------------------------------------------------

# $(1) flavour, $(2) compiler
define HOST_FLAVOUR
$(HOST_DIR)/$(1)/%.o: %.c arch/host/host.mk
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$< ($(1))"
	@$(2) $$(HOST_CFLAGS_COMMON) $$(HOST_FLAVOUR_CFLAGS_$(1)) \
		$$(if $$(filter tests/%,$$<),$$(HOST_FLAVOUR_TESTS_CFLAGS_$(1))) \
		$$(if $$(filter kernel/lib/string.c,$$<),$$(HOST_STRING_RENAMES)) -c $$< -o $$@
	@sh arch/host/check-unprivileged.sh $$@

$(HOST_DIR)/$(1)/%.asm.o: %.asm
	@mkdir -p $$(dir $$@)
	@$(NASM) -f elf64 -g -F dwarf -Werror $$< -o $$@

HOST_OBJS_$(1) := $$(patsubst %.c,$(HOST_DIR)/$(1)/%.o,$$(HOST_LIB_SRCS) $$(HOST_TEST_SRCS)) \
	$$(patsubst %.asm,$(HOST_DIR)/$(1)/%.asm.o,$$(HOST_ASM_SRCS))
-include $$(HOST_OBJS_$(1):.o=.d)
# Rewritten only when the list changes: an added or removed file relinks.
ifeq ($$(filter clean,$$(MAKECMDGOALS)),)
$$(shell mkdir -p $(HOST_DIR)/$(1) && echo '$$(HOST_OBJS_$(1))' | \
	cmp -s - $(HOST_DIR)/$(1)/objs.list || echo '$$(HOST_OBJS_$(1))' > $(HOST_DIR)/$(1)/objs.list)
endif

# Two links, as for the kernel: the symbol table for %pS comes from the first.
$(HOST_DIR)/$(1)/ksyms0.o: scripts/gen-ksyms.sh
	@mkdir -p $$(dir $$@)
	@sh scripts/gen-ksyms.sh $(NM) > $$(@:.o=.asm)
	@$(NASM) -f elf64 $$(@:.o=.asm) -o $$@
$(HOST_DIR)/$(1)/mm-host-test.pass1: $$(HOST_OBJS_$(1)) $(HOST_DIR)/$(1)/ksyms0.o arch/host/host.ld \
		$(HOST_DIR)/$(1)/objs.list
	@echo "  HOSTLD  $$@"
	@$(2) $$(HOST_LDFLAGS_COMMON) $$(HOST_FLAVOUR_LDFLAGS_$(1)) -o $$@ $$(HOST_OBJS_$(1)) $(HOST_DIR)/$(1)/ksyms0.o
$(HOST_DIR)/$(1)/ksyms.o: $(HOST_DIR)/$(1)/mm-host-test.pass1
	@sh scripts/gen-ksyms.sh "sh arch/host/host-nm.sh" $$< > $$(@:.o=.asm)
	@$(NASM) -f elf64 $$(@:.o=.asm) -o $$@
$(HOST_DIR)/$(1)/mm-host-test: $(HOST_DIR)/$(1)/ksyms.o
	@echo "  HOSTLD  $$@"
	@$(2) $$(HOST_LDFLAGS_COMMON) $$(HOST_FLAVOUR_LDFLAGS_$(1)) -o $$@ $$(HOST_OBJS_$(1)) $$<
	@sh scripts/gen-ksyms.sh "sh arch/host/host-nm.sh" $$@ | cmp -s - $(HOST_DIR)/$(1)/ksyms.asm || \
		{ echo "error: host text moved between the two links"; rm -f $$@; exit 1; }
endef

$(eval $(call HOST_FLAVOUR,asan,$(HOST_CC)))
$(eval $(call HOST_FLAVOUR,plain,$(HOST_CC)))
$(eval $(call HOST_FLAVOUR,bench,$(HOST_CC)))
$(eval $(call HOST_FLAVOUR,tsan,$(HOST_CC)))

# The fuzzer: clang, every object instrumented for coverage, libFuzzer's
# main. One link: an empty symbol table is enough for its reports.
FUZZ_DIR    := $(HOST_DIR)/fuzz
# Code every input runs the same way (boot, the checkers, the harness,
# printing) gets no coverage instrumentation, and nothing gets libFuzzer's
# comparison tracing: the input has no magic values to guess (every byte
# is taken modulo its range), and tracing the comparisons of the
# poisoning and table-walking loops made each execution five times slower.
FUZZ_NO_COVERAGE := mm/init.c mm/memmap.c mm/bootmem.c mm/pfa_init.c mm/pfa_debug.c mm/kernel_map.c \
	mm/mm_check.c mm/ptdump.c kernel/% arch/% tests/ktest% tests/mm_state.c
FUZZ_COVERAGE = $(if $(filter $(FUZZ_NO_COVERAGE),$(filter-out kernel/lib/rbtree.c,$<)),,\
	-fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp)
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJS   := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(HOST_LIB_SRCS) tests/ktest.c tests/ktest_check.c \
	tests/ktest_report.c tests/ktest_filter.c tests/mm_state.c \
	$(FUZZ_SRCS)) $(patsubst %.asm,$(FUZZ_DIR)/%.asm.o,$(HOST_ASM_SRCS))
-include $(FUZZ_OBJS:.o=.d)

$(FUZZ_DIR)/%.o: %.c arch/host/host.mk
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(HOST_CFLAGS_COMMON) -O1 -DKCONFIG_DEBUG=1 $(FUZZ_COVERAGE) $(FUZZ_SAN) \
		$(if $(filter kernel/lib/string.c,$<),$(HOST_STRING_RENAMES)) -c $< -o $@
	@sh arch/host/check-unprivileged.sh $@
$(FUZZ_DIR)/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@$(NASM) -f elf64 -g -F dwarf -Werror $< -o $@
$(FUZZ_DIR)/ksyms0.o: scripts/gen-ksyms.sh
	@mkdir -p $(dir $@)
	@sh scripts/gen-ksyms.sh $(NM) > $(@:.o=.asm)
	@$(NASM) -f elf64 $(@:.o=.asm) -o $@
$(FUZZ_DIR)/mm-fuzz: $(FUZZ_OBJS) $(FUZZ_DIR)/ksyms0.o arch/host/host.ld
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(HOST_LDFLAGS_COMMON) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $(FUZZ_OBJS) \
		$(FUZZ_DIR)/ksyms0.o

# --- running ----------------------------------------------------------------

.PHONY: host-deps host-build host-test host-test-asan host-test-valgrind host-check \
	fuzz fuzz-smoke host-bench host-tsan host-test-tsan

host-deps:
	@sh scripts/install-host-deps.sh

host-build: $(HOST_DIR)/asan/mm-host-test $(HOST_DIR)/plain/mm-host-test

# Every suite runs (the kernel-only cases say so as skips); the fuzz
# inputs of the repository are replayed by the model_replay suite.
HOST_KTEST_FILTER ?=
HOST_RUN_ARGS = ktest host.machine=$(HOST_MACHINE) stress.ops=20000 \
	$(if $(HOST_KTEST_FILTER),ktest.filter=$(HOST_KTEST_FILTER))

# Each run is judged by scripts/ktest.py like a QEMU boot (the binary exits
# 33/35 as isa-debug-exit makes QEMU do; a sanitizer report, a Valgrind
# error or a signal is a crash) and leaves a result for the totals.
host-test-asan: $(HOST_DIR)/asan/mm-host-test
	@echo "== host-asan: mm/ on the host under AddressSanitizer + UndefinedBehaviorSanitizer"
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(PYTHON) scripts/ktest.py boot --name host-asan --timeout 120 \
		--log $(BUILD)/logs/host-asan.log --result $(BUILD)/results/host-asan.json \
		--junit $(BUILD)/junit/host-asan.xml \
		-- $< $(HOST_RUN_ARGS)

# Precise exceptions: the host's page-fault handler restarts the access
# (arch/host/pagefault.c), which Valgrind only allows with this option.
VALGRIND_ARGS := -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	--px-default=allregs-at-mem-access --suppressions=tests/host/valgrind.supp

host-test-valgrind: $(HOST_DIR)/plain/mm-host-test
	@echo "== host-valgrind: mm/ on the host under Valgrind memcheck"
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@$(PYTHON) scripts/ktest.py boot --name host-valgrind --timeout 300 \
		--log $(BUILD)/logs/host-valgrind.log --result $(BUILD)/results/host-valgrind.json \
		--junit $(BUILD)/junit/host-valgrind.xml \
		-- $(VALGRIND) $(VALGRIND_ARGS) $< $(HOST_RUN_ARGS) host.watchdog=off

# Host threads as CPUs under ThreadSanitizer: only the suite made for it
# (tests/host/test_host_threads.c); the others run one thread. A TSan
# report ends the run with status 66, which the runner calls a crash.
# setarch -R: TSan's fixed shadow layout and a randomized address space
# can collide.
HOST_TSAN_RUN = $(shell setarch -R true 2>/dev/null && echo setarch -R)
host-test-tsan: $(HOST_DIR)/tsan/mm-host-test
	@echo "== host-tsan: host threads as CPUs under ThreadSanitizer"
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1 \
		$(PYTHON) scripts/ktest.py boot --name host-tsan --timeout 300 \
		--log $(BUILD)/logs/host-tsan.log --result $(BUILD)/results/host-tsan.json \
		--junit $(BUILD)/junit/host-tsan.xml \
		-- $(HOST_TSAN_RUN) $< ktest host.machine=$(HOST_MACHINE) ktest.filter=host_threads

host-tsan: host-deps
	@$(HOST_MAKE) -s -j2 $(HOST_DIR)/tsan/mm-host-test
	@$(HOST_MAKE) -s host-test-tsan

host-test: host-deps
	@$(HOST_MAKE) -s -j2 host-build
	@$(HOST_MAKE) -s host-test-asan
	@$(HOST_MAKE) -s host-test-valgrind

# The fuzzer, from the seed corpus (tests/host/corpus) and what it found
# before ($(FUZZ_DIR)/corpus); crashes land in $(FUZZ_DIR)/crashes. The
# short run starts from the seeds alone each time.
fuzz: host-deps $(FUZZ_DIR)/mm-fuzz
	@echo "== host-fuzz: the mm fuzzer for $(FUZZ_SECONDS) s"
	@sh arch/host/run-fuzz.sh $(FUZZ_DIR)/mm-fuzz $(FUZZ_SECONDS) host-fuzz \
		$(BUILD)/logs/host-fuzz.log $(BUILD)/results/host-fuzz-long.json $(FUZZ_DIR)/corpus

fuzz-smoke: $(FUZZ_DIR)/mm-fuzz
	@rm -rf $(FUZZ_DIR)/smoke-corpus
	@sh arch/host/run-fuzz.sh $(FUZZ_DIR)/mm-fuzz $(FUZZ_SMOKE_SECONDS) host-fuzz \
		$(BUILD)/logs/host-fuzz-smoke.log $(BUILD)/results/host-fuzz.json $(FUZZ_DIR)/smoke-corpus

# What `make test` runs (scripts/run-tests.sh): the builds in parallel,
# the ASan run, the TSan run, then Valgrind and a short fuzz run side by
# side. Every stage runs even when one before it failed, and each leaves a
# result: host-asan, host-tsan, host-valgrind, host-fuzz, plus host-build
# if a build failed;
# a stage that could not run (its build failed) is a failed result saying
# so. Exits non-zero if anything failed.
HOST_STAGES := host-asan host-tsan host-valgrind host-fuzz
host-check:
	@mkdir -p $(BUILD)/results
	@rm -f $(foreach s,$(HOST_STAGES) host-build,$(BUILD)/results/$(s).json)
	@rc=0; \
	{ sh scripts/install-host-deps.sh && $(HOST_MAKE) -s -k -j2 host-build $(FUZZ_DIR)/mm-fuzz \
		$(HOST_DIR)/tsan/mm-host-test; } || { \
		rc=1; printf '{"name": "host-build", "passed": 0, "failed": 1, "skipped": 0, "ok": false, %s}\n' \
			'"problems": ["the host build failed (make host-deps host-build)"]' \
			> $(BUILD)/results/host-build.json; }; \
	$(HOST_MAKE) -s host-test-asan || rc=1; \
	$(HOST_MAKE) -s host-test-tsan || rc=1; \
	echo "== host-valgrind and host-fuzz ($(FUZZ_SMOKE_SECONDS) s) side by side"; \
	$(HOST_MAKE) -s -k -j2 host-test-valgrind fuzz-smoke || rc=1; \
	for s in $(HOST_STAGES); do \
		[ -f $(BUILD)/results/$$s.json ] && continue; rc=1; \
		echo "[$$s] did not run (its build failed, see above)"; \
		printf '{"name": "%s", "passed": 0, "failed": 1, "skipped": 0, "ok": false, %s}\n' \
			"$$s" '"problems": ["did not run: its build failed"]' > $(BUILD)/results/$$s.json; \
	done; \
	exit $$rc

# Instructions per operation under callgrind (tests/host/bench_host.c).
host-bench: host-deps $(HOST_DIR)/bench/mm-host-test
	@rm -rf $(HOST_DIR)/bench/callgrind && mkdir -p $(HOST_DIR)/bench/callgrind $(BUILD)/logs
	@echo "== host-bench: instructions per operation under callgrind (a few minutes)"
	@$(VALGRIND) --tool=callgrind --instr-atstart=no \
		--callgrind-out-file=$(HOST_DIR)/bench/callgrind/callgrind.out \
		$(HOST_DIR)/bench/mm-host-test bench host.machine=bios-512m host.watchdog=off \
		> $(BUILD)/logs/host-bench.log 2>&1; \
		[ $$? = 33 ] || { tail -n 20 $(BUILD)/logs/host-bench.log; exit 1; }
	@$(PYTHON) arch/host/callgrind-report.py $(HOST_DIR)/bench/callgrind/callgrind.out.* \
		| tee -a $(BUILD)/logs/host-bench.log
