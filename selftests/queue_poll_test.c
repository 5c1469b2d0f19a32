// SPDX-License-Identifier: GPL-2.0
/*
 * queue_poll_test: poll(2) and epoll report EPOLLIN exactly when a read at
 * the fd's position would not wait, EPOLLOUT exactly when a max_msg_size
 * write would not, wake waiters on both, fire edge-triggered once per
 * burst, and report EPOLLERR|EPOLLHUP once the topic is deleted.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mq_util.h"
#include "kselftest_harness.h"

/* 128-byte records: 32 fill a 4096-byte ring, 16 make room for a max one. */
#define MSG_LEN		64

/* The poll(2) events of @fd right now, or -errno. */
static int events(int fd, short want)
{
	struct pollfd p = { .fd = fd, .events = want };
	int ret = poll(&p, 1, 0);

	if (ret < 0)
		return -errno;
	return ret ? p.revents : 0;
}

FIXTURE(poll) {
	struct mq_topic_config cfg;
	bool made;
	int w;		/* O_WRONLY | O_NONBLOCK */
	int r;		/* O_RDONLY | O_NONBLOCK, at offset 0 */
	uint32_t max;
	char *buf;
	pid_t child;
};

FIXTURE_VARIANT(poll) {
	uint32_t policy;
};

FIXTURE_VARIANT_ADD(poll, block) { .policy = MQ_FULL_BLOCK };
FIXTURE_VARIANT_ADD(poll, drop) { .policy = MQ_FULL_DROP };

FIXTURE_SETUP(poll)
{
	struct mq_topic_config got;

	mqt_topic_init(&self->cfg, "poll");
	mqt_set_ring(&self->cfg, MQ_RING_SIZE_MIN, 0);
	mqt_set_policy(&self->cfg, variant->policy);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	ASSERT_EQ(0, mqt_topic_get(self->cfg.name, &got));
	self->max = got.max_msg_size;
	self->buf = calloc(1, self->max);
	ASSERT_NE(NULL, self->buf);
	self->r = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->r);
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY | O_NONBLOCK);
	ASSERT_LE(0, self->w);
}

FIXTURE_TEARDOWN(poll)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	close(self->w);
	close(self->r);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
	free(self->buf);
}

TEST_F(poll, pollin_iff_a_message_at_the_position)
{
	int r2;

	EXPECT_EQ(0, events(self->r, POLLIN));
	ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	EXPECT_EQ(POLLIN, events(self->r, POLLIN));
	ASSERT_EQ(MSG_LEN, mqt_read(self->r, self->buf, self->max));
	EXPECT_EQ(0, events(self->r, POLLIN));

	ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	ASSERT_EQ(MSG_LEN, mqt_read(self->r, self->buf, self->max));
	EXPECT_EQ(POLLIN, events(self->r, POLLIN));

	/* The position decides, wherever lseek puts it. */
	ASSERT_EQ(3, mqt_seek(self->r, 0, SEEK_END));
	EXPECT_EQ(0, events(self->r, POLLIN));
	ASSERT_EQ(0, mqt_seek(self->r, 0, SEEK_SET));
	EXPECT_EQ(POLLIN, events(self->r, POLLIN));

	/* A new reader is at next: nothing for it yet. */
	r2 = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, r2);
	EXPECT_EQ(0, events(r2, POLLIN));
	ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	EXPECT_EQ(POLLIN, events(r2, POLLIN));
	close(r2);
}

/*
 * EPOLLOUT means a max_msg_size write would not wait: after every step of
 * draining a full ring, poll's answer is what such a write then does.
 */
TEST_F(poll, pollout_iff_a_max_message_fits)
{
	long n = 0, reads = 0, ret;
	int ev;

	EXPECT_EQ(POLLOUT, events(self->w, POLLOUT));
	if (variant->policy == MQ_FULL_DROP) {
		/* Never waits: EPOLLOUT even with the ring full many times over. */
		for (n = 0; n < 100; n++) {
			ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
			ASSERT_EQ(POLLOUT, events(self->w, POLLOUT));
		}
		return;
	}

	n = mqt_fill(self->w, MSG_LEN, 10000);
	ASSERT_LT(0, n);
	for (;;) {
		ev = events(self->w, POLLOUT);
		ASSERT_LE(0, ev);
		ret = mqt_write(self->w, self->buf, self->max);
		if (ev & POLLOUT) {
			ASSERT_EQ(self->max, ret) TH_LOG("EPOLLOUT after %ld reads", reads);
			break;
		}
		ASSERT_EQ(-EAGAIN, ret) TH_LOG("no EPOLLOUT after %ld reads", reads);
		ASSERT_EQ(MSG_LEN, mqt_read(self->r, self->buf, self->max));
		reads++;
		ASSERT_LT(reads, n + 1);
	}
	/* It took room for a max record, not one byte more than needed. */
	EXPECT_GE(reads, (long)(mqt_record_size(self->max) / mqt_record_size(MSG_LEN)));
	EXPECT_EQ(0, events(self->w, POLLOUT));
}

/* Under MQ_FULL_BLOCK with no reader open, nothing ever waits. */
TEST_F(poll, pollout_without_readers)
{
	int i;

	close(self->r);
	self->r = -1;
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
		ASSERT_EQ(POLLOUT, events(self->w, POLLOUT));
	}
}

/* A reader asleep in epoll_wait is woken by a write from another process. */
TEST_F(poll, epoll_woken_by_a_write)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->r, &ev));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		if (mqt_wait_blocked(getppid(), SYS_epoll_wait))
			_exit(10);
		_exit(mqt_write(self->w, "x", 1) == 1 ? 0 : 11);
	}
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, MQT_WAIT_MS));
	EXPECT_EQ(EPOLLIN, got.events);
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	close(ep);
}

/* A writer asleep in poll on a full ring is woken when the reader reads. */
TEST_F(poll, poll_woken_by_a_read)
{
	struct pollfd p = { .fd = self->w, .events = POLLOUT };
	long n;

	if (variant->policy == MQ_FULL_DROP) {
		int i;

		/* Nothing to wait for: writable at once, however full. */
		for (i = 0; i < 100; i++) {
			ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
		}
		ASSERT_EQ(1, poll(&p, 1, MQT_WAIT_MS));
		EXPECT_EQ(POLLOUT, p.revents);
		return;
	}
	n = mqt_fill(self->w, MSG_LEN, 10000);
	ASSERT_LT(0, n);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		char buf[MSG_LEN];
		long i;

		if (mqt_wait_blocked(getppid(), SYS_poll))
			_exit(10);
		/* r is shared: read the whole ring through it. */
		for (i = 0; i < n; i++) {
			if (mqt_read(self->r, buf, sizeof(buf)) != MSG_LEN)
				_exit(11);
		}
		_exit(0);
	}
	ASSERT_EQ(1, poll(&p, 1, MQT_WAIT_MS));
	EXPECT_EQ(POLLOUT, p.revents);
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	EXPECT_EQ(self->max, mqt_write(self->w, self->buf, self->max));
}

TEST_F(poll, epoll_edge_triggered_once_per_burst)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, got[4];
	int ep = epoll_create1(EPOLL_CLOEXEC), i;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->r, &ev));
	EXPECT_EQ(0, epoll_wait(ep, got, 4, 0));

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	}
	ASSERT_EQ(1, epoll_wait(ep, got, 4, 0));
	EXPECT_EQ(EPOLLIN, got[0].events);
	/* Still readable, but nothing new: no second event. */
	EXPECT_EQ(0, epoll_wait(ep, got, 4, 0));
	EXPECT_EQ(POLLIN, events(self->r, POLLIN));

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	}
	ASSERT_EQ(1, epoll_wait(ep, got, 4, 0));
	EXPECT_EQ(EPOLLIN, got[0].events);
	EXPECT_EQ(0, epoll_wait(ep, got, 4, 0));

	/* Level-triggered, for contrast, reports it every time. */
	ev.events = EPOLLIN;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_MOD, self->r, &ev));
	EXPECT_EQ(1, epoll_wait(ep, got, 4, 0));
	EXPECT_EQ(1, epoll_wait(ep, got, 4, 0));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(MSG_LEN, mqt_read(self->r, self->buf, self->max));
	}
	EXPECT_EQ(0, epoll_wait(ep, got, 4, 0));
	close(ep);
}

/* A read that fails at once (ERANGE) is readable too: it does not wait. */
TEST_F(poll, pollin_when_fallen_out)
{
	int i;

	if (variant->policy == MQ_FULL_BLOCK) {
		/* The lagging reader holds the ring: it cannot fall out. */
		ASSERT_LT(0, mqt_fill(self->w, MSG_LEN, 10000));
		EXPECT_EQ(POLLIN, events(self->r, POLLIN));
		EXPECT_EQ(MSG_LEN, mqt_read(self->r, self->buf, self->max));
		EXPECT_EQ(1, mqt_pos(self->r));
		return;
	}
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(MSG_LEN, mqt_write(self->w, self->buf, MSG_LEN));
	}
	ASSERT_EQ(-ERANGE, mqt_read(self->r, self->buf, self->max));
	EXPECT_EQ(POLLIN, events(self->r, POLLIN));
	ASSERT_EQ(99, mqt_seek(self->r, -1, SEEK_END));
	EXPECT_EQ(POLLIN, events(self->r, POLLIN));
	ASSERT_EQ(MSG_LEN, mqt_read(self->r, self->buf, self->max));
	EXPECT_EQ(0, events(self->r, POLLIN));
}

/* Deleting the topic: pollers wake with EPOLLERR|EPOLLHUP, and stay so. */
TEST_F(poll, err_hup_after_delete)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int ep = epoll_create1(EPOLL_CLOEXEC), e;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->r, &ev));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		if (mqt_wait_blocked(getppid(), SYS_epoll_wait))
			_exit(10);
		_exit(mqt_topic_del(self->cfg.name) ? 11 : 0);
	}
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, MQT_WAIT_MS));
	EXPECT_EQ(EPOLLERR | EPOLLHUP, got.events & (EPOLLERR | EPOLLHUP));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	self->made = false;

	e = events(self->r, POLLIN);
	EXPECT_EQ(POLLERR | POLLHUP, e & (POLLERR | POLLHUP));
	e = events(self->w, POLLOUT);
	EXPECT_EQ(POLLERR | POLLHUP, e & (POLLERR | POLLHUP));
	close(ep);
}

TEST_HARNESS_MAIN
