/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Map I/O in bulk, and waiting until no program can hold what was replaced. */
#ifndef VR_MAPIO_H
#define VR_MAPIO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Writes @n elements in batches (the kernel takes no BPF_NOEXIST in a batch:
 * fresh policy ids keep writes apart); one by one where the kernel has no
 * batch operation for the map type. @written: how many went in.
 */
int vr_batch_update_some(int fd, const void *keys, size_t key_size, const void *values,
			 size_t value_size, size_t n, size_t *written);
int vr_batch_update(int fd, const void *keys, size_t key_size, const void *values,
		    size_t value_size, size_t n);
/* Deletes the keys that exist; a key already gone is not an error. */
int vr_batch_delete(int fd, const void *keys, size_t key_size, size_t n);

/*
 * Returns when no BPF program that started before the call still runs: an
 * RCU grace period. What a switch replaced may be reused after it. True when
 * it waited by its first means (a map-in-map update), false by a fallback.
 */
bool vr_wait_for_readers(void);

#endif
