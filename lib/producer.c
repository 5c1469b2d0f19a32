// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * libmq producer: records framed in userspace, buffered per queue, and
 * appended with one record-mode write(2) per queue (Documentation/abi.rst,
 * "Record mode").  The kernel checks every record of a write before it
 * appends any, then appends them all at consecutive offsets, so a batch
 * reaches its queue whole or not at all.
 *
 * Delivery reports (LIBMQ_5): each queue keeps the opaque pointers of its
 * pending records, in the order they are framed.  When the write carrying
 * them returns, each gets one report.  The offsets come from the file
 * position: after a write, a write-only record-mode file stands one past
 * the last record appended (MQ_FEAT_CLIENT), and the records of one write
 * are consecutive with no other producer's between them, so the first of
 * n is at the position minus n.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libmq.h"
#include "internal.h"

struct pending {
	int fd;
	char *buf;		/* framed records, back to back */
	size_t len;		/* bytes of them */
	size_t cap;		/* bytes allocated */
	void **opaque;		/* one per pending record, in order */
	size_t nrec;		/* pending records */
	size_t opaque_cap;	/* entries allocated */
};

struct mq_producer {
	uint32_t nqueues;
	uint32_t next;		/* round-robin cursor for keyless records */
	uint32_t max_msg_size;	/* the topic's: key + value at most */
	size_t batch_max;	/* the most bytes a write carries, unless one record */
	mq_delivery_cb cb;	/* NULL: no reports */
	void *cb_arg;
	struct pending q[];
};

/*
 * Reports the outcome of queue @queue's first @n pending records (all of
 * them: a write carries every pending record of its queue) and forgets
 * them: @error 0 with consecutive offsets from @first, or -errno.
 */
static void report(struct mq_producer *p, uint32_t queue, size_t n,
		   int error, uint64_t first)
{
	struct pending *q = &p->q[queue];
	struct mq_delivery d;
	size_t i;

	q->nrec = 0;
	if (!p->cb)
		return;
	for (i = 0; i < n; i++) {
		d.queue = queue;
		d.error = error;
		d.offset = error ? 0 : first + i;
		d.opaque = q->opaque[i];
		p->cb(&d, p->cb_arg);
	}
}

void mq_producer_close(struct mq_producer *p)
{
	uint32_t i;

	if (!p)
		return;
	for (i = 0; i < p->nqueues; i++) {
		/* Dropped unwritten: each still gets its one report. */
		report(p, i, p->q[i].nrec, -ECANCELED, 0);
		if (p->q[i].fd >= 0)
			close(p->q[i].fd);
		free(p->q[i].buf);
		free(p->q[i].opaque);
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

int mq_producer_set_delivery_cb(struct mq_producer *p, mq_delivery_cb cb,
				void *arg)
{
	uint64_t features;
	int ret;

	if (!p)
		return -EINVAL;
	/* The offsets need MQ_FEAT_CLIENT's file position after a write. */
	if (cb) {
		ret = mq__queue_features(p->q[0].fd, &features);
		if (ret)
			return ret;
		if (!(features & MQ_FEAT_CLIENT))
			return -EOPNOTSUPP;
	}
	p->cb = cb;
	p->cb_arg = arg;
	return 0;
}

/*
 * One record-mode write of queue @queue's pending records.  They leave
 * the buffer whatever the outcome (see mq_producer_flush() in libmq.h),
 * and each gets its delivery report.
 */
static int write_pending(struct mq_producer *p, uint32_t queue)
{
	struct pending *q = &p->q[queue];
	size_t len = q->len, n = q->nrec;
	off_t pos;
	ssize_t ret;
	int err = 0;

	if (!len)
		return 0;
	q->len = 0;
	ret = write(q->fd, q->buf, len);
	if (ret < 0)
		err = -errno;
	else if ((size_t)ret != len)
		err = -EIO;	/* a record-mode write is whole or fails */
	if (err || !p->cb) {
		report(p, queue, n, err, 0);
		return err;
	}
	/*
	 * One past the last record appended: the write's n records are the
	 * n offsets below it, consecutive (abi.rst, "Record mode").  A
	 * position below n cannot come from such a write: a kernel bug,
	 * reported as -EIO (the records are appended all the same).
	 */
	pos = lseek(q->fd, 0, SEEK_CUR);
	if (pos < 0)
		report(p, queue, n, -errno, 0);
	else if ((uint64_t)pos < n)
		report(p, queue, n, -EIO, 0);
	else
		report(p, queue, n, 0, (uint64_t)pos - n);
	return 0;
}

static int reserve(struct pending *q, size_t need)
{
	size_t cap = q->cap ? q->cap : 4096;
	char *buf;

	if (q->nrec == q->opaque_cap) {
		size_t n = q->opaque_cap ? 2 * q->opaque_cap : 64;
		void **o = realloc(q->opaque, n * sizeof(*o));

		if (!o)
			return -ENOMEM;
		q->opaque = o;
		q->opaque_cap = n;
	}
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
	return mq_producer_send_opaque(p, queue, key, key_len, value,
				       value_len, NULL);
}

int mq_producer_send_opaque(struct mq_producer *p, int32_t queue,
			    const void *key, uint32_t key_len,
			    const void *value, uint32_t value_len,
			    void *opaque)
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
		ret = write_pending(p, (uint32_t)queue);
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
	q->opaque[q->nrec++] = opaque;
	return queue;
}

int mq_producer_flush(struct mq_producer *p)
{
	uint32_t i;
	int ret;

	if (!p)
		return -EINVAL;
	for (i = 0; i < p->nqueues; i++) {
		ret = write_pending(p, i);
		if (ret)
			return ret;
	}
	return 0;
}
