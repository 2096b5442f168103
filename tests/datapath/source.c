// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Source binding through the real program (BPF_PROG_TEST_RUN): every row is
 * a frame a sandbox could send, run on the device unbound first (the control:
 * under a default-allow policy it passes, so it could leak) and then bound to
 * 192.0.2.0/30, 2001:db8::/64 and MAC 02:00:00:00:00:02 with --dhcp.
 */
#include "datapath/harness.h"
#include "binding.h"
#include "output.h"
#include "rule.h"

#define POLICY_ALLOW "{\"default\": \"allow\"}"
#define POLICY_AUDIT "{\"default\": \"deny\", \"mode\": \"audit\"}"

#define OWN_MAC "\x02\x00\x00\x00\x00\x02"
#define OTHER_MAC "\x02\x00\x00\x00\x00\x09"
#define OWN_LL "fe80::ff:fe00:2" /* what OWN_MAC gives */
#define SPOOFED VRNET_REASON_SPOOFED

struct frame_spec {
	const char *name;
	int family;		/* 4, 6; 0: ARP */
	const char *src, *dst;
	const char *smac;	/* NULL: OWN_MAC */
	uint8_t proto;		/* IPv4/IPv6: 17 UDP, 58 ICMPv6 (type below) */
	uint16_t sport, dport;
	uint8_t icmp_type;
	const char *target;	/* NS/NA target; ARP: the sender address */
	uint8_t opt;		/* ND: a link-layer option of this type (1 source, 2 target) */
	const char *opt_mac;	/* its MAC; NULL: OWN_MAC */
	int extra_opts;		/* ND: more 8-byte options after it */
	const char *arp_sha;	/* ARP: sender MAC; NULL: OWN_MAC */
	const char *chaddr;	/* DHCP: the client's MAC in the message; NULL: OWN_MAC */
	uint8_t hop;		/* IPv6 hop limit; 0: 255 for ND, 1 for MLD, else 64 */
};

static void put_addr(uint8_t *p, int family, const char *text)
{
	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, text, p), 1);
}

static void build_arp(const struct frame_spec *s, struct dp_frame *f)
{
	uint8_t *p;

	dp_eth(f, 0x0806);
	memcpy(f->data, "\xff\xff\xff\xff\xff\xff", 6);
	p = dp_put(f, 28);
	dp_put16(p, 1);
	dp_put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	dp_put16(p + 6, 1);
	memcpy(p + 8, s->arp_sha ? s->arp_sha : OWN_MAC, 6);
	put_addr(p + 14, 4, s->target);
	put_addr(p + 24, 4, s->dst);
}

static bool is_mld(uint8_t type)
{
	return (type >= 130 && type <= 132) || type == 143;
}

/*
 * An ICMPv6 message: NS, NA, MLDv1 (24 bytes), RS, RA, redirect, MLDv2 report
 * (8, no records), echo (8).
 */
static void build_icmpv6(const struct frame_spec *s, struct dp_frame *f, size_t ip)
{
	size_t base = s->icmp_type == 135 || s->icmp_type == 136 || (is_mld(s->icmp_type) &&
								     s->icmp_type != 143) ?
			      24 : 8;
	uint8_t *p = dp_put(f, base);

	p[0] = s->icmp_type;
	if (s->target)
		put_addr(p + 8, 6, s->target);
	if (s->opt) {
		uint8_t *o = dp_put(f, 8);

		o[0] = s->opt;
		o[1] = 1;
		memcpy(o + 2, s->opt_mac ? s->opt_mac : OWN_MAC, 6);
	}
	for (int i = 0; i < s->extra_opts; i++) {
		uint8_t *o = dp_put(f, 8);

		o[0] = 5; /* MTU */
		o[1] = 1;
	}
	dp_put16(f->data + ip + 4, (uint16_t)(f->len - ip - DP_IP6_LEN));
}

/* UDP with the start of a BOOTP message (its chaddr at 28) for DHCP rows. */
#define BOOTP_START 44

static void build_udp(const struct frame_spec *s, struct dp_frame *f)
{
	uint8_t *p = dp_put(f, 8 + BOOTP_START);

	dp_put16(p, s->sport ? s->sport : 40000);
	dp_put16(p + 2, s->dport);
	dp_put16(p + 4, 8 + BOOTP_START);
	memcpy(p + 8 + 28, s->chaddr ? s->chaddr : OWN_MAC, 6);
}

static void build(const struct frame_spec *s, struct dp_frame *f)
{
	size_t ip;

	memset(f, 0, sizeof(*f));
	if (!s->family) {
		build_arp(s, f);
	} else if (s->family == 4) {
		dp_eth(f, 0x0800);
		ip = dp_ipv4(f, s->dst, s->proto ? s->proto : 17, 64, 5, 0, false);
		put_addr(f->data + ip + 12, 4, s->src);
		if (s->proto == 2)
			dp_put(f, 8)[0] = 0x22; /* an IGMPv3 report */
		else
			build_udp(s, f);
		dp_put16(f->data + ip + 2, (uint16_t)(f->len - ip));
	} else {
		bool nd = s->proto == 58 && s->icmp_type >= 133 && s->icmp_type <= 137;
		uint8_t hop = s->hop ? s->hop : nd ? 255 : s->proto == 58 && is_mld(s->icmp_type) ? 1 : 64;

		dp_eth(f, 0x86dd);
		ip = dp_ipv6(f, s->dst, s->proto, hop);
		put_addr(f->data + ip + 8, 6, s->src);
		if (s->proto == 58) {
			build_icmpv6(s, f, ip);
		} else {
			build_udp(s, f);
			dp_put16(f->data + ip + 4, (uint16_t)(f->len - ip - DP_IP6_LEN));
		}
	}
	memcpy(f->data + 6, s->smac ? s->smac : OWN_MAC, 6);
}

static struct vr_verdict run(const struct frame_spec *s)
{
	struct vr_verdict v;
	struct dp_frame f;

	build(s, &f);
	assert_int_equal(dp_run(&f, &v), 0);
	return v;
}

static __u32 dp_slot(void)
{
	__u32 slot;

	assert_int_equal(vr_device_find(&dp.st, DP_IFINDEX, &slot), 0);
	return slot;
}

static void bind_to(const char *const *addrs, const char *mac, bool dhcp)
{
	struct vr_binding b = { 0 };
	char err[256];

	for (; *addrs; addrs++)
		assert_int_equal(vr_binding_add_address(&b, *addrs, err, sizeof(err)), 0);
	if (mac)
		assert_int_equal(vr_binding_set_mac(&b, mac, err, sizeof(err)), 0);
	b.dhcp = dhcp;
	if (vr_device_bind(&dp.st, dp_slot(), &b, err, sizeof(err)))
		fail_msg("bind: %s", err);
}

static const char *const own_addrs[] = { "192.0.2.0/30", "2001:db8::/64", NULL };

static void bind_own(void)
{
	bind_to(own_addrs, "02:00:00:00:00:02", true);
}

static void unbind(void)
{
	struct vr_binding none = { 0 };
	char err[256];

	assert_int_equal(vr_device_bind(&dp.st, dp_slot(), &none, err, sizeof(err)), 0);
}

/* Frames a bound sandbox may send: they pass bound as unbound. */
static const struct frame_spec own[] = {
	{ "udp from a bound v4 address", 4, "192.0.2.1", "203.0.113.1", .dport = 53 },
	{ "udp from the last of the /30", 4, "192.0.2.3", "203.0.113.1", .dport = 53 },
	{ "udp from a bound v6 prefix", 6, "2001:db8::77", "2001:db8:99::1", .proto = 17,
	  .dport = 53 },
	{ "udp from the MAC's link-local", 6, OWN_LL, "fe80::1", .proto = 17, .dport = 53 },
	{ "arp request", 0, .target = "192.0.2.1", .dst = "192.0.2.4" },
	{ "arp probe from 0.0.0.0", 0, .target = "0.0.0.0", .dst = "192.0.2.1" },
	{ "na for its own address", 6, OWN_LL, "ff02::1", .proto = 58, .icmp_type = 136,
	  .target = "2001:db8::1", .opt = 2 },
	{ "ns for the host's address", 6, OWN_LL, "ff02::1:ff00:1", .proto = 58,
	  .icmp_type = 135, .target = "fe80::1", .opt = 1 },
	{ "dad ns from ::", 6, "::", "ff02::1:ff00:1", .proto = 58, .icmp_type = 135,
	  .target = "2001:db8::1" },
	{ "rs from :: without an option", 6, "::", "ff02::2", .proto = 58, .icmp_type = 133 },
	{ "rs with its MAC", 6, OWN_LL, "ff02::2", .proto = 58, .icmp_type = 133, .opt = 1 },
	{ "mldv2 report from ::", 6, "::", "ff02::16", .proto = 58, .icmp_type = 143 },
	{ "mldv1 done from ::", 6, "::", "ff02::2", .proto = 58, .icmp_type = 132 },
	{ "igmpv3 report from 0.0.0.0", 4, "0.0.0.0", "224.0.0.22", .proto = 2 },
	{ "dhcp discover from 0.0.0.0", 4, "0.0.0.0", "255.255.255.255", .sport = 68,
	  .dport = 67 },
};

/* Forged frames: they pass unbound (the control) and are dropped, reason spoofed, bound. */
static const struct frame_spec forged[] = {
	{ "v4 source outside the binding", 4, "192.0.2.9", "203.0.113.1", .dport = 53 },
	{ "v4 source of another sandbox", 4, "10.0.0.2", "203.0.113.1", .dport = 53 },
	{ "bound v4 source, other MAC", 4, "192.0.2.1", "203.0.113.1", .dport = 53,
	  .smac = OTHER_MAC },
	{ "v6 source outside the binding", 6, "2001:db8:1::1", "2001:db8:99::1", .proto = 17,
	  .dport = 53 },
	{ "another link-local source", 6, "fe80::1:2", "fe80::1", .proto = 17, .dport = 53 },
	{ "udp from ::", 6, "::", "2001:db8:99::1", .proto = 17, .dport = 53 },
	{ "udp from 0.0.0.0", 4, "0.0.0.0", "203.0.113.1", .dport = 53 },
	{ "arp for another address", 0, .target = "192.0.2.9", .dst = "192.0.2.4" },
	{ "arp with another sender MAC", 0, .target = "192.0.2.1", .dst = "192.0.2.4",
	  .arp_sha = OTHER_MAC },
	{ "arp from another frame MAC", 0, .target = "192.0.2.1", .dst = "192.0.2.4",
	  .smac = OTHER_MAC, .arp_sha = OTHER_MAC },
	{ "na for another address", 6, OWN_LL, "ff02::1", .proto = 58, .icmp_type = 136,
	  .target = "2001:db8:1::5", .opt = 2 },
	{ "na with another MAC", 6, OWN_LL, "ff02::1", .proto = 58, .icmp_type = 136,
	  .target = "2001:db8::1", .opt = 2, .opt_mac = OTHER_MAC },
	{ "na with a second option", 6, OWN_LL, "ff02::1", .proto = 58, .icmp_type = 136,
	  .target = "2001:db8::1", .opt = 2, .extra_opts = 1 },
	{ "ns with another MAC", 6, OWN_LL, "ff02::1:ff00:1", .proto = 58, .icmp_type = 135,
	  .target = "fe80::1", .opt = 1, .opt_mac = OTHER_MAC },
	{ "dad ns for another address", 6, "::", "ff02::1:ff00:5", .proto = 58,
	  .icmp_type = 135, .target = "2001:db8:1::5" },
	{ "dad ns with a link-layer option", 6, "::", "ff02::1:ff00:1", .proto = 58,
	  .icmp_type = 135, .target = "2001:db8::1", .opt = 1 },
	{ "rs with another MAC", 6, OWN_LL, "ff02::2", .proto = 58, .icmp_type = 133, .opt = 1,
	  .opt_mac = OTHER_MAC },
	{ "echo from ::", 6, "::", "2001:db8:99::1", .proto = 58, .icmp_type = 128 },
	{ "dhcp for another MAC", 4, "0.0.0.0", "255.255.255.255", .sport = 68, .dport = 67,
	  .chaddr = OTHER_MAC },
	{ "dhcp-shaped to a unicast server", 4, "0.0.0.0", "203.0.113.1", .sport = 68,
	  .dport = 67 },
	{ "dhcp-shaped from another port", 4, "0.0.0.0", "255.255.255.255", .sport = 69,
	  .dport = 67 },
	/* a sandbox is no router (the host applies an RA's link-layer option even so) */
	{ "router advertisement", 6, OWN_LL, "ff02::1", .proto = 58, .icmp_type = 134,
	  .opt = 1 },
	{ "redirect", 6, OWN_LL, "fe80::1", .proto = 58, .icmp_type = 137,
	  .target = "fe80::1:2", .opt = 2, .opt_mac = OTHER_MAC },
	/* from ::, only the shapes link traffic is exempt in */
	{ "mld report from :: to a unicast address", 6, "::", "2001:db8:99::1", .proto = 58,
	  .icmp_type = 131, .hop = 64 },
	{ "dad ns from :: with hop limit 64", 6, "::", "ff02::1:ff00:1", .proto = 58,
	  .icmp_type = 135, .target = "2001:db8::1", .hop = 64 },
	{ "igmp from 0.0.0.0 to another group", 4, "0.0.0.0", "224.0.0.5", .proto = 2 },
};

static void expect(const struct frame_spec *s, bool allow, uint32_t reason, const char *when)
{
	struct vr_verdict v = run(s);

	if (v.allow != allow || (reason && v.reason != reason))
		fail_msg("%s, %s: %s reason %s, want %s%s%s", s->name, when,
			 v.allow ? "allow" : "deny", vr_reason_key(v.reason),
			 allow ? "allow" : "deny", reason ? " reason " : "",
			 reason ? vr_reason_key(reason) : "");
}

static int setup(void **state)
{
	(void)state;
	return dp_apply(POLICY_ALLOW);
}

static void test_own_frames_pass(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		expect(&own[i], true, 0, "unbound");
	bind_own();
	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		expect(&own[i], true, 0, "bound");
	unbind();
}

static void test_forged_frames_drop(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(forged); i++)
		expect(&forged[i], true, 0, "unbound (the control)");
	bind_own();
	for (size_t i = 0; i < ARRAY_SIZE(forged); i++)
		expect(&forged[i], false, SPOOFED, "bound");
	unbind();
	for (size_t i = 0; i < ARRAY_SIZE(forged); i++)
		expect(&forged[i], true, 0, "unbound again");
}

/* Without --dhcp, 0.0.0.0 is no source; without --mac, any MAC but no other address. */
static void test_options(void **state)
{
	const struct frame_spec *dhcp = &own[ARRAY_SIZE(own) - 1];
	const struct frame_spec other_mac = { "bound source, any MAC", 4, "192.0.2.1",
					      "203.0.113.1", .dport = 53, .smac = OTHER_MAC };
	const struct frame_spec arp_mismatch = { "arp sender MAC not the frame's", 0,
						 .target = "192.0.2.1", .dst = "192.0.2.4",
						 .arp_sha = OTHER_MAC };

	(void)state;
	bind_to(own_addrs, "02:00:00:00:00:02", false);
	expect(dhcp, false, SPOOFED, "bound without --dhcp");
	bind_to(own_addrs, NULL, false);
	expect(&other_mac, true, 0, "bound without --mac");
	expect(&forged[0], false, SPOOFED, "bound without --mac");
	expect(&own[3], false, SPOOFED, "the link-local of a MAC not bound");
	expect(&arp_mismatch, false, SPOOFED, "bound without --mac");
	unbind();
}

/* A rebind replaces the addresses: the old ones stop passing, the note lists the new. */
static void test_rebind(void **state)
{
	static const char *const moved[] = { "192.0.2.8", NULL };
	const struct frame_spec old_src = { "old address", 4, "192.0.2.1", "203.0.113.1",
					    .dport = 53 };
	const struct frame_spec new_src = { "new address", 4, "192.0.2.8", "203.0.113.1",
					    .dport = 53 };
	struct vrnet_binding_note note;

	(void)state;
	bind_own();
	expect(&old_src, true, 0, "first binding");
	expect(&new_src, false, SPOOFED, "first binding");
	bind_to(moved, NULL, false);
	expect(&old_src, false, SPOOFED, "rebound");
	expect(&new_src, true, 0, "rebound");
	assert_int_equal(vr_binding_read(&dp.st, dp_slot(), &note), 0);
	assert_int_equal(note.count, 1);
	assert_int_equal(note.prefixes[0].leaving, 0);
	unbind();
}

/* An apply, an edit and the internet switch keep the binding; it comes before the switch. */
static void test_changes_keep_binding(void **state)
{
	struct vr_rule r;
	char err[256];

	(void)state;
	bind_own();
	assert_int_equal(dp_apply(POLICY_ALLOW), 0);
	expect(&forged[0], false, SPOOFED, "after an apply");
	assert_int_equal(vr_rule_parse("203.0.113.1", &r, err, sizeof(err)), 0);
	assert_int_equal(vr_edit_add(&dp.st, DP_IFINDEX, VRNET_LIST_ALLOW, &r, 1, dp_resolve,
				     NULL, err, sizeof(err)), 0);
	expect(&forged[0], false, SPOOFED, "after an edit");
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_ON), 0);
	expect(&forged[0], false, SPOOFED, "internet on");
	expect(&own[0], true, 0, "internet on");
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_POLICY), 0);
	unbind();
}

/*
 * A bound /64 holds the host's own address on the device too: the sandbox
 * may not send from it, advertise it or claim it in DAD (which would take
 * it from the host).
 */
static void test_host_addresses(void **state)
{
	const struct frame_spec as_host[] = {
		{ "udp from the host's address", 6, "2001:db8::1", "2001:db8:99::1", .proto = 17,
		  .dport = 53 },
		{ "na for the host's address", 6, OWN_LL, "ff02::1", .proto = 58,
		  .icmp_type = 136, .target = "2001:db8::1", .opt = 2 },
		{ "dad ns for the host's address", 6, "::", "ff02::1:ff00:1", .proto = 58,
		  .icmp_type = 135, .target = "2001:db8::1" },
		{ "udp from the host's link-local", 6, "fe80::ff:fe00:2", "fe80::1", .proto = 17,
		  .dport = 53 },
	};
	static const char *const with_ll[] = { "2001:db8::/64", "fe80::/64", NULL };
	struct vrnet_hostaddr_key k = { .slot = dp_slot() };
	__u8 one = 1;

	(void)state;
	bind_to(with_ll, "02:00:00:00:00:02", false);
	for (size_t i = 0; i < ARRAY_SIZE(as_host); i++)
		expect(&as_host[i], true, 0, "bound, before the host has the addresses");
	inet_pton(AF_INET6, "2001:db8::1", k.addr);
	assert_int_equal(bpf_map_update_elem(dp.st.hostaddrs_fd, &k, &one, BPF_ANY), 0);
	inet_pton(AF_INET6, "fe80::ff:fe00:2", k.addr);
	assert_int_equal(bpf_map_update_elem(dp.st.hostaddrs_fd, &k, &one, BPF_ANY), 0);
	for (size_t i = 0; i < ARRAY_SIZE(as_host); i++)
		expect(&as_host[i], false, SPOOFED, "bound, the host's addresses");
	expect(&own[2], true, 0, "bound, another address of the /64");
	assert_int_equal(bpf_map_delete_elem(dp.st.hostaddrs_fd, &k), 0);
	inet_pton(AF_INET6, "2001:db8::1", k.addr);
	assert_int_equal(bpf_map_delete_elem(dp.st.hostaddrs_fd, &k), 0);
	unbind();
}

/* Audit mode passes what the policy would drop, never a forged source. */
static void test_audit_mode_enforces(void **state)
{
	struct vr_verdict v;

	(void)state;
	assert_int_equal(dp_apply(POLICY_AUDIT), 0);
	bind_own();
	v = run(&forged[0]);
	assert_false(v.allow);
	assert_int_equal(v.reason, SPOOFED);
	v = run(&own[0]);
	assert_true(v.allow); /* the default's drop, audited */
	assert_false(v.enforce_allow);
	unbind();
}

static size_t entries_of(int fd, size_t key_size, __u32 slot)
{
	uint8_t key[32], next[32];
	void *prev = NULL;
	size_t n = 0;
	__u32 key_slot;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(&key_slot, next + 4, 4); /* after the prefix length */
		n += key_slot == slot;
		memcpy(key, next, key_size);
		prev = key;
	}
	return n;
}

/* Forgetting the device removes its prefixes: the next device in the slot starts unbound. */
static void test_forget_removes(void **state)
{
	__u32 slot;

	(void)state;
	bind_own();
	slot = dp_slot();
	assert_int_equal(entries_of(dp.st.bound4_fd, sizeof(struct vrnet_bound4_key), slot), 1);
	assert_int_equal(entries_of(dp.st.bound6_fd, sizeof(struct vrnet_bound6_key), slot), 2);
	assert_int_equal(vr_device_forget(&dp.st, DP_IFINDEX), 0);
	assert_int_equal(entries_of(dp.st.bound4_fd, sizeof(struct vrnet_bound4_key), slot), 0);
	assert_int_equal(entries_of(dp.st.bound6_fd, sizeof(struct vrnet_bound6_key), slot), 0);
	assert_int_not_equal(bpf_map_lookup_elem(dp.st.bindings_fd, &slot, &slot), 0);
	assert_int_equal(dp_apply(POLICY_ALLOW), 0);
	expect(&forged[0], true, 0, "a new device in the slot");
}

/*
 * A bind killed after writing its new prefixes, before removing the ones it
 * replaced: the next change's recovery removes them (fail closed).
 */
static void test_recover_after_killed_bind(void **state)
{
	static const char *const first[] = { "192.0.2.1", NULL };
	const struct frame_spec left = { "address the killed bind replaced", 4, "192.0.2.1",
					 "203.0.113.1", .dport = 53 };
	const struct frame_spec kept = { "address the killed bind added", 4, "192.0.2.2",
					 "203.0.113.1", .dport = 53 };
	struct vrnet_bound4_key key = { .prefixlen = 32 + 32, .slot = dp_slot() };
	struct vrnet_binding_note note;
	struct vrnet_devinfo di;
	__u32 slot = dp_slot();
	size_t repaired;
	__u8 one = 1;

	(void)state;
	bind_to(first, NULL, false);
	/* what the killed bind to 192.0.2.2 left: both in the maps, the old one leaving */
	assert_int_equal(vr_binding_read(&dp.st, slot, &note), 0);
	note.prefixes[0].leaving = 1;
	note.prefixes[1] = note.prefixes[0];
	note.prefixes[1].leaving = 0;
	note.prefixes[1].addr[3] = 2;
	note.count = 2;
	assert_int_equal(bpf_map_update_elem(dp.st.bindings_fd, &slot, &note, BPF_ANY), 0);
	inet_pton(AF_INET, "192.0.2.2", key.addr);
	assert_int_equal(bpf_map_update_elem(dp.st.bound4_fd, &key, &one, BPF_ANY), 0);
	di = dp.st.devinfo[slot];
	di.rebinding = 1;
	assert_int_equal(bpf_map_update_elem(dp.st.devinfo_fd, &slot, &di, BPF_EXIST), 0);
	expect(&left, true, 0, "killed bind");
	expect(&kept, true, 0, "killed bind");

	assert_int_equal(vr_recover(&dp.st, &repaired), 0);
	assert_true(repaired >= 1);
	expect(&left, false, SPOOFED, "recovered");
	expect(&kept, true, 0, "recovered");
	assert_int_equal(dp.st.devinfo[slot].rebinding, 0);
	assert_int_equal(vr_binding_read(&dp.st, slot, &note), 0);
	assert_int_equal(note.count, 1);
	unbind();
}

/* The limits: 16 addresses, no /0, a unicast MAC. */
static void test_limits(void **state)
{
	struct vr_binding b = { 0 };
	char err[256], text[32];

	(void)state;
	for (int i = 0; i < VRNET_MAX_BOUND_ADDRS; i++) {
		snprintf(text, sizeof(text), "192.0.2.%d", i);
		assert_int_equal(vr_binding_add_address(&b, text, err, sizeof(err)), 0);
	}
	assert_int_equal(vr_binding_add_address(&b, "192.0.2.200", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "at most 16"));
	assert_int_equal(vr_binding_add_address(&b, "192.0.2.3", err, sizeof(err)), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(vr_binding_add_address(&b, "0.0.0.0/0", err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_binding_add_address(&b, "192.0.2.1:80", err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_binding_add_address(&b, "example.com", err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_binding_set_mac(&b, "01:00:5e:00:00:01", err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_binding_set_mac(&b, "02:00:00:00:00", err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_binding_set_mac(&b, "02:00:00:00:00:02x", err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_binding_set_mac(&b, "02:00:00:00:00:02", err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_own_frames_pass, setup),
		cmocka_unit_test_setup(test_forged_frames_drop, setup),
		cmocka_unit_test_setup(test_options, setup),
		cmocka_unit_test_setup(test_rebind, setup),
		cmocka_unit_test_setup(test_changes_keep_binding, setup),
		cmocka_unit_test_setup(test_host_addresses, setup),
		cmocka_unit_test_setup(test_audit_mode_enforces, setup),
		cmocka_unit_test_setup(test_forget_removes, setup),
		cmocka_unit_test_setup(test_recover_after_killed_bind, setup),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests_name("datapath source binding", tests, dp_group_setup,
					   dp_group_teardown);
}
