// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mq/control: the module's own device.  It carries no data; it is the
 * node a program opens to ask which ABI the loaded module speaks.  Topics
 * and queues get their own minors (from 1) when they exist.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/mq.h>

#include "mq.h"

#define MQ_CONTROL_MINOR	0

static struct cdev mq_control_cdev;
static struct device *mq_control_dev;

static int mq_control_open(struct inode *inode, struct file *file)
{
	mq_obj_get(MQ_OBJ_FILE);
	return nonseekable_open(inode, file);
}

static int mq_control_release(struct inode *inode, struct file *file)
{
	mq_obj_put(MQ_OBJ_FILE);
	return 0;
}

long mq_control_version(struct mq_version __user *uarg)
{
	struct mq_version v;

	if (copy_from_user(&v, uarg, sizeof(v)))
		return -EFAULT;
	if (v.size != MQ_VERSION_SIZE_VER0)
		return -EINVAL;
	if (v.abi || v.features || v.reserved[0] || v.reserved[1])
		return -EINVAL;

	v.abi = MQ_ABI_VERSION;
	v.features = MQ_FEAT_ALL;
	if (copy_to_user(uarg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long mq_control_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	switch (cmd) {
	case MQ_IOC_VERSION:
		return mq_control_version((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mq_control_fops = {
	.owner		= THIS_MODULE,
	.open		= mq_control_open,
	.release	= mq_control_release,
	.unlocked_ioctl	= mq_control_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= no_llseek,
};

int mq_control_init(void)
{
	dev_t devt = MKDEV(MAJOR(mq_devt), MQ_CONTROL_MINOR);
	int ret;

	static_assert(sizeof(struct mq_version) == MQ_VERSION_SIZE_VER0);

	cdev_init(&mq_control_cdev, &mq_control_fops);
	mq_control_cdev.owner = THIS_MODULE;
	ret = cdev_add(&mq_control_cdev, devt, 1);
	if (ret)
		return ret;

	/* devtmpfs turns the '!' into a directory: /dev/mq/control. */
	mq_control_dev = device_create(mq_class, NULL, devt, NULL, "mq!control");
	if (IS_ERR(mq_control_dev)) {
		ret = PTR_ERR(mq_control_dev);
		goto err_cdev;
	}
	return 0;

err_cdev:
	cdev_del(&mq_control_cdev);
	return ret;
}

void mq_control_exit(void)
{
	device_destroy(mq_class, mq_control_dev->devt);
	cdev_del(&mq_control_cdev);
}
