// SPDX-License-Identifier: GPL-2.0
/*
 * The file operations of a queue device, /dev/mq/<topic>/<queue>.
 *
 * The file position is a logical offset: read_iter reads the message at
 * iocb->ki_pos and moves it one past, so read(2), pread(2), readv(2) and
 * io_uring reads (at the file position or at an offset) share one path.
 * Writes append and leave the position alone, but for a record-mode
 * write on a write-only file: its position is one past what it appended.
 *
 * FMODE_NOWAIT and IOCB_NOWAIT: io_uring first tries a read or write
 * without blocking; a queue answers -EAGAIN at once instead of sleeping,
 * and io_uring then waits through ->poll rather than handing the request
 * to an io-wq worker thread.  Not for a file that writes to a topic with
 * acks: its writes wait for their acknowledgment anyway (persist.c).
 *
 * mmap and the ioctls are in mmap.c and the files of their subjects; this
 * file only dispatches to them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "mq.h"

static int mq_file_open(struct inode *inode, struct file *file)
{
	struct mq_queue *q = container_of(inode->i_cdev, struct mq_queue, cdev);
	struct mq_file *mf;

	if (READ_ONCE(q->dead))
		return -ENODEV;
	mf = kzalloc(sizeof(*mf), GFP_KERNEL_ACCOUNT);
	if (!mf)
		return -ENOMEM;
	mq_obj_get(MQ_OBJ_FILE);

	/* The queue outlives every file of it, deleted or not. */
	get_device(&q->dev);
	mf->q = q;
	INIT_LIST_HEAD(&mf->rnode);
	mutex_init(&mf->slock);
	mq_queue_attach(q, mf, file->f_mode, &file->f_pos);
	file->private_data = mf;
	/*
	 * FMODE_ATOMIC_POS: read(2)s on one file shared by threads take the
	 * position in turn.  Both flags but for writers on a topic with acks.
	 */
	file->f_mode |= mq_persist_fmode(q, file->f_mode);
	return 0;
}

static int mq_file_release(struct inode *inode, struct file *file)
{
	struct mq_file *mf = file->private_data;

	mq_persist_release(mf->q, mf);
	mq_queue_detach(mf->q, mf, file->f_mode);
	put_device(&mf->q->dev);
	mq_splice_free(mf);
	kfree(mf);
	mq_obj_put(MQ_OBJ_FILE);
	return 0;
}

static bool mq_nowait(struct kiocb *iocb)
{
	return (iocb->ki_flags & IOCB_NOWAIT) ||
	       (iocb->ki_filp->f_flags & O_NONBLOCK);
}

static ssize_t mq_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct mq_file *mf = iocb->ki_filp->private_data;

	return mq_queue_read(mf->q, mf, &iocb->ki_pos, to, mq_nowait(iocb));
}

/*
 * A record-mode write: the records are copied in and checked whole before
 * any is appended, so a bad one leaves nothing behind, and a producer
 * cannot change them between the check and the append.
 */
static ssize_t mq_file_write_records(struct mq_queue *q, struct iov_iter *from,
				     bool nowait, u64 *last)
{
	size_t len = iov_iter_count(from);
	u32 max_msg = q->topic->max_msg_size;
	size_t one = MQ_RECORD_ALIGN(MQ_RECORD_HDR_SIZE + (u64)max_msg);
	void *buf;
	ssize_t ret;
	int n, err;

	/* As in message mode, an empty write is no record. */
	if (!len)
		return -EINVAL;
	if (len > max_t(size_t, MQ_RECORD_BATCH_MAX, one) || len > q->ring.size)
		return -EMSGSIZE;
	buf = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	ret = -EFAULT;
	if (!copy_from_iter_full(buf, len, from))
		goto out;
	ret = n = mq_records_check(buf, len, max_msg);
	if (n < 0)
		goto out;
	ret = mq_queue_append_records(q, buf, len, n, nowait, last);
	kvfree(buf);
	/* Whatever the answer, the records stay: at-least-once. */
	if (ret > 0 && q->topic->acks) {
		err = mq_persist_wait(q, *last);
		if (err)
			ret = err;
	}
	return ret;
out:
	kvfree(buf);
	return ret;
}

static ssize_t mq_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct mq_file *mf = iocb->ki_filp->private_data;

	ssize_t ret;
	u64 last;

	if (READ_ONCE(mf->mode) != MQ_MODE_RECORD)
		return mq_queue_append(mf->q, from, mq_nowait(iocb));
	ret = mq_file_write_records(mf->q, from, mq_nowait(iocb), &last);
	/*
	 * A write-only file has no read cursor: its position tells its
	 * producer the offsets it got, as Kafka's produce response does.
	 * The VFS keeps it for write(2), not for pwrite(2).
	 */
	if (ret > 0 && !(iocb->ki_filp->f_mode & FMODE_READ))
		iocb->ki_pos = last + 1;
	return ret;
}

static loff_t mq_file_llseek(struct file *file, loff_t offset, int whence)
{
	struct mq_file *mf = file->private_data;
	loff_t ret;

	/* The VFS holds f_pos_lock around ->llseek for FMODE_ATOMIC_POS. */
	ret = mq_queue_seek(mf->q, mf, file->f_pos, offset, whence);
	if (ret >= 0)
		file->f_pos = ret;
	return ret;
}

static __poll_t mq_file_poll(struct file *file, poll_table *wait)
{
	struct mq_file *mf = file->private_data;
	struct mq_queue *q = mf->q;

	if (file->f_mode & FMODE_READ)
		poll_wait(file, &q->rwait, wait);
	if (file->f_mode & FMODE_WRITE)
		poll_wait(file, &q->wwait, wait);
	return mq_queue_poll_mask(q, mf, READ_ONCE(file->f_pos), file->f_mode);
}

static long mq_ioc_group_join(struct file *file, void __user *uarg)
{
	struct mq_file *mf = file->private_data;
	struct mq_group_join j;

	if (copy_from_user(&j, uarg, sizeof(j)))
		return -EFAULT;
	if (j.size != MQ_GROUP_JOIN_SIZE_VER0 || j.flags & ~MQ_GROUP_F_ALL ||
	    j.reserved0 || j.reserved[0] || j.reserved[1] ||
	    j.start >= __MQ_GROUP_START_MAX ||
	    (!mq_group_start_takes_offset(j.start) && j.offset))
		return -EINVAL;
	/* A log run is a claim, which an auto-commit member cannot take. */
	if ((j.flags & MQ_GROUP_F_LOG) && (j.flags & MQ_GROUP_F_AUTOCOMMIT))
		return -EINVAL;
	if (strnlen(j.name, sizeof(j.name)) == sizeof(j.name) ||
	    mq_name_problem(j.name))
		return -EINVAL;
	/* Only a reader consumes. */
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if (READ_ONCE(mf->q->dead))
		return -ENODEV;
	return mq_group_join(mf->q, mf, &j);
}

static long mq_ioc_commit(struct file *file, void __user *uarg)
{
	struct mq_file *mf = file->private_data;
	struct mq_commit c;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.size != MQ_COMMIT_SIZE_VER0 || c.flags || c.reserved[0] ||
	    c.reserved[1])
		return -EINVAL;
	if (READ_ONCE(mf->q->dead))
		return -ENODEV;
	return mq_group_commit(mf, c.offset);
}

static long mq_ioc_group_seek(struct file *file, void __user *uarg)
{
	struct mq_file *mf = file->private_data;
	struct mq_group_seek sk;

	if (copy_from_user(&sk, uarg, sizeof(sk)))
		return -EFAULT;
	if (sk.size != MQ_GROUP_SEEK_SIZE_VER0 ||
	    sk.flags & ~MQ_GROUP_SEEK_F_ALL || sk.reserved0 || sk.reserved ||
	    sk.start >= __MQ_GROUP_START_MAX ||
	    (!mq_group_start_takes_offset(sk.start) && sk.offset))
		return -EINVAL;
	if (READ_ONCE(mf->q->dead))
		return -ENODEV;
	return mq_group_seek(mf->q, mf, sk.start, sk.offset);
}

static long mq_ioc_group_claim(struct file *file, void __user *uarg)
{
	struct mq_file *mf = file->private_data;
	struct mq_group_claim c;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.size != MQ_GROUP_CLAIM_SIZE_VER0 ||
	    c.flags & ~MQ_GROUP_CLAIM_F_ALL || !c.max || c.count ||
	    c.offset || c.end || c.pos || c.reserved[0] || c.reserved[1])
		return -EINVAL;
	if (READ_ONCE(mf->q->dead))
		return -ENODEV;
	ret = mq_group_claim(mf, &c);
	if (ret)
		return ret;
	/*
	 * Claimed is delivered: if the answer cannot be written back, the
	 * messages are the member's all the same, and go back to the group
	 * when it closes, as with a read whose member dies.
	 */
	return copy_to_user(uarg, &c, sizeof(c)) ? -EFAULT : 0;
}

static long mq_ioc_set_mode(struct file *file, u32 __user *uarg)
{
	struct mq_file *mf = file->private_data;
	u32 mode;

	if (get_user(mode, uarg))
		return -EFAULT;
	if (mode >= __MQ_MODE_MAX)
		return -EINVAL;
	if (READ_ONCE(mf->q->dead))
		return -ENODEV;
	WRITE_ONCE(mf->mode, mode);
	mq_splice_reset(mf);
	return 0;
}

static int mq_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mq_file *mf = file->private_data;

	return mq_mmap(mf->q, vma);
}

/* One case, one function per ioctl; unknown numbers fail with ENOTTY. */
static long mq_file_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct mq_file *mf = file->private_data;

	switch (cmd) {
	case MQ_IOC_VERSION:
		/* The control device is root's; a queue's users ask here. */
		return mq_control_version((void __user *)arg);
	case MQ_IOC_GROUP_JOIN:
		return mq_ioc_group_join(file, (void __user *)arg);
	case MQ_IOC_COMMIT:
		return mq_ioc_commit(file, (void __user *)arg);
	case MQ_IOC_GROUP_SEEK:
		return mq_ioc_group_seek(file, (void __user *)arg);
	case MQ_IOC_GROUP_CLAIM:
		return mq_ioc_group_claim(file, (void __user *)arg);
	case MQ_IOC_MMAP_INFO:
		return mq_mmap_info(mf->q, (void __user *)arg);
	case MQ_IOC_SET_MODE:
		return mq_ioc_set_mode(file, (u32 __user *)arg);
	case MQ_IOC_PERSIST_ATTACH:
		return mq_persist_attach(file, (void __user *)arg);
	case MQ_IOC_PERSIST_REPORT:
		return mq_persist_report(file, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations mq_queue_fops = {
	.owner		= THIS_MODULE,
	.open		= mq_file_open,
	.release	= mq_file_release,
	.read_iter	= mq_file_read_iter,
	.write_iter	= mq_file_write_iter,
	.llseek		= mq_file_llseek,
	.poll		= mq_file_poll,
	.mmap		= mq_file_mmap,
	.splice_read	= mq_splice_read,
	.splice_write	= mq_splice_write,
	/* Every argument is a fixed-layout struct: the same for 32 bits. */
	.unlocked_ioctl	= mq_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
