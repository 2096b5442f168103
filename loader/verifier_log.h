/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What a rejected load's verifier log says, in one line. */
#ifndef VR_VERIFIER_LOG_H
#define VR_VERIFIER_LOG_H

#include <stddef.h>

/* A buffer this size holds the failing path of a level-1 log of the program. */
#define VR_VERIFIER_LOG_SIZE (16u << 20)

/**
 * vr_verifier_summary() - the rejected function and the verifier's last word
 * @log: the verifier's log (level 1) of a load that failed
 * @main_name: the program's own name, for a failure outside global functions
 * @buf: receives "func(): reason", e.g. "vrnet_ipv4_source_route(): R4 min
 *       value is negative, either use unsigned or 'var &= const'"
 *
 * Global functions are verified first, each after a "Validating NAME()
 * func#N..." line whose first instruction index is where the function starts;
 * the failing instruction's index tells which function (or the main program,
 * which starts at 0) it belongs to. The reason is the last line that is not
 * one of the verifier's closing statistics.
 *
 * Return: 0, or -1 when @log has no reason to give (@buf is then "").
 * A @log that filled its buffer may have lost its last lines (6.1 keeps the
 * head of a log, 6.4 and later its tail); the caller says so instead.
 */
int vr_verifier_summary(const char *log, const char *main_name, char *buf, size_t len);

#endif
