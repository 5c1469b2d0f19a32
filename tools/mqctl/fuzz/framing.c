// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: produce's input framing (../framing.c).
 *
 * The input's first byte picks the framing (its value modulo 3: lines,
 * nul, lenprefix), the next two the topic's max_msg_size (little-endian,
 * modulo 1024); the rest is standard input, read through a memfd with the
 * buffer produce would allocate.  Every message next_message() returns,
 * and where it stops, must match a model that splits the whole input at
 * once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "framing.h"

#define check(cond) do { if (!(cond)) abort(); } while (0)

/*
 * The model: the next message of data[*pos..size) as produce documents
 * it.  Same return values as next_message(); advances *pos.
 */
static int model_next(const uint8_t *data, size_t size, size_t *pos,
		      enum framing framing, uint32_t max,
		      const uint8_t **msg, size_t *len)
{
	const uint8_t *p = data + *pos, *d;
	size_t avail = size - *pos;
	uint32_t n;

	if (framing == LENPREFIX) {
		if (!avail)
			return 0;
		if (avail < 4)
			return -EPROTO;
		n = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
		if (n > max)
			return -EMSGSIZE;
		if (avail - 4 < n)
			return -EPROTO;
		*msg = p + 4;
		*len = n;
		*pos += 4 + (size_t)n;
		return 1;
	}
	d = memchr(p, framing == NUL ? '\0' : '\n', avail);
	*len = d ? (size_t)(d - p) : avail;
	if (*len > max)
		return -EMSGSIZE;
	if (!d && !avail)
		return 0;
	*msg = p;
	*pos += *len + (d ? 1 : 0);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { 0 };
	const uint8_t *want_msg;
	size_t pos = 0, want_len, len;
	int fd, got, want;
	char *msg;

	if (size < 3)
		return 0;
	in.framing = (enum framing)(data[0] % 3);
	in.max = (uint32_t)(data[1] | data[2] << 8) % 1024;
	data += 3;
	size -= 3;

	fd = memfd_create("stdin", MFD_CLOEXEC);
	check(fd >= 0);
	check(write(fd, data, size) == (ssize_t)size);
	check(lseek(fd, 0, SEEK_SET) == 0);

	/* As produce_main() sizes it. */
	in.fd = fd;
	in.cap = (size_t)in.max + 8;
	in.buf = malloc(in.cap);
	check(in.buf);

	do {
		got = next_message(&in, &msg, &len);
		want = model_next(data, size, &pos, in.framing, in.max,
				  &want_msg, &want_len);
		check(got == want);
		if (got == 1) {
			check(len == want_len && len <= in.max);
			check(msg >= in.buf && msg + len <= in.buf + in.end);
			check(!memcmp(msg, want_msg, len));
		}
	} while (got == 1);

	free(in.buf);
	close(fd);
	return 0;
}
