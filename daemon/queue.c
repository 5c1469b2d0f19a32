// SPDX-License-Identifier: GPL-2.0
/*
 * One queue's persistence: mqd is the queue's persister (abi.rst,
 * "Durability"), maps its ring read-only, and writes spans of records
 * straight from the mapping into the log's active segment with
 * IORING_OP_WRITE: the bytes are copied once, by the kernel, from the
 * ring into the page cache, and never pass through a buffer of ours.
 * That is safe because the ring keeps every record at or past the durable
 * offset while a persister is attached: nothing we are writing can be
 * overwritten before we report it.
 *
 * Then, by the topic's flush policy (mqd.h), the offsets written are
 * reported durable at once (async: fdatasync later, by time or bytes) or
 * after the fdatasync that covers them (sync).  A sync in flight covers
 * every record written before it was submitted, however many producers
 * wait on them: group commit.  MQ_IOC_PERSIST_REPORT releases the
 * producers waiting under acks.
 *
 * One write per queue is in flight at a time (the log takes one
 * reservation at a time), and the file position of our fd follows what
 * is written, so that poll(2) on it wakes us for the next record.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "engine.h"

/* The most bytes one write carries: large enough, short enough to share. */
#define SPAN_MAX	(1U << 20)

#define LOAD_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

static const struct mq_record *rec_at(const struct mqd_queue *q, uint64_t pos)
{
	return (const void *)(q->ring.data + (pos & (q->ring.ring_size - 1)));
}

/*
 * Whether the producers dropped the bytes at @pos since we read them.
 * The acquire fence orders our loads of the record before the load of
 * tail; pairs with the smp_wmb() after tail moves in mq_make_room()
 * (mmap.rst, (C)).
 */
static bool overwritten(const struct mqd_queue *q, uint64_t pos)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (int64_t)(LOAD_ONCE(*q->ring.tail) - pos) > 0;
}

static const char *qname(const struct mqd_queue *q)
{
	static __thread char buf[MQ_NAME_MAX + 16];

	snprintf(buf, sizeof(buf), "%s/%" PRIu32, q->topic->cfg.name, q->id);
	return buf;
}

static int report(struct mqd_queue *q, uint64_t off)
{
	struct mq_persist_report r = {
		.size = sizeof(r),
		.durable_off = off,
		.replicated_off = off,	/* no followers yet: in-sync set of one */
	};

	if (off <= q->reported)
		return 0;
	if (ioctl(q->fd, MQ_IOC_PERSIST_REPORT, &r)) {
		mqd_err("%s: reporting offset %" PRIu64 ": %m", qname(q), off);
		return -errno;
	}
	q->reported = off;
	return 0;
}

/*
 * Finds the ring position of the first record at or past offset @off,
 * walking from the oldest retained one: 0 with q->pos set, -EAGAIN when
 * the producers lapped the walk (try again).
 */
static int seek_ring(struct mqd_queue *q, uint64_t off)
{
	/* (D) Pairs with the smp_store_release(&ctrl->tail) in mq_ctrl_dropped(). */
	uint64_t pos = __atomic_load_n(q->ring.tail, __ATOMIC_ACQUIRE);
	/* (A) Pairs with the smp_store_release(&ctrl->head) in mq_ctrl_reserved(). */
	uint64_t head = __atomic_load_n(q->ring.head, __ATOMIC_ACQUIRE);
	const struct mq_record *r;
	uint64_t roff;
	uint32_t len;

	while (pos != head) {
		r = rec_at(q, pos);
		/* A reserved record's len holds its length, busy or not. */
		len = __atomic_load_n(&r->len, __ATOMIC_ACQUIRE);
		roff = LOAD_ONCE(r->offset);
		if (overwritten(q, pos))
			return -EAGAIN;
		if (roff >= off)
			break;
		pos += MQ_RECORD_ALIGN(len & MQ_RECORD_LEN_MASK);
	}
	q->pos = pos;
	return 0;
}

/*
 * Where to go on from: the log's next offset, unless the ring no longer
 * holds it (records appended while no persister was attached are lost to
 * the log: said, and skipped), or the kernel's queue is behind the log
 * (it was made again from 0 by someone else: not ours to mix).
 */
static int position(struct mqd_queue *q)
{
	uint64_t logged = mq_log_next_offset(q->log);
	uint64_t first = LOAD_ONCE(*q->ring.first_off);
	uint64_t next = LOAD_ONCE(*q->ring.next_off);
	uint64_t start = logged;
	int fd, ret, tries = 0;

	if (logged > next) {
		mqd_err("%s: the queue's next offset %" PRIu64 " is behind its log's %" PRIu64
			": the topic was made again without mqd; not persisting it",
			qname(q), next, logged);
		return -ESTALE;
	}
	if (logged < first) {
		mqd_warn("%s: offsets %" PRIu64 " to %" PRIu64
			 " left the ring before mqd persisted them: lost to the log",
			 qname(q), logged, first - 1);
		start = first;
	}
	while ((ret = seek_ring(q, start)) == -EAGAIN && ++tries < 100)
		start = LOAD_ONCE(*q->ring.first_off);
	if (ret)
		return ret;
	q->off = start;
	q->written = q->synced = start;
	/* Never below what a persister reported before: the kernel refuses. */
	q->reported = LOAD_ONCE(*q->ring.durable_off);
	/* Our cursor: poll wakes us for the record there. */
	if (lseek(q->fd, start, SEEK_SET) < 0)
		return -errno;
	/*
	 * What an earlier mqd wrote and had not reported (it was killed
	 * between the two) is in the log: made durable, it is reported now,
	 * which releases the ring's hold on it.
	 */
	fd = mq_log_sync_fd(q->log);
	if (start == logged && start > q->reported && fd >= 0) {
		if (fdatasync(fd))
			return -errno;
		report(q, start);
	}
	return 0;
}

int mqd_queue_start(struct mqd *mqd, struct mqd_queue *q)
{
	const struct mqd_topic_policy *pol = q->topic->policy;
	struct mq_log_config lc = {
		.segment_bytes = pol->segment_bytes,
		.segment_age = pol->segment_ms * 1000000ULL,
	};
	struct mq_persist_attach a = { .size = sizeof(a) };
	const struct mq_log_recovery *rec;
	char path[96];
	int ret;

	q->poll_op = (struct mqd_op){ .kind = MQD_OP_QUEUE_POLL, .owner = q };
	q->write_op = (struct mqd_op){ .kind = MQD_OP_QUEUE_WRITE, .owner = q };
	q->sync_op = (struct mqd_op){ .kind = MQD_OP_QUEUE_SYNC, .owner = q };
	q->fd = -1;
	q->last_sync_ns = mqd_now_monotonic();

	ret = mqd_store_queue_dir(mqd->cfg, q->topic->cfg.name, q->id, q->dir,
				  sizeof(q->dir));
	if (ret)
		goto fail;
	ret = mq_log_open(&q->log, q->dir, MQ_LOG_CREATE, &lc);
	if (ret)
		goto fail;
	rec = mq_log_recovery(q->log);
	if (rec->truncated_bytes)
		mqd_warn("%s: cut %" PRIu64 " bytes of a torn or corrupt tail at %" PRIu64,
			 qname(q), rec->truncated_bytes, rec->truncated_at);
	if (rec->quarantined)
		mqd_err("%s: %" PRIu32 " corrupt segments renamed .log.corrupt",
			qname(q), rec->quarantined);
	if (rec->rebuilt)
		mqd_info("%s: rebuilt the indexes of %" PRIu32 " segments",
			 qname(q), rec->rebuilt);

	snprintf(path, sizeof(path), "/dev/mq/%s/%" PRIu32, q->topic->cfg.name,
		 q->id);
	q->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (q->fd < 0) {
		ret = -errno;
		goto fail;
	}
	if (ioctl(q->fd, MQ_IOC_PERSIST_ATTACH, &a)) {
		ret = -errno;
		goto fail;
	}
	ret = mq__ring_map(&q->ring, q->fd);
	if (ret)
		goto fail;
	ret = position(q);
	if (ret)
		goto fail;
	mqd_dbg("%s: persisting from offset %" PRIu64, qname(q), q->off);
	mqd_queue_pump(mqd, q);
	return 0;
fail:
	mqd_err("%s: cannot persist: %s", qname(q), strerror(-ret));
	mqd_queue_stop(mqd, q);
	q->dead = true;
	return ret;
}

static void arm_poll(struct mqd *mqd, struct mqd_queue *q)
{
	struct io_uring_sqe *sqe;

	if (q->poll_op.busy || mqd->stopping)
		return;
	sqe = mqd_sqe(mqd, &q->poll_op);
	if (sqe)
		io_uring_prep_poll_add(sqe, q->fd, POLLIN);
}

static void start_sync(struct mqd *mqd, struct mqd_queue *q)
{
	struct io_uring_sqe *sqe;
	int fd;

	if (q->sync_op.busy || q->written == q->synced)
		return;
	fd = mq_log_sync_fd(q->log);
	if (fd < 0)
		return;
	sqe = mqd_sqe(mqd, &q->sync_op);
	if (!sqe)
		return;
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	/* It covers what is written now; later writes wait for the next. */
	q->sync_target = q->written;
	q->unsynced_bytes = 0;
}

/*
 * Takes the next span of committed records after q->pos, holes skipped
 * before it, and submits its write.  Arms the poll when there is none.
 */
void mqd_queue_pump(struct mqd *mqd, struct mqd_queue *q)
{
	/* (A) Pairs with the smp_store_release(&ctrl->head) in mq_ctrl_reserved(). */
	uint64_t head = __atomic_load_n(q->ring.head, __ATOMIC_ACQUIRE);
	uint64_t pos = q->pos, len = 0, next = q->off, limit;
	const struct mq_record *r, *first = NULL;
	struct io_uring_sqe *sqe;
	uint64_t fpos, roff;
	uint32_t rlen, stride;
	int fd, ret;

	/* Stopping: what is in flight completes, nothing new starts. */
	if (q->dead || q->write_op.busy || q->stalled || mqd->stopping)
		return;
	limit = q->ring.ring_size / 2 < SPAN_MAX ? q->ring.ring_size / 2 : SPAN_MAX;
	while (pos != head && len < limit) {
		r = rec_at(q, pos);
		/*
		 * (B) A committed record is whole.  Pairs with the
		 * smp_store_release(&rec->len) in mq_publish().
		 */
		rlen = __atomic_load_n(&r->len, __ATOMIC_ACQUIRE);
		if (rlen & MQ_RECORD_LEN_BUSY)
			break;
		roff = LOAD_ONCE(r->offset);
		stride = MQ_RECORD_ALIGN(rlen & MQ_RECORD_LEN_MASK);
		if (rlen & MQ_RECORD_LEN_DISCARD) {
			/* A hole: no record for the log, and it splits a span. */
			if (len)
				break;
			pos += stride;
			q->pos = pos;
			continue;
		}
		if (len + stride > limit && len)
			break;
		if (!first)
			first = r;
		len += stride;
		next = roff + 1;
		pos += stride;
	}
	/* We are the persister: the ring keeps all this until we report it. */
	if (overwritten(q, q->pos)) {
		mqd_err("%s: the ring dropped records not yet persisted", qname(q));
		q->dead = true;
		return;
	}
	if (!len) {
		arm_poll(mqd, q);
		return;
	}
	ret = mq_log_reserve(q->log, first, len, mqd_now_realtime(), &fd, &fpos);
	if (ret) {
		mqd_err("%s: the log refuses records at %" PRIu64 ": %s",
			qname(q), q->off, strerror(-ret));
		q->dead = true;
		return;
	}
	sqe = mqd_sqe(mqd, &q->write_op);
	if (!sqe) {
		mq_log_abort(q->log);
		return;
	}
	io_uring_prep_write(sqe, fd, first, len, fpos);
	q->span_ptr = first;
	q->span_len = len;
	q->span_end = pos;
	q->span_next = next;
}

/*
 * Why a write failed, for the operator.  A write that fills the disk
 * comes back short rather than failing (the bytes that fit are written):
 * the file system's free space tells the two apart.
 */
static const char *write_error(const struct mqd_queue *q, int res)
{
	static __thread char buf[64];
	struct statvfs sv;
	int fd = mq_log_sync_fd(q->log);

	if (res < 0)
		return strerror(-res);
	if (fd >= 0 && !fstatvfs(fd, &sv) && !sv.f_bavail)
		return strerror(ENOSPC);
	snprintf(buf, sizeof(buf), "short write (%d of %" PRIu64 " bytes)", res,
		 q->span_len);
	return buf;
}

static void write_done(struct mqd *mqd, struct mqd_queue *q, int res)
{
	int ret;

	if (res != (int)q->span_len) {
		/*
		 * A full disk (ENOSPC), a quota, an I/O error: cut the log
		 * back and try again later.  Nothing is reported meanwhile,
		 * so producers under acks wait, then time out (ETIMEDOUT),
		 * and the ring fills and pushes back: nothing accepted is
		 * lost, nothing is half-written.
		 */
		if (!q->failing)
			mqd_err("%s: writing the log: %s; retrying", qname(q),
				write_error(q, res));
		mq_log_abort(q->log);
		q->stalled = q->failing = true;
		return;
	}
	if (q->failing)
		mqd_info("%s: writing the log again", qname(q));
	q->failing = false;
	ret = mq_log_appended(q->log, q->span_ptr, q->span_len);
	if (ret) {
		mqd_err("%s: indexing the log: %s", qname(q), strerror(-ret));
		q->dead = true;
		return;
	}
	q->pos = q->span_end;
	q->off = q->written = q->span_next;
	q->unsynced_bytes += q->span_len;
	/* Our cursor moves with the log, so that poll wakes us for more. */
	if (lseek(q->fd, q->written, SEEK_SET) < 0 && errno != ERANGE)
		mqd_warn("%s: moving our cursor: %m", qname(q));
	if (q->topic->policy->flush == MQD_FLUSH_SYNC)
		start_sync(mqd, q);
	else
		report(q, q->written);
}

static void sync_done(struct mqd *mqd, struct mqd_queue *q, int res)
{
	if (res < 0) {
		/*
		 * After a failed fdatasync the page cache may have dropped
		 * the data: nothing it covered can be called durable.
		 */
		mqd_err("%s: fdatasync of the log: %s", qname(q), strerror(-res));
		q->dead = true;
		return;
	}
	q->synced = q->sync_target;
	q->last_sync_ns = mqd_now_monotonic();
	if (q->topic->policy->flush == MQD_FLUSH_SYNC) {
		report(q, q->synced);
		/* Producers that came while it ran share the next one. */
		start_sync(mqd, q);
	}
}

void mqd_queue_complete(struct mqd *mqd, struct mqd_op *op, int res)
{
	struct mqd_queue *q = op->owner;

	switch (op->kind) {
	case MQD_OP_QUEUE_POLL:
		if (res < 0 && res != -ECANCELED)
			mqd_dbg("%s: poll: %s", qname(q), strerror(-res));
		if (res > 0 && (res & (POLLERR | POLLHUP))) {
			/* The topic was deleted: events.c says so too. */
			q->dead = true;
			return;
		}
		break;
	case MQD_OP_QUEUE_WRITE:
		write_done(mqd, q, res);
		break;
	case MQD_OP_QUEUE_SYNC:
		sync_done(mqd, q, res);
		break;
	default:
		return;
	}
	mqd_queue_pump(mqd, q);
}

/* The timer: async flushes by time and bytes, retention, retries. */
void mqd_queue_tick(struct mqd *mqd, struct mqd_queue *q)
{
	const struct mqd_topic_policy *pol = q->topic->policy;
	uint64_t now = mqd_now_monotonic();
	int ret;

	if (q->dead)
		return;
	if (q->stalled) {
		q->stalled = false;
		mqd_queue_pump(mqd, q);
	}
	if (pol->flush == MQD_FLUSH_ASYNC && q->written != q->synced &&
	    ((pol->flush_bytes && q->unsynced_bytes >= pol->flush_bytes) ||
	     now - q->last_sync_ns >= pol->flush_ms * 1000000ULL))
		start_sync(mqd, q);
	if ((pol->retention_bytes || pol->retention_ms) && !q->write_op.busy) {
		ret = mq_log_retain(q->log, mqd_now_realtime(),
				    pol->retention_bytes,
				    pol->retention_ms * 1000000ULL);
		if (ret > 0)
			mqd_info("%s: retention deleted %d segments", qname(q), ret);
		else if (ret < 0)
			mqd_warn("%s: retention: %s", qname(q), strerror(-ret));
	}
}

/* Whether nothing of ours is in flight on it: it may be closed. */
bool mqd_queue_idle(const struct mqd_queue *q)
{
	return !q->poll_op.busy && !q->write_op.busy && !q->sync_op.busy;
}

/*
 * At exit, once idle: everything written is synced and reported, then
 * the queue is let go (the kernel keeps the durable offset for the next
 * persister).
 */
void mqd_queue_finish(struct mqd_queue *q)
{
	int fd;

	if (q->log && q->fd >= 0 && q->written != q->reported && !q->dead) {
		fd = mq_log_sync_fd(q->log);
		if (fd >= 0 && !fdatasync(fd))
			report(q, q->written);
		else
			mqd_err("%s: final fdatasync: %m", qname(q));
	}
}

void mqd_queue_stop(struct mqd *mqd, struct mqd_queue *q)
{
	(void)mqd;
	mq__ring_unmap(&q->ring);
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	mq_log_close(q->log);
	q->log = NULL;
}
