// SPDX-License-Identifier: GPL-2.0
/*
 * An AF_UNIX SOCK_SEQPACKET socketpair: message boundaries kept, in
 * order, reliable.  What a connected unix socket holds is bounded by the
 * sender's SO_SNDBUF (each message is charged with its skb's overhead),
 * so that is raised to --buffer; past net.core.wmem_max that takes
 * SO_SNDBUFFORCE and CAP_NET_ADMIN.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

static int unix_open(struct chan *ch, const struct bench_opts *o,
		     unsigned int id, size_t msg_size, char *why, size_t why_len)
{
	int sv[2], want = (int)o->buffer, got = 0;
	socklen_t len = sizeof(got);

	(void)id;
	chan_init(ch, msg_size);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		snprintf(why, why_len, "socketpair: %m");
		return -errno;
	}
	ch->tx = sv[0];
	ch->rx = sv[1];
	if (setsockopt(ch->tx, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)))
		setsockopt(ch->tx, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	/* The kernel doubles what it is given, for its bookkeeping. */
	getsockopt(ch->tx, SOL_SOCKET, SO_SNDBUF, &got, &len);
	if (got / 2 < want)
		note("unix: SO_SNDBUF %d bytes, less than the %d of --buffer",
		     got / 2, want);
	return 0;
}

static int unix_send(struct chan *ch, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = send(ch->tx, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static ssize_t unix_recv(struct chan *ch, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(ch->rx, buf, len, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/*
 * What one message costs against SO_SNDBUF is its skb's truesize, which
 * depends on the allocator's sizes more than on the message's: a 4 KiB
 * message takes a linear part from an 8 KiB slab, for instance.  So ask
 * the kernel: send one message, read the send queue's charge (SIOCOUTQ,
 * sk_wmem_alloc for a unix socket), and receive it back.  A send waits
 * only once the charge has reached SO_SNDBUF, so SO_SNDBUF / that many
 * messages go through without waiting.
 */
static long unix_capacity(struct chan *ch, char *why, size_t why_len)
{
	int sndbuf = 0, charge = 0;
	socklen_t len = sizeof(sndbuf);
	void *buf = NULL;
	long ret;
	ssize_t n;

	if (getsockopt(ch->tx, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len)) {
		ret = -errno;
		goto out;
	}
	buf = calloc(1, ch->msg_size);
	ret = buf ? unix_send(ch, buf, ch->msg_size) : -ENOMEM;
	if (ret)
		goto out;
	if (ioctl(ch->tx, SIOCOUTQ, &charge))
		ret = -errno;
	/* Whatever SIOCOUTQ said, leave the channel empty. */
	n = unix_recv(ch, buf, ch->msg_size);
	if (!ret && n != (ssize_t)ch->msg_size)
		ret = n < 0 ? n : -EIO;
	if (!ret && charge <= 0)
		ret = -EIO;
out:
	free(buf);
	if (ret) {
		snprintf(why, why_len, "cannot tell what a message costs against SO_SNDBUF: %s",
			 strerror(-ret));
		return ret;
	}
	return sndbuf / charge > 1 ? sndbuf / charge : 1;
}

const struct transport t_unix = {
	.name = "unix",
	.title = "AF_UNIX seqpacket",
	.open = unix_open,
	.keep = chan_keep_fds,
	.close = chan_close_fds,
	.send = unix_send,
	.recv = unix_recv,
	.capacity = unix_capacity,
};
