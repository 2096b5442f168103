// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <net/if.h>
#include <string.h>
#include "filter.h"
#include "netns.h"
#include "program.h"
#include "tc.h"

void vr_device_look(struct vr_state *st, const struct vr_device *dev, struct vr_device_seen *seen)
{
	char name[IF_NAMESIZE];
	struct vr_program_info prog;
	int home = -1;

	memset(seen, 0, sizeof(*seen));
	if (dev->netns_cookie != st->netns_cookie &&
	    vr_netns_enter(dev->netns_cookie, dev->netns_inode, &home))
		return;
	seen->reachable = true;
	seen->exists = if_indextoname((unsigned int)dev->ifindex, name) != NULL;
	seen->same_name = seen->exists && !strcmp(name, dev->ifname);
	if (seen->exists && !vr_program_info(st, dev->netns_cookie, &prog)) {
		seen->filtered = vr_hook_is_attached(dev->ifindex, prog.id) == 1;
		seen->ahead = seen->filtered ? vr_hook_ahead(dev->ifindex, prog.id) : 0;
	}
	vr_netns_return(home);
}
