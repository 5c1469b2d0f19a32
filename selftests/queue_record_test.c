// SPDX-License-Identifier: GPL-2.0
/*
 * queue_record_test: record mode, splice and sendfile.  MQ_IOC_SET_MODE
 * and its errors; reads of many whole records, checked field by field and
 * by CRC-32C, bounded by the buffer; record-mode writes appended whole,
 * with the kernel's offsets, kept timestamps and new CRCs, and every bad
 * record (CRC, lengths, empty value, padding, reserved fields, size)
 * refused with nothing appended; group members in record mode; a reader
 * racing a producer that laps a small ring returns no torn record;
 * splice to a pipe; a queue forwarded over loopback TCP with sendfile(2)
 * and rebuilt with splice(2) into a second queue, byte for byte; a
 * record stream cut anywhere reassembled; a bad record stops the stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mq_util.h"
#include "mq_mmap.h"
#include "kselftest_harness.h"

#define BIG	(256 * 1024)

static int set_mode(int fd, uint32_t mode)
{
	return ioctl(fd, MQ_IOC_SET_MODE, &mode) ? -errno : 0;
}

/* The value of message @i: its number in ASCII, then filler. */
static uint32_t val_fill(char *buf, uint64_t i)
{
	uint32_t len = 8 + (uint32_t)(i * 37 % 120);

	memset(buf, 'a' + (int)(i % 26), len);
	memcpy(buf, &i, sizeof(i));
	return len;
}

/*
 * Builds a good record in @buf: @key of @klen bytes, @val of @vlen bytes,
 * timestamp @ts, with its CRC.  Returns its stride.
 */
static uint32_t rec_build(void *buf, const void *key, uint32_t klen,
			  const void *val, uint32_t vlen, uint64_t ts)
{
	struct mq_record *r = buf;
	uint32_t len = MQ_RECORD_HDR_SIZE + klen + vlen;
	uint32_t stride = MQ_RECORD_ALIGN(len);

	memset(buf, 0, stride);
	r->len = len;
	r->timestamp = ts;
	r->key_len = klen;
	r->value_len = vlen;
	r->magic = MQ_RECORD_MAGIC;
	memcpy((char *)buf + MQ_RECORD_HDR_SIZE, key, klen);
	memcpy((char *)buf + MQ_RECORD_HDR_SIZE + klen, val, vlen);
	r->crc = mqm_crc32c((char *)buf + MQ_RECORD_CRC_START,
			    len - MQ_RECORD_CRC_START);
	return stride;
}

/* Record @n of the write tests, built at @buf: returns its stride. */
static uint32_t rec_nth(void *buf, uint64_t n)
{
	char key[16], val[200];
	uint32_t vlen = val_fill(val, n);
	int klen = snprintf(key, sizeof(key), "k%llu", (unsigned long long)n);

	return rec_build(buf, key, klen, val, vlen, 1000 + n);
}

/* Re-seals a record after a test changed its header (a CRC that fits). */
static void rec_reseal(void *buf)
{
	struct mq_record *r = buf;

	r->crc = mqm_crc32c((char *)buf + MQ_RECORD_CRC_START,
			    r->len - MQ_RECORD_CRC_START);
}

/*
 * Checks @len bytes of records read from a queue: each whole, with a good
 * CRC, at consecutive offsets from *@off (moved past them).  Returns the
 * number of records, or -1 at the first bad one.
 */
static long recs_check(const void *buf, size_t len, uint64_t *off)
{
	size_t p = 0;
	long n = 0;

	while (p < len) {
		const struct mq_record *r = (const void *)((const char *)buf + p);
		uint32_t stride;

		if (len - p < MQ_RECORD_HDR_SIZE)
			return -1;
		stride = MQ_RECORD_ALIGN(r->len);
		if (r->len != MQ_RECORD_HDR_SIZE + r->key_len + r->value_len ||
		    r->len & ~MQ_RECORD_LEN_MASK || stride > len - p ||
		    r->magic != MQ_RECORD_MAGIC || r->offset != *off ||
		    !mqm_crc_ok(r, r->len))
			return -1;
		(*off)++;
		p += stride;
		n++;
	}
	return n;
}

FIXTURE(rec) {
	struct mq_topic_config cfg;
	bool made;
	int r, w;
	char *buf;
	pid_t child;
};

FIXTURE_SETUP(rec)
{
	self->r = self->w = -1;
	self->buf = malloc(BIG);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(rec)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->r >= 0)
		close(self->r);
	if (self->w >= 0)
		close(self->w);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
	free(self->buf);
}

/* A topic of one queue, r and w open on it (ring 0: the default). */
static void make_topic(struct __test_metadata *_metadata,
		       FIXTURE_DATA(rec) *self, uint64_t ring, uint32_t max_msg,
		       uint32_t policy)
{
	struct mq_topic_config want;

	mqt_topic_init(&want, "rec");
	if (ring)
		mqt_set_ring(&want, ring, max_msg);
	mqt_set_policy(&want, policy);
	ASSERT_EQ(0, mqt_topic_add(&want));
	self->made = true;
	ASSERT_EQ(0, mqt_topic_get(want.name, &self->cfg));
	self->r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, self->r);
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
}

/* Writes messages [from, to) in message mode. */
static void write_msgs(struct __test_metadata *_metadata, int w, uint64_t from,
		       uint64_t to)
{
	char val[200];

	for (uint64_t i = from; i < to; i++) {
		uint32_t len = val_fill(val, i);

		ASSERT_EQ((long)len, mqt_write(w, val, len));
	}
}

TEST(feature_bit)
{
	struct mq_version v = { .size = sizeof(v) };
	int fd = open("/dev/" MQ_CONTROL_NAME, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MQ_IOC_VERSION, &v));
	EXPECT_EQ(MQ_FEAT_RECORD, v.features & MQ_FEAT_RECORD);
	close(fd);
}

TEST_F(rec, set_mode_errors)
{
	make_topic(_metadata, self, 0, 0, MQ_FULL_BLOCK);
	EXPECT_EQ(-EINVAL, set_mode(self->r, __MQ_MODE_MAX));
	EXPECT_EQ(-EINVAL, set_mode(self->r, ~0U));
	EXPECT_EQ(-1, ioctl(self->r, MQ_IOC_SET_MODE, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, set_mode(self->r, MQ_MODE_RECORD));
	EXPECT_EQ(0, set_mode(self->r, MQ_MODE_MESSAGE));
	/* Back in message mode: one value per read. */
	write_msgs(_metadata, self->w, 0, 2);
	EXPECT_EQ(8 + 0, mqt_read(self->r, self->buf, BIG));
	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	self->made = false;
	EXPECT_EQ(-ENODEV, set_mode(self->r, MQ_MODE_RECORD));
}

/* Many records per read, each checked against what was written. */
TEST_F(rec, read_batch)
{
	uint64_t off = 0, n = 500, got = 0;
	long len, k;

	make_topic(_metadata, self, 0, 0, MQ_FULL_BLOCK);
	write_msgs(_metadata, self->w, 0, n);
	ASSERT_EQ(0, set_mode(self->r, MQ_MODE_RECORD));
	ASSERT_EQ(0, mqt_seek(self->r, 0, SEEK_SET));
	while (got < n) {
		len = mqt_read(self->r, self->buf, BIG);
		ASSERT_LT(0, len);
		for (long p = 0; p < len;) {
			struct mq_record *r = (void *)(self->buf + p);
			char want[200];
			uint32_t wl = val_fill(want, r->offset);

			ASSERT_EQ(wl, r->value_len);
			ASSERT_EQ(0, r->key_len);
			ASSERT_EQ(0, memcmp(want, self->buf + p +
					    MQ_RECORD_HDR_SIZE, wl));
			ASSERT_LT(0, r->timestamp);
			p += MQ_RECORD_ALIGN(r->len);
		}
		k = recs_check(self->buf, len, &off);
		ASSERT_LT(0, k);
		got += k;
		EXPECT_EQ((long long)off, mqt_pos(self->r));
	}
	EXPECT_EQ(n, got);
	/* 500 records of 72..192 bytes fit in one 256 KiB read. */
	ASSERT_EQ(0, mqt_seek(self->r, 0, SEEK_SET));
	off = 0;
	len = mqt_read(self->r, self->buf, BIG);
	EXPECT_EQ((long)n, recs_check(self->buf, len, &off));
	/* Caught up: it waits, or says EAGAIN. */
	ASSERT_EQ(0, mqt_set_nonblock(self->r, true));
	EXPECT_EQ(-EAGAIN, mqt_read(self->r, self->buf, BIG));
}

/* A read takes whole records only, as many as fit, never fewer than one. */
TEST_F(rec, read_bounded_by_buffer)
{
	uint64_t s0 = mqt_record_size(8), s1 = mqt_record_size(8 + 37);
	uint64_t off = 0;

	make_topic(_metadata, self, 0, 0, MQ_FULL_BLOCK);
	write_msgs(_metadata, self->w, 0, 3);
	ASSERT_EQ(0, set_mode(self->r, MQ_MODE_RECORD));
	ASSERT_EQ(0, mqt_seek(self->r, 0, SEEK_SET));
	EXPECT_EQ(-EMSGSIZE, mqt_read(self->r, self->buf, s0 - 1));
	EXPECT_EQ(0, mqt_pos(self->r));
	EXPECT_EQ((long)s0, mqt_read(self->r, self->buf, s0 + s1 - 1));
	EXPECT_EQ(1, recs_check(self->buf, s0, &off));
	EXPECT_EQ(1, mqt_pos(self->r));
	/* pread: records from the offset asked, the position untouched. */
	EXPECT_EQ((long)(s0 + s1), mqt_pread(self->r, self->buf, s0 + s1, 0));
	off = 0;
	EXPECT_EQ(2, recs_check(self->buf, s0 + s1, &off));
	EXPECT_EQ(1, mqt_pos(self->r));
}

/* Records written whole, with the kernel's offsets, kept timestamps. */
TEST_F(rec, write_batch)
{
	struct mq_queue_stats st;
	size_t p = 0, q;
	uint64_t off = 0;
	int rr;

	make_topic(_metadata, self, 0, 0, MQ_FULL_BLOCK);
	/* One plain message first, so offsets are not the builder's. */
	write_msgs(_metadata, self->w, 0, 1);
	ASSERT_EQ(0, set_mode(self->w, MQ_MODE_RECORD));
	for (int i = 0; i < 50; i++)
		p += rec_nth(self->buf + p, i);
	/* One with no timestamp: the kernel sets one. */
	q = p;
	p += rec_build(self->buf + p, "", 0, "now", 3, 0);
	EXPECT_EQ((long)p, mqt_write(self->w, self->buf, p));
	EXPECT_EQ(52, mqt_next(self->w));
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(52, st.msgs_in);

	/* Read back in record mode: everything as sent but offset and CRC. */
	rr = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, rr);
	ASSERT_EQ(0, set_mode(rr, MQ_MODE_RECORD));
	ASSERT_EQ(1, mqt_seek(rr, 1, SEEK_SET));
	char *back = malloc(BIG);

	ASSERT_NE(NULL, back);
	off = 1;
	ASSERT_EQ((long)p, mqt_read(rr, back, BIG));
	EXPECT_EQ(51, recs_check(back, p, &off));
	for (size_t a = 0; a < q;) {
		struct mq_record *s = (void *)(self->buf + a);
		struct mq_record *b = (void *)(back + a);

		EXPECT_EQ(s->timestamp, b->timestamp);
		EXPECT_EQ(0, memcmp((char *)s + MQ_RECORD_HDR_SIZE,
				    (char *)b + MQ_RECORD_HDR_SIZE,
				    MQ_RECORD_ALIGN(s->len) -
				    MQ_RECORD_HDR_SIZE));
		a += MQ_RECORD_ALIGN(s->len);
	}
	EXPECT_LT(1000000000ULL, ((struct mq_record *)(back + q))->timestamp);
	/* In message mode, a reader gets the values alone. */
	ASSERT_EQ(0, set_mode(rr, MQ_MODE_MESSAGE));
	ASSERT_EQ(1, mqt_seek(rr, 1, SEEK_SET));
	char want[200];
	uint32_t wl = val_fill(want, 0);

	EXPECT_EQ((long)wl, mqt_read(rr, back, BIG));
	EXPECT_EQ(0, memcmp(want, back, wl));
	free(back);
	close(rr);
}

/* Every kind of bad record: refused, and nothing appended. */
TEST_F(rec, write_rejects)
{
	struct mq_record *r;
	uint32_t s, s2;
	long long next;

	make_topic(_metadata, self, 1 << 16, 1024, MQ_FULL_BLOCK);
	ASSERT_EQ(0, set_mode(self->w, MQ_MODE_RECORD));
	next = mqt_next(self->w);
	r = (void *)self->buf;

#define BAD(err, len) do {						\
		EXPECT_EQ(err, mqt_write(self->w, self->buf, len));	\
		EXPECT_EQ(next, mqt_next(self->w));			\
	} while (0)

	s = rec_nth(self->buf, 1);
	r->crc ^= 1;					/* a flipped CRC bit */
	BAD(-EBADMSG, s);
	s = rec_nth(self->buf, 1);
	self->buf[MQ_RECORD_HDR_SIZE + 3] ^= 0x40;	/* a flipped byte */
	BAD(-EBADMSG, s);
	s = rec_nth(self->buf, 1);
	BAD(-EINVAL, s - 8);				/* cut short */
	BAD(-EINVAL, MQ_RECORD_HDR_SIZE - 8);		/* half a header */
	r->len += 8;					/* past the buffer */
	r->value_len += 8;
	rec_reseal(self->buf);
	BAD(-EINVAL, s);
	s = rec_nth(self->buf, 1);
	r->key_len++;					/* lengths disagree */
	rec_reseal(self->buf);
	BAD(-EINVAL, s);
	s = rec_build(self->buf, "k", 1, "", 0, 1);	/* no value */
	BAD(-EINVAL, s);
	s = rec_build(self->buf, "", 0, "", 0, 1);	/* zero-length */
	BAD(-EINVAL, s);
	s = rec_build(self->buf, "", 0, "abc", 3, 1);	/* bad padding */
	self->buf[s - 1] = 1;
	BAD(-EINVAL, s);
	s = rec_nth(self->buf, 1);
	r->magic = MQ_RECORD_MAGIC + 1;
	rec_reseal(self->buf);
	BAD(-EINVAL, s);
	s = rec_nth(self->buf, 1);
	r->flags = 1;
	rec_reseal(self->buf);
	BAD(-EINVAL, s);
	s = rec_nth(self->buf, 1);
	r->reserved[1] = 1;
	rec_reseal(self->buf);
	BAD(-EINVAL, s);
	s = rec_nth(self->buf, 1);
	r->producer_id = 1;
	rec_reseal(self->buf);
	BAD(-EINVAL, s);
	s = rec_nth(self->buf, 1);
	r->len |= MQ_RECORD_LEN_BUSY;
	BAD(-EINVAL, s);
	/* key + value past max_msg_size (1024) */
	memset(self->buf + BIG / 2, 'x', 1025);
	s = rec_build(self->buf, "", 0, self->buf + BIG / 2, 1025, 1);
	BAD(-EMSGSIZE, s);
	s = rec_build(self->buf, "k", 1, self->buf + BIG / 2, 1024, 1);
	BAD(-EMSGSIZE, s);
	/* A call larger than the ring (64 KiB). */
	s = 0;
	while (s <= (1 << 16))
		s += rec_nth(self->buf + s, s);
	BAD(-EMSGSIZE, s);
	/* A bad second record: the first is not appended either. */
	s = rec_nth(self->buf, 1);
	s2 = rec_nth(self->buf + s, 2);
	self->buf[s + MQ_RECORD_HDR_SIZE] ^= 1;
	BAD(-EBADMSG, s + s2);
	/* A trailing half record. */
	s2 = rec_nth(self->buf + s, 2);
	BAD(-EINVAL, s + s2 / 2);
	/* And a good one still goes in. */
	EXPECT_EQ((long)s, mqt_write(self->w, self->buf, s));
	EXPECT_EQ(next + 1, mqt_next(self->w));
	/* A write that faults appends nothing. */
	EXPECT_EQ(-EFAULT, mqt_write(self->w, (void *)8, s));
	EXPECT_EQ(next + 1, mqt_next(self->w));
#undef BAD
}

/* A full ring: a batch waits whole, or EAGAIN, never half appended. */
TEST_F(rec, write_full_ring)
{
	uint32_t s = 0, one;

	make_topic(_metadata, self, MQ_RING_SIZE_MIN, 0, MQ_FULL_BLOCK);
	ASSERT_EQ(0, set_mode(self->w, MQ_MODE_RECORD));
	/* A batch of more than a third of the ring and less than half. */
	one = rec_nth(self->buf, 0);
	while (s + one <= MQ_RING_SIZE_MIN * 3 / 4)
		s += rec_nth(self->buf + s, 0);
	ASSERT_LT(MQ_RING_SIZE_MIN / 2, s);
	/* r reads nothing yet: after one batch, a second does not fit. */
	ASSERT_EQ(0, mqt_set_nonblock(self->w, true));
	EXPECT_EQ((long)s, mqt_write(self->w, self->buf, s));
	long long next = mqt_next(self->w);

	EXPECT_EQ(-EAGAIN, mqt_write(self->w, self->buf, s));
	EXPECT_EQ(next, mqt_next(self->w));
	/* Once r read the first batch, the second fits. */
	ASSERT_EQ(0, set_mode(self->r, MQ_MODE_RECORD));
	ASSERT_EQ((long)s, mqt_read(self->r, self->buf + BIG / 2, BIG / 2));
	EXPECT_EQ((long)s, mqt_write(self->w, self->buf, s));
	EXPECT_EQ(2 * next, mqt_next(self->w));
}

/* A member in record mode: batches from the group's position. */
TEST_F(rec, group_member)
{
	struct mq_group_join j = {
		.size = sizeof(j),
		.start = MQ_GROUP_START_EARLIEST,
	};
	struct mq_commit c = { .size = sizeof(c) };
	uint64_t off = 0;
	long len;
	int m2;

	make_topic(_metadata, self, 0, 0, MQ_FULL_BLOCK);
	write_msgs(_metadata, self->w, 0, 100);
	strcpy(j.name, "batch");
	ASSERT_EQ(0, ioctl(self->r, MQ_IOC_GROUP_JOIN, &j));
	ASSERT_EQ(0, set_mode(self->r, MQ_MODE_RECORD));
	/* Room for 10 records of at most 192 bytes. */
	len = mqt_read(self->r, self->buf, 10 * 192);
	ASSERT_LT(0, len);
	EXPECT_LE(10, recs_check(self->buf, len, &off));
	EXPECT_EQ((long long)off, mqt_pos(self->r));
	/* The rest, in one go. */
	len = mqt_read(self->r, self->buf, BIG);
	ASSERT_LT(0, len);
	EXPECT_EQ(100 - (long)off, recs_check(self->buf, len, &off));
	EXPECT_EQ(100, off);
	/* Uncommitted, they go to the next member once this one leaves. */
	m2 = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, m2);
	ASSERT_EQ(0, ioctl(m2, MQ_IOC_GROUP_JOIN, &j));
	ASSERT_EQ(0, set_mode(m2, MQ_MODE_RECORD));
	c.offset = 50;
	ASSERT_EQ(0, ioctl(self->r, MQ_IOC_COMMIT, &c));
	close(self->r);
	self->r = -1;
	off = 50;
	len = mqt_read(m2, self->buf, BIG);
	EXPECT_EQ(50, recs_check(self->buf, len, &off));
	close(m2);
}

/*
 * A record-mode reader races a producer lapping a 4 KiB ring that drops:
 * every record it gets is whole, or the read fails with ERANGE.
 */
TEST_F(rec, race_overwrite)
{
	uint64_t got = 0, ranges = 0, off;
	long long deadline;
	long len;

	make_topic(_metadata, self, MQ_RING_SIZE_MIN, 0, MQ_FULL_DROP);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		char val[200];

		for (uint64_t i = 0; i < 200000; i++) {
			uint32_t l = val_fill(val, i);

			if (write(self->w, val, l) != l)
				_exit(1);
		}
		_exit(0);
	}
	ASSERT_EQ(0, set_mode(self->r, MQ_MODE_RECORD));
	ASSERT_EQ(0, mqt_set_nonblock(self->r, true));
	deadline = mqt_now_ms() + MQT_WAIT_MS;
	while (mqt_now_ms() < deadline) {
		off = mqt_pos(self->r);
		len = mqt_read(self->r, self->buf, BIG);
		if (len == -ERANGE) {
			ranges++;
			ASSERT_LE(0, mqt_seek(self->r, 0, SEEK_END));
			continue;
		}
		if (len == -EAGAIN) {
			int status;

			if (waitpid(self->child, &status, WNOHANG) ==
			    self->child) {
				self->child = 0;
				ASSERT_TRUE(WIFEXITED(status));
				ASSERT_EQ(0, WEXITSTATUS(status));
				break;
			}
			continue;
		}
		ASSERT_LT(0, len);
		long k = recs_check(self->buf, len, &off);

		ASSERT_LT(0, k) TH_LOG("a torn record at offset %llu",
				       (unsigned long long)off);
		/* The value says which message it is: its offset. */
		for (long p = 0; p < len;) {
			struct mq_record *r = (void *)(self->buf + p);
			uint64_t i;

			memcpy(&i, self->buf + p + MQ_RECORD_HDR_SIZE, 8);
			ASSERT_EQ(r->offset, i);
			p += MQ_RECORD_ALIGN(r->len);
		}
		got += k;
	}
	EXPECT_EQ(0, self->child);
	EXPECT_LT(0, got);
	TH_LOG("%llu records checked, %llu overwrites caught",
	       (unsigned long long)got, (unsigned long long)ranges);
}

/* splice to a pipe: what read(2) returns, in both modes. */
TEST_F(rec, splice_to_pipe)
{
	uint64_t off = 0;
	int p[2], rr;
	ssize_t n;
	char *rd;

	make_topic(_metadata, self, 0, 0, MQ_FULL_BLOCK);
	write_msgs(_metadata, self->w, 0, 40);
	ASSERT_EQ(0, pipe(p));
	/* Message mode: one value per call. */
	ASSERT_EQ(0, mqt_seek(self->r, 0, SEEK_SET));
	n = splice(self->r, NULL, p[1], NULL, BIG, 0);
	EXPECT_EQ(8, n);
	EXPECT_EQ(1, mqt_pos(self->r));
	EXPECT_EQ(8, read(p[0], self->buf, BIG));
	/* Record mode: as many records as the pipe takes. */
	ASSERT_EQ(0, set_mode(self->r, MQ_MODE_RECORD));
	n = splice(self->r, NULL, p[1], NULL, BIG, 0);
	ASSERT_LT(0, n);
	EXPECT_EQ(n, read(p[0], self->buf, BIG));
	off = 1;
	EXPECT_EQ(39, recs_check(self->buf, n, &off));
	/* Byte for byte what a read gets. */
	rr = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, rr);
	ASSERT_EQ(0, set_mode(rr, MQ_MODE_RECORD));
	rd = malloc(BIG);
	ASSERT_NE(NULL, rd);
	EXPECT_EQ(n, mqt_pread(rr, rd, BIG, 1));
	EXPECT_EQ(0, memcmp(rd, self->buf, n));
	/* A record larger than the pipe's room: EMSGSIZE, nothing taken. */
	ASSERT_EQ(4096, fcntl(p[1], F_SETPIPE_SZ, 4096));
	char big[5000];

	memset(big, 'b', sizeof(big));
	ASSERT_EQ((long)sizeof(big), mqt_write(self->w, big, sizeof(big)));
	EXPECT_EQ(-1, splice(self->r, NULL, p[1], NULL, BIG, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(40, mqt_pos(self->r));
	/* Message mode cannot be spliced in: it has no framing. */
	EXPECT_EQ(8, write(p[1], "12345678", 8));
	EXPECT_EQ(-1, splice(p[0], NULL, self->w, NULL, 8, 0));
	EXPECT_EQ(EINVAL, errno);
	free(rd);
	close(rr);
	close(p[0]);
	close(p[1]);
}

/*
 * The forwarder: queue A to a loopback TCP socket with sendfile,
 * the other end spliced into queue B; B's records are A's, byte for byte
 * (both topics are fresh, so even the offsets agree).
 */
TEST_F(rec, sendfile_tcp_round_trip)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct mq_topic_config bcfg;
	int ls, cs, p[2], bw, br, one = 1;
	size_t total = 0, moved = 0, n = 3000;
	char *a, *b;
	ssize_t k;

	make_topic(_metadata, self, 0, 0, MQ_FULL_BLOCK);
	mqt_topic_init(&bcfg, "recb");
	ASSERT_EQ(0, mqt_topic_add(&bcfg));
	bw = mqt_open(bcfg.name, 0, O_WRONLY);
	br = mqt_open(bcfg.name, 0, O_RDONLY);
	ASSERT_LE(0, bw);
	ASSERT_LE(0, br);
	ASSERT_EQ(0, set_mode(bw, MQ_MODE_RECORD));
	ASSERT_EQ(0, set_mode(br, MQ_MODE_RECORD));

	write_msgs(_metadata, self->w, 0, n);
	ASSERT_EQ(0, set_mode(self->r, MQ_MODE_RECORD));
	ASSERT_EQ(0, mqt_seek(self->r, 0, SEEK_SET));
	a = malloc(1 << 20);
	b = malloc(1 << 20);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	/* What A holds, as records. */
	k = mqt_pread(self->r, a, 1 << 20, 0);
	ASSERT_LT(0, k);
	total = k;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, ls);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(0, bind(ls, (void *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(ls, 1));
	ASSERT_EQ(0, getsockname(ls, (void *)&sa, &sl));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		/* The sender: sendfile from A in whatever pieces it likes. */
		int c = socket(AF_INET, SOCK_STREAM, 0);
		size_t sent = 0;

		if (c < 0 || connect(c, (void *)&sa, sizeof(sa)))
			_exit(1);
		/*
		 * Never more than is left: sendfile reads on until it moved
		 * what it was asked, and would wait for records to come.
		 */
		while (sent < total) {
			size_t ask = total - sent < 12288 ? total - sent : 12288;
			ssize_t s = sendfile(c, self->r, NULL, ask);

			if (s <= 0)
				_exit(2);
			sent += s;
		}
		_exit(sent == total ? 0 : 3);
	}
	cs = accept(ls, NULL, NULL);
	ASSERT_LE(0, cs);
	/* Small socket reads cut records anywhere. */
	ASSERT_EQ(0, setsockopt(cs, IPPROTO_TCP, TCP_NODELAY, &one,
				sizeof(one)));
	ASSERT_EQ(0, pipe(p));
	while (moved < total) {
		ssize_t in = splice(cs, NULL, p[1], NULL, 1000, 0);

		ASSERT_LT(0, in);
		while (in > 0) {
			ssize_t out = splice(p[0], NULL, bw, NULL, in, 0);

			ASSERT_LT(0, out);
			in -= out;
			moved += out;
		}
	}
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	EXPECT_EQ((long long)n, mqt_next(bw));
	ASSERT_EQ((ssize_t)total, mqt_pread(br, b, 1 << 20, 0));
	EXPECT_EQ(0, memcmp(a, b, total));

	close(p[0]);
	close(p[1]);
	close(cs);
	close(ls);
	close(br);
	close(bw);
	EXPECT_EQ(0, mqt_topic_del(bcfg.name));
	free(a);
	free(b);
}

/* A stream cut into 7-byte pieces: records appear as they complete. */
TEST_F(rec, splice_stream_pieces)
{
	size_t len = 0, fed = 0, s0;
	long long next;
	int p[2];

	make_topic(_metadata, self, 0, 0, MQ_FULL_BLOCK);
	ASSERT_EQ(0, set_mode(self->w, MQ_MODE_RECORD));
	for (int i = 0; i < 20; i++)
		len += rec_nth(self->buf + len, i);
	s0 = MQ_RECORD_ALIGN(((struct mq_record *)self->buf)->len);
	ASSERT_EQ(0, pipe(p));
	next = mqt_next(self->w);
	while (fed < len) {
		size_t c = len - fed < 7 ? len - fed : 7;

		ASSERT_EQ((ssize_t)c, write(p[1], self->buf + fed, c));
		ASSERT_EQ((ssize_t)c, splice(p[0], NULL, self->w, NULL, c, 0));
		fed += c;
		if (fed < s0)
			ASSERT_EQ(next, mqt_next(self->w));
	}
	EXPECT_EQ(next + 20, mqt_next(self->w));
	/* Read back: the values as sent. */
	uint64_t off = next;

	ASSERT_EQ(0, set_mode(self->r, MQ_MODE_RECORD));
	ASSERT_EQ(next, mqt_seek(self->r, next, SEEK_SET));
	EXPECT_EQ((long)len, mqt_read(self->r, self->buf + BIG / 2, BIG / 2));
	EXPECT_EQ(20, recs_check(self->buf + BIG / 2, len, &off));
	close(p[0]);
	close(p[1]);
}

/* A bad record stops the stream there, until the mode is set again. */
TEST_F(rec, splice_bad_record)
{
	size_t s1, s2;
	long long next;
	int p[2];

	make_topic(_metadata, self, 0, 0, MQ_FULL_BLOCK);
	ASSERT_EQ(0, set_mode(self->w, MQ_MODE_RECORD));
	ASSERT_EQ(0, pipe(p));
	next = mqt_next(self->w);
	s1 = rec_nth(self->buf, 1);
	s2 = rec_nth(self->buf + s1, 2);
	self->buf[s1 + MQ_RECORD_HDR_SIZE + 2] ^= 0x10;
	ASSERT_EQ((ssize_t)(s1 + s2), write(p[1], self->buf, s1 + s2));
	/* The good first record goes in; the call stops short at the bad. */
	EXPECT_EQ((ssize_t)(s1 + MQ_RECORD_HDR_SIZE),
		  splice(p[0], NULL, self->w, NULL, s1 + s2, 0));
	EXPECT_EQ(next + 1, mqt_next(self->w));
	/* Met again by the next call. */
	EXPECT_EQ(-1, splice(p[0], NULL, self->w, NULL, s2, 0));
	EXPECT_EQ(EBADMSG, errno);
	EXPECT_EQ(next + 1, mqt_next(self->w));
	/* A bad header: EINVAL. */
	ASSERT_EQ(0, set_mode(self->w, MQ_MODE_RECORD));
	EXPECT_EQ(-1, splice(p[0], NULL, self->w, NULL, s2, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Drained and restarted, the stream takes good records again. */
	ASSERT_EQ((ssize_t)(s2 - MQ_RECORD_HDR_SIZE),
		  read(p[0], self->buf + BIG / 2, BIG / 2));
	ASSERT_EQ(0, set_mode(self->w, MQ_MODE_RECORD));
	s2 = rec_nth(self->buf, 3);
	ASSERT_EQ((ssize_t)s2, write(p[1], self->buf, s2));
	EXPECT_EQ((ssize_t)s2, splice(p[0], NULL, self->w, NULL, s2, 0));
	EXPECT_EQ(next + 2, mqt_next(self->w));
	close(p[0]);
	close(p[1]);
}

TEST_HARNESS_MAIN
