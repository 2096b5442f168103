// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "conntrack.h"

int vr_conns_forget(struct vr_state *st, __u32 slot)
{
	struct vrnet_flow_key key, *prev = NULL, *mine = NULL, *grown;
	size_t n = 0, cap = 0;
	int ret = 0;

	/* gathered first: deleting while walking would restart the walk */
	while (!bpf_map_get_next_key(st->conns_fd, prev, &key)) {
		if (key.slot == slot) {
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				grown = realloc(mine, cap * sizeof(*mine));
				if (!grown) {
					ret = -ENOMEM;
					break;
				}
				mine = grown;
			}
			mine[n++] = key;
		}
		prev = &key;
	}
	for (size_t i = 0; !ret && i < n; i++)
		if (bpf_map_delete_elem(st->conns_fd, &mine[i]) && errno != ENOENT)
			ret = -errno;
	free(mine);
	return ret;
}
