/* SPDX-License-Identifier: (LGPL-2.1 OR MIT) */
/*
 * The commit log of one queue: a directory of segments, each a .log of
 * framed records exactly as the ring holds them, with a sparse offset
 * index and a time index.  mqd writes it; libmq reads it to serve offsets
 * the ring no longer holds.  The on-disk format is ABI and is described in
 * Documentation/log.rst; this header is internal to libmq (not in
 * libmq.map): mqd links libmq.a.  log_format.c holds the format, log.c
 * the writer, log_reader.c the reader.
 *
 * Every call returns 0 (or a count) or a negative errno.  Times are
 * CLOCK_REALTIME nanoseconds, as in a record's timestamp, and are passed
 * in (@now) so that the caller owns the clock.
 *
 * Writing is split so that the data itself can go through io_uring:
 *
 *	mq_log_reserve()	checks the batch, rolls the segment when due,
 *				and says where to write it (fd, position)
 *	write(2) the batch there, by any means
 *	mq_log_appended()	when all of it is written: indexes it
 *	mq_log_abort()		when the write failed or was short: cuts the
 *				file back to where the reservation began
 *	fdatasync(mq_log_sync_fd()) by the caller's policy
 *
 * One reservation is outstanding at a time: a roll then never has to wait
 * for writes into the segment it closes.  mq_log_append() does all of it
 * with pwrite(2), for tests and simple callers.
 */
#ifndef LIBMQ_LOG_H
#define LIBMQ_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The segment header: the first MQ_LOG_SEG_HDR_SIZE bytes of a .log. */
#define MQ_LOG_SEG_MAGIC	"MQLOGSEG"
#define MQ_LOG_SEG_VERSION	1
#define MQ_LOG_SEG_HDR_SIZE	64

/* <datadir>/format holds this line. */
#define MQ_LOG_FORMAT_NAME	"mq-commit-log"
#define MQ_LOG_FORMAT_VERSION	1

#define MQ_LOG_INDEX_ENTRY	8	/* __le32 relative offset, __le32 position */
#define MQ_LOG_TIMEINDEX_ENTRY	12	/* __le64 timestamp, __le32 relative offset */

/* A segment never grows past this: index positions are 32 bits. */
#define MQ_LOG_SEGMENT_MAX	(1ULL << 31)

struct mq_log_config {
	uint64_t segment_bytes;	/* roll when a batch would pass it; 0: 1 GiB */
	uint64_t segment_age;	/* ns; roll a segment this old; 0: never */
	uint32_t index_interval; /* log bytes between index entries; 0: 4096 */
};

/* mq_log_open() flags. */
#define MQ_LOG_CREATE	(1U << 0)	/* make the directory when missing */
#define MQ_LOG_VERIFY	(1U << 1)	/* check every record's CRC, not only the tail's */
#define MQ_LOG_F_ALL	(MQ_LOG_CREATE | MQ_LOG_VERIFY)

/* What mq_log_open() found and repaired. */
struct mq_log_recovery {
	uint64_t truncated_bytes;	/* cut from the active segment's tail */
	uint64_t truncated_at;		/* its position there (when bytes != 0) */
	uint32_t quarantined;		/* closed segments renamed to .corrupt */
	uint32_t rebuilt;		/* segments whose indexes were rebuilt */
	uint32_t removed;		/* empty segments and stray index files */
};

struct mq_log;

/*
 * Opens the log in @dir for writing, one writer at a time, and recovers it
 * (Documentation/log.rst, "Recovery"): a torn tail of the newest segment
 * is cut, a corrupt closed segment renamed <base>.log.corrupt, bad or
 * missing indexes rebuilt; mq_log_recovery() says what was done.  @cfg may
 * be NULL for the defaults.  -EPROTO: a segment of another format version;
 * -EBUSY: another writer has the log open (an flock(2) on @dir).
 */
int mq_log_open(struct mq_log **logp, const char *dir, unsigned int flags,
		const struct mq_log_config *cfg);
void mq_log_close(struct mq_log *log);
const struct mq_log_recovery *mq_log_recovery(const struct mq_log *log);

/* The offset the next record must be at least; 0 for an empty log. */
uint64_t mq_log_next_offset(const struct mq_log *log);
/* The base of the oldest segment: no record below it; next when empty. */
uint64_t mq_log_first_offset(const struct mq_log *log);
/* Segments in the log, the active one included. */
unsigned int mq_log_segments(const struct mq_log *log);

/*
 * Checks the batch @records (whole framed records, offsets increasing from
 * mq_log_next_offset(): else -EINVAL, nothing written), rolls to a new
 * segment when the active one is full or old at @now, and returns where
 * to write the batch.  -EBUSY while a reservation is outstanding.
 */
int mq_log_reserve(struct mq_log *log, const void *records, size_t len,
		   uint64_t now, int *fd, uint64_t *pos);
/* The reserved write completed whole: indexes the same @records. */
int mq_log_appended(struct mq_log *log, const void *records, size_t len);
/* The reserved write failed or was short: cuts the file back. */
int mq_log_abort(struct mq_log *log);
/* The active segment's fd, for fdatasync; -ENOENT when there is none. */
int mq_log_sync_fd(const struct mq_log *log);
int mq_log_append(struct mq_log *log, const void *records, size_t len,
		  uint64_t now);

/*
 * Deletes whole segments from the oldest, never the active one, while
 * the oldest is older than @max_age (its newest record, by timestamp) or
 * the log would still hold @max_bytes without it; 0 disables either.
 * Returns how many it deleted.
 */
int mq_log_retain(struct mq_log *log, uint64_t now, uint64_t max_bytes,
		  uint64_t max_age);

/* Reading, from another process or thread than the writer's. */
struct mq_log_reader;

int mq_log_reader_open(struct mq_log_reader **rp, const char *dir);
void mq_log_reader_close(struct mq_log_reader *r);
/*
 * Copies into @buf whole framed records (padding included) of one
 * segment, from the first record at or past @offset: the byte count, 0
 * when there is none yet, -EMSGSIZE when the first does not fit, and
 * -EBADMSG when the first fails its checks (CRC, framing).
 */
ssize_t mq_log_read(struct mq_log_reader *r, uint64_t offset, void *buf,
		    size_t len);
int mq_log_reader_first_offset(struct mq_log_reader *r, uint64_t *offset);
int mq_log_reader_next_offset(struct mq_log_reader *r, uint64_t *offset);
/* How many segments the log has, and their .log files' bytes, headers in. */
int mq_log_reader_stat(struct mq_log_reader *r, unsigned int *segments,
		       uint64_t *bytes);
/*
 * The offset of the first record, in offset order, stamped @ts or later,
 * found through the time indexes: 0, or -ENOENT when every record is
 * older (*offset is then the next offset).
 */
int mq_log_reader_offset_for_time(struct mq_log_reader *r, uint64_t ts,
				  uint64_t *offset);

/*
 * The data directory mqd's readers look in: the environment's MQ_DATA_DIR
 * when set and not empty, else MQ_DATA_DIR_DEFAULT.
 */
const char *mq_log_data_dir(void);
/*
 * Where queue @queue of @topic keeps its log under @datadir (mqd's
 * layout, Documentation/mqd.rst): 0, or -ENAMETOOLONG when it does not
 * fit in @size bytes.
 */
int mq_log_queue_dir(char *buf, size_t size, const char *datadir,
		     const char *topic, uint32_t queue);

/*
 * Checks <datadir>/format, or with @create makes it (and datadir) when
 * datadir has no format file and is empty or missing.  On failure writes
 * a sentence for the caller to print into @msg: -EPROTO for another
 * version, -EINVAL for a file that is not ours, -ENOENT for none.
 */
int mq_log_datadir_check(const char *datadir, bool create, char *msg,
			 size_t msglen);

#endif /* LIBMQ_LOG_H */
