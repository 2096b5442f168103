# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The wire benchmark's traffic generators (bench/wire.sh: udpflood, tapflood) and the DNS proxy's
# floor (bench/dns.sh), the in-place cost meter (progrun): `make bench-wire-bins`.
# Guarded, so that `make -f Makefile -f bench/wire.mk` works too when the
# Makefile includes this file already.

ifndef VRNET_WIRE_MK
VRNET_WIRE_MK := 1

.PHONY: bench-wire-bins
bench-wire-bins: $(OUTPUT)/bench/udpflood $(OUTPUT)/bench/dnsecho $(OUTPUT)/bench/progrun \
		 $(OUTPUT)/bench/tapflood

$(OUTPUT)/bench/udpflood $(OUTPUT)/bench/dnsecho $(OUTPUT)/bench/tapflood: $(OUTPUT)/bench/%: bench/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUTPUT)/bench/progrun: bench/progrun.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -Wl,-Bstatic -lbpf -lelf -lz -Wl,-Bdynamic -o $@

endif
