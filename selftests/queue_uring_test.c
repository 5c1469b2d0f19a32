// SPDX-License-Identifier: GPL-2.0
/*
 * queue_uring_test: io_uring reads and writes on a queue behave like
 * read(2) and write(2), and wait through poll, never on an io-wq worker
 * thread: a read of an empty queue completes when another process
 * writes, a write to a full ring when the reader reads, and either one
 * with ENODEV when the topic is deleted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mq_util.h"
#include "kselftest_harness.h"

#define MSG_LEN		64
/* io_uring's "use and move the file position", for files that have one. */
#define CUR_POS		((__u64)-1)

/* How many threads of this process are io-wq workers ("iou-wrk-<pid>"). */
static int iou_workers(void)
{
	char path[300], comm[64];
	struct dirent *d;
	int n = 0;
	DIR *dir;
	FILE *f;

	dir = opendir("/proc/self/task");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk", 7))
			n++;
		fclose(f);
	}
	closedir(dir);
	return n;
}

FIXTURE(uring) {
	struct mq_topic_config cfg;
	bool made;
	struct io_uring ring;
	bool ring_up;
	int w;		/* O_WRONLY */
	int r;		/* O_RDONLY, blocking, at offset 0 */
	pid_t child;
	uint32_t max;	/* the topic's max_msg_size */
	char buf[MSG_LEN], *out;	/* out: max + 1 bytes */
};

FIXTURE_SETUP(uring)
{
	int ret;

	mqt_topic_init(&self->cfg, "uring");
	mqt_set_ring(&self->cfg, MQ_RING_SIZE_MIN, 0);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	ASSERT_EQ(0, mqt_topic_get(self->cfg.name, &self->cfg));
	self->max = self->cfg.max_msg_size;
	self->out = malloc(self->max + 1);
	ASSERT_NE(NULL, self->out);
	self->r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, self->r);
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
	ret = io_uring_queue_init(8, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring is not available: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	self->ring_up = true;
}

FIXTURE_TEARDOWN(uring)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->ring_up)
		io_uring_queue_exit(&self->ring);
	close(self->w);
	close(self->r);
	if (self->made)
		mqt_topic_del(self->cfg.name);
	free(self->out);
}

/* Submit one prepared request. */
static int submit(struct io_uring *ring)
{
	return io_uring_submit(ring) == 1 ? 0 : -EIO;
}

/* The result of the one request in flight, waited for at most MQT_WAIT_MS. */
static int complete(struct io_uring *ring, int *res)
{
	struct __kernel_timespec ts = { .tv_sec = MQT_WAIT_MS / 1000 };
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret)
		return ret;
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* Whether a completion is there now, without waiting. */
static bool completed(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;

	return io_uring_peek_cqe(ring, &cqe) == 0;
}

static pid_t write_from_child(int w, const void *buf, size_t len)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(mqt_write(w, buf, len) == (long)len ? 0 : 10);
	return pid;
}

TEST_F(uring, read_waits_for_a_write)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	int res;

	ASSERT_NE(NULL, sqe);
	io_uring_prep_read(sqe, self->r, self->out, self->max, CUR_POS);
	ASSERT_EQ(0, submit(&self->ring));
	/* Nothing to read: the request is parked, on no worker thread. */
	EXPECT_FALSE(completed(&self->ring));
	EXPECT_EQ(0, iou_workers());

	memcpy(self->buf, "from another process", 21);
	self->child = write_from_child(self->w, self->buf, 21);
	ASSERT_LE(0, self->child);
	ASSERT_EQ(0, complete(&self->ring, &res));
	EXPECT_EQ(21, res);
	EXPECT_EQ(0, memcmp(self->buf, self->out, 21));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	EXPECT_EQ(0, iou_workers());
	/* It read at the position, and moved it like read(2). */
	EXPECT_EQ(1, mqt_pos(self->r));
}

TEST_F(uring, read_at_an_offset)
{
	struct io_uring_sqe *sqe;
	int i, res;
	char c;

	for (i = 0; i < 3; i++) {
		c = 'a' + i;
		ASSERT_EQ(1, mqt_write(self->w, &c, 1));
	}
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_read(sqe, self->r, self->out, self->max, 1);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, complete(&self->ring, &res));
	EXPECT_EQ(1, res);
	EXPECT_EQ('b', self->out[0]);
	/* Like pread(2): the position did not move. */
	EXPECT_EQ(0, mqt_pos(self->r));

	/* And the read(2) errors: a short buffer, an offset past next. */
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_read(sqe, self->r, self->out, 0, 2);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, complete(&self->ring, &res));
	EXPECT_EQ(-EMSGSIZE, res);
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_read(sqe, self->r, self->out, self->max, 4);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, complete(&self->ring, &res));
	EXPECT_EQ(-ENXIO, res);
	EXPECT_EQ(0, iou_workers());
}

TEST_F(uring, write_appends)
{
	struct iovec iov[2] = {
		{ .iov_base = "ring", .iov_len = 4 },
		{ .iov_base = "-writev", .iov_len = 7 },
	};
	struct io_uring_sqe *sqe;
	int res;

	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_write(sqe, self->w, "ring-write", 10, 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, complete(&self->ring, &res));
	EXPECT_EQ(10, res);
	/* The offset is ignored, as pwrite's: it appends. */
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_writev(sqe, self->w, iov, 2, 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, complete(&self->ring, &res));
	EXPECT_EQ(11, res);
	EXPECT_EQ(2, mqt_next(self->w));

	ASSERT_EQ(10, mqt_read(self->r, self->out, self->max));
	EXPECT_EQ(0, memcmp("ring-write", self->out, 10));
	ASSERT_EQ(11, mqt_read(self->r, self->out, self->max));
	EXPECT_EQ(0, memcmp("ring-writev", self->out, 11));

	/* Too long: the write(2) error, nothing appended. */
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_write(sqe, self->w, self->out, self->max + 1, 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, complete(&self->ring, &res));
	EXPECT_EQ(-EMSGSIZE, res);
	EXPECT_EQ(2, mqt_next(self->w));
	EXPECT_EQ(0, iou_workers());
}

TEST_F(uring, write_waits_for_the_reader)
{
	struct io_uring_sqe *sqe;
	long n, i;
	int res;

	n = mqt_fill(self->w, MSG_LEN, 10000);
	ASSERT_LT(0, n);
	sqe = io_uring_get_sqe(&self->ring);
	mqt_msg_fill(self->buf, MSG_LEN, 0, n);
	io_uring_prep_write(sqe, self->w, self->buf, MSG_LEN, 0);
	ASSERT_EQ(0, submit(&self->ring));
	EXPECT_FALSE(completed(&self->ring));
	EXPECT_EQ(0, iou_workers());

	/* The reader drains the ring from another process. */
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		for (i = 0; i < n; i++) {
			if (mqt_read(self->r, self->out, self->max) != MSG_LEN)
				_exit(10);
		}
		_exit(0);
	}
	ASSERT_EQ(0, complete(&self->ring, &res));
	EXPECT_EQ(MSG_LEN, res);
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	EXPECT_EQ(0, iou_workers());
	ASSERT_EQ(MSG_LEN, mqt_read(self->r, self->out, self->max));
	EXPECT_EQ(0, memcmp(self->buf, self->out, MSG_LEN));
}

TEST_F(uring, parked_read_gets_enodev)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	int res;

	ASSERT_NE(NULL, sqe);
	io_uring_prep_read(sqe, self->r, self->out, self->max, CUR_POS);
	ASSERT_EQ(0, submit(&self->ring));
	EXPECT_FALSE(completed(&self->ring));

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0)
		_exit(-mqt_topic_del(self->cfg.name));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	self->made = false;
	ASSERT_EQ(0, complete(&self->ring, &res));
	EXPECT_EQ(-ENODEV, res);
	EXPECT_EQ(0, iou_workers());
}

TEST_HARNESS_MAIN
