# llmtap — builds build/libllmtap.so and the llmtap-show viewer; runs the
# tests, the demo, the benchmarks and the fuzzers; installs.
#
#   make            build/libllmtap.so build/llmtap-show
#   make test       every test (release, ASan+UBSan, TSan), one summary line
#   make demo       a traced run against a local replay server
#   make bench      figures (callgrind, CPU, RSS, exit time)
#   make fuzz       libFuzzer harnesses: a million inputs or FUZZ_SECONDS each (FUZZ_RUNS, FUZZ_JOBS)
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             full commands

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
ROOT      := $(abspath .)
PYTHON    ?= /usr/bin/python3
CC        := cc

V ?= 0
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2)
endif

WARN   := -Wall -Wextra -Werror -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
BASE   := -std=c11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -g -pthread $(WARN) \
          -ftls-model=initial-exec -DLLMTAP_VERSION='"$(VERSION)"' -DLLMTAP_ROOT='"$(ROOT)"'
# The hook files (hooks.c, dlhook.c) keep its tail jumps in every variant (DESIGN: "tail call
# depends on build flags"): always -O2 with sibling calls, never TSan.
HOOKOPT := -O2 -foptimize-sibling-calls -fno-stack-protector

# Variants: release (build/), asan (build/asan/: ASan+UBSan), tsan (build/tsan/).
OPT_release := -O2
OPT_asan    := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
OPT_tsan    := -O1 -fno-omit-frame-pointer -fsanitize=thread
HOOK_asan   := -fsanitize=address,undefined -fno-sanitize-recover=all
HOOK_tsan   :=
HOOK_release :=
# Every symbol resolved at link time (no hidden libcurl/cJSON dependency);
# the sanitizer runtimes come from the preloaded runtime instead.
LDDEFS_release := -Wl,-z,defs
DIR_release := build
DIR_asan    := build/asan
DIR_tsan    := build/tsan

LIB_SRC   := $(sort $(wildcard shim/*.c providers/*.c))
# The price table (providers/prices.json, from scripts/build-prices) and its
# index (build/prices.idx: rows, translated patterns, prefilters, made by the
# library's own code at build time) are embedded by providers/prices.S with
# .incbin: read-only, no relocations, nothing parsed until a cost is needed.
PRICES_JSON := providers/prices.json
PRICES_IDX  := build/prices.idx
PRICES_DEFS  = -DLT_PRICES_JSON='"$(ROOT)/$(PRICES_JSON)"' -DLT_PRICES_INDEX='"$(ROOT)/$(PRICES_IDX)"'
PRICES_TOOL_SRC := scripts/prices-index.c providers/pricing.c providers/jscan.c shim/buf.c shim/mem.c shim/log.c
LIB_NOHOOK := $(filter-out shim/hooks.c shim/dlhook.c,$(LIB_SRC))
HDRS      := $(wildcard shim/*.h providers/*.h tests/lib/*.h)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
TESTLIB   := $(sort $(wildcard tests/lib/*.c))
FUZZ_HDRS := $(wildcard tests/fuzz/*.h)

objs = $(patsubst %.c,$(DIR_$(1))/obj/%.o,$(LIB_SRC)) $(DIR_$(1))/obj/providers/prices.o
# Objects without the interposing hooks: unit tests link these directly.
core_objs = $(patsubst %.c,$(DIR_$(1))/obj/%.o,$(LIB_NOHOOK)) $(DIR_$(1))/obj/providers/prices.o
units = $(patsubst tests/unit/%.c,$(DIR_$(1))/tests/%,$(UNIT_SRC)) \
        $(patsubst tests/fuzz/fuzz_%.c,$(DIR_$(1))/tests/test_fuzz_%,$(FUZZ_SRC))

.PHONY: all deps test test-quick demo bench fuzz install clean check-exports
all: build/libllmtap.so build/llmtap-show

define variant
$(DIR_$(1))/obj/shim/hooks.o: shim/hooks.c $(HDRS) Makefile
	$$(call say,CC,$$@)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)$(CC) $(BASE) $(HOOKOPT) $(HOOK_$(1)) -c $$< -o $$@

$(DIR_$(1))/obj/shim/dlhook.o: shim/dlhook.c $(HDRS) Makefile
	$$(call say,CC,$$@)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)$(CC) $(BASE) $(HOOKOPT) $(HOOK_$(1)) -c $$< -o $$@

$(DIR_$(1))/obj/providers/prices.o: providers/prices.S $(PRICES_JSON) $(PRICES_IDX) Makefile
	$$(call say,AS,$$@)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)$(CC) -c $(PRICES_DEFS) $$< -o $$@

$(DIR_$(1))/obj/%.o: %.c $(HDRS) Makefile
	$$(call say,CC,$$@)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)$(CC) $(BASE) $(OPT_$(1)) -c $$< -o $$@

$(DIR_$(1))/libllmtap.so: $(call objs,$(1)) shim/llmtap.map
	$$(call say,LD,$$@)
	$(Q)$(CC) -shared $(OPT_$(1)) -o $$@ $(call objs,$(1)) \
	    -Wl,--version-script=shim/llmtap.map -Wl,-z,relro \
	    $(LDDEFS_$(1)) \
	    -Wl,-Bstatic -lbsd -Wl,-Bdynamic -pthread

$(DIR_$(1))/tests/%: tests/unit/%.c $(TESTLIB) $(call core_objs,$(1)) $(HDRS)
	$$(call say,CC,$$@)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)$(CC) $(BASE) $(OPT_$(1)) -o $$@ $$< $(TESTLIB) $(call core_objs,$(1)) \
	    -Wl,-Bstatic -lbsd -Wl,-Bdynamic -ldl -pthread

# Each fuzz target also runs in `make test`: a plain main replays its seeds.
$(DIR_$(1))/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDRS) $(TESTLIB) $(call core_objs,$(1)) $(HDRS)
	$$(call say,CC,$$@)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)$(CC) $(BASE) $(OPT_$(1)) -DFUZZ_NAME='"$$*"' -o $$@ $$< tests/fuzz/replay.c $(TESTLIB) \
	    $(call core_objs,$(1)) -Wl,-Bstatic -lbsd -Wl,-Bdynamic -ldl -pthread
endef
comma := ,
$(eval $(call variant,release))
$(eval $(call variant,asan))
$(eval $(call variant,tsan))

build/prices-index: $(PRICES_TOOL_SRC) $(HDRS) Makefile
	$(call say,CC,$@)
	$(Q)mkdir -p build
	$(Q)$(CC) $(BASE) -O2 -o $@ $(PRICES_TOOL_SRC) -pthread

$(PRICES_IDX): build/prices-index $(PRICES_JSON)
	$(call say,INDEX,$@)
	$(Q)build/prices-index $(PRICES_JSON) $@

build/llmtap-show: scripts/show.c
	$(call say,CC,$@)
	$(Q)mkdir -p build
	$(Q)$(CC) $(BASE) -O2 -fvisibility=default -o $@ scripts/show.c -lcjson

build/units-release: $(call units,release)
build/units-asan: $(call units,asan)
build/units-tsan: $(call units,tsan)

deps:
	$(Q)sh scripts/install-deps.sh

# One summary line for the whole suite: tests/run aggregates every binary
# and script and prints "N passed, N failed".
test: deps
	$(Q)$(MAKE) --no-print-directory all build/asan/libllmtap.so build/tsan/libllmtap.so \
	    $(call units,release) $(call units,asan) $(call units,tsan)
	$(Q)$(PYTHON) tests/run

demo: deps all
	$(Q)$(PYTHON) tests/integration/demo.py

bench: deps all build/bench/bench_parse
	$(Q)$(PYTHON) tests/bench/run

# Parse cost per wire format on the recorded fixtures (tests/bench/run runs it).
build/bench/bench_parse: tests/bench/bench_parse.c $(TESTLIB) $(call core_objs,release) $(HDRS)
	$(call say,CC,$@)
	$(Q)mkdir -p build/bench
	$(Q)$(CC) $(BASE) -O2 -o $@ $< $(TESTLIB) $(call core_objs,release) -Wl,-Bstatic -lbsd -Wl,-Bdynamic -ldl -pthread

# libFuzzer builds (clang): every core source, the test library, one target.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all -DLLMTAP_VERSION='"$(VERSION)"' -DLLMTAP_ROOT='"$(ROOT)"'
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDRS) $(TESTLIB) $(LIB_NOHOOK) $(HDRS) providers/prices.S $(PRICES_JSON) $(PRICES_IDX)
	$(call say,CLANG,$@)
	$(Q)mkdir -p build/fuzz
	$(Q)clang $(FUZZ_CFLAGS) $(PRICES_DEFS) -DFUZZ_NAME='"$*"' -o $@ $< $(TESTLIB) $(LIB_NOHOOK) \
	    providers/prices.S -lbsd -ldl -pthread

# FUZZ_RUNS inputs (default 1,000,000) or FUZZ_SECONDS (default 900) per target; corpus seeded from the fixtures.
fuzz: deps $(patsubst tests/fuzz/fuzz_%.c,build/fuzz/fuzz_%,$(FUZZ_SRC))
	$(Q)$(PYTHON) tests/fuzz/run

check-exports: build/libllmtap.so
	$(Q)nm -D --defined-only build/libllmtap.so

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/llmtap $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/doc/llmtap \
	    $(DESTDIR)$(PREFIX)/libexec/llmtap
	install -m 0755 build/libllmtap.so $(DESTDIR)$(PREFIX)/lib/llmtap/libllmtap.so
	install -m 0755 build/llmtap-show $(DESTDIR)$(PREFIX)/libexec/llmtap/llmtap-show
	sed -e 's|@LIBDIR@|$(PREFIX)/lib/llmtap|' -e 's|@LIBEXECDIR@|$(PREFIX)/libexec/llmtap|' \
	    scripts/llmtap > $(DESTDIR)$(PREFIX)/bin/llmtap
	chmod 0755 $(DESTDIR)$(PREFIX)/bin/llmtap
	install -m 0644 shim/llmtap.h $(DESTDIR)$(PREFIX)/include/llmtap.h
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/llmtap/README.md

clean:
	rm -rf build
