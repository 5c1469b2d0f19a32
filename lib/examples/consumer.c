// SPDX-License-Identifier: MIT
/*
 * consumer: reads TOPIC as a member of consumer group GROUP, prints each
 * message and commits what it printed.
 *
 *   consumer TOPIC GROUP [COUNT]
 *
 * A new group starts at the oldest message; one that exists goes on from
 * what it committed.  Stops once it has printed COUNT messages or more
 * (a poll prints all that is ready), or runs until killed.
 * Build: cc -o consumer consumer.c $(pkg-config --cflags --libs libmq)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmq.h>

/* The offset after the last message printed, per queue: what to commit. */
static uint64_t next[MQ_QUEUES_MAX];

static int print(const struct mq_message *m, void *arg)
{
	(void)arg;
	printf("queue %u offset %llu key %.*s value %.*s\n", m->queue,
	       (unsigned long long)m->offset, (int)m->key_len,
	       m->key ? (const char *)m->key : "", (int)m->value_len,
	       (const char *)m->value);
	next[m->queue] = m->offset + 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct mq_consumer *c;
	long count = argc > 3 ? atol(argv[3]) : -1, got = 0;
	int q, ret;

	if (argc < 3 || argc > 4 || count == 0) {
		fprintf(stderr, "usage: consumer TOPIC GROUP [COUNT]\n");
		return 1;
	}
	ret = mq_consumer_open(&c, argv[1], argv[2], MQ_GROUP_START_EARLIEST, 0);
	if (ret < 0) {
		fprintf(stderr, "consumer: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	while (count < 0 || got < count) {
		ret = mq_consumer_poll(c, -1, print, NULL);
		if (ret < 0)
			break;
		got += ret;
		/* At-least-once: commit only what was printed. */
		fflush(stdout);
		for (q = 0; q < mq_consumer_queues(c); q++) {
			if (next[q] && (ret = mq_consumer_commit(c, q, next[q])) < 0)
				break;
			next[q] = 0;
		}
		if (ret < 0)
			break;
	}
	mq_consumer_close(c);
	if (ret < 0) {
		fprintf(stderr, "consumer: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	return 0;
}
