// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "mapio.h"
#include "slot_tables.h"

static int put_table(int outer_fd, __u32 slot, enum bpf_map_type type, const char *name,
		     __u32 key_size, __u32 value_size, __u32 entries)
{
	int fd = vr_map_create(type, name, key_size, value_size, entries, -1);
	int ret;

	if (fd < 0)
		return -errno;
	ret = bpf_map_update_elem(outer_fd, &slot, &fd, BPF_ANY) ? -errno : 0;
	close(fd); /* the array holds it now */
	return ret;
}

int vr_slot_tables_fresh(struct vr_state *st, __u32 slot)
{
	int ret = put_table(st->frags_fd, slot, BPF_MAP_TYPE_LRU_HASH, "vrnet_dev_frags",
			    sizeof(struct vrnet_frag_key), sizeof(struct vrnet_frag),
			    VRNET_DEVICE_FRAGS);

	if (!ret)
		ret = put_table(st->conns_fd, slot, BPF_MAP_TYPE_LRU_HASH, "vrnet_dev_conns",
				sizeof(struct vrnet_flow_key), sizeof(struct vrnet_conn),
				VRNET_DEVICE_CONNS);
	if (!ret)
		ret = put_table(st->ownnotes_fd, slot, BPF_MAP_TYPE_LRU_HASH, "vrnet_dev_notes",
				sizeof(struct vrnet_flow_key), sizeof(struct vrnet_own_note),
				VRNET_DEVICE_OWN_NOTES);
	return ret ? ret :
		     put_table(st->ownflows_fd, slot, BPF_MAP_TYPE_ARRAY, "vrnet_dev_own",
			       sizeof(__u32), sizeof(struct vrnet_ownflows), 1);
}

int vr_slot_tables_drop(struct vr_state *st, __u32 slot)
{
	if (bpf_map_delete_elem(st->frags_fd, &slot) && errno != ENOENT)
		return -errno;
	if (bpf_map_delete_elem(st->conns_fd, &slot) && errno != ENOENT)
		return -errno;
	if (bpf_map_delete_elem(st->ownflows_fd, &slot) && errno != ENOENT)
		return -errno;
	if (bpf_map_delete_elem(st->ownnotes_fd, &slot) && errno != ENOENT)
		return -errno;
	return 0;
}

int vr_slot_table_fd(int outer_fd, __u32 slot)
{
	__u32 id;
	int fd;

	if (bpf_map_lookup_elem(outer_fd, &slot, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}
