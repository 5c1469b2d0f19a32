// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * log_test: the commit log (log.c) on the host, each case in a folder of
 * its own under $TMPDIR (or the current folder when TMPDIR is unset):
 * round trips with keys and holes, rolling by size and by age, retention
 * under a reader, a reader racing a writer, recovery of a torn tail and
 * of a flipped byte, indexes rebuilt byte for byte, lookups by time, a
 * write that fails half way (RLIMIT_FSIZE), the segment header's and the
 * data directory's versions.  Prints KTAP.
 *
 * Every record here has a 48-byte value and no key unless a case says so:
 * 64 + 48 = 112 bytes, 112 aligned, so positions are easy to count.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libmq.h"
#include "log.h"
#include "kselftest_harness.h"

#define VAL		48
#define REC		(MQ_RECORD_HDR_SIZE + VAL)	/* 112, aligned */
#define HDR		MQ_LOG_SEG_HDR_SIZE
#define SEC		1000000000ULL

/* Frames a record at @buf: its aligned length. */
static size_t mkrec(void *buf, uint64_t offset, uint64_t ts, const char *key,
		    size_t vlen)
{
	struct mq_record *r = buf;
	size_t klen = key ? strlen(key) : 0, len = sizeof(*r) + klen + vlen;
	unsigned char *p = buf;
	size_t i;

	memset(buf, 0, MQ_RECORD_ALIGN(len));
	r->len = len;
	r->offset = offset;
	r->timestamp = ts;
	r->key_len = klen;
	r->value_len = vlen;
	r->magic = MQ_RECORD_MAGIC;
	if (klen)
		memcpy(p + sizeof(*r), key, klen);
	for (i = 0; i < vlen; i++)
		p[sizeof(*r) + klen + i] = (unsigned char)(offset * 7 + i);
	r->crc = mq_crc32c(p + MQ_RECORD_CRC_START, len - MQ_RECORD_CRC_START);
	return MQ_RECORD_ALIGN(len);
}

/* Appends one record of offset @off, timestamp @ts, at @now. */
static int put(struct mq_log *log, uint64_t off, uint64_t ts, uint64_t now)
{
	unsigned char buf[REC];

	return mq_log_append(log, buf, mkrec(buf, off, ts, NULL, VAL), now);
}

static uint64_t rec_off(const void *p)
{
	const struct mq_record *r = p;

	return r->offset;
}

static char *path(const char *dir, uint64_t base, const char *suffix)
{
	static char buf[PATH_MAX + 64];

	snprintf(buf, sizeof(buf), "%s/%020llu%s", dir,
		 (unsigned long long)base, suffix);
	return buf;
}

static long long fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) ? -1 : (long long)st.st_size;
}

/* Reads a whole small file into @buf: its length, -1 on error. */
static ssize_t slurp(const char *p, void *buf, size_t len)
{
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len);
	close(fd);
	return n;
}

static int spew(const char *p, const void *buf, size_t len, off_t pos)
{
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pwrite(fd, buf, len, pos);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

FIXTURE(log) {
	char dir[PATH_MAX];
	struct mq_log *log;
	struct mq_log_reader *r;
	unsigned char buf[65536];
};

FIXTURE_SETUP(log)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(self->dir, sizeof(self->dir), "%s/log_test.XXXXXX",
		 tmp && *tmp ? tmp : ".");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	strcat(self->dir, "/q");
	self->log = NULL;
	self->r = NULL;
}

FIXTURE_TEARDOWN(log)
{
	char cmd[PATH_MAX + 16];

	mq_log_reader_close(self->r);
	mq_log_close(self->log);
	*strrchr(self->dir, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

/* Keys, holes, several records per batch, and what a reader sees of them. */
TEST_F(log, round_trip)
{
	unsigned char in[1024];
	size_t n = 0, first;
	uint64_t off;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, NULL));
	EXPECT_EQ(0, mq_log_next_offset(self->log));
	EXPECT_EQ(0, mq_log_segments(self->log));
	EXPECT_EQ(-ENOENT, mq_log_sync_fd(self->log));
	n += mkrec(in + n, 0, 10, "k0", 5);
	n += mkrec(in + n, 1, 11, NULL, 0);
	n += mkrec(in + n, 2, 12, "key-2", 100);
	first = n;
	ASSERT_EQ(0, mq_log_append(self->log, in, n, 100));
	/* Offsets 3 and 4 never come: a hole. */
	n += mkrec(in + n, 5, 15, "k5", 1);
	n += mkrec(in + n, 6, 16, NULL, 7);
	ASSERT_EQ(0, mq_log_append(self->log, in + first, n - first, 100));
	EXPECT_EQ(7, mq_log_next_offset(self->log));
	EXPECT_EQ(0, mq_log_first_offset(self->log));
	EXPECT_EQ(1, mq_log_segments(self->log));
	EXPECT_EQ(HDR + (long long)n, fsize(path(self->dir, 0, ".log")));
	/* Below the next offset, or repeated: refused, nothing written. */
	EXPECT_EQ(-EINVAL, mq_log_append(self->log, in, mkrec(in, 6, 1, NULL, 1), 100));
	EXPECT_EQ(HDR + (long long)n, fsize(path(self->dir, 0, ".log")));
	mkrec(in, 0, 10, "k0", 5);

	ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
	EXPECT_EQ((ssize_t)n, mq_log_read(self->r, 0, self->buf, sizeof(self->buf)));
	EXPECT_EQ(0, memcmp(in, self->buf, n));
	/* In the hole: from the next record there is. */
	EXPECT_EQ((ssize_t)(n - first), mq_log_read(self->r, 3, self->buf, sizeof(self->buf)));
	EXPECT_EQ(5, rec_off(self->buf));
	EXPECT_EQ(0, memcmp(in + first, self->buf, n - first));
	EXPECT_EQ(0, mq_log_read(self->r, 7, self->buf, sizeof(self->buf)));
	/* Only whole records: two fit in 160 bytes, the first alone in 64 not. */
	EXPECT_EQ(72 + 64, mq_log_read(self->r, 0, self->buf, 160));
	EXPECT_EQ(-EMSGSIZE, mq_log_read(self->r, 0, self->buf, 64));
	ASSERT_EQ(0, mq_log_reader_first_offset(self->r, &off));
	EXPECT_EQ(0, off);
	ASSERT_EQ(0, mq_log_reader_next_offset(self->r, &off));
	EXPECT_EQ(7, off);
}

/* Batches that are not records, or not in order, are refused whole. */
TEST_F(log, bad_batches)
{
	unsigned char in[512];
	size_t n;
	uint64_t pos;
	int fd;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, NULL));
	n = mkrec(in, 4, 1, NULL, VAL);
	n += mkrec(in + n, 4, 1, NULL, VAL);
	EXPECT_EQ(-EINVAL, mq_log_append(self->log, in, n, 0));	/* repeated */
	n = mkrec(in, 4, 1, NULL, VAL);
	EXPECT_EQ(-EINVAL, mq_log_append(self->log, in, n - 8, 0));	/* cut */
	((struct mq_record *)in)->len |= MQ_RECORD_LEN_BUSY;
	EXPECT_EQ(-EINVAL, mq_log_append(self->log, in, n, 0));
	n = mkrec(in, 4, 1, NULL, VAL);
	in[46] = 2;	/* magic */
	EXPECT_EQ(-EINVAL, mq_log_append(self->log, in, n, 0));
	EXPECT_EQ(0, mq_log_segments(self->log));

	/* One reservation at a time; an abort leaves no trace. */
	n = mkrec(in, 4, 1, NULL, VAL);
	ASSERT_EQ(0, mq_log_reserve(self->log, in, n, 0, &fd, &pos));
	EXPECT_EQ(HDR, pos);
	EXPECT_EQ(fd, mq_log_sync_fd(self->log));
	EXPECT_EQ(-EBUSY, mq_log_reserve(self->log, in, n, 0, &fd, &pos));
	EXPECT_EQ(-EINVAL, mq_log_appended(self->log, in, n - 8));
	ASSERT_EQ(50, pwrite(fd, in, 50, pos));
	EXPECT_EQ(0, mq_log_abort(self->log));
	EXPECT_EQ(HDR, fsize(path(self->dir, 4, ".log")));
	EXPECT_EQ(4, mq_log_next_offset(self->log));
	ASSERT_EQ(0, mq_log_reserve(self->log, in, n, 0, &fd, &pos));
	EXPECT_EQ(HDR, pos);
	ASSERT_EQ((ssize_t)n, pwrite(fd, in, n, pos));
	EXPECT_EQ(0, mq_log_appended(self->log, in, n));
	EXPECT_EQ(5, mq_log_next_offset(self->log));
	EXPECT_EQ(4, mq_log_first_offset(self->log));
}

/* A segment holds what fits in segment_bytes; a reader walks across them. */
TEST_F(log, roll_by_size)
{
	struct mq_log_config cfg = { .segment_bytes = HDR + 3 * REC };
	uint64_t i, off;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, put(self->log, i, i, 0));
	EXPECT_EQ(4, mq_log_segments(self->log));
	EXPECT_EQ(HDR + 3 * REC, fsize(path(self->dir, 0, ".log")));
	EXPECT_EQ(HDR + 3 * REC, fsize(path(self->dir, 3, ".log")));
	EXPECT_EQ(HDR + 3 * REC, fsize(path(self->dir, 6, ".log")));
	EXPECT_EQ(HDR + REC, fsize(path(self->dir, 9, ".log")));
	/* Closed segments end their time index with their newest timestamp. */
	EXPECT_EQ(12, fsize(path(self->dir, 0, ".timeindex")));
	EXPECT_EQ(0, fsize(path(self->dir, 9, ".timeindex")));

	ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
	for (i = 0; i < 10; i++) {
		ssize_t n = mq_log_read(self->r, i, self->buf, sizeof(self->buf));

		/* One segment per read: to its end. */
		EXPECT_EQ((ssize_t)((i < 9 ? 3 - i % 3 : 1) * REC), n);
		EXPECT_EQ(i, rec_off(self->buf));
	}
	ASSERT_EQ(0, mq_log_reader_next_offset(self->r, &off));
	EXPECT_EQ(10, off);

	/* A batch larger than a segment goes whole into a segment of its own. */
	{
		unsigned char in[8 * REC];
		size_t n = 0;

		for (i = 10; i < 15; i++)
			n += mkrec(in + n, i, i, NULL, VAL);
		ASSERT_EQ(0, mq_log_append(self->log, in, n, 0));
		EXPECT_EQ(5, mq_log_segments(self->log));
		EXPECT_EQ(HDR + 5 * REC, fsize(path(self->dir, 10, ".log")));
	}

	/* What mqctl shows of a log: segments and their bytes. */
	{
		unsigned int segs;
		uint64_t bytes;

		ASSERT_EQ(0, mq_log_reader_stat(self->r, &segs, &bytes));
		EXPECT_EQ(5, segs);
		EXPECT_EQ(5 * HDR + 15 * REC, bytes);
	}
}

/* Rolls by age, on the caller's clock: no sleeping. */
TEST_F(log, roll_by_age)
{
	struct mq_log_config cfg = { .segment_age = 10 * SEC };

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	ASSERT_EQ(0, put(self->log, 0, 0, 100 * SEC));
	ASSERT_EQ(0, put(self->log, 1, 0, 109 * SEC));
	EXPECT_EQ(1, mq_log_segments(self->log));
	ASSERT_EQ(0, put(self->log, 2, 0, 110 * SEC));
	EXPECT_EQ(2, mq_log_segments(self->log));
	ASSERT_EQ(0, put(self->log, 3, 0, 119 * SEC));
	EXPECT_EQ(2, mq_log_segments(self->log));
	/* The age is the header's: it survives a reopen. */
	mq_log_close(self->log);
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
	ASSERT_EQ(0, put(self->log, 4, 0, 119 * SEC));
	EXPECT_EQ(2, mq_log_segments(self->log));
	ASSERT_EQ(0, put(self->log, 5, 0, 120 * SEC));
	EXPECT_EQ(3, mq_log_segments(self->log));
	EXPECT_EQ(HDR + 2 * REC, fsize(path(self->dir, 0, ".log")));
	EXPECT_EQ(HDR + 3 * REC, fsize(path(self->dir, 2, ".log")));
	EXPECT_EQ(HDR + REC, fsize(path(self->dir, 5, ".log")));
}

/*
 * Retention deletes whole segments from the oldest, never the active one,
 * by size (keeping at least max_bytes) and by age (of a segment's newest
 * record); a reader in a deleted segment goes on from the oldest left.
 */
TEST_F(log, retention)
{
	struct mq_log_config cfg = { .segment_bytes = HDR + 3 * REC };
	uint64_t i, off, seg = HDR + 3 * REC;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	/* Segments 0, 3, 6, 9; record i stamped i seconds. */
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, put(self->log, i, i * SEC, 0));
	ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
	ASSERT_EQ(3 * REC, mq_log_read(self->r, 0, self->buf, sizeof(self->buf)));

	/* Without segment 0, 2 * seg + HDR + REC are left: still >= max. */
	EXPECT_EQ(1, mq_log_retain(self->log, 0, 2 * seg + HDR + REC, 0));
	EXPECT_EQ(3, mq_log_first_offset(self->log));
	EXPECT_EQ(-1, fsize(path(self->dir, 0, ".log")));
	EXPECT_EQ(-1, fsize(path(self->dir, 0, ".index")));
	EXPECT_EQ(-1, fsize(path(self->dir, 0, ".timeindex")));
	EXPECT_EQ(0, mq_log_retain(self->log, 0, 2 * seg + HDR + REC, 0));
	/* The reader had segment 0 open: it goes on from what is left. */
	ASSERT_EQ(3 * REC, mq_log_read(self->r, 0, self->buf, sizeof(self->buf)));
	EXPECT_EQ(3, rec_off(self->buf));
	ASSERT_EQ(0, mq_log_reader_first_offset(self->r, &off));
	EXPECT_EQ(3, off);

	/* Segment 3's newest record is 5 s old at 15 s: older than 4 s. */
	EXPECT_EQ(0, mq_log_retain(self->log, 10 * SEC, 0, 5 * SEC));
	EXPECT_EQ(1, mq_log_retain(self->log, 10 * SEC + 1, 0, 5 * SEC));
	EXPECT_EQ(6, mq_log_first_offset(self->log));
	/* Everything is old and over any size: the active one stays. */
	EXPECT_EQ(1, mq_log_retain(self->log, 1000 * SEC, 1, 1));
	EXPECT_EQ(1, mq_log_segments(self->log));
	EXPECT_EQ(9, mq_log_first_offset(self->log));
	EXPECT_EQ(0, mq_log_retain(self->log, 1000 * SEC, 1, 1));
	EXPECT_EQ(REC, mq_log_read(self->r, 0, self->buf, sizeof(self->buf)));
	EXPECT_EQ(9, rec_off(self->buf));
	ASSERT_EQ(0, put(self->log, 10, 0, 0));
	EXPECT_EQ(REC, mq_log_read(self->r, 10, self->buf, sizeof(self->buf)));
	EXPECT_EQ(10, rec_off(self->buf));
}

/*
 * A reader racing a writer in another process, which appends batches
 * of varying size, rolls every few KiB and applies retention as it goes:
 * the reader sees offsets only increase, never a bad record, and reaches
 * the end.
 */
TEST_F(log, reader_races_writer)
{
	struct mq_log_config cfg = { .segment_bytes = 4096, .index_interval = 512 };
	uint64_t next = 0, off, last = 0, seen = 0;
	const uint64_t total = 3000;
	int status;
	pid_t pid;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned char in[8 * 256];
		uint64_t o = 0;

		while (o < total) {
			size_t n = 0;
			unsigned int k;

			for (k = 0; k < 1 + o % 7 && o < total; k++, o++)
				n += mkrec(in + n, o, o, NULL, (o * 13) % 150);
			if (mq_log_append(self->log, in, n, 0) ||
			    mq_log_retain(self->log, 0, 64 * 1024, 0) < 0)
				_exit(1);
		}
		_exit(0);
	}
	while (next < total) {
		ssize_t n = mq_log_read(self->r, next, self->buf, sizeof(self->buf));
		ssize_t pos = 0;

		ASSERT_LE(0, n) TH_LOG("read at %llu: %s", (unsigned long long)next,
				       strerror(-n));
		while (pos < n) {
			const struct mq_record *rec = (void *)(self->buf + pos);

			ASSERT_LE(next, rec->offset);
			ASSERT_EQ(rec->crc, mq_crc32c(self->buf + pos + 8, rec->len - 8));
			ASSERT_EQ((rec->offset * 13) % 150, rec->value_len);
			last = rec->offset;
			next = last + 1;
			seen++;
			pos += MQ_RECORD_ALIGN(rec->len);
		}
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(total - 1, last);
	ASSERT_EQ(0, mq_log_reader_next_offset(self->r, &off));
	EXPECT_EQ(total, off);
	/*
	 * Retention kept at least 64 KiB, and not one segment more: without
	 * its oldest segment, the log would hold less.
	 */
	ASSERT_EQ(0, mq_log_reader_first_offset(self->r, &off));
	mq_log_close(self->log);
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
	EXPECT_EQ(off, mq_log_first_offset(self->log));
	EXPECT_EQ(total, mq_log_next_offset(self->log));
	{
		long long sum = 0, first = fsize(path(self->dir, off, ".log"));
		struct dirent *d;
		DIR *dir = opendir(self->dir);

		ASSERT_NE(NULL, dir);
		while ((d = readdir(dir)))
			if (strlen(d->d_name) == 24 && strstr(d->d_name, ".log"))
				sum += fsize(path(self->dir, strtoull(d->d_name, NULL, 10), ".log"));
		closedir(dir);
		EXPECT_LE(64 * 1024, sum);
		EXPECT_GT(64 * 1024, sum - first);
	}
	TH_LOG("read %llu records as they came; the log keeps %llu on",
	       (unsigned long long)seen, (unsigned long long)off);
}

/* A reopened log goes on where it was. */
TEST_F(log, reopen)
{
	struct mq_log_config cfg = { .segment_bytes = HDR + 3 * REC, .index_interval = 256 };
	const struct mq_log_recovery *rec;
	uint64_t i;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	for (i = 0; i < 7; i++)
		ASSERT_EQ(0, put(self->log, i * 2, i, 0));
	mq_log_close(self->log);
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
	rec = mq_log_recovery(self->log);
	EXPECT_EQ(0, rec->truncated_bytes);
	EXPECT_EQ(0, rec->quarantined);
	EXPECT_EQ(0, rec->rebuilt);
	EXPECT_EQ(0, rec->removed);
	EXPECT_EQ(13, mq_log_next_offset(self->log));
	EXPECT_EQ(0, mq_log_first_offset(self->log));
	EXPECT_EQ(3, mq_log_segments(self->log));
	EXPECT_EQ(-EINVAL, put(self->log, 12, 0, 0));
	ASSERT_EQ(0, put(self->log, 13, 0, 0));
	/* One writer at a time. */
	{
		struct mq_log *two = (void *)1;

		EXPECT_EQ(-EBUSY, mq_log_open(&two, self->dir, 0, &cfg));
		EXPECT_EQ(NULL, two);
	}
	EXPECT_EQ(HDR + 2 * REC, fsize(path(self->dir, 12, ".log")));
	/* Without MQ_LOG_CREATE, a missing log is an error. */
	mq_log_close(self->log);
	self->log = NULL;
	*strrchr(self->dir, '/') = '\0';
	strcat(self->dir, "/none");
	EXPECT_EQ(-ENOENT, mq_log_open(&self->log, self->dir, 0, &cfg));
	EXPECT_EQ(NULL, self->log);
	*strrchr(self->dir, '/') = '\0';
	strcat(self->dir, "/q");
}

/* A half-written last record, or garbage after the last, is cut off. */
TEST_F(log, torn_tail)
{
	const struct mq_log_recovery *rec;
	unsigned char junk[100];
	char *p;
	uint64_t i;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, NULL));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, put(self->log, i, i, 0));
	mq_log_close(self->log);
	self->log = NULL;
	p = path(self->dir, 0, ".log");
	ASSERT_EQ(0, truncate(p, HDR + 5 * REC - 30));

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, NULL));
	rec = mq_log_recovery(self->log);
	EXPECT_EQ(REC - 30, rec->truncated_bytes);
	EXPECT_EQ(HDR + 4 * REC, rec->truncated_at);
	EXPECT_EQ(4, mq_log_next_offset(self->log));
	EXPECT_EQ(HDR + 4 * REC, fsize(path(self->dir, 0, ".log")));
	ASSERT_EQ(0, put(self->log, 4, 4, 0));
	mq_log_close(self->log);
	self->log = NULL;

	memset(junk, 0xab, sizeof(junk));
	ASSERT_EQ(0, spew(path(self->dir, 0, ".log"), junk, sizeof(junk), HDR + 5 * REC));
	/* A reader never returns the garbage. */
	ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
	EXPECT_EQ(-EBADMSG, mq_log_read(self->r, 5, self->buf, sizeof(self->buf)));
	EXPECT_EQ(REC, mq_log_read(self->r, 4, self->buf, sizeof(self->buf)));
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, NULL));
	rec = mq_log_recovery(self->log);
	EXPECT_EQ(100, rec->truncated_bytes);
	EXPECT_EQ(HDR + 5 * REC, rec->truncated_at);
	EXPECT_EQ(5, mq_log_next_offset(self->log));
	EXPECT_EQ(0, mq_log_read(self->r, 5, self->buf, sizeof(self->buf)));

	/* A zeroed tail (a crash before the data reached the disk) too. */
	mq_log_close(self->log);
	self->log = NULL;
	ASSERT_EQ(0, truncate(path(self->dir, 0, ".log"), HDR + 5 * REC + 4096));
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, NULL));
	EXPECT_EQ(4096, mq_log_recovery(self->log)->truncated_bytes);
	EXPECT_EQ(5, mq_log_next_offset(self->log));
}

/*
 * A flipped byte: the reader returns -EBADMSG for that record and serves
 * the others; opening quarantines a closed segment, cuts the active one.
 */
TEST_F(log, flipped_byte)
{
	struct mq_log_config cfg = { .segment_bytes = HDR + 4 * REC };
	const struct mq_log_recovery *rec;
	unsigned char b;
	uint64_t i;
	char *p;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, put(self->log, i, i, 0));
	EXPECT_EQ(3, mq_log_segments(self->log));	/* 0, 4, 8 */
	mq_log_close(self->log);
	self->log = NULL;

	/* A value byte of record 1, in closed segment 0. */
	p = path(self->dir, 0, ".log");
	b = (unsigned char)(1 * 7 + 80 - MQ_RECORD_HDR_SIZE) ^ 0x10;
	ASSERT_EQ(0, spew(p, &b, 1, HDR + REC + 80));

	ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
	EXPECT_EQ(REC, mq_log_read(self->r, 0, self->buf, sizeof(self->buf)));
	EXPECT_EQ(0, rec_off(self->buf));
	EXPECT_EQ(-EBADMSG, mq_log_read(self->r, 1, self->buf, sizeof(self->buf)));
	EXPECT_EQ(2 * REC, mq_log_read(self->r, 2, self->buf, sizeof(self->buf)));
	EXPECT_EQ(2, rec_off(self->buf));

	/* And a header byte of record 9 (the offset), in active segment 8. */
	p = path(self->dir, 8, ".log");
	b = 0xee;
	ASSERT_EQ(0, spew(p, &b, 1, HDR + REC + 9));
	EXPECT_EQ(REC, mq_log_read(self->r, 8, self->buf, sizeof(self->buf)));
	EXPECT_EQ(-EBADMSG, mq_log_read(self->r, 9, self->buf, sizeof(self->buf)));

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
	rec = mq_log_recovery(self->log);
	EXPECT_EQ(1, rec->quarantined);
	EXPECT_EQ(REC, rec->truncated_bytes);
	EXPECT_EQ(HDR + REC, rec->truncated_at);
	EXPECT_EQ(2, mq_log_segments(self->log));
	EXPECT_EQ(4, mq_log_first_offset(self->log));
	EXPECT_EQ(9, mq_log_next_offset(self->log));
	EXPECT_EQ(HDR + 4 * REC, fsize(path(self->dir, 0, ".log.corrupt")));
	EXPECT_EQ(-1, fsize(path(self->dir, 0, ".log")));
	EXPECT_EQ(-1, fsize(path(self->dir, 0, ".index")));
	/* The reader now finds nothing below 4: a hole where segment 0 was. */
	EXPECT_EQ(4 * REC, mq_log_read(self->r, 0, self->buf, sizeof(self->buf)));
	EXPECT_EQ(4, rec_off(self->buf));
	EXPECT_EQ(0, mq_log_read(self->r, 9, self->buf, sizeof(self->buf)));
	ASSERT_EQ(0, put(self->log, 9, 9, 0));
	EXPECT_EQ(REC, mq_log_read(self->r, 9, self->buf, sizeof(self->buf)));
	EXPECT_EQ(9, rec_off(self->buf));
}

/* A second quarantine of one base keeps the first's file: both are evidence. */
TEST_F(log, quarantine_twice)
{
	struct mq_log_config cfg = { .segment_bytes = HDR + 4 * REC };
	unsigned char b = 0x5a;
	uint64_t i;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, put(self->log, i, i, 0));
	mq_log_close(self->log);
	self->log = NULL;
	/* An earlier quarantine of base 0, as if segment 0 had been made again. */
	ASSERT_EQ(0, spew(path(self->dir, 0, ".log.corrupt"), "old", 3, 0));
	ASSERT_EQ(0, spew(path(self->dir, 0, ".log"), &b, 1, HDR + REC + 80));
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
	EXPECT_EQ(1, mq_log_recovery(self->log)->quarantined);
	EXPECT_EQ(3, fsize(path(self->dir, 0, ".log.corrupt")));
	EXPECT_EQ(HDR + 4 * REC, fsize(path(self->dir, 0, ".log.corrupt.1")));
	EXPECT_EQ(-1, fsize(path(self->dir, 0, ".log")));
	EXPECT_EQ(4, mq_log_first_offset(self->log));
}

/*
 * Corruption before the last index entry is not seen by a plain open,
 * which checks from there on; MQ_LOG_VERIFY checks every record.
 */
TEST_F(log, verify)
{
	struct mq_log_config cfg = { .segment_bytes = HDR + 40 * REC, .index_interval = 512 };
	const struct mq_log_recovery *rec;
	unsigned char b = 0x5a;
	uint64_t i;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, put(self->log, i, i, 0));
	mq_log_close(self->log);
	self->log = NULL;
	ASSERT_EQ(0, spew(path(self->dir, 0, ".log"), &b, 1, HDR + 2 * REC + 100));
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
	EXPECT_EQ(0, mq_log_recovery(self->log)->quarantined);
	mq_log_close(self->log);
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_VERIFY, &cfg));
	rec = mq_log_recovery(self->log);
	EXPECT_EQ(1, rec->quarantined);
	EXPECT_EQ(0, rec->truncated_bytes);
	EXPECT_EQ(0, rec->rebuilt);
	EXPECT_EQ(40, mq_log_first_offset(self->log));
	EXPECT_EQ(50, mq_log_next_offset(self->log));
}

static void snapshot(const char *dir, uint64_t base, unsigned char *idx,
		     ssize_t *ilen, unsigned char *tidx, ssize_t *tlen)
{
	*ilen = slurp(path(dir, base, ".index"), idx, 4096);
	*tlen = slurp(path(dir, base, ".timeindex"), tidx, 4096);
}

/* Indexes deleted, cut or scribbled on come back byte for byte. */
TEST_F(log, index_rebuild)
{
	struct mq_log_config cfg = { .segment_bytes = HDR + 30 * REC, .index_interval = 256 };
	unsigned char idx[2][4096], tidx[2][4096], want[2][4096], twant[2][4096];
	ssize_t il[2], tl[2], wl[2], twl[2];
	unsigned char junk[12];
	uint64_t i, off;
	int s;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	/* Timestamps that go back now and then: the time index stays monotonic. */
	for (i = 0; i < 45; i++)
		ASSERT_EQ(0, put(self->log, 3 * i, i % 7 ? 1000 + i : 500, 0));
	mq_log_close(self->log);
	self->log = NULL;
	for (s = 0; s < 2; s++)
		snapshot(self->dir, s ? 90 : 0, want[s], &wl[s], twant[s], &twl[s]);
	/* 256 bytes of 112-byte records: an entry every third record. */
	EXPECT_EQ(9 * 8, wl[0]);
	EXPECT_EQ(4 * 8, wl[1]);
	/*
	 * The newest timestamp grows between any two index points, so a time
	 * entry comes with each offset entry; closed segment 0 ends with one
	 * more, for its newest record (29: 1029).
	 */
	EXPECT_EQ(10 * 12, twl[0]);
	EXPECT_EQ(4 * 12, twl[1]);

	ASSERT_EQ(0, unlink(path(self->dir, 0, ".index")));
	ASSERT_EQ(0, unlink(path(self->dir, 90, ".timeindex")));
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
	EXPECT_EQ(2, mq_log_recovery(self->log)->rebuilt);
	mq_log_close(self->log);
	self->log = NULL;
	for (s = 0; s < 2; s++) {
		snapshot(self->dir, s ? 90 : 0, idx[s], &il[s], tidx[s], &tl[s]);
		ASSERT_EQ(wl[s], il[s]);
		ASSERT_EQ(twl[s], tl[s]);
		EXPECT_EQ(0, memcmp(want[s], idx[s], wl[s]));
		EXPECT_EQ(0, memcmp(twant[s], tidx[s], twl[s]));
	}

	/* Cut mid-entry, and an entry out of order. */
	ASSERT_EQ(0, truncate(path(self->dir, 0, ".timeindex"), 30));
	memset(junk, 0, sizeof(junk));
	ASSERT_EQ(0, spew(path(self->dir, 90, ".index"), junk, 8, 8));
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
	EXPECT_EQ(2, mq_log_recovery(self->log)->rebuilt);
	mq_log_close(self->log);
	self->log = NULL;
	for (s = 0; s < 2; s++) {
		snapshot(self->dir, s ? 90 : 0, idx[s], &il[s], tidx[s], &tl[s]);
		ASSERT_EQ(wl[s], il[s]);
		ASSERT_EQ(twl[s], tl[s]);
		EXPECT_EQ(0, memcmp(want[s], idx[s], wl[s]));
		EXPECT_EQ(0, memcmp(twant[s], tidx[s], twl[s]));
	}

	/*
	 * A reader given an entry that points into the middle of a record
	 * still finds every offset: it checks where it lands.  The writer's
	 * open checks that the last entry points at the record it names.
	 */
	{
		uint32_t e[2] = { 30, 256 + HDR };

		ASSERT_EQ(0, spew(path(self->dir, 0, ".index"), e, 8, 8 * 3));
		ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
		for (off = 0; off <= 132; off++) {
			ssize_t n = mq_log_read(self->r, off, self->buf, REC);

			ASSERT_EQ(REC, n);
			ASSERT_EQ((off + 2) / 3 * 3, rec_off(self->buf));
		}
		EXPECT_EQ(0, mq_log_read(self->r, 133, self->buf, REC));
		ASSERT_EQ(0, spew(path(self->dir, 0, ".index"), want[0], wl[0], 0));
		/* Entry 8 names record 27 (offset 81) at 64 + 27 * 112: say 84. */
		e[0] = 84;
		e[1] = HDR + 27 * REC;
		ASSERT_EQ(0, spew(path(self->dir, 0, ".index"), e, 8, 8 * 8));
		ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
		EXPECT_EQ(1, mq_log_recovery(self->log)->rebuilt);
		snapshot(self->dir, 0, idx[0], &il[0], tidx[0], &tl[0]);
		ASSERT_EQ(wl[0], il[0]);
		EXPECT_EQ(0, memcmp(want[0], idx[0], wl[0]));
	}
}

/* Record i's timestamp in time_lookup: a clock set back every 7th. */
static uint64_t ts_of(uint64_t i)
{
	return i % 7 ? 1000 + i : 500;
}

/*
 * Looking an offset up by time, through the time indexes and without
 * them, finds what a walk through every record finds: the first record,
 * in offset order, stamped at or after the time.
 */
TEST_F(log, time_lookup)
{
	struct mq_log_config cfg = { .segment_bytes = HDR + 30 * REC, .index_interval = 256 };
	uint64_t i, t, off;
	int pass;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	for (i = 0; i < 45; i++)
		ASSERT_EQ(0, put(self->log, 3 * i, ts_of(i), 0));
	EXPECT_EQ(2, mq_log_segments(self->log));
	ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
	for (pass = 0; pass < 2; pass++) {
		for (t = 0; t <= 1050; t++) {
			int ret = mq_log_reader_offset_for_time(self->r, t, &off);

			for (i = 0; i < 45 && ts_of(i) < t; i++)
				;
			if (i == 45) {
				ASSERT_EQ(-ENOENT, ret);
				ASSERT_EQ(133, off);
			} else {
				ASSERT_EQ(0, ret);
				ASSERT_EQ(3 * i, off) TH_LOG("at %llu, pass %d",
							     (unsigned long long)t, pass);
			}
		}
		if (pass)
			break;
		/* Again with no index at all: every record walked. */
		ASSERT_EQ(0, unlink(path(self->dir, 0, ".timeindex")));
		ASSERT_EQ(0, unlink(path(self->dir, 0, ".index")));
		ASSERT_EQ(0, unlink(path(self->dir, 90, ".timeindex")));
		ASSERT_EQ(0, unlink(path(self->dir, 90, ".index")));
		mq_log_reader_close(self->r);
		ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
	}
	/* Spot checks of the walk above. */
	EXPECT_EQ(0, mq_log_reader_offset_for_time(self->r, 1028, &off));
	EXPECT_EQ(87, off);	/* record 28 was stamped 500: record 29 */
	EXPECT_EQ(0, mq_log_reader_offset_for_time(self->r, 1030, &off));
	EXPECT_EQ(90, off);	/* record 30, first of segment 90 */
	EXPECT_EQ(0, mq_log_reader_offset_for_time(self->r, 501, &off));
	EXPECT_EQ(3, off);
	EXPECT_EQ(-ENOENT, mq_log_reader_offset_for_time(self->r, 1045, &off));
}

/*
 * A write that fails half way (the file size limit standing in for a full
 * disk: EFBIG where ENOSPC would come) is cut back; the log stays
 * readable, and appendable once there is room.
 */
TEST_F(log, write_fails)
{
	struct mq_log_config cfg = { .segment_bytes = HDR + 3 * REC };
	unsigned char in[3 * REC];
	struct rlimit rl;
	size_t n = 0;
	uint64_t i;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, put(self->log, i, i, 0));
	for (i = 4; i < 6; i++)
		n += mkrec(in + n, i, i, NULL, VAL);
	ASSERT_EQ(0, getrlimit(RLIMIT_FSIZE, &rl));
	ASSERT_NE(SIG_ERR, signal(SIGXFSZ, SIG_IGN));
	rl.rlim_cur = HDR + REC + 50;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &rl));

	EXPECT_EQ(-EFBIG, mq_log_append(self->log, in, n, 0));
	EXPECT_EQ(HDR + REC, fsize(path(self->dir, 3, ".log")));
	EXPECT_EQ(4, mq_log_next_offset(self->log));
	/* A roll that cannot write its header leaves no segment behind. */
	rl.rlim_cur = 10;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &rl));
	{
		unsigned char big[3 * REC];
		size_t m = 0;

		for (i = 4; i < 7; i++)
			m += mkrec(big + m, i, i, NULL, VAL);
		EXPECT_EQ(-EFBIG, mq_log_append(self->log, big, m, 0));
		EXPECT_EQ(-1, fsize(path(self->dir, 4, ".log")));
		EXPECT_EQ(-1, fsize(path(self->dir, 4, ".index")));
		EXPECT_EQ(2, mq_log_segments(self->log));
	}
	ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
	EXPECT_EQ(REC, mq_log_read(self->r, 3, self->buf, sizeof(self->buf)));
	EXPECT_EQ(0, mq_log_read(self->r, 4, self->buf, sizeof(self->buf)));

	rl.rlim_cur = rl.rlim_max;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &rl));
	ASSERT_EQ(0, mq_log_append(self->log, in, n, 0));
	EXPECT_EQ(6, mq_log_next_offset(self->log));
	EXPECT_EQ(HDR + 3 * REC, fsize(path(self->dir, 3, ".log")));
	EXPECT_EQ(2 * REC, mq_log_read(self->r, 4, self->buf, sizeof(self->buf)));
	EXPECT_EQ(0, memcmp(in, self->buf, n));
	mq_log_close(self->log);
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
	EXPECT_EQ(0, mq_log_recovery(self->log)->truncated_bytes);
	EXPECT_EQ(6, mq_log_next_offset(self->log));
}

/* Leftovers of a crash: an empty new segment, indexes without a .log. */
TEST_F(log, crash_leftovers)
{
	struct mq_log_config cfg = { .segment_bytes = HDR + 3 * REC };
	uint64_t i;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, &cfg));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, put(self->log, i, i, 0));
	mq_log_close(self->log);
	self->log = NULL;
	/* A roll to 4 that made the file and died before the header. */
	ASSERT_EQ(0, spew(path(self->dir, 4, ".log"), "", 0, 0));
	/* A retention that deleted 0's .log and died. */
	ASSERT_EQ(0, spew(path(self->dir, 77, ".index"), "", 0, 0));
	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, 0, &cfg));
	EXPECT_EQ(2, mq_log_recovery(self->log)->removed);
	EXPECT_EQ(2, mq_log_segments(self->log));
	EXPECT_EQ(4, mq_log_next_offset(self->log));
	EXPECT_EQ(-1, fsize(path(self->dir, 4, ".log")));
	EXPECT_EQ(-1, fsize(path(self->dir, 77, ".index")));
	ASSERT_EQ(0, put(self->log, 4, 4, 0));
	EXPECT_EQ(HDR + 2 * REC, fsize(path(self->dir, 3, ".log")));
	EXPECT_EQ(2, mq_log_segments(self->log));
}

/* A segment written by another version of the format is refused. */
TEST_F(log, segment_version)
{
	unsigned char h[HDR];
	uint32_t crc;

	ASSERT_EQ(0, mq_log_open(&self->log, self->dir, MQ_LOG_CREATE, NULL));
	ASSERT_EQ(0, put(self->log, 0, 0, 0));
	mq_log_close(self->log);
	self->log = NULL;
	ASSERT_EQ(HDR, slurp(path(self->dir, 0, ".log"), h, HDR));
	EXPECT_EQ(0, memcmp(h, "MQLOGSEG\1\0\0\0\100\0\0\0", 16));
	h[8] = 2;
	crc = mq_crc32c(h, HDR - 4);
	memcpy(h + HDR - 4, &crc, 4);
	ASSERT_EQ(0, spew(path(self->dir, 0, ".log"), h, HDR, 0));
	EXPECT_EQ(-EPROTO, mq_log_open(&self->log, self->dir, 0, NULL));
	ASSERT_EQ(0, mq_log_reader_open(&self->r, self->dir));
	EXPECT_EQ(-EPROTO, mq_log_read(self->r, 0, self->buf, sizeof(self->buf)));
}

/* The data directory's format marker. */
TEST_F(log, datadir)
{
	char msg[256], buf[PATH_MAX + 16];
	char *d = self->dir;

	EXPECT_EQ(-ENOENT, mq_log_datadir_check(d, false, msg, sizeof(msg)));
	ASSERT_EQ(0, mq_log_datadir_check(d, true, msg, sizeof(msg)));
	snprintf(buf, sizeof(buf), "%s/format", d);
	memset(msg, 0, sizeof(msg));
	ASSERT_EQ(16, slurp(buf, msg, sizeof(msg)));
	EXPECT_STREQ("mq-commit-log 1\n", msg);
	EXPECT_EQ(0, mq_log_datadir_check(d, false, msg, sizeof(msg)));
	EXPECT_EQ(0, mq_log_datadir_check(d, true, msg, sizeof(msg)));

	ASSERT_EQ(0, spew(buf, "mq-commit-log 2\n", 16, 0));
	EXPECT_EQ(-EPROTO, mq_log_datadir_check(d, true, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "format version 2; this mq reads version 1 only"));
	ASSERT_EQ(0, spew(buf, "kafka-logs 1\n\n\n", 16, 0));
	EXPECT_EQ(-EINVAL, mq_log_datadir_check(d, true, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "does not name an mq data directory"));

	/* Something else already there: never stamped. */
	ASSERT_EQ(0, unlink(buf));
	snprintf(buf, sizeof(buf), "%s/other", d);
	ASSERT_EQ(0, spew(buf, "x", 1, 0));
	EXPECT_EQ(-ENOTEMPTY, mq_log_datadir_check(d, true, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "is not empty and has no format file"));
	snprintf(buf, sizeof(buf), "%s/format", d);
	EXPECT_EQ(-1, fsize(buf));
}

TEST_HARNESS_MAIN
