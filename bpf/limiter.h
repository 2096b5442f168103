/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A device's rate (events, DNS queries): a GCRA token bucket in a
 * vrnet_limiter. One may go when the theoretical arrival time is at most
 * @tolerance_ns ahead of now; each that goes moves it @interval_ns on.
 */
#ifndef VRNET_BPF_LIMITER_H
#define VRNET_BPF_LIMITER_H

/*
 * Whether one more may go at @now; if not, it is counted suppressed. Under
 * the lock: @tat gets the arrival time it was judged by, @suppressed the
 * running total held back.
 */
static __always_inline int limiter_take(struct vrnet_limiter *lim, __u64 now, __u64 interval_ns,
					__u64 tolerance_ns, __u64 *tat, __u64 *suppressed)
{
	int ok = 0;
	__u64 at;

	bpf_spin_lock(&lim->lock);
	at = lim->tat > now ? lim->tat : now;
	if (at - now <= tolerance_ns) {
		lim->tat = at + interval_ns;
		ok = 1;
	} else {
		lim->suppressed++;
	}
	*suppressed = lim->suppressed;
	bpf_spin_unlock(&lim->lock);
	*tat = at;
	return ok;
}

#endif
