// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * unit_test: libmq's pure functions on the host, no module needed:
 * mq_murmur2() and mq_partition() against Kafka's values, the records'
 * CRC-32C against its check value, the name checks, and the argument
 * checks LIBMQ_5's calls make before any system call.  Prints KTAP;
 * exits 0 when every case passed, 1 otherwise.
 *
 * The murmur2 values: the first six are the cases of Kafka's own
 * UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/
 * utils/UtilsTest.java).  Those and the rest were computed by running
 * Kafka's Utils.murmur2, transcribed as Java (int arithmetic, >>> shifts,
 * bytes masked with 0xff), under OpenJDK, with the queue of each as
 * Utils.toPositive(h) % n; the last key has bytes >= 0x80 in its
 * whole words and in its tail, where a signed byte would change the hash.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libmq.h"
#include "internal.h"

static int failed, n;

static void check(int ok, const char *what)
{
	n++;
	if (!ok)
		failed++;
	printf("%s %d %s\n", ok ? "ok" : "not ok", n, what);
}

static const struct {
	const char *key;
	size_t len;
	int32_t java;		/* Utils.murmur2's int */
	int p3, p4, p7;		/* toPositive(h) % 3, 4, 7 */
} cases[] = {
	{ "21", 2, -973932308, 0, 0, 3 },
	{ "foobar", 6, -790332482, 0, 2, 0 },
	{ "a-little-bit-long-string", 24, -985981536, 2, 0, 1 },
	{ "a-little-bit-longer-string", 26, -1486304829, 2, 3, 0 },
	{ "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 48, -58897971, 2, 1, 3 },
	{ "abc", 3, 479470107, 0, 3, 4 },
	{ "", 0, 275646681, 0, 1, 2 },
	{ "key-0", 5, 29210041, 1, 1, 0 },
	{ "key-1", 5, 193331640, 0, 0, 5 },
	{ "key-42", 6, -187086521, 0, 3, 3 },
	{ "order-1234", 10, 202518744, 0, 0, 1 },
	{ "\xff\x80\xfe\x81\x7f\x90\xa5", 7, 1360174789, -1, 1, -1 },
};

static void nop_delivery(const struct mq_delivery *d, void *arg)
{
	(void)d;
	(void)arg;
}

static void nop_commit(uint32_t queue, uint64_t offset, int error, void *arg)
{
	(void)queue;
	(void)offset;
	(void)error;
	(void)arg;
}

/*
 * mq_admin_topic_add_at() checks its offsets before it builds a request:
 * no admin handle is needed to see them refused.
 */
static void admin_args(void)
{
	const uint64_t off[3] = { 1, 2, MQ_OFFSET_LIMIT };
	struct mq_topic_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "t");
	check(mq_admin_topic_add_at(NULL, NULL, off, 1) == -EINVAL,
	      "topic_add_at: NULL config");
	check(mq_admin_topic_add_at(NULL, &cfg, NULL, 1) == -EINVAL,
	      "topic_add_at: a count without offsets");
	check(mq_admin_topic_add_at(NULL, &cfg, off, 2) == -EINVAL,
	      "topic_add_at: two offsets for the default one queue");
	cfg.set = MQ_TOPIC_SET_QUEUES;
	cfg.queues = 2;
	check(mq_admin_topic_add_at(NULL, &cfg, off, 3) == -EINVAL,
	      "topic_add_at: three offsets for two queues");
	check(mq_admin_topic_add_at(NULL, &cfg, off, 1) == -EINVAL,
	      "topic_add_at: one offset for two queues");
	cfg.queues = 3;
	check(mq_admin_topic_add_at(NULL, &cfg, off, 3) == -EINVAL,
	      "topic_add_at: an offset of 2^63");
}

/*
 * LIBMQ_5's argument checks, all made before the library asks the kernel
 * anything: NULL handles, bad flags, subsets and starts get -EINVAL, and
 * a failed open leaves its handle NULL.
 */
static void client_args(void)
{
	struct mq_consumer *c = (void *)1;
	uint32_t qs[2] = { 0, 1 };

	check(mq_producer_set_delivery_cb(NULL, nop_delivery, NULL) == -EINVAL,
	      "set_delivery_cb: NULL producer");
	check(mq_producer_send_opaque(NULL, 0, NULL, 0, "v", 1, qs) == -EINVAL,
	      "send_opaque: NULL producer");
	check(mq_consumer_open_queues(NULL, "t", "g", MQ_GROUP_START_EARLIEST,
				      0, qs, 2) == -EINVAL,
	      "open_queues: NULL handle pointer");
	check(mq_consumer_open_queues(&c, "t", "g", MQ_GROUP_START_EARLIEST,
				      0, NULL, 2) == -EINVAL && !c,
	      "open_queues: a count without queues, handle NULL");
	c = (void *)1;
	check(mq_consumer_open_queues(&c, "t", "g", MQ_GROUP_START_EARLIEST,
				      0, qs, MQ_QUEUES_MAX + 1) == -EINVAL && !c,
	      "open_queues: more queues than a topic has");
	check(mq_consumer_open_queues(&c, "t", "g", MQ_GROUP_START_EARLIEST,
				      MQ_CONSUMER_F_MMAP | MQ_CONSUMER_F_AUTOCOMMIT,
				      NULL, 0) == -EINVAL,
	      "open_queues: MMAP with AUTOCOMMIT");
	check(mq_consumer_open(&c, "t", "g", MQ_GROUP_START_EARLIEST,
			       MQ_CONSUMER_F_MMAP | MQ_CONSUMER_F_AUTOCOMMIT) == -EINVAL,
	      "open: MMAP with AUTOCOMMIT");
	check(mq_consumer_open_queues(&c, "t", "g", MQ_GROUP_START_OFFSET, 0,
				      NULL, 0) == -EINVAL,
	      "open_queues: START_OFFSET");
	check(mq_consumer_open_queues(&c, "t", "g", MQ_GROUP_START_EARLIEST,
				      MQ_CONSUMER_F_ALL + 1, NULL, 0) == -EINVAL,
	      "open_queues: an unknown flag");
	check(mq_consumer_open_queues(&c, "a/b", "g", MQ_GROUP_START_EARLIEST,
				      0, qs, 2) == -EINVAL,
	      "open_queues: a bad topic name");
	check(mq_consumer_commit_async(NULL, 0, 1) == -EINVAL,
	      "commit_async: NULL consumer");
	check(mq_consumer_set_commit_cb(NULL, nop_commit, NULL) == -EINVAL,
	      "set_commit_cb: NULL consumer");
	check(mq_consumer_seek(NULL, 0, MQ_GROUP_START_EARLIEST, 0) == -EINVAL,
	      "seek: NULL consumer");
	check(mq_consumer_commit(NULL, 0, 0) == -EINVAL,
	      "commit: NULL consumer");
	admin_args();
}

int main(void)
{
	char what[128];
	size_t i;

	printf("TAP version 13\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t h = mq_murmur2(cases[i].key, cases[i].len);

		snprintf(what, sizeof(what), "murmur2 of case %zu is %d", i,
			 cases[i].java);
		check(h == (uint32_t)cases[i].java, what);
		snprintf(what, sizeof(what), "partition of case %zu", i);
		check(mq_partition(cases[i].key, cases[i].len, 4) == cases[i].p4 &&
		      (cases[i].p3 < 0 ||
		       mq_partition(cases[i].key, cases[i].len, 3) == cases[i].p3) &&
		      (cases[i].p7 < 0 ||
		       mq_partition(cases[i].key, cases[i].len, 7) == cases[i].p7),
		      what);
	}
	check(mq_partition("x", 1, 1) == 0, "one queue takes every key");
	check(mq_partition(NULL, 0, 4) == 1, "an empty key hashes like \"\"");
	check(mq_partition("x", 1, 0) == -EINVAL, "no queues: EINVAL");
	check(mq_partition("x", 1, MQ_QUEUES_MAX + 1) == -EINVAL,
	      "more queues than a topic has: EINVAL");
	check(mq_partition(NULL, 1, 4) == -EINVAL, "NULL key with a length: EINVAL");

	/* The CRC-32C check value (RFC 3720, B.4, and every CRC catalogue). */
	check(mq_crc32c("123456789", 9) == 0xe3069283, "crc32c check value");
	check(mq_crc32c("", 0) == 0, "crc32c of nothing");
	/* RFC 3720 B.4: 32 bytes of zeros, and of 0xff. */
	{
		unsigned char buf[32];

		memset(buf, 0, sizeof(buf));
		check(mq_crc32c(buf, sizeof(buf)) == 0x8a9136aa, "crc32c of 32 zeros");
		memset(buf, 0xff, sizeof(buf));
		check(mq_crc32c(buf, sizeof(buf)) == 0x62a8ab43, "crc32c of 32 0xff");
	}

	check(mq__name_check("orders.v2_x-1") == 0, "a good name");
	check(mq__name_check("") == -EINVAL, "empty name");
	check(mq__name_check(".") == -EINVAL && mq__name_check("..") == -EINVAL,
	      ". and ..");
	check(mq__name_check("a/b") == -EINVAL, "a slash");
	check(mq__name_check(NULL) == -EINVAL, "NULL");
	memset(what, 'a', sizeof(what));
	what[MQ_NAME_MAX - 1] = '\0';
	check(mq__name_check(what) == 0, "63 bytes");
	what[MQ_NAME_MAX - 1] = 'a';
	what[MQ_NAME_MAX] = '\0';
	check(mq__name_check(what) == -EINVAL, "64 bytes");

	client_args();

	printf("1..%d\n", n);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       n - failed, failed);
	return failed ? 1 : 0;
}
