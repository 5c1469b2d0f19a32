// SPDX-License-Identifier: GPL-2.0
/*
 * splice(2) and sendfile(2) on a queue.
 *
 * Out of a queue (splice to a pipe, sendfile to a socket or a file): what
 * a read(2) would return, copied once from the ring into pages the pipe
 * owns.  The ring's own pages cannot be lent to the pipe, as a page cache
 * page would be: producers write over them once their records are
 * dropped, while the pipe, or a socket sending from it, still holds them.
 * From the pipe on nothing is copied again on the way to a socket
 * (sendpage takes the pipe's pages); a file's page cache takes one copy.
 *
 * Into a queue (splice from a pipe, sendfile from a file), in record mode
 * only: the pipe carries a stream of records, which need not arrive whole
 * (a TCP stream cuts them anywhere).  Each record is put together in the
 * file's buffer, checked, and appended once whole.  So two copies remain,
 * pipe to buffer and buffer to ring: the checks need the record whole and
 * still, and it must not reach the ring before it passed them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pipe_fs_i.h>
#include <linux/slab.h>
#include <linux/splice.h>

#include "compat.h"
#include "mq.h"

ssize_t mq_splice_read(struct file *in, loff_t *ppos,
		       struct pipe_inode_info *pipe, size_t len,
		       unsigned int flags)
{
	unsigned int used = pipe_occupancy(pipe->head, pipe->tail);
	size_t room;

	/*
	 * A read into a pipe stops where the pipe is full, and a short copy
	 * fails the read; so ask for no more than the pipe takes.  Callers
	 * hold the pipe's lock (or own it, for sendfile), so room stays.
	 */
	if (used >= pipe->max_usage)
		return -EAGAIN;
	room = (size_t)(pipe->max_usage - used) << PAGE_SHIFT;
	return mq_generic_splice_read(in, ppos, pipe, min(len, room), flags);
}

/* The file's stream buffer, made on the first splice in. */
static int mq_splice_prepare(struct mq_file *mf)
{
	if (mf->sbuf)
		return 0;
	mf->sbuf = kvmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!mf->sbuf)
		return -ENOMEM;
	mf->scap = PAGE_SIZE;
	mf->shave = 0;
	mf->swant = MQ_RECORD_HDR_SIZE;
	return 0;
}

/* Makes room for a record of stride bytes, keeping its header. */
static int mq_splice_grow(struct mq_file *mf, u32 stride)
{
	struct mq_record *buf;

	if (stride <= mf->scap)
		return 0;
	buf = kvmalloc(stride, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, mf->sbuf, MQ_RECORD_HDR_SIZE);
	kvfree(mf->sbuf);
	mf->sbuf = buf;
	mf->scap = stride;
	return 0;
}

/*
 * Takes bytes of one pipe buffer towards the record being put together:
 * first its header, which says how long it is, then the rest.  Returns
 * the bytes taken from the pipe, or -errno, taking none: a record that
 * fails its checks, or whose append fails, is met again by the next
 * call, so the stream stays stopped at it (MQ_IOC_SET_MODE restarts it).
 */
static int mq_splice_actor(struct pipe_inode_info *pipe,
			   struct pipe_buffer *buf, struct splice_desc *sd)
{
	struct file *file = sd->u.file;
	struct mq_file *mf = file->private_data;
	struct mq_queue *q = mf->q;
	u32 n = min_t(size_t, sd->len, mf->swant - mf->shave);
	int ret;

	memcpy_from_page((char *)mf->sbuf + mf->shave, buf->page, buf->offset,
			 n);
	if (mf->shave + n < mf->swant) {
		mf->shave += n;
		return n;
	}

	if (mf->swant == MQ_RECORD_HDR_SIZE) {
		ret = mq_record_check_header(mf->sbuf, q->topic->max_msg_size);
		if (ret < 0)
			return ret;
		/* The value holds a byte at least: more is to come. */
		ret = mq_splice_grow(mf, ret);
		if (ret)
			return ret;
		mf->shave = MQ_RECORD_HDR_SIZE;
		mf->swant = MQ_RECORD_ALIGN(mf->sbuf->len);
		return n;
	}

	ret = mq_record_check_body(mf->sbuf);
	if (ret)
		return ret;
	ret = mq_queue_append_records(q, mf->sbuf, mf->swant, 1,
				      file->f_flags & O_NONBLOCK);
	if (ret < 0)
		return ret;
	mf->shave = 0;
	mf->swant = MQ_RECORD_HDR_SIZE;
	return n;
}

ssize_t mq_splice_write(struct pipe_inode_info *pipe, struct file *out,
			loff_t *ppos, size_t len, unsigned int flags)
{
	struct mq_file *mf = out->private_data;
	struct splice_desc sd = {
		.total_len = len,
		.flags = flags,
		.pos = *ppos,
		.u.file = out,
	};
	ssize_t ret;

	/* Messages have no framing a byte stream could keep. */
	if (READ_ONCE(mf->mode) != MQ_MODE_RECORD)
		return -EINVAL;
	if (READ_ONCE(mf->q->dead))
		return -ENODEV;
	if (mutex_lock_interruptible(&mf->slock))
		return -ERESTARTSYS;
	ret = mq_splice_prepare(mf);
	if (!ret) {
		pipe_lock(pipe);
		ret = __splice_from_pipe(pipe, &sd, mq_splice_actor);
		pipe_unlock(pipe);
	}
	mutex_unlock(&mf->slock);
	return ret;
}

/* Forgets a record half put together: the stream starts afresh. */
void mq_splice_reset(struct mq_file *mf)
{
	mutex_lock(&mf->slock);
	mf->shave = 0;
	mf->swant = MQ_RECORD_HDR_SIZE;
	mutex_unlock(&mf->slock);
}

void mq_splice_free(struct mq_file *mf)
{
	kvfree(mf->sbuf);
}
