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
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

/* Polls @c until it got @n records in all, or a poll waits 5 s for none. */
static int drain(struct mq_consumer *c, struct tally *t, uint32_t n)
{
	int ret;

	while (t->n < n) {
		ret = mq_consumer_poll(c, 5000, tally_cb, t);
		if (ret <= 0)
			return ret ? ret : -ETIMEDOUT;
	}
	return 0;
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

TEST_HARNESS_MAIN
