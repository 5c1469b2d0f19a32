/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels mq builds on: 6.1 (Debian 12) is the
 * one it is tested on; later LTS kernels changed these signatures.
 */
#ifndef _MQ_COMPAT_H
#define _MQ_COMPAT_H

#include <linux/crc32.h>
#include <linux/device.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define mq_class_create(name)	class_create(name)
#else
#define mq_class_create(name)	class_create(THIS_MODULE, name)
#endif

/* struct device_type's devnode took a const device from 6.2. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define MQ_DEVNODE_CONST const
#else
#define MQ_DEVNODE_CONST
#endif

/* vm_flags became read-only, changed through helpers, in 6.3. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define mq_vm_flags_set(vma, flags)	vm_flags_set(vma, flags)
#define mq_vm_flags_clear(vma, flags)	vm_flags_clear(vma, flags)
#else
#define mq_vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#define mq_vm_flags_clear(vma, flags)	((vma)->vm_flags &= ~(flags))
#endif

/*
 * CRC-32C, built into the kernel (lib/crc32.c), so the module needs no
 * libcrc32c and a plain insmod works.  Raw form: no inversion.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define mq_crc32c_raw(crc, p, len)	crc32c(crc, p, len)
#else
#define mq_crc32c_raw(crc, p, len)	__crc32c_le(crc, p, len)
#endif

/*
 * splice(2) out of a file through its read_iter: 6.5 replaced the pipe
 * iterator with copy_splice_read(), which reads into pages of its own.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define mq_generic_splice_read	copy_splice_read
#else
#define mq_generic_splice_read	generic_file_splice_read
#endif

#endif /* _MQ_COMPAT_H */
