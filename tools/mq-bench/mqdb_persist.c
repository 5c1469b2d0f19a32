// SPDX-License-Identifier: GPL-2.0
/*
 * mqd's persist path, three ways, side by side.  Each test makes a topic,
 * attaches as its persister (MQ_IOC_PERSIST_ATTACH, as mqd does: the ring
 * then keeps every record until we report it), fills the ring with
 * messages of one size (not timed), and then drains it into a new file on
 * the disk, a span of up to 1 MiB at a time, reporting each span durable
 * (MQ_IOC_PERSIST_REPORT) as mqd's async flush does.  The three ways take
 * turns, 4 MiB each (less when less was filled: each gets four turns at
 * least), in rotating order, into the same file, and each is
 * timed on its own turns only: on a host shared with others the load
 * changes from second to second, and turns this short spread a change
 * over all three instead of landing on one.
 *
 * mmap     the ring mapped read-only, the committed records walked as
 *          mqd walks them (daemon/queue.c), and a write(2) whose buffer
 *          is the mapping: one copy, ring to page cache, by the kernel;
 *          the file position moved with lseek, as mqd moves it
 * read     record mode, a read(2) of whole records into a buffer of ours,
 *          then a write(2) of it: two copies, one through userspace
 * splice   record mode, splice(2) from the queue into a pipe of 1 MiB,
 *          then from the pipe into the file: two copies in the kernel
 *          (ring to the pipe's pages, which may not be the ring's own:
 *          abi.rst; then pipe to page cache), none in userspace
 *
 * Plain system calls all three, where mqd submits IORING_OP_WRITE: the
 * copies are the same, and the bench compares the copies.  The file is
 * fdatasync'ed at the end, untimed, so that the next test starts with a
 * clean page cache, and must hold exactly the records filled.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/mq.h>
#include "libmq.h"
#include "internal.h"
#include "mqdb.h"

#define SPAN_MAX	(1U << 20)	/* as mqd's */
#define TURN		(4U << 20)	/* bytes one way drains in its turn */
#define NODE_WAIT_S	5.0

struct drain {
	int qfd;		/* the queue, attached as its persister */
	int out;		/* the file */
	/* Made before the time starts: mqd makes its mapping once. */
	struct mq__ring ring;	/* mmap */
	void *buf;		/* read: SPAN_MAX bytes, touched */
	int pipe[2];		/* splice */
	int room;		/* splice: the pipe's size */
	uint64_t records;	/* filled */
	uint64_t rec_size;	/* each record's bytes in the ring and log */
	uint64_t off;		/* drained */
	uint64_t pos;		/* the ring position of record @off */
	uint64_t until;		/* the offset this turn ends at */
	struct mqdb_result *res;	/* the way whose turn it is */
};

static int report(struct drain *d)
{
	struct mq_persist_report r = {
		.size = sizeof(r),
		.durable_off = d->off,
		.replicated_off = d->off,
	};

	if (ioctl(d->qfd, MQ_IOC_PERSIST_REPORT, &r)) {
		mqdb_fail(d->res, -errno, "MQ_IOC_PERSIST_REPORT %llu: %s",
			  (unsigned long long)d->off, strerror(errno));
		return d->res->err;
	}
	return 0;
}

static int write_all(struct drain *d, const void *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(d->out, buf, len);
		if (n <= 0) {
			mqdb_fail(d->res, n ? -errno : -EIO, "write to the log file: %s",
				  n ? strerror(errno) : "wrote nothing");
			return d->res->err;
		}
		buf = (const char *)buf + n;
		len -= n;
	}
	return 0;
}

/* @len bytes drained: whole records, counted, then reported. */
static int drained(struct drain *d, uint64_t len)
{
	if (!len || len % d->rec_size) {
		mqdb_fail(d->res, -EPROTO, "a span of %llu bytes at offset %llu is not whole %llu-byte records",
			  (unsigned long long)len, (unsigned long long)d->off,
			  (unsigned long long)d->rec_size);
		return d->res->err;
	}
	d->off += len / d->rec_size;
	d->pos += len;
	return report(d);
}

/* Bytes the next step may take: a span, or what is left of the turn. */
static uint64_t step(const struct drain *d)
{
	uint64_t left = (d->until - d->off) * d->rec_size;

	return left < SPAN_MAX ? left : SPAN_MAX;
}

static const struct mq_record *rec_at(const struct mq__ring *ring,
				      uint64_t pos)
{
	return (const void *)(ring->data + (pos & (ring->ring_size - 1)));
}

static int drain_mmap(struct drain *d)
{
	const struct mq__ring ring = d->ring;
	uint64_t pos = d->pos, head, len, limit;
	const struct mq_record *r, *first;
	uint32_t rlen;

	while (d->off < d->until) {
		limit = step(d);
		if (limit > ring.ring_size / 2)
			limit = ring.ring_size / 2;
		/*
		 * (A) Pairs with the smp_store_release(&ctrl->head) in
		 * mq_ctrl_reserved().
		 */
		head = __atomic_load_n(ring.head, __ATOMIC_ACQUIRE);
		first = rec_at(&ring, pos);
		for (len = 0; pos != head && len < limit; pos += rlen) {
			r = rec_at(&ring, pos);
			/*
			 * (B) Pairs with the smp_store_release(&rec->len) in
			 * mq_publish().
			 */
			rlen = __atomic_load_n(&r->len, __ATOMIC_ACQUIRE);
			if (rlen & (MQ_RECORD_LEN_BUSY |
				    MQ_RECORD_LEN_DISCARD)) {
				/* The ring was filled before: none can be. */
				mqdb_fail(d->res, -EPROTO, "a busy or discarded record at ring position %llu",
					  (unsigned long long)pos);
				return d->res->err;
			}
			rlen = MQ_RECORD_ALIGN(rlen & MQ_RECORD_LEN_MASK);
			if (len + rlen > limit && len)
				break;
			len += rlen;
		}
		if (write_all(d, first, len) || drained(d, len))
			break;
		/* Our cursor follows, as mqd's does for its poll. */
		if (lseek(d->qfd, d->off, SEEK_SET) < 0) {
			mqdb_fail(d->res, -errno, "lseek to %llu: %s",
				  (unsigned long long)d->off, strerror(errno));
			break;
		}
	}
	return d->res->err;
}

static int drain_read(struct drain *d)
{
	ssize_t n;

	while (d->off < d->until) {
		n = read(d->qfd, d->buf, step(d));
		if (n < 0) {
			mqdb_fail(d->res, -errno, "read at offset %llu: %s",
				  (unsigned long long)d->off, strerror(errno));
			break;
		}
		if (write_all(d, d->buf, n) || drained(d, n))
			break;
	}
	return d->res->err;
}

static int drain_splice(struct drain *d)
{
	ssize_t n, m, moved;

	while (d->off < d->until) {
		n = step(d);
		n = splice(d->qfd, NULL, d->pipe[1], NULL,
			   n < d->room ? n : d->room, 0);
		if (n <= 0) {
			mqdb_fail(d->res, n ? -errno : -EIO, "splice from the queue at offset %llu: %s",
				  (unsigned long long)d->off,
				  n ? strerror(errno) : "nothing moved");
			break;
		}
		for (moved = 0; moved < n; moved += m) {
			m = splice(d->pipe[0], NULL, d->out, NULL,
				   n - moved, 0);
			if (m <= 0) {
				mqdb_fail(d->res, m ? -errno : -EIO,
					  "splice into the log file: %s",
					  m ? strerror(errno) : "nothing moved");
				return d->res->err;
			}
		}
		if (drained(d, n))
			break;
	}
	return d->res->err;
}

/*
 * What the three need before the time starts: the ring mapped (mqd maps
 * it once, when it attaches: mapping inserts every page of the ring, a
 * cost paid once, not per record), record mode (the mapped walk does not
 * care), a buffer whose pages are there, a pipe of SPAN_MAX (at most
 * fs.pipe-max-size unless root).
 */
static int prepare(struct drain *d)
{
	uint32_t mode = MQ_MODE_RECORD;
	int ret;

	ret = mq__ring_map(&d->ring, d->qfd);
	if (ret) {
		mqdb_fail(d->res, ret, "mapping the ring: %s", strerror(-ret));
		return ret;
	}
	/*
	 * (D) Pairs with the smp_store_release(&ctrl->tail) in
	 * mq_ctrl_dropped().
	 */
	d->pos = __atomic_load_n(d->ring.tail, __ATOMIC_ACQUIRE);
	if (ioctl(d->qfd, MQ_IOC_SET_MODE, &mode)) {
		mqdb_fail(d->res, -errno, "MQ_IOC_SET_MODE record: %s",
			  strerror(errno));
		return d->res->err;
	}
	d->buf = malloc(SPAN_MAX);
	if (!d->buf) {
		mqdb_fail(d->res, -ENOMEM, "no memory for a %u-byte buffer",
			  SPAN_MAX);
		return d->res->err;
	}
	memset(d->buf, 0, SPAN_MAX);
	if (pipe2(d->pipe, O_CLOEXEC)) {
		d->pipe[0] = d->pipe[1] = -1;
		mqdb_fail(d->res, -errno, "pipe2: %s", strerror(errno));
		return d->res->err;
	}
	d->room = fcntl(d->pipe[1], F_SETPIPE_SZ, SPAN_MAX);
	if (d->room < 0)
		d->room = fcntl(d->pipe[1], F_GETPIPE_SZ);
	if (d->room < 0)
		mqdb_fail(d->res, -errno, "F_GETPIPE_SZ: %s", strerror(errno));
	return d->res->err;
}

static void unprepare(struct drain *d)
{
	mq__ring_unmap(&d->ring);
	free(d->buf);
	if (d->pipe[0] >= 0)
		close(d->pipe[0]);
	if (d->pipe[1] >= 0)
		close(d->pipe[1]);
}

static int make_topic(struct mq_admin *admin, const char *name, size_t size,
		      uint64_t ring_size, struct mqdb_result *res)
{
	struct mq_topic_config cfg = { 0 };
	const char *ack;
	int ret;

	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	cfg.set = MQ_TOPIC_SET_QUEUES | MQ_TOPIC_SET_RING_SIZE |
		  MQ_TOPIC_SET_MAX_MSG_SIZE | MQ_TOPIC_SET_MODE |
		  MQ_TOPIC_SET_FULL_POLICY;
	cfg.queues = 1;
	cfg.ring_size = ring_size;
	cfg.max_msg_size = size;
	cfg.mode = 0600;
	/* The persister holds what it has not reported, whatever the policy. */
	cfg.full_policy = MQ_FULL_DROP;
	ret = mq_admin_topic_add(admin, &cfg);
	if (ret) {
		ack = mq_admin_error(admin);
		mqdb_fail(res, ret, "cannot create topic %s (ring %llu): %s%s%s",
			  name, (unsigned long long)ring_size, strerror(-ret),
			  ack ? ": " : "", ack ? ack : "");
	}
	return ret;
}

static int open_node(const char *path, int flags, struct mqdb_result *res)
{
	struct timespec nap = { 0, 5000000 };
	double end = mqdb_now() + NODE_WAIT_S;
	int fd;

	while ((fd = open(path, flags | O_CLOEXEC)) < 0 && errno == ENOENT &&
	       mqdb_now() < end)
		nanosleep(&nap, NULL);
	if (fd < 0)
		mqdb_fail(res, -errno, "open %s: %s", path, strerror(errno));
	return fd;
}

/* Fills the ring with @d->records messages of @size bytes, one a write. */
static int fill(const char *node, size_t size, struct drain *d)
{
	void *buf = malloc(size);
	uint64_t i;
	ssize_t n;
	int fd;

	if (!buf) {
		mqdb_fail(d->res, -ENOMEM, "no memory for a %zu-byte message", size);
		return d->res->err;
	}
	memset(buf, 'm', size);
	fd = open_node(node, O_WRONLY, d->res);
	for (i = 0; fd >= 0 && i < d->records; i++) {
		n = write(fd, buf, size);
		if (n != (ssize_t)size) {
			mqdb_fail(d->res, n < 0 ? -errno : -EIO, "filling the ring: write %llu: %s",
				  (unsigned long long)i,
				  n < 0 ? strerror(errno) : "short");
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return d->res->err;
}

static int (*const drains[MQDB_PATHS])(struct drain *) = {
	[MQDB_PATH_MMAP] = drain_mmap,
	[MQDB_PATH_READ] = drain_read,
	[MQDB_PATH_SPLICE] = drain_splice,
};

/* Turns of TURN bytes, each way in its turn, starting with @first. */
static void drain_all(struct drain *d, struct mqdb_result *res[MQDB_PATHS],
		      unsigned int first)
{
	uint64_t bytes = d->records * d->rec_size / 12, per_turn;
	unsigned int turn, p;
	double t0;

	/* Four turns each at least, however little was filled. */
	per_turn = (bytes < TURN ? bytes : TURN) / d->rec_size;
	if (!per_turn)
		per_turn = 1;

	for (turn = first; d->off < d->records; turn++) {
		p = turn % MQDB_PATHS;
		d->res = res[p];
		d->until = d->off + per_turn < d->records ?
			   d->off + per_turn : d->records;
		res[p]->msgs += d->until - d->off;
		t0 = mqdb_now();
		if (drains[p](d))
			return;
		res[p]->seconds += mqdb_now() - t0;
	}
}

void mqdb_persist_run(const struct mqdb_opts *o, size_t size,
		      unsigned int first, struct mqdb_result *res[MQDB_PATHS])
{
	struct mq_persist_attach a = { .size = sizeof(a) };
	struct drain d = { .qfd = -1, .out = -1, .pipe = { -1, -1 } };
	struct mq_admin *admin = NULL;
	char name[MQ_NAME_MAX], what[32], node[96], file[4096];
	uint64_t ring_size = MQ_RING_SIZE_MIN;
	struct mqdb_result setup = { 0 };
	struct stat st;
	unsigned int p;
	int ret;

	for (p = 0; p < MQDB_PATHS; p++)
		memset(res[p], 0, sizeof(*res[p]));
	/* What goes wrong outside a way's turn is said for all three. */
	d.res = &setup;
	d.rec_size = MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + size);
	d.records = o->fill_bytes / d.rec_size;
	/* Room for all of them and a spare half: the fill never waits. */
	while (ring_size < 2 * d.records * d.rec_size)
		ring_size *= 2;
	snprintf(what, sizeof(what), "persist.%zu", size);
	mqdb_topic_name(name, sizeof(name), what);
	snprintf(node, sizeof(node), "/dev/mq/%s/0", name);
	snprintf(file, sizeof(file), "%s/persist.%d", o->dir, (int)getpid());

	ret = mq_admin_open(&admin);
	if (ret) {
		mqdb_fail(&setup, ret, "libmq: the \"mq\" netlink family: %s",
			  strerror(-ret));
		goto out;
	}
	if (make_topic(admin, name, size, ring_size, &setup))
		goto out;
	d.qfd = open_node(node, O_RDONLY | O_NONBLOCK, &setup);
	if (d.qfd < 0)
		goto del;
	if (ioctl(d.qfd, MQ_IOC_PERSIST_ATTACH, &a)) {
		mqdb_fail(&setup, -errno, "MQ_IOC_PERSIST_ATTACH %s: %s", node,
			  strerror(errno));
		goto del;
	}
	if (fill(node, size, &d) || prepare(&d))
		goto del;
	d.out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (d.out < 0) {
		mqdb_fail(&setup, -errno, "open %s: %s", file, strerror(errno));
		goto del;
	}

	drain_all(&d, res, first);
	d.res = &setup;
	if (fdatasync(d.out))
		mqdb_fail(&setup, -errno, "fdatasync %s: %s", file, strerror(errno));
	else if (fstat(d.out, &st))
		mqdb_fail(&setup, -errno, "fstat %s: %s", file, strerror(errno));
	else if (d.off == d.records &&
		 (uint64_t)st.st_size != d.records * d.rec_size)
		mqdb_fail(&setup, -EPROTO, "the log file holds %lld bytes, not the %llu of %llu records",
			  (long long)st.st_size,
			  (unsigned long long)(d.records * d.rec_size),
			  (unsigned long long)d.records);
	close(d.out);
	unlink(file);
del:
	unprepare(&d);
	if (d.qfd >= 0)
		close(d.qfd);
	mq_admin_topic_del(admin, name);
out:
	mq_admin_close(admin);
	for (p = 0; p < MQDB_PATHS; p++) {
		if (setup.err)
			mqdb_fail(res[p], setup.err, "%s", setup.why);
		else if (d.off < d.records)
			mqdb_fail(res[p], -ECANCELED, "the drain stopped at %llu of %llu records",
				  (unsigned long long)d.off,
				  (unsigned long long)d.records);
		res[p]->bytes = res[p]->msgs * d.rec_size;
	}
}
