// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `dns`: the DNS proxy of the pin directory, in the foreground. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <jansson.h>
#include <ldns/ldns.h>
#include "cli.h"
#include "dns_opened.h"
#include "dns_proxy.h"
#include "dns_qtype.h"
#include "log.h"
#include "output.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* One line per query logged: text, or a JSON object with -j. */
static void print_event(const struct vr_dns_event *e, void *ctx)
{
	char buf[VR_QTYPE_TEXT];
	const char *tname;

	if (!e) {
		fflush(stdout);
		return;
	}
	tname = vr_qtype_text(e->qtype, buf);
	if (opt.json)
		vr_json_print(json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:I}", "type", "dns",
					"action", e->action, "name", e->name, "qtype",
					tname, "slot", (int)e->slot,
					"addresses_opened", e->addrs, "addresses_blocked", e->blocked,
					"open_ns", (json_int_t)e->open_ns),
			      false);
	else
		printf("%s %s %s (slot %u, %d addresses opened%s)\n", e->action, e->name,
		       tname, e->slot, e->addrs,
		       e->blocked ? ", some covered by a block rule: they stay closed" : "");
}

/* The proxy's settings from the options: 0, or the usage error's exit code. */
static int proxy_opts(struct vr_dns_proxy_opts *o)
{
	long min_ttl = VR_DNS_MIN_TTL_S, grace = VR_DNS_GRACE_S, max = VR_DNS_MAX_ADDRS_PER_DEVICE;
	int ret = 0;

	*o = (struct vr_dns_proxy_opts){ .upstream = &opt.resolver,
					 .refusal = LDNS_RCODE_NXDOMAIN,
					 .log_answers = opt.log_answers };
	if (opt.refuse && !strcmp(opt.refuse, "refused"))
		o->refusal = LDNS_RCODE_REFUSED;
	else if (opt.refuse && strcmp(opt.refuse, "nxdomain"))
		return fail(VR_EXIT_USAGE, "--refuse takes nxdomain or refused, not \"%s\"",
			    opt.refuse);
	if (opt.min_ttl)
		ret = parse_count(opt.min_ttl, "--min-ttl", 86400, &min_ttl);
	if (!ret && opt.grace)
		ret = parse_count(opt.grace, "--grace", 86400, &grace);
	if (!ret && opt.max_addresses)
		ret = parse_count(opt.max_addresses, "--max-addresses", VRNET_MAX_DNS_ADDRS, &max);
	if (!ret && !max)
		ret = fail(VR_EXIT_USAGE, "--max-addresses must be 1-%d", VRNET_MAX_DNS_ADDRS);
	o->max_addresses = (unsigned int)max;
	o->min_ttl_s = (unsigned int)min_ttl;
	o->grace_s = (unsigned int)grace;
	return ret;
}

int do_dns(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct vr_dns_proxy_opts o;
	struct vr_state st;
	int ret = proxy_opts(&o);

	if (ret)
		return ret;
	ret = open_state(&st, VR_OPEN_READ);
	if (ret)
		return ret;
	/* a service for as long as it runs: no command may wait on its lock */
	flock(st.dir_fd, LOCK_UN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = vr_dns_proxy_run(&st, &o, &stop, print_event, NULL, errbuf, sizeof(errbuf));
	vr_state_close(&st);
	if (ret)
		return fail(ret == -EBUSY ? VR_EXIT_BUSY : VR_EXIT_SYSTEM, "dns: %s", errbuf);
	return 0;
}
