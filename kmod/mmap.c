// SPDX-License-Identifier: GPL-2.0
/*
 * mmap consumers: a queue's control page and its data area, mapped
 * read-only, so that a consumer reads records in place with no copy and
 * no system call (Documentation/mmap.rst has the protocol).
 *
 * Nothing a user could write reaches the kernel: both regions are mapped
 * read-only and can never become writable (VM_MAYWRITE is cleared), and
 * the control page only mirrors fields the queue keeps for itself, so the
 * kernel never reads it.
 *
 * Lifetime: a mapping holds its struct file (vma->vm_file), the file
 * holds the queue (mq_file_open) and the module (the fops' owner), and
 * the queue frees its ring and control page in its release, which the
 * last fput runs after the last mapping is gone.  The page table entries
 * hold references on the pages as well.  So no vm_operations are needed:
 * a mapping never outlives what it maps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "mq.h"

long mq_mmap_info(struct mq_queue *q, struct mq_mmap_info __user *uarg)
{
	struct mq_mmap_info info;

	static_assert(sizeof(info) == MQ_MMAP_INFO_SIZE_VER0);
	static_assert(sizeof(struct mq_ctrl) <= PAGE_SIZE);

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.size != MQ_MMAP_INFO_SIZE_VER0)
		return -EINVAL;
	if (info.flags & ~MQ_MMAP_INFO_F_ALL)
		return -EINVAL;
	/* Outputs and reserved fields start zero, so they are free to grow. */
	if (memchr_inv(&info.ring_size, 0,
		       sizeof(info) - offsetof(struct mq_mmap_info, ring_size)))
		return -EINVAL;
	if (READ_ONCE(q->dead))
		return -ENODEV;

	info.ring_size = q->ring.size;
	info.ctrl_offset = MQ_MMAP_CTRL_OFFSET;
	info.ctrl_size = PAGE_SIZE;
	info.data_offset = MQ_MMAP_DATA_OFFSET;
	info.data_size = 2 * q->ring.size;
	info.ctrl.head = offsetof(struct mq_ctrl, head);
	info.ctrl.tail = offsetof(struct mq_ctrl, tail);
	info.ctrl.next_off = offsetof(struct mq_ctrl, next_off);
	info.ctrl.first_off = offsetof(struct mq_ctrl, first_off);
	info.ctrl.durable_off = offsetof(struct mq_ctrl, durable_off);
	info.ctrl.replicated_off = offsetof(struct mq_ctrl, replicated_off);
	info.ctrl.ring_size = offsetof(struct mq_ctrl, ring_size);

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* The data area: every page of the ring, twice, back to back. */
static int mq_mmap_data(struct mq_queue *q, struct vm_area_struct *vma)
{
	unsigned long nr = q->ring.size >> PAGE_SHIFT;
	int ret;

	ret = vm_insert_pages(vma, vma->vm_start, q->ring.pages, &nr);
	if (ret)
		return ret;
	nr = q->ring.size >> PAGE_SHIFT;
	return vm_insert_pages(vma, vma->vm_start + q->ring.size,
			       q->ring.pages, &nr);
}

/*
 * Maps one region whole: the control page at MQ_MMAP_CTRL_OFFSET, or the
 * data area at MQ_MMAP_DATA_OFFSET.  Offsets are compared in pages, so a
 * huge vm_pgoff cannot wrap onto a region.  A failure here makes mmap(2)
 * unmap whatever was inserted.
 */
int mq_mmap(struct mq_queue *q, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	bool ctrl, data;

	if (READ_ONCE(q->dead))
		return -ENODEV;

	ctrl = vma->vm_pgoff == MQ_MMAP_CTRL_OFFSET >> PAGE_SHIFT &&
	       len == PAGE_SIZE;
	data = vma->vm_pgoff == MQ_MMAP_DATA_OFFSET >> PAGE_SHIFT &&
	       len == 2 * q->ring.size;
	if (!ctrl && !data)
		return -EINVAL;

	/*
	 * Read-only for good.  Not executable either: the data area holds
	 * whatever producers wrote, and no consumer needs to run it.
	 */
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;
	mq_vm_flags_clear(vma, VM_MAYWRITE | VM_MAYEXEC);
	/*
	 * The size is the region's, so mremap(2) may not grow it; and a core
	 * dump of a consumer is no place for other programs' messages.
	 */
	mq_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);

	if (ctrl)
		return vm_insert_page(vma, vma->vm_start, q->ring.ctrl_page);
	return mq_mmap_data(q, vma);
}
