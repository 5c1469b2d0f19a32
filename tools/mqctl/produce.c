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

enum framing { LINES, NUL, LENPREFIX };

struct input {
	char *buf;
	size_t cap, start, end;
	uint32_t max;		/* the topic's max_msg_size */
	enum framing framing;
	bool eof;
};

/*
 * The next message at *msg, *len; 1, or 0 at the end of the input,
 * -EMSGSIZE for one larger than the topic takes, -EPROTO for a
 * length-prefixed one cut short, or a read(2) error.
 */
static int next_message(struct input *in, char **msg, size_t *len)
{
	char delim = in->framing == NUL ? '\0' : '\n';
	size_t avail, want;
	uint32_t n;
	ssize_t got;
	char *p;

	for (;;) {
		avail = in->end - in->start;
		p = in->buf + in->start;
		if (in->framing == LENPREFIX) {
			if (avail >= 4) {
				n = (uint32_t)(unsigned char)p[0] |
				    (uint32_t)(unsigned char)p[1] << 8 |
				    (uint32_t)(unsigned char)p[2] << 16 |
				    (uint32_t)(unsigned char)p[3] << 24;
				if (n > in->max)
					return -EMSGSIZE;
				want = 4 + (size_t)n;
				if (avail >= want) {
					*msg = p + 4;
					*len = n;
					in->start += want;
					return 1;
				}
			}
			if (in->eof)
				return avail ? -EPROTO : 0;
		} else {
			char *d = memchr(p, delim, avail);

			if (d) {
				*msg = p;
				*len = (size_t)(d - p);
				in->start += *len + 1;
				return *len > in->max ? -EMSGSIZE : 1;
			}
			if (avail > in->max)
				return -EMSGSIZE;
			if (in->eof) {
				if (!avail)
					return 0;
				*msg = p;
				*len = avail;
				in->start = in->end;
				return 1;
			}
		}
		/* Room for the rest: the buffer holds a whole message. */
		memmove(in->buf, p, avail);
		in->start = 0;
		in->end = avail;
		do
			got = read(STDIN_FILENO, in->buf + in->end,
				   in->cap - in->end);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return -errno;
		if (!got)
			in->eof = true;
		in->end += (size_t)got;
	}
}

int produce_main(int argc, char *argv[], struct options *opts)
{
	struct mq_topic_config cfg;
	struct input in = { .framing = LINES };
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
	if (has_queue && queue >= cfg.queues) {
		char why[64];

		snprintf(why, sizeof(why), "the topic has %" PRIu32 " queue%s",
			 cfg.queues, cfg.queues == 1 ? "" : "s");
		return queue_error(-ENOENT, why, "cannot produce to queue %s/%" PRIu32,
				   topic, queue);
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
