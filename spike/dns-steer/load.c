#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <bpf/libbpf.h>
#include "steer.skel.h"
/* load DEV DUMMY PROXY CLIENT DUMMYMAC */
int main(int argc, char **argv)
{
	struct steer *s = steer__open();
	unsigned m[6];
	int dev = if_nametoindex(argv[1]), dum = if_nametoindex(argv[2]);
	inet_pton(AF_INET, argv[3], (void *)&s->rodata->proxy_addr);
	inet_pton(AF_INET, argv[4], (void *)&s->rodata->client_addr);
	sscanf(argv[5], "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
	for (int i = 0; i < 6; i++) ((unsigned char *)s->rodata->dummy_mac)[i] = m[i];
	s->rodata->dummy_ifindex = dum; s->rodata->dev_ifindex = dev;
	if (steer__load(s)) { perror("load"); return 1; }
	LIBBPF_OPTS(bpf_tc_hook, h1, .ifindex = dev, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_hook, h2, .ifindex = dum, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o1, .prog_fd = bpf_program__fd(s->progs.steer_in));
	LIBBPF_OPTS(bpf_tc_opts, o2, .prog_fd = bpf_program__fd(s->progs.steer_back));
	bpf_tc_hook_create(&h1); bpf_tc_hook_create(&h2);
	if (bpf_tc_attach(&h1, &o1) || bpf_tc_attach(&h2, &o2)) { perror("attach"); return 1; }
	printf("attached\n");
	return 0;
}
