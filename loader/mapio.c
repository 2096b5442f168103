// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "mapio.h"

bool vr_no_batch_support(int err)
{
	return err == 524 || err == ENOTSUP || err == EOPNOTSUPP;
}

/*
 * Batched map writes: one syscall for many elements (the kernel takes no
 * BPF_NOEXIST in a batch: fresh policy ids are what keeps writes apart).
 * Where the kernel has no batch operation for the map type, nothing was
 * written and the elements go one by one.
 */
int vr_batch_update_some(int fd, const void *keys, size_t key_size, const void *values,
			     size_t value_size, size_t n, size_t *written)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	const size_t chunk = 65536;
	size_t done = 0;
	int ret = 0;

	while (done < n) {
		__u32 count = (__u32)(n - done < chunk ? n - done : chunk);
		const char *k = (const char *)keys + done * key_size;
		const char *v = (const char *)values + done * value_size;

		if (!bpf_map_update_batch(fd, k, v, &count, &opts)) {
			done += count;
			continue;
		}
		if (!vr_no_batch_support(errno)) {
			ret = -errno;
			done += count; /* written before the one that failed */
			break;
		}
		if (bpf_map_update_elem(fd, k, v, BPF_ANY)) {
			ret = -errno;
			break;
		}
		done++;
	}
	if (written)
		*written = done;
	return ret;
}

int vr_batch_update(int fd, const void *keys, size_t key_size, const void *values,
			size_t value_size, size_t n)
{
	return vr_batch_update_some(fd, keys, key_size, values, value_size, n, NULL);
}

/* Deletes the keys that exist; a key already gone is not an error. */
int vr_batch_delete_found(int fd, const void *keys, size_t key_size, size_t n, bool *missing)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	for (size_t done = 0; done < n;) {
		__u32 count = (__u32)(n - done);
		const char *k = (const char *)keys + done * key_size;

		if (!bpf_map_delete_batch(fd, k, &count, &opts)) {
			done += count;
		} else if (errno == ENOENT) {
			done += count; /* count went, the next key is not there */
			if (missing && done < n)
				missing[done] = true;
			done++;
		} else if (vr_no_batch_support(errno)) {
			int gone = bpf_map_delete_elem(fd, k) ? -errno : 0;

			if (gone && gone != -ENOENT)
				return gone;
			if (missing && gone)
				missing[done] = true;
			done++;
		} else {
			return -errno;
		}
	}
	return 0;
}

int vr_batch_delete(int fd, const void *keys, size_t key_size, size_t n)
{
	return vr_batch_delete_found(fd, keys, key_size, n, NULL);
}

int vr_map_create(enum bpf_map_type type, const char *name, __u32 key_size, __u32 value_size,
		  __u32 entries, int inner_fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = entries;
	attr.inner_map_fd = inner_fd >= 0 ? (__u32)inner_fd : 0;
	if (name)
		strncpy(attr.map_name, name, sizeof(attr.map_name) - 1);
	return (int)syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}

/*
 * Waits until no program still runs with a device entry read before our
 * update. tc programs run inside RCU read-side sections, and an update of a
 * map-in-map returns only after synchronize_rcu() (the kernel's
 * maybe_wait_bpf_programs()), so one update of a throwaway array-of-maps is a
 * grace period. Without map-in-map, MEMBARRIER_CMD_GLOBAL is the same wait
 * where more than one CPU is online.
 */
bool vr_wait_for_readers(void)
{
	int inner, outer = -1;
	bool updated = false;
	__u32 zero = 0;

	inner = vr_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, -1);
	if (inner >= 0)
		outer = vr_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, NULL, 4, 4, 1, inner);
	if (outer >= 0)
		updated = !bpf_map_update_elem(outer, &zero, &inner, BPF_ANY);
	if (!updated && syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		usleep(100000);
	if (outer >= 0)
		close(outer);
	if (inner >= 0)
		close(inner);
	return updated;
}

