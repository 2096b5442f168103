/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `check`: builds the packet a sandbox would send to a destination and runs it
 * through the loaded program with BPF_PROG_TEST_RUN against the live maps.
 */
#ifndef VR_PROBE_H
#define VR_PROBE_H

#include <stdint.h>
#include "compile.h"
#include "state.h"

struct vr_probe {
	struct vr_addr dst;
	uint8_t proto; /* VRNET_PROTO_TCP, _UDP or _ICMP */
	uint16_t port;
	/* the sandbox's source, when its device is bound (else documentation addresses) */
	bool has_src, has_smac;
	struct vr_addr src;
	uint8_t smac[6];
};

struct vr_verdict {
	bool allow;	    /* what happens to the packet */
	bool enforce_allow; /* what enforce mode does (audit mode passes drops) */
	uint32_t reason;    /* enum vrnet_reason */
	uint32_t rule_id;
};

/* Builds the frame for @probe into @buf; returns its length. */
size_t vr_probe_frame(const struct vr_probe *probe, uint8_t *buf, size_t len);

/*
 * Runs @frame through @prog_fd as if received on @ifindex; @gso_size as the
 * skb's GSO segment size (0: not a GSO packet; its GSO type is then none).
 */
int vr_probe_run(int prog_fd, int ifindex, const void *frame, size_t len, uint16_t gso_size,
		 struct vr_verdict *v);
/* The same for a frame that is no probe (@mark 0): counted, and noting what a packet notes. */
int vr_frame_run(int prog_fd, int ifindex, const void *frame, size_t len, uint16_t gso_size,
		 uint32_t mark, struct vr_verdict *v);

/*
 * Runs @frame through the XDP mode's program @prog_fd as received on
 * @ifindex: a pass leaves the verdict to the tc program.
 */
int vr_xdp_probe_run(int prog_fd, int ifindex, const void *frame, size_t len,
		     struct vr_verdict *v);

const char *vr_reason_text(uint32_t reason);

#endif
