// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One pass of sync: read, decide, and carry out under the lock (sync_pass.h). */
#include <errno.h>
#include <libgen.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cli.h"
#include "log.h"
#include "sync_pass.h"
#include "tc.h"

void vr_sync_items_free(struct vr_sync_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].error);
	free(items);
}

bool vr_sync_changes(enum vr_sync_action a)
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

static bool is_dir(const char *path)
{
	struct stat sb;

	return !stat(path, &sb) && S_ISDIR(sb.st_mode);
}

/*
 * @it's step, its file and record set: the device looked at, the file parsed
 * if it is new or changed since sync applied it (the plan says if it fails).
 * A record of a directory that is gone (renamed, a symlink's old target) is
 * this one's to take over.
 */
static void decide_one(const struct vr_sync_pass *p, struct vr_sync_item *it, struct vr_state *st,
		       bool opened, int fd)
{
	free(it->error);
	it->error = NULL;
	/* a file named as no device could name one by its cut name: none is seen */
	if (!it->file || !it->file->no_device)
		see(st, opened, index_of(fd, it->name), &it->seen);
	if (it->file && (!it->rec || memcmp(it->rec->digest, it->file->digest,
					    sizeof(it->rec->digest))))
		vr_sync_file_check(it->file);
	it->foreign = it->rec && strcmp(it->rec->dir, p->dir) && is_dir(it->rec->dir);
	if (it->file && it->file->error)
		it->error = strdup(it->file->why);
	else if (it->foreign && asprintf(&it->error, "%s: the sync of %s manages it", it->name,
					 it->rec->dir) < 0)
		it->error = NULL;
	it->step = vr_sync_decide(it->file, it->file && !it->file->error,
				  it->file ? it->file->digest : NULL, it->rec, it->foreign,
				  &it->seen);
}

/* Files and records, both sorted by name, walked together into one step per device. */
static int decide(struct vr_sync_pass *p, struct vr_state *st, bool opened)
{
	size_t f = 0, r = 0;
	int fd;

	vr_sync_items_free(p->items, p->n);
	p->n = 0;
	p->items = calloc(p->n_files + p->n_recs + 1, sizeof(*p->items));
	if (!p->items)
		return -ENOMEM;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (f < p->n_files || r < p->n_recs) {
		struct vr_sync_item *it = &p->items[p->n];
		/* a file named as no device takes no device's record */
		int order = f == p->n_files			    ? 1 :
			    r == p->n_recs || p->files[f].no_device ? -1 :
								      strncmp(p->files[f].name,
									      p->keys[r].ifname,
									      sizeof(it->name));

		/* a record with no file here: another device of a one-file PATH, or another directory's */
		if (order > 0 && (p->one_file || strcmp(p->recs[r].dir, p->dir))) {
			r++;
			continue;
		}
		if (order <= 0)
			it->file = &p->files[f++];
		if (order >= 0)
			it->rec = &p->recs[r++];
		snprintf(it->name, sizeof(it->name), "%s",
			 it->file ? it->file->name : p->keys[r - 1].ifname);
		decide_one(p, it, st, opened, fd);
		p->n++;
	}
	close(fd);
	return 0;
}

static int read_records(struct vr_sync_pass *p, const struct vr_state *st, bool opened,
			int records_fd)
{
	int ret;

	free(p->keys);
	free(p->recs);
	ret = vr_sync_records_list(records_fd, opened ? st->netns_cookie : 0, &p->keys, &p->recs,
				   &p->n_recs);
	if (ret)
		return fail(VR_EXIT_SYSTEM, "couldn't read %s: %s", VR_MAP_SYNC, strerror(-ret));
	return 0;
}

static int by_key_name(const void *a, const void *b)
{
	return strncmp(((const struct vr_sync_key *)a)->ifname,
		       ((const struct vr_sync_key *)b)->ifname,
		       sizeof(((struct vr_sync_key *)0)->ifname));
}

/* @name's record in the pass's (sorted, one per name), or NULL. */
static const struct vr_sync_record *record_of(const struct vr_sync_pass *p, const char *name)
{
	struct vr_sync_key key = { 0 };
	const struct vr_sync_key *found;

	snprintf(key.ifname, sizeof(key.ifname), "%s", name);
	found = bsearch(&key, p->keys, p->n_recs, sizeof(key), by_key_name);
	return found ? &p->recs[found - p->keys] : NULL;
}

static bool any_change(const struct vr_sync_pass *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (vr_sync_changes(p->items[i].step.action))
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

/*
 * Attaches or applies @it's file (@deny_all: a deny-all policy instead) and
 * records it. A device sync attaches is recorded as sync's before it is
 * attached: a sync killed in between still detaches it when its file goes.
 * Another directory's device is not recorded: that sync's it stays.
 */
static int carry_file(struct vr_state *st, int records_fd, const char *dir,
		      const struct vr_sync_item *it, bool deny_all)
{
	struct vr_prepared_names names = { 0 };
	struct vr_compiled c = { 0 };
	struct vr_sync_device d = { 0 };
	struct vr_sync_record rec = { .attached = 1 };
	struct vr_attach_args a = { .policy = &d.policy, .compiled = &c, .binding = &d.binding };
	struct vr_device dev;
	bool bound, attaching = !it->seen.filtered;
	int ifindex, ret;

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
	snprintf(rec.dir, sizeof(rec.dir), "%s", dir);
	ret = attachable_device(it->name, &ifindex);
	rec.ifindex = ifindex;
	if (!ret && attaching && !it->foreign)
		ret = put_record(records_fd, st, it->name, &rec);
	if (!ret)
		ret = prepare_policy(&names, &d.policy, deny_all ? it->name : it->file->path, &c);
	if (!ret)
		ret = attach_device(st, ifindex, it->name, &a);
	if (!ret && !it->foreign && !vr_device_get(st, ifindex, &dev)) {
		/* deny-all keeps no digest: any usable file differs from it */
		if (!deny_all)
			memcpy(rec.digest, d.digest, sizeof(rec.digest));
		rec.policy_id = dev.policy_id;
		rec.overlay_id = dev.overlay_id;
		rec.xdp = dev.xdp;
		rec.attached = attaching || (it->rec && it->rec->attached &&
					     it->rec->ifindex == ifindex);
		ret = put_record(records_fd, st, it->name, &rec);
	}
	vr_compiled_free(&c);
	vr_prepared_names_free(&names);
	vr_sync_device_free(&d);
	return ret;
}

/*
 * Carries @it's step out. A file that fails on a device with no filter
 * (a binding the host refuses, XDP its driver lacks) leaves it attached
 * deny-all, as a file that does not parse does: never unfiltered.
 */
static int carry_out(struct vr_state *st, int records_fd, const char *dir,
		     struct vr_sync_item *it)
{
	int ret;

	switch (it->step.action) {
	case VR_SYNC_ATTACH:
	case VR_SYNC_APPLY:
	case VR_SYNC_DENY:
		ret = carry_file(st, records_fd, dir, it, it->step.action == VR_SYNC_DENY);
		if (ret && it->step.action != VR_SYNC_DENY &&
		    !is_attached(st, (int)if_nametoindex(it->name)) &&
		    !carry_file(st, records_fd, dir, it, true))
			it->denied = true;
		return ret;
	case VR_SYNC_DETACH:
		ret = detach_device(st, it->seen.ifindex, it->name);
		if (!ret)
			drop_record(records_fd, st, it->name);
		return ret;
	case VR_SYNC_RELEASE:
	case VR_SYNC_FORGET:
		drop_record(records_fd, st, it->name);
		return 0;
	default:
		return 0;
	}
}

void vr_sync_pass_free(struct vr_sync_pass *p)
{
	vr_sync_files_free(p->files, p->n_files);
	free(p->keys);
	free(p->recs);
	vr_sync_items_free(p->items, p->n);
	memset(p, 0, sizeof(*p));
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
static int plan_unlocked(struct vr_sync_pass *p)
{
	struct vr_state st;
	int records_fd = -1, ret = vr_state_open(&st, opt.pin_dir, VR_OPEN_READ, errbuf,
						 sizeof(errbuf));
	bool opened = !ret;

	if (ret && ret != -ENOENT)
		return fail(open_exit(ret), "%s", errbuf);
	ret = opened ? open_records(&st, false, &records_fd) : 0;
	if (!ret)
		ret = read_records(p, &st, opened, records_fd);
	if (!ret && (ret = decide(p, &st, opened)))
		ret = fail(VR_EXIT_SYSTEM, "couldn't plan the sync: %s", strerror(-ret));
	if (records_fd >= 0)
		close(records_fd);
	vr_state_close(&st);
	return ret;
}

/*
 * Under the lock, the steps that change something are decided again
 * (another command may have run since) and carried out; the others wait for
 * the next pass.
 */
static int carry_out_locked(struct vr_sync_pass *p)
{
	char why[1024];
	struct vr_state st;
	int records_fd = -1, fd = -1, ret = open_state(&st, VR_OPEN_CHANGE);

	if (ret)
		return ret;
	ret = open_records(&st, true, &records_fd);
	if (!ret)
		ret = read_records(p, &st, true, records_fd);
	if (!ret && (fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		ret = fail(VR_EXIT_SYSTEM, "socket: %s", strerror(errno));
	for (size_t i = 0; !ret && i < p->n; i++) {
		struct vr_sync_item *it = &p->items[i];

		it->rec = it->file && it->file->no_device ? NULL : record_of(p, it->name);
		if (!vr_sync_changes(it->step.action))
			continue;
		decide_one(p, it, &st, true, fd);
		if (!vr_sync_changes(it->step.action))
			continue;
		vr_log_capture(why, sizeof(why));
		it->result = carry_out(&st, records_fd, p->dir, it);
		vr_log_capture(NULL, 0);
		if (it->result) {
			free(it->error);
			it->error = strdup(why);
		}
	}
	if (fd >= 0)
		close(fd);
	if (records_fd >= 0)
		close(records_fd);
	vr_state_close(&st);
	return ret;
}

/*
 * PATH's directory as an absolute path, symlinks not followed: what records
 * name. A symlink swapped to a new target (a deploy, a ConfigMap's ..data)
 * is the same directory.
 */
static int abs_dir(const char *path, bool one_file, char *dir, size_t len)
{
	char buf[8192], cwd[4096], *save = NULL, *part;
	size_t at = 0;

	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return fail(VR_EXIT_SYSTEM, "getcwd: %s", strerror(errno));
	snprintf(buf, sizeof(buf), "%s%s%s", path[0] == '/' ? "" : cwd, path[0] == '/' ? "" : "/",
		 path);
	if (one_file) {
		char *parent = dirname(buf);

		memmove(buf, parent, strlen(parent) + 1);
	}
	dir[0] = '\0';
	/* "." and "..", and repeated slashes, are taken out as the kernel would read them */
	for (part = strtok_r(buf, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			while (at && dir[--at] != '/')
				;
			dir[at] = '\0';
			continue;
		}
		if (at + 1 + strlen(part) >= len)
			return fail(VR_EXIT_USAGE,
				    "%s: its directory's path is longer than %zu characters", path,
				    len - 1);
		at += (size_t)snprintf(dir + at, len - at, "/%s", part);
	}
	if (!at)
		snprintf(dir, len, "/");
	return 0;
}

int vr_sync_pass_run(const char *path, bool dry_run, struct vr_sync_pass *p)
{
	double t0 = vr_now_ms(), t1, t2;
	int ret;

	vr_sync_pass_free(p);
	ret = vr_sync_files_read(path, &p->files, &p->n_files, &p->one_file, errbuf,
				 sizeof(errbuf));
	if (ret)
		return fail(ret == -ENOMEM ? VR_EXIT_SYSTEM : VR_EXIT_USAGE, "%s", errbuf);
	if ((ret = abs_dir(path, p->one_file, p->dir, sizeof(p->dir))))
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
		const struct vr_sync_item *it = &p->items[i];
		int code = it->result ? it->result :
			   it->step.action == VR_SYNC_INVALID || it->step.action == VR_SYNC_DENY ?
					VR_EXIT_USAGE :
					0;

		if (code > p->worst)
			p->worst = code;
	}
	return p->worst;
}
