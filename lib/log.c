// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * The commit log of one queue (log.h; the format is
 * Documentation/log.rst).  The .log files are the truth: the indexes are
 * caches of them, checked on open and rebuilt from them when missing or
 * wrong, so nothing here ever syncs an index.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libmq.h"
#include "log.h"

#define HDR			MQ_LOG_SEG_HDR_SIZE
#define NAME_LEN		32	/* 20 digits, ".timeindex", NUL */
#define SHORT			1	/* cur_record: a record not whole yet */

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

/* Reads the records of a .log through a buffer. */
struct cursor {
	int fd;
	uint64_t end;
	unsigned char *buf;
	size_t cap, len;
	uint64_t at;		/* file position of buf[0] */
};

static void seg_name(char *name, uint64_t base, const char *suffix)
{
	snprintf(name, NAME_LEN, "%020" PRIu64 "%s", base, suffix);
}

/* The base of "<20 digits>.log", or -1 for any other name. */
static int seg_parse(const char *name, uint64_t *base)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (name[i] - '0')) / 10)
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	if (strcmp(name + 20, ".log"))
		return -1;
	*base = v;
	return 0;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t pos)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, pos + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		done += n;
	}
	return done;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t pos)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   pos + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

/* ---- the segment header ------------------------------------------------ */

static void hdr_encode(unsigned char *h, uint64_t base, uint64_t created)
{
	uint32_t v32;
	uint64_t v64;

	memset(h, 0, HDR);
	memcpy(h, MQ_LOG_SEG_MAGIC, 8);
	v32 = htole32(MQ_LOG_SEG_VERSION);
	memcpy(h + 8, &v32, 4);
	v32 = htole32(HDR);
	memcpy(h + 12, &v32, 4);
	v64 = htole64(base);
	memcpy(h + 16, &v64, 8);
	v64 = htole64(created);
	memcpy(h + 24, &v64, 8);
	v32 = htole32(mq_crc32c(h, HDR - 4));
	memcpy(h + HDR - 4, &v32, 4);
}

/*
 * 0 for the header of segment @base (its creation time in *created),
 * -EPROTO for a header of another version, -EBADMSG for anything else.
 */
static int hdr_decode(const unsigned char *h, uint64_t base, uint64_t *created)
{
	uint32_t version, size, crc;
	uint64_t b, c;

	if (memcmp(h, MQ_LOG_SEG_MAGIC, 8))
		return -EBADMSG;
	memcpy(&crc, h + HDR - 4, 4);
	if (le32toh(crc) != mq_crc32c(h, HDR - 4))
		return -EBADMSG;
	memcpy(&version, h + 8, 4);
	if (le32toh(version) != MQ_LOG_SEG_VERSION)
		return -EPROTO;
	memcpy(&size, h + 12, 4);
	memcpy(&b, h + 16, 8);
	memcpy(&c, h + 24, 8);
	if (le32toh(size) != HDR || le64toh(b) != base)
		return -EBADMSG;
	*created = le64toh(c);
	return 0;
}

/* ---- records ----------------------------------------------------------- */

/*
 * Whether the header @r frames a record that fits in @avail bytes: 0 yes,
 * SHORT when it needs more, -EBADMSG when it cannot be a record.
 */
static int rec_frame(const struct mq_record *r, uint64_t avail)
{
	uint32_t len = le32toh(r->len);

	if (len & (MQ_RECORD_LEN_BUSY | MQ_RECORD_LEN_DISCARD) ||
	    len < MQ_RECORD_HDR_SIZE || r->magic != MQ_RECORD_MAGIC ||
	    le16toh(r->flags) & ~MQ_RECORD_F_ALL ||
	    (uint64_t)le32toh(r->key_len) + le32toh(r->value_len) +
		    MQ_RECORD_HDR_SIZE != len)
		return -EBADMSG;
	return MQ_RECORD_ALIGN(len) > avail ? SHORT : 0;
}

static bool rec_crc_ok(const unsigned char *rec)
{
	struct mq_record r;
	uint32_t len;
	uint32_t i;

	memcpy(&r, rec, sizeof(r));
	len = le32toh(r.len);
	if (le32toh(r.crc) != mq_crc32c(rec + MQ_RECORD_CRC_START,
					len - MQ_RECORD_CRC_START))
		return false;
	/* The padding is zero: anything else is a bit flipped there. */
	for (i = len; i < MQ_RECORD_ALIGN(len); i++)
		if (rec[i])
			return false;
	return true;
}

/* Makes file bytes [pos, pos + n) readable at *p: 0, SHORT, or -errno. */
static int cur_get(struct cursor *c, uint64_t pos, size_t n,
		   const unsigned char **p)
{
	size_t want;
	int got;

	if (pos + n > c->end)
		return SHORT;
	if (pos >= c->at && pos + n <= c->at + c->len) {
		*p = c->buf + (pos - c->at);
		return 0;
	}
	want = n > 65536 ? n : 65536;
	if (want > c->end - pos)
		want = c->end - pos;
	if (want > c->cap) {
		unsigned char *b = realloc(c->buf, want);

		if (!b)
			return -ENOMEM;
		c->buf = b;
		c->cap = want;
	}
	c->len = 0;
	got = pread_full(c->fd, c->buf, want, pos);
	if (got < 0)
		return got;
	c->at = pos;
	c->len = got;
	/* The file shrank under us: a writer cut a failed write back. */
	if ((size_t)got < n)
		return SHORT;
	*p = c->buf;
	return 0;
}

/*
 * The record at @pos: 0 with *rec pointing at it (whole, padding
 * included), SHORT when the file ends inside it, -ENODATA at the very
 * end, -EBADMSG when the bytes there are no record (or fail the CRC, when
 * @crc), or another -errno.
 */
static int cur_record(struct cursor *c, uint64_t pos, bool crc,
		      const unsigned char **rec)
{
	struct mq_record r;
	const unsigned char *p;
	int ret;

	if (pos == c->end)
		return -ENODATA;
	ret = cur_get(c, pos, MQ_RECORD_HDR_SIZE, &p);
	if (ret)
		return ret;
	memcpy(&r, p, sizeof(r));
	ret = rec_frame(&r, c->end - pos);
	if (ret)
		return ret;
	ret = cur_get(c, pos, MQ_RECORD_ALIGN(le32toh(r.len)), &p);
	if (ret)
		return ret;
	if (crc && !rec_crc_ok(p))
		return -EBADMSG;
	*rec = p;
	return 0;
}

static void rec_hdr(const unsigned char *p, struct mq_record *r)
{
	memcpy(r, p, sizeof(*r));
	r->len = le32toh(r->len);
	r->offset = le64toh(r->offset);
	r->timestamp = le64toh(r->timestamp);
}

/* ---- indexes ----------------------------------------------------------- */

static void idx_write(struct idx *x, int fd, const void *e, size_t n,
		      uint64_t pos)
{
	if (x->err)
		return;
	x->err = pwrite_full(fd, e, n, pos);
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

static int unlink_seg(int dirfd, uint64_t base, bool keep_log)
{
	char name[NAME_LEN], to[NAME_LEN + 8];
	int ret = 0;

	seg_name(name, base, ".log");
	if (keep_log) {
		snprintf(to, sizeof(to), "%s.corrupt", name);
		if (renameat(dirfd, name, dirfd, to))
			ret = -errno;
	} else if (unlinkat(dirfd, name, 0) && errno != ENOENT) {
		ret = -errno;
	}
	/* The .log goes first: a crash in between leaves stray indexes only. */
	seg_name(name, base, ".index");
	if (unlinkat(dirfd, name, 0) && errno != ENOENT && !ret)
		ret = -errno;
	seg_name(name, base, ".timeindex");
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
	seg_name(name, base, ".index");
	x->fd = openat(log->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	seg_name(name, base, ".timeindex");
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
		if (!buf || pread_full(x->fd, buf, st.st_size, 0) != st.st_size)
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
		if (cur_get(c, prev_pos, MQ_RECORD_HDR_SIZE, &p))
			goto out;
		rec_hdr(p, &r);
		if (r.offset != x->base + prev_rel)
			goto out;
		x->last_pos = prev_pos;
	}
	for (i = 0; i < x->tents; i++) {
		uint64_t ts;
		uint32_t rel;

		if (pread_full(x->tfd, e, sizeof(e), i * sizeof(e)) != sizeof(e))
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

	seg_name(name, s->base, ".log");
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
	ret = pread_full(c.fd, h, HDR, 0);
	if (ret >= 0)
		ret = ret == HDR ? hdr_decode(h, s->base, &s->created) : -EIO;
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
		ret = cur_record(&c, pos, true, &p);
		if (ret)
			break;
		rec_hdr(p, &r);
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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The bases of the .log files in @dirfd, sorted: a count or -errno. */
static int list_bases(int dirfd, uint64_t **basesp, int *strays)
{
	uint64_t *bases = NULL, base;
	unsigned int nr = 0, cap = 0;
	struct dirent *d;
	DIR *dir;
	int fd;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((d = readdir(dir))) {
		size_t l = strlen(d->d_name);
		char name[NAME_LEN];

		if (strays && l > 20 && l < NAME_LEN &&
		    (!strcmp(d->d_name + 20, ".index") ||
		     !strcmp(d->d_name + 20, ".timeindex"))) {
			/* An index whose .log retention already deleted. */
			memcpy(name, d->d_name, 20);
			strcpy(name + 20, ".log");
			if (!seg_parse(name, &base) &&
			    faccessat(dirfd, name, F_OK, 0) && errno == ENOENT &&
			    !unlinkat(dirfd, d->d_name, 0))
				(*strays)++;
			continue;
		}
		if (seg_parse(d->d_name, &base))
			continue;
		if (nr == cap) {
			uint64_t *b = realloc(bases, (cap = cap ? 2 * cap : 16) * 8);

			if (!b) {
				free(bases);
				closedir(dir);
				return -ENOMEM;
			}
			bases = b;
		}
		bases[nr++] = base;
	}
	closedir(dir);
	if (nr)
		qsort(bases, nr, sizeof(*bases), cmp_u64);
	*basesp = bases;
	return nr;
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
	nr = list_bases(log->dirfd, &bases, &strays);
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

		seg_name(name, bases[nr - 1], ".log");
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
		if (rec_frame(&r, len - pos))
			return -EINVAL;
		rec_hdr(recs + pos, &r);
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

	seg_name(name, base, ".log");
	fd = openat(log->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	hdr_encode(h, base, now);
	ret = open_idx(log, base, &x);
	if (ret)
		goto err;
	if (ftruncate(x.fd, 0) || ftruncate(x.tfd, 0))
		goto err_errno;
	ret = pwrite_full(fd, h, HDR, 0);
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
		rec_hdr(recs + pos, &r);
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
	ret = pwrite_full(fd, records, len, pos);
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

/* ---- reading ----------------------------------------------------------- */

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
	int nr = list_bases(r->dirfd, &bases, NULL);

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
		seg_name(name, base, ".log");
		r->c.fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (r->c.fd < 0)
			return -errno;
		seg_name(name, base, ".index");
		r->ifd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC);
		seg_name(name, base, ".timeindex");
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
	ret = pread_full(r->c.fd, h, HDR, 0);
	if (ret < 0)
		return ret;
	if (ret != HDR)
		return -EBADMSG;
	return hdr_decode(h, base, &created);
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

		if (pread_full(r->ifd, e, 8, mid * 8) != 8)
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
	    cur_get(&r->c, pos, MQ_RECORD_HDR_SIZE, &p))
		return HDR;
	rec_hdr(p, &rec);
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

		ret = cur_record(&r->c, pos, false, &p);
		if (ret == -ENODATA || ret == SHORT)
			break;
		if (ret)
			return done ? (ssize_t)done : ret;
		rec_hdr(p, &rec);
		n = MQ_RECORD_ALIGN(rec.len);
		if (rec.offset >= offset) {
			if (!rec_crc_ok(p))
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
		ret = cur_record(&r->c, HDR, false, &p);
		if (ret == -ENODATA || ret == SHORT)
			continue;
		if (ret)
			return ret;
		rec_hdr(p, &h);
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
		while (!cur_record(&r->c, pos, false, &p)) {
			rec_hdr(p, &h);
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

	if (pread_full(r->tfd, e, sizeof(e), i * sizeof(e)) != sizeof(e))
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
		ret = cur_record(&r->c, pos, false, &p);
		if (ret == -ENODATA || ret == SHORT)
			return 0;
		if (ret)
			return ret;
		rec_hdr(p, &rec);
		if (rec.offset >= start && rec.timestamp >= ts) {
			if (!rec_crc_ok(p))
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

/* ---- the data directory's format ---------------------------------------- */

int mq_log_datadir_check(const char *datadir, bool create, char *msg,
			 size_t msglen)
{
	char buf[128], name[64];
	unsigned int version;
	struct dirent *d;
	int dirfd, fd, ret;
	ssize_t n;
	DIR *dir;

	if (create && mkdir(datadir, 0755) && errno != EEXIST) {
		ret = -errno;
		snprintf(msg, msglen, "cannot create %s: %s", datadir, strerror(-ret));
		return ret;
	}
	dirfd = open(datadir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		ret = -errno;
		snprintf(msg, msglen, "cannot open %s: %s", datadir, strerror(-ret));
		return ret;
	}
	fd = openat(dirfd, "format", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		ret = -EINVAL;
		if (sscanf(buf, "%63s %u", name, &version) != 2 ||
		    strcmp(name, MQ_LOG_FORMAT_NAME)) {
			snprintf(msg, msglen,
				 "%s/format does not name an mq data directory (expected \"%s %d\")",
				 datadir, MQ_LOG_FORMAT_NAME, MQ_LOG_FORMAT_VERSION);
		} else if (version != MQ_LOG_FORMAT_VERSION) {
			ret = -EPROTO;
			snprintf(msg, msglen,
				 "%s holds mq data of format version %u; this mq reads version %d only",
				 datadir, version, MQ_LOG_FORMAT_VERSION);
		} else {
			ret = 0;
		}
		goto out;
	}
	ret = -errno;
	if (ret != -ENOENT || !create) {
		snprintf(msg, msglen, "cannot read %s/format: %s", datadir,
			 strerror(-ret));
		goto out;
	}
	/* Never stamp a directory that holds something else. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(msg, msglen, "cannot list %s: %s", datadir, strerror(-ret));
		goto out;
	}
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			break;
	closedir(dir);
	if (d) {
		ret = -ENOTEMPTY;
		snprintf(msg, msglen,
			 "%s is not empty and has no format file: not an mq data directory",
			 datadir);
		goto out;
	}
	n = snprintf(buf, sizeof(buf), "%s %d\n", MQ_LOG_FORMAT_NAME,
		     MQ_LOG_FORMAT_VERSION);
	fd = openat(dirfd, "format.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		goto write_err;
	}
	ret = pwrite_full(fd, buf, n, 0);
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && renameat(dirfd, "format.tmp", dirfd, "format"))
		ret = -errno;
	if (!ret && fsync(dirfd))
		ret = -errno;
	if (ret) {
		unlinkat(dirfd, "format.tmp", 0);
write_err:
		snprintf(msg, msglen, "cannot write %s/format: %s", datadir,
			 strerror(-ret));
	}
out:
	close(dirfd);
	return ret;
}
