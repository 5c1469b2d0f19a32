/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What produce and consume need of the record format (uapi/linux/mq.h):
 * its CRC, Kafka's partitioner, and the checks of what a consumer prints.
 */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* CRC-32C (Castagnoli), initial value ~0 and final xor ~0, as the kernel. */
uint32_t crc32c(const void *buf, size_t len);
/* Kafka's murmur2 (Utils.murmur2), seed 0x9747b28c. */
uint32_t murmur2(const void *key, size_t len);
/* Kafka's default partitioner for a key: murmur2's positive part % n. */
uint32_t key_queue(const void *key, size_t len, uint32_t nqueues);

/*
 * Frames one record of @key and @value at @buf, which has room for
 * MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + klen + vlen) bytes; returns that.
 */
size_t record_build(void *buf, const void *key, size_t klen,
		    const void *value, size_t vlen);

bool utf8_valid(const unsigned char *s, size_t len);
void base64_print(FILE *f, const unsigned char *s, size_t len);

#endif /* RECORD_H */
