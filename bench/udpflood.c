// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * udpflood: the traffic of the wire benchmark (bench/wire.sh).
 *
 *   udpflood send DST_LIST_FILE PORT SECONDS [SRC_PORT]
 *	sendmmsg() in batches of 64 from one unconnected socket (bound to
 *	SRC_PORT if given), cycling over the IPv4 addresses of DST_LIST_FILE
 *	(one a line), for SECONDS.
 *	The UDP payload is 18 bytes: 14 + 20 + 8 + 18 = 60 bytes of Ethernet
 *	frame, 64 on the wire with the FCS, the smallest frame there is.
 *
 *   udpflood recv BIND_ADDR PORT SECONDS
 *	recvmmsg() in batches of 64 on BIND_ADDR:PORT. Counts from the first
 *	packet for SECONDS, or until the traffic pauses for IDLE_MS; gives up
 *	when nothing arrives within SECONDS + WAIT_S. The rate is taken from
 *	the first to the last packet received.
 *
 * Each prints one JSON line on stdout. Exit status 0, or 1 on a setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64
#define PAYLOAD 18
#define MAX_DSTS 65536
#define RCVBUF (64 << 20)
#define SNDBUF (4 << 20)
#define IDLE_MS 300
#define WAIT_S 1.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

static double parse_seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v > 0) || v > 3600)
		return -1;
	return v;
}

static int read_dsts(const char *path, int port, struct sockaddr_in *dsts)
{
	char line[128];
	int n = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "udpflood: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\r\n#")] = '\0';
		if (line[0] == '\0')
			continue;
		if (n == MAX_DSTS) {
			fprintf(stderr, "udpflood: %s: more than %d addresses\n",
				path, MAX_DSTS);
			fclose(f);
			return -1;
		}
		memset(&dsts[n], 0, sizeof(dsts[n]));
		dsts[n].sin_family = AF_INET;
		dsts[n].sin_port = htons(port);
		if (inet_pton(AF_INET, line, &dsts[n].sin_addr) != 1) {
			fprintf(stderr, "udpflood: %s: bad IPv4 address \"%s\"\n",
				path, line);
			fclose(f);
			return -1;
		}
		n++;
	}
	fclose(f);
	if (n == 0)
		fprintf(stderr, "udpflood: %s: no addresses\n", path);
	return n ? n : -1;
}

static int do_send(const char *path, int port, double seconds, int src_port)
{
	static struct sockaddr_in dsts[MAX_DSTS];
	struct mmsghdr msgs[BATCH];
	char payload[PAYLOAD];
	uint64_t sent = 0, errors = 0;
	struct iovec iov;
	double start, end, t;
	int ndst, fd, i, r, sndbuf = SNDBUF;
	unsigned int next = 0;

	ndst = read_dsts(path, port, dsts);
	if (ndst < 0)
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpflood: socket");
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (src_port > 0) {
		struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(src_port) };

		if (bind(fd, (struct sockaddr *)&src, sizeof(src))) {
			fprintf(stderr, "udpflood: bind port %d: %s\n", src_port, strerror(errno));
			return 1;
		}
	}

	memset(payload, 'v', sizeof(payload));
	iov.iov_base = payload;
	iov.iov_len = sizeof(payload);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
	}

	start = now();
	end = start + seconds;
	for (t = start; t < end; t = now()) {
		for (i = 0; i < BATCH; i++) {
			msgs[i].msg_hdr.msg_name = &dsts[next];
			if (++next == (unsigned int)ndst)
				next = 0;
		}
		r = sendmmsg(fd, msgs, BATCH, 0);
		if (r < 0) {
			/* e.g. EPERM from a firewall in this namespace */
			errors++;
			continue;
		}
		sent += r;
		if (r < BATCH)
			errors++;
	}
	t = now();
	printf("{\"mode\": \"send\", \"packets\": %llu, \"seconds\": %.3f, "
	       "\"pps\": %.0f, \"destinations\": %d, \"payload_bytes\": %d, "
	       "\"errors\": %llu}\n",
	       (unsigned long long)sent, t - start, sent / (t - start), ndst,
	       PAYLOAD, (unsigned long long)errors);
	return 0;
}

static int do_recv(const char *addr, int port, double seconds)
{
	static char bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	struct sockaddr_in sin;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100 * 1000 };
	uint64_t received = 0;
	double start, first = 0, last = 0, t, span;
	int fd, i, r, rcvbuf = RCVBUF;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "udpflood: bad IPv4 address \"%s\"\n", addr);
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpflood: socket");
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		fprintf(stderr, "udpflood: bind %s:%d: %s\n", addr, port,
			strerror(errno));
		return 1;
	}
	for (i = 0; i < BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* the caller waits for this line before it starts the sender */
	fprintf(stderr, "udpflood: receiving on %s:%d\n", addr, port);

	start = now();
	for (;;) {
		r = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		t = now();
		if (r > 0) {
			if (!received)
				first = t;
			received += r;
			last = t;
		} else if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			   errno != EINTR) {
			perror("udpflood: recvmmsg");
			return 1;
		}
		if (received && (t - first >= seconds ||
				 t - last >= IDLE_MS / 1000.0))
			break;
		if (!received && t - start >= seconds + WAIT_S)
			break;
	}
	span = last - first;
	printf("{\"mode\": \"recv\", \"packets\": %llu, \"seconds\": %.3f, "
	       "\"pps\": %.0f}\n",
	       (unsigned long long)received, span,
	       span > 0 ? received / span : 0.0);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udpflood send DST_LIST_FILE PORT SECONDS [SRC_PORT]\n"
		"       udpflood recv BIND_ADDR PORT SECONDS\n");
}

int main(int argc, char **argv)
{
	double seconds;
	int port, src_port = 0;

	if (argc != 5 && !(argc == 6 && !strcmp(argv[1], "send"))) {
		usage();
		return 2;
	}
	port = parse_port(argv[3]);
	seconds = parse_seconds(argv[4]);
	if (argc == 6)
		src_port = parse_port(argv[5]);
	if (port < 0 || seconds < 0 || src_port < 0) {
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "send"))
		return do_send(argv[2], port, seconds, src_port);
	if (!strcmp(argv[1], "recv"))
		return do_recv(argv[2], port, seconds);
	usage();
	return 2;
}
