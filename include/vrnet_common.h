/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Types, limits and names shared by the datapath (bpf/) and the loader.
 *
 * A device is its network namespace (cookie) and ifindex: vrnet_devices maps
 * that to the device's slot, for the device's whole life. The slot's word in
 * vrnet_switch names the device's record in vrnet_records: one immutable
 * record of everything that decides a verdict (policy id, overlay, default,
 * internet switch, mode, event settings). A change writes a new policy under
 * a fresh id and a new record in the slot's other bank, then stores the one
 * word; the old record and policy are freed only after an RCU grace period,
 * when no packet can hold them. So a packet reads one record, old or new,
 * never a mix (README, "How a change is switched").
 *
 * Lookup: the destination address selects the longest matching prefix of the
 * device's policy (vrnet_lpm4 / vrnet_lpm6). Each prefix points to a portset:
 * every (protocol, port range, action) that applies to addresses in that
 * prefix, already folded together with the entries of every shorter prefix
 * that covers it. One lookup therefore yields all rules that can match.
 */
#ifndef VRNET_COMMON_H
#define VRNET_COMMON_H

#ifdef __VRNET_BPF__
/* vmlinux.h provides the __u* types */
#else
#include <linux/bpf.h> /* struct bpf_spin_lock, the __u* types */
#endif

/* Map names: at most 15 characters so the kernel name equals the pin name. */
#define VRNET_MAP_DEVICES "vrnet_devices"
#define VRNET_MAP_SWITCH "vrnet_switch"
#define VRNET_MAP_RECORDS "vrnet_records"
#define VRNET_MAP_DEVINFO "vrnet_devinfo"
#define VRNET_MAP_POLICIES "vrnet_policies"
#define VRNET_MAP_PROGRAMS "vrnet_programs"
#define VRNET_MAP_LPM4 "vrnet_lpm4"
#define VRNET_MAP_LPM6 "vrnet_lpm6"
#define VRNET_MAP_HOST4 "vrnet_host4"
#define VRNET_MAP_HOST6 "vrnet_host6"
#define VRNET_MAP_PORTSETS "vrnet_portsets"
#define VRNET_MAP_RULES "vrnet_rules"
#define VRNET_MAP_NAMES "vrnet_names"
#define VRNET_MAP_HOSTADDRS "vrnet_hostaddrs"
#define VRNET_MAP_STATS "vrnet_stats"
#define VRNET_MAP_CONFIG "vrnet_config"
#define VRNET_MAP_EVENTS "vrnet_events"
#define VRNET_MAP_LIMITS "vrnet_limits"
#define VRNET_MAP_QUIET "vrnet_quiet"
#define VRNET_MAP_FLOWS "vrnet_flows"
#define VRNET_MAP_RULEHITS "vrnet_rulehits"
#define VRNET_MAP_DNSNETNS "vrnet_dnsnetns"
#define VRNET_MAP_DNSFLOWS "vrnet_dnsflows"
#define VRNET_MAP_DNSADDRS "vrnet_dnsaddrs"
#define VRNET_MAP_DNSSTATS "vrnet_dnsstats"
#define VRNET_MAP_DNSLOG "vrnet_dnslog"
#define VRNET_MAP_DNSRATE "vrnet_dnsrate"
#define VRNET_MAP_FRAGS "vrnet_frags"
#define VRNET_MAP_BOUND4 "vrnet_bound4"
#define VRNET_MAP_BOUND6 "vrnet_bound6"
#define VRNET_MAP_BINDINGS "vrnet_bindings"
#define VRNET_MAP_CONNS "vrnet_conns"
#define VRNET_MAP_REMOVED "vrnet_removed"
#define VRNET_MAP_OWNFLOWS "vrnet_ownflows"
#define VRNET_MAP_OWNNOTES "vrnet_ownnotes"
/* One program per network namespace of devices: "vrnet_egress_<netns cookie>". */
#define VRNET_PROG_PIN "vrnet_egress"
#define VRNET_DNS_PROG_PIN "vrnet_dnsret" /* the DNS proxy's return program, per namespace */
#define VRNET_INBOUND_PROG_PIN "vrnet_inbound" /* on the devices' tc egress, per namespace */
#define VRNET_XDP_PROG_PIN "vrnet_xdp" /* the XDP mode's program, for `check`, per namespace */
#define VRNET_XDP_DEVICE_PIN "vrnet_xdpdev" /* the devices' XDP program, loaded once, per namespace */

/* Limits. The LPM and rule maps are not preallocated: memory follows use. */
#define VRNET_MAX_DEVICES 16384
#define VRNET_MAX_RECORDS (2 * VRNET_MAX_DEVICES + 1) /* two banks per slot; 0 is none */
#define VRNET_MAX_POLICIES (4 * VRNET_MAX_DEVICES)	/* base and overlay, old and new */
#define VRNET_MAX_PORTSET_ENTRIES 64
#define VRNET_MAX_PREFIXES_PER_FAMILY 4194304 /* host-wide, old+new during an apply */
#define VRNET_MAX_POLICY_PREFIXES 1000000	 /* per policy and family */
#define VRNET_MAX_HOSTS_PER_FAMILY 1048576	 /* host-wide; beyond, hosts stay in the trie */
#define VRNET_MAX_RULES 4194304		 /* host-wide rule records */
#define VRNET_RULES_PER_CHUNK 32	 /* rule records per vrnet_rules value */
#define VRNET_MAX_POLICY_RULES 1000000	 /* per policy, incl. resolved addresses */
#define VRNET_MAX_PORTSETS 1048576
#define VRNET_MAX_OVERLAY_RULES 1024 /* edits kept apart before a full re-apply */
#define VRNET_MAX_NAMES 65536
/* base rules overlays remove, host-wide (old and new during a switch); beyond, a full re-apply */
#define VRNET_MAX_REMOVED 262144
#define VRNET_MAX_NAME_LEN 256 /* a domain name is at most 253 characters */
#define VRNET_MAX_IPV6_EXT_HDRS 8
#define VRNET_MAX_HOST_ADDRS 65536 /* host IPv6 addresses on attached devices */
#define VRNET_EVENTS_BYTES (8u << 20)	     /* ring buffer of events */
#define VRNET_MAX_FLOWS 65536		     /* recently seen UDP/ICMP flows (LRU) */
#define VRNET_MAX_DNS_ADDRS 65536	     /* addresses the DNS proxy opened, all devices */
#define VRNET_DEVICE_FRAGS 256		     /* a device's datagrams whose first fragment passed (LRU) */
#define VRNET_FRAG_LIFE_NS 60000000000ull  /* a note's life: IPv6's reassembly timeout */
#define VRNET_MAX_BOUND_ADDRS 16	     /* source addresses/prefixes bound per device */
#define VRNET_FLOW_WINDOW_NS 10000000000ull /* a flow idle this long starts anew */
#define VRNET_DEVICE_CONNS 1024	     /* connections opened into a device's sandbox (LRU) */
#define VRNET_DEVICE_OWN_NOTES 1024	     /* flows a device's sandbox opened (LRU) */
#define VRNET_MAX_RULE_COUNTERS 1048576	     /* rules with a hit counter, host-wide */
#define VRNET_DEFAULT_EVENT_RATE 100	     /* events per second and device */
#define VRNET_DEFAULT_EVENT_BURST 1000
#define VRNET_MAX_EVENT_RATE 1000000

/* Actions of a portset entry and of a device's default. */
enum vrnet_action {
	VRNET_ACTION_DENY = 0,
	VRNET_ACTION_ALLOW = 1,
};

/* Device-wide override set by `vrnet-bpf internet DEV on|off`. */
enum vrnet_internet {
	VRNET_INTERNET_POLICY = 0, /* rules and default decide */
	VRNET_INTERNET_OFF = 1,	   /* every IP packet is dropped */
	VRNET_INTERNET_ON = 2,	   /* every IP packet is passed */
};

/*
 * A policy's "inbound" part (vrnet_record.inbound): none, or its default.
 * Its rules match the source of what the host sends into the sandbox and the
 * sandbox's port; their prefixes are keyed by the policy's id with
 * VRNET_INBOUND_SPACE set (portsets by the plain id: ids do not overlap).
 */
enum vrnet_inbound {
	VRNET_INBOUND_NONE = 0,	 /* no inbound part: everything passes, as before */
	VRNET_INBOUND_ALLOW = 1, /* default allow: only block rules drop */
	VRNET_INBOUND_DENY = 2,	 /* default deny: allow rules and replies pass */
};

#define VRNET_INBOUND_SPACE 0x80000000u /* policy ids stay below it */

/* Protocol selector of a rule; 0 means any protocol. */
enum vrnet_proto {
	VRNET_PROTO_ANY = 0,
	VRNET_PROTO_ICMP = 1, /* ICMP for IPv4, ICMPv6 for IPv6 */
	VRNET_PROTO_TCP = 6,
	VRNET_PROTO_UDP = 17,
	/* a packet of any other protocol: only "any" rules match it */
	VRNET_PROTO_OTHER = 255,
};

/*
 * Why the program decided as it did. Written to skb->cb[0] (and the deciding
 * rule id to skb->cb[1]) so `vrnet-bpf check` can explain a verdict; the audit
 * trail will report the same codes.
 */
enum vrnet_reason {
	VRNET_REASON_NONE = 0,
	VRNET_REASON_BLOCK_RULE = 1,   /* a block rule matched */
	VRNET_REASON_ALLOW_RULE = 2,   /* an allow rule matched, no block rule */
	VRNET_REASON_DEFAULT = 3,      /* no rule matched: the policy default */
	VRNET_REASON_INTERNET = 4,     /* the internet on/off override */
	VRNET_REASON_LINK_LOCAL = 5,   /* ARP or IPv6 neighbour discovery */
	VRNET_REASON_NO_POLICY = 6,    /* attached device without a policy entry */
	VRNET_REASON_ETHERTYPE = 7,    /* VLAN, PPPoE or another ethertype */
	VRNET_REASON_MALFORMED = 8,    /* truncated or invalid header */
	VRNET_REASON_SOURCE_ROUTE = 9, /* IPv4 LSRR/SSRR, IPv6 routing header with segments left */
	VRNET_REASON_UNKNOWN_DEVICE_STATE = 10,
	VRNET_REASON_OFFLOAD = 11,     /* checksum or GSO metadata that would rewrite what was judged */
	VRNET_REASON_DNS = 12,	       /* a DNS query, steered to the proxy */
	VRNET_REASON_DNS_RATE = 13,    /* a DNS query over the device's rate: dropped */
	VRNET_REASON_FRAGMENT = 14,    /* a later fragment whose first fragment did not pass */
	VRNET_REASON_SPOOFED = 15,     /* a source address or MAC the device is not bound to */
	VRNET_REASON_REPLY = 16,       /* a reply: the sandbox's to a connection opened into it, or
					* (inbound) a peer's to one the sandbox opened */
	VRNET_NR_REASONS
};

/* What a policy does with the packets it would drop. */
enum vrnet_mode {
	VRNET_MODE_ENFORCE = 0, /* drop them */
	VRNET_MODE_AUDIT = 1,	/* pass them, count them and log them */
};

/*
 * skb->cb words the program writes for `check`: the reason, the deciding
 * rule, and what enforce mode does (an audit-mode policy passes packets it
 * would drop).
 */
#define VRNET_CB_REASON 0
#define VRNET_CB_RULE 1
#define VRNET_CB_ENFORCE_ACTION 2

/* A probe run by `check` sets this mark: it is evaluated but not counted. */
#define VRNET_PROBE_MARK 0x76726e74 /* "vrnt" */

/*
 * XDP metadata before a probe's frame (the XDP program has no mark, and no
 * cb): the mark, then room for the verdict the program writes there. Only
 * the copy of the program `check` runs reads it: a frame from a device can
 * come with metadata its sender's XDP program wrote.
 */
struct vrnet_xdp_probe {
	__u32 mark; /* VRNET_PROBE_MARK */
	__u32 reason;
	__u32 rule_id;
	__u32 enforce_action;
};

/* vrnet_devices: a device -> its slot (__u32), from attach to detach. */
struct vrnet_device_key {
	__u64 netns_cookie; /* SO_NETNS_COOKIE of the device's network namespace */
	__u32 ifindex;
	__u32 pad;
};

/*
 * vrnet_records: what decides a packet's verdict on a device, immutable while
 * the device's word in vrnet_switch names it. Record ids of slot S are
 * 2S+1 and 2S+2 (two banks: the one in force and the next). A word's lower 32
 * bits are the record id; its upper 32 count the slot's changes, which the
 * datapath ignores: a word read again and unchanged means nothing changed
 * (the DNS proxy keeps what it read of a device until then).
 */
struct vrnet_record {
	__u32 policy_id;	/* 0: none (the device drops everything) */
	/*
	 * Edits (allow/block) go into an overlay: a second, small policy whose
	 * rules are unioned with the base policy's, rule ids continuing after
	 * the base's. 0: none. An apply folds it into a new base.
	 */
	__u32 overlay_id;
	__u32 slot;		/* index into vrnet_stats, vrnet_limits, vrnet_switch */
	__u8 default_action;	/* enum vrnet_action */
	__u8 internet;		/* enum vrnet_internet */
	__u8 mode;		/* enum vrnet_mode */
	__u8 log_allowed;	/* allowed flows produce events too */
	/* events: a token bucket of event_rate per second, event_burst deep */
	__u32 event_rate;	/* 0: no events */
	__u32 event_burst;
	__u64 event_interval_ns; /* 1e9 / event_rate */
	__u64 event_tolerance_ns; /* event_interval_ns * (event_burst - 1) */
	__u8 host_mac[6];	/* the host-side device's MAC: where unicast ARP may go */
	__u8 dns_proxy;		/* DNS queries go to the proxy (docs/dns-proxy.md) */
	__u8 binding;		/* VRNET_BIND_*: what the sandbox's frames must come from */
	__u8 bound_mac[6];	/* VRNET_BIND_MAC: the sandbox's MAC */
	/* the overlay removes rules of the base: their entries are in vrnet_removed */
	__u8 overlay_removes;
	__u8 inbound;		/* enum vrnet_inbound: what the host may send into the sandbox */
	/* DNS queries to the proxy: a token bucket of dns_rate per second, dns_burst deep */
	__u32 dns_rate;
	__u32 dns_burst;
	__u64 dns_interval_ns;	/* 1e9 / dns_rate */
	__u64 dns_tolerance_ns;	/* dns_interval_ns * (dns_burst - 1) */
	/*
	 * The slot's change count it was switched in with (its word's upper 32
	 * bits then): no other record of the slot had it. A flow the sandbox
	 * opened notes the change it was judged under (vrnet_own_note).
	 */
	__u32 change;
	__u32 pad;
};

/*
 * Source binding (`attach DEV --address ... --mac ... --dhcp`): what a bound
 * sandbox may send from. Its addresses and prefixes are in vrnet_bound4/6
 * under its slot; its MAC, and whether it may ask DHCP from 0.0.0.0, in its
 * record.
 */
enum vrnet_binding {
	VRNET_BIND_ADDRESS = 1, /* IP sources (and ARP/ND's) must be in vrnet_bound4/6 */
	VRNET_BIND_MAC = 2,	/* frames, ARP and ND options must carry bound_mac */
	VRNET_BIND_DHCP = 4,	/* DHCP from 0.0.0.0:68 to 255.255.255.255:67 passes */
};

static inline __u32 vrnet_record_id(__u32 slot, __u32 bank)
{
	return 2 * slot + 1 + (bank & 1);
}

/* vrnet_devinfo (by slot): the loader's own notes on a device; no packet reads them. */
/*
 * vrnet_devinfo.in_use while an attach has not yet added the device's key:
 * the recovery looks up the key of such a slot, or of one detaching, and of
 * no other (a lookup for every device at every change would not scale).
 */
#define VRNET_SLOT_ATTACHING 2

struct vrnet_devinfo {
	__u64 netns_cookie;
	__u64 netns_inode;	/* of /proc/self/ns/net when attached: to find it again */
	__u32 ifindex;
	__u8 in_use;		/* 0, 1, or VRNET_SLOT_ATTACHING */
	__u8 created_qdisc;	/* the loader created the clsact qdisc */
	__u8 detaching;		/* a detach began: the next change finishes it */
	__u8 tcx;		/* attached by a tcx link (else clsact + cls_bpf) */
	char ifname[16];
	__u8 rebinding;		/* a bind began: the next change removes its leaving prefixes */
	__u8 xdp;		/* enum vrnet_xdp_mode: the XDP mode's program on the device */
	__u8 pad[6];
};

/* vrnet_devinfo.xdp: XDP mode (bpf/vrnet_xdp.bpf.c), before the tc program, or not. */
enum vrnet_xdp_mode {
	VRNET_XDP_NONE = 0,    /* tc mode: the tc program alone */
	VRNET_XDP_NATIVE = 1,  /* in the driver, before the kernel builds an skb */
	VRNET_XDP_GENERIC = 2, /* generic XDP, on the skb (asked for by name only) */
};

/*
 * vrnet_policies (by policy id): written before the first entry of a policy
 * and deleted after its last, so it is also the intent record of a change: a
 * policy no device's record names, found by the next change, was left by a
 * command that died, and is removed. An id is never reused while it has one.
 */
struct vrnet_policy_info {
	__u32 rule_count;	/* records in vrnet_rules: ids 0..count-1 */
	__u32 portset_count;	/* portsets: ids 0..count-1 */
	__u32 dns_count;	/* rules that came from the policy's "dns" list */
	__u32 source_rules;	/* rules as written (records less resolved addresses) */
	__u32 removed_rules;	/* an overlay's: rules of its base it removes */
	__u32 pad;
	__u64 applied_ns;	/* CLOCK_REALTIME when it was written */
};

/* vrnet_bound4/6: a source prefix the device in @slot is bound to (value: a __u8 1). */
struct vrnet_bound4_key {
	__u32 prefixlen; /* 32 (slot) + address bits */
	__u32 slot;
	__u8 addr[4];
};

struct vrnet_bound6_key {
	__u32 prefixlen; /* 32 (slot) + address bits */
	__u32 slot;
	__u8 addr[16];
};

/*
 * vrnet_bindings (by slot): the loader's note of what it wrote for a bound
 * device into vrnet_bound4/6 (the addresses as given, and the link-local
 * address its MAC gives), so show can list them and forget can delete them.
 * No packet reads it. Written before the entries it lists, and rewritten
 * after the leaving ones are gone: it never lists less than the maps hold.
 */
struct vrnet_bound_prefix {
	__u8 family;	/* 4 or 6 */
	__u8 prefixlen;
	__u8 from_mac;	/* fe80::/64 + the MAC's interface id, added for --mac */
	__u8 leaving;	/* in the maps still, but no longer bound: a bind is under way */
	__u8 addr[16];
};

/* A device's prefixes, and the MAC's link-local address; during a bind, the leaving ones too. */
#define VRNET_BINDING_NOTE_MAX (2 * (VRNET_MAX_BOUND_ADDRS + 1))

struct vrnet_binding_note {
	__u32 count;
	struct vrnet_bound_prefix prefixes[VRNET_BINDING_NOTE_MAX];
};

struct vrnet_lpm4_key {
	__u32 prefixlen; /* 32 (policy id) + address bits */
	__u32 policy_id;
	__u8 addr[4];
};

struct vrnet_lpm6_key {
	__u32 prefixlen; /* 32 (policy id) + address bits */
	__u32 policy_id;
	__u8 addr[16];
};

/*
 * vrnet_host4/6: full-length prefixes (/32, /128), looked up before the trie.
 * An exact match is the longest match there can be, and a hash lookup costs
 * the same at a million addresses as at ten; the trie then holds only the
 * shorter prefixes (and hosts that did not fit the hash).
 */
struct vrnet_host4_key {
	__u32 policy_id;
	__u8 addr[4];
};

struct vrnet_host6_key {
	__u32 policy_id;
	__u8 addr[16];
};

struct vrnet_prefix_value {
	__u32 portset_id;
	__u32 rule_id; /* the rule of entries marked VRNET_RULE_ID_OWN */
};

/*
 * A portset entry whose rule is the prefix's own: many prefixes with one rule
 * each (100,000 allowed addresses on 443/tcp) then share a single portset.
 */
#define VRNET_RULE_ID_OWN 0xffffffffu

/* One (protocol, destination port range, action) with the rule it came from. */
struct vrnet_port_entry {
	__u16 port_lo;
	__u16 port_hi;
	__u8 proto;  /* enum vrnet_proto */
	__u8 action; /* enum vrnet_action */
	__u8 any_port; /* the rule names no port: matches packets without one */
	/*
	 * Loader only: the entry stands for same-match entries of other rules
	 * too (folded together), so removing its rule alone needs a re-apply.
	 */
	__u8 hides;
	__u32 rule_id;
};

struct vrnet_portset_key {
	__u32 policy_id;
	__u32 portset_id;
};

struct vrnet_portset {
	__u32 count;
	struct vrnet_port_entry entries[VRNET_MAX_PORTSET_ENTRIES];
};

/* Kinds of rule records kept so the policy can be shown and edited. */
enum vrnet_rule_kind {
	VRNET_RULE_CIDR = 1,	 /* an address or prefix written in the policy */
	VRNET_RULE_DOMAIN = 2,	 /* a domain name; its name is in vrnet_names */
	VRNET_RULE_RESOLVED = 3, /* an address the preceding domain resolved to */
	VRNET_RULE_REMOVED = 4,	 /* in an overlay: base rule @parent is removed (vrnet_removed) */
};

/* Where a rule came from in the policy. */
enum vrnet_rule_list {
	VRNET_LIST_ALLOW = 1,
	VRNET_LIST_BLOCK = 2,
	VRNET_LIST_DNS = 3,
	VRNET_LIST_INBOUND_ALLOW = 4, /* "inbound": {"allow": [...]} */
	VRNET_LIST_INBOUND_BLOCK = 5, /* "inbound": {"block": [...]} */
};

static inline int vrnet_list_is_inbound(int list)
{
	return list == VRNET_LIST_INBOUND_ALLOW || list == VRNET_LIST_INBOUND_BLOCK;
}

static inline int vrnet_list_blocks(int list)
{
	return list == VRNET_LIST_BLOCK || list == VRNET_LIST_INBOUND_BLOCK;
}

/*
 * vrnet_names: the name of a DOMAIN record. vrnet_removed: a rule of a base
 * policy that the overlay @policy_id removes (`unallow`, `unblock`): the
 * datapath skips its entries, so the next entry covering the destination, or
 * the default, decides, as it would with the rule gone from the policy.
 */
struct vrnet_rule_key {
	__u32 policy_id;
	__u32 rule_id;
};

struct vrnet_rule {
	__u8 kind;	/* enum vrnet_rule_kind */
	__u8 list;	/* enum vrnet_rule_list */
	__u8 proto;	/* enum vrnet_proto */
	__u8 family;	/* 4 or 6 for CIDR/RESOLVED, 0 for DOMAIN */
	__u8 prefixlen;
	__u8 any_port;
	__u16 port_lo;
	__u16 port_hi;
	__u16 pad;
	__u32 parent;	/* RESOLVED: rule id of its DOMAIN record */
	__u8 addr[16];	/* IPv4 in the first 4 bytes */
};

/*
 * vrnet_rules holds the records in chunks: record N of a policy is entry
 * N % VRNET_RULES_PER_CHUNK of chunk N / VRNET_RULES_PER_CHUNK. Writing and
 * removing 100,000 records is then a few thousand map operations.
 */
struct vrnet_chunk_key {
	__u32 policy_id;
	__u32 chunk;
};

struct vrnet_rule_chunk {
	struct vrnet_rule rules[VRNET_RULES_PER_CHUNK];
};

struct vrnet_name {
	char name[VRNET_MAX_NAME_LEN];
};

/* vrnet_programs (by network namespace cookie): which build its pinned program is. */
struct vrnet_program {
	__u64 build; /* FNV-1a of the BPF object the loader embeds */
};

/* vrnet_hostaddrs: an IPv6 address the host has on an attached device. */
struct vrnet_hostaddr_key {
	__u32 slot;
	__u8 addr[16];
};

/* vrnet_stats: per-CPU counters, indexed by vrnet_device.slot. */
struct vrnet_stats {
	__u64 allowed_packets; /* passed, audited ones included */
	__u64 allowed_bytes;
	__u64 dropped_packets;
	__u64 dropped_bytes;
	__u64 audited_packets; /* passed only because the policy is in audit mode */
	__u64 audited_bytes;
	__u64 events_lost;     /* the ring buffer was full */
	/* what the host sent into the sandbox that the inbound policy judged */
	__u64 inbound_allowed_packets;
	__u64 inbound_allowed_bytes;
	__u64 inbound_dropped_packets;
	__u64 inbound_dropped_bytes;
};

/* vrnet_limits: the event token bucket of a device, indexed by its slot. */
struct vrnet_limiter {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 tat;		/* theoretical arrival time of the next event (GCRA) */
	__u64 suppressed;	/* events held back by the rate limit, ever */
};

/*
 * vrnet_quiet (per CPU, by slot): this CPU found the device's bucket empty;
 * until a token can exist again, its blocked attempts are counted here and
 * cost neither the flow table nor the spin lock.
 */
struct vrnet_quiet {
	__u64 until_ns;	  /* ktime when the bucket can hold a token again */
	__u64 suppressed; /* attempts this CPU held back so */
};

/* vrnet_flows: when a UDP/ICMP flow was last seen (ktime ns). */
struct vrnet_flow_key {
	__u32 slot;
	__u8 family;
	__u8 proto;
	__u16 sport;
	__u16 dport;
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

/*
 * vrnet_conns (key: vrnet_flow_key as the sandbox's replies carry it): a
 * connection opened into the sandbox, seen by the device's tc egress program
 * (host to sandbox), so the sandbox's replies pass (reason reply) where the
 * policy's default would drop them. TCP opens with a SYN and is established
 * by the sandbox's SYN-ACK; UDP by any datagram in, established by one out;
 * ICMP echo by a request in (by id). Idle longer than its state's timeout,
 * an entry no longer counts. Each device's table is its own LRU of
 * VRNET_DEVICE_CONNS, in the array vrnet_conns by slot.
 */
enum vrnet_conn_state {
	VRNET_CONN_OPENING = 1,	    /* the peer's first packet: no answer yet */
	VRNET_CONN_ESTABLISHED = 2, /* the sandbox answered */
	VRNET_CONN_CLOSING = 3,	    /* a FIN or RST, either way */
};

#define VRNET_CONN_OPENING_NS 30000000000ull	  /* unanswered TCP SYN, UDP, echo request */
#define VRNET_CONN_TCP_IDLE_NS 3600000000000ull	  /* an established TCP connection */
#define VRNET_CONN_UDP_IDLE_NS 180000000000ull	  /* a UDP flow both ways; the sandbox's own */
#define VRNET_CONN_CLOSING_NS 10000000000ull	  /* after a FIN or RST */

struct vrnet_conn {
	__u64 seen_ns; /* bpf_ktime_get_coarse_ns() of its last packet, either way */
	__u8 state;    /* enum vrnet_conn_state */
	__u8 pad[7];
};

/*
 * vrnet_ownnotes (key: vrnet_flow_key, the sandbox's source first): a flow
 * the sandbox opened under its egress policy: a UDP datagram, a TCP SYN,
 * and under an inbound policy an echo request. Its peers' answers open no
 * connection into the sandbox, and under an inbound policy they pass that
 * policy (reason reply) while the egress policy passes the flow. A note
 * lives as long as its protocol's idle timeout (TCP's, UDP's; echo's is
 * the opening one), refreshed by the sandbox's datagrams, SYNs and echo
 * requests, by the peers' datagrams and echo requests on it, and under an
 * inbound policy by the peers' packets it lets in. Each device's table is
 * its own LRU of VRNET_DEVICE_OWN_NOTES, in the array vrnet_ownnotes by
 * slot: peers opening connections into the sandbox push none of its notes
 * out, and its flows push out none of those connections.
 */
struct vrnet_own_note {
	__u64 seen_ns; /* bpf_ktime_get_coarse_ns() of its last packet, either way */
	/*
	 * The flow's last judgement, one word stored at once (two CPUs judging
	 * it interleave no fields): under which record (its change, bits
	 * 63-32), when (now >> VRNET_CONN_JUDGED_SHIFT, 16 bits, 31-16), and
	 * whether its egress policy passed it (bit 0). A peer's packet on it
	 * passes an inbound part while change and tick are now's and it
	 * passed; otherwise the flow is judged again.
	 */
	__u64 judged;
};

/* A flow the sandbox opened is judged again at most every 2^30 ns (1.07 s), and at every change. */
#define VRNET_CONN_JUDGED_SHIFT 30
#define VRNET_JUDGED(change, tick, pass)                                                 \
	(((__u64)(change) << 32) | ((__u64)(__u16)(tick) << 16) | ((pass) ? 1 : 0))
#define VRNET_JUDGED_PASS(judged) ((judged) & 1)
/*
 * Bit 1: the sandbox's own packet judged it (conntrack.h, own_note_renew())
 * and marked its vrnet_ownflows buckets in that tick. A tick of judgements
 * lies within one tick of marks (2^30 divides 2^32): while the word stays
 * now's, the flow's later packets mark nothing again.
 */
#define VRNET_JUDGED_MARKED 2ull
#define VRNET_JUDGED_WHEN(judged) ((judged) >> 16) /* change and tick: what must be now's */
#define VRNET_JUDGED_CHANGE(judged) ((__u32)((judged) >> 32))

/*
 * vrnet_ownflows (by slot, a one-element array each): the UDP flows and TCP
 * connections the sandbox started lately, beside vrnet_ownnotes's notes,
 * which the sandbox can push out by opening flows: a mark it cannot take
 * back. A flow marks two buckets (vrnet_own_flow_hash() of its
 * vrnet_flow_key) with the time, in ticks of 2^32 ns (about 4.3 s; 0: never
 * marked), and counts
 * as the sandbox's while both were marked within VRNET_OWNFLOW_LIFE_TICKS
 * (300 s). A peer's packet that would open a connection into the sandbox on
 * such a flow opens none and marks it again, so a peer that keeps a NAT
 * mapping of the sandbox's flow alive never turns that flow into a
 * connection into the sandbox. A mark is a plain store of the time: no CPU
 * undoes another's, and nothing is ever cleared. A flow whose two buckets
 * other flows marked (a collision: about (2n/16384)^2 with n flows started
 * in the last 300 s) only keeps a peer's opening packet from opening: fail
 * closed.
 */
#define VRNET_OWNFLOW_BUCKETS 16384
#define VRNET_OWNFLOW_TICK_SHIFT 32
#define VRNET_OWNFLOW_LIFE_TICKS 70 /* 70 * 2^32 ns: 300.6 s */
/* a mark up to this many ticks ahead of a CPU's clock counts: coarse clocks differ by a tick */
#define VRNET_OWNFLOW_SKEW_TICKS 2

struct vrnet_ownflows {
	__u16 seen[VRNET_OWNFLOW_BUCKETS]; /* the tick of its latest mark (16 bits, never 0) */
};

/* Two buckets' indexes of a flow key's words @w (@n of them): FNV-1a, then a finalizer. */
static inline __u32 vrnet_own_flow_hash(const __u32 *w, int n)
{
	__u32 h = 2166136261u;

	for (int i = 0; i < n; i++)
		h = (h ^ w[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

#define VRNET_OWNFLOW_FIRST(h) ((h) & (VRNET_OWNFLOW_BUCKETS - 1))
#define VRNET_OWNFLOW_SECOND(h) (((h) >> 18) & (VRNET_OWNFLOW_BUCKETS - 1))

/*
 * The DNS proxy's end of a network namespace (docs/dns-proxy.md): the device
 * pair vrdns0/vrdns1, NOARP; the proxy listens on VRNET_DNS_PROXY4/6 on
 * vrdns0, and the queries of the device in slot S come from the client
 * address VRNET_DNS_CLIENT4(S) or the client prefix's host 2 + S.
 */
#define VRNET_DNS_DEV "vrdns0"
#define VRNET_DNS_PEER "vrdns1"
#define VRNET_DNS_PROXY4 0xc6120001u /* 198.18.0.1; 198.18.0.0/15 is the client prefix */
#define VRNET_DNS_CLIENT4(slot) (0xc6120002u + (slot))
#define VRNET_DNS_PREFIX6 { 0xfd, 0x76, 0x72, 0x6e, 0x65, 0x74, 0x53, 0x53 } /* /64 */
#define VRNET_DNS_PORT 53
/*
 * DNS queries a device may send to the proxy (vrnet_dnsrate, GCRA; the
 * policy's "dns_rate"): what is over is dropped in the datapath, before the
 * proxy's socket queue that all devices of a namespace share, so a flood
 * cannot starve a neighbour.
 */
#define VRNET_DEFAULT_DNS_RATE 1000 /* per second */
#define VRNET_DEFAULT_DNS_BURST 500
#define VRNET_MAX_DNS_RATE 1000000

/* vrnet_dnsnetns (by network namespace cookie): where its proxy device is. */
struct vrnet_dnsnetns {
	__u32 ifindex;	/* of vrdns0 */
	__u8 mac[6];	/* vrdns0's: the steered query's destination */
	__u8 pad[2];
};

/* vrnet_dnsflows: a steered query's way back, by the client address's slot and port. */
struct vrnet_dnsflow_key {
	__u32 slot;
	__u16 port;	/* the sandbox's source port, network order */
	__u8 family;
	__u8 proto;
};

/*
 * vrnet_frags: a datagram's first fragment's verdict, for its later
 * fragments (no transport header to judge): noted when it passed (in audit
 * mode, when the rules decided it either way). In the device's own LRU of
 * VRNET_DEVICE_FRAGS (the array vrnet_frags, by slot); good under the
 * policies in force then (a change in between drops the rest) for
 * VRNET_FRAG_LIFE_NS.
 */
struct vrnet_frag_key {
	__u32 slot;
	__u32 id;     /* IPv4 identification, or the IPv6 fragment header's */
	__u8 family;
	__u8 proto;   /* the datagram's transport protocol */
	__u8 inbound; /* sent into the sandbox (else by it) */
	__u8 pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct vrnet_frag {
	__u64 noted_ns;		     /* bpf_ktime_get_ns() of the first fragment */
	__u32 change;		     /* the record in force then (vrnet_record.change) */
	__u32 pad32;
	__u32 rule_id;		     /* and the verdict's rule, reason and action */
	__u16 reason;
	__u8 action;
	__u8 pad;
};

struct vrnet_dnsflow {
	__u8 saddr[16]; /* the sandbox's address */
	__u8 daddr[16]; /* the server it asked */
	__u8 smac[6];	/* the sandbox's MAC */
	__u8 dmac[6];	/* the MAC it sent to */
	__u32 ifindex;	/* its device */
};

/*
 * vrnet_dnsaddrs: an address answers of the DNS proxy opened for a device:
 * per name rule whose answer gave it (a CDN's address may be two names'),
 * with that rule's ports and protocol, until that opening expires. Only for
 * the base policy it was opened under (an apply renumbers rules), or the one
 * an apply carries it over from, until that apply's switch is done.
 */
struct vrnet_dnsaddr_key {
	__u32 slot;
	__u8 family;
	__u8 pad[3];
	__u8 addr[16];
};

#define VRNET_DNSADDR_RULES 4 /* name rules an address may be open under at once */

struct vrnet_dnsaddr_opening {
	__u64 expires_ns; /* bpf_ktime_get_ns(); 0: a free place */
	struct vrnet_port_entry entry; /* the name rule's ports, protocol and id */
	__u32 pad;
};

struct vrnet_dnsaddr {
	__u32 policy_id;
	__u32 prev_policy_id; /* also good for, while an apply carries it over (or policy_id) */
	struct vrnet_dnsaddr_opening by_rule[VRNET_DNSADDR_RULES];
};

/* vrnet_dnsstats (by slot): what the DNS proxy did with the device's queries. */
struct vrnet_dnsstats {
	__u64 answered;		 /* asked upstream and answered */
	__u64 refused;		 /* no rule allows the name: never asked upstream */
	__u64 failed;		 /* the upstream failed, or the answer was over a bound */
	__u64 dropped;		 /* over the device's bound of queries in flight */
	__u64 events_suppressed; /* refusals the device's event rate held back */
};

#define VRNET_DNSLOG_EVENTS 1024 /* refusals queued for `log` */
#define VRNET_DNS_NAME_TEXT 256	 /* a name in presentation format, NUL included */

/* vrnet_dnslog (a queue: the proxy pushes, `log` pops): a query the proxy refused. */
struct vrnet_dns_event {
	__u64 timestamp_ns; /* CLOCK_MONOTONIC */
	__u32 slot;
	__u32 policy_id;
	__u32 rule_id;	    /* the name rule that refused it; VRNET_DNS_NO_RULE: the default */
	__u16 qtype;
	__u8 rcode;	    /* what the sandbox got: NXDOMAIN (3) or REFUSED (5) */
	__u8 pad;
	char name[VRNET_DNS_NAME_TEXT];
};

#define VRNET_DNS_NO_RULE 0xffffffffu

/* vrnet_rulehits (per CPU): packets decided by a rule. */
struct vrnet_rulehit_key {
	__u32 policy_id;
	__u32 rule_id;
};

/* One blocked (or audited, or logged allowed) attempt, in vrnet_events. */
struct vrnet_event {
	__u64 timestamp_ns;	 /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 suppressed_total;	 /* the device's suppressed events so far */
	__u32 ifindex;
	__u32 slot;		 /* the device's slot: ifindexes repeat across namespaces */
	__u32 policy_id;
	__u32 rule_id;
	__u32 reason;		 /* enum vrnet_reason */
	__u32 len;
	__u16 sport;
	__u16 dport;
	__u8 family;		 /* 4, 6, or 0 for a frame that is not IP */
	__u8 l4_proto;		 /* IP protocol */
	__u8 has_ports;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 action;		 /* enum vrnet_action: what happened to the packet */
	__u8 audit;		 /* passed only because of audit mode */
	__u8 inbound;		 /* sent into the sandbox, judged by the inbound policy */
	__u8 pad[4];
	__u8 smac[6];		 /* the frame's source MAC */
	__u8 arp;		 /* an ARP frame: family 4, its sender and target addresses */
	__u8 pad2;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* vrnet_config[0]: host-wide state of the loader. */
struct vrnet_config {
	__u32 next_policy_id;
	__u32 unsettled; /* a switch is under way: the next change waits a grace period */
	/*
	 * The program build (vr_program_build()) whose map layouts these maps
	 * were last found to have: a command of that build skips comparing them.
	 */
	__u64 checked_build;
	/*
	 * Every slot in use is below this (a high-water mark, never lowered):
	 * raised before a slot at or above it is taken, so a scan of the slots
	 * (the recovery every change runs) stops here, not at VRNET_MAX_DEVICES.
	 */
	__u32 slots_used;
	__u32 pad;
};

#endif /* VRNET_COMMON_H */
