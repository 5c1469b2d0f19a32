// SPDX-License-Identifier: GPL-2.0
/*
 * mqd_retention_test: mqd's retention by size deleting old segments of a
 * queue's log while a producer writes many times the limit and a group
 * consumer reads the ring, slowly at first.
 *
 * The topic's section sets segment-bytes 4K and retention-bytes 16K.  A
 * producer writes 1 000 messages of 200 bytes (264-byte records), one
 * acks 1 write each, so that every write mqd makes is one record and a
 * segment holds exactly 15 (64 + 15 * 264 = 4 024 bytes; a 16th would
 * pass 4K): segment bases are multiples of 15, and what retention keeps
 * can be computed exactly.  The ring is 64 KiB, so the slow consumer
 * holds the producer back after about 250 records.  The consumer reads a
 * record each 20 ms until retention has deleted log segments past the
 * record it is at (it checks), then at full speed.  Checked:
 *
 * - while it runs (a thread lists the log every 10 ms): the log never
 *   holds more than retention + two segments (retention runs at mqd's
 *   100 ms tick, and the producer writes at most a segment between the
 *   points below), nor more segments than that many bytes hold; the
 *   newest segment never goes away (its base never goes back); every
 *   base a multiple of 15;
 * - after every 15 writes: the log comes back within retention + one
 *   segment (Documentation/log.rst: retention keeps at least
 *   retention-bytes, and exceeds it by at most one segment);
 * - the consumer reads from the ring records retention already deleted
 *   from the log, and gets offsets 0 to 999 once each, in order, with
 *   the values written there;
 * - at the end: durable is next (1 000); the log's first offset, segments
 *   and bytes are what the rule leaves, the records from its first offset
 *   to 999 are all there; mqd said each deletion ("retention deleted N
 *   segments", N adding up to the segments gone), and nothing worse.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mq_util.h"
#include "mqd_util.h"
#include "log.h"
#include "kselftest_harness.h"

#define COUNT		1000U
#define VLEN		200U
#define REC		MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + VLEN)
#define SEG_BYTES	4096U
#define RET_BYTES	16384U
/* Records per segment, and a full segment's bytes. */
#define PER_SEG		((SEG_BYTES - MQ_LOG_SEG_HDR_SIZE) / REC)
#define SEG_FULL	(MQ_LOG_SEG_HDR_SIZE + PER_SEG * REC)
#define RING		(64U << 10)
#define SLOW_MS		20U	/* the consumer's pace at first */

/* What one listing of the log's directory found. */
struct listing {
	unsigned int segments;
	uint64_t bytes;
	uint64_t first, newest;		/* bases */
	unsigned int misaligned;	/* bases not a multiple of PER_SEG */
};

static int list_log(const char *dir, struct listing *l)
{
	char path[512];
	struct dirent *e;
	struct stat st;
	unsigned long long base;
	char rest[8];
	DIR *d;

	memset(l, 0, sizeof(*l));
	l->first = UINT64_MAX;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "%20llu%7s", &base, rest) != 2 ||
		    strcmp(rest, ".log") || strlen(e->d_name) != 24)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		/* Retention may take it between the two. */
		if (stat(path, &st))
			continue;
		l->segments++;
		l->bytes += st.st_size;
		if (base < l->first)
			l->first = base;
		if (base > l->newest)
			l->newest = base;
		if (base % PER_SEG)
			l->misaligned++;
	}
	closedir(d);
	return 0;
}

/*
 * What retention leaves of COUNT records in segments of PER_SEG: the
 * oldest goes while the rest still hold RET_BYTES, the active one never.
 */
static void retained(struct listing *l)
{
	unsigned int nseg = (COUNT + PER_SEG - 1) / PER_SEG;
	uint64_t active = MQ_LOG_SEG_HDR_SIZE + (COUNT - (nseg - 1) * PER_SEG) * REC;
	uint64_t total = active + (uint64_t)(nseg - 1) * SEG_FULL;
	unsigned int first = 0;

	while (first < nseg - 1 && total - SEG_FULL >= RET_BYTES) {
		total -= SEG_FULL;
		first++;
	}
	memset(l, 0, sizeof(*l));
	l->segments = nseg - first;
	l->bytes = total;
	l->first = (uint64_t)first * PER_SEG;
	l->newest = (uint64_t)(nseg - 1) * PER_SEG;
}

struct run {
	const char *topic;
	char dir[256];
	/* the producer */
	int perr;
	uint32_t written;
	uint32_t checkpoints, late;	/* late: not within bounds in time */
	uint64_t worst_wait_ms;
	/* the sampler */
	int done;
	unsigned int samples, max_segments, misaligned, went_back;
	uint64_t max_bytes, max_first, newest;
	/* the consumer */
	struct mq_consumer *c;
	int cerr;
	uint64_t next, count, bad;
	bool overtaken;			/* retention passed the consumer */
	uint64_t overtaken_at, overtaken_first;
	char first_bad[128];
	long long deadline;
};

static void fill(char *v, uint32_t i)
{
	memset(v, 'a' + i % 26, VLEN);
	memcpy(v, &i, sizeof(i));
}

static void *produce(void *arg)
{
	struct run *r = arg;
	struct listing l;
	char v[VLEN];
	long long t0;
	uint32_t i;
	int fd;

	fd = mqt_open(r->topic, 0, O_WRONLY);
	if (fd < 0) {
		r->perr = fd;
		return NULL;
	}
	for (i = 0; i < COUNT; i++) {
		fill(v, i);
		if (mqt_write(fd, v, VLEN) != VLEN) {
			r->perr = -errno;
			break;
		}
		r->written = i + 1;
		if ((i + 1) % PER_SEG)
			continue;
		/* A segment's worth written: retention brings it back. */
		r->checkpoints++;
		t0 = mqt_now_ms();
		while (!list_log(r->dir, &l) && l.bytes > RET_BYTES + SEG_BYTES &&
		       mqt_now_ms() - t0 < MQT_WAIT_MS)
			mqt_sleep_ms(10);
		if (l.bytes > RET_BYTES + SEG_BYTES)
			r->late++;
		if ((uint64_t)(mqt_now_ms() - t0) > r->worst_wait_ms)
			r->worst_wait_ms = mqt_now_ms() - t0;
	}
	close(fd);
	return NULL;
}

static void *sample(void *arg)
{
	struct run *r = arg;
	struct listing l;

	while (!__atomic_load_n(&r->done, __ATOMIC_RELAXED)) {
		if (!list_log(r->dir, &l) && l.segments) {
			r->samples++;
			if (l.segments > r->max_segments)
				r->max_segments = l.segments;
			if (l.bytes > r->max_bytes)
				r->max_bytes = l.bytes;
			if (l.first > r->max_first)
				r->max_first = l.first;
			if (l.newest < r->newest)
				r->went_back++;
			r->newest = l.newest;
			r->misaligned += l.misaligned;
		}
		mqt_sleep_ms(10);
	}
	return NULL;
}

static int consume_cb(const struct mq_message *m, void *arg)
{
	struct run *r = arg;
	struct listing l;
	char want[VLEN];

	fill(want, (uint32_t)m->offset);
	if (m->offset != r->next || m->value_len != VLEN ||
	    memcmp(m->value, want, VLEN)) {
		if (!r->bad++)
			snprintf(r->first_bad, sizeof(r->first_bad),
				 "offset %" PRIu64 " (%u bytes), want %" PRIu64,
				 m->offset, m->value_len, r->next);
	}
	r->next = m->offset + 1;
	r->count++;
	/*
	 * Slow until retention has deleted records of the log that it has
	 * not read from the ring yet; then as fast as it can.
	 */
	if (!r->overtaken) {
		if (!list_log(r->dir, &l) && l.segments && l.first > m->offset) {
			r->overtaken = true;
			r->overtaken_at = m->offset;
			r->overtaken_first = l.first;
		} else {
			mqt_sleep_ms(SLOW_MS);
		}
	}
	return 0;
}

static void *consume(void *arg)
{
	struct run *r = arg;
	long long deadline;
	int ret;

	while (r->count < COUNT) {
		ret = mq_consumer_poll(r->c, 200, consume_cb, r);
		if (ret < 0) {
			r->cerr = ret;
			break;
		}
		deadline = __atomic_load_n(&r->deadline, __ATOMIC_RELAXED);
		if (!ret && deadline && mqt_now_ms() > deadline)
			break;
	}
	return NULL;
}

/* The sum of N over mqd's "<topic>/0: retention deleted N segments". */
static int deleted_said(const struct mqdt *d, const char *topic,
			unsigned int *others)
{
	char line[1024], prefix[128];
	size_t plen;
	int n, sum = 0;
	FILE *f;

	*others = 0;
	plen = snprintf(prefix, sizeof(prefix),
			"mqd: info: %s/0: retention deleted ", topic);
	f = fopen(d->err, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, prefix, plen) &&
		    sscanf(line + plen, "%d segments", &n) == 1)
			sum += n;
		else if (strncmp(line, "mqd: info: ", 11))
			++*others;	/* a warning or an error */
	}
	fclose(f);
	return sum;
}

FIXTURE(ret) {
	struct mqdt mqd;
	struct mq_topic_config cfg;
	bool made;
	struct run run;
};

FIXTURE_SETUP(ret)
{
	char conf[256];

	mqt_topic_init(&self->cfg, "mqdret");
	mqt_set_queues(&self->cfg, 1);
	mqt_set_ring(&self->cfg, RING, 0);
	mqt_set_acks(&self->cfg, MQ_ACKS_LEADER, 30000);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	snprintf(conf, sizeof(conf),
		 "[topic %s]\nsegment-bytes = %u\nretention-bytes = %u\n",
		 self->cfg.name, SEG_BYTES, RET_BYTES);
	ASSERT_EQ(0, mqdt_start(&self->mqd, conf)) {
		mqdt_err_print(&self->mqd);
	}
}

FIXTURE_TEARDOWN(ret)
{
	mq_consumer_close(self->run.c);
	if (self->mqd.pid)
		EXPECT_EQ(0, mqdt_stop(&self->mqd));
	if (!_metadata->passed)
		mqdt_err_print(&self->mqd);
	if (self->made)
		mqt_topic_del(self->cfg.name);
	mqdt_cleanup(&self->mqd);
}

TEST_F_TIMEOUT(ret, segments_go_while_a_group_reads, 180)
{
	pthread_t prod, samp, cons;
	struct run *r = &self->run;
	struct listing want, got;
	struct mq_log_reader *lr;
	struct mq_queue_stats st;
	const struct mq_record *rec;
	unsigned int others;
	uint64_t off, logged = 0;
	char v[VLEN], *buf;
	long long t0;
	ssize_t n, pos;

	r->topic = self->cfg.name;
	mqdt_queue_dir(&self->mqd, r->dir, sizeof(r->dir), r->topic, 0);
	ASSERT_EQ(0, mq_consumer_open(&r->c, r->topic, "ret",
				      MQ_GROUP_START_EARLIEST,
				      MQ_CONSUMER_F_AUTOCOMMIT));
	t0 = mqt_now_ms();
	ASSERT_EQ(0, pthread_create(&cons, NULL, consume, r));
	ASSERT_EQ(0, pthread_create(&samp, NULL, sample, r));
	ASSERT_EQ(0, pthread_create(&prod, NULL, produce, r));
	pthread_join(prod, NULL);
	__atomic_store_n(&r->deadline, mqt_now_ms() + 30000, __ATOMIC_RELAXED);
	pthread_join(cons, NULL);
	TH_LOG("%u written, %" PRIu64 " consumed in %lld ms; worst wait for retention %" PRIu64 " ms",
	       r->written, r->count, mqt_now_ms() - t0, r->worst_wait_ms);

	/* The last retention pass: what the rule leaves. */
	retained(&want);
	t0 = mqt_now_ms();
	while (!list_log(r->dir, &got) && got.first != want.first &&
	       mqt_now_ms() - t0 < MQT_WAIT_MS)
		mqt_sleep_ms(20);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELAXED);
	pthread_join(samp, NULL);
	TH_LOG("%u listings: at most %u segments, %" PRIu64 " bytes",
	       r->samples, r->max_segments, r->max_bytes);

	ASSERT_EQ(0, r->perr);
	ASSERT_EQ(COUNT, r->written);
	EXPECT_EQ(COUNT / PER_SEG, r->checkpoints);
	EXPECT_EQ(0, r->late);

	/* While it ran. */
	EXPECT_LT(10, r->samples);
	EXPECT_GE(RET_BYTES + 2 * SEG_BYTES, r->max_bytes);
	EXPECT_LT(RET_BYTES, r->max_bytes);
	EXPECT_GE((RET_BYTES + 2 * SEG_BYTES) / SEG_FULL + 1, r->max_segments);
	EXPECT_EQ(0, r->went_back);
	EXPECT_EQ(0, r->misaligned);
	EXPECT_LT(0, r->max_first);

	/* The consumer: every offset, in order, though the log lost them. */
	EXPECT_TRUE(r->overtaken);
	TH_LOG("the consumer read offset %" PRIu64 " when the log began at %" PRIu64,
	       r->overtaken_at, r->overtaken_first);
	EXPECT_EQ(0, r->cerr);
	EXPECT_EQ(0, r->bad) {
		TH_LOG("consumer, first: %s", r->first_bad);
	}
	EXPECT_EQ(COUNT, r->count);
	EXPECT_EQ(COUNT, r->next);

	ASSERT_EQ(0, mqt_queue_stats(r->topic, 0, &st));
	EXPECT_EQ(COUNT, st.next_offset);
	EXPECT_EQ(COUNT, st.durable_offset);

	/* At the end: what the rule leaves, and every record of it. */
	EXPECT_EQ(want.first, got.first);
	EXPECT_EQ(want.newest, got.newest);
	EXPECT_EQ(want.segments, got.segments);
	EXPECT_EQ(want.bytes, got.bytes);
	ASSERT_EQ(0, mq_log_reader_open(&lr, r->dir));
	buf = malloc(SEG_BYTES * 2);
	ASSERT_NE(NULL, buf);
	off = 0;
	while ((n = mq_log_read(lr, off, buf, SEG_BYTES * 2)) > 0) {
		for (pos = 0; pos < n; pos += MQ_RECORD_ALIGN(rec->len)) {
			rec = (const void *)(buf + pos);
			fill(v, (uint32_t)rec->offset);
			if (rec->offset != (logged ? off : want.first) ||
			    rec->value_len != VLEN ||
			    memcmp((const char *)rec + MQ_RECORD_HDR_SIZE, v, VLEN))
				break;
			off = rec->offset + 1;
			logged++;
		}
		if (pos < n)
			break;
	}
	mq_log_reader_close(lr);
	free(buf);
	EXPECT_EQ(0, n);
	EXPECT_EQ(COUNT, off);
	EXPECT_EQ(COUNT - want.first, logged);

	EXPECT_EQ((int)(want.first / PER_SEG), deleted_said(&self->mqd, r->topic,
							     &others));
	EXPECT_EQ(0, others);
}

TEST_HARNESS_MAIN
