// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vrnet-bpf: host-side egress firewall for sandboxes. A table of commands,
 * each with its own options and help; global options (-j, -p, -v, -n,
 * --pin-dir, --resolver, -w) may stand anywhere. The commands are in
 * cmd_*.c (see cli.h).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "kernel.h"
#include "log.h"
#include "netns.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	int min_args, max_args; /* positional arguments; -1: no upper bound */
	unsigned int options;	 /* OPT_* the command takes */
	const char *usage;
	const char *help;
};

static const struct cmd *find_cmd(const char *name);

static int do_help(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "attach", do_attach, 1, 1,
	  OPT_POLICY | OPT_FORCE | OPT_ADDRESS | OPT_MAC | OPT_DHCP | OPT_MODE | OPT_XDP_GENERIC,
	  "DEV [--policy FILE|-] [--address ADDR[/LEN]]... [--mac MAC] [--dhcp]\n"
	  "            [--mode tc|xdp [--xdp-generic]] [--force]",
	  "Load the program (once per network namespace) and attach it to DEV's ingress\n"
	  "hook (a tcx link, first on the hook, from Linux 6.6; clsact before), which sees\n"
	  "everything the sandbox sends, and a second program to its egress hook, which\n"
	  "notes the connections opened into the sandbox so that its replies pass.\n"
	  "Without --policy, DEV is deny-all. Attaching an\n"
	  "attached device keeps its policy unless --policy is given, and puts the filter\n"
	  "first again if another program was placed ahead of it. --force allows a device\n"
	  "that carries the host's default route; macvtap/ipvtap and macvlan/ipvlan devices\n"
	  "are refused (what their sandbox sends never crosses that hook).\n"
	  "--address binds the sandbox's source: its IPv4/IPv6 addresses or prefixes\n"
	  "(repeat it, or separate them with commas; at most 16). Packets from any other\n"
	  "source, and ARP or neighbour discovery claiming another address, are dropped\n"
	  "(reason spoofed). --mac binds its MAC too (frames, ARP and ND link-layer\n"
	  "addresses; its link-local address fe80::/64 from the MAC is bound with it).\n"
	  "--dhcp lets DHCP from 0.0.0.0:68 to 255.255.255.255:67 through (for the bound\n"
	  "MAC). Attaching again with --address replaces the binding; without, it stays.\n"
	  "--mode xdp also runs the decision on DEV's XDP hook, before the tc program (on a\n"
	  "tap, before the kernel builds an skb): what it drops costs the host least. The\n"
	  "tc program still judges what it passes. Through libxdp's dispatcher: other XDP\n"
	  "programs stay. Native XDP only; --xdp-generic runs it on the skb instead.\n"
	  "--mode tc (the default) takes ours off the XDP hook again. Attaching again\n"
	  "without --mode keeps the mode." },
	{ "apply", do_apply, 0, 1, OPT_POLICY | OPT_CHECK, "DEV --policy FILE|- | --check --policy FILE|-",
	  "Replace DEV's policy atomically: packets see the old policy or the new one,\n"
	  "never a mix; on any error the old policy stays in force. With --check, only\n"
	  "validate the policy (parse, resolve its names, compile) and say what it\n"
	  "would install, touching no kernel state; DEV is not needed." },
	{ "allow", do_allow, 2, -1, 0, "DEV RULE...", "Add RULEs to DEV's allow list (atomically)." },
	{ "block", do_block, 2, -1, 0, "DEV RULE...", "Add RULEs to DEV's block list (atomically)." },
	{ "unallow", do_unallow, 2, -1, 0, "DEV RULE...",
	  "Remove RULEs from DEV's allow list (atomically)." },
	{ "unblock", do_unblock, 2, -1, 0, "DEV RULE...",
	  "Remove RULEs from DEV's block list (atomically)." },
	{ "internet", do_internet, 2, 2, 0, "DEV on|off|policy",
	  "off: drop every IP packet but the sandbox's replies to connections opened into\n"
	  "it; on: pass every IP packet; policy: the rules decide. on and off override the\n"
	  "rules without changing them." },
	{ "detach", do_detach, 1, 1, 0, "DEV",
	  "Remove the program from DEV and all of DEV's state; DEV is unfiltered again." },
	{ "show", do_show, 0, 1, 0, "[DEV]",
	  "The effective policy of DEV (or of every device): rules, the addresses domain\n"
	  "rules resolved to (or the DNS proxy opened, with their expiry), what its source\n"
	  "is bound to (or NOT BOUND), and counters of allowed and dropped packets and bytes." },
	{ "list", do_list, 0, 0, 0, "",
	  "One line per attached device; \"xdp native\" (or generic) marks one in XDP mode,\n"
	  "FILTER MISSING one whose filter is gone." },
	{ "status", do_status, 0, 0, 0, "",
	  "Check that every device with vrnet-bpf state still has its filter on its hook\n"
	  "(removing the clsact qdisc takes it away, and then nothing filters the\n"
	  "device). Exit 1 if a filter is missing, naming the device." },
	{ "check", do_check, 2, 2, OPT_INBOUND, "DEV HOST[:PORT[/PROTO]] [--inbound]",
	  "Run a packet from DEV to HOST through the live program and maps (in XDP mode,\n"
	  "the XDP program first). PORT without PROTO means tcp; no PORT means an ICMP\n"
	  "echo. Prints allow or deny and the rule\n"
	  "that decided. Exit 0 for allow, 1 for deny (every address of a domain must pass).\n"
	  "A name on a device whose DNS goes to the proxy is not resolved: its name rule\n"
	  "decides, and the addresses the proxy opened under it are run. With --inbound,\n"
	  "the packet comes from the address HOST to the sandbox's PORT, through the\n"
	  "policy's inbound part (to the sandbox's bound address, if it is bound)." },
	{ "refresh", do_refresh, 0, 1, 0, "[DEV]",
	  "Resolve the domain rules of DEV (or of every device) again and apply the\n"
	  "result atomically. A name that no longer resolves keeps the old policy." },
	{ "log", do_log, 0, -1, OPT_SINCE | OPT_COUNT | OPT_SUMMARY,
	  "[DEV...] [--since WHEN] [--count N] [--summary-interval SECONDS]",
	  "Stream the events of blocked attempts (and audited or logged allowed ones) of\n"
	  "DEVs (default: all): one line each, or one JSON object per line with -j, and\n"
	  "the DNS queries the proxy refused (name, type, rule; \"type\": \"dns\"). The\n"
	  "rate limit's suppressed events are reported in the next event (\"suppressed\")\n"
	  "and every --summary-interval (default 10 s) while none comes. --since shows only\n"
	  "buffered events from then on (30s, 10m, 2h, 1d or YYYY-MM-DDTHH:MM:SS UTC).\n"
	  "--count stops after N events. Runs until SIGINT/SIGTERM. The ring buffer has\n"
	  "one reader: run one log at a time (the systemd unit, or by hand)." },
	{ "metrics", do_metrics, 0, -1, OPT_RULES, "[DEV...] [--rules]",
	  "Counters in the Prometheus text format (node_exporter textfile collector):\n"
	  "packets and bytes per verdict, suppressed and lost events, DNS queries per\n"
	  "result and addresses the proxy opened; with --rules, hits per rule too (one\n"
	  "series per rule: a large policy makes many)." },
	{ "gc", do_gc, 0, 0, OPT_FORCE, "[--force]",
	  "Reclaim the state of devices that no longer exist (in any network namespace\n"
	  "it can enter), and remove map entries no policy owns. A device whose namespace\n"
	  "cannot be found is kept (something may hold the namespace open) unless --force.\n"
	  "Also frees the tables that slots no device holds keep for their next device." },
	{ "features", do_features, 0, 0, 0, "",
	  "Probe the running kernel for every BPF feature vrnet-bpf uses and say whether\n"
	  "it can run here (Linux " VR_KERNEL_FLOOR " or newer, nothing missing). Exit 0 if so,\n"
	  "3 if not, naming what is missing; attach refuses such a kernel the same way.\n"
	  "Needs root: probing loads programs." },
	{ "upgrade", do_upgrade, 0, 0, OPT_FORCE, "[--force]",
	  "Replace the running program of every network namespace with devices by this\n"
	  "binary's, on the same maps: one step per device (a tcx link update or a cls_bpf\n"
	  "replace), so no packet goes unfiltered and every policy, counter and event\n"
	  "stays. Namespaces already running this build are left alone unless --force." },
	{ "dns", do_dns, 0, 0,
	  OPT_REFUSE | OPT_MIN_TTL | OPT_GRACE | OPT_MAX_ADDRESSES | OPT_LOG_ANSWERS,
	  "[--refuse nxdomain|refused] [--min-ttl S] [--grace S] [--max-addresses N] "
	  "[--log-answers]",
	  "Run the DNS proxy in the foreground. It logs a line per query refused or\n"
	  "failed, or answered with an address a block rule covers (--log-answers: per\n"
	  "query). It serves the devices of every network namespace of the pin directory,\n"
	  "those attached later too, and asks the upstream (--resolver) from its own.\n"
	  "The queries of devices whose policy uses it (one with name rules, unless\n"
	  "\"dns_proxy\": false) are answered from it: a name no rule allows gets NXDOMAIN\n"
	  "(--refuse refused: REFUSED) and never leaves the host; an allowed name's\n"
	  "addresses are opened for the device, under its rule, for max(TTL, --min-ttl,\n"
	  "default 30) + --grace (default 60) seconds, before the answer goes\n"
	  "(docs/dns-proxy.md). --max-addresses: open at once per device (default 1024);\n"
	  "an address is open under 4 name rules at most; an answer over a bound gets\n"
	  "SERVFAIL.\n"
	  "One proxy per pin directory: a second one exits 4. The proxy is its own\n"
	  "executable, vrnet-bpf-dns, run from this one's directory (exit 3 without it)." },
	{ "sync", do_sync, 1, 1, OPT_DRY_RUN | OPT_WATCH, "PATH [--dry-run] [--watch]",
	  "Bring this network namespace's devices to PATH, a directory of files named\n"
	  "DEVICE.json (or one such file): a policy, which may also hold the device's\n"
	  "settings, as attach's options: \"device\": {\"mode\": \"tc\"|\"xdp\",\n"
	  "\"xdp_generic\": bool, \"addresses\": [ADDR[/LEN]...], \"mac\": MAC, \"dhcp\": bool}.\n"
	  "A device with a file and no filter is attached; one whose file changed (by\n"
	  "content), whose policy another command changed or whose filter is gone gets\n"
	  "its file again; the others are not touched. A device sync attached whose file\n"
	  "is gone is detached; one attached before sync managed it is left attached.\n"
	  "Never a device without a file. A file for a device that does not exist waits\n"
	  "for it. A file that cannot be used fails its device alone: an attached device\n"
	  "keeps its policy, an unfiltered one is attached deny-all. Prints the plan:\n"
	  "one line per device touched (-j: every device, with its action and result).\n"
	  "--dry-run prints it and changes nothing. --watch stays, passing again when\n"
	  "a file changes (renames too), a device appears or changes, and every 30 s;\n"
	  "it prints a pass that did something. internet on|off stays as it was set.\n"
	  "Exit 2 if a file could not be used, 3 if a change failed." },
	{ "version", do_version, 0, 0, 0, "",
	  "Print the version, this binary's program build, and the programs running on\n"
	  "this host (with their tags; \"another build\" when upgrade would replace one)." },
	{ "help", do_help, 0, 1, 0, "[COMMAND]", "Help on all commands or on one." },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char global_help[] =
	"Global options:\n"
	"  -j, --json            JSON output (errors as {\"error\": ...})\n"
	"  -p, --pretty          pretty JSON (implies -j)\n"
	"  -v, --verbose         show libbpf's messages and debug output\n"
	"      --pin-dir DIR     bpffs directory of the program and maps (" VR_DEFAULT_PIN_DIR ")\n"
	"      --resolver ADDRS  DNS servers for domain rules, e.g. 192.0.2.53 or\n"
	"                        [2001:db8::53]:5353 (default: /etc/resolv.conf)\n"
	"  -w, --wait SECONDS    wait that long for a lock another command holds\n"
	"                        (default: exit 4 at once)\n"
	"  -n, --netns NS        DEV is in network namespace NS: a name of ip netns, a\n"
	"                        path (/proc/PID/ns/net) or a PID; the state stays in\n"
	"                        the host's pin directory\n"
	"  -h, --help            help; -V, --version: the version\n"
	"\n"
	"RULE is HOST[:PORTS[/PROTO]]: HOST an IPv4/IPv6 address or CIDR (IPv6 in\n"
	"brackets when a port follows) or a domain name; PORTS N, N-M or *; PROTO tcp,\n"
	"udp, icmp or any (default any).\n"
	"Exit codes: 0 success, 1 check said deny or status found a filter missing, 2 invalid usage or input,\n"
	"3 system or kernel failure, 4 another command holds the lock.\n";

static void usage(FILE *f)
{
	fprintf(f, "Usage: vrnet-bpf [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < N_CMDS; i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].usage);
	fprintf(f, "\n%s\nvrnet-bpf help COMMAND shows what a command does.\n", global_help);
}

static void cmd_help(const struct cmd *c)
{
	printf("Usage: vrnet-bpf [OPTIONS] %s %s\n\n%s\n\n%s", c->name, c->usage, c->help,
	       global_help);
}

static int do_help(int argc, char **argv)
{
	const struct cmd *c;

	if (!argc) {
		usage(stdout);
		return 0;
	}
	c = find_cmd(argv[0]);
	if (!c)
		return fail(VR_EXIT_USAGE, "unknown command \"%s\"", argv[0]);
	cmd_help(c);
	return 0;
}

/* Exact name, or an unambiguous prefix (as bpftool does). */
static const struct cmd *find_cmd(const char *name)
{
	const struct cmd *found = NULL;

	for (size_t i = 0; i < N_CMDS; i++) {
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
		if (!strncmp(cmds[i].name, name, strlen(name))) {
			if (found)
				return NULL;
			found = &cmds[i];
		}
	}
	return found;
}

enum {
	LONG_PIN_DIR = 256,
	LONG_RESOLVER,
	LONG_POLICY,
	LONG_FORCE,
	LONG_CHECK,
	LONG_SINCE,
	LONG_COUNT,
	LONG_SUMMARY,
	LONG_RULES,
	LONG_REFUSE,
	LONG_MIN_TTL,
	LONG_GRACE,
	LONG_MAX_ADDRESSES,
	LONG_LOG_ANSWERS,
	LONG_ADDRESS,
	LONG_MAC,
	LONG_DHCP,
	LONG_INBOUND,
	LONG_MODE,
	LONG_XDP_GENERIC,
	LONG_DRY_RUN,
	LONG_WATCH,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "wait", required_argument, NULL, 'w' },
	{ "netns", required_argument, NULL, 'n' },
	{ "pin-dir", required_argument, NULL, LONG_PIN_DIR },
	{ "resolver", required_argument, NULL, LONG_RESOLVER },
	{ "policy", required_argument, NULL, LONG_POLICY },
	{ "force", no_argument, NULL, LONG_FORCE },
	{ "check", no_argument, NULL, LONG_CHECK },
	{ "since", required_argument, NULL, LONG_SINCE },
	{ "count", required_argument, NULL, LONG_COUNT },
	{ "summary-interval", required_argument, NULL, LONG_SUMMARY },
	{ "rules", no_argument, NULL, LONG_RULES },
	{ "refuse", required_argument, NULL, LONG_REFUSE },
	{ "min-ttl", required_argument, NULL, LONG_MIN_TTL },
	{ "grace", required_argument, NULL, LONG_GRACE },
	{ "max-addresses", required_argument, NULL, LONG_MAX_ADDRESSES },
	{ "log-answers", no_argument, NULL, LONG_LOG_ANSWERS },
	{ "address", required_argument, NULL, LONG_ADDRESS },
	{ "mac", required_argument, NULL, LONG_MAC },
	{ "dhcp", no_argument, NULL, LONG_DHCP },
	{ "inbound", no_argument, NULL, LONG_INBOUND },
	{ "mode", required_argument, NULL, LONG_MODE },
	{ "xdp-generic", no_argument, NULL, LONG_XDP_GENERIC },
	{ "dry-run", no_argument, NULL, LONG_DRY_RUN },
	{ "watch", no_argument, NULL, LONG_WATCH },
	{ 0 },
};

/*
 * Parses every option wherever it stands and leaves the positional arguments
 * in order at the front of argv. Returns their count, or -1 on a bad option.
 */
static int parse_options(int argc, char **argv, bool *help, bool *version,
			 unsigned int *seen)
{
	int c, n = 0;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));

	if (!pos)
		return -1;
	opterr = 0;
	optind = 1;
	while (optind < argc) {
		c = getopt_long(argc, argv, "+:jpvhVw:n:", long_opts, NULL);
		if (c == -1 && !strcmp(argv[optind - 1], "--")) {
			/* "--" ends the options: all that follows is positional */
			while (optind < argc)
				pos[n++] = argv[optind++];
			break;
		}
		if (c == -1) {
			pos[n++] = argv[optind++];
			continue;
		}
		switch (c) {
		case 'j':
			opt.json = true;
			break;
		case 'p':
			opt.json = opt.pretty = true;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			*help = true;
			break;
		case 'V':
			*version = true;
			break;
		case 'w':
			opt.wait = optarg;
			break;
		case 'n':
			opt.netns = optarg;
			break;
		case LONG_PIN_DIR:
			opt.pin_dir = optarg;
			break;
		case LONG_RESOLVER:
			opt.resolver.servers = optarg;
			break;
		case LONG_POLICY:
			opt.policy = optarg;
			*seen |= OPT_POLICY;
			break;
		case LONG_FORCE:
			opt.force = true;
			*seen |= OPT_FORCE;
			break;
		case LONG_CHECK:
			opt.check = true;
			*seen |= OPT_CHECK;
			break;
		case LONG_SINCE:
			opt.since = optarg;
			*seen |= OPT_SINCE;
			break;
		case LONG_COUNT:
			opt.count = optarg;
			*seen |= OPT_COUNT;
			break;
		case LONG_SUMMARY:
			opt.summary = optarg;
			*seen |= OPT_SUMMARY;
			break;
		case LONG_RULES:
			opt.rules = true;
			*seen |= OPT_RULES;
			break;
		case LONG_REFUSE:
			opt.refuse = optarg;
			*seen |= OPT_REFUSE;
			break;
		case LONG_MIN_TTL:
			opt.min_ttl = optarg;
			*seen |= OPT_MIN_TTL;
			break;
		case LONG_GRACE:
			opt.grace = optarg;
			*seen |= OPT_GRACE;
			break;
		case LONG_MAX_ADDRESSES:
			opt.max_addresses = optarg;
			*seen |= OPT_MAX_ADDRESSES;
			break;
		case LONG_LOG_ANSWERS:
			opt.log_answers = true;
			*seen |= OPT_LOG_ANSWERS;
			break;
		case LONG_ADDRESS:
			if (opt.n_addresses == VR_MAX_ADDRESS_OPTS) {
				vr_log_setup(opt.json, opt.verbose);
				vr_err("at most %d --address options", VR_MAX_ADDRESS_OPTS);
				free(pos);
				return -1;
			}
			opt.addresses[opt.n_addresses++] = optarg;
			*seen |= OPT_ADDRESS;
			break;
		case LONG_MAC:
			opt.mac = optarg;
			*seen |= OPT_MAC;
			break;
		case LONG_DHCP:
			opt.dhcp = true;
			*seen |= OPT_DHCP;
			break;
		case LONG_INBOUND:
			opt.inbound = true;
			*seen |= OPT_INBOUND;
			break;
		case LONG_MODE:
			opt.mode = optarg;
			*seen |= OPT_MODE;
			break;
		case LONG_XDP_GENERIC:
			opt.xdp_generic = true;
			*seen |= OPT_XDP_GENERIC;
			break;
		case LONG_DRY_RUN:
			opt.dry_run = true;
			*seen |= OPT_DRY_RUN;
			break;
		case LONG_WATCH:
			opt.watch = true;
			*seen |= OPT_WATCH;
			break;
		case ':':
			vr_log_setup(opt.json, opt.verbose);
			vr_err("option %s needs an argument", argv[optind - 1]);
			free(pos);
			return -1;
		default:
			vr_log_setup(opt.json, opt.verbose);
			if (optopt && optopt < 128 && isprint(optopt))
				vr_err("unknown option -%c", optopt);
			else
				vr_err("unknown option %s", argv[optind - 1]);
			free(pos);
			return -1;
		}
	}
	memcpy(argv + 1, pos, (size_t)n * sizeof(*pos));
	free(pos);
	return n;
}

static const char *option_name(unsigned int bits)
{
	return bits & OPT_POLICY  ? "--policy" :
	       bits & OPT_FORCE	  ? "--force" :
	       bits & OPT_CHECK	  ? "--check" :
	       bits & OPT_SINCE	  ? "--since" :
	       bits & OPT_COUNT	  ? "--count" :
	       bits & OPT_RULES	  ? "--rules" :
	       bits & OPT_REFUSE  ? "--refuse" :
	       bits & OPT_MIN_TTL ? "--min-ttl" :
	       bits & OPT_GRACE	  ? "--grace" :
	       bits & OPT_MAX_ADDRESSES ? "--max-addresses" :
	       bits & OPT_LOG_ANSWERS ? "--log-answers" :
	       bits & OPT_ADDRESS ? "--address" :
	       bits & OPT_MAC	  ? "--mac" :
	       bits & OPT_DHCP	  ? "--dhcp" :
	       bits & OPT_INBOUND ? "--inbound" :
	       bits & OPT_MODE	  ? "--mode" :
	       bits & OPT_XDP_GENERIC ? "--xdp-generic" :
	       bits & OPT_DRY_RUN ? "--dry-run" :
	       bits & OPT_WATCH	  ? "--watch" :
				    "--summary-interval";
}

int main(int argc, char **argv)
{
	bool help = false, version = false;
	unsigned int seen = 0;
	const struct cmd *c;
	int nargs;

	cli_argv = malloc((size_t)(argc + 1) * sizeof(*argv));
	if (!cli_argv)
		return VR_EXIT_SYSTEM;
	memcpy(cli_argv, argv, (size_t)(argc + 1) * sizeof(*argv));
	nargs = parse_options(argc, argv, &help, &version, &seen);
	if (nargs < 0)
		return VR_EXIT_USAGE;
	vr_log_setup(opt.json, opt.verbose);
	if (opt.pin_dir[0] != '/')
		return fail(VR_EXIT_USAGE, "--pin-dir must be an absolute path, not \"%s\"",
			    opt.pin_dir);
	if (opt.wait) {
		long seconds;
		int ret = parse_count(opt.wait, "-w", 3600, &seconds);

		if (ret)
			return ret;
		vr_state_lock_wait((int)seconds * 1000);
	} else {
		vr_state_lock_wait(0);
	}
	if (opt.netns) {
		int ret = vr_netns_join(opt.netns, errbuf, sizeof(errbuf));

		if (ret)
			return fail(exit_of(ret), "%s", errbuf);
	}
	if (version)
		return do_version(0, NULL);
	if (!nargs) {
		if (help) {
			usage(stdout);
			return VR_EXIT_OK;
		}
		usage(stderr);
		return VR_EXIT_USAGE;
	}
	c = find_cmd(argv[1]);
	if (!c)
		return fail(VR_EXIT_USAGE, "unknown or ambiguous command \"%s\" (vrnet-bpf help)",
			    argv[1]);
	if (help) {
		cmd_help(c);
		return VR_EXIT_OK;
	}
	if (seen & ~c->options)
		return fail(VR_EXIT_USAGE, "%s does not take %s (vrnet-bpf help %s)", c->name,
			    option_name(seen & ~c->options), c->name);
	nargs--;
	if (nargs < c->min_args || (c->max_args >= 0 && nargs > c->max_args))
		return fail(VR_EXIT_USAGE, "usage: vrnet-bpf %s %s", c->name, c->usage);
	return c->fn(nargs, argv + 2);
}
