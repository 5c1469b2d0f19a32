// SPDX-License-Identifier: GPL-2.0
/*
 * mqd_load_test: 1 000 000 messages through an acks 1 topic persisted by
 * mqd (async flush), with nothing lost or doubled anywhere.
 *
 * Four producers (libmq, batched record-mode writes) send 250 000
 * messages each to a topic of two queues, producers 0 and 2 to queue 0,
 * 1 and 3 to queue 1, so that two producers append to each queue at
 * once.  Each message's value is its producer's number and its sequence
 * number there.  A consumer group reads concurrently, one member per
 * queue, and checks, per producer, that it sees 0, 1, 2, ... with no gap
 * and no duplicate, at consecutive offsets.  Each flush returns once mqd
 * acknowledged its records, so at the end every queue's durable offset
 * is its next offset, 500 000; and each queue's log holds offsets 0 to
 * 499 999 once each, in order, every record whole (its CRC), with the
 * same per-producer sequences, and is byte for byte what the ring still
 * holds of its tail.
 *
 * The count stays at a million; the batch size is what keeps the time
 * down under TCG.  Each producer flushes every BATCH (20) sends: 50 000
 * record-mode writes in all, each waiting for mqd's acknowledgement,
 * many of them while another producer's write to the same queue waits
 * too.  Measured in a TCG guest: 1 s with libmq's full 1 MiB batches
 * (about 70 writes), 11 s with batches of 10 on a quiet host and 45 to
 * 85 s on a busy one; with 20, 6.5 s and 24 to 43 s, which leaves the
 * 280 s limit a wide margin.  The ring is 16 MiB: it wraps twice per
 * queue, and the producers never wait for room while the consumers keep
 * up.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mq_util.h"
#include "mqd_util.h"
#include "log.h"
#include "kselftest_harness.h"

#define NPROD		4
#define PER_PROD	250000U
#define NQ		2
#define PER_QUEUE	(NPROD / NQ * PER_PROD)
#define RING		(16U << 20)
#define BUF		(2U << 20)
/* Records per write: each waits for mqd's acknowledgement. */
#define BATCH		20U

/* A message's value. */
struct val {
	uint32_t producer;
	uint32_t seq;
};

#define REC_SIZE	MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + sizeof(struct val))

struct prod {
	pthread_t thread;
	const char *topic;
	uint32_t id;
	int err;		/* the first -errno */
	uint32_t sent;		/* messages sent: all, or those before the error */
	long long ms;
};

/*
 * What a reader of one queue saw, through the group or in the log: the
 * checks that both must pass.
 */
struct seen {
	uint32_t queue;
	uint64_t next_off;		/* the offset expected next */
	uint32_t next_seq[NPROD];	/* per producer, the sequence expected next */
	uint64_t count;
	uint64_t bad;			/* wrong offset, producer, queue, size or seq */
	char first_bad[160];		/* what the first was */
};

struct cons {
	pthread_t thread;
	const char *topic;
	struct mq_consumer *c;
	struct seen seen;
	int err;
	long long ms;
	long long deadline;		/* set by main: give up after it */
};

static void bad(struct seen *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bad(struct seen *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->bad++) {
		va_start(ap, fmt);
		vsnprintf(s->first_bad, sizeof(s->first_bad), fmt, ap);
		va_end(ap);
	}
}

/* One record at @off on @s's queue, value @v of @len bytes. */
static void see(struct seen *s, uint64_t off, const void *v, uint32_t len)
{
	struct val val;

	if (off != s->next_off)
		bad(s, "queue %u: offset %llu, want %llu", s->queue,
		    (unsigned long long)off, (unsigned long long)s->next_off);
	s->next_off = off + 1;
	s->count++;
	if (len != sizeof(val)) {
		bad(s, "queue %u offset %llu: %u bytes", s->queue,
		    (unsigned long long)off, len);
		return;
	}
	memcpy(&val, v, sizeof(val));
	if (val.producer >= NPROD || val.producer % NQ != s->queue) {
		bad(s, "queue %u offset %llu: producer %u", s->queue,
		    (unsigned long long)off, val.producer);
		return;
	}
	if (val.seq != s->next_seq[val.producer])
		bad(s, "queue %u offset %llu: producer %u seq %u, want %u",
		    s->queue, (unsigned long long)off, val.producer, val.seq,
		    s->next_seq[val.producer]);
	s->next_seq[val.producer] = val.seq + 1;
}

/* Every producer of @s's queue at PER_PROD, the others at 0. */
static bool seen_all(const struct seen *s)
{
	uint32_t p;

	for (p = 0; p < NPROD; p++)
		if (s->next_seq[p] != (p % NQ == s->queue ? PER_PROD : 0))
			return false;
	return s->count == PER_QUEUE && s->next_off == PER_QUEUE;
}

static void *produce(void *arg)
{
	struct prod *p = arg;
	struct mq_producer *h;
	struct val v = { .producer = p->id };
	long long t0 = mqt_now_ms();
	int ret;

	ret = mq_producer_open(&h, p->topic, 0);
	if (ret) {
		p->err = ret;
		return NULL;
	}
	for (v.seq = 0; v.seq < PER_PROD; v.seq++) {
		ret = mq_producer_send(h, p->id % NQ, NULL, 0, &v, sizeof(v));
		if (ret >= 0 && v.seq % BATCH == BATCH - 1)
			ret = mq_producer_flush(h);
		if (ret < 0)
			break;
	}
	p->sent = v.seq;
	if (ret >= 0)
		ret = mq_producer_flush(h);
	mq_producer_close(h);
	p->err = ret < 0 ? ret : 0;
	p->ms = mqt_now_ms() - t0;
	return NULL;
}

static int consume_cb(const struct mq_message *m, void *arg)
{
	struct seen *s = arg;

	if (m->queue != s->queue) {
		bad(s, "queue %u's member got a record of queue %u", s->queue,
		    m->queue);
		return 0;
	}
	see(s, m->offset, m->value, m->value_len);
	return 0;
}

static void *consume(void *arg)
{
	struct cons *c = arg;
	long long t0 = mqt_now_ms();
	int ret;

	while (!seen_all(&c->seen) && !c->seen.bad) {
		ret = mq_consumer_poll(c->c, 500, consume_cb, &c->seen);
		if (ret < 0) {
			c->err = ret;
			break;
		}
		if (!ret && __atomic_load_n(&c->deadline, __ATOMIC_RELAXED) &&
		    mqt_now_ms() > __atomic_load_n(&c->deadline, __ATOMIC_RELAXED))
			break;
	}
	c->ms = mqt_now_ms() - t0;
	return NULL;
}

/*
 * Reads queue @q's log from offset 0 through @s, checking each record's
 * framing and CRC, and appends the bytes of offsets @from and up to
 * @tail (at most @cap bytes): 0, or -errno.
 */
static int read_log(const char *dir, struct seen *s, uint64_t from,
		    char *tail, size_t cap, size_t *tail_len)
{
	struct mq_log_reader *r;
	const struct mq_record *rec;
	char *buf;
	uint64_t off = 0;
	ssize_t n, pos;
	int ret;

	*tail_len = 0;
	buf = malloc(BUF);
	if (!buf)
		return -ENOMEM;
	ret = mq_log_reader_open(&r, dir);
	if (ret) {
		free(buf);
		return ret;
	}
	for (;;) {
		n = mq_log_read(r, off, buf, BUF);
		if (n <= 0) {
			ret = n;
			break;
		}
		for (pos = 0; pos < n; pos += MQ_RECORD_ALIGN(rec->len)) {
			rec = (const void *)(buf + pos);
			if (rec->magic != MQ_RECORD_MAGIC ||
			    rec->len != MQ_RECORD_HDR_SIZE + rec->key_len + rec->value_len ||
			    rec->crc != mq_crc32c((const char *)rec + MQ_RECORD_CRC_START,
						  rec->len - MQ_RECORD_CRC_START))
				bad(s, "log of queue %u: record at offset %llu is not whole",
				    s->queue, (unsigned long long)rec->offset);
			see(s, rec->offset, (const char *)rec + MQ_RECORD_HDR_SIZE +
			    rec->key_len, rec->value_len);
			off = rec->offset + 1;
			if (rec->offset >= from &&
			    *tail_len + MQ_RECORD_ALIGN(rec->len) <= cap) {
				memcpy(tail + *tail_len, rec, MQ_RECORD_ALIGN(rec->len));
				*tail_len += MQ_RECORD_ALIGN(rec->len);
			}
		}
	}
	mq_log_reader_close(r);
	free(buf);
	return ret;
}

/* The ring's records from @from on, read in record mode: bytes, or -errno. */
static ssize_t read_ring(const char *topic, uint32_t q, uint64_t from,
			 char *buf, size_t cap)
{
	uint32_t mode = MQ_MODE_RECORD;
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = mqt_open(topic, q, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	if (ioctl(fd, MQ_IOC_SET_MODE, &mode) ||
	    lseek(fd, from, SEEK_SET) != (off_t)from) {
		n = -errno;
		close(fd);
		return n;
	}
	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n <= 0)
			break;
		len += n;
	}
	n = n < 0 && errno != EAGAIN ? -errno : (ssize_t)len;
	close(fd);
	return n;
}

FIXTURE(load) {
	struct mqdt mqd;
	struct mq_topic_config cfg;
	bool made;
	struct cons cons[NQ];
	char *ring, *tail;
};

FIXTURE_SETUP(load)
{
	mqt_topic_init(&self->cfg, "mqdload");
	mqt_set_queues(&self->cfg, NQ);
	mqt_set_ring(&self->cfg, RING, 0);
	mqt_set_acks(&self->cfg, MQ_ACKS_LEADER, 30000);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	/* The default policy: async flush, 1 GiB segments, no retention by size. */
	ASSERT_EQ(0, mqdt_start(&self->mqd, "flush = async\nretention-ms = 0\n")) {
		mqdt_err_print(&self->mqd);
	}
}

FIXTURE_TEARDOWN(load)
{
	int i;

	for (i = 0; i < NQ; i++)
		mq_consumer_close(self->cons[i].c);
	if (self->mqd.pid)
		EXPECT_EQ(0, mqdt_stop(&self->mqd));
	if (!_metadata->passed)
		mqdt_err_print(&self->mqd);
	if (self->made)
		mqt_topic_del(self->cfg.name);
	mqdt_cleanup(&self->mqd);
	free(self->ring);
	free(self->tail);
}

TEST_F_TIMEOUT(load, million_acks1_in_sequence, 280)
{
	struct prod prod[NPROD];
	struct mq_queue_stats st;
	struct seen logseen;
	uint32_t q, i, p;
	char dir[256];
	long long t0, t_prod, t_cons;
	size_t tail_len;
	ssize_t ring_len;

	for (q = 0; q < NQ; q++) {
		struct cons *c = &self->cons[q];

		c->topic = self->cfg.name;
		c->seen.queue = q;
		ASSERT_EQ(0, mq_consumer_open_queues(&c->c, c->topic, "load",
						     MQ_GROUP_START_EARLIEST,
						     MQ_CONSUMER_F_AUTOCOMMIT,
						     &q, 1));
	}
	t0 = mqt_now_ms();
	for (q = 0; q < NQ; q++)
		ASSERT_EQ(0, pthread_create(&self->cons[q].thread, NULL, consume,
					    &self->cons[q]));
	for (i = 0; i < NPROD; i++) {
		prod[i] = (struct prod){ .topic = self->cfg.name, .id = i };
		ASSERT_EQ(0, pthread_create(&prod[i].thread, NULL, produce, &prod[i]));
	}
	for (i = 0; i < NPROD; i++)
		pthread_join(prod[i].thread, NULL);
	t_prod = mqt_now_ms() - t0;
	/* The consumers have 60 s more at most to catch up. */
	for (q = 0; q < NQ; q++)
		__atomic_store_n(&self->cons[q].deadline, mqt_now_ms() + 60000,
				 __ATOMIC_RELAXED);
	for (q = 0; q < NQ; q++)
		pthread_join(self->cons[q].thread, NULL);
	t_cons = mqt_now_ms() - t0;
	for (i = 0; i < NPROD; i++)
		TH_LOG("producer %u: %u sent in %lld ms", i, prod[i].sent,
		       prod[i].ms);
	TH_LOG("%u messages produced (acks 1) in %lld ms, consumed in %lld ms",
	       NPROD * PER_PROD, t_prod, t_cons);
	for (i = 0; i < NPROD; i++) {
		EXPECT_EQ(0, prod[i].err);
		EXPECT_EQ(PER_PROD, prod[i].sent);
	}

	/* Every flush returned acknowledged: durable is next, at once. */
	for (q = 0; q < NQ; q++) {
		ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, q, &st));
		EXPECT_EQ(PER_QUEUE, st.next_offset);
		EXPECT_EQ(st.next_offset, st.durable_offset);
		EXPECT_EQ(1, st.persister);
	}

	for (q = 0; q < NQ; q++) {
		struct cons *c = &self->cons[q];

		EXPECT_EQ(0, c->err);
		EXPECT_EQ(0, c->seen.bad) {
			TH_LOG("group, first: %s", c->seen.first_bad);
		}
		EXPECT_EQ(PER_QUEUE, c->seen.count);
		for (p = 0; p < NPROD; p++)
			EXPECT_EQ(p % NQ == q ? PER_PROD : 0, c->seen.next_seq[p]) {
				TH_LOG("group: queue %u producer %u", q, p);
			}
	}

	/* The logs: every offset once, in order, whole, the same sequences. */
	t0 = mqt_now_ms();
	self->ring = malloc(RING);
	self->tail = malloc(RING);
	ASSERT_NE(NULL, self->ring);
	ASSERT_NE(NULL, self->tail);
	for (q = 0; q < NQ; q++) {
		ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, q, &st));
		ASSERT_LT(0, st.first_offset);	/* the ring wrapped */
		ring_len = read_ring(self->cfg.name, q, st.first_offset,
				     self->ring, RING);
		ASSERT_LT(0, ring_len);
		ASSERT_EQ((PER_QUEUE - st.first_offset) * REC_SIZE,
			  (uint64_t)ring_len);

		memset(&logseen, 0, sizeof(logseen));
		logseen.queue = q;
		mqdt_queue_dir(&self->mqd, dir, sizeof(dir), self->cfg.name, q);
		EXPECT_EQ(0, read_log(dir, &logseen, st.first_offset,
				      self->tail, RING, &tail_len));
		EXPECT_EQ(0, logseen.bad) {
			TH_LOG("log, first: %s", logseen.first_bad);
		}
		EXPECT_EQ(PER_QUEUE, logseen.count);
		EXPECT_EQ(PER_QUEUE, logseen.next_off);
		for (p = 0; p < NPROD; p++)
			EXPECT_EQ(p % NQ == q ? PER_PROD : 0, logseen.next_seq[p]) {
				TH_LOG("log: queue %u producer %u", q, p);
			}
		/* The ring's tail and the log's, byte for byte. */
		EXPECT_EQ((size_t)ring_len, tail_len);
		EXPECT_EQ(0, memcmp(self->ring, self->tail,
				    tail_len < (size_t)ring_len ? tail_len :
				    (size_t)ring_len)) {
			TH_LOG("queue %u: the log's offsets %llu to %u differ from the ring's",
			       q, (unsigned long long)st.first_offset,
			       PER_QUEUE - 1);
		}
		TH_LOG("queue %u: log checked, ring holds offsets %llu to %u",
		       q, (unsigned long long)st.first_offset, PER_QUEUE - 1);
	}
	TH_LOG("logs checked in %lld ms", mqt_now_ms() - t0);
}

TEST_HARNESS_MAIN
