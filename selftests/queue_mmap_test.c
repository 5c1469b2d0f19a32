// SPDX-License-Identifier: GPL-2.0
/*
 * queue_mmap_test: mmap consumers.  MQ_IOC_MMAP_INFO and its errors; the
 * control page and the ring mapped read-only, the ring twice; 1000
 * messages read in place and checked against what was written, their
 * offsets and their CRC-32C; holes skipped; readers racing a producer
 * that laps a 4 KiB ring hundreds of times catch every overwrite and
 * accept no torn record;
 * poll(2) and MQ_FULL_BLOCK follow the offset an mmap consumer reports
 * with lseek(2); hostile mappings fail; a mapping outlives its fd and its
 * topic, and holds the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mq_util.h"
#include "mq_mmap.h"
#include "kselftest_harness.h"

#define RING_SMALL	MQ_RING_SIZE_MIN

FIXTURE(mm) {
	struct mq_topic_config cfg;	/* as the kernel reports it */
	bool made;
	int r;		/* O_RDONLY: the consumer */
	int w;		/* O_WRONLY: the producer */
	struct mqm m;
	pid_t child;
	struct shared {		/* between the race's two processes */
		int done;	/* the producer wrote everything */
		uint64_t peeks;	/* records the consumer has looked at */
	} *sh;
	long page;
};

FIXTURE_SETUP(mm)
{
	self->r = self->w = -1;
	self->page = sysconf(_SC_PAGESIZE);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
}

FIXTURE_TEARDOWN(mm)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	mqm_unmap(&self->m);
	if (self->r >= 0)
		close(self->r);
	if (self->w >= 0)
		close(self->w);
	if (self->made)
		EXPECT_EQ(0, mqt_topic_del(self->cfg.name));
	munmap(self->sh, sizeof(*self->sh));
}

/* A topic of one queue (ring 0: the default), r and w open on it. */
static void make_topic(struct __test_metadata *_metadata,
		       FIXTURE_DATA(mm) *self, uint64_t ring, uint32_t policy)
{
	struct mq_topic_config want;

	mqt_topic_init(&want, "mmap");
	if (ring)
		mqt_set_ring(&want, ring, 0);
	mqt_set_policy(&want, policy);
	ASSERT_EQ(0, mqt_topic_add(&want));
	self->made = true;
	ASSERT_EQ(0, mqt_topic_get(want.name, &self->cfg));
	self->r = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, self->r) TH_LOG("open: %s", strerror(-self->r));
	self->w = mqt_open(self->cfg.name, 0, O_WRONLY);
	ASSERT_LE(0, self->w) TH_LOG("open: %s", strerror(-self->w));
}

/* mmap(2) that answers the errno, or 0 after unmapping what it mapped. */
static int try_map(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

static int info_ioctl(int fd, struct mq_mmap_info *info)
{
	return ioctl(fd, MQ_IOC_MMAP_INFO, info) ? -errno : 0;
}

/* The length of message @i in the tests that write many. */
static uint32_t msg_len(uint64_t i)
{
	return MQT_MSG_MIN + (uint32_t)((i * 53) % 200);
}

TEST(feature_bit)
{
	struct mq_version v = { .size = sizeof(v) };
	int fd = open("/dev/" MQ_CONTROL_NAME, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MQ_IOC_VERSION, &v));
	EXPECT_EQ(MQ_FEAT_MMAP, v.features & MQ_FEAT_MMAP);
	EXPECT_EQ(MQ_FEAT_MMAP, MQ_FEAT_ALL & MQ_FEAT_MMAP);
	close(fd);
}

TEST_F(mm, info)
{
	uint32_t offs[7];
	struct mq_mmap_info info;
	int fds[3], i, j, k;

	make_topic(_metadata, self, 0, MQ_FULL_BLOCK);
	fds[0] = self->r;
	fds[1] = self->w;	/* the layout is no secret: any access mode */
	fds[2] = mqt_open(self->cfg.name, 0, O_RDWR);
	ASSERT_LE(0, fds[2]);

	for (k = 0; k < 3; k++) {
		ASSERT_EQ(0, mqm_info(fds[k], &info));
		EXPECT_EQ(MQ_MMAP_INFO_SIZE_VER0, info.size);
		EXPECT_EQ(sizeof(info), info.size);
		EXPECT_EQ(0, info.flags);
		EXPECT_EQ(MQ_RING_SIZE_DEFAULT, info.ring_size);
		EXPECT_EQ(MQ_MMAP_CTRL_OFFSET, info.ctrl_offset);
		EXPECT_EQ((uint64_t)self->page, info.ctrl_size);
		EXPECT_EQ(MQ_MMAP_DATA_OFFSET, info.data_offset);
		EXPECT_EQ(2 * MQ_RING_SIZE_DEFAULT, info.data_size);
		for (i = 0; i < 9; i++)
			EXPECT_EQ(0, info.ctrl.reserved[i]);
		for (i = 0; i < 4; i++)
			EXPECT_EQ(0, info.reserved[i]);

		/* Seven u64 fields, aligned, inside the page, apart. */
		offs[0] = info.ctrl.head;
		offs[1] = info.ctrl.tail;
		offs[2] = info.ctrl.next_off;
		offs[3] = info.ctrl.first_off;
		offs[4] = info.ctrl.durable_off;
		offs[5] = info.ctrl.replicated_off;
		offs[6] = info.ctrl.ring_size;
		for (i = 0; i < 7; i++) {
			EXPECT_EQ(0, offs[i] % 8) TH_LOG("field %d", i);
			EXPECT_GE(info.ctrl_size, offs[i] + 8ULL) TH_LOG("field %d", i);
			for (j = 0; j < i; j++)
				EXPECT_NE(offs[j], offs[i]) TH_LOG("fields %d, %d", j, i);
		}
	}
	close(fds[2]);
}

TEST_F(mm, info_errors)
{
	static const uint32_t sizes[] = { 0, 8, MQ_MMAP_INFO_SIZE_VER0 - 8,
		MQ_MMAP_INFO_SIZE_VER0 - 1, MQ_MMAP_INFO_SIZE_VER0 + 1,
		MQ_MMAP_INFO_SIZE_VER0 + 8, 4096, UINT32_MAX };
	struct mq_mmap_info info, before;
	unsigned char *raw = (unsigned char *)&info;
	char big[256] = { 0 };
	size_t i;

	make_topic(_metadata, self, 0, MQ_FULL_BLOCK);

	/* A size the kernel does not know. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&info, 0, sizeof(info));
		info.size = sizes[i];
		before = info;
		EXPECT_EQ(-EINVAL, info_ioctl(self->r, &info)) TH_LOG("size %u", sizes[i]);
		EXPECT_EQ(0, memcmp(&before, &info, sizeof(info)));
	}

	/* Any flag: none is defined. */
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.flags = 1;
	EXPECT_EQ(-EINVAL, info_ioctl(self->r, &info));
	info.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, info_ioctl(self->r, &info));

	/*
	 * Any byte after flags not zero (the outputs, the reserved fields
	 * and the offsets' reserved fields): EINVAL, nothing written back.
	 */
	for (i = offsetof(struct mq_mmap_info, ring_size); i < sizeof(info); i++) {
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		raw[i] = 0x80;
		before = info;
		EXPECT_EQ(-EINVAL, info_ioctl(self->r, &info)) TH_LOG("byte %zu", i);
		EXPECT_EQ(0, memcmp(&before, &info, sizeof(info))) TH_LOG("byte %zu", i);
	}

	/* Not memory. */
	EXPECT_EQ(-1, ioctl(self->r, MQ_IOC_MMAP_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->r, MQ_IOC_MMAP_INFO, (void *)16));
	EXPECT_EQ(EFAULT, errno);

	/* The same number with another size or direction, or another one. */
	EXPECT_EQ(-1, ioctl(self->r, _IOWR(MQ_IOC_MAGIC, 0x20, char[128]), big));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->r, _IOR(MQ_IOC_MAGIC, 0x20, struct mq_mmap_info),
			    big));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->r, _IO(MQ_IOC_MAGIC, 0x2f)));
	EXPECT_EQ(ENOTTY, errno);
	/*
	 * MQ_IOC_VERSION is answered here too (abi.rst), and checks its
	 * struct as the control device does: @big is not a valid one.
	 */
	EXPECT_EQ(-1, ioctl(self->r, MQ_IOC_VERSION, big));
	EXPECT_EQ(EINVAL, errno);
}

/* The control page before anything was written, then after 1000 messages. */
TEST_F(mm, read_in_place)
{
	const int n = 1000;
	struct timespec ts;
	const struct mq_record *rec;
	uint64_t i, head = 0, t0, t1, last_ts = 0;
	unsigned char *want, *got;
	const unsigned char *p;
	uint32_t len, k;
	struct mqm *m = &self->m;

	make_topic(_metadata, self, 0, MQ_FULL_BLOCK);
	want = malloc(MQT_MSG_MIN + 256);
	got = malloc(MQT_MSG_MIN + 256);
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);

	ASSERT_EQ(0, mqm_map(m, self->r));
	EXPECT_EQ(0, *m->head);
	EXPECT_EQ(0, *m->tail);
	EXPECT_EQ(0, *m->next_off);
	EXPECT_EQ(0, *m->first_off);
	EXPECT_EQ(MQ_RING_SIZE_DEFAULT, *m->ring_size);
	EXPECT_EQ(0, *m->durable_off);
	EXPECT_EQ(0, *m->replicated_off);
	EXPECT_EQ(-EAGAIN, mqm_peek(m, &rec));

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	t0 = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (i = 0; i < (uint64_t)n; i++) {
		len = msg_len(i);
		mqt_msg_fill(want, len, 7, i);
		ASSERT_EQ(len, mqt_write(self->w, want, len));
		head += mqt_record_size(len);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	t1 = ts.tv_sec * 1000000000ULL + ts.tv_nsec;

	/* The control page follows. */
	EXPECT_EQ(head, *m->head);
	EXPECT_EQ(0, *m->tail);
	EXPECT_EQ((uint64_t)n, *m->next_off);
	EXPECT_EQ(0, *m->first_off);

	for (i = 0; i < (uint64_t)n; i++) {
		len = msg_len(i);
		ASSERT_EQ(0, mqm_peek(m, &rec)) TH_LOG("offset %llu", (unsigned long long)i);
		ASSERT_EQ(i, m->off);
		p = (const unsigned char *)rec;

		/* The header, as abi.rst defines it. */
		EXPECT_EQ(MQ_RECORD_HDR_SIZE + len, rec->len);
		EXPECT_EQ(i, rec->offset);
		EXPECT_EQ(0, rec->key_len);
		EXPECT_EQ(len, rec->value_len);
		EXPECT_EQ(0, rec->producer_id);
		EXPECT_EQ(0, rec->sequence);
		EXPECT_EQ(0, rec->flags);
		EXPECT_EQ(MQ_RECORD_MAGIC, rec->magic);
		EXPECT_EQ(0, rec->reserved0);
		EXPECT_EQ(0, rec->reserved[0]);
		EXPECT_EQ(0, rec->reserved[1]);
		EXPECT_LE(t0, rec->timestamp);
		EXPECT_GE(t1, rec->timestamp);
		EXPECT_LE(last_ts, rec->timestamp);
		last_ts = rec->timestamp;
		EXPECT_TRUE(mqm_crc_ok(rec, rec->len));
		/* The padding up to the next record is zero. */
		for (k = rec->len; k < MQ_RECORD_ALIGN(rec->len); k++)
			EXPECT_EQ(0, p[k]);

		/* The value, in place, is what was written... */
		mqt_msg_fill(want, len, 7, i);
		EXPECT_EQ(0, memcmp(want, p + MQ_RECORD_HDR_SIZE, len));
		/* ...and what read(2) returns at that offset. */
		ASSERT_EQ(len, mqt_pread(self->r, got, MQT_MSG_MIN + 256, i));
		EXPECT_EQ(0, memcmp(got, p + MQ_RECORD_HDR_SIZE, len));

		ASSERT_EQ(0, mqm_validate(m));
		mqm_advance(m);
	}
	EXPECT_EQ(-EAGAIN, mqm_peek(m, &rec));
	EXPECT_EQ(head, m->pos);
	EXPECT_EQ(0, m->overwrites);
	EXPECT_EQ(0, m->lost);
	free(want);
	free(got);
}

/* The ring is mapped twice: a record across its end reads straight on. */
TEST_F(mm, ring_mapped_twice)
{
	char want[1000], got[1000];
	const struct mq_record *rec;
	struct mqm *m = &self->m;
	int i;

	make_topic(_metadata, self, RING_SMALL, MQ_FULL_DROP);
	/* Strides of 1064: the fourth starts at 3192 and crosses 4096. */
	for (i = 0; i < 4; i++) {
		mqt_msg_fill(want, sizeof(want), 1, i);
		ASSERT_EQ(sizeof(want), mqt_write(self->w, want, sizeof(want)));
	}
	ASSERT_EQ(0, mqm_map(m, self->r));
	EXPECT_EQ(1064, *m->tail);
	EXPECT_EQ(1, *m->first_off);
	EXPECT_EQ(4 * 1064, *m->head);
	EXPECT_EQ(0, memcmp(m->data, m->data + RING_SMALL, RING_SMALL));

	for (i = 1; i < 4; i++) {
		ASSERT_EQ(0, mqm_peek(m, &rec));
		EXPECT_EQ(i, rec->offset);
		EXPECT_TRUE(mqm_crc_ok(rec, rec->len));
		mqt_msg_fill(want, sizeof(want), 1, i);
		EXPECT_EQ(0, memcmp(want, (const char *)rec + MQ_RECORD_HDR_SIZE,
				    sizeof(want)));
		ASSERT_EQ(0, mqm_validate(m));
		mqm_advance(m);
	}
	EXPECT_LT((const unsigned char *)rec, m->data + RING_SMALL);
	EXPECT_LT(m->data + RING_SMALL, (const unsigned char *)rec + rec->len);

	/* The copying reader agrees. */
	m->pos = *m->tail;
	m->off = MQM_OFF_UNKNOWN;
	for (i = 1; i < 4; i++) {
		ASSERT_EQ(sizeof(got), mqm_read(m, got, sizeof(got), NULL));
		mqt_msg_fill(want, sizeof(want), 1, i);
		EXPECT_EQ(0, memcmp(want, got, sizeof(want)));
	}
	EXPECT_EQ(-EAGAIN, mqm_read(m, got, sizeof(got), NULL));
}

/* A write that faulted left a hole: marked in the ring, skipped by readers. */
TEST_F(mm, hole_is_skipped)
{
	const struct mq_record *rec, *raw;
	struct mqm *m = &self->m;
	void *hole;

	make_topic(_metadata, self, 0, MQ_FULL_BLOCK);
	hole = mmap(NULL, self->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, mqm_map(m, self->r));
	ASSERT_EQ(1, mqt_write(self->w, "A", 1));
	EXPECT_EQ(-EFAULT, mqt_write(self->w, hole, 64));
	ASSERT_EQ(1, mqt_write(self->w, "B", 1));
	munmap(hole, self->page);

	/* The second record, as it sits in the ring. */
	raw = (const void *)(m->data + mqt_record_size(1));
	EXPECT_EQ(MQ_RECORD_LEN_DISCARD | (MQ_RECORD_HDR_SIZE + 64), raw->len);
	EXPECT_EQ(MQ_RECORD_HDR_SIZE + 64, raw->len & MQ_RECORD_LEN_MASK);
	EXPECT_EQ(1, raw->offset);

	ASSERT_EQ(0, mqm_peek(m, &rec));
	EXPECT_EQ(0, rec->offset);
	EXPECT_EQ('A', ((const char *)rec)[MQ_RECORD_HDR_SIZE]);
	ASSERT_EQ(0, mqm_validate(m));
	mqm_advance(m);
	ASSERT_EQ(0, mqm_peek(m, &rec));
	EXPECT_EQ(2, rec->offset);
	EXPECT_EQ(2, m->off);
	EXPECT_EQ('B', ((const char *)rec)[MQ_RECORD_HDR_SIZE]);
	EXPECT_EQ(1, m->discarded);
	ASSERT_EQ(0, mqm_validate(m));
	mqm_advance(m);
	EXPECT_EQ(-EAGAIN, mqm_peek(m, &rec));
	EXPECT_EQ(*m->head, m->pos);
}

/* After many drops, the control page and the ring agree with netlink. */
TEST_F(mm, control_page_after_drops)
{
	const int n = 500;
	struct mq_queue_stats st;
	const struct mq_record *rec;
	struct mqm *m = &self->m;
	char buf[MQT_MSG_MIN + 256];
	uint64_t pos, off;
	int i;

	make_topic(_metadata, self, RING_SMALL, MQ_FULL_DROP);
	ASSERT_EQ(0, mqm_map(m, self->r));
	for (i = 0; i < n; i++) {
		mqt_msg_fill(buf, msg_len(i), 3, i);
		ASSERT_EQ(msg_len(i), mqt_write(self->w, buf, msg_len(i)));
	}
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(st.next_offset, *m->next_off);
	EXPECT_EQ(st.first_offset, *m->first_off);
	EXPECT_EQ((uint64_t)n, *m->next_off);
	EXPECT_LT(0, *m->first_off);
	EXPECT_GE(RING_SMALL, *m->head - *m->tail);

	/* Walk the retained records: first_off at tail, on to head. */
	pos = *m->tail;
	for (off = *m->first_off; off < (uint64_t)n; off++) {
		rec = (const void *)(m->data + (pos & m->mask));
		EXPECT_EQ(off, rec->offset);
		EXPECT_EQ(MQ_RECORD_HDR_SIZE + msg_len(off), rec->len);
		EXPECT_TRUE(mqm_crc_ok(rec, rec->len));
		pos += MQ_RECORD_ALIGN(rec->len);
	}
	EXPECT_EQ(*m->head, pos);

	/* A consumer that was at 0 lost what was dropped, and learns it. */
	ASSERT_EQ(-ERANGE, mqm_peek(m, &rec));
	EXPECT_EQ(1, m->overwrites);
	ASSERT_EQ(0, mqm_peek(m, &rec));
	EXPECT_EQ(*m->first_off, rec->offset);
}

/* Whether a message read as @len bytes at @rec is whole and is message @off. */
static bool record_ok(const struct mq_record *rec, uint32_t len, uint64_t off)
{
	const unsigned char *value = (const unsigned char *)rec + MQ_RECORD_HDR_SIZE;
	uint32_t producer;
	uint64_t seq;

	if (rec->len != len || rec->offset != off || !mqm_crc_ok(rec, len))
		return false;
	if (mqt_msg_check(value, len - MQ_RECORD_HDR_SIZE, &producer, &seq))
		return false;
	return producer == 5 && seq == off;
}

/*
 * Waits until the producer has written a whole ring past the record we
 * are reading, so its bytes hold newer, committed records: tail is past
 * its end, a ring further on.  False when the producer finished first.
 */
static bool lapped(FIXTURE_DATA(mm) *self, uint32_t len)
{
	const struct mqm *m = &self->m;
	long long end = mqt_now_ms() + MQT_WAIT_MS;

	while ((int64_t)(__atomic_load_n(m->tail, __ATOMIC_ACQUIRE) -
			 (m->pos + m->info.ring_size + len)) < 0) {
		if (__atomic_load_n(&self->sh->done, __ATOMIC_RELAXED) ||
		    mqt_now_ms() > end)
			return false;
		sched_yield();
	}
	return true;
}

#define RACE_MSGS	20000
#define RACE_LAP_EVERY	16

/*
 * A producer laps a 4 KiB MQ_FULL_DROP ring hundreds of times while the
 * consumer reads in place (@copy: copies each record out first).  Every
 * RACE_LAP_EVERY-th record the consumer stops in the middle of reading
 * until the producer has written over it, so torn reads are certain, not
 * only likely: halfway, the producer waits (boundedly) for the consumer
 * to have reached such a record, in case it was slow to start.  Every
 * record accepted must be whole and the next one in offset order; every
 * offset must be either accepted or counted lost.
 */
static void race(struct __test_metadata *_metadata, FIXTURE_DATA(mm) *self,
		 bool copy)
{
	uint64_t accepted = 0, bad = 0, torn = 0, laps = 0, peeks = 0;
	uint64_t last = MQM_OFF_UNKNOWN;
	struct mqm *m = &self->m;
	const struct mq_record *rec;
	unsigned char *buf;
	bool ok, lap;
	uint32_t half;
	int ret;

	make_topic(_metadata, self, RING_SMALL, MQ_FULL_DROP);
	buf = malloc(RING_SMALL);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mqm_map(m, self->r));
	/* An empty ring: our offset is the next one, 0. */
	ASSERT_EQ(0, mqm_learn_next(m));
	ASSERT_EQ(0, m->off);

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		char msg[MQT_MSG_MIN + 256];
		long long end = mqt_now_ms() + MQT_WAIT_MS;
		uint64_t i;

		for (i = 0; i < RACE_MSGS; i++) {
			while (i == RACE_MSGS / 2 && mqt_now_ms() < end &&
			       __atomic_load_n(&self->sh->peeks, __ATOMIC_RELAXED) <
			       RACE_LAP_EVERY)
				mqt_sleep_ms(1);
			mqt_msg_fill(msg, msg_len(i), 5, i);
			if (mqt_write(self->w, msg, msg_len(i)) != msg_len(i))
				_exit(1);
		}
		__atomic_store_n(&self->sh->done, 1, __ATOMIC_RELAXED);
		_exit(0);
	}

	while (m->off != RACE_MSGS) {
		ret = mqm_peek(m, &rec);
		if (ret == -ERANGE)
			continue;
		if (ret == -EAGAIN) {
			ret = mqm_wait(m, MQT_WAIT_MS);
			ASSERT_EQ(0, ret) TH_LOG("waiting at offset %llu: %s",
					  (unsigned long long)m->off, strerror(-ret));
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("offset %llu", (unsigned long long)m->off);
		lap = ++peeks % RACE_LAP_EVERY == 0;
		__atomic_store_n(&self->sh->peeks, peeks, __ATOMIC_RELAXED);
		if (copy) {
			half = m->len / 2;
			memcpy(buf, rec, half);
			if (lap)
				laps += lapped(self, m->len);
			memcpy(buf + half, (const unsigned char *)rec + half,
			       m->len - half);
			ok = record_ok((const void *)buf, m->len, m->off);
		} else {
			if (lap)
				laps += lapped(self, m->len);
			ok = record_ok(rec, m->len, m->off);
		}
		if (mqm_validate(m)) {
			torn += !ok;
			continue;
		}
		if (!ok && bad++ == 0)
			TH_LOG("torn record accepted at offset %llu",
			       (unsigned long long)m->off);
		if (last != MQM_OFF_UNKNOWN && m->off <= last && bad++ == 0)
			TH_LOG("offset %llu after %llu", (unsigned long long)m->off,
			       (unsigned long long)last);
		last = m->off;
		accepted++;
		mqm_advance(m);
	}
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;

	TH_LOG("%llu accepted, %llu lost in %llu overwrites, %llu torn reads caught, "
	       "%llu laps",
	       (unsigned long long)accepted, (unsigned long long)m->lost,
	       (unsigned long long)m->overwrites, (unsigned long long)torn,
	       (unsigned long long)laps);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(RACE_MSGS, accepted + m->lost);
	EXPECT_EQ(0, m->discarded);
	EXPECT_LT(0, accepted);
	/* The producer went round the ring many times... */
	EXPECT_LT(100 * RING_SMALL, *m->head);
	/* ...and overwrote what was being read, which was caught. */
	EXPECT_LT(0, laps);
	EXPECT_LT(0, m->overwrites);
	EXPECT_LT(0, torn);
	free(buf);
}

TEST_F(mm, race_in_place)
{
	race(_metadata, self, false);
}

TEST_F(mm, race_copy)
{
	race(_metadata, self, true);
}

/* poll(2) at the offset the consumer set with lseek(2). */
TEST_F(mm, poll_at_offset)
{
	const struct mq_record *rec;
	struct mqm *m = &self->m;

	make_topic(_metadata, self, 0, MQ_FULL_BLOCK);
	ASSERT_EQ(0, mqm_map(m, self->r));
	ASSERT_EQ(-EAGAIN, mqm_peek(m, &rec));
	EXPECT_EQ(-ETIMEDOUT, mqm_wait(m, 0));
	EXPECT_EQ(0, m->off);
	EXPECT_EQ(0, mqt_pos(self->r));

	ASSERT_EQ(3, mqt_write(self->w, "one", 3));
	EXPECT_EQ(0, mqm_wait(m, 0));
	ASSERT_EQ(0, mqm_peek(m, &rec));
	EXPECT_EQ(0, memcmp("one", (const char *)rec + MQ_RECORD_HDR_SIZE, 3));
	ASSERT_EQ(0, mqm_validate(m));
	mqm_advance(m);
	/* Nothing at offset 1 yet: poll says so. */
	EXPECT_EQ(-ETIMEDOUT, mqm_wait(m, 0));
	EXPECT_EQ(1, mqt_pos(self->r));

	/* A message written while we sleep in poll wakes us. */
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		if (mqt_wait_blocked(getppid(), SYS_poll))
			_exit(1);
		_exit(mqt_write(self->w, "two", 3) == 3 ? 0 : 2);
	}
	ASSERT_EQ(0, mqm_wait(m, MQT_WAIT_MS));
	EXPECT_EQ(0, mqt_child_code(self->child));
	self->child = 0;
	ASSERT_EQ(0, mqm_peek(m, &rec));
	EXPECT_EQ(1, rec->offset);
	EXPECT_EQ(0, memcmp("two", (const char *)rec + MQ_RECORD_HDR_SIZE, 3));
}

/*
 * MQ_FULL_BLOCK keeps what an mmap consumer has not consumed, and it
 * consumes with lseek(2): reading in place alone frees nothing.
 */
TEST_F(mm, block_until_lseek)
{
	const struct mq_record *rec;
	struct mq_queue_stats st;
	struct mqm *m = &self->m;
	char buf[100] = { 0 };
	long n, i;

	make_topic(_metadata, self, RING_SMALL, MQ_FULL_BLOCK);
	ASSERT_EQ(0, mqm_map(m, self->r));
	ASSERT_EQ(0, mqt_set_nonblock(self->w, true));
	n = mqt_fill(self->w, sizeof(buf), 1000);
	ASSERT_LT(0, n);

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, mqm_peek(m, &rec));
		EXPECT_EQ(0, memcmp(&i, (const char *)rec + MQ_RECORD_HDR_SIZE,
				    sizeof(i)));
		ASSERT_EQ(0, mqm_validate(m));
		mqm_advance(m);
	}
	ASSERT_EQ(-EAGAIN, mqm_peek(m, &rec));
	/* All read, none reported: the producer still waits. */
	EXPECT_EQ(-EAGAIN, mqt_write(self->w, buf, sizeof(buf)));

	ASSERT_EQ(0, mqm_commit(m));
	EXPECT_EQ(n, mqt_pos(self->r));
	EXPECT_EQ(sizeof(buf), mqt_write(self->w, buf, sizeof(buf)));
	/* What the consumer had read went as retention, not as loss. */
	ASSERT_EQ(0, mqt_queue_stats(self->cfg.name, 0, &st));
	EXPECT_EQ(0, st.drops);
	EXPECT_LT(0, st.first_offset);
	EXPECT_EQ(st.first_offset, *m->first_off);
}

/* Writable, executable, resized, misplaced: refused. */
TEST_F(mm, hostile)
{
	struct mq_mmap_info info;
	size_t ps, ds;
	off_t co, dof;
	const int prot_rw = PROT_READ | PROT_WRITE;
	void *ctrl, *data, *p;
	int r, rw, status;
	pid_t pid;

	make_topic(_metadata, self, RING_SMALL, MQ_FULL_DROP);
	r = self->r;
	rw = mqt_open(self->cfg.name, 0, O_RDWR);
	ASSERT_LE(0, rw);
	ASSERT_EQ(0, mqm_info(r, &info));
	ps = info.ctrl_size;
	ds = info.data_size;
	co = info.ctrl_offset;
	dof = info.data_offset;
	ASSERT_EQ(2 * RING_SMALL, ds);

	/* Writable, through a file that could write: EPERM. */
	EXPECT_EQ(-EPERM, try_map(ps, prot_rw, MAP_SHARED, rw, co));
	EXPECT_EQ(-EPERM, try_map(ds, prot_rw, MAP_SHARED, rw, dof));
	EXPECT_EQ(-EPERM, try_map(ps, PROT_WRITE, MAP_SHARED, rw, co));
	/* Private and writable (copy on write) is writable too. */
	EXPECT_EQ(-EPERM, try_map(ps, prot_rw, MAP_PRIVATE, r, co));
	EXPECT_EQ(-EPERM, try_map(ds, prot_rw, MAP_PRIVATE, rw, dof));
	/* The VFS answers first for a shared mapping of a read-only file. */
	EXPECT_EQ(-EACCES, try_map(ps, prot_rw, MAP_SHARED, r, co));
	/* Executable: EPERM. */
	EXPECT_EQ(-EPERM, try_map(ps, PROT_READ | PROT_EXEC, MAP_SHARED, r, co));
	EXPECT_EQ(-EPERM, try_map(ds, PROT_READ | PROT_EXEC, MAP_PRIVATE, r, dof));
	/* mmap needs a file open for reading (the VFS's rule). */
	EXPECT_EQ(-EACCES, try_map(ps, PROT_READ, MAP_SHARED, self->w, co));

	/* Anything but the two regions, whole: EINVAL. */
	EXPECT_EQ(-EINVAL, try_map(2 * ps, PROT_READ, MAP_SHARED, r, co));
	EXPECT_EQ(-EINVAL, try_map(ps, PROT_READ, MAP_SHARED, r, co + ps));
	EXPECT_EQ(-EINVAL, try_map(ps, PROT_READ, MAP_SHARED, r, dof));
	EXPECT_EQ(-EINVAL, try_map(ds / 2, PROT_READ, MAP_SHARED, r, dof));
	EXPECT_EQ(-EINVAL, try_map(ds - ps, PROT_READ, MAP_SHARED, r, dof));
	EXPECT_EQ(-EINVAL, try_map(ds + ps, PROT_READ, MAP_SHARED, r, dof));
	EXPECT_EQ(-EINVAL, try_map(ds, PROT_READ, MAP_SHARED, r, dof + ps));
	EXPECT_EQ(-EINVAL, try_map(ds, PROT_READ, MAP_SHARED, r, dof - ps));
	EXPECT_EQ(-EINVAL, try_map(ds - ps, PROT_READ, MAP_SHARED, r, dof + ps));
	EXPECT_EQ(-EINVAL, try_map(ps, PROT_READ, MAP_SHARED, r, 1LL << 40));
	EXPECT_EQ(-EINVAL, try_map(ps, PROT_READ, MAP_SHARED, r, 100));
	/* ...and a wrong region is wrong for a writable request too. */
	EXPECT_EQ(-EINVAL, try_map(ps, prot_rw, MAP_SHARED, rw, ps));

	/* Read-only maps, even through a file that could write. */
	ctrl = mmap(NULL, ps, PROT_READ, MAP_SHARED, rw, co);
	ASSERT_NE(MAP_FAILED, ctrl);
	data = mmap(NULL, ds, PROT_READ, MAP_SHARED, rw, dof);
	ASSERT_NE(MAP_FAILED, data);

	/* ...and stays read-only: mprotect to write or execute fails. */
	EXPECT_EQ(-1, mprotect(ctrl, ps, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(data, ds, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(data, ps, PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(ctrl, ps, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	/* Taking read access away and back is the consumer's own business. */
	EXPECT_EQ(0, mprotect(ctrl, ps, PROT_NONE));
	EXPECT_EQ(0, mprotect(ctrl, ps, PROT_READ));

	/* It cannot grow, in place or moved. */
	p = mremap(ctrl, ps, 2 * ps, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
	p = mremap(ctrl, ps, 2 * ps, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
	p = mremap(data, ds, 2 * ds, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
	p = mremap(data, ds, ds, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	/* A private read-only mapping is allowed, and never becomes writable. */
	p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE, r, co);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, ps, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(RING_SMALL, *(const uint64_t *)((char *)p + info.ctrl.ring_size));
	munmap(p, ps);

	/* A store through the mapping faults. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		*(volatile char *)ctrl = 1;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGSEGV, WTERMSIG(status));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		((volatile char *)data)[ds - 1] = 1;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGSEGV, WTERMSIG(status));

	/* All that left the mappings as they were. */
	EXPECT_EQ(RING_SMALL, *(const uint64_t *)((char *)ctrl + info.ctrl.ring_size));
	EXPECT_EQ(3, mqt_write(self->w, "abc", 3));
	EXPECT_EQ(0, memcmp("abc", (char *)data + MQ_RECORD_HDR_SIZE, 3));
	EXPECT_EQ(0, memcmp("abc", (char *)data + RING_SMALL + MQ_RECORD_HDR_SIZE, 3));
	munmap(ctrl, ps);
	munmap(data, ds);
	close(rw);
}

/*
 * A mapping holds its file, so the queue's memory outlives the fd and
 * the topic, and goes with the last mapping.
 */
TEST_F(mm, outlives_fd_and_topic)
{
	struct mqt_objects base, now;
	struct mq_mmap_info info;
	unsigned char *ctrl_copy, *data_copy;
	struct mqm *m = &self->m;
	char why[128];
	int r2;

	ASSERT_EQ(0, mqt_objects_read(&base));
	make_topic(_metadata, self, RING_SMALL, MQ_FULL_DROP);
	r2 = mqt_open(self->cfg.name, 0, O_RDONLY);
	ASSERT_LE(0, r2);
	ASSERT_EQ(3, mqt_write(self->w, "abc", 3));
	ASSERT_EQ(0, mqm_map(m, self->r));
	ctrl_copy = malloc(m->info.ctrl_size);
	data_copy = malloc(m->info.data_size);
	ASSERT_NE(NULL, ctrl_copy);
	ASSERT_NE(NULL, data_copy);
	memcpy(ctrl_copy, m->ctrl, m->info.ctrl_size);
	memcpy(data_copy, m->data, m->info.data_size);

	/* The fd goes; its file stays, held by the mappings. */
	close(self->r);
	self->r = -1;
	close(self->w);
	self->w = -1;
	ASSERT_EQ(0, mqt_objects_read(&now));
	EXPECT_EQ(mqt_objects_count(&base, "file") + 2,
		  mqt_objects_count(&now, "file"));	/* r's and r2 */

	/* The topic goes: the memory stays, unchanged. */
	ASSERT_EQ(0, mqt_topic_del(self->cfg.name));
	self->made = false;
	ASSERT_EQ(0, mqt_objects_read(&now));
	EXPECT_EQ(mqt_objects_count(&base, "queue") + 1,
		  mqt_objects_count(&now, "queue"));
	EXPECT_EQ(0, memcmp(ctrl_copy, m->ctrl, m->info.ctrl_size));
	EXPECT_EQ(0, memcmp(data_copy, m->data, m->info.data_size));
	EXPECT_EQ(0, memcmp("abc", m->data + MQ_RECORD_HDR_SIZE, 3));

	/* A deleted queue maps nothing more and has no layout to give. */
	EXPECT_EQ(-ENODEV, try_map(m->info.ctrl_size, PROT_READ, MAP_SHARED, r2,
				   m->info.ctrl_offset));
	EXPECT_EQ(-ENODEV, try_map(m->info.data_size, PROT_READ, MAP_SHARED, r2,
				   m->info.data_offset));
	EXPECT_EQ(-ENODEV, mqm_info(r2, &info));
	close(r2);

	/* The last mapping takes the file and the queue with it. */
	mqm_unmap(m);
	EXPECT_TRUE(mqt_objects_settle(&base, why, sizeof(why))) TH_LOG("%s", why);
	free(ctrl_copy);
	free(data_copy);
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/mq/refcnt", "r");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* The module cannot go while a mapping is left, even with no fd open. */
TEST_F(mm, mapping_holds_module)
{
	long base, one_file;
	long long end;
	int ret, fd;

	base = module_refcnt();
	ASSERT_LE(0, base);
	make_topic(_metadata, self, RING_SMALL, MQ_FULL_DROP);
	close(self->w);
	self->w = -1;
	/* What one open file holds (the cdev's reference and the fops'). */
	one_file = module_refcnt();
	ASSERT_LT(base, one_file);
	ASSERT_EQ(0, mqm_map(&self->m, self->r));
	close(self->r);
	self->r = -1;
	/* The fd is gone, the file is not. */
	EXPECT_EQ(one_file, module_refcnt());

	ret = syscall(SYS_delete_module, "mq", O_NONBLOCK);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EWOULDBLOCK, errno);
	if (!ret) {
		/* Unloaded under a mapping: put it back for the tests after. */
		self->made = false;
		fd = open(getenv("MQ_MODULE") ?: "", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			syscall(SYS_finit_module, fd, "", 0);
			close(fd);
		}
		return;
	}

	mqm_unmap(&self->m);
	end = mqt_now_ms() + MQT_WAIT_MS;
	while (module_refcnt() != base && mqt_now_ms() < end)
		mqt_sleep_ms(10);
	EXPECT_EQ(base, module_refcnt());
}

TEST_HARNESS_MAIN
