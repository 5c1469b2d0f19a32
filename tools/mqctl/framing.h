/* SPDX-License-Identifier: GPL-2.0 */
/*
 * produce's input framing: a file descriptor split into messages, one per
 * line, per NUL-terminated string, or per 4-byte little-endian length and
 * that many bytes.  No other state than struct input, so that a fuzzer can
 * drive it with any bytes (tools/mqctl/fuzz/framing.c).
 */
#ifndef FRAMING_H
#define FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum framing { LINES, NUL, LENPREFIX };

struct input {
	int fd;			/* read(2) from here */
	char *buf;		/* cap bytes, at least max + 8 */
	size_t cap, start, end;
	uint32_t max;		/* the topic's max_msg_size */
	enum framing framing;
	bool eof;
};

/*
 * The next message at *msg, *len, inside in->buf; 1, or 0 at the end of
 * the input, -EMSGSIZE for one larger than in->max, -EPROTO for a
 * length-prefixed one cut short, or a read(2) error.
 */
int next_message(struct input *in, char **msg, size_t *len);

#endif /* FRAMING_H */
