# Fuzzing (libFuzzer, clang): `make fuzz-build`, `make fuzz [FUZZ_SECONDS=30]`.
# The decoders of the bus (event) and of the control framing run on random
# input under ASan + UBSan; any crash, leak, UB or broken round trip fails.
# Only the libheal sources the decoders need are compiled (by clang, with
# coverage instrumentation) into $(BUILD_FUZZ), so another engineer's work in
# progress elsewhere in bus/ never blocks a fuzz run.

BUILD_FUZZ   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
# The codec (every bus/wire*.c and bus/event*.c) and what it calls.
FUZZ_LIB_SRC := $(sort $(wildcard bus/wire*.c bus/event*.c)) bus/control.c bus/parse.c bus/utf8.c
FUZZ_TARGETS := fuzz_event fuzz_control
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(CSTD) -O1 -g $(WARN) -Werror $(FUZZ_SAN) -Iinclude $(PKG_CFLAGS)
FUZZ_OBJ     := $(patsubst %.c,$(BUILD_FUZZ)/fobj/%.o,$(FUZZ_LIB_SRC))
FUZZ_BINS    := $(addprefix $(BUILD_FUZZ)/,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build
.SECONDARY: $(FUZZ_OBJ)
-include $(FUZZ_OBJ:.o=.d)

fuzz-build: $(FUZZ_BINS)

$(BUILD_FUZZ)/fobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD_FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lpthread -lm

# Each target runs FUZZ_SECONDS; new corpus entries go to $(BUILD_FUZZ)/corpus,
# seeds come from the golden fixtures and tests/fuzz/regress (every input a
# fuzzer once crashed on, replayed on each run). Exit status is non-zero on any crash.
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(BUILD_FUZZ)/corpus/$$t || exit 1; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(BUILD_FUZZ)/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
	        -rss_limit_mb=2048 -print_final_stats=1 \
	        -artifact_prefix=$(BUILD_FUZZ)/$$t- \
	        $(BUILD_FUZZ)/corpus/$$t schemas/fixtures tests/fuzz/regress \
	        > $(BUILD_FUZZ)/$$t.log 2>&1 \
	        || { tail -60 $(BUILD_FUZZ)/$$t.log; echo "fuzz: $$t FAILED"; exit 1; }; \
	    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" $(BUILD_FUZZ)/$$t.log \
	        | sed "s/^/fuzz: $$t: /"; \
	done
