// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "sync_records.h"
#include "vrnet_common.h"

/* A map of another layout (another build's) is not read: -EPROTO, and @fd closed. */
static int check_layout(int map_fd, int *fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (!bpf_obj_get_info_by_fd(map_fd, &info, &len) && info.type == BPF_MAP_TYPE_HASH &&
	    info.key_size == sizeof(struct vr_sync_key) &&
	    info.value_size == sizeof(struct vr_sync_record))
		return 0;
	close(map_fd);
	*fd = -1;
	return -EPROTO;
}

int vr_sync_records_open(const struct vr_state *st, bool create, int *fd)
{
	char path[4200];
	int ret = vr_state_pin_path(st, VR_MAP_SYNC, path, sizeof(path));

	if (ret)
		return ret;
	*fd = bpf_obj_get(path);
	if (*fd >= 0)
		return check_layout(*fd, fd);
	if (errno != ENOENT || !create)
		return -errno;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);

	/* allocated as devices are synced: a host that never syncs pays nothing */
	*fd = bpf_map_create(BPF_MAP_TYPE_HASH, VR_MAP_SYNC, sizeof(struct vr_sync_key),
			     sizeof(struct vr_sync_record), VRNET_MAX_DEVICES, &opts);
	if (*fd < 0)
		return -errno;
	if (bpf_obj_pin(*fd, path)) {
		ret = -errno;
		close(*fd);
		*fd = -1;
		return ret;
	}
	return 0;
}

/* Sorts keys and records together, by name. */
struct keyed {
	struct vr_sync_key key;
	struct vr_sync_record rec;
};

static int by_name(const void *a, const void *b)
{
	return strncmp(((const struct keyed *)a)->key.ifname, ((const struct keyed *)b)->key.ifname,
		       sizeof(((struct vr_sync_key *)0)->ifname));
}

int vr_sync_records_list(int fd, __u64 cookie, struct vr_sync_key **keys,
			 struct vr_sync_record **recs, size_t *n)
{
	enum { BATCH = 256 };
	struct vr_sync_key bkeys[BATCH];
	struct vr_sync_record brecs[BATCH];
	__u64 token[4], *in = NULL; /* the kernel's cursor (a bucket) */
	struct keyed *all = NULL;
	size_t count = 0, cap = 0;

	*keys = NULL;
	*recs = NULL;
	*n = 0;
	if (fd < 0)
		return 0;
	for (;;) {
		__u32 got = BATCH;
		int ret = bpf_map_lookup_batch(fd, in, token, bkeys, brecs, &got, NULL);

		if (ret && errno != ENOENT) {
			free(all);
			return -errno;
		}
		for (__u32 i = 0; i < got; i++) {
			if (bkeys[i].netns_cookie != cookie)
				continue;
			if (count == cap) {
				struct keyed *more = realloc(all, (cap = cap ? cap * 2 : 256) *
									  sizeof(*all));

				if (!more) {
					free(all);
					return -ENOMEM;
				}
				all = more;
			}
			all[count++] = (struct keyed){ .key = bkeys[i], .rec = brecs[i] };
		}
		if (ret)
			break; /* ENOENT: that was the last batch */
		in = token;
	}
	qsort(all, count, sizeof(*all), by_name);
	*keys = calloc(count + 1, sizeof(**keys));
	*recs = calloc(count + 1, sizeof(**recs));
	if (!*keys || !*recs) {
		free(*keys);
		free(*recs);
		free(all);
		*keys = NULL;
		*recs = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; i++) {
		(*keys)[i] = all[i].key;
		(*recs)[i] = all[i].rec;
	}
	*n = count;
	free(all);
	return 0;
}
