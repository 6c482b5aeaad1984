# runt: a container runtime from scratch, one stage at a time.
# `make help` lists the targets. Most need root: sudo make <target>.

SHELL   := /bin/bash
STAGES  := $(sort $(wildcard [0-9][0-9]-*))
LAST    := $(lastword $(STAGES))
BINS    := $(STAGES:%=%/runt)
# final/ is one program in several files (runt.h declares what they share).
FINAL_SRCS := $(wildcard final/*.c)
FINAL_HDRS := $(wildcard final/*.h)

CC      ?= cc
CFLAGS  := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow -Wconversion
# What each stage links: capabilities arrive in 06, seccomp in 07.
LDLIBS_06-capabilities := -lcap
LDLIBS_07-seccomp      := -lcap -lseccomp
LDLIBS_final           := -lcap -lseccomp -ljson-c

# Small programs that run inside containers; static, so they run in the busybox image.
TESTPROGS := $(patsubst tests/%.c,tests/bin/%,$(wildcard tests/*.c))
# make bench's floor: clone with five namespaces, chroot, exec, wait (static, like the above).
FLOOR     := scripts/bench-floor
# final's default seccomp filter, compiled at build time (see final/runt below).
SECCOMP_BPF := scripts/seccomp-bpf
FINAL_BPF   := final/default-filter.inc
# Every C file that format and lint check.
CSOURCES   = $(wildcard */runt.c) $(wildcard tests/*.c) $(wildcard scripts/*.c)

# Stage N's folder: $(call stage_dir,3) -> 03-pivot-root
stage_dir = $(firstword $(filter $(shell printf %02d $(1))-%,$(STAGES)))

# `make run` uses final/ unless STAGE=N is given, and a shell unless CMD=... is.
STAGE   ?= final
RUN_DIR := $(if $(filter final,$(STAGE)),final,$(call stage_dir,$(STAGE)))
# Every suite run: the stages by number, then final/ (which runs all of them and its own).
TEST_STAGES := $(patsubst 0%,%,$(foreach s,$(STAGES),$(firstword $(subst -, ,$(s))))) $(if $(FINAL_SRCS),final)
CMD     ?= /bin/sh
IMAGE   := images/busybox

.PHONY: all help setup image test test-v1 test-v2 fresh-machine-test run bench cleanup clean format lint
.DEFAULT_GOAL := all

all: $(BINS) $(if $(FINAL_SRCS),final/runt) $(TESTPROGS)

help:
	@echo "make                 build every stage and the test programs"
	@echo "sudo make run        a shell in a final/ container (STAGE=N picks a stage, CMD='...' a command)"
	@echo "sudo make test       install what is missing, build, run every suite (v1 here, v2 in a VM)"
	@echo "sudo make stage-N    build stage N and run suites 1..N against it (stage-final: all, and final's)"
	@echo "sudo make test-N     run stage N's own suite against it"
	@echo "sudo make test-v2    run every stage's suites in a cgroup v2 VM (qemu)"
	@echo "sudo make fresh-machine-test   make test and make run in a bare Debian 12 (debootstrap)"
	@echo "make diff-N          the lesson of stage N: diff -u of runt.c against stage N-1"
	@echo "make exercise-N      work/NN-name/runt.c: stage N with its lesson's functions to write (FORCE=1 starts over)"
	@echo "                     (exercise-final: work/final/, final/ with four of its functions to write)"
	@echo "sudo make check-N    build your work/NN-name/runt.c, run suites 1..N on it: which claims hold (FILTER=regex)"
	@echo "make solution-N      diff -u of your work/NN-name/runt.c against the reference"
	@echo "make image           build the busybox root filesystem in images/busybox"
	@echo "sudo make bench      what each stage costs, and runt against crun, runc and a C floor"
	@echo "                     (RUNS=N runs per command, ROUNDS=R interleaved rounds, QUICK=1"
	@echo "                     the start-to-exit table only, PROFILE=1 where its time goes)"
	@echo "sudo make cleanup    remove runt's leftovers (containers, cgroups, mounts, state) after a broken exercise"
	@echo "make format | lint | clean"

$(BINS): %/runt: %/runt.c
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS_$*)

# final/runt stays beside its container for the container's whole life. Where the static
# libraries are installed (Debian's -dev packages ship them), it is linked static, as a PIE
# so that it keeps ASLR: no dynamic loader at each start, and ~1.2 MiB resident instead of
# ~2.1 (docs/performance.md). Elsewhere (Fedora and EL have no libseccomp.a) it is linked
# dynamically; STATIC=0 asks for that here too.
# (-print-file-name answers with a path only for a library it found.)
FINAL_STATIC := $(if $(filter 0,$(STATIC)),,$(shell for l in libc.a libcap.a libseccomp.a libjson-c.a; do \
	[ "$$(dirname "$$($(CC) -print-file-name=$$l)")" != . ] || exit 0; done; echo -static-pie))

final/runt: $(FINAL_SRCS) $(FINAL_HDRS) $(FINAL_BPF)
	$(CC) $(CFLAGS) -DRUNT_PRECOMPILED_FILTER $(FINAL_STATIC) -o $@ $(FINAL_SRCS) $(LDLIBS_final)

# runt run's default seccomp filter, compiled once by libseccomp here rather than at every
# start (about 2 ms of CPU each): scripts/seccomp-bpf prints its BPF programs as C, which
# final/seccomp_load.c includes. Other profiles and capability sets are compiled at run time.
SECCOMP_SRCS := final/seccomp.c final/seccomp_load.c final/error.c
$(SECCOMP_BPF): $(SECCOMP_BPF).c $(SECCOMP_SRCS) final/config.c final/seccomp.h final/runt.h
	$(CC) $(CFLAGS) -o $@ $< $(SECCOMP_SRCS) final/config.c -lseccomp -lcap

$(FINAL_BPF): $(SECCOMP_BPF)
	$(SECCOMP_BPF) >$@.tmp && mv $@.tmp $@

tests/bin/%: tests/%.c
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) -static -o $@ $<

$(FLOOR): $(FLOOR).c
	$(CC) $(CFLAGS) -static -o $@ $<

# Two host-side helpers of final/seccomp.bats link libseccomp, so they are not static:
# seccomp-run loads final's filter and execs a command, seccomp-dump reads a process's filters.
tests/bin/seccomp-run: tests/seccomp-run.c $(SECCOMP_SRCS) final/seccomp.h final/runt.h
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) -o $@ tests/seccomp-run.c $(SECCOMP_SRCS) -lseccomp -lcap

tests/bin/seccomp-dump: tests/seccomp-dump.c
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) -o $@ $< -lseccomp

setup:
	@bash scripts/setup.sh

image: $(IMAGE)/bin/busybox
$(IMAGE)/bin/busybox:
	@bash scripts/download_image.sh busybox

stage-final: image $(TESTPROGS)
	@$(MAKE) --no-print-directory final/runt
	@bash scripts/run-tests.sh final

stage-%: image $(TESTPROGS)
	@$(MAKE) --no-print-directory $(call stage_dir,$*)/runt
	@bash scripts/run-tests.sh $*

test-%: image $(TESTPROGS)
	@$(MAKE) --no-print-directory $(call stage_dir,$*)/runt
	@bash scripts/run-tests.sh --only $*

# Every stage against its own and all earlier suites, here (v1 on this kind of
# machine) and, when qemu is installed, in a cgroup v2 VM.
test: setup
	@$(MAKE) -s --no-print-directory all image
	@bash scripts/test-all.sh $(TEST_STAGES)

test-v1: all image
	@bash scripts/run-tests.sh $(TEST_STAGES)

test-v2: all image
	@bash scripts/vm-test.sh $(TEST_STAGES)

# The README's two commands on a Debian 12 that has nothing installed (slow; CI runs it).
fresh-machine-test:
	@bash scripts/fresh-machine-test.sh

# final/ gets -t when stdin is a terminal: a shell with job control, `tty` that works.
run: setup
	@$(MAKE) -s --no-print-directory $(RUN_DIR)/runt image
	@if [ "$(STAGE)" = final ]; then tty=; [ -t 0 ] && tty=-t; exec ./final/runt run $$tty $(IMAGE) $(CMD); fi; \
	 if [ "$(STAGE)" -ge 3 ]; then rootfs=$(IMAGE); else rootfs=; fi; \
	 if [ "$(STAGE)" = 3 ]; then echo "note: stage 03 writes straight into $(IMAGE)" >&2; fi; \
	 exec ./$(RUN_DIR)/runt run $$rootfs $(CMD)

diff-%:
	@prev=$(call stage_dir,$(shell echo $$(($* - 1)))); this=$(call stage_dir,$*); \
	 [ -n "$$prev" ] && [ -n "$$this" ] || { echo "no stage $* or $$(($* - 1))" >&2; exit 2; }; \
	 diff -u $$prev/runt.c $$this/runt.c || true

format:
	clang-format -i $(CSOURCES) $(FINAL_SRCS) $(FINAL_HDRS)

lint:
	clang-format --dry-run -Werror $(CSOURCES) $(FINAL_SRCS) $(FINAL_HDRS)
	@for f in $(CSOURCES) $(FINAL_SRCS); do \
	   echo "clang-tidy $$f"; \
	   clang-tidy --quiet --warnings-as-errors='*' \
	     --checks='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,misc-redundant-expression' \
	     $$f -- $(CFLAGS) || exit 1; \
	 done
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	  --suppress=missingIncludeSystem --inline-suppr -D_GNU_SOURCE $(CSOURCES) $(FINAL_SRCS)
	shellcheck -x scripts/*.sh tests/*.sh tests/helpers.bash .ci/run

# The exercises (scripts/exercise.sh): the learner's copy of stage N, in work/NN-name/
# (git-ignored; WORK=DIR puts it elsewhere), with the bodies of the lesson's functions to
# write. WORK, FORCE and FILTER reach the script from make's command line or environment.
exercise-%:
	@bash scripts/exercise.sh blank $*

check-%: image $(TESTPROGS)
	@CC='$(CC)' CFLAGS='$(CFLAGS)' LDLIBS='$(LDLIBS_$(if $(filter final,$*),final,$(call stage_dir,$*)))' \
	 bash scripts/exercise.sh check $*

solution-%:
	@bash scripts/exercise.sh solution $*

# Benchmarks, not tests: make test never runs this. It needs hyperfine, crun, runc,
# gnuplot and jq (scripts/setup.sh --bench) and rewrites docs/performance.png.
RUNS    ?=
ROUNDS  ?=
QUICK   ?=
PROFILE ?=
bench:
	@bash scripts/setup.sh --bench
	@$(MAKE) -s --no-print-directory all image $(FLOOR)
	@bash scripts/bench.sh $(if $(RUNS),--runs $(RUNS)) $(if $(ROUNDS),--rounds $(ROUNDS)) \
	  $(if $(QUICK),--quick) $(if $(PROFILE),--profile)

# After a broken exercise: runt's own processes, cgroups, mounts and state, nothing else.
cleanup:
	@bash scripts/cleanup.sh

clean:
	rm -f $(BINS) final/runt $(wildcard */runt)
	rm -rf tests/bin
	rm -f $(FLOOR) $(SECCOMP_BPF) $(FINAL_BPF)
