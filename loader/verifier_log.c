// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "verifier_log.h"

#define MAX_FUNCS 64
#define NAME_LEN 128

/* The closing statistics the verifier prints after the reason. */
static bool is_statistics(const char *line, size_t n)
{
	static const char *const prefixes[] = { "processed ", "verification time ",
						"stack depth " };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (n >= strlen(prefixes[i]) && !strncmp(line, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* The instruction index a line starts with ("924: (85) call ..."), or -1. */
static long insn_index(const char *line, size_t n)
{
	char *end;
	long idx;

	if (!n || line[0] < '0' || line[0] > '9')
		return -1;
	idx = strtol(line, &end, 10);
	return end < line + n && *end == ':' ? idx : -1;
}

int vr_verifier_summary(const char *log, const char *main_name, char *buf, size_t len)
{
	struct {
		char name[NAME_LEN];
		long start; /* -1 until its first instruction is seen */
	} funcs[MAX_FUNCS];
	const char *reason = NULL, *line = log;
	size_t n_funcs = 0, reason_len = 0;
	long last_insn = -1;
	const char *func = main_name;

	if (len)
		buf[0] = '\0';
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		long idx = insn_index(line, n);
		char name[NAME_LEN];

		if (sscanf(line, "Validating %127[^( \n]() func#", name) == 1 && n_funcs < MAX_FUNCS) {
			snprintf(funcs[n_funcs].name, NAME_LEN, "%s", name);
			funcs[n_funcs++].start = -1;
		} else if (idx >= 0) {
			if (n_funcs && funcs[n_funcs - 1].start < 0)
				funcs[n_funcs - 1].start = idx;
			last_insn = idx;
		}
		if (n && !is_statistics(line, n)) {
			reason = line;
			reason_len = n;
		}
		line = nl ? nl + 1 : NULL;
	}
	if (!reason)
		return -1;
	/* The function starting last at or before the failing instruction. */
	for (size_t i = 0, best = 0; i < n_funcs && last_insn >= 0; i++) {
		if (funcs[i].start >= 0 && funcs[i].start <= last_insn &&
		    (size_t)funcs[i].start >= best) {
			best = (size_t)funcs[i].start;
			func = funcs[i].name;
		}
	}
	snprintf(buf, len, "%s(): %.*s", func, (int)reason_len, reason);
	return 0;
}
