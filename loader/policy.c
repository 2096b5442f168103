// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "policy.h"

void vr_policy_init(struct vr_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->default_action = VRNET_ACTION_DENY;
	p->mode = VRNET_MODE_ENFORCE;
	p->event_rate = VRNET_DEFAULT_EVENT_RATE;
	p->event_burst = VRNET_DEFAULT_EVENT_BURST;
	p->dns_rate = VRNET_DEFAULT_DNS_RATE;
	p->dns_burst = VRNET_DEFAULT_DNS_BURST;
}

void vr_policy_free(struct vr_policy *p)
{
	free(p->allow.rules);
	free(p->block.rules);
	free(p->dns.rules);
	free(p->inbound_allow.rules);
	free(p->inbound_block.rules);
	vr_policy_init(p);
}

size_t vr_policy_rule_count(const struct vr_policy *p)
{
	return p->allow.count + p->block.count + p->dns.count + p->inbound_allow.count +
	       p->inbound_block.count;
}

struct vr_rule_list *vr_policy_list(struct vr_policy *p, int list)
{
	switch (list) {
	case VRNET_LIST_ALLOW:
		return &p->allow;
	case VRNET_LIST_BLOCK:
		return &p->block;
	case VRNET_LIST_INBOUND_ALLOW:
		return &p->inbound_allow;
	case VRNET_LIST_INBOUND_BLOCK:
		return &p->inbound_block;
	default:
		return &p->dns;
	}
}

int vr_policy_add(struct vr_policy *p, int list, const struct vr_rule *rule)
{
	struct vr_rule_list *l = vr_policy_list(p, list);

	if (vr_policy_rule_count(p) >= VRNET_MAX_POLICY_RULES)
		return -E2BIG;
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct vr_rule *r = realloc(l->rules, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		l->rules = r;
		l->cap = cap;
	}
	l->rules[l->count] = *rule;
	l->rules[l->count++].seq = p->next_seq++;
	return 0;
}

int vr_policy_remove(struct vr_policy *p, int list, const struct vr_rule *rule)
{
	struct vr_rule_list *l = vr_policy_list(p, list);
	size_t kept = 0;

	for (size_t i = 0; i < l->count; i++)
		if (!vr_rule_equal(&l->rules[i], rule))
			l->rules[kept++] = l->rules[i];
	if (kept == l->count)
		return -ENOENT;
	l->count = kept;
	return 0;
}

int vr_dns_rule_parse(const char *text, struct vr_rule *rule, char *err, size_t errlen)
{
	char bracketed[VR_RULE_TEXT_MAX + 3];
	int ret;

	/* A resolver takes no port: a bare IPv6 address is one, whatever its last group. */
	if (text && text[0] != '[' && strchr(text, ':') != strrchr(text, ':') &&
	    strlen(text) <= VR_RULE_TEXT_MAX) {
		snprintf(bracketed, sizeof(bracketed), "[%s]", text);
		text = bracketed;
	}
	ret = vr_rule_parse(text, rule, err, errlen);

	if (ret)
		return ret;
	if (rule->kind != VRNET_RULE_CIDR ||
	    rule->prefixlen != (rule->family == 4 ? 32 : 128) || !rule->any_port ||
	    rule->proto != VRNET_PROTO_ANY) {
		snprintf(err, errlen, "a DNS resolver must be a plain IPv4 or IPv6 address");
		return -EINVAL;
	}
	/* Resolvers are reached on 53/udp and 53/tcp. */
	rule->any_port = false;
	rule->port_lo = rule->port_hi = 53;
	return 0;
}

/*
 * jansson keeps no positions for values, so a string is located in the text:
 * @token is the JSON-encoded string; @as_key finds it only where a ':'
 * follows (a key), otherwise the @nth place after @from where it stands as a
 * value. Returns NULL when it is not found (written with other escapes).
 */
static const char *find_token(const char *text, size_t len, const char *from,
			      const char *token, bool as_key, size_t nth)
{
	size_t tlen = strlen(token);
	const char *end = text + len;

	for (const char *hit = from; (hit = memmem(hit, (size_t)(end - hit), token, tlen));
	     hit += tlen) {
		const char *after = hit + tlen;

		while (after < end && strchr(" \t\r\n", *after))
			after++;
		if ((after < end && *after == ':') != as_key)
			continue;
		if (!nth--)
			return hit;
	}
	return NULL;
}

static char *encode(const char *s)
{
	json_t *j = json_string(s);
	char *enc = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	json_decref(j);
	return enc;
}

/* "SOURCE:LINE:COL" of @pos, or "SOURCE" when @pos is NULL. */
static void position(const char *text, const char *pos, const char *source, char *buf,
		     size_t len)
{
	int line = 1, col = 1;

	if (!pos) {
		snprintf(buf, len, "%s", source);
		return;
	}
	for (const char *c = text; c < pos; c++) {
		if (*c == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(buf, len, "%s:%d:%d", source, line, col);
}

/* Where item @index (string @value) of the list under @key stands. */
static void locate_item(const char *text, size_t len, json_t *arr, const char *key,
			size_t index, const char *source, char *buf, size_t buflen)
{
	char *ekey = encode(key), *evalue = encode(json_string_value(json_array_get(arr, index)));
	const char *at = NULL, *list = ekey ? find_token(text, len, text, ekey, true, 0) : NULL;
	size_t same = 0;

	for (size_t i = 0; i < index; i++)
		same += json_equal(json_array_get(arr, i), json_array_get(arr, index));
	if (list && evalue)
		at = find_token(text, len, list, evalue, false, same);
	position(text, at, source, buf, buflen);
	free(ekey);
	free(evalue);
}

/* The list @key of @root (named @label in messages) into @list of @p. */
static int parse_list(json_t *root, const char *key, const char *label, int list,
		      const char *text, size_t len, const char *source, struct vr_policy *p,
		      char *err, size_t errlen)
{
	json_t *arr = json_object_get(root, key), *item;
	char why[256], where[512];
	size_t i;
	int ret;

	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "%s: \"%s\" must be an array of strings", source, label);
		return -EINVAL;
	}
	json_array_foreach(arr, i, item) {
		struct vr_rule rule;
		const char *s = json_string_value(item);

		if (!s) {
			snprintf(err, errlen, "%s: %s[%zu] must be a string", source, label, i);
			return -EINVAL;
		}
		ret = list == VRNET_LIST_DNS ? vr_dns_rule_parse(s, &rule, why, sizeof(why)) :
					       vr_rule_parse(s, &rule, why, sizeof(why));
		if (!ret && vrnet_list_is_inbound(list) && rule.kind == VRNET_RULE_DOMAIN) {
			/* a name's answers say where it points, not who connects from it */
			snprintf(why, sizeof(why),
				 "an inbound rule's host is the source: an address or prefix, not a name");
			ret = -EINVAL;
		}
		if (ret) {
			locate_item(text, len, arr, key, i, source, where, sizeof(where));
			snprintf(err, errlen, "%s: %s[%zu] \"%.64s\": %s", where, label, i, s, why);
			return ret;
		}
		ret = vr_policy_add(p, list, &rule);
		if (ret == -E2BIG) {
			snprintf(err, errlen, "%s: more than %d rules (the limit of one policy)",
				 source, VRNET_MAX_POLICY_RULES);
			return -EINVAL;
		}
		if (ret) {
			snprintf(err, errlen, "%s: out of memory", source);
			return ret;
		}
	}
	return 0;
}

/* Whether the optional key @name is an object: 1, 0 when absent, -EINVAL (said in @err). */
static int is_object(const json_t *o, const char *name, const char *source, char *err,
		     size_t errlen)
{
	if (!o)
		return 0;
	if (json_is_object(o))
		return 1;
	snprintf(err, errlen, "%s: \"%s\" must be an object", source, name);
	return -EINVAL;
}

/* "log": { "rate": N, "burst": N, "allowed": bool }, every key optional. */
static int parse_log(json_t *log, const char *source, struct vr_policy *p, char *err,
		     size_t errlen)
{
	int ret = is_object(log, "log", source, err, errlen);
	const char *key;
	json_t *v;

	if (ret <= 0)
		return ret;
	json_object_foreach(log, key, v) {
		json_int_t n = json_integer_value(v);

		if (!strcmp(key, "allowed") && json_is_boolean(v)) {
			p->log_allowed = json_is_true(v);
		} else if (!strcmp(key, "rate") && json_is_integer(v) && n >= 0 &&
			   n <= VRNET_MAX_EVENT_RATE) {
			p->event_rate = (uint32_t)n;
		} else if (!strcmp(key, "burst") && json_is_integer(v) && n >= 1 &&
			   n <= VRNET_MAX_EVENT_RATE) {
			p->event_burst = (uint32_t)n;
		} else {
			snprintf(err, errlen,
				 "%s: log.%.32s: \"rate\" takes 0-%d events per second, \"burst\" 1-%d, \"allowed\" true or false",
				 source, key, VRNET_MAX_EVENT_RATE, VRNET_MAX_EVENT_RATE);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * "inbound": {"default": "allow"|"deny", "allow": [...], "block": [...]}:
 * "default" is required, an inbound part changes what reaches the sandbox.
 */
static int parse_inbound(json_t *o, const char *text, size_t len, const char *source,
			 struct vr_policy *p, char *err, size_t errlen)
{
	int ret = is_object(o, "inbound", source, err, errlen);
	const char *key, *d;
	json_t *v;

	if (ret <= 0)
		return ret;
	json_object_foreach(o, key, v) {
		if (strcmp(key, "default") && strcmp(key, "allow") && strcmp(key, "block")) {
			snprintf(err, errlen,
				 "%s: inbound.%.32s: unknown key (known: default, allow, block)",
				 source, key);
			return -EINVAL;
		}
	}
	d = json_string_value(json_object_get(o, "default"));
	if (!d || (strcmp(d, "allow") && strcmp(d, "deny"))) {
		snprintf(err, errlen, "%s: \"inbound\" needs \"default\": \"allow\" or \"deny\"",
			 source);
		return -EINVAL;
	}
	p->inbound = !strcmp(d, "allow") ? VRNET_INBOUND_ALLOW : VRNET_INBOUND_DENY;
	ret = parse_list(o, "allow", "inbound.allow", VRNET_LIST_INBOUND_ALLOW, text, len, source,
			 p, err, errlen);
	return ret ? ret :
		     parse_list(o, "block", "inbound.block", VRNET_LIST_INBOUND_BLOCK, text, len,
				source, p, err, errlen);
}

/* "dns_rate": {"rate": N, "burst": N}: the device's queries to the DNS proxy. */
static int parse_dns_rate(json_t *o, const char *source, struct vr_policy *p, char *err,
			  size_t errlen)
{
	int ret = is_object(o, "dns_rate", source, err, errlen);
	const char *key;
	json_t *v;

	if (ret <= 0)
		return ret;
	json_object_foreach(o, key, v) {
		json_int_t n = json_integer_value(v);

		if (!json_is_integer(v) || n < 1 || n > VRNET_MAX_DNS_RATE ||
		    (strcmp(key, "rate") && strcmp(key, "burst"))) {
			snprintf(err, errlen,
				 "%s: dns_rate.%.32s: \"rate\" takes 1-%d queries per second, \"burst\" 1-%d",
				 source, key, VRNET_MAX_DNS_RATE, VRNET_MAX_DNS_RATE);
			return -EINVAL;
		}
		*(strcmp(key, "rate") ? &p->dns_burst : &p->dns_rate) = (uint32_t)n;
	}
	return 0;
}

int vr_policy_parse_with(const char *text, size_t len, const char *source, const char *extra,
			 struct vr_policy *p, char *err, size_t errlen)
{
	static const char *const known[] = { "default",	 "allow", "block", "dns",
					     "dns_proxy", "dns_rate", "mode", "log",
					     "inbound",	 "comment" };
	json_error_t jerr;
	json_t *root, *v, *dns_proxy;
	const char *key;
	int ret = -EINVAL;

	vr_policy_init(p);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", source, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: a policy must be a JSON object", source);
		goto out;
	}
	json_object_foreach(root, key, v) {
		size_t k;

		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (!strcmp(key, known[k]))
				break;
		if (k == sizeof(known) / sizeof(known[0]) && !(extra && !strcmp(key, extra))) {
			char *ekey = encode(key), where[512];

			position(text, ekey ? find_token(text, len, text, ekey, true, 0) : NULL,
				 source, where, sizeof(where));
			free(ekey);
			snprintf(err, errlen,
				 "%s: unknown key \"%.64s\" (known: default, allow, block, dns, dns_proxy, dns_rate, mode, log, inbound, comment%s%s)",
				 where, key, extra ? ", " : "", extra ? extra : "");
			goto out;
		}
	}
	v = json_object_get(root, "comment");
	if (v && !json_is_string(v)) {
		snprintf(err, errlen, "%s: \"comment\" must be a string", source);
		goto out;
	}
	v = json_object_get(root, "default");
	if (v) {
		const char *d = json_string_value(v);

		if (d && !strcmp(d, "deny")) {
			p->default_action = VRNET_ACTION_DENY;
		} else if (d && !strcmp(d, "allow")) {
			p->default_action = VRNET_ACTION_ALLOW;
		} else {
			snprintf(err, errlen, "%s: \"default\" must be \"deny\" or \"allow\"", source);
			goto out;
		}
	}
	dns_proxy = json_object_get(root, "dns_proxy");
	if (dns_proxy && !json_is_boolean(dns_proxy)) {
		snprintf(err, errlen, "%s: \"dns_proxy\" must be true or false", source);
		goto out;
	}
	v = json_object_get(root, "mode");
	if (v) {
		const char *m = json_string_value(v);

		if (m && !strcmp(m, "enforce")) {
			p->mode = VRNET_MODE_ENFORCE;
		} else if (m && !strcmp(m, "audit")) {
			p->mode = VRNET_MODE_AUDIT;
		} else {
			snprintf(err, errlen, "%s: \"mode\" must be \"enforce\" or \"audit\"", source);
			goto out;
		}
	}
	if (parse_log(json_object_get(root, "log"), source, p, err, errlen) ||
	    parse_dns_rate(json_object_get(root, "dns_rate"), source, p, err, errlen))
		goto out;
	ret = parse_list(root, "allow", "allow", VRNET_LIST_ALLOW, text, len, source, p, err,
			 errlen);
	if (!ret)
		ret = parse_list(root, "block", "block", VRNET_LIST_BLOCK, text, len, source, p, err,
				 errlen);
	if (!ret)
		ret = parse_list(root, "dns", "dns", VRNET_LIST_DNS, text, len, source, p, err,
				 errlen);
	if (!ret)
		ret = parse_inbound(json_object_get(root, "inbound"), text, len, source, p, err,
				    errlen);
	/* name rules go to the proxy unless the policy says resolve-at-apply */
	p->dns_proxy = dns_proxy ? json_is_true(dns_proxy) :
				  vr_rules_have_name(p->allow.rules, p->allow.count) ||
				  vr_rules_have_name(p->block.rules, p->block.count);
out:
	json_decref(root);
	if (ret)
		vr_policy_free(p);
	return ret;
}

int vr_policy_parse(const char *text, size_t len, const char *source, struct vr_policy *p,
		    char *err, size_t errlen)
{
	return vr_policy_parse_with(text, len, source, NULL, p, err, errlen);
}

int vr_policy_read_fd(int fd, const char *source, size_t size, char **out, size_t *out_len,
		      char *err, size_t errlen)
{
	/* a file's size is known: one read fills it, one more finds its end */
	size_t len = 0, cap = size && size < VR_POLICY_FILE_MAX ? size + 1 : 1 << 16;
	char *text = NULL;

	for (;;) {
		ssize_t n;

		if (len == cap || !text) {
			char *t = realloc(text, cap = text ? cap * 2 : cap);

			if (!t) {
				free(text);
				snprintf(err, errlen, "%s: out of memory", source);
				return -ENOMEM;
			}
			text = t;
		}
		n = read(fd, text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			snprintf(err, errlen, "%s: %s", source, strerror(errno));
		if (n == 0)
			break;
		if (n > 0 && (len += (size_t)n) > VR_POLICY_FILE_MAX)
			snprintf(err, errlen, "%s: larger than the limit of %u MiB", source,
				 VR_POLICY_FILE_MAX >> 20);
		if (n < 0 || len > VR_POLICY_FILE_MAX) {
			free(text);
			return -EINVAL;
		}
	}
	*out = text;
	*out_len = len;
	return 0;
}

int vr_policy_read_text(const char *path, char **out, size_t *out_len, char *err,
			size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	const char *source = is_stdin ? "<stdin>" : path;
	struct stat sb;
	int fd, ret;

	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", source, strerror(errno));
		return -EINVAL;
	}
	ret = vr_policy_read_fd(fd, source,
				!fstat(fd, &sb) && S_ISREG(sb.st_mode) ? (size_t)sb.st_size : 0, out,
				out_len, err, errlen);
	if (!is_stdin)
		close(fd);
	return ret;
}

int vr_policy_read_file(const char *path, struct vr_policy *p, char *err, size_t errlen)
{
	size_t len;
	char *text;
	int ret;

	vr_policy_init(p);
	ret = vr_policy_read_text(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = vr_policy_parse(text, len, strcmp(path, "-") ? path : "<stdin>", p, err, errlen);
	free(text);
	return ret;
}

static json_t *list_to_json(const struct vr_rule_list *l, bool dns)
{
	json_t *arr = json_array();
	char buf[VR_RULE_TEXT_MAX];

	for (size_t i = 0; i < l->count; i++) {
		struct vr_rule r = l->rules[i];

		if (dns) { /* shown as written: a plain address */
			r.any_port = true;
			r.proto = VRNET_PROTO_ANY;
		}
		vr_rule_format(&r, buf, sizeof(buf));
		json_array_append_new(arr, json_string(buf));
	}
	return arr;
}

json_t *vr_policy_to_json(const struct vr_policy *p)
{
	json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:o,s:b,s:{s:i,s:i},s:{s:i,s:i,s:b}}", "default",
			 p->default_action == VRNET_ACTION_ALLOW ? "allow" : "deny", "mode",
			 p->mode == VRNET_MODE_AUDIT ? "audit" : "enforce", "allow",
			 list_to_json(&p->allow, false), "block", list_to_json(&p->block, false),
			 "dns", list_to_json(&p->dns, true), "dns_proxy", p->dns_proxy, "dns_rate",
			 "rate", (int)p->dns_rate, "burst", (int)p->dns_burst, "log", "rate",
			 (int)p->event_rate, "burst", (int)p->event_burst, "allowed", p->log_allowed);

	if (j && p->inbound != VRNET_INBOUND_NONE)
		json_object_set_new(j, "inbound",
				    json_pack("{s:s,s:o,s:o}", "default",
					      p->inbound == VRNET_INBOUND_ALLOW ? "allow" : "deny",
					      "allow", list_to_json(&p->inbound_allow, false),
					      "block", list_to_json(&p->inbound_block, false)));
	return j;
}
