// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <jansson.h>
#include "log.h"

static bool log_json;
static bool log_verbose;
static char *capture_buf;
static size_t capture_len;

void vr_log_capture(char *buf, size_t len)
{
	capture_buf = buf;
	capture_len = len;
	if (buf && len)
		buf[0] = '\0';
}

/* libbpf's own messages are hidden unless -v: they are for developers. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!log_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* libxdp's too (XDP mode): what failed reaches the user as our own error. */
static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (!log_verbose || level == LIBXDP_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void vr_log_setup(bool json, bool verbose)
{
	log_json = json;
	log_verbose = verbose;
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

void vr_log_text(enum vr_log_level level, const char *title, const char *text)
{
	size_t n = strlen(text);

	if (level == VR_LOG_DEBUG && !log_verbose)
		return;
	fprintf(stderr, "-- %s --\n%s%s-- end of %s --\n", title, text,
		n && text[n - 1] == '\n' ? "" : "\n", title);
}

void vr_log(enum vr_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level == VR_LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (level == VR_LOG_ERROR && capture_buf) {
		snprintf(capture_buf, capture_len, "%s", msg);
		return;
	}
	if (level == VR_LOG_ERROR && log_json) {
		json_t *obj = json_pack("{s:s}", "error", msg);
		char *text = json_dumps(obj, JSON_COMPACT);

		printf("%s\n", text);
		fflush(stdout);
		free(text);
		json_decref(obj);
		return;
	}
	switch (level) {
	case VR_LOG_ERROR:
		fprintf(stderr, "Error: %s\n", msg);
		break;
	case VR_LOG_WARN:
		fprintf(stderr, "Warning: %s\n", msg);
		break;
	default:
		fprintf(stderr, "%s\n", msg);
	}
}

double vr_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}
