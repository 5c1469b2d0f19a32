/* SPDX-License-Identifier: (LGPL-2.1 OR MIT) */
/*
 * libmq: the C client library over uapi/linux/mq.h.
 *
 * Every function that can fail returns 0 (or a count) on success and a
 * negative errno on failure; none touches the global errno.  There is no
 * global state: each handle is independent, and a handle is used by one
 * thread at a time.
 *
 * Admin (mq_admin_*): topics and queues over the generic netlink family
 * "mq", through libnl-genl.  Creating and deleting need CAP_NET_ADMIN.
 *
 * Clients (LIBMQ_4): mq_producer_* appends keyed records to the queues of
 * a topic in record mode, mq_consumer_* reads them as a member of a
 * consumer group on every queue (LIBMQ_5: or some), and mq_partition() is the partitioner
 * they share with Kafka.  Documentation/libmq.rst describes each call.
 *
 * LIBMQ_5 adds per-record delivery reports to the producer, and to the
 * consumer a subset of the queues, receiving in place through the mapped
 * ring, asynchronous commits and seeking; these need a kernel with
 * MQ_FEAT_CLIENT, and fail with -EOPNOTSUPP on one without.
 */
#ifndef LIBMQ_H
#define LIBMQ_H

#include <stddef.h>
#include <stdint.h>
#include <linux/mq.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mq_admin;

/* Which optional fields of struct mq_topic_config are set. */
#define MQ_TOPIC_SET_QUEUES		(1U << 0)
#define MQ_TOPIC_SET_RING_SIZE		(1U << 1)
#define MQ_TOPIC_SET_MAX_MSG_SIZE	(1U << 2)
#define MQ_TOPIC_SET_MODE		(1U << 3)
#define MQ_TOPIC_SET_UID		(1U << 4)
#define MQ_TOPIC_SET_GID		(1U << 5)
#define MQ_TOPIC_SET_FULL_POLICY	(1U << 6)
#define MQ_TOPIC_SET_ACKS		(1U << 7)	/* LIBMQ_3 */
#define MQ_TOPIC_SET_ACK_TIMEOUT	(1U << 8)	/* LIBMQ_3 */
#define MQ_TOPIC_SET_ALL		((1U << 9) - 1)	/* others: -EINVAL */

/*
 * Fields are only ever added at the end, with a set bit each: a program
 * built against an older libmq.h keeps working with this library.
 */
struct mq_topic_config {
	char name[MQ_NAME_MAX];
	uint32_t set;		/* MQ_TOPIC_SET_*: fields given; unset ones take defaults */
	uint32_t queues;
	uint64_t ring_size;
	uint32_t max_msg_size;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint32_t full_policy;	/* enum mq_full_policy */
	uint32_t acks;		/* enum mq_acks */
	uint32_t ack_timeout_ms;
};

struct mq_queue_stats {
	char topic[MQ_NAME_MAX];
	uint32_t queue;
	uint64_t first_offset;
	uint64_t next_offset;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t msgs_in;
	uint64_t msgs_out;
	uint64_t drops;
	uint32_t readers;
	uint32_t writers;
	/* What the queue's persister reported, and whether one is attached. */
	uint64_t durable_offset;
	uint64_t replicated_offset;
	uint32_t persister;
};

/* A consumer group on one queue, as GROUP_GET reports it. */
struct mq_group_state {
	char topic[MQ_NAME_MAX];
	uint32_t queue;
	char group[MQ_NAME_MAX];
	uint64_t committed;	/* lowest offset not acknowledged */
	uint64_t delivered;	/* next offset delivered for the first time */
	uint64_t pending;	/* delivered, not acknowledged */
	uint64_t lag;		/* the queue's next offset - committed */
	uint32_t members;
};

/* Open a handle on the "mq" family: -ENOENT when the module is not loaded. */
int mq_admin_open(struct mq_admin **adminp);
void mq_admin_close(struct mq_admin *admin);

/*
 * The kernel's extended-ack message for the handle's last failed request,
 * or NULL when it gave none.  Valid until the next call on the handle.
 */
const char *mq_admin_error(const struct mq_admin *admin);

int mq_admin_topic_add(struct mq_admin *admin, const struct mq_topic_config *cfg);
/*
 * mq_admin_topic_add() with queue i starting at offset @offsets[i]
 * instead of 0, as mqd recreates a topic whose logs go on from there:
 * @count is the topic's number of queues (1 when @cfg sets none), each
 * offset below MQ_OFFSET_LIMIT; else -EINVAL.  NULL and 0: from 0.
 * LIBMQ_5.
 */
int mq_admin_topic_add_at(struct mq_admin *admin,
			  const struct mq_topic_config *cfg,
			  const uint64_t *offsets, uint32_t count);
int mq_admin_topic_del(struct mq_admin *admin, const char *name);
/* Fills @cfg (with every field set) from the kernel; -ENOENT if no such topic. */
int mq_admin_topic_get(struct mq_admin *admin, const char *name,
		       struct mq_topic_config *cfg);

/*
 * Dumps call @cb once per item; a non-zero return from @cb stops the dump
 * and is returned.  The items are valid only during the call.
 */
typedef int (*mq_topic_cb)(const struct mq_topic_config *cfg, void *arg);
typedef int (*mq_queue_cb)(const struct mq_queue_stats *stats, void *arg);

int mq_admin_topic_list(struct mq_admin *admin, mq_topic_cb cb, void *arg);
/* Queues of @topic, or of every topic when @topic is NULL. */
int mq_admin_queue_list(struct mq_admin *admin, const char *topic,
			mq_queue_cb cb, void *arg);

typedef int (*mq_group_cb)(const struct mq_group_state *state, void *arg);

/* Groups on every queue of @topic (NULL: of all topics), named @group (NULL: any). */
int mq_admin_group_list(struct mq_admin *admin, const char *topic,
			const char *group, mq_group_cb cb, void *arg);
/*
 * Sets group @group on queue @queue of @topic to @start (enum
 * mq_group_start; @offset with MQ_GROUP_START_OFFSET or _RESTORE, else
 * 0), creating it if needed: reset and restore.  -EBUSY while it has
 * members.
 */
int mq_admin_group_set(struct mq_admin *admin, const char *topic,
		       uint32_t queue, const char *group, uint32_t start,
		       uint64_t offset);
/* Deletes the group; -ENOENT if none, -EBUSY while it has members. */
int mq_admin_group_del(struct mq_admin *admin, const char *topic,
		       uint32_t queue, const char *group);

/* ---- partitioning (LIBMQ_4) ---------------------------------------------- */

/*
 * Kafka's murmur2 (Utils.murmur2: 32-bit MurmurHash2, seed 0x9747b28c) of
 * @len bytes at @key.
 */
uint32_t mq_murmur2(const void *key, size_t len);
/*
 * Kafka's default partitioner: (murmur2(key) & 0x7fffffff) % @nqueues, the
 * queue a producer sends a keyed record to.  -EINVAL when @nqueues is 0 or
 * above MQ_QUEUES_MAX, or @key is NULL with a length.
 */
int mq_partition(const void *key, size_t len, uint32_t nqueues);
/*
 * CRC-32C (Castagnoli; initial value ~0, final xor ~0) of @len bytes at
 * @buf: a record's crc is this of its bytes [MQ_RECORD_CRC_START, len).
 */
uint32_t mq_crc32c(const void *buf, size_t len);

/* ---- producer (LIBMQ_4) ------------------------------------------------- */

struct mq_producer;

#define MQ_PRODUCER_F_ALL	0	/* no flags are defined yet */

/*
 * Opens every queue of @topic for writing, in record mode.  -EINVAL for a
 * bad name or a flag, -ENOENT when there is no such topic, open(2)'s errno
 * (-EACCES...) for a queue node.
 */
int mq_producer_open(struct mq_producer **pp, const char *topic,
		     uint32_t flags);
/*
 * Frames a record and buffers it for queue @queue, or with @queue -1 for
 * mq_partition(@key) or, keyless, the next queue round-robin.  Returns the
 * queue, or -errno: -EINVAL for bad arguments (an empty value among them),
 * -EMSGSIZE when key and value exceed the topic's max_msg_size.  It writes
 * only when the queue's pending records would pass the batch limit:
 * mq_producer_flush()'s errors then.
 */
int mq_producer_send(struct mq_producer *p, int32_t queue, const void *key,
		     uint32_t key_len, const void *value, uint32_t value_len);
/*
 * One record-mode write per queue with pending records, in queue order;
 * 0, or the first write's -errno, which ends the flush: the records of
 * that write are dropped, appended or not.  On a topic with acks each
 * write returns once its records are acknowledged: -ENOTCONN, -ETIMEDOUT,
 * -EINTR otherwise (Documentation/libmq.rst has every outcome).
 */
int mq_producer_flush(struct mq_producer *p);
/* The topic's number of queues, or -EINVAL. */
int mq_producer_queues(const struct mq_producer *p);
/*
 * Closes the queues; records not flushed are dropped (each reported with
 * -ECANCELED when a delivery callback is set).  NULL is a no-op.
 */
void mq_producer_close(struct mq_producer *p);

/* ---- producer: delivery reports (LIBMQ_5) -------------------------------- */

/* The outcome of one record, valid only during the callback. */
struct mq_delivery {
	uint32_t queue;
	int32_t error;		/* 0: appended (and acknowledged), or -errno */
	uint64_t offset;	/* its offset when error is 0, else 0 */
	void *opaque;		/* what mq_producer_send_opaque() was given */
};

typedef void (*mq_delivery_cb)(const struct mq_delivery *d, void *arg);

/*
 * Sets (or with @cb NULL, clears) the callback that gets one report per
 * record sent from now on, when the write carrying it returns: at a
 * flush, or in a send that writes a full batch; -ECANCELED for one
 * mq_producer_close() drops.  The callback must not call the producer.
 * -EINVAL for a NULL handle, -EOPNOTSUPP on a kernel without
 * MQ_FEAT_CLIENT (which cannot tell the offsets).
 */
int mq_producer_set_delivery_cb(struct mq_producer *p, mq_delivery_cb cb,
				void *arg);
/* mq_producer_send() with @opaque handed back in the record's report. */
int mq_producer_send_opaque(struct mq_producer *p, int32_t queue,
			    const void *key, uint32_t key_len,
			    const void *value, uint32_t value_len,
			    void *opaque);

/* ---- consumer (LIBMQ_4) ------------------------------------------------- */

struct mq_consumer;

/* Acknowledge each record as it is read: at-most-once. */
#define MQ_CONSUMER_F_AUTOCOMMIT	(1U << 0)
/*
 * Receive in place through the mapped ring (MQ_IOC_GROUP_CLAIM): key and
 * value point into the mapping.  Not with AUTOCOMMIT, nor on a topic
 * whose full policy is MQ_FULL_DROP (-EINVAL).  LIBMQ_5.
 */
#define MQ_CONSUMER_F_MMAP		(1U << 1)
/*
 * Read what the ring no longer holds from mqd's commit log
 * (Documentation/log.rst), read-only, under the data directory named by
 * the environment's MQ_DATA_DIR, else MQ_DATA_DIR_DEFAULT: a group behind
 * the ring continues from the log into the ring with no gap and no
 * duplicate, and MQ_GROUP_START_EARLIEST means the log's oldest record.
 * Not with AUTOCOMMIT (-EINVAL); -EOPNOTSUPP on a kernel without
 * MQ_FEAT_LOG.  LIBMQ_5, library 1.6.
 */
#define MQ_CONSUMER_F_LOG		(1U << 2)
#define MQ_CONSUMER_F_ALL		(MQ_CONSUMER_F_AUTOCOMMIT | \
					 MQ_CONSUMER_F_MMAP | \
					 MQ_CONSUMER_F_LOG)

/* Where mqd keeps its commit logs unless told otherwise. */
#define MQ_DATA_DIR_DEFAULT		"/var/lib/mq"

/* One record as the callback sees it: valid only during the call. */
struct mq_message {
	uint32_t queue;
	uint64_t offset;	/* its offset in the queue */
	uint64_t timestamp;	/* CLOCK_REALTIME ns, the kernel's at append */
	const void *key;	/* NULL when key_len is 0 */
	uint32_t key_len;
	const void *value;
	uint32_t value_len;	/* at least 1 */
};

/* Returns 0 to go on, anything else to stop (a negative value, best). */
typedef int (*mq_message_cb)(const struct mq_message *msg, void *arg);

/*
 * Opens every queue of @topic for reading, in record mode, and joins group
 * @group on each, starting at @start (MQ_GROUP_START_LATEST or _EARLIEST)
 * where the group is new.  -EINVAL for a bad name, start or flag,
 * -ENOENT when there is no such topic, the join's errno otherwise.
 */
int mq_consumer_open(struct mq_consumer **cp, const char *topic,
		     const char *group, uint32_t start, uint32_t flags);
/*
 * Waits up to @timeout_ms (-1: for ever, 0: not at all) for records on any
 * queue, and calls @cb for each, in offset order per queue.  Returns the
 * number delivered (0: the timeout passed), @cb's non-zero return, or
 * -errno: -EINTR (a signal), -ENODEV (the topic was deleted), -EBADMSG (a
 * record failed its CRC), -ENOBUFS (too much uncommitted: commit first).
 */
int mq_consumer_poll(struct mq_consumer *c, int timeout_ms, mq_message_cb cb,
		     void *arg);
/*
 * Acknowledges every record of queue @queue this consumer got below
 * @offset (the next to process, as Kafka commits).  -EINVAL for a queue out
 * of range, else MQ_IOC_COMMIT's errno.
 */
int mq_consumer_commit(struct mq_consumer *c, uint32_t queue, uint64_t offset);
/* The topic's number of queues, or -EINVAL. */
int mq_consumer_queues(const struct mq_consumer *c);
/*
 * Issues the pending asynchronous commits, then leaves the groups by
 * closing the queues: what was read and not committed is delivered again
 * to another member.  NULL is a no-op.
 */
void mq_consumer_close(struct mq_consumer *c);

/* ---- consumer: subsets, async commits, seeking (LIBMQ_5) ------------------ */

/*
 * mq_consumer_open() on the @count queues listed in @queues only (0 and
 * NULL: every queue).  -EINVAL also for a queue listed twice or not in
 * the topic.  Messages, commits and seeks use the real queue numbers.
 */
int mq_consumer_open_queues(struct mq_consumer **cp, const char *topic,
			    const char *group, uint32_t start, uint32_t flags,
			    const uint32_t *queues, uint32_t count);
/*
 * Records a commit of @offset on @queue and returns: it is issued at the
 * start of the next mq_consumer_poll(), by mq_consumer_commit() and by
 * mq_consumer_close().  Per queue the highest offset recorded wins; a
 * lower one is ignored.  -EINVAL for a NULL handle or a queue not
 * subscribed.
 */
int mq_consumer_commit_async(struct mq_consumer *c, uint32_t queue,
			     uint64_t offset);

typedef void (*mq_commit_cb)(uint32_t queue, uint64_t offset, int error,
			     void *arg);

/*
 * Sets (NULL: clears) the callback told each asynchronous commit's
 * outcome.  Without one, the first failure's -errno is returned by the
 * next mq_consumer_poll() before it delivers anything.
 */
int mq_consumer_set_commit_cb(struct mq_consumer *c, mq_commit_cb cb,
			      void *arg);
/*
 * Moves the group on @queue to @start (MQ_GROUP_START_EARLIEST, _LATEST,
 * or _OFFSET with @offset; else @offset must be 0), dropping what the
 * consumer holds of it: records not delivered yet, asynchronous commits
 * not issued.  The consumer must be the group's only member there:
 * -EBUSY otherwise; -ERANGE, -ENXIO for an offset out of the queue;
 * -EINVAL for bad arguments or a queue not subscribed; -EOPNOTSUPP on a
 * kernel without MQ_FEAT_CLIENT.
 */
int mq_consumer_seek(struct mq_consumer *c, uint32_t queue, uint32_t start,
		     uint64_t offset);

#ifdef __cplusplus
}
#endif

#endif /* LIBMQ_H */
