# Omega testbed. `make check` and `make reproduce` are the two commands a new user needs; both run
# ./configure (and, where packages are missing, ./configure --install-deps) when config.mak is absent.
-include config.mak
SHELL := /bin/bash

SANITIZE ?= 0
V ?= 0
ifeq ($(V),0)
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
else
Q :=
say :=
endif

ifeq ($(SANITIZE),1)
BUILD := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD := build
SANFLAGS :=
endif

COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
OPT ?= -O2
CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
          -Werror=implicit-function-declaration -fno-strict-aliasing -pthread -I. -I$(BUILD) $(SANFLAGS) \
          $(CFLAGS_DEPS) $(SIMGRID_CFLAGS) $(CUDA_CFLAGS) $(EXTRA_CFLAGS) \
          -DOMEGA_SRCDIR='"$(CURDIR)"' -DOMEGA_PLUGIN_DIR='"$(PREFIX)/lib/omega"'
LDLIBS := $(LIBS_DEPS) -lm -ldl -pthread
# Bind every symbol at start-up (full RELRO); export the binary's symbols to the CUDA plugin.
LDFLAGS := $(SANFLAGS) -Wl,-z,now -Wl,-z,relro -rdynamic

# Every part's sources are found by folder, so a part adds files without touching this Makefile.
LIB_SRCS := $(filter-out core/main.c backends/cuda/cuda.c sim/simulate.c,$(wildcard core/*.c backends/*/*.c attest/*.c policy/*.c \
              workloads/*.c workloads/*/*.c sim/*.c bench/*.c))
CU_SRCS := $(if $(filter y,$(CONFIG_CUDA)),$(wildcard backends/cuda/*.cu workloads/llm/*.cu))
TEST_SRCS := $(wildcard tests/*.c)
AGENT_SRCS := $(wildcard workloads/agents/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
# All GPU code goes into a plugin the binary loads on first use (backends/cuda/plugin.h), so that
# the binary maps no CUDA library: agents cloned from a GPU-less process start in a millisecond.
PLUGIN := $(if $(filter y,$(CONFIG_CUDA)),$(BUILD)/libomega-cuda.so)
# SimGrid (and its ns-3 and Boost) likewise, in the simulator plugin.
SIM_PLUGIN := $(if $(filter y,$(CONFIG_SIMGRID)),$(BUILD)/libomega-sim.so)
PLUGIN_OBJS := $(CU_SRCS:%.cu=$(BUILD)/%.cu.o) $(if $(PLUGIN),$(BUILD)/pic/backends/cuda/cuda.o $(BUILD)/pic/backends/cuda/nvml.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/%.o)
DEPS := $(LIB_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(BUILD)/core/main.d $(PLUGIN_OBJS:.o=.d) $(BUILD)/pic/sim/simulate.d

NVCCFLAGS := -O3 -std=c++17 -gencode=arch=compute_90,code=sm_90 -gencode=arch=compute_90a,code=sm_90a \
             -Xcompiler -fPIC,-Wall -I. -I$(BUILD) --expt-relaxed-constexpr

.PHONY: all check check-long bench reproduce fuzz install clean distclean help
all: $(BUILD)/omega $(BUILD)/omega-tests $(PLUGIN) $(SIM_PLUGIN)

help:
	@echo "make [all]          build build/omega and build/omega-tests"
	@echo "make check          run the tests (make check SANITIZE=1: ASan + UBSan build)"
	@echo "make check-long     the long suites too (differential campaigns, crash loops)"
	@echo "make bench          every benchmark suite on the chosen backend (BACKEND=emu)"
	@echo "make reproduce      the paper's table and figures (results/paper/)"
	@echo "make fuzz           build and run the libFuzzer targets for FUZZ_SECONDS each"
	@echo "make install        install omega under PREFIX"

config.mak config.h: configure VERSION
	@if [ -f config.mak ] && [ config.mak -nt configure ]; then :; \
	elif ./configure $(CONFIGURE_FLAGS); then :; \
	else echo "configure found missing packages; installing them (./configure --install-deps)"; \
	     ./configure --install-deps $(CONFIGURE_FLAGS); fi

$(BUILD)/config.h: config.h
	@mkdir -p $(BUILD)
	$(Q)cp config.h $@

# The source commit the binary was built from: rewritten only when it changes, so that what
# includes it is rebuilt then and only then.
$(BUILD)/commit.h: FORCE
	@mkdir -p $(BUILD)
	@printf '#define OMEGA_BUILD_COMMIT "%s"\n' '$(COMMIT)' > $@.tmp; cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/bench/bench.o: $(BUILD)/commit.h
.PHONY: FORCE
FORCE:

$(BUILD)/%.o: %.c $(BUILD)/config.h config.mak
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.cu.o: %.cu $(BUILD)/config.h config.mak
	@mkdir -p $(dir $@)
	$(call say,NVCC,$<)$(NVCC) $(NVCCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/pic/%.o: %.c $(BUILD)/config.h config.mak
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

# -Bsymbolic: the plugin's calls among its own functions stay inside it (the binary has stand-ins of
# the same names that forward to it).
$(BUILD)/libomega-cuda.so: $(PLUGIN_OBJS)
	$(call say,LINK,$@)$(CC) -shared -Wl,-Bsymbolic -Wl,-z,now $(SANFLAGS) -o $@ $^ $(CUDA_LIBS)

$(BUILD)/libomega-sim.so: $(BUILD)/pic/sim/simulate.o
	$(call say,LINK,$@)$(CC) -shared -Wl,-Bsymbolic -Wl,-z,now $(SANFLAGS) -o $@ $^ $(SIMGRID_LIBS)

$(BUILD)/libomega.a: $(LIB_OBJS)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/omega: $(BUILD)/core/main.o $(BUILD)/libomega.a
	$(call say,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Tests link every object (not the archive) so that self-registering tests and code are all kept.
$(BUILD)/omega-tests: $(TEST_OBJS) $(LIB_OBJS)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Parts add their own rules in mk/<part>.mk; CHECK_DEPS lists what make check needs beyond the build
# (e.g. the Cedar oracle's npm install).
CHECK_DEPS :=
-include $(wildcard mk/*.mk)

check: all $(CHECK_DEPS)
	$(Q)$(BUILD)/omega-tests $(TESTFLAGS)

check-long: all $(CHECK_DEPS)
	$(Q)$(BUILD)/omega-tests --long $(TESTFLAGS)

BACKEND ?= emu
bench: $(BUILD)/omega $(PLUGIN) $(SIM_PLUGIN)
	$(Q)for s in $$($(BUILD)/omega bench --list | awk '{print $$1}' | grep -v -e paper -e null); do \
	    $(BUILD)/omega bench $$s --backend $(BACKEND) || exit 1; done

reproduce: $(BUILD)/omega $(PLUGIN) $(SIM_PLUGIN)
	$(Q)$(BUILD)/omega bench paper --backend $(or $(REPRO_BACKEND),auto) --run-id latest

# libFuzzer targets: the library is compiled once with clang's fuzzer instrumentation, and each
# tests/fuzz/fuzz_X.c is linked against it.
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -I. -I$(FUZZ_BUILD) $(FUZZ_SAN) -DOMEGA_SRCDIR='"$(CURDIR)"' \
               $(CFLAGS_DEPS) $(SIMGRID_CFLAGS) $(CUDA_CFLAGS)
FUZZ_OBJS := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
$(FUZZ_BUILD)/config.h: config.h $(BUILD)/commit.h
	@mkdir -p $(FUZZ_BUILD)
	$(Q)cp config.h $@ && cp $(BUILD)/commit.h $(FUZZ_BUILD)/commit.h
$(FUZZ_BUILD)/%.o: %.c $(FUZZ_BUILD)/config.h config.mak
	@mkdir -p $(dir $@)
	$(call say,CLANG,$<)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_BUILD)/libomega-fuzz.a: $(FUZZ_OBJS)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^
$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_BUILD)/libomega-fuzz.a
	$(call say,FUZZ,$@)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libomega-fuzz.a $(LDLIBS)
fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p $(FUZZ_BUILD)/corpus-$$n; \
	    seeds=tests/fuzz/corpus/$$n; [ -d $$seeds ] || seeds=; \
	    echo "fuzzing $$n for $(FUZZ_SECONDS) s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(FUZZ_BUILD)/corpus-$$n $$seeds 2>&1 | tail -n 3; \
	    st=$${PIPESTATUS[0]}; [ "$$st" = 0 ] || { echo "fuzz_$$n found a failure (exit $$st)"; exit 1; }; done

PREFIX ?= /usr/local
install: $(BUILD)/omega $(PLUGIN) $(SIM_PLUGIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/omega $(DESTDIR)$(PREFIX)/lib/omega
	install -m 755 $(BUILD)/omega $(DESTDIR)$(PREFIX)/bin/omega
	$(if $(PLUGIN),install -m 755 $(PLUGIN) $(DESTDIR)$(PREFIX)/lib/omega/libomega-cuda.so)
	$(if $(SIM_PLUGIN),install -m 755 $(SIM_PLUGIN) $(DESTDIR)$(PREFIX)/lib/omega/libomega-sim.so)
	cp -r roots $(DESTDIR)$(PREFIX)/share/omega/ 2>/dev/null || true

clean:
	rm -rf build build-san build-fuzz

distclean: clean
	rm -f config.mak config.h config.log

-include $(DEPS) $(FUZZ_OBJS:.o=.d)
