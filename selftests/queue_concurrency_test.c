// SPDX-License-Identifier: GPL-2.0
/*
 * queue_concurrency_test: many producers (processes or threads, on their
 * own files or one shared file) append numbered self-verifying messages
 * at once while consumers read: no message is lost, duplicated or torn,
 * and each producer's messages keep their order.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mq_util.h"
#include "kselftest_harness.h"

#define PRODUCERS_MAX	8
#define CONSUMERS_MAX	2
#define PER_PRODUCER	2000
#define MSG_MAX		300
#define STOP		0xffffu	/* the producer id of the last message */

/* What a consumer saw, in memory shared with the test. */
struct seen {
	uint64_t got[PRODUCERS_MAX];	/* messages received */
	uint64_t next[PRODUCERS_MAX];	/* sequence number expected next */
	uint64_t torn;			/* failed their own check */
	uint64_t backwards;		/* repeated or older than one before */
	uint64_t gaps;			/* skipped sequence numbers */
	uint64_t eranges;		/* reads that fell out of the ring */
	int err;			/* a read's unexpected errno */
	bool stopped;			/* saw the STOP message */
};

FIXTURE(conc) {
	struct mq_topic_config cfg;
	bool made;
	struct seen *seen;	/* CONSUMERS_MAX of them, shared */
	pid_t consumers[CONSUMERS_MAX];
	pid_t producers[PRODUCERS_MAX];
};

FIXTURE_VARIANT(conc) {
	int producers;
	int consumers;
	bool threads;		/* producers are threads, else processes */
	bool shared_fd;		/* producers share one open file */
	uint32_t policy;
	uint64_t ring_size;
};

FIXTURE_VARIANT_ADD(conc, procs_own_fds) {
	.producers = 8, .consumers = 1, .policy = MQ_FULL_BLOCK,
	.ring_size = 64 << 10,
};
FIXTURE_VARIANT_ADD(conc, procs_shared_fd) {
	.producers = 8, .consumers = 1, .shared_fd = true,
	.policy = MQ_FULL_BLOCK, .ring_size = 64 << 10,
};
FIXTURE_VARIANT_ADD(conc, threads_own_fds) {
	.producers = 8, .consumers = 1, .threads = true,
	.policy = MQ_FULL_BLOCK, .ring_size = 64 << 10,
};
FIXTURE_VARIANT_ADD(conc, threads_shared_fd) {
	.producers = 8, .consumers = 1, .threads = true, .shared_fd = true,
	.policy = MQ_FULL_BLOCK, .ring_size = 64 << 10,
};
/* Two consumers each see every message; the smallest ring, always full. */
FIXTURE_VARIANT_ADD(conc, two_consumers_small_ring) {
	.producers = 8, .consumers = 2, .policy = MQ_FULL_BLOCK,
	.ring_size = MQ_RING_SIZE_MIN,
};
/* Dropping: messages may be lost by design, but never torn or reordered. */
FIXTURE_VARIANT_ADD(conc, drop) {
	.producers = 8, .consumers = 2, .policy = MQ_FULL_DROP,
	.ring_size = MQ_RING_SIZE_MIN,
};

FIXTURE_SETUP(conc)
{
	self->seen = mmap(NULL, CONSUMERS_MAX * sizeof(*self->seen),
			  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->seen);
	memset(self->seen, 0, CONSUMERS_MAX * sizeof(*self->seen));
	mqt_topic_init(&self->cfg, "conc");
	mqt_set_ring(&self->cfg, variant->ring_size, 0);
	mqt_set_policy(&self->cfg, variant->policy);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
}

FIXTURE_TEARDOWN(conc)
{
	int i;

	for (i = 0; i < CONSUMERS_MAX; i++) {
		if (self->consumers[i] > 0) {
			kill(self->consumers[i], SIGKILL);
			waitpid(self->consumers[i], NULL, 0);
		}
	}
	for (i = 0; i < PRODUCERS_MAX; i++) {
		if (self->producers[i] > 0) {
			kill(self->producers[i], SIGKILL);
			waitpid(self->producers[i], NULL, 0);
		}
	}
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
	munmap(self->seen, CONSUMERS_MAX * sizeof(*self->seen));
}

/* Read until the STOP message, recording what arrives in @s. */
static void consume(const char *topic, int fd, struct seen *s)
{
	char buf[MSG_MAX];
	uint32_t producer;
	uint64_t seq;
	long ret;

	for (;;) {
		ret = mqt_read(fd, buf, sizeof(buf));
		if (ret == -ERANGE) {
			struct mq_queue_stats st;

			/*
			 * Overtaken by a dropping ring: go on from the oldest
			 * (if that is gone too by the time of the seek, the
			 * next read says so again).
			 */
			s->eranges++;
			if (!mqt_queue_stats(topic, 0, &st))
				mqt_seek(fd, st.first_offset, SEEK_SET);
			continue;
		}
		if (ret < 0) {
			s->err = -ret;
			return;
		}
		if (mqt_msg_check(buf, ret, &producer, &seq)) {
			s->torn++;
			continue;
		}
		if (producer == STOP) {
			s->stopped = true;
			return;
		}
		if (producer >= PRODUCERS_MAX) {
			s->torn++;
			continue;
		}
		if (seq < s->next[producer]) {
			s->backwards++;
			continue;
		}
		s->gaps += seq - s->next[producer];
		s->next[producer] = seq + 1;
		s->got[producer]++;
	}
}

/* Producer @p's messages 0..PER_PRODUCER-1: 0, or the failing -errno. */
static long produce(int fd, uint32_t p)
{
	uint64_t rnd = 0x1234567ULL * (p + 1), seq;
	char buf[MSG_MAX];
	long ret;

	for (seq = 0; seq < PER_PRODUCER; seq++) {
		uint32_t len = MQT_MSG_MIN + mqt_xorshift(&rnd) % (MSG_MAX - MQT_MSG_MIN + 1);

		mqt_msg_fill(buf, len, p, seq);
		ret = mqt_write(fd, buf, len);
		if (ret != (long)len)
			return ret < 0 ? ret : -EIO;
	}
	return 0;
}

struct producer_arg {
	const char *topic;
	int fd;		/* the shared file, or -1: open one */
	uint32_t p;
	long ret;
};

static void *producer_thread(void *arg)
{
	struct producer_arg *a = arg;
	int fd = a->fd >= 0 ? a->fd : mqt_open(a->topic, 0, O_WRONLY);

	if (fd < 0) {
		a->ret = fd;
		return NULL;
	}
	a->ret = produce(fd, a->p);
	if (a->fd < 0)
		close(fd);
	return NULL;
}

TEST_F_TIMEOUT(conc, no_loss_no_dup_no_tear, 100)
{
	struct producer_arg args[PRODUCERS_MAX];
	pthread_t threads[PRODUCERS_MAX];
	struct mq_queue_stats st;
	uint64_t total = 0;
	int i, p, shared = -1, wfd;
	struct mqt_msg stop;

	/* Consumers first, so that their files start at offset 0. */
	for (i = 0; i < variant->consumers; i++) {
		int fd = mqt_open(self->cfg.name, 0, O_RDONLY);

		ASSERT_LE(0, fd);
		self->consumers[i] = fork();
		ASSERT_LE(0, self->consumers[i]);
		if (self->consumers[i] == 0) {
			consume(self->cfg.name, fd, &self->seen[i]);
			_exit(0);
		}
		close(fd);
	}
	if (variant->shared_fd) {
		shared = mqt_open(self->cfg.name, 0, O_WRONLY);
		ASSERT_LE(0, shared);
	}

	for (p = 0; p < variant->producers; p++) {
		args[p] = (struct producer_arg){
			.topic = self->cfg.name, .fd = shared, .p = p,
		};
		if (variant->threads) {
			ASSERT_EQ(0, pthread_create(&threads[p], NULL,
						    producer_thread, &args[p]));
			continue;
		}
		self->producers[p] = fork();
		ASSERT_LE(0, self->producers[p]);
		if (self->producers[p] == 0) {
			producer_thread(&args[p]);
			_exit(args[p].ret ? 10 : 0);
		}
	}
	for (p = 0; p < variant->producers; p++) {
		if (variant->threads) {
			ASSERT_EQ(0, pthread_join(threads[p], NULL));
			EXPECT_EQ(0, args[p].ret) TH_LOG("producer %d: %s", p,
							 strerror(-args[p].ret));
		} else {
			/* Not bounded: a producer waits as long as consumers lag. */
			int status;

			ASSERT_EQ(self->producers[p], waitpid(self->producers[p], &status, 0));
			self->producers[p] = 0;
			EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
				TH_LOG("producer %d failed", p);
		}
	}

	/* Every producer is done: the STOP message comes after all theirs. */
	wfd = shared >= 0 ? shared : mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, wfd);
	mqt_msg_fill(&stop, sizeof(stop), STOP, 0);
	ASSERT_EQ(sizeof(stop), mqt_write(wfd, &stop, sizeof(stop)));
	close(wfd);

	for (i = 0; i < variant->consumers; i++) {
		struct seen *s = &self->seen[i];

		EXPECT_EQ(0, mqt_child_code(self->consumers[i])) TH_LOG("consumer %d", i);
		self->consumers[i] = 0;
		EXPECT_TRUE(s->stopped) TH_LOG("consumer %d: %s", i, strerror(s->err));
		EXPECT_EQ(0, s->torn) TH_LOG("consumer %d", i);
		EXPECT_EQ(0, s->backwards) TH_LOG("consumer %d", i);
		if (variant->policy == MQ_FULL_BLOCK) {
			EXPECT_EQ(0, s->gaps) TH_LOG("consumer %d", i);
			EXPECT_EQ(0, s->eranges) TH_LOG("consumer %d", i);
			for (p = 0; p < variant->producers; p++) {
				EXPECT_EQ(PER_PRODUCER, s->got[p])
					TH_LOG("consumer %d, producer %d", i, p);
			}
		} else {
			for (p = 0; p < variant->producers; p++) {
				EXPECT_GE(PER_PRODUCER, s->got[p] + 0);
				total += s->got[p];
			}
			TH_LOG("consumer %d: %llu of %d messages, %llu reads fell out",
			       i, (unsigned long long)total,
			       variant->producers * PER_PRODUCER,
			       (unsigned long long)s->eranges);
			total = 0;
		}
	}

	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ((uint64_t)variant->producers * PER_PRODUCER + 1, st.msgs_in);
	EXPECT_EQ(st.msgs_in, st.next_offset);
	/*
	 * drops counts records removed before an open reader read them:
	 * never under MQ_FULL_BLOCK, at most what left the ring under
	 * MQ_FULL_DROP (the rest every consumer had read: retention).
	 */
	if (variant->policy == MQ_FULL_BLOCK) {
		EXPECT_EQ(0, st.drops);
		EXPECT_EQ(st.msgs_in * variant->consumers, st.msgs_out);
	} else {
		EXPECT_GE(st.first_offset, st.drops);
	}
}

TEST_HARNESS_MAIN
