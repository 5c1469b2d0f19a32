/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of mq.ko, shared by its files.  Nothing here is ABI:
 * the ABI is uapi/linux/mq.h.
 */
#ifndef _MQ_H
#define _MQ_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/mq.h>

struct iov_iter;

#define MQ_MINORS	(1U << 20)	/* minor 0 is the control device */

extern dev_t mq_devt;
extern struct class *mq_class;

/*
 * The smallest record: a header and one byte, aligned.  In the ring, the
 * top bits of a record's len are MQ_RECORD_LEN_BUSY and
 * MQ_RECORD_LEN_DISCARD, which are ABI since mmap consumers see them
 * (uapi/linux/mq.h); lengths stay below MQ_RING_SIZE_MAX, so they are free.
 */
#define MQ_REC_MIN_STRIDE	MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + 1)

/*
 * A queue's control page, which mmap consumers map read-only.  It mirrors
 * fields the queue keeps for itself: the kernel writes it and never reads
 * it back.  Its layout reaches userspace only as the offsets
 * MQ_IOC_MMAP_INFO reports, so fields may move or be added.  Positions
 * and offsets mean what they mean in struct mq_queue.
 */
struct mq_ctrl {
	/* Written by producers under q->lock; see mq_ctrl_*() in queue.c. */
	u64 head;
	u64 tail;
	u64 next_off;
	u64 first_off;
	u64 ring_size;			/* constant */
	/*
	 * Written by the persister's reports, under q->lock, from other CPUs
	 * than the producers: a cache line of their own.  See persist.c.
	 */
	u64 durable_off ____cacheline_aligned;
	u64 replicated_off;
};

/* ring.c: a queue's memory. */
struct mq_ring {
	void *data;		/* size bytes, mapped twice back to back */
	struct page **pages;
	u64 size;		/* power of two */
	u64 mask;
	struct page *ctrl_page;	/* one page, struct mq_ctrl at its start */
	struct mq_ctrl *ctrl;
	/*
	 * Low 32 bits of the position of each retained record, indexed by
	 * offset & imask: lseek and pread find a record without a scan.
	 * More slots than records can ever be retained.
	 */
	u32 *index;
	u64 imask;
};

int mq_ring_init(struct mq_ring *ring, u64 size);
void mq_ring_free(struct mq_ring *ring);
size_t mq_ring_copy_in(struct mq_ring *ring, u64 pos, size_t len,
		       struct iov_iter *from);
size_t mq_ring_copy_out(struct mq_ring *ring, u64 pos, size_t len,
			struct iov_iter *to);

struct mq_topic;
struct mq_file;

/*
 * persist.c: the queue's persister (the daemon's file that persists it)
 * and what it reported.  Every field is written under q->lock.
 */
struct mq_persist {
	struct mq_file *file;		/* the persister, or NULL */
	/*
	 * Odd while a persister is attached; bumped at attach and at detach,
	 * so that a producer waiting for one persister's report sees it
	 * went, even if another came.  Read without the lock.
	 */
	u32 seq;
	u64 durable_off;		/* every offset below it is durable */
	u64 replicated_off;		/* <= durable_off: also replicated */
	wait_queue_head_t wait;		/* producers waiting for an ack */
};

/* queue.c: one queue: its ring, its device, its readers. */
struct mq_queue {
	struct device dev;		/* the release of dev frees the queue */
	struct cdev cdev;
	struct mq_topic *topic;		/* a reference, dropped at release */
	u32 id;

	/*
	 * lock serializes the writers of head, tail, first_off, next_off,
	 * dead, the index and persist, and protects readers.  Readers of
	 * the data read the positions without it (see mq_locate()); copies
	 * in and out of the ring happen outside it.
	 */
	spinlock_t lock;
	u64 head;			/* byte position of the next reservation */
	u64 tail;			/* byte position of the oldest record */
	u64 first_off;			/* offset of the record at tail */
	u64 next_off;			/* offset the next reservation gets */
	struct list_head readers;	/* struct mq_file with FMODE_READ */
	struct list_head groups;	/* struct mq_group; also under gmutex */
	struct mutex gmutex;		/* group membership, see group.c */
	bool dead;			/* the topic was deleted */
	u64 drops;			/* records removed unread by a reader */

	wait_queue_head_t rwait;	/* readers waiting for a record */
	wait_queue_head_t wwait;	/* producers waiting for room */

	struct mq_persist persist;
	struct mq_ring ring;

	/* Per CPU: producers and consumers on other CPUs share no line. */
	struct mq_queue_stats __percpu *stats;
	atomic_t nreaders, nwriters;
};

struct mq_queue_stats {
	u64_stats_t bytes_in, msgs_in, bytes_out, msgs_out;
	struct u64_stats_sync syncp;
};

/* One open file of a queue. */
struct mq_file {
	struct mq_queue *q;
	struct list_head rnode;		/* in q->readers when readable */
	/*
	 * The offset up to which this reader has consumed: what MQ_FULL_BLOCK
	 * keeps for it.  Moves with reads at it and with lseek; written under
	 * q->lock or by its reader, read under q->lock.  Not used by a
	 * group member: its group's committed offset counts instead.
	 */
	u64 cursor;
	struct mq_group *group;		/* the group it joined, or NULL */
	u64 gcommitted;			/* what it committed last */
	bool autocommit;		/* MQ_GROUP_F_AUTOCOMMIT */
	bool glog;			/* MQ_GROUP_F_LOG */
	u32 mode;			/* enum mq_mode */
	/*
	 * Record mode's splice(2) in: the record being put together from
	 * the pipe, until it is whole (splice.c).  Under slock.
	 */
	struct mutex slock;
	struct mq_record *sbuf;		/* scap bytes */
	u32 scap, shave, swant;
	u64 slast;			/* offset of the last record appended */
	bool sappended;			/* by this call */
	bool persister;			/* q->persist.file is this file */
};

/* group.c: a consumer group on one queue. */
struct mq_group {
	struct list_head node;		/* in q->groups */
	struct mq_queue *q;
	char name[MQ_NAME_MAX];
	struct mutex lock;		/* delivery and commits */
	u64 next;			/* next offset delivered first time */
	u64 committed;			/* lowest offset not acknowledged */
	u64 npending;			/* delivered, not acknowledged */
	u64 norphans;			/* of those, whose member left */
	u64 npending_pub, norphans_pub;	/* the same, for lockless readers */
	u32 nmembers;			/* under q->gmutex */
	struct xarray pending;		/* offset -> member, or an orphan */
	u64 notified;			/* committed as last announced */
	struct delayed_work notify;
};

struct mq_group_join;
int mq_group_join(struct mq_queue *q, struct mq_file *mf,
		  const struct mq_group_join *j);
void mq_group_leave(struct mq_queue *q, struct mq_file *mf);
bool mq_group_ready(struct mq_group *g);
ssize_t mq_group_read(struct mq_queue *q, struct mq_file *mf, loff_t *off,
		      bool framed, struct iov_iter *to, bool nowait);
int mq_group_commit(struct mq_file *mf, u64 off);
int mq_group_seek(struct mq_queue *q, struct mq_file *mf, u32 start, u64 off);
struct mq_group_claim;
int mq_group_claim(struct mq_file *mf, struct mq_group_claim *c);
u64 mq_groups_min_committed(struct mq_queue *q, u64 min);
int mq_group_set(struct mq_queue *q, const char *name, u32 start, u64 off);

/* Whether a start goes with an offset (MQ_A_OFFSET, mq_group_*.offset). */
static inline bool mq_group_start_takes_offset(u32 start)
{
	return start == MQ_GROUP_START_OFFSET || start == MQ_GROUP_START_RESTORE;
}
int mq_group_del(struct mq_queue *q, const char *name);
int mq_groups_walk(struct mq_queue *q, long *pos,
		   int (*fn)(struct mq_group *g, void *arg), void *arg);
void mq_groups_free(struct mq_queue *q);

struct mq_queue *mq_queue_create(struct mq_topic *t, u32 id, u64 base);
void mq_queue_kill(struct mq_queue *q);
ssize_t mq_queue_append(struct mq_queue *q, struct iov_iter *from, bool nowait);
ssize_t mq_queue_read(struct mq_queue *q, struct mq_file *mf, loff_t *off,
		      struct iov_iter *to, bool nowait);
loff_t mq_queue_seek(struct mq_queue *q, struct mq_file *mf, loff_t pos,
		     loff_t offset, int whence);
__poll_t mq_queue_poll_mask(struct mq_queue *q, struct mq_file *mf,
			    loff_t pos, fmode_t mode);
void mq_queue_attach(struct mq_queue *q, struct mq_file *mf, fmode_t mode,
		     loff_t *pos);
void mq_queue_detach(struct mq_queue *q, struct mq_file *mf, fmode_t mode);
ssize_t mq_queue_claim_at(struct mq_queue *q, u64 off, u64 *pos);
ssize_t mq_queue_copy_at(struct mq_queue *q, u64 off, bool framed,
			 struct iov_iter *to);
ssize_t mq_queue_append_records(struct mq_queue *q, void *buf, size_t len,
				u32 n, bool nowait, u64 *last);
bool mq_queue_readable(struct mq_queue *q, u64 off);
void mq_queue_consumed(struct mq_queue *q);

struct mq_queue_snapshot {
	u64 first_off, next_off, drops;
	u64 bytes_in, bytes_out, msgs_in, msgs_out;
	u32 readers, writers;
	u64 durable_off, replicated_off;
	u32 persister;
};
void mq_queue_snapshot(struct mq_queue *q, struct mq_queue_snapshot *s);

/* file.c */
extern const struct file_operations mq_queue_fops;

/* record.c: checking records handed in by userspace. */
int mq_record_check_header(const struct mq_record *rec, u32 max_msg);
int mq_record_check_body(const struct mq_record *rec);
int mq_records_check(const void *buf, size_t len, u32 max_msg);

/* splice.c: splice(2) and sendfile(2). */
struct pipe_inode_info;
ssize_t mq_splice_read(struct file *in, loff_t *ppos,
		       struct pipe_inode_info *pipe, size_t len,
		       unsigned int flags);
ssize_t mq_splice_write(struct pipe_inode_info *pipe, struct file *out,
			loff_t *ppos, size_t len, unsigned int flags);
void mq_splice_reset(struct mq_file *mf);
void mq_splice_free(struct mq_file *mf);
/* persist.c: acks and the persister. */
struct mq_persist_attach;
struct mq_persist_report;
long mq_persist_attach(struct file *file,
		       const struct mq_persist_attach __user *uarg);
long mq_persist_report(struct file *file,
		       const struct mq_persist_report __user *uarg);
void mq_persist_release(struct mq_queue *q, struct mq_file *mf);
bool mq_persist_attached(struct mq_queue *q);
int mq_persist_wait(struct mq_queue *q, u64 off);
u64 mq_persist_keep(struct mq_queue *q);
int mq_persist_held(struct mq_queue *q);
fmode_t mq_persist_fmode(struct mq_queue *q, fmode_t mode);

/* mmap.c: mmap consumers. */
struct vm_area_struct;
long mq_mmap_info(struct mq_queue *q, struct mq_mmap_info __user *uarg);
int mq_mmap(struct mq_queue *q, struct vm_area_struct *vma);

/* topic.c: the registry of topics. */
struct mq_topic {
	struct kref ref;
	struct list_head node;		/* in the registry while it lives */
	char name[MQ_NAME_MAX];
	u32 nqueues;
	u64 ring_size;
	u32 max_msg_size;
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	u32 policy;			/* enum mq_full_policy */
	u32 acks;			/* enum mq_acks */
	u32 ack_timeout_ms;
	struct mq_queue *queues[];
};

struct mq_topic_params {
	const char *name;
	u32 nqueues;
	u64 ring_size;
	u32 max_msg_size;
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	u32 policy;
	u32 acks;
	u32 ack_timeout_ms;
	const u64 *offsets;	/* each queue's first offset, or NULL: 0 */
};

struct netlink_ext_ack;

const char *mq_name_problem(const char *name);
int mq_topic_name_valid(const char *name, struct netlink_ext_ack *extack);
int mq_topic_create(const struct mq_topic_params *p,
		    struct netlink_ext_ack *extack);
int mq_topic_delete(const char *name);
void mq_topic_put(struct mq_topic *t);
void mq_topics_exit(void);

/*
 * Calls fn for topics from the index *pos on, under the registry lock,
 * until fn returns non-zero (returned); *pos is left at the topic fn
 * stopped at.  *gen receives the registry's generation, so a dump split
 * across calls can tell it changed.
 */
int mq_topics_walk(unsigned long *pos, unsigned int *gen,
		   int (*fn)(struct mq_topic *t, void *arg), void *arg);
/* The topic called name with a reference, or NULL. */
struct mq_topic *mq_topic_get(const char *name);

/* netlink.c */
int mq_netlink_init(void);
void mq_netlink_exit(void);
void mq_netlink_notify(struct mq_topic *t, u8 cmd);
bool mq_netlink_offsets_wanted(void);
void mq_netlink_group_event(struct mq_group *g, u8 cmd);

/* control.c: /dev/mq/control */
int mq_control_init(void);
struct mq_version;
long mq_control_version(struct mq_version __user *uarg);
void mq_control_exit(void);

/*
 * objects.c: every object the module allocates is counted by kind, so that
 * unloading with one still alive is reported as a leak (the test bench
 * fails the run on "mq: leak").  Add a kind for every new object type.
 */
enum mq_obj_kind {
	MQ_OBJ_FILE,		/* an open file of any mq device */
	MQ_OBJ_TOPIC,
	MQ_OBJ_QUEUE,		/* with its ring */
	MQ_OBJ_GROUP,
	MQ_OBJ_FAULT,		/* leaked on purpose through debugfs */
	MQ_OBJ_NR,
};

void mq_obj_get(enum mq_obj_kind kind);
void mq_obj_put(enum mq_obj_kind kind);
long mq_obj_count(enum mq_obj_kind kind);
const char *mq_obj_name(enum mq_obj_kind kind);
bool mq_obj_check_leaks(void);

/* debugfs.c: /sys/kernel/debug/mq/{objects,fault} */
void mq_debugfs_init(void);
void mq_debugfs_exit(void);

#endif /* _MQ_H */
