// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dnsecho: the floor of the DNS proxy's path (bench/dns.sh). It sits where
 * the proxy would, on the proxy's address, and sends every query straight
 * back marked as an answer (QR set, nothing else changed): the steering,
 * the two sockets' work and the return program, and none of the proxy's own.
 * One recvfrom() and one sendto() a query, as the proxy does.
 *
 *   dnsecho ADDR PORT   (IPv4; IP_FREEBIND, as the proxy binds)
 *
 * Runs until killed. Exit status 1 on a setup error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned char buf[4096];
	int one = 1, fd;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: dnsecho ADDR PORT\n");
		return 1;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("dnsecho");
		return 1;
	}
	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);

		if (n < 12)
			continue;
		buf[2] |= 0x80; /* QR: an answer */
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
}
