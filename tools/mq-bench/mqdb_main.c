// SPDX-License-Identifier: GPL-2.0
/*
 * mqd-bench: mq's durability against the disk under it, in one run.
 *
 * Rows, each at 64 B and 4 KiB, each a median over --repeat rounds:
 * the file system alone (sequential writes and one fdatasync; a write
 * and an fdatasync per message), /dev/mq with mqd persisting it (acks 0,
 * acks 1 with flush async and with flush sync, one producer and many),
 * and mqd's persist path three ways (mmap, read, splice).  Then the
 * ratios the targets name (Documentation/benchmarks.rst).
 *
 * Each round runs the disk rows and the persist rows first, with no mqd
 * (it would persist the persist tests' topics itself), then starts mqd,
 * runs the /dev/mq rows, and stops it.  Within each group a round starts
 * one row further than the round before, so that a change in the host's
 * load is spread over the rows; the persist rows come from one drain in
 * which the three take turns (mqdb_persist.c).
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "mqdb.h"

#define EXIT_FAILED	1
#define EXIT_USAGE	2

const size_t mqdb_sizes[MQDB_SIZES] = { 64, 4096 };

enum row_kind { ROW_DISK, ROW_PERSIST, ROW_ACKS };

struct row {
	const char *title;
	enum row_kind kind;
	bool sync_each;		/* ROW_DISK */
	enum mqdb_flush flush;	/* ROW_ACKS */
	bool many;		/* ROW_ACKS: --producers of them, else 1 */
	struct mqdb_result res[MQDB_SIZES][MQDB_REPEAT_MAX];
};

enum {
	R_RAW, R_SYNC_EACH, R_ACKS0, R_ASYNC, R_ASYNC_N, R_SYNC, R_SYNC_N,
	R_MMAP, R_READ, R_SPLICE, NROWS
};

static struct row rows[NROWS] = {
	[R_RAW] = { "write, 1 fdatasync", ROW_DISK, .sync_each = false },
	[R_SYNC_EACH] = { "write + fdatasync each", ROW_DISK,
			  .sync_each = true },
	[R_ACKS0] = { "acks=0", ROW_ACKS, .flush = MQDB_ACKS0 },
	[R_ASYNC] = { "acks=1 async", ROW_ACKS, .flush = MQDB_ASYNC },
	[R_ASYNC_N] = { "acks=1 async", ROW_ACKS, .flush = MQDB_ASYNC,
			.many = true },
	[R_SYNC] = { "acks=1 sync", ROW_ACKS, .flush = MQDB_SYNC },
	[R_SYNC_N] = { "acks=1 sync", ROW_ACKS, .flush = MQDB_SYNC,
		       .many = true },
	/* In enum mqdb_path's order: run_persist() fills the three. */
	[R_MMAP] = { "mmap + write (mqd)", ROW_PERSIST },
	[R_READ] = { "read + write", ROW_PERSIST },
	[R_SPLICE] = { "splice via a pipe", ROW_PERSIST },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: mqd-bench --dir DIR [options]\n"
"\n"
"Measures, in one run, on the file system holding DIR: sequential writes\n"
"with one fdatasync and a write + fdatasync per message; /dev/mq with mqd\n"
"persisting it under acks=0, acks=1 flush async and acks=1 flush sync, one\n"
"producer and many; and mqd's persist path three ways (the ring mapped +\n"
"write, record-mode read + write, splice through a pipe).  64 B and 4 KiB\n"
"messages.  Needs root (topics, the persister) and mq.ko loaded.\n"
"\n"
"      --dir DIR          where the files and mqd's data directory go (a\n"
"                         folder of this run's, removed at the end)\n"
"  -d, --duration SEC     seconds per test, at most (default: 2)\n"
"  -M, --max-mb MIB       message bytes per test, at most (default: 128)\n"
"  -f, --fill-mb MIB      record bytes each persist test drains (default: 128)\n"
"  -r, --repeat N         rounds; the tables show medians (default: 5, at\n"
"                         most %d)\n"
"  -P, --producers N      producers of the many-producer rows (default: 64,\n"
"                         2..%d)\n"
"      --mqd PATH         mqd's binary (default: daemon/mqd of this tree)\n"
"      --rounds           print every round's rate too, after the ratios\n"
"  -q, --quick            a smoke test: -d 0.2 -M 4 -f 2 -r 1\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 when every test ran and checked what it moved, 1 when one\n"
"failed (the notes say why), 2 on a bad command line.\n",
		MQDB_REPEAT_MAX, MQDB_PRODUCERS_MAX);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad(const char *fmt, ...)
{
	va_list ap;

	fputs("mqd-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	exit(EXIT_USAGE);
}

double mqdb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void mqdb_fail(struct mqdb_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	if (res->err)
		return;		/* the first failure is the one to say */
	res->err = err ? err : -EIO;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
}

void mqdb_topic_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "mqdb.%d.%s", (int)getpid(), what);
}

static unsigned long parse_ulong(const char *opt, const char *arg,
				 unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (!*arg || *arg == '-' || *end || errno)
		bad("%s takes a whole number, not '%s'", opt, arg);
	if (v < min || v > max)
		bad("%s must be in [%lu, %lu], not %lu", opt, min, max, v);
	return v;
}

static double parse_seconds(const char *opt, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (!*arg || *end || errno || !isfinite(v))
		bad("%s takes seconds, not '%s'", opt, arg);
	if (v < 0.05 || v > 60)
		bad("%s must be in [0.05, 60] seconds, not %s", opt, arg);
	return v;
}

/* daemon/mqd of the tree this binary was built in. */
static const char *default_mqd(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return "mqd";
	self[n] = 0;
	slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	snprintf(path, sizeof(path), "%.*s/../../daemon/mqd", PATH_MAX - 32,
		 self);
	return path;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median messages a second over the rounds, and half their range. */
static bool row_stats(const struct row *r, unsigned int s, unsigned int rounds,
		      double *median, double *spread)
{
	double v[MQDB_REPEAT_MAX];
	unsigned int i;

	for (i = 0; i < rounds; i++) {
		const struct mqdb_result *res = &r->res[s][i];

		if (res->err || !res->msgs || res->seconds <= 0)
			return false;
		v[i] = res->msgs / res->seconds;
	}
	qsort(v, rounds, sizeof(v[0]), cmp_double);
	*median = rounds % 2 ? v[rounds / 2] :
		  (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
	*spread = *median > 0 ? (v[rounds - 1] - v[0]) / 2 / *median : 0;
	return true;
}

/* Bytes a message of size @s moves in the row: the log's for persist. */
static double row_bytes(const struct row *r, unsigned int s)
{
	const struct mqdb_result *res = &r->res[s][0];

	return res->msgs ? (double)res->bytes / res->msgs : mqdb_sizes[s];
}

static void row_title(const struct row *r, const struct mqdb_opts *o,
		      char *buf, size_t len)
{
	if (r->kind == ROW_ACKS)
		snprintf(buf, len, "%s, %u producer%s", r->title,
			 r->many ? o->producers : 1, r->many ? "s" : "");
	else
		snprintf(buf, len, "%s", r->title);
}

/*
 * @v in @width columns: two decimals, or two significant digits below
 * 0.1, so that a small rate or ratio does not print as zero.
 */
static void print_num(int width, double v)
{
	printf(v >= 0.1 || v == 0 ? "%*.2f" : "%*.2g", width, v);
}

static void print_rows(const struct mqdb_opts *o, unsigned int rounds,
		       unsigned int from, unsigned int to, const char *unit)
{
	double med, spread;
	unsigned int i, s;
	char title[64];

	printf("%-36s", "");
	for (s = 0; s < MQDB_SIZES; s++)
		printf("  %25s %4zu B", "", mqdb_sizes[s]);
	printf("\n%-36s", "");
	for (s = 0; s < MQDB_SIZES; s++)
		printf("  %12s %9s %8s", unit, "MB/s", "+/-");
	printf("\n");
	for (i = from; i < to; i++) {
		row_title(&rows[i], o, title, sizeof(title));
		printf("%-36s", title);
		for (s = 0; s < MQDB_SIZES; s++) {
			if (row_stats(&rows[i], s, rounds, &med, &spread)) {
				printf("  %12.0f ", med);
				print_num(9, med * row_bytes(&rows[i], s) /
					     1e6);
				printf(" %7.1f%%", spread * 100);
			} else
				printf("  %12s %9s %8s", "failed", "-", "-");
		}
		printf("\n");
	}
}

/*
 * The median over the rounds of each round's @of / @over at size @s: the
 * two were measured in the same round, closer in time than the medians
 * of different rows, and the persist rows in the same drain.
 */
static bool paired_ratio(unsigned int of, unsigned int over, unsigned int s,
			 unsigned int rounds, double *median)
{
	double v[MQDB_REPEAT_MAX];
	unsigned int i;

	for (i = 0; i < rounds; i++) {
		const struct mqdb_result *a = &rows[of].res[s][i];
		const struct mqdb_result *b = &rows[over].res[s][i];

		if (a->err || b->err || !a->msgs || !b->msgs ||
		    a->seconds <= 0 || b->seconds <= 0)
			return false;
		v[i] = (a->msgs / a->seconds) / (b->msgs / b->seconds);
	}
	qsort(v, rounds, sizeof(v[0]), cmp_double);
	*median = rounds % 2 ? v[rounds / 2] :
		  (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
	return true;
}

/*
 * @of / @over at each size, of the medians and round by round; where
 * @goal is set, whether the ratio of the medians meets it (at 4 KiB only
 * with @goal_4k_only).
 */
static void print_ratio(const char *name, unsigned int of, unsigned int over,
			unsigned int rounds, double goal, bool goal_4k_only)
{
	double a, b, spread, q;
	unsigned int s;
	char verdict[64] = "", *v = verdict;

	printf("%-48s", name);
	for (s = 0; s < MQDB_SIZES; s++) {
		if (!row_stats(&rows[of], s, rounds, &a, &spread) ||
		    !row_stats(&rows[over], s, rounds, &b, &spread)) {
			printf("  %8s", "-");
			continue;
		}
		q = a / b;
		printf("  ");
		print_num(8, q);
		if (goal <= 0 || (goal_4k_only && mqdb_sizes[s] != 4096))
			continue;
		v += snprintf(v, verdict + sizeof(verdict) - v, "%s%zu B %s",
			      v == verdict ? "" : ", ", mqdb_sizes[s],
			      q >= goal ? "met" : "not met");
	}
	for (s = 0; s < MQDB_SIZES; s++) {
		if (!paired_ratio(of, over, s, rounds, &q)) {
			printf("  %8s", "-");
			continue;
		}
		printf("  ");
		print_num(8, q);
	}
	if (goal > 0)
		printf("  >= %g: %s", goal, verdict);
	printf("\n");
}

/* Every round's rate, in the order the rounds ran. */
static void print_rounds(const struct mqdb_opts *o)
{
	unsigned int i, s, round;
	char title[64];

	printf("\nEvery round, msgs/s (records/s)\n");
	for (i = 0; i < NROWS; i++) {
		row_title(&rows[i], o, title, sizeof(title));
		for (s = 0; s < MQDB_SIZES; s++) {
			printf("%-36s %4zu B", title, mqdb_sizes[s]);
			for (round = 0; round < o->repeat; round++) {
				const struct mqdb_result *res;

				res = &rows[i].res[s][round];
				if (res->err || res->seconds <= 0)
					printf(" %10s", "failed");
				else
					printf(" %10.0f",
					       res->msgs / res->seconds);
			}
			printf("\n");
		}
	}
}

static void run_row(const struct mqdb_opts *o, unsigned int i,
		    unsigned int round, bool mqd_up)
{
	struct row *r = &rows[i];
	unsigned int s;

	for (s = 0; s < MQDB_SIZES; s++) {
		struct mqdb_result *res = &r->res[s][round];

		if (r->kind == ROW_DISK && r->sync_each)
			mqdb_disk_sync_each(o, mqdb_sizes[s], res);
		else if (r->kind == ROW_DISK)
			mqdb_disk_write(o, mqdb_sizes[s], res);
		else if (mqd_up)
			mqdb_acks_run(o, round, r->flush,
				      r->many ? o->producers : 1,
				      mqdb_sizes[s], res);
	}
}

/* The three persist rows at once: one drain, the three taking turns. */
static void run_persist(const struct mqdb_opts *o, unsigned int round)
{
	struct mqdb_result *res[MQDB_PATHS];
	unsigned int s, p;

	for (s = 0; s < MQDB_SIZES; s++) {
		for (p = 0; p < MQDB_PATHS; p++)
			res[p] = &rows[R_MMAP + p].res[s][round];
		mqdb_persist_run(o, mqdb_sizes[s], round % MQDB_PATHS, res);
	}
}

/* Rows [from, to) once each, starting @round rows in. */
static void run_group(const struct mqdb_opts *o, unsigned int from,
		      unsigned int to, unsigned int round, bool mqd_up)
{
	unsigned int i, n = to - from;

	for (i = 0; i < n; i++)
		run_row(o, from + (i + round) % n, round, mqd_up);
}

static const char *fs_name(const char *dir)
{
	static char buf[32];
	struct statfs sf;

	if (statfs(dir, &sf))
		return "unknown";
	switch ((unsigned long)sf.f_type) {
	case 0xEF53:
		return "ext4";
	case 0x01021994:
		return "tmpfs";
	case 0x58465342:
		return "xfs";
	case 0x9123683E:
		return "btrfs";
	}
	snprintf(buf, sizeof(buf), "type 0x%lx", (unsigned long)sf.f_type);
	return buf;
}

static bool debug_kernel(void)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	return strstr(line, "slub_debug") || strstr(line, "init_on_free=1");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'D' },
		{ "duration", required_argument, NULL, 'd' },
		{ "max-mb", required_argument, NULL, 'M' },
		{ "fill-mb", required_argument, NULL, 'f' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "producers", required_argument, NULL, 'P' },
		{ "mqd", required_argument, NULL, 'm' },
		{ "quick", no_argument, NULL, 'q' },
		{ "rounds", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mqdb_opts o = {
		.duration = 2,
		.max_bytes = 128ULL << 20,
		.fill_bytes = 128ULL << 20,
		.repeat = 5,
		.producers = 64,
	};
	bool sized = false, failed = false, mqd_up;
	char work[PATH_MAX], why[256];
	unsigned int round, i, s;
	struct utsname u;
	struct stat st;
	int c;

	while ((c = getopt_long(argc, argv, "d:M:f:r:P:qh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'D':
			o.dir = optarg;
			break;
		case 'd':
			o.duration = parse_seconds("--duration", optarg);
			sized = true;
			break;
		case 'M':
			o.max_bytes = (uint64_t)parse_ulong("--max-mb", optarg,
							    1, 4096) << 20;
			sized = true;
			break;
		case 'f':
			o.fill_bytes = (uint64_t)parse_ulong("--fill-mb", optarg,
							     1, 256) << 20;
			sized = true;
			break;
		case 'r':
			o.repeat = parse_ulong("--repeat", optarg, 1,
					       MQDB_REPEAT_MAX);
			sized = true;
			break;
		case 'P':
			o.producers = parse_ulong("--producers", optarg, 2,
						  MQDB_PRODUCERS_MAX);
			break;
		case 'm':
			o.mqd = optarg;
			break;
		case 'q':
			o.quick = true;
			break;
		case 'R':
			o.rounds = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fputs("mqd-bench: bad command line (see --help)\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		bad("unexpected argument '%s'", argv[optind]);
	if (!o.dir)
		bad("--dir is required: the file system to measure");
	if (o.quick && sized)
		bad("--quick sets --duration, --max-mb, --fill-mb and --repeat itself");
	if (o.quick) {
		o.duration = 0.2;
		o.max_bytes = 4ULL << 20;
		o.fill_bytes = 2ULL << 20;
		o.repeat = 1;
	}
	if (stat(o.dir, &st) || !S_ISDIR(st.st_mode))
		bad("--dir %s is not a directory", o.dir);
	if (!o.mqd)
		o.mqd = default_mqd();
	if (access(o.mqd, X_OK))
		bad("mqd %s cannot be run: %s (run make, or give --mqd)", o.mqd,
		    strerror(errno));

	snprintf(work, sizeof(work), "%s/mqd-bench.%d", o.dir, (int)getpid());
	if (mkdir(work, 0700)) {
		fprintf(stderr, "mqd-bench: mkdir %s: %s\n", work, strerror(errno));
		return EXIT_FAILED;
	}
	uname(&u);
	printf("mqd-bench:");
	for (i = 0; i < (unsigned int)argc; i++)
		printf(" %s", argv[i]);
	printf("\n%s %s %s, %ld CPUs; %s on %s\n", u.sysname, u.release,
	       u.machine, sysconf(_SC_NPROCESSORS_ONLN), o.dir, fs_name(o.dir));
	printf("%u round(s), medians shown; a test stops after %.2f s or %llu MiB of messages; a persist test drains %llu MiB of records\n\n",
	       o.repeat, o.duration, (unsigned long long)(o.max_bytes >> 20),
	       (unsigned long long)(o.fill_bytes >> 20));
	fflush(stdout);
	o.dir = work;

	for (round = 0; round < o.repeat; round++) {
		run_group(&o, R_RAW, R_SYNC_EACH + 1, round, false);
		run_persist(&o, round);
		mqd_up = !mqdb_mqd_start(&o, round, why, sizeof(why));
		if (!mqd_up)
			for (i = R_ACKS0; i <= R_SYNC_N; i++)
				for (s = 0; s < MQDB_SIZES; s++)
					mqdb_fail(&rows[i].res[s][round],
						  -ECHILD, "%s", why);
		run_group(&o, R_ACKS0, R_SYNC_N + 1, round, mqd_up);
		if (mqd_up && mqdb_mqd_stop(why, sizeof(why)))
			for (s = 0; s < MQDB_SIZES; s++)
				mqdb_fail(&rows[R_ACKS0].res[s][round],
					  -EIO, "%s", why);
	}

	printf("The disk, and /dev/mq with mqd (message bytes; acks rows: until the last is durable)\n");
	print_rows(&o, o.repeat, R_RAW, R_SYNC_N + 1, "msgs/s");
	printf("\nmqd's persist path: a filled ring drained into a file, the three taking 4 MiB turns (log bytes, no fdatasync)\n");
	print_rows(&o, o.repeat, R_MMAP, R_SPLICE + 1, "records/s");
	printf("\n%-48s  %18s  %18s\n", "Ratios", "of the medians",
	       "round by round");
	printf("%-48s  %6zu B  %6zu B  %6zu B  %6zu B\n", "", mqdb_sizes[0],
	       mqdb_sizes[1], mqdb_sizes[0], mqdb_sizes[1]);
	print_ratio("acks=0 / raw write", R_ACKS0, R_RAW, o.repeat, 0, false);
	print_ratio("acks=1 async, 1 producer / raw write", R_ASYNC, R_RAW,
		    o.repeat, 0.8, true);
	snprintf(why, sizeof(why), "acks=1 async, %u producers / raw write",
		 o.producers);
	print_ratio(why, R_ASYNC_N, R_RAW, o.repeat, 0.8, true);
	snprintf(why, sizeof(why), "acks=1 sync, %u producers / fdatasync each",
		 o.producers);
	print_ratio(why, R_SYNC_N, R_SYNC_EACH, o.repeat, 10, false);
	print_ratio("acks=1 sync, 1 producer / fdatasync each", R_SYNC,
		    R_SYNC_EACH, o.repeat, 0, false);
	print_ratio("persist: read + write / mmap + write", R_READ, R_MMAP,
		    o.repeat, 0, false);
	print_ratio("persist: splice / mmap + write", R_SPLICE, R_MMAP,
		    o.repeat, 0, false);
	if (o.rounds)
		print_rounds(&o);

	for (i = 0; i < NROWS; i++) {
		for (s = 0; s < MQDB_SIZES; s++) {
			for (round = 0; round < o.repeat; round++) {
				const struct mqdb_result *res;
				char title[64];

				res = &rows[i].res[s][round];
				if (!res->err)
					continue;
				if (!failed)
					printf("\nNotes:\n");
				failed = true;
				row_title(&rows[i], &o, title, sizeof(title));
				printf("- %s, %zu B, round %u: %s\n", title,
				       mqdb_sizes[s], round + 1, res->why);
			}
		}
	}
	if (debug_kernel())
		printf("%sslub_debug or init_on_free is on (kernel command line): every allocation is slower\n",
		       failed ? "- " : "\nNotes:\n- ");
	if (nftw(work, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		fprintf(stderr, "mqd-bench: removing %s: %s\n", work, strerror(errno));
	return failed ? EXIT_FAILED : 0;
}
