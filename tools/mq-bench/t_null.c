// SPDX-License-Identifier: GPL-2.0
/*
 * Not a transport: each message is written to /dev/null, and "received"
 * as that many bytes read from /dev/zero.  Two system calls that move
 * nothing, the floor under any transport that takes one call per
 * message on each side.  Since what it receives is not what was sent, it
 * is marked no_data: only its lengths are checked, and only the solo
 * measurement runs it (with no data in flight, throughput and ping-pong
 * would mean nothing).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

static int null_open(struct chan *ch, const struct bench_opts *o,
		     unsigned int id, size_t msg_size, char *why, size_t why_len)
{
	(void)o;
	(void)id;
	chan_init(ch, msg_size);
	ch->tx = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (ch->tx < 0) {
		snprintf(why, why_len, "open /dev/null: %m");
		return -errno;
	}
	ch->rx = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (ch->rx < 0) {
		int ret = -errno;

		snprintf(why, why_len, "open /dev/zero: %m");
		chan_close_fds(ch);
		return ret;
	}
	return 0;
}

static int null_send(struct chan *ch, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(ch->tx, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* /dev/zero fills the whole buffer in one call. */
static ssize_t null_recv(struct chan *ch, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(ch->rx, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* It holds nothing, so nothing ever waits. */
static long null_capacity(struct chan *ch, char *why, size_t why_len)
{
	(void)ch;
	(void)why;
	(void)why_len;
	return LONG_MAX;
}

const struct transport t_null = {
	.name = "null",
	.title = "/dev/null + /dev/zero",
	.no_data = true,
	.open = null_open,
	.keep = chan_keep_fds,
	.close = chan_close_fds,
	.send = null_send,
	.recv = null_recv,
	.capacity = null_capacity,
};
