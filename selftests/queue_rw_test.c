// SPDX-License-Identifier: GPL-2.0
/*
 * queue_rw_test: one write(2) appends one message and one read(2) returns
 * one, with every size boundary, short buffer and access-mode error the
 * ABI defines, 100 000 self-verifying messages in order, and the queue
 * counters MQ_CMD_QUEUE_GET reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mq_util.h"
#include "kselftest_harness.h"

FIXTURE(rw) {
	struct mq_topic_config cfg;	/* as the kernel reports it */
	bool made;
	int w;		/* O_WRONLY: its position is never used */
	int r;		/* O_RDONLY | O_NONBLOCK: an empty read fails, never hangs */
	char *buf;	/* max_msg_size + 64 bytes */
	char *out;
};

FIXTURE_VARIANT(rw) {
	uint64_t ring_size;	/* 0: the default */
	uint32_t max_msg_size;	/* 0: the default for the ring */
	uint32_t expect_max;	/* what the kernel must report */
};

/* Nothing set: a 1 MiB ring and 64 KiB messages. */
FIXTURE_VARIANT_ADD(rw, defaults) {
	.expect_max = MQ_MAX_MSG_SIZE_DEFAULT,
};

/*
 * The smallest ring with the largest message it allows: a record must fit
 * twice, so 2 * MQ_RECORD_ALIGN(64 + max) <= 4096, max = 1984.
 */
FIXTURE_VARIANT_ADD(rw, small_ring) {
	.ring_size = MQ_RING_SIZE_MIN,
	.max_msg_size = MQ_RING_SIZE_MIN / 2 - MQ_RECORD_HDR_SIZE,
	.expect_max = MQ_RING_SIZE_MIN / 2 - MQ_RECORD_HDR_SIZE,
};

/* A ring size alone: the max follows it down. */
FIXTURE_VARIANT_ADD(rw, small_ring_default_max) {
	.ring_size = MQ_RING_SIZE_MIN,
	.expect_max = MQ_RING_SIZE_MIN / 2 - MQ_RECORD_HDR_SIZE,
};

FIXTURE_SETUP(rw)
{
	struct mq_topic_config want;

	mqt_topic_init(&want, "rw");
	if (variant->ring_size)
		mqt_set_ring(&want, variant->ring_size, variant->max_msg_size);
	ASSERT_EQ(0, mqt_topic_add(&want));
	self->made = true;
	ASSERT_EQ(0, mqt_topic_get(want.name, &self->cfg));
	ASSERT_EQ(variant->expect_max, self->cfg.max_msg_size);
	ASSERT_EQ(variant->ring_size ?: MQ_RING_SIZE_DEFAULT, self->cfg.ring_size);

	self->w = mqt_open(want.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w) TH_LOG("open: %s", strerror(-self->w));
	self->r = mqt_open(want.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->r) TH_LOG("open: %s", strerror(-self->r));
	self->buf = malloc(self->cfg.max_msg_size + 64);
	self->out = malloc(self->cfg.max_msg_size + 64);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->out);
}

FIXTURE_TEARDOWN(rw)
{
	if (self->w >= 0)
		close(self->w);
	if (self->r >= 0)
		close(self->r);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
	free(self->buf);
	free(self->out);
}

static void pattern(char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)(seed + i * 7 + (i >> 8));
}

TEST_F(rw, one_message)
{
	static const char msg[] = "hello, queue";
	char big[256];

	ASSERT_EQ(0, mqt_pos(self->r));
	ASSERT_EQ(sizeof(msg), mqt_write(self->w, msg, sizeof(msg)));
	ASSERT_EQ(1, mqt_next(self->w));

	memset(big, 0x5a, sizeof(big));
	ASSERT_EQ(sizeof(msg), mqt_read(self->r, big, sizeof(big)));
	EXPECT_EQ(0, memcmp(msg, big, sizeof(msg)));
	/* Only the message's bytes are written into the buffer. */
	EXPECT_EQ(0x5a, big[sizeof(msg)]);
	EXPECT_EQ(1, mqt_pos(self->r));

	/* One read, one message: nothing is left. */
	EXPECT_EQ(-EAGAIN, mqt_read(self->r, big, sizeof(big)));
	EXPECT_EQ(1, mqt_pos(self->r));
}

TEST_F(rw, writev_is_one_message)
{
	struct iovec iov[4] = {
		{ .iov_base = "ab", .iov_len = 2 },
		{ .iov_base = "", .iov_len = 0 },
		{ .iov_base = "cdef", .iov_len = 4 },
		{ .iov_base = "g", .iov_len = 1 },
	};
	char a[3], b[16];
	struct iovec riov[2] = {
		{ .iov_base = a, .iov_len = sizeof(a) },
		{ .iov_base = b, .iov_len = sizeof(b) },
	};

	ASSERT_EQ(7, writev(self->w, iov, 4));
	ASSERT_EQ(1, mqt_next(self->w));

	ASSERT_EQ(7, mqt_read(self->r, self->out, 64));
	EXPECT_EQ(0, memcmp("abcdefg", self->out, 7));

	/* And readv scatters one message over the buffers, in order. */
	ASSERT_EQ(7, writev(self->w, iov, 4));
	ASSERT_EQ(7, readv(self->r, riov, 2));
	EXPECT_EQ(0, memcmp("abc", a, 3));
	EXPECT_EQ(0, memcmp("defg", b, 4));
	EXPECT_EQ(2, mqt_pos(self->r));
	EXPECT_EQ(-EAGAIN, mqt_read(self->r, self->out, 64));
}

TEST_F(rw, short_buffer_consumes_nothing)
{
	struct iovec riov[2] = {
		{ .iov_base = self->out, .iov_len = 50 },
		{ .iov_base = self->out + 50, .iov_len = 49 },
	};

	pattern(self->buf, 100, 1);
	ASSERT_EQ(100, mqt_write(self->w, self->buf, 100));

	EXPECT_EQ(-EMSGSIZE, mqt_read(self->r, self->out, 99));
	EXPECT_EQ(0, mqt_pos(self->r));
	EXPECT_EQ(-EMSGSIZE, mqt_read(self->r, self->out, 1));
	EXPECT_EQ(-EMSGSIZE, mqt_read(self->r, self->out, 0));
	EXPECT_EQ(-EMSGSIZE, mqt_pread(self->r, self->out, 99, 0));
	errno = 0;
	EXPECT_EQ(-1, readv(self->r, riov, 2));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(0, mqt_pos(self->r));

	/* The message is still there, whole, for a buffer big enough. */
	ASSERT_EQ(100, mqt_read(self->r, self->out, 100));
	EXPECT_EQ(0, memcmp(self->buf, self->out, 100));
	EXPECT_EQ(1, mqt_pos(self->r));
}

/*
 * Vectors of zero bytes in all never reach the driver: the VFS answers 0.
 * Nothing is appended and nothing consumed (unlike write(2) of 0 bytes,
 * which the queue refuses with EINVAL).
 */
TEST_F(rw, empty_vectors_do_nothing)
{
	struct iovec none = { .iov_base = self->buf, .iov_len = 0 };
	long long next = mqt_next(self->w);

	EXPECT_EQ(0, writev(self->w, &none, 1));
	EXPECT_EQ(next, mqt_next(self->w));

	pattern(self->buf, 10, 3);
	ASSERT_EQ(10, mqt_write(self->w, self->buf, 10));
	none.iov_base = self->out;
	EXPECT_EQ(0, readv(self->r, &none, 1));
	EXPECT_EQ(0, mqt_pos(self->r));
	ASSERT_EQ(10, mqt_read(self->r, self->out, 10));
	EXPECT_EQ(0, memcmp(self->buf, self->out, 10));
}

TEST_F(rw, size_boundaries)
{
	uint32_t max = self->cfg.max_msg_size;
	uint32_t sizes[] = { 1, 2, max - 1, max };
	struct iovec iov[2];
	long long next = 0;
	unsigned int i;
	char *huge;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		pattern(self->buf, sizes[i], i);
		ASSERT_EQ(sizes[i], mqt_write(self->w, self->buf, sizes[i]));
		ASSERT_EQ(++next, mqt_next(self->w));
		/* Read back at once: two max-size records may fill the ring. */
		ASSERT_EQ(sizes[i], mqt_read(self->r, self->out, max + 64))
			TH_LOG("size %u", sizes[i]);
		EXPECT_EQ(0, memcmp(self->buf, self->out, sizes[i]));
	}

	/* One byte too many: EMSGSIZE and nothing appended. */
	EXPECT_EQ(-EMSGSIZE, mqt_write(self->w, self->buf, max + 1));
	EXPECT_EQ(next, mqt_next(self->w));
	/* Empty: EINVAL and nothing appended. */
	EXPECT_EQ(-EINVAL, mqt_write(self->w, self->buf, 0));
	EXPECT_EQ(next, mqt_next(self->w));
	/* Far too many. */
	huge = calloc(1, 4 << 20);
	ASSERT_NE(NULL, huge);
	EXPECT_EQ(-EMSGSIZE, mqt_write(self->w, huge, 4 << 20));
	free(huge);
	EXPECT_EQ(next, mqt_next(self->w));
	/* max + 1 over two iovecs is one message, too long as a whole. */
	iov[0] = (struct iovec){ .iov_base = self->buf, .iov_len = max };
	iov[1] = (struct iovec){ .iov_base = self->buf, .iov_len = 1 };
	errno = 0;
	EXPECT_EQ(-1, writev(self->w, iov, 2));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(next, mqt_next(self->w));

	/* No reader sees anything of the refused writes. */
	EXPECT_EQ(-EAGAIN, mqt_read(self->r, self->out, max + 64));
	EXPECT_EQ(next, mqt_pos(self->r));
}

TEST_F(rw, faulting_write_leaves_a_skipped_offset)
{
	long page = sysconf(_SC_PAGESIZE);
	void *hole;

	hole = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);

	ASSERT_EQ(1, mqt_write(self->w, "A", 1));
	EXPECT_EQ(-EFAULT, mqt_write(self->w, hole, 64));
	/* The faulting write took an offset: its discarded record. */
	EXPECT_EQ(2, mqt_next(self->w));
	ASSERT_EQ(1, mqt_write(self->w, "B", 1));
	EXPECT_EQ(3, mqt_next(self->w));

	/* Readers never see it: A, then B, then nothing. */
	ASSERT_EQ(1, mqt_read(self->r, self->out, 64));
	EXPECT_EQ('A', self->out[0]);
	ASSERT_EQ(1, mqt_read(self->r, self->out, 64));
	EXPECT_EQ('B', self->out[0]);
	EXPECT_EQ(3, mqt_pos(self->r));
	EXPECT_EQ(-EAGAIN, mqt_read(self->r, self->out, 64));
	munmap(hole, page);
}

/*
 * 100 000 messages of random sizes through the ring, many times around
 * it: the writer fills the ring until the lagging reader holds it back
 * (EAGAIN), the reader drains it, again.  Every message carries its
 * sequence number, its length and a checksum of its payload.
 */
TEST_F_TIMEOUT(rw, order_100k, 100)
{
	const uint64_t total = 100000;
	uint32_t max = self->cfg.max_msg_size, cap, producer;
	uint64_t wseq = 0, rseq = 0, seq, rnd_w = 42, rnd_r = 42;
	long ret;
	int rounds = 0;

	/* Mostly small (TCG is slow), sometimes the largest. */
	cap = max < 512 ? max : 512;
	ASSERT_EQ(0, mqt_set_nonblock(self->w, true));
#define NEXT_SIZE(rnd) ((mqt_xorshift(&(rnd)) % 64 == 0) ? max : \
			MQT_MSG_MIN + mqt_xorshift(&(rnd)) % (cap - MQT_MSG_MIN + 1))
	while (rseq < total) {
		uint32_t len = 0;

		while (wseq < total) {
			uint64_t saved = rnd_w;

			len = NEXT_SIZE(rnd_w);
			mqt_msg_fill(self->buf, len, 7, wseq);
			ret = mqt_write(self->w, self->buf, len);
			if (ret == -EAGAIN) {
				rnd_w = saved;	/* the same message next time */
				break;
			}
			ASSERT_EQ(len, ret) TH_LOG("message %llu", (unsigned long long)wseq);
			wseq++;
		}
		/* A full ring holds at least this one message. */
		ASSERT_LT(rseq, wseq) TH_LOG("the ring took nothing");
		while (rseq < wseq) {
			uint32_t want = NEXT_SIZE(rnd_r);

			ret = mqt_read(self->r, self->out, max);
			ASSERT_EQ(want, ret) TH_LOG("message %llu", (unsigned long long)rseq);
			ASSERT_EQ(0, mqt_msg_check(self->out, ret, &producer, &seq))
				TH_LOG("message %llu is damaged", (unsigned long long)rseq);
			ASSERT_EQ(7, producer);
			ASSERT_EQ(rseq, seq);
			rseq++;
		}
		EXPECT_EQ(-EAGAIN, mqt_read(self->r, self->out, max));
		rounds++;
	}
#undef NEXT_SIZE
	EXPECT_EQ(total, (uint64_t)mqt_next(self->w));
	EXPECT_EQ(total, (uint64_t)mqt_pos(self->r));
	TH_LOG("%d fill/drain rounds", rounds);
}

TEST_F(rw, new_fd_starts_at_next)
{
	char c;
	int r2;

	ASSERT_EQ(1, mqt_write(self->w, "0", 1));
	ASSERT_EQ(1, mqt_write(self->w, "1", 1));
	ASSERT_EQ(1, mqt_write(self->w, "2", 1));

	r2 = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, r2);
	/* Like tail -f: what was written before the open is behind it. */
	EXPECT_EQ(3, mqt_pos(r2));
	EXPECT_EQ(-EAGAIN, mqt_read(r2, &c, 1));
	ASSERT_EQ(1, mqt_write(self->w, "3", 1));
	ASSERT_EQ(1, mqt_read(r2, &c, 1));
	EXPECT_EQ('3', c);
	EXPECT_EQ(4, mqt_pos(r2));

	/* The older fd still starts where it opened, at 0. */
	ASSERT_EQ(1, mqt_read(self->r, &c, 1));
	EXPECT_EQ('0', c);
	close(r2);
}

TEST_F(rw, each_fd_its_own_cursor)
{
	int r2, i;
	char c;

	r2 = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, r2);
	for (i = 0; i < 5; i++) {
		c = '0' + i;
		ASSERT_EQ(1, mqt_write(self->w, &c, 1));
	}

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(1, mqt_read(self->r, &c, 1));
		EXPECT_EQ('0' + i, c);
	}
	/* Reading on one fd took nothing from the other. */
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(1, mqt_read(r2, &c, 1));
		EXPECT_EQ('0' + i, c);
	}
	for (i = 2; i < 5; i++) {
		ASSERT_EQ(1, mqt_read(self->r, &c, 1));
		EXPECT_EQ('0' + i, c);
	}
	EXPECT_EQ(5, mqt_pos(self->r));
	EXPECT_EQ(5, mqt_pos(r2));
	EXPECT_EQ(-EAGAIN, mqt_read(r2, &c, 1));
	close(r2);
}

TEST_F(rw, access_modes)
{
	int rw;
	char c;

	/* Read on a write-only fd and write on a read-only fd: EBADF. */
	ASSERT_EQ(1, mqt_write(self->w, "x", 1));
	EXPECT_EQ(-EBADF, mqt_read(self->w, &c, 1));
	EXPECT_EQ(-EBADF, mqt_pread(self->w, &c, 1, 0));
	EXPECT_EQ(-EBADF, mqt_write(self->r, "y", 1));
	EXPECT_EQ(1, mqt_next(self->w));

	/* O_RDWR does both; its own write is at its position (it opened at 1). */
	rw = mqt_open(self->cfg.name, 0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, rw);
	EXPECT_EQ(1, mqt_pos(rw));
	ASSERT_EQ(1, mqt_write(rw, "z", 1));
	EXPECT_EQ(1, mqt_pos(rw));
	ASSERT_EQ(1, mqt_read(rw, &c, 1));
	EXPECT_EQ('z', c);
	close(rw);
}

TEST_F(rw, writes_ignore_the_position)
{
	char c;

	ASSERT_EQ(1, mqt_write(self->w, "a", 1));
	ASSERT_EQ(1, mqt_write(self->w, "b", 1));
	/* The writer's position stays where open put it. */
	EXPECT_EQ(0, mqt_pos(self->w));
	/* pwrite's offset is ignored: it appends like write. */
	ASSERT_EQ(1, pwrite(self->w, "c", 1, 0));
	ASSERT_EQ(1, pwrite(self->w, "d", 1, 1000));
	EXPECT_EQ(4, mqt_next(self->w));
	EXPECT_EQ(4, mqt_pos(self->w));	/* mqt_next moved it, nothing else did */

	ASSERT_EQ(1, mqt_read(self->r, &c, 1));
	EXPECT_EQ('a', c);
	ASSERT_EQ(1, mqt_read(self->r, &c, 1));
	EXPECT_EQ('b', c);
	ASSERT_EQ(1, mqt_read(self->r, &c, 1));
	EXPECT_EQ('c', c);
	ASSERT_EQ(1, mqt_read(self->r, &c, 1));
	EXPECT_EQ('d', c);
}

TEST_F(rw, queue_counters)
{
	struct mq_queue_stats st;
	int rw;

	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_STREQ(self->cfg.name, st.topic);
	EXPECT_EQ(0, st.queue);
	EXPECT_EQ(0, st.first_offset);
	EXPECT_EQ(0, st.next_offset);
	EXPECT_EQ(0, st.msgs_in);
	EXPECT_EQ(0, st.bytes_in);
	EXPECT_EQ(0, st.msgs_out);
	EXPECT_EQ(0, st.bytes_out);
	EXPECT_EQ(0, st.drops);
	EXPECT_EQ(1, st.readers);
	EXPECT_EQ(1, st.writers);

	rw = mqt_open(self->cfg.name, 0, O_RDWR);
	ASSERT_LE(0, rw);
	ASSERT_EQ(10, mqt_write(self->w, self->buf, 10));
	ASSERT_EQ(20, mqt_write(self->w, self->buf, 20));
	ASSERT_EQ(30, mqt_write(rw, self->buf, 30));
	/* Refused writes count nowhere. */
	ASSERT_EQ(-EINVAL, mqt_write(self->w, self->buf, 0));
	ASSERT_EQ(-EMSGSIZE, mqt_write(self->w, self->buf, self->cfg.max_msg_size + 1));
	ASSERT_EQ(10, mqt_read(self->r, self->out, 64));
	ASSERT_EQ(20, mqt_read(self->r, self->out, 64));
	/* A refused read counts nowhere either. */
	ASSERT_EQ(-EMSGSIZE, mqt_read(self->r, self->out, 1));

	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(0, st.first_offset);
	EXPECT_EQ(3, st.next_offset);
	EXPECT_EQ(3, st.msgs_in);
	EXPECT_EQ(60, st.bytes_in);
	EXPECT_EQ(2, st.msgs_out);
	EXPECT_EQ(30, st.bytes_out);
	EXPECT_EQ(0, st.drops);
	EXPECT_EQ(2, st.readers);
	EXPECT_EQ(2, st.writers);

	close(rw);
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(1, st.readers);
	EXPECT_EQ(1, st.writers);
}

/* The queues of a topic are separate devices with separate offsets. */
TEST(queues_are_independent)
{
	struct mq_topic_config cfg;
	struct mq_queue_stats st;
	char path[128], c;
	int w[4], r[4], i, fd;
	struct stat sb;

	mqt_topic_init(&cfg, "rwq");
	mqt_set_queues(&cfg, 4);
	ASSERT_EQ(0, mqt_topic_add(&cfg));

	for (i = 0; i < 4; i++) {
		mqt_queue_path(path, sizeof(path), cfg.name, i);
		ASSERT_EQ(0, stat(path, &sb)) TH_LOG("%s", path);
		EXPECT_TRUE(S_ISCHR(sb.st_mode));
		w[i] = mqt_open(cfg.name, i, O_WRONLY);
		r[i] = mqt_open(cfg.name, i, O_RDONLY | O_NONBLOCK);
		ASSERT_LE(0, w[i]);
		ASSERT_LE(0, r[i]);
	}
	fd = mqt_open(cfg.name, 4, O_RDONLY);
	EXPECT_EQ(-ENOENT, fd);
	if (fd >= 0)
		close(fd);

	/* Queue i gets i + 1 messages. */
	for (i = 0; i < 4; i++) {
		int k;

		for (k = 0; k <= i; k++) {
			c = 'a' + i;
			ASSERT_EQ(1, mqt_write(w[i], &c, 1));
		}
	}
	for (i = 0; i < 4; i++) {
		int k;

		EXPECT_EQ(i + 1, mqt_next(w[i]));
		for (k = 0; k <= i; k++) {
			ASSERT_EQ(1, mqt_read(r[i], &c, 1));
			EXPECT_EQ('a' + i, c);
		}
		EXPECT_EQ(-EAGAIN, mqt_read(r[i], &c, 1));
		ASSERT_EQ(0, mqt_queue_stats(cfg.name, i, &st));
		EXPECT_EQ(i + 1, st.msgs_in);
		EXPECT_EQ(i + 1, st.next_offset);
		close(w[i]);
		close(r[i]);
	}
	EXPECT_EQ(0, mqt_topic_del(cfg.name));
}

TEST_HARNESS_MAIN
