// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "mapio.h"
#include "slot_tables.h"

/* One kind of a slot's tables: its array of maps in the state, and how one is made. */
struct slot_table {
	size_t outer; /* offset of the array of maps' descriptor in struct vr_state */
	enum bpf_map_type type;
	const char *name;
	__u32 key_size, value_size, entries;
};

static const struct slot_table tables[] = {
	{ offsetof(struct vr_state, frags_fd), BPF_MAP_TYPE_LRU_HASH, "vrnet_dev_frags",
	  sizeof(struct vrnet_frag_key), sizeof(struct vrnet_frag), VRNET_DEVICE_FRAGS },
	{ offsetof(struct vr_state, conns_fd), BPF_MAP_TYPE_LRU_HASH, "vrnet_dev_conns",
	  sizeof(struct vrnet_flow_key), sizeof(struct vrnet_conn), VRNET_DEVICE_CONNS },
	{ offsetof(struct vr_state, ownnotes_fd), BPF_MAP_TYPE_LRU_HASH, "vrnet_dev_notes",
	  sizeof(struct vrnet_flow_key), sizeof(struct vrnet_own_note), VRNET_DEVICE_OWN_NOTES },
	{ offsetof(struct vr_state, ownflows_fd), BPF_MAP_TYPE_ARRAY, "vrnet_dev_own",
	  sizeof(__u32), sizeof(struct vrnet_ownflows), 1 },
};

static int outer_fd(const struct vr_state *st, const struct slot_table *t)
{
	return *(const int *)((const char *)st + t->outer);
}

static int put_table(int outer, __u32 slot, const struct slot_table *t)
{
	int fd = vr_map_create(t->type, t->name, t->key_size, t->value_size, t->entries, -1);
	int ret;

	if (fd < 0)
		return -errno;
	ret = bpf_map_update_elem(outer, &slot, &fd, BPF_ANY) ? -errno : 0;
	close(fd); /* the array holds it now */
	return ret;
}

/* Whether table @fd holds nothing: an array is made so, a hash must have no key. */
static bool made_empty(int fd, const struct slot_table *t)
{
	static const struct vrnet_ownflows none;
	unsigned char key[sizeof(struct vrnet_flow_key)];
	__u32 zero = 0;

	_Static_assert(sizeof(struct vrnet_flow_key) >= sizeof(struct vrnet_frag_key), "key");
	if (t->type == BPF_MAP_TYPE_ARRAY)
		return !bpf_map_update_elem(fd, &zero, &none, BPF_ANY);
	return bpf_map_get_next_key(fd, NULL, key) && errno == ENOENT;
}

int vr_slot_tables_ready(struct vr_state *st, __u32 slot)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const struct slot_table *t = &tables[i];
		int fd = vr_slot_table_fd(outer_fd(st, t), slot), ret;
		bool reused = fd >= 0 && made_empty(fd, t);

		if (fd >= 0)
			close(fd);
		if (!reused && (ret = put_table(outer_fd(st, t), slot, t)))
			return ret;
	}
	return 0;
}

/* Deletes every entry of hash @fd, in batches; 0 or -errno. */
static int empty_hash(int fd, const struct slot_table *t)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	void *keys = malloc((size_t)t->entries * t->key_size);
	void *values = malloc((size_t)t->entries * t->value_size);
	__u32 batch, count;
	int ret = -ENOMEM;

	if (keys && values) {
		do {
			count = t->entries;
			ret = bpf_map_lookup_and_delete_batch(fd, NULL, &batch, keys, values,
							      &count, &opts) ? -errno : 0;
		} while (!ret);
		if (ret == -ENOENT) /* that batch was the last */
			ret = 0;
	}
	free(keys);
	free(values);
	return ret;
}

int vr_slot_tables_empty(struct vr_state *st, __u32 slot)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const struct slot_table *t = &tables[i];
		int fd = vr_slot_table_fd(outer_fd(st, t), slot), ret = 0;

		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		if (t->type != BPF_MAP_TYPE_ARRAY)
			ret = empty_hash(fd, t);
		close(fd);
		/* what cannot be emptied goes: the next device gets a fresh one */
		if (ret && bpf_map_delete_elem(outer_fd(st, t), &slot) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

int vr_slot_tables_drop(struct vr_state *st, __u32 slot)
{
	int dropped = 0;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (!bpf_map_delete_elem(outer_fd(st, &tables[i]), &slot))
			dropped = 1;
		else if (errno != ENOENT)
			return -errno;
	}
	return dropped;
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
