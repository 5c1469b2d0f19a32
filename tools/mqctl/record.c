// SPDX-License-Identifier: GPL-2.0
/*
 * The record format's CRC-32C, Kafka's key partitioner, and two encodings
 * consume's JSON needs.
 */
#include <string.h>

#include <linux/mq.h>

#include "libmq.h"
#include "record.h"

size_t record_build(void *buf, const void *key, size_t klen,
		    const void *value, size_t vlen)
{
	struct mq_record *r = buf;
	size_t len = MQ_RECORD_HDR_SIZE + klen + vlen;
	size_t padded = MQ_RECORD_ALIGN(len);

	memset(buf, 0, MQ_RECORD_HDR_SIZE);
	r->len = (uint32_t)len;
	r->key_len = (uint32_t)klen;
	r->value_len = (uint32_t)vlen;
	r->magic = MQ_RECORD_MAGIC;
	/* offset and timestamp 0: the kernel sets both, and the CRC again. */
	memcpy((char *)buf + MQ_RECORD_HDR_SIZE, key, klen);
	memcpy((char *)buf + MQ_RECORD_HDR_SIZE + klen, value, vlen);
	memset((char *)buf + len, 0, padded - len);
	r->crc = mq_crc32c((char *)buf + MQ_RECORD_CRC_START,
			len - MQ_RECORD_CRC_START);
	return padded;
}

/* RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF. */
bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t c, min;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* RFC 4648 base64, with padding, as a JSON string. */
void base64_print(FILE *f, const unsigned char *s, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	fputc('"', f);
	for (i = 0; i + 2 < len; i += 3) {
		fputc(tab[s[i] >> 2], f);
		fputc(tab[(s[i] & 3) << 4 | s[i + 1] >> 4], f);
		fputc(tab[(s[i + 1] & 15) << 2 | s[i + 2] >> 6], f);
		fputc(tab[s[i + 2] & 63], f);
	}
	if (len - i == 1) {
		fputc(tab[s[i] >> 2], f);
		fputc(tab[(s[i] & 3) << 4], f);
		fputs("==", f);
	} else if (len - i == 2) {
		fputc(tab[s[i] >> 2], f);
		fputc(tab[(s[i] & 3) << 4 | s[i + 1] >> 4], f);
		fputc(tab[(s[i + 1] & 15) << 2], f);
		fputc('=', f);
	}
	fputc('"', f);
}
