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

static int print(const struct mq_message *m, void *arg)
{
	struct mq_consumer *c = arg;

	printf("queue %u offset %llu key %.*s value %.*s\n", m->queue,
	       (unsigned long long)m->offset, (int)m->key_len,
	       m->key ? (const char *)m->key : "", (int)m->value_len,
	       (const char *)m->value);
	/*
	 * At-least-once: commit what was printed.  Recorded only, the highest
	 * per queue; the next poll (or the close) issues it.
	 */
	return mq_consumer_commit_async(c, m->queue, m->offset + 1);
}

static int commit_failed;

static void committed(uint32_t queue, uint64_t offset, int error, void *arg)
{
	(void)arg;
	if (!error)
		return;
	fprintf(stderr, "consumer: commit of queue %u at %llu: %s\n", queue,
		(unsigned long long)offset, strerror(-error));
	commit_failed = 1;
}

int main(int argc, char **argv)
{
	struct mq_consumer *c;
	long count = argc > 3 ? atol(argv[3]) : -1, got = 0;
	int ret;

	if (argc < 3 || argc > 4 || count == 0) {
		fprintf(stderr, "usage: consumer TOPIC GROUP [COUNT]\n");
		return 1;
	}
	ret = mq_consumer_open(&c, argv[1], argv[2], MQ_GROUP_START_EARLIEST, 0);
	if (ret < 0) {
		fprintf(stderr, "consumer: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	mq_consumer_set_commit_cb(c, committed, NULL);
	while (count < 0 || got < count) {
		fflush(stdout);
		ret = mq_consumer_poll(c, -1, print, c);
		if (ret < 0)
			break;
		got += ret;
	}
	fflush(stdout);
	/* Issues the commits the last poll recorded. */
	mq_consumer_close(c);
	if (ret < 0) {
		fprintf(stderr, "consumer: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	return commit_failed;
}
