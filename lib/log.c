// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * The commit log of one queue, written (log.h; the format is
 * Documentation/log.rst, and log_format.c).  The .log files are the
 * truth: the indexes are caches of them, checked on open and rebuilt from
 * them when missing or wrong, so nothing here ever syncs an index.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libmq.h"
#include "log_internal.h"

struct seg {
	uint64_t base;
	uint64_t size;		/* bytes of the .log, header included */
	uint64_t created;	/* the header's, ns */
	uint64_t max_ts;	/* the newest record's timestamp */
	uint64_t last_off;	/* valid when has_rec */
	bool has_rec;
};

/* Where the indexes of one segment stand, as the writer extends them. */
struct idx {
	int fd, tfd;
	uint64_t base;
	uint32_t interval;
	uint64_t last_pos;	/* the last offset entry's position, or HDR */
	uint64_t ents, tents;	/* entries in each file */
	uint64_t last_ts;	/* the last time entry's timestamp */
	uint64_t max_ts, max_ts_off;
	bool have_ts;
	int err;		/* a write failed: the files are cut to 0 */
};

struct mq_log {
	int dirfd;
	unsigned int flags;
	struct mq_log_config cfg;
	struct seg *segs;	/* oldest first; the last one is active */
	unsigned int nr;
	int fd;			/* the active .log, or -1 */
	struct idx idx;
	uint64_t next_offset;
	size_t pending;		/* bytes reserved and not yet appended */
	bool dirty;		/* the .log may run past segs[nr-1].size */
	struct mq_log_recovery rec;
};

/* ---- indexes ----------------------------------------------------------- */

static void idx_write(struct idx *x, int fd, const void *e, size_t n,
		      uint64_t pos)
{
	if (x->err)
		return;
	x->err = mq__log_pwrite_full(fd, e, n, pos);
	if (x->err) {
		/* An index with a hole would mislead: drop both, open rebuilds. */
		if (ftruncate(x->fd, 0) || ftruncate(x->tfd, 0))
			x->err = -EIO;
	}
}

static void idx_time_entry(struct idx *x)
{
	unsigned char e[MQ_LOG_TIMEINDEX_ENTRY];
	uint64_t ts = htole64(x->max_ts);
	uint32_t rel = htole32(x->max_ts_off - x->base);

	memcpy(e, &ts, 8);
	memcpy(e + 8, &rel, 4);
	idx_write(x, x->tfd, e, sizeof(e), x->tents * sizeof(e));
	x->tents++;
	x->last_ts = x->max_ts;
}

/*
 * Notes the record at @pos.  An offset entry when @interval bytes have
 * passed since the last one, and with it a time entry when the newest
 * timestamp so far has grown: the time index maps each new high-water
 * timestamp to the record carrying it, so it stays monotonic whatever
 * the clock did between records.
 */
static void idx_note(struct idx *x, uint64_t pos, const struct mq_record *r)
{
	unsigned char e[MQ_LOG_INDEX_ENTRY];
	uint32_t v;

	if (!x->have_ts || r->timestamp > x->max_ts) {
		x->max_ts = r->timestamp;
		x->max_ts_off = r->offset;
		x->have_ts = true;
	}
	if (pos - x->last_pos < x->interval)
		return;
	v = htole32(r->offset - x->base);
	memcpy(e, &v, 4);
	v = htole32(pos);
	memcpy(e + 4, &v, 4);
	idx_write(x, x->fd, e, sizeof(e), x->ents * sizeof(e));
	x->ents++;
	x->last_pos = pos;
	if (!x->tents || x->max_ts > x->last_ts)
		idx_time_entry(x);
}

/* A closed segment's time index ends with its newest timestamp. */
static void idx_final(struct idx *x)
{
	if (x->have_ts && (!x->tents || x->max_ts > x->last_ts))
		idx_time_entry(x);
}

static void idx_close(struct idx *x)
{
	if (x->fd >= 0)
		close(x->fd);
	if (x->tfd >= 0)
		close(x->tfd);
	x->fd = x->tfd = -1;
}

/* ---- opening a log ----------------------------------------------------- */

/*
 * Renames segment file @name to <name>.corrupt, or .corrupt.1, .2... when
 * an earlier quarantine of the same base is there: that one is evidence
 * too.  A link and an unlink, since a link never replaces its target; a
 * crash between them leaves both names, and the next open quarantines
 * the .log again, under the next free name.
 */
static int quarantine(int dirfd, const char *name)
{
	char to[NAME_LEN + 24];
	unsigned int n;

	for (n = 0; n < 1000; n++) {
		if (n)
			snprintf(to, sizeof(to), "%s.corrupt.%u", name, n);
		else
			snprintf(to, sizeof(to), "%s.corrupt", name);
		if (!linkat(dirfd, name, dirfd, to, 0))
			return unlinkat(dirfd, name, 0) ? -errno : 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int unlink_seg(int dirfd, uint64_t base, bool keep_log)
{
	char name[NAME_LEN];
	int ret = 0;

	mq__log_seg_name(name, base, ".log");
	if (keep_log) {
		ret = quarantine(dirfd, name);
	} else if (unlinkat(dirfd, name, 0) && errno != ENOENT) {
		ret = -errno;
	}
	/* The .log goes first: a crash in between leaves stray indexes only. */
	mq__log_seg_name(name, base, ".index");
	if (unlinkat(dirfd, name, 0) && errno != ENOENT && !ret)
		ret = -errno;
	mq__log_seg_name(name, base, ".timeindex");
	if (unlinkat(dirfd, name, 0) && errno != ENOENT && !ret)
		ret = -errno;
	return ret;
}

static int open_idx(struct mq_log *log, uint64_t base, struct idx *x)
{
	char name[NAME_LEN];

	memset(x, 0, sizeof(*x));
	x->base = base;
	x->interval = log->cfg.index_interval;
	x->last_pos = HDR;
	mq__log_seg_name(name, base, ".index");
	x->fd = openat(log->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	mq__log_seg_name(name, base, ".timeindex");
	x->tfd = openat(log->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (x->fd < 0 || x->tfd < 0) {
		int ret = -errno;

		idx_close(x);
		return ret;
	}
	return 0;
}

/* Empties both indexes of a segment, to rebuild them. */
static int idx_reset(struct idx *x)
{
	if (ftruncate(x->fd, 0) || ftruncate(x->tfd, 0))
		return -errno;
	x->ents = x->tents = 0;
	x->last_pos = HDR;
	x->have_ts = false;
	x->max_ts = x->last_ts = x->max_ts_off = 0;
	x->err = 0;
	return 0;
}

/*
 * Takes the existing indexes of a segment as they are when they hold
 * together: true, and the writer goes on from their last entries.  Else
 * false, and the caller rebuilds them.
 */
static bool idx_load(struct idx *x, struct cursor *c)
{
	unsigned char e[MQ_LOG_TIMEINDEX_ENTRY], *buf = NULL;
	struct stat st, tst;
	const unsigned char *p;
	struct mq_record r = { 0 };
	uint64_t i, prev_rel = 0, prev_pos = 0, prev_ts = 0;
	bool ok = false;

	if (fstat(x->fd, &st) || fstat(x->tfd, &tst) ||
	    st.st_size % MQ_LOG_INDEX_ENTRY || tst.st_size % MQ_LOG_TIMEINDEX_ENTRY)
		goto out;
	x->ents = st.st_size / MQ_LOG_INDEX_ENTRY;
	x->tents = tst.st_size / MQ_LOG_TIMEINDEX_ENTRY;
	if (x->ents) {
		buf = malloc(st.st_size);
		if (!buf || mq__log_pread_full(x->fd, buf, st.st_size, 0) != st.st_size)
			goto out;
	}
	for (i = 0; i < x->ents; i++) {
		uint32_t rel, pos;

		memcpy(&rel, buf + i * 8, 4);
		memcpy(&pos, buf + i * 8 + 4, 4);
		rel = le32toh(rel);
		pos = le32toh(pos);
		if (pos % 8 || pos < HDR || pos >= c->end ||
		    (i && (rel <= prev_rel || pos <= prev_pos)))
			goto out;
		prev_rel = rel;
		prev_pos = pos;
	}
	/* The last entry must point at the record it names. */
	if (x->ents) {
		if (mq__log_cur_get(c, prev_pos, MQ_RECORD_HDR_SIZE, &p))
			goto out;
		mq__log_rec_hdr(p, &r);
		if (r.offset != x->base + prev_rel)
			goto out;
		x->last_pos = prev_pos;
	}
	for (i = 0; i < x->tents; i++) {
		uint64_t ts;
		uint32_t rel;

		if (mq__log_pread_full(x->tfd, e, sizeof(e), i * sizeof(e)) != sizeof(e))
			goto out;
		memcpy(&ts, e, 8);
		memcpy(&rel, e + 8, 4);
		ts = le64toh(ts);
		rel = le32toh(rel);
		if (i && (ts <= prev_ts || rel < x->max_ts_off - x->base))
			goto out;
		prev_ts = ts;
		x->max_ts = x->last_ts = ts;
		x->max_ts_off = x->base + rel;
		x->have_ts = true;
	}
	/*
	 * The first offset entry always brings a time entry, later ones when
	 * the newest timestamp grew, and a closed segment has one more; the
	 * last time entry is never older than the last indexed record.
	 */
	if (x->tents > x->ents + 1 || (x->ents && !x->tents) ||
	    (x->ents && x->last_ts < r.timestamp))
		goto out;
	ok = true;
out:
	free(buf);
	return ok;
}

enum { SEG_OK, SEG_CORRUPT };

/*
 * Loads segment @s: checks its header, takes or rebuilds its indexes,
 * checks the records from the last index entry on (all of them with
 * MQ_LOG_VERIFY).  A bad record in the active segment cuts it there (a
 * torn write); in a closed one, which was synced when it was closed, it
 * is corruption: SEG_CORRUPT, and the caller quarantines the segment.
 * Leaves @x open, and the .log's fd in *fdp, for the active segment.
 */
static int seg_load(struct mq_log *log, struct seg *s, bool active,
		    struct idx *x, int *fdp)
{
	struct cursor c = { .fd = -1 };
	unsigned char h[HDR];
	const unsigned char *p;
	char name[NAME_LEN];
	struct mq_record r;
	uint64_t pos, last_off = 0, t_off;
	bool has_rec = false, loaded, rebuild = log->flags & MQ_LOG_VERIFY;
	struct stat st;
	int ret;

	mq__log_seg_name(name, s->base, ".log");
	c.fd = openat(log->dirfd, name, (active ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (c.fd < 0)
		return -errno;
	if (fstat(c.fd, &st)) {
		ret = -errno;
		goto out;
	}
	c.end = st.st_size;
	if (c.end < HDR) {
		ret = SEG_CORRUPT;
		goto out;
	}
	ret = mq__log_pread_full(c.fd, h, HDR, 0);
	if (ret >= 0)
		ret = ret == HDR ? mq__log_hdr_decode(h, s->base, &s->created) : -EIO;
	if (ret == -EBADMSG)
		ret = SEG_CORRUPT;
	if (ret)
		goto out;

	ret = open_idx(log, s->base, x);
	if (ret)
		goto out;
again:
	loaded = !rebuild && idx_load(x, &c);
	if (!loaded) {
		ret = idx_reset(x);
		if (ret)
			goto out;
	}
	/* The last time entry names a record the scan must reach. */
	t_off = x->tents ? x->max_ts_off : s->base;
	has_rec = false;
	pos = loaded ? x->last_pos : HDR;
	for (;;) {
		ret = mq__log_cur_record(&c, pos, true, &p);
		if (ret)
			break;
		mq__log_rec_hdr(p, &r);
		if (r.offset < s->base || r.offset - s->base > UINT32_MAX ||
		    (has_rec && r.offset <= last_off)) {
			ret = -EBADMSG;
			break;
		}
		idx_note(x, pos, &r);
		has_rec = true;
		last_off = r.offset;
		pos += MQ_RECORD_ALIGN(r.len);
	}
	if (ret != -ENODATA && ret != SHORT && ret != -EBADMSG)
		goto out;
	/*
	 * Entries naming records the scan did not find (past a torn tail,
	 * say): the indexes lied; rebuild them from the records.
	 */
	if (loaded && (t_off > (has_rec ? last_off : s->base) ||
		       (x->ents && !has_rec))) {
		rebuild = true;
		goto again;
	}
	if (!loaded && !(log->flags & MQ_LOG_VERIFY) && st.st_size > HDR)
		log->rec.rebuilt++;
	if (pos != c.end) {
		if (!active) {
			ret = SEG_CORRUPT;
			goto out;
		}
		if (ftruncate(c.fd, pos)) {
			ret = -errno;
			goto out;
		}
		log->rec.truncated_bytes += c.end - pos;
		log->rec.truncated_at = pos;
	}
	if (!active)
		idx_final(x);
	s->size = pos;
	s->has_rec = has_rec;
	s->last_off = has_rec ? last_off : 0;
	s->max_ts = x->have_ts ? x->max_ts : s->created;
	ret = SEG_OK;
out:
	free(c.buf);
	if (ret == SEG_OK && active) {
		*fdp = c.fd;
		return ret;
	}
	close(c.fd);
	idx_close(x);
	return ret;
}

int mq_log_open(struct mq_log **logp, const char *dir, unsigned int flags,
		const struct mq_log_config *cfg)
{
	struct mq_log *log;
	uint64_t *bases = NULL;
	int ret, nr, strays = 0, i;

	*logp = NULL;
	if (!dir || flags & ~MQ_LOG_F_ALL ||
	    (cfg && (cfg->segment_bytes > MQ_LOG_SEGMENT_MAX ||
		     (cfg->segment_bytes && cfg->segment_bytes <= HDR))))
		return -EINVAL;
	if (flags & MQ_LOG_CREATE && mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	log = calloc(1, sizeof(*log));
	if (!log)
		return -ENOMEM;
	log->fd = -1;
	log->idx.fd = log->idx.tfd = -1;
	log->flags = flags;
	if (cfg)
		log->cfg = *cfg;
	if (!log->cfg.segment_bytes)
		log->cfg.segment_bytes = 1ULL << 30;
	if (!log->cfg.index_interval)
		log->cfg.index_interval = 4096;
	log->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (log->dirfd < 0) {
		ret = -errno;
		goto err;
	}
	/* Two writers would cut each other's records as torn tails. */
	if (flock(log->dirfd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto err;
	}
	nr = mq__log_list_bases(log->dirfd, &bases, &strays);
	if (nr < 0) {
		ret = nr;
		goto err;
	}
	log->rec.removed = strays;
	log->segs = calloc(nr ? nr : 1, sizeof(*log->segs));
	if (!log->segs) {
		ret = -ENOMEM;
		goto err;
	}
	/*
	 * A newest segment too short for its header is a roll a crash cut
	 * short (roll() syncs the header before any record goes in): remove
	 * it before choosing the active segment, which is then the one
	 * before it.
	 */
	while (nr) {
		char name[NAME_LEN];
		struct stat st;

		mq__log_seg_name(name, bases[nr - 1], ".log");
		if (fstatat(log->dirfd, name, &st, 0)) {
			ret = -errno;
			goto err;
		}
		if (st.st_size >= HDR)
			break;
		ret = unlink_seg(log->dirfd, bases[--nr], false);
		if (ret)
			goto err;
		log->rec.removed++;
	}
	for (i = 0; i < nr; i++) {
		struct seg *s = &log->segs[log->nr];
		struct idx x;
		bool active = i == nr - 1;
		int fd = -1;

		s->base = bases[i];
		ret = seg_load(log, s, active, active ? &log->idx : &x, &fd);
		if (ret < 0)
			goto err;
		if (ret == SEG_CORRUPT) {
			ret = unlink_seg(log->dirfd, s->base, true);
			if (ret)
				goto err;
			log->rec.quarantined++;
			continue;
		}
		if (active)
			log->fd = fd;
		log->nr++;
	}
	/* The newest segment was quarantined: the one before is active again. */
	if (log->fd < 0 && log->nr) {
		struct seg *s = &log->segs[--log->nr];

		ret = seg_load(log, s, true, &log->idx, &log->fd);
		if (ret < 0)
			goto err;
		if (ret != SEG_OK) {
			ret = -EIO;
			goto err;
		}
		log->nr++;
	}
	if (log->nr) {
		struct seg *s = &log->segs[log->nr - 1];

		log->next_offset = s->has_rec ? s->last_off + 1 : s->base;
	}
	free(bases);
	*logp = log;
	return 0;
err:
	free(bases);
	mq_log_close(log);
	return ret;
}

void mq_log_close(struct mq_log *log)
{
	if (!log)
		return;
	idx_close(&log->idx);
	if (log->fd >= 0)
		close(log->fd);
	if (log->dirfd >= 0)
		close(log->dirfd);
	free(log->segs);
	free(log);
}

const struct mq_log_recovery *mq_log_recovery(const struct mq_log *log)
{
	return &log->rec;
}

uint64_t mq_log_next_offset(const struct mq_log *log)
{
	return log->next_offset;
}

uint64_t mq_log_first_offset(const struct mq_log *log)
{
	return log->nr ? log->segs[0].base : log->next_offset;
}

unsigned int mq_log_segments(const struct mq_log *log)
{
	return log->nr;
}

/* ---- writing ----------------------------------------------------------- */

/*
 * Checks the framing of a batch before a byte of it is written: whole
 * records, neither ring bit, offsets increasing from @min.
 */
static int batch_check(const unsigned char *recs, size_t len, uint64_t min,
		       uint64_t *first, uint64_t *last)
{
	struct mq_record r;
	size_t pos = 0;

	if (!len)
		return -EINVAL;
	while (pos < len) {
		if (len - pos < MQ_RECORD_HDR_SIZE)
			return -EINVAL;
		memcpy(&r, recs + pos, sizeof(r));
		if (mq__log_rec_frame(&r, len - pos))
			return -EINVAL;
		mq__log_rec_hdr(recs + pos, &r);
		if (r.offset < min)
			return -EINVAL;
		if (!pos)
			*first = r.offset;
		*last = r.offset;
		min = r.offset + 1;
		pos += MQ_RECORD_ALIGN(r.len);
	}
	return 0;
}

/*
 * Closes the active segment and opens segment @base.  The old one is
 * synced first, so that syncing the new one later covers everything
 * before it; the new one's header and name are synced before its first
 * record is written.
 */
static int roll(struct mq_log *log, uint64_t base, uint64_t now)
{
	char name[NAME_LEN];
	unsigned char h[HDR];
	struct seg *segs;
	struct idx x;
	int fd, ret;

	if (log->fd >= 0 && fdatasync(log->fd))
		return -errno;
	segs = realloc(log->segs, (log->nr + 1) * sizeof(*segs));
	if (!segs)
		return -ENOMEM;
	log->segs = segs;

	mq__log_seg_name(name, base, ".log");
	fd = openat(log->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	mq__log_hdr_encode(h, base, now);
	ret = open_idx(log, base, &x);
	if (ret)
		goto err;
	if (ftruncate(x.fd, 0) || ftruncate(x.tfd, 0))
		goto err_errno;
	ret = mq__log_pwrite_full(fd, h, HDR, 0);
	if (ret)
		goto err;
	if (fdatasync(fd) || fsync(log->dirfd))
		goto err_errno;

	if (log->fd >= 0) {
		idx_final(&log->idx);
		idx_close(&log->idx);
		close(log->fd);
	}
	log->fd = fd;
	log->idx = x;
	/* The name promises no record below @base. */
	if (log->next_offset < base)
		log->next_offset = base;
	log->segs[log->nr++] = (struct seg){
		.base = base, .size = HDR, .created = now, .max_ts = now,
	};
	return 0;
err_errno:
	ret = -errno;
err:
	idx_close(&x);
	close(fd);
	unlink_seg(log->dirfd, base, false);
	return ret;
}

int mq_log_reserve(struct mq_log *log, const void *records, size_t len,
		   uint64_t now, int *fd, uint64_t *pos)
{
	uint64_t first = 0, last = 0;
	struct seg *s;
	int ret;

	if (log->pending)
		return -EBUSY;
	ret = batch_check(records, len, log->next_offset, &first, &last);
	if (ret)
		return ret;
	if (len > MQ_LOG_SEGMENT_MAX - HDR || last - first > UINT32_MAX)
		return -EFBIG;
	if (log->dirty) {
		if (ftruncate(log->fd, log->segs[log->nr - 1].size))
			return -errno;
		log->dirty = false;
	}
	s = log->nr ? &log->segs[log->nr - 1] : NULL;
	if (!s || (s->has_rec &&
		   (s->size + len > log->cfg.segment_bytes ||
		    (log->cfg.segment_age && now > s->created &&
		     now - s->created >= log->cfg.segment_age) ||
		    last - s->base > UINT32_MAX))) {
		ret = roll(log, first, now);
		if (ret)
			return ret;
		s = &log->segs[log->nr - 1];
	} else if (last - s->base > UINT32_MAX) {
		return -EFBIG;
	}
	log->pending = len;
	*fd = log->fd;
	*pos = s->size;
	return 0;
}

int mq_log_appended(struct mq_log *log, const void *records, size_t len)
{
	const unsigned char *recs = records;
	struct seg *s = &log->segs[log->nr - 1];
	struct mq_record r;
	size_t pos = 0;

	if (!log->pending || len != log->pending)
		return -EINVAL;
	while (pos < len) {
		mq__log_rec_hdr(recs + pos, &r);
		idx_note(&log->idx, s->size + pos, &r);
		s->last_off = r.offset;
		pos += MQ_RECORD_ALIGN(r.len);
	}
	s->has_rec = true;
	s->size += len;
	s->max_ts = log->idx.max_ts;
	log->next_offset = s->last_off + 1;
	log->pending = 0;
	return 0;
}

int mq_log_abort(struct mq_log *log)
{
	if (!log->pending)
		return -EINVAL;
	log->pending = 0;
	log->dirty = true;
	/* When this fails too, the next reserve tries again first. */
	if (ftruncate(log->fd, log->segs[log->nr - 1].size))
		return -errno;
	log->dirty = false;
	return 0;
}

int mq_log_sync_fd(const struct mq_log *log)
{
	return log->fd >= 0 ? log->fd : -ENOENT;
}

int mq_log_append(struct mq_log *log, const void *records, size_t len,
		  uint64_t now)
{
	uint64_t pos;
	int fd, ret;

	ret = mq_log_reserve(log, records, len, now, &fd, &pos);
	if (ret)
		return ret;
	ret = mq__log_pwrite_full(fd, records, len, pos);
	if (ret) {
		mq_log_abort(log);
		return ret;
	}
	return mq_log_appended(log, records, len);
}

int mq_log_retain(struct mq_log *log, uint64_t now, uint64_t max_bytes,
		  uint64_t max_age)
{
	uint64_t total = 0;
	unsigned int i, n = 0;
	int ret = 0;

	for (i = 0; i < log->nr; i++)
		total += log->segs[i].size;
	while (n + 1 < log->nr) {
		struct seg *s = &log->segs[n];
		bool old = max_age && now > s->max_ts && now - s->max_ts > max_age;
		bool big = max_bytes && total - s->size >= max_bytes;

		if (!old && !big)
			break;
		ret = unlink_seg(log->dirfd, s->base, false);
		if (ret)
			break;
		total -= s->size;
		n++;
	}
	memmove(log->segs, log->segs + n, (log->nr - n) * sizeof(*log->segs));
	log->nr -= n;
	return n ? (int)n : ret;
}

