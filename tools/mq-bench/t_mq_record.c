// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mq read in record mode: the producer writes as the mq transport
 * does, one write(2) per message; the consumer switches its file to
 * MQ_MODE_RECORD, and one read(2) returns every whole record there is,
 * up to RECORD_READ_BUF bytes of them, framed as in the ring: a 64-byte
 * struct mq_record header, the value, zero padding to 8 bytes.  Receives
 * take the records out of that buffer one at a time, checking each one's
 * framing (lengths that add up, the magic, no key, and an offset one past
 * the last), and copy its value into the caller's buffer, as every
 * transport's receive does, for measure.c to check.  A read(2) happens
 * only when the buffer is used up.
 *
 * A frame that does not match the ABI fails the test with EPROTO.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/mq.h>

#include "bench.h"

/* What one read(2) may return: 4096 64-byte messages with their headers. */
#define RECORD_READ_BUF		(256 * 1024)

struct record_rx {
	unsigned char *buf;	/* what the last read(2) returned */
	size_t len;		/* its bytes */
	size_t at;		/* where the next record starts in it */
	uint64_t off;		/* the offset the next record must have */
};

static void record_rx_free(struct chan *ch)
{
	struct record_rx *r = ch->rx_state;

	if (!r)
		return;
	free(r->buf);
	free(r);
	ch->rx_state = NULL;
}

static int record_open(struct chan *ch, const struct bench_opts *o, unsigned int id,
		       size_t msg_size, char *why, size_t why_len)
{
	uint32_t mode = MQ_MODE_RECORD;
	struct record_rx *r;
	off_t pos;
	int ret;

	ret = devmq_open(ch, o, id, msg_size, why, why_len);
	if (ret)
		return ret;
	r = calloc(1, sizeof(*r));
	if (r)
		r->buf = malloc(RECORD_READ_BUF);	/* 8-byte aligned, as headers are */
	if (!r || !r->buf) {
		free(r);
		snprintf(why, why_len, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	ch->rx_state = r;
	if (ioctl(ch->rx, MQ_IOC_SET_MODE, &mode)) {
		ret = -errno;
		snprintf(why, why_len, "MQ_IOC_SET_MODE MQ_MODE_RECORD: %m");
		goto fail;
	}
	/* The reader starts at the offset open(2) gave it. */
	pos = lseek(ch->rx, 0, SEEK_CUR);
	if (pos < 0) {
		ret = -errno;
		snprintf(why, why_len, "lseek SEEK_CUR: %m");
		goto fail;
	}
	r->off = pos;
	return 0;
fail:
	record_rx_free(ch);
	chan_close_fds(ch);
	return ret;
}

static void record_keep(struct chan *ch, enum chan_end end)
{
	if (end == CHAN_TX)
		record_rx_free(ch);
	chan_keep_fds(ch, end);
}

static void record_close(struct chan *ch)
{
	record_rx_free(ch);
	chan_close_fds(ch);
}

static ssize_t record_recv(struct chan *ch, void *buf, size_t size)
{
	struct record_rx *r = ch->rx_state;
	const struct mq_record *rec;
	size_t left;
	ssize_t n;

	if (r->at == r->len) {
		do
			n = read(ch->rx, r->buf, RECORD_READ_BUF);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		if (!n)
			return -ENODATA;
		r->len = n;
		r->at = 0;
	}
	left = r->len - r->at;
	rec = (const struct mq_record *)(r->buf + r->at);
	/* A read returns whole records, each padded to 8 bytes. */
	if (left < MQ_RECORD_HDR_SIZE || rec->len < MQ_RECORD_HDR_SIZE ||
	    MQ_RECORD_ALIGN(rec->len) > left ||
	    (uint64_t)MQ_RECORD_HDR_SIZE + rec->key_len + rec->value_len != rec->len ||
	    rec->magic != MQ_RECORD_MAGIC || rec->offset != r->off || rec->key_len)
		return -EPROTO;
	if (rec->value_len > size)
		return -EMSGSIZE;
	memcpy(buf, (const unsigned char *)rec + MQ_RECORD_HDR_SIZE, rec->value_len);
	r->at += MQ_RECORD_ALIGN(rec->len);
	r->off++;
	return rec->value_len;
}

static int record_setup(const struct bench_opts *o, char *why, size_t why_len)
{
	return devmq_setup(o, MQ_FEAT_RECORD, "MQ_FEAT_RECORD", why, why_len);
}

/* A read(2) in record mode consumes what it returns, as one in message mode. */
const struct transport t_mq_record = {
	.name = "mq-record",
	.title = "/dev/mq, record mode",
	.setup = record_setup,
	.teardown = devmq_teardown,
	.open = record_open,
	.keep = record_keep,
	.close = record_close,
	.send = devmq_send,
	.recv = record_recv,
	.capacity = devmq_capacity,
};
