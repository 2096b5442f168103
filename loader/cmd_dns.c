// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `dns`: the DNS proxy of this network namespace, in the foreground. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <jansson.h>
#include <ldns/ldns.h>
#include "cli.h"
#include "dns_proxy.h"
#include "log.h"
#include "output.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* One line per query: text, or a JSON object with -j. */
static void print_event(const struct vr_dns_event *e, void *ctx)
{
	char *tname = ldns_rr_type2str((ldns_rr_type)e->qtype);
	if (opt.json)
		vr_json_print(json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:I}", "type", "dns", "action",
					e->action, "name", e->name, "qtype", tname ? tname : "?",
					"slot", (int)e->slot, "addresses_opened", e->addrs,
					"open_ns", (json_int_t)e->open_ns),
			      false);
	else
		printf("%s %s %s (slot %u, %d addresses opened)\n", e->action, e->name,
		       tname ? tname : "?", e->slot, e->addrs);
	fflush(stdout);
	free(tname);
}

int do_dns(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct vr_state st;
	int ret = open_state(&st, VR_OPEN_READ);

	if (ret)
		return ret;
	/* a service for as long as it runs: no command may wait on its lock */
	flock(st.dir_fd, LOCK_UN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = vr_dns_proxy_run(&st, &opt.resolver, &stop, print_event, NULL, errbuf,
			       sizeof(errbuf));
	vr_state_close(&st);
	if (ret)
		return fail(VR_EXIT_SYSTEM, "dns: %s", errbuf);
	return 0;
}
