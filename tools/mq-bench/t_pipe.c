// SPDX-License-Identifier: GPL-2.0
/*
 * A pipe: a byte stream, so messages are framed by their fixed size.  A
 * write of up to PIPE_BUF bytes is atomic; bigger ones are too here,
 * since one producer writes.  The consumer reads exactly one message's
 * bytes, looping over short reads.  The pipe's capacity is raised to
 * --buffer (F_SETPIPE_SZ) so that it holds as much as the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

static int pipe_open(struct chan *ch, const struct bench_opts *o,
		     unsigned int id, size_t msg_size, char *why, size_t why_len)
{
	int fds[2], got;

	(void)id;
	chan_init(ch, msg_size);
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(why, why_len, "pipe2: %m");
		return -errno;
	}
	ch->rx = fds[0];
	ch->tx = fds[1];
	/* Beyond fs.pipe-max-size this needs CAP_SYS_RESOURCE: say what we got. */
	got = fcntl(ch->tx, F_SETPIPE_SZ, (int)o->buffer);
	if (got < 0)
		got = fcntl(ch->tx, F_GETPIPE_SZ);
	if (got != (int)o->buffer)
		note("pipe: capacity %d bytes, not the %zu of --buffer", got,
		     o->buffer);
	return 0;
}

static int pipe_send(struct chan *ch, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(ch->tx, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static ssize_t pipe_recv(struct chan *ch, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(ch->rx, (char *)buf + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)	/* the producer went away mid-message */
			break;
		done += n;
	}
	return done;
}

/*
 * A pipe holds F_GETPIPE_SZ bytes as that many pages.  A write merges
 * into the last page while it fits there, and takes new pages for the
 * rest: a message no bigger than a page takes a page of its own only when
 * it does not fit beside the ones before it; a bigger one takes at most
 * as many pages as it spans.
 */
static long pipe_capacity(struct chan *ch, char *why, size_t why_len)
{
	long page = sysconf(_SC_PAGESIZE), bytes, pages;
	size_t size = ch->msg_size;

	bytes = fcntl(ch->tx, F_GETPIPE_SZ);
	if (bytes < 0) {
		snprintf(why, why_len, "F_GETPIPE_SZ: %m");
		return -errno;
	}
	pages = bytes / page;
	if (size <= (size_t)page)
		return pages * (page / size);
	return pages / ((size + page - 1) / page);
}

const struct transport t_pipe = {
	.name = "pipe",
	.title = "pipe",
	.open = pipe_open,
	.keep = chan_keep_fds,
	.close = chan_close_fds,
	.send = pipe_send,
	.recv = pipe_recv,
	.capacity = pipe_capacity,
};
