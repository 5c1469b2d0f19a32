// SPDX-License-Identifier: GPL-2.0
/*
 * mqctl consume: print a topic's messages, as a private reader or as a
 * member of a consumer group.
 *
 *   mqctl [-j] consume TOPIC [queue N] [group GROUP]
 *                      [from-beginning | offset N] [follow] [count N]
 *                      [format raw|json|hex] [headers] [nul | lenprefix]
 *                      [data-dir DIR]
 *
 * Every queue (or queue N) is read in record mode, non-blocking, one
 * batch per queue in turn.  A private reader starts at the queue's next
 * offset, its oldest retained one (from-beginning) or offset N.  A member
 * joins GROUP, which, if new, starts there too, and commits what it
 * printed after each batch.  Without follow, consume exits once every
 * queue has nothing more; with it, it waits (poll) until SIGINT or
 * SIGTERM.  count N stops after N messages; a member's records read
 * beyond them are not committed and go back to the group.
 *
 * What the ring no longer holds is read from the queue's commit log
 * under mqd's data directory (data-dir DIR, else $MQ_DATA_DIR, else
 * /var/lib/mq), read-only, when it has one: from-beginning starts at the
 * log's oldest record.  A private reader reads the log until its offset
 * is in the ring (lseek(2) there succeeds), then the ring: no gap, no
 * duplicate.  A member joins with MQ_GROUP_F_LOG and, when its read says
 * EXDEV, claims a log run (MQ_GROUP_CLAIM_F_LOG_ONLY), prints it from the
 * log and commits it as it commits a read.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "parse.h"
#include "print.h"
#include "libmq.h"
#include "log.h"
#include "record.h"
#include "subcommands.h"

static void show_usage(FILE *f)
{
	fprintf(f,
		"Usage: %1$s [-j] consume TOPIC [queue N] [group GROUP]\n"
		"                      [from-beginning | offset N] [follow] [count N]\n"
		"                      [format raw|json|hex] [headers] [nul | lenprefix]\n"
		"                      [data-dir DIR]\n"
		"       %1$s consume help\n"
		"\n"
		"Prints the messages of every queue of TOPIC, or of queue N, from the\n"
		"queue's next offset, its oldest (from-beginning) or offset N; in a\n"
		"group, from where the group is (a new group starts as just said), and\n"
		"commits what it printed.  Exits when caught up, or with follow waits\n"
		"for more until SIGINT or SIGTERM; count N stops after N messages.\n"
		"raw: each value and a newline (nul: a NUL; lenprefix: a 4-byte\n"
		"little-endian length first); headers: \"queue Q offset O timestamp NS\n"
		"[key KEY]\" and a tab first.  json (or -j): an object per line, with\n"
		"topic, queue, offset, timestamp, key and value, key and value as\n"
		"strings if UTF-8, else as key_base64 and value_base64.  hex: as\n"
		"hexdump -C, after the headers line if asked.\n"
		"What the ring no longer holds is read from the queue's commit log in\n"
		"mqd's data directory DIR (default $MQ_DATA_DIR, else /var/lib/mq), if it\n"
		"has one; from-beginning then starts at the log's oldest message.\n",
		PROG_NAME);
}

#define HELP "try \"%s consume help\""

enum format { RAW, JSON, HEX };

struct consumer {
	const char *topic;
	enum format format;
	bool headers;
	char delim;		/* '\n', '\0', or 0 with lenprefix */
	bool lenprefix;
	uint64_t count;		/* 0: no limit */
	uint64_t printed;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_headers(const struct consumer *c, uint32_t q,
			  const struct mq_record *r, const char *key)
{
	printf("queue %" PRIu32 " offset %" PRIu64 " timestamp %" PRIu64,
	       q, (uint64_t)r->offset, (uint64_t)r->timestamp);
	if (r->key_len) {
		fputs(" key ", stdout);
		fwrite(key, 1, r->key_len, stdout);
	}
	putchar(c->format == HEX ? '\n' : '\t');
}

/* hexdump -C, repeated lines squeezed into "*" as it does. */
static void print_hex(const unsigned char *p, size_t len)
{
	size_t off, i, n;
	bool squeezing = false;

	for (off = 0; off < len; off += 16) {
		n = len - off < 16 ? len - off : 16;
		if (off && n == 16 && !memcmp(p + off, p + off - 16, 16)) {
			if (!squeezing)
				puts("*");
			squeezing = true;
			continue;
		}
		squeezing = false;
		printf("%08zx ", off);
		for (i = 0; i < 16; i++) {
			if (i == 8)
				putchar(' ');
			if (i < n)
				printf(" %02x", p[off + i]);
			else
				fputs("   ", stdout);
		}
		fputs("  |", stdout);
		for (i = 0; i < n; i++)
			putchar(p[off + i] >= 0x20 && p[off + i] < 0x7f ? p[off + i] : '.');
		puts("|");
	}
	printf("%08zx\n", len);
}

static void print_json_bytes(const char *name, const char *p, size_t len)
{
	if (utf8_valid((const unsigned char *)p, len)) {
		printf(",\"%s\":", name);
		json_string_len(stdout, p, len);
	} else {
		printf(",\"%s_base64\":", name);
		base64_print(stdout, (const unsigned char *)p, len);
	}
}

static void print_record(const struct consumer *c, uint32_t q,
			 const struct mq_record *r)
{
	const char *key = (const char *)r + MQ_RECORD_HDR_SIZE;
	const char *value = key + r->key_len;
	uint32_t vlen = r->value_len;

	switch (c->format) {
	case RAW:
		if (c->headers)
			print_headers(c, q, r, key);
		if (c->lenprefix) {
			putchar(vlen & 0xff);
			putchar(vlen >> 8 & 0xff);
			putchar(vlen >> 16 & 0xff);
			putchar(vlen >> 24);
		}
		fwrite(value, 1, vlen, stdout);
		if (!c->lenprefix)
			putchar(c->delim);
		break;
	case JSON:
		printf("{\"topic\":");
		json_string(stdout, c->topic);
		printf(",\"queue\":%" PRIu32 ",\"offset\":%" PRIu64
		       ",\"timestamp\":%" PRIu64, q, (uint64_t)r->offset,
		       (uint64_t)r->timestamp);
		if (r->key_len)
			print_json_bytes("key", key, r->key_len);
		else
			printf(",\"key\":null");
		print_json_bytes("value", value, vlen);
		printf("}\n");
		break;
	case HEX:
		if (c->headers)
			print_headers(c, q, r, key);
		print_hex((const unsigned char *)value, vlen);
		break;
	}
}

struct queue_file {
	int fd;
	uint32_t queue;
	uint64_t committed;	/* what this member committed last */
	struct mq_log_reader *log;	/* the queue's commit log, or NULL */
	bool in_log;		/* a private reader reading the log... */
	uint64_t log_pos;	/* ...from this offset */
};

static int seek_first(const char *topic, struct queue_file *f);

/*
 * Prints the records of @buf (@n bytes) below offset @end, as many as
 * count allows, each checked first: sets *@next past the last printed.
 * The number printed, or an exit status for a bad record (as a negative).
 */
static int print_batch(struct consumer *c, const struct queue_file *f,
		       const char *buf, size_t n, uint64_t end, uint64_t *next)
{
	const struct mq_record *r;
	size_t pos = 0;
	int printed = 0;

	while (pos < n && (!c->count || c->printed < c->count)) {
		r = (const struct mq_record *)(buf + pos);
		if (n - pos < MQ_RECORD_HDR_SIZE ||
		    r->len < MQ_RECORD_HDR_SIZE ||
		    MQ_RECORD_ALIGN(r->len) > n - pos ||
		    (uint64_t)r->key_len + r->value_len != r->len - MQ_RECORD_HDR_SIZE ||
		    mq_crc32c(buf + pos + MQ_RECORD_CRC_START,
			   r->len - MQ_RECORD_CRC_START) != r->crc)
			return -queue_error(-EBADMSG, NULL, "cannot read %s/%" PRIu32,
					    c->topic, f->queue);
		if (r->offset >= end)
			break;
		print_record(c, f->queue, r);
		c->printed++;
		*next = r->offset + 1;
		printed++;
		pos += MQ_RECORD_ALIGN(r->len);
	}
	/* Printed means written: only then is it committed. */
	if (fflush(stdout)) {
		fprintf(stderr, "%s: cannot write standard output: %s\n",
			PROG_NAME, strerror(errno));
		return -EXIT_IO;
	}
	return printed;
}

/* A member acknowledges what it printed: up to @next, never backwards. */
static int commit_to(struct consumer *c, struct queue_file *f, uint64_t next)
{
	struct mq_commit commit = { .size = sizeof(commit) };

	/* A redelivered record is acked by the same offset. */
	commit.offset = next > f->committed ? next : f->committed;
	if (ioctl(f->fd, MQ_IOC_COMMIT, &commit))
		return queue_error(-errno, NULL, "cannot commit %s/%" PRIu32
				   " at offset %" PRIu64, c->topic,
				   f->queue, (uint64_t)commit.offset);
	f->committed = commit.offset;
	return 0;
}

/*
 * Reads the records of @f's log from offset *@pos and below @end, one
 * segment's worth, and prints them: moves *@pos past what was read.  The
 * number printed (0: the log has nothing there), or an exit status as a
 * negative number.
 */
static int log_batch(struct consumer *c, struct queue_file *f, char *buf,
		     size_t cap, uint64_t *pos, uint64_t end)
{
	uint64_t next = *pos;
	ssize_t n;
	int ret;

	n = mq_log_read(f->log, *pos, buf, cap);
	if (n < 0)
		return -queue_error((int)n, NULL, "cannot read the log of %s/%" PRIu32
				    " at offset %" PRIu64, c->topic, f->queue, *pos);
	ret = print_batch(c, f, buf, (size_t)n, end, &next);
	if (ret > 0)
		*pos = next;
	return ret;
}

/*
 * A member's log run: the group's next messages are in the log alone
 * (its read said EXDEV).  Claims them and prints them from the log: 1,
 * 0 when another member took them first, or an exit status.
 */
static int consume_log_run(struct consumer *c, struct queue_file *f,
			   char *buf, size_t cap)
{
	struct mq_group_claim cl = {
		.size = sizeof(cl),
		.flags = MQ_GROUP_CLAIM_F_LOG_ONLY,
		.max = 1024,
	};
	uint64_t pos;
	int ret = 0;

	if (ioctl(f->fd, MQ_IOC_GROUP_CLAIM, &cl))
		return errno == EAGAIN ? 0 :
		       queue_error(-errno, NULL, "cannot claim from %s/%" PRIu32,
				   c->topic, f->queue);
	pos = cl.offset;
	while (pos < cl.end && (!c->count || c->printed < c->count)) {
		ret = log_batch(c, f, buf, cap, &pos, cl.end);
		if (ret < 0)
			return -ret;
		/* Gone from the log too (retention): skipped, as a drop. */
		if (!ret)
			pos = cl.end;
	}
	return commit_to(c, f, pos) ?: 1;
}

/*
 * Reads one batch of @f and prints it (as much of it as count allows):
 * 1 when there was one, 0 when there was nothing yet, or an exit status.
 */
static int consume_batch(struct consumer *c, struct queue_file *f,
			 bool group, char *buf, size_t cap)
{
	uint64_t next = 0;
	ssize_t n;
	int ret;

	if (f->in_log) {
		/* In the ring now: from here the ring has it all. */
		if (lseek(f->fd, (off_t)f->log_pos, SEEK_SET) >= 0) {
			f->in_log = false;
		} else if (errno != ERANGE) {
			return queue_error(-errno, NULL, "cannot seek %s/%" PRIu32
					   " to offset %" PRIu64, c->topic,
					   f->queue, f->log_pos);
		} else {
			ret = log_batch(c, f, buf, cap, &f->log_pos, UINT64_MAX);
			if (ret)
				return ret < 0 ? -ret : 1;
			/* Neither the log nor the ring has it: lost. */
			f->in_log = false;
			ret = seek_first(c->topic, f);
			if (ret)
				return ret;
		}
	}
	n = read(f->fd, buf, cap);
	if (n < 0 && errno == EXDEV && group && f->log)
		return consume_log_run(c, f, buf, cap);
	if (!n || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return 0;
	if (n < 0)
		return queue_error(-errno, NULL, "cannot read %s/%" PRIu32,
				   c->topic, f->queue);
	ret = print_batch(c, f, buf, (size_t)n, UINT64_MAX, &next);
	if (ret < 0)
		return -ret;
	if (group && ret)
		return commit_to(c, f, next) ?: 1;
	return 1;
}

struct first {
	uint32_t queue;
	uint64_t offset;
	bool found;
};

static int find_first(const struct mq_queue_stats *st, void *arg)
{
	struct first *fi = arg;

	if (st->queue == fi->queue) {
		fi->offset = st->first_offset;
		fi->found = true;
	}
	return 0;
}

/*
 * To the oldest offset @f's queue retains.  It moves on while we seek
 * when records go (drop policy, or no reader holding them): ERANGE, and
 * we ask again.  0, or an exit status.
 */
static int seek_first(const char *topic, struct queue_file *f)
{
	struct first fi = { .queue = f->queue };
	struct mq_admin *admin;
	int tries, ret;

	ret = admin_open(&admin);
	if (ret)
		return ret;
	for (tries = 0; tries < 10; tries++) {
		fi.found = false;
		ret = mq_admin_queue_list(admin, topic, find_first, &fi);
		if (!ret && !fi.found)
			ret = -ENOENT;
		if (ret) {
			ret = kernel_error(admin, ret, "cannot list the queues of topic %s",
					   topic);
			goto out;
		}
		if (lseek(f->fd, (off_t)fi.offset, SEEK_SET) >= 0)
			goto out;
		if (errno != ERANGE)
			break;
	}
	ret = queue_error(-errno, NULL, "cannot seek %s/%" PRIu32 " to offset %" PRIu64,
			  topic, f->queue, fi.offset);
out:
	mq_admin_close(admin);
	return ret;
}

/*
 * Opens the commit log of @f's queue in @data_dir, if it has one, and
 * says where it starts in *@first (UINT64_MAX: no log, or an empty one).
 * 0, or an exit status.
 */
static int open_log(const char *data_dir, const char *topic,
		    struct queue_file *f, uint64_t *first)
{
	char dir[4096];
	uint64_t next;
	int ret;

	*first = UINT64_MAX;
	ret = mq_log_queue_dir(dir, sizeof(dir), data_dir, topic, f->queue);
	if (ret)
		return queue_error(ret, NULL, "cannot open the log of %s/%" PRIu32,
				   topic, f->queue);
	ret = mq_log_reader_open(&f->log, dir);
	if (ret == -ENOENT) {
		f->log = NULL;
		return 0;
	}
	if (!ret)
		ret = mq_log_reader_first_offset(f->log, first);
	if (!ret)
		ret = mq_log_reader_next_offset(f->log, &next);
	if (ret)
		return queue_error(ret, NULL, "cannot open the log of %s/%" PRIu32 " in %s",
				   topic, f->queue, data_dir);
	if (*first >= next)
		*first = UINT64_MAX;
	return 0;
}

static int parse_number_kw(const char *kw, const char *val, uint64_t *v)
{
	int ret = parse_u64(val, v);

	if (ret == -ERANGE)
		return usage_error("invalid %s \"%s\": out of range", kw, val);
	if (ret)
		return usage_error("invalid %s \"%s\": not a number", kw, val);
	return 0;
}

int consume_main(int argc, char *argv[], struct options *opts)
{
	struct consumer c = { .format = RAW, .delim = '\n' };
	struct mq_topic_config cfg;
	struct queue_file *files = NULL;
	struct pollfd *pfds = NULL;
	struct sigaction sa;
	const char *group = NULL, *start_kw = NULL, *framing_kw = NULL;
	const char *format_kw = NULL, *data_dir = NULL;
	bool has_queue = false, has_count = false, follow = false;
	uint64_t queue = 0, offset = 0, log_first;
	uint32_t nfiles = 0, q;
	char path[sizeof("/dev/mq//") + MQ_NAME_MAX + 10];
	char *buf = NULL;
	size_t cap;
	int i, ret;

	if (argc > 1 && !strcmp(argv[1], "help")) {
		show_usage(stdout);
		return 0;
	}
	if (argc < 2)
		return usage_error("consume: missing TOPIC, " HELP, PROG_NAME);
	c.topic = argv[1];
	for (i = 2; i < argc; i++) {
		const char *kw = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool valued = !strcmp(kw, "queue") || !strcmp(kw, "group") ||
			      !strcmp(kw, "offset") || !strcmp(kw, "count") ||
			      !strcmp(kw, "format") || !strcmp(kw, "data-dir");

		if (!strcmp(kw, "-j") || !strcmp(kw, "--json")) {
			opts->json = true;
			continue;
		}
		if (valued && !val)
			return usage_error("missing value for \"%s\"", kw);
		if (!strcmp(kw, "queue")) {
			if (has_queue)
				return usage_error("duplicate keyword \"queue\"");
			ret = parse_number_kw(kw, val, &queue);
			if (!ret && queue > UINT32_MAX)
				ret = usage_error("invalid queue \"%s\": out of range", val);
			if (ret)
				return ret;
			has_queue = true;
		} else if (!strcmp(kw, "group")) {
			if (group)
				return usage_error("duplicate keyword \"group\"");
			if (strlen(val) >= MQ_NAME_MAX)
				return usage_error("invalid group name \"%s\": longer than %d bytes",
						   val, MQ_NAME_MAX - 1);
			group = val;
		} else if (!strcmp(kw, "from-beginning") || !strcmp(kw, "offset")) {
			if (start_kw && !strcmp(start_kw, kw))
				return usage_error("duplicate keyword \"%s\"", kw);
			if (start_kw)
				return usage_error("conflicting keywords \"%s\" and \"%s\"",
						   start_kw, kw);
			start_kw = kw;
			if (valued) {
				ret = parse_number_kw(kw, val, &offset);
				if (ret)
					return ret;
			}
		} else if (!strcmp(kw, "follow")) {
			if (follow)
				return usage_error("duplicate keyword \"follow\"");
			follow = true;
		} else if (!strcmp(kw, "count")) {
			if (has_count)
				return usage_error("duplicate keyword \"count\"");
			ret = parse_number_kw(kw, val, &c.count);
			if (ret)
				return ret;
			if (!c.count)
				return usage_error("invalid count \"%s\": not a positive number", val);
			has_count = true;
		} else if (!strcmp(kw, "format")) {
			if (format_kw)
				return usage_error("duplicate keyword \"format\"");
			if (!strcmp(val, "raw"))
				c.format = RAW;
			else if (!strcmp(val, "json"))
				c.format = JSON;
			else if (!strcmp(val, "hex"))
				c.format = HEX;
			else
				return usage_error("invalid format \"%s\": expected \"raw\", \"json\" or \"hex\"",
						   val);
			format_kw = val;
		} else if (!strcmp(kw, "data-dir")) {
			if (data_dir)
				return usage_error("duplicate keyword \"data-dir\"");
			if (!*val)
				return usage_error("invalid data-dir \"\": an empty path");
			data_dir = val;
		} else if (!strcmp(kw, "headers")) {
			if (c.headers)
				return usage_error("duplicate keyword \"headers\"");
			c.headers = true;
		} else if (!strcmp(kw, "nul") || !strcmp(kw, "lenprefix")) {
			if (framing_kw && !strcmp(framing_kw, kw))
				return usage_error("duplicate keyword \"%s\"", kw);
			if (framing_kw)
				return usage_error("conflicting keywords \"%s\" and \"%s\"",
						   framing_kw, kw);
			framing_kw = kw;
		} else {
			return usage_error("unknown keyword \"%s\", " HELP, kw,
					   PROG_NAME);
		}
		if (valued)
			i++;
	}
	if (opts->json && format_kw && c.format != JSON)
		return usage_error("conflicting \"-j\" and \"format %s\"", format_kw);
	if (opts->json)
		c.format = JSON;
	if (c.format != RAW && framing_kw)
		return usage_error("conflicting keywords \"format %s\" and \"%s\"",
				   c.format == JSON ? "json" : "hex", framing_kw);
	if (c.format == JSON && c.headers)
		return usage_error("conflicting keywords \"format json\" and \"headers\"");
	if (framing_kw && !strcmp(framing_kw, "lenprefix") && c.headers)
		return usage_error("conflicting keywords \"lenprefix\" and \"headers\"");
	if (framing_kw) {
		c.lenprefix = framing_kw[0] == 'l';
		c.delim = '\0';
	}

	if (!data_dir)
		data_dir = mq_log_data_dir();

	ret = topic_config(c.topic, "consume from", &cfg);
	if (ret)
		return ret;
	if (has_queue) {
		ret = queue_check(c.topic, "consume from", queue, &cfg);
		if (ret)
			return ret;
	}

	ret = EXIT_KERNEL;
	/* Room for the largest record the topic can hold, and then some. */
	cap = MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + (uint64_t)cfg.max_msg_size);
	if (cap < 65536)
		cap = 65536;
	buf = malloc(cap);
	files = calloc(cfg.queues, sizeof(*files));
	pfds = calloc(cfg.queues, sizeof(*pfds));
	if (!buf || !files || !pfds) {
		queue_error(-ENOMEM, NULL, "cannot consume from topic %s", c.topic);
		goto out;
	}
	for (q = has_queue ? (uint32_t)queue : 0;
	     q < (has_queue ? (uint32_t)queue + 1 : cfg.queues); q++) {
		struct queue_file *f = &files[nfiles];
		uint32_t mode = MQ_MODE_RECORD;

		snprintf(path, sizeof(path), "/dev/mq/%s/%" PRIu32, c.topic, q);
		f->queue = q;
		f->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (f->fd < 0) {
			queue_error(-errno, NULL, "cannot open %s", path);
			goto out;
		}
		pfds[nfiles].fd = f->fd;
		pfds[nfiles].events = POLLIN;
		nfiles++;
		if (ioctl(f->fd, MQ_IOC_SET_MODE, &mode)) {
			queue_error(-errno, NULL, "cannot set %s to record mode", path);
			goto out;
		}
		if (open_log(data_dir, c.topic, f, &log_first))
			goto out;
		if (group) {
			struct mq_group_join join = {
				.size = sizeof(join),
				.start = !start_kw ? MQ_GROUP_START_LATEST :
					 start_kw[0] == 'f' ? MQ_GROUP_START_EARLIEST :
					 MQ_GROUP_START_OFFSET,
				.offset = offset,
			};

			/*
			 * With a log, a new group may start where only the
			 * log has messages: a restore's start.
			 */
			if (f->log) {
				join.flags = MQ_GROUP_F_LOG;
				if (start_kw && start_kw[0] == 'f' &&
				    log_first != UINT64_MAX) {
					join.start = MQ_GROUP_START_RESTORE;
					join.offset = log_first;
				} else if (start_kw && start_kw[0] == 'o') {
					join.start = MQ_GROUP_START_RESTORE;
				}
			}
			strcpy(join.name, group);
			if (ioctl(f->fd, MQ_IOC_GROUP_JOIN, &join)) {
				queue_error(-errno, NULL, "cannot join group %s on %s/%" PRIu32,
					    group, c.topic, q);
				goto out;
			}
		} else if (start_kw && start_kw[0] == 'f') {
			if (seek_first(c.topic, f))
				goto out;
			/* The log's oldest, if older than the ring's. */
			if (log_first < (uint64_t)lseek(f->fd, 0, SEEK_CUR)) {
				f->in_log = true;
				f->log_pos = log_first;
			}
		} else if (start_kw && lseek(f->fd, (off_t)offset, SEEK_SET) < 0) {
			/* Older than the ring: the log may have it. */
			if (errno == ERANGE && f->log) {
				f->in_log = true;
				f->log_pos = offset;
				continue;
			}
			queue_error(-errno, NULL, "cannot seek %s/%" PRIu32 " to offset %" PRIu64,
				    c.topic, q, offset);
			goto out;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	while (!stop && (!c.count || c.printed < c.count)) {
		bool any = false;

		for (q = 0; q < nfiles && (!c.count || c.printed < c.count); q++) {
			ret = consume_batch(&c, &files[q], group != NULL, buf, cap);
			if (ret > 1)
				goto out;
			any |= ret == 1;
		}
		if (any)
			continue;
		if (!follow)
			break;
		if (poll(pfds, nfiles, -1) < 0 && errno != EINTR) {
			ret = queue_error(-errno, NULL, "cannot wait for %s", c.topic);
			goto out;
		}
	}
	ret = 0;
out:
	for (q = 0; q < nfiles; q++) {
		close(files[q].fd);
		mq_log_reader_close(files[q].log);
	}
	free(pfds);
	free(files);
	free(buf);
	return ret;
}
