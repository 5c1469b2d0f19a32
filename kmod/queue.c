// SPDX-License-Identifier: GPL-2.0
/*
 * A queue: a ring of records, its device node, and the rules of the data
 * path.
 *
 * Producers append in three steps, as the BPF ring buffer does: reserve
 * under q->lock (take the next offset and stride of bytes at head, write
 * the header with MQ_RECORD_LEN_BUSY in len), copy the payload with the
 * lock dropped, then commit by clearing MQ_RECORD_LEN_BUSY with a release
 * store.
 * Many producers copy at once; a reader stops at the first record still
 * busy, so records become visible in offset order.
 *
 * Readers take no lock: they find the record at their offset through
 * next_off (published last, with release) and the ring index, check it
 * is committed, and copy it out.
 * Under MQ_FULL_DROP a producer may drop that record and reuse its bytes
 * meanwhile; it moves tail before it writes (smp_wmb), and the reader
 * checks tail after its copy (smp_rmb): if tail passed the record, what
 * was copied may be torn and the read fails with ERANGE.
 *
 * Positions (head, tail) are byte counts since the queue was made; a
 * position's place in the ring is pos & mask.  They never wrap in
 * practice (2^64 bytes).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uio.h>

#include "compat.h"
#include "mq.h"
#include "trace.h"

static inline struct mq_record *mq_rec(struct mq_queue *q, u64 pos)
{
	return q->ring.data + (pos & q->ring.mask);
}

static inline u64 mq_stride(u64 len)
{
	return MQ_RECORD_ALIGN(len);
}

/*
 * The control page mirrors the positions for mmap consumers, which read it
 * without a lock (Documentation/mmap.rst).  Both helpers run under q->lock,
 * right after the fields they copy changed.
 */
static void mq_ctrl_reserved(struct mq_queue *q)
{
	struct mq_ctrl *ctrl = q->ring.ctrl;

	WRITE_ONCE(ctrl->next_off, q->next_off);
	/*
	 * A consumer that sees a position below head sees the header of the
	 * record there (len with MQ_RECORD_LEN_BUSY, offset).  Pairs with the
	 * consumer's acquire load of head.
	 */
	smp_store_release(&ctrl->head, q->head);
}

static void mq_ctrl_dropped(struct mq_queue *q)
{
	struct mq_ctrl *ctrl = q->ring.ctrl;

	WRITE_ONCE(ctrl->first_off, q->first_off);
	/*
	 * A consumer that resyncs at tail sees the header of the record
	 * there, written when it was reserved, not older bytes.  Pairs with
	 * the consumer's acquire load of tail.
	 */
	smp_store_release(&ctrl->tail, q->tail);
}

/*
 * The smallest offset an open reader, or a group with members, still has
 * to consume.  Under lock.
 */
static u64 mq_min_cursor(struct mq_queue *q)
{
	struct mq_file *mf;
	u64 min = q->next_off;

	list_for_each_entry(mf, &q->readers, rnode)
		if (!READ_ONCE(mf->group))
			min = min_t(u64, min, READ_ONCE(mf->cursor));
	return mq_groups_min_committed(q, min);
}

/*
 * Makes room for stride bytes at head by dropping the oldest records, as
 * far as the topic's policy and its persister let it; with dry_run, only
 * says whether it could.  Returns 0, -EAGAIN (full for now) or -ENOTCONN
 * (full of records kept for a persister that is gone).  Under q->lock.
 */
static int mq_make_room(struct mq_queue *q, u64 stride, bool dry_run)
{
	u64 need = q->head + stride - q->ring.size;
	u64 tail = q->tail, off = q->first_off, unread, lost, limit = U64_MAX;
	u64 keep;
	u32 len;

	if ((s64)(need - tail) <= 0)
		return 0;
	/* What some open reader has not read yet: kept, or counted lost. */
	unread = mq_min_cursor(q);
	if (q->topic->policy == MQ_FULL_BLOCK)
		limit = unread;
	/* What the persister has not made durable: kept, by any policy. */
	keep = mq_persist_keep(q);

	while ((s64)(need - tail) > 0) {
		/* Pairs with the smp_store_release() in mq_publish(). */
		len = smp_load_acquire(&mq_rec(q, tail)->len);
		if (len & MQ_RECORD_LEN_BUSY)
			return -EAGAIN;	/* its producer is still copying */
		if (off >= limit)
			return -EAGAIN;	/* an open reader has not read it */
		if (off >= keep)
			return mq_persist_held(q);
		tail += mq_stride(len & MQ_RECORD_LEN_MASK);
		off++;
	}
	if (dry_run)
		return 0;

	/* Only records a reader loses are drops; the rest is retention. */
	lost = max(unread, q->first_off);
	if (off > lost) {
		q->drops += off - lost;
		trace_mq_drop(q, lost, off - lost);
	}
	WRITE_ONCE(q->first_off, off);
	WRITE_ONCE(q->tail, tail);
	mq_ctrl_dropped(q);
	/*
	 * Readers copying a dropped record must see the new tail if they see
	 * any byte written over it, and readers finding a reused index slot
	 * the new first_off.  Pairs with the smp_rmb() in mq_overwritten()
	 * and in mq_locate(), and with the read barrier an mmap consumer
	 * issues before it checks the control page's tail.
	 */
	smp_wmb();
	return 0;
}

static bool mq_can_append(struct mq_queue *q, u64 stride)
{
	bool ret;

	spin_lock(&q->lock);
	ret = q->dead || mq_make_room(q, stride, true) != -EAGAIN;
	spin_unlock(&q->lock);
	return ret;
}

/*
 * Takes q->lock with room for stride more bytes at head, waiting for it
 * unless nowait.  Returns 0 with the lock held, or -errno without it.
 */
static int mq_lock_room(struct mq_queue *q, u64 stride, bool nowait)
{
	int ret;

	for (;;) {
		spin_lock(&q->lock);
		if (q->dead) {
			spin_unlock(&q->lock);
			return -ENODEV;
		}
		ret = mq_make_room(q, stride, false);
		if (!ret)
			return 0;
		spin_unlock(&q->lock);

		/* -ENOTCONN: only a persister could make room, and none is. */
		if (ret != -EAGAIN)
			return ret;
		if (nowait)
			return -EAGAIN;
		if (wait_event_interruptible(q->wwait, mq_can_append(q, stride)))
			return -ERESTARTSYS;
	}
}

/*
 * Writes the header of a record of len bytes at head, busy, as offset off,
 * and moves head past it; returns the header.  Under q->lock, with room
 * made; off is not findable until mq_reserve_publish().
 */
static struct mq_record *mq_reserve_one(struct mq_queue *q, u32 len, u64 off)
{
	struct mq_record *rec = mq_rec(q, q->head);

	WRITE_ONCE(rec->len, MQ_RECORD_LEN_BUSY | len);
	rec->offset = off;
	WRITE_ONCE(q->ring.index[off & q->ring.imask], (u32)q->head);
	WRITE_ONCE(q->head, q->head + mq_stride(len));
	return rec;
}

/*
 * The records reserved since the lock was taken, n of them, become
 * findable, and the lock is dropped.
 */
static void mq_reserve_publish(struct mq_queue *q, u64 n)
{
	/*
	 * The headers, the index slots and head are visible to whoever sees
	 * the new next_off.  Pairs with the smp_load_acquire() in
	 * mq_locate() and mq_read_run().
	 */
	smp_store_release(&q->next_off, q->next_off + n);
	mq_ctrl_reserved(q);
	spin_unlock(&q->lock);
}

/*
 * Reserves a record of len bytes (header included) and sets *pos to its
 * position.  Returns its header with len = MQ_RECORD_LEN_BUSY | len and
 * offset set, or an ERR_PTR.
 */
static struct mq_record *mq_reserve(struct mq_queue *q, u32 len, bool nowait,
				    u64 *pos)
{
	struct mq_record *rec;
	int ret;

	ret = mq_lock_room(q, mq_stride(len), nowait);
	if (ret)
		return ERR_PTR(ret);
	*pos = q->head;
	rec = mq_reserve_one(q, len, q->next_off);
	mq_reserve_publish(q, 1);
	return rec;
}

/* Counts messages in (produced) or out (read) on this CPU. */
static void mq_stats_add(struct mq_queue *q, bool in, u64 msgs, u64 bytes)
{
	struct mq_queue_stats *st = get_cpu_ptr(q->stats);

	u64_stats_update_begin(&st->syncp);
	if (in) {
		u64_stats_add(&st->msgs_in, msgs);
		u64_stats_add(&st->bytes_in, bytes);
	} else {
		u64_stats_add(&st->msgs_out, msgs);
		u64_stats_add(&st->bytes_out, bytes);
	}
	u64_stats_update_end(&st->syncp);
	put_cpu_ptr(q->stats);
}

/* Makes a reserved record readable, whole (flag 0) or discarded. */
static void mq_publish(struct mq_queue *q, struct mq_record *rec, u32 len,
		       u32 flag)
{
	/* Still busy, so still ours to read: see trace.h.  A hole is none. */
	if (!flag)
		trace_mq_produce(q, rec);
	/*
	 * Everything written into the record happens before its len loses
	 * MQ_RECORD_LEN_BUSY.  Pairs with the smp_load_acquire() of len in
	 * mq_copy_out() (claims too), mq_read_run() and mq_make_room(), and
	 * with an mmap consumer's acquire load of len (mmap.rst, (B)).
	 */
	smp_store_release(&rec->len, len | flag);
}

/*
 * Wakes whoever waits on what was just published; rec is its header (of
 * the last record of a batch), for the trace.
 */
static void mq_wake(struct mq_queue *q, const struct mq_record *rec)
{
	/*
	 * One full barrier for both checks below (wq_has_sleeper() would
	 * take one each): the stores of mq_publish() are visible before we
	 * look for waiters.  Pairs with the barrier in prepare_to_wait() and
	 * the poll table's add_wait_queue(), before the waiter re-checks.
	 */
	smp_mb();
	if (waitqueue_active(&q->rwait)) {
		trace_mq_wakeup(q, rec);
		wake_up_interruptible_poll(&q->rwait, EPOLLIN | EPOLLRDNORM);
	}
	/* A producer may wait for this record to stop being busy. */
	if (waitqueue_active(&q->wwait))
		wake_up_interruptible_poll(&q->wwait, EPOLLOUT | EPOLLWRNORM);
}

static void mq_commit(struct mq_queue *q, struct mq_record *rec, u32 len,
		      u32 flag)
{
	mq_publish(q, rec, len, flag);
	mq_wake(q, rec);
}

ssize_t mq_queue_append(struct mq_queue *q, struct iov_iter *from, bool nowait)
{
	size_t vlen = iov_iter_count(from);
	u32 len = MQ_RECORD_HDR_SIZE + vlen;
	u32 acks = q->topic->acks;	/* fixed when the topic was made */
	struct mq_record *rec;
	u32 crc, pad;
	u64 pos, off;
	int ret;

	if (!vlen)
		return -EINVAL;
	if (vlen > q->topic->max_msg_size)
		return -EMSGSIZE;
	/* Nobody would acknowledge it: fail before it is appended. */
	if (acks && !mq_persist_attached(q))
		return -ENOTCONN;

	rec = mq_reserve(q, len, nowait, &pos);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	off = rec->offset;

	rec->timestamp = ktime_get_coarse_real_ns();
	rec->key_len = 0;
	rec->value_len = vlen;
	rec->producer_id = 0;
	rec->sequence = 0;
	rec->flags = 0;
	rec->magic = MQ_RECORD_MAGIC;
	rec->reserved0 = 0;
	rec->reserved[0] = 0;
	rec->reserved[1] = 0;

	if (mq_ring_copy_in(&q->ring, pos + MQ_RECORD_HDR_SIZE, vlen,
			    from) != vlen) {
		/* Its offset is taken: leave a hole no reader returns. */
		mq_commit(q, rec, len, MQ_RECORD_LEN_DISCARD);
		return -EFAULT;
	}
	/* The log and the wire keep the padding: make it deterministic. */
	pad = mq_stride(len) - len;
	if (pad)
		memset((void *)rec + len, 0, pad);

	crc = mq_crc32c_raw(~0U, (u8 *)rec + MQ_RECORD_CRC_START,
			    len - MQ_RECORD_CRC_START);
	rec->crc = ~crc;

	mq_commit(q, rec, len, 0);
	mq_stats_add(q, true, 1, vlen);
	/* Whatever the answer, the record stays: at-least-once. */
	if (acks) {
		ret = mq_persist_wait(q, off);
		if (ret)
			return ret;
	}
	return vlen;
}

/*
 * Appends the n records in buf[0, len), checked by mq_records_check(), as
 * one batch: consecutive offsets, no other producer's record between them.
 * Each gets its offset, a timestamp if it carries none, and its CRC anew;
 * buf is changed accordingly.  Returns len with *last set to the last
 * record's offset, or -errno with nothing appended.  It does not wait for
 * acks: the caller does, once for many calls if it likes, with
 * mq_persist_wait(q, *last).
 */
ssize_t mq_queue_append_records(struct mq_queue *q, void *buf, size_t len,
				u32 n, bool nowait, u64 *last)
{
	u64 now = ktime_get_coarse_real_ns(), pos, off, vbytes = 0;
	struct mq_record *src;
	size_t p;
	u32 i;
	int ret;

	/* Nobody would acknowledge them: fail before they are appended. */
	if (q->topic->acks && !mq_persist_attached(q))
		return -ENOTCONN;
	ret = mq_lock_room(q, len, nowait);
	if (ret)
		return ret;
	pos = q->head;
	off = q->next_off;
	/* Busy headers first: no reader or dropper goes past one. */
	for (p = 0, i = 0; i < n; i++, p += mq_stride(src->len)) {
		src = buf + p;
		mq_reserve_one(q, src->len, off + i);
	}
	mq_reserve_publish(q, n);

	for (p = 0, i = 0; i < n; i++, p += mq_stride(src->len)) {
		/* The ring is mapped twice: no record wraps. */
		struct mq_record *dst = mq_rec(q, pos + p);

		src = buf + p;
		src->offset = off + i;
		if (!src->timestamp)
			src->timestamp = now;
		src->crc = ~mq_crc32c_raw(~0U, (u8 *)src + MQ_RECORD_CRC_START,
					  src->len - MQ_RECORD_CRC_START);
		/* All but len, which mq_publish() stores last. */
		memcpy((u8 *)dst + sizeof(dst->len), (u8 *)src + sizeof(src->len),
		       mq_stride(src->len) - sizeof(src->len));
		mq_publish(q, dst, src->len, 0);
		vbytes += src->value_len;
	}
	/*
	 * src: the last record's header, as published, and not in the ring
	 * (a batch holds one record at least: record.c).
	 */
	mq_wake(q, src);
	mq_stats_add(q, true, n, vbytes);
	*last = off + n - 1;
	return len;
}

/*
 * Where the record at off is.  Returns 0 with *pos set, -EAGAIN when off
 * is the next offset (nothing there yet), -ERANGE when off is no longer
 * retained, -ENXIO past the next offset, -ENODEV on a deleted queue.
 */
static int mq_locate(struct mq_queue *q, u64 off, u64 *pos)
{
	u64 next, head;
	u32 low;

	if (READ_ONCE(q->dead))
		return -ENODEV;
	/*
	 * Lockless: every offset below next has its header, its index slot
	 * and head published.  Pairs with the smp_store_release() of
	 * next_off in mq_reserve().
	 */
	next = smp_load_acquire(&q->next_off);
	if (off >= next)
		return off == next ? -EAGAIN : -ENXIO;
	low = READ_ONCE(q->ring.index[off & q->ring.imask]);
	head = READ_ONCE(q->head);
	/*
	 * The slot is reused by a newer offset only once off was dropped,
	 * and first_off moves before the slot is written: if we read the
	 * newer slot, we see first_off past off.  Pairs with the smp_wmb()
	 * in mq_make_room().
	 */
	smp_rmb();
	if (off < READ_ONCE(q->first_off))
		return -ERANGE;
	/* head - pos < 2^32: the ring is at most MQ_RING_SIZE_MAX bytes. */
	*pos = head - (u32)((u32)head - low);
	return 0;
}

/* Whether a read at off would not wait. */
bool mq_queue_readable(struct mq_queue *q, u64 off)
{
	u64 pos;
	int ret = mq_locate(q, off, &pos);

	if (ret)
		return ret != -EAGAIN;
	/* Pairs with the smp_store_release() in mq_publish(). */
	return !(smp_load_acquire(&mq_rec(q, pos)->len) & MQ_RECORD_LEN_BUSY);
}

/* True when the bytes at pos were dropped, perhaps while we read them. */
static bool mq_overwritten(struct mq_queue *q, u64 pos)
{
	/* Pairs with the smp_wmb() in mq_make_room(). */
	smp_rmb();
	return (s64)(READ_ONCE(q->tail) - pos) > 0;
}

/*
 * Copies the record at pos (offset off) to @to: its value, or with framed
 * the whole record, padded.  Returns the bytes copied, with *vlen set to
 * the value's length; or -EAGAIN if the record is not committed yet,
 * -ENOENT if it was discarded, -ERANGE if it was dropped under us,
 * -EMSGSIZE if @to is too small, -EFAULT; then nothing stays in @to.
 * With @to NULL nothing is copied and the record's stride is returned.
 */
static ssize_t mq_copy_out(struct mq_queue *q, u64 pos, u64 off, bool framed,
			   struct iov_iter *to, u32 *vlen)
{
	struct mq_record *rec = mq_rec(q, pos);
	u32 len, klen;
	u64 roff, ts, from, n;
	size_t c;

	/* Pairs with the smp_store_release() in mq_publish(). */
	len = smp_load_acquire(&rec->len);
	if (len & MQ_RECORD_LEN_BUSY)
		return -EAGAIN;
	klen = READ_ONCE(rec->key_len);
	*vlen = READ_ONCE(rec->value_len);
	roff = READ_ONCE(rec->offset);
	ts = READ_ONCE(rec->timestamp);		/* for mq_consume */
	/*
	 * Read every field before this check: a header torn by a producer
	 * reusing the bytes proves nothing, one read before it was intact.
	 */
	if (mq_overwritten(q, pos))
		return -ERANGE;
	if (WARN_ON_ONCE(roff != off ||
			 (len & MQ_RECORD_LEN_MASK) !=
			 MQ_RECORD_HDR_SIZE + (u64)klen + *vlen))
		return -EIO;
	if (len & MQ_RECORD_LEN_DISCARD)
		return -ENOENT;
	if (!to) {
		/* A claim: the member reads the record in place (group.c). */
		trace_mq_consume(q, off, *vlen, ts);
		return mq_stride(len);
	}
	from = framed ? pos : pos + MQ_RECORD_HDR_SIZE + klen;
	n = framed ? mq_stride(len) : *vlen;
	if (n > iov_iter_count(to))
		return -EMSGSIZE;

	c = mq_ring_copy_out(&q->ring, from, n, to);
	if (c != n) {
		iov_iter_revert(to, c);
		return -EFAULT;
	}
	if (mq_overwritten(q, pos)) {
		/* A pipe would keep the torn bytes: take them back. */
		iov_iter_revert(to, n);
		return -ERANGE;
	}
	trace_mq_consume(q, off, *vlen, ts);
	return n;
}

/*
 * A reader or a group consumed more: producers MQ_FULL_BLOCK held back
 * may go on.  wq_has_sleeper() orders the caller's store of its cursor
 * before the check; pairs with prepare_to_wait() in mq_reserve().
 */
void mq_queue_consumed(struct mq_queue *q)
{
	if (q->topic->policy == MQ_FULL_BLOCK && wq_has_sleeper(&q->wwait))
		wake_up_interruptible_poll(&q->wwait, EPOLLOUT | EPOLLWRNORM);
}

/* A reader consumed up to off: MQ_FULL_BLOCK may drop what is before. */
static void mq_advance_cursor(struct mq_queue *q, struct mq_file *mf, u64 off)
{
	WRITE_ONCE(mf->cursor, off);
	mq_queue_consumed(q);
}

/*
 * The message at off, for a group: its value, or the whole record with
 * framed.  Returns the bytes copied, or -EAGAIN (not yet), -ENOENT (a
 * hole), -ERANGE (dropped), -ENXIO, -EMSGSIZE, -EFAULT, -ENODEV.  Counted
 * as read when it succeeds.
 */
ssize_t mq_queue_copy_at(struct mq_queue *q, u64 off, bool framed,
			 struct iov_iter *to)
{
	ssize_t ret;
	u32 vlen;
	u64 pos;

	ret = mq_locate(q, off, &pos);
	if (!ret)
		ret = mq_copy_out(q, pos, off, framed, to, &vlen);
	if (ret >= 0)
		mq_stats_add(q, false, 1, vlen);
	return ret;
}

/*
 * The record at off, claimed by a group member that reads it in the
 * mapped ring: checked as mq_queue_copy_at() checks it, not copied.
 * Returns its stride with *pos set to where it is, or what
 * mq_queue_copy_at() would.  Counted as read when it succeeds.
 */
ssize_t mq_queue_claim_at(struct mq_queue *q, u64 off, u64 *pos)
{
	ssize_t ret;
	u32 vlen;

	ret = mq_locate(q, off, pos);
	if (!ret)
		ret = mq_copy_out(q, *pos, off, true, NULL, &vlen);
	if (ret >= 0)
		mq_stats_add(q, false, 1, vlen);
	return ret;
}

/*
 * Copies the message at *o (with framed, the record) and moves *o past
 * it.  Returns the bytes copied, adding to *msgs and *vbytes, or what
 * mq_locate() or mq_copy_out() says.
 */
static ssize_t mq_read_one(struct mq_queue *q, u64 *o, bool framed,
			   struct iov_iter *to, u64 *msgs, u64 *vbytes)
{
	ssize_t ret;
	u32 vlen;
	u64 pos;

	ret = mq_locate(q, *o, &pos);
	if (!ret)
		ret = mq_copy_out(q, pos, *o, framed, to, &vlen);
	if (ret > 0) {
		(*o)++;
		(*msgs)++;
		*vbytes += vlen;
	}
	return ret;
}

/*
 * mq_consume for each of the n records of a run mq_read_run() copied
 * from pos, from offset off on: their headers are read again, only while
 * the event is enabled.  Each is checked after it is read, as in
 * mq_copy_out(); from the first one a producer dropped since, the rest
 * go untraced, since its len, which leads to the next, may be torn.
 */
static void mq_trace_run(struct mq_queue *q, u64 pos, u64 off, u64 n)
{
	struct mq_record *rec;
	u32 len, vlen;
	u64 ts, i;

	for (i = 0; i < n; i++, pos += mq_stride(len & MQ_RECORD_LEN_MASK)) {
		rec = mq_rec(q, pos);
		len = READ_ONCE(rec->len);
		vlen = READ_ONCE(rec->value_len);
		ts = READ_ONCE(rec->timestamp);
		if (mq_overwritten(q, pos))
			return;
		trace_mq_consume(q, off + i, vlen, ts);
	}
}

/*
 * Copies the whole records from *o on that are committed and fit in @to,
 * in one copy: they lie back to back in the ring, which is mapped twice.
 * Moves *o past them and returns their bytes, adding to *msgs and
 * *vbytes; when none can be copied, what mq_read_one() says of *o.
 */
static ssize_t mq_read_run(struct mq_queue *q, u64 *o, struct iov_iter *to,
			   u64 *msgs, u64 *vbytes)
{
	u64 off = *o, room = iov_iter_count(to), pos, next, run = 0, n = 0;
	u64 vb = 0;
	size_t c;
	int ret;

	ret = mq_locate(q, off, &pos);
	if (ret)
		return ret;
	/*
	 * Every record below next has its header written, busy or not.
	 * Pairs with the smp_store_release() in mq_reserve_publish().
	 */
	next = smp_load_acquire(&q->next_off);
	while (off + n < next) {
		struct mq_record *rec = mq_rec(q, pos + run);
		/* Pairs with the smp_store_release() in mq_publish(). */
		u32 len = smp_load_acquire(&rec->len);
		u64 stride = mq_stride(len & MQ_RECORD_LEN_MASK);

		/* A hole ends a run: readers never see one. */
		if (len & (MQ_RECORD_LEN_BUSY | MQ_RECORD_LEN_DISCARD) ||
		    run + stride > room)
			break;
		vb += READ_ONCE(rec->value_len);
		run += stride;
		n++;
	}
	if (!n)
		return mq_read_one(q, o, true, to, msgs, vbytes);

	c = mq_ring_copy_out(&q->ring, pos, run, to);
	if (c != run) {
		iov_iter_revert(to, c);
		return -EFAULT;
	}
	/*
	 * A record dropped while we walked or copied may be torn, its
	 * header too, so the lengths we added up prove nothing: tail is
	 * past pos then.  Take the bytes back (a pipe would keep them).
	 */
	if (mq_overwritten(q, pos)) {
		iov_iter_revert(to, run);
		return -ERANGE;
	}
	*o = off + n;
	*msgs += n;
	*vbytes += vb;
	if (trace_mq_consume_enabled())
		mq_trace_run(q, pos, off, n);
	return run;
}

/*
 * A read: one message's value, or in record mode as many whole records as
 * fit, waiting only for the first.
 */
ssize_t mq_queue_read(struct mq_queue *q, struct mq_file *mf, loff_t *off,
		      struct iov_iter *to, bool nowait)
{
	bool framed = READ_ONCE(mf->mode) == MQ_MODE_RECORD;
	u64 o = *off, msgs = 0, vbytes = 0;
	ssize_t ret, done = 0;

	if (READ_ONCE(mf->group))
		return mq_group_read(q, mf, off, framed, to, nowait);
	if (*off < 0)
		return -EINVAL;
	for (;;) {
		ret = framed ? mq_read_run(q, &o, to, &msgs, &vbytes) :
			       mq_read_one(q, &o, false, to, &msgs, &vbytes);
		if (ret > 0) {
			done += ret;
			if (framed && iov_iter_count(to))
				continue;	/* more may fit */
			break;
		}
		if (ret == -ENOENT) {
			o++;	/* a discarded record: not a message */
			continue;
		}
		if (done)
			break;	/* the rest waits for the next read */
		if (ret != -EAGAIN)
			return ret;
		if (nowait)
			return -EAGAIN;
		if (wait_event_interruptible(q->rwait, mq_queue_readable(q, o)))
			return -ERESTARTSYS;
	}

	/* A read at the reader's own cursor consumes. */
	if (READ_ONCE(mf->cursor) == *off)
		mq_advance_cursor(q, mf, o);
	*off = o;
	mq_stats_add(q, false, msgs, vbytes);
	return done;
}

loff_t mq_queue_seek(struct mq_queue *q, struct mq_file *mf, loff_t pos,
		     loff_t offset, int whence)
{
	loff_t base, new;
	u64 old = READ_ONCE(mf->cursor);

	spin_lock(&q->lock);
	if (q->dead) {
		new = -ENODEV;
		goto out;
	}
	/* Asking where the position is always answers, retained or not. */
	if (whence == SEEK_CUR && !offset) {
		new = pos;
		goto out;
	}
	/* A member reads where its group is; an admin moves a group. */
	if (mf->group) {
		new = -EINVAL;
		goto out;
	}
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = pos;
		break;
	case SEEK_END:
		base = q->next_off;
		break;
	default:
		new = -EINVAL;
		goto out;
	}
	if (check_add_overflow(base, offset, &new) || new < 0) {
		new = -EINVAL;
		goto out;
	}
	if ((u64)new < q->first_off)
		new = -ERANGE;
	else if ((u64)new > q->next_off)
		new = -ENXIO;
	else
		WRITE_ONCE(mf->cursor, new);	/* under lock: see mq_min_cursor() */
out:
	spin_unlock(&q->lock);
	if (new > 0 && (u64)new > old)
		mq_advance_cursor(q, mf, new);
	return new;
}

__poll_t mq_queue_poll_mask(struct mq_queue *q, struct mq_file *mf,
			    loff_t pos, fmode_t mode)
{
	struct mq_group *g = READ_ONCE(mf->group);
	__poll_t mask = 0;

	if (READ_ONCE(q->dead))
		return EPOLLERR | EPOLLHUP;
	if ((mode & FMODE_READ) &&
	    (g ? mq_group_ready(g) : pos >= 0 && mq_queue_readable(q, pos)))
		mask |= EPOLLIN | EPOLLRDNORM;
	if ((mode & FMODE_WRITE) &&
	    mq_can_append(q, mq_stride(MQ_RECORD_HDR_SIZE +
				       (u64)q->topic->max_msg_size)))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/* A new file starts at the next offset, like tail -f. */
void mq_queue_attach(struct mq_queue *q, struct mq_file *mf, fmode_t mode,
		     loff_t *pos)
{
	spin_lock(&q->lock);
	*pos = q->next_off;
	mf->cursor = q->next_off;
	if (mode & FMODE_READ)
		list_add(&mf->rnode, &q->readers);
	spin_unlock(&q->lock);
	if (mode & FMODE_READ)
		atomic_inc(&q->nreaders);
	if (mode & FMODE_WRITE)
		atomic_inc(&q->nwriters);
}

void mq_queue_detach(struct mq_queue *q, struct mq_file *mf, fmode_t mode)
{
	if (mf->group)
		mq_group_leave(q, mf);
	if (mode & FMODE_READ) {
		spin_lock(&q->lock);
		list_del(&mf->rnode);
		spin_unlock(&q->lock);
		atomic_dec(&q->nreaders);
		/* The slowest reader may have gone: producers may go on. */
		if (wq_has_sleeper(&q->wwait))
			wake_up_interruptible_poll(&q->wwait, EPOLLOUT);
	}
	if (mode & FMODE_WRITE)
		atomic_dec(&q->nwriters);
}

void mq_queue_snapshot(struct mq_queue *q, struct mq_queue_snapshot *s)
{
	int cpu;

	spin_lock(&q->lock);
	s->first_off = q->first_off;
	s->next_off = q->next_off;
	s->drops = q->drops;
	s->durable_off = q->persist.durable_off;
	s->replicated_off = q->persist.replicated_off;
	s->persister = !!q->persist.file;
	spin_unlock(&q->lock);
	s->bytes_in = s->bytes_out = s->msgs_in = s->msgs_out = 0;
	for_each_possible_cpu(cpu) {
		const struct mq_queue_stats *st = per_cpu_ptr(q->stats, cpu);
		u64 bin, min, bout, mout;
		unsigned int seq;

		do {
			seq = u64_stats_fetch_begin(&st->syncp);
			bin = u64_stats_read(&st->bytes_in);
			min = u64_stats_read(&st->msgs_in);
			bout = u64_stats_read(&st->bytes_out);
			mout = u64_stats_read(&st->msgs_out);
		} while (u64_stats_fetch_retry(&st->syncp, seq));
		s->bytes_in += bin;
		s->msgs_in += min;
		s->bytes_out += bout;
		s->msgs_out += mout;
	}
	s->readers = atomic_read(&q->nreaders);
	s->writers = atomic_read(&q->nwriters);
}

/* ---- the device ------------------------------------------------------ */

static DEFINE_IDA(mq_minor_ida);

static char *mq_queue_devnode(MQ_DEVNODE_CONST struct device *dev,
			      umode_t *mode, kuid_t *uid, kgid_t *gid)
{
	const struct mq_queue *q = container_of(dev, struct mq_queue, dev);

	if (mode)
		*mode = q->topic->mode;
	if (uid)
		*uid = q->topic->uid;
	if (gid)
		*gid = q->topic->gid;
	return NULL;
}

static const struct device_type mq_queue_type = {
	.name		= "mq_queue",
	.devnode	= mq_queue_devnode,
};

/* The last reference is gone: no file, no registry entry. */
static void mq_queue_release(struct device *dev)
{
	struct mq_queue *q = container_of(dev, struct mq_queue, dev);

	mq_groups_free(q);
	if (q->ring.data)
		mq_ring_free(&q->ring);
	free_percpu(q->stats);
	if (MINOR(dev->devt))
		ida_free(&mq_minor_ida, MINOR(dev->devt));
	mq_topic_put(q->topic);
	kfree(q);
	mq_obj_put(MQ_OBJ_QUEUE);
}

struct mq_queue *mq_queue_create(struct mq_topic *t, u32 id, u64 base)
{
	struct mq_queue *q;
	int ret, minor, cpu;

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q)
		return ERR_PTR(-ENOMEM);
	mq_obj_get(MQ_OBJ_QUEUE);
	kref_get(&t->ref);
	q->topic = t;
	q->id = id;
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->readers);
	INIT_LIST_HEAD(&q->groups);
	mutex_init(&q->gmutex);
	init_waitqueue_head(&q->rwait);
	init_waitqueue_head(&q->wwait);
	init_waitqueue_head(&q->persist.wait);

	/* From here on, put_device() undoes everything through the release. */
	device_initialize(&q->dev);
	q->dev.class = mq_class;
	q->dev.type = &mq_queue_type;
	q->dev.release = mq_queue_release;

	minor = ida_alloc_range(&mq_minor_ida, 1, MQ_MINORS - 1, GFP_KERNEL);
	if (minor < 0) {
		ret = minor == -ENOSPC ? -ENFILE : minor;
		goto err_put;
	}
	q->dev.devt = MKDEV(MAJOR(mq_devt), minor);

	q->stats = alloc_percpu_gfp(struct mq_queue_stats, GFP_KERNEL_ACCOUNT);
	if (!q->stats) {
		ret = -ENOMEM;
		goto err_put;
	}
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(q->stats, cpu)->syncp);

	ret = mq_ring_init(&q->ring, t->ring_size);
	if (ret) {
		q->ring.data = NULL;
		goto err_put;
	}
	/*
	 * A queue the daemon recreates goes on where its log ends: offsets
	 * never repeat.  Everything below base is in the log, so it counts as
	 * durable.  Nobody sees the queue yet: no lock, no barrier.
	 */
	q->first_off = q->next_off = base;
	q->persist.durable_off = q->persist.replicated_off = base;
	q->ring.ctrl->first_off = q->ring.ctrl->next_off = base;
	q->ring.ctrl->durable_off = q->ring.ctrl->replicated_off = base;

	/* devtmpfs turns each '!' into a directory: /dev/mq/<topic>/<id>. */
	ret = dev_set_name(&q->dev, "mq!%s!%u", t->name, id);
	if (ret)
		goto err_put;

	cdev_init(&q->cdev, &mq_queue_fops);
	q->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&q->cdev, &q->dev);
	if (ret)
		goto err_put;
	return q;

err_put:
	put_device(&q->dev);
	return ERR_PTR(ret);
}

/*
 * The topic is being deleted: fail every call on the queue from now on,
 * wake whoever waits, and remove the node.  The memory goes with the last
 * open file (mq_queue_release).
 */
void mq_queue_kill(struct mq_queue *q)
{
	spin_lock(&q->lock);
	WRITE_ONCE(q->dead, true);
	spin_unlock(&q->lock);
	wake_up_interruptible_poll(&q->rwait, EPOLLHUP | EPOLLERR);
	wake_up_interruptible_poll(&q->wwait, EPOLLHUP | EPOLLERR);
	wake_up_interruptible(&q->persist.wait);
	cdev_device_del(&q->cdev, &q->dev);
	put_device(&q->dev);
}
