// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * libmq's default partitioner: Kafka's.  murmur2() is the 32-bit MurmurHash2
 * exactly as Kafka's org.apache.kafka.common.utils.Utils.murmur2 computes
 * it (seed 0x9747b28c, bytes taken unsigned, Java's >>> being a logical
 * shift of the 32-bit value), so a key lands on the queue number a Kafka
 * producer's default partitioner would give its partition.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "libmq.h"
#include "internal.h"

uint32_t mq_murmur2(const void *key, size_t len)
{
	const uint32_t m = 0x5bd1e995;
	const unsigned char *p = key;
	/* Java's int is 32 bits, so the length is taken modulo 2^32. */
	uint32_t h = 0x9747b28c ^ (uint32_t)len;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		uint32_t k = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
			     (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;

		k *= m;
		k ^= k >> 24;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len & 3) {
	case 3:
		h ^= (uint32_t)p[i + 2] << 16;
		/* fall through */
	case 2:
		h ^= (uint32_t)p[i + 1] << 8;
		/* fall through */
	case 1:
		h ^= p[i];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

int mq_partition(const void *key, size_t len, uint32_t nqueues)
{
	if (!nqueues || nqueues > MQ_QUEUES_MAX || (!key && len))
		return -EINVAL;
	return (int)((mq_murmur2(key, len) & 0x7fffffff) % nqueues);
}
