// SPDX-License-Identifier: GPL-2.0
/*
 * queue_delete_test: deleting a topic under open files wakes its sleepers
 * with ENODEV, fails every later call with ENODEV, and frees everything at
 * the last close; open/close and create/delete loops leak nothing; nodes
 * carry the mode, owner and group given at creation, and enforce them.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mq_util.h"
#include "kselftest_harness.h"

#define MSG_LEN		64
#define NOBODY		65534

FIXTURE(del) {
	struct mqt_objects base;	/* before the topic existed */
	struct mq_topic_config cfg;
	bool made;
	int w;		/* O_WRONLY */
	int r;		/* O_RDONLY, at offset 0 */
	int r2;		/* O_RDONLY | O_NONBLOCK */
	pid_t kids[3];
};

FIXTURE_SETUP(del)
{
	int err = mqt_objects_read(&self->base);

	ASSERT_EQ(0, err) TH_LOG("%s: %s", MQT_OBJECTS_PATH, strerror(-err));
	self->w = self->r = self->r2 = -1;
	mqt_topic_init(&self->cfg, "del");
	mqt_set_ring(&self->cfg, MQ_RING_SIZE_MIN, 0);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
	self->r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, self->r);
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w);
	self->r2 = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->r2);
}

FIXTURE_TEARDOWN(del)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	}
	if (self->w >= 0)
		close(self->w);
	if (self->r >= 0)
		close(self->r);
	if (self->r2 >= 0)
		close(self->r2);
	if (self->made)
		mqt_topic_del(self->cfg.name);
}

/* Delete @topic from a process of its own; its exit code is the errno. */
static pid_t delete_from_child(const char *topic)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(-mqt_topic_del(topic));
	return pid;
}

/* Every call on a file of a deleted topic fails with ENODEV. */
static void all_enodev(struct __test_metadata *_metadata, int fd, bool rd)
{
	char buf[MSG_LEN] = "x";
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	if (rd) {
		EXPECT_EQ(-ENODEV, mqt_read(fd, buf, sizeof(buf)));
		EXPECT_EQ(-ENODEV, mqt_pread(fd, buf, sizeof(buf), 0));
	} else {
		EXPECT_EQ(-ENODEV, mqt_write(fd, buf, 1));
		EXPECT_EQ(-ENODEV, mqt_write(fd, buf, MSG_LEN));
	}
	EXPECT_EQ(-ENODEV, mqt_seek(fd, 0, SEEK_SET));
	EXPECT_EQ(-ENODEV, mqt_seek(fd, 0, SEEK_END));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLERR | POLLHUP, p.revents & (POLLERR | POLLHUP));
}

TEST_F(del, sleepers_wake_with_enodev)
{
	char path[128], why[128];
	struct stat st;
	int ret;

	ASSERT_LT(0, mqt_fill(self->w, MSG_LEN, 10000));
	/* A writer asleep on the full ring (r lags at 0)... */
	self->kids[0] = fork();
	ASSERT_LE(0, self->kids[0]);
	if (self->kids[0] == 0) {
		char buf[MSG_LEN] = { 0 };

		_exit(mqt_write(self->w, buf, MSG_LEN) == -ENODEV ? 0 : 10);
	}
	/* ...and a reader asleep on an empty position. */
	self->kids[1] = fork();
	ASSERT_LE(0, self->kids[1]);
	if (self->kids[1] == 0) {
		char buf[MSG_LEN];

		if (mqt_seek(self->r, 0, SEEK_END) < 0)
			_exit(11);
		_exit(mqt_read(self->r, buf, sizeof(buf)) == -ENODEV ? 0 : 10);
	}
	ASSERT_EQ(0, mqt_wait_blocked(self->kids[0], SYS_write));
	ASSERT_EQ(0, mqt_wait_blocked(self->kids[1], SYS_read));

	self->kids[2] = delete_from_child(self->cfg.name);
	ASSERT_LE(0, self->kids[2]);
	EXPECT_EQ(0, mqt_child_code(self->kids[2]));
	self->kids[2] = 0;
	self->made = false;

	EXPECT_EQ(0, mqt_child_code(self->kids[0])) TH_LOG("the writer");
	self->kids[0] = 0;
	EXPECT_EQ(0, mqt_child_code(self->kids[1])) TH_LOG("the reader");
	self->kids[1] = 0;

	/* Every later call: ENODEV; poll: ERR|HUP. */
	all_enodev(_metadata, self->r, true);
	all_enodev(_metadata, self->r2, true);
	all_enodev(_metadata, self->w, false);

	/* The nodes are gone, and so is the topic. */
	mqt_queue_path(path, sizeof(path), self->cfg.name, 0);
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(ENOENT, errno);
	ret = mqt_open(self->cfg.name, 0, O_RDONLY);
	EXPECT_EQ(-ENOENT, ret);
	if (ret >= 0)
		close(ret);
	EXPECT_EQ(-ENOENT, mqt_topic_del(self->cfg.name));

	/* Close works, and the last one frees everything. */
	EXPECT_EQ(0, close(self->r));
	EXPECT_EQ(0, close(self->r2));
	EXPECT_EQ(0, close(self->w));
	self->r = self->r2 = self->w = -1;
	EXPECT_TRUE(mqt_objects_settle(&self->base, why, sizeof(why))) TH_LOG("%s", why);
}

/* The memory stays while one file is open, and goes with it. */
TEST_F(del, freed_at_the_last_close)
{
	struct mqt_objects now;
	char why[128] = "hello";

	ASSERT_EQ(5, mqt_write(self->w, why, 5));
	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	self->made = false;
	close(self->w);
	close(self->r);
	self->w = self->r = -1;

	/* r2 still holds the queue: the counters are not back yet. */
	ASSERT_EQ(0, mqt_objects_read(&now));
	EXPECT_FALSE(mqt_objects_same(&self->base, &now, why, sizeof(why)));
	EXPECT_EQ(-ENODEV, mqt_read(self->r2, why, sizeof(why)));

	close(self->r2);
	self->r2 = -1;
	EXPECT_TRUE(mqt_objects_settle(&self->base, why, sizeof(why))) TH_LOG("%s", why);
}

/* A name is free again once deleted, even with old files still open. */
TEST_F(del, same_name_again)
{
	char buf[MSG_LEN];
	int r, w;

	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	self->made = false;
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;

	r = mqt_open(self->cfg.name, 0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, r);
	w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, w);
	/* A new queue: offsets from 0 again. */
	EXPECT_EQ(0, mqt_pos(r));
	ASSERT_EQ(3, mqt_write(w, "new", 3));
	ASSERT_EQ(3, mqt_read(r, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp("new", buf, 3));

	/* The old files belong to the old topic and stay dead. */
	EXPECT_EQ(-ENODEV, mqt_write(self->w, "old", 3));
	EXPECT_EQ(-ENODEV, mqt_read(self->r2, buf, sizeof(buf)));
	EXPECT_EQ(1, mqt_next(w));
	close(r);
	close(w);
}

/* Thousands of opens and closes leave nothing behind. */
TEST_F_TIMEOUT(del, open_close_loop, 90)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR,
				     O_RDONLY | O_NONBLOCK };
	char why[128], c;
	int i, fd;

	/* No lagging reader, so that the loop's writes never wait. */
	close(self->r);
	close(self->r2);
	self->r = self->r2 = -1;
	for (i = 0; i < 4000; i++) {
		fd = mqt_open(self->cfg.name, 0, modes[i % 4]);
		ASSERT_LE(0, fd) TH_LOG("open %d: %s", i, strerror(-fd));
		if (i % 4 == 1) {
			c = (char)i;
			ASSERT_EQ(1, mqt_write(fd, &c, 1));
		}
		ASSERT_EQ(0, close(fd));
	}
	/* The topic's own file is still open: compare after deleting. */
	close(self->w);
	self->w = -1;
	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	self->made = false;
	EXPECT_TRUE(mqt_objects_settle(&self->base, why, sizeof(why))) TH_LOG("%s", why);
}

/* Topics made, used and deleted in a loop leave nothing behind either. */
TEST_F_TIMEOUT(del, create_delete_loop, 90)
{
	struct mq_topic_config cfg;
	char why[128], buf[8];
	int i, r, w;

	close(self->w);
	close(self->r);
	close(self->r2);
	self->w = self->r = self->r2 = -1;
	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	self->made = false;

	for (i = 0; i < 200; i++) {
		mqt_topic_init(&cfg, "delloop");
		mqt_set_queues(&cfg, 1 + i % 4);
		mqt_set_ring(&cfg, MQ_RING_SIZE_MIN << (i % 3), 0);
		ASSERT_EQ(0, mqt_topic_add(&cfg)) TH_LOG("topic %d", i);
		r = mqt_open(cfg.name, i % 4, O_RDONLY | O_NONBLOCK);
		w = mqt_open(cfg.name, i % 4, O_WRONLY);
		ASSERT_LE(0, r);
		ASSERT_LE(0, w);
		ASSERT_EQ(4, mqt_write(w, "ping", 4));
		ASSERT_EQ(4, mqt_read(r, buf, sizeof(buf)));
		/* Every other topic dies with its files still open. */
		if (i % 2) {
			close(r);
			close(w);
		}
		ASSERT_EQ(0, mqt_topic_del(cfg.name));
		if (!(i % 2)) {
			close(r);
			close(w);
		}
	}
	EXPECT_TRUE(mqt_objects_settle(&self->base, why, sizeof(why))) TH_LOG("%s", why);
}

/* ---- nodes: mode, owner, group, and what they allow ----------------- */

FIXTURE(perm) {
	struct mq_topic_config cfg;
	bool made;
};

FIXTURE_VARIANT(perm) {
	uint32_t mode, uid, gid;
	bool set;		/* else the defaults: 0600 root:root */
	/* What uid and gid NOBODY may open. */
	bool nobody_reads, nobody_writes;
};

FIXTURE_VARIANT_ADD(perm, defaults) {
	.mode = 0600, .uid = 0, .gid = 0,
};
FIXTURE_VARIANT_ADD(perm, world_readable) {
	.set = true, .mode = 0644, .uid = 0, .gid = 0,
	.nobody_reads = true,
};
FIXTURE_VARIANT_ADD(perm, group_writes) {
	.set = true, .mode = 0620, .uid = 0, .gid = NOBODY,
	.nobody_writes = true,
};
FIXTURE_VARIANT_ADD(perm, owner_reads) {
	.set = true, .mode = 0400, .uid = NOBODY, .gid = 0,
	.nobody_reads = true,
};
FIXTURE_VARIANT_ADD(perm, everyone) {
	.set = true, .mode = 0666, .uid = 1000, .gid = 1000,
	.nobody_reads = true, .nobody_writes = true,
};

FIXTURE_SETUP(perm)
{
	mqt_topic_init(&self->cfg, "perm");
	mqt_set_queues(&self->cfg, 3);
	if (variant->set)
		mqt_set_owner(&self->cfg, variant->mode, variant->uid, variant->gid);
	ASSERT_EQ(0, mqt_topic_add(&self->cfg));
	self->made = true;
}

FIXTURE_TEARDOWN(perm)
{
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
}

TEST_F(perm, nodes_as_given)
{
	struct mq_topic_config got;
	char path[128];
	struct stat st;
	int q;

	for (q = 0; q < 3; q++) {
		mqt_queue_path(path, sizeof(path), self->cfg.name, q);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(variant->mode, st.st_mode & 07777) TH_LOG("%s", path);
		EXPECT_EQ(variant->uid, st.st_uid);
		EXPECT_EQ(variant->gid, st.st_gid);
	}
	ASSERT_EQ(0, mqt_topic_get(self->cfg.name, &got));
	EXPECT_EQ(variant->mode, got.mode);
	EXPECT_EQ(variant->uid, got.uid);
	EXPECT_EQ(variant->gid, got.gid);
}

/* In a child as uid and gid NOBODY: which opens are allowed. */
static int open_as_nobody(const char *topic)
{
	int fd, code = 0;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return 100;
	fd = mqt_open(topic, 1, O_RDONLY);
	code |= fd >= 0 ? 1 : fd == -EACCES ? 0 : 64;
	if (fd >= 0)
		close(fd);
	fd = mqt_open(topic, 1, O_WRONLY);
	code |= fd >= 0 ? 2 : fd == -EACCES ? 0 : 64;
	if (fd >= 0) {
		/* Allowed to open for writing: writes work too. */
		if (mqt_write(fd, "n", 1) != 1)
			code |= 32;
		close(fd);
	}
	fd = mqt_open(topic, 1, O_RDWR);
	code |= fd >= 0 ? 4 : fd == -EACCES ? 0 : 64;
	if (fd >= 0)
		close(fd);
	return code;
}

TEST_F(perm, enforced_for_nobody)
{
	int want = (variant->nobody_reads ? 1 : 0) |
		   (variant->nobody_writes ? 2 : 0) |
		   (variant->nobody_reads && variant->nobody_writes ? 4 : 0);
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(open_as_nobody(self->cfg.name));
	/* Bits: 1 read, 2 write, 4 read-write opened; 64 an errno not EACCES. */
	EXPECT_EQ(want, mqt_child_code(pid));
}

TEST_HARNESS_MAIN
