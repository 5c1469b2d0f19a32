// SPDX-License-Identifier: GPL-2.0
/*
 * queue_seek_test: lseek(2) and pread(2) on a queue address logical
 * offsets, with every boundary and errno the ABI defines, and a reader
 * whose position fell out of a dropping ring gets ERANGE until it seeks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mq_util.h"
#include "kselftest_harness.h"

#define NMSG	10
#define MSG_LEN	100

FIXTURE(seek) {
	struct mq_topic_config cfg;
	bool made;
	int w;		/* O_WRONLY */
	int r;		/* O_RDONLY | O_NONBLOCK, opened before any write: at 0 */
	char buf[MSG_LEN];
};

FIXTURE_VARIANT(seek) {
	uint32_t policy;
	int nmsg;	/* messages written in setup: offsets 0..nmsg-1 */
};

FIXTURE_VARIANT_ADD(seek, empty) { .policy = MQ_FULL_BLOCK, .nmsg = 0 };
FIXTURE_VARIANT_ADD(seek, ten) { .policy = MQ_FULL_BLOCK, .nmsg = NMSG };
/* Nothing dropped yet: the drop policy changes no boundary. */
FIXTURE_VARIANT_ADD(seek, ten_drop) { .policy = MQ_FULL_DROP, .nmsg = NMSG };

FIXTURE_SETUP(seek)
{
	int i;

	mqt_topic_init(&self->cfg, "seek");
	mqt_set_policy(&self->cfg, variant->policy);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
	self->r = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->r);
	for (i = 0; i < variant->nmsg; i++) {
		mqt_msg_fill(self->buf, MSG_LEN, 0, i);
		ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	}
}

FIXTURE_TEARDOWN(seek)
{
	close(self->w);
	close(self->r);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
}

/* Read one message at the position and return its offset, or -errno. */
static long long read_seq(int fd)
{
	return mqt_read_seq(fd, MSG_LEN);
}

static long long pread_seq(int fd, long long off)
{
	char buf[MSG_LEN];
	uint32_t producer;
	uint64_t seq;
	long ret;

	ret = mqt_pread(fd, buf, sizeof(buf), off);
	if (ret < 0)
		return ret;
	if (mqt_msg_check(buf, ret, &producer, &seq))
		return -EBADMSG;
	return seq;
}

TEST_F(seek, seek_set)
{
	long long next = variant->nmsg;

	EXPECT_EQ(0, mqt_seek(self->r, 0, SEEK_SET));		/* first */
	EXPECT_EQ(next, mqt_seek(self->r, next, SEEK_SET));	/* next */
	EXPECT_EQ(next, mqt_pos(self->r));
	EXPECT_EQ(-ENXIO, mqt_seek(self->r, next + 1, SEEK_SET));
	EXPECT_EQ(-ENXIO, mqt_seek(self->r, LLONG_MAX, SEEK_SET));
	EXPECT_EQ(-EINVAL, mqt_seek(self->r, -1, SEEK_SET));
	EXPECT_EQ(-EINVAL, mqt_seek(self->r, LLONG_MIN, SEEK_SET));
	/* A failed seek leaves the position alone. */
	EXPECT_EQ(next, mqt_pos(self->r));
	EXPECT_EQ(-EAGAIN, read_seq(self->r));

	if (next) {
		EXPECT_EQ(next / 2, mqt_seek(self->r, next / 2, SEEK_SET));
		EXPECT_EQ(next / 2, read_seq(self->r));
		EXPECT_EQ(next / 2 + 1, mqt_pos(self->r));
		/* Back to the first: the queue replays. */
		EXPECT_EQ(0, mqt_seek(self->r, 0, SEEK_SET));
		EXPECT_EQ(0, read_seq(self->r));
		EXPECT_EQ(1, read_seq(self->r));
	}
}

TEST_F(seek, seek_cur)
{
	long long next = variant->nmsg, mid = next / 2;

	ASSERT_EQ(mid, mqt_seek(self->r, mid, SEEK_SET));
	EXPECT_EQ(mid, mqt_seek(self->r, 0, SEEK_CUR));
	EXPECT_EQ(next, mqt_seek(self->r, next - mid, SEEK_CUR));
	EXPECT_EQ(-ENXIO, mqt_seek(self->r, 1, SEEK_CUR));
	EXPECT_EQ(-ENXIO, mqt_seek(self->r, 1LL << 62, SEEK_CUR));
	EXPECT_EQ(next, mqt_pos(self->r));
	EXPECT_EQ(0, mqt_seek(self->r, -next, SEEK_CUR));
	EXPECT_EQ(-EINVAL, mqt_seek(self->r, -1, SEEK_CUR));
	EXPECT_EQ(-EINVAL, mqt_seek(self->r, LLONG_MIN, SEEK_CUR));
	EXPECT_EQ(0, mqt_pos(self->r));
	if (next) {
		/* From a position above 0, LLONG_MAX overflows: EINVAL. */
		ASSERT_EQ(next, mqt_seek(self->r, next, SEEK_SET));
		EXPECT_EQ(-EINVAL, mqt_seek(self->r, LLONG_MAX, SEEK_CUR));
		EXPECT_EQ(next, mqt_pos(self->r));
		ASSERT_EQ(0, mqt_seek(self->r, 0, SEEK_SET));
		EXPECT_EQ(mid, mqt_seek(self->r, mid, SEEK_CUR));
		EXPECT_EQ(mid, read_seq(self->r));
		EXPECT_EQ(mid, mqt_seek(self->r, -1, SEEK_CUR));
		EXPECT_EQ(mid, read_seq(self->r));
	}
}

TEST_F(seek, seek_end)
{
	long long next = variant->nmsg;

	EXPECT_EQ(next, mqt_seek(self->r, 0, SEEK_END));
	EXPECT_EQ(-EAGAIN, read_seq(self->r));
	EXPECT_EQ(-ENXIO, mqt_seek(self->r, 1, SEEK_END));
	EXPECT_EQ(-ENXIO, mqt_seek(self->r, 1LL << 62, SEEK_END));
	EXPECT_EQ(0, mqt_seek(self->r, -next, SEEK_END));
	EXPECT_EQ(-EINVAL, mqt_seek(self->r, -next - 1, SEEK_END));
	EXPECT_EQ(-EINVAL, mqt_seek(self->r, LLONG_MIN, SEEK_END));
	EXPECT_EQ(0, mqt_pos(self->r));
	/* next + LLONG_MAX: past next, or overflowing when next > 0. */
	EXPECT_EQ(next ? -EINVAL : -ENXIO, mqt_seek(self->r, LLONG_MAX, SEEK_END));
	EXPECT_EQ(0, mqt_pos(self->r));
	if (next) {
		EXPECT_EQ(next - 1, mqt_seek(self->r, -1, SEEK_END));
		EXPECT_EQ(next - 1, read_seq(self->r));
		EXPECT_EQ(next, mqt_pos(self->r));
	}
	/* SEEK_END follows the queue as it grows. */
	mqt_msg_fill(self->buf, MSG_LEN, 0, next);
	ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	EXPECT_EQ(next + 1, mqt_seek(self->r, 0, SEEK_END));
	EXPECT_EQ(next, mqt_seek(self->r, -1, SEEK_END));
	EXPECT_EQ(next, read_seq(self->r));
}

TEST_F(seek, bad_whence)
{
	static const int whences[] = { SEEK_DATA, SEEK_HOLE, 5, 100, -1, INT_MAX };
	unsigned int i;

	ASSERT_EQ(0, mqt_seek(self->r, 0, SEEK_SET));
	for (i = 0; i < ARRAY_SIZE(whences); i++) {
		EXPECT_EQ(-EINVAL, mqt_seek(self->r, 0, whences[i]))
			TH_LOG("whence %d", whences[i]);
	}
	EXPECT_EQ(0, mqt_pos(self->r));
}

TEST_F(seek, pread_leaves_the_position)
{
	long long next = variant->nmsg;
	char buf[MSG_LEN];

	if (next) {
		EXPECT_EQ(0, pread_seq(self->r, 0));		/* first */
		EXPECT_EQ(next / 2, pread_seq(self->r, next / 2));
		EXPECT_EQ(next - 1, pread_seq(self->r, next - 1));	/* last */
		EXPECT_EQ(-EMSGSIZE, mqt_pread(self->r, buf, MSG_LEN - 1, next - 1));
		EXPECT_EQ(0, mqt_pos(self->r));
		/* Reads go on from the position, untouched by the preads. */
		EXPECT_EQ(0, read_seq(self->r));
		EXPECT_EQ(next - 1, pread_seq(self->r, next - 1));
		EXPECT_EQ(1, mqt_pos(self->r));
	}
	/* At next there is no message yet (the fd is O_NONBLOCK). */
	EXPECT_EQ(-EAGAIN, pread_seq(self->r, next));
	/* Past next there will never be one at this time: ENXIO. */
	EXPECT_EQ(-ENXIO, pread_seq(self->r, next + 1));
	EXPECT_EQ(-ENXIO, pread_seq(self->r, 1LL << 62));
	/* A negative offset: EINVAL. */
	EXPECT_EQ(-EINVAL, pread_seq(self->r, -1));
	EXPECT_EQ(next ? 1 : 0, mqt_pos(self->r));
}

TEST_F(seek, preadv2_nowait)
{
	long long next = variant->nmsg;
	char buf[MSG_LEN];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	int r;

	/* IOCB_NOWAIT on a blocking fd: EAGAIN where a read would wait. */
	r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, r);
	errno = 0;
	EXPECT_EQ(-1, preadv2(r, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	errno = 0;
	EXPECT_EQ(-1, preadv2(r, &iov, 1, next, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	if (next) {
		EXPECT_EQ(MSG_LEN, preadv2(r, &iov, 1, 0, RWF_NOWAIT));
	}
	EXPECT_EQ(next, mqt_pos(r));
	close(r);
}

/*
 * A ring of 4096 bytes under MQ_FULL_DROP and 100-byte messages (168-byte
 * records): writing 200 drops all but the last few.
 */
FIXTURE(dropped) {
	struct mq_topic_config cfg;
	bool made;
	int w, r;
	struct mq_queue_stats st;
};

FIXTURE_SETUP(dropped)
{
	char buf[MSG_LEN];
	int i;

	mqt_topic_init(&self->cfg, "seekd");
	mqt_set_ring(&self->cfg, MQ_RING_SIZE_MIN, 0);
	mqt_set_policy(&self->cfg, MQ_FULL_DROP);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
	self->r = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->r);
	for (i = 0; i < 200; i++) {
		mqt_msg_fill(buf, MSG_LEN, 0, i);
		ASSERT_EQ(MSG_LEN, mqt_write(self->w, buf, MSG_LEN));
	}
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &self->st));
	ASSERT_EQ(200, self->st.next_offset);
	/* What is retained fits in the ring; something is. */
	ASSERT_LT(0, self->st.first_offset);
	ASSERT_LT(self->st.first_offset, 200);
	ASSERT_GE(MQ_RING_SIZE_MIN / mqt_record_size(MSG_LEN),
		  200 - self->st.first_offset);
	EXPECT_EQ(self->st.first_offset, self->st.drops);
}

FIXTURE_TEARDOWN(dropped)
{
	close(self->w);
	close(self->r);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
}

TEST_F(dropped, read_fell_out_then_recovers)
{
	long long first = self->st.first_offset;

	/* r opened at 0, long dropped: ERANGE, and it stays so. */
	EXPECT_EQ(-ERANGE, read_seq(self->r));
	EXPECT_EQ(-ERANGE, read_seq(self->r));
	EXPECT_EQ(-ERANGE, pread_seq(self->r, 0));
	EXPECT_EQ(-ERANGE, pread_seq(self->r, first - 1));

	/* lseek below the first retained offset: ERANGE, position kept. */
	EXPECT_EQ(-ERANGE, mqt_seek(self->r, 0, SEEK_SET));
	EXPECT_EQ(-ERANGE, mqt_seek(self->r, first - 1, SEEK_SET));
	EXPECT_EQ(-ERANGE, mqt_seek(self->r, first - 200 - 1, SEEK_END));
	EXPECT_EQ(-ERANGE, read_seq(self->r));

	/* Recover at the first retained offset, and read on from there. */
	EXPECT_EQ(first, pread_seq(self->r, first));
	EXPECT_EQ(first, mqt_seek(self->r, first - 200, SEEK_END));
	EXPECT_EQ(first, mqt_seek(self->r, first, SEEK_SET));
	EXPECT_EQ(-ERANGE, mqt_seek(self->r, -1, SEEK_CUR));
	EXPECT_EQ(first, mqt_pos(self->r));
	while (first < 200) {
		EXPECT_EQ(first, read_seq(self->r));
		first++;
	}
	EXPECT_EQ(-EAGAIN, read_seq(self->r));
}

/* Asking where the position is answers even when it fell out of the ring. */
TEST_F(dropped, tell_outside_the_ring)
{
	EXPECT_EQ(0, mqt_seek(self->r, 0, SEEK_CUR));
	EXPECT_EQ(-ERANGE, read_seq(self->r));
	EXPECT_EQ(0, mqt_pos(self->r));
	/* Moving from there is checked as any move. */
	EXPECT_EQ(-ERANGE, mqt_seek(self->r, 1, SEEK_CUR));
}

/* The reader never read: every record that left the ring is its loss. */
TEST_F(dropped, drops_are_what_the_reader_lost)
{
	EXPECT_EQ(self->st.first_offset, self->st.drops);
}

TEST_F(dropped, reader_overtaken_while_reading)
{
	long long first = self->st.first_offset, pos;
	char buf[MSG_LEN];
	int i;

	ASSERT_EQ(first, mqt_seek(self->r, first, SEEK_SET));
	EXPECT_EQ(first, read_seq(self->r));
	/* The writer laps the reader: its next message is dropped under it. */
	for (i = 200; i < 400; i++) {
		mqt_msg_fill(buf, MSG_LEN, 0, i);
		ASSERT_EQ(MSG_LEN, mqt_write(self->w, buf, MSG_LEN));
	}
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &self->st));
	ASSERT_LT(first + 1, self->st.first_offset);
	EXPECT_EQ(-ERANGE, read_seq(self->r));
	pos = mqt_seek(self->r, 0, SEEK_END) - (400 - self->st.first_offset);
	EXPECT_EQ((long long)self->st.first_offset,
		  mqt_seek(self->r, pos, SEEK_SET));
	EXPECT_EQ((long long)self->st.first_offset, read_seq(self->r));
}

TEST_HARNESS_MAIN
