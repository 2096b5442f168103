// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* OpenSSL's SHA-256 functions alone, linked from the static archive (see the Makefile). */
#define OPENSSL_API_COMPAT 0x10101000L
#include <openssl/sha.h>
#include "digest.h"

void vr_digest(const void *data, size_t len, uint8_t out[VR_DIGEST_LEN])
{
	SHA256_CTX ctx;

	SHA256_Init(&ctx);
	SHA256_Update(&ctx, data, len);
	SHA256_Final(out, &ctx);
}
