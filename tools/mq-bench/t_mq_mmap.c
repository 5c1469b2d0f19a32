// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mq read through a mapping: the producer writes as the mq transport
 * does, one write(2) per message; the consumer maps its queue's control
 * page and data area (MQ_IOC_MMAP_INFO) and reads each record where the
 * producer wrote it, by the protocol of Documentation/mmap.rst: no system
 * call while there are records to read.
 *
 * Each message's value is copied out of the ring into the caller's
 * buffer, as the shm ring copies out of its slots, so that neither is
 * credited with zero copy, and measure.c checks it there like every
 * other transport's.
 *
 * Progress: the topic is MQ_FULL_BLOCK, and the kernel cannot see what a
 * mapping's reader has read, so the consumer tells it with lseek(fd, off,
 * SEEK_SET): once a quarter of the ring has been read since the last
 * time, and before it sleeps; never once per message.  Between two
 * reports the producer still has the rest of the ring to fill, so it
 * does not wait for them.
 *
 * Waiting: caught up, the consumer looks at head (or at a busy record's
 * len) SPIN_POLLS times, as each side of the shm ring spins on the
 * other's counter, then reports its offset with lseek(2), which makes the
 * file position the offset poll(2) looks at, and sleeps in poll(2).
 *
 * Unlike a general mmap consumer (selftests/mq_mmap.h), this one never
 * resyncs: under MQ_FULL_BLOCK producers do not overwrite what an open
 * reader has not consumed, so a record found overwritten was lost, and
 * the test fails with ERANGE, the error read(2) gives for a dropped
 * offset.  A header that contradicts the protocol fails it with EPROTO.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/mq.h>

#include "bench.h"

/* Report progress each time this fraction of the ring has been read. */
#define MMAP_REPORT_DIV		4
/* How often to retry a start at head while the queue does not stand still. */
#define MMAP_START_TRIES	1000

struct mmap_rx {
	int fd;				/* the consumer's: lseek(2), poll(2) */
	const unsigned char *ctrl;	/* the control page */
	const unsigned char *data;	/* the ring, mapped twice back to back */
	size_t ctrl_size;
	size_t data_size;
	const uint64_t *head;		/* in the control page */
	const uint64_t *tail;
	uint64_t ring_size;
	uint64_t pos;		/* byte position of the next record */
	uint64_t off;		/* its offset */
	uint64_t head_seen;	/* head, last loaded: every record below is reserved */
	uint64_t reported;	/* @pos at the last lseek(2) */
	uint64_t report_bytes;	/* lseek(2) again once this many more are read */
};

static const struct mq_record *rec_at(const struct mmap_rx *m, uint64_t pos)
{
	return (const struct mq_record *)(m->data + (pos & (m->ring_size - 1)));
}

static void mmap_rx_free(struct chan *ch)
{
	struct mmap_rx *m = ch->rx_state;

	if (!m)
		return;
	if (m->ctrl)
		munmap((void *)m->ctrl, m->ctrl_size);
	if (m->data)
		munmap((void *)m->data, m->data_size);
	free(m);
	ch->rx_state = NULL;
}

/* (A), as mmap.rst names it: every position below head is reserved. */
static uint64_t load_head(const struct mmap_rx *m)
{
	/*
	 * Every record below head has its header in place: len, with
	 * MQ_RECORD_LEN_BUSY until it is committed, and offset.  Pairs with
	 * the smp_store_release(&ctrl->head) in mq_ctrl_reserved().
	 */
	return __atomic_load_n(m->head, __ATOMIC_ACQUIRE);
}

/*
 * (C): whether a producer may have written over the record at our
 * position since we began to read it.  Producers move tail past a record
 * before they write over it.
 */
static bool overwritten(const struct mmap_rx *m)
{
	/*
	 * Userspace's smp_rmb(): every load of the record before the load of
	 * tail.  Pairs with the smp_wmb() after tail moves in mq_make_room().
	 */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (int64_t)(__atomic_load_n(m->tail, __ATOMIC_RELAXED) - m->pos) > 0;
}

/*
 * Start at the queue's next offset, where open(2) put our cursor: @pos is
 * head, and @off the next offset, read by lseek(SEEK_END) under the
 * queue's lock, if head did not move meanwhile (mmap.rst, "Start at the
 * newest").  Nobody writes yet, unless --topic names a busy topic.
 */
static int mmap_start(struct mmap_rx *m)
{
	unsigned int i;
	uint64_t head;
	off_t next;

	for (i = 0; i < MMAP_START_TRIES; i++) {
		head = load_head(m);
		next = lseek(m->fd, 0, SEEK_END);
		if (next < 0)
			return -errno;
		if (load_head(m) == head) {
			m->pos = m->head_seen = m->reported = head;
			m->off = next;
			return 0;
		}
	}
	return -EBUSY;
}

static int mmap_open(struct chan *ch, const struct bench_opts *o, unsigned int id,
		     size_t msg_size, char *why, size_t why_len)
{
	struct mq_mmap_info info = { .size = sizeof(info) };
	struct mmap_rx *m;
	void *p;
	int ret;

	ret = devmq_open(ch, o, id, msg_size, why, why_len);
	if (ret)
		return ret;
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(why, why_len, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	ch->rx_state = m;
	m->fd = ch->rx;
	if (ioctl(ch->rx, MQ_IOC_MMAP_INFO, &info)) {
		ret = -errno;
		snprintf(why, why_len, "MQ_IOC_MMAP_INFO: %m");
		goto fail;
	}
	p = mmap(NULL, info.ctrl_size, PROT_READ, MAP_SHARED, ch->rx, info.ctrl_offset);
	if (p == MAP_FAILED) {
		ret = -errno;
		snprintf(why, why_len, "mmap the control page: %m");
		goto fail;
	}
	m->ctrl = p;
	m->ctrl_size = info.ctrl_size;
	p = mmap(NULL, info.data_size, PROT_READ, MAP_SHARED, ch->rx, info.data_offset);
	if (p == MAP_FAILED) {
		ret = -errno;
		snprintf(why, why_len, "mmap the data area (%llu bytes): %m",
			 (unsigned long long)info.data_size);
		goto fail;
	}
	m->data = p;
	m->data_size = info.data_size;
	/* The control page's layout is the kernel's to say: use its offsets. */
	m->head = (const uint64_t *)(m->ctrl + info.ctrl.head);
	m->tail = (const uint64_t *)(m->ctrl + info.ctrl.tail);
	m->ring_size = info.ring_size;
	m->report_bytes = info.ring_size / MMAP_REPORT_DIV;
	ret = mmap_start(m);
	if (ret) {
		snprintf(why, why_len, "cannot tell the offset at head: %s", strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	mmap_rx_free(ch);
	chan_close_fds(ch);
	return ret;
}

static void mmap_keep(struct chan *ch, enum chan_end end)
{
	/* The producer's process has no use for the mapping. */
	if (end == CHAN_TX)
		mmap_rx_free(ch);
	chan_keep_fds(ch, end);
}

static void mmap_close(struct chan *ch)
{
	mmap_rx_free(ch);
	chan_close_fds(ch);
}

/*
 * Tell the kernel that every record before ours is consumed, so that
 * MQ_FULL_BLOCK producers may reuse their room; the file position
 * becomes our offset too, the one poll(2) looks at.  0 or -errno.
 */
static int mmap_report(struct mmap_rx *m)
{
	if (m->reported == m->pos)
		return 0;
	if (lseek(m->fd, m->off, SEEK_SET) < 0)
		return -errno;
	m->reported = m->pos;
	return 0;
}

/* Whether the record at our position is reserved and no longer busy. */
static bool mmap_ready(struct mmap_rx *m)
{
	if (m->pos == m->head_seen) {
		m->head_seen = load_head(m);
		if (m->pos == m->head_seen)
			return false;
	}
	/* Only a hint for the wait: mmap_recv() loads len again, with (B). */
	return !(__atomic_load_n(&rec_at(m, m->pos)->len, __ATOMIC_RELAXED) &
		 MQ_RECORD_LEN_BUSY);
}

/*
 * Until the record at our position may be read: spin, then report and
 * sleep in poll(2), which reports EPOLLIN once the message at the file
 * position is readable.  The kernel checks that under its wait queue, so
 * a commit between our last look and the sleep still wakes us.
 */
static int mmap_wait(struct mmap_rx *m)
{
	struct pollfd p = { .fd = m->fd, .events = POLLIN };
	unsigned int i;
	int ret;

	for (i = 0; i < SPIN_POLLS; i++) {
		if (mmap_ready(m))
			return 0;
		cpu_relax();
	}
	ret = mmap_report(m);
	if (ret)
		return ret;
	do
		ret = poll(&p, 1, -1);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (p.revents & (POLLERR | POLLHUP))
		return -ENODEV;	/* the topic was deleted */
	return 0;
}

static ssize_t mmap_recv(struct chan *ch, void *buf, size_t size)
{
	struct mmap_rx *m = ch->rx_state;
	const struct mq_record *rec;
	uint32_t len, n, klen, vlen;
	uint64_t roff;
	int ret;

	for (;;) {
		if (!mmap_ready(m)) {
			ret = mmap_wait(m);
			if (ret)
				return ret;
			continue;
		}
		rec = rec_at(m, m->pos);
		/*
		 * (B) A record seen committed is seen whole.  Pairs with the
		 * smp_store_release(&rec->len) in mq_publish().
		 */
		len = __atomic_load_n(&rec->len, __ATOMIC_ACQUIRE);
		roff = __atomic_load_n(&rec->offset, __ATOMIC_RELAXED);
		klen = __atomic_load_n(&rec->key_len, __ATOMIC_RELAXED);
		vlen = __atomic_load_n(&rec->value_len, __ATOMIC_RELAXED);
		/* Nothing read above means anything until this says so. */
		if (overwritten(m))
			return -ERANGE;
		if (roff != m->off)
			return -EPROTO;
		if (len & MQ_RECORD_LEN_BUSY)
			continue;
		/*
		 * The lengths hold before the value is touched, so that every
		 * read stays inside the data area.
		 */
		n = len & MQ_RECORD_LEN_MASK;
		if (n < MQ_RECORD_HDR_SIZE || n > m->ring_size ||
		    (uint64_t)MQ_RECORD_HDR_SIZE + klen + vlen != n)
			return -EPROTO;
		if (len & MQ_RECORD_LEN_DISCARD) {
			/* A producer's write faulted: an offset, no message. */
			m->pos += MQ_RECORD_ALIGN(n);
			m->off++;
			continue;
		}
		/* The producer writes values alone. */
		if (klen)
			return -EPROTO;
		if (vlen > size)
			return -EMSGSIZE;
		/*
		 * A plain copy, as a sequence lock's reader makes: bytes a
		 * producer wrote over meanwhile are caught by the check after.
		 */
		memcpy(buf, (const unsigned char *)rec + MQ_RECORD_HDR_SIZE, vlen);
		/* (C) again: only now is the copy known to be the record. */
		if (overwritten(m))
			return -ERANGE;
		m->pos += MQ_RECORD_ALIGN(n);
		m->off++;
		if (m->pos - m->reported >= m->report_bytes) {
			ret = mmap_report(m);
			if (ret)
				return ret;
		}
		return vlen;
	}
}

/*
 * What the ring holds, less what the consumer may have read and not yet
 * reported: the producer must keep those too.  After every receive that
 * is less than report_bytes.
 */
static long mmap_capacity(struct chan *ch, char *why, size_t why_len)
{
	struct mmap_rx *m = ch->rx_state;
	uint64_t stride = MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + ch->msg_size);

	if (!m) {
		snprintf(why, why_len, "the consumer's end is not open here");
		return -EBADF;
	}
	return (m->ring_size - m->report_bytes) / stride;
}

static int mmap_setup(const struct bench_opts *o, char *why, size_t why_len)
{
	return devmq_setup(o, MQ_FEAT_MMAP, "MQ_FEAT_MMAP", why, why_len);
}

const struct transport t_mq_mmap = {
	.name = "mq-mmap",
	.title = "/dev/mq, mmap consumer",
	.setup = mmap_setup,
	.teardown = devmq_teardown,
	.open = mmap_open,
	.keep = mmap_keep,
	.close = mmap_close,
	.send = devmq_send,
	.recv = mmap_recv,
	.capacity = mmap_capacity,
};
