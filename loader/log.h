/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One logging module: errors to stderr (or {"error": ...} on stdout with -j). */
#ifndef VR_LOG_H
#define VR_LOG_H

#include <stdbool.h>

enum vr_log_level { VR_LOG_ERROR, VR_LOG_WARN, VR_LOG_INFO, VR_LOG_DEBUG };

void vr_log_setup(bool json, bool verbose);
void vr_log(enum vr_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Errors go into @buf (@len bytes, the last one kept) instead of out, until
 * called again with NULL: a command that reports many devices' errors its
 * own way (sync).
 */
void vr_log_capture(char *buf, size_t len);

/* A multi-line text under a title, whole (a DEBUG one only with -v), on stderr. */
void vr_log_text(enum vr_log_level level, const char *title, const char *text);

/* CLOCK_MONOTONIC in milliseconds: the timings -v reports (benchmarks read them). */
double vr_now_ms(void);

#define vr_err(...) vr_log(VR_LOG_ERROR, __VA_ARGS__)
#define vr_warn(...) vr_log(VR_LOG_WARN, __VA_ARGS__)
#define vr_info(...) vr_log(VR_LOG_INFO, __VA_ARGS__)
#define vr_debug(...) vr_log(VR_LOG_DEBUG, __VA_ARGS__)

/* Exit codes of the CLI. */
enum vr_exit {
	VR_EXIT_OK = 0,
	VR_EXIT_DENY = 1,   /* `check` said deny; `status` found a filter missing */
	VR_EXIT_USAGE = 2,  /* invalid usage or input */
	VR_EXIT_SYSTEM = 3, /* system or kernel failure */
	VR_EXIT_BUSY = 4,   /* another command holds the lock; nothing was done */
};

#endif
