// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "layout.h"
#include "vrnet_egress.skel.h"

#define LAYOUT_TEXT 4096

static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	*used += n > 0 ? (size_t)n : 0;
}

static void layout_of(const struct btf *btf, __u32 id, char *buf, size_t len, size_t *used,
		      int depth)
{
	const struct btf_type *t;
	int resolved = btf__resolve_type(btf, id);

	if (resolved < 0 || depth > 8 || !(t = btf__type_by_id(btf, (__u32)resolved))) {
		append(buf, len, used, "?");
		return;
	}
	if (btf_is_composite(t)) {
		const struct btf_member *m = btf_members(t);

		append(buf, len, used, "{");
		for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
			append(buf, len, used, "%s%s@%u:", i ? "," : "",
			       btf__name_by_offset(btf, m->name_off), btf_member_bit_offset(t, i));
			layout_of(btf, m->type, buf, len, used, depth + 1);
		}
		append(buf, len, used, "}");
	} else if (btf_is_array(t)) {
		append(buf, len, used, "[%u]", btf_array(t)->nelems);
		layout_of(btf, btf_array(t)->type, buf, len, used, depth + 1);
	} else {
		append(buf, len, used, "%lld", (long long)btf__resolve_size(btf, (__u32)resolved));
	}
}

void vr_btf_layout(const struct btf *btf, __u32 id, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (id)
		layout_of(btf, id, buf, len, &used, 0);
}

struct vr_layout_check {
	struct vrnet_egress *skel; /* opened, never loaded: for its BTF */
	struct btf *pinned;	   /* the BTF of the maps checked last */
	__u32 pinned_id;
};

struct vr_layout_check *vr_layout_check_open(void)
{
	struct vr_layout_check *c = calloc(1, sizeof(*c));

	if (c && !(c->skel = vrnet_egress__open())) {
		free(c);
		return NULL;
	}
	return c;
}

void vr_layout_check_close(struct vr_layout_check *c)
{
	if (!c)
		return;
	btf__free(c->pinned);
	vrnet_egress__destroy(c->skel);
	free(c);
}

int vr_layout_check_map(struct vr_layout_check *c, int fd, const char *name, char *err,
			size_t errlen)
{
	const struct bpf_map *map = bpf_object__find_map_by_name(c->skel->obj, name);
	const struct btf *ours = bpf_object__btf(c->skel->obj);
	char *want = malloc(2 * LAYOUT_TEXT), *got = want + LAYOUT_TEXT;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int ret = 0;

	if (!want)
		return -ENOMEM;
	if (!map || !ours || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		snprintf(err, errlen, "couldn't compare the layout of %s", name);
		ret = -EIO;
		goto out;
	}
	/*
	 * libbpf makes queues and arrays of maps without BTF (the kernel takes
	 * none): only their own sizes are compared (open_maps()). An array's
	 * inner tables are not: the kernel refuses one whose sizes differ from
	 * the array's template when slot_tables.c puts it in, and a layout that
	 * changed at the same sizes goes unseen.
	 */
	if (info.type == BPF_MAP_TYPE_QUEUE || info.type == BPF_MAP_TYPE_STACK ||
	    info.type == BPF_MAP_TYPE_ARRAY_OF_MAPS)
		goto out;
	if (info.btf_id && info.btf_id != c->pinned_id) {
		btf__free(c->pinned);
		c->pinned = btf__load_from_kernel_by_id(info.btf_id);
		c->pinned_id = c->pinned ? info.btf_id : 0;
	}
	for (int part = 0; part < 2 && !ret; part++) {
		__u32 want_id = part ? bpf_map__btf_value_type_id(map) : bpf_map__btf_key_type_id(map);
		__u32 got_id = part ? info.btf_value_type_id : info.btf_key_type_id;

		vr_btf_layout(ours, want_id, want, LAYOUT_TEXT);
		if (got_id && c->pinned && info.btf_id == c->pinned_id)
			vr_btf_layout(c->pinned, got_id, got, LAYOUT_TEXT);
		else
			snprintf(got, LAYOUT_TEXT, "%s",
				 got_id ? "BTF the kernel would not give" : want_id ? "no BTF" : "");
		if (strcmp(want, got)) {
			snprintf(err, errlen, "its %s is laid out as %.200s, this build's as %.200s",
				 part ? "value" : "key", got, want);
			ret = -EPROTO;
		}
	}
out:
	free(want);
	return ret;
}
