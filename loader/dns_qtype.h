/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A DNS query type as `log` and `dns` print it: its mnemonic in IANA's
 * registry, as ldns names it (a unit test holds the two to the same text for
 * every type), RFC 3597's TYPEnnn for the rest. Kept here, not taken from
 * ldns, so the CLI links no ldns (dns_names.h); glibc's p_type() is
 * deprecated and knows neither SVCB nor HTTPS.
 */
#ifndef VR_DNS_QTYPE_H
#define VR_DNS_QTYPE_H

#include <stddef.h>
#include <stdint.h>

/* Longest text: "TYPE65535" and its NUL. */
#define VR_QTYPE_TEXT 10

/* @qtype's text: its mnemonic, or TYPEnnn written in @buf (VR_QTYPE_TEXT bytes). */
const char *vr_qtype_text(uint16_t qtype, char buf[VR_QTYPE_TEXT]);

#endif
