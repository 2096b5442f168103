// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tapflood: a MicroVM's flood, written the way a VMM writes its guest's
 * frames (bench/wire.sh's tap runs).
 *
 *   tapflood TAP SECONDS SRC_MAC DST_MAC SRC_IP DST_IP DPORT
 *	Opens TAP (an existing tap device) as Firecracker and QEMU do: a
 *	virtio-net header of 12 bytes before each frame (all zero: no
 *	offload), the descriptor non-blocking, the socket's send buffer
 *	unlimited, so the kernel takes the tap's fast path (its XDP program
 *	runs before it builds an skb). Writes one 60-byte Ethernet frame
 *	(IPv4, UDP from port 40000 to DPORT, 18 bytes of payload) as fast as
 *	it can for SECONDS, in the calling thread, where the kernel also
 *	receives it.
 *
 * Prints one JSON line: frames written per second, and the CPU time the
 * process spent per frame (user and system: the tap's receive path runs in
 * the write). Exit status 0, or 1 on an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define VNET_HDR_LEN 12
#define FRAME_LEN 60

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		      &mac[4], &mac[5]) == 6 ? 0 : -1;
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

/* The frame after its virtio-net header (zeroed by the caller). */
static int build(uint8_t *f, char **argv)
{
	struct in_addr src, dst;
	uint16_t csum;

	if (parse_mac(argv[4], f) || parse_mac(argv[3], f + 6) || !inet_aton(argv[5], &src) ||
	    !inet_aton(argv[6], &dst))
		return -1;
	f[12] = 0x08; /* IPv4 */
	f[14] = 0x45;
	f[16] = 0;
	f[17] = FRAME_LEN - 14;
	f[22] = 64;			 /* TTL */
	f[23] = 17;			 /* UDP */
	memcpy(f + 26, &src, 4);
	memcpy(f + 30, &dst, 4);
	csum = ip_checksum(f + 14, 20);
	f[24] = (uint8_t)(csum >> 8);
	f[25] = (uint8_t)csum;
	f[34] = 40000 >> 8;
	f[35] = 40000 & 0xff;
	f[36] = (uint8_t)(atoi(argv[7]) >> 8);
	f[37] = (uint8_t)atoi(argv[7]);
	f[39] = FRAME_LEN - 34; /* UDP length; no UDP checksum */
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t buf[VNET_HDR_LEN + FRAME_LEN] = { 0 };
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int fd, hdr = VNET_HDR_LEN, sndbuf = 0x7fffffff;
	unsigned long long written = 0, full = 0;
	double start, end, seconds;
	struct rusage ru;

	if (argc != 8) {
		fprintf(stderr,
			"usage: tapflood TAP SECONDS SRC_MAC DST_MAC SRC_IP DST_IP DPORT\n");
		return 1;
	}
	seconds = atof(argv[2]);
	if (build(buf + VNET_HDR_LEN, argv)) {
		fprintf(stderr, "tapflood: bad address\n");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETVNETHDRSZ, &hdr) ||
	    ioctl(fd, TUNSETSNDBUF, &sndbuf)) {
		fprintf(stderr, "tapflood: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	start = now();
	end = start + seconds;
	for (;;) {
		for (int i = 0; i < 1024; i++) {
			if (write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
				written++;
			else if (errno == EAGAIN || errno == ENOBUFS)
				full++;
			else {
				fprintf(stderr, "tapflood: write: %s\n", strerror(errno));
				return 1;
			}
		}
		if (now() >= end)
			break;
	}
	seconds = now() - start;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"pps\": %.0f, \"written\": %llu, \"refused\": %llu, \"cpu_ns_per_frame\": %.1f}\n",
	       (double)written / seconds, written, full,
	       written ? ((double)ru.ru_utime.tv_sec * 1e9 + ru.ru_utime.tv_usec * 1e3 +
			  (double)ru.ru_stime.tv_sec * 1e9 + ru.ru_stime.tv_usec * 1e3) /
				 (double)written :
			 0.0);
	close(fd);
	return 0;
}
