# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Test binaries: tests/unit/*.c and tests/datapath/*.c are cmocka suites linked
# against the loader library; tests/tools/*.c are helpers the shell suites use.

UNIT_SRCS := $(wildcard tests/unit/*.c)
DP_SRCS := $(wildcard tests/datapath/*.c)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit_%,$(UNIT_SRCS)) \
	     $(patsubst tests/datapath/%.c,$(OUTPUT)/tests/dp_%,$(DP_SRCS)) \
	     $(patsubst tests/tools/%.c,$(OUTPUT)/tests/%,$(TOOL_SRCS))
TEST_HDRS := $(wildcard tests/*.h tests/datapath/*.h tests/unit/*.h)

$(OUTPUT)/tests/unit_%: tests/unit/%.c $(OUTPUT)/libvrnet.a $(TEST_HDRS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests $< $(OUTPUT)/libvrnet.a $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/dp_%: tests/datapath/%.c $(OUTPUT)/libvrnet.a $(TEST_HDRS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests $< $(OUTPUT)/libvrnet.a $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/%: tests/tools/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

# libFuzzer targets (clang), over the loader sources they name, with ASan
# and UBSan; tests/run.sh runs each briefly over its corpus in tests/fuzz/corpus.
FUZZ_FLAGS := -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(OUTPUT)/tests/fuzz_dns: tests/fuzz/dns.c loader/dns_message.c loader/dns_names.c \
			  loader/dns_message.h loader/dns_names.h | $(OUTPUT)/tests
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -Iinclude -Iloader $(filter %.c,$^) -lldns -o $@

$(OUTPUT)/tests/fuzz_rule: tests/fuzz/rule.c loader/rule.c loader/policy.c loader/rule.h \
			   loader/policy.h | $(OUTPUT)/tests
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -Iinclude -Iloader $(filter %.c,$^) -ljansson -o $@
$(OUTPUT)/tests/fuzz_policy: tests/fuzz/policy.c loader/policy.c loader/rule.c loader/compile.c \
			     loader/policy.h loader/rule.h loader/compile.h | $(OUTPUT)/tests
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -Iinclude -Iloader $(filter %.c,$^) -ljansson -o $@
FUZZ_BINS := $(addprefix $(OUTPUT)/tests/fuzz_,dns rule policy)

# make fuzz: each target for FUZZ_SECONDS (300 unless given) over its corpus,
# what it finds new kept in $(OUTPUT)/fuzz/NAME (tests/fuzz/corpus/NAME stays
# as it is); a finding's input is kept as $(OUTPUT)/fuzz_NAME-crash-*.
.PHONY: fuzz
fuzz: FUZZ_SECONDS ?= 300
fuzz: $(FUZZ_BINS)
	$(Q)for bin in $(FUZZ_BINS); do \
		name=$${bin##*/fuzz_}; mkdir -p $(OUTPUT)/fuzz/$$name; rm -f $(OUTPUT)/fuzz_$$name-*; \
		echo "fuzz_$$name: $(FUZZ_SECONDS) s"; \
		$$bin -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=$(OUTPUT)/fuzz_$$name- $(OUTPUT)/fuzz/$$name \
			tests/fuzz/corpus/$$name 2>&1 | grep -E '^(stat::number_of_executed_units|==|SUMMARY)' \
			|| true; \
		ls $(OUTPUT)/fuzz_$$name-* >/dev/null 2>&1 && { echo "fuzz_$$name found: $$(ls $(OUTPUT)/fuzz_$$name-*)"; exit 1; }; \
	done; true

.PHONY: test-bins cmocka-bins test-sanitize-bins
test-bins: $(OUTPUT)/vrnet-bpf $(OUTPUT)/vrnet-bpf-dns $(TEST_BINS) $(FUZZ_BINS)
cmocka-bins: $(filter $(OUTPUT)/tests/unit_% $(OUTPUT)/tests/dp_%,$(TEST_BINS))

# The cmocka suites once more with AddressSanitizer and UBSan (leaks
# included), every finding fatal: tests/run.sh runs them as sanitize/NAME.
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
test-sanitize-bins:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/sanitize \
		EXTRA_CFLAGS="$(SANITIZE_FLAGS)" cmocka-bins

# The binaries build in parallel, one job per CPU (37 s instead of 79 s on two).
test: deps
	$(Q)$(MAKE) --no-print-directory -j$(shell nproc) test-bins test-sanitize-bins
	$(Q)./tests/run.sh
