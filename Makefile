# falsify: build, test and run.   `make help` lists the targets.
#
# The harness is built for baseline x86-64 (or aarch64); each kernel plugin
# with its own ISA flags only, picked by the file-name suffix:
# kernels/gemv_f32_avx2.c -> FLAGS_avx2.  Never -march=native.

# Target architecture: the host's by default (a native aarch64 machine
# builds the aarch64 plugin set into build/).  `make ARCH=aarch64` on an
# x86-64 host cross-builds with aarch64-linux-gnu-gcc into build-aarch64/.
HOST_ARCH := $(shell uname -m)
ARCH      ?= $(HOST_ARCH)
ifeq ($(ARCH)-$(filter aarch64 arm64,$(HOST_ARCH)),aarch64-)
CROSS     := aarch64
CC        := aarch64-linux-gnu-gcc
BUILD     ?= build-aarch64
endif
CC      ?= cc
# `make test SANITIZE=address,undefined`: harness, unit tests, plugins and
# mutants built with those sanitizers into their own folder (build-san/),
# every UB report fatal.
SANITIZE ?=
ifneq ($(SANITIZE),)
BUILD   ?= build-san
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
BUILD   ?= build
CSTD     = -std=c11 -D_GNU_SOURCE
WARN     = -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation
OPT     ?= -O2 -g
GIT_COMMIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
VERSION    := 0.1.0
HARNESS_CFLAGS = $(CSTD) $(WARN) $(OPT) $(SAN_FLAGS) -DFK_GIT_COMMIT='"$(GIT_COMMIT)"' -DFK_VERSION='"$(VERSION)"'
HARNESS_LIBS   = $(SAN_FLAGS) -linih -ldl -lm -lpthread

# Per-ISA flags for plugins (suffix of the file name).
FLAGS_scalar     = -O2 -fno-tree-vectorize -ffp-contract=off
FLAGS_tiled4x4   = -O3
FLAGS_avx2       = -O3 -mavx2 -mfma -mf16c
FLAGS_avx512     = -O3 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mf16c
FLAGS_avx512vnni = $(FLAGS_avx512) -mavx512vnni
FLAGS_avxvnni    = -O3 -mavxvnni -mavx2 -mfma -mf16c
FLAGS_amx        = -O3 -mamx-tile -mamx-int8 -mavx512f -mavx512bw -mavx512vl
# kernels/*_amx.c are built a second time against the software tile model
# (kernels/amx_model.h): portable C, baseline flags, runs on any machine.
FLAGS_amx_model  = $(FLAGS_default) -DFK_AMX_MODEL
FLAGS_neon       = -O3
FLAGS_tiled4x4neon = -O3
FLAGS_neondot    = -O3 -march=armv8.2-a+dotprod
FLAGS_default    = -O2
PLUGIN_CFLAGS    = $(CSTD) $(WARN) -g -fPIC -shared -fvisibility=hidden -ffp-contract=off $(SAN_FLAGS)

isa_of    = $(lastword $(subst _, ,$(basename $(notdir $1))))
flags_of  = $(if $(filter undefined,$(origin FLAGS_$(call isa_of,$1))),$(FLAGS_default),$(FLAGS_$(call isa_of,$1)))
# y when the compiler accepts a flag set
can_build = $(shell $(CC) $1 -Werror -x c -c -o /dev/null /dev/null >/dev/null 2>&1 && echo y)

# Peer plugins (kernels/peer_<library>.c) wrap a library a user would pick
# instead; each is built only where that library is installed for the target
# architecture (the multiarch library file, e.g. /usr/lib/x86_64-linux-gnu/
# libopenblas.so; harness/deps.sh installs it) and linked against it.
MULTIARCH   := $(shell $(CC) -print-multiarch 2>/dev/null)
PEER_LIBDIR  = /usr/lib/$(MULTIARCH)
ISAS_peer    = openblas blis onednn
PEER_LIB_openblas = libopenblas.so
PEER_LIB_blis     = libblis.so
PEER_LIB_onednn   = libdnnl.so
PEER_PKG_openblas = libopenblas-dev
PEER_PKG_blis     = libblis-dev
PEER_PKG_onednn   = libdnnl-dev
LIBS_openblas = -L$(PEER_LIBDIR) -lopenblas
LIBS_blis     = -L$(PEER_LIBDIR) -lblis -lm
# oneDNN's Debian build uses the OpenMP runtime: the plugin pins it to one
# thread per call (the harness owns threading)
LIBS_onednn   = -L$(PEER_LIBDIR) -ldnnl -lgomp
peer_present = $(wildcard $(PEER_LIBDIR)/$(PEER_LIB_$(call isa_of,$1)))
is_peer      = $(filter $(ISAS_peer),$(call isa_of,$1))

KERNEL_SRCS := $(sort $(wildcard kernels/*.c))
MUTANT_SRCS := $(sort $(wildcard kernels/mutants/*.c))
# Plugins of the other architecture are not built at all (not even tried):
# x86 suffixes on aarch64, NEON suffixes on x86-64; the rest is portable.
ISAS_x86     = sse avx2 avx512 avx512vnni avxvnni amx
ISAS_aarch64 = neon neondot tiled4x4neon
OTHER_ISAS   = $(if $(filter aarch64 arm64,$(ARCH)),$(ISAS_x86),$(ISAS_aarch64))
ARCH_SRCS   := $(foreach s,$(KERNEL_SRCS) $(MUTANT_SRCS),$(if $(filter $(OTHER_ISAS),$(call isa_of,$s)),,$s))
PEER_SRCS   := $(foreach s,$(ARCH_SRCS),$(if $(call is_peer,$s),$s))
PEER_ABSENT := $(foreach s,$(PEER_SRCS),$(if $(call peer_present,$s),,$s))
BUILDABLE   := $(foreach s,$(filter-out $(PEER_ABSENT),$(ARCH_SRCS)),$(if $(call can_build,$(call flags_of,$s)),$s))
UNBUILDABLE := $(filter-out $(BUILDABLE) $(PEER_ABSENT),$(ARCH_SRCS))
PLUGINS     := $(patsubst kernels/%.c,$(BUILD)/kernels/%.so,$(filter $(KERNEL_SRCS),$(BUILDABLE)))
MUTANTS     := $(patsubst kernels/mutants/%.c,$(BUILD)/mutants/%.so,$(filter $(MUTANT_SRCS),$(BUILDABLE)))
PLUGINS     += $(patsubst kernels/%_amx.c,$(BUILD)/kernels/%_amx-model.so,$(filter %_amx.c,$(KERNEL_SRCS)))

LIB_SRCS := $(filter-out harness/main.c,$(wildcard harness/*.c))
# x86 machine-ceiling probes (ISA flags) exist only in the x86-64 build
LIB_SRCS := $(if $(filter aarch64 arm64,$(ARCH)),$(filter-out harness/probe_avx%.c,$(LIB_SRCS)),$(LIB_SRCS))
LIB_OBJS := $(patsubst harness/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
HDRS     := $(wildcard harness/*.h) kernels/kernel.h
TEST_SRCS := $(sort $(wildcard harness/tests/test_*.c))
TESTS     := $(patsubst harness/tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
FIXTURES  := $(patsubst harness/tests/fixtures/%.c,$(BUILD)/tests/fixtures/%.so,$(wildcard harness/tests/fixtures/*.c))

DEPS = harness/deps.sh

.PHONY: all build build-bins deps-build falsify test unit mutants plan-check list clean help test-bins test-aarch64 figures paper figures-test repro decode fuzz \
        install dist dist-test cli-test
.DEFAULT_GOAL := all

# The plugins are independent files: build them on every core (a clean
# clone's ~70 objects took over 45 s one at a time on 2 cores).  Only the
# build is parallel; test suites, oracle runs and timing stay sequential.
NPROC := $(shell nproc 2>/dev/null || echo 1)
all: deps-build
	@$(MAKE) --no-print-directory build
build:
	@$(MAKE) --no-print-directory -j$(NPROC) build-bins
build-bins: $(BUILD)/falsify $(PLUGINS) $(MUTANTS)
	@$(foreach s,$(UNBUILDABLE),echo "skip: $s: $(CC) cannot target '$(call flags_of,$s)'";)
	@$(foreach s,$(PEER_ABSENT),echo "skip: $s: peer library $(PEER_LIBDIR)/$(PEER_LIB_$(call isa_of,$s)) not installed (Debian $(PEER_PKG_$(call isa_of,$s))$(if $(CROSS),:arm64))";)

deps-build:
	@$(DEPS) build $(CROSS)

$(BUILD)/obj/%.o: harness/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) $(PROBE_FLAGS_$*) -c $< -o $@

# The commit the objects that print it were built from, rewritten only when
# it changes: --version and results' git_commit never name a stale commit.
$(BUILD)/git-commit: git-commit-stamp
	@mkdir -p $(@D); echo '$(GIT_COMMIT)' | cmp -s - $@ || echo '$(GIT_COMMIT)' > $@
$(patsubst %,$(BUILD)/obj/%.o,main report decode_run decode_hypo): $(BUILD)/git-commit
.PHONY: git-commit-stamp

# The machine-ceiling probes are the only harness files built with ISA
# flags; the harness calls them only after checking the CPU (harness/probe.h).
PROBE_FLAGS_probe_avx2   = -mavx2 -mfma
PROBE_FLAGS_probe_avx512 = -mavx512f -mavx512bw -mavx512vnni

$(BUILD)/falsify: $(BUILD)/obj/main.o $(LIB_OBJS)
	$(CC) $^ -o $@ $(HARNESS_LIBS)

$(BUILD)/kernels/%.so: kernels/%.c $(wildcard kernels/*.h)
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $(call flags_of,$<) -DFK_BUILD_FLAGS='"$(call flags_of,$<)"' $< -o $@ -lm $(LIBS_$(call isa_of,$<))

$(BUILD)/kernels/%_amx-model.so: kernels/%_amx.c $(wildcard kernels/*.h)
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $(FLAGS_amx_model) -DFK_BUILD_FLAGS='"$(FLAGS_amx_model)"' $< -o $@ -lm

$(BUILD)/mutants/%.so: kernels/mutants/%.c $(wildcard kernels/*.h)
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $(call flags_of,$<) -DFK_BUILD_FLAGS='"$(call flags_of,$<)"' $< -o $@ -lm $(LIBS_$(call isa_of,$<))

# deliberately malformed plugins the registry must refuse (test_registry)
$(BUILD)/tests/fixtures/%.so: harness/tests/fixtures/%.c kernels/kernel.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -O1 $< -o $@

$(BUILD)/tests/%: harness/tests/%.c $(LIB_OBJS) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) $< $(LIB_OBJS) -o $@ $(HARNESS_LIBS) -lcmocka

# The falsification run: correctness against the oracle, then every hypothesis.
# Exits non-zero iff a guard is FALSIFIED or a kernel is wrong or crashed.
# Then the model-level claims on the small presets ($(DECODE_SMALL); about
# 30 s on 2 cores; DECODE_SMALL= skips them; TinyLlama is `make decode`).
DECODE_SMALL ?= hypotheses/decode-small.ini
falsify:
	@$(DEPS) falsify
	@$(MAKE) --no-print-directory build
	@PY=$$($(DEPS) python) && echo "oracle interpreter: $$PY" && \
	  { FALSIFY_PYTHON=$$PY $(BUILD)/falsify check --strict $(HYPOTHESES); rc=$$?; \
	  $(if $(DECODE_SMALL),FALSIFY_PYTHON=$$PY $(BUILD)/falsify decode --hypotheses $(DECODE_SMALL) || { d=$$?; [ $$rc -ne 0 ] || rc=$$d; };) \
	  exit $$rc; }

# Reproducibility as a tested property: the hypothesis files H (default: all)
# run N times, each `falsify check` a fresh process with its own results
# folder under $(BUILD)/repro; a table per hypothesis (verdict counts, figure
# range, interval overlap) and the A/A check across invocations.  Fails if a
# hypothesis is SUPPORTED in one run and FALSIFIED in another, or A/A is biased.
# ARGS go to every `falsify check` (e.g. a CPU-feature mask).
N ?= 10
repro: build
	@PY=$$($(DEPS) python) && FALSIFY_PYTHON=$$PY $$PY harness/repro.py --falsify $(BUILD)/falsify --runs $(N) \
	  --out $(BUILD)/repro --check-args="$(ARGS)" $(H)

# Model level (not in `make falsify`: TinyLlama alone takes minutes): the
# forward pass built from the plugins on the presets in every weight
# configuration -> results/<machine>/decode*.csv, then the seeds'
# model-level claims and the decode guards (hypotheses/decode.ini).
DECODE_PRESETS ?= stories15M,stories110M,tinyllama
DECODE_WEIGHTS ?= f32,int4,w4a8,q8_0,q4_k
DECODE_THREADS ?= 1,2
decode:
	@$(MAKE) --no-print-directory deps-build build
	$(BUILD)/falsify decode --preset $(DECODE_PRESETS) --weights $(DECODE_WEIGHTS) --threads $(DECODE_THREADS)
	$(BUILD)/falsify decode --hypotheses hypotheses/decode.ini

# Unit tests (cmocka), then every mutant must be caught.
test:
	@$(DEPS) test
	@$(MAKE) --no-print-directory build $(TESTS) $(FIXTURES)
	@$(MAKE) --no-print-directory unit mutants plan-check cli-test

unit: $(TESTS) $(FIXTURES)
	@PY=$$($(DEPS) python) && export FALSIFY_PYTHON=$$PY && export FALSIFY_PLUGINS=$(BUILD)/kernels \
	  FALSIFY_MUTANTS=$(BUILD)/mutants FALSIFY_FIXTURES=$(BUILD)/tests/fixtures FALSIFY_BIN=$(BUILD)/falsify && fail=0 && \
	  for t in $(TESTS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

# Every mutant must be caught, with the fork sandbox and with the in-process
# one emulated runs use (the trap mutant proves both report a fault).
mutants: build
	@PY=$$($(DEPS) python) && FALSIFY_PYTHON=$$PY $(BUILD)/falsify mutants --quiet --mutants-dir $(BUILD)/mutants
	@echo "== mutants again, in-process sandbox (FALSIFY_NO_FORK=1)"
	@PY=$$($(DEPS) python) && FALSIFY_NO_FORK=1 FALSIFY_PYTHON=$$PY $(BUILD)/falsify mutants --quiet \
	  --mutants-dir $(BUILD)/mutants \
	  > $(BUILD)/mutants-in-process.txt; rc=$$?; tail -n 1 $(BUILD)/mutants-in-process.txt; exit $$rc

# The whole suite resolved and classified, nothing measured: fails if a
# verdict would be UNTESTABLE for naming (a kernel tied to an ISA a role
# would have found) rather than for the capability its claim needs.  Once
# as this CPU, once masked as each lesser ISA level it can stand in for.
PLAN_ISAS = $(if $(filter aarch64 arm64,$(ARCH)),,x86-64-v3)
plan-check: build
	@for isa in "" $(PLAN_ISAS); do \
	  echo "== falsify check --plan --strict$${isa:+ --isa $$isa}"; \
	  $(BUILD)/falsify check --plan --strict --quiet $${isa:+--isa $$isa} > $(BUILD)/plan$${isa:+-$$isa}.txt \
	    || { cat $(BUILD)/plan$${isa:+-$$isa}.txt; exit 1; }; \
	  grep "UNTESTABLE by cause" $(BUILD)/plan$${isa:+-$$isa}.txt; done

list: build
	@$(BUILD)/falsify list --mutants

# The harness, plugins, mutants, unit tests and fixtures of this $(ARCH) build.
test-bins: build $(TESTS) $(FIXTURES)

# Cross-built aarch64 correctness suite under qemu-user, from an x86-64 host:
# unit tests, oracle agreement, bit-exact quantization, mutants and
# `falsify check` (speed verdicts UNTESTABLE: emulated), once per CPU model:
# max (dotprod, i8mm, sve) and cortex-a53 (ARMv8.0: the dotprod plugin must
# be listed as skipped).  See harness/qemu_test.sh.
QEMU_CPUS ?= max cortex-a53
test-aarch64:
	@$(DEPS) aarch64
	@$(MAKE) --no-print-directory ARCH=aarch64 test-bins
	@harness/qemu_test.sh build-aarch64 $(QEMU_CPUS)

# Figures (gnuplot) and the paper (LaTeX) from results/<machine>/*.csv.
# paper/figures/<machine>/*.{pdf,png}; paper/build holds .dat files and LaTeX snippets.
RESULTS ?= results
figures:
	@$(DEPS) figures
	@sh paper/figures.sh $(RESULTS) paper/figures paper/build

paper: figures
	@$(DEPS) paper
	cd paper && SOURCE_DATE_EPOCH=$$(cat build/data/epoch) FORCE_SOURCE_DATE=1 \
	  latexmk -pdf -interaction=nonstopmode -halt-on-error paper.tex

# Figures from the checked-in sample set (three machines: two complete, one partial in
# the newer layout), each expected file checked, the partial machine's figures without
# data skipped, a second run byte-identical to the first; then `falsify compare` on all
# three and its bad-input exits.  gnuplot only.
FT_DIR  = $(BUILD)/figures-test
FT_FIGS = throughput speedup scaling roofline error verdicts
FT_MACH = amd-epyc-2c synthetic-example-4c
FT_PART = synthetic-partial-v3-2c
FT_RES  = paper/sample-results
FT_DECODE = synthetic-example-4c
figures-test: $(BUILD)/falsify
	@$(DEPS) figures
	@rm -rf $(FT_DIR) && sh paper/figures.sh $(FT_RES) $(FT_DIR)/figures $(FT_DIR)/work > $(FT_DIR).log
	@fail=0; for m in $(FT_MACH); do for f in $(FT_FIGS); do for t in pdf png; do \
	  p=$(FT_DIR)/figures/$$m/$$f.$$t; [ -s $$p ] || { echo "figures-test: missing or empty $$p"; fail=1; }; \
	  done; done; done; for f in matrix compare compare_speedup; do for t in pdf png; do \
	  p=$(FT_DIR)/figures/all/$$f.$$t; [ -s $$p ] || { echo "figures-test: missing or empty $$p"; fail=1; }; \
	  done; done; for f in speedup verdicts throughput error; do \
	  [ -s $(FT_DIR)/figures/$(FT_PART)/$$f.pdf ] || { echo "figures-test: $(FT_PART)/$$f.pdf missing"; fail=1; }; done; \
	  for f in scaling roofline; do [ ! -e $(FT_DIR)/figures/$(FT_PART)/$$f.pdf ] && \
	  grep -q "$(FT_PART): $$f not drawn" $(FT_DIR).log || { echo "figures-test: $(FT_PART)/$$f not skipped with a note"; fail=1; }; done; \
	  for t in macros.tex body.tex matrix.tex verdicts-0.tex verdicts-2.tex machine-0.tex decode.tex; do \
	  [ -s $(FT_DIR)/work/tex/$$t ] || { echo "figures-test: missing $$t"; fail=1; }; done; \
	  for f in decode_tps decode_ops; do [ -s $(FT_DIR)/figures/$(FT_DECODE)/$$f.pdf ] || \
	  { echo "figures-test: $(FT_DECODE)/$$f.pdf missing"; fail=1; }; [ ! -e $(FT_DIR)/figures/$(FT_PART)/$$f.pdf ] && \
	  grep -q "$(FT_PART): $$f not drawn" $(FT_DIR).log || { echo "figures-test: $(FT_PART)/$$f not skipped with a note"; fail=1; }; done; \
	  grep -q "decode-[0-9].tex" $(FT_DIR)/work/tex/decode.tex || { echo "figures-test: no model-level section"; fail=1; }; exit $$fail
	@sh paper/figures.sh $(FT_RES) $(FT_DIR)/again $(FT_DIR)/work2 > /dev/null
	@cd $(FT_DIR)/figures && find . -type f | sort | xargs md5sum > ../sums1
	@cd $(FT_DIR)/again && find . -type f | sort | xargs md5sum > ../sums2
	@cmp -s $(FT_DIR)/sums1 $(FT_DIR)/sums2 || { echo "figures-test: a second run is not byte-identical:"; \
	  diff $(FT_DIR)/sums1 $(FT_DIR)/sums2; exit 1; }
	@$(BUILD)/falsify compare $(addprefix $(FT_RES)/,$(FT_MACH) $(FT_PART)) > $(FT_DIR)/compare.txt
	@$(BUILD)/falsify compare $(FT_RES) | cmp -s - $(FT_DIR)/compare.txt || { echo "figures-test: compare of the folder differs"; exit 1; }
	@grep -q "^  M3  $(FT_PART)" $(FT_DIR)/compare.txt && grep -q "3 machines" $(FT_DIR)/compare.txt && \
	  grep -q "== verdicts: claim x machine" $(FT_DIR)/compare.txt && grep -q " M3/M1 .* weaker" $(FT_DIR)/compare.txt \
	  || { echo "figures-test: compare output lacks the 3-machine matrix or a ratio"; exit 1; }
	@$(BUILD)/falsify compare $(FT_RES)/amd-epyc-2c /nonexistent 2>/dev/null; \
	  [ $$? -eq 2 ] || { echo "figures-test: compare of a missing folder did not exit 2"; exit 1; }
	@mkdir -p $(FT_DIR)/bad && cp -r $(FT_RES)/$(FT_PART) $(FT_DIR)/bad/ && echo 'gemv.f32.x,"broken' >> $(FT_DIR)/bad/$(FT_PART)/kernels.csv
	@sh paper/figures.sh $(FT_DIR)/bad $(FT_DIR)/bad-fig $(FT_DIR)/bad-work 2> $(FT_DIR)/bad.err; [ $$? -eq 2 ] && \
	  grep -q "$(FT_PART)/kernels.csv:104: " $(FT_DIR)/bad.err || { echo "figures-test: a malformed CSV did not stop the figures with exit 2 naming file and line:"; cat $(FT_DIR)/bad.err; exit 1; }
	@echo "figures-test: OK ($(words $(FT_MACH) $(FT_PART)) machines, skipped figures noted, byte-identical rerun, compare)"

# libFuzzer targets (clang) for the readers of untrusted input: hypothesis
# files, .npy, machine.csv and the compare CSVs.  Each runs FUZZ_SECONDS
# from its seed corpus (harness/tests/fuzz/corpus/NAME/, copied: the
# checked-in seeds are never rewritten); a crash, leak or UB report fails.
FUZZ_SECONDS ?= 20
FUZZ_CC      ?= clang
FUZZ_BUILD    = build-fuzz
FUZZ_FLAGS    = -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_NAMES   := $(patsubst harness/tests/fuzz/fuzz_%.c,%,$(wildcard harness/tests/fuzz/fuzz_*.c))
FUZZ_WARN     = $(filter-out -Wno-format-truncation,$(WARN))
FUZZ_OBJS    := $(patsubst harness/%.c,$(FUZZ_BUILD)/obj/%.o,$(LIB_SRCS))
.SECONDARY: $(FUZZ_OBJS)
$(FUZZ_BUILD)/obj/%.o: harness/%.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CSTD) $(FUZZ_WARN) $(FUZZ_FLAGS) $(PROBE_FLAGS_$*) -fsanitize=fuzzer-no-link -DFK_GIT_COMMIT='"fuzz"' -c $< -o $@
$(FUZZ_BUILD)/fuzz_%: harness/tests/fuzz/fuzz_%.c $(FUZZ_OBJS) $(HDRS)
	$(FUZZ_CC) $(CSTD) $(FUZZ_WARN) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) -o $@ -linih -ldl -lm -lpthread
fuzz:
	@$(DEPS) fuzz
	@$(MAKE) --no-print-directory $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_NAMES))
	@fail=0; for n in $(FUZZ_NAMES); do \
	  rm -rf $(FUZZ_BUILD)/corpus/$$n && mkdir -p $(FUZZ_BUILD)/corpus/$$n $(FUZZ_BUILD)/crash/$$n && \
	  cp harness/tests/fuzz/corpus/$$n/* $(FUZZ_BUILD)/corpus/$$n/ && \
	  echo "== fuzz $$n ($(FUZZ_SECONDS) s)" && \
	  $(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 -close_fd_mask=3 \
	    -artifact_prefix=$(FUZZ_BUILD)/crash/$$n/ $(FUZZ_BUILD)/corpus/$$n > $(FUZZ_BUILD)/fuzz_$$n.log 2>&1 \
	    || { fail=1; echo "fuzz $$n: FAILED (see $(FUZZ_BUILD)/fuzz_$$n.log, inputs in $(FUZZ_BUILD)/crash/$$n/)"; \
	         tail -n 30 $(FUZZ_BUILD)/fuzz_$$n.log; }; \
	  grep -E "stat::number_of_executed_units" $(FUZZ_BUILD)/fuzz_$$n.log || true; \
	  done; exit $$fail

# Install: the harness finds everything relative to its own path
# (PREFIX/bin/falsify -> PREFIX/lib/falsify/{kernels,mutants},
# PREFIX/share/falsify/{oracle,hypotheses}), so it runs from any directory.
PREFIX  ?= /usr/local
DESTDIR ?=
INSTALL_BIN ?= $(BUILD)/falsify
install: build
	@$(DEPS) build $(CROSS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/falsify/kernels $(DESTDIR)$(PREFIX)/lib/falsify/mutants \
	  $(DESTDIR)$(PREFIX)/share/falsify/oracle $(DESTDIR)$(PREFIX)/share/falsify/hypotheses
	install -m 755 $(INSTALL_BIN) $(DESTDIR)$(PREFIX)/bin/falsify
	install -m 644 $(PLUGINS) $(DESTDIR)$(PREFIX)/lib/falsify/kernels/
	$(if $(MUTANTS),install -m 644 $(MUTANTS) $(DESTDIR)$(PREFIX)/lib/falsify/mutants/)
	install -m 644 oracle/*.py $(DESTDIR)$(PREFIX)/share/falsify/oracle/
	install -m 644 hypotheses/*.ini $(DESTDIR)$(PREFIX)/share/falsify/hypotheses/
	install -m 644 LICENSE README.md $(DESTDIR)$(PREFIX)/share/falsify/

# A relocatable bundle: the harness with libinih linked in statically (no
# -dev package needed where it runs; libc, libm, libdl, libpthread only),
# plugins, mutants, oracle and hypotheses, in the install layout.  Unpack
# anywhere on a machine of the same architecture and run bin/falsify; the
# oracle needs python3 with NumPy there.
DIST_NAME = falsify-$(VERSION)-$(ARCH)
DIST_DIR  = $(BUILD)/dist
$(BUILD)/falsify-static: $(BUILD)/obj/main.o $(LIB_OBJS)
	$(CC) $^ -o $@ -Wl,-Bstatic -linih -Wl,-Bdynamic -ldl -lm -lpthread

dist: build $(BUILD)/falsify-static
	@rm -rf $(DIST_DIR)/$(DIST_NAME) && mkdir -p $(DIST_DIR)
	@$(MAKE) --no-print-directory install PREFIX=$(abspath $(DIST_DIR)/$(DIST_NAME)) DESTDIR= \
	  INSTALL_BIN=$(BUILD)/falsify-static >/dev/null
	tar -C $(DIST_DIR) -czf $(BUILD)/$(DIST_NAME).tar.gz $(DIST_NAME)
	@echo "dist: $(BUILD)/$(DIST_NAME).tar.gz"

# The bundle unpacked in a temporary folder, run from elsewhere with an
# empty environment for paths: no libinih.so needed, plugins and
# hypotheses found beside the binary, list/help/version and one check.
dist-test: dist
	@sh harness/tests/dist_test.sh $(BUILD)/$(DIST_NAME).tar.gz $(DIST_NAME)

# The command line and the output formats end to end (JSON parsed back).
cli-test: build
	@sh harness/tests/cli_test.sh $(BUILD)

clean:
	rm -rf $(BUILD)

help:
	@echo "make            build build/falsify and one plugin per kernels/*.c (installs build deps)"
	@echo "make falsify    build, generate oracle vectors, judge hypotheses/*.ini -> results/<machine>/"
	@echo "make test       unit tests (cmocka) and the mutant check"
	@echo "make decode     falsify decode on stories15M, stories110M, TinyLlama (f32 int4 w4a8 q8_0 q4_k, 1-2 threads)"
	@echo "                and the model-level claims of hypotheses/decode.ini (tens of minutes on 2 cores)"
	@echo "make test SANITIZE=address,undefined   the same, everything sanitized, in build-san/"
	@echo "make fuzz       libFuzzer targets (clang) for the input readers, FUZZ_SECONDS each"
	@echo "make list       plugins: runnable or skipped, and the mutants"
	@echo "make repro N=10 H=hypotheses/x.ini  run H N times, each a fresh process: verdict counts, figure range, overlap"
	@echo "make ARCH=aarch64  cross-build the aarch64 harness and plugins into build-aarch64/"
	@echo "make test-aarch64  that build's correctness suite under qemu-aarch64 (CPU models: $(QEMU_CPUS))"
	@echo "make figures    gnuplot figures of results/<machine>/ -> paper/figures/<machine>/"
	@echo "make paper      paper/paper.pdf (LaTeX) with the figures and every verdict"
	@echo "make figures-test  figures from paper/sample-results/ (3 machines, one partial) checked, and falsify compare"
	@echo "make install PREFIX=DIR  binary, plugins, mutants, oracle and hypotheses (runs from any directory)"
	@echo "make dist       $(BUILD)/falsify-$(VERSION)-$(ARCH).tar.gz: a relocatable bundle (no compiler or -dev package needed)"
	@echo "make dist-test  unpack that bundle elsewhere and run it"
	@echo "make cli-test   the command line and every output format (JSON parsed back)"
	@echo "make clean      remove $(BUILD)/"
