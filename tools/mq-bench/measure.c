// SPDX-License-Identifier: GPL-2.0
/*
 * The three measurements, the same loops for every transport.
 *
 * Throughput: a producer process sends messages 0, 1, 2 ... (--count of
 * them, or for --duration seconds), then one MSG_END message carrying
 * how many it sent.  A consumer process checks every message's length,
 * sequence number and last byte, and the count against MSG_END.  The
 * time is the consumer's, from the first message received to MSG_END:
 * what it took to move everything else through.
 *
 * Ping-pong: a pinger sends one message on channel 0, the ponger checks
 * it and sends it back on channel 1, and the pinger checks the reply and
 * only then sends the next: one message in flight.  The pinger times
 * each round trip; the first PP_WARMUP are not counted.
 *
 * Solo: one process holds both ends of one channel.  It sends a batch
 * of messages, then receives the same batch back and checks it, and
 * again, timing the sends and the receives apart: what each side's calls
 * cost with no peer to wake and no second CPU, which the two above mix
 * with the wake-ups between the processes.  A batch is what the channel
 * holds without blocking (the transport's capacity()), at most
 * SOLO_BATCH_MAX.  The first batch is not timed.
 *
 * The processes, two or solo's one, are forked per test, pinned to CPUs
 * 0 and 1 (solo's to CPU 0) unless --no-pin, and released together
 * through a pipe the parent closes.  They report through a shared
 * anonymous mapping.  The parent sleeps in sigtimedwait() meanwhile, so
 * that it takes no CPU from them, and kills them when one fails or when
 * they overrun a generous limit: solo's process would wait forever in a
 * send that blocks (a batch the channel cannot hold), since nobody else
 * receives.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define PP_WARMUP		100
#define PP_SAMPLES_MAX		(1U << 21)	/* round trips kept in --duration mode */
#define DURATION_CHECK_MASK	255	/* producer reads the clock every 256 messages */
#define SOLO_BATCH_MAX		256	/* 4 clock reads a batch: nothing per message */

/* One per process, each on its own cache lines: no false sharing. */
struct side {
	uint64_t msgs;		/* so far: what a timeout reports */
	uint64_t t_first;
	uint64_t t_last;
	int err;
	char why[160];
} __attribute__((aligned(64)));

struct shared {
	struct side prod;	/* producer or pinger; solo's sends */
	struct side cons;	/* consumer or ponger; solo's receives */
	uint64_t batch;		/* solo: messages a batch */
	uint64_t pairs;		/* solo: timed messages, each sent and received */
	uint64_t send_ticks;	/* solo: in the timed sends */
	uint64_t recv_ticks;	/* solo: in the timed receives */
	uint64_t nsamples;
	uint64_t samples[];	/* round trips, in ticks */
};

struct ctx {
	const struct transport *t;
	const struct bench_opts *o;
	struct chan ch[2];
	unsigned int nch;
	size_t size;
	struct shared *sh;
	uint64_t max_samples;
};

static int side_fail(struct side *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	s->err = err ? err : -EIO;
	return 1;
}

static void *msg_alloc(size_t size)
{
	unsigned char *buf = malloc(size);
	size_t i;

	if (buf)
		for (i = 0; i < size; i++)
			buf[i] = (unsigned char)(i * 7 + 1);
	return buf;
}

static void msg_stamp(unsigned char *buf, size_t size, uint64_t seq, uint32_t flags)
{
	struct msg_hdr *h = (struct msg_hdr *)buf;

	h->seq = seq;
	h->flags = flags;
	h->size = size;
	if (size > sizeof(*h))
		buf[size - 1] = (unsigned char)seq;
}

/*
 * Is @buf (@n bytes received) message @expect?  0 for a message, 1 for
 * MSG_END, or -EBADMSG with @s->why saying what is wrong.
 */
static int msg_check(struct side *s, const unsigned char *buf, ssize_t n,
		     size_t size, uint64_t expect)
{
	const struct msg_hdr *h = (const struct msg_hdr *)buf;

	if (n != (ssize_t)size) {
		side_fail(s, -EBADMSG, "message %llu is %zd bytes, not %zu",
			  (unsigned long long)expect, n, size);
		return -EBADMSG;
	}
	if (h->size != size || (h->flags & ~MSG_END)) {
		side_fail(s, -EBADMSG, "message %llu has a bad header", (unsigned long long)expect);
		return -EBADMSG;
	}
	if (h->seq != expect) {
		if (h->flags & MSG_END)
			side_fail(s, -EBADMSG, "the producer sent %llu messages, %llu arrived",
				  (unsigned long long)h->seq, (unsigned long long)expect);
		else
			side_fail(s, -EBADMSG, "message %llu arrived where %llu was due",
				  (unsigned long long)h->seq, (unsigned long long)expect);
		return -EBADMSG;
	}
	if (size > sizeof(*h) && buf[size - 1] != (unsigned char)expect) {
		side_fail(s, -EBADMSG, "message %llu: last byte wrong (torn or mixed)",
			  (unsigned long long)expect);
		return -EBADMSG;
	}
	return h->flags & MSG_END ? 1 : 0;
}

static uint64_t deadline_ticks(const struct bench_opts *o)
{
	return clock_ticks() + (uint64_t)(o->duration * clock_hz());
}

static int producer(struct ctx *c)
{
	struct side *s = &c->sh->prod;
	unsigned char *buf = msg_alloc(c->size);
	uint64_t seq, deadline;
	int ret;

	if (!buf)
		return side_fail(s, -ENOMEM, "out of memory");
	deadline = deadline_ticks(c->o);
	for (seq = 0;; seq++) {
		if (c->o->count) {
			if (seq == c->o->count)
				break;
		} else if (!(seq & DURATION_CHECK_MASK) && clock_ticks() >= deadline) {
			break;
		}
		if (!(seq & DURATION_CHECK_MASK))
			s->msgs = seq;
		msg_stamp(buf, c->size, seq, 0);
		ret = c->t->send(&c->ch[0], buf, c->size);
		if (ret)
			return side_fail(s, ret, "send message %llu: %s",
					 (unsigned long long)seq, strerror(-ret));
	}
	s->msgs = seq;
	msg_stamp(buf, c->size, seq, MSG_END);
	ret = c->t->send(&c->ch[0], buf, c->size);
	if (ret)
		return side_fail(s, ret, "send the end marker: %s", strerror(-ret));
	return 0;
}

static int consumer(struct ctx *c)
{
	struct side *s = &c->sh->cons;
	unsigned char *buf = msg_alloc(c->size);
	uint64_t expect;
	ssize_t n;
	int ret;

	if (!buf)
		return side_fail(s, -ENOMEM, "out of memory");
	for (expect = 0;; expect++) {
		n = c->t->recv(&c->ch[0], buf, c->size);
		if (n < 0)
			return side_fail(s, n, "receive message %llu: %s",
					 (unsigned long long)expect, strerror(-n));
		if (!expect)
			s->t_first = clock_ticks();
		s->msgs = expect;
		ret = msg_check(s, buf, n, c->size, expect);
		if (ret < 0)
			return 1;
		if (ret)
			break;
	}
	s->t_last = clock_ticks();
	return 0;
}

static int pinger(struct ctx *c)
{
	struct side *s = &c->sh->prod;
	unsigned char *buf = msg_alloc(c->size), *reply = msg_alloc(c->size);
	uint64_t i, k, t0, t1, deadline = 0, warm = PP_WARMUP;
	ssize_t n;
	int ret;

	if (!buf || !reply)
		return side_fail(s, -ENOMEM, "out of memory");
	if (c->o->count && warm > c->o->count / 10)
		warm = c->o->count / 10;
	for (i = 0;; i++) {
		if (i == warm)
			deadline = deadline_ticks(c->o);
		if (i >= warm) {
			k = i - warm;
			if (k == c->max_samples ||
			    (!c->o->count && clock_ticks() >= deadline))
				break;
		}
		s->msgs = i;
		msg_stamp(buf, c->size, i, 0);
		t0 = clock_ticks();
		ret = c->t->send(&c->ch[0], buf, c->size);
		if (ret)
			return side_fail(s, ret, "send ping %llu: %s",
					 (unsigned long long)i, strerror(-ret));
		n = c->t->recv(&c->ch[1], reply, c->size);
		t1 = clock_ticks();
		if (n < 0)
			return side_fail(s, n, "receive pong %llu: %s",
					 (unsigned long long)i, strerror(-n));
		if (msg_check(s, reply, n, c->size, i))
			return 1;
		if (i >= warm)
			c->sh->samples[i - warm] = t1 - t0;
	}
	c->sh->nsamples = i - warm;
	s->msgs = i;
	msg_stamp(buf, c->size, i, MSG_END);
	ret = c->t->send(&c->ch[0], buf, c->size);
	if (ret)
		return side_fail(s, ret, "send the end marker: %s", strerror(-ret));
	return 0;
}

static int ponger(struct ctx *c)
{
	struct side *s = &c->sh->cons;
	unsigned char *buf = msg_alloc(c->size);
	uint64_t expect;
	ssize_t n;
	int ret;

	if (!buf)
		return side_fail(s, -ENOMEM, "out of memory");
	for (expect = 0;; expect++) {
		n = c->t->recv(&c->ch[0], buf, c->size);
		if (n < 0)
			return side_fail(s, n, "receive ping %llu: %s",
					 (unsigned long long)expect, strerror(-n));
		s->msgs = expect;
		ret = msg_check(s, buf, n, c->size, expect);
		if (ret < 0)
			return 1;
		if (ret)
			break;
		ret = c->t->send(&c->ch[1], buf, n);
		if (ret)
			return side_fail(s, ret, "send pong %llu: %s",
					 (unsigned long long)expect, strerror(-ret));
	}
	return 0;
}

/*
 * null's bytes come from /dev/zero, not from the sender: only their count
 * can be checked.  Otherwise as the consumer checks; 0 or 1 (@s->why set).
 */
static int solo_check(struct ctx *c, struct side *s, const unsigned char *buf,
		      ssize_t n, uint64_t seq)
{
	int ret;

	if (c->t->no_data && n == (ssize_t)c->size)
		return 0;
	ret = msg_check(s, buf, n, c->size, seq);
	if (ret > 0)
		side_fail(s, -EBADMSG, "message %llu is an end marker, and none was sent",
			  (unsigned long long)seq);
	return ret ? 1 : 0;
}

/*
 * Messages @seq to @seq + @n - 1: send them all, then receive and check
 * them all, adding the time of each half to the totals when @timed.
 * Progress goes to the shared page after each half, outside the timed
 * spans: on a timeout, sent == received means a send blocked.
 */
static int solo_batch(struct ctx *c, unsigned char *buf, uint64_t seq, unsigned int n,
		      bool timed)
{
	struct shared *sh = c->sh;
	uint64_t t0, t1, t2, t3;
	unsigned int i;
	ssize_t got;
	int ret;

	t0 = clock_ticks();
	for (i = 0; i < n; i++) {
		msg_stamp(buf, c->size, seq + i, 0);
		ret = c->t->send(&c->ch[0], buf, c->size);
		if (ret)
			return side_fail(&sh->prod, ret, "send message %llu: %s",
					 (unsigned long long)(seq + i), strerror(-ret));
	}
	t1 = clock_ticks();
	sh->prod.msgs = seq + n;
	t2 = clock_ticks();
	for (i = 0; i < n; i++) {
		got = c->t->recv(&c->ch[0], buf, c->size);
		if (got < 0)
			return side_fail(&sh->cons, got, "receive message %llu: %s",
					 (unsigned long long)(seq + i), strerror(-got));
		if (solo_check(c, &sh->cons, buf, got, seq + i))
			return 1;
	}
	t3 = clock_ticks();
	sh->cons.msgs = seq + n;
	if (timed) {
		sh->send_ticks += t1 - t0;
		sh->recv_ticks += t3 - t2;
		sh->pairs += n;
	}
	return 0;
}

static int solo(struct ctx *c)
{
	struct shared *sh = c->sh;
	unsigned char *buf = msg_alloc(c->size);
	uint64_t seq, deadline;
	unsigned int n;
	char why[128];
	long cap;

	if (!buf)
		return side_fail(&sh->prod, -ENOMEM, "out of memory");
	cap = c->t->capacity(&c->ch[0], why, sizeof(why));
	if (cap < 0)
		return side_fail(&sh->prod, cap, "%s", why);
	if (!cap)
		return side_fail(&sh->prod, -EMSGSIZE, "the channel cannot hold one %zu-byte message",
				 c->size);
	sh->batch = cap < SOLO_BATCH_MAX ? cap : SOLO_BATCH_MAX;

	/* Untimed: page faults, cold caches. */
	if (solo_batch(c, buf, 0, sh->batch, false))
		return 1;
	seq = sh->batch;
	deadline = deadline_ticks(c->o);
	for (;;) {
		n = sh->batch;
		if (c->o->count) {
			if (sh->pairs == c->o->count)
				break;
			if (c->o->count - sh->pairs < n)
				n = c->o->count - sh->pairs;
		} else if (clock_ticks() >= deadline) {
			break;
		}
		if (solo_batch(c, buf, seq, n, true))
			return 1;
		seq += n;
	}
	return 0;
}

static void pin(const struct bench_opts *o, int cpu)
{
	cpu_set_t set;

	if (!o->pin)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Best effort: main() checked there are two CPUs to pin to. */
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Fork one side.  It keeps its ends of the channels (@ends[i] for
 * channel i; all of both when @ends is NULL, for solo), pins itself,
 * waits for the parent to close @go, and runs.
 */
static pid_t spawn(struct ctx *c, int (*fn)(struct ctx *), const enum chan_end *ends,
		   int cpu, const int go[2])
{
	sigset_t none;
	unsigned int i;
	pid_t pid;
	char b;

	pid = fork();
	if (pid)
		return pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	close(go[1]);
	for (i = 0; ends && i < c->nch; i++)
		c->t->keep(&c->ch[i], ends[i]);
	pin(c->o, cpu);
	while (read(go[0], &b, 1) < 0 && errno == EINTR)
		;
	close(go[0]);
	_exit(fn(c));
}

/*
 * Reap the children (@pid[i] > 0) within @limit seconds, their wait
 * statuses in @status (-1 for one we killed).  When one fails, or on
 * SIGINT/SIGTERM, the other is killed: it may be blocked forever on a
 * channel whose other end will never move.  -ETIMEDOUT, -EINTR, or 0.
 */
static int reap(pid_t pid[2], double limit, int status[2])
{
	int st, i, alive = (pid[0] > 0) + (pid[1] > 0), ret = 0;
	struct timespec now, end, left;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)limit;
	while (alive) {
		for (i = 0; i < 2; i++) {
			if (pid[i] <= 0 || waitpid(pid[i], &st, WNOHANG) != pid[i])
				continue;
			pid[i] = 0;
			alive--;
			status[i] = st;
			if ((!WIFEXITED(st) || WEXITSTATUS(st)) && pid[!i] > 0) {
				kill(pid[!i], SIGKILL);
				waitpid(pid[!i], NULL, 0);
				pid[!i] = 0;
				status[!i] = -1;
				alive--;
			}
		}
		if (!alive)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0) {
			ret = -ETIMEDOUT;
		} else {
			int sig = sigtimedwait(&set, NULL, &left);

			if (sig == SIGINT || sig == SIGTERM)
				ret = -EINTR;
		}
		if (ret) {
			for (i = 0; i < 2; i++)
				if (pid[i] > 0) {
					kill(pid[i], SIGKILL);
					waitpid(pid[i], NULL, 0);
					pid[i] = 0;
					status[i] = -1;
				}
			break;
		}
	}
	return ret;
}

/*
 * Open the channels, run @a (producer side, CPU 0) and @b (consumer
 * side, CPU 1), wait.  Without @b, @a runs alone and keeps every end
 * (solo).  0 or -errno with @why filled.
 */
static int run_pair(struct ctx *c, int (*a)(struct ctx *), const enum chan_end *a_ends,
		    int (*b)(struct ctx *), const enum chan_end *b_ends,
		    double limit, char *why, size_t why_len)
{
	static const char *const pair[2] = { "producer", "consumer" };
	static const char *const alone[2] = { "the process", "the process" };
	const char *const *who = b ? pair : alone;
	int go[2], ret, status[2] = { 0, 0 };
	pid_t pid[2] = { -1, -1 };
	unsigned int i, opened;

	for (opened = 0; opened < c->nch; opened++) {
		ret = c->t->open(&c->ch[opened], c->o, opened, c->size, why, why_len);
		if (ret)
			goto out;
	}
	if (pipe2(go, O_CLOEXEC)) {
		ret = -errno;
		snprintf(why, why_len, "pipe2: %m");
		goto out;
	}
	/* Both wait for @go to close: which is forked first does not matter. */
	pid[1] = b ? spawn(c, b, b_ends, 1, go) : 0;
	if (pid[1] >= 0)
		pid[0] = spawn(c, a, a_ends, 0, go);
	ret = pid[0] < 0 || pid[1] < 0 ? -errno : 0;
	close(go[0]);
	close(go[1]);	/* go: both read EOF */
	if (ret) {
		snprintf(why, why_len, "fork: %s", strerror(-ret));
		if (pid[1] > 0) {
			kill(pid[1], SIGKILL);
			waitpid(pid[1], NULL, 0);
		}
		goto out;
	}
	/* The children hold what they need; our copies would keep pipes open. */
	for (i = 0; i < opened; i++)
		c->t->close(&c->ch[i]);
	opened = 0;
	ret = reap(pid, limit, status);
	if (ret == -ETIMEDOUT)
		snprintf(why, why_len, "no result within %.0f s (producer at %llu, consumer at %llu)",
			 limit, (unsigned long long)c->sh->prod.msgs,
			 (unsigned long long)c->sh->cons.msgs);
	else if (ret == -EINTR)
		snprintf(why, why_len, "interrupted");
	else if (c->sh->prod.err || c->sh->cons.err) {
		/* The first to fail says why; the other was killed. */
		i = c->sh->prod.err ? 0 : 1;
		ret = i ? c->sh->cons.err : c->sh->prod.err;
		snprintf(why, why_len, "%s%s%s", b ? who[i] : "", b ? ": " : "",
			 i ? c->sh->cons.why : c->sh->prod.why);
	} else {
		/* Died without a word: a signal, or an exit not ours. */
		for (i = 0; i < 2 && !ret; i++) {
			if (status[i] == -1 || (WIFEXITED(status[i]) && !WEXITSTATUS(status[i])))
				continue;
			ret = -ECHILD;
			if (WIFSIGNALED(status[i]))
				snprintf(why, why_len, "%s killed by signal %d (%s)", who[i],
					 WTERMSIG(status[i]), strsignal(WTERMSIG(status[i])));
			else
				snprintf(why, why_len, "%s exited with status %d", who[i],
					 WEXITSTATUS(status[i]));
		}
	}
out:
	for (i = 0; i < opened; i++)
		c->t->close(&c->ch[i]);
	return ret;
}

static struct shared *shared_map(uint64_t samples, size_t *len)
{
	struct shared *sh;

	*len = sizeof(*sh) + samples * sizeof(sh->samples[0]);
	sh = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return sh == MAP_FAILED ? NULL : sh;
}

/* Seconds a test may take before the parent gives up on it. */
static double limit_for(const struct bench_opts *o)
{
	if (o->count)	/* at 1000 messages a second, the slowest we allow */
		return 60 + (double)o->count / 1000;
	return 60 + 10 * o->duration;
}

void measure_throughput(const struct transport *t, const struct bench_opts *o,
			size_t size, struct tput_result *res)
{
	static const enum chan_end tx[] = { CHAN_TX }, rx[] = { CHAN_RX };
	struct ctx c = { .t = t, .o = o, .nch = 1, .size = size };
	size_t len;
	uint64_t ticks;

	memset(res, 0, sizeof(*res));
	c.sh = shared_map(0, &len);
	if (!c.sh) {
		res->err = -ENOMEM;
		snprintf(res->why, sizeof(res->why), "mmap: %m");
		return;
	}
	res->err = run_pair(&c, producer, tx, consumer, rx, limit_for(o),
			    res->why, sizeof(res->why));
	res->sent = c.sh->prod.msgs;
	res->received = c.sh->cons.msgs;
	if (!res->err && (res->sent != res->received ||
			  (o->count && res->sent != o->count))) {
		res->err = -EBADMSG;
		snprintf(res->why, sizeof(res->why), "sent %llu, received %llu",
			 (unsigned long long)res->sent, (unsigned long long)res->received);
	}
	ticks = c.sh->cons.t_last - c.sh->cons.t_first;
	if (!res->err && ticks) {
		res->seconds = clock_seconds(ticks);
		/* From the first message to MSG_END: received more came through. */
		res->msgs_per_s = res->received / res->seconds;
	}
	munmap(c.sh, len);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of @n sorted samples, in microseconds. */
static double percentile_us(const uint64_t *s, uint64_t n, unsigned int pct)
{
	uint64_t rank = (n * pct + 99) / 100;

	return clock_seconds(s[rank ? rank - 1 : 0]) * 1e6;
}

void measure_pingpong(const struct transport *t, const struct bench_opts *o,
		      size_t size, struct pp_result *res)
{
	static const enum chan_end ping[] = { CHAN_TX, CHAN_RX };
	static const enum chan_end pong[] = { CHAN_RX, CHAN_TX };
	struct ctx c = { .t = t, .o = o, .nch = 2, .size = size };
	size_t len;

	memset(res, 0, sizeof(*res));
	c.max_samples = o->count ? o->count : PP_SAMPLES_MAX;
	c.sh = shared_map(c.max_samples, &len);
	if (!c.sh) {
		res->err = -ENOMEM;
		snprintf(res->why, sizeof(res->why), "mmap: %m");
		return;
	}
	res->err = run_pair(&c, pinger, ping, ponger, pong, limit_for(o),
			    res->why, sizeof(res->why));
	if (!res->err && c.sh->prod.msgs != c.sh->cons.msgs) {
		res->err = -EBADMSG;
		snprintf(res->why, sizeof(res->why), "pinged %llu, ponged %llu",
			 (unsigned long long)c.sh->prod.msgs,
			 (unsigned long long)c.sh->cons.msgs);
	}
	res->round_trips = c.sh->nsamples;
	if (!res->err && !res->round_trips) {
		res->err = -ENODATA;
		snprintf(res->why, sizeof(res->why), "no round trip measured");
	}
	if (!res->err) {
		qsort(c.sh->samples, res->round_trips, sizeof(c.sh->samples[0]), cmp_u64);
		res->p50_us = percentile_us(c.sh->samples, res->round_trips, 50);
		res->p99_us = percentile_us(c.sh->samples, res->round_trips, 99);
	}
	munmap(c.sh, len);
}

static const char *solo_stuck(const struct shared *sh)
{
	if (sh->prod.msgs == sh->cons.msgs)
		return "a send blocked: the channel holds less than its capacity() said";
	return "a receive blocked: a message sent was not there";
}

void measure_solo(const struct transport *t, const struct bench_opts *o,
		  size_t size, struct solo_result *res)
{
	struct ctx c = { .t = t, .o = o, .nch = 1, .size = size };
	size_t len;

	memset(res, 0, sizeof(*res));
	c.sh = shared_map(0, &len);
	if (!c.sh) {
		res->err = -ENOMEM;
		snprintf(res->why, sizeof(res->why), "mmap: %m");
		return;
	}
	res->err = run_pair(&c, solo, NULL, NULL, NULL, limit_for(o),
			    res->why, sizeof(res->why));
	res->batch = c.sh->batch;
	res->pairs = c.sh->pairs;
	if (res->err == -ETIMEDOUT)
		snprintf(res->why, sizeof(res->why),
			 "no result within %.0f s, after %llu sent and %llu received in batches of %llu: %s",
			 limit_for(o), (unsigned long long)c.sh->prod.msgs,
			 (unsigned long long)c.sh->cons.msgs,
			 (unsigned long long)c.sh->batch, solo_stuck(c.sh));
	if (!res->err && (!res->pairs || (o->count && res->pairs != o->count))) {
		res->err = -ENODATA;
		snprintf(res->why, sizeof(res->why), "%llu messages timed",
			 (unsigned long long)res->pairs);
	}
	if (!res->err) {
		res->send_ns = clock_seconds(c.sh->send_ticks) * 1e9 / res->pairs;
		res->recv_ns = clock_seconds(c.sh->recv_ticks) * 1e9 / res->pairs;
	}
	munmap(c.sh, len);
}
