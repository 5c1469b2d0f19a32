// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * libmq consumer: a member of one consumer group on every queue of a
 * topic, or on the subset it was opened with, reading framed records
 * (Documentation/abi.rst, "Consumer groups" and "Record mode").  The
 * queues are open with O_NONBLOCK and waited for with poll(2).
 *
 * Two ways to receive.  By default each read returns as many whole
 * records as fit in the buffer.  With MQ_CONSUMER_F_MMAP the queues are
 * mapped (Documentation/mmap.rst) and MQ_IOC_GROUP_CLAIM hands this member
 * a run of the group's messages without copying them: the records are
 * checked and given to the callback where they lie in the ring.  Either
 * way, records read or claimed and not yet handed to the callback
 * (because it stopped the delivery) stay with the consumer and go first
 * at the next poll: the kernel counts them delivered to this member
 * already.
 *
 * Asynchronous commits are only recorded, the highest per queue, and
 * issued at the next poll, sync commit or close.
 *
 * With MQ_CONSUMER_F_LOG the member joins with MQ_GROUP_F_LOG: when the
 * group's next messages are older than the ring, the kernel hands this
 * member a log run (MQ_IOC_GROUP_CLAIM; read(2) says EXDEV first), which
 * is read from mqd's commit log into the buffer and delivered as a read
 * is.  The group's accounting stays in the kernel, so commits, orphans
 * and the seam with the ring are the same as for ring messages.
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
#include "log.h"

/* The read buffer: a whole largest record, and never less than this. */
#define BUF_MIN		(256 * 1024)
/* The most messages one claim takes. */
#define CLAIM_MAX	1024

/* READ_ONCE(): one load the compiler may neither tear nor repeat. */
#define LOAD_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

/* One queue the consumer is subscribed to. */
struct cqueue {
	uint32_t queue;		/* its number in the topic */
	bool commit_pending;	/* an async commit is recorded... */
	uint64_t commit_off;	/* ...of this offset */

	struct mq__ring ring;	/* MQ_CONSUMER_F_MMAP: the mappings */
	/* What a claim gave and the callback did not take yet: off < end. */
	uint64_t pos;		/* byte position of the next record */
	uint64_t off;		/* its offset */
	uint64_t end;		/* one past the claim's last offset */

	/* MQ_CONSUMER_F_LOG: the queue's log, and a log run not read yet. */
	char *log_dir;
	struct mq_log_reader *log;	/* opened at the first log run */
	uint64_t log_off;		/* where the run's rest starts... */
	uint64_t log_end;		/* ...and one past its end */
};

struct mq_consumer {
	uint32_t nqueues;	/* the topic's */
	uint32_t nsub;		/* queues subscribed: q[] and pfd[] */
	uint32_t flags;		/* MQ_CONSUMER_F_* */
	uint32_t next;		/* the index the next round of reads starts at */
	int32_t *index;		/* per topic queue: its index in q[], or -1 */
	struct cqueue *q;
	struct pollfd *pfd;	/* one per subscribed queue, in q[]'s order */

	/* The read path's buffer. */
	char *buf;
	size_t size;		/* bytes of buf */
	size_t len;		/* bytes read into it */
	size_t pos;		/* where the next record to deliver starts */
	uint32_t buf_index;	/* the q[] index buf's records came from */

	mq_commit_cb commit_cb;
	void *commit_arg;
	int commit_err;		/* without commit_cb: first async failure */
};

static bool mmap_mode(const struct mq_consumer *c)
{
	return c->flags & MQ_CONSUMER_F_MMAP;
}

/* Index in q[] of topic queue @queue, or -1 if not subscribed. */
static int sub_index(const struct mq_consumer *c, uint32_t queue)
{
	if (queue >= c->nqueues)
		return -1;
	return c->index[queue];
}

static int commit_one(struct mq_consumer *c, uint32_t i, uint64_t offset)
{
	struct mq_commit cm;

	memset(&cm, 0, sizeof(cm));
	cm.size = sizeof(cm);
	cm.offset = offset;
	return ioctl(c->pfd[i].fd, MQ_IOC_COMMIT, &cm) ? -errno : 0;
}

/* Tells an async commit's outcome: to the callback, or keeps it for poll. */
static void commit_done(struct mq_consumer *c, uint32_t i, uint64_t offset,
			int error)
{
	if (c->commit_cb)
		c->commit_cb(c->q[i].queue, offset, error, c->commit_arg);
	else if (error && !c->commit_err && error != -ECANCELED)
		c->commit_err = error;
}

/*
 * Issues every recorded async commit, in queue order.  Each is forgotten
 * before it is issued, so a commit callback may record new ones (issued
 * by this flush if for a later queue, else by the next).
 */
static void flush_async(struct mq_consumer *c)
{
	uint64_t off;
	uint32_t i;

	for (i = 0; i < c->nsub; i++) {
		if (!c->q[i].commit_pending)
			continue;
		c->q[i].commit_pending = false;
		off = c->q[i].commit_off;
		commit_done(c, i, off, commit_one(c, i, off));
	}
}

void mq_consumer_close(struct mq_consumer *c)
{
	uint32_t i;

	if (!c)
		return;
	/* Before leaving: a commit recorded is a commit made. */
	flush_async(c);
	for (i = 0; i < c->nsub; i++) {
		if (c->pfd[i].fd >= 0)
			close(c->pfd[i].fd);
		mq__ring_unmap(&c->q[i].ring);
		mq_log_reader_close(c->q[i].log);
		free(c->q[i].log_dir);
	}
	free(c->index);
	free(c->q);
	free(c->pfd);
	free(c->buf);
	free(c);
}

/*
 * MQ_CONSUMER_F_LOG: where the commit log of @queue of @topic is, in a
 * string to free.  mqd's layout: Documentation/mqd.rst, "Data directory".
 */
static int log_dir(char **dirp, const char *topic, uint32_t queue)
{
	const char *data = mq_log_data_dir();
	size_t size = strlen(data) + strlen(topic) + 32;
	int ret;

	*dirp = malloc(size);
	if (!*dirp)
		return -ENOMEM;
	ret = mq_log_queue_dir(*dirp, size, data, topic, queue);
	if (ret) {
		free(*dirp);
		*dirp = NULL;
	}
	return ret;
}

/*
 * MQ_GROUP_START_EARLIEST for a consumer that reads the log: the log's
 * oldest record, which a new group starts at as a restore does.  A queue
 * with no log, or an empty one, starts at the ring's oldest as ever.
 */
static void log_earliest(const char *dir, uint32_t *start, uint64_t *offset)
{
	struct mq_log_reader *r;
	uint64_t first, next;

	if (mq_log_reader_open(&r, dir))
		return;
	if (!mq_log_reader_first_offset(r, &first) &&
	    !mq_log_reader_next_offset(r, &next) && first < next) {
		*start = MQ_GROUP_START_RESTORE;
		*offset = first;
	}
	mq_log_reader_close(r);
}

static int join(int fd, const char *group, uint32_t start, uint64_t offset,
		uint32_t flags)
{
	struct mq_group_join j;

	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	if (flags & MQ_CONSUMER_F_AUTOCOMMIT)
		j.flags |= MQ_GROUP_F_AUTOCOMMIT;
	if (flags & MQ_CONSUMER_F_LOG)
		j.flags |= MQ_GROUP_F_LOG;
	j.start = start;
	j.offset = offset;
	strcpy(j.name, group);	/* mq__name_check() bounded it */
	return ioctl(fd, MQ_IOC_GROUP_JOIN, &j) ? -errno : 0;
}

/* MQ_CONSUMER_F_LOG needs MQ_FEAT_LOG of the kernel behind @fd. */
static int log_supported(int fd)
{
	uint64_t features;
	int ret;

	ret = mq__queue_features(fd, &features);
	if (ret)
		return ret;
	return features & MQ_FEAT_LOG ? 0 : -EOPNOTSUPP;
}

/* ENOTTY from one of MQ_FEAT_CLIENT's ioctls: a kernel without it. */
static int client_errno(void)
{
	return errno == ENOTTY ? -EOPNOTSUPP : -errno;
}

/* Maps queue @q open on @fd, on a kernel that can claim. */
static int map_queue(struct cqueue *q, int fd)
{
	uint64_t features;
	int ret;

	ret = mq__queue_features(fd, &features);
	if (ret)
		return ret;
	if (!(features & MQ_FEAT_CLIENT))
		return -EOPNOTSUPP;
	return mq__ring_map(&q->ring, fd);
}

int mq_consumer_open_queues(struct mq_consumer **cp, const char *topic,
			    const char *group, uint32_t start, uint32_t flags,
			    const uint32_t *queues, uint32_t count)
{
	struct mq_topic_config cfg;
	struct mq_consumer *c;
	uint32_t i, queue, nsub;
	int ret;

	if (!cp)
		return -EINVAL;
	*cp = NULL;
	if (mq__name_check(topic) || mq__name_check(group) ||
	    (start != MQ_GROUP_START_LATEST && start != MQ_GROUP_START_EARLIEST) ||
	    flags & ~MQ_CONSUMER_F_ALL || (count && !queues) ||
	    count > MQ_QUEUES_MAX)
		return -EINVAL;
	/*
	 * Auto-commit acknowledges a message when it is delivered, so under
	 * mmap the ring could reuse it while the callback reads it in place.
	 */
	if ((flags & MQ_CONSUMER_F_MMAP) && (flags & MQ_CONSUMER_F_AUTOCOMMIT))
		return -EINVAL;
	/* A log run is a claim, which needs a commit. */
	if ((flags & MQ_CONSUMER_F_LOG) && (flags & MQ_CONSUMER_F_AUTOCOMMIT))
		return -EINVAL;

	ret = mq__topic_config(topic, &cfg);
	if (ret)
		return ret;
	/*
	 * Only MQ_FULL_BLOCK keeps a claimed record in the ring until it is
	 * committed; under MQ_FULL_DROP producers may write over it while
	 * the callback reads it in place.
	 */
	if ((flags & MQ_CONSUMER_F_MMAP) && cfg.full_policy != MQ_FULL_BLOCK)
		return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->nqueues = cfg.queues;
	c->flags = flags;
	nsub = count ? count : cfg.queues;
	c->index = malloc(cfg.queues * sizeof(*c->index));
	c->q = calloc(nsub, sizeof(*c->q));
	c->pfd = calloc(nsub, sizeof(*c->pfd));
	/* Reads, and log runs, land in the buffer. */
	if (!(flags & MQ_CONSUMER_F_MMAP) || (flags & MQ_CONSUMER_F_LOG)) {
		c->size = MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE +
					  (uint64_t)cfg.max_msg_size);
		if (c->size < BUF_MIN)
			c->size = BUF_MIN;
		c->buf = malloc(c->size);
	}
	if (!c->index || !c->q || !c->pfd || (c->size && !c->buf)) {
		ret = -ENOMEM;
		goto fail;
	}
	/* From here on close() walks nsub queues: each fd is -1 or open. */
	c->nsub = nsub;
	for (i = 0; i < c->nqueues; i++)
		c->index[i] = -1;
	for (i = 0; i < c->nsub; i++) {
		c->pfd[i].fd = -1;
		c->pfd[i].events = POLLIN;
	}
	for (i = 0; i < c->nsub; i++) {
		queue = count ? queues[i] : i;
		if (queue >= c->nqueues || c->index[queue] >= 0) {
			ret = -EINVAL;
			goto fail;
		}
		c->index[queue] = (int32_t)i;
		c->q[i].queue = queue;
	}
	for (i = 0; i < c->nsub; i++) {
		uint32_t qstart = start;
		uint64_t qoffset = 0;

		ret = mq__queue_open(topic, c->q[i].queue, O_RDONLY | O_NONBLOCK);
		if (ret < 0)
			goto fail;
		c->pfd[i].fd = ret;
		if (flags & MQ_CONSUMER_F_LOG) {
			ret = log_supported(c->pfd[i].fd);
			if (!ret)
				ret = log_dir(&c->q[i].log_dir, topic,
					      c->q[i].queue);
			if (ret)
				goto fail;
			if (start == MQ_GROUP_START_EARLIEST)
				log_earliest(c->q[i].log_dir, &qstart, &qoffset);
		}
		ret = join(c->pfd[i].fd, group, qstart, qoffset, flags);
		if (ret)
			goto fail;
		if (flags & MQ_CONSUMER_F_MMAP) {
			ret = map_queue(&c->q[i], c->pfd[i].fd);
			if (ret)
				goto fail;
		}
	}
	*cp = c;
	return 0;
fail:
	mq_consumer_close(c);
	return ret;
}

int mq_consumer_open(struct mq_consumer **cp, const char *topic,
		     const char *group, uint32_t start, uint32_t flags)
{
	return mq_consumer_open_queues(cp, topic, group, start, flags, NULL, 0);
}

int mq_consumer_queues(const struct mq_consumer *c)
{
	return c ? (int)c->nqueues : -EINVAL;
}

/* The record-mode and mmap paths' checks of a whole record of @len bytes. */
static bool record_ok(const struct mq_record *r, uint32_t len)
{
	return len >= MQ_RECORD_HDR_SIZE && LOAD_ONCE(r->magic) == MQ_RECORD_MAGIC &&
	       (uint64_t)LOAD_ONCE(r->key_len) + LOAD_ONCE(r->value_len) +
	       MQ_RECORD_HDR_SIZE == len &&
	       mq_crc32c((const char *)r + MQ_RECORD_CRC_START,
			 len - MQ_RECORD_CRC_START) == LOAD_ONCE(r->crc);
}

/*
 * Hands the records left in the buffer to @cb, one by one, each checked
 * first.  Adds the number handed to *@n.  0 when the buffer is empty,
 * the callback's non-zero return, or -EBADMSG for a record that is not
 * whole or whose CRC does not match (the rest of the buffer is dropped).
 */
static int deliver_buf(struct mq_consumer *c, mq_message_cb cb, void *arg,
		       int *n)
{
	while (c->pos < c->len) {
		const struct mq_record *r = (const void *)(c->buf + c->pos);
		size_t left = c->len - c->pos;
		struct mq_message m;
		int ret;

		if (left < MQ_RECORD_HDR_SIZE || r->len < MQ_RECORD_HDR_SIZE ||
		    MQ_RECORD_ALIGN(r->len) > left || !record_ok(r, r->len)) {
			c->pos = c->len = 0;
			return -EBADMSG;
		}
		m.queue = c->q[c->buf_index].queue;
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

/*
 * Whether the bytes at @q's position may have been written over since we
 * started reading them: producers move tail past a record before they
 * write over it.  (C) The acquire fence is userspace's smp_rmb(): it
 * orders every load of the record before the load of tail.  Pairs with
 * the smp_wmb() after tail moves in mq_make_room().
 */
static bool overwritten(const struct cqueue *q)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (int64_t)(LOAD_ONCE(*q->ring.tail) - q->pos) > 0;
}

/*
 * Hands the records queue @q's claim left to @cb, in place, each checked
 * as the read path checks them.  Holes (MQ_RECORD_LEN_DISCARD) are
 * skipped.  0 once the claim is used up, the callback's non-zero return,
 * -EBADMSG for a record that fails its checks, -EIO for a ring that
 * contradicts the claim (a kernel bug); the rest of the claim is dropped
 * on an error.
 *
 * Under MQ_FULL_BLOCK (the only policy mmap consumers take) a claimed
 * record stays in the ring until this member commits it.  The tail
 * checks below therefore only fail when the caller committed past
 * records it had not been handed yet: those it is done with, and the
 * claim's rest is dropped silently.
 */
static int deliver_claim(struct cqueue *q, mq_message_cb cb, void *arg,
			 int *n)
{
	while (q->off < q->end) {
		const struct mq_record *r;
		uint32_t len, flen, klen, vlen;
		struct mq_message m;
		uint64_t head, roff;
		bool ok;
		int ret;

		/*
		 * (A) Every record below head has its header in place.  Pairs
		 * with the smp_store_release(&ctrl->head) in mq_ctrl_reserved().
		 */
		head = __atomic_load_n(q->ring.head, __ATOMIC_ACQUIRE);
		if ((int64_t)(head - q->pos) <= 0)
			goto bug;
		r = (const void *)(q->ring.data + (q->pos & (q->ring.ring_size - 1)));
		/*
		 * (B) A committed record is whole.  Pairs with the
		 * smp_store_release(&rec->len) in mq_publish().
		 */
		len = __atomic_load_n(&r->len, __ATOMIC_ACQUIRE);
		roff = LOAD_ONCE(r->offset);
		klen = LOAD_ONCE(r->key_len);
		vlen = LOAD_ONCE(r->value_len);
		/* (C) The header was read before the producers passed it. */
		if (overwritten(q))
			goto gone;
		/* The claim's records are consecutive, holes included. */
		if (roff != q->off || (len & MQ_RECORD_LEN_BUSY))
			goto bug;
		flen = len & MQ_RECORD_LEN_MASK;
		/*
		 * Bounds before anything reads the value: even a header torn
		 * after this check keeps every read inside the data area.
		 */
		if (flen < MQ_RECORD_HDR_SIZE || flen > q->ring.ring_size ||
		    (uint64_t)MQ_RECORD_HDR_SIZE + klen + vlen != flen) {
			q->off = q->end;
			return -EBADMSG;
		}
		if (len & MQ_RECORD_LEN_DISCARD) {
			q->pos += MQ_RECORD_ALIGN(flen);
			q->off++;
			continue;
		}
		ok = record_ok(r, flen);
		/* (C) again: the CRC was of the record, not of later bytes. */
		if (overwritten(q))
			goto gone;
		if (!ok) {
			q->off = q->end;
			return -EBADMSG;
		}
		m.queue = q->queue;
		m.offset = roff;
		m.timestamp = LOAD_ONCE(r->timestamp);
		m.key = klen ? (const char *)r + MQ_RECORD_HDR_SIZE : NULL;
		m.key_len = klen;
		m.value = (const char *)r + MQ_RECORD_HDR_SIZE + klen;
		m.value_len = vlen;
		q->pos += MQ_RECORD_ALIGN(flen);
		q->off++;
		++*n;
		ret = cb(&m, arg);
		if (ret)
			return ret;
	}
	return 0;
gone:
	q->off = q->end;
	return 0;
bug:
	q->off = q->end;
	return -EIO;
}

static bool log_run(const struct cqueue *q)
{
	return q->log_off < q->log_end;
}

/*
 * Reads the next records of queue @i's log run into the empty buffer:
 * those of one segment, from the run's next offset on, the run's own
 * only.  0 (the buffer may stay empty: records the log has no more,
 * deleted by retention, are skipped as a ring drop is), or -errno: the
 * log is missing (-ENOENT; the run waits, as undelivered), or -EBADMSG
 * for a record that fails its checks (the run's rest is dropped).
 */
static int log_fill(struct mq_consumer *c, uint32_t i)
{
	struct cqueue *q = &c->q[i];
	const struct mq_record *r;
	uint64_t last = 0;
	size_t at, len;
	ssize_t got;
	int ret;

	if (!q->log) {
		ret = mq_log_reader_open(&q->log, q->log_dir);
		if (ret)
			return ret;
	}
	got = mq_log_read(q->log, q->log_off, c->buf, c->size);
	if (got < 0) {
		if (got == -EBADMSG)
			q->log_off = q->log_end;
		return (int)got;
	}
	/* Up to the run's end: what follows is not this member's. */
	for (at = 0; at + MQ_RECORD_HDR_SIZE <= (size_t)got; at += len) {
		r = (const void *)(c->buf + at);
		len = MQ_RECORD_ALIGN(r->len);
		if (r->len < MQ_RECORD_HDR_SIZE || len > (size_t)got - at ||
		    r->offset >= q->log_end)
			break;
		last = r->offset;
	}
	c->buf_index = i;
	c->pos = 0;
	c->len = at;
	/* Nothing left, or the run ends in this segment: it is read. */
	q->log_off = at && at == (size_t)got ? last + 1 : q->log_end;
	return 0;
}

/*
 * Asks for a log run on queue @i: with @log_only for a member that has
 * no mapping, which then gets -EAGAIN when the group's next message is
 * in the ring after all.  Sets the run, or the ring claim, in q[@i].
 */
static int claim(struct mq_consumer *c, uint32_t i, bool log_only)
{
	struct mq_group_claim cl;
	struct cqueue *q = &c->q[i];

	memset(&cl, 0, sizeof(cl));
	cl.size = sizeof(cl);
	cl.max = CLAIM_MAX;
	if (log_only)
		cl.flags = MQ_GROUP_CLAIM_F_LOG_ONLY;
	if (ioctl(c->pfd[i].fd, MQ_IOC_GROUP_CLAIM, &cl))
		return client_errno();
	if (!cl.count || cl.end <= cl.offset)
		return -EIO;
	if (cl.pos == MQ_GROUP_CLAIM_POS_LOG) {
		if (!q->log_dir)
			return -EIO;	/* a run we did not ask for */
		q->log_off = cl.offset;
		q->log_end = cl.end;
		return log_fill(c, i);
	}
	q->pos = cl.pos;
	q->off = cl.offset;
	q->end = cl.end;
	return 0;
}

/*
 * Takes what subscribed queue @i has for this member: a read into the
 * buffer, a log run into it, or a claim.  0, -EAGAIN when another member
 * took it first, or -errno.
 */
static int fetch(struct mq_consumer *c, uint32_t i)
{
	ssize_t got;
	int ret;

	if (mmap_mode(c))
		return claim(c, i, false);
	got = read(c->pfd[i].fd, c->buf, c->size);
	if (got < 0 && errno == EXDEV) {
		/* The group's next message is in the log alone. */
		ret = claim(c, i, true);
		if (ret != -EAGAIN)
			return ret;
		/* Another member took the log's: ours may be in the ring. */
		got = read(c->pfd[i].fd, c->buf, c->size);
	}
	if (got < 0)
		return errno == EXDEV ? -EAGAIN : -errno;
	c->buf_index = i;
	c->len = (size_t)got;
	c->pos = 0;
	return 0;
}

/* The buffer's records, then the rest of queue @i's log run, if any. */
static int deliver_copied(struct mq_consumer *c, uint32_t i, mq_message_cb cb,
			  void *arg, int *n)
{
	int ret;

	for (;;) {
		ret = deliver_buf(c, cb, arg, n);
		if (ret || !log_run(&c->q[i]))
			return ret;
		ret = log_fill(c, i);
		if (ret)
			return ret;
	}
}

static int deliver(struct mq_consumer *c, uint32_t i, mq_message_cb cb,
		   void *arg, int *n)
{
	if (mmap_mode(c) && c->q[i].off < c->q[i].end)
		return deliver_claim(&c->q[i], cb, arg, n);
	return deliver_copied(c, i, cb, arg, n);
}

/* What earlier calls took and their callbacks did not, first. */
static int deliver_left(struct mq_consumer *c, mq_message_cb cb, void *arg,
			int *n)
{
	uint32_t k, i;
	int ret;

	/* The buffer's records are the oldest taken. */
	if (c->pos < c->len) {
		ret = deliver_copied(c, c->buf_index, cb, arg, n);
		if (ret)
			return ret;
	}
	for (k = 0; k < c->nsub; k++) {
		i = (c->next + k) % c->nsub;
		if (log_run(&c->q[i])) {
			ret = deliver_copied(c, i, cb, arg, n);
			if (ret)
				return ret;
		}
		if (mmap_mode(c)) {
			ret = deliver_claim(&c->q[i], cb, arg, n);
			if (ret)
				return ret;
		}
	}
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

	if (!c || !cb)
		return -EINVAL;
	flush_async(c);
	if (c->commit_err) {
		ret = c->commit_err;
		c->commit_err = 0;
		return ret;
	}
	ret = deliver_left(c, cb, arg, &n);
	if (ret || n)
		return ret ? ret : n;

	for (;;) {
		ready = poll(c->pfd, c->nsub, wait);
		if (ready < 0)
			return -errno;
		/* One read or claim per ready queue, from a rotating first one. */
		for (k = 0; ready > 0 && k < c->nsub; k++) {
			i = (c->next + k) % c->nsub;
			if (!c->pfd[i].revents)
				continue;
			ret = fetch(c, i);
			/* Another member of the group took it first. */
			if (ret == -EAGAIN)
				continue;
			if (ret) {
				/* Report it next time, after what was delivered. */
				if (n)
					break;
				return ret;
			}
			ret = deliver(c, i, cb, arg, &n);
			if (ret) {
				c->next = (i + 1) % c->nsub;
				return ret;
			}
		}
		c->next = (c->next + 1) % c->nsub;
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
	struct cqueue *q;
	uint64_t merged;
	bool merge;
	int i, ret;

	if (!c || (i = sub_index(c, queue)) < 0)
		return -EINVAL;
	q = &c->q[i];
	/* A recorded async commit this one covers is made by it. */
	merge = q->commit_pending && q->commit_off <= offset;
	merged = q->commit_off;
	if (merge)
		q->commit_pending = false;
	ret = commit_one(c, (uint32_t)i, offset);
	if (merge)
		commit_done(c, (uint32_t)i, merged, ret);
	flush_async(c);
	return ret;
}

int mq_consumer_commit_async(struct mq_consumer *c, uint32_t queue,
			     uint64_t offset)
{
	struct cqueue *q;
	int i;

	if (!c || (i = sub_index(c, queue)) < 0)
		return -EINVAL;
	q = &c->q[i];
	if (q->commit_pending && offset < q->commit_off)
		return 0;
	q->commit_pending = true;
	q->commit_off = offset;
	return 0;
}

int mq_consumer_set_commit_cb(struct mq_consumer *c, mq_commit_cb cb,
			      void *arg)
{
	if (!c)
		return -EINVAL;
	c->commit_cb = cb;
	c->commit_arg = arg;
	return 0;
}

int mq_consumer_seek(struct mq_consumer *c, uint32_t queue, uint32_t start,
		     uint64_t offset)
{
	struct mq_group_seek s;
	struct cqueue *q;
	int i;

	if (!c || (i = sub_index(c, queue)) < 0 ||
	    start >= __MQ_GROUP_START_MAX ||
	    (start != MQ_GROUP_START_OFFSET && offset))
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.start = start;
	s.offset = offset;
	q = &c->q[i];
	/* The beginning of a queue with a log is the log's. */
	if (q->log_dir && start == MQ_GROUP_START_EARLIEST) {
		offset = 0;
		log_earliest(q->log_dir, &s.start, &offset);
		s.offset = offset;
	}
	if (ioctl(c->pfd[i].fd, MQ_IOC_GROUP_SEEK, &s))
		return client_errno();
	/* The group forgot what it had pending there: so do we. */
	q->off = q->end;
	q->log_off = q->log_end;
	if (c->buf_index == (uint32_t)i)
		c->pos = c->len = 0;
	if (q->commit_pending) {
		q->commit_pending = false;
		commit_done(c, (uint32_t)i, q->commit_off, -ECANCELED);
	}
	return 0;
}
