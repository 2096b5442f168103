// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vnetsend: one TCP SYN over IPv4 sent on a device through a packet socket
 * with PACKET_VNET_HDR, its checksum offloaded (NEEDS_CSUM): csum_start at
 * the TCP header, csum_offset as given. 16 is TCP's checksum field; 2 points
 * the checksum the kernel completes after the verdict at the destination
 * port. For the kernel-matrix guests, which have no Python.
 *
 * Usage: vnetsend DEV DST-MAC SRC-IPV4 DST-IPV4 DPORT CSUM-OFFSET
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ETH_LEN 14
#define IP_LEN 20
#define TCP_LEN 20

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int main(int argc, char **argv)
{
	struct {
		struct virtio_net_hdr vnet;
		uint8_t frame[ETH_LEN + IP_LEN + TCP_LEN];
	} __attribute__((packed)) m = { 0 };
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(0x0800) };
	uint8_t *ip = m.frame + ETH_LEN, *tcp = ip + IP_LEN;
	unsigned int mac[6];
	int one = 1, fd;

	if (argc != 7 || sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3],
				&mac[4], &mac[5]) != 6) {
		fprintf(stderr, "usage: vnetsend DEV DST-MAC SRC-IPV4 DST-IPV4 DPORT CSUM-OFFSET\n");
		return 2;
	}
	for (int i = 0; i < 6; i++)
		m.frame[i] = (uint8_t)mac[i];
	memcpy(m.frame + 6, "\x02\x76\x72\x00\x00\x0b", 6);
	put16(m.frame + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, IP_LEN + TCP_LEN);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	if (inet_pton(AF_INET, argv[3], ip + 12) != 1 || inet_pton(AF_INET, argv[4], ip + 16) != 1) {
		fprintf(stderr, "vnetsend: not IPv4 addresses: %s %s\n", argv[3], argv[4]);
		return 2;
	}
	put16(ip + 10, ip_checksum(ip, IP_LEN));
	put16(tcp, 40000);
	put16(tcp + 2, (uint16_t)atoi(argv[5]));
	tcp[12] = 5 << 4;
	tcp[13] = 0x02; /* SYN */
	put16(tcp + 14, 64240);
	m.vnet.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	m.vnet.csum_start = ETH_LEN + IP_LEN;
	m.vnet.csum_offset = (uint16_t)atoi(argv[6]);

	to.sll_ifindex = (int)if_nametoindex(argv[1]);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (!to.sll_ifindex || fd < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) ||
	    sendto(fd, &m, sizeof(m), 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)sizeof(m)) {
		perror("vnetsend");
		return 1;
	}
	close(fd);
	return 0;
}
