// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sync_files.h"
#include "vrnet_common.h"

/* The kernel's rule for a device name (dev_valid_name()). */
static bool device_name_valid(const char *name, size_t len)
{
	if (!len || len >= 16 || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || isspace((unsigned char)name[i]))
			return false;
	return true;
}

/*
 * Reads @path whole, if it is a regular file: a FIFO or a device named
 * DEVICE.json would hold sync up (open with O_NONBLOCK, then checked).
 * @regular: readdir said so already. -EINVAL, said in @why, if it cannot.
 */
static int read_regular(const char *path, bool regular, char **text, size_t *len, char *why,
			size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), ret;
	struct stat sb = { 0 };

	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -EINVAL;
	}
	if (!regular && (fstat(fd, &sb) || !S_ISREG(sb.st_mode))) {
		snprintf(why, whylen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	ret = vr_policy_read_fd(fd, path, (size_t)sb.st_size, text, len, why, whylen);
	close(fd);
	return ret;
}

/* Reads one file's bytes into its digest, or notes why it cannot be used. */
static void read_one(struct vr_sync_file *f, bool regular)
{
	size_t len;
	char *text;

	f->error = read_regular(f->path, regular, &text, &len, f->why, sizeof(f->why));
	if (f->error)
		return;
	vr_digest(text, len, f->digest);
	free(text);
}

static int add_file(struct vr_sync_file **files, size_t *n, size_t *cap, const char *dir,
		    const char *file, bool regular)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t stem = strlen(base) - strlen(VR_SYNC_SUFFIX);
	struct vr_sync_file *f;

	if (*n == *cap) {
		struct vr_sync_file *more = realloc(*files, (*cap = *cap ? *cap * 2 : 64) * sizeof(*more));

		if (!more)
			return -ENOMEM;
		*files = more;
	}
	f = &(*files)[*n];
	memset(f, 0, sizeof(*f));
	if (dir ? asprintf(&f->path, "%s/%s", dir, file) < 0 : !(f->path = strdup(file)))
		return -ENOMEM;
	(*n)++;
	snprintf(f->name, sizeof(f->name), "%.*s", (int)(stem < sizeof(f->name) ? stem : 15), base);
	if (!device_name_valid(base, stem)) {
		f->no_device = true;
		f->error = -EINVAL;
		snprintf(f->why, sizeof(f->why),
			 "%s: \"%.*s\" is no device name (1 to 15 characters, none of '/', ':' or spaces)",
			 f->path, (int)stem, base);
		return 0;
	}
	read_one(f, regular);
	return 0;
}

static bool is_device_file(const char *name)
{
	size_t len = strlen(name), suffix = strlen(VR_SYNC_SUFFIX);

	return name[0] != '.' && len > suffix && !strcmp(name + len - suffix, VR_SYNC_SUFFIX);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct vr_sync_file *)a)->name, ((const struct vr_sync_file *)b)->name);
}

int vr_sync_files_read(const char *path, struct vr_sync_file **files, size_t *n,
		       bool *one_file, char *err, size_t errlen)
{
	size_t cap = 0;
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int ret = 0;

	*files = NULL;
	*n = 0;
	if (stat(path, &sb)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	*one_file = !S_ISDIR(sb.st_mode);
	if (*one_file) {
		if (!is_device_file(strrchr(path, '/') ? strrchr(path, '/') + 1 : path)) {
			snprintf(err, errlen, "%s: a device's file is named DEVICE%s", path,
				 VR_SYNC_SUFFIX);
			return -EINVAL;
		}
		ret = add_file(files, n, &cap, NULL, path, false);
		goto out;
	}
	d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (!ret && (e = readdir(d)))
		if (is_device_file(e->d_name))
			ret = add_file(files, n, &cap, path, e->d_name, e->d_type == DT_REG);
	closedir(d);
	qsort(*files, *n, sizeof(**files), by_name);
out:
	if (ret) {
		snprintf(err, errlen, "%s: out of memory", path);
		vr_sync_files_free(*files, *n);
		*files = NULL;
		*n = 0;
	}
	return ret;
}

void vr_sync_files_free(struct vr_sync_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i].path);
	free(files);
}

static int parse_addresses(json_t *list, const char *source, struct vr_binding *b, char *err,
			   size_t errlen)
{
	size_t i;
	json_t *v;

	if (!json_is_array(list)) {
		snprintf(err, errlen, "%s: device.addresses must be a list of addresses", source);
		return -EINVAL;
	}
	json_array_foreach(list, i, v) {
		char why[256];

		if (!json_is_string(v)) {
			snprintf(err, errlen, "%s: device.addresses[%zu] must be a string", source, i);
			return -EINVAL;
		}
		if (vr_binding_add_address(b, json_string_value(v), why, sizeof(why))) {
			snprintf(err, errlen, "%s: device.addresses[%zu]: %s", source, i, why);
			return -EINVAL;
		}
	}
	return 0;
}

int vr_sync_device_parse(json_t *obj, const char *source, struct vr_sync_device *d, char *err,
			 size_t errlen)
{
	bool generic = false, xdp = false;
	const char *key;
	json_t *v;
	int ret;

	memset(&d->binding, 0, sizeof(d->binding));
	d->xdp = VRNET_XDP_NONE;
	if (!obj)
		return 0;
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "%s: \"device\" must be an object", source);
		return -EINVAL;
	}
	json_object_foreach(obj, key, v) {
		const char *s = json_string_value(v);
		char why[256];

		if (!strcmp(key, "mode") && s && (!strcmp(s, "tc") || !strcmp(s, "xdp"))) {
			xdp = !strcmp(s, "xdp");
		} else if (!strcmp(key, "xdp_generic") && json_is_boolean(v)) {
			generic = json_is_true(v);
		} else if (!strcmp(key, "dhcp") && json_is_boolean(v)) {
			d->binding.dhcp = json_is_true(v);
		} else if (!strcmp(key, "addresses")) {
			if ((ret = parse_addresses(v, source, &d->binding, err, errlen)))
				return ret;
		} else if (!strcmp(key, "mac") && s) {
			if (vr_binding_set_mac(&d->binding, s, why, sizeof(why))) {
				snprintf(err, errlen, "%s: device.mac: %s", source, why);
				return -EINVAL;
			}
		} else {
			snprintf(err, errlen,
				 "%s: device.%.32s: unknown key or wrong type (known: \"mode\": \"tc\"|\"xdp\", \"xdp_generic\": bool, \"addresses\": [ADDR[/LEN]...], \"mac\": \"MAC\", \"dhcp\": bool)",
				 source, key);
			return -EINVAL;
		}
	}
	if (generic && !xdp) {
		snprintf(err, errlen, "%s: device.xdp_generic goes with \"mode\": \"xdp\"", source);
		return -EINVAL;
	}
	if ((d->binding.has_mac || d->binding.dhcp) && !d->binding.count) {
		snprintf(err, errlen, "%s: device.%s binds nothing without device.addresses", source,
			 d->binding.has_mac ? "mac" : "dhcp");
		return -EINVAL;
	}
	d->xdp = !xdp ? VRNET_XDP_NONE : generic ? VRNET_XDP_GENERIC : VRNET_XDP_NATIVE;
	return 0;
}

int vr_sync_device_load(const struct vr_sync_file *f, struct vr_sync_device *d,
			char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	size_t len;
	char *text;
	int ret;

	vr_policy_init(&d->policy);
	ret = read_regular(f->path, false, &text, &len, err, errlen);
	if (ret)
		return ret;
	vr_digest(text, len, d->digest);
	ret = vr_policy_parse_with(text, len, f->path, "device", &d->policy, err, errlen);
	/* the policy parsed: it is a JSON object */
	if (!ret && (root = json_loadb(text, len, 0, &jerr))) {
		ret = vr_sync_device_parse(json_object_get(root, "device"), f->path, d, err,
					   errlen);
		json_decref(root);
	}
	free(text);
	if (ret)
		vr_sync_device_free(d);
	return ret;
}

void vr_sync_file_check(struct vr_sync_file *f)
{
	struct vr_sync_device d;

	if (f->checked)
		return;
	f->checked = true;
	if (!f->error && (f->error = vr_sync_device_load(f, &d, f->why, sizeof(f->why))) == 0)
		vr_sync_device_free(&d);
}

void vr_sync_device_free(struct vr_sync_device *d)
{
	vr_policy_free(&d->policy);
}
