/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The command line: the options every command may read, the steps commands
 * share (cli.c), and the commands, one file per group: changes to devices
 * (cmd_change.c), what is there (cmd_show.c), the host (cmd_host.c). The
 * table of commands, their help and the option parser are in main.c.
 */
#ifndef VR_CLI_H
#define VR_CLI_H

#include <stdbool.h>
#include "resolve.h"
#include "state.h"

#define VRNET_VERSION "0.1.0"

/* Options a command takes besides the global ones (struct cmd.options). */
enum {
	OPT_POLICY = 1 << 0,
	OPT_FORCE = 1 << 1,
	OPT_SINCE = 1 << 2,
	OPT_COUNT = 1 << 3,
	OPT_SUMMARY = 1 << 4,
	OPT_CHECK = 1 << 5,
	OPT_RULES = 1 << 6,
	OPT_REFUSE = 1 << 7,
	OPT_MIN_TTL = 1 << 8,
	OPT_GRACE = 1 << 9,
	OPT_MAX_ADDRESSES = 1 << 10,
	OPT_LOG_ANSWERS = 1 << 11,
	OPT_ADDRESS = 1 << 12,
	OPT_MAC = 1 << 13,
	OPT_DHCP = 1 << 14,
	OPT_INBOUND = 1 << 15,
	OPT_MODE = 1 << 16,
	OPT_XDP_GENERIC = 1 << 17,
	OPT_DRY_RUN = 1 << 18,
	OPT_WATCH = 1 << 19,
};

#define VR_MAX_ADDRESS_OPTS 64 /* --address options (each may list several, comma-separated) */

struct vr_cli_options {
	const char *pin_dir;
	bool json, pretty, verbose;
	const char *policy;
	bool force, check, rules;
	struct vr_resolver resolver;
	const char *since;
	const char *count;
	const char *summary;
	const char *wait;
	const char *netns;
	const char *refuse, *min_ttl, *grace, *max_addresses; /* dns */
	bool log_answers;
	const char *addresses[VR_MAX_ADDRESS_OPTS]; /* attach: the source binding */
	size_t n_addresses;
	const char *mac;
	bool dhcp;
	bool inbound; /* check: a packet from HOST into the sandbox */
	const char *mode; /* attach: tc or xdp */
	bool xdp_generic; /* attach: XDP mode on the skb (generic XDP) */
	bool dry_run, watch; /* sync */
};

extern struct vr_cli_options opt;
/* The message of the last library error, for fail(). */
extern char errbuf[1024];
/* main()'s arguments as they came, before the options were parsed: `dns` hands them on. */
extern char **cli_argv;

/* Prints "Error: ..." (or {"error": ...} with -j) and returns @code. */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An errno from the library as an exit code: -EINVAL is bad input, the rest the system's. */
int exit_of(int ret);
/* Why the state could not be opened, as an exit code: nothing there, busy, or broken. */
int open_exit(int ret);

int device_index(const char *name, int *ifindex);
int require_ethernet(const char *name);
/* Opens the state (failing with the message); a change also reclaims deleted devices. */
int open_state(struct vr_state *st, enum vr_open_mode mode);
bool is_attached(struct vr_state *st, int ifindex);
int require_attached(struct vr_state *st, int ifindex, const char *name);
int live_devices(struct vr_state *st, __u32 **list, size_t *n);
int devices_arg(struct vr_state *st, int argc, char **argv, __u32 **list, size_t *n);
int parse_count(const char *text, const char *what, long max, long *out);

struct vr_prepared_names;
struct vr_binding;

/* Looks up the policy's names (with no lock held) and compiles it; @source names it in errors. */
int prepare_policy(struct vr_prepared_names *names, const struct vr_policy *p,
		   const char *source, struct vr_compiled *c);

/* What an attach sets on a device (attach_device()). */
struct vr_attach_args {
	const struct vr_policy *policy; /* prepared: deny-all when there is none */
	const struct vr_compiled *compiled;
	bool keep_policy;		    /* an attached device keeps the policy it has */
	const struct vr_binding *binding;   /* the source binding; NULL keeps the device's */
	int xdp;			    /* enum vrnet_xdp_mode; -1 keeps the device's */
};

/* A device attach may take: it exists, is Ethernet, and carries no default route (unless --force). */
int attachable_device(const char *name, int *ifindex);
/* Attaches (or, attached, changes) @ifindex with the state open for a change; says why it failed. */
int attach_device(struct vr_state *st, int ifindex, const char *name,
		  const struct vr_attach_args *a);
/* Takes the filter off @ifindex and forgets its state; says why it failed. */
int detach_device(struct vr_state *st, int ifindex, const char *name);

/* The commands: argv holds the positional arguments only. */
int do_attach(int argc, char **argv);
int do_apply(int argc, char **argv);
int do_allow(int argc, char **argv);
int do_block(int argc, char **argv);
int do_unallow(int argc, char **argv);
int do_unblock(int argc, char **argv);
int do_internet(int argc, char **argv);
int do_detach(int argc, char **argv);
int do_refresh(int argc, char **argv);
int do_show(int argc, char **argv);
int do_list(int argc, char **argv);
int do_status(int argc, char **argv);
int do_check(int argc, char **argv);
int do_log(int argc, char **argv);
int do_metrics(int argc, char **argv);
int do_gc(int argc, char **argv);
int do_upgrade(int argc, char **argv);
int do_version(int argc, char **argv);
int do_dns(int argc, char **argv);
int do_features(int argc, char **argv);
int do_sync(int argc, char **argv);

#endif
