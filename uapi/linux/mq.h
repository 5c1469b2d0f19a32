/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * mq: a message queue whose data plane lives in the kernel.
 *
 * This header is the whole ABI between mq.ko and userspace.  Userspace
 * includes it; it never redefines anything in it.  The reference is
 * Documentation/abi.rst.
 *
 * The control device
 * ------------------
 *
 * /dev/mq/control is a character device owned by the module.  It carries
 * no data: read(2) and write(2) fail with EINVAL.  It answers these
 * ioctls:
 *
 * MQ_IOC_VERSION (struct mq_version, in/out)
 *	The caller sets @size to sizeof(struct mq_version) and every other
 *	field to zero.  The kernel fills @abi with MQ_ABI_VERSION and
 *	@features with the MQ_FEAT_* bits it supports.  A @size the kernel
 *	does not know, or any other field not zero on entry, fails with
 *	EINVAL and nothing is written back.
 *
 * Every other ioctl number fails with ENOTTY.
 */
#ifndef _UAPI_LINUX_MQ_H
#define _UAPI_LINUX_MQ_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped on every incompatible change; additions use feature bits. */
#define MQ_ABI_VERSION		1

/* Path of the control device, relative to /dev. */
#define MQ_CONTROL_NAME		"mq/control"

/* Feature bits reported by MQ_IOC_VERSION.  None are defined yet. */
#define MQ_FEAT_ALL		0ULL

struct mq_version {
	__u32 size;		/* in: sizeof(struct mq_version) */
	__u32 abi;		/* out: MQ_ABI_VERSION */
	__u64 features;		/* out: MQ_FEAT_* */
	__u64 reserved[2];	/* must be zero */
};

#define MQ_VERSION_SIZE_VER0	32	/* first published size */

#define MQ_IOC_MAGIC		0xb9	/* free in 6.1's ioctl-number.rst */
#define MQ_IOC_VERSION		_IOWR(MQ_IOC_MAGIC, 0x00, struct mq_version)

#endif /* _UAPI_LINUX_MQ_H */
