// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * libmq producer: records framed in userspace, buffered per queue, and
 * appended with one record-mode write(2) per queue (Documentation/abi.rst,
 * "Record mode").  The kernel checks every record of a write before it
 * appends any, then appends them all at consecutive offsets, so a batch
 * reaches its queue whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libmq.h"
#include "internal.h"

struct pending {
	int fd;
	char *buf;		/* framed records, back to back */
	size_t len;		/* bytes of them */
	size_t cap;		/* bytes allocated */
};

struct mq_producer {
	uint32_t nqueues;
	uint32_t next;		/* round-robin cursor for keyless records */
	uint32_t max_msg_size;	/* the topic's: key + value at most */
	size_t batch_max;	/* the most bytes a write carries, unless one record */
	struct pending q[];
};

void mq_producer_close(struct mq_producer *p)
{
	uint32_t i;

	if (!p)
		return;
	for (i = 0; i < p->nqueues; i++) {
		if (p->q[i].fd >= 0)
			close(p->q[i].fd);
		free(p->q[i].buf);
	}
	free(p);
}

int mq_producer_open(struct mq_producer **pp, const char *topic, uint32_t flags)
{
	struct mq_topic_config cfg;
	struct mq_producer *p;
	uint32_t i;
	int ret;

	if (!pp)
		return -EINVAL;
	*pp = NULL;
	if (mq__name_check(topic) || flags & ~MQ_PRODUCER_F_ALL)
		return -EINVAL;

	ret = mq__topic_config(topic, &cfg);
	if (ret)
		return ret;

	p = calloc(1, sizeof(*p) + cfg.queues * sizeof(p->q[0]));
	if (!p)
		return -ENOMEM;
	p->nqueues = cfg.queues;
	p->max_msg_size = cfg.max_msg_size;
	/*
	 * A call may not be larger than the ring either; half of it leaves
	 * room for what readers have not read yet.
	 */
	p->batch_max = MQ_RECORD_BATCH_MAX;
	if (p->batch_max > cfg.ring_size / 2)
		p->batch_max = cfg.ring_size / 2;
	for (i = 0; i < p->nqueues; i++)
		p->q[i].fd = -1;
	for (i = 0; i < p->nqueues; i++) {
		ret = mq__queue_open(topic, i, O_WRONLY);
		if (ret < 0) {
			mq_producer_close(p);
			return ret;
		}
		p->q[i].fd = ret;
	}
	*pp = p;
	return 0;
}

int mq_producer_queues(const struct mq_producer *p)
{
	return p ? (int)p->nqueues : -EINVAL;
}

/*
 * One record-mode write of queue @q's pending records.  They leave the
 * buffer whatever the outcome: see mq_producer_flush() in libmq.h.
 */
static int write_pending(struct pending *q)
{
	ssize_t ret;
	size_t len = q->len;

	if (!len)
		return 0;
	q->len = 0;
	ret = write(q->fd, q->buf, len);
	if (ret < 0)
		return -errno;
	/* A record-mode write is whole or fails: anything else is a bug. */
	return (size_t)ret == len ? 0 : -EIO;
}

static int reserve(struct pending *q, size_t need)
{
	size_t cap = q->cap ? q->cap : 4096;
	char *buf;

	if (q->len + need <= q->cap)
		return 0;
	while (cap < q->len + need)
		cap *= 2;
	buf = realloc(q->buf, cap);
	if (!buf)
		return -ENOMEM;
	q->buf = buf;
	q->cap = cap;
	return 0;
}

int mq_producer_send(struct mq_producer *p, int32_t queue, const void *key,
		     uint32_t key_len, const void *value, uint32_t value_len)
{
	struct mq_record *r;
	struct pending *q;
	uint32_t len;
	size_t stride;
	int ret;

	if (!p || queue < -1 || (queue >= 0 && (uint32_t)queue >= p->nqueues) ||
	    (!key && key_len) || !value || !value_len)
		return -EINVAL;
	if ((uint64_t)key_len + value_len > p->max_msg_size)
		return -EMSGSIZE;

	if (queue < 0) {
		if (key_len) {
			queue = mq_partition(key, key_len, p->nqueues);
		} else {
			queue = (int32_t)p->next;
			p->next = (p->next + 1) % p->nqueues;
		}
	}
	q = &p->q[queue];

	len = MQ_RECORD_HDR_SIZE + key_len + value_len;
	stride = MQ_RECORD_ALIGN(len);
	/* Too much for one write with what is pending: write that first. */
	if (q->len && q->len + stride > p->batch_max) {
		ret = write_pending(q);
		if (ret)
			return ret;
	}
	ret = reserve(q, stride);
	if (ret)
		return ret;

	r = (struct mq_record *)(q->buf + q->len);
	memset(r, 0, MQ_RECORD_HDR_SIZE);
	r->len = len;
	r->key_len = key_len;
	r->value_len = value_len;
	r->magic = MQ_RECORD_MAGIC;
	/* offset 0, timestamp 0: the kernel sets both when it appends. */
	if (key_len)
		memcpy((char *)r + MQ_RECORD_HDR_SIZE, key, key_len);
	memcpy((char *)r + MQ_RECORD_HDR_SIZE + key_len, value, value_len);
	memset((char *)r + len, 0, stride - len);
	r->crc = mq_crc32c((char *)r + MQ_RECORD_CRC_START,
			    len - MQ_RECORD_CRC_START);
	q->len += stride;
	return queue;
}

int mq_producer_flush(struct mq_producer *p)
{
	uint32_t i;
	int ret;

	if (!p)
		return -EINVAL;
	for (i = 0; i < p->nqueues; i++) {
		ret = write_pending(&p->q[i]);
		if (ret)
			return ret;
	}
	return 0;
}
