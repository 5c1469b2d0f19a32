// SPDX-License-Identifier: GPL-2.0
/*
 * The file system under mqd's data directory, without mq: what a log
 * could get from it at best.  Sequential writes of one message size to a
 * new file and one fdatasync at the end, counted in the time (raw
 * bandwidth); and a write and an fdatasync per message (what a producer
 * waiting for the disk alone, one message at a time, would get: the peer
 * of group commit).  The file is new each time, as mqd's active segment
 * grows: every fdatasync also commits the file's new size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mqdb.h"

static int open_new(const struct mqdb_opts *o, char *path, size_t len,
		    struct mqdb_result *res)
{
	int fd;

	snprintf(path, len, "%s/raw.%d", o->dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		mqdb_fail(res, -errno, "open %s: %s", path, strerror(errno));
	return fd;
}

static int put(int fd, const void *buf, size_t size, struct mqdb_result *res)
{
	ssize_t n = write(fd, buf, size);

	if (n == (ssize_t)size)
		return 0;
	if (n >= 0)
		mqdb_fail(res, -EIO, "short write: %zd of %zu bytes", n, size);
	else
		mqdb_fail(res, -errno, "write: %s", strerror(errno));
	return res->err;
}

/* Writes one message at a time while @sync_each says whether to sync. */
static void run(const struct mqdb_opts *o, size_t size, bool sync_each,
		struct mqdb_result *res)
{
	uint64_t limit = o->max_bytes / size;
	char path[4096];
	double t0, end;
	void *buf;
	int fd;

	memset(res, 0, sizeof(*res));
	buf = malloc(size);
	if (!buf) {
		mqdb_fail(res, -ENOMEM, "no memory for a %zu-byte message",
			  size);
		return;
	}
	memset(buf, 'm', size);
	fd = open_new(o, path, sizeof(path), res);
	if (fd < 0)
		goto out;
	t0 = mqdb_now();
	end = t0 + o->duration;
	while (res->msgs < limit) {
		if (put(fd, buf, size, res))
			break;
		if (sync_each && fdatasync(fd)) {
			mqdb_fail(res, -errno, "fdatasync: %s",
				  strerror(errno));
			break;
		}
		res->msgs++;
		/*
		 * The clock is read every 64 plain writes (in a TCG guest it
		 * costs more than one), every write when each is synced.
		 */
		if ((sync_each || !(res->msgs & 63)) && mqdb_now() >= end)
			break;
	}
	if (!res->err && !sync_each && fdatasync(fd))
		mqdb_fail(res, -errno, "fdatasync: %s", strerror(errno));
	res->seconds = mqdb_now() - t0;
	res->bytes = res->msgs * size;
	close(fd);
	unlink(path);
out:
	free(buf);
}

void mqdb_disk_write(const struct mqdb_opts *o, size_t size,
		     struct mqdb_result *res)
{
	run(o, size, false, res);
}

void mqdb_disk_sync_each(const struct mqdb_opts *o, size_t size,
			 struct mqdb_result *res)
{
	run(o, size, true, res);
}
