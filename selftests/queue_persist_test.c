// SPDX-License-Identifier: GPL-2.0
/*
 * queue_persist_test: durability.  MQ_IOC_PERSIST_ATTACH and
 * MQ_IOC_PERSIST_REPORT and each of their errors; a write on a topic with
 * acks fails at once with ENOTCONN and appends nothing when no persister
 * is attached, and otherwise returns once the persister reports its
 * record durable (acks 1) or replicated (acks all), or fails with the
 * record appended: ETIMEDOUT after the ack timeout, ENOTCONN when the
 * persister dies, EINTR on a signal (never restarted), ENODEV when the
 * topic goes; O_NONBLOCK still waits for the ack; neither full policy
 * drops what the persister has not reported durable; the offsets show in
 * the control page and in MQ_CMD_QUEUE_GET.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mq_util.h"
#include "mq_mmap.h"
#include "mq_caps.h"
#include "kselftest_harness.h"

/* 128-byte records: 32 fill a 4096-byte ring exactly. */
#define MSG_LEN		64
#define NOBODY		65534
#define SHORT_MS	200	/* an ack timeout a test waits out */

/* ---- helpers -------------------------------------------------------------- */

static int become_nobody(void)
{
	return setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ?
	       -errno : 0;
}

/* MQ_IOC_PERSIST_ATTACH with a struct as given. */
static int attach_raw(int fd, const struct mq_persist_attach *a)
{
	return ioctl(fd, MQ_IOC_PERSIST_ATTACH, a) ? -errno : 0;
}

static int report_raw(int fd, const struct mq_persist_report *r)
{
	return ioctl(fd, MQ_IOC_PERSIST_REPORT, r) ? -errno : 0;
}

/* Message @seq of producer 0. */
static long write_msg(int fd, uint64_t seq)
{
	char buf[MSG_LEN];

	mqt_msg_fill(buf, MSG_LEN, 0, seq);
	return mqt_write(fd, buf, MSG_LEN);
}

/*
 * A child that writes message @seq on @fd and exits 0 when the write
 * returned @want (a length or -errno), 10 otherwise.
 */
static pid_t writer(int fd, uint64_t seq, long want)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(write_msg(fd, seq) == want ? 0 : 10);
	return pid;
}

/* The queue's state, or all ones when netlink failed (never matches). */
static struct mq_queue_stats stats(const char *topic)
{
	struct mq_queue_stats st;

	if (mqt_queue_stats(topic, 0, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

/*
 * Writes messages @first, @first + 1... without waiting until the ring
 * refuses one: how many it wrote, -EOVERFLOW past @limit, or -errno.
 */
static long fill(int fd, uint64_t first, long limit)
{
	long n, ret;

	ret = mqt_set_nonblock(fd, true);
	for (n = 0; !ret; n++) {
		if (n == limit) {
			ret = -EOVERFLOW;
			break;
		}
		ret = write_msg(fd, first + n);
		if (ret == -EAGAIN) {
			ret = n;
			break;
		}
		ret = ret == MSG_LEN ? 0 : ret < 0 ? ret : -EIO;
	}
	return mqt_set_nonblock(fd, false) ?: ret;
}

/* Whether @pid is still running (has not exited). */
static bool running(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

/* ---- the fixture ---------------------------------------------------------- */

FIXTURE(persist) {
	struct mq_topic_config cfg;
	bool made;
	int w;		/* O_WRONLY: the producer */
	int p;		/* O_RDONLY: the persister, once attached */
	pid_t child, child2;
};

FIXTURE_SETUP(persist)
{
	self->w = self->p = -1;
}

FIXTURE_TEARDOWN(persist)
{
	pid_t kids[] = { self->child, self->child2 };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	}
	close(self->w);
	close(self->p);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
}

/*
 * A topic of one queue that anybody may open, with @acks and @timeout_ms
 * (0: the default), @policy, and a ring of @ring bytes (0: the default);
 * self->w open on it.
 */
static void make_topic(struct __test_metadata *_metadata,
		       FIXTURE_DATA(persist) *self, uint32_t acks,
		       uint32_t timeout_ms, uint32_t policy, uint64_t ring)
{
	mqt_topic_init(&self->cfg, "persist");
	mqt_set_acks(&self->cfg, acks, timeout_ms);
	mqt_set_policy(&self->cfg, policy);
	mqt_set_owner(&self->cfg, 0666, 0, 0);
	if (ring)
		mqt_set_ring(&self->cfg, ring, 0);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
}

/* Opens self->p and attaches it as the persister. */
static void attach(struct __test_metadata *_metadata,
		   FIXTURE_DATA(persist) *self)
{
	self->p = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, self->p);
	ASSERT_EQ(0, mqt_persist_attach(self->p));
}

/* ---- attach and report ---------------------------------------------------- */

TEST_F(persist, feature_bit)
{
	struct mq_version v = { .size = sizeof(v) };
	int fd = open("/dev/" MQ_CONTROL_NAME, O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MQ_IOC_VERSION, &v));
	EXPECT_EQ(MQ_FEAT_DURABLE, v.features & MQ_FEAT_DURABLE);
	close(fd);
}

TEST_F(persist, attach_errors)
{
	struct mq_persist_attach a;
	struct mq_queue_stats st;
	int p2, rw;
	unsigned int i;

	make_topic(_metadata, self, MQ_ACKS_NONE, 0, MQ_FULL_BLOCK, 0);
	self->p = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, self->p);

	/* The struct: size, flags, reserved. */
	_Static_assert(sizeof(a) == MQ_PERSIST_ATTACH_SIZE_VER0, "ABI");
	memset(&a, 0, sizeof(a));
	for (i = 0; i < 3; i++) {
		a.size = (uint32_t[]){ 0, sizeof(a) - 8, sizeof(a) + 8 }[i];
		EXPECT_EQ(-EINVAL, attach_raw(self->p, &a)) TH_LOG("size %u", a.size);
	}
	a.size = sizeof(a);
	a.flags = 1;
	EXPECT_EQ(-EINVAL, attach_raw(self->p, &a));
	a.flags = 0;
	for (i = 0; i < 3; i++) {
		a.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, attach_raw(self->p, &a)) TH_LOG("reserved[%u]", i);
		a.reserved[i] = 0;
	}
	/* A persister reads: a write-only file may not be one. */
	EXPECT_EQ(-EBADF, mqt_persist_attach(self->w));
	st = stats(self->cfg.name);
	EXPECT_EQ(0, st.persister);

	EXPECT_EQ(0, attach_raw(self->p, &a));
	/* The same file again: nothing changes. */
	EXPECT_EQ(0, mqt_persist_attach(self->p));
	st = stats(self->cfg.name);
	EXPECT_EQ(1, st.persister);

	/* One per queue. */
	p2 = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, p2);
	rw = mqt_open(self->cfg.name, 0, O_RDWR);
	ASSERT_LE(0, rw);
	EXPECT_EQ(-EBUSY, mqt_persist_attach(p2));
	EXPECT_EQ(-EBUSY, mqt_persist_attach(rw));

	/* Closing the persister's file releases the queue. */
	close(self->p);
	self->p = -1;
	st = stats(self->cfg.name);
	EXPECT_EQ(0, st.persister);
	EXPECT_EQ(0, mqt_persist_attach(rw));
	EXPECT_EQ(-EBUSY, mqt_persist_attach(p2));
	st = stats(self->cfg.name);
	EXPECT_EQ(1, st.persister);
	close(rw);
	EXPECT_EQ(0, mqt_persist_attach(p2));
	close(p2);
	st = stats(self->cfg.name);
	EXPECT_EQ(0, st.persister);
}

/*
 * Without CAP_NET_ADMIN, only the topic's owner attaches: nobody cannot
 * on root's topic, root without the capability cannot on uid 1's, and
 * each can on its own.
 */
TEST_F(persist, attach_needs_owner_or_net_admin)
{
	struct mq_topic_config mine;
	int status;
	pid_t pid;

	make_topic(_metadata, self, MQ_ACKS_NONE, 0, MQ_FULL_BLOCK, 0);
	mqt_topic_init(&mine, "persist-nobody");
	mqt_set_owner(&mine, 0600, NOBODY, NOBODY);
	ASSERT_EQ(0, mqt_topic_add(&mine));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd, own;

		if (become_nobody())
			_exit(2);
		fd = mqt_open(self->cfg.name, 0, O_RDONLY);
		own = mqt_open(mine.name, 0, O_RDONLY);
		if (fd < 0 || own < 0)
			_exit(3);
		if (mqt_persist_attach(fd) != -EPERM)
			_exit(4);
		if (mqt_persist_attach(own))
			_exit(5);
		/* Attached by ownership: it reports like any persister. */
		if (mqt_persist_report(own, 0, 0))
			_exit(6);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, mqt_topic_del(mine.name));

	/* Root without CAP_NET_ADMIN owns root's topic, not uid 1's. */
	mqt_topic_init(&mine, "persist-uid1");
	mqt_set_owner(&mine, 0666, 1, 1);
	ASSERT_EQ(0, mqt_topic_add(&mine));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = mqt_open(self->cfg.name, 0, O_RDONLY);
		int other = mqt_open(mine.name, 0, O_RDONLY);

		if (fd < 0 || other < 0 || mqt_drop_net_admin())
			_exit(2);
		if (mqt_persist_attach(other) != -EPERM)
			_exit(4);
		if (mqt_persist_attach(fd))
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, mqt_topic_del(mine.name));
}

TEST_F(persist, report_errors)
{
	struct mq_persist_report r;
	struct mq_queue_stats st;
	int other;
	unsigned int i;

	make_topic(_metadata, self, MQ_ACKS_NONE, 0, MQ_FULL_BLOCK, 0);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(MSG_LEN, write_msg(self->w, i));
	other = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, other);
	/* Nobody is the persister yet. */
	EXPECT_EQ(-EBADFD, mqt_persist_report(other, 1, 0));
	attach(_metadata, self);
	EXPECT_EQ(-EBADFD, mqt_persist_report(other, 1, 0));
	EXPECT_EQ(-EBADFD, mqt_persist_report(self->w, 1, 0));

	_Static_assert(sizeof(r) == MQ_PERSIST_REPORT_SIZE_VER0, "ABI");
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r) - 8;
	EXPECT_EQ(-EINVAL, report_raw(self->p, &r));
	r.size = sizeof(r) + 8;
	EXPECT_EQ(-EINVAL, report_raw(self->p, &r));
	r.size = sizeof(r);
	r.flags = 1;
	EXPECT_EQ(-EINVAL, report_raw(self->p, &r));
	r.flags = 0;
	for (i = 0; i < 2; i++) {
		r.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, report_raw(self->p, &r)) TH_LOG("reserved[%u]", i);
		r.reserved[i] = 0;
	}

	/* Replicated never passes durable. */
	EXPECT_EQ(-EINVAL, mqt_persist_report(self->p, 1, 2));
	EXPECT_EQ(0, mqt_persist_report(self->p, 2, 1));
	/* Never backwards, either of them; the same again is harmless. */
	EXPECT_EQ(-EINVAL, mqt_persist_report(self->p, 1, 1));
	EXPECT_EQ(-EINVAL, mqt_persist_report(self->p, 2, 0));
	EXPECT_EQ(0, mqt_persist_report(self->p, 2, 1));
	/* Never past the next offset (3). */
	EXPECT_EQ(-ENXIO, mqt_persist_report(self->p, 4, 1));
	EXPECT_EQ(-ENXIO, mqt_persist_report(self->p, UINT64_MAX, 1));
	st = stats(self->cfg.name);
	EXPECT_EQ(2, st.durable_offset);
	EXPECT_EQ(1, st.replicated_offset);
	EXPECT_EQ(0, mqt_persist_report(self->p, 3, 3));

	/* The offsets are the queue's: they outlive the persister. */
	close(self->p);
	self->p = -1;
	st = stats(self->cfg.name);
	EXPECT_EQ(3, st.next_offset);
	EXPECT_EQ(3, st.durable_offset);
	EXPECT_EQ(3, st.replicated_offset);
	EXPECT_EQ(0, st.persister);
	ASSERT_EQ(0, mqt_persist_attach(other));
	EXPECT_EQ(-EINVAL, mqt_persist_report(other, 2, 2));
	EXPECT_EQ(0, mqt_persist_report(other, 3, 3));
	close(other);
}

/* The control page and MQ_CMD_QUEUE_GET show what was reported. */
TEST_F(persist, offsets_shown)
{
	struct mq_queue_stats st;
	struct mqm m;
	int r;
	unsigned int i;

	make_topic(_metadata, self, MQ_ACKS_NONE, 0, MQ_FULL_BLOCK, 0);
	/* Mapped through a file of its own: a mapping holds its file open. */
	r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, mqm_map(&m, r));
	EXPECT_EQ(0, *m.durable_off);
	EXPECT_EQ(0, *m.replicated_off);
	st = stats(self->cfg.name);
	EXPECT_EQ(0, st.durable_offset);
	EXPECT_EQ(0, st.replicated_offset);
	EXPECT_EQ(0, st.persister);

	for (i = 0; i < 5; i++)
		ASSERT_EQ(MSG_LEN, write_msg(self->w, i));
	attach(_metadata, self);
	ASSERT_EQ(0, mqt_persist_report(self->p, 4, 2));
	EXPECT_EQ(4, *m.durable_off);
	EXPECT_EQ(2, *m.replicated_off);
	EXPECT_EQ(5, *m.next_off);
	st = stats(self->cfg.name);
	EXPECT_EQ(4, st.durable_offset);
	EXPECT_EQ(2, st.replicated_offset);
	EXPECT_EQ(1, st.persister);
	EXPECT_EQ(5, st.next_offset);

	ASSERT_EQ(0, mqt_persist_report(self->p, 5, 5));
	EXPECT_EQ(5, *m.durable_off);
	EXPECT_EQ(5, *m.replicated_off);
	close(self->p);
	self->p = -1;
	st = stats(self->cfg.name);
	EXPECT_EQ(5, st.durable_offset);
	EXPECT_EQ(5, st.replicated_offset);
	EXPECT_EQ(0, st.persister);
	EXPECT_EQ(5, *m.durable_off);
	mqm_unmap(&m);
	close(r);
}

/* ---- a producer's wait ---------------------------------------------------- */

/* A write waits for the report, and the record is in the ring meanwhile. */
TEST_F(persist, write_waits_for_the_report)
{
	struct mq_queue_stats st;

	make_topic(_metadata, self, MQ_ACKS_LEADER, 0, MQ_FULL_BLOCK, 0);
	attach(_metadata, self);
	self->child = writer(self->w, 0, MSG_LEN);
	ASSERT_LE(0, self->child);
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	st = stats(self->cfg.name);
	EXPECT_EQ(1, st.next_offset);
	EXPECT_EQ(1, st.msgs_in);
	EXPECT_EQ(0, st.durable_offset);
	/* What the persister reads is the record the writer waits for. */
	EXPECT_EQ(0, mqt_seek(self->p, 0, SEEK_SET));
	EXPECT_EQ(0, mqt_read_seq(self->p, MSG_LEN));
	EXPECT_TRUE(running(self->child));

	ASSERT_EQ(0, mqt_persist_report(self->p, 1, 0));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
}

/* acks all: durable is not enough, replicated is. */
TEST_F(persist, acks_all_waits_for_replication)
{
	make_topic(_metadata, self, MQ_ACKS_ALL, 0, MQ_FULL_BLOCK, 0);
	attach(_metadata, self);
	self->child = writer(self->w, 0, MSG_LEN);
	ASSERT_LE(0, self->child);
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	ASSERT_EQ(0, mqt_persist_report(self->p, 1, 0));
	/* Woken by the report, it must go back to sleep. */
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	mqt_sleep_ms(50);
	EXPECT_TRUE(running(self->child));
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	ASSERT_EQ(0, mqt_persist_report(self->p, 1, 1));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
}

/*
 * Two writers sharing one file both wait, each for its own record (the
 * file's position lock is not held across the wait), and each report
 * releases those it covers.
 */
TEST_F(persist, one_report_releases_many)
{
	make_topic(_metadata, self, MQ_ACKS_LEADER, 0, MQ_FULL_BLOCK, 0);
	attach(_metadata, self);
	self->child = writer(self->w, 0, MSG_LEN);
	ASSERT_LE(0, self->child);
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	self->child2 = writer(self->w, 1, MSG_LEN);
	ASSERT_LE(0, self->child2);
	ASSERT_EQ(0, mqt_wait_blocked(self->child2, SYS_write));
	/* The first record only: the second writer keeps waiting. */
	ASSERT_EQ(0, mqt_persist_report(self->p, 1, 0));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	ASSERT_EQ(0, mqt_wait_blocked(self->child2, SYS_write));
	EXPECT_TRUE(running(self->child2));
	ASSERT_EQ(0, mqt_persist_report(self->p, 2, 0));
	EXPECT_EQ(0, mqt_child_code(self->child2));
	self->child2 = 0;
}

/* Nobody reports: ETIMEDOUT after the ack timeout, the record stays. */
TEST_F(persist, timeout)
{
	struct mq_queue_stats st;
	long long t0, t;

	make_topic(_metadata, self, MQ_ACKS_LEADER, SHORT_MS, MQ_FULL_BLOCK, 0);
	attach(_metadata, self);
	t0 = mqt_now_ms();
	EXPECT_EQ(-ETIMEDOUT, write_msg(self->w, 0));
	t = mqt_now_ms() - t0;
	EXPECT_LE(SHORT_MS, t);
	st = stats(self->cfg.name);
	EXPECT_EQ(1, st.next_offset);
	EXPECT_EQ(1, st.msgs_in);
	EXPECT_EQ(0, st.durable_offset);
	/* It is a message like any other: the persister reads it. */
	EXPECT_EQ(0, mqt_seek(self->p, 0, SEEK_SET));
	EXPECT_EQ(0, mqt_read_seq(self->p, MSG_LEN));
	/* The persister goes on: the next write waits for the next report. */
	ASSERT_EQ(0, mqt_persist_report(self->p, 1, 0));
	self->child = writer(self->w, 1, MSG_LEN);
	ASSERT_LE(0, self->child);
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	ASSERT_EQ(0, mqt_persist_report(self->p, 2, 0));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
}

/* The persister dies while a producer waits: ENOTCONN, the record stays. */
TEST_F(persist, persister_killed_while_waiting)
{
	struct mq_queue_stats st;
	int ready[2];
	char c;

	make_topic(_metadata, self, MQ_ACKS_LEADER, 0, MQ_FULL_BLOCK, 0);
	ASSERT_EQ(0, pipe(ready));
	self->child2 = fork();
	ASSERT_LE(0, self->child2);
	if (self->child2 == 0) {
		int p = mqt_open(self->cfg.name, 0, O_RDONLY);

		c = p >= 0 && !mqt_persist_attach(p);
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	close(ready[0]);
	ASSERT_EQ(1, c) TH_LOG("the persister process could not attach");
	st = stats(self->cfg.name);
	EXPECT_EQ(1, st.persister);

	self->child = writer(self->w, 0, -ENOTCONN);
	ASSERT_LE(0, self->child);
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	kill(self->child2, SIGKILL);
	waitpid(self->child2, NULL, 0);
	self->child2 = 0;
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;

	st = stats(self->cfg.name);
	EXPECT_EQ(1, st.next_offset);
	EXPECT_EQ(0, st.durable_offset);
	EXPECT_EQ(0, st.persister);
	/* And from now on, at once, appending nothing. */
	EXPECT_EQ(-ENOTCONN, write_msg(self->w, 1));
	st = stats(self->cfg.name);
	EXPECT_EQ(1, st.next_offset);
}

/*
 * A signal ends the wait with EINTR even under SA_RESTART: a restart
 * would append the record again.
 */
static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

TEST_F(persist, signal_is_not_restarted)
{
	struct mq_queue_stats st;

	make_topic(_metadata, self, MQ_ACKS_LEADER, 0, MQ_FULL_BLOCK, 0);
	attach(_metadata, self);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		struct sigaction sa = {
			.sa_handler = on_usr1,
			.sa_flags = SA_RESTART,
		};

		if (sigaction(SIGUSR1, &sa, NULL))
			_exit(2);
		_exit(write_msg(self->w, 0) == -EINTR && usr1 ? 0 : 10);
	}
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	kill(self->child, SIGUSR1);
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	st = stats(self->cfg.name);
	EXPECT_EQ(1, st.next_offset);
	EXPECT_EQ(1, st.msgs_in);
}

/* Deleting the topic ends the wait with ENODEV. */
TEST_F(persist, topic_deleted_while_waiting)
{
	make_topic(_metadata, self, MQ_ACKS_LEADER, 0, MQ_FULL_BLOCK, 0);
	attach(_metadata, self);
	self->child = writer(self->w, 0, -ENODEV);
	ASSERT_LE(0, self->child);
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	self->made = false;
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	EXPECT_EQ(-ENODEV, mqt_persist_report(self->p, 1, 0));
}

/*
 * O_NONBLOCK spares a write the wait for room only: once appended, it
 * waits for its ack.  RWF_NOWAIT cannot be honoured on such a file
 * (EOPNOTSUPP, nothing appended), while a file only reading keeps it.
 */
TEST_F(persist, nonblocking_writer_waits_for_its_ack)
{
	char buf[MSG_LEN] = { 1 };
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct mq_queue_stats st;

	make_topic(_metadata, self, MQ_ACKS_LEADER, 0, MQ_FULL_BLOCK, 0);
	attach(_metadata, self);
	ASSERT_EQ(0, mqt_set_nonblock(self->w, true));
	self->child = writer(self->w, 0, MSG_LEN);
	ASSERT_LE(0, self->child);
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	ASSERT_EQ(0, mqt_persist_report(self->p, 1, 0));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;

	ASSERT_EQ(0, mqt_set_nonblock(self->w, false));
	errno = 0;
	EXPECT_EQ(-1, pwritev2(self->w, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EOPNOTSUPP, errno);
	st = stats(self->cfg.name);
	EXPECT_EQ(1, st.next_offset);
	EXPECT_EQ(MSG_LEN, preadv2(self->p, &iov, 1, -1, RWF_NOWAIT));
	errno = 0;
	EXPECT_EQ(-1, preadv2(self->p, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

/* ---- acks without a persister, and with one that persists -------------- */

FIXTURE(acks) {
	struct mq_topic_config cfg;
	bool made;
	int w;
};

FIXTURE_VARIANT(acks) {
	uint32_t acks;
};

FIXTURE_VARIANT_ADD(acks, leader) { .acks = MQ_ACKS_LEADER };
FIXTURE_VARIANT_ADD(acks, all) { .acks = MQ_ACKS_ALL };

FIXTURE_SETUP(acks)
{
	mqt_topic_init(&self->cfg, "acks");
	/* The longest timeout: failing fast is not timing out. */
	mqt_set_acks(&self->cfg, variant->acks, MQ_ACK_TIMEOUT_MS_MAX);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
}

FIXTURE_TEARDOWN(acks)
{
	close(self->w);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
}

/* acks=1 (and all) without a persister fails fast and appends nothing. */
TEST_F(acks, without_persister_fails_fast)
{
	struct mq_topic_config got;
	struct mq_queue_stats st;
	int p;

	ASSERT_EQ(0, mqt_topic_get(self->cfg.name, &got));
	EXPECT_EQ(variant->acks, got.acks);
	EXPECT_EQ(MQ_ACK_TIMEOUT_MS_MAX, got.ack_timeout_ms);

	EXPECT_EQ(-ENOTCONN, write_msg(self->w, 0));
	EXPECT_EQ(-ENOTCONN, write_msg(self->w, 1));
	EXPECT_EQ(0, mqt_next(self->w));
	st = stats(self->cfg.name);
	EXPECT_EQ(0, st.next_offset);
	EXPECT_EQ(0, st.msgs_in);
	EXPECT_EQ(0, st.bytes_in);
	EXPECT_EQ(0, st.persister);

	/* Once a persister came and went, the same. */
	p = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, p);
	ASSERT_EQ(0, mqt_persist_attach(p));
	close(p);
	EXPECT_EQ(-ENOTCONN, write_msg(self->w, 2));
	EXPECT_EQ(0, mqt_next(self->w));
}

struct persister {
	int fd;
	long n;		/* records to persist */
	bool replicate;	/* report them replicated too */
	long err;	/* 0, or the first -errno */
};

/* Reads each record and reports it, as the daemon would, one by one. */
static void *persister_thread(void *arg)
{
	struct persister *ps = arg;
	long i, ret;

	for (i = 0; i < ps->n; i++) {
		ret = mqt_read_seq(ps->fd, MSG_LEN);
		if (ret != i) {
			ps->err = ret < 0 ? ret : -EBADMSG;
			return NULL;
		}
		ret = mqt_persist_report(ps->fd, i + 1, ps->replicate ? i + 1 : 0);
		if (ret) {
			ps->err = ret;
			return NULL;
		}
	}
	return NULL;
}

/* acks=1 (and all) with a test persister: every write completes. */
TEST_F(acks, with_persister_completes)
{
	struct persister ps = {
		.n = 100,
		.replicate = variant->acks == MQ_ACKS_ALL,
	};
	struct mq_queue_stats st;
	struct timespec ts;
	pthread_t t;
	long i;

	ps.fd = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, ps.fd);
	ASSERT_EQ(0, mqt_persist_attach(ps.fd));
	ASSERT_EQ(0, pthread_create(&t, NULL, persister_thread, &ps));
	for (i = 0; i < ps.n; i++)
		ASSERT_EQ(MSG_LEN, write_msg(self->w, i)) TH_LOG("message %ld", i);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += MQT_WAIT_MS / 1000;
	ASSERT_EQ(0, pthread_timedjoin_np(t, NULL, &ts));
	EXPECT_EQ(0, ps.err);

	st = stats(self->cfg.name);
	EXPECT_EQ(100, st.next_offset);
	EXPECT_EQ(100, st.msgs_in);
	EXPECT_EQ(100, st.durable_offset);
	EXPECT_EQ(variant->acks == MQ_ACKS_ALL ? 100 : 0, st.replicated_offset);
	EXPECT_EQ(1, st.persister);
	close(ps.fd);
}

/* ---- the full policies keep what is not durable --------------------------- */

FIXTURE(full) {
	struct mq_topic_config cfg;
	bool made;
	int w, p;
	pid_t child;
};

FIXTURE_VARIANT(full) {
	uint32_t policy;
};

FIXTURE_VARIANT_ADD(full, drop) { .policy = MQ_FULL_DROP };
FIXTURE_VARIANT_ADD(full, block) { .policy = MQ_FULL_BLOCK };

FIXTURE_SETUP(full)
{
	self->w = self->p = -1;
	mqt_topic_init(&self->cfg, "full");
	mqt_set_ring(&self->cfg, MQ_RING_SIZE_MIN, 0);
	mqt_set_policy(&self->cfg, variant->policy);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
}

FIXTURE_TEARDOWN(full)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	close(self->w);
	close(self->p);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
}

/*
 * acks 0, a persister that reads everything and reports nothing: the
 * ring fills (no drop, under either policy), producers wait (EAGAIN
 * without waiting), and each report lets them on.  Once the persister
 * is gone, the policy alone decides again.
 */
TEST_F(full, persister_holds_the_ring)
{
	const long cap = MQ_RING_SIZE_MIN / mqt_record_size(MSG_LEN);
	struct mq_queue_stats st;
	long n, i;

	self->p = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, self->p);
	ASSERT_EQ(0, mqt_persist_attach(self->p));

	n = fill(self->w, 0, 10 * cap);
	ASSERT_EQ(cap, n);
	/* It has read them all: no reader holds the ring, the persister does. */
	for (i = 0; i < n; i++)
		ASSERT_EQ(i, mqt_read_seq(self->p, MSG_LEN));
	ASSERT_EQ(0, mqt_set_nonblock(self->w, true));
	EXPECT_EQ(-EAGAIN, write_msg(self->w, n));
	ASSERT_EQ(0, mqt_set_nonblock(self->w, false));
	st = stats(self->cfg.name);
	EXPECT_EQ(0, st.first_offset);
	EXPECT_EQ(cap, st.next_offset);
	EXPECT_EQ(0, st.drops);

	/* A blocking producer waits for the report, and goes on after it. */
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(self->p);	/* the file stays open: the parent holds it */
		_exit(write_msg(self->w, n) == MSG_LEN ? 0 : 10);
	}
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	ASSERT_EQ(0, mqt_persist_report(self->p, 1, 0));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	st = stats(self->cfg.name);
	EXPECT_EQ(1, st.first_offset);
	EXPECT_EQ(cap + 1, st.next_offset);
	EXPECT_EQ(0, st.drops);

	/* A report of everything read frees the whole ring. */
	ASSERT_EQ(cap, mqt_read_seq(self->p, MSG_LEN));
	ASSERT_EQ(0, mqt_persist_report(self->p, cap + 1, 0));
	EXPECT_EQ(cap, fill(self->w, cap + 1, cap + 1));
	st = stats(self->cfg.name);
	EXPECT_EQ(cap + 1, st.first_offset);
	EXPECT_EQ(2 * cap + 1, st.next_offset);

	/* No persister, no acks: the records are not durable, and may go. */
	close(self->p);
	self->p = -1;
	EXPECT_EQ(-EOVERFLOW, fill(self->w, 2 * cap + 1, 2 * cap));
	st = stats(self->cfg.name);
	EXPECT_EQ(4 * cap + 1, st.next_offset);
	EXPECT_EQ(3 * cap + 1, st.first_offset);
}

/*
 * On a topic with acks, records whose writers were not acknowledged stay
 * even when their persister goes: a producer waiting for room they hold
 * then fails with ENOTCONN, appending nothing.
 */
TEST_F(full, acks_keep_records_without_persister)
{
	const long cap = MQ_RING_SIZE_MIN / mqt_record_size(MSG_LEN);
	struct mq_queue_stats st;
	long n, ret;

	/* A topic of its own: acks 1, a 1 ms ack timeout nobody meets. */
	EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
	mqt_topic_init(&self->cfg, "full-acks");
	mqt_set_ring(&self->cfg, MQ_RING_SIZE_MIN, 0);
	mqt_set_policy(&self->cfg, variant->policy);
	mqt_set_acks(&self->cfg, MQ_ACKS_LEADER, 1);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	close(self->w);
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
	self->p = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, self->p);
	ASSERT_EQ(0, mqt_persist_attach(self->p));

	ASSERT_EQ(0, mqt_set_nonblock(self->w, true));
	for (n = 0; n <= cap; n++) {
		ret = write_msg(self->w, n);
		if (ret != -ETIMEDOUT)
			break;
	}
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(cap, n);
	ASSERT_EQ(0, mqt_set_nonblock(self->w, false));
	st = stats(self->cfg.name);
	EXPECT_EQ(cap, st.next_offset);
	EXPECT_EQ(0, st.first_offset);

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(self->p);
		_exit(write_msg(self->w, n) == -ENOTCONN ? 0 : 10);
	}
	ASSERT_EQ(0, mqt_wait_blocked(self->child, SYS_write));
	close(self->p);
	self->p = -1;
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	st = stats(self->cfg.name);
	EXPECT_EQ(cap, st.next_offset);
	EXPECT_EQ(0, st.first_offset);
	EXPECT_EQ(0, st.drops);
}

TEST_HARNESS_MAIN
