/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mq_util.h: helpers shared by the data-plane selftests: topics made and
 * deleted through libmq, queue nodes, queue statistics, the module's
 * live-object counters, self-verifying messages, and waiting for a task
 * to sleep in a given system call.
 *
 * Every helper returns 0 (or a count, or an fd) on success and a negative
 * errno on failure, like libmq; none asserts, so that child processes and
 * threads can use them too (an ASSERT_* longjmps into the test's own
 * stack, which only the test's main thread may do).
 */
#ifndef MQ_UTIL_H
#define MQ_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mq.h>
#include "libmq.h"

#define MQT_DEV_DIR		"/dev/mq"
#define MQT_OBJECTS_PATH	"/sys/kernel/debug/mq/objects"

/*
 * The longest a test waits for something that must happen (a task going
 * to sleep, a child exiting, a counter settling).  It only keeps a broken
 * kernel from hanging the run: it is far above what any wait takes even
 * in an emulated guest, and nothing is concluded from how long it took.
 */
#define MQT_WAIT_MS		20000

static inline void mqt_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline long long mqt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- topics ------------------------------------------------------------ */

/*
 * A fresh config named "<tag>.<pid>.<n>": unique across the tests of a
 * run (the harness forks each test) and within one test.  The name is all
 * the config sets; mqt_topic_add() sends only what mqt_set*() set.
 */
static inline void mqt_topic_init(struct mq_topic_config *cfg, const char *tag)
{
	static unsigned int n;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%.32s.%d.%u", tag,
		 (int)getpid(), n++);
}

static inline void mqt_set_queues(struct mq_topic_config *cfg, uint32_t queues)
{
	cfg->queues = queues;
	cfg->set |= MQ_TOPIC_SET_QUEUES;
}

static inline void mqt_set_ring(struct mq_topic_config *cfg, uint64_t ring_size,
				uint32_t max_msg_size)
{
	cfg->ring_size = ring_size;
	cfg->set |= MQ_TOPIC_SET_RING_SIZE;
	if (max_msg_size) {
		cfg->max_msg_size = max_msg_size;
		cfg->set |= MQ_TOPIC_SET_MAX_MSG_SIZE;
	}
}

static inline void mqt_set_policy(struct mq_topic_config *cfg, uint32_t policy)
{
	cfg->full_policy = policy;
	cfg->set |= MQ_TOPIC_SET_FULL_POLICY;
}

/* acks (enum mq_acks), and the ack timeout unless @timeout_ms is 0. */
static inline void mqt_set_acks(struct mq_topic_config *cfg, uint32_t acks,
				uint32_t timeout_ms)
{
	cfg->acks = acks;
	cfg->set |= MQ_TOPIC_SET_ACKS;
	if (timeout_ms) {
		cfg->ack_timeout_ms = timeout_ms;
		cfg->set |= MQ_TOPIC_SET_ACK_TIMEOUT;
	}
}

static inline void mqt_set_owner(struct mq_topic_config *cfg, uint32_t mode,
				 uint32_t uid, uint32_t gid)
{
	cfg->mode = mode;
	cfg->uid = uid;
	cfg->gid = gid;
	cfg->set |= MQ_TOPIC_SET_MODE | MQ_TOPIC_SET_UID | MQ_TOPIC_SET_GID;
}

/* Create the topic @cfg describes, on a handle of its own. */
static inline int mqt_topic_add(const struct mq_topic_config *cfg)
{
	struct mq_admin *admin;
	int ret;

	ret = mq_admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_topic_add(admin, cfg);
	if (ret && mq_admin_error(admin))
		fprintf(stderr, "# topic_add %s: %s\n", cfg->name,
			mq_admin_error(admin));
	mq_admin_close(admin);
	return ret;
}

static inline int mqt_topic_del(const char *name)
{
	struct mq_admin *admin;
	int ret;

	ret = mq_admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_topic_del(admin, name);
	mq_admin_close(admin);
	return ret;
}

/* The kernel's view of a topic (every field set), as MQ_CMD_TOPIC_GET gives it. */
static inline int mqt_topic_get(const char *name, struct mq_topic_config *cfg)
{
	struct mq_admin *admin;
	int ret;

	ret = mq_admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_topic_get(admin, name, cfg);
	mq_admin_close(admin);
	return ret;
}

struct mqt_stats_req {
	uint32_t queue;
	bool found;
	struct mq_queue_stats *out;
};

static inline int mqt_stats_cb(const struct mq_queue_stats *st, void *arg)
{
	struct mqt_stats_req *req = arg;

	if (st->queue == req->queue) {
		*req->out = *st;
		req->found = true;
	}
	return 0;
}

/* One queue's MQ_CMD_QUEUE_GET counters; -ENOENT when the dump lacks it. */
static inline int mqt_queue_stats(const char *topic, uint32_t queue,
				  struct mq_queue_stats *st)
{
	struct mqt_stats_req req = { .queue = queue, .out = st };
	struct mq_admin *admin;
	int ret;

	ret = mq_admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_queue_list(admin, topic, mqt_stats_cb, &req);
	mq_admin_close(admin);
	if (ret)
		return ret;
	return req.found ? 0 : -ENOENT;
}

/* ---- queue nodes --------------------------------------------------------- */

static inline void mqt_queue_path(char *buf, size_t size, const char *topic,
				  uint32_t queue)
{
	snprintf(buf, size, MQT_DEV_DIR "/%s/%u", topic, queue);
}

/* open(2) of /dev/mq/<topic>/<queue>: the fd, or -errno. */
static inline int mqt_open(const char *topic, uint32_t queue, int flags)
{
	char path[sizeof(MQT_DEV_DIR) + 2 * MQ_NAME_MAX];
	int fd;

	mqt_queue_path(path, sizeof(path), topic, queue);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The offset lseek(2) returns, or -errno. */
static inline long long mqt_seek(int fd, long long off, int whence)
{
	off_t ret = lseek(fd, off, whence);

	return ret < 0 ? -errno : (long long)ret;
}

/* The file position, which for a queue is a logical offset. */
static inline long long mqt_pos(int fd)
{
	return mqt_seek(fd, 0, SEEK_CUR);
}

/*
 * The queue's next offset, from lseek(SEEK_END) on @fd.  That moves @fd's
 * position: call it on a write-only fd, whose position no write uses.
 */
static inline long long mqt_next(int wfd)
{
	return mqt_seek(wfd, 0, SEEK_END);
}

/* write(2) of @len bytes: the count, or -errno. */
static inline long mqt_write(int fd, const void *buf, size_t len)
{
	ssize_t ret = write(fd, buf, len);

	return ret < 0 ? -errno : (long)ret;
}

static inline long mqt_read(int fd, void *buf, size_t len)
{
	ssize_t ret = read(fd, buf, len);

	return ret < 0 ? -errno : (long)ret;
}

static inline long mqt_pread(int fd, void *buf, size_t len, long long off)
{
	ssize_t ret = pread(fd, buf, len, off);

	return ret < 0 ? -errno : (long)ret;
}

static inline int mqt_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) ? -errno : 0;
}

/*
 * Write @len-byte messages without waiting until the ring refuses one
 * (EAGAIN); the number written, or another -errno.  For MQ_FULL_BLOCK
 * with an open reader that does not read; @limit stops a ring that
 * never fills (a kernel bug) from looping forever.  @fd's flags are
 * left as they were.
 */
static inline long mqt_fill(int fd, size_t len, long limit)
{
	int fl = fcntl(fd, F_GETFL);
	char *buf = calloc(1, len);
	long n = 0, ret;

	if (!buf || fl < 0) {
		free(buf);
		return fl < 0 ? -errno : -ENOMEM;
	}
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		free(buf);
		return -errno;
	}
	for (;;) {
		if (n == limit) {
			ret = -EOVERFLOW;
			break;
		}
		memcpy(buf, &n, len < sizeof(n) ? len : sizeof(n));
		ret = mqt_write(fd, buf, len);
		if (ret == -EAGAIN) {
			ret = n;
			break;
		}
		if (ret < 0)
			break;
		if ((size_t)ret != len) {
			ret = -EIO;
			break;
		}
		n++;
	}
	free(buf);
	if (fcntl(fd, F_SETFL, fl))
		return -errno;
	return ret;
}

/* MQ_IOC_PERSIST_ATTACH: @fd becomes its queue's persister; 0 or -errno. */
static inline int mqt_persist_attach(int fd)
{
	struct mq_persist_attach a = { .size = sizeof(a) };

	return ioctl(fd, MQ_IOC_PERSIST_ATTACH, &a) ? -errno : 0;
}

/* MQ_IOC_PERSIST_REPORT from @fd: 0 or -errno. */
static inline int mqt_persist_report(int fd, uint64_t durable,
				     uint64_t replicated)
{
	struct mq_persist_report r = {
		.size = sizeof(r),
		.durable_off = durable,
		.replicated_off = replicated,
	};

	return ioctl(fd, MQ_IOC_PERSIST_REPORT, &r) ? -errno : 0;
}

/* Bytes a message of @len bytes takes in the ring: its padded record. */
static inline uint64_t mqt_record_size(uint64_t len)
{
	return MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + len);
}

/* ---- live objects -------------------------------------------------------- */

#define MQT_KINDS_MAX	32

struct mqt_objects {
	int n;
	char kind[MQT_KINDS_MAX][32];
	long count[MQT_KINDS_MAX];
};

/* Every "<kind> <count>" line of the module's debugfs objects file. */
static inline int mqt_objects_read(struct mqt_objects *o)
{
	FILE *f = fopen(MQT_OBJECTS_PATH, "r");

	memset(o, 0, sizeof(*o));
	if (!f)
		return -errno;
	while (o->n < MQT_KINDS_MAX &&
	       fscanf(f, "%31s %ld", o->kind[o->n], &o->count[o->n]) == 2)
		o->n++;
	fclose(f);
	return o->n ? 0 : -ENODATA;
}

/* The count of @kind, or -1 when there is no such line. */
static inline long mqt_objects_count(const struct mqt_objects *o, const char *kind)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->kind[i], kind))
			return o->count[i];
	return -1;
}

/* Whether @now has every count of @base; the first difference in @why. */
static inline bool mqt_objects_same(const struct mqt_objects *base,
				    const struct mqt_objects *now,
				    char *why, size_t size)
{
	int i;

	for (i = 0; i < now->n; i++) {
		long was = mqt_objects_count(base, now->kind[i]);

		if (was < 0)
			was = 0;	/* a kind that appeared counts from zero */
		if (now->count[i] != was) {
			snprintf(why, size, "%s: %ld, was %ld", now->kind[i],
				 now->count[i], was);
			return false;
		}
	}
	for (i = 0; i < base->n; i++) {
		if (mqt_objects_count(now, base->kind[i]) < 0) {
			snprintf(why, size, "%s: gone", base->kind[i]);
			return false;
		}
	}
	return true;
}

/*
 * Wait until the counters are back to @base: a release may end in an RCU
 * callback or a work item that runs just after the last close returns.
 */
static inline bool mqt_objects_settle(const struct mqt_objects *base,
				      char *why, size_t size)
{
	long long end = mqt_now_ms() + MQT_WAIT_MS;
	struct mqt_objects now;

	for (;;) {
		if (mqt_objects_read(&now)) {
			snprintf(why, size, "cannot read " MQT_OBJECTS_PATH);
			return false;
		}
		if (mqt_objects_same(base, &now, why, size))
			return true;
		if (mqt_now_ms() > end)
			return false;
		mqt_sleep_ms(10);
	}
}

/* ---- self-verifying messages --------------------------------------------- */

/*
 * A message that proves on its own that it arrived whole: who wrote it,
 * its number in that producer's sequence, its length, and a checksum of
 * the payload that follows, which is pseudo-random bytes seeded by the
 * rest of the header (so a swapped or shifted payload fails too).
 */
struct mqt_msg {
	uint32_t magic;
	uint32_t len;		/* whole message, header included */
	uint32_t producer;
	uint32_t csum;
	uint64_t seq;
};

#define MQT_MSG_MAGIC	0x6d716d73	/* "smqm" */
#define MQT_MSG_MIN	((uint32_t)sizeof(struct mqt_msg))

static inline uint64_t mqt_xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static inline uint64_t mqt_msg_seed(uint32_t producer, uint64_t seq, uint32_t len)
{
	return (seq * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)producer << 32) ^ len ^ 1;
}

/* FNV-1a over 64-bit words, folded to 32 bits. */
static inline uint32_t mqt_csum(const unsigned char *p, size_t len, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/* Build message @seq of @producer, @len >= MQT_MSG_MIN bytes, in @buf. */
static inline void mqt_msg_fill(void *buf, uint32_t len, uint32_t producer,
				uint64_t seq)
{
	struct mqt_msg *m = buf;
	unsigned char *p = (unsigned char *)buf + sizeof(*m);
	uint64_t seed = mqt_msg_seed(producer, seq, len), s = seed, w;
	size_t left = len - sizeof(*m);

	for (; left >= 8; p += 8, left -= 8) {
		w = mqt_xorshift(&s);
		memcpy(p, &w, 8);
	}
	w = mqt_xorshift(&s);
	memcpy(p, &w, left);

	m->magic = MQT_MSG_MAGIC;
	m->len = len;
	m->producer = producer;
	m->seq = seq;
	m->csum = mqt_csum((unsigned char *)buf + sizeof(*m), len - sizeof(*m), seed);
}

/*
 * Check a message of @got bytes as read: 0 when whole, with its producer
 * and sequence number in *@producer and *@seq; -EBADMSG otherwise.
 */
static inline int mqt_msg_check(const void *buf, size_t got, uint32_t *producer,
				uint64_t *seq)
{
	const struct mqt_msg *m = buf;

	if (got < sizeof(*m) || m->magic != MQT_MSG_MAGIC || m->len != got)
		return -EBADMSG;
	if (m->csum != mqt_csum((const unsigned char *)buf + sizeof(*m),
				got - sizeof(*m),
				mqt_msg_seed(m->producer, m->seq, m->len)))
		return -EBADMSG;
	*producer = m->producer;
	*seq = m->seq;
	return 0;
}

/*
 * Writes messages @from..@from+@n-1 of producer 0, @len bytes each, one
 * write(2) each: 0, or the first failing write's -errno (-EIO if short).
 */
static inline int mqt_produce(int fd, uint64_t from, uint64_t n, uint32_t len)
{
	char buf[len];
	uint64_t i;
	long ret;

	for (i = from; i < from + n; i++) {
		mqt_msg_fill(buf, len, 0, i);
		ret = mqt_write(fd, buf, len);
		if (ret != (long)len)
			return ret < 0 ? (int)ret : -EIO;
	}
	return 0;
}

/* MQ_IOC_GROUP_JOIN of group @name: 0 or -errno. */
static inline int mqt_group_join(int fd, const char *name, uint32_t flags,
				 uint32_t start, uint64_t off)
{
	struct mq_group_join j = {
		.size = sizeof(j),
		.flags = flags,
		.start = start,
		.offset = off,
	};

	snprintf(j.name, sizeof(j.name), "%s", name);
	return ioctl(fd, MQ_IOC_GROUP_JOIN, &j) ? -errno : 0;
}

/* MQ_IOC_COMMIT of everything @fd got below @off: 0 or -errno. */
static inline int mqt_commit(int fd, uint64_t off)
{
	struct mq_commit c = { .size = sizeof(c), .offset = off };

	return ioctl(fd, MQ_IOC_COMMIT, &c) ? -errno : 0;
}

/* ---- tasks ----------------------------------------------------------------- */

/*
 * Reads one message of at most len bytes at fd's position: the sequence
 * number mqt_msg_fill() put in it, -EBADMSG if it does not verify, or the
 * read's -errno.
 */
static inline long long mqt_read_seq(int fd, size_t len)
{
	char buf[len];
	uint32_t producer;
	uint64_t seq;
	long ret;

	ret = mqt_read(fd, buf, len);
	if (ret < 0)
		return ret;
	if (mqt_msg_check(buf, ret, &producer, &seq))
		return -EBADMSG;
	return seq;
}

/*
 * Wait until task @tid (a process or a thread) sleeps in system call @nr,
 * from /proc/<tid>/syscall and the state in /proc/<tid>/stat: the way to
 * know a reader or writer is really blocked before waking it.  0, or
 * -ETIMEDOUT, or -ESRCH when the task is gone.
 */
static inline int mqt_wait_blocked(pid_t tid, long nr)
{
	long long end = mqt_now_ms() + MQT_WAIT_MS;
	char path[64], buf[256], *p;
	long got;
	FILE *f;

	for (;;) {
		got = -1;
		snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
		f = fopen(path, "r");
		if (!f)
			return -ESRCH;
		if (fscanf(f, "%ld", &got) != 1)
			got = -1;
		fclose(f);
		if (got == nr) {
			snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
			f = fopen(path, "r");
			if (!f)
				return -ESRCH;
			p = fgets(buf, sizeof(buf), f);
			fclose(f);
			/* "pid (comm) S ...": comm may hold spaces and parens. */
			p = p ? strrchr(buf, ')') : NULL;
			if (p && p[1] == ' ' && p[2] == 'S')
				return 0;
		}
		if (mqt_now_ms() > end)
			return -ETIMEDOUT;
		mqt_sleep_ms(5);
	}
}

/* waitpid(2) bounded by MQT_WAIT_MS: 0 with *@status, or -ETIMEDOUT. */
static inline int mqt_wait_exit(pid_t pid, int *status)
{
	long long end = mqt_now_ms() + MQT_WAIT_MS;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, status, WNOHANG);
		if (ret == pid)
			return 0;
		if (ret < 0)
			return -errno;
		if (mqt_now_ms() > end)
			return -ETIMEDOUT;
		mqt_sleep_ms(5);
	}
}

/* A child's exit code, or -1 when it did not exit normally or in time. */
static inline int mqt_child_code(pid_t pid)
{
	int status;

	if (mqt_wait_exit(pid, &status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif /* MQ_UTIL_H */
