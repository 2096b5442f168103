// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * taprelay: the data path of a MicroVM monitor, for the tap integration test.
 *
 * Usage: taprelay TAP NETNS RELAY_IF GUEST_IF SECONDS
 *
 * Attaches to the existing tap TAP in the current (root) namespace, enters the
 * namespace NETNS, and copies Ethernet frames between the tap's file
 * descriptor and RELAY_IF, the veth peer of the guest's interface GUEST_IF:
 * what the guest sends arrives on the tap as its ingress, as a VM's frames do,
 * and what the host sends on the tap reaches the guest. Stops on SIGTERM or
 * SIGINT, or after SECONDS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX 65536

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int open_tap(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

/*
 * Frames are relayed as they are, without checksum metadata, so the guest must
 * compute its checksums itself (switching off transmit checksumming also
 * switches off TSO: no frame is larger than the MTU).
 */
static int no_tx_offload(int sock, const char *ifname)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = 0 };
	struct ifreq ifr = { .ifr_data = (void *)&ev };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	return ioctl(sock, SIOCETHTOOL, &ifr);
}

static int open_packet_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct ifreq ifr = { 0 };

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr)) {
		close(fd);
		return -1;
	}
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Guest to host: frames that arrived on RELAY_IF, never ones it sent. */
static void guest_to_tap(int sock, int tap, unsigned char *buf)
{
	struct sockaddr_ll from;
	socklen_t len = sizeof(from);
	ssize_t n = recvfrom(sock, buf, FRAME_MAX, MSG_DONTWAIT, (struct sockaddr *)&from, &len);

	if (n > 0 && from.sll_pkttype != PACKET_OUTGOING && write(tap, buf, (size_t)n) < 0)
		perror("taprelay: write to tap");
}

static void tap_to_guest(int tap, int sock, unsigned char *buf)
{
	ssize_t n = read(tap, buf, FRAME_MAX);

	if (n > 0 && send(sock, buf, (size_t)n, 0) < 0)
		perror("taprelay: send to guest");
}

int main(int argc, char **argv)
{
	static unsigned char buf[FRAME_MAX];
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd[2];
	time_t deadline;
	int tap, sock;

	if (argc != 6) {
		fprintf(stderr, "usage: taprelay TAP NETNS RELAY_IF GUEST_IF SECONDS\n");
		return 2;
	}
	deadline = time(NULL) + atoi(argv[5]);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	tap = open_tap(argv[1]); /* in the root namespace, before setns() */
	if (tap < 0) {
		fprintf(stderr, "taprelay: tap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (enter_netns(argv[2])) {
		fprintf(stderr, "taprelay: netns %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	sock = open_packet_socket(argv[3]);
	if (sock < 0) {
		fprintf(stderr, "taprelay: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	if (no_tx_offload(sock, argv[4])) {
		fprintf(stderr, "taprelay: offloads of %s: %s\n", argv[4], strerror(errno));
		return 1;
	}

	pfd[0] = (struct pollfd){ .fd = sock, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = tap, .events = POLLIN };
	while (!stop && time(NULL) < deadline) {
		if (poll(pfd, 2, 200) < 0) {
			if (errno == EINTR)
				continue;
			perror("taprelay: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN)
			guest_to_tap(sock, tap, buf);
		if (pfd[1].revents & POLLIN)
			tap_to_guest(tap, sock, buf);
	}
	return 0;
}
