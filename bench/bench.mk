# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Benchmark binaries: bench/*.c linked against the loader library, as the tests are.

$(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/bench/verdict: bench/verdict.c $(OUTPUT)/libvrnet.a $(wildcard loader/*.h) \
			 include/vrnet_common.h | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(OUTPUT)/libvrnet.a $(LDLIBS) -o $@

.PHONY: bench-bins
bench-bins: $(OUTPUT)/bench/verdict
