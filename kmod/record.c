// SPDX-License-Identifier: GPL-2.0
/*
 * Checking framed records that userspace hands to a queue in record mode
 * (write(2), splice(2)): the kernel appends only records every reader
 * could trust, so a forwarder or a replayed log can never plant a record
 * whose lengths would lead a consumer astray.
 *
 * The offset a record carries is not checked: the queue gives it its own,
 * and recomputes the CRC over it (mq_queue_append_records()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/string.h>

#include "compat.h"
#include "mq.h"

/*
 * Checks a record's header: the lengths add up, the value holds a byte at
 * least (a read in message mode returns the value, and 0 would read as
 * the end of a file), key and value hold at most max_msg, the version and
 * every reserved field are as uapi/linux/mq.h says.  Returns the record's stride (its padded size),
 * or -EINVAL, or -EMSGSIZE.
 */
int mq_record_check_header(const struct mq_record *rec, u32 max_msg)
{
	u64 klen = rec->key_len, vlen = rec->value_len;

	if (rec->len != MQ_RECORD_HDR_SIZE + klen + vlen || !vlen)
		return -EINVAL;
	if (rec->magic != MQ_RECORD_MAGIC || rec->flags & ~MQ_RECORD_F_ALL ||
	    rec->reserved0 || rec->reserved[0] || rec->reserved[1] ||
	    rec->producer_id || rec->sequence)
		return -EINVAL;
	if (klen + vlen > max_msg)
		return -EMSGSIZE;
	return MQ_RECORD_ALIGN(rec->len);
}

/*
 * Checks what follows a good header: zero padding (the log and the wire
 * keep it, and it must not carry anything) and the CRC.  Returns 0,
 * -EINVAL or -EBADMSG.
 */
int mq_record_check_body(const struct mq_record *rec)
{
	const u8 *p = (const u8 *)rec;
	u32 len = rec->len, end = MQ_RECORD_ALIGN(len), i;

	for (i = len; i < end; i++)
		if (p[i])
			return -EINVAL;
	if (~mq_crc32c_raw(~0U, p + MQ_RECORD_CRC_START,
			   len - MQ_RECORD_CRC_START) != rec->crc)
		return -EBADMSG;
	return 0;
}

/*
 * Checks that buf[0, len) is whole records back to back.  Returns how many,
 * or the first problem found: -EINVAL (also for a record running past the
 * end), -EMSGSIZE, -EBADMSG.
 */
int mq_records_check(const void *buf, size_t len, u32 max_msg)
{
	size_t pos = 0;
	int n = 0, ret;

	while (pos < len) {
		const struct mq_record *rec = buf + pos;

		if (len - pos < MQ_RECORD_HDR_SIZE)
			return -EINVAL;
		ret = mq_record_check_header(rec, max_msg);
		if (ret < 0)
			return ret;
		if (len - pos < ret)
			return -EINVAL;
		pos += ret;
		ret = mq_record_check_body(rec);
		if (ret)
			return ret;
		n++;
	}
	return n;
}
