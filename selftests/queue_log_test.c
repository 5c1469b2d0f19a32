// SPDX-License-Identifier: GPL-2.0
/*
 * queue_log_test: a consumer group reading what only the commit log holds
 * (MQ_FEAT_LOG).  The test is the queue's persister, as mqd would be: it
 * reads the ring's records, appends them to a commit log (lib/log.h) in a
 * data directory of its own laid out as mqd's, and reports them durable,
 * so the ring drops them as producers need room.  Then:
 *  - a member that joined with MQ_GROUP_F_LOG is told EXDEV by read(2)
 *    and given log runs by MQ_IOC_GROUP_CLAIM, exactly up to the ring's
 *    first offset, after which read(2) goes on at that very offset;
 *  - runs are cut at @max, orphans of the log go back one at a time,
 *    records never made durable are skipped, members without the flag
 *    skip the log, and each bad combination of flags is EINVAL;
 *  - libmq's MQ_CONSUMER_F_LOG, copying and in place, delivers every
 *    offset once from the log's first to the ring's next, commits them,
 *    seeks back to the log's start, and says -ENOENT for a missing log.
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

#include "mq_util.h"
#include "log.h"
#include "kselftest_harness.h"

/* 128-byte records: 32 fill the 4096-byte ring. */
#define MSG_LEN		64
#define RING		4096
#define NMSG		200	/* several rings' worth */
#define SEGMENT		(MQ_LOG_SEG_HDR_SIZE + 15 * 128)

FIXTURE(qlog) {
	struct mq_topic_config cfg;
	char data[64];		/* the data directory */
	char dir[320];		/* the queue's log in it */
	struct mq_log *log;
	bool made;
	int w;			/* the producer */
	int p;			/* the persister */
	int m, m2;		/* members */
};

/* Every record the persister's file can read now: to the log, reported. */
static int persist_all(FIXTURE_DATA(qlog) *self)
{
	static char buf[RING];
	const struct mq_record *r;
	uint64_t next = 0;
	size_t pos;
	long n;
	int ret;

	for (;;) {
		n = read(self->p, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return n ? -errno : -EIO;
		ret = mq_log_append(self->log, buf, (size_t)n, 1);
		if (ret)
			return ret;
		for (pos = 0; pos < (size_t)n; pos += MQ_RECORD_ALIGN(r->len)) {
			r = (const void *)(buf + pos);
			next = r->offset + 1;
		}
	}
	return next ? mqt_persist_report(self->p, next, next) : 0;
}

/* Messages @from.. @from + @n - 1, each persisted once written. */
static int produce(FIXTURE_DATA(qlog) *self, uint64_t from, uint64_t n)
{
	char buf[MSG_LEN];
	uint64_t i;
	long ret;

	for (i = from; i < from + n; i++) {
		mqt_msg_fill(buf, MSG_LEN, 0, i);
		ret = mqt_write(self->w, buf, MSG_LEN);
		if (ret != MSG_LEN)
			return ret < 0 ? (int)ret : -EIO;
		ret = persist_all(self);
		if (ret)
			return (int)ret;
	}
	return 0;
}

FIXTURE_SETUP(qlog)
{
	/* Segments of 15 records: runs and reads cross segments. */
	struct mq_log_config lcfg = { .segment_bytes = SEGMENT };
	char path[300];
	uint32_t mode = MQ_MODE_RECORD;

	self->w = self->p = self->m = self->m2 = -1;
	strcpy(self->data, "/tmp/queue_log.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->data));
	mqt_topic_init(&self->cfg, "qlog");
	mqt_set_ring(&self->cfg, RING, 0);
	mqt_set_policy(&self->cfg, MQ_FULL_BLOCK);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;

	snprintf(path, sizeof(path), "%s/topics", self->data);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(path, sizeof(path), "%s/topics/%s", self->data, self->cfg.name);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(self->dir, sizeof(self->dir), "%s/0", path);
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &lcfg));

	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
	self->p = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->p);
	ASSERT_EQ(0, ioctl(self->p, MQ_IOC_SET_MODE, &mode));
	ASSERT_EQ(0, mqt_persist_attach(self->p));
	ASSERT_EQ(0, produce(self, 0, NMSG));
}

FIXTURE_TEARDOWN(qlog)
{
	char cmd[128];
	int *fds[] = { &self->m, &self->m2, &self->p, &self->w };
	unsigned int i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	mq_log_close(self->log);
	if (self->made)
		mqt_topic_del(self->cfg.name);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->data);
	if (system(cmd))
		TH_LOG("could not remove %s", self->data);
}

/* The queue's first offset: where the ring starts, after NMSG writes. */
static uint64_t ring_first(FIXTURE_DATA(qlog) *self)
{
	struct mq_queue_stats st;

	if (mqt_queue_stats(self->cfg.name, 0, &st))
		return UINT64_MAX;
	return st.first_offset;
}

/* A member in record mode, non-blocking, joined to @group with @flags. */
static int member(FIXTURE_DATA(qlog) *self, const char *group, uint32_t flags,
		  uint32_t start, uint64_t off)
{
	uint32_t mode = MQ_MODE_RECORD;
	int fd, ret;

	fd = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	if (ioctl(fd, MQ_IOC_SET_MODE, &mode)) {
		ret = -errno;
		goto fail;
	}
	ret = mqt_group_join(fd, group, flags, start, off);
	if (ret)
		goto fail;
	return fd;
fail:
	close(fd);
	return ret;
}

/* MQ_IOC_GROUP_CLAIM of at most @max with @flags: 0 or -errno. */
static int claim(int fd, uint32_t flags, uint32_t max, struct mq_group_claim *c)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->flags = flags;
	c->max = max;
	return ioctl(fd, MQ_IOC_GROUP_CLAIM, c) ? -errno : 0;
}

/* The offset of the first record a record-mode read of @fd returns. */
static long long read_offset(int fd)
{
	char buf[RING];
	const struct mq_record *r = (const void *)buf;
	long n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return -errno;
	if (n < (long)MQ_RECORD_HDR_SIZE)
		return -EIO;
	return (long long)r->offset;
}

/*
 * Reads [@from, @end) from the log and checks each record is message
 * offset-number of producer 0, in order: the count, or -errno.
 */
static long check_log(const char *dir, uint64_t from, uint64_t end)
{
	static char buf[RING * 4];
	struct mq_log_reader *rd;
	const struct mq_record *r;
	uint64_t want = from, seq;
	uint32_t producer;
	size_t pos;
	long n;
	int ret;

	ret = mq_log_reader_open(&rd, dir);
	if (ret)
		return ret;
	while (want < end) {
		n = mq_log_read(rd, want, buf, sizeof(buf));
		if (n <= 0) {
			ret = n ? (int)n : -ENODATA;
			break;
		}
		for (pos = 0; pos < (size_t)n && want < end;
		     pos += MQ_RECORD_ALIGN(r->len)) {
			r = (const void *)(buf + pos);
			if (r->offset != want ||
			    mqt_msg_check(buf + pos + MQ_RECORD_HDR_SIZE + r->key_len,
					  r->value_len, &producer, &seq) ||
			    producer != 0 || seq != want) {
				ret = -EBADMSG;
				goto out;
			}
			want++;
		}
	}
out:
	mq_log_reader_close(rd);
	return ret ? ret : (long)(want - from);
}

/* ---- the kernel's calls ---------------------------------------------------- */

TEST_F(qlog, feature_bit)
{
	struct mq_version v = { .size = sizeof(v) };

	ASSERT_EQ(0, ioctl(self->w, MQ_IOC_VERSION, &v));
	EXPECT_EQ(MQ_FEAT_LOG, v.features & MQ_FEAT_LOG);
	EXPECT_EQ(MQ_FEAT_ALL, v.features);
}

TEST_F(qlog, flag_errors)
{
	struct mq_group_claim c;

	/* A log run is a claim, which needs commits. */
	EXPECT_EQ(-EINVAL, member(self, "g", MQ_GROUP_F_LOG | MQ_GROUP_F_AUTOCOMMIT,
				  MQ_GROUP_START_RESTORE, 0));
	EXPECT_EQ(-EINVAL, member(self, "g", 1U << 2, MQ_GROUP_START_EARLIEST, 0));
	/* Log-only from a member that cannot read the log. */
	self->m = member(self, "g", 0, MQ_GROUP_START_RESTORE, 0);
	ASSERT_LE(0, self->m);
	EXPECT_EQ(-EINVAL, claim(self->m, MQ_GROUP_CLAIM_F_LOG_ONLY, 8, &c));
	EXPECT_EQ(-EINVAL, claim(self->m, 1U << 1, 8, &c));
}

TEST_F(qlog, read_says_exdev_then_runs_reach_the_ring)
{
	uint64_t first = ring_first(self);
	struct mq_group_claim c;

	/* The ring dropped what the log holds: the whole point. */
	ASSERT_LT(0, first);
	ASSERT_GE(NMSG, first + RING / mqt_record_size(MSG_LEN));
	self->m = member(self, "g", MQ_GROUP_F_LOG, MQ_GROUP_START_RESTORE, 0);
	ASSERT_LE(0, self->m);

	EXPECT_EQ(-EXDEV, read_offset(self->m));
	ASSERT_EQ(0, claim(self->m, MQ_GROUP_CLAIM_F_LOG_ONLY, 1024, &c));
	EXPECT_EQ(0, c.offset);
	EXPECT_EQ(first, c.end);
	EXPECT_EQ(first, c.count);
	EXPECT_EQ(MQ_GROUP_CLAIM_POS_LOG, c.pos);
	EXPECT_EQ((long)first, check_log(self->dir, c.offset, c.end));

	/* The seam: nothing more in the log for us, the ring goes on there. */
	EXPECT_EQ(-EAGAIN, claim(self->m, MQ_GROUP_CLAIM_F_LOG_ONLY, 1024, &c));
	EXPECT_EQ((long long)first, read_offset(self->m));
	EXPECT_EQ(0, mqt_commit(self->m, first + 1));
}

TEST_F(qlog, runs_are_cut_at_max_and_stay_in_the_log)
{
	uint64_t first = ring_first(self), off = 0;
	struct mq_group_claim c;

	ASSERT_LT(10, first);
	self->m = member(self, "g", MQ_GROUP_F_LOG, MQ_GROUP_START_RESTORE, 0);
	ASSERT_LE(0, self->m);
	while (off < first) {
		ASSERT_EQ(0, claim(self->m, 0, 10, &c));
		EXPECT_EQ(off, c.offset);
		EXPECT_EQ(off + 10 < first ? off + 10 : first, c.end);
		EXPECT_EQ(MQ_GROUP_CLAIM_POS_LOG, c.pos);
		off = c.end;
	}
	/* Without log-only, the next claim is a ring run from the seam. */
	ASSERT_EQ(0, claim(self->m, 0, 4, &c));
	EXPECT_EQ(first, c.offset);
	EXPECT_EQ(first + 4, c.end);
	EXPECT_NE(MQ_GROUP_CLAIM_POS_LOG, c.pos);
}

TEST_F(qlog, orphans_of_the_log_go_back_one_by_one)
{
	struct mq_group_claim c;
	uint64_t o;

	self->m = member(self, "g", MQ_GROUP_F_LOG, MQ_GROUP_START_RESTORE, 0);
	ASSERT_LE(0, self->m);
	ASSERT_EQ(0, claim(self->m, 0, 5, &c));
	ASSERT_EQ(5, c.end);
	/* Commits 0 and 1, leaves 2..4 behind. */
	ASSERT_EQ(0, mqt_commit(self->m, 2));
	close(self->m);
	self->m = -1;

	self->m2 = member(self, "g", MQ_GROUP_F_LOG, MQ_GROUP_START_RESTORE, 0);
	ASSERT_LE(0, self->m2);
	/* A reader is told to claim an orphan in the log, too. */
	EXPECT_EQ(-EXDEV, read_offset(self->m2));
	for (o = 2; o < 4; o++) {
		ASSERT_EQ(0, claim(self->m2, MQ_GROUP_CLAIM_F_LOG_ONLY, 1024, &c));
		EXPECT_EQ(o, c.offset);
		EXPECT_EQ(o + 1, c.end);
		EXPECT_EQ(MQ_GROUP_CLAIM_POS_LOG, c.pos);
	}
	/*
	 * The last orphan is next to the group's position, where the first
	 * member stopped: the run goes on from there, to the ring.
	 */
	ASSERT_EQ(0, claim(self->m2, MQ_GROUP_CLAIM_F_LOG_ONLY, 1024, &c));
	EXPECT_EQ(4, c.offset);
	EXPECT_EQ(ring_first(self), c.end);
	EXPECT_EQ(MQ_GROUP_CLAIM_POS_LOG, c.pos);
}

TEST_F(qlog, members_without_the_flag_skip_the_log)
{
	uint64_t first = ring_first(self);

	self->m = member(self, "g", 0, MQ_GROUP_START_RESTORE, 0);
	ASSERT_LE(0, self->m);
	EXPECT_EQ((long long)first, read_offset(self->m));
}

TEST_F(qlog, records_never_durable_are_skipped)
{
	struct mq_queue_stats st;
	struct mq_group_claim c;
	uint64_t durable, first;

	/* The persister goes: the ring may drop what no log has. */
	close(self->p);
	self->p = -1;
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	durable = st.durable_offset;
	EXPECT_EQ(NMSG, durable);
	ASSERT_EQ(0, mqt_produce(self->w, NMSG, 100, MSG_LEN));
	first = ring_first(self);
	ASSERT_LT(durable, first);

	self->m = member(self, "g", MQ_GROUP_F_LOG, MQ_GROUP_START_RESTORE, 0);
	ASSERT_LE(0, self->m);
	ASSERT_EQ(0, claim(self->m, MQ_GROUP_CLAIM_F_LOG_ONLY, 1024, &c));
	EXPECT_EQ(0, c.offset);
	EXPECT_EQ(durable, c.end);
	/* [durable, first) is nowhere: the group goes on in the ring. */
	EXPECT_EQ(-EAGAIN, claim(self->m, MQ_GROUP_CLAIM_F_LOG_ONLY, 1024, &c));
	EXPECT_EQ((long long)first, read_offset(self->m));
}

/* ---- libmq: MQ_CONSUMER_F_LOG ---------------------------------------------- */

struct seen {
	uint64_t next;		/* the offset expected next */
	uint64_t bad;		/* deliveries out of order or not verifying */
};

static int on_msg(const struct mq_message *m, void *arg)
{
	struct seen *s = arg;
	uint32_t producer;
	uint64_t seq;

	/* Message n of producer 0 is at offset n. */
	if (m->offset != s->next || m->queue != 0 ||
	    mqt_msg_check(m->value, m->value_len, &producer, &seq) ||
	    producer != 0 || seq != m->offset)
		s->bad++;
	s->next = m->offset + 1;
	return 0;
}

/* Polls @c until @want offsets are seen or nothing comes for a while. */
static void drain(struct mq_consumer *c, struct seen *s, uint64_t want)
{
	int idle = 0, n;

	while (s->next < want && idle < 20) {
		n = mq_consumer_poll(c, 100, on_msg, s);
		if (n < 0)
			break;
		idle = n ? 0 : idle + 1;
	}
}

static int state_cb(const struct mq_group_state *st, void *arg)
{
	*(struct mq_group_state *)arg = *st;
	return 0;
}

/* Group "lg"'s committed offset on queue 0, or -1. */
static long long committed(const char *topic)
{
	struct mq_group_state st = { .committed = UINT64_MAX };
	struct mq_admin *admin;
	int ret;

	if (mq_admin_open(&admin))
		return -1;
	ret = mq_admin_group_list(admin, topic, "lg", state_cb, &st);
	mq_admin_close(admin);
	return ret ? -1 : (long long)st.committed;
}

/*
 * Every offset once, in order, from the log's first to the ring's next;
 * then what is written meanwhile; then all again after a seek to the
 * beginning, which is the log's.
 */
static void consume_all(struct __test_metadata *_metadata,
			FIXTURE_DATA(qlog) *self, uint32_t flags)
{
	struct seen s = { 0 };
	struct mq_consumer *c;

	ASSERT_EQ(0, setenv("MQ_DATA_DIR", self->data, 1));
	ASSERT_EQ(0, mq_consumer_open(&c, self->cfg.name, "lg",
				      MQ_GROUP_START_EARLIEST, flags));
	drain(c, &s, NMSG);
	EXPECT_EQ(NMSG, s.next);
	EXPECT_EQ(0, s.bad);
	/* Nothing more: every offset came once. */
	EXPECT_EQ(0, mq_consumer_poll(c, 0, on_msg, &s));
	EXPECT_EQ(0, mq_consumer_commit(c, 0, NMSG));
	EXPECT_EQ(NMSG, committed(self->cfg.name));

	/* Written while it reads: the ring's, after the log's. */
	ASSERT_EQ(0, produce(self, NMSG, 10));
	drain(c, &s, NMSG + 10);
	EXPECT_EQ(NMSG + 10, s.next);
	EXPECT_EQ(0, s.bad);

	/* Back to the beginning: the log's, not the ring's. */
	ASSERT_EQ(0, mq_consumer_seek(c, 0, MQ_GROUP_START_EARLIEST, 0));
	s.next = 0;
	drain(c, &s, NMSG + 10);
	EXPECT_EQ(NMSG + 10, s.next);
	EXPECT_EQ(0, s.bad);
	mq_consumer_close(c);
}

TEST_F(qlog, consumer_copies_from_the_log_then_the_ring)
{
	consume_all(_metadata, self, MQ_CONSUMER_F_LOG);
}

TEST_F(qlog, consumer_in_place_from_the_log_then_the_ring)
{
	consume_all(_metadata, self, MQ_CONSUMER_F_LOG | MQ_CONSUMER_F_MMAP);
}

/* Offsets a consumer was given, in order; retention at the first. */
struct retained {
	struct mq_log *log;
	uint64_t keep;		/* retention's bytes */
	uint64_t seen[NMSG];
	unsigned int n;
	int deleted;
};

static int on_msg_retain(const struct mq_message *m, void *arg)
{
	struct retained *r = arg;

	if (r->n < NMSG)
		r->seen[r->n] = m->offset;
	r->n++;
	/* As mqd's tick would, while the consumer is in the oldest segment. */
	if (m->offset == 0)
		r->deleted = mq_log_retain(r->log, 1, r->keep, 0);
	return 0;
}

TEST_F(qlog, retention_while_a_consumer_reads_the_log)
{
	struct retained r = { .log = self->log };
	uint64_t first, ring = ring_first(self), bytes;
	struct mq_log_reader *rd;
	struct mq_consumer *c;
	unsigned int i, segments;
	int idle = 0, n;

	/* Retention to take the 4 oldest segments, each SEGMENT bytes. */
	ASSERT_EQ(0, mq_log_reader_open(&rd, self->dir));
	ASSERT_EQ(0, mq_log_reader_stat(rd, &segments, &bytes));
	mq_log_reader_close(rd);
	ASSERT_EQ((NMSG + 14) / 15, segments);
	r.keep = bytes - 4 * SEGMENT;

	ASSERT_EQ(0, setenv("MQ_DATA_DIR", self->data, 1));
	ASSERT_EQ(0, mq_consumer_open(&c, self->cfg.name, "lg",
				      MQ_GROUP_START_EARLIEST, MQ_CONSUMER_F_LOG));
	while (idle < 10 && r.n < NMSG) {
		n = mq_consumer_poll(c, 100, on_msg_retain, &r);
		ASSERT_LE(0, n);
		idle = n ? 0 : idle + 1;
	}
	/* Four segments went while it read the first of them. */
	ASSERT_EQ(0, mq_log_reader_open(&rd, self->dir));
	ASSERT_EQ(0, mq_log_reader_first_offset(rd, &first));
	mq_log_reader_close(rd);
	EXPECT_EQ(4, r.deleted);
	EXPECT_EQ(60, first);
	ASSERT_LT(first, ring);
	/*
	 * What it had read of the first segment, then from the oldest left,
	 * in order, none twice, and on into the ring at its first: Kafka's
	 * consumer below the log start with auto.offset.reset=earliest.
	 */
	ASSERT_EQ(15 + NMSG - first, r.n);
	for (i = 0; i < r.n; i++)
		ASSERT_EQ(i < 15 ? i : first + i - 15, r.seen[i]);
	EXPECT_EQ(0, mq_consumer_commit(c, 0, NMSG));
	EXPECT_EQ(NMSG, committed(self->cfg.name));
	mq_consumer_close(c);
}

TEST_F(qlog, consumer_errors)
{
	struct seen s = { 0 };
	struct mq_consumer *c;
	struct mq_admin *admin;
	char empty[300];

	EXPECT_EQ(-EINVAL, mq_consumer_open(&c, self->cfg.name, "lg",
					    MQ_GROUP_START_EARLIEST,
					    MQ_CONSUMER_F_LOG |
					    MQ_CONSUMER_F_AUTOCOMMIT));
	/* A group restored below the ring, as mqd does at start. */
	ASSERT_EQ(0, mq_admin_open(&admin));
	ASSERT_EQ(0, mq_admin_group_set(admin, self->cfg.name, 0, "lg",
					MQ_GROUP_START_RESTORE, 0));
	mq_admin_close(admin);
	/* Its log is not where the consumer looks. */
	snprintf(empty, sizeof(empty), "%s/elsewhere", self->data);
	ASSERT_EQ(0, mkdir(empty, 0755));
	ASSERT_EQ(0, setenv("MQ_DATA_DIR", empty, 1));
	ASSERT_EQ(0, mq_consumer_open(&c, self->cfg.name, "lg",
				      MQ_GROUP_START_LATEST, MQ_CONSUMER_F_LOG));
	EXPECT_EQ(-ENOENT, mq_consumer_poll(c, 100, on_msg, &s));
	EXPECT_EQ(-ENOENT, mq_consumer_poll(c, 100, on_msg, &s));
	EXPECT_EQ(0, s.next);
	mq_consumer_close(c);
	/* Not delivered, not committed: still the group's. */
	EXPECT_EQ(0, committed(self->cfg.name));
	/* With the log where it is, all of it. */
	ASSERT_EQ(0, setenv("MQ_DATA_DIR", self->data, 1));
	ASSERT_EQ(0, mq_consumer_open(&c, self->cfg.name, "lg",
				      MQ_GROUP_START_LATEST, MQ_CONSUMER_F_LOG));
	drain(c, &s, NMSG);
	EXPECT_EQ(NMSG, s.next);
	EXPECT_EQ(0, s.bad);
	mq_consumer_close(c);
}

TEST_HARNESS_MAIN
