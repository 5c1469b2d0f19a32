/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What engine.c, queue.c, store.c and events.c share: the event loop's
 * state, one struct per topic and per queue, and the completions they
 * expect.  Every submission carries a struct mqd_op as its user data,
 * which says whose it is and what it was.
 */
#ifndef MQD_ENGINE_H
#define MQD_ENGINE_H

#include <liburing.h>
#include <stdint.h>

#include "internal.h"
#include "log.h"
#include "mqd.h"

struct mqd;

enum mqd_op_kind {
	MQD_OP_SIGNAL,		/* read of the signalfd */
	MQD_OP_EVENTS,		/* poll of the netlink event socket */
	MQD_OP_QUEUE_POLL,	/* poll of a queue's fd: records to persist */
	MQD_OP_QUEUE_WRITE,	/* a span of records into the log */
	MQD_OP_QUEUE_SYNC,	/* fdatasync of the log's active segment */
	MQD_OP_TIMER,		/* the flush and retention tick */
};

struct mqd_op {
	enum mqd_op_kind kind;
	void *owner;
	bool busy;		/* submitted, not completed */
};

struct mqd_queue {
	struct mqd_topic *topic;
	uint32_t id;
	int fd;				/* O_RDONLY, the queue's persister */
	char dir[4096];			/* its log's directory */
	struct mq_log *log;

	struct mq__ring ring;		/* mapped (Documentation/mmap.rst) */

	uint64_t pos;			/* ring position of the next record to persist */
	uint64_t off;			/* the log's next offset */
	const void *span_ptr;		/* the write in flight: its records, */
	uint64_t span_len;		/* their bytes, */
	uint64_t span_end;		/* the ring position after them */
	uint64_t span_next;		/* and the offset after the last */
	uint64_t written;		/* offsets below are in the log */
	uint64_t synced;		/* offsets below are fdatasync'ed */
	uint64_t sync_target;		/* what the sync in flight covers */
	uint64_t reported;		/* the durable offset the kernel has */
	uint64_t unsynced_bytes;	/* written since the last sync */
	uint64_t last_sync_ns;		/* CLOCK_MONOTONIC of the last sync */
	bool dead;			/* the topic went, or the log failed */
	bool stalled;			/* a write failed: retried at the tick */
	bool failing;			/* since the last write that went whole */

	struct mqd_op poll_op, write_op, sync_op;
};

struct mqd_topic {
	struct mqd *mqd;
	struct mq_topic_config cfg;
	const struct mqd_topic_policy *policy;
	uint32_t nqueues;
	bool gone;			/* deleted in the kernel */
	struct mqd_queue *queues;
	struct mqd_topic *next;
};

struct mqd {
	const struct mqd_config *cfg;
	struct io_uring ring;
	int sigfd;
	bool stopping;
	unsigned int inflight;		/* submissions not completed */
	struct mqd_topic *topics;
	struct mq_admin *admin;
	struct mqd_events *events;
	struct mqd_op signal_op, timer_op, events_op;
	struct __kernel_timespec tick;
};

/* engine.c */
struct io_uring_sqe *mqd_sqe(struct mqd *mqd, struct mqd_op *op);
uint64_t mqd_now_realtime(void);
uint64_t mqd_now_monotonic(void);
struct mqd_topic *mqd_topic_find(struct mqd *mqd, const char *name);
int mqd_topic_start(struct mqd *mqd, const struct mq_topic_config *cfg);
void mqd_topic_gone(struct mqd *mqd, const char *name);
void mqd_resync(struct mqd *mqd);

/* queue.c */
int mqd_queue_start(struct mqd *mqd, struct mqd_queue *q);
void mqd_queue_pump(struct mqd *mqd, struct mqd_queue *q);
void mqd_queue_finish(struct mqd_queue *q);
void mqd_queue_complete(struct mqd *mqd, struct mqd_op *op, int res);
void mqd_queue_tick(struct mqd *mqd, struct mqd_queue *q);
void mqd_queue_stop(struct mqd *mqd, struct mqd_queue *q);
bool mqd_queue_idle(const struct mqd_queue *q);

/* store.c: the data directory's layout (Documentation/mqd.rst). */
int mqd_store_queue_dir(const struct mqd_config *cfg, const char *topic,
			uint32_t queue, char *buf, size_t size);
int mqd_store_topic_save(const struct mqd_config *cfg,
			 const struct mq_topic_config *topic);
int mqd_store_topic_remove(const struct mqd_config *cfg, const char *topic);
typedef int (*mqd_store_topic_cb)(const struct mq_topic_config *cfg,
				  void *arg);
int mqd_store_topic_walk(const struct mqd_config *cfg, mqd_store_topic_cb cb,
			 void *arg);
int mqd_store_group_save(const struct mqd_config *cfg, const char *topic,
			 uint32_t queue, const char *group, uint64_t committed);
int mqd_store_group_del(const struct mqd_config *cfg, const char *topic,
			uint32_t queue, const char *group);
typedef int (*mqd_store_group_cb)(uint32_t queue, const char *group,
				  uint64_t committed, void *arg);
int mqd_store_group_walk(const struct mqd_config *cfg, const char *topic,
			 mqd_store_group_cb cb, void *arg);

/* events.c: the netlink "events" and "offsets" multicast groups. */
int mqd_events_open(struct mqd *mqd);
int mqd_events_fd(const struct mqd *mqd);
void mqd_events_read(struct mqd *mqd);
void mqd_events_close(struct mqd *mqd);

#endif /* MQD_ENGINE_H */
