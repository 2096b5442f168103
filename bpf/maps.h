/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* BTF-defined maps, pinned by name so every attached device shares them. */
#ifndef VRNET_BPF_MAPS_H
#define VRNET_BPF_MAPS_H

/*
 * A device -> its slot. An entry is written at attach and deleted at detach,
 * never changed in between; a detach waits a grace period before the slot or
 * the element can serve another device.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, struct vrnet_device_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_devices SEC(".maps");

/*
 * The one word a change stores: slot -> id of the record in force (0: none).
 * Mappable, so the loader stores it with one atomic write. 64 bits: an
 * array's elements are 8-byte aligned, in the mapping as well.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_switch SEC(".maps");

/* Records, written while no word names them (see vrnet_common.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VRNET_MAX_RECORDS);
	__type(key, __u32);
	__type(value, struct vrnet_record);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_records SEC(".maps");

/* Read by the loader only (mapped, to scan it cheaply): its notes on each device, by slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct vrnet_devinfo);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_devinfo SEC(".maps");

/* Read by the loader only: the build of each namespace's program (for upgrade). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64); /* network namespace cookie */
	__type(value, struct vrnet_program);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_programs SEC(".maps");

/* Read by the loader only: what each stored policy holds (the intent record). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_POLICIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct vrnet_policy_info);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_policies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VRNET_MAX_PREFIXES_PER_FAMILY);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_lpm4_key);
	__type(value, struct vrnet_prefix_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_lpm4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VRNET_MAX_PREFIXES_PER_FAMILY);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_lpm6_key);
	__type(value, struct vrnet_prefix_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_lpm6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_HOSTS_PER_FAMILY);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_host4_key);
	__type(value, struct vrnet_prefix_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_host4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_HOSTS_PER_FAMILY);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_host6_key);
	__type(value, struct vrnet_prefix_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_host6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_PORTSETS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_portset_key);
	__type(value, struct vrnet_portset);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_portsets SEC(".maps");

/* Read by the loader only: the policy as written, for show and edits. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_RULES / VRNET_RULES_PER_CHUNK);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_chunk_key);
	__type(value, struct vrnet_rule_chunk);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_NAMES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_rule_key);
	__type(value, struct vrnet_name);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_names SEC(".maps");

/* Base rules an overlay removes (vrnet_common.h, struct vrnet_rule_key): value 1. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_REMOVED);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_rule_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_removed SEC(".maps");

/* The host's IPv6 addresses on each attached device (see neighbour.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_HOST_ADDRS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_hostaddr_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_hostaddrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, __u32); /* vrnet_record.slot */
	__type(value, struct vrnet_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vrnet_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_config SEC(".maps");

/* Events of blocked (and audited, or logged allowed) attempts. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, VRNET_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, __u32); /* vrnet_record.slot */
	__type(value, struct vrnet_limiter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_limits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, __u32); /* vrnet_record.slot */
	__type(value, struct vrnet_quiet);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_quiet SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VRNET_MAX_FLOWS);
	__type(key, struct vrnet_flow_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, VRNET_MAX_RULE_COUNTERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_rulehit_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_rulehits SEC(".maps");

/* The DNS proxy's device per network namespace (written by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, __u64);
	__type(value, struct vrnet_dnsnetns);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_dnsnetns SEC(".maps");

/* Addresses the DNS proxy's answers opened, per device (written by the proxy). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_DNS_ADDRS);
	__type(key, struct vrnet_dnsaddr_key);
	__type(value, struct vrnet_dnsaddr);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_dnsaddrs SEC(".maps");

/*
 * Per device, by slot: its own LRU tables, which no other device's traffic
 * can push its entries out of. The loader puts in fresh ones when a slot
 * starts and takes them out when it is freed; a slot without is tracked by
 * nothing (its later fragments and replies are dropped).
 */
struct vrnet_device_frags {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VRNET_DEVICE_FRAGS);
	/* sizes, not types: clang's BTF has only declarations of them here */
	__uint(key_size, sizeof(struct vrnet_frag_key));
	__uint(value_size, sizeof(struct vrnet_frag));
};

struct vrnet_device_conns {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VRNET_DEVICE_CONNS);
	__uint(key_size, sizeof(struct vrnet_flow_key));
	__uint(value_size, sizeof(struct vrnet_conn));
};

/* Datagrams whose first fragment passed (vrnet_common.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct vrnet_device_frags); /* last: a flexible array */
} vrnet_frags SEC(".maps");

/* The UDP flows and TCP connections each sandbox started lately (vrnet_common.h): one element, key 0. */
struct vrnet_device_ownflows {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct vrnet_ownflows));
};

/* By slot: a device's table is made with the slot, so no device pays for another's. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct vrnet_device_ownflows); /* last: a flexible array */
} vrnet_ownflows SEC(".maps");

/* Connections opened into sandboxes, for their replies (vrnet_common.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct vrnet_device_conns); /* last: a flexible array */
} vrnet_conns SEC(".maps");

struct vrnet_device_own_notes {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VRNET_DEVICE_OWN_NOTES);
	__uint(key_size, sizeof(struct vrnet_flow_key));
	__uint(value_size, sizeof(struct vrnet_own_note));
};

/* The flows sandboxes opened (vrnet_common.h), by slot, beside their connections in. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct vrnet_device_own_notes); /* last: a flexible array */
} vrnet_ownnotes SEC(".maps");

/*
 * The source prefixes of bound devices (vrnet_common.h, enum vrnet_binding),
 * by slot. Written before a record says the device is bound; the loader's
 * note of them is vrnet_bindings.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VRNET_MAX_DEVICES * (VRNET_MAX_BOUND_ADDRS + 1));
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_bound4_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_bound4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VRNET_MAX_DEVICES * (VRNET_MAX_BOUND_ADDRS + 1));
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vrnet_bound6_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_bound6 SEC(".maps");

/* Read by the loader only: what it bound each device to, by slot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct vrnet_binding_note);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_bindings SEC(".maps");

/* Steered DNS queries, for their answers' way back. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VRNET_MAX_FLOWS);
	__type(key, struct vrnet_dnsflow_key);
	__type(value, struct vrnet_dnsflow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_dnsflows SEC(".maps");

/* What the DNS proxy did with each device's queries (written by the proxy). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct vrnet_dnsstats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_dnsstats SEC(".maps");

/* Queries the DNS proxy refused, for `log` (the proxy pushes, log pops). */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, VRNET_DNSLOG_EVENTS);
	__type(value, struct vrnet_dns_event);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_dnslog SEC(".maps");

/* Each device's rate of DNS queries to the proxy (vrnet_limiter: tat, and queries over it). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VRNET_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct vrnet_limiter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrnet_dnsrate SEC(".maps");

#endif
