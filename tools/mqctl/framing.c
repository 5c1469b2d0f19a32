// SPDX-License-Identifier: GPL-2.0
/*
 * produce's input framing (framing.h).  The buffer holds at least one
 * whole message: a line or string of max bytes and its terminator, or a
 * length and max bytes; what is left of the input is moved to its start
 * before each read.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "framing.h"

int next_message(struct input *in, char **msg, size_t *len)
{
	char delim = in->framing == NUL ? '\0' : '\n';
	size_t avail, want;
	uint32_t n;
	ssize_t got;
	char *p;

	for (;;) {
		avail = in->end - in->start;
		p = in->buf + in->start;
		if (in->framing == LENPREFIX) {
			if (avail >= 4) {
				n = (uint32_t)(unsigned char)p[0] |
				    (uint32_t)(unsigned char)p[1] << 8 |
				    (uint32_t)(unsigned char)p[2] << 16 |
				    (uint32_t)(unsigned char)p[3] << 24;
				if (n > in->max)
					return -EMSGSIZE;
				want = 4 + (size_t)n;
				if (avail >= want) {
					*msg = p + 4;
					*len = n;
					in->start += want;
					return 1;
				}
			}
			if (in->eof)
				return avail ? -EPROTO : 0;
		} else {
			char *d = memchr(p, delim, avail);

			if (d) {
				*msg = p;
				*len = (size_t)(d - p);
				in->start += *len + 1;
				return *len > in->max ? -EMSGSIZE : 1;
			}
			if (avail > in->max)
				return -EMSGSIZE;
			if (in->eof) {
				if (!avail)
					return 0;
				*msg = p;
				*len = avail;
				in->start = in->end;
				return 1;
			}
		}
		/* Room for the rest: the buffer holds a whole message. */
		memmove(in->buf, p, avail);
		in->start = 0;
		in->end = avail;
		do
			got = read(in->fd, in->buf + in->end,
				   in->cap - in->end);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return -errno;
		if (!got)
			in->eof = true;
		in->end += (size_t)got;
	}
}

