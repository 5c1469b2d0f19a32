// SPDX-License-Identifier: GPL-2.0
/*
 * Consumer groups on a queue, as in Kafka and RocketMQ: the files that
 * joined group G share G's position, so each message goes to one member
 * of G, while every group (and every file in no group) sees every
 * message.
 *
 * A group keeps, under g->lock:
 *  - next: the next offset it delivers for the first time;
 *  - pending: an xarray from offset to the member it was delivered to,
 *    for every message delivered and not acknowledged.  A member that
 *    closes leaves its entries behind as orphans (MQ_ORPHAN, marked
 *    XA_MARK_0), which the next read of any member takes first, oldest
 *    first: at-least-once delivery;
 *  - committed: the lowest offset not acknowledged (the lowest pending
 *    one, or next): what netlink reports, what MQ_FULL_BLOCK keeps for the
 *    group while it has members, and what the "offsets" events announce.
 *
 * A member acknowledges with MQ_IOC_COMMIT(off): everything it was given
 * below off.  An auto-commit member acknowledges each message as it reads
 * it (at-most-once) and leaves nothing pending.
 *
 * Locks: q->gmutex serializes membership and the group list's writers
 * (join, leave, set, delete), so a group with members is never freed;
 * q->lock also covers the list, for mq_make_room's walk; g->lock covers
 * delivery and commits.  Order: q->gmutex, then g->lock, then q->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "mq.h"
#include "trace.h"

/* A message whose member left: delivered again to the next reader. */
#define MQ_ORPHAN		xa_mk_value(0)
#define MQ_ORPHAN_MARK		XA_MARK_0

/* What a member reading the log may hold uncommitted: ENOBUFS past it. */
#define MQ_GROUP_LOG_PENDING_MAX	65536

/* Commit events of one group are coalesced over this long. */
#define MQ_GROUP_NOTIFY_DELAY	msecs_to_jiffies(10)

static void mq_group_notify_work(struct work_struct *work)
{
	struct mq_group *g = container_of(to_delayed_work(work),
					  struct mq_group, notify);
	u64 committed = READ_ONCE(g->committed);

	if (committed == g->notified)
		return;
	g->notified = committed;
	mq_netlink_group_event(g, MQ_CMD_GROUP_COMMIT);
}

/* Sends the committed offset soon, even if it did not move. */
static void mq_group_announce(struct mq_group *g)
{
	g->notified = U64_MAX;
	if (mq_netlink_offsets_wanted())
		mod_delayed_work(system_wq, &g->notify, 0);
}

static struct mq_group *mq_group_alloc(struct mq_queue *q, const char *name)
{
	struct mq_group *g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);

	if (!g)
		return NULL;
	mq_obj_get(MQ_OBJ_GROUP);
	g->q = q;
	strscpy(g->name, name, sizeof(g->name));
	mutex_init(&g->lock);
	xa_init(&g->pending);
	INIT_DELAYED_WORK(&g->notify, mq_group_notify_work);
	return g;
}

static void mq_group_free(struct mq_group *g)
{
	if (!g)
		return;
	cancel_delayed_work_sync(&g->notify);
	xa_destroy(&g->pending);
	mutex_destroy(&g->lock);
	kfree(g);
	mq_obj_put(MQ_OBJ_GROUP);
}

/* The group called name on q, or NULL.  Under q->gmutex or q->lock. */
static struct mq_group *mq_group_find(struct mq_queue *q, const char *name)
{
	struct mq_group *g;

	list_for_each_entry(g, &q->groups, node)
		if (!strcmp(g->name, name))
			return g;
	return NULL;
}

/*
 * Where a group starting at start (offset off) begins: 0 with *pos set,
 * ERANGE before the oldest retained offset (but for a restore: the log
 * has what the ring lost), ENXIO past the next one.
 */
static int mq_group_start_at(struct mq_queue *q, u32 start, u64 off, u64 *pos)
{
	int ret = 0;

	spin_lock(&q->lock);
	if (start == MQ_GROUP_START_EARLIEST)
		*pos = q->first_off;
	else if (start == MQ_GROUP_START_LATEST)
		*pos = q->next_off;
	else if (off > q->next_off)
		ret = -ENXIO;
	else if (off < q->first_off && start != MQ_GROUP_START_RESTORE)
		ret = -ERANGE;
	else
		*pos = off;
	spin_unlock(&q->lock);
	return ret;
}

static void mq_group_link(struct mq_queue *q, struct mq_group *g)
{
	spin_lock(&q->lock);
	list_add_tail(&g->node, &q->groups);
	spin_unlock(&q->lock);
}

/*
 * Recomputes committed after pending or next changed; announces a move
 * and lets producers blocked on the group go on.  Under g->lock.
 */
static void mq_group_update(struct mq_group *g)
{
	unsigned long idx = 0;
	u64 committed = g->next;

	/* Lockless readers: the netlink dump and mq_group_ready(). */
	WRITE_ONCE(g->npending_pub, g->npending);
	WRITE_ONCE(g->norphans_pub, g->norphans);
	if (xa_find(&g->pending, &idx, ULONG_MAX, XA_PRESENT))
		committed = min_t(u64, committed, idx);
	if (committed == g->committed)
		return;
	/* Lockless readers: mq_min_cursor() and the netlink dump. */
	WRITE_ONCE(g->committed, committed);
	mq_queue_consumed(g->q);
	if (mq_netlink_offsets_wanted())
		schedule_delayed_work(&g->notify, MQ_GROUP_NOTIFY_DELAY);
}

int mq_group_join(struct mq_queue *q, struct mq_file *mf,
		  const struct mq_group_join *j)
{
	struct mq_group *g, *fresh;
	u64 pos;
	int ret;

	fresh = mq_group_alloc(q, j->name);
	if (!fresh)
		return -ENOMEM;

	mutex_lock(&q->gmutex);
	ret = -EBUSY;
	if (mf->group)
		goto out;
	g = mq_group_find(q, j->name);
	if (!g) {
		ret = mq_group_start_at(q, j->start, j->offset, &pos);
		if (ret)
			goto out;
		g = fresh;
		fresh = NULL;
		g->next = g->committed = pos;
		mq_group_link(q, g);
		mq_group_announce(g);
	}
	ret = 0;
	mf->autocommit = j->flags & MQ_GROUP_F_AUTOCOMMIT;
	mf->glog = j->flags & MQ_GROUP_F_LOG;
	mf->gcommitted = 0;
	WRITE_ONCE(g->nmembers, g->nmembers + 1);
	/* From now on mq_min_cursor() counts the group, not this cursor. */
	spin_lock(&q->lock);
	WRITE_ONCE(mf->group, g);
	spin_unlock(&q->lock);
out:
	mutex_unlock(&q->gmutex);
	mq_group_free(fresh);
	return ret;
}

/* The file is closing: what it was given and did not commit is orphaned. */
void mq_group_leave(struct mq_queue *q, struct mq_file *mf)
{
	struct mq_group *g = mf->group;
	unsigned long idx;
	bool orphans;
	void *entry;

	mutex_lock(&q->gmutex);
	mutex_lock(&g->lock);
	xa_for_each(&g->pending, idx, entry) {
		if (entry != mf)
			continue;
		xa_store(&g->pending, idx, MQ_ORPHAN, GFP_KERNEL);
		xa_set_mark(&g->pending, idx, MQ_ORPHAN_MARK);
		g->norphans++;
	}
	orphans = g->norphans;
	mq_group_update(g);
	mutex_unlock(&g->lock);

	WRITE_ONCE(g->nmembers, g->nmembers - 1);
	spin_lock(&q->lock);
	WRITE_ONCE(mf->group, NULL);
	spin_unlock(&q->lock);
	mutex_unlock(&q->gmutex);

	/* Another member takes them over; producers may pass a memberless group. */
	if (orphans)
		wake_up_interruptible_poll(&q->rwait, EPOLLIN | EPOLLRDNORM);
	mq_queue_consumed(q);
}

/* Whether a member's read would not wait; lockless, for poll and waits. */
bool mq_group_ready(struct mq_group *g)
{
	return READ_ONCE(g->norphans_pub) || mq_queue_readable(g->q, READ_ONCE(g->next));
}

/*
 * What a delivery to a member that joined with MQ_GROUP_F_LOG does with a
 * message only the persister's log holds (below the ring's first offset
 * and the durable offset).  Other members skip such messages.
 */
enum mq_take {
	MQ_TAKE_RING,	/* a read: -EXDEV, the member claims it instead */
	MQ_TAKE_ANY,	/* a claim: delivered, *pos MQ_GROUP_CLAIM_POS_LOG */
	MQ_TAKE_LOG,	/* MQ_GROUP_CLAIM_F_LOG_ONLY: and a ring one is -EAGAIN */
};

/*
 * A copy into @to; with @to NULL, a claim: *pos says where it is.  The
 * ring's -ERANGE for a message the log holds becomes what @take says.
 */
static ssize_t mq_group_take(struct mq_queue *q, struct mq_file *mf, u64 off,
			     bool framed, struct iov_iter *to, u64 *pos,
			     enum mq_take take)
{
	ssize_t ret;

	if (!to)
		ret = mq_queue_claim_at(q, off, pos);
	else
		ret = mq_queue_copy_at(q, off, framed, to);
	if (!mf->glog)
		return ret;
	/*
	 * Everything below the durable offset is in the log: the persister
	 * said so in a report, or mqd made the queue start there.
	 */
	if (ret == -ERANGE && off < READ_ONCE(q->persist.durable_off)) {
		if (take == MQ_TAKE_RING)
			return -EXDEV;
		*pos = MQ_GROUP_CLAIM_POS_LOG;
		return 0;
	}
	/* A claim of the ring copies nothing: there is nothing to undo. */
	if (ret >= 0 && take == MQ_TAKE_LOG)
		return -EAGAIN;
	return ret;
}

/*
 * Gives mf the group's next message: an orphan first, else the one at
 * next.  Returns its length with *off set to its offset, or -errno
 * (-EAGAIN: nothing yet).  With @to NULL the message is claimed, not
 * copied, and *pos is where it lies in the ring; with @run too, the
 * claim goes on a run at its end, so a message dropped meanwhile ends
 * it (-ERANGE) instead of being skipped.  Under g->lock.
 */
static ssize_t mq_group_deliver(struct mq_group *g, struct mq_file *mf,
				u64 *off, bool framed, struct iov_iter *to,
				u64 *pos, bool run, enum mq_take take)
{
	struct mq_queue *q = g->q;
	unsigned long idx;
	ssize_t ret;
	u64 o;

	while (g->norphans) {
		idx = 0;
		if (WARN_ON_ONCE(!xa_find(&g->pending, &idx, ULONG_MAX,
					  MQ_ORPHAN_MARK)))
			break;
		ret = mq_group_take(q, mf, idx, framed, to, pos, take);
		if (ret == -ERANGE || ret == -ENOENT) {
			/* Dropped meanwhile (counted as a drop): gone. */
			xa_erase(&g->pending, idx);
			g->norphans--;
			g->npending--;
			continue;
		}
		if (ret < 0)
			return ret;
		g->norphans--;
		if (mf->autocommit) {
			xa_erase(&g->pending, idx);
			g->npending--;
		} else {
			/* Replacing an entry in place allocates nothing. */
			xa_store(&g->pending, idx, mf, GFP_KERNEL);
			xa_clear_mark(&g->pending, idx, MQ_ORPHAN_MARK);
		}
		*off = idx;
		return ret;
	}

	/*
	 * Bounded by the ring under MQ_FULL_BLOCK; by this under drop; and
	 * for a member reading the log, whose runs the ring does not bound,
	 * by MQ_GROUP_LOG_PENDING_MAX (an xarray value entry is a few bytes).
	 */
	if (!mf->autocommit &&
	    g->npending > (mf->glog ? max_t(u64, q->ring.imask,
					    MQ_GROUP_LOG_PENDING_MAX - 1) :
				      q->ring.imask))
		return -ENOBUFS;
	for (;;) {
		o = g->next;
		/* Room for the entry before the message leaves the ring. */
		if (!mf->autocommit) {
			ret = xa_reserve(&g->pending, o, GFP_KERNEL);
			if (ret)
				return ret;
		}
		ret = mq_group_take(q, mf, o, framed, to, pos, take);
		if (ret >= 0)
			break;
		if (!mf->autocommit)
			xa_release(&g->pending, o);
		if (ret == -ENOENT)
			g->next = o + 1;	/* a hole, not a message */
		else if (ret == -ERANGE && !run)	/* dropped before we got to it */
			g->next = max(o + 1, READ_ONCE(q->first_off));
		else
			return ret;
	}
	if (!mf->autocommit) {
		xa_store(&g->pending, o, mf, GFP_KERNEL);
		g->npending++;
	}
	WRITE_ONCE(g->next, o + 1);
	*off = o;
	return ret;
}

ssize_t mq_group_read(struct mq_queue *q, struct mq_file *mf, loff_t *off,
		      bool framed, struct iov_iter *to, bool nowait)
{
	struct mq_group *g = mf->group;
	ssize_t ret, more;
	u64 o = 0;

	for (;;) {
		if (nowait) {
			if (!mutex_trylock(&g->lock))
				return -EAGAIN;
		} else if (mutex_lock_interruptible(&g->lock)) {
			return -ERESTARTSYS;
		}
		ret = mq_group_deliver(g, mf, &o, framed, to, NULL, false,
				       MQ_TAKE_RING);
		/* Record mode: as many more as fit, none waited for. */
		while (framed && ret > 0 && iov_iter_count(to)) {
			/* o moves only with a delivery. */
			more = mq_group_deliver(g, mf, &o, framed, to, NULL,
						false, MQ_TAKE_RING);
			if (more <= 0)
				break;
			ret += more;
		}
		if (ret >= 0)
			mq_group_update(g);
		mutex_unlock(&g->lock);
		if (ret != -EAGAIN)
			break;
		if (nowait)
			return -EAGAIN;
		if (wait_event_interruptible(q->rwait, mq_group_ready(g)))
			return -ERESTARTSYS;
	}
	if (ret < 0)
		return ret;
	/*
	 * The position tells the member which offset it got; in record mode
	 * the last one (each record says its own).
	 */
	*off = o + 1;
	return ret;
}

int mq_group_commit(struct mq_file *mf, u64 off)
{
	struct mq_group *g = READ_ONCE(mf->group);
	unsigned long idx;
	void *entry;
	u32 acked = 0;
	int ret = 0;

	if (!g)
		return -EBADFD;
	if (mutex_lock_interruptible(&g->lock))
		return -ERESTARTSYS;
	if (off > g->next) {
		ret = -ENXIO;		/* nobody was given that yet */
		goto out;
	}
	if (off < mf->gcommitted) {
		ret = -EINVAL;		/* backwards */
		goto out;
	}
	if (off) {
		xa_for_each_range(&g->pending, idx, entry, 0, off - 1) {
			if (entry != mf)
				continue;
			xa_erase(&g->pending, idx);
			g->npending--;
			acked++;
		}
	}
	mf->gcommitted = off;
	mq_group_update(g);
	trace_mq_commit(g, off, acked);
out:
	mutex_unlock(&g->lock);
	return ret;
}

/*
 * Moves g to pos, forgetting what it had pending; its member mf, if any,
 * may then commit from there.  Under q->gmutex.
 */
static void mq_group_reset(struct mq_group *g, u64 pos, struct mq_file *mf)
{
	mutex_lock(&g->lock);
	xa_destroy(&g->pending);
	g->npending = g->norphans = 0;
	WRITE_ONCE(g->next, pos);
	if (mf)
		mf->gcommitted = 0;
	mq_group_update(g);
	mutex_unlock(&g->lock);
	/* Whoever keeps offsets hears of a reset even to the same place. */
	mq_group_announce(g);
}

/*
 * MQ_IOC_GROUP_SEEK: what MQ_CMD_GROUP_SET does, asked by the group's
 * only member on the queue.  Another member would find the messages it
 * holds forgotten under it, so as Kafka, which gives a partition to one
 * member of a group, only a sole member may move the group.
 */
int mq_group_seek(struct mq_queue *q, struct mq_file *mf, u32 start, u64 off)
{
	struct mq_group *g;
	u64 pos;
	int ret;

	mutex_lock(&q->gmutex);
	g = mf->group;
	ret = -EBADFD;
	if (!g)
		goto out;
	ret = -EBUSY;
	if (g->nmembers > 1)
		goto out;
	ret = mq_group_start_at(q, start, off, &pos);
	if (ret)
		goto out;
	mq_group_reset(g, pos, mf);
out:
	mutex_unlock(&q->gmutex);
	return ret;
}

/*
 * MQ_IOC_GROUP_CLAIM: delivers to mf, without copying, one orphan or a
 * run of up to c->max messages from the group's position, which mf then
 * reads in the mapped ring.  A run is contiguous in the ring: its holes
 * are discarded records a reader skips, and it ends where something
 * (not committed yet, or dropped) would break it.
 */
int mq_group_claim(struct mq_file *mf, struct mq_group_claim *c)
{
	struct mq_group *g = READ_ONCE(mf->group);
	enum mq_take take;
	ssize_t ret;
	u64 o, pos;

	if (!g)
		return -EBADFD;
	/* An auto-commit member would acknowledge what it has not read. */
	if (mf->autocommit)
		return -EINVAL;
	if ((c->flags & MQ_GROUP_CLAIM_F_LOG_ONLY) && !mf->glog)
		return -EINVAL;
	take = c->flags & MQ_GROUP_CLAIM_F_LOG_ONLY ? MQ_TAKE_LOG : MQ_TAKE_ANY;
	if (mutex_lock_interruptible(&g->lock))
		return -ERESTARTSYS;
	ret = mq_group_deliver(g, mf, &o, true, NULL, &c->pos, false, take);
	if (ret < 0)
		goto out;
	c->offset = o;
	c->count = 1;
	/*
	 * A run is all in the ring or all in the log: one in the ring ends
	 * at a message the log alone holds (-EXDEV), one in the log at a
	 * message in the ring (-EAGAIN).
	 */
	take = c->pos == MQ_GROUP_CLAIM_POS_LOG ? MQ_TAKE_LOG : MQ_TAKE_RING;
	/*
	 * An orphan (below next) goes alone: the records after it in the
	 * ring were delivered already, or are not the group's to give yet.
	 */
	while (o + 1 == g->next && c->count < c->max) {
		if (mq_group_deliver(g, mf, &o, true, NULL, &pos, true,
				     take) < 0)
			break;
		c->count++;
	}
	c->end = o + 1;
	mq_group_update(g);
	ret = 0;
out:
	mutex_unlock(&g->lock);
	return ret;
}

/* The smallest committed offset of the groups with members.  Under q->lock. */
u64 mq_groups_min_committed(struct mq_queue *q, u64 min)
{
	struct mq_group *g;

	list_for_each_entry(g, &q->groups, node)
		if (READ_ONCE(g->nmembers))
			min = min_t(u64, min, READ_ONCE(g->committed));
	return min;
}

int mq_group_set(struct mq_queue *q, const char *name, u32 start, u64 off)
{
	struct mq_group *g, *fresh;
	u64 pos;
	int ret;

	fresh = mq_group_alloc(q, name);
	if (!fresh)
		return -ENOMEM;
	mutex_lock(&q->gmutex);
	ret = mq_group_start_at(q, start, off, &pos);
	if (ret)
		goto out;
	g = mq_group_find(q, name);
	if (g && g->nmembers) {
		ret = -EBUSY;		/* as Kafka: reset an inactive group */
		goto out;
	}
	if (!g) {
		g = fresh;
		fresh = NULL;
		g->next = g->committed = pos;
		mq_group_link(q, g);
	}
	mq_group_reset(g, pos, NULL);
out:
	mutex_unlock(&q->gmutex);
	mq_group_free(fresh);
	return ret;
}

int mq_group_del(struct mq_queue *q, const char *name)
{
	struct mq_group *g;
	int ret = 0;

	mutex_lock(&q->gmutex);
	g = mq_group_find(q, name);
	if (!g) {
		ret = -ENOENT;
	} else if (g->nmembers) {
		ret = -EBUSY;
	} else {
		spin_lock(&q->lock);
		list_del(&g->node);
		spin_unlock(&q->lock);
	}
	mutex_unlock(&q->gmutex);
	if (ret)
		return ret;
	mq_netlink_group_event(g, MQ_CMD_GROUP_DEL);
	mq_group_free(g);
	return 0;
}

/*
 * Calls fn for the groups of q from the index *pos on, under q->lock
 * (fn must not sleep), until fn returns non-zero; *pos is left at the
 * group fn stopped at.
 */
int mq_groups_walk(struct mq_queue *q, long *pos,
		   int (*fn)(struct mq_group *g, void *arg), void *arg)
{
	struct mq_group *g;
	long i = 0;
	int ret = 0;

	spin_lock(&q->lock);
	list_for_each_entry(g, &q->groups, node) {
		if (i++ < *pos)
			continue;
		ret = fn(g, arg);
		if (ret)
			break;
		(*pos)++;
	}
	spin_unlock(&q->lock);
	return ret;
}

/* The queue is going: no file is open, so no group has members. */
void mq_groups_free(struct mq_queue *q)
{
	struct mq_group *g, *tmp;

	list_for_each_entry_safe(g, tmp, &q->groups, node) {
		list_del(&g->node);
		mq_group_free(g);
	}
}
