# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# vrnet-bpf: `make` builds build/vrnet-bpf; `make test`, `make demo`, `make install`,
# `make deb`.

OUTPUT ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE \
	  -Iinclude -Iloader -I$(OUTPUT) -I/usr/include/libnl3 $(EXTRA_CFLAGS)
LDLIBS := -lxdp -lbpf -lelf -lz -ljansson -lcares -lldns -lnl-route-3 -lnl-3 -lcrypto
# Both binaries take their libraries from Debian's static archives, libc
# staying shared: a command starts without loading and relocating eleven
# shared objects, about 5 ms of each change's time here. vrnet-bpf links no
# ldns: ldns brings all of libcrypto, whose 18,000 relocations as a shared
# object cost every command another 3 ms; only the DNS proxy, vrnet-bpf-dns,
# needs it (README, Performance: changing one rule). The link fails if the
# CLI calls ldns. Of libcrypto the CLI takes SHA-256 alone (sync's digests):
# from the archive, that adds 27 KB and no relocation.
CLI_LDLIBS := -Wl,-Bstatic $(filter-out -lldns,$(LDLIBS)) -Wl,-Bdynamic
DNS_LDLIBS := -Wl,-Bstatic $(filter-out -lcrypto,$(LDLIBS)) -lssl -lcrypto -Wl,-Bdynamic
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall $(BPF_EXTRA_CFLAGS) \
	      -Iinclude -I$(OUTPUT)

# The two binaries differ in `dns`: vrnet-bpf's runs vrnet-bpf-dns (dns_exec.c).
CMD_SRCS := loader/main.c loader/cli.c $(filter-out loader/cmd_dns.c,$(wildcard loader/cmd_*.c))
CLI_SRCS := $(CMD_SRCS) loader/dns_exec.c
DNS_SRCS := $(CMD_SRCS) loader/cmd_dns.c
CLI_OBJS := $(patsubst loader/%.c,$(OUTPUT)/loader/%.o,$(CLI_SRCS))
DNS_OBJS := $(patsubst loader/%.c,$(OUTPUT)/loader/%.o,$(DNS_SRCS))
LIB_SRCS := $(filter-out $(CLI_SRCS) $(DNS_SRCS),$(wildcard loader/*.c))
LIB_OBJS := $(patsubst loader/%.c,$(OUTPUT)/loader/%.o,$(LIB_SRCS))
BPF_HDRS := $(wildcard bpf/*.h) include/vrnet_common.h

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all deps install uninstall deb test demo bench clean

all: $(OUTPUT)/vrnet-bpf $(OUTPUT)/vrnet-bpf-dns

deps:
	$(Q)./scripts/install-deps.sh

$(OUTPUT) $(OUTPUT)/loader $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUTPUT)/vrnet_egress.bpf.o: bpf/vrnet_egress.bpf.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/vrnet_xdp.bpf.o: bpf/vrnet_xdp.bpf.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

SKELETONS := $(OUTPUT)/vrnet_egress.skel.h $(OUTPUT)/vrnet_xdp.skel.h
$(SKELETONS): $(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

# The programs' build (vr_program_build()): the first 64 bits of the SHA-256
# of both objects, fixed at build time, so no command hashes 0.7 MB when it starts.
$(OUTPUT)/vrnet_egress.build.h: $(OUTPUT)/vrnet_egress.bpf.o $(OUTPUT)/vrnet_xdp.bpf.o
	$(call msg,GEN,$@)
	$(Q)printf '#define VRNET_PROGRAM_BUILD 0x%sull\n' "$$(cat $^ | sha256sum | cut -c1-16)" > $@

$(OUTPUT)/loader/%.o: loader/%.c $(wildcard loader/*.h) include/vrnet_common.h \
		      $(SKELETONS) $(OUTPUT)/vrnet_egress.build.h | $(OUTPUT)/loader
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/libvrnet.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/vrnet-bpf: $(CLI_OBJS) $(OUTPUT)/libvrnet.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(CLI_LDLIBS) -o $@

$(OUTPUT)/vrnet-bpf-dns: $(DNS_OBJS) $(OUTPUT)/libvrnet.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(DNS_LDLIBS) -o $@

include tests/tests.mk
include bench/bench.mk
include bench/wire.mk

bench: deps
	$(Q)./scripts/install-deps.sh bench
	$(Q)$(MAKE) --no-print-directory all bench-bins bench-wire-bins
	$(Q)./bench/run.sh

install: $(OUTPUT)/vrnet-bpf $(OUTPUT)/vrnet-bpf-dns
	install -D -m 0755 $(OUTPUT)/vrnet-bpf $(DESTDIR)$(PREFIX)/sbin/vrnet-bpf
	install -D -m 0755 $(OUTPUT)/vrnet-bpf-dns $(DESTDIR)$(PREFIX)/sbin/vrnet-bpf-dns
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	sed 's|/usr/local/|$(PREFIX)/|g' docs/vrnet-bpf.8 > $(DESTDIR)$(PREFIX)/share/man/man8/vrnet-bpf.8
	chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man8/vrnet-bpf.8
	install -d $(DESTDIR)$(PREFIX)/share/vrnet-bpf/policies
	install -m 0644 policies/*.json $(DESTDIR)$(PREFIX)/share/vrnet-bpf/policies/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	for unit in scripts/systemd/*; do \
		sed 's|@SBINDIR@|$(PREFIX)/sbin|g' $$unit > \
			$(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$unit) && \
		chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$unit) || exit; \
	done
	install -D -m 0644 scripts/vrnet-bpf.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/vrnet-bpf
	install -m 0755 scripts/vrnet-tap scripts/vrnet-veth $(DESTDIR)$(PREFIX)/sbin/

# The Debian package, build/vrnet-bpf_VERSION_ARCH.deb: what install installs
# with PREFIX=/usr, in a staging tree, made a package by scripts/deb/mkdeb.sh.
deb: all
	$(Q)rm -rf $(OUTPUT)/deb
	$(Q)$(MAKE) --no-print-directory $(if $(Q),-s) install DESTDIR=$(OUTPUT)/deb/root PREFIX=/usr
	$(Q)./scripts/deb/mkdeb.sh $(OUTPUT)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/vrnet-bpf $(DESTDIR)$(PREFIX)/sbin/vrnet-bpf-dns $(DESTDIR)$(PREFIX)/share/man/man8/vrnet-bpf.8
	rm -f $(DESTDIR)$(PREFIX)/sbin/vrnet-tap $(DESTDIR)$(PREFIX)/sbin/vrnet-veth
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/vrnet-bpf
	rm -rf $(DESTDIR)$(PREFIX)/share/vrnet-bpf
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/lib/systemd/system/,$(notdir $(wildcard scripts/systemd/*)))

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./scripts/demo.sh

clean:
	rm -rf $(OUTPUT)
