// SPDX-License-Identifier: GPL-2.0
/*
 * queue_claim_test: the calls of MQ_FEAT_CLIENT.  A group's sole member
 * moves its group with MQ_IOC_GROUP_SEEK; a member claims messages with
 * MQ_IOC_GROUP_CLAIM and reads them in the mapped ring, exactly where the
 * claim says, skipping holes; orphans are claimed alone; claimed messages
 * hold MQ_FULL_BLOCK producers until committed; a write-only record-mode
 * file's position tells the offsets its writes got.  Every bad request
 * fails with its documented errno and changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mq_util.h"
#include "mq_mmap.h"
#include "kselftest_harness.h"

#define MSG_LEN		32

FIXTURE(clm) {
	struct mq_topic_config cfg;
	struct mq_admin *admin;
	bool made;
	int w;
	int m[2];		/* members */
	struct mqm map;
};

static void topic_setup(struct __test_metadata *_metadata,
			FIXTURE_DATA(clm) *self, uint64_t ring)
{
	mqt_topic_init(&self->cfg, "clm");
	mqt_set_queues(&self->cfg, 1);
	mqt_set_ring(&self->cfg, ring, 0);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	ASSERT_EQ(0, mq_admin_open(&self->admin));
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
}

FIXTURE_SETUP(clm)
{
	self->w = self->m[0] = self->m[1] = -1;
}

FIXTURE_TEARDOWN(clm)
{
	mqm_unmap(&self->map);
	if (self->m[0] >= 0)
		close(self->m[0]);
	if (self->m[1] >= 0)
		close(self->m[1]);
	if (self->w >= 0)
		close(self->w);
	if (self->admin)
		mq_admin_close(self->admin);
	if (self->made)
		mqt_topic_del(self->cfg.name);
}

/* A reader of queue 0 in group "g" (O_NONBLOCK), or -errno. */
static int member(const char *topic, uint32_t flags)
{
	int fd = mqt_open(topic, 0, O_RDONLY | O_NONBLOCK), ret;

	if (fd < 0)
		return fd;
	ret = mqt_group_join(fd, "g", flags, MQ_GROUP_START_EARLIEST, 0);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static int seek(int fd, uint32_t start, uint64_t off)
{
	struct mq_group_seek s = {
		.size = sizeof(s), .start = start, .offset = off,
	};

	return ioctl(fd, MQ_IOC_GROUP_SEEK, &s) ? -errno : 0;
}

static int claim(int fd, uint32_t max, struct mq_group_claim *c)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->max = max;
	return ioctl(fd, MQ_IOC_GROUP_CLAIM, c) ? -errno : 0;
}

/* The next offset a member of "g" reads (one message, value checked). */
static long long read_one(int fd)
{
	char buf[MSG_LEN];
	uint32_t producer;
	uint64_t seq;
	long n = mqt_read(fd, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (mqt_msg_check(buf, n, &producer, &seq))
		return -EBADMSG;
	return (long long)seq;
}

static int committed_cb(const struct mq_group_state *st, void *arg)
{
	if (!strcmp(st->group, "g"))
		*(uint64_t *)arg = st->committed;
	return 0;
}

static uint64_t committed(FIXTURE_DATA(clm) *self)
{
	uint64_t c = UINT64_MAX;

	if (mq_admin_group_list(self->admin, self->cfg.name, "g",
				committed_cb, &c))
		return UINT64_MAX - 1;
	return c;
}

/*
 * Walks the claim @c in the mapped ring as a member does: from c->pos,
 * records below c->end, holes skipped.  Checks every message's header and
 * value (written by mqt_produce(): seq == offset + @seq_minus_off) and
 * counts them: the count, or -errno.
 */
static long walk(const struct mqm *m, const struct mq_group_claim *c,
		 int64_t seq_minus_off)
{
	uint64_t pos = c->pos, off = c->offset;
	const struct mq_record *r;
	uint32_t len, producer;
	uint64_t seq;
	long n = 0;

	while (off < c->end) {
		r = (const void *)(m->data + (pos & m->mask));
		/*
		 * The claim's ioctl read len with acquire (mq_copy_out()),
		 * pairing with mq_publish()'s release; this thread reads
		 * after it, so the record is whole.
		 */
		len = r->len;
		if (len & MQ_RECORD_LEN_BUSY || r->offset < off)
			return -EIO;
		off = r->offset;
		if (off >= c->end)
			break;
		if (!(len & MQ_RECORD_LEN_DISCARD)) {
			if (r->magic != MQ_RECORD_MAGIC || r->key_len ||
			    r->value_len != MSG_LEN)
				return -EIO;
			if (mqt_msg_check((const char *)r + MQ_RECORD_HDR_SIZE,
					  r->value_len, &producer, &seq) ||
			    (int64_t)(seq - off) != seq_minus_off)
				return -EBADMSG;
			n++;
		}
		pos += MQ_RECORD_ALIGN(len & MQ_RECORD_LEN_MASK);
		off++;
	}
	return n;
}

/* ---- seek ---- */

TEST_F(clm, seek_refuses_bad_requests)
{
	struct mq_group_seek s;
	int r;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT);
	ASSERT_EQ(0, mqt_produce(self->w, 0, 4, MSG_LEN));
	r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, r);
	/* In no group: nothing to move. */
	EXPECT_EQ(-EBADFD, seek(r, MQ_GROUP_START_EARLIEST, 0));
	close(r);

	self->m[0] = member(self->cfg.name, 0);
	ASSERT_LE(0, self->m[0]);
	for (int i = 0; i < 6; i++) {
		memset(&s, 0, sizeof(s));
		s.size = sizeof(s);
		switch (i) {
		case 0: s.size = sizeof(s) - 8; break;
		case 1: s.flags = 1; break;
		case 2: s.reserved0 = 1; break;
		case 3: s.reserved = 1; break;
		case 4: s.start = __MQ_GROUP_START_MAX; break;
		case 5: s.offset = 1; break;	/* with _LATEST */
		}
		EXPECT_EQ(-1, ioctl(self->m[0], MQ_IOC_GROUP_SEEK, &s));
		EXPECT_EQ(EINVAL, errno) TH_LOG("case %d", i);
	}
	EXPECT_EQ(-ENXIO, seek(self->m[0], MQ_GROUP_START_OFFSET, 5));
	/* Nothing moved: the member still reads from the start. */
	EXPECT_EQ(0, read_one(self->m[0]));

	/* A second member: the group is not the first one's to move. */
	self->m[1] = member(self->cfg.name, 0);
	ASSERT_LE(0, self->m[1]);
	EXPECT_EQ(-EBUSY, seek(self->m[0], MQ_GROUP_START_EARLIEST, 0));
	EXPECT_EQ(1, read_one(self->m[1]));
	close(self->m[1]);
	self->m[1] = -1;

	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	EXPECT_EQ(-ENODEV, seek(self->m[0], MQ_GROUP_START_EARLIEST, 0));
	self->made = false;
}

TEST_F(clm, seek_before_the_ring_is_erange)
{
	topic_setup(_metadata, self, 4096);
	self->m[0] = member(self->cfg.name, 0);
	ASSERT_LE(0, self->m[0]);
	/* The member holds the ring at 0: read and commit as we go. */
	for (uint64_t i = 0; i < 100; i++) {
		ASSERT_EQ(0, mqt_produce(self->w, i, 1, MSG_LEN));
		ASSERT_EQ((long long)i, read_one(self->m[0]));
		ASSERT_EQ(0, mqt_commit(self->m[0], i + 1));
	}
	EXPECT_EQ(-ERANGE, seek(self->m[0], MQ_GROUP_START_OFFSET, 0));
	EXPECT_EQ(100, committed(self));
	EXPECT_EQ(0, seek(self->m[0], MQ_GROUP_START_EARLIEST, 0));
	EXPECT_LT(0, committed(self));
	EXPECT_GT(100, committed(self));
	EXPECT_EQ((long long)committed(self), read_one(self->m[0]));
}

TEST_F(clm, seek_moves_the_group)
{
	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT);
	ASSERT_EQ(0, mqt_produce(self->w, 0, 10, MSG_LEN));
	self->m[0] = member(self->cfg.name, 0);
	ASSERT_LE(0, self->m[0]);
	EXPECT_EQ(0, read_one(self->m[0]));
	EXPECT_EQ(1, read_one(self->m[0]));
	EXPECT_EQ(2, read_one(self->m[0]));
	EXPECT_EQ(0, mqt_commit(self->m[0], 2));
	EXPECT_EQ(2, committed(self));

	/* Forward: what it held is forgotten, committed follows. */
	EXPECT_EQ(0, seek(self->m[0], MQ_GROUP_START_OFFSET, 7));
	EXPECT_EQ(7, committed(self));
	EXPECT_EQ(7, read_one(self->m[0]));

	/* Back to the oldest: everything again, and commits from there. */
	EXPECT_EQ(0, seek(self->m[0], MQ_GROUP_START_EARLIEST, 0));
	EXPECT_EQ(0, committed(self));
	EXPECT_EQ(0, read_one(self->m[0]));
	EXPECT_EQ(0, mqt_commit(self->m[0], 1));
	EXPECT_EQ(1, committed(self));

	/* The end: nothing to read until the next message. */
	EXPECT_EQ(0, seek(self->m[0], MQ_GROUP_START_LATEST, 0));
	EXPECT_EQ(10, committed(self));
	EXPECT_EQ(-EAGAIN, read_one(self->m[0]));
	ASSERT_EQ(0, mqt_produce(self->w, 10, 1, MSG_LEN));
	EXPECT_EQ(10, read_one(self->m[0]));

	/* The same place again is harmless. */
	EXPECT_EQ(0, seek(self->m[0], MQ_GROUP_START_OFFSET, 11));
	EXPECT_EQ(0, seek(self->m[0], MQ_GROUP_START_OFFSET, 11));
	EXPECT_EQ(11, committed(self));
	EXPECT_EQ(-EAGAIN, read_one(self->m[0]));
}

/* ---- claim ---- */

TEST_F(clm, claim_refuses_bad_requests)
{
	struct mq_group_claim c;
	int r;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT);
	r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, r);
	EXPECT_EQ(-EBADFD, claim(r, 1, &c));
	close(r);

	self->m[0] = member(self->cfg.name, 0);
	ASSERT_LE(0, self->m[0]);
	EXPECT_EQ(-EAGAIN, claim(self->m[0], 1, &c));
	for (int i = 0; i < 9; i++) {
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.max = 1;
		switch (i) {
		case 0: c.size = sizeof(c) + 8; break;
		case 1: c.flags = 1; break;
		case 2: c.max = 0; break;
		case 3: c.count = 1; break;
		case 4: c.offset = 1; break;
		case 5: c.end = 1; break;
		case 6: c.pos = 1; break;
		case 7: c.reserved[0] = 1; break;
		case 8: c.reserved[1] = 1; break;
		}
		EXPECT_EQ(-1, ioctl(self->m[0], MQ_IOC_GROUP_CLAIM, &c));
		EXPECT_EQ(EINVAL, errno) TH_LOG("case %d", i);
	}
	/* An auto-commit member would acknowledge what it has not read. */
	self->m[1] = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->m[1]);
	ASSERT_EQ(0, mqt_group_join(self->m[1], "auto", MQ_GROUP_F_AUTOCOMMIT,
				    MQ_GROUP_START_EARLIEST, 0));
	ASSERT_EQ(0, mqt_produce(self->w, 0, 1, MSG_LEN));
	EXPECT_EQ(-EINVAL, claim(self->m[1], 1, &c));
	/* Nothing was claimed by the refusals: the message is there. */
	EXPECT_EQ(0, read_one(self->m[1]));
	EXPECT_EQ(0, claim(self->m[0], 1, &c));
	EXPECT_EQ(0, c.offset);

	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	self->made = false;
	EXPECT_EQ(-ENODEV, claim(self->m[0], 1, &c));
}

TEST_F(clm, claim_reads_in_place)
{
	struct mq_queue_stats st;
	struct mq_group_claim c;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT);
	self->m[0] = member(self->cfg.name, 0);
	ASSERT_LE(0, self->m[0]);
	ASSERT_EQ(0, mqm_map(&self->map, self->m[0]));
	ASSERT_EQ(0, mqt_produce(self->w, 0, 10, MSG_LEN));

	ASSERT_EQ(0, claim(self->m[0], 4, &c));
	EXPECT_EQ(0, c.offset);
	EXPECT_EQ(4, c.end);
	EXPECT_EQ(4, c.count);
	EXPECT_EQ(0, c.pos);
	EXPECT_EQ(4, walk(&self->map, &c, 0));

	ASSERT_EQ(0, claim(self->m[0], 100, &c));
	EXPECT_EQ(4, c.offset);
	EXPECT_EQ(10, c.end);
	EXPECT_EQ(6, c.count);
	EXPECT_EQ(4 * mqt_record_size(MSG_LEN), c.pos);
	EXPECT_EQ(6, walk(&self->map, &c, 0));
	EXPECT_EQ(-EAGAIN, claim(self->m[0], 1, &c));

	/* Claimed is delivered, not acknowledged; a commit does that. */
	EXPECT_EQ(0, committed(self));
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(10, st.msgs_out);
	EXPECT_EQ(10 * MSG_LEN, st.bytes_out);
	EXPECT_EQ(0, mqt_commit(self->m[0], 10));
	EXPECT_EQ(10, committed(self));
}

TEST_F(clm, claim_skips_holes_inside_a_run)
{
	struct mq_group_claim c;
	long page = sysconf(_SC_PAGESIZE);
	void *hole;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT);
	self->m[0] = member(self->cfg.name, 0);
	ASSERT_LE(0, self->m[0]);
	ASSERT_EQ(0, mqm_map(&self->map, self->m[0]));
	hole = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);

	ASSERT_EQ(0, mqt_produce(self->w, 0, 3, MSG_LEN));
	/* Offset 3 is a hole: a write that faulted after taking it. */
	EXPECT_EQ(-EFAULT, mqt_write(self->w, hole, MSG_LEN));
	ASSERT_EQ(0, mqt_produce(self->w, 4, 2, MSG_LEN));
	/* A hole at the group's position is passed, not claimed. */
	EXPECT_EQ(-EFAULT, mqt_write(self->w, hole, MSG_LEN));
	munmap(hole, page);

	ASSERT_EQ(0, claim(self->m[0], 100, &c));
	EXPECT_EQ(0, c.offset);
	EXPECT_EQ(6, c.end);
	EXPECT_EQ(5, c.count);
	EXPECT_EQ(5, walk(&self->map, &c, 0));
	EXPECT_EQ(-EAGAIN, claim(self->m[0], 1, &c));
	EXPECT_EQ(0, mqt_commit(self->m[0], 7));
	EXPECT_EQ(7, committed(self));
}

TEST_F(clm, members_split_claims_and_orphans_go_alone)
{
	struct mq_group_claim a, b, c;
	int i;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT);
	self->m[0] = member(self->cfg.name, 0);
	self->m[1] = member(self->cfg.name, 0);
	ASSERT_LE(0, self->m[0]);
	ASSERT_LE(0, self->m[1]);
	ASSERT_EQ(0, mqm_map(&self->map, self->m[1]));
	ASSERT_EQ(0, mqt_produce(self->w, 0, 10, MSG_LEN));

	ASSERT_EQ(0, claim(self->m[0], 3, &a));
	ASSERT_EQ(0, claim(self->m[1], 3, &b));
	EXPECT_EQ(0, a.offset);
	EXPECT_EQ(3, a.end);
	EXPECT_EQ(3, b.offset);
	EXPECT_EQ(6, b.end);

	/* The first member dies holding 0..2: they are claimed again, alone. */
	close(self->m[0]);
	self->m[0] = -1;
	EXPECT_EQ(0, committed(self));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, claim(self->m[1], 100, &c));
		EXPECT_EQ(i, c.offset);
		EXPECT_EQ(i + 1, c.end);
		EXPECT_EQ(1, c.count);
		EXPECT_EQ(1, walk(&self->map, &c, 0));
	}
	/* Then a run again, from the group's position. */
	ASSERT_EQ(0, claim(self->m[1], 100, &c));
	EXPECT_EQ(6, c.offset);
	EXPECT_EQ(10, c.end);
	EXPECT_EQ(4, walk(&self->map, &c, 0));
	EXPECT_EQ(0, mqt_commit(self->m[1], 10));
	EXPECT_EQ(10, committed(self));
}

TEST_F(clm, claimed_messages_hold_block_producers)
{
	struct mq_group_claim c;
	long n;

	topic_setup(_metadata, self, 4096);
	self->m[0] = member(self->cfg.name, 0);
	ASSERT_LE(0, self->m[0]);
	ASSERT_EQ(0, mqt_set_nonblock(self->w, true));
	n = mqt_fill(self->w, MSG_LEN, 1000);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, claim(self->m[0], 1000, &c));
	EXPECT_EQ(n, c.count);
	/* Claimed, not committed: still the group's, so the ring is full. */
	EXPECT_EQ(-EAGAIN, mqt_write(self->w, "x", 1));
	EXPECT_EQ(0, mqt_commit(self->m[0], c.end));
	EXPECT_EQ(1, mqt_write(self->w, "x", 1));
}

/* ---- the position of a write-only record-mode file ---- */

/* @n records of MSG_LEN bytes of value, framed in @buf: the bytes. */
static size_t frame(void *buf, uint32_t n)
{
	size_t stride = MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + MSG_LEN);
	struct mq_record *r;
	uint32_t i;

	memset(buf, 0, stride * n);
	for (i = 0; i < n; i++) {
		r = (void *)((char *)buf + i * stride);
		r->len = MQ_RECORD_HDR_SIZE + MSG_LEN;
		r->value_len = MSG_LEN;
		r->magic = MQ_RECORD_MAGIC;
		mqt_msg_fill((char *)r + MQ_RECORD_HDR_SIZE, MSG_LEN, 1, i);
		r->crc = mqm_crc32c((char *)r + MQ_RECORD_CRC_START,
				    r->len - MQ_RECORD_CRC_START);
	}
	return stride * n;
}

static int set_record(int fd)
{
	uint32_t mode = MQ_MODE_RECORD;

	return ioctl(fd, MQ_IOC_SET_MODE, &mode) ? -errno : 0;
}

TEST_F(clm, write_only_record_file_position_is_its_last_offset)
{
	char buf[8 * 128];
	size_t len = frame(buf, 3);
	int w2, rw;

	ASSERT_GE(sizeof(buf), len);
	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT);
	ASSERT_EQ(0, mqt_produce(self->w, 0, 2, MSG_LEN));	/* offsets 0, 1 */
	w2 = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, w2);
	ASSERT_EQ(0, set_record(self->w));
	ASSERT_EQ(0, set_record(w2));

	EXPECT_EQ((long)len, mqt_write(self->w, buf, len));	/* 2..4 */
	EXPECT_EQ(5, mqt_pos(self->w));
	EXPECT_EQ((long)len, mqt_write(w2, buf, len));		/* 5..7 */
	EXPECT_EQ(8, mqt_pos(w2));
	EXPECT_EQ(5, mqt_pos(self->w));
	/* pwrite(2) appends the same way and leaves the position alone. */
	EXPECT_EQ((long)len, pwrite(self->w, buf, len, 0));	/* 8..10 */
	EXPECT_EQ(5, mqt_pos(self->w));
	/* A refused write moves nothing. */
	buf[MQ_RECORD_HDR_SIZE] ^= 1;
	EXPECT_EQ(-EBADMSG, mqt_write(self->w, buf, len));
	EXPECT_EQ(5, mqt_pos(self->w));
	buf[MQ_RECORD_HDR_SIZE] ^= 1;
	close(w2);

	/* A file open for reading keeps its position as its read cursor. */
	rw = mqt_open(self->cfg.name, 0, O_RDWR);
	ASSERT_LE(0, rw);
	ASSERT_EQ(0, set_record(rw));
	EXPECT_EQ(11, mqt_pos(rw));
	EXPECT_EQ((long)len, mqt_write(rw, buf, len));		/* 11..13 */
	EXPECT_EQ(11, mqt_pos(rw));
	close(rw);

	/* Message mode: writes leave the position, as before. */
	ASSERT_EQ(0, ioctl(self->w, MQ_IOC_SET_MODE, &(uint32_t){ MQ_MODE_MESSAGE }));
	EXPECT_EQ(0, mqt_produce(self->w, 14, 1, MSG_LEN));
	EXPECT_EQ(5, mqt_pos(self->w));
	EXPECT_EQ(15, mqt_next(self->w));
}

/* ---- MQ_IOC_VERSION on a queue's file ---- */

static int version(int fd, struct mq_version *v, uint32_t size)
{
	memset(v, 0, sizeof(*v));
	v->size = size;
	return ioctl(fd, MQ_IOC_VERSION, v) ? -errno : 0;
}

/* Whoever may open a queue learns the features, not only root. */
TEST_F(clm, queue_files_answer_version)
{
	struct mq_version v;
	pid_t pid;
	int status;

	mqt_topic_init(&self->cfg, "clm");
	mqt_set_owner(&self->cfg, 0666, 0, 0);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);

	ASSERT_EQ(0, version(self->w, &v, sizeof(v)));
	EXPECT_EQ(MQ_ABI_VERSION, v.abi);
	EXPECT_EQ(MQ_FEAT_ALL, v.features);
	EXPECT_EQ(MQ_FEAT_CLIENT, v.features & MQ_FEAT_CLIENT);
	EXPECT_EQ(-EINVAL, version(self->w, &v, sizeof(v) + 8));
	v.size = sizeof(v);
	v.abi = 1;
	EXPECT_EQ(-1, ioctl(self->w, MQ_IOC_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char path[96];
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		/* The control device stays root's... */
		fd = open("/dev/mq/control", O_RDONLY);
		if (fd >= 0 || errno != EACCES)
			_exit(11);
		/* ...and the queue answers instead. */
		mqt_queue_path(path, sizeof(path), self->cfg.name, 0);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(12);
		if (version(fd, &v, sizeof(v)) || v.features != MQ_FEAT_ALL)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
