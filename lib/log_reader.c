// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * Reading a queue's commit log, read-only, next to a writer that appends,
 * rolls and deletes segments (Documentation/log.rst, "Readers").
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libmq.h"
#include "log_internal.h"

struct mq_log_reader {
	int dirfd;
	uint64_t *bases;
	int nr;
	/* The segment last read. */
	bool open;
	uint64_t base;
	int ifd, tfd;
	struct cursor c;
};

int mq_log_reader_open(struct mq_log_reader **rp, const char *dir)
{
	struct mq_log_reader *r;

	*rp = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->c.fd = r->ifd = r->tfd = -1;
	r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		int ret = -errno;

		free(r);
		return ret;
	}
	*rp = r;
	return 0;
}

static void reader_drop(struct mq_log_reader *r)
{
	if (r->c.fd >= 0)
		close(r->c.fd);
	if (r->ifd >= 0)
		close(r->ifd);
	if (r->tfd >= 0)
		close(r->tfd);
	r->c.fd = r->ifd = r->tfd = -1;
	r->c.len = 0;
	r->open = false;
}

void mq_log_reader_close(struct mq_log_reader *r)
{
	if (!r)
		return;
	reader_drop(r);
	free(r->c.buf);
	free(r->bases);
	close(r->dirfd);
	free(r);
}

static int reader_list(struct mq_log_reader *r)
{
	uint64_t *bases;
	int nr = mq__log_list_bases(r->dirfd, &bases, NULL);

	if (nr < 0)
		return nr;
	free(r->bases);
	r->bases = bases;
	r->nr = nr;
	return 0;
}

/* Opens segment @base (kept open across reads): 0, -ENOENT when gone. */
static int reader_seg(struct mq_log_reader *r, uint64_t base)
{
	unsigned char h[HDR];
	char name[NAME_LEN];
	struct stat st;
	uint64_t created;
	int ret;

	if (!r->open || r->base != base) {
		reader_drop(r);
		mq__log_seg_name(name, base, ".log");
		r->c.fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (r->c.fd < 0)
			return -errno;
		mq__log_seg_name(name, base, ".index");
		r->ifd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC);
		mq__log_seg_name(name, base, ".timeindex");
		r->tfd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC);
		r->base = base;
		r->open = true;
	}
	/* Every time: the writer appends, and may cut back a failed write. */
	if (fstat(r->c.fd, &st))
		return -errno;
	r->c.end = st.st_size;
	r->c.len = 0;
	if (r->c.end < HDR) {
		r->c.end = HDR;	/* being created: no records yet */
		return 0;
	}
	ret = mq__log_pread_full(r->c.fd, h, HDR, 0);
	if (ret < 0)
		return ret;
	if (ret != HDR)
		return -EBADMSG;
	return mq__log_hdr_decode(h, base, &created);
}

/* Where to start looking for @offset in the open segment. */
static uint64_t reader_seek(struct mq_log_reader *r, uint64_t offset)
{
	const unsigned char *p;
	struct mq_record rec;
	uint64_t lo = 0, hi, pos = HDR, rel = 0;
	struct stat st;
	uint32_t e[2];

	if (r->ifd < 0 || offset <= r->base || fstat(r->ifd, &st))
		return HDR;
	hi = st.st_size / MQ_LOG_INDEX_ENTRY;
	/* The last entry at or below @offset. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (mq__log_pread_full(r->ifd, e, 8, mid * 8) != 8)
			return HDR;
		if (r->base + le32toh(e[0]) <= offset) {
			pos = le32toh(e[1]);
			rel = le32toh(e[0]);
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	/* Trust it only when it points at the record it names. */
	if (pos == HDR || pos % 8 || pos > r->c.end ||
	    mq__log_cur_get(&r->c, pos, MQ_RECORD_HDR_SIZE, &p))
		return HDR;
	mq__log_rec_hdr(p, &rec);
	return rec.offset == r->base + rel ? pos : HDR;
}

static ssize_t reader_copy(struct mq_log_reader *r, uint64_t offset,
			   unsigned char *buf, size_t len)
{
	const unsigned char *p;
	struct mq_record rec;
	uint64_t pos = reader_seek(r, offset);
	size_t done = 0;
	int ret;

	for (;;) {
		size_t n;

		ret = mq__log_cur_record(&r->c, pos, false, &p);
		if (ret == -ENODATA || ret == SHORT)
			break;
		if (ret)
			return done ? (ssize_t)done : ret;
		mq__log_rec_hdr(p, &rec);
		n = MQ_RECORD_ALIGN(rec.len);
		if (rec.offset >= offset) {
			if (!mq__log_rec_crc_ok(p))
				return done ? (ssize_t)done : -EBADMSG;
			if (n > len - done)
				return done ? (ssize_t)done : -EMSGSIZE;
			memcpy(buf + done, p, n);
			done += n;
		}
		pos += n;
	}
	return done;
}

ssize_t mq_log_read(struct mq_log_reader *r, uint64_t offset, void *buf,
		    size_t len)
{
	int i, tries, ret;

	for (tries = 0; tries < 3; tries++) {
		ret = reader_list(r);
		if (ret)
			return ret;
		if (!r->nr)
			return 0;
		/* The last segment starting at or below @offset, or the first. */
		for (i = r->nr - 1; i > 0 && r->bases[i] > offset; i--)
			;
		for (; i >= 0 && i < r->nr; i++) {
			ssize_t n;

			ret = reader_seg(r, r->bases[i]);
			if (ret == -ENOENT)
				break;	/* retention took it: look again */
			if (ret)
				return ret;
			n = reader_copy(r, offset, buf, len);
			if (n)
				return n;
		}
		if (i >= r->nr)
			return 0;
	}
	return -EAGAIN;
}

int mq_log_reader_first_offset(struct mq_log_reader *r, uint64_t *offset)
{
	const unsigned char *p;
	struct mq_record h;
	int i, ret;

	ret = reader_list(r);
	if (ret)
		return ret;
	/* The first record of the first segment that has one. */
	for (i = 0; i < r->nr; i++) {
		ret = reader_seg(r, r->bases[i]);
		if (ret == -ENOENT)
			continue;	/* retention deleted it since the listing */
		if (ret)
			return ret;
		ret = mq__log_cur_record(&r->c, HDR, false, &p);
		if (ret == -ENODATA || ret == SHORT)
			continue;
		if (ret)
			return ret;
		mq__log_rec_hdr(p, &h);
		*offset = h.offset;
		return 0;
	}
	return mq_log_reader_next_offset(r, offset);
}

int mq_log_reader_next_offset(struct mq_log_reader *r, uint64_t *offset)
{
	const unsigned char *p;
	struct mq_record h;
	uint64_t pos;
	int ret;

	ret = reader_list(r);
	if (ret)
		return ret;
	*offset = 0;
	while (r->nr) {
		ret = reader_seg(r, r->bases[r->nr - 1]);
		if (ret == -ENOENT) {
			ret = reader_list(r);
			if (ret)
				return ret;
			continue;
		}
		if (ret)
			return ret;
		*offset = r->base;
		pos = reader_seek(r, UINT64_MAX);
		while (!mq__log_cur_record(&r->c, pos, false, &p)) {
			mq__log_rec_hdr(p, &h);
			*offset = h.offset + 1;
			pos += MQ_RECORD_ALIGN(h.len);
		}
		break;
	}
	return 0;
}

/* The time entry @i of the open segment: 0, or -1 when unreadable. */
static int reader_time_entry(struct mq_log_reader *r, uint64_t i,
			     uint64_t *ts, uint64_t *offset)
{
	unsigned char e[MQ_LOG_TIMEINDEX_ENTRY];
	uint32_t rel;

	if (mq__log_pread_full(r->tfd, e, sizeof(e), i * sizeof(e)) != sizeof(e))
		return -1;
	memcpy(ts, e, 8);
	memcpy(&rel, e + 8, 4);
	*ts = le64toh(*ts);
	*offset = r->base + le32toh(rel);
	return 0;
}

/*
 * The first record of the open segment stamped @ts or later: 1 with its
 * offset, 0 when there is none.  Every record up to a time entry's is no
 * newer than the entry's timestamp, so the search starts past the last
 * entry older than @ts; and the last entry of a closed segment is its
 * newest timestamp, so a closed segment older than @ts is not read.
 */
static int reader_time(struct mq_log_reader *r, uint64_t ts, bool closed,
		       uint64_t *offset)
{
	uint64_t lo = 0, hi = 0, start = r->base, ets, eoff, pos;
	const unsigned char *p;
	struct mq_record rec;
	struct stat st;
	int ret;

	if (r->tfd >= 0 && !fstat(r->tfd, &st))
		hi = st.st_size / MQ_LOG_TIMEINDEX_ENTRY;
	if (closed && hi && !reader_time_entry(r, hi - 1, &ets, &eoff) && ets < ts)
		return 0;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (reader_time_entry(r, mid, &ets, &eoff))
			break;
		if (ets < ts) {
			start = eoff + 1;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	pos = reader_seek(r, start);
	for (;;) {
		ret = mq__log_cur_record(&r->c, pos, false, &p);
		if (ret == -ENODATA || ret == SHORT)
			return 0;
		if (ret)
			return ret;
		mq__log_rec_hdr(p, &rec);
		if (rec.offset >= start && rec.timestamp >= ts) {
			if (!mq__log_rec_crc_ok(p))
				return -EBADMSG;
			*offset = rec.offset;
			return 1;
		}
		pos += MQ_RECORD_ALIGN(rec.len);
	}
}

int mq_log_reader_offset_for_time(struct mq_log_reader *r, uint64_t ts,
				  uint64_t *offset)
{
	int i, ret;

	ret = reader_list(r);
	if (ret)
		return ret;
	for (i = 0; i < r->nr; i++) {
		ret = reader_seg(r, r->bases[i]);
		if (ret == -ENOENT)
			continue;	/* retention deleted it since the listing */
		if (ret)
			return ret;
		ret = reader_time(r, ts, i < r->nr - 1, offset);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	ret = mq_log_reader_next_offset(r, offset);
	return ret ? ret : -ENOENT;
}

int mq_log_reader_stat(struct mq_log_reader *r, unsigned int *segments,
		       uint64_t *bytes)
{
	char name[NAME_LEN];
	struct stat st;
	int i, ret;

	ret = reader_list(r);
	if (ret)
		return ret;
	*segments = 0;
	*bytes = 0;
	for (i = 0; i < r->nr; i++) {
		mq__log_seg_name(name, r->bases[i], ".log");
		/* Retention may delete one between the listing and here. */
		if (fstatat(r->dirfd, name, &st, 0))
			continue;
		++*segments;
		*bytes += st.st_size;
	}
	return 0;
}
