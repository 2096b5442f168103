// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include "dns_qtype.h"

static const struct {
	uint16_t type;
	const char *text;
} mnemonics[] = {
	{ 1, "A" },	  { 2, "NS" },	      { 5, "CNAME" },  { 6, "SOA" },   { 12, "PTR" },
	{ 13, "HINFO" },  { 15, "MX" },	      { 16, "TXT" },   { 28, "AAAA" }, { 33, "SRV" },
	{ 35, "NAPTR" },  { 39, "DNAME" },    { 43, "DS" },    { 46, "RRSIG" }, { 47, "NSEC" },
	{ 48, "DNSKEY" }, { 50, "NSEC3" },    { 52, "TLSA" },  { 64, "SVCB" }, { 65, "HTTPS" },
	{ 251, "IXFR" },  { 252, "AXFR" },    { 255, "ANY" },  { 257, "CAA" },
};

const char *vr_qtype_text(uint16_t qtype, char buf[VR_QTYPE_TEXT])
{
	for (size_t i = 0; i < sizeof(mnemonics) / sizeof(mnemonics[0]); i++)
		if (mnemonics[i].type == qtype)
			return mnemonics[i].text;
	snprintf(buf, VR_QTYPE_TEXT, "TYPE%u", qtype);
	return buf;
}
