// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sync: brings this network namespace's devices to a directory of files,
 * one per device (sync_files.h). Each pass reads the files, decides a step
 * per device (sync_plan.h) with no lock held, and only if a step changes
 * something takes the lock, decides again and carries the steps out. With
 * --watch it passes again whenever the files or the devices change.
 */
#include <errno.h>
#include <libgen.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cli.h"
#include "log.h"
#include "output.h"
#include "sync_files.h"
#include "sync_plan.h"
#include "sync_watch.h"
#include "tc.h"

#define SYNC_PERIOD_MS 30000 /* --watch passes this often with no change seen too */
#define SYNC_QUIET_MS 200    /* a burst of changes ends after this long without one */

struct sync_item {
	char name[16];
	struct vr_sync_file *file;	  /* NULL: none */
	const struct vr_sync_record *rec; /* NULL: none */
	struct vr_sync_seen seen;
	struct vr_sync_step step;
	int result; /* exit code of carrying the step out */
	char *error; /* why its file is unusable or its step failed; NULL: none */
};

struct sync_pass {
	struct vr_sync_file *files;
	size_t n_files;
	bool one_file; /* PATH is one device's file: the other devices are not in it */
	char dir[VR_SYNC_DIR_MAX]; /* the real path of PATH's directory: whose devices these are */
	struct vr_sync_key *keys;
	struct vr_sync_record *recs;
	size_t n_recs;
	struct sync_item *items;
	size_t n;
	bool planned; /* the steps are decided: there is a plan to report */
	int worst;    /* the exit code */
};

static void items_free(struct sync_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].error);
	free(items);
}

static bool changes(enum vr_sync_action a)
{
	return a != VR_SYNC_UNCHANGED && a != VR_SYNC_WAIT && a != VR_SYNC_INVALID;
}

/*
 * The ifindex of device @name, 0 if there is none, through @fd: one ioctl.
 * (if_nameindex() would dump every link of the host, attributes and all.)
 */
static int index_of(int fd, const char *name)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return fd >= 0 && !ioctl(fd, SIOCGIFINDEX, &ifr) ? ifr.ifr_ifindex : 0;
}

static void see(struct vr_state *st, bool opened, int ifindex, struct vr_sync_seen *seen)
{
	struct vr_device dev;

	memset(seen, 0, sizeof(*seen));
	seen->ifindex = ifindex;
	if (!ifindex || !opened || vr_device_get(st, ifindex, &dev))
		return;
	seen->policy_id = dev.policy_id;
	seen->overlay_id = dev.overlay_id;
	seen->xdp = dev.xdp;
	seen->filtered = st->prog_fd >= 0 && vr_hook_is_attached(ifindex, st->prog_id) == 1;
}

static int by_item_name(const void *a, const void *b)
{
	return strcmp(((const struct sync_item *)a)->name, ((const struct sync_item *)b)->name);
}

/*
 * Files and records, both sorted by name, walked together into one step per
 * device. With @before (the steps decided with no lock held), a device whose
 * step there changed nothing is not looked at again: the next pass sees it.
 */
static int decide(struct sync_pass *p, struct vr_state *st, bool opened,
		  const struct sync_item *before, size_t n_before)
{
	size_t f = 0, r = 0;
	int fd;

	items_free(p->items, p->n);
	p->n = 0;
	p->items = calloc(p->n_files + p->n_recs + 1, sizeof(*p->items));
	if (!p->items)
		return -ENOMEM;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (f < p->n_files || r < p->n_recs) {
		struct sync_item *it = &p->items[p->n++];
		const struct sync_item *was;
		bool foreign;
		/* a file named as no device takes no device's record */
		int order = f == p->n_files	     ? 1 :
			    r == p->n_recs || p->files[f].no_device ? -1 :
							 strncmp(p->files[f].name, p->keys[r].ifname,
								 sizeof(it->name));

		/* a record with no file here: another device of a one-file PATH, or another directory's */
		if (order > 0 && (p->one_file || strcmp(p->recs[r].dir, p->dir))) {
			r++;
			p->n--;
			continue;
		}
		if (order <= 0)
			it->file = &p->files[f++];
		if (order >= 0)
			it->rec = &p->recs[r++];
		snprintf(it->name, sizeof(it->name), "%s",
			 it->file ? it->file->name : p->keys[r - 1].ifname);
		was = before ? bsearch(it, before, n_before, sizeof(*it), by_item_name) : NULL;
		if (was && !changes(was->step.action)) {
			it->seen = was->seen;
			it->step = was->step;
			it->error = was->error ? strdup(was->error) : NULL;
			continue;
		}
		/* a file named as no device could name one by its cut name: none is seen */
		if (!it->file || !it->file->no_device)
			see(st, opened, index_of(fd, it->name), &it->seen);
		/* a file new or changed since sync applied it is parsed: the plan says if it fails */
		if (it->file && (!it->rec || memcmp(it->rec->digest, it->file->digest,
						    sizeof(it->rec->digest))))
			vr_sync_file_check(it->file);
		if (it->file && it->file->error)
			it->error = strdup(it->file->why);
		foreign = it->rec && strcmp(it->rec->dir, p->dir);
		if (foreign && !it->error && asprintf(&it->error, "%s: the sync of %s manages it",
						      it->name, it->rec->dir) < 0)
			it->error = NULL;
		it->step = vr_sync_decide(it->file, it->file && !it->file->error,
					  it->file ? it->file->digest : NULL, it->rec, foreign,
					  &it->seen);
	}
	close(fd);
	return 0;
}

static bool any_change(const struct sync_pass *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (changes(p->items[i].step.action))
			return true;
	return false;
}

static int put_record(int fd, const struct vr_state *st, const char *name,
		      const struct vr_sync_record *rec)
{
	struct vr_sync_key key = { .netns_cookie = st->netns_cookie };

	snprintf(key.ifname, sizeof(key.ifname), "%s", name);
	if (bpf_map_update_elem(fd, &key, rec, BPF_ANY))
		return fail(VR_EXIT_SYSTEM, "%s: couldn't record what sync applied: %s", name,
			    strerror(errno));
	return 0;
}

static void drop_record(int fd, const struct vr_state *st, const char *name)
{
	struct vr_sync_key key = { .netns_cookie = st->netns_cookie };

	snprintf(key.ifname, sizeof(key.ifname), "%s", name);
	bpf_map_delete_elem(fd, &key);
}

/* Attaches or applies @it's file (or, @deny_all, a deny-all policy) and records it. */
static int carry_file(struct vr_state *st, int records_fd, const char *dir,
		      const struct sync_item *it, bool deny_all)
{
	struct vr_prepared_names names = { 0 };
	struct vr_compiled c = { 0 };
	struct vr_sync_device d = { 0 };
	struct vr_sync_record rec = { 0 };
	struct vr_attach_args a = { .policy = &d.policy, .compiled = &c, .binding = &d.binding };
	struct vr_device dev;
	int ifindex, ret;
	bool bound;

	if (deny_all) {
		vr_policy_init(&d.policy);
		vr_sync_device_parse(NULL, it->name, &d, errbuf, sizeof(errbuf));
	} else if (vr_sync_device_load(it->file, &d, errbuf, sizeof(errbuf))) {
		return fail(VR_EXIT_USAGE, "%s", errbuf);
	}
	a.xdp = d.xdp;
	/* no binding asked for, and none on the device: nothing to write */
	bound = it->seen.filtered && !vr_device_get(st, it->seen.ifindex, &dev) && dev.binding;
	if (!d.binding.count && !bound)
		a.binding = NULL;
	if (!(ret = attachable_device(it->name, &ifindex)) &&
	    !(ret = prepare_policy(&names, &d.policy, deny_all ? it->name : it->file->path, &c)))
		ret = attach_device(st, ifindex, it->name, &a);
	if (!ret && !vr_device_get(st, ifindex, &dev)) {
		/* deny-all keeps no digest: any usable file differs from it */
		if (!deny_all)
			memcpy(rec.digest, d.digest, sizeof(rec.digest));
		snprintf(rec.dir, sizeof(rec.dir), "%s", dir);
		rec.ifindex = ifindex;
		rec.policy_id = dev.policy_id;
		rec.overlay_id = dev.overlay_id;
		rec.xdp = dev.xdp;
		rec.attached = it->step.action != VR_SYNC_APPLY ||
			       (it->rec && it->rec->attached && it->rec->ifindex == ifindex);
		ret = put_record(records_fd, st, it->name, &rec);
	}
	vr_compiled_free(&c);
	vr_prepared_names_free(&names);
	vr_sync_device_free(&d);
	return ret;
}

static int carry_out(struct vr_state *st, int records_fd, const char *dir,
		     struct sync_item *it)
{
	switch (it->step.action) {
	case VR_SYNC_ATTACH:
	case VR_SYNC_APPLY:
		return carry_file(st, records_fd, dir, it, false);
	case VR_SYNC_DENY:
		return carry_file(st, records_fd, dir, it, true);
	case VR_SYNC_DETACH: {
		int ret = detach_device(st, it->seen.ifindex, it->name);

		if (!ret)
			drop_record(records_fd, st, it->name);
		return ret;
	}
	case VR_SYNC_RELEASE:
	case VR_SYNC_FORGET:
		drop_record(records_fd, st, it->name);
		return 0;
	default:
		return 0;
	}
}

static void pass_free(struct sync_pass *p)
{
	vr_sync_files_free(p->files, p->n_files);
	free(p->keys);
	free(p->recs);
	items_free(p->items, p->n);
	memset(p, 0, sizeof(*p));
}

/* Reads the records and decides, the state open (@opened) or not there at all. */
static int plan(struct sync_pass *p, struct vr_state *st, bool opened, int records_fd,
		const struct sync_item *before, size_t n_before)
{
	int ret;

	free(p->keys);
	free(p->recs);
	ret = vr_sync_records_list(records_fd, opened ? st->netns_cookie : 0, &p->keys, &p->recs,
				   &p->n_recs);
	if (!ret)
		ret = decide(p, st, opened, before, n_before);
	if (ret)
		return fail(VR_EXIT_SYSTEM, "couldn't plan the sync: %s", strerror(-ret));
	return 0;
}

/* sync's records, or none yet (@create: made); says why they cannot be read. */
static int open_records(struct vr_state *st, bool create, int *fd)
{
	int ret = vr_sync_records_open(st, create, fd);

	if (ret == -ENOENT && !create)
		return 0;
	if (ret == -EPROTO)
		return fail(VR_EXIT_SYSTEM,
			    "%s/%s was made by another build of vrnet-bpf: remove it, and the next sync takes over the devices its files name (detaching none)",
			    st->pin_dir, VR_MAP_SYNC);
	if (ret)
		return fail(VR_EXIT_SYSTEM, "couldn't open or make %s in %s: %s", VR_MAP_SYNC,
			    st->pin_dir, strerror(-ret));
	return 0;
}

/* The steps decided with no lock: the state as it is, or none yet. */
static int plan_unlocked(struct sync_pass *p)
{
	struct vr_state st;
	int records_fd = -1, ret = vr_state_open(&st, opt.pin_dir, VR_OPEN_READ, errbuf,
						 sizeof(errbuf));

	bool opened = !ret;

	if (ret && ret != -ENOENT)
		return fail(open_exit(ret), "%s", errbuf);
	ret = opened ? open_records(&st, false, &records_fd) : 0;
	if (!ret)
		ret = plan(p, &st, opened, records_fd, NULL, 0);
	if (records_fd >= 0)
		close(records_fd);
	vr_state_close(&st);
	return ret;
}

/* Under the lock: decide again (another command may have run) and carry the steps out. */
static int carry_out_locked(struct sync_pass *p)
{
	struct sync_item *before = p->items;
	size_t n_before = p->n;
	char why[1024];
	struct vr_state st;
	int records_fd = -1, ret = open_state(&st, VR_OPEN_CHANGE);

	if (ret)
		return ret;
	p->items = NULL;
	p->n = 0;
	ret = open_records(&st, true, &records_fd);
	if (!ret)
		ret = plan(p, &st, true, records_fd, before, n_before);
	for (size_t i = 0; !ret && i < p->n; i++) {
		struct sync_item *it = &p->items[i];

		if (!changes(it->step.action))
			continue;
		vr_log_capture(why, sizeof(why));
		it->result = carry_out(&st, records_fd, p->dir, it);
		vr_log_capture(NULL, 0);
		if (it->result) {
			free(it->error);
			it->error = strdup(why);
		}
	}
	items_free(before, n_before);
	if (records_fd >= 0)
		close(records_fd);
	vr_state_close(&st);
	return ret;
}

/* The real path of @path's directory (@path's own, a directory): what records name. */
static int real_dir(const char *path, bool one_file, char *dir, size_t len)
{
	char copy[4096], *real;

	snprintf(copy, sizeof(copy), "%s", path);
	real = realpath(one_file ? dirname(copy) : path, NULL);
	if (!real)
		return fail(VR_EXIT_USAGE, "%s: %s", path, strerror(errno));
	if (strlen(real) >= len) {
		free(real);
		return fail(VR_EXIT_USAGE, "%s: its directory's path is longer than %zu characters",
			    path, len - 1);
	}
	snprintf(dir, len, "%s", real);
	free(real);
	return 0;
}

/* One pass: read, decide, carry out unless @dry_run. Returns the exit code of the pass. */
static int sync_pass(const char *path, bool dry_run, struct sync_pass *p)
{
	double t0 = vr_now_ms(), t1, t2;
	int ret;

	pass_free(p);
	ret = vr_sync_files_read(path, &p->files, &p->n_files, &p->one_file, errbuf,
				 sizeof(errbuf));
	if (ret)
		return fail(ret == -ENOMEM ? VR_EXIT_SYSTEM : VR_EXIT_USAGE, "%s", errbuf);
	if ((ret = real_dir(path, p->one_file, p->dir, sizeof(p->dir))))
		return ret;
	t1 = vr_now_ms();
	ret = plan_unlocked(p);
	t2 = vr_now_ms();
	if (!ret && !dry_run && any_change(p))
		ret = carry_out_locked(p);
	vr_debug("sync: files_ms=%.3f plan_ms=%.3f change_ms=%.3f (%zu files)", t1 - t0, t2 - t1,
		 vr_now_ms() - t2, p->n_files);
	if (ret)
		return ret;
	p->planned = true;
	for (size_t i = 0; i < p->n; i++) {
		const struct sync_item *it = &p->items[i];
		int code = it->result ? it->result :
			   it->step.action == VR_SYNC_INVALID || it->step.action == VR_SYNC_DENY ?
					VR_EXIT_USAGE :
					0;

		if (code > p->worst)
			p->worst = code;
	}
	return p->worst;
}

static const char *result_of(const struct sync_item *it, bool dry_run)
{
	if (!changes(it->step.action))
		return it->step.action == VR_SYNC_INVALID ? "failed" : "none";
	return dry_run ? "planned" : it->result ? "failed" : "done";
}

static json_t *pass_json(const struct sync_pass *p, const char *path, bool dry_run, double ms)
{
	json_t *devices = json_array(), *counts = json_object();

	for (size_t i = 0; i < p->n; i++) {
		const struct sync_item *it = &p->items[i];
		const char *action = vr_sync_action_name(it->step.action);
		json_t *one = json_pack("{s:s?,s:s?,s:s,s:s,s:s}", "device",
					it->file && it->file->no_device ? NULL : it->name, "file",
					it->file ? it->file->path : NULL, "action", action,
					"reason", it->step.reason, "result",
					result_of(it, dry_run));

		if (it->error)
			json_object_set_new(one, "error", json_string(it->error));
		json_array_append_new(devices, one);
		json_object_set_new(counts, action,
				    json_integer(json_integer_value(json_object_get(counts, action)) +
						 1));
	}
	return json_pack("{s:s,s:b,s:o,s:o,s:f}", "path", path, "dry_run", dry_run, "devices",
			 devices, "counts", counts, "duration_ms", ms);
}

static void pass_text(const struct sync_pass *p, bool dry_run, double ms)
{
	size_t count[VR_SYNC_DENY + 1] = { 0 };

	for (size_t i = 0; i < p->n; i++) {
		const struct sync_item *it = &p->items[i];

		count[it->step.action]++;
		if (it->step.action == VR_SYNC_UNCHANGED)
			continue;
		printf("%-9s %s: ", vr_sync_action_name(it->step.action),
		       it->file && it->file->no_device ? it->file->path : it->name);
		/* an unusable file's error names the file and what is wrong in it */
		if (it->step.action == VR_SYNC_INVALID)
			printf("%s\n", it->error);
		else if (it->error)
			printf("%s: %s%s\n", it->step.reason, it->result ? "FAILED: " : "", it->error);
		else
			printf("%s\n", it->step.reason);
	}
	printf("sync%s: %zu devices: %zu attach, %zu apply, %zu detach, %zu unchanged, %zu wait, %zu invalid (%.1f ms)\n",
	       dry_run ? " --dry-run (nothing changed)" : "", p->n, count[VR_SYNC_ATTACH] + count[VR_SYNC_DENY],
	       count[VR_SYNC_APPLY], count[VR_SYNC_DETACH], count[VR_SYNC_UNCHANGED],
	       count[VR_SYNC_WAIT], count[VR_SYNC_INVALID] + count[VR_SYNC_DENY], ms);
}

static void report(const struct sync_pass *p, const char *path, bool dry_run, double ms)
{
	if (opt.json)
		vr_json_print(pass_json(p, path, dry_run, ms), opt.pretty);
	else
		pass_text(p, dry_run, ms);
	fflush(stdout); /* --watch: each pass as it ends, into a pipe or the journal too */
}

/* Whether a pass did or found anything to report: --watch stays quiet otherwise. */
static bool worth_report(const struct sync_pass *p, const struct sync_pass *last_seen)
{
	for (size_t i = 0; i < p->n; i++)
		if (changes(p->items[i].step.action))
			return true;
	/* waits and invalid files: once, until they change */
	if (p->n != last_seen->n)
		return true;
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].step.action != last_seen->items[i].step.action ||
		    strcmp(p->items[i].name, last_seen->items[i].name))
			return true;
	return false;
}

static int watch(const char *path)
{
	struct sync_pass p = { 0 }, last = { 0 };
	struct vr_sync_watch w;
	int ret = vr_sync_watch_open(&w, path, errbuf, sizeof(errbuf));

	if (ret)
		return fail(VR_EXIT_SYSTEM, "%s", errbuf);
	if (!opt.wait)
		vr_state_lock_wait(SYNC_PERIOD_MS); /* a pass waits for other commands */
	for (bool first = true;; first = false) {
		double t0 = vr_now_ms();
		enum vr_sync_wake wake;

		sync_pass(path, false, &p);
		if (p.planned && (first || worth_report(&p, &last)))
			report(&p, path, false, vr_now_ms() - t0);
		/* the last pass's steps, kept for the comparison (its files are not) */
		items_free(last.items, last.n);
		last.items = p.items;
		last.n = p.n;
		p.items = NULL;
		p.n = 0;
		vr_sync_watch_rearm(&w);
		wake = vr_sync_watch_wait(&w, SYNC_PERIOD_MS, SYNC_QUIET_MS);
		if (wake == VR_WAKE_STOP)
			break;
		if (wake == VR_WAKE_ERROR) {
			ret = fail(VR_EXIT_SYSTEM, "waiting for changes: %s", strerror(errno));
			break;
		}
	}
	pass_free(&p);
	items_free(last.items, last.n);
	vr_sync_watch_close(&w);
	return ret;
}

int do_sync(int argc, char **argv)
{
	struct sync_pass p = { 0 };
	double t0 = vr_now_ms();
	int ret;

	if (opt.dry_run && opt.watch)
		return fail(VR_EXIT_USAGE, "--dry-run and --watch do not go together");
	if (opt.watch) {
		ret = watch(argv[0]);
	} else {
		ret = sync_pass(argv[0], opt.dry_run, &p);
		if (p.planned)
			report(&p, argv[0], opt.dry_run, vr_now_ms() - t0);
		pass_free(&p);
	}
	return ret;
}
