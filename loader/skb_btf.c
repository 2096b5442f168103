// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "skb_btf.h"

/* The value of enumerator @name in any enum of @btf; -ENOENT if none has it. */
static int enum_value(const struct btf *btf, const char *name, __u32 *value)
{
	__u32 n = btf__type_cnt(btf);

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (__u16 i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name)) {
				*value = (__u32)e[i].val;
				return 0;
			}
	}
	return -ENOENT;
}

static void read_facts(struct vr_skb_btf *f)
{
	static const char *const modifiers[] = {
		"SKB_GSO_DODGY", "SKB_GSO_TCP_ECN", "SKB_GSO_TCP_FIXEDID",
		"__SKB_GSO_TCP_FIXEDID", "SKB_GSO_TCP_ACCECN",
	};
	const struct {
		const char *name;
		__u32 *value;
	} types[] = {
		{ "SKB_GSO_TCPV4", &f->gso_tcpv4 },
		{ "SKB_GSO_TCPV6", &f->gso_tcpv6 },
		{ "SKB_GSO_UDP", &f->gso_udp },
		{ "SKB_GSO_UDP_L4", &f->gso_udp_l4 },
	};
	struct btf *btf = btf__load_vmlinux_btf();
	__u32 bit;

	/*
	 * Plain stores touch @f's page first. Left to the setg below, the
	 * first write to this never-touched .bss page faulted, and QEMU 7.2's
	 * TCG (the kernel matrix's guests) re-ran it with the wrong flags:
	 * kern_ctx came out at random there, never on real CPUs.
	 */
	memset(f, 0, sizeof(*f));
	if (!btf) {
		f->err = -errno ? -errno : -ENOENT;
		f->missing = "/sys/kernel/btf/vmlinux";
		return;
	}
	f->kern_ctx = btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) > 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (enum_value(btf, types[i].name, types[i].value)) {
			f->err = -ENOENT;
			f->missing = types[i].name;
		}
	for (size_t i = 0; i < sizeof(modifiers) / sizeof(modifiers[0]); i++)
		if (!enum_value(btf, modifiers[i], &bit))
			f->gso_modifiers |= bit;
	btf__free(btf);
}

const struct vr_skb_btf *vr_skb_btf(void)
{
	static struct vr_skb_btf facts;
	static bool read;

	if (!read) {
		read_facts(&facts);
		read = true;
	}
	return &facts;
}
