/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What produce and consume need of the record format (uapi/linux/mq.h)
 * beyond libmq's CRC and partitioner: framing a record, and the checks
 * of what a consumer prints.
 */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Frames one record of @key and @value at @buf, which has room for
 * MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + klen + vlen) bytes; returns that.
 */
size_t record_build(void *buf, const void *key, size_t klen,
		    const void *value, size_t vlen);

bool utf8_valid(const unsigned char *s, size_t len);
void base64_print(FILE *f, const unsigned char *s, size_t len);

#endif /* RECORD_H */
