// SPDX-License-Identifier: GPL-2.0
/*
 * A POSIX message queue (mq_overview(7)), opened read-write by the parent
 * and unlinked at once, so that only the two children hold it.  Its depth
 * is --buffer / message size messages, up to the kernel's hard limit of
 * 65536.  Without CAP_SYS_RESOURCE the depth is bounded by
 * fs.mqueue.msg_max (10 by default; root may raise it in
 * /proc/sys/fs/mqueue), and the memory of all of a user's queues by
 * RLIMIT_MSGQUEUE; mq-bench raises the limit when it may and takes the
 * deepest queue it can get, and says so when that is less than asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

#define POSIXMQ_DEPTH_MAX	65536	/* HARD_MSGMAX in ipc/mqueue.c */

static int posixmq_setup(const struct bench_opts *o, char *why, size_t why_len)
{
	struct rlimit rl, want = { RLIM_INFINITY, RLIM_INFINITY };

	(void)o;
	(void)why;
	(void)why_len;
	if (getrlimit(RLIMIT_MSGQUEUE, &rl))
		return 0;
	if (rl.rlim_cur == RLIM_INFINITY)
		return 0;
	/* Root may raise the hard limit too; anyone may raise the soft one. */
	if (setrlimit(RLIMIT_MSGQUEUE, &want)) {
		want.rlim_cur = rl.rlim_max;
		want.rlim_max = rl.rlim_max;
		if (want.rlim_cur == rl.rlim_cur || setrlimit(RLIMIT_MSGQUEUE, &want))
			return 0;
	}
	if (want.rlim_cur == RLIM_INFINITY)
		note("posixmq: RLIMIT_MSGQUEUE raised from %llu bytes to unlimited",
		     (unsigned long long)rl.rlim_cur);
	else
		note("posixmq: RLIMIT_MSGQUEUE raised from %llu to %llu bytes",
		     (unsigned long long)rl.rlim_cur,
		     (unsigned long long)want.rlim_cur);
	return 0;
}

static long read_sysctl(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int posixmq_open(struct chan *ch, const struct bench_opts *o,
			unsigned int id, size_t msg_size, char *why, size_t why_len)
{
	size_t want = o->buffer / msg_size;
	struct mq_attr attr = { 0 };
	char name[64];
	long max;
	mqd_t q;

	chan_init(ch, msg_size);
	if (want > POSIXMQ_DEPTH_MAX)
		want = POSIXMQ_DEPTH_MAX;
	if (want < 1)
		want = 1;
	snprintf(name, sizeof(name), "/mq-bench.%d.%u", (int)getpid(), id);
	attr.mq_msgsize = msg_size;
	/*
	 * EINVAL: deeper than fs.mqueue.msg_max allows us, so try that
	 * depth next; EMFILE: more memory than RLIMIT_MSGQUEUE, so halve.
	 */
	attr.mq_maxmsg = want;
	for (;;) {
		max = read_sysctl("/proc/sys/fs/mqueue/msg_max");
		mq_unlink(name);
		q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
		if (q != (mqd_t)-1 || attr.mq_maxmsg == 1)
			break;
		if (errno == EINVAL && max > 0 && max < attr.mq_maxmsg)
			attr.mq_maxmsg = max;
		else if (errno == EINVAL || errno == EMFILE)
			attr.mq_maxmsg /= 2;
		else
			break;
	}
	if (q == (mqd_t)-1) {
		snprintf(why, why_len, "mq_open %s (%zu-byte messages): %m",
			 name, msg_size);
		return -errno;
	}
	mq_unlink(name);
	max = read_sysctl("/proc/sys/fs/mqueue/msg_max");
	if (max > 0 && attr.mq_maxmsg > max)
		note("posixmq: queues deeper than fs.mqueue.msg_max (%ld): CAP_SYS_RESOURCE allows it, no sysctl changed",
		     max);
	if ((size_t)attr.mq_maxmsg < want)
		note("posixmq: %zu B messages: queue of %ld messages, not %zu (fs.mqueue.msg_max %ld, msgsize_max %ld; root may raise them in /proc/sys/fs/mqueue)",
		     msg_size, (long)attr.mq_maxmsg, want,
		     read_sysctl("/proc/sys/fs/mqueue/msg_max"),
		     read_sysctl("/proc/sys/fs/mqueue/msgsize_max"));
	/* On Linux an mqd_t is a descriptor; both ends are the same one. */
	ch->tx = q;
	ch->rx = q;
	return 0;
}

static void posixmq_close(struct chan *ch)
{
	if (ch->tx >= 0)
		mq_close(ch->tx);
	ch->tx = -1;
	ch->rx = -1;
}

static void posixmq_keep(struct chan *ch, enum chan_end end)
{
	/* One descriptor serves both ends: nothing to drop. */
	(void)ch;
	(void)end;
}

static int posixmq_send(struct chan *ch, const void *buf, size_t len)
{
	while (mq_send(ch->tx, buf, len, 0)) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static ssize_t posixmq_recv(struct chan *ch, void *buf, size_t len)
{
	ssize_t n;

	do
		n = mq_receive(ch->rx, buf, len, NULL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Exactly mq_maxmsg messages, whatever their size. */
static long posixmq_capacity(struct chan *ch, char *why, size_t why_len)
{
	struct mq_attr attr;

	if (mq_getattr(ch->tx, &attr)) {
		snprintf(why, why_len, "mq_getattr: %m");
		return -errno;
	}
	return attr.mq_maxmsg;
}

const struct transport t_posixmq = {
	.name = "posixmq",
	.title = "POSIX mq",
	.setup = posixmq_setup,
	.open = posixmq_open,
	.keep = posixmq_keep,
	.close = posixmq_close,
	.send = posixmq_send,
	.recv = posixmq_recv,
	.capacity = posixmq_capacity,
};
