// SPDX-License-Identifier: GPL-2.0
/*
 * The report: a table per throughput message size, one for ping-pong and
 * one per solo message size, of the measurements that ran; one row per
 * transport, each with its ratio to /dev/mq; after throughput's tables
 * and after solo's, the ratios of /dev/mq's other consumers to their
 * peers; or the same as JSON.  Every
 * cell is the median over the rounds; a cell with any failed round shows
 * FAILED, and the reason goes to the notes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bench.h"

#define NOTES_MAX	64

static char *notes[NOTES_MAX];
static unsigned int nnotes;

void note(const char *fmt, ...)
{
	unsigned int i;
	va_list ap;
	char *s;

	if (nnotes == NOTES_MAX)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	for (i = 0; i < nnotes; i++)
		if (!strcmp(notes[i], s)) {
			free(s);
			return;
		}
	notes[nnotes++] = s;
}

unsigned int note_count(void)
{
	return nnotes;
}

const char *note_get(unsigned int i)
{
	return i < nnotes ? notes[i] : NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Medians of one row's cell; false if a round failed (or none ran). */
static bool tput_median(const struct row *r, unsigned int si, unsigned int rounds,
			double *msgs_per_s, double *spread)
{
	double v[BENCH_REPEAT_MAX];
	unsigned int i;

	for (i = 0; i < rounds; i++) {
		if (r->tput[si][i].err)
			return false;
		v[i] = r->tput[si][i].msgs_per_s;
	}
	if (!rounds)
		return false;
	*msgs_per_s = median(v, rounds);
	/* Sorted by median(): half the range, relative to the median. */
	if (spread)
		*spread = *msgs_per_s > 0 ? (v[rounds - 1] - v[0]) / 2 / *msgs_per_s : 0;
	return true;
}

static bool pp_median(const struct row *r, unsigned int rounds, double *p50, double *p99)
{
	double a[BENCH_REPEAT_MAX], b[BENCH_REPEAT_MAX];
	unsigned int i;

	for (i = 0; i < rounds; i++) {
		if (r->pp[i].err)
			return false;
		a[i] = r->pp[i].p50_us;
		b[i] = r->pp[i].p99_us;
	}
	if (!rounds)
		return false;
	*p50 = median(a, rounds);
	*p99 = median(b, rounds);
	return true;
}

/*
 * Medians of one row's solo cell, per message in the sends and in the
 * receives; the pair is their sum, so that the table adds up.
 */
static bool solo_median(const struct row *r, unsigned int si, unsigned int rounds,
			double *send_ns, double *recv_ns, double *pair_ns)
{
	double a[BENCH_REPEAT_MAX], b[BENCH_REPEAT_MAX];
	unsigned int i;

	for (i = 0; i < rounds; i++) {
		if (r->solo[si][i].err)
			return false;
		a[i] = r->solo[si][i].send_ns;
		b[i] = r->solo[si][i].recv_ns;
	}
	if (!rounds)
		return false;
	*send_ns = median(a, rounds);
	*recv_ns = median(b, rounds);
	*pair_ns = *send_ns + *recv_ns;
	return true;
}

/* Whether the row is in the tables of throughput and ping-pong. */
static bool moves_data(const struct row *r)
{
	return !r->t->no_data;
}

/* The row of transport @t, or NULL when it did not run. */
static const struct row *find_row(const struct row *rows, unsigned int nrows,
				  const struct transport *t)
{
	unsigned int i;

	for (i = 0; i < nrows; i++)
		if (rows[i].t == t)
			return &rows[i];
	return NULL;
}

/* The row of /dev/mq, the reference of every ratio, or NULL. */
static const struct row *mq_row(const struct row *rows, unsigned int nrows)
{
	return find_row(rows, nrows, &t_mq);
}

/*
 * The consumers of /dev/mq against their peers: the mmap consumer against
 * the shm ring (both read shared memory with no system call per message),
 * record mode against read(2) of one message at a time.  Throughput over
 * throughput, where the producers take part (one write(2) a message for
 * every /dev/mq row), and solo's receives over receives, where they do
 * not.  Shown when both rows ran.
 */
static const struct ratio {
	const char *name;
	const struct transport *of, *over;
} ratios[] = {
	{ "mq-mmap / shmring", &t_mq_mmap, &t_shmring },
	{ "mq-record / mq", &t_mq_record, &t_mq },
};
#define NRATIOS		(sizeof(ratios) / sizeof(ratios[0]))

/* Whether any ratio has both of its rows in this run. */
static bool have_ratios(const struct row *rows, unsigned int nrows)
{
	unsigned int k;

	for (k = 0; k < NRATIOS; k++)
		if (find_row(rows, nrows, ratios[k].of) &&
		    find_row(rows, nrows, ratios[k].over))
			return true;
	return false;
}

/* Failed rounds, as notes, once per cell. */
static void note_failures(const struct bench_opts *o, const struct run_info *ri,
			  const struct row *rows, unsigned int nrows)
{
	unsigned int i, s, k;

	for (i = 0; i < nrows; i++) {
		for (s = 0; s < o->nsizes; s++)
			for (k = 0; k < ri->rounds; k++)
				if (rows[i].tput[s][k].err) {
					note("%s: throughput, %zu B, round %u: %s",
					     rows[i].t->name, o->sizes[s], k + 1,
					     rows[i].tput[s][k].why);
					break;
				}
		for (k = 0; k < ri->rounds; k++)
			if (rows[i].pp[k].err) {
				note("%s: ping-pong, %zu B, round %u: %s", rows[i].t->name,
				     o->pp_size, k + 1, rows[i].pp[k].why);
				break;
			}
		for (s = 0; s < o->nsizes; s++)
			for (k = 0; k < ri->rounds; k++)
				if (rows[i].solo[s][k].err) {
					note("%s: solo, %zu B, round %u: %s",
					     rows[i].t->name, o->sizes[s], k + 1,
					     rows[i].solo[s][k].why);
					break;
				}
	}
}

/* 1234567 as "1,234,567". */
static const char *thousands(char *buf, size_t len, double v)
{
	char digits[32];
	size_t n, i, j = 0;

	snprintf(digits, sizeof(digits), "%.0f", v);
	n = strlen(digits);
	for (i = 0; i < n && j + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = digits[i];
	}
	buf[j] = '\0';
	return buf;
}

static void print_command(FILE *f, const struct run_info *ri, bool json)
{
	int i;

	for (i = 0; i < ri->argc; i++) {
		const char *a = ri->argv[i];
		bool plain = *a && !a[strcspn(a, " \t\"'\\$`*?;&|<>()")];

		if (i)
			fputc(' ', f);
		if (plain || json) {
			for (; *a; a++) {
				if (json && (*a == '"' || *a == '\\'))
					fputc('\\', f);
				if (json && (unsigned char)*a < 0x20)
					fprintf(f, "\\u%04x", *a);
				else
					fputc(*a, f);
			}
		} else {
			fputc('\'', f);
			for (; *a; a++) {
				if (*a == '\'')
					fputs("'\\''", f);
				else
					fputc(*a, f);
			}
			fputc('\'', f);
		}
	}
}

/* Which process runs where, for the measurements that ran. */
static const char *placement(const struct bench_opts *o)
{
	if (!o->pin)
		return "processes not pinned";
	if (!(o->measure & (MEASURE_TPUT | MEASURE_PP)))
		return "solo process on CPU 0";
	if (o->measure & MEASURE_SOLO)
		return "producer/pinger/solo on CPU 0, consumer/ponger on CPU 1";
	return "producer/pinger on CPU 0, consumer/ponger on CPU 1";
}

static void print_setup(const struct bench_opts *o, const struct run_info *ri)
{
	struct utsname u;

	uname(&u);
	printf("Linux %s %s, %u CPUs; %s; TSC %.3f GHz (calibrated against CLOCK_MONOTONIC)\n",
	       u.release, u.machine, ri->cpus, placement(o), clock_hz() / 1e9);
	if (o->count)
		printf("%llu messages (round trips) per test", (unsigned long long)o->count);
	else
		printf("%.2f s per test", o->duration);
	printf(", %u round(s), medians shown; %zu bytes of buffer per transport\n",
	       ri->rounds, o->buffer);
}

static void text_throughput(const struct bench_opts *o, const struct run_info *ri,
			    const struct row *rows, unsigned int nrows)
{
	const struct row *ref = mq_row(rows, nrows);
	double ref_rate = 0, rate, spread;
	unsigned int i, s;
	char num[40];
	bool have_ref;

	for (s = 0; s < o->nsizes; s++) {
		have_ref = ref && tput_median(ref, s, ri->rounds, &ref_rate, NULL) && ref_rate > 0;
		printf("\nThroughput, %zu B messages, 1 producer process -> 1 consumer process\n",
		       o->sizes[s]);
		printf("%-24s %14s %7s %10s %11s\n", "transport", "msgs/s", "+/-", "MB/s",
		       "vs /dev/mq");
		for (i = 0; i < nrows; i++) {
			if (!moves_data(&rows[i]))
				continue;
			printf("%-24s ", rows[i].t->title);
			if (!tput_median(&rows[i], s, ri->rounds, &rate, &spread)) {
				printf("%14s %7s %10s %11s\n", "FAILED", "-", "-", "-");
				continue;
			}
			printf("%14s %6.0f%% %10.1f ", thousands(num, sizeof(num), rate),
			       spread * 100, rate * o->sizes[s] / 1e6);
			if (have_ref)
				printf("%11.2f\n", rate / ref_rate);
			else
				printf("%11s\n", "-");
		}
	}
}

/*
 * A ratio's rate for one row and size: the throughput's median
 * (MEASURE_TPUT), or solo's receives alone, a second over the median ns
 * per receive (MEASURE_SOLO): what the consumer could take with a
 * producer that cost nothing.  False if a round failed.
 */
static bool ratio_rate(const struct row *r, unsigned int si, unsigned int rounds,
		       unsigned int measure, double *rate)
{
	double send, recv, pair;

	if (measure == MEASURE_TPUT)
		return tput_median(r, si, rounds, rate, NULL) && *rate > 0;
	if (!solo_median(r, si, rounds, &send, &recv, &pair) || recv <= 0)
		return false;
	*rate = 1e9 / recv;
	return true;
}

static void text_ratios(const struct bench_opts *o, const struct run_info *ri,
			const struct row *rows, unsigned int nrows, unsigned int measure)
{
	const struct row *of, *over;
	double a, b;
	unsigned int k, s;
	char num[40];

	if (measure == MEASURE_TPUT)
		printf("\nConsumers of /dev/mq against their peers: throughput over throughput\n");
	else
		printf("\nConsumers of /dev/mq against their peers, solo: receives alone, a second over a second\n");
	printf("%-24s %8s %14s %14s %7s\n", "ratio", "size",
	       measure == MEASURE_TPUT ? "msgs/s" : "recvs/s",
	       measure == MEASURE_TPUT ? "over msgs/s" : "over recvs/s", "ratio");
	for (k = 0; k < NRATIOS; k++) {
		of = find_row(rows, nrows, ratios[k].of);
		over = find_row(rows, nrows, ratios[k].over);
		if (!of || !over)
			continue;
		for (s = 0; s < o->nsizes; s++) {
			printf("%-24s %6zu B ", ratios[k].name, o->sizes[s]);
			if (!ratio_rate(of, s, ri->rounds, measure, &a) ||
			    !ratio_rate(over, s, ri->rounds, measure, &b)) {
				printf("%14s %14s %7s\n", "FAILED", "-", "-");
				continue;
			}
			printf("%14s ", thousands(num, sizeof(num), a));
			printf("%14s %7.2f\n", thousands(num, sizeof(num), b), a / b);
		}
	}
}

static void text_pingpong(const struct bench_opts *o, const struct run_info *ri,
			  const struct row *rows, unsigned int nrows)
{
	const struct row *ref = mq_row(rows, nrows);
	double ref50 = 0, ref99 = 0, p50, p99;
	unsigned int i;
	bool have_ref;

	have_ref = ref && pp_median(ref, ri->rounds, &ref50, &ref99) && ref50 > 0 && ref99 > 0;
	printf("\nPing-pong, %zu B messages, 2 processes, 1 message in flight: round trip\n",
	       o->pp_size);
	printf("%-24s %10s %10s %15s %15s\n", "transport", "p50 us", "p99 us",
	       "p50 vs /dev/mq", "p99 vs /dev/mq");
	for (i = 0; i < nrows; i++) {
		if (!moves_data(&rows[i]))
			continue;
		printf("%-24s ", rows[i].t->title);
		if (!pp_median(&rows[i], ri->rounds, &p50, &p99)) {
			printf("%10s %10s %15s %15s\n", "FAILED", "-", "-", "-");
			continue;
		}
		printf("%10.1f %10.1f ", p50, p99);
		if (have_ref)
			printf("%15.2f %15.2f\n", p50 / ref50, p99 / ref99);
		else
			printf("%15s %15s\n", "-", "-");
	}
}

static void text_solo(const struct bench_opts *o, const struct run_info *ri,
		      const struct row *rows, unsigned int nrows)
{
	const struct row *ref = mq_row(rows, nrows);
	double ref_send, ref_recv, ref_pair = 0, send, recv, pair;
	unsigned int i, s;
	bool have_ref;

	for (s = 0; s < o->nsizes; s++) {
		have_ref = ref && solo_median(ref, s, ri->rounds, &ref_send, &ref_recv,
					      &ref_pair) && ref_pair > 0;
		printf("\nSolo, %zu B messages, 1 process sends a batch, then receives it: ns per message\n",
		       o->sizes[s]);
		printf("%-24s %6s %10s %10s %10s %11s\n", "transport", "batch", "ns/send",
		       "ns/recv", "ns/pair", "vs /dev/mq");
		for (i = 0; i < nrows; i++) {
			printf("%-24s ", rows[i].t->title);
			if (!solo_median(&rows[i], s, ri->rounds, &send, &recv, &pair)) {
				printf("%6s %10s %10s %10s %11s\n", "-", "FAILED", "-", "-", "-");
				continue;
			}
			printf("%6llu %10.1f %10.1f %10.1f ",
			       (unsigned long long)rows[i].solo[s][0].batch, send, recv, pair);
			if (have_ref)
				printf("%11.2f\n", pair / ref_pair);
			else
				printf("%11s\n", "-");
		}
	}
}

void report_text(const struct bench_opts *o, const struct run_info *ri,
		 const struct row *rows, unsigned int nrows)
{
	unsigned int i;

	note_failures(o, ri, rows, nrows);
	printf("mq-bench: ");
	print_command(stdout, ri, false);
	printf("\n");
	print_setup(o, ri);
	if (o->measure & MEASURE_TPUT)
		text_throughput(o, ri, rows, nrows);
	if ((o->measure & MEASURE_TPUT) && have_ratios(rows, nrows))
		text_ratios(o, ri, rows, nrows, MEASURE_TPUT);
	if (o->measure & MEASURE_PP)
		text_pingpong(o, ri, rows, nrows);
	if (o->measure & MEASURE_SOLO)
		text_solo(o, ri, rows, nrows);
	if ((o->measure & MEASURE_SOLO) && have_ratios(rows, nrows))
		text_ratios(o, ri, rows, nrows, MEASURE_SOLO);

	if (nnotes)
		printf("\nNotes:\n");
	for (i = 0; i < nnotes; i++)
		printf("  - %s\n", notes[i]);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* A ratio, or null when there is no reference to divide by. */
static void json_ratio(bool ok, double v, double ref)
{
	if (ok && ref > 0)
		printf("%.4f", v / ref);
	else
		printf("null");
}

static void json_throughput(const struct bench_opts *o, const struct run_info *ri,
			    const struct row *rows, unsigned int nrows)
{
	const struct row *ref = mq_row(rows, nrows);
	double ref_rate = 0, rate = 0, spread = 0;
	unsigned int i, s, k;
	const char *sep = "";
	bool have_ref, ok;

	for (s = 0; s < o->nsizes; s++) {
		have_ref = ref && tput_median(ref, s, ri->rounds, &ref_rate, NULL);
		for (i = 0; i < nrows; i++) {
			if (!moves_data(&rows[i]))
				continue;
			ok = tput_median(&rows[i], s, ri->rounds, &rate, &spread);
			printf("%s\n    {\"transport\": \"%s\", \"title\": ", sep, rows[i].t->name);
			sep = ",";
			json_str(rows[i].t->title);
			printf(", \"size\": %zu, \"ok\": %s, ", o->sizes[s], ok ? "true" : "false");
			if (ok)
				printf("\"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"spread\": %.4f, \"vs_mq\": ",
				       rate, rate * o->sizes[s] / 1e6, spread);
			else
				printf("\"msgs_per_s\": null, \"mb_per_s\": null, \"spread\": null, \"vs_mq\": ");
			json_ratio(ok && have_ref, rate, ref_rate);
			printf(", \"rounds\": [");
			for (k = 0; k < ri->rounds; k++) {
				const struct tput_result *t = &rows[i].tput[s][k];

				printf("%s{\"sent\": %llu, \"received\": %llu, \"seconds\": %.6f, \"msgs_per_s\": %.1f, \"error\": ",
				       k ? ", " : "", (unsigned long long)t->sent,
				       (unsigned long long)t->received, t->seconds, t->msgs_per_s);
				if (t->err)
					json_str(t->why);
				else
					printf("null");
				printf("}");
			}
			printf("]}");
		}
	}
}

/* Throughput's ratios, then solo's, of the measurements that ran. */
static void json_ratios(const struct bench_opts *o, const struct run_info *ri,
			const struct row *rows, unsigned int nrows)
{
	static const unsigned int kinds[] = { MEASURE_TPUT, MEASURE_SOLO };
	const struct row *of, *over;
	unsigned int k, s, m;
	double a = 0, b = 0;
	const char *sep = "";
	bool ok;

	for (m = 0; m < 2; m++) {
		if (!(o->measure & kinds[m]))
			continue;
		for (k = 0; k < NRATIOS; k++) {
			of = find_row(rows, nrows, ratios[k].of);
			over = find_row(rows, nrows, ratios[k].over);
			if (!of || !over)
				continue;
			for (s = 0; s < o->nsizes; s++) {
				ok = ratio_rate(of, s, ri->rounds, kinds[m], &a) &&
				     ratio_rate(over, s, ri->rounds, kinds[m], &b);
				printf("%s\n    {\"name\": ", sep);
				sep = ",";
				json_str(ratios[k].name);
				printf(", \"measure\": \"%s\", \"of\": \"%s\", \"over\": \"%s\", \"size\": %zu, \"ok\": %s, ",
				       kinds[m] == MEASURE_TPUT ? "tput" : "solo",
				       ratios[k].of->name, ratios[k].over->name, o->sizes[s],
				       ok ? "true" : "false");
				if (ok)
					printf("\"per_s\": %.1f, \"over_per_s\": %.1f, \"ratio\": %.4f}",
					       a, b, a / b);
				else
					printf("\"per_s\": null, \"over_per_s\": null, \"ratio\": null}");
			}
		}
	}
}

static void json_pingpong(const struct bench_opts *o, const struct run_info *ri,
			  const struct row *rows, unsigned int nrows)
{
	const struct row *ref = mq_row(rows, nrows);
	double ref50 = 0, ref99 = 0, p50 = 0, p99 = 0;
	const char *sep = "";
	unsigned int i, k;
	bool have_ref, ok;

	have_ref = ref && pp_median(ref, ri->rounds, &ref50, &ref99);
	for (i = 0; i < nrows; i++) {
		if (!moves_data(&rows[i]))
			continue;
		ok = pp_median(&rows[i], ri->rounds, &p50, &p99);
		printf("%s\n    {\"transport\": \"%s\", \"title\": ", sep, rows[i].t->name);
		sep = ",";
		json_str(rows[i].t->title);
		printf(", \"size\": %zu, \"ok\": %s, ", o->pp_size, ok ? "true" : "false");
		if (ok)
			printf("\"p50_us\": %.3f, \"p99_us\": %.3f, ", p50, p99);
		else
			printf("\"p50_us\": null, \"p99_us\": null, ");
		printf("\"p50_vs_mq\": ");
		json_ratio(ok && have_ref, p50, ref50);
		printf(", \"p99_vs_mq\": ");
		json_ratio(ok && have_ref, p99, ref99);
		printf(", \"rounds\": [");
		for (k = 0; k < ri->rounds; k++) {
			const struct pp_result *p = &rows[i].pp[k];

			printf("%s{\"round_trips\": %llu, \"p50_us\": %.3f, \"p99_us\": %.3f, \"error\": ",
			       k ? ", " : "", (unsigned long long)p->round_trips,
			       p->p50_us, p->p99_us);
			if (p->err)
				json_str(p->why);
			else
				printf("null");
			printf("}");
		}
		printf("]}");
	}
}

static void json_solo(const struct bench_opts *o, const struct run_info *ri,
		      const struct row *rows, unsigned int nrows)
{
	const struct row *ref = mq_row(rows, nrows);
	double ref_send, ref_recv, ref_pair = 0, send = 0, recv = 0, pair = 0;
	unsigned int i, s, k;
	const char *sep = "";
	bool have_ref, ok;

	for (s = 0; s < o->nsizes; s++) {
		have_ref = ref && solo_median(ref, s, ri->rounds, &ref_send, &ref_recv, &ref_pair);
		for (i = 0; i < nrows; i++) {
			ok = solo_median(&rows[i], s, ri->rounds, &send, &recv, &pair);
			printf("%s\n    {\"transport\": \"%s\", \"title\": ", sep, rows[i].t->name);
			sep = ",";
			json_str(rows[i].t->title);
			printf(", \"size\": %zu, \"ok\": %s, ", o->sizes[s], ok ? "true" : "false");
			if (ok)
				printf("\"batch\": %llu, \"send_ns\": %.2f, \"recv_ns\": %.2f, \"pair_ns\": %.2f, \"vs_mq\": ",
				       (unsigned long long)rows[i].solo[s][0].batch, send, recv, pair);
			else
				printf("\"batch\": null, \"send_ns\": null, \"recv_ns\": null, \"pair_ns\": null, \"vs_mq\": ");
			json_ratio(ok && have_ref, pair, ref_pair);
			printf(", \"rounds\": [");
			for (k = 0; k < ri->rounds; k++) {
				const struct solo_result *r = &rows[i].solo[s][k];

				printf("%s{\"batch\": %llu, \"pairs\": %llu, \"send_ns\": %.2f, \"recv_ns\": %.2f, \"error\": ",
				       k ? ", " : "", (unsigned long long)r->batch,
				       (unsigned long long)r->pairs, r->send_ns, r->recv_ns);
				if (r->err)
					json_str(r->why);
				else
					printf("null");
				printf("}");
			}
			printf("]}");
		}
	}
}

/*
 * "throughput", "ratios" and "pingpong" are always there, empty when they
 * did not run; "solo" only when it ran.
 */
void report_json(const struct bench_opts *o, const struct run_info *ri,
		 const struct row *rows, unsigned int nrows)
{
	struct utsname u;
	unsigned int i;

	note_failures(o, ri, rows, nrows);
	uname(&u);
	printf("{\n  \"command\": \"");
	print_command(stdout, ri, true);
	printf("\",\n  \"kernel\": ");
	json_str(u.release);
	printf(",\n  \"cpus\": %u,\n  \"pinned\": %s,\n  \"tsc_hz\": %.0f,\n",
	       ri->cpus, o->pin ? "true" : "false", clock_hz());
	if (o->count)
		printf("  \"count\": %llu,\n  \"duration_s\": null,\n",
		       (unsigned long long)o->count);
	else
		printf("  \"count\": null,\n  \"duration_s\": %.3f,\n", o->duration);
	printf("  \"rounds\": %u,\n  \"buffer\": %zu,\n  \"throughput\": [", ri->rounds,
	       o->buffer);
	if (o->measure & MEASURE_TPUT)
		json_throughput(o, ri, rows, nrows);
	printf("\n  ],\n  \"ratios\": [");
	json_ratios(o, ri, rows, nrows);
	printf("\n  ],\n  \"pingpong\": [");
	if (o->measure & MEASURE_PP)
		json_pingpong(o, ri, rows, nrows);
	if (o->measure & MEASURE_SOLO) {
		printf("\n  ],\n  \"solo\": [");
		json_solo(o, ri, rows, nrows);
	}
	printf("\n  ],\n  \"notes\": [");
	for (i = 0; i < nnotes; i++) {
		printf("%s\n    ", i ? "," : "");
		json_str(notes[i]);
	}
	printf("%s]\n}\n", nnotes ? "\n  " : "");
}
