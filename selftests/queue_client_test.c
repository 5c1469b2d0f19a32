// SPDX-License-Identifier: GPL-2.0
/*
 * queue_client_test: libmq's producer and consumer.  10 000 keyed and
 * keyless records through mq_producer_* into a 4-queue topic, read back
 * by two groups through mq_consumer_*: each group gets every record once,
 * whole, at consecutive offsets per queue; a key always lands on
 * mq_partition()'s queue, keyless records go round-robin; batches larger
 * than a write may carry are split; a member killed with records it did
 * not commit has them delivered again to another; invalid handles and
 * arguments get EINVAL; a topic deleted under a waiting poll gives ENODEV,
 * a signal EINTR; a flush on a topic with acks fails with ENOTCONN,
 * ETIMEDOUT and EINTR as the kernel's writes do, and returns once the
 * records are durable.
 *
 * LIBMQ_5 (MQ_FEAT_CLIENT): a consumer of a subset of the queues never
 * sees the others'; delivery reports carry the offsets a reader sees, one
 * per record, -ECANCELED at close, the write's errno on a topic with
 * acks; async commits reach the kernel only at the next poll, commit or
 * close, coalesced; seeks to the earliest, latest or a given offset, and
 * EBUSY with two members; mmap receive gets what record mode gets, in
 * place, split between two members, again after a member leaves, and
 * round a small ring many times.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mq_util.h"
#include "kselftest_harness.h"

#define NQ		4
#define MANY		10000
#define NKEYS		100

FIXTURE(cli) {
	struct mq_topic_config cfg;
	bool made;
	bool drop;		/* make_topic(): MQ_FULL_DROP */
	pid_t child;
	struct mq_producer *p;
	struct mq_consumer *c[2];
};

FIXTURE_SETUP(cli)
{
}

FIXTURE_TEARDOWN(cli)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	mq_producer_close(self->p);
	mq_consumer_close(self->c[0]);
	mq_consumer_close(self->c[1]);
	if (self->made)
		mqt_topic_del(self->cfg.name);
}

static void make_topic(struct __test_metadata *_metadata,
		       FIXTURE_DATA(cli) *self, uint64_t ring, uint32_t acks,
		       uint32_t ack_timeout_ms)
{
	mqt_topic_init(&self->cfg, "cli");
	mqt_set_queues(&self->cfg, NQ);
	if (ring)
		mqt_set_ring(&self->cfg, ring, 0);
	if (acks)
		mqt_set_acks(&self->cfg, acks, ack_timeout_ms);
	if (self->drop)
		mqt_set_policy(&self->cfg, MQ_FULL_DROP);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
}

/* Record @i's key ("key-<i % NKEYS>") when it has one: even @i do. */
static uint32_t key_of(char *buf, uint32_t i)
{
	if (i % 2)
		return 0;
	return (uint32_t)snprintf(buf, 16, "key-%u", i / 2 % NKEYS);
}

/* Record @i's value: its number, then filler whose length depends on it. */
static uint32_t value_of(char *buf, uint32_t i)
{
	uint32_t len = 8 + i % 50;

	memset(buf, 'a' + i % 26, len);
	memcpy(buf, &i, sizeof(i));
	return len;
}

struct tally {
	uint32_t queue_of[MANY];	/* where send said record i went */
	uint32_t got[MANY];		/* times the group got record i */
	uint64_t next[NQ];		/* the offset expected next per queue */
	uint32_t last[NQ];		/* the last record number per queue */
	bool any[NQ];
	uint32_t n, bad, out_of_order, wrong_queue, no_time;
};

static int tally_cb(const struct mq_message *m, void *arg)
{
	struct tally *t = arg;
	char key[16], val[64];
	uint32_t i, klen, vlen;

	if (m->queue >= NQ || m->value_len < sizeof(i)) {
		t->bad++;
		return 0;
	}
	memcpy(&i, m->value, sizeof(i));
	if (i >= MANY) {
		t->bad++;
		return 0;
	}
	klen = key_of(key, i);
	vlen = value_of(val, i);
	if (m->key_len != klen || m->value_len != vlen ||
	    (klen && memcmp(m->key, key, klen)) || (!klen && m->key) ||
	    memcmp(m->value, val, vlen))
		t->bad++;
	if (m->offset != t->next[m->queue] ||
	    (t->any[m->queue] && i <= t->last[m->queue]))
		t->out_of_order++;
	if (m->queue != t->queue_of[i])
		t->wrong_queue++;
	if (!m->timestamp)
		t->no_time++;
	t->next[m->queue] = m->offset + 1;
	t->last[m->queue] = i;
	t->any[m->queue] = true;
	t->got[i]++;
	t->n++;
	return 0;
}

/*
 * Polls @c, handing records to @cb, until *@count reaches @n, or a poll
 * waits 5 s for none: 0, -ETIMEDOUT, or what the poll returned.
 */
static int poll_until(struct mq_consumer *c, mq_message_cb cb, void *arg,
		      const uint32_t *count, uint32_t n)
{
	int ret;

	while (*count < n) {
		ret = mq_consumer_poll(c, 5000, cb, arg);
		if (ret <= 0)
			return ret ? ret : -ETIMEDOUT;
	}
	return 0;
}

/* Until the tally holds @n records in all. */
static int drain(struct mq_consumer *c, struct tally *t, uint32_t n)
{
	return poll_until(c, tally_cb, t, &t->n, n);
}

TEST_F_TIMEOUT(cli, two_groups_get_every_record, 240)
{
	struct tally *a, *b;
	uint32_t i, per_queue[NQ] = { 0 }, expect[NQ] = { 0 }, rr = 0, q;
	char key[16], val[64];
	struct mq_queue_stats st;
	int ret, k;

	make_topic(_metadata, self, 4 << 20, 0, 0);
	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);

	ASSERT_EQ(0, mq_consumer_open(&self->c[0], self->cfg.name, "ga",
				      MQ_GROUP_START_EARLIEST, 0));
	ASSERT_EQ(0, mq_consumer_open(&self->c[1], self->cfg.name, "gb",
				      MQ_GROUP_START_LATEST, 0));
	EXPECT_EQ(NQ, mq_consumer_queues(self->c[0]));
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	EXPECT_EQ(NQ, mq_producer_queues(self->p));

	for (i = 0; i < MANY; i++) {
		uint32_t klen = key_of(key, i), vlen = value_of(val, i);

		ret = mq_producer_send(self->p, -1, klen ? key : NULL, klen,
				       val, vlen);
		ASSERT_LE(0, ret);
		q = (uint32_t)ret;
		/* A key goes where Kafka's partitioner says; others rotate. */
		if (klen) {
			ASSERT_EQ(mq_partition(key, klen, NQ), (int)q);
		} else {
			ASSERT_EQ(rr++ % NQ, q);
		}
		a->queue_of[i] = b->queue_of[i] = q;
		per_queue[q]++;
		/* Flush now and then, so that reads and writes interleave. */
		if (i % 1000 == 999)
			ASSERT_EQ(0, mq_producer_flush(self->p));
	}
	ASSERT_EQ(0, mq_producer_flush(self->p));
	/* Nothing is left to write. */
	EXPECT_EQ(0, mq_producer_flush(self->p));

	/* 1250 keyless records per queue, and 50 of each key there. */
	for (i = 0; i < NKEYS; i++) {
		uint32_t klen = (uint32_t)snprintf(key, sizeof(key), "key-%u", i);

		expect[mq_partition(key, klen, NQ)] += MANY / 2 / NKEYS;
	}
	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(MANY / 2 / NQ + expect[q], per_queue[q]);
		ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, q, &st));
		EXPECT_EQ(per_queue[q], st.next_offset);
		EXPECT_EQ(per_queue[q], st.msgs_in);
	}

	ASSERT_EQ(0, drain(self->c[0], a, MANY));
	ASSERT_EQ(0, drain(self->c[1], b, MANY));
	/* And nothing more. */
	EXPECT_EQ(0, mq_consumer_poll(self->c[0], 0, tally_cb, a));
	EXPECT_EQ(0, mq_consumer_poll(self->c[1], 100, tally_cb, b));
	for (k = 0; k < 2; k++) {
		struct tally *t = k ? b : a;
		uint32_t once = 0;

		EXPECT_EQ(MANY, t->n);
		EXPECT_EQ(0, t->bad);
		EXPECT_EQ(0, t->out_of_order);
		EXPECT_EQ(0, t->wrong_queue);
		EXPECT_EQ(0, t->no_time);
		for (i = 0; i < MANY; i++)
			once += t->got[i] == 1;
		EXPECT_EQ(MANY, once);
		for (q = 0; q < NQ; q++)
			EXPECT_EQ(per_queue[q], t->next[q]);
	}

	/* Every record of a key is on one queue: its partition. */
	for (i = 0; i < MANY; i += 2) {
		uint32_t klen = key_of(key, i);

		if (a->queue_of[i] != a->queue_of[i % (2 * NKEYS)] ||
		    (int)a->queue_of[i] != mq_partition(key, klen, NQ))
			break;
	}
	EXPECT_EQ(MANY, i);

	/* Commits: each group's committed offset is each queue's next. */
	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(0, mq_consumer_commit(self->c[0], q, per_queue[q]));
		EXPECT_EQ(0, mq_consumer_commit(self->c[1], q, per_queue[q]));
		/* Past what the group delivered: the kernel's ENXIO. */
		EXPECT_EQ(-ENXIO, mq_consumer_commit(self->c[0], q,
						      per_queue[q] + 1));
	}
	free(a);
	free(b);
}

/* More than MQ_RECORD_BATCH_MAX for one queue: split, whole, in order. */
TEST_F_TIMEOUT(cli, big_batches_are_split, 240)
{
	uint32_t i, n = 3000, vlen = 1000;
	struct mq_queue_stats st;
	struct tally *t;
	char *val;

	make_topic(_metadata, self, 8 << 20, 0, 0);
	t = calloc(1, sizeof(*t));
	val = malloc(vlen);
	ASSERT_NE(NULL, t);
	ASSERT_NE(NULL, val);
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	for (i = 0; i < n; i++) {
		memset(val, 'x', vlen);
		memcpy(val, &i, sizeof(i));
		ASSERT_EQ(2, mq_producer_send(self->p, 2, NULL, 0, val, vlen));
	}
	/* ~3.2 MB of records: send wrote the first batches itself. */
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 2, &st));
	EXPECT_LT(0, st.next_offset);
	EXPECT_GT(n, st.next_offset);
	ASSERT_EQ(0, mq_producer_flush(self->p));
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 2, &st));
	EXPECT_EQ(n, st.next_offset);

	ASSERT_EQ(0, mq_consumer_open(&self->c[0], self->cfg.name, "g",
				      MQ_GROUP_START_EARLIEST,
				      MQ_CONSUMER_F_AUTOCOMMIT));
	while (t->n < n) {
		int ret = mq_consumer_poll(self->c[0], 5000, tally_cb, t);

		ASSERT_LT(0, ret);
	}
	EXPECT_EQ(n, t->n);
	EXPECT_EQ(n, t->next[2]);
	EXPECT_EQ(0, t->out_of_order);
	EXPECT_EQ(n - 1, t->last[2]);
	free(val);
	free(t);
}

static int stop_cb(const struct mq_message *m, void *arg)
{
	uint64_t *seen = arg;

	if (m->queue < NQ && m->offset < 64)
		seen[m->queue * 64 + m->offset]++;
	return -ECANCELED;
}

static int mark_cb(const struct mq_message *m, void *arg)
{
	uint64_t *seen = arg;

	if (m->queue < NQ && m->offset < 64)
		seen[m->queue * 64 + m->offset]++;
	return 0;
}

/* A callback that stops keeps the rest for the next poll, in order. */
TEST_F(cli, callback_stops_and_resumes)
{
	uint64_t seen[NQ * 64] = { 0 };
	int i, sum = 0;

	make_topic(_metadata, self, 0, 0, 0);
	ASSERT_EQ(0, mq_consumer_open(&self->c[0], self->cfg.name, "g",
				      MQ_GROUP_START_LATEST, 0));
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(1, mq_producer_send(self->p, 1, "k", 1, "value", 5));
	ASSERT_EQ(0, mq_producer_flush(self->p));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(-ECANCELED, mq_consumer_poll(self->c[0], 1000,
						       stop_cb, seen));
		EXPECT_EQ(1, seen[64 + i]);
	}
	EXPECT_EQ(0, mq_consumer_poll(self->c[0], 0, mark_cb, seen));
	for (i = 0; i < NQ * 64; i++)
		sum += seen[i];
	EXPECT_EQ(5, sum);
}

/* GROUP_GET's state of each queue, by queue number. */
static int states_cb(const struct mq_group_state *st, void *arg)
{
	struct mq_group_state *states = arg;

	if (st->queue < NQ)
		states[st->queue] = *st;
	return 0;
}

/*
 * A member killed with records it did not commit: the other member of
 * its group gets them again, and only them.
 */
TEST_F(cli, killed_member_records_are_redelivered)
{
	struct mq_group_state states[NQ];
	uint64_t seen[NQ * 64] = { 0 };
	struct mq_admin *admin;
	int sync[2], i, q, n;
	char c;

	make_topic(_metadata, self, 0, 0, 0);
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	/* Keyless: 10 per queue, offsets 0..9. */
	for (i = 0; i < 10 * NQ; i++)
		ASSERT_EQ(i % NQ, mq_producer_send(self->p, -1, NULL, 0, "v", 1));
	ASSERT_EQ(0, mq_producer_flush(self->p));
	ASSERT_EQ(0, pipe(sync));

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		/* Reads all 40, commits 0..4 of each queue, holds 5..9. */
		uint64_t mine[NQ * 64] = { 0 };
		struct mq_consumer *m;
		int got = 0, r;

		if (mq_consumer_open(&m, self->cfg.name, "g",
				     MQ_GROUP_START_EARLIEST, 0))
			_exit(1);
		while (got < 10 * NQ) {
			r = mq_consumer_poll(m, 5000, mark_cb, mine);
			if (r <= 0)
				_exit(2);
			got += r;
		}
		for (q = 0; q < NQ; q++)
			if (mq_consumer_commit(m, q, 5))
				_exit(3);
		if (write(sync[1], "x", 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(sync[0], &c, 1));

	ASSERT_EQ(0, mq_consumer_open(&self->c[0], self->cfg.name, "g",
				      MQ_GROUP_START_EARLIEST, 0));
	/* Everything is taken. */
	EXPECT_EQ(0, mq_consumer_poll(self->c[0], 0, mark_cb, seen));
	/* Offset 10 of each queue is new: the live member gets it. */
	for (i = 0; i < NQ; i++)
		ASSERT_EQ(i, mq_producer_send(self->p, -1, NULL, 0, "w", 1));
	ASSERT_EQ(0, mq_producer_flush(self->p));
	for (n = 0; n < NQ;) {
		int r = mq_consumer_poll(self->c[0], 5000, mark_cb, seen);

		ASSERT_LT(0, r);
		n += r;
	}
	EXPECT_EQ(NQ, n);

	kill(self->child, SIGKILL);
	EXPECT_EQ(-1, mqt_child_code(self->child));
	self->child = 0;
	for (n = 0; n < 5 * NQ;) {
		int r = mq_consumer_poll(self->c[0], 5000, mark_cb, seen);

		ASSERT_LT(0, r);
		n += r;
	}
	EXPECT_EQ(5 * NQ, n);
	EXPECT_EQ(0, mq_consumer_poll(self->c[0], 100, mark_cb, seen));
	/* 5..10 once each, 0..4 never: those were committed. */
	for (q = 0; q < NQ; q++)
		for (i = 0; i < 11; i++)
			EXPECT_EQ(i < 5 ? 0 : 1, seen[q * 64 + i])
				TH_LOG("queue %d offset %d", q, i);

	for (q = 0; q < NQ; q++)
		EXPECT_EQ(0, mq_consumer_commit(self->c[0], q, 11));
	ASSERT_EQ(0, mq_admin_open(&admin));
	memset(states, 0, sizeof(states));
	ASSERT_EQ(0, mq_admin_group_list(admin, self->cfg.name, "g",
					 states_cb, states));
	mq_admin_close(admin);
	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(11, states[q].committed);
		EXPECT_EQ(0, states[q].pending);
		EXPECT_EQ(0, states[q].lag);
		EXPECT_EQ(1, states[q].members);
	}
	close(sync[0]);
	close(sync[1]);
}

/* Invalid handles and arguments: EINVAL, before anything happens. */
TEST_F(cli, invalid_arguments)
{
	struct mq_producer *p = (void *)1;
	struct mq_consumer *c = (void *)1;
	struct mq_topic_config cfg;
	char big[70000];

	make_topic(_metadata, self, 0, 0, 0);
	ASSERT_EQ(0, mqt_topic_get(self->cfg.name, &cfg));
	memset(big, 'b', sizeof(big));

	EXPECT_EQ(-EINVAL, mq_producer_open(NULL, self->cfg.name, 0));
	EXPECT_EQ(-EINVAL, mq_producer_open(&p, NULL, 0));
	EXPECT_EQ(-EINVAL, mq_producer_open(&p, "", 0));
	EXPECT_EQ(-EINVAL, mq_producer_open(&p, "../etc", 0));
	EXPECT_EQ(-EINVAL, mq_producer_open(&p, "a/b", 0));
	EXPECT_EQ(-EINVAL, mq_producer_open(&p, self->cfg.name, 1));
	EXPECT_EQ(NULL, p);	/* NULL on every failure */
	p = (void *)1;
	EXPECT_EQ(-ENOENT, mq_producer_open(&p, "cli.no.such.topic", 0));
	EXPECT_EQ(NULL, p);

	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	p = self->p;
	EXPECT_EQ(-EINVAL, mq_producer_send(NULL, 0, NULL, 0, "v", 1));
	EXPECT_EQ(-EINVAL, mq_producer_send(p, NQ, NULL, 0, "v", 1));
	EXPECT_EQ(-EINVAL, mq_producer_send(p, -2, NULL, 0, "v", 1));
	EXPECT_EQ(-EINVAL, mq_producer_send(p, 0, NULL, 1, "v", 1));
	EXPECT_EQ(-EINVAL, mq_producer_send(p, 0, NULL, 0, NULL, 1));
	EXPECT_EQ(-EINVAL, mq_producer_send(p, 0, "k", 1, "v", 0));
	/* Key and value together above max_msg_size (64 KiB). */
	EXPECT_EQ(-EMSGSIZE, mq_producer_send(p, 0, big, 1, big,
					      cfg.max_msg_size));
	EXPECT_EQ(-EMSGSIZE, mq_producer_send(p, 0, NULL, 0, big,
					      cfg.max_msg_size + 1));
	/* The largest does go, alone. */
	EXPECT_EQ(0, mq_producer_send(p, 0, big, 1, big,
				      cfg.max_msg_size - 1));
	EXPECT_EQ(-EINVAL, mq_producer_flush(NULL));
	EXPECT_EQ(-EINVAL, mq_producer_queues(NULL));
	EXPECT_EQ(0, mq_producer_flush(p));
	mq_producer_close(NULL);

	EXPECT_EQ(-EINVAL, mq_consumer_open(NULL, self->cfg.name, "g", 0, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_open(&c, NULL, "g", 0, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_open(&c, self->cfg.name, NULL, 0, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_open(&c, self->cfg.name, "..", 0, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_open(&c, self->cfg.name, "g",
					    MQ_GROUP_START_OFFSET, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_open(&c, self->cfg.name, "g", 99, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_open(&c, self->cfg.name, "g", 0,
					    MQ_CONSUMER_F_ALL + 1));
	EXPECT_EQ(NULL, c);
	c = (void *)1;
	EXPECT_EQ(-ENOENT, mq_consumer_open(&c, "cli.no.such.topic", "g", 0, 0));
	EXPECT_EQ(NULL, c);

	ASSERT_EQ(0, mq_consumer_open(&self->c[0], self->cfg.name, "g",
				      MQ_GROUP_START_EARLIEST, 0));
	c = self->c[0];
	EXPECT_EQ(-EINVAL, mq_consumer_poll(NULL, 0, mark_cb, NULL));
	EXPECT_EQ(-EINVAL, mq_consumer_poll(c, 0, NULL, NULL));
	EXPECT_EQ(-EINVAL, mq_consumer_commit(NULL, 0, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_commit(c, NQ, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_queues(NULL));
	/* The kernel's own: nothing delivered yet, so offset 1 is ahead. */
	EXPECT_EQ(-ENXIO, mq_consumer_commit(c, 1, 1));
	mq_consumer_close(NULL);

	EXPECT_EQ(-EINVAL, mq_partition("k", 1, 0));
}

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

/*
 * A child that opens a consumer of @topic and polls it for ever: it exits
 * 0 when the poll returned @want (and, with @signalled, after SIGUSR1 ran
 * its handler), 1.. when something else happened.
 */
static pid_t poller(const char *topic, int want, bool signalled)
{
	/* SA_RESTART on purpose: poll(2) is never restarted all the same. */
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	uint64_t seen[NQ * 64] = { 0 };
	struct mq_consumer *c;
	pid_t pid = fork();
	int ret;

	if (pid)
		return pid;
	if (sigaction(SIGUSR1, &sa, NULL))
		_exit(2);
	if (mq_consumer_open(&c, topic, "g", MQ_GROUP_START_LATEST, 0))
		_exit(3);
	ret = mq_consumer_poll(c, -1, mark_cb, seen);
	mq_consumer_close(c);
	if (ret != want) {
		fprintf(stderr, "# poll returned %d\n", ret);
		_exit(10);
	}
	_exit(signalled && !usr1 ? 11 : 0);
}

/* A topic deleted under a waiting poll: ENODEV, and so on after. */
TEST_F(cli, deleted_topic_gives_enodev)
{
	make_topic(_metadata, self, 0, 0, 0);
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	ASSERT_EQ(0, mq_consumer_open(&self->c[0], self->cfg.name, "g",
				      MQ_GROUP_START_LATEST, 0));
	self->child = poller(self->cfg.name, -ENODEV, false);
	ASSERT_LE(0, self->child);
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_poll));
	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	self->made = false;
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;

	/* A poll that was not waiting, with or without a timeout. */
	EXPECT_EQ(-ENODEV, mq_consumer_poll(self->c[0], 0, mark_cb, NULL));
	EXPECT_EQ(-ENODEV, mq_consumer_poll(self->c[0], -1, mark_cb, NULL));
	EXPECT_EQ(-ENODEV, mq_consumer_commit(self->c[0], 0, 0));
	/* The producer buffers, and its write fails. */
	EXPECT_EQ(3, mq_producer_send(self->p, 3, NULL, 0, "v", 1));
	EXPECT_EQ(-ENODEV, mq_producer_flush(self->p));
	/* That dropped the record: nothing is left to write. */
	EXPECT_EQ(0, mq_producer_flush(self->p));
}

/* A signal ends a waiting poll with EINTR. */
TEST_F(cli, signal_interrupts_poll)
{
	make_topic(_metadata, self, 0, 0, 0);
	self->child = poller(self->cfg.name, -EINTR, true);
	ASSERT_LE(0, self->child);
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_poll));
	kill(self->child, SIGUSR1);
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
}

/* ---- a topic with acks ---- */

/*
 * A child that waits until this process sleeps in write(2) (a flush
 * waiting for its acknowledgment), then reports offsets below @durable
 * durable through @persister, or with @durable 0 sends SIGUSR1.  Exits 0
 * when that went well.
 */
static pid_t acker(int persister, uint64_t durable)
{
	pid_t parent = getpid(), pid = fork();

	if (pid)
		return pid;
	if (mqt_wait_blocked(parent, SYS_write))
		_exit(1);
	if (!durable)
		_exit(kill(parent, SIGUSR1) ? 2 : 0);
	_exit(mqt_persist_report(persister, durable, durable) ? 3 : 0);
}

/* No persister: ENOTCONN; nobody reports: ETIMEDOUT (1 s here). */
TEST_F_TIMEOUT(cli, flush_fails_without_acks, 120)
{
	struct mq_queue_stats st;
	int persister;

	make_topic(_metadata, self, 0, MQ_ACKS_LEADER, 1000);
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));

	/* Nothing appended, and the records are dropped. */
	ASSERT_EQ(0, mq_producer_send(self->p, 0, NULL, 0, "a", 1));
	ASSERT_EQ(0, mq_producer_send(self->p, 0, NULL, 0, "b", 1));
	EXPECT_EQ(-ENOTCONN, mq_producer_flush(self->p));
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(0, st.next_offset);
	EXPECT_EQ(0, mq_producer_flush(self->p));

	persister = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, persister);
	ASSERT_EQ(0, mqt_persist_attach(persister));
	/* Appended, not acknowledged in time. */
	ASSERT_EQ(0, mq_producer_send(self->p, 0, NULL, 0, "c", 1));
	ASSERT_EQ(0, mq_producer_send(self->p, 0, NULL, 0, "d", 1));
	EXPECT_EQ(-ETIMEDOUT, mq_producer_flush(self->p));
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(2, st.next_offset);
	EXPECT_EQ(0, st.durable_offset);
	EXPECT_EQ(0, mq_producer_flush(self->p));
	close(persister);
}

/* A signal: EINTR; a report: the flush returns once durable. */
TEST_F_TIMEOUT(cli, flush_waits_for_acks, 120)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct mq_queue_stats st;
	int persister;

	make_topic(_metadata, self, 0, MQ_ACKS_LEADER, 0);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	persister = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, persister);
	ASSERT_EQ(0, mqt_persist_attach(persister));

	/* Appended, and the wait for it interrupted, never restarted. */
	ASSERT_EQ(0, mq_producer_send(self->p, 0, NULL, 0, "e", 1));
	self->child = acker(persister, 0);
	ASSERT_LE(0, self->child);
	EXPECT_EQ(-EINTR, mq_producer_flush(self->p));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	EXPECT_EQ(1, usr1);
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(1, st.next_offset);

	/* Two records in one write: it returns when both are durable. */
	ASSERT_EQ(0, mq_producer_send(self->p, 0, NULL, 0, "f", 1));
	ASSERT_EQ(0, mq_producer_send(self->p, 0, NULL, 0, "g", 1));
	self->child = acker(persister, 3);
	ASSERT_LE(0, self->child);
	EXPECT_EQ(0, mq_producer_flush(self->p));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(3, st.next_offset);
	EXPECT_EQ(3, st.durable_offset);
	close(persister);
}

/* ---- LIBMQ_5: subsets, delivery reports, async commits, seek, mmap ---- */

/* The group's committed offset on @queue, or -1 (and a log) if none. */
static long long committed_of(const char *topic, const char *group,
			      uint32_t queue)
{
	struct mq_group_state states[NQ];
	struct mq_admin *admin;
	int ret;

	memset(states, 0, sizeof(states));
	for (ret = 0; ret < NQ; ret++)
		states[ret].queue = UINT32_MAX;
	if (mq_admin_open(&admin))
		return -1;
	ret = mq_admin_group_list(admin, topic, group, states_cb, states);
	mq_admin_close(admin);
	if (ret || queue >= NQ || states[queue].queue != queue)
		return -1;
	return (long long)states[queue].committed;
}

/* Sends @n keyless one-byte-ish records to @queue and flushes. */
static int send_n(struct mq_producer *p, int32_t queue, int n)
{
	char v[16];
	int i, ret;

	for (i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "v%d", i);
		ret = mq_producer_send(p, queue, NULL, 0, v, (uint32_t)strlen(v));
		if (ret < 0)
			return ret;
	}
	return mq_producer_flush(p);
}

/* Per (queue, offset < 64): times delivered; and the order of offsets. */
struct seen {
	uint32_t n[NQ][64];
	uint64_t order[256];
	uint32_t count;
	uint32_t stop_after;	/* stop (-ECANCELED) once count reaches it */
};

static int seen_cb(const struct mq_message *m, void *arg)
{
	struct seen *s = arg;

	if (m->queue < NQ && m->offset < 64)
		s->n[m->queue][m->offset]++;
	if (s->count < 256)
		s->order[s->count] = m->offset;
	s->count++;
	if (s->stop_after && s->count >= s->stop_after)
		return -ECANCELED;
	return 0;
}

/* Until @s holds @n deliveries. */
static int drain_seen(struct mq_consumer *c, struct seen *s, uint32_t n)
{
	return poll_until(c, seen_cb, s, &s->count, n);
}

/* Queues 1 and 3 only: the others' records never come. */
TEST_F(cli, subset_subscription)
{
	uint32_t both[] = { 3, 1 }, dup[] = { 1, 1 }, out[] = { NQ };
	struct mq_consumer *c = (void *)1;
	struct seen *s;
	int q, i;

	make_topic(_metadata, self, 0, 0, 0);
	s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, s);
	EXPECT_EQ(-EINVAL, mq_consumer_open_queues(&c, self->cfg.name, "g",
						   MQ_GROUP_START_EARLIEST, 0,
						   dup, 2));
	EXPECT_EQ(NULL, c);
	EXPECT_EQ(-EINVAL, mq_consumer_open_queues(&c, self->cfg.name, "g",
						   MQ_GROUP_START_EARLIEST, 0,
						   out, 1));
	EXPECT_EQ(-EINVAL, mq_consumer_open_queues(&c, self->cfg.name, "g",
						   MQ_GROUP_START_EARLIEST, 0,
						   NULL, 2));
	EXPECT_EQ(-EINVAL, mq_consumer_open_queues(NULL, self->cfg.name, "g",
						   MQ_GROUP_START_EARLIEST, 0,
						   both, 2));

	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	for (q = 0; q < NQ; q++)
		ASSERT_EQ(0, send_n(self->p, q, 5));
	ASSERT_EQ(0, mq_consumer_open_queues(&self->c[0], self->cfg.name, "g",
					     MQ_GROUP_START_EARLIEST, 0,
					     both, 2));
	c = self->c[0];
	/* Still the topic's number of queues. */
	EXPECT_EQ(NQ, mq_consumer_queues(c));
	ASSERT_EQ(0, drain_seen(c, s, 10));
	EXPECT_EQ(0, mq_consumer_poll(c, 200, seen_cb, s));
	for (q = 0; q < NQ; q++)
		for (i = 0; i < 5; i++)
			EXPECT_EQ(q == 1 || q == 3 ? 1 : 0, s->n[q][i])
				TH_LOG("queue %d offset %d", q, i);

	/* Unsubscribed queues: EINVAL before the kernel sees anything. */
	EXPECT_EQ(-EINVAL, mq_consumer_commit(c, 0, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_commit(c, 2, 5));
	EXPECT_EQ(-EINVAL, mq_consumer_commit_async(c, 0, 1));
	EXPECT_EQ(-EINVAL, mq_consumer_seek(c, 2, MQ_GROUP_START_EARLIEST, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_seek(c, NQ, MQ_GROUP_START_EARLIEST, 0));
	EXPECT_EQ(0, mq_consumer_commit(c, 3, 5));
	EXPECT_EQ(0, mq_consumer_commit(c, 1, 5));
	EXPECT_EQ(5, committed_of(self->cfg.name, "g", 1));
	EXPECT_EQ(5, committed_of(self->cfg.name, "g", 3));
	/* The group was never joined on the others. */
	EXPECT_EQ(-1, committed_of(self->cfg.name, "g", 0));
	free(s);
}

#define NREP	3000

struct reports {
	uint32_t count[NREP + 1];	/* reports per record, by opaque */
	uint32_t queue[NREP + 1];
	uint64_t offset[NREP + 1];
	int32_t error[NREP + 1];
	uint32_t total, stray;
};

static void report_cb(const struct mq_delivery *d, void *arg)
{
	struct reports *r = arg;
	uintptr_t i = (uintptr_t)d->opaque;

	r->total++;
	if (!i || i > NREP) {
		r->stray++;
		return;
	}
	r->count[i]++;
	r->queue[i] = d->queue;
	r->offset[i] = d->offset;
	r->error[i] = d->error;
}

struct where {
	struct reports *r;
	uint32_t n, mismatch;
};

/* A plain reader's view against the reports: value "<i>" is opaque i. */
static int where_cb(const struct mq_message *m, void *arg)
{
	struct where *w = arg;
	char buf[16];
	unsigned long i;

	snprintf(buf, sizeof(buf), "%.*s", (int)(m->value_len < 15 ? m->value_len : 15),
		 (const char *)m->value);
	i = strtoul(buf, NULL, 10);
	w->n++;
	if (!i || i > NREP || w->r->count[i] != 1 || w->r->error[i] ||
	    w->r->queue[i] != m->queue || w->r->offset[i] != m->offset)
		w->mismatch++;
	return 0;
}

/*
 * One report per record, with the offset a reader sees: after records of
 * another producer, over batches that send writes itself, keyed and not.
 */
TEST_F_TIMEOUT(cli, delivery_reports, 240)
{
	struct mq_producer *other;
	struct reports *r;
	struct where w = { 0 };
	char val[1200], key[16];
	uint32_t i, n = 0;
	int ret;

	make_topic(_metadata, self, 8 << 20, 0, 0);
	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	w.r = r;
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	EXPECT_EQ(-EINVAL, mq_producer_set_delivery_cb(NULL, report_cb, r));
	EXPECT_EQ(-EINVAL, mq_producer_send_opaque(NULL, 0, NULL, 0, "v", 1, r));
	ASSERT_EQ(0, mq_producer_set_delivery_cb(self->p, report_cb, r));

	/* Another producer's records first: offsets do not start at 0. */
	ASSERT_EQ(0, mq_producer_open(&other, self->cfg.name, 0));
	for (i = 0; i < NQ; i++)
		ASSERT_EQ(0, send_n(other, (int32_t)i, 7 + (int)i));
	mq_producer_close(other);

	/*
	 * Even records: ~1 KB on queue 2, more than a batch all told, so
	 * send writes some itself; odd ones keyed, small.
	 */
	for (i = 1; i <= NREP; i++) {
		uint32_t len = (uint32_t)snprintf(val, sizeof(val), "%u", i);

		if (i % 2 == 0) {
			memset(val + len, '.', 1000);
			len += 1000;
			ret = mq_producer_send_opaque(self->p, 2, NULL, 0, val,
						      len, (void *)(uintptr_t)i);
		} else {
			uint32_t klen = (uint32_t)snprintf(key, sizeof(key),
							   "k%u", i % 37);

			ret = mq_producer_send_opaque(self->p, -1, key, klen,
						      val, len,
						      (void *)(uintptr_t)i);
		}
		ASSERT_LE(0, ret);
	}
	/* Some were written by send: reported already. */
	for (i = 1; i <= NREP; i++)
		n += r->count[i];
	EXPECT_LT(0, n);
	EXPECT_GT(NREP, n);
	ASSERT_EQ(0, mq_producer_flush(self->p));
	EXPECT_EQ(NREP, r->total);
	EXPECT_EQ(0, r->stray);

	/* A group from the oldest record sees each where its report said. */
	ASSERT_EQ(0, mq_consumer_open(&self->c[0], self->cfg.name, "plain",
				      MQ_GROUP_START_EARLIEST,
				      MQ_CONSUMER_F_AUTOCOMMIT));
	while (w.n < NREP + 7 + 8 + 9 + 10) {
		ret = mq_consumer_poll(self->c[0], 5000, where_cb, &w);
		ASSERT_LT(0, ret);
	}
	/* The other producer's 34 have values "v0".."v9": strtoul gives 0. */
	EXPECT_EQ(7 + 8 + 9 + 10, w.mismatch);

	/* Dropped at close: -ECANCELED, one each. */
	memset(r, 0, sizeof(*r));
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(1, mq_producer_send_opaque(self->p, 1, NULL, 0, "x", 1,
						     (void *)(uintptr_t)i));
	EXPECT_EQ(0, r->total);
	mq_producer_close(self->p);
	self->p = NULL;
	EXPECT_EQ(3, r->total);
	for (i = 1; i <= 3; i++) {
		EXPECT_EQ(1, r->count[i]);
		EXPECT_EQ(-ECANCELED, r->error[i]);
		EXPECT_EQ(0, r->offset[i]);
	}
	free(r);
}

/* On a topic with acks: the write's errno, or 0 once acknowledged. */
TEST_F_TIMEOUT(cli, delivery_reports_with_acks, 120)
{
	struct reports *r;
	int persister;

	make_topic(_metadata, self, 0, MQ_ACKS_LEADER, 0);
	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	ASSERT_EQ(0, mq_producer_set_delivery_cb(self->p, report_cb, r));
	ASSERT_EQ(0, mq_producer_send_opaque(self->p, 0, NULL, 0, "a", 1,
					     (void *)1));
	ASSERT_EQ(0, mq_producer_send_opaque(self->p, 0, NULL, 0, "b", 1,
					     (void *)2));
	EXPECT_EQ(-ENOTCONN, mq_producer_flush(self->p));
	EXPECT_EQ(2, r->total);
	EXPECT_EQ(-ENOTCONN, r->error[1]);
	EXPECT_EQ(-ENOTCONN, r->error[2]);

	persister = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, persister);
	ASSERT_EQ(0, mqt_persist_attach(persister));
	memset(r, 0, sizeof(*r));
	ASSERT_EQ(0, mq_producer_send_opaque(self->p, 0, NULL, 0, "c", 1,
					     (void *)1));
	ASSERT_EQ(0, mq_producer_send_opaque(self->p, 0, NULL, 0, "d", 1,
					     (void *)2));
	self->child = acker(persister, 2);
	ASSERT_LE(0, self->child);
	EXPECT_EQ(0, mq_producer_flush(self->p));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	EXPECT_EQ(2, r->total);
	EXPECT_EQ(0, r->error[1]);
	EXPECT_EQ(0, r->error[2]);
	EXPECT_EQ(0, r->offset[1]);
	EXPECT_EQ(1, r->offset[2]);
	close(persister);
	free(r);
}

struct commits {
	uint32_t n;
	uint32_t queue[16];
	uint64_t offset[16];
	int error[16];
};

static void commit_cb(uint32_t queue, uint64_t offset, int error, void *arg)
{
	struct commits *k = arg;

	if (k->n < 16) {
		k->queue[k->n] = queue;
		k->offset[k->n] = offset;
		k->error[k->n] = error;
	}
	k->n++;
}

/*
 * Async commits reach the kernel at the next poll, commit or close, one
 * per queue however many were recorded; failures go to the callback, or
 * without one to the next poll.
 */
TEST_F(cli, async_commit)
{
	struct commits k = { 0 };
	struct seen *s;
	const char *t;
	struct mq_consumer *c;

	make_topic(_metadata, self, 0, 0, 0);
	t = self->cfg.name;
	s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, mq_producer_open(&self->p, t, 0));
	ASSERT_EQ(0, send_n(self->p, 0, 10));
	ASSERT_EQ(0, mq_consumer_open(&self->c[0], t, "g",
				      MQ_GROUP_START_EARLIEST, 0));
	c = self->c[0];
	ASSERT_EQ(0, drain_seen(c, s, 10));
	EXPECT_EQ(0, committed_of(t, "g", 0));

	EXPECT_EQ(-EINVAL, mq_consumer_commit_async(NULL, 0, 1));
	EXPECT_EQ(-EINVAL, mq_consumer_commit_async(c, NQ, 1));
	EXPECT_EQ(-EINVAL, mq_consumer_set_commit_cb(NULL, commit_cb, &k));
	ASSERT_EQ(0, mq_consumer_set_commit_cb(c, commit_cb, &k));

	/* Recorded only; the highest wins, a lower one is ignored. */
	EXPECT_EQ(0, mq_consumer_commit_async(c, 0, 3));
	EXPECT_EQ(0, mq_consumer_commit_async(c, 0, 7));
	EXPECT_EQ(0, mq_consumer_commit_async(c, 0, 5));
	EXPECT_EQ(0, committed_of(t, "g", 0));
	EXPECT_EQ(0, k.n);
	/* The next poll issues it, once. */
	EXPECT_EQ(0, mq_consumer_poll(c, 0, seen_cb, s));
	EXPECT_EQ(7, committed_of(t, "g", 0));
	ASSERT_EQ(1, k.n);
	EXPECT_EQ(0, k.queue[0]);
	EXPECT_EQ(7, k.offset[0]);
	EXPECT_EQ(0, k.error[0]);

	/* A sync commit of another queue flushes it too. */
	EXPECT_EQ(0, mq_consumer_commit_async(c, 0, 8));
	EXPECT_EQ(0, mq_consumer_commit(c, 1, 0));
	EXPECT_EQ(8, committed_of(t, "g", 0));
	EXPECT_EQ(2, k.n);
	/* A sync commit of the same queue at or above it makes it. */
	EXPECT_EQ(0, mq_consumer_commit_async(c, 0, 9));
	EXPECT_EQ(0, mq_consumer_commit(c, 0, 9));
	EXPECT_EQ(9, committed_of(t, "g", 0));
	ASSERT_EQ(3, k.n);
	EXPECT_EQ(9, k.offset[2]);
	EXPECT_EQ(0, k.error[2]);

	/* A failure goes to the callback... */
	EXPECT_EQ(0, mq_consumer_commit_async(c, 0, 100));
	EXPECT_EQ(0, mq_consumer_poll(c, 0, seen_cb, s));
	ASSERT_EQ(4, k.n);
	EXPECT_EQ(-ENXIO, k.error[3]);
	/* ...or without one, to the next poll, before any delivery. */
	ASSERT_EQ(0, mq_consumer_set_commit_cb(c, NULL, NULL));
	ASSERT_EQ(0, send_n(self->p, 0, 1));
	EXPECT_EQ(0, mq_consumer_commit_async(c, 0, 100));
	EXPECT_EQ(-ENXIO, mq_consumer_poll(c, 1000, seen_cb, s));
	EXPECT_EQ(10, s->count);
	EXPECT_EQ(1, mq_consumer_poll(c, 1000, seen_cb, s));
	EXPECT_EQ(11, s->count);

	/* Close issues what is recorded before leaving. */
	EXPECT_EQ(0, mq_consumer_commit_async(c, 0, 11));
	EXPECT_EQ(9, committed_of(t, "g", 0));
	mq_consumer_close(c);
	self->c[0] = NULL;
	EXPECT_EQ(11, committed_of(t, "g", 0));
	free(s);
}

/* Seeking a group: earliest, latest, an offset; alone on the queue only. */
TEST_F(cli, seek)
{
	struct commits k = { 0 };
	struct seen *s;
	const char *t;
	struct mq_consumer *c;
	int i;

	make_topic(_metadata, self, 0, 0, 0);
	t = self->cfg.name;
	s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, mq_producer_open(&self->p, t, 0));
	ASSERT_EQ(0, send_n(self->p, 0, 10));
	ASSERT_EQ(0, mq_consumer_open(&self->c[0], t, "g",
				      MQ_GROUP_START_EARLIEST, 0));
	c = self->c[0];
	ASSERT_EQ(0, mq_consumer_set_commit_cb(c, commit_cb, &k));
	ASSERT_EQ(0, drain_seen(c, s, 10));

	EXPECT_EQ(-EINVAL, mq_consumer_seek(NULL, 0, MQ_GROUP_START_EARLIEST, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_seek(c, 0, 99, 0));
	EXPECT_EQ(-EINVAL, mq_consumer_seek(c, 0, MQ_GROUP_START_EARLIEST, 3));

	/* Earliest: all ten again, in order. */
	memset(s, 0, sizeof(*s));
	ASSERT_EQ(0, mq_consumer_seek(c, 0, MQ_GROUP_START_EARLIEST, 0));
	ASSERT_EQ(0, drain_seen(c, s, 10));
	for (i = 0; i < 10; i++)
		EXPECT_EQ(i, s->order[i]);
	/* An offset: from there. */
	memset(s, 0, sizeof(*s));
	ASSERT_EQ(0, mq_consumer_seek(c, 0, MQ_GROUP_START_OFFSET, 6));
	ASSERT_EQ(0, drain_seen(c, s, 4));
	EXPECT_EQ(6, s->order[0]);
	EXPECT_EQ(9, s->order[3]);
	EXPECT_EQ(0, mq_consumer_poll(c, 100, seen_cb, s));

	/* Buffered and not delivered, and a recorded commit: dropped. */
	memset(s, 0, sizeof(*s));
	ASSERT_EQ(0, mq_consumer_seek(c, 0, MQ_GROUP_START_OFFSET, 2));
	s->stop_after = 1;
	EXPECT_EQ(-ECANCELED, mq_consumer_poll(c, 1000, seen_cb, s));
	EXPECT_EQ(2, s->order[0]);
	EXPECT_EQ(0, mq_consumer_commit_async(c, 0, 3));
	ASSERT_EQ(0, mq_consumer_seek(c, 0, MQ_GROUP_START_OFFSET, 8));
	ASSERT_EQ(1, k.n);
	EXPECT_EQ(-ECANCELED, k.error[0]);
	EXPECT_EQ(3, k.offset[0]);
	s->stop_after = 0;
	ASSERT_EQ(0, drain_seen(c, s, 3));
	EXPECT_EQ(8, s->order[1]);
	EXPECT_EQ(9, s->order[2]);
	EXPECT_EQ(0, mq_consumer_poll(c, 100, seen_cb, s));

	/* Latest: nothing until the next record. */
	ASSERT_EQ(0, mq_consumer_seek(c, 0, MQ_GROUP_START_LATEST, 0));
	EXPECT_EQ(0, mq_consumer_poll(c, 100, seen_cb, s));
	ASSERT_EQ(0, send_n(self->p, 0, 1));
	memset(s, 0, sizeof(*s));
	ASSERT_EQ(0, drain_seen(c, s, 1));
	EXPECT_EQ(10, s->order[0]);
	/* Commits may go backwards after a seek. */
	EXPECT_EQ(0, mq_consumer_commit(c, 0, 11));
	ASSERT_EQ(0, mq_consumer_seek(c, 0, MQ_GROUP_START_OFFSET, 4));
	EXPECT_EQ(4, committed_of(t, "g", 0));

	/* Out of the queue: the kernel's ERANGE does not happen here, ENXIO does. */
	EXPECT_EQ(-ENXIO, mq_consumer_seek(c, 0, MQ_GROUP_START_OFFSET, 12));
	EXPECT_EQ(0, mq_consumer_seek(c, 0, MQ_GROUP_START_OFFSET, 11));

	/* Two members on the queue: EBUSY for either. */
	ASSERT_EQ(0, mq_consumer_open(&self->c[1], t, "g",
				      MQ_GROUP_START_EARLIEST, 0));
	EXPECT_EQ(-EBUSY, mq_consumer_seek(c, 0, MQ_GROUP_START_EARLIEST, 0));
	EXPECT_EQ(-EBUSY, mq_consumer_seek(self->c[1], 0,
					   MQ_GROUP_START_EARLIEST, 0));
	mq_consumer_close(self->c[1]);
	self->c[1] = NULL;
	EXPECT_EQ(0, mq_consumer_seek(c, 0, MQ_GROUP_START_EARLIEST, 0));
	free(s);
}

/* A small MQ_FULL_DROP topic: mmap refused, and seeking before the oldest. */
TEST_F(cli, drop_topic_refuses_mmap)
{
	struct mq_consumer *c = (void *)1;
	struct mq_queue_stats st;
	char v[512];
	int i;

	self->drop = true;
	make_topic(_metadata, self, 8192, 0, 0);
	EXPECT_EQ(-EINVAL, mq_consumer_open(&c, self->cfg.name, "g",
					    MQ_GROUP_START_EARLIEST,
					    MQ_CONSUMER_F_MMAP));
	EXPECT_EQ(NULL, c);
	ASSERT_EQ(0, mq_consumer_open(&self->c[0], self->cfg.name, "g",
				      MQ_GROUP_START_EARLIEST, 0));
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	memset(v, 'd', sizeof(v));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, mq_producer_send(self->p, 0, NULL, 0, v, sizeof(v)));
	ASSERT_EQ(0, mq_producer_flush(self->p));
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	ASSERT_LT(0, st.first_offset);
	EXPECT_EQ(-ERANGE, mq_consumer_seek(self->c[0], 0,
					    MQ_GROUP_START_OFFSET, 0));
	EXPECT_EQ(0, mq_consumer_seek(self->c[0], 0, MQ_GROUP_START_OFFSET,
				      st.first_offset));
}

/* The mappings of @topic's queues in this process, from /proc/self/maps. */
struct ranges {
	uintptr_t lo[4 * NQ], hi[4 * NQ];
	int n;
};

static int find_maps(const char *topic, struct ranges *rg)
{
	char line[512], want[128];
	unsigned long lo, hi;
	FILE *f;

	snprintf(want, sizeof(want), "/dev/mq/%s/", topic);
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -errno;
	rg->n = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want) && rg->n < 4 * NQ &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			rg->lo[rg->n] = lo;
			rg->hi[rg->n] = hi;
			rg->n++;
		}
	fclose(f);
	return 0;
}

struct inplace {
	struct tally *t;
	struct ranges rg;
	uint32_t outside;
};

static int inplace_cb(const struct mq_message *m, void *arg)
{
	struct inplace *ip = arg;
	uintptr_t v = (uintptr_t)m->value;
	int k;

	for (k = 0; k < ip->rg.n; k++)
		if (v >= ip->rg.lo[k] && v + m->value_len <= ip->rg.hi[k])
			break;
	if (k == ip->rg.n)
		ip->outside++;
	return tally_cb(m, ip->t);
}

/*
 * mmap receive gets what record mode gets, whole and in order, with key
 * and value inside the mapping; AUTOCOMMIT with it is refused.
 */
TEST_F_TIMEOUT(cli, mmap_receive, 240)
{
	struct mq_consumer *c = (void *)1;
	struct inplace *ip;
	struct tally *rec;
	char key[16], val[64];
	uint32_t i, q, n = 2000;
	int ret, k;

	make_topic(_metadata, self, 4 << 20, 0, 0);
	EXPECT_EQ(-EINVAL, mq_consumer_open(&c, self->cfg.name, "g",
					    MQ_GROUP_START_EARLIEST,
					    MQ_CONSUMER_F_MMAP |
					    MQ_CONSUMER_F_AUTOCOMMIT));
	EXPECT_EQ(NULL, c);
	ip = calloc(1, sizeof(*ip));
	rec = calloc(1, sizeof(*rec));
	ASSERT_NE(NULL, ip);
	ASSERT_NE(NULL, rec);
	ip->t = calloc(1, sizeof(*ip->t));
	ASSERT_NE(NULL, ip->t);

	ASSERT_EQ(0, mq_consumer_open(&self->c[0], self->cfg.name, "mm",
				      MQ_GROUP_START_EARLIEST,
				      MQ_CONSUMER_F_MMAP));
	ASSERT_EQ(0, mq_consumer_open(&self->c[1], self->cfg.name, "rec",
				      MQ_GROUP_START_EARLIEST, 0));
	ASSERT_EQ(0, find_maps(self->cfg.name, &ip->rg));
	/* A control page and a data area per queue. */
	EXPECT_EQ(2 * NQ, ip->rg.n);

	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	for (i = 0; i < n; i++) {
		uint32_t klen = key_of(key, i), vlen = value_of(val, i);

		ret = mq_producer_send(self->p, -1, klen ? key : NULL, klen,
				       val, vlen);
		ASSERT_LE(0, ret);
		ip->t->queue_of[i] = rec->queue_of[i] = (uint32_t)ret;
		if (i % 300 == 299)
			ASSERT_EQ(0, mq_producer_flush(self->p));
	}
	ASSERT_EQ(0, mq_producer_flush(self->p));

	while (ip->t->n < n) {
		ret = mq_consumer_poll(self->c[0], 5000, inplace_cb, ip);
		ASSERT_LT(0, ret);
		for (q = 0; q < NQ; q++)
			if (ip->t->any[q])
				ASSERT_EQ(0, mq_consumer_commit_async(self->c[0], q,
								      ip->t->next[q]));
	}
	ASSERT_EQ(0, drain(self->c[1], rec, n));
	EXPECT_EQ(0, mq_consumer_poll(self->c[0], 100, inplace_cb, ip));
	EXPECT_EQ(0, ip->outside);
	for (k = 0; k < 2; k++) {
		struct tally *t = k ? rec : ip->t;
		uint32_t once = 0;

		EXPECT_EQ(n, t->n);
		EXPECT_EQ(0, t->bad);
		EXPECT_EQ(0, t->out_of_order);
		EXPECT_EQ(0, t->wrong_queue);
		EXPECT_EQ(0, t->no_time);
		for (i = 0; i < n; i++)
			once += t->got[i] == 1;
		EXPECT_EQ(n, once);
	}
	/* The same offsets per queue, then committed by the last poll. */
	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(rec->next[q], ip->t->next[q]);
		EXPECT_EQ((long long)ip->t->next[q],
			  committed_of(self->cfg.name, "mm", q));
	}
	free(ip->t);
	free(ip);
	free(rec);
}

/* What one member got: record numbers, and per queue the next offset. */
struct member {
	uint32_t got[1000];
	uint32_t n;
	uint64_t next[NQ];
	bool any[NQ];
};

/* Record i's number from its value (value_of()'s first 4 bytes). */
static int count_cb(const struct mq_message *m, void *arg)
{
	struct member *mb = arg;
	uint32_t i;

	if (m->value_len < sizeof(i) || m->queue >= NQ)
		return 0;
	memcpy(&i, m->value, sizeof(i));
	if (i < 1000)
		mb->got[i]++;
	mb->n++;
	mb->next[m->queue] = m->offset + 1;
	mb->any[m->queue] = true;
	return 0;
}

static int send_i(struct mq_producer *p, uint32_t from, uint32_t to)
{
	char val[64];
	uint32_t i;
	int ret;

	for (i = from; i < to; i++) {
		ret = mq_producer_send(p, -1, NULL, 0, val, value_of(val, i));
		if (ret < 0)
			return ret;
	}
	return mq_producer_flush(p);
}

/* Polls member @mb once and commits what it got on every queue. */
static int poll_commit(struct mq_consumer *c, struct member *mb, int timeout)
{
	int ret = mq_consumer_poll(c, timeout, count_cb, mb), q, r;

	for (q = 0; ret >= 0 && q < NQ; q++) {
		if (!mb->any[q])
			continue;
		r = mq_consumer_commit(c, (uint32_t)q, mb->next[q]);
		if (r)
			return r;
	}
	return ret;
}

/*
 * Two mmap members of one group split the messages, none twice; what one
 * did not commit goes to the other once it closes.
 */
TEST_F_TIMEOUT(cli, mmap_members_split_and_redeliver, 240)
{
	uint32_t only0[] = { 0 }, i, dup = 0, none = 0;
	struct member *mb;
	struct seen *s;
	long long base;
	int k, ret;

	make_topic(_metadata, self, 0, 0, 0);
	mb = calloc(2, sizeof(*mb));
	s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, mb);
	ASSERT_NE(NULL, s);
	for (k = 0; k < 2; k++)
		ASSERT_EQ(0, mq_consumer_open(&self->c[k], self->cfg.name, "g",
					      MQ_GROUP_START_EARLIEST,
					      MQ_CONSUMER_F_MMAP));
	ASSERT_EQ(0, mq_producer_open(&self->p, self->cfg.name, 0));
	/* Each member polls first in turn, so both get some. */
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, send_i(self->p, i * 100, i * 100 + 100));
		for (k = 0; k < 2; k++) {
			int m = (int)(i + k) % 2;

			ASSERT_LE(0, poll_commit(self->c[m], &mb[m], k ? 0 : 1000));
		}
	}
	while (mb[0].n + mb[1].n < 1000) {
		ret = poll_commit(self->c[0], &mb[0], 1000);
		ASSERT_LT(0, ret);
	}
	EXPECT_LT(0, mb[0].n);
	EXPECT_LT(0, mb[1].n);
	EXPECT_EQ(1000, mb[0].n + mb[1].n);
	for (i = 0; i < 1000; i++) {
		dup += mb[0].got[i] + mb[1].got[i] > 1;
		none += mb[0].got[i] + mb[1].got[i] == 0;
	}
	EXPECT_EQ(0, dup);
	EXPECT_EQ(0, none);
	EXPECT_EQ(0, poll_commit(self->c[1], &mb[1], 100));
	for (k = 0; k < 2; k++) {
		mq_consumer_close(self->c[k]);
		self->c[k] = NULL;
	}

	/* Everything committed: queue 0's group stands at its next offset. */
	base = committed_of(self->cfg.name, "g", 0);
	ASSERT_EQ(250, base);
	for (k = 0; k < 2; k++)
		ASSERT_EQ(0, mq_consumer_open_queues(&self->c[k], self->cfg.name,
						     "g", MQ_GROUP_START_EARLIEST,
						     MQ_CONSUMER_F_MMAP, only0, 1));
	/* Member 0 claims 5 and commits 2 of them; member 1 gets nothing. */
	ASSERT_EQ(0, send_n(self->p, 0, 5));
	ASSERT_EQ(0, drain_seen(self->c[0], s, 5));
	EXPECT_EQ(0, mq_consumer_poll(self->c[1], 100, seen_cb, s));
	EXPECT_EQ(0, mq_consumer_commit(self->c[0], 0, (uint64_t)base + 2));
	mq_consumer_close(self->c[0]);
	self->c[0] = NULL;
	/* The other 3 go to member 1, oldest first, once. */
	memset(s, 0, sizeof(*s));
	ASSERT_EQ(0, drain_seen(self->c[1], s, 3));
	EXPECT_EQ(0, mq_consumer_poll(self->c[1], 100, seen_cb, s));
	EXPECT_EQ(3, s->count);
	for (i = 0; i < 3; i++)
		EXPECT_EQ((uint64_t)base + 2 + i, s->order[i]);
	free(mb);
	free(s);
}

/*
 * A ring of 64 KiB gone round many times under an mmap member that
 * commits asynchronously: the producer (a child) waits for its commits
 * under MQ_FULL_BLOCK, the records that straddle the ring's end are
 * whole through the double mapping, and every record comes once.
 */
TEST_F_TIMEOUT(cli, mmap_receive_wraps_the_ring, 240)
{
	uint32_t i, q, n = 6000;
	struct tally *t;
	int ret;

	make_topic(_metadata, self, 64 << 10, 0, 0);
	t = calloc(1, sizeof(*t));
	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, mq_consumer_open(&self->c[0], self->cfg.name, "g",
				      MQ_GROUP_START_EARLIEST,
				      MQ_CONSUMER_F_MMAP));
	/* Where each record goes: its key's partition, or round-robin. */
	for (i = 0, q = 0; i < n; i++) {
		char key[16];
		uint32_t klen = key_of(key, i);

		t->queue_of[i] = klen ? (uint32_t)mq_partition(key, klen, NQ)
				      : q++ % NQ;
	}
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		struct mq_producer *p;
		char key[16], val[64];

		if (mq_producer_open(&p, self->cfg.name, 0))
			_exit(1);
		for (i = 0; i < n; i++) {
			uint32_t klen = key_of(key, i);

			if (mq_producer_send(p, -1, klen ? key : NULL, klen, val,
					     value_of(val, i)) !=
			    (int)t->queue_of[i])
				_exit(2);
			if (i % 50 == 49 && mq_producer_flush(p))
				_exit(3);
		}
		_exit(mq_producer_flush(p) ? 4 : 0);
	}
	while (t->n < n) {
		ret = mq_consumer_poll(self->c[0], 10000, tally_cb, t);
		ASSERT_LT(0, ret);
		for (q = 0; q < NQ; q++)
			if (t->any[q])
				ASSERT_EQ(0, mq_consumer_commit_async(self->c[0], q,
								      t->next[q]));
	}
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	EXPECT_EQ(n, t->n);
	EXPECT_EQ(0, t->bad);
	EXPECT_EQ(0, t->out_of_order);
	EXPECT_EQ(0, t->wrong_queue);
	for (i = 0; i < n; i++)
		if (t->got[i] != 1)
			break;
	EXPECT_EQ(n, i);
	free(t);
}

TEST_HARNESS_MAIN
