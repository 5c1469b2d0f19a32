// SPDX-License-Identifier: GPL-2.0
/*
 * netlink_test: the generic netlink family "mq" validates every request as
 * uapi/linux/mq.h says, creates and deletes topics with their nodes,
 * reports them, announces them to "events", and leaves nothing behind.
 *
 * Well-formed requests go through libmq; malformed ones are built here
 * with libnl and read back from the raw socket, so that neither libmq nor
 * libnl can hide what the kernel answered.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <grp.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/mq.h>
#include "libmq.h"

#include "mq_caps.h"
#include "kselftest_harness.h"

#define OBJECTS_PATH	"/sys/kernel/debug/mq/objects"
#define PREFIX		"nlt-"	/* every topic this test makes */
#define NOBODY		65534

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* ---- a raw requester: what the kernel answered, nothing interpreted ---- */

struct answer {
	int err;		/* 0 or -errno from the ACK / NLMSG_DONE */
	int replies;		/* messages before it */
	char msg[256];		/* NLMSGERR_ATTR_MSG */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, or -1 */
	/* each reply's attributes, when set */
	void (*reply)(struct nlattr **tb, void *arg);
	void *arg;
};

struct raw {
	struct nl_sock *sk;
	int family;
};

static int raw_open(struct raw *raw)
{
	int one = 1;

	raw->sk = nl_socket_alloc();
	if (!raw->sk)
		return -ENOMEM;
	if (genl_connect(raw->sk) < 0)
		return -EIO;
	setsockopt(nl_socket_get_fd(raw->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(raw->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	raw->family = genl_ctrl_resolve(raw->sk, MQ_GENL_NAME);
	return raw->family < 0 ? -ENOENT : 0;
}

static void raw_close(struct raw *raw)
{
	if (raw->sk)
		nl_socket_free(raw->sk);
	raw->sk = NULL;
}

static struct nl_msg *raw_msg(const struct raw *raw, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, raw->family, 0,
				NLM_F_REQUEST | NLM_F_ACK | flags, cmd,
				MQ_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static void parse_tlvs(struct answer *a, const struct nlmsghdr *nlh, int off)
{
	struct nlattr *nla;
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - off, rem;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0)
		return;
	nla_for_each_attr(nla, (struct nlattr *)((char *)NLMSG_DATA(nlh) + off),
			  len, rem) {
		if (nla_type(nla) == NLMSGERR_ATTR_MSG && nla_len(nla) > 0)
			snprintf(a->msg, sizeof(a->msg), "%.*s", nla_len(nla),
				 (char *)nla_data(nla));
		if (nla_type(nla) == NLMSGERR_ATTR_MISS_TYPE &&
		    nla_len(nla) == 4)
			a->miss_type = (int)nla_get_u32(nla);
	}
}

/* Sends and frees @msg; fills @a; returns a->err, or -EIO if lost. */
static int raw_send(struct raw *raw, struct nl_msg *msg, struct answer *a)
{
	static char buf[65536];
	int fd = nl_socket_get_fd(raw->sk);
	uint32_t seq;
	ssize_t n;

	a->err = -EIO;
	a->replies = 0;
	a->msg[0] = '\0';
	a->miss_type = -1;
	if (nl_send_auto(raw->sk, msg) < 0) {
		nlmsg_free(msg);
		return -EIO;
	}
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);

	for (;;) {
		struct nlmsghdr *nlh;
		int len;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return a->err = -EIO;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				a->err = e->error;
				parse_tlvs(a, nlh, sizeof(*e));
				return a->err;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int status = *(int *)NLMSG_DATA(nlh);

				a->err = status < 0 ? status : 0;
				parse_tlvs(a, nlh, sizeof(int));
				return a->err;
			}
			a->replies++;
			if (a->reply) {
				struct nlattr *tb[MQ_A_MAX + 1];

				if (genlmsg_parse(nlh, 0, tb, MQ_A_MAX, NULL) == 0)
					a->reply(tb, a->arg);
			}
		}
	}
}

/* An attribute of @len bytes holding @val's low bytes (little-endian). */
static void put_sized(struct nl_msg *msg, int type, int len, uint64_t val)
{
	char data[8];

	memcpy(data, &val, sizeof(data));
	nla_put(msg, type, len, data);
}

/* ---- the device nodes and debugfs ---- */

static int node_stat(const char *topic, unsigned int queue, struct stat *st)
{
	char path[128];

	snprintf(path, sizeof(path), "/dev/mq/%s/%u", topic, queue);
	return stat(path, st) ? -errno : 0;
}

static bool topic_dir_exists(const char *topic)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/mq/%s", topic);
	return lstat(path, &st) == 0;
}

struct objects {
	int n;
	char kind[16][32];
	long count[16];
};

static int objects_read(struct objects *o)
{
	FILE *f = fopen(OBJECTS_PATH, "r");

	if (!f)
		return -errno;
	o->n = 0;
	while (o->n < 16 && fscanf(f, "%31s %ld", o->kind[o->n],
				   &o->count[o->n]) == 2)
		o->n++;
	fclose(f);
	return 0;
}

/* ---- topics through libmq ---- */

struct names {
	int n;
	char (*name)[MQ_NAME_MAX];
};

static int collect(const struct mq_topic_config *cfg, void *arg)
{
	struct names *names = arg;

	if (strncmp(cfg->name, PREFIX, strlen(PREFIX)))
		return 0;
	names->name = realloc(names->name, (names->n + 1) * sizeof(*names->name));
	if (!names->name)
		return -ENOMEM;
	memcpy(names->name[names->n++], cfg->name, MQ_NAME_MAX);
	return 0;
}

/*
 * Removes every topic a test (this one or one that crashed) left.  Names
 * are collected first: the handle cannot be used again inside its dump.
 */
static void cleanup_topics(struct mq_admin *admin)
{
	struct names names = { 0 };
	int i;

	if (mq_admin_topic_list(admin, collect, &names))
		return;
	for (i = 0; i < names.n; i++)
		mq_admin_topic_del(admin, names.name[i]);
	free(names.name);
}

static void config(struct mq_topic_config *cfg, const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
}

/* The largest max_msg_size whose record fits twice in @ring (the header). */
static uint32_t largest_msg(uint64_t ring)
{
	uint64_t m = ring / 2 - MQ_RECORD_HDR_SIZE;

	while (2 * MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + m) > ring)
		m--;
	return (uint32_t)m;
}

/* ---- the fixture ---- */

FIXTURE(nl) {
	struct raw raw;
	struct mq_admin *admin;
	struct answer a;
};

FIXTURE_SETUP(nl)
{
	memset(&self->a, 0, sizeof(self->a));
	ASSERT_EQ(0, raw_open(&self->raw)) TH_LOG("family \"%s\" not found: is mq.ko loaded?",
						  MQ_GENL_NAME);
	ASSERT_EQ(0, mq_admin_open(&self->admin));
	cleanup_topics(self->admin);
}

FIXTURE_TEARDOWN(nl)
{
	if (self->admin) {
		cleanup_topics(self->admin);
		mq_admin_close(self->admin);
	}
	raw_close(&self->raw);
}

/* TOPIC_NEW with @name and one attribute of @len bytes; -errno. */
static int new_with(struct raw *raw, struct answer *a, const char *name,
		    int type, int len, uint64_t val)
{
	struct nl_msg *msg = raw_msg(raw, MQ_CMD_TOPIC_NEW, 0);

	if (!msg)
		return -ENOMEM;
	if (name)
		nla_put_string(msg, MQ_A_TOPIC, name);
	if (type)
		put_sized(msg, type, len, val);
	return raw_send(raw, msg, a);
}

/* What the contract promises with EINVAL: a message or the missing type. */
#define EXPECT_EINVAL_WHY(a, what) do {						\
	EXPECT_EQ(-EINVAL, (a)->err) TH_LOG("%s: got %d (%s)", what,		\
					     (a)->err, strerror(-(a)->err));	\
	EXPECT_TRUE((a)->msg[0] || (a)->miss_type >= 0)			\
		TH_LOG("%s: EINVAL without an extended ack", what);		\
} while (0)

TEST_F(nl, new_defaults)
{
	const char *name = PREFIX "defaults";
	struct mq_topic_config cfg;
	struct stat st;

	config(&cfg, name);
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));
	ASSERT_EQ(0, mq_admin_topic_get(self->admin, name, &cfg));
	EXPECT_STREQ(name, cfg.name);
	EXPECT_EQ(MQ_TOPIC_SET_ALL, cfg.set);
	EXPECT_EQ(1, cfg.queues);
	EXPECT_EQ(MQ_RING_SIZE_DEFAULT, cfg.ring_size);
	EXPECT_EQ(MQ_MAX_MSG_SIZE_DEFAULT < largest_msg(MQ_RING_SIZE_DEFAULT) ?
		  MQ_MAX_MSG_SIZE_DEFAULT : largest_msg(MQ_RING_SIZE_DEFAULT),
		  cfg.max_msg_size);
	EXPECT_EQ(0600, cfg.mode);
	EXPECT_EQ(0, cfg.uid);
	EXPECT_EQ(0, cfg.gid);
	EXPECT_EQ(MQ_FULL_BLOCK, cfg.full_policy);
	EXPECT_EQ(MQ_ACKS_NONE, cfg.acks);
	EXPECT_EQ(MQ_ACK_TIMEOUT_MS_DEFAULT, cfg.ack_timeout_ms);

	ASSERT_EQ(0, node_stat(name, 0, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	EXPECT_EQ(-ENOENT, node_stat(name, 1, &st));

	ASSERT_EQ(0, mq_admin_topic_del(self->admin, name));
	EXPECT_EQ(-ENOENT, node_stat(name, 0, &st));
	EXPECT_FALSE(topic_dir_exists(name));
	EXPECT_EQ(-ENOENT, mq_admin_topic_get(self->admin, name, &cfg));
}

TEST_F(nl, new_every_attribute)
{
	const char *name = PREFIX "every";
	struct mq_topic_config cfg, got;
	struct stat st;
	unsigned int q;

	config(&cfg, name);
	cfg.set = MQ_TOPIC_SET_ALL;
	cfg.queues = 3;
	cfg.ring_size = 64 << 10;
	cfg.max_msg_size = 1000;
	cfg.mode = 0640;
	cfg.uid = NOBODY;
	cfg.gid = NOBODY - 1;
	cfg.full_policy = MQ_FULL_DROP;
	cfg.acks = MQ_ACKS_ALL;
	cfg.ack_timeout_ms = 1234;
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));
	ASSERT_EQ(0, mq_admin_topic_get(self->admin, name, &got));
	EXPECT_EQ(0, memcmp(&cfg, &got, sizeof(cfg)));

	for (q = 0; q < cfg.queues; q++) {
		ASSERT_EQ(0, node_stat(name, q, &st)) TH_LOG("queue %u", q);
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(cfg.mode, st.st_mode & 07777);
		EXPECT_EQ(cfg.uid, st.st_uid);
		EXPECT_EQ(cfg.gid, st.st_gid);
	}
	EXPECT_EQ(-ENOENT, node_stat(name, cfg.queues, &st));

	ASSERT_EQ(0, mq_admin_topic_del(self->admin, name));
	for (q = 0; q < cfg.queues; q++)
		EXPECT_EQ(-ENOENT, node_stat(name, q, &st)) TH_LOG("queue %u", q);
	EXPECT_FALSE(topic_dir_exists(name));
}

TEST_F(nl, default_max_msg_follows_a_small_ring)
{
	const char *name = PREFIX "small";
	struct mq_topic_config cfg;

	config(&cfg, name);
	cfg.set = MQ_TOPIC_SET_RING_SIZE;
	cfg.ring_size = MQ_RING_SIZE_MIN;
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));
	ASSERT_EQ(0, mq_admin_topic_get(self->admin, name, &cfg));
	EXPECT_EQ(MQ_RING_SIZE_MIN, cfg.ring_size);
	EXPECT_EQ(largest_msg(MQ_RING_SIZE_MIN), cfg.max_msg_size);
}

TEST_F(nl, missing_required_attributes)
{
	static const uint8_t cmds[] = { MQ_CMD_TOPIC_NEW, MQ_CMD_TOPIC_DEL,
					MQ_CMD_TOPIC_GET };
	struct nl_msg *msg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		char what[32];

		snprintf(what, sizeof(what), "cmd %u, no attribute", cmds[i]);
		msg = raw_msg(&self->raw, cmds[i], 0);
		ASSERT_NE(NULL, msg);
		raw_send(&self->raw, msg, &self->a);
		EXPECT_EINVAL_WHY(&self->a, what);

		/* Everything but the name is not enough either. */
		snprintf(what, sizeof(what), "cmd %u, no topic", cmds[i]);
		msg = raw_msg(&self->raw, cmds[i], 0);
		ASSERT_NE(NULL, msg);
		nla_put_u32(msg, MQ_A_QUEUES, 1);
		nla_put_u64(msg, MQ_A_RING_SIZE, MQ_RING_SIZE_MIN);
		raw_send(&self->raw, msg, &self->a);
		EXPECT_EINVAL_WHY(&self->a, what);
	}
}

/* Each attribute of TOPIC_NEW with the wrong size or form. */
static const struct bad_attr {
	const char *what;
	int type;
	int len;
	uint64_t val;
} wrong_types[] = {
	{ "queues as u8", MQ_A_QUEUES, 1, 1 },
	{ "queues as u16", MQ_A_QUEUES, 2, 1 },
	{ "queues as u64", MQ_A_QUEUES, 8, 1 },
	{ "ring size as u32", MQ_A_RING_SIZE, 4, MQ_RING_SIZE_MIN },
	{ "ring size as u8", MQ_A_RING_SIZE, 1, 0 },
	{ "max msg size as u8", MQ_A_MAX_MSG_SIZE, 1, 100 },
	{ "max msg size as u64", MQ_A_MAX_MSG_SIZE, 8, 100 },
	{ "mode as u16", MQ_A_MODE, 2, 0600 },
	{ "uid as u8", MQ_A_UID, 1, 0 },
	{ "gid as u64", MQ_A_GID, 8, 0 },
	{ "policy as u8", MQ_A_FULL_POLICY, 1, MQ_FULL_DROP },
	{ "acks as u8", MQ_A_ACKS, 1, MQ_ACKS_LEADER },
	{ "acks as u64", MQ_A_ACKS, 8, MQ_ACKS_LEADER },
	{ "ack timeout as u16", MQ_A_ACK_TIMEOUT_MS, 2, 100 },
	{ "ack timeout as u64", MQ_A_ACK_TIMEOUT_MS, 8, 100 },
	{ "empty queues", MQ_A_QUEUES, 0, 0 },
};

TEST_F(nl, wrong_typed_attributes)
{
	const char *name = PREFIX "typed";
	struct mq_topic_config cfg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(wrong_types); i++) {
		const struct bad_attr *b = &wrong_types[i];

		new_with(&self->raw, &self->a, name, b->type, b->len, b->val);
		EXPECT_EINVAL_WHY(&self->a, b->what);
		EXPECT_EQ(-ENOENT, mq_admin_topic_get(self->admin, name, &cfg))
			TH_LOG("%s: the topic was made", b->what);
	}
}

/* The name in forms that are not a NUL-terminated string, on each command. */
TEST_F(nl, topic_not_a_string)
{
	static const struct {
		uint8_t cmd;
		int flags;
	} cmds[] = {
		{ MQ_CMD_TOPIC_NEW, 0 },
		{ MQ_CMD_TOPIC_DEL, 0 },
		{ MQ_CMD_TOPIC_GET, 0 },
		{ MQ_CMD_QUEUE_GET, NLM_F_DUMP },
	};
	const char *name = PREFIX "str";
	char unterminated[MQ_NAME_MAX];
	struct mq_topic_config cfg;
	unsigned int i;

	/* It exists, so that DEL and GET would succeed with a proper name. */
	config(&cfg, name);
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));
	memset(unterminated, 'a', sizeof(unterminated));

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		struct nl_msg *msg;
		char what[64];

		snprintf(what, sizeof(what), "cmd %u: name without NUL",
			 cmds[i].cmd);
		msg = raw_msg(&self->raw, cmds[i].cmd, cmds[i].flags);
		ASSERT_NE(NULL, msg);
		nla_put(msg, MQ_A_TOPIC, (int)strlen(name), name);
		raw_send(&self->raw, msg, &self->a);
		EXPECT_EINVAL_WHY(&self->a, what);

		snprintf(what, sizeof(what), "cmd %u: %d bytes without NUL",
			 cmds[i].cmd, MQ_NAME_MAX);
		msg = raw_msg(&self->raw, cmds[i].cmd, cmds[i].flags);
		ASSERT_NE(NULL, msg);
		nla_put(msg, MQ_A_TOPIC, sizeof(unterminated), unterminated);
		raw_send(&self->raw, msg, &self->a);
		EXPECT_EINVAL_WHY(&self->a, what);

		snprintf(what, sizeof(what), "cmd %u: empty attribute",
			 cmds[i].cmd);
		msg = raw_msg(&self->raw, cmds[i].cmd, cmds[i].flags);
		ASSERT_NE(NULL, msg);
		nla_put(msg, MQ_A_TOPIC, 0, NULL);
		raw_send(&self->raw, msg, &self->a);
		EXPECT_EINVAL_WHY(&self->a, what);
	}
	/* None of it deleted the topic. */
	EXPECT_EQ(0, mq_admin_topic_get(self->admin, name, &cfg));
}

TEST_F(nl, unknown_attributes)
{
	static const struct {
		uint8_t cmd;
		int flags;
	} cmds[] = {
		{ MQ_CMD_TOPIC_NEW, 0 },
		{ MQ_CMD_TOPIC_DEL, 0 },
		{ MQ_CMD_TOPIC_GET, 0 },
		{ MQ_CMD_TOPIC_GET, NLM_F_DUMP },
		{ MQ_CMD_QUEUE_GET, NLM_F_DUMP },
	};
	static const int types[] = { MQ_A_MAX + 1, MQ_A_MAX + 100,
				     MQ_A_UNSPEC };
	const char *name = PREFIX "unknown";
	const char *fresh = PREFIX "unknown-new";
	struct mq_topic_config cfg;
	unsigned int i, t;

	config(&cfg, name);
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (t = 0; t < ARRAY_SIZE(types); t++) {
			struct nl_msg *msg;
			char what[64];

			snprintf(what, sizeof(what), "cmd %u%s, attribute %d",
				 cmds[i].cmd,
				 cmds[i].flags ? " dump" : "", types[t]);
			msg = raw_msg(&self->raw, cmds[i].cmd, cmds[i].flags);
			ASSERT_NE(NULL, msg);
			nla_put_string(msg, MQ_A_TOPIC,
				       cmds[i].cmd == MQ_CMD_TOPIC_NEW ? fresh : name);
			nla_put_u32(msg, types[t], 1);
			raw_send(&self->raw, msg, &self->a);
			EXPECT_EINVAL_WHY(&self->a, what);
			EXPECT_EQ(0, self->a.replies) TH_LOG("%s: replied", what);
		}
	}
	EXPECT_EQ(0, mq_admin_topic_get(self->admin, name, &cfg));
	EXPECT_EQ(-ENOENT, mq_admin_topic_get(self->admin, fresh, &cfg));
}

/* What only the kernel reports, and the padding, are refused in requests. */
TEST_F(nl, kernel_only_attributes)
{
	static const int types[] = {
		MQ_A_PAD, MQ_A_QUEUE, MQ_A_FIRST_OFFSET, MQ_A_NEXT_OFFSET,
		MQ_A_BYTES_IN, MQ_A_BYTES_OUT, MQ_A_MSGS_IN, MQ_A_MSGS_OUT,
		MQ_A_DROPS, MQ_A_READERS, MQ_A_WRITERS, MQ_A_DURABLE_OFFSET,
		MQ_A_REPLICATED_OFFSET, MQ_A_PERSISTER,
	};
	const char *name = PREFIX "reported";
	struct mq_topic_config cfg;
	unsigned int t;

	for (t = 0; t < ARRAY_SIZE(types); t++) {
		struct nl_msg *msg;
		char what[64];
		int len = types[t] == MQ_A_QUEUE || types[t] == MQ_A_READERS ||
			  types[t] == MQ_A_WRITERS ||
			  types[t] == MQ_A_PERSISTER ? 4 : 8;

		snprintf(what, sizeof(what), "TOPIC_NEW with attribute %d",
			 types[t]);
		new_with(&self->raw, &self->a, name, types[t], len, 0);
		EXPECT_EINVAL_WHY(&self->a, what);
		EXPECT_EQ(-ENOENT, mq_admin_topic_get(self->admin, name, &cfg))
			TH_LOG("%s: the topic was made", what);

		snprintf(what, sizeof(what), "QUEUE_GET with attribute %d",
			 types[t]);
		msg = raw_msg(&self->raw, MQ_CMD_QUEUE_GET, NLM_F_DUMP);
		ASSERT_NE(NULL, msg);
		put_sized(msg, types[t], len, 0);
		raw_send(&self->raw, msg, &self->a);
		EXPECT_EINVAL_WHY(&self->a, what);
	}
}

/* Topics are global: the family exists in the initial namespace only. */
TEST_F(nl, initial_netns_only)
{
	struct mq_admin *admin;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(2);
		_exit(mq_admin_open(&admin) == -ENOENT ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("%s", WEXITSTATUS(status) == 2 ? "unshare failed" :
		       "the family answered in a new network namespace");
}

TEST_F(nl, unknown_and_misdirected_commands)
{
	struct nl_msg *msg;

	msg = raw_msg(&self->raw, MQ_CMD_MAX + 1, 0);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(-EOPNOTSUPP, raw_send(&self->raw, msg, &self->a));
	msg = raw_msg(&self->raw, MQ_CMD_UNSPEC, 0);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(-EOPNOTSUPP, raw_send(&self->raw, msg, &self->a));
	/* QUEUE_GET is a dump only. */
	msg = raw_msg(&self->raw, MQ_CMD_QUEUE_GET, 0);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(-EOPNOTSUPP, raw_send(&self->raw, msg, &self->a));
}

static const char * const bad_names[] = {
	"", ".", "..", "control", "a/b", "/", "a b", " a", "a\tb", "a\nb",
	"a\\b", "a:b", "a*", "caf\xc3\xa9", "\xff", "caf\xe9", "a\x7f",
};

TEST_F(nl, bad_names)
{
	char longer[MQ_NAME_MAX + 1], huge[1000];
	struct mq_topic_config cfg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_names); i++) {
		char what[64];

		snprintf(what, sizeof(what), "name #%u \"%s\"", i, bad_names[i]);
		new_with(&self->raw, &self->a, bad_names[i], 0, 0, 0);
		EXPECT_EINVAL_WHY(&self->a, what);
		/* Outside PREFIX: the teardown would not find it. */
		if (!self->a.err)
			mq_admin_topic_del(self->admin, bad_names[i]);
		if (bad_names[i][0] && strcmp(bad_names[i], "control")) {
			/* ENOENT or EINVAL: either way, not made. */
			EXPECT_NE(0,
				  mq_admin_topic_get(self->admin, bad_names[i], &cfg))
				TH_LOG("%s was made", what);
		}
	}
	/* MQ_NAME_MAX bytes without the NUL is one too many, on every command. */
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	new_with(&self->raw, &self->a, longer, 0, 0, 0);
	EXPECT_EINVAL_WHY(&self->a, "MQ_NAME_MAX bytes");
	memset(huge, 'b', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	new_with(&self->raw, &self->a, huge, 0, 0, 0);
	EXPECT_EINVAL_WHY(&self->a, "999 bytes");
	for (i = 0; i < 2; i++) {
		struct nl_msg *msg;

		msg = raw_msg(&self->raw, i ? MQ_CMD_TOPIC_GET : MQ_CMD_TOPIC_DEL, 0);
		ASSERT_NE(NULL, msg);
		nla_put_string(msg, MQ_A_TOPIC, longer);
		raw_send(&self->raw, msg, &self->a);
		EXPECT_EINVAL_WHY(&self->a, i ? "GET, long name" : "DEL, long name");
	}
}

TEST_F(nl, good_names)
{
	static const char * const names[] = {
		"a", "Z", "0", "a.b", "a-b", "a_b", "...", ".a", "a..", "-a",
		"Control", "controls",
	};
	char longest[MQ_NAME_MAX];
	struct mq_topic_config cfg;
	struct stat st;
	unsigned int i;

	/* These are outside PREFIX: delete each at once. */
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		config(&cfg, names[i]);
		EXPECT_EQ(0, mq_admin_topic_add(self->admin, &cfg))
			TH_LOG("\"%s\": %s", names[i], mq_admin_error(self->admin));
		EXPECT_EQ(0, node_stat(names[i], 0, &st)) TH_LOG("\"%s\"", names[i]);
		EXPECT_EQ(0, mq_admin_topic_del(self->admin, names[i]))
			TH_LOG("\"%s\"", names[i]);
		EXPECT_FALSE(topic_dir_exists(names[i])) TH_LOG("\"%s\"", names[i]);
	}
	/* MQ_NAME_MAX - 1 bytes and the NUL: the longest name. */
	memcpy(longest, PREFIX, strlen(PREFIX));
	memset(longest + strlen(PREFIX), 'x', sizeof(longest) - 1 - strlen(PREFIX));
	longest[sizeof(longest) - 1] = '\0';
	config(&cfg, longest);
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));
	EXPECT_EQ(0, node_stat(longest, 0, &st));
	ASSERT_EQ(0, mq_admin_topic_get(self->admin, longest, &cfg));
	EXPECT_STREQ(longest, cfg.name);
}

/* Values of the right type out of the header's ranges. */
static const struct bad_attr out_of_range[] = {
	{ "queues 0", MQ_A_QUEUES, 4, 0 },
	{ "queues MQ_QUEUES_MAX + 1", MQ_A_QUEUES, 4, MQ_QUEUES_MAX + 1 },
	{ "queues U32_MAX", MQ_A_QUEUES, 4, UINT32_MAX },
	{ "ring size 0", MQ_A_RING_SIZE, 8, 0 },
	{ "ring size 1", MQ_A_RING_SIZE, 8, 1 },
	{ "ring size MIN / 2", MQ_A_RING_SIZE, 8, MQ_RING_SIZE_MIN / 2 },
	{ "ring size MIN - 1", MQ_A_RING_SIZE, 8, MQ_RING_SIZE_MIN - 1 },
	{ "ring size MIN + 1", MQ_A_RING_SIZE, 8, MQ_RING_SIZE_MIN + 1 },
	{ "ring size 3 * MIN", MQ_A_RING_SIZE, 8, 3 * MQ_RING_SIZE_MIN },
	{ "ring size MAX - MIN", MQ_A_RING_SIZE, 8,
	  MQ_RING_SIZE_MAX - MQ_RING_SIZE_MIN },
	{ "ring size MAX * 2", MQ_A_RING_SIZE, 8, MQ_RING_SIZE_MAX * 2 },
	{ "ring size 2^63", MQ_A_RING_SIZE, 8, 1ULL << 63 },
	{ "ring size U64_MAX", MQ_A_RING_SIZE, 8, UINT64_MAX },
	{ "max msg size 0", MQ_A_MAX_MSG_SIZE, 4, 0 },
	{ "max msg size U32_MAX", MQ_A_MAX_MSG_SIZE, 4, UINT32_MAX },
	{ "max msg size of the ring", MQ_A_MAX_MSG_SIZE, 4,
	  MQ_RING_SIZE_DEFAULT },
	{ "mode 0", MQ_A_MODE, 4, 0 },
	{ "mode 01000", MQ_A_MODE, 4, 01000 },
	{ "mode 04755", MQ_A_MODE, 4, 04755 },
	{ "mode U32_MAX", MQ_A_MODE, 4, UINT32_MAX },
	{ "policy __MQ_FULL_MAX", MQ_A_FULL_POLICY, 4, __MQ_FULL_MAX },
	{ "policy U32_MAX", MQ_A_FULL_POLICY, 4, UINT32_MAX },
	{ "acks __MQ_ACKS_MAX", MQ_A_ACKS, 4, __MQ_ACKS_MAX },
	{ "acks U32_MAX", MQ_A_ACKS, 4, UINT32_MAX },
	{ "ack timeout 0", MQ_A_ACK_TIMEOUT_MS, 4, 0 },
	{ "ack timeout MAX + 1", MQ_A_ACK_TIMEOUT_MS, 4,
	  MQ_ACK_TIMEOUT_MS_MAX + 1 },
	{ "ack timeout U32_MAX", MQ_A_ACK_TIMEOUT_MS, 4, UINT32_MAX },
};

TEST_F(nl, values_out_of_range)
{
	const char *name = PREFIX "range";
	struct mq_topic_config cfg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(out_of_range); i++) {
		const struct bad_attr *b = &out_of_range[i];

		new_with(&self->raw, &self->a, name, b->type, b->len, b->val);
		EXPECT_EINVAL_WHY(&self->a, b->what);
		EXPECT_EQ(-ENOENT, mq_admin_topic_get(self->admin, name, &cfg))
			TH_LOG("%s: the topic was made", b->what);
		mq_admin_topic_del(self->admin, name);
	}
}

/* The edges of each range are accepted, and the values kept. */
TEST_F(nl, values_at_the_edges)
{
	const char *name = PREFIX "edge";
	struct mq_topic_config cfg, got;
	struct stat st;
	unsigned int i;
	struct {
		uint32_t set, queues, max_msg, mode, policy;
		uint64_t ring;
		uint32_t acks, timeout;
	} edges[] = {
		{ MQ_TOPIC_SET_QUEUES | MQ_TOPIC_SET_RING_SIZE, MQ_QUEUES_MAX,
		  0, 0, 0, MQ_RING_SIZE_MIN, 0, 0 },
		{ MQ_TOPIC_SET_RING_SIZE | MQ_TOPIC_SET_MAX_MSG_SIZE, 0,
		  largest_msg(MQ_RING_SIZE_MIN), 0, 0, MQ_RING_SIZE_MIN, 0, 0 },
		{ MQ_TOPIC_SET_MAX_MSG_SIZE, 0,
		  largest_msg(MQ_RING_SIZE_DEFAULT), 0, 0, 0, 0, 0 },
		{ MQ_TOPIC_SET_MAX_MSG_SIZE, 0, 1, 0, 0, 0, 0, 0 },
		{ MQ_TOPIC_SET_MODE, 0, 0, 0777, 0, 0, 0, 0 },
		{ MQ_TOPIC_SET_MODE, 0, 0, 1, 0, 0, 0, 0 },
		{ MQ_TOPIC_SET_FULL_POLICY, 0, 0, 0, MQ_FULL_DROP, 0, 0, 0 },
		{ MQ_TOPIC_SET_RING_SIZE, 0, 0, 0, 0, MQ_RING_SIZE_MIN * 2, 0, 0 },
		{ MQ_TOPIC_SET_ACKS, 0, 0, 0, 0, 0, MQ_ACKS_ALL, 0 },
		{ MQ_TOPIC_SET_ACKS, 0, 0, 0, 0, 0, MQ_ACKS_LEADER, 0 },
		{ MQ_TOPIC_SET_ACK_TIMEOUT, 0, 0, 0, 0, 0, 0,
		  MQ_ACK_TIMEOUT_MS_MIN },
		{ MQ_TOPIC_SET_ACK_TIMEOUT, 0, 0, 0, 0, 0, 0,
		  MQ_ACK_TIMEOUT_MS_MAX },
	};

	for (i = 0; i < ARRAY_SIZE(edges); i++) {
		config(&cfg, name);
		cfg.set = edges[i].set;
		cfg.queues = edges[i].queues;
		cfg.ring_size = edges[i].ring;
		cfg.max_msg_size = edges[i].max_msg;
		cfg.mode = edges[i].mode;
		cfg.full_policy = edges[i].policy;
		cfg.acks = edges[i].acks;
		cfg.ack_timeout_ms = edges[i].timeout;
		ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg))
			TH_LOG("edge %u: %s", i, mq_admin_error(self->admin));
		ASSERT_EQ(0, mq_admin_topic_get(self->admin, name, &got));
		if (cfg.set & MQ_TOPIC_SET_QUEUES) {
			EXPECT_EQ(cfg.queues, got.queues);
			EXPECT_EQ(0, node_stat(name, cfg.queues - 1, &st));
			EXPECT_EQ(-ENOENT, node_stat(name, cfg.queues, &st));
		}
		if (cfg.set & MQ_TOPIC_SET_RING_SIZE)
			EXPECT_EQ(cfg.ring_size, got.ring_size);
		if (cfg.set & MQ_TOPIC_SET_MAX_MSG_SIZE)
			EXPECT_EQ(cfg.max_msg_size, got.max_msg_size);
		if (cfg.set & MQ_TOPIC_SET_MODE) {
			EXPECT_EQ(cfg.mode, got.mode);
			ASSERT_EQ(0, node_stat(name, 0, &st));
			EXPECT_EQ(cfg.mode, st.st_mode & 07777);
		}
		if (cfg.set & MQ_TOPIC_SET_FULL_POLICY)
			EXPECT_EQ(cfg.full_policy, got.full_policy);
		if (cfg.set & MQ_TOPIC_SET_ACKS)
			EXPECT_EQ(cfg.acks, got.acks);
		if (cfg.set & MQ_TOPIC_SET_ACK_TIMEOUT)
			EXPECT_EQ(cfg.ack_timeout_ms, got.ack_timeout_ms);
		ASSERT_EQ(0, mq_admin_topic_del(self->admin, name));
	}
	/* One byte more than the ring allows. */
	config(&cfg, name);
	cfg.set = MQ_TOPIC_SET_RING_SIZE | MQ_TOPIC_SET_MAX_MSG_SIZE;
	cfg.ring_size = MQ_RING_SIZE_MIN;
	cfg.max_msg_size = largest_msg(MQ_RING_SIZE_MIN) + 1;
	EXPECT_EQ(-EINVAL, mq_admin_topic_add(self->admin, &cfg));
	EXPECT_NE(NULL, mq_admin_error(self->admin));
	cfg.set = MQ_TOPIC_SET_MAX_MSG_SIZE;
	cfg.max_msg_size = largest_msg(MQ_RING_SIZE_DEFAULT) + 1;
	EXPECT_EQ(-EINVAL, mq_admin_topic_add(self->admin, &cfg));
	EXPECT_NE(NULL, mq_admin_error(self->admin));
}

TEST_F(nl, duplicate_and_missing)
{
	const char *name = PREFIX "dup";
	struct mq_topic_config cfg, got;

	config(&cfg, name);
	cfg.set = MQ_TOPIC_SET_QUEUES;
	cfg.queues = 2;
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));
	EXPECT_EQ(-EEXIST, mq_admin_topic_add(self->admin, &cfg));
	/* Other attributes do not make it another topic, nor change it. */
	cfg.queues = 5;
	EXPECT_EQ(-EEXIST, mq_admin_topic_add(self->admin, &cfg));
	ASSERT_EQ(0, mq_admin_topic_get(self->admin, name, &got));
	EXPECT_EQ(2, got.queues);

	ASSERT_EQ(0, mq_admin_topic_del(self->admin, name));
	EXPECT_EQ(-ENOENT, mq_admin_topic_del(self->admin, name));
	EXPECT_EQ(-ENOENT, mq_admin_topic_get(self->admin, name, &got));
	EXPECT_EQ(-ENOENT, mq_admin_topic_del(self->admin, PREFIX "never"));
	/* The name is free again. */
	EXPECT_EQ(0, mq_admin_topic_add(self->admin, &cfg));
}

/* ---- dumps ---- */

struct seen {
	int n;
	int count[4];
	struct mq_topic_config cfg[4];
	const char *names[4];
};

static int see_topic(const struct mq_topic_config *cfg, void *arg)
{
	struct seen *s = arg;
	int i;

	s->n++;
	for (i = 0; i < 4 && s->names[i]; i++) {
		if (!strcmp(cfg->name, s->names[i])) {
			s->count[i]++;
			s->cfg[i] = *cfg;
		}
	}
	return 0;
}

TEST_F(nl, topic_dump)
{
	struct seen s = { .names = { PREFIX "d0", PREFIX "d1", PREFIX "d2" } };
	struct mq_topic_config cfg;
	int i;

	for (i = 0; i < 3; i++) {
		config(&cfg, s.names[i]);
		cfg.set = MQ_TOPIC_SET_QUEUES | MQ_TOPIC_SET_MODE;
		cfg.queues = i + 1;
		cfg.mode = 0600 + i;
		ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));
	}
	ASSERT_EQ(0, mq_admin_topic_list(self->admin, see_topic, &s));
	EXPECT_LE(3, s.n);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(1, s.count[i]) TH_LOG("%s", s.names[i]);
		EXPECT_EQ(MQ_TOPIC_SET_ALL, s.cfg[i].set);
		EXPECT_EQ((uint32_t)i + 1, s.cfg[i].queues);
		EXPECT_EQ(0600U + i, s.cfg[i].mode);
		EXPECT_EQ(MQ_RING_SIZE_DEFAULT, s.cfg[i].ring_size);
	}
	/* A deleted topic leaves the dump; the others stay. */
	ASSERT_EQ(0, mq_admin_topic_del(self->admin, s.names[1]));
	memset(s.count, 0, sizeof(s.count));
	ASSERT_EQ(0, mq_admin_topic_list(self->admin, see_topic, &s));
	EXPECT_EQ(1, s.count[0]);
	EXPECT_EQ(0, s.count[1]);
	EXPECT_EQ(1, s.count[2]);
}

struct queues_seen {
	const char *topic;
	int n, mine;
	struct mq_queue_stats st[4];
};

static int see_queue(const struct mq_queue_stats *st, void *arg)
{
	struct queues_seen *q = arg;

	q->n++;
	if (!strcmp(st->topic, q->topic) && st->queue < 4) {
		q->st[st->queue] = *st;
		q->mine++;
	}
	return 0;
}

TEST_F(nl, queue_dump)
{
	struct queues_seen q = { .topic = PREFIX "q" };
	struct mq_topic_config cfg;
	char path[64];
	int fd[4], i;

	config(&cfg, PREFIX "q");
	cfg.set = MQ_TOPIC_SET_QUEUES;
	cfg.queues = 3;
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));
	config(&cfg, PREFIX "other");
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));

	/* Filtered: the topic's queues only, in order, untouched. */
	ASSERT_EQ(0, mq_admin_queue_list(self->admin, PREFIX "q", see_queue, &q));
	EXPECT_EQ(3, q.n);
	EXPECT_EQ(3, q.mine);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ((uint32_t)i, q.st[i].queue);
		EXPECT_EQ(0, q.st[i].first_offset);
		EXPECT_EQ(0, q.st[i].next_offset);
		EXPECT_EQ(0, q.st[i].bytes_in);
		EXPECT_EQ(0, q.st[i].msgs_in);
		EXPECT_EQ(0, q.st[i].drops);
		EXPECT_EQ(0, q.st[i].readers);
		EXPECT_EQ(0, q.st[i].writers);
		EXPECT_EQ(0, q.st[i].durable_offset);
		EXPECT_EQ(0, q.st[i].replicated_offset);
		EXPECT_EQ(0, q.st[i].persister);
	}

	/* Unfiltered: the other topic's queue too. */
	memset(&q, 0, sizeof(q));
	q.topic = PREFIX "other";
	ASSERT_EQ(0, mq_admin_queue_list(self->admin, NULL, see_queue, &q));
	EXPECT_LE(4, q.n);
	EXPECT_EQ(1, q.mine);

	/* Open files count by access mode; a write counts in. */
	snprintf(path, sizeof(path), "/dev/mq/%s/0", PREFIX "q");
	fd[0] = open(path, O_RDWR);
	snprintf(path, sizeof(path), "/dev/mq/%s/1", PREFIX "q");
	fd[1] = open(path, O_RDONLY);
	fd[2] = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "/dev/mq/%s/2", PREFIX "q");
	fd[3] = open(path, O_WRONLY);
	for (i = 0; i < 4; i++)
		ASSERT_LE(0, fd[i]) TH_LOG("open #%d: %s", i, strerror(errno));
	EXPECT_EQ(5, write(fd[3], "hello", 5));

	memset(&q, 0, sizeof(q));
	q.topic = PREFIX "q";
	ASSERT_EQ(0, mq_admin_queue_list(self->admin, PREFIX "q", see_queue, &q));
	EXPECT_EQ(1, q.st[0].readers);
	EXPECT_EQ(1, q.st[0].writers);
	EXPECT_EQ(2, q.st[1].readers);
	EXPECT_EQ(0, q.st[1].writers);
	EXPECT_EQ(0, q.st[2].readers);
	EXPECT_EQ(1, q.st[2].writers);
	EXPECT_EQ(1, q.st[2].next_offset);
	EXPECT_EQ(0, q.st[2].first_offset);
	EXPECT_EQ(1, q.st[2].msgs_in);
	EXPECT_EQ(5, q.st[2].bytes_in);
	EXPECT_EQ(0, q.st[2].msgs_out);
	EXPECT_EQ(0, q.st[1].msgs_in);
	for (i = 0; i < 4; i++)
		close(fd[i]);
}

/* TOPIC_NEW with @n queues starting at @off (@len bytes of them); -errno. */
static int new_at(struct raw *raw, struct answer *a, const char *name,
		  uint32_t n, const uint64_t *off, int len)
{
	struct nl_msg *msg = raw_msg(raw, MQ_CMD_TOPIC_NEW, 0);

	if (!msg)
		return -ENOMEM;
	nla_put_string(msg, MQ_A_TOPIC, name);
	nla_put_u32(msg, MQ_A_QUEUES, n);
	nla_put(msg, MQ_A_QUEUE_OFFSETS, len, off);
	return raw_send(raw, msg, a);
}

/* A recreated topic's queues go on where their logs end. */
TEST_F(nl, queue_offsets)
{
	const uint64_t off[3] = { 0, 1000, 1ULL << 40 };
	const uint64_t edge = MQ_OFFSET_LIMIT - 1;
	const uint64_t too_far[2] = { 5, MQ_OFFSET_LIMIT };
	struct queues_seen q = { .topic = PREFIX "at" };
	struct mq_topic_config cfg;
	char path[64], buf[8];
	int fd, i;

	/* One u64 per queue, no more, no less, each below 2^63. */
	new_at(&self->raw, &self->a, PREFIX "at", 3, off, 16);
	EXPECT_EINVAL_WHY(&self->a, "two offsets for three queues");
	new_at(&self->raw, &self->a, PREFIX "at", 2, off, 24);
	EXPECT_EINVAL_WHY(&self->a, "three offsets for two queues");
	new_at(&self->raw, &self->a, PREFIX "at", 2, too_far, 16);
	EXPECT_EINVAL_WHY(&self->a, "an offset of 2^63");
	new_at(&self->raw, &self->a, PREFIX "at", 1, off, 0);
	EXPECT_EINVAL_WHY(&self->a, "no offset");
	EXPECT_EQ(-ENOENT, mq_admin_topic_get(self->admin, PREFIX "at", &cfg));

	ASSERT_EQ(0, new_at(&self->raw, &self->a, PREFIX "at", 3, off, 24));
	ASSERT_EQ(0, mq_admin_queue_list(self->admin, PREFIX "at", see_queue, &q));
	ASSERT_EQ(3, q.n);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(off[i], q.st[i].first_offset);
		EXPECT_EQ(off[i], q.st[i].next_offset);
		/* Below it is the log's: durable, as the daemon reported. */
		EXPECT_EQ(off[i], q.st[i].durable_offset);
		EXPECT_EQ(off[i], q.st[i].replicated_offset);
	}

	/* The first message of queue 1 is 1000; of queue 2, 2^40. */
	for (i = 1; i < 3; i++) {
		snprintf(path, sizeof(path), "/dev/mq/%s/%d", PREFIX "at", i);
		fd = open(path, O_RDWR);
		ASSERT_LE(0, fd);
		EXPECT_EQ((off_t)off[i], lseek(fd, 0, SEEK_CUR));
		EXPECT_EQ(2, write(fd, "hi", 2));
		EXPECT_EQ(2, write(fd, "ho", 2));
		EXPECT_EQ(2, pread(fd, buf, sizeof(buf), off[i]));
		EXPECT_EQ(0, memcmp(buf, "hi", 2));
		EXPECT_EQ(2, read(fd, buf, sizeof(buf)));
		EXPECT_EQ(2, read(fd, buf, sizeof(buf)));
		EXPECT_EQ(0, memcmp(buf, "ho", 2));
		EXPECT_EQ((off_t)off[i] + 2, lseek(fd, 0, SEEK_END));
		/* Nothing below the base: ERANGE, as for records gone. */
		EXPECT_EQ(-1, lseek(fd, off[i] - 1, SEEK_SET));
		EXPECT_EQ(ERANGE, errno);
		close(fd);
	}

	/* The last offset allowed, through libmq. */
	config(&cfg, PREFIX "edge");
	ASSERT_EQ(0, mq_admin_topic_add_at(self->admin, &cfg, &edge, 1));
	memset(&q, 0, sizeof(q));
	q.topic = PREFIX "edge";
	ASSERT_EQ(0, mq_admin_queue_list(self->admin, PREFIX "edge", see_queue,
					 &q));
	EXPECT_EQ(edge, q.st[0].next_offset);
}

/* ---- permissions ---- */

struct unprivileged {
	int open;
	int new_err, del_err, get_err, get_queues;
	int dump_err, dump_seen, queue_err, queue_seen;
};

static int count_mine(const struct mq_topic_config *cfg, void *arg)
{
	int *n = arg;

	*n += !strcmp(cfg->name, PREFIX "perm");
	return 0;
}

static int count_queues(const struct mq_queue_stats *st, void *arg)
{
	int *n = arg;

	*n += !strcmp(st->topic, PREFIX "perm");
	return 0;
}

/* In a child without CAP_NET_ADMIN: what each command answers. */
static void run_unprivileged(bool as_nobody, struct unprivileged *u)
{
	struct mq_topic_config cfg;
	struct mq_admin *admin;

	if (as_nobody) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(2);
	} else if (mqt_drop_net_admin()) {
		_exit(2);
	}
	/* The socket is opened without the capability, as a user's would be. */
	u->open = mq_admin_open(&admin);
	if (u->open)
		_exit(3);
	config(&cfg, PREFIX "perm-new");
	u->new_err = mq_admin_topic_add(admin, &cfg);
	u->del_err = mq_admin_topic_del(admin, PREFIX "perm");
	u->get_err = mq_admin_topic_get(admin, PREFIX "perm", &cfg);
	u->get_queues = (int)cfg.queues;
	u->dump_err = mq_admin_topic_list(admin, count_mine, &u->dump_seen);
	u->queue_err = mq_admin_queue_list(admin, NULL, count_queues,
					   &u->queue_seen);
	mq_admin_close(admin);
	_exit(0);
}

TEST_F(nl, without_net_admin)
{
	struct mq_topic_config cfg;
	struct unprivileged *u;
	unsigned int pass;
	int status;
	pid_t pid;

	config(&cfg, PREFIX "perm");
	cfg.set = MQ_TOPIC_SET_QUEUES;
	cfg.queues = 2;
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));

	u = mmap(NULL, sizeof(*u), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, u);
	for (pass = 0; pass < 2; pass++) {
		bool nobody = pass == 1;

		memset(u, 0xff, sizeof(*u));
		u->dump_seen = u->queue_seen = 0;
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			run_unprivileged(nobody, u);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status))
			TH_LOG("%s: could not drop privileges or open the family",
			       nobody ? "nobody" : "root without CAP_NET_ADMIN");
		EXPECT_EQ(-EPERM, u->new_err) TH_LOG("nobody %d", nobody);
		EXPECT_EQ(-EPERM, u->del_err) TH_LOG("nobody %d", nobody);
		EXPECT_EQ(0, u->get_err) TH_LOG("nobody %d", nobody);
		EXPECT_EQ(2, u->get_queues) TH_LOG("nobody %d", nobody);
		EXPECT_EQ(0, u->dump_err) TH_LOG("nobody %d", nobody);
		EXPECT_EQ(1, u->dump_seen) TH_LOG("nobody %d", nobody);
		EXPECT_EQ(0, u->queue_err) TH_LOG("nobody %d", nobody);
		EXPECT_EQ(2, u->queue_seen) TH_LOG("nobody %d", nobody);
	}
	munmap(u, sizeof(*u));
	/* Nothing the children asked for happened. */
	EXPECT_EQ(0, mq_admin_topic_get(self->admin, PREFIX "perm", &cfg));
	EXPECT_EQ(-ENOENT, mq_admin_topic_get(self->admin, PREFIX "perm-new", &cfg));
}

/* ---- events ---- */

static int events_open(struct nl_sock **skp)
{
	struct timeval tv = { .tv_sec = 10 };
	struct nl_sock *sk;
	int grp;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (genl_connect(sk) < 0)
		goto err;
	grp = genl_ctrl_resolve_grp(sk, MQ_GENL_NAME, MQ_GENL_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(sk, grp) < 0)
		goto err;
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	*skp = sk;
	return 0;
err:
	nl_socket_free(sk);
	return -ENOENT;
}

/* The next event: its command, attributes copied into @buf; -errno. */
static int next_event(struct nl_sock *sk, int family, char *buf, size_t len,
		      struct nlattr **tb)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gnlh;
	ssize_t n;

	for (;;) {
		n = recv(nl_socket_get_fd(sk), buf, len, 0);
		if (n < 0)
			return -errno;
		if (!NLMSG_OK(nlh, (int)n))
			return -EPROTO;
		if (nlh->nlmsg_type == family)
			break;
	}
	gnlh = NLMSG_DATA(nlh);
	if (genlmsg_parse(nlh, 0, tb, MQ_A_MAX, NULL))
		return -EPROTO;
	return gnlh->cmd;
}

static bool has_u32(struct nlattr **tb, int type, uint32_t val)
{
	return tb[type] && nla_len(tb[type]) == 4 && nla_get_u32(tb[type]) == val;
}

static bool has_u64(struct nlattr **tb, int type, uint64_t val)
{
	return tb[type] && nla_len(tb[type]) == 8 && nla_get_u64(tb[type]) == val;
}

static bool has_name(struct nlattr **tb, const char *name)
{
	return tb[MQ_A_TOPIC] &&
	       nla_len(tb[MQ_A_TOPIC]) == (int)strlen(name) + 1 &&
	       !strcmp(nla_data(tb[MQ_A_TOPIC]), name);
}

TEST_F(nl, events)
{
	const char *name = PREFIX "ev";
	struct nlattr *tb[MQ_A_MAX + 1];
	struct mq_topic_config cfg;
	struct nl_sock *ev;
	char buf[8192];

	ASSERT_EQ(0, events_open(&ev))
		TH_LOG("no multicast group \"%s\"", MQ_GENL_MCGRP_EVENTS);

	config(&cfg, name);
	cfg.set = MQ_TOPIC_SET_ALL;
	cfg.queues = 2;
	cfg.ring_size = 2 * MQ_RING_SIZE_MIN;
	cfg.max_msg_size = 100;
	cfg.mode = 0604;
	cfg.uid = 1;
	cfg.gid = 2;
	cfg.full_policy = MQ_FULL_DROP;
	cfg.acks = MQ_ACKS_LEADER;
	cfg.ack_timeout_ms = 500;
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));
	ASSERT_EQ(MQ_CMD_TOPIC_NEW, next_event(ev, self->raw.family, buf,
					       sizeof(buf), tb));
	EXPECT_TRUE(has_name(tb, name));
	EXPECT_TRUE(has_u32(tb, MQ_A_QUEUES, 2));
	EXPECT_TRUE(has_u64(tb, MQ_A_RING_SIZE, 2 * MQ_RING_SIZE_MIN));
	EXPECT_TRUE(has_u32(tb, MQ_A_MAX_MSG_SIZE, 100));
	EXPECT_TRUE(has_u32(tb, MQ_A_MODE, 0604));
	EXPECT_TRUE(has_u32(tb, MQ_A_UID, 1));
	EXPECT_TRUE(has_u32(tb, MQ_A_GID, 2));
	EXPECT_TRUE(has_u32(tb, MQ_A_FULL_POLICY, MQ_FULL_DROP));
	EXPECT_TRUE(has_u32(tb, MQ_A_ACKS, MQ_ACKS_LEADER));
	EXPECT_TRUE(has_u32(tb, MQ_A_ACK_TIMEOUT_MS, 500));

	/* Failures announce nothing: the next event is the deletion. */
	EXPECT_EQ(-EEXIST, mq_admin_topic_add(self->admin, &cfg));
	EXPECT_EQ(-ENOENT, mq_admin_topic_del(self->admin, PREFIX "ev-none"));
	cfg.set = MQ_TOPIC_SET_RING_SIZE;
	cfg.ring_size = MQ_RING_SIZE_MIN + 1;
	snprintf(cfg.name, sizeof(cfg.name), "%s", PREFIX "ev-bad");
	EXPECT_EQ(-EINVAL, mq_admin_topic_add(self->admin, &cfg));

	ASSERT_EQ(0, mq_admin_topic_del(self->admin, name));
	ASSERT_EQ(MQ_CMD_TOPIC_DEL, next_event(ev, self->raw.family, buf,
					       sizeof(buf), tb));
	EXPECT_TRUE(has_name(tb, name));
	EXPECT_TRUE(has_u32(tb, MQ_A_QUEUES, 2));
	EXPECT_TRUE(has_u64(tb, MQ_A_RING_SIZE, 2 * MQ_RING_SIZE_MIN));
	EXPECT_TRUE(has_u32(tb, MQ_A_MAX_MSG_SIZE, 100));
	EXPECT_TRUE(has_u32(tb, MQ_A_MODE, 0604));
	EXPECT_TRUE(has_u32(tb, MQ_A_UID, 1));
	EXPECT_TRUE(has_u32(tb, MQ_A_GID, 2));
	EXPECT_TRUE(has_u32(tb, MQ_A_FULL_POLICY, MQ_FULL_DROP));
	EXPECT_TRUE(has_u32(tb, MQ_A_ACKS, MQ_ACKS_LEADER));
	EXPECT_TRUE(has_u32(tb, MQ_A_ACK_TIMEOUT_MS, 500));
	nl_socket_free(ev);
}

/* ---- libmq's versions ---- */

typedef int (*topic_get_fn)(struct mq_admin *admin, const char *name,
			    struct mq_topic_config *cfg);

/*
 * libmq.so.1 keeps mq_admin_topic_get@LIBMQ_1 for programs built when
 * struct mq_topic_config ended with full_policy: it fills that much, and
 * not one byte more; the default version fills everything.
 */
TEST_F(nl, libmq_1_topic_get_fills_the_old_struct)
{
	const size_t old = offsetof(struct mq_topic_config, acks);
	int (*open_so)(struct mq_admin **adminp);
	void (*close_so)(struct mq_admin *admin);
	const char *name = PREFIX "v1";
	unsigned char buf[sizeof(struct mq_topic_config)];
	struct mq_topic_config cfg, *got = (void *)buf;
	topic_get_fn get1, get3;
	struct mq_admin *admin;
	char path[4096];
	ssize_t len;
	size_t i;
	void *h;

	/* The library next to this test's tree: ../lib from its folder. */
	len = readlink("/proc/self/exe", path, sizeof(path) - 1);
	ASSERT_LT(0, len);
	path[len] = '\0';
	snprintf(path + strlen(dirname(path)), sizeof(path) - strlen(path),
		 "/../lib/libmq.so.1");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ASSERT_NE(NULL, h) TH_LOG("%s", dlerror());
	get1 = (topic_get_fn)dlvsym(h, "mq_admin_topic_get", "LIBMQ_1");
	get3 = (topic_get_fn)dlvsym(h, "mq_admin_topic_get", "LIBMQ_3");
	open_so = (int (*)(struct mq_admin **))dlsym(h, "mq_admin_open");
	close_so = (void (*)(struct mq_admin *))dlsym(h, "mq_admin_close");
	ASSERT_NE(NULL, get1);
	ASSERT_NE(NULL, get3);
	ASSERT_NE(NULL, open_so);
	ASSERT_NE(NULL, close_so);
	EXPECT_NE(get1, get3);
	ASSERT_EQ(0, open_so(&admin));

	config(&cfg, name);
	cfg.set = MQ_TOPIC_SET_QUEUES | MQ_TOPIC_SET_ACKS |
		  MQ_TOPIC_SET_ACK_TIMEOUT;
	cfg.queues = 2;
	cfg.acks = MQ_ACKS_ALL;
	cfg.ack_timeout_ms = 777;
	ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg));

	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, get1(admin, name, got));
	EXPECT_STREQ(name, got->name);
	EXPECT_EQ(MQ_TOPIC_SET_FULL_POLICY * 2 - 1, got->set);
	EXPECT_EQ(2, got->queues);
	EXPECT_EQ(MQ_FULL_BLOCK, got->full_policy);
	for (i = old; i < sizeof(buf); i++)
		EXPECT_EQ(0xa5, buf[i]) TH_LOG("byte %zu written", i);

	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, get3(admin, name, got));
	EXPECT_EQ(MQ_TOPIC_SET_ALL, got->set);
	EXPECT_EQ(2, got->queues);
	EXPECT_EQ(MQ_ACKS_ALL, got->acks);
	EXPECT_EQ(777, got->ack_timeout_ms);
	close_so(admin);
	dlclose(h);
}

/* ---- nothing left behind ---- */

#define MANY	1000

struct many {
	int n;
	unsigned char seen[MANY];
};

static int see_many(const struct mq_topic_config *cfg, void *arg)
{
	struct many *m = arg;
	unsigned int i;

	if (sscanf(cfg->name, PREFIX "many-%u", &i) == 1 && i < MANY) {
		m->seen[i]++;
		m->n++;
	}
	return 0;
}

static int see_many_queues(const struct mq_queue_stats *st, void *arg)
{
	int *n = arg;

	*n += !strncmp(st->topic, PREFIX "many-", strlen(PREFIX "many-"));
	return 0;
}

TEST_F_TIMEOUT(nl, thousand_topics, 300)
{
	struct objects before, after;
	struct mq_topic_config cfg;
	struct many m = { 0 };
	char name[MQ_NAME_MAX];
	int i, k, queues = 0, seen_queues = 0;

	ASSERT_EQ(0, objects_read(&before)) TH_LOG("%s unreadable", OBJECTS_PATH);
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), PREFIX "many-%d", i);
		config(&cfg, name);
		cfg.set = MQ_TOPIC_SET_RING_SIZE | MQ_TOPIC_SET_QUEUES;
		cfg.ring_size = MQ_RING_SIZE_MIN;
		cfg.queues = 1 + i % 3;
		queues += cfg.queues;
		ASSERT_EQ(0, mq_admin_topic_add(self->admin, &cfg))
			TH_LOG("topic %d: %s", i, mq_admin_error(self->admin));
	}
	/* The dump spans many messages: each topic once. */
	ASSERT_EQ(0, mq_admin_topic_list(self->admin, see_many, &m));
	EXPECT_EQ(MANY, m.n);
	for (i = 0; i < MANY; i++)
		EXPECT_EQ(1, m.seen[i]) TH_LOG("topic %d", i);
	ASSERT_EQ(0, mq_admin_queue_list(self->admin, NULL, see_many_queues,
					 &seen_queues));
	EXPECT_EQ(queues, seen_queues);

	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), PREFIX "many-%d", i);
		ASSERT_EQ(0, mq_admin_topic_del(self->admin, name)) TH_LOG("topic %d", i);
	}
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), PREFIX "many-%d", i);
		EXPECT_FALSE(topic_dir_exists(name)) TH_LOG("%s left", name);
	}
	memset(&m, 0, sizeof(m));
	ASSERT_EQ(0, mq_admin_topic_list(self->admin, see_many, &m));
	EXPECT_EQ(0, m.n);

	ASSERT_EQ(0, objects_read(&after));
	ASSERT_EQ(before.n, after.n);
	for (k = 0; k < before.n; k++) {
		EXPECT_STREQ(before.kind[k], after.kind[k]);
		EXPECT_EQ(before.count[k], after.count[k])
			TH_LOG("%s: %ld before, %ld after", before.kind[k],
			       before.count[k], after.count[k]);
	}
}

TEST_HARNESS_MAIN
