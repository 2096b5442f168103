/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Map I/O in bulk, and waiting until no program can hold what was replaced. */
#ifndef VR_MAPIO_H
#define VR_MAPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>

/*
 * Writes @n elements in batches (the kernel takes no BPF_NOEXIST in a batch:
 * fresh policy ids keep writes apart); one by one where the kernel has no
 * batch operation for the map type. @written: how many went in.
 */
int vr_batch_update_some(int fd, const void *keys, size_t key_size, const void *values,
			 size_t value_size, size_t n, size_t *written);
int vr_batch_update(int fd, const void *keys, size_t key_size, const void *values,
		    size_t value_size, size_t n);
/* Whether errno @err is the kernel's ENOTSUPP (524) or a user-space name of it: no batch operation. */
bool vr_no_batch_support(int err);

/* Deletes the keys that exist; a key already gone is not an error. */
int vr_batch_delete(int fd, const void *keys, size_t key_size, size_t n);
/*
 * The same, setting @missing[i] (n of them, false before) for each key i that
 * was not there. A key not there costs a system call of its own: the kernel's
 * batch stops at it.
 */
int vr_batch_delete_found(int fd, const void *keys, size_t key_size, size_t n, bool *missing);

/*
 * A map (an array or hash of maps: of @inner_fd's kind; else -1), with the
 * bpf() system call itself: libbpf's bpf_map_create() first probes the
 * kernel the first time in each process (it loads a program to learn whether
 * memory is accounted to cgroups, another to learn whether objects take
 * names), 0.15-0.9 ms of every change here against 0.02-0.07 ms for two
 * maps. The kernel floor accounts to cgroups and takes names, so there is no
 * RLIMIT_MEMLOCK to raise. Returns a descriptor, or -1 (errno).
 */
int vr_map_create(enum bpf_map_type type, const char *name, __u32 key_size, __u32 value_size,
		  __u32 entries, int inner_fd);

/*
 * Returns when no BPF program that started before the call still runs: an
 * RCU grace period. What a switch replaced may be reused after it. True when
 * it waited by its first means (a map-in-map update), false by a fallback.
 */
bool vr_wait_for_readers(void);

#endif
