// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mapsum: one line per pinned map, "NAME ENTRIES SUM", SUM a hash of its
 * entries (keys and values, every CPU's of a per-CPU map) that does not
 * depend on their order: what a command that must change nothing leaves
 * equal. Pins that are no maps (programs, links) are skipped.
 *
 * Usage: mapsum PIN...
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static unsigned long long fnv1a(unsigned long long h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static int is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int is_map(int fd)
{
	char path[64], line[128];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "map_type:", 9);
	fclose(f);
	return found;
}

static int sum_map(const char *path)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	unsigned long long sum = 0, n = 0;
	unsigned char *key, *next, *val;
	size_t val_len;
	int fd = bpf_obj_get(path), ret = 0;
	void *prev = NULL;

	if (fd < 0)
		return 0; /* not ours to read */
	/* the info call answers for programs and links too: only a map has a map_type */
	if (!is_map(fd) || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return 0;
	}
	val_len = is_percpu(info.type) ?
			  ((info.value_size + 7) & ~7u) * (size_t)libbpf_num_possible_cpus() :
			  info.value_size;
	key = calloc(1, info.key_size + 1);
	next = calloc(1, info.key_size + 1);
	val = calloc(1, val_len + 1);
	if (!key || !next || !val) {
		ret = -ENOMEM;
		goto out;
	}
	while (!bpf_map_get_next_key(fd, prev, next)) {
		unsigned long long h = 0xcbf29ce484222325ULL;

		memcpy(key, next, info.key_size);
		prev = key;
		/* an entry that went between the two calls counts as absent */
		if (bpf_map_lookup_elem(fd, key, val))
			continue;
		h = fnv1a(h, key, info.key_size);
		h = fnv1a(h, val, val_len);
		sum += h;
		n++;
	}
	if (errno != ENOENT) /* a ring buffer or a queue: no keys to walk */
		printf("%s unwalkable (%s)\n", basename((char *)path), strerror(errno));
	else
		printf("%s %llu %016llx\n", basename((char *)path), n, sum);
out:
	free(key);
	free(next);
	free(val);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mapsum PIN...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (sum_map(argv[i])) {
			fprintf(stderr, "mapsum: %s: out of memory\n", argv[i]);
			return 1;
		}
	}
	return 0;
}
