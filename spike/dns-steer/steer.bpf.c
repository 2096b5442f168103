#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
struct flow_key { __u32 client; __u16 port; __u8 proto; __u8 pad; };
struct flow { __u32 saddr, daddr; __u8 smac[6], dmac[6]; };
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 4096); __type(key, struct flow_key); __type(value, struct flow); } flows SEC(".maps");
const volatile __u32 proxy_addr = 0, client_addr = 0; /* network order */
const volatile __u32 dummy_ifindex = 0, dev_ifindex = 0;
const volatile __u8 dummy_mac[6] = {};
#define IP_CSUM_OFF (14 + offsetof(struct iphdr, check))
#define IP_SRC_OFF (14 + offsetof(struct iphdr, saddr))
#define IP_DST_OFF (14 + offsetof(struct iphdr, daddr))

static __always_inline int rewrite(struct __sk_buff *skb, __u8 proto, __u32 l4csum_off, __u32 old_s, __u32 new_s, __u32 old_d, __u32 new_d)
{
	__u64 flags = BPF_F_PSEUDO_HDR | sizeof(__u32);
	if (proto == IPPROTO_UDP) flags |= BPF_F_MARK_MANGLED_0;
	bpf_l4_csum_replace(skb, l4csum_off, old_s, new_s, flags);
	bpf_l4_csum_replace(skb, l4csum_off, old_d, new_d, flags);
	bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_s, new_s, 4);
	bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_d, new_d, 4);
	bpf_skb_store_bytes(skb, IP_SRC_OFF, &new_s, 4, 0);
	bpf_skb_store_bytes(skb, IP_DST_OFF, &new_d, 4, 0);
	return 0;
}

SEC("tc") int steer_in(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data; struct iphdr *ip = data + 14; struct flow f = {}; struct flow_key k = {};
	__u16 *ports; __u32 l4csum;
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(0x0800) || ip->ihl != 5) return TC_ACT_OK;
	if (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_TCP) return TC_ACT_OK;
	ports = (void *)(ip + 1);
	if ((void *)(ports + 2) > end || ports[1] != bpf_htons(53)) return TC_ACT_OK;
	k.client = client_addr; k.port = ports[0]; k.proto = ip->protocol;
	f.saddr = ip->saddr; f.daddr = ip->daddr;
	__builtin_memcpy(f.smac, eth->h_source, 6); __builtin_memcpy(f.dmac, eth->h_dest, 6);
	bpf_map_update_elem(&flows, &k, &f, BPF_ANY);
	l4csum = 34 + (ip->protocol == IPPROTO_UDP ? 6 : 16);
	rewrite(skb, k.proto, l4csum, f.saddr, client_addr, f.daddr, proxy_addr);
	bpf_skb_store_bytes(skb, 0, (void *)dummy_mac, 6, 0);
	return bpf_redirect(dummy_ifindex, BPF_F_INGRESS);
}

SEC("tc") int steer_back(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data; struct iphdr *ip = data + 14; struct flow *f; struct flow_key k = {};
	__u16 *ports; __u8 macs[12];
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(0x0800) || ip->ihl != 5) return TC_ACT_SHOT;
	if (ip->saddr != proxy_addr || (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_TCP)) return TC_ACT_SHOT;
	ports = (void *)(ip + 1);
	if ((void *)(ports + 2) > end || ports[0] != bpf_htons(53)) return TC_ACT_SHOT;
	k.client = ip->daddr; k.port = ports[1]; k.proto = ip->protocol;
	f = bpf_map_lookup_elem(&flows, &k);
	if (!f) return TC_ACT_SHOT;
	rewrite(skb, k.proto, 34 + (k.proto == IPPROTO_UDP ? 6 : 16), proxy_addr, f->daddr, k.client, f->saddr);
	__builtin_memcpy(macs, f->smac, 6); __builtin_memcpy(macs + 6, f->dmac, 6);
	bpf_skb_store_bytes(skb, 0, macs, 12, 0);
	return bpf_redirect(dev_ifindex, 0);
}
char LICENSE[] SEC("license") = "GPL";
