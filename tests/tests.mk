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
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(OUTPUT)/tests/fuzz_dns: tests/fuzz/dns.c loader/dns_message.c loader/dns_names.c \
			  loader/dns_message.h loader/dns_names.h | $(OUTPUT)/tests
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -Iinclude -Iloader $(filter %.c,$^) -lldns -o $@

.PHONY: test-bins cmocka-bins test-sanitize-bins
test-bins: $(OUTPUT)/vrnet-bpf $(OUTPUT)/vrnet-bpf-dns $(TEST_BINS) $(OUTPUT)/tests/fuzz_dns
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
