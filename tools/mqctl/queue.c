// SPDX-License-Identifier: GPL-2.0
/*
 * mqctl queue: the queues of every topic, or of one, with their offsets
 * and counters, and with --rate how fast those counters move.
 *
 *   mqctl [-j] queue show [TOPIC] [--rate [--interval SECONDS]]
 *			      [--data-dir DIR]
 *
 * With --data-dir, each queue's commit log there (mqd's, read-only:
 * lib/log.h) adds its segments and bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dump.h"
#include "log.h"
#include "parse.h"
#include "print.h"
#include "subcommands.h"

/* --interval's bounds, in nanoseconds, and its default. */
#define INTERVAL_MIN	100000000ULL
#define INTERVAL_MAX	60000000000ULL
#define INTERVAL_DEF	1000000000ULL

static void show_usage(FILE *f)
{
	fprintf(f,
		"Usage: %1$s [-j] queue show [TOPIC] [--rate [--interval SECONDS]]\n"
		"                           [--data-dir DIR]\n"
		"       %1$s queue help\n"
		"\n"
		"One line per queue: TOPIC/QUEUE, the oldest offset the ring still\n"
		"holds (first) and the next one to be written (next), bytes and\n"
		"messages in and out, records dropped, the files open on it for\n"
		"reading and for writing, the offsets below which its records are\n"
		"durable and replicated, and whether mqd is attached as its persister.\n"
		"\n"
		"--rate reads the counters twice, SECONDS apart (default 1, from 0.1\n"
		"to 60, decimals allowed), prints the second reading and adds\n"
		"messages and bytes in and out per second over the time measured\n"
		"between them; only the queues present in both readings are shown.\n"
		"\n"
		"--data-dir DIR adds each queue's commit log in mqd's data directory\n"
		"DIR: its segments and bytes (log-segments, log-bytes).\n",
		PROG_NAME);
}

struct show_args {
	const char *topic;
	const char *data_dir;
	bool rate;
	const char *interval;	/* as given, for the messages; NULL: none */
	uint64_t interval_ns;
};

/* Per second, over the time measured between two readings of a queue. */
struct rates {
	double msgs_in, msgs_out, bytes_in, bytes_out;
};

struct printer {
	bool json;
	unsigned int count;
	const char *data_dir;	/* mqd's, for the logs; NULL: none */
	int err;		/* reading a log failed: -errno */
};

/* A queue's log under mqd's data directory, as --data-dir shows it. */
struct logstat {
	unsigned int segments;
	uint64_t bytes;
};

/* 0 with @ls filled (zeros for a queue with no log yet), or -errno. */
static int log_stat(const char *data_dir, const struct mq_queue_stats *st,
		    struct logstat *ls)
{
	struct mq_log_reader *r;
	char dir[4096];
	int ret;

	ls->segments = 0;
	ls->bytes = 0;
	ret = mq_log_queue_dir(dir, sizeof(dir), data_dir, st->topic, st->queue);
	if (ret)
		return ret;
	ret = mq_log_reader_open(&r, dir);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	ret = mq_log_reader_stat(r, &ls->segments, &ls->bytes);
	mq_log_reader_close(r);
	return ret;
}

static void print_text(const struct mq_queue_stats *st, const struct rates *r,
		       const struct logstat *ls)
{
	char a[48], b[48], c[48], d[48];

	printf("%s/%" PRIu32 " first %" PRIu64 " next %" PRIu64
	       " bytes-in %" PRIu64 " bytes-out %" PRIu64
	       " msgs-in %" PRIu64 " msgs-out %" PRIu64
	       " drops %" PRIu64 " readers %" PRIu32
	       " writers %" PRIu32 " durable %" PRIu64
	       " replicated %" PRIu64 " persister %" PRIu32,
	       st->topic, st->queue, st->first_offset, st->next_offset,
	       st->bytes_in, st->bytes_out, st->msgs_in, st->msgs_out,
	       st->drops, st->readers, st->writers, st->durable_offset,
	       st->replicated_offset, st->persister);
	if (r)
		printf(" msgs-in/s %s msgs-out/s %s bytes-in/s %s bytes-out/s %s",
		       format_rate(a, sizeof(a), r->msgs_in),
		       format_rate(b, sizeof(b), r->msgs_out),
		       format_rate(c, sizeof(c), r->bytes_in),
		       format_rate(d, sizeof(d), r->bytes_out));
	if (ls)
		printf(" log-segments %u log-bytes %" PRIu64, ls->segments,
		       ls->bytes);
	putchar('\n');
}

static void print_json(const struct mq_queue_stats *st, const struct rates *r,
		       const struct logstat *ls)
{
	char a[48], b[48], c[48], d[48];

	printf("{\"topic\":");
	json_string(stdout, st->topic);
	printf(",\"queue\":%" PRIu32 ",\"first_offset\":%" PRIu64
	       ",\"next_offset\":%" PRIu64 ",\"bytes_in\":%" PRIu64
	       ",\"bytes_out\":%" PRIu64 ",\"msgs_in\":%" PRIu64
	       ",\"msgs_out\":%" PRIu64 ",\"drops\":%" PRIu64
	       ",\"readers\":%" PRIu32 ",\"writers\":%" PRIu32
	       ",\"durable_offset\":%" PRIu64
	       ",\"replicated_offset\":%" PRIu64
	       ",\"persister\":%" PRIu32,
	       st->queue, st->first_offset, st->next_offset,
	       st->bytes_in, st->bytes_out, st->msgs_in, st->msgs_out,
	       st->drops, st->readers, st->writers, st->durable_offset,
	       st->replicated_offset, st->persister);
	if (r)
		printf(",\"msgs_in_rate\":%s,\"msgs_out_rate\":%s"
		       ",\"bytes_in_rate\":%s,\"bytes_out_rate\":%s",
		       format_rate(a, sizeof(a), r->msgs_in),
		       format_rate(b, sizeof(b), r->msgs_out),
		       format_rate(c, sizeof(c), r->bytes_in),
		       format_rate(d, sizeof(d), r->bytes_out));
	if (ls)
		printf(",\"log_segments\":%u,\"log_bytes\":%" PRIu64,
		       ls->segments, ls->bytes);
	putchar('}');
}

static void print_queue(struct printer *p, const struct mq_queue_stats *st,
			const struct rates *r)
{
	struct logstat ls, *lsp = NULL;
	int ret;

	if (p->data_dir) {
		ret = log_stat(p->data_dir, st, &ls);
		if (ret) {
			fprintf(stderr, "%s: cannot read the log of %s/%" PRIu32
				" in %s: %s\n", PROG_NAME, st->topic, st->queue,
				p->data_dir, strerror(-ret));
			if (!p->err)
				p->err = ret;
		}
		lsp = &ls;
	}
	if (!p->json) {
		print_text(st, r, lsp);
	} else {
		/* The array opens with its first item: a failure prints nothing. */
		putchar(p->count ? ',' : '[');
		print_json(st, r, lsp);
	}
	p->count++;
}

static int print_cb(const struct mq_queue_stats *st, void *arg)
{
	print_queue(arg, st, NULL);
	return 0;
}

static int take_interval(const char *val, struct show_args *a)
{
	int ret;

	if (a->interval)
		return usage_error("duplicate option \"--interval\"");
	if (!val)
		return usage_error("missing value for \"--interval\"");
	ret = parse_seconds(val, &a->interval_ns);
	if (ret == -EINVAL)
		return usage_error("invalid --interval \"%s\": not a number of seconds",
				   val);
	if (ret || a->interval_ns < INTERVAL_MIN || a->interval_ns > INTERVAL_MAX)
		return usage_error("invalid --interval \"%s\": out of range (0.1 to 60 seconds)",
				   val);
	a->interval = val;
	return 0;
}

static int parse_show(int argc, char *argv[], struct options *opts,
		      struct show_args *a)
{
	int i, ret;

	a->interval_ns = INTERVAL_DEF;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			opts->json = true;
		} else if (!strcmp(argv[i], "--rate")) {
			if (a->rate)
				return usage_error("duplicate option \"--rate\"");
			a->rate = true;
		} else if (!strcmp(argv[i], "--interval")) {
			ret = take_interval(i + 1 < argc ? argv[i + 1] : NULL, a);
			if (ret)
				return ret;
			i++;
		} else if (!strncmp(argv[i], "--interval=", 11)) {
			ret = take_interval(argv[i] + 11, a);
			if (ret)
				return ret;
		} else if (!strcmp(argv[i], "--data-dir")) {
			if (a->data_dir)
				return usage_error("duplicate option \"--data-dir\"");
			if (i + 1 >= argc || !argv[i + 1][0])
				return usage_error("missing value for \"--data-dir\"");
			a->data_dir = argv[++i];
		} else if (argv[i][0] == '-') {
			return usage_error("unknown option \"%s\", try \"%s queue help\"",
					   argv[i], PROG_NAME);
		} else if (!a->topic) {
			a->topic = argv[i];
		} else {
			return usage_error("unexpected argument \"%s\", try \"%s queue help\"",
					   argv[i], PROG_NAME);
		}
	}
	/* An interval alone samples nothing: say so rather than guess. */
	if (a->interval && !a->rate)
		return usage_error("\"--interval\" needs \"--rate\", try \"%s queue help\"",
				   PROG_NAME);
	if (a->topic && strlen(a->topic) >= MQ_NAME_MAX)
		return usage_error("invalid topic name \"%s\": longer than %d bytes",
				   a->topic, MQ_NAME_MAX - 1);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/*
 * One reading of the queues, and when it was taken: the middle of the
 * dump, which for many queues takes a while itself.
 */
static int sample(struct mq_admin *admin, const char *topic, struct dump *d,
		  uint64_t *when)
{
	uint64_t start = now_ns();
	int ret;

	ret = mq_admin_queue_list(admin, topic, dump_queue, d);
	*when = start + (now_ns() - start) / 2;
	return ret;
}

/* Until @deadline on CLOCK_MONOTONIC, a signal or not. */
static void sleep_until(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / 1000000000,
		.tv_nsec = deadline % 1000000000,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/*
 * @st's queue in the first reading, or NULL.  Both dumps come in the
 * kernel's order, so the search starts where the last one matched.
 */
static const struct mq_queue_stats *find_before(const struct dump *before,
						const struct mq_queue_stats *st,
						size_t *cursor)
{
	const struct mq_queue_stats *b;
	size_t i, k;

	for (k = 0; k < before->n; k++) {
		i = (*cursor + k) % before->n;
		b = dump_item(before, struct mq_queue_stats, i);
		if (b->queue == st->queue && !strcmp(b->topic, st->topic)) {
			*cursor = i + 1;
			return b;
		}
	}
	return NULL;
}

/*
 * Counters only grow: one that went back belongs to a topic deleted and
 * added again between the readings, another queue under the same name.
 */
static bool same_queue(const struct mq_queue_stats *b,
		       const struct mq_queue_stats *a)
{
	return a->msgs_in >= b->msgs_in && a->msgs_out >= b->msgs_out &&
	       a->bytes_in >= b->bytes_in && a->bytes_out >= b->bytes_out;
}

static int show_rates(struct mq_admin *admin, const struct show_args *a,
		      struct printer *p)
{
	struct dump before = DUMP_INIT(struct mq_queue_stats);
	struct dump after = DUMP_INIT(struct mq_queue_stats);
	const struct mq_queue_stats *b, *st;
	uint64_t t0, t1;
	size_t i, cursor = 0;
	struct rates r;
	double secs;
	int ret;

	ret = sample(admin, a->topic, &before, &t0);
	/* No queue: no such topic, known without waiting (queue_show()). */
	if (ret || (a->topic && !before.n))
		goto out;
	sleep_until(t0 + a->interval_ns);
	ret = sample(admin, a->topic, &after, &t1);
	if (ret)
		goto out;
	/* The time measured, not the one asked for: a sleep runs over. */
	secs = (double)(t1 - t0) / 1e9;
	for (i = 0; i < after.n; i++) {
		st = dump_item(&after, struct mq_queue_stats, i);
		b = find_before(&before, st, &cursor);
		if (!b || !same_queue(b, st))
			continue;
		r.msgs_in = (double)(st->msgs_in - b->msgs_in) / secs;
		r.msgs_out = (double)(st->msgs_out - b->msgs_out) / secs;
		r.bytes_in = (double)(st->bytes_in - b->bytes_in) / secs;
		r.bytes_out = (double)(st->bytes_out - b->bytes_out) / secs;
		print_queue(p, st, &r);
	}
out:
	dump_free(&after);
	dump_free(&before);
	return ret;
}

static int queue_show(int argc, char *argv[], struct options *opts)
{
	struct show_args a = { 0 };
	struct printer p = { 0 };
	struct mq_admin *admin;
	int ret;

	ret = parse_show(argc, argv, opts, &a);
	if (ret)
		return ret;
	p.json = opts->json;
	p.data_dir = a.data_dir;

	ret = admin_open(&admin);
	if (ret)
		return ret;
	if (a.rate)
		ret = show_rates(admin, &a, &p);
	else
		ret = mq_admin_queue_list(admin, a.topic, print_cb, &p);
	/* Every topic has a queue: none at all means there is no such topic. */
	if (!ret && a.topic && !p.count)
		ret = -ENOENT;
	if (p.json && (p.count || !ret))
		printf("%s\n", p.count ? "]" : "[]");
	if (ret && a.topic)
		ret = kernel_error(admin, ret, "cannot list the queues of topic %s",
				   a.topic);
	else if (ret)
		ret = kernel_error(admin, ret, "cannot list queues");
	/* A log that could not be read was said already, queue by queue. */
	else if (p.err)
		ret = EXIT_IO;
	mq_admin_close(admin);
	return ret;
}

int queue_main(int argc, char *argv[], struct options *opts)
{
	const char *cmd = argc > 1 ? argv[1] : "show";

	argc = argc > 1 ? argc - 2 : 0;
	argv += 2;
	if (!strcmp(cmd, "show"))
		return queue_show(argc, argv, opts);
	if (!strcmp(cmd, "help")) {
		show_usage(stdout);
		return 0;
	}
	return usage_error("unknown command \"%s\", try \"%s queue help\"", cmd,
			   PROG_NAME);
}
