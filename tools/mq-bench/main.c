// SPDX-License-Identifier: GPL-2.0
/*
 * mq-bench: /dev/mq side by side with the IPC it competes with, in one
 * run, measured the same way: producer -> consumer throughput per message
 * size, ping-pong round trips, and (--measure solo) what each side's
 * calls cost in one process.  See Documentation/benchmarks.rst.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/mq.h>

#include "bench.h"

/* Exit statuses. */
#define EXIT_FAILED	1	/* a test failed: see the notes */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_UNAVAIL	3	/* a transport asked for is not available here */

#define QUICK_COUNT	2000

/*
 * In table order: /dev/mq first, the reference of every ratio, then its
 * other consumers; null, the floor that moves no data, last.
 */
static const struct transport *const all[] = {
	&t_mq, &t_mq_mmap, &t_mq_record, &t_pipe, &t_unix, &t_posixmq, &t_shmring,
	&t_null,
};
#define NTRANSPORTS	(sizeof(all) / sizeof(all[0]))

static const struct {
	const char *name;
	unsigned int bit;
} measures[] = {
	{ "tput", MEASURE_TPUT },
	{ "pp", MEASURE_PP },
	{ "solo", MEASURE_SOLO },
};
#define NMEASURES	(sizeof(measures) / sizeof(measures[0]))

static void usage(FILE *f)
{
	fprintf(f,
"usage: mq-bench [options]\n"
"\n"
"Measures /dev/mq and its peers in one run: throughput from a producer\n"
"process to a consumer process, ping-pong round trips, and (-m solo) the\n"
"cost of each side's calls in one process, with no peer to wake.\n"
"\n"
"  -m, --measure LIST     comma-separated, of: tput (throughput), pp\n"
"                         (ping-pong), solo (one process sends a batch, then\n"
"                         receives it back: ns per send and per receive)\n"
"                         (default: tput,pp)\n"
"  -t, --transports LIST  comma-separated, of: mq, mq-mmap, mq-record, pipe,\n"
"                         unix, posixmq, shmring, null (default: all; mq-mmap\n"
"                         and mq-record are /dev/mq read by an mmap consumer\n"
"                         and in record mode; null, a write to /dev/null and\n"
"                         a read from /dev/zero that move no data, is\n"
"                         measured by solo only)\n"
"  -s, --size LIST        throughput and solo message sizes in bytes,\n"
"                         comma-separated, %d..%d (default: 64,4096)\n"
"  -p, --pp-size S        ping-pong message size (default: 64)\n"
"  -n, --count N          messages (and round trips) per test\n"
"  -d, --duration SEC     seconds per test instead (default: 1)\n"
"  -r, --repeat N         rounds, transports in rotating order; medians are\n"
"                         shown (default: 3, at most %d)\n"
"  -b, --buffer BYTES     what each transport may hold in flight, a power\n"
"                         of two; K and M suffixes (default: 1M)\n"
"      --topic NAME       use this existing topic for /dev/mq, for mq,\n"
"                         mq-mmap and mq-record (queue 0; and queue 1 for\n"
"                         ping-pong) instead of creating one\n"
"      --no-pin           do not pin the two processes to CPUs 0 and 1\n"
"  -q, --quick            a smoke test: --count %d --repeat 1\n"
"  -j, --json             JSON instead of tables\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 when every test moved and verified every message, 1 when one\n"
"failed, 2 on a bad command line, 3 when a transport is not available here.\n",
		BENCH_SIZE_MIN, BENCH_SIZE_MAX, BENCH_REPEAT_MAX, QUICK_COUNT);
}

static void __attribute__((noreturn, format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	fputs("mq-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	exit(EXIT_USAGE);
}

/* A whole unsigned number with an optional K or M (binary) suffix. */
static int parse_u64(const char *s, bool suffix, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (suffix && (*end == 'K' || *end == 'k' || *end == 'M' || *end == 'm')) {
		unsigned int shift = (*end == 'K' || *end == 'k') ? 10 : 20;

		if (n > (ULLONG_MAX >> shift))
			return -ERANGE;
		n <<= shift;
		end++;
	}
	if (*end)
		return -EINVAL;
	*v = n;
	return 0;
}

static uint64_t parse_num(const char *opt, const char *arg, bool suffix,
			  uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_u64(arg, suffix, &v))
		bad("%s takes a whole number%s, not '%s'", opt,
		    suffix ? " (K or M suffix allowed)" : "", arg);
	if (v < min || v > max)
		bad("%s must be in [%llu, %llu], not %llu", opt,
		    (unsigned long long)min, (unsigned long long)max,
		    (unsigned long long)v);
	return v;
}

static void parse_sizes(struct bench_opts *o, const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	unsigned int i;

	if (!copy)
		bad("out of memory");
	o->nsizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t v = parse_num("--size", tok, true, BENCH_SIZE_MIN, BENCH_SIZE_MAX);

		for (i = 0; i < o->nsizes; i++)
			if (o->sizes[i] == v)
				bad("--size lists %zu twice", v);
		if (o->nsizes == BENCH_SIZES_MAX)
			bad("--size takes at most %d sizes", BENCH_SIZES_MAX);
		o->sizes[o->nsizes++] = v;
	}
	if (!o->nsizes)
		bad("--size needs at least one size");
	free(copy);
}

static unsigned int parse_transports(const char *arg, bool chosen[NTRANSPORTS])
{
	char *copy = strdup(arg), *tok, *save = NULL;
	unsigned int i, n = 0;

	if (!copy)
		bad("out of memory");
	memset(chosen, 0, NTRANSPORTS * sizeof(chosen[0]));
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NTRANSPORTS; i++)
			if (!strcmp(tok, all[i]->name))
				break;
		if (i == NTRANSPORTS)
			bad("--transports: no transport '%s' (mq, mq-mmap, mq-record, pipe, unix, posixmq, shmring, null)",
			    tok);
		if (chosen[i])
			bad("--transports lists '%s' twice", tok);
		chosen[i] = true;
		n++;
	}
	if (!n)
		bad("--transports needs at least one transport");
	free(copy);
	return n;
}

static unsigned int parse_measure(const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	unsigned int i, bits = 0;

	if (!copy)
		bad("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NMEASURES; i++)
			if (!strcmp(tok, measures[i].name))
				break;
		if (i == NMEASURES)
			bad("--measure: no measurement '%s' (tput, pp, solo)", tok);
		if (bits & measures[i].bit)
			bad("--measure lists '%s' twice", tok);
		bits |= measures[i].bit;
	}
	if (!bits)
		bad("--measure needs at least one measurement");
	free(copy);
	return bits;
}

/*
 * A transport that moves no data (null) is measured by solo alone: left
 * out unless solo runs, and refused when named without it.  Throughput
 * and ping-pong need some transport that moves data.
 */
static void check_no_data(const struct bench_opts *o, bool chosen[NTRANSPORTS],
			  bool named)
{
	unsigned int i, moving = 0;

	for (i = 0; i < NTRANSPORTS; i++) {
		if (!all[i]->no_data) {
			moving += chosen[i];
			continue;
		}
		if (o->measure & MEASURE_SOLO)
			continue;
		if (chosen[i] && named)
			bad("--transports %s: it moves no data, only --measure solo runs it",
			    all[i]->name);
		chosen[i] = false;
	}
	if ((o->measure & (MEASURE_TPUT | MEASURE_PP)) && !moving)
		bad("--measure tput and pp need a transport that moves data, not null alone");
}

/* Whether a /dev/mq transport (one of its consumers) is chosen. */
static bool uses_devmq(const bool chosen[NTRANSPORTS])
{
	unsigned int i;

	for (i = 0; i < NTRANSPORTS; i++)
		if (chosen[i] && (all[i] == &t_mq || all[i] == &t_mq_mmap ||
				  all[i] == &t_mq_record))
			return true;
	return false;
}

static double parse_duration(const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= 0.01 && v <= 3600))
		bad("--duration takes seconds in [0.01, 3600], not '%s'", arg);
	return v;
}

/* The rules of uapi/linux/mq.h for topic names. */
static void check_topic(const char *name)
{
	size_t len = strlen(name), i;

	if (!len || len >= MQ_NAME_MAX)
		bad("--topic must be 1 to %d bytes long", MQ_NAME_MAX - 1);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			bad("--topic '%s': a topic name is made of A-Z a-z 0-9 . _ -", name);
	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, "control"))
		bad("--topic '%s' cannot be a topic's name", name);
}

/*
 * Slab debugging slows every allocation, and the peers allocate per
 * message (an skb, a msg_msg, a pipe page) where /dev/mq's ring does
 * not: a table made under it flatters /dev/mq, so say so.
 */
static void note_debug_kernel(void)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "re");
	const char *opts[] = { "slub_debug", "init_on_free=1", "init_on_alloc=1",
			       "page_poison=1", "kasan" };
	char found[128] = "";
	unsigned int i;

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strstr(line, opts[i])) {
			if (found[0])
				strcat(found, " ");
			strcat(found, opts[i]);
		}
	if (found[0])
		note("the kernel runs with %s: allocations are slowed, and the peers allocate per message where /dev/mq does not",
		     found);
}

/* Round @r of one transport: every measurement asked for.  130 on SIGINT. */
static int run_round(struct row *row, const struct bench_opts *o, unsigned int r)
{
	bool data = !row->t->no_data;
	unsigned int s;

	for (s = 0; data && (o->measure & MEASURE_TPUT) && s < o->nsizes; s++) {
		measure_throughput(row->t, o, o->sizes[s], &row->tput[s][r]);
		if (row->tput[s][r].err == -EINTR)
			return 130;
	}
	if (data && (o->measure & MEASURE_PP)) {
		measure_pingpong(row->t, o, o->pp_size, &row->pp[r]);
		if (row->pp[r].err == -EINTR)
			return 130;
	}
	for (s = 0; (o->measure & MEASURE_SOLO) && s < o->nsizes; s++) {
		measure_solo(row->t, o, o->sizes[s], &row->solo[s][r]);
		if (row->solo[s][r].err == -EINTR)
			return 130;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "measure",	required_argument, NULL, 'm' },
		{ "transports",	required_argument, NULL, 't' },
		{ "size",	required_argument, NULL, 's' },
		{ "pp-size",	required_argument, NULL, 'p' },
		{ "count",	required_argument, NULL, 'n' },
		{ "duration",	required_argument, NULL, 'd' },
		{ "repeat",	required_argument, NULL, 'r' },
		{ "buffer",	required_argument, NULL, 'b' },
		{ "topic",	required_argument, NULL, 'T' },
		{ "no-pin",	no_argument,	   NULL, 'P' },
		{ "quick",	no_argument,	   NULL, 'q' },
		{ "json",	no_argument,	   NULL, 'j' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = {
		.measure = MEASURE_TPUT | MEASURE_PP,
		.duration = 1.0,
		.sizes = { 64, 4096 },
		.nsizes = 2,
		.pp_size = 64,
		.repeat = 3,
		.buffer = 1 << 20,
		.pin = true,
	};
	bool chosen[NTRANSPORTS], named = false, have_count = false, have_duration = false;
	bool have_repeat = false, ready[NTRANSPORTS] = { false };
	static struct row rows[NTRANSPORTS];
	struct run_info ri = { .argc = argc, .argv = argv };
	unsigned int i, nrows = 0, r, k, s;
	size_t largest;
	sigset_t block;
	int c, ret, status = 0;
	long cpus;

	for (i = 0; i < NTRANSPORTS; i++)
		chosen[i] = true;
	while ((c = getopt_long(argc, argv, "m:t:s:p:n:d:r:b:qjh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.measure = parse_measure(optarg);
			break;
		case 't':
			parse_transports(optarg, chosen);
			named = true;
			break;
		case 's':
			parse_sizes(&o, optarg);
			break;
		case 'p':
			o.pp_size = parse_num("--pp-size", optarg, true, BENCH_SIZE_MIN,
					      BENCH_SIZE_MAX);
			break;
		case 'n':
			o.count = parse_num("--count", optarg, true, 1, 1ULL << 40);
			have_count = true;
			break;
		case 'd':
			o.duration = parse_duration(optarg);
			have_duration = true;
			break;
		case 'r':
			o.repeat = parse_num("--repeat", optarg, false, 1, BENCH_REPEAT_MAX);
			have_repeat = true;
			break;
		case 'b':
			o.buffer = parse_num("--buffer", optarg, true, BENCH_BUFFER_MIN,
					     BENCH_BUFFER_MAX);
			if (o.buffer & (o.buffer - 1))
				bad("--buffer must be a power of two, not %zu", o.buffer);
			break;
		case 'T':
			check_topic(optarg);
			o.topic = optarg;
			break;
		case 'P':
			o.pin = false;
			break;
		case 'q':
			o.quick = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		bad("unexpected argument '%s'", argv[optind]);
	if (have_count && have_duration)
		bad("give --count or --duration, not both");
	if (o.quick && have_duration)
		bad("--quick counts messages: it does not take --duration");
	if (o.quick) {
		if (!have_count)
			o.count = QUICK_COUNT;
		if (!have_repeat)
			o.repeat = 1;
	}
	check_no_data(&o, chosen, named);
	if (o.topic && !uses_devmq(chosen))
		bad("--topic is for /dev/mq, which --transports leaves out");
	largest = o.pp_size;
	for (s = 0; s < o.nsizes; s++)
		if (o.sizes[s] > largest)
			largest = o.sizes[s];
	/* mq's rule, the strictest: the largest record fits twice in the ring. */
	if (o.buffer < 2 * (MQ_RECORD_HDR_SIZE + largest))
		bad("--buffer %zu cannot hold two %zu-byte messages with their headers",
		    o.buffer, largest);

	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ri.cpus = cpus > 0 ? cpus : 1;
	if (o.pin && ri.cpus < 2) {
		o.pin = false;
		note("one CPU online: the two processes share it (not pinned)");
	} else if (!o.pin) {
		note("not pinned: a process that moves between CPUs whose TSCs are offset (\"TSCs unsynchronized\" in dmesg) times wrongly");
	}

	note_debug_kernel();

	/* The children get the signals; we take them in sigtimedwait(). */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);

	ret = clock_calibrate();
	if (ret) {
		fprintf(stderr, "mq-bench: cannot calibrate the TSC against CLOCK_MONOTONIC\n");
		return EXIT_FAILED;
	}

	for (i = 0; i < NTRANSPORTS; i++) {
		char why[256] = "";

		if (!chosen[i])
			continue;
		if (all[i]->setup) {
			ret = all[i]->setup(&o, why, sizeof(why));
			if (ret) {
				bool unavail = ret == -ENOTSUP || ret == -ENOENT;

				fprintf(stderr, "mq-bench: %s: %s%s\n", all[i]->name, why,
					unavail ? " (--transports can leave it out)" : "");
				status = unavail ? EXIT_UNAVAIL : EXIT_FAILED;
				break;
			}
		}
		ready[i] = true;
		rows[nrows++].t = all[i];
	}

	/*
	 * Rounds: every transport once per round, starting one further each
	 * time, so that a drift in the host's load is spread over them all.
	 */
	for (r = 0; !status && r < o.repeat; r++) {
		for (k = 0; k < nrows && !status; k++)
			status = run_round(&rows[(k + r) % nrows], &o, r);
		if (!status)
			ri.rounds = r + 1;
	}

	for (i = 0; i < NTRANSPORTS; i++)
		if (ready[i] && all[i]->teardown)
			all[i]->teardown();
	if (status == 130) {
		fprintf(stderr, "mq-bench: interrupted\n");
		return status;
	}
	if (status) {
		for (i = 0; i < note_count(); i++)
			fprintf(stderr, "mq-bench: %s\n", note_get(i));
		return status;
	}

	/* What did not run has no error either. */
	for (i = 0; i < nrows; i++) {
		for (r = 0; r < ri.rounds; r++) {
			for (s = 0; s < o.nsizes; s++)
				if (rows[i].tput[s][r].err || rows[i].solo[s][r].err)
					status = EXIT_FAILED;
			if (rows[i].pp[r].err)
				status = EXIT_FAILED;
		}
	}
	if (o.json)
		report_json(&o, &ri, rows, nrows);
	else
		report_text(&o, &ri, rows, nrows);
	return status;
}
