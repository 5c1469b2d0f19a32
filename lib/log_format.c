// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * The commit log's format (Documentation/log.rst): segment names and
 * headers, checking records, reading them through a buffer, and the data
 * directory's format marker.  The writer (log.c) and the reader
 * (log_reader.c) share it.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libmq.h"
#include "log_internal.h"

/* ---- names and files ---------------------------------------------------- */

void mq__log_seg_name(char *name, uint64_t base, const char *suffix)
{
	snprintf(name, NAME_LEN, "%020" PRIu64 "%s", base, suffix);
}

/* The base of "<20 digits>.log", or -1 for any other name. */
int mq__log_seg_parse(const char *name, uint64_t *base)
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

int mq__log_pread_full(int fd, void *buf, size_t len, uint64_t pos)
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

int mq__log_pwrite_full(int fd, const void *buf, size_t len, uint64_t pos)
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

void mq__log_hdr_encode(unsigned char *h, uint64_t base, uint64_t created)
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
int mq__log_hdr_decode(const unsigned char *h, uint64_t base, uint64_t *created)
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
int mq__log_rec_frame(const struct mq_record *r, uint64_t avail)
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

bool mq__log_rec_crc_ok(const unsigned char *rec)
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
int mq__log_cur_get(struct cursor *c, uint64_t pos, size_t n,
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
	got = mq__log_pread_full(c->fd, c->buf, want, pos);
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
int mq__log_cur_record(struct cursor *c, uint64_t pos, bool crc,
		      const unsigned char **rec)
{
	struct mq_record r;
	const unsigned char *p;
	int ret;

	if (pos == c->end)
		return -ENODATA;
	ret = mq__log_cur_get(c, pos, MQ_RECORD_HDR_SIZE, &p);
	if (ret)
		return ret;
	memcpy(&r, p, sizeof(r));
	ret = mq__log_rec_frame(&r, c->end - pos);
	if (ret)
		return ret;
	ret = mq__log_cur_get(c, pos, MQ_RECORD_ALIGN(le32toh(r.len)), &p);
	if (ret)
		return ret;
	if (crc && !mq__log_rec_crc_ok(p))
		return -EBADMSG;
	*rec = p;
	return 0;
}

void mq__log_rec_hdr(const unsigned char *p, struct mq_record *r)
{
	memcpy(r, p, sizeof(*r));
	r->len = le32toh(r->len);
	r->offset = le64toh(r->offset);
	r->timestamp = le64toh(r->timestamp);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The bases of the .log files in @dirfd, sorted: a count or -errno. */
int mq__log_list_bases(int dirfd, uint64_t **basesp, int *strays)
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
			if (!mq__log_seg_parse(name, &base) &&
			    faccessat(dirfd, name, F_OK, 0) && errno == ENOENT &&
			    !unlinkat(dirfd, d->d_name, 0))
				(*strays)++;
			continue;
		}
		if (mq__log_seg_parse(d->d_name, &base))
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

/* ---- the data directory's format ---------------------------------------- */

const char *mq_log_data_dir(void)
{
	const char *dir = getenv("MQ_DATA_DIR");

	return dir && *dir ? dir : MQ_DATA_DIR_DEFAULT;
}

int mq_log_queue_dir(char *buf, size_t size, const char *datadir,
		     const char *topic, uint32_t queue)
{
	int n = snprintf(buf, size, "%s/topics/%s/%" PRIu32, datadir, topic,
			 queue);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

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
	ret = mq__log_pwrite_full(fd, buf, n, 0);
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
