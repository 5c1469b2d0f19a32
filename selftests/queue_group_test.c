// SPDX-License-Identifier: GPL-2.0
/*
 * queue_group_test: consumer groups.  Each group sees every message; the
 * members of one group share them, each message to one member; what a
 * member got and did not commit goes to another member when it dies;
 * auto-commit members get at-most-once; commits, joins and the netlink
 * group commands refuse what is wrong with a clear errno; a group with
 * members holds MQ_FULL_BLOCK producers; commits are announced on the
 * "offsets" multicast group.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "mq_util.h"
#include "mq_caps.h"
#include "kselftest_harness.h"

#define MSG_LEN		32
#ifndef MANY
#define MANY		100000
#endif

FIXTURE(grp) {
	struct mq_topic_config cfg;
	struct mq_admin *admin;
	bool made;
	int w;
	pid_t kids[4];
};

static void topic_setup(struct __test_metadata *_metadata,
		      FIXTURE_DATA(grp) *self, uint64_t ring, uint32_t policy)
{
	mqt_topic_init(&self->cfg, "grp");
	mqt_set_queues(&self->cfg, 2);
	mqt_set_ring(&self->cfg, ring, 0);
	mqt_set_policy(&self->cfg, policy);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	ASSERT_EQ(0, mq_admin_open(&self->admin));
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
}

FIXTURE_SETUP(grp)
{
	self->w = -1;
}

FIXTURE_TEARDOWN(grp)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->kids); i++) {
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	}
	if (self->w >= 0)
		close(self->w);
	if (self->admin)
		mq_admin_close(self->admin);
	if (self->made)
		mqt_topic_del(self->cfg.name);
}

/* A reader of queue 0 in group @name, from the earliest offset. */
static int member(const char *topic, const char *name, uint32_t flags)
{
	int fd = mqt_open(topic, 0, O_RDONLY), ret;

	if (fd < 0)
		return fd;
	ret = mqt_group_join(fd, name, flags, MQ_GROUP_START_EARLIEST, 0);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

struct found {
	bool seen;
	struct mq_group_state st;
};

static int find_cb(const struct mq_group_state *st, void *arg)
{
	struct found *f = arg;

	if (strcmp(st->group, f->st.group) || st->queue != f->st.queue)
		return 0;
	f->seen = true;
	f->st = *st;
	return 0;
}

/* Group @group on queue @queue of @topic as netlink reports it. */
static int group_state(struct mq_admin *admin, const char *topic,
		       uint32_t queue, const char *group,
		       struct mq_group_state *st)
{
	struct found f = { 0 };
	int ret;

	snprintf(f.st.group, sizeof(f.st.group), "%s", group);
	f.st.queue = queue;
	ret = mq_admin_group_list(admin, topic, NULL, find_cb, &f);
	if (ret)
		return ret;
	if (!f.seen)
		return -ENOENT;
	*st = f.st;
	return 0;
}

static int count_cb(const struct mq_group_state *st, void *arg)
{
	(void)st;
	++*(int *)arg;
	return 0;
}

/* Waits until group @group on queue 0 has @n members: 0 or -ETIMEDOUT. */
static int wait_members(struct mq_admin *admin, const char *topic,
			const char *group, uint32_t n)
{
	long long end = mqt_now_ms() + MQT_WAIT_MS;
	struct mq_group_state st;

	while (mqt_now_ms() < end) {
		if (!group_state(admin, topic, 0, group, &st) && st.members == n)
			return 0;
		mqt_sleep_ms(10);
	}
	return -ETIMEDOUT;
}

/* ---- joining ---- */

TEST_F(grp, join_refuses_bad_requests)
{
	struct mq_group_join j;
	int r, fd;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT, MQ_FULL_BLOCK);
	r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, r);

#define BAD_JOIN(field, value, err) do {				\
		memset(&j, 0, sizeof(j));				\
		j.size = sizeof(j);					\
		strcpy(j.name, "g");					\
		field = value;						\
		EXPECT_EQ(-1, ioctl(r, MQ_IOC_GROUP_JOIN, &j));		\
		EXPECT_EQ(err, errno) TH_LOG("%s = %s", #field, #value); \
	} while (0)

	BAD_JOIN(j.size, sizeof(j) - 8, EINVAL);
	BAD_JOIN(j.size, 0, EINVAL);
	BAD_JOIN(j.flags, 1U << 31, EINVAL);
	BAD_JOIN(j.flags, ~MQ_GROUP_F_ALL, EINVAL);
	BAD_JOIN(j.reserved0, 1, EINVAL);
	BAD_JOIN(j.reserved[1], 1, EINVAL);
	BAD_JOIN(j.start, __MQ_GROUP_START_MAX, EINVAL);
	BAD_JOIN(j.offset, 1, EINVAL);		/* an offset without START_OFFSET */
	BAD_JOIN(j.name[0], 0, EINVAL);
	BAD_JOIN(j.name[0], '/', EINVAL);
	BAD_JOIN(j.name[0], '.', EINVAL);	/* "." */
	BAD_JOIN(j.name[0], (char)0xc3, EINVAL);
	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	memset(j.name, 'g', sizeof(j.name));	/* no NUL */
	EXPECT_EQ(-1, ioctl(r, MQ_IOC_GROUP_JOIN, &j));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EFAULT, ioctl(r, MQ_IOC_GROUP_JOIN, NULL) ? -errno : 0);
	EXPECT_EQ(-ENOTTY, ioctl(r, _IO(MQ_IOC_MAGIC, 0x7f)) ? -errno : 0);

	/* Offsets not in the queue. */
	ASSERT_EQ(0, mqt_produce(self->w, 0, 3, MSG_LEN));
	EXPECT_EQ(-ENXIO, mqt_group_join(r, "g", 0, MQ_GROUP_START_OFFSET, 4));
	/* Nothing above made a group. */
	EXPECT_EQ(-ENOENT, mq_admin_group_del(self->admin, self->cfg.name, 0, "g"));

	/* Only a reader joins; a file joins once. */
	EXPECT_EQ(-EBADF, mqt_group_join(self->w, "g", 0, MQ_GROUP_START_LATEST, 0));
	EXPECT_EQ(0, mqt_group_join(r, "g", 0, MQ_GROUP_START_OFFSET, 3));
	EXPECT_EQ(-EBUSY, mqt_group_join(r, "g", 0, MQ_GROUP_START_LATEST, 0));
	EXPECT_EQ(-EBUSY, mqt_group_join(r, "h", 0, MQ_GROUP_START_LATEST, 0));
	/* A member reads where its group is: no lseek but asking. */
	EXPECT_EQ(-EINVAL, mqt_seek(r, 0, SEEK_SET));
	EXPECT_EQ(-EINVAL, mqt_seek(r, 0, SEEK_END));
	fd = r;
	EXPECT_LE(0, mqt_seek(fd, 0, SEEK_CUR));
	close(r);
}

TEST_F(grp, start_positions)
{
	char buf[MSG_LEN];
	int e, l, o;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT, MQ_FULL_BLOCK);
	ASSERT_EQ(0, mqt_produce(self->w, 0, 10, MSG_LEN));
	e = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	l = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	o = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, e);
	ASSERT_LE(0, l);
	ASSERT_LE(0, o);
	ASSERT_EQ(0, mqt_group_join(e, "early", 0, MQ_GROUP_START_EARLIEST, 0));
	ASSERT_EQ(0, mqt_group_join(l, "late", 0, MQ_GROUP_START_LATEST, 0));
	ASSERT_EQ(0, mqt_group_join(o, "seven", 0, MQ_GROUP_START_OFFSET, 7));

	EXPECT_EQ(0, mqt_read_seq(e, sizeof(buf)));
	EXPECT_EQ(1, mqt_pos(e));	/* one past the offset it got */
	EXPECT_EQ(-EAGAIN, mqt_read(l, buf, sizeof(buf)));
	EXPECT_EQ(7, mqt_read_seq(o, sizeof(buf)));
	EXPECT_EQ(8, mqt_pos(o));
	ASSERT_EQ(0, mqt_produce(self->w, 10, 1, MSG_LEN));
	EXPECT_EQ(10, mqt_read_seq(l, sizeof(buf)));
	/* A second member ignores start: the group exists. */
	close(o);
	o = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_EQ(0, mqt_group_join(o, "seven", 0, MQ_GROUP_START_EARLIEST, 0));
	EXPECT_EQ(7, mqt_read_seq(o, sizeof(buf)));	/* redelivered: not committed */
	EXPECT_EQ(8, mqt_read_seq(o, sizeof(buf)));
	close(e);
	close(l);
	close(o);
}

/* ---- delivery ---- */

/* Shared between processes: which sequence numbers arrived, and how often. */
struct tally {
	_Atomic uint64_t got;
	_Atomic uint64_t dups;
	_Atomic uint64_t bad;
	_Atomic uint8_t seen[MANY];
};

/*
 * A member process: reads until the group's tally reaches @want, records
 * each sequence number, commits every 64 messages and whenever it finds
 * nothing to read, exits 0 or 1.
 */
static int consume(const char *topic, const char *group, struct tally *t,
		   uint64_t want, bool in_order)
{
	char buf[MSG_LEN];
	uint64_t n = 0, expect = 0;
	struct pollfd pfd;
	long long seq;
	int fd;

	fd = member(topic, group, 0);
	if (fd < 0)
		return 1;
	mqt_set_nonblock(fd, true);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (atomic_load(&t->got) < want) {
		seq = mqt_read_seq(fd, sizeof(buf));
		if (seq == -EAGAIN) {
			/*
			 * Idle: commit what we hold, or MQ_FULL_BLOCK keeps
			 * the producer waiting on it, and us on the producer.
			 */
			if (mqt_commit(fd, mqt_pos(fd)))
				return 1;
			poll(&pfd, 1, 100);
			continue;
		}
		if (seq < 0 || seq >= MANY || (in_order && (uint64_t)seq != expect)) {
			atomic_fetch_add(&t->bad, 1);
			return 1;
		}
		expect = seq + 1;
		if (atomic_exchange(&t->seen[seq], 1))
			atomic_fetch_add(&t->dups, 1);
		atomic_fetch_add(&t->got, 1);
		if (!(++n % 64) && mqt_commit(fd, mqt_pos(fd)))
			return 1;
	}
	if (mqt_commit(fd, mqt_pos(fd)))
		return 1;
	close(fd);
	return 0;
}

static pid_t spawn_consumer(const char *topic, const char *group,
			    struct tally *t, uint64_t want, bool in_order)
{
	pid_t pid = fork();

	if (!pid)
		_exit(consume(topic, group, t, want, in_order));
	return pid;
}

static int reap(pid_t *pid)
{
	int status;

	if (waitpid(*pid, &status, 0) != *pid)
		return -1;
	*pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/*
 * 100 000 messages: group "one" has a single member and gets every one in
 * order; group "three" has three members whose shares are disjoint and
 * together are everything.  Under MQ_FULL_BLOCK with a ring far smaller
 * than the stream, so the groups' commits are what lets the producer on.
 */
TEST_F_TIMEOUT(grp, two_groups_each_get_everything, 240)
{
	struct tally *one, *three;
	struct mq_group_state st;
	uint64_t i, missing = 0;
	int k;

	topic_setup(_metadata, self, 64 * 1024, MQ_FULL_BLOCK);
	one = mmap(NULL, sizeof(*one), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	three = mmap(NULL, sizeof(*three), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, one);
	ASSERT_NE(MAP_FAILED, three);

	/* The groups exist before the first message. */
	ASSERT_EQ(0, mq_admin_group_set(self->admin, self->cfg.name, 0, "one",
					MQ_GROUP_START_LATEST, 0));
	ASSERT_EQ(0, mq_admin_group_set(self->admin, self->cfg.name, 0, "three",
					MQ_GROUP_START_LATEST, 0));
	self->kids[0] = spawn_consumer(self->cfg.name, "one", one, MANY, true);
	for (k = 1; k < 4; k++)
		self->kids[k] = spawn_consumer(self->cfg.name, "three", three,
					       MANY, false);
	/* Memberless groups hold nothing: wait for the members to join. */
	ASSERT_EQ(0, wait_members(self->admin, self->cfg.name, "one", 1));
	ASSERT_EQ(0, wait_members(self->admin, self->cfg.name, "three", 3));
	/* The ring holds ~680 records, the stream 150 times that. */
	ASSERT_EQ(0, mqt_produce(self->w, 0, MANY, MSG_LEN));
	for (k = 0; k < 4; k++)
		EXPECT_EQ(0, reap(&self->kids[k])) TH_LOG("member %d failed", k);

	EXPECT_EQ(MANY, atomic_load(&one->got));
	EXPECT_EQ(MANY, atomic_load(&three->got));
	EXPECT_EQ(0, atomic_load(&one->dups));
	EXPECT_EQ(0, atomic_load(&three->dups));
	EXPECT_EQ(0, atomic_load(&one->bad));
	EXPECT_EQ(0, atomic_load(&three->bad));
	for (i = 0; i < MANY; i++)
		missing += !atomic_load(&three->seen[i]);
	EXPECT_EQ(0, missing);

	ASSERT_EQ(0, group_state(self->admin, self->cfg.name, 0, "three", &st));
	EXPECT_EQ(MANY, st.committed);
	EXPECT_EQ(MANY, st.delivered);
	EXPECT_EQ(0, st.pending);
	EXPECT_EQ(0, st.lag);
	EXPECT_EQ(0, st.members);
	munmap(one, sizeof(*one));
	munmap(three, sizeof(*three));
}

/* A member killed with messages it did not commit: another gets them. */
TEST_F(grp, killed_member_messages_are_redelivered)
{
	struct mq_group_state st;
	int sync[2], a, b, i;
	char buf[MSG_LEN], c;
	pid_t pid;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT, MQ_FULL_BLOCK);
	ASSERT_EQ(0, mqt_produce(self->w, 0, 20, MSG_LEN));
	ASSERT_EQ(0, pipe(sync));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Takes 0..9, commits 0..2, and hangs on to the rest. */
		int fd = member(self->cfg.name, "g", 0);

		for (i = 0; i < 10; i++)
			if (fd < 0 || mqt_read_seq(fd, sizeof(buf)) != i)
				_exit(1);
		if (mqt_commit(fd, 3))
			_exit(2);
		if (write(sync[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	self->kids[0] = pid;
	ASSERT_EQ(1, read(sync[0], &c, 1));

	b = member(self->cfg.name, "g", 0);
	ASSERT_LE(0, b);
	mqt_set_nonblock(b, true);
	/* The killed-to-be member holds 3..9; b gets what nobody holds. */
	EXPECT_EQ(10, mqt_read_seq(b, sizeof(buf)));
	ASSERT_EQ(0, group_state(self->admin, self->cfg.name, 0, "g", &st));
	EXPECT_EQ(3, st.committed);
	EXPECT_EQ(11, st.delivered);
	EXPECT_EQ(8, st.pending);
	EXPECT_EQ(20 - 3, st.lag);
	EXPECT_EQ(2, st.members);

	kill(pid, SIGKILL);
	EXPECT_EQ(128, reap(&self->kids[0]));
	/* 3..9 again, oldest first, then on from 11. */
	for (i = 3; i < 10; i++)
		EXPECT_EQ(i, mqt_read_seq(b, sizeof(buf)));
	for (i = 11; i < 20; i++)
		EXPECT_EQ(i, mqt_read_seq(b, sizeof(buf)));
	EXPECT_EQ(-EAGAIN, mqt_read(b, buf, sizeof(buf)));
	EXPECT_EQ(0, mqt_commit(b, 20));
	ASSERT_EQ(0, group_state(self->admin, self->cfg.name, 0, "g", &st));
	EXPECT_EQ(20, st.committed);
	EXPECT_EQ(0, st.pending);

	/* A member leaving after its commit leaves nothing to redeliver. */
	close(b);
	a = member(self->cfg.name, "g", 0);
	ASSERT_LE(0, a);
	mqt_set_nonblock(a, true);
	EXPECT_EQ(-EAGAIN, mqt_read(a, buf, sizeof(buf)));
	close(a);
	close(sync[0]);
	close(sync[1]);
}

TEST_F(grp, autocommit_is_at_most_once)
{
	struct mq_group_state st;
	char buf[MSG_LEN];
	int a, b, i;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT, MQ_FULL_BLOCK);
	ASSERT_EQ(0, mqt_produce(self->w, 0, 10, MSG_LEN));
	a = member(self->cfg.name, "auto", MQ_GROUP_F_AUTOCOMMIT);
	ASSERT_LE(0, a);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(i, mqt_read_seq(a, sizeof(buf)));
	ASSERT_EQ(0, group_state(self->admin, self->cfg.name, 0, "auto", &st));
	EXPECT_EQ(5, st.committed);
	EXPECT_EQ(0, st.pending);
	close(a);
	b = member(self->cfg.name, "auto", 0);
	ASSERT_LE(0, b);
	EXPECT_EQ(5, mqt_read_seq(b, sizeof(buf)));
	close(b);
}

TEST_F(grp, commit_refuses_bad_requests)
{
	struct mq_commit c;
	char buf[MSG_LEN];
	int r, m;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT, MQ_FULL_BLOCK);
	ASSERT_EQ(0, mqt_produce(self->w, 0, 10, MSG_LEN));
	r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, r);
	m = member(self->cfg.name, "g", 0);
	ASSERT_LE(0, m);

	/* Not a member of any group. */
	EXPECT_EQ(-EBADFD, mqt_commit(r, 0));
	EXPECT_EQ(-EBADFD, mqt_commit(self->w, 0));

#define BAD_COMMIT(field, value) do {					\
		memset(&c, 0, sizeof(c));				\
		c.size = sizeof(c);					\
		field = value;						\
		EXPECT_EQ(-1, ioctl(m, MQ_IOC_COMMIT, &c));		\
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s = %s", #field, #value); \
	} while (0)
	BAD_COMMIT(c.size, 16);
	BAD_COMMIT(c.flags, 1);
	BAD_COMMIT(c.reserved[0], 1);

	EXPECT_EQ(0, mqt_read_seq(m, sizeof(buf)));
	EXPECT_EQ(1, mqt_read_seq(m, sizeof(buf)));
	/* Past what the group delivered: nobody got it. */
	EXPECT_EQ(-ENXIO, mqt_commit(m, 3));
	EXPECT_EQ(0, mqt_commit(m, 2));
	EXPECT_EQ(0, mqt_commit(m, 2));		/* again: harmless */
	EXPECT_EQ(-EINVAL, mqt_commit(m, 1));	/* backwards */
	EXPECT_EQ(-EINVAL, mqt_commit(m, 0));
	close(m);
	close(r);
}

/* ---- retention and wakeups ---- */

TEST_F(grp, group_with_members_holds_block_producers)
{
	char buf[MSG_LEN];
	long n, i;
	int m, nb;

	topic_setup(_metadata, self, MQ_RING_SIZE_MIN, MQ_FULL_BLOCK);
	m = member(self->cfg.name, "g", 0);
	ASSERT_LE(0, m);
	nb = mqt_open(self->cfg.name, 0, O_WRONLY | O_NONBLOCK);
	ASSERT_LE(0, nb);
	n = mqt_fill(nb, sizeof(buf), 1000);
	ASSERT_LT(0, n);
	EXPECT_GT(1000, n);	/* the ring filled */
	EXPECT_EQ(-EAGAIN, mqt_write(nb, buf, sizeof(buf)));
	/* Read but not committed: still held. */
	for (i = 0; i < n; i++)
		ASSERT_LE(0, mqt_read(m, buf, sizeof(buf)));
	EXPECT_EQ(-EAGAIN, mqt_write(nb, buf, sizeof(buf)));
	EXPECT_EQ(0, mqt_commit(m, 5));
	EXPECT_EQ((long)sizeof(buf), mqt_write(nb, buf, sizeof(buf)));
	/* A memberless group holds nothing: 100 go in a ring of ~40 at once. */
	close(m);
	EXPECT_EQ(-EOVERFLOW, mqt_fill(nb, sizeof(buf), 100));
	close(nb);
}

TEST_F(grp, blocked_member_wakes_for_a_message_and_for_orphans)
{
	struct pollfd pfd;
	char buf[MSG_LEN];
	int a, b;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT, MQ_FULL_BLOCK);
	a = member(self->cfg.name, "g", 0);
	b = member(self->cfg.name, "g", 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	pfd.fd = b;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, mqt_produce(self->w, 0, 1, MSG_LEN));
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_EQ(0, mqt_read_seq(a, sizeof(buf)));
	/* a took it: nothing for b. */
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	close(a);
	/* a's uncommitted message is b's now. */
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_EQ(0, mqt_read_seq(b, sizeof(buf)));
	close(b);
}

TEST_F(grp, member_of_deleted_topic_gets_enodev)
{
	char buf[MSG_LEN];
	int m;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT, MQ_FULL_BLOCK);
	m = member(self->cfg.name, "g", 0);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	self->made = false;
	EXPECT_EQ(-ENODEV, mqt_read(m, buf, sizeof(buf)));
	EXPECT_EQ(-ENODEV, mqt_commit(m, 0));
	close(m);
}

/* ---- netlink ---- */

TEST_F(grp, admin_set_and_delete)
{
	struct mq_group_state st;
	char buf[MSG_LEN];
	const char *t;
	int m;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT, MQ_FULL_BLOCK);
	t = self->cfg.name;
	ASSERT_EQ(0, mqt_produce(self->w, 0, 10, MSG_LEN));

	/* Restore: creates the group at an offset. */
	ASSERT_EQ(0, mq_admin_group_set(self->admin, t, 1, "g",
					MQ_GROUP_START_OFFSET, 0));
	ASSERT_EQ(0, mq_admin_group_set(self->admin, t, 0, "g",
					MQ_GROUP_START_OFFSET, 4));
	ASSERT_EQ(0, group_state(self->admin, t, 0, "g", &st));
	EXPECT_EQ(4, st.committed);
	EXPECT_EQ(6, st.lag);
	ASSERT_EQ(0, group_state(self->admin, t, 1, "g", &st));
	EXPECT_EQ(0, st.committed);

	m = member(t, "g", 0);
	ASSERT_LE(0, m);
	EXPECT_EQ(4, mqt_read_seq(m, sizeof(buf)));
	/* Not while it has members. */
	EXPECT_EQ(-EBUSY, mq_admin_group_set(self->admin, t, 0, "g",
					     MQ_GROUP_START_EARLIEST, 0));
	EXPECT_NE(NULL, mq_admin_error(self->admin));
	EXPECT_EQ(-EBUSY, mq_admin_group_del(self->admin, t, 0, "g"));
	close(m);

	/* Reset: earliest, latest, an offset; out of range refused. */
	EXPECT_EQ(0, mq_admin_group_set(self->admin, t, 0, "g",
					MQ_GROUP_START_EARLIEST, 0));
	ASSERT_EQ(0, group_state(self->admin, t, 0, "g", &st));
	EXPECT_EQ(0, st.committed);
	EXPECT_EQ(0, st.pending);
	EXPECT_EQ(0, mq_admin_group_set(self->admin, t, 0, "g",
					MQ_GROUP_START_LATEST, 0));
	ASSERT_EQ(0, group_state(self->admin, t, 0, "g", &st));
	EXPECT_EQ(10, st.committed);
	EXPECT_EQ(0, st.lag);
	EXPECT_EQ(-ENXIO, mq_admin_group_set(self->admin, t, 0, "g",
					     MQ_GROUP_START_OFFSET, 11));
	EXPECT_EQ(-EINVAL, mq_admin_group_set(self->admin, t, 2, "g",
					      MQ_GROUP_START_LATEST, 0));
	EXPECT_EQ(-ENOENT, mq_admin_group_set(self->admin, "no-such-topic", 0,
					      "g", MQ_GROUP_START_LATEST, 0));
	EXPECT_EQ(-EINVAL, mq_admin_group_set(self->admin, t, 0, "..",
					      MQ_GROUP_START_LATEST, 0));
	EXPECT_EQ(-EINVAL, mq_admin_group_set(self->admin, t, 0, "a b",
					      MQ_GROUP_START_LATEST, 0));

	m = member(t, "g", 0);
	ASSERT_LE(0, m);
	mqt_set_nonblock(m, true);
	EXPECT_EQ(-EAGAIN, mqt_read(m, buf, sizeof(buf)));
	close(m);

	EXPECT_EQ(0, mq_admin_group_del(self->admin, t, 0, "g"));
	EXPECT_EQ(-ENOENT, group_state(self->admin, t, 0, "g", &st));
	EXPECT_EQ(-ENOENT, mq_admin_group_del(self->admin, t, 0, "g"));
	EXPECT_EQ(0, mq_admin_group_del(self->admin, t, 1, "g"));
	EXPECT_EQ(-ENOENT, mq_admin_group_list(self->admin, "no-such-topic",
					       NULL, count_cb, &m));
}

/* Without CAP_NET_ADMIN: listing works, setting and deleting do not. */
/* The daemon restores a committed offset the ring no longer holds. */
TEST_F(grp, restore_below_the_ring)
{
	struct mq_group_seek sk = {
		.size = sizeof(sk), .start = MQ_GROUP_START_RESTORE, .offset = 2,
	};
	struct mq_group_state st;
	struct mq_queue_stats qs;
	uint64_t first;
	int r, h;

	topic_setup(_metadata, self, 4096, MQ_FULL_BLOCK);
	/* Nobody reads: the ring keeps only the newest. */
	ASSERT_EQ(0, mqt_produce(self->w, 0, 100, MSG_LEN));
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &qs));
	first = qs.first_offset;
	ASSERT_LT(10, first);

	/* An offset is still an offset: ERANGE for a reset, not a restore. */
	EXPECT_EQ(-ERANGE, mq_admin_group_set(self->admin, self->cfg.name, 0,
					      "g", MQ_GROUP_START_OFFSET, 5));
	EXPECT_EQ(-ENXIO, mq_admin_group_set(self->admin, self->cfg.name, 0,
					     "g", MQ_GROUP_START_RESTORE, 101));
	EXPECT_EQ(-EINVAL, mq_admin_group_set(self->admin, self->cfg.name, 0,
					      "g", MQ_GROUP_START_LATEST, 5));
	ASSERT_EQ(0, mq_admin_group_set(self->admin, self->cfg.name, 0, "g",
					MQ_GROUP_START_RESTORE, 5));
	ASSERT_EQ(0, group_state(self->admin, self->cfg.name, 0, "g", &st));
	EXPECT_EQ(5, st.committed);
	EXPECT_EQ(5, st.delivered);
	EXPECT_EQ(95, st.lag);

	/* A member reading the ring goes on from what it holds. */
	r = member(self->cfg.name, "g", 0);
	ASSERT_LE(0, r);
	EXPECT_EQ((long long)first, mqt_read_seq(r, MSG_LEN));
	EXPECT_EQ(0, mqt_commit(r, first + 1));
	ASSERT_EQ(0, group_state(self->admin, self->cfg.name, 0, "g", &st));
	EXPECT_EQ(first + 1, st.committed);

	/* A new group may start so, and a sole member seek so. */
	h = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, h);
	EXPECT_EQ(0, mqt_group_join(h, "h", 0, MQ_GROUP_START_RESTORE, 3));
	ASSERT_EQ(0, group_state(self->admin, self->cfg.name, 0, "h", &st));
	EXPECT_EQ(3, st.committed);
	close(h);
	EXPECT_EQ(0, ioctl(r, MQ_IOC_GROUP_SEEK, &sk));
	ASSERT_EQ(0, group_state(self->admin, self->cfg.name, 0, "g", &st));
	EXPECT_EQ(2, st.committed);
	close(r);
}

TEST_F(grp, admin_needs_net_admin)
{
	int status;
	pid_t pid;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT, MQ_FULL_BLOCK);
	ASSERT_EQ(0, mq_admin_group_set(self->admin, self->cfg.name, 0, "g",
					MQ_GROUP_START_LATEST, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct mq_admin *a;
		int n = 0;

		if (mqt_drop_net_admin() || mq_admin_open(&a))
			_exit(10);
		if (mq_admin_group_set(a, self->cfg.name, 0, "g",
				       MQ_GROUP_START_EARLIEST, 0) != -EPERM)
			_exit(11);
		if (mq_admin_group_del(a, self->cfg.name, 0, "g") != -EPERM)
			_exit(12);
		if (mq_admin_group_list(a, self->cfg.name, NULL, count_cb, &n) ||
		    n != 1)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* ---- events ---- */

static int offsets_open(struct nl_sock **skp, int *family)
{
	struct timeval tv = { .tv_sec = 10 };
	struct nl_sock *sk;
	int grp;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (genl_connect(sk) < 0)
		goto err;
	*family = genl_ctrl_resolve(sk, MQ_GENL_NAME);
	grp = genl_ctrl_resolve_grp(sk, MQ_GENL_NAME, MQ_GENL_MCGRP_OFFSETS);
	if (*family < 0 || grp < 0 || nl_socket_add_membership(sk, grp) < 0)
		goto err;
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	*skp = sk;
	return 0;
err:
	nl_socket_free(sk);
	return -ENOENT;
}

/* The next event about group @group: its command, its committed offset. */
static int next_group_event(struct nl_sock *sk, int family, const char *group,
			    uint64_t *committed)
{
	struct nlattr *tb[MQ_A_MAX + 1];
	struct nlmsghdr *nlh;
	char buf[8192];
	ssize_t n;

	for (;;) {
		n = recv(nl_socket_get_fd(sk), buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		nlh = (struct nlmsghdr *)buf;
		if (!NLMSG_OK(nlh, (int)n))
			return -EPROTO;
		if (nlh->nlmsg_type != family)
			continue;
		if (genlmsg_parse(nlh, 0, tb, MQ_A_MAX, NULL))
			return -EPROTO;
		if (!tb[MQ_A_GROUP] || strcmp(nla_data(tb[MQ_A_GROUP]), group))
			continue;
		*committed = tb[MQ_A_COMMITTED] ?
			     nla_get_u64(tb[MQ_A_COMMITTED]) : UINT64_MAX;
		return ((struct genlmsghdr *)NLMSG_DATA(nlh))->cmd;
	}
}

TEST_F(grp, commits_are_announced)
{
	char buf[MSG_LEN];
	struct nl_sock *ev;
	uint64_t off;
	int family, m;

	topic_setup(_metadata, self, MQ_RING_SIZE_DEFAULT, MQ_FULL_BLOCK);
	ASSERT_EQ(0, offsets_open(&ev, &family))
		TH_LOG("no multicast group \"%s\"", MQ_GENL_MCGRP_OFFSETS);
	ASSERT_EQ(0, mqt_produce(self->w, 0, 10, MSG_LEN));

	m = member(self->cfg.name, "ev", 0);
	ASSERT_LE(0, m);
	/* A new group is announced where it starts. */
	EXPECT_EQ(MQ_CMD_GROUP_COMMIT, next_group_event(ev, family, "ev", &off));
	EXPECT_EQ(0, off);
	EXPECT_EQ(0, mqt_read_seq(m, sizeof(buf)));
	EXPECT_EQ(1, mqt_read_seq(m, sizeof(buf)));
	EXPECT_EQ(2, mqt_read_seq(m, sizeof(buf)));
	EXPECT_EQ(0, mqt_commit(m, 3));
	EXPECT_EQ(MQ_CMD_GROUP_COMMIT, next_group_event(ev, family, "ev", &off));
	EXPECT_EQ(3, off);
	close(m);

	ASSERT_EQ(0, mq_admin_group_set(self->admin, self->cfg.name, 0, "ev",
					MQ_GROUP_START_OFFSET, 7));
	EXPECT_EQ(MQ_CMD_GROUP_COMMIT, next_group_event(ev, family, "ev", &off));
	EXPECT_EQ(7, off);
	ASSERT_EQ(0, mq_admin_group_del(self->admin, self->cfg.name, 0, "ev"));
	EXPECT_EQ(MQ_CMD_GROUP_DEL, next_group_event(ev, family, "ev", &off));
	nl_socket_free(ev);
}

TEST_HARNESS_MAIN
