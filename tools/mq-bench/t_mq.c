// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mq: one queue device per direction.  Unless --topic names an
 * existing topic, setup creates a topic of two queues through libmq,
 * named after our pid, with a ring of --buffer bytes and a max_msg_size
 * that fits the largest message, and teardown deletes it.  Channel @id
 * is queue @id: 0 carries throughput and pings, 1 the pongs.
 *
 * The consumer's descriptor is opened before the producer's: open(2)
 * puts a reader at the queue's next offset, so it sees every message
 * written after that, and none written before (by an earlier test on the
 * same queue).
 *
 * The mmap and record-mode consumers (t_mq_mmap.c, t_mq_record.c) are
 * this transport with another receive: they share its topic, counting
 * their setups so that the last teardown deletes it, and its producer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/mq.h>
#include "libmq.h"

#include "bench.h"

#define NODE_WAIT_MS	5000	/* devtmpfs makes the nodes at once; be patient */

static char topic[MQ_NAME_MAX];
static unsigned int nqueues;
static uint64_t ring_size;	/* 0: --topic's, and the kernel would not say */
static struct mq_admin *admin;	/* set while we own the topic */
static unsigned int users;	/* transports set up on the topic */

static int queue_path(char *buf, size_t len, unsigned int queue)
{
	int n = snprintf(buf, len, "/dev/mq/%s/%u", topic, queue);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool queue_exists(unsigned int queue)
{
	char path[32 + MQ_NAME_MAX];

	return !queue_path(path, sizeof(path), queue) && !access(path, F_OK);
}

static int devmq_features(uint64_t *features)
{
	struct mq_version v = { .size = sizeof(v) };
	int fd, ret = 0;

	fd = open("/dev/" MQ_CONTROL_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, MQ_IOC_VERSION, &v))
		ret = -errno;
	close(fd);
	*features = v.features;
	return ret;
}

static int create_topic(const struct bench_opts *o, char *why, size_t why_len)
{
	struct mq_topic_config cfg = { 0 };
	size_t largest = o->pp_size;
	unsigned int i;
	int ret, ms;

	for (i = 0; i < o->nsizes; i++)
		if (o->sizes[i] > largest)
			largest = o->sizes[i];
	snprintf(topic, sizeof(topic), "mq-bench.%d", (int)getpid());
	memcpy(cfg.name, topic, sizeof(cfg.name));
	cfg.set = MQ_TOPIC_SET_QUEUES | MQ_TOPIC_SET_RING_SIZE |
		  MQ_TOPIC_SET_MAX_MSG_SIZE | MQ_TOPIC_SET_MODE |
		  MQ_TOPIC_SET_FULL_POLICY;
	cfg.queues = 2;
	cfg.ring_size = o->buffer;
	cfg.max_msg_size = largest;
	cfg.mode = 0600;
	/* Backpressure, like every other transport here: nothing is lost. */
	cfg.full_policy = MQ_FULL_BLOCK;

	ret = mq_admin_open(&admin);
	if (ret) {
		snprintf(why, why_len, "libmq: cannot open the \"mq\" netlink family: %s",
			 strerror(-ret));
		return ret;
	}
	ret = mq_admin_topic_add(admin, &cfg);
	if (ret) {
		const char *ack = mq_admin_error(admin);

		snprintf(why, why_len, "cannot create topic %s (ring %zu, max_msg_size %zu): %s%s%s",
			 topic, o->buffer, largest, strerror(-ret),
			 ack ? ": " : "", ack ? ack : "");
		mq_admin_close(admin);
		admin = NULL;
		return ret;
	}
	nqueues = 2;
	ring_size = o->buffer;
	for (ms = 0; ms < NODE_WAIT_MS; ms += 10) {
		struct timespec nap = { 0, 10000000 };

		if (queue_exists(0) && queue_exists(1))
			return 0;
		nanosleep(&nap, NULL);
	}
	snprintf(why, why_len, "topic %s created, but /dev/mq/%s/0 and /1 did not appear",
		 topic, topic);
	/* Setup failed: no teardown will come, so undo it here. */
	mq_admin_topic_del(admin, topic);
	mq_admin_close(admin);
	admin = NULL;
	return -ENOENT;
}

/*
 * The ring size of --topic's topic, for capacity(); 0 if the kernel does
 * not say.  Through a handle of our own: @admin would delete the topic.
 */
static uint64_t topic_ring_size(void)
{
	struct mq_topic_config cfg;
	struct mq_admin *a;
	uint64_t size = 0;

	if (mq_admin_open(&a))
		return 0;
	if (!mq_admin_topic_get(a, topic, &cfg))
		size = cfg.ring_size;
	mq_admin_close(a);
	return size;
}

int devmq_setup(const struct bench_opts *o, uint64_t features,
		const char *feature_name, char *why, size_t why_len)
{
	uint64_t have = 0;
	int ret;

	ret = devmq_features(&have);
	if (ret) {
		snprintf(why, why_len, "/dev/" MQ_CONTROL_NAME ": %s (is mq.ko loaded?)",
			 strerror(-ret));
		return ret;
	}
	if (!(have & MQ_FEAT_QUEUES)) {
		snprintf(why, why_len, "the loaded mq.ko has no queues yet (MQ_FEAT_QUEUES not set)");
		return -ENOTSUP;
	}
	if ((have & features) != features) {
		snprintf(why, why_len, "the loaded mq.ko lacks what this consumer needs (%s not set)",
			 feature_name);
		return -ENOTSUP;
	}
	/* Another /dev/mq transport made (or found) the topic already. */
	if (users) {
		users++;
		return 0;
	}
	if (o->topic) {
		snprintf(topic, sizeof(topic), "%s", o->topic);
		if (!queue_exists(0)) {
			snprintf(why, why_len, "no /dev/mq/%s/0: is --topic %s a topic?",
				 topic, topic);
			return -ENOENT;
		}
		nqueues = queue_exists(1) ? 2 : 1;
		ring_size = topic_ring_size();
		users = 1;
		return 0;
	}
	ret = create_topic(o, why, why_len);
	if (!ret)
		users = 1;
	return ret;
}

/* The plain consumer, one read(2) a message, needs queues only. */
static int devmq_setup_read(const struct bench_opts *o, char *why, size_t why_len)
{
	return devmq_setup(o, 0, NULL, why, why_len);
}

void devmq_teardown(void)
{
	if (!users || --users)
		return;
	if (admin) {
		int ret = mq_admin_topic_del(admin, topic);

		if (ret)
			note("mq: could not delete topic %s: %s", topic, strerror(-ret));
		mq_admin_close(admin);
		admin = NULL;
	}
}

int devmq_open(struct chan *ch, const struct bench_opts *o, unsigned int id,
	       size_t msg_size, char *why, size_t why_len)
{
	char path[32 + MQ_NAME_MAX];
	int ret;

	(void)o;
	chan_init(ch, msg_size);
	if (id >= nqueues) {
		snprintf(why, why_len, "topic %s has %u queue(s); this test needs %u",
			 topic, nqueues, id + 1);
		return -ENOTSUP;
	}
	ret = queue_path(path, sizeof(path), id);
	if (ret)
		return ret;
	/* The reader first: it starts at the next offset (see above). */
	ch->rx = open(path, O_RDONLY | O_CLOEXEC);
	if (ch->rx < 0) {
		snprintf(why, why_len, "open %s for reading: %m", path);
		return -errno;
	}
	ch->tx = open(path, O_WRONLY | O_CLOEXEC);
	if (ch->tx < 0) {
		ret = -errno;
		snprintf(why, why_len, "open %s for writing: %m", path);
		chan_close_fds(ch);
		return ret;
	}
	return 0;
}

int devmq_send(struct chan *ch, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(ch->tx, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static ssize_t devmq_recv(struct chan *ch, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(ch->rx, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/*
 * A record is the 64-byte header and the value, padded to 8 bytes, and
 * the ring holds as many whole records as fit: a writer waits only for
 * bytes an open reader has not read yet (MQ_FULL_BLOCK).  Ours are the
 * only readers, unless --topic names a topic others read too.
 */
long devmq_capacity(struct chan *ch, char *why, size_t why_len)
{
	uint64_t stride = MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + ch->msg_size);

	if (!ring_size) {
		snprintf(why, why_len, "cannot tell the ring size of topic %s", topic);
		return -ENOTSUP;
	}
	return ring_size / stride;
}

const struct transport t_mq = {
	.name = "mq",
	.title = "/dev/mq",
	.setup = devmq_setup_read,
	.teardown = devmq_teardown,
	.open = devmq_open,
	.keep = chan_keep_fds,
	.close = chan_close_fds,
	.send = devmq_send,
	.recv = devmq_recv,
	.capacity = devmq_capacity,
};
