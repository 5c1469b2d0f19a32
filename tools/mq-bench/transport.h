/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The transports mq-bench compares, behind one interface, so that every
 * one of them is driven by the same loops in measure.c.
 *
 * A channel is one direction of a transport: a producer end and a
 * consumer end.  The parent makes it before it forks; each child keeps
 * the end it uses and closes the other (so a pipe or a socket sees its
 * peer go away); the parent closes its copies once both children run.
 * The solo measurement's one child keeps both ends.
 */
#ifndef MQ_BENCH_TRANSPORT_H
#define MQ_BENCH_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bench_opts;

enum chan_end {
	CHAN_TX,		/* the producer's end */
	CHAN_RX,		/* the consumer's end */
};

struct chan {
	int tx;			/* descriptor the producer writes, or -1 */
	int rx;			/* descriptor the consumer reads, or -1 */
	void *mem;		/* shared memory (the shm ring), or NULL */
	size_t mem_len;
	size_t msg_size;	/* every message on it has this size */
	/*
	 * shm ring: each end's last reading of the other end's counter.  Two
	 * fields, not one, so that one process may hold both ends.
	 */
	uint32_t tx_seen;	/* the consumer's head, as the producer saw it */
	uint32_t rx_seen;	/* the producer's tail, as the consumer saw it */
	/*
	 * The consumer end's own state (the mmap and record-mode consumers
	 * of /dev/mq), or NULL: the transport's keep() and close() free it.
	 */
	void *rx_state;
};

struct transport {
	const char *name;	/* as --transports spells it */
	const char *title;	/* as the tables print it */
	/*
	 * Moves nothing (null): what it receives is not what was sent, so
	 * only lengths are checked, and only the solo measurement runs it.
	 */
	bool no_data;
	/*
	 * Once per run, before any channel.  -errno on failure, with a
	 * line for the user in @why.  -ENOTSUP and -ENOENT mean "this
	 * transport is not available here", not "it is broken".
	 */
	int (*setup)(const struct bench_opts *o, char *why, size_t why_len);
	void (*teardown)(void);
	/* Channel @id: 0 forward, 1 the ping-pong's way back.  -errno. */
	int (*open)(struct chan *ch, const struct bench_opts *o,
		    unsigned int id, size_t msg_size, char *why, size_t why_len);
	/* In a child: drop the end this process does not use. */
	void (*keep)(struct chan *ch, enum chan_end end);
	/* Everything still open in this process. */
	void (*close)(struct chan *ch);
	/* One message, whole.  0 or -errno. */
	int (*send)(struct chan *ch, const void *buf, size_t len);
	/* One message into @buf (@len = ch->msg_size): its length or -errno. */
	ssize_t (*recv)(struct chan *ch, void *buf, size_t len);
	/*
	 * How many messages the channel, just opened and empty, holds before
	 * a send would block, or -errno with @why.  By the transport's own
	 * accounting, so that a process holding both ends can send that many
	 * and then receive them without deadlocking.
	 */
	long (*capacity)(struct chan *ch, char *why, size_t why_len);
};

extern const struct transport t_mq;
extern const struct transport t_mq_mmap;
extern const struct transport t_mq_record;
extern const struct transport t_pipe;
extern const struct transport t_unix;
extern const struct transport t_posixmq;
extern const struct transport t_shmring;
extern const struct transport t_null;

/* Shared by the fd-based transports. */
void chan_init(struct chan *ch, size_t msg_size);
void chan_keep_fds(struct chan *ch, enum chan_end end);
void chan_close_fds(struct chan *ch);

/*
 * Shared by the /dev/mq transports (t_mq.c), which differ only in their
 * consumer: one topic serves them all, made by the first setup and
 * deleted by the last teardown.  devmq_setup() also checks that the
 * loaded module has @features (MQ_FEAT_*, @feature_name as the uapi
 * header spells them), -ENOTSUP otherwise.  devmq_open() opens the
 * consumer's descriptor, then the producer's.
 */
int devmq_setup(const struct bench_opts *o, uint64_t features,
		const char *feature_name, char *why, size_t why_len);
void devmq_teardown(void);
int devmq_open(struct chan *ch, const struct bench_opts *o, unsigned int id,
	       size_t msg_size, char *why, size_t why_len);
int devmq_send(struct chan *ch, const void *buf, size_t len);
long devmq_capacity(struct chan *ch, char *why, size_t why_len);

#endif /* MQ_BENCH_TRANSPORT_H */
