// SPDX-License-Identifier: GPL-2.0
/*
 * queue_block_test: a read on an empty queue and a write on a full
 * MQ_FULL_BLOCK ring wait and are woken, O_NONBLOCK and RWF_NOWAIT fail
 * with EAGAIN instead, signals interrupt or restart the wait, and
 * MQ_FULL_DROP never waits but drops the oldest records.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mq_util.h"
#include "kselftest_harness.h"

/*
 * 128-byte records, 32 to a 4096-byte ring exactly: reading one record
 * always makes room for one more, however the ring lays records out.
 */
#define MSG_LEN		64

FIXTURE(block) {
	struct mq_topic_config cfg;
	bool made;
	int w;		/* O_WRONLY, blocking */
	int r;		/* O_RDONLY, blocking, opened first: at offset 0 */
	pid_t child;
	char buf[MSG_LEN];
};

FIXTURE_SETUP(block)
{
	mqt_topic_init(&self->cfg, "block");
	mqt_set_ring(&self->cfg, MQ_RING_SIZE_MIN, 0);
	mqt_set_policy(&self->cfg, MQ_FULL_BLOCK);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	self->r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, self->r);
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
}

FIXTURE_TEARDOWN(block)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	close(self->w);
	close(self->r);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
}

/* Fill the ring (r lags at 0) with messages 0..n-1; returns n. */
static long fill(int w)
{
	char buf[MSG_LEN];
	long n;
	int err;

	err = mqt_set_nonblock(w, true);
	if (err)
		return err;
	for (n = 0; n < 10000; n++) {
		long ret;

		mqt_msg_fill(buf, MSG_LEN, 0, n);
		ret = mqt_write(w, buf, MSG_LEN);
		if (ret == -EAGAIN)
			break;
		if (ret != MSG_LEN)
			return ret < 0 ? ret : -EIO;
	}
	err = mqt_set_nonblock(w, false);
	return err ? err : n;
}

/* The offset of the message read from @fd, or -errno. */
static long long read_seq(int fd)
{
	return mqt_read_seq(fd, MSG_LEN);
}

TEST_F(block, nonblocking_read_on_empty)
{
	char buf[MSG_LEN];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };

	ASSERT_EQ(0, mqt_set_nonblock(self->r, true));
	EXPECT_EQ(-EAGAIN, mqt_read(self->r, buf, sizeof(buf)));
	EXPECT_EQ(-EAGAIN, mqt_pread(self->r, buf, sizeof(buf), 0));
	ASSERT_EQ(0, mqt_set_nonblock(self->r, false));
	/* RWF_NOWAIT on the blocking fd: the same answer. */
	errno = 0;
	EXPECT_EQ(-1, preadv2(self->r, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, mqt_pos(self->r));
}

/* A child blocks in read(2); this process writes once it sleeps there. */
TEST_F(block, read_woken_by_another_process)
{
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		long long seq = read_seq(self->r);

		_exit(seq == 0 ? 0 : 10);
	}
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_read));
	mqt_msg_fill(self->buf, MSG_LEN, 0, 0);
	ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	/* r is shared with the child: it read message 0 through it. */
	EXPECT_EQ(1, mqt_pos(self->r));
}

struct reader {
	int fd;
	volatile pid_t tid;
	long long seq;
};

static void *reader_thread(void *arg)
{
	struct reader *rd = arg;

	rd->tid = gettid();
	rd->seq = read_seq(rd->fd);
	return NULL;
}

/* The same with a thread of this process as the reader. */
TEST_F(block, read_woken_by_another_thread)
{
	struct reader rd = { .fd = self->r, .seq = -1 };
	struct timespec ts;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, reader_thread, &rd));
	while (!rd.tid)
		mqt_sleep_ms(1);
	ASSERT_EQ(0, mqt_wait_blocked(rd.tid, SYS_read));
	mqt_msg_fill(self->buf, MSG_LEN, 0, 0);
	ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += MQT_WAIT_MS / 1000;
	ASSERT_EQ(0, pthread_timedjoin_np(t, NULL, &ts));
	EXPECT_EQ(0, rd.seq);
}

/* Several blocked readers, each on its own fd, all get the message. */
TEST_F(block, every_blocked_reader_woken)
{
	pid_t kids[4];
	int i, fds[4];

	for (i = 0; i < 4; i++) {
		fds[i] = mqt_open(self->cfg.name, 0, O_RDONLY);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		ASSERT_LE(0, kids[i]);
		if (kids[i] == 0)
			_exit(read_seq(fds[i]) == 0 ? 0 : 10);
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, mqt_wait_blocked(kids[i], SYS_read));
	}
	mqt_msg_fill(self->buf, MSG_LEN, 0, 0);
	ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, mqt_child_code(kids[i])) TH_LOG("reader %d", i);
		close(fds[i]);
	}
}

TEST_F(block, full_ring_refuses_nonblocking_writes)
{
	struct iovec iov = { .iov_base = self->buf, .iov_len = MSG_LEN };
	struct mq_queue_stats st;
	long n = fill(self->w);

	/* At least one record fits; no more than the ring's bytes. */
	ASSERT_LT(0, n);
	ASSERT_GE(MQ_RING_SIZE_MIN / mqt_record_size(MSG_LEN), (uint64_t)n);

	ASSERT_EQ(0, mqt_set_nonblock(self->w, true));
	EXPECT_EQ(-EAGAIN, mqt_write(self->w, self->buf, MSG_LEN));
	/* Even one byte waits for the oldest record to be read. */
	EXPECT_EQ(-EAGAIN, mqt_write(self->w, self->buf, 1));
	ASSERT_EQ(0, mqt_set_nonblock(self->w, false));
	errno = 0;
	EXPECT_EQ(-1, pwritev2(self->w, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);

	/* Nothing refused was appended, nothing was dropped. */
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(n, st.next_offset);
	EXPECT_EQ(0, st.first_offset);
	EXPECT_EQ(0, st.drops);
	EXPECT_EQ(n, st.msgs_in);
}

/*
 * The ring waits for every open reader: with two lagging readers, one
 * reading the oldest record is not enough.
 */
TEST_F(block, waits_for_the_slowest_reader)
{
	long n, i;
	int r2;

	r2 = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, r2);
	n = fill(self->w);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, mqt_set_nonblock(self->w, true));

	EXPECT_EQ(0, read_seq(self->r));
	mqt_msg_fill(self->buf, MSG_LEN, 0, n);
	EXPECT_EQ(-EAGAIN, mqt_write(self->w, self->buf, MSG_LEN));
	EXPECT_EQ(0, read_seq(r2));
	EXPECT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));

	/* A reader that goes away no longer holds the ring. */
	mqt_msg_fill(self->buf, MSG_LEN, 0, n + 1);
	EXPECT_EQ(-EAGAIN, mqt_write(self->w, self->buf, MSG_LEN));
	EXPECT_EQ(1, read_seq(self->r));
	EXPECT_EQ(-EAGAIN, mqt_write(self->w, self->buf, MSG_LEN));
	close(r2);
	EXPECT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));

	/* The remaining reader sees every message, in order. */
	for (i = 2; i <= n + 1; i++) {
		ASSERT_EQ(i, read_seq(self->r));
	}
}

/* A child blocks in write(2) on the full ring; reading wakes it. */
TEST_F(block, write_woken_when_the_reader_reads)
{
	struct mq_queue_stats st;
	long n = fill(self->w), i;

	ASSERT_LT(0, n);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		char buf[MSG_LEN];

		mqt_msg_fill(buf, MSG_LEN, 0, n);
		_exit(mqt_write(self->w, buf, MSG_LEN) == MSG_LEN ? 0 : 10);
	}
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(n, st.next_offset);

	EXPECT_EQ(0, read_seq(self->r));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	for (i = 1; i <= n; i++) {
		ASSERT_EQ(i, read_seq(self->r));
	}
}

/* Closing the only reader releases a blocked writer too. */
TEST_F(block, write_woken_when_the_reader_closes)
{
	long n = fill(self->w);

	ASSERT_LT(0, n);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		char buf[MSG_LEN];

		close(self->r);	/* the file stays open: this process holds it */
		mqt_msg_fill(buf, MSG_LEN, 0, n);
		_exit(mqt_write(self->w, buf, MSG_LEN) == MSG_LEN ? 0 : 10);
	}
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	close(self->r);
	self->r = -1;
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
}

/* With no reader open, MQ_FULL_BLOCK has nobody to wait for. */
TEST_F(block, no_reader_no_wait)
{
	struct mq_queue_stats st;
	long i, n;
	int rr;

	close(self->r);
	self->r = -1;
	ASSERT_EQ(0, mqt_set_nonblock(self->w, true));
	n = 4 * MQ_RING_SIZE_MIN / mqt_record_size(MSG_LEN);
	for (i = 0; i < n; i++) {
		mqt_msg_fill(self->buf, MSG_LEN, 0, i);
		ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN))
			TH_LOG("message %ld of %ld", i, n);
	}
	/* Nobody needed what left the ring: retention, not drops. */
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_LT(0, st.first_offset);
	EXPECT_EQ(0, st.drops);
	/* What is retained is the newest. */
	rr = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, rr);
	EXPECT_EQ(n - 1, mqt_seek(rr, -1, SEEK_END));
	EXPECT_EQ(n - 1, read_seq(rr));
	close(rr);
}

/* ---- signals ---------------------------------------------------------- */

static volatile sig_atomic_t *handled;

static void on_usr1(int sig)
{
	(void)sig;
	(*handled)++;
}

FIXTURE(sig) {
	struct mq_topic_config cfg;
	bool made;
	int w, r;
	long n;		/* messages in the ring when the child blocks */
	pid_t child;
};

FIXTURE_VARIANT(sig) {
	bool restart;	/* SA_RESTART */
	bool write;	/* blocked in write on a full ring, else read on empty */
};

FIXTURE_VARIANT_ADD(sig, read_eintr) { .restart = false, .write = false };
FIXTURE_VARIANT_ADD(sig, read_restart) { .restart = true, .write = false };
FIXTURE_VARIANT_ADD(sig, write_eintr) { .restart = false, .write = true };
FIXTURE_VARIANT_ADD(sig, write_restart) { .restart = true, .write = true };

FIXTURE_SETUP(sig)
{
	handled = mmap(NULL, sizeof(*handled), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, handled);
	*handled = 0;
	mqt_topic_init(&self->cfg, "sig");
	mqt_set_ring(&self->cfg, MQ_RING_SIZE_MIN, 0);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	self->r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, self->r);
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
	if (variant->write) {
		self->n = fill(self->w);
		ASSERT_LT(0, self->n);
	}
}

FIXTURE_TEARDOWN(sig)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	close(self->w);
	close(self->r);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
	munmap((void *)handled, sizeof(*handled));
}

/*
 * The child blocks, takes SIGUSR1, and reports: 0 when the call failed
 * with EINTR (no SA_RESTART) or completed after the signal (SA_RESTART).
 */
static int sig_child(const FIXTURE_VARIANT(sig) *variant, int w, int r, long n)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	char buf[MSG_LEN];
	long ret;

	sa.sa_flags = variant->restart ? SA_RESTART : 0;
	if (sigaction(SIGUSR1, &sa, NULL))
		return 20;
	if (variant->write) {
		mqt_msg_fill(buf, MSG_LEN, 0, n);
		ret = mqt_write(w, buf, MSG_LEN);
	} else {
		ret = read_seq(r);
	}
	if (*handled != 1)
		return 21;
	if (!variant->restart)
		return ret == -EINTR ? 0 : 22;
	if (variant->write)
		return ret == MSG_LEN ? 0 : 23;
	return ret == 0 ? 0 : 24;
}

TEST_F(sig, interrupted)
{
	long nr = variant->write ? SYS_write : SYS_read;
	struct mq_queue_stats st;
	char buf[MSG_LEN];

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0)
		_exit(sig_child(variant, self->w, self->r, self->n));

	ASSERT_EQ(0, mqt_wait_blocked(self->child, nr));
	ASSERT_EQ(0, kill(self->child, SIGUSR1));

	if (variant->restart) {
		/* The handler ran and the call went back to sleep. */
		long long end = mqt_now_ms() + MQT_WAIT_MS;

		while (*handled == 0 && mqt_now_ms() < end)
			mqt_sleep_ms(5);
		ASSERT_EQ(1, *handled);
		ASSERT_EQ(0, mqt_wait_blocked(self->child, nr));
		/* Now let it complete. */
		if (variant->write) {
			ASSERT_EQ(0, read_seq(self->r));
		} else {
			mqt_msg_fill(buf, MSG_LEN, 0, 0);
			ASSERT_EQ(MSG_LEN, mqt_write(self->w, buf, MSG_LEN));
		}
	}
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;

	/* An interrupted write appended nothing; a restarted one, once. */
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	if (variant->write) {
		EXPECT_EQ(self->n + variant->restart, st.next_offset);
	} else {
		EXPECT_EQ(variant->restart ? 1 : 0, st.next_offset);
	}
}

/* ---- MQ_FULL_DROP -------------------------------------------------------- */

TEST(drop_never_waits)
{
	struct mq_topic_config cfg;
	struct mq_queue_stats st;
	long n = 4 * MQ_RING_SIZE_MIN / mqt_record_size(MSG_LEN), i;
	int w, r, code;
	pid_t child;

	mqt_topic_init(&cfg, "drop");
	mqt_set_ring(&cfg, MQ_RING_SIZE_MIN, 0);
	mqt_set_policy(&cfg, MQ_FULL_DROP);
	ASSERT_EQ(0, mqt_topic_add(&cfg));
	/* A reader that never reads, and a blocking writer. */
	r = mqt_open(cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, r);
	w = mqt_open(cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, w);

	/* In a child, so that a write that waits cannot hang the test. */
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		char buf[MSG_LEN];

		for (i = 0; i < n; i++) {
			mqt_msg_fill(buf, MSG_LEN, 0, i);
			if (mqt_write(w, buf, MSG_LEN) != MSG_LEN)
				_exit(10);
		}
		_exit(0);
	}
	code = mqt_child_code(child);
	ASSERT_EQ(0, code) TH_LOG("the writer failed or waited");

	ASSERT_EQ(0, mqt_queue_stats(cfg.name, 0, &st));
	EXPECT_EQ(n, st.next_offset);
	EXPECT_EQ(n, st.msgs_in);
	/* The oldest went: every offset before the first retained one. */
	EXPECT_LT(0, st.first_offset);
	EXPECT_EQ(st.first_offset, st.drops);
	EXPECT_GE(MQ_RING_SIZE_MIN / mqt_record_size(MSG_LEN),
		  n - st.first_offset);
	EXPECT_EQ(0, st.msgs_out);

	/* The lagging reader lost them; the newest are all there, in order. */
	EXPECT_EQ(-ERANGE, read_seq(r));
	ASSERT_EQ((long long)st.first_offset,
		  mqt_seek(r, st.first_offset, SEEK_SET));
	for (i = st.first_offset; i < n; i++) {
		ASSERT_EQ(i, read_seq(r));
	}
	EXPECT_EQ(-EAGAIN, read_seq(r));

	close(w);
	close(r);
	EXPECT_EQ(0, mqt_topic_del(cfg.name));
}

/* drops counts what a reader lost, not what every reader had read. */
TEST(drop_counts_only_unread_records)
{
	long n = 4 * MQ_RING_SIZE_MIN / mqt_record_size(MSG_LEN), i;
	struct mq_topic_config cfg;
	struct mq_queue_stats st;
	char buf[MSG_LEN];
	int w, r;

	mqt_topic_init(&cfg, "dropread");
	mqt_set_ring(&cfg, MQ_RING_SIZE_MIN, 0);
	mqt_set_policy(&cfg, MQ_FULL_DROP);
	ASSERT_EQ(0, mqt_topic_add(&cfg));
	r = mqt_open(cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, r);
	w = mqt_open(cfg.name, 0, O_WRONLY | O_NONBLOCK);
	ASSERT_LE(0, w);

	/* The first ten are read, the rest are not. */
	for (i = 0; i < 10; i++) {
		mqt_msg_fill(buf, MSG_LEN, 0, i);
		ASSERT_EQ(MSG_LEN, mqt_write(w, buf, MSG_LEN));
		ASSERT_EQ(i, read_seq(r));
	}
	for (; i < n; i++) {
		mqt_msg_fill(buf, MSG_LEN, 0, i);
		ASSERT_EQ(MSG_LEN, mqt_write(w, buf, MSG_LEN));
	}
	ASSERT_EQ(0, mqt_queue_stats(cfg.name, 0, &st));
	ASSERT_LT(10, st.first_offset);
	EXPECT_EQ(st.first_offset - 10, st.drops);

	close(w);
	close(r);
	EXPECT_EQ(0, mqt_topic_del(cfg.name));
}

TEST_HARNESS_MAIN
