/* SPDX-License-Identifier: (LGPL-2.1 OR MIT) */
/*
 * What libmq's files share and do not export: libmq.map leaves these
 * symbols local to libmq.so, and their mq__ prefix keeps them out of the
 * way of a program that links libmq.a.
 */
#ifndef LIBMQ_INTERNAL_H
#define LIBMQ_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * 0 when @name is a valid topic or group name (1..MQ_NAME_MAX-1 bytes of
 * [A-Za-z0-9._-], neither "." nor ".."), else -EINVAL.  The kernel checks
 * names too; the library checks first because it makes paths from them.
 */
int mq__name_check(const char *name);

/*
 * Opens queue @queue of @topic as /dev/mq/<topic>/<queue> with @flags
 * (O_CLOEXEC added) and sets record mode on it: the fd, or -errno.
 */
int mq__queue_open(const char *topic, uint32_t queue, int flags);

struct mq_topic_config;
/*
 * The kernel's settings of @topic, asked on a handle of its own: 0, or
 * -errno (-EPROTO for a queue count no kernel reports).
 */
int mq__topic_config(const char *topic, struct mq_topic_config *cfg);

/*
 * The MQ_FEAT_* bits of the kernel behind queue file @fd (MQ_IOC_VERSION,
 * which queue files answer, unlike the control device, to anyone who may
 * open them): 0, or -errno.
 */
int mq__queue_features(int fd, uint64_t *features);

/* A queue's ring mapped read-only (ring.c), for the consumer and mqd. */
struct mq__ring {
	const unsigned char *ctrl;	/* the control page */
	const unsigned char *data;	/* the ring, twice */
	size_t ctrl_size, data_size;
	uint64_t ring_size;
	/* The control page's fields, at the offsets MQ_IOC_MMAP_INFO gave. */
	const uint64_t *head, *tail, *first_off, *next_off, *durable_off;
};

/* Maps both regions of the queue open on @fd: 0, or -errno (nothing mapped). */
int mq__ring_map(struct mq__ring *r, int fd);
/* Unmaps what mq__ring_map() mapped; a zeroed @r is a no-op. */
void mq__ring_unmap(struct mq__ring *r);

#endif /* LIBMQ_INTERNAL_H */
