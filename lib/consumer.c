// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * libmq consumer: a member of one consumer group on every queue of a
 * topic, reading framed records (Documentation/abi.rst, "Consumer groups"
 * and "Record mode").  The queues are open with O_NONBLOCK and waited for
 * with poll(2); each read returns as many whole records as fit in the
 * buffer.  Records read and not yet handed to the callback (because it
 * stopped the delivery) stay in the buffer and go first at the next poll:
 * the kernel counts them delivered to this member already.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "libmq.h"
#include "internal.h"

/* The read buffer: a whole largest record, and never less than this. */
#define BUF_MIN		(256 * 1024)

struct mq_consumer {
	uint32_t nqueues;
	uint32_t next;		/* the queue the next round of reads starts at */
	char *buf;
	size_t size;		/* bytes of buf */
	size_t len;		/* bytes read into it */
	size_t pos;		/* where the next record to deliver starts */
	uint32_t buf_queue;	/* the queue buf's records came from */
	struct pollfd *pfd;	/* one per queue, in queue order */
};

void mq_consumer_close(struct mq_consumer *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = 0; i < c->nqueues; i++)
		if (c->pfd[i].fd >= 0)
			close(c->pfd[i].fd);
	free(c->pfd);
	free(c->buf);
	free(c);
}

static int join(int fd, const char *group, uint32_t start, uint32_t flags)
{
	struct mq_group_join j;

	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	j.flags = flags & MQ_CONSUMER_F_AUTOCOMMIT ? MQ_GROUP_F_AUTOCOMMIT : 0;
	j.start = start;
	strcpy(j.name, group);	/* mq__name_check() bounded it */
	return ioctl(fd, MQ_IOC_GROUP_JOIN, &j) ? -errno : 0;
}

int mq_consumer_open(struct mq_consumer **cp, const char *topic,
		     const char *group, uint32_t start, uint32_t flags)
{
	struct mq_topic_config cfg;
	struct mq_consumer *c;
	uint32_t i;
	int ret;

	if (!cp)
		return -EINVAL;
	*cp = NULL;
	if (mq__name_check(topic) || mq__name_check(group) ||
	    (start != MQ_GROUP_START_LATEST && start != MQ_GROUP_START_EARLIEST) ||
	    flags & ~MQ_CONSUMER_F_ALL)
		return -EINVAL;

	ret = mq__topic_config(topic, &cfg);
	if (ret)
		return ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pfd = calloc(cfg.queues, sizeof(*c->pfd));
	c->size = MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + (uint64_t)cfg.max_msg_size);
	if (c->size < BUF_MIN)
		c->size = BUF_MIN;
	c->buf = malloc(c->size);
	if (!c->pfd || !c->buf) {
		free(c->pfd);
		free(c->buf);
		free(c);
		return -ENOMEM;
	}
	c->nqueues = cfg.queues;
	for (i = 0; i < c->nqueues; i++) {
		c->pfd[i].fd = -1;
		c->pfd[i].events = POLLIN;
	}
	for (i = 0; i < c->nqueues; i++) {
		ret = mq__queue_open(topic, i, O_RDONLY | O_NONBLOCK);
		if (ret < 0)
			goto fail;
		c->pfd[i].fd = ret;
		ret = join(c->pfd[i].fd, group, start, flags);
		if (ret)
			goto fail;
	}
	*cp = c;
	return 0;
fail:
	mq_consumer_close(c);
	return ret;
}

int mq_consumer_queues(const struct mq_consumer *c)
{
	return c ? (int)c->nqueues : -EINVAL;
}

/*
 * Hands the records left in the buffer to @cb, one by one, each checked
 * first.  Adds the number handed to *@n.  0 when the buffer is empty,
 * the callback's non-zero return, or -EBADMSG for a record that is not
 * whole or whose CRC does not match (the rest of the buffer is dropped).
 */
static int deliver(struct mq_consumer *c, mq_message_cb cb, void *arg, int *n)
{
	while (c->pos < c->len) {
		const struct mq_record *r = (const void *)(c->buf + c->pos);
		size_t left = c->len - c->pos;
		struct mq_message m;
		int ret;

		if (left < MQ_RECORD_HDR_SIZE || r->len < MQ_RECORD_HDR_SIZE ||
		    MQ_RECORD_ALIGN(r->len) > left || r->magic != MQ_RECORD_MAGIC ||
		    (uint64_t)r->key_len + r->value_len + MQ_RECORD_HDR_SIZE != r->len ||
		    mq_crc32c((const char *)r + MQ_RECORD_CRC_START,
			       r->len - MQ_RECORD_CRC_START) != r->crc) {
			c->pos = c->len = 0;
			return -EBADMSG;
		}
		m.queue = c->buf_queue;
		m.offset = r->offset;
		m.timestamp = r->timestamp;
		m.key = r->key_len ? (const char *)r + MQ_RECORD_HDR_SIZE : NULL;
		m.key_len = r->key_len;
		m.value = (const char *)r + MQ_RECORD_HDR_SIZE + r->key_len;
		m.value_len = r->value_len;
		c->pos += MQ_RECORD_ALIGN(r->len);
		++*n;
		ret = cb(&m, arg);
		if (ret)
			return ret;
	}
	c->pos = c->len = 0;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int mq_consumer_poll(struct mq_consumer *c, int timeout_ms,
		     mq_message_cb cb, void *arg)
{
	long long end = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	int n = 0, ret, ready, wait = timeout_ms;
	uint32_t i, k;
	ssize_t got;

	if (!c || !cb)
		return -EINVAL;
	/* What an earlier call read and its callback did not take, first. */
	ret = deliver(c, cb, arg, &n);
	if (ret || n)
		return ret ? ret : n;

	for (;;) {
		ready = poll(c->pfd, c->nqueues, wait);
		if (ready < 0)
			return -errno;
		/* One read per ready queue, from a rotating first one. */
		for (k = 0; ready > 0 && k < c->nqueues; k++) {
			i = (c->next + k) % c->nqueues;
			if (!c->pfd[i].revents)
				continue;
			got = read(c->pfd[i].fd, c->buf, c->size);
			if (got < 0) {
				/* Another member of the group took it first. */
				if (errno == EAGAIN)
					continue;
				/* Report it next time, after what was delivered. */
				if (n)
					break;
				return -errno;
			}
			c->buf_queue = i;
			c->len = (size_t)got;
			c->pos = 0;
			ret = deliver(c, cb, arg, &n);
			if (ret) {
				c->next = (i + 1) % c->nqueues;
				return ret;
			}
		}
		c->next = (c->next + 1) % c->nqueues;
		if (n || timeout_ms == 0)
			return n;
		if (timeout_ms > 0) {
			wait = (int)(end - now_ms());
			if (wait <= 0)
				return 0;
		}
	}
}

int mq_consumer_commit(struct mq_consumer *c, uint32_t queue, uint64_t offset)
{
	struct mq_commit cm;

	if (!c || queue >= c->nqueues)
		return -EINVAL;
	memset(&cm, 0, sizeof(cm));
	cm.size = sizeof(cm);
	cm.offset = offset;
	return ioctl(c->pfd[queue].fd, MQ_IOC_COMMIT, &cm) ? -errno : 0;
}
