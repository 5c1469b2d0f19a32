// SPDX-License-Identifier: GPL-2.0
/*
 * mqctl produce: messages from standard input to a topic's queues.
 *
 *   mqctl produce TOPIC [queue N] [key KEY] [nul | lenprefix]
 *
 * Input is one message per line, per NUL-terminated string (nul), or per
 * 4-byte little-endian length and that many bytes (lenprefix); a last
 * line or string without its terminator is a message too.  Empty
 * messages are skipped: the kernel refuses an empty value, because a
 * read returning 0 means end of file.  Without a key, messages go to
 * queue N, or round-robin over the topic's queues from queue 0, one
 * write(2) each.  With a key, each message is one framed record carrying
 * it, written in record mode to queue N, or to the queue Kafka's default
 * partitioner picks for the key, so that a key's messages stay in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "framing.h"
#include "parse.h"
#include "libmq.h"
#include "record.h"
#include "subcommands.h"

static void show_usage(FILE *f)
{
	fprintf(f,
		"Usage: %1$s produce TOPIC [queue N] [key KEY] [nul | lenprefix]\n"
		"       %1$s produce help\n"
		"\n"
		"Writes messages from standard input: one per line, one per\n"
		"NUL-terminated string (nul), or a 4-byte little-endian length and\n"
		"that many bytes each (lenprefix).  Empty messages are skipped.\n"
		"Without a key, to queue N or round-robin over the queues; with a key,\n"
		"as records carrying it, to queue N or to the queue of the key by\n"
		"Kafka's partitioner: (murmur2(KEY) & 0x7fffffff) %% queues.\n",
		PROG_NAME);
}

#define HELP "try \"%s produce help\""

int produce_main(int argc, char *argv[], struct options *opts)
{
	struct mq_topic_config cfg;
	struct input in = { .fd = STDIN_FILENO, .framing = LINES };
	const char *topic, *key = NULL, *framing_kw = NULL;
	bool has_queue = false, record;
	uint32_t queue = 0, q, rr = 0;
	int *fds = NULL, i, ret, fd;
	uint64_t number = 0;
	char path[sizeof("/dev/mq//") + MQ_NAME_MAX + 10];
	char *rec = NULL, *msg = NULL;
	size_t len = 0, klen = 0;
	ssize_t w;

	(void)opts;
	if (argc > 1 && !strcmp(argv[1], "help")) {
		show_usage(stdout);
		return 0;
	}
	if (argc < 2)
		return usage_error("produce: missing TOPIC, " HELP, PROG_NAME);
	topic = argv[1];
	for (i = 2; i < argc; i++) {
		const char *kw = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(kw, "nul") || !strcmp(kw, "lenprefix")) {
			if (framing_kw && !strcmp(framing_kw, kw))
				return usage_error("duplicate keyword \"%s\"", kw);
			if (framing_kw)
				return usage_error("conflicting keywords \"%s\" and \"%s\"",
						   framing_kw, kw);
			framing_kw = kw;
			in.framing = kw[0] == 'n' ? NUL : LENPREFIX;
			continue;
		}
		if (!strcmp(kw, "key")) {
			if (key)
				return usage_error("duplicate keyword \"key\"");
			if (!val)
				return usage_error("missing value for \"key\"");
			if (!*val)
				return usage_error("invalid key \"\": empty");
			key = val;
			klen = strlen(key);
			i++;
			continue;
		}
		if (strcmp(kw, "queue"))
			return usage_error("unknown keyword \"%s\", " HELP, kw,
					   PROG_NAME);
		if (has_queue)
			return usage_error("duplicate keyword \"queue\"");
		if (!val)
			return usage_error("missing value for \"queue\"");
		i++;
		ret = parse_u32(val, &queue);
		if (ret == -ERANGE)
			return usage_error("invalid queue \"%s\": out of range", val);
		if (ret)
			return usage_error("invalid queue \"%s\": not a number", val);
		has_queue = true;
	}

	ret = topic_config(topic, "produce to", &cfg);
	if (ret)
		return ret;
	if (has_queue) {
		ret = queue_check(topic, "produce to", queue, &cfg);
		if (ret)
			return ret;
	}
	record = key != NULL;
	if (record && !has_queue) {
		queue = mq_partition(key, klen, cfg.queues);
		has_queue = true;
	}

	ret = EXIT_KERNEL;
	in.max = cfg.max_msg_size;
	in.cap = (size_t)in.max + 8;
	in.buf = malloc(in.cap);
	fds = malloc(cfg.queues * sizeof(*fds));
	if (record)
		rec = malloc(MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + klen + in.max));
	if (!in.buf || !fds || (record && !rec)) {
		queue_error(-ENOMEM, NULL, "cannot produce to topic %s", topic);
		goto out;
	}
	for (q = 0; q < cfg.queues; q++)
		fds[q] = -1;

	for (;;) {
		int got = next_message(&in, &msg, &len);

		q = has_queue ? queue : rr;
		number++;
		if (got == -EMSGSIZE) {
			queue_error(got, NULL, "cannot produce message %" PRIu64 " to %s/%" PRIu32,
				    number, topic, q);
			goto out;
		}
		if (got == -EPROTO) {
			fprintf(stderr, "%s: cannot read message %" PRIu64 ": standard input ends inside it\n",
				PROG_NAME, number);
			ret = EXIT_IO;
			goto out;
		}
		if (got < 0) {
			fprintf(stderr, "%s: cannot read standard input: %s\n",
				PROG_NAME, strerror(-got));
			ret = EXIT_IO;
			goto out;
		}
		if (!got)
			break;
		if (!len)
			continue;	/* empty: skipped, as documented */

		fd = fds[q];
		if (fd < 0) {
			snprintf(path, sizeof(path), "/dev/mq/%s/%" PRIu32, topic, q);
			fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd < 0) {
				queue_error(-errno, NULL, "cannot open %s", path);
				goto out;
			}
			fds[q] = fd;
			if (record) {
				uint32_t mode = MQ_MODE_RECORD;

				if (ioctl(fd, MQ_IOC_SET_MODE, &mode)) {
					queue_error(-errno, NULL,
						    "cannot set %s to record mode", path);
					goto out;
				}
			}
		}
		if (record) {
			size_t n = record_build(rec, key, klen, msg, len);

			w = write(fd, rec, n);
		} else {
			w = write(fd, msg, len);
		}
		if (w < 0) {
			queue_error(-errno, NULL, "cannot produce message %" PRIu64 " to %s/%" PRIu32,
				    number, topic, q);
			goto out;
		}
		rr = (rr + 1) % cfg.queues;
	}
	ret = 0;
out:
	if (fds)
		for (q = 0; q < cfg.queues; q++)
			if (fds[q] >= 0)
				close(fds[q]);
	free(fds);
	free(rec);
	free(in.buf);
	return ret;
}
