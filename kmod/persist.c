// SPDX-License-Identifier: GPL-2.0
/*
 * Durability: a queue's persister, and the producers that wait for it.
 *
 * The daemon opens each queue it persists for reading and attaches that
 * file as the queue's persister (MQ_IOC_PERSIST_ATTACH): one per queue,
 * until the file is released (its last close, mappings included).  It
 * reads the records, appends them to its commit log, and reports how far
 * the queue is durable and replicated (MQ_IOC_PERSIST_REPORT).  The queue
 * keeps both offsets, mirrors them in its control page, and:
 *  - releases the producers of a topic with acks once their record is
 *    below the offset their acks wait for (mq_persist_wait());
 *  - keeps every record at or past the durable offset in the ring,
 *    whatever the full policy, while a persister is attached and on a
 *    topic with acks always (mq_persist_keep(), from mq_make_room()).
 *
 * struct mq_persist is written under q->lock, like the ring's positions,
 * so mq_make_room() reads it with them, consistently.  The producers
 * waiting for an acknowledgment read it without the lock:
 *  - the offsets only grow and publish nothing but themselves (the
 *    kernel cannot know what the persister read, so nobody may infer
 *    anything else from them): a producer that reads its record below
 *    one is acknowledged for good, and no barrier is needed;
 *  - persist.seq tells them that their persister went (or the topic);
 *    what happened first, a report or the detach, they read under
 *    q->lock, where both happened;
 *  - no wakeup is lost: a report stores its offsets, then issues a full
 *    barrier (smp_mb()) before it looks for waiters on persist.wait and
 *    q->wwait, pairing with the barrier set_current_state() issues in
 *    prepare_to_wait(), which a waiter calls before it checks again.  A
 *    detach and the topic's deletion wake unconditionally: the wait
 *    queue's lock orders them.
 *
 * Lock order: q->lock alone; nothing here sleeps holding it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "mq.h"

/*
 * Whether a persister is attached now, for a producer about to append on
 * a topic with acks.  Lockless: a persister that comes or goes meanwhile
 * makes either answer right.
 */
bool mq_persist_attached(struct mq_queue *q)
{
	return READ_ONCE(q->persist.seq) & 1;
}

/*
 * The oldest offset mq_make_room() must keep: the durable offset while a
 * persister is attached (it has yet to persist what follows) or the acks
 * of the topic wait for one (its producers' records must not go before
 * they are acknowledged), else none.  Under q->lock.
 */
u64 mq_persist_keep(struct mq_queue *q)
{
	lockdep_assert_held(&q->lock);
	if (q->persist.file || q->topic->acks)
		return q->persist.durable_off;
	return U64_MAX;
}

/*
 * mq_make_room() needs a record mq_persist_keep() keeps: wait for the
 * persister's next report, or fail when there is none to wait for (a
 * topic with acks whose persister went).  Under q->lock.
 */
int mq_persist_held(struct mq_queue *q)
{
	lockdep_assert_held(&q->lock);
	return q->persist.file ? -EAGAIN : -ENOTCONN;
}

/*
 * The f_mode flags a file of q opened with mode gets.  A write on a topic
 * with acks waits for its acknowledgment, however it was asked not to
 * wait, hence for a file that writes there:
 *  - no FMODE_NOWAIT: it cannot honour IOCB_NOWAIT, and io_uring then
 *    hands its reads and writes to its workers instead of blocking its
 *    submitter;
 *  - no FMODE_ATOMIC_POS unless it reads too: the VFS would hold the
 *    file's position lock (a mutex, uninterruptible) across each write,
 *    so that writers sharing the file would wait for each other's
 *    acknowledgments, and not even a signal would free them, although
 *    a write never uses the position.
 */
fmode_t mq_persist_fmode(struct mq_queue *q, fmode_t mode)
{
	if (!q->topic->acks || !(mode & FMODE_WRITE))
		return FMODE_NOWAIT | FMODE_ATOMIC_POS;
	return mode & FMODE_READ ? FMODE_ATOMIC_POS : 0;
}

long mq_persist_attach(struct file *file,
		       const struct mq_persist_attach __user *uarg)
{
	struct mq_file *mf = file->private_data;
	struct mq_queue *q = mf->q;
	struct mq_persist *p = &q->persist;
	struct mq_persist_attach a;
	long ret;

	static_assert(sizeof(a) == MQ_PERSIST_ATTACH_SIZE_VER0);

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.size != MQ_PERSIST_ATTACH_SIZE_VER0 ||
	    a.flags & ~MQ_PERSIST_ATTACH_F_ALL ||
	    a.reserved[0] || a.reserved[1] || a.reserved[2])
		return -EINVAL;
	/* A persister reads what it persists. */
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	/*
	 * It decides when the topic's producers return and what its ring
	 * keeps: the topic's owner's or an admin's to give, by the caller's
	 * credentials (as netlink checks them), not the opener's.  The owner
	 * first, so that it leaves no capability denial in the audit log.
	 */
	if (!uid_eq(current_fsuid(), q->topic->uid) && !capable(CAP_NET_ADMIN))
		return -EPERM;

	spin_lock(&q->lock);
	if (q->dead) {
		ret = -ENODEV;
	} else if (p->file == mf) {
		ret = 0;		/* already: nothing changes */
	} else if (p->file) {
		ret = -EBUSY;
	} else {
		p->file = mf;
		mf->persister = true;
		WRITE_ONCE(p->seq, p->seq + 1);
		ret = 0;
	}
	spin_unlock(&q->lock);
	return ret;
}

/*
 * The persister's file is closing (no call on it is running any more):
 * the queue has none from now on.  Its waiting producers fail with
 * ENOTCONN; the room it kept may be free again (acks 0), or only then
 * known never to come (acks 1 and all).
 */
void mq_persist_release(struct mq_queue *q, struct mq_file *mf)
{
	struct mq_persist *p = &q->persist;

	if (!mf->persister)
		return;
	spin_lock(&q->lock);
	p->file = NULL;
	WRITE_ONCE(p->seq, p->seq + 1);
	spin_unlock(&q->lock);
	mf->persister = false;

	wake_up_interruptible(&p->wait);
	wake_up_interruptible_poll(&q->wwait, EPOLLOUT | EPOLLWRNORM);
}

long mq_persist_report(struct file *file,
		       const struct mq_persist_report __user *uarg)
{
	struct mq_file *mf = file->private_data;
	struct mq_queue *q = mf->q;
	struct mq_persist *p = &q->persist;
	struct mq_ctrl *ctrl = q->ring.ctrl;
	bool moved = false, durable = false;
	struct mq_persist_report r;
	long ret;

	static_assert(sizeof(r) == MQ_PERSIST_REPORT_SIZE_VER0);

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.size != MQ_PERSIST_REPORT_SIZE_VER0 ||
	    r.flags & ~MQ_PERSIST_REPORT_F_ALL ||
	    r.reserved[0] || r.reserved[1])
		return -EINVAL;

	spin_lock(&q->lock);
	if (q->dead) {
		ret = -ENODEV;
	} else if (p->file != mf) {
		ret = -EBADFD;
	} else if (r.replicated_off > r.durable_off ||
		   r.durable_off < p->durable_off ||
		   r.replicated_off < p->replicated_off) {
		ret = -EINVAL;	/* what was acknowledged stays acknowledged */
	} else if (r.durable_off > q->next_off) {
		ret = -ENXIO;
	} else {
		durable = r.durable_off != p->durable_off;
		moved = durable || r.replicated_off != p->replicated_off;
		WRITE_ONCE(p->durable_off, r.durable_off);
		WRITE_ONCE(p->replicated_off, r.replicated_off);
		/*
		 * mmap consumers read them with one load each; like the
		 * queue's own, they publish nothing else (see the top).
		 */
		WRITE_ONCE(ctrl->durable_off, r.durable_off);
		WRITE_ONCE(ctrl->replicated_off, r.replicated_off);
		ret = 0;
	}
	spin_unlock(&q->lock);
	if (!moved)
		return ret;

	/*
	 * One full barrier for both checks: the offsets are visible before
	 * we look for waiters.  Pairs with set_current_state() in
	 * prepare_to_wait(), before a waiter checks its condition again
	 * (mq_persist_wait(), mq_reserve(), and the poll table's
	 * add_wait_queue() for EPOLLOUT).
	 */
	smp_mb();
	/* Producers waiting for their acks (see the barrier above). */
	if (waitqueue_active(&p->wait))
		wake_up_interruptible(&p->wait);
	/* And for room: what is below the durable offset may go now. */
	if (durable && waitqueue_active(&q->wwait))
		wake_up_interruptible_poll(&q->wwait, EPOLLOUT | EPOLLWRNORM);
	return 0;
}

/* The offset a producer's acks wait for its record to fall below. */
static u64 mq_persist_mark(struct mq_queue *q)
{
	if (q->topic->acks == MQ_ACKS_ALL)
		return READ_ONCE(q->persist.replicated_off);
	return READ_ONCE(q->persist.durable_off);
}

/*
 * Whether the wait of a producer for the record at off, acknowledged by
 * the persister of session seq, is over, and with what in *ret: 0 once
 * the record is acknowledged, -ENOTCONN once that persister went without
 * acknowledging it, -ENODEV once the topic was deleted.
 */
static bool mq_persist_settled(struct mq_queue *q, u64 off, u32 seq,
			       int *ret)
{
	*ret = 0;
	/* The offsets only grow: below one, acknowledged for good. */
	if (off < mq_persist_mark(q))
		return true;
	if (READ_ONCE(q->persist.seq) == seq && (seq & 1) &&
	    !READ_ONCE(q->dead))
		return false;
	/*
	 * The persister went, or the topic.  It may have reported the record
	 * first: both happened under q->lock, so under it we see them in
	 * the order they happened.
	 */
	spin_lock(&q->lock);
	if (off >= mq_persist_mark(q))
		*ret = q->dead ? -ENODEV : -ENOTCONN;
	spin_unlock(&q->lock);
	return true;
}

/*
 * A producer appended the record at off on a topic with acks: waits until
 * the persister attached now acknowledges it, for the topic's ack timeout
 * at most.  Returns 0, or -ETIMEDOUT, -EINTR (a signal), -ENOTCONN (the
 * persister went, or none is attached), -ENODEV.  Whatever it returns,
 * the record stays in the queue: a producer that retries may append it
 * twice (at-least-once).  For a batch, off is its last record's.
 */
int mq_persist_wait(struct mq_queue *q, u64 off)
{
	/* At least the timeout: the jiffy we are in is partly gone. */
	long left = msecs_to_jiffies(q->topic->ack_timeout_ms) + 1;
	u32 seq = READ_ONCE(q->persist.seq);
	int ret = 0;

	left = wait_event_interruptible_timeout(q->persist.wait,
				mq_persist_settled(q, off, seq, &ret), left);
	if (left > 0)
		return ret;
	if (!left)
		return -ETIMEDOUT;
	/*
	 * Not -ERESTARTSYS: the record is appended, and a restarted write
	 * would append it a second time.
	 */
	return -EINTR;
}
