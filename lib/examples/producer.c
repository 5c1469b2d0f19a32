// SPDX-License-Identifier: MIT
/*
 * producer: sends COUNT keyed messages to TOPIC and says where each went.
 *
 *   producer TOPIC COUNT
 *
 * Message i has the key "user-<i % 4>" and the value "message <i>": the
 * partitioner puts each key on one queue, so a user's messages stay in
 * order.  Build: cc -o producer producer.c $(pkg-config --cflags --libs libmq)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmq.h>

int main(int argc, char **argv)
{
	struct mq_producer *p;
	char key[32], value[64];
	int i, count, queue, ret;

	if (argc != 3 || (count = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: producer TOPIC COUNT\n");
		return 1;
	}
	ret = mq_producer_open(&p, argv[1], 0);
	if (ret < 0) {
		fprintf(stderr, "producer: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	for (i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "user-%d", i % 4);
		snprintf(value, sizeof(value), "message %d", i);
		/* -1: the queue mq_partition() picks for the key */
		queue = mq_producer_send(p, -1, key, strlen(key), value, strlen(value));
		if (queue < 0)
			break;
		printf("%s: %s -> queue %d\n", key, value, queue);
	}
	/* Nothing is written until the flush (or a full batch). */
	ret = queue < 0 ? queue : mq_producer_flush(p);
	mq_producer_close(p);
	if (ret < 0) {
		fprintf(stderr, "producer: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	return 0;
}
