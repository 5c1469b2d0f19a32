// SPDX-License-Identifier: GPL-2.0
/*
 * mq: a message queue whose data plane lives in the kernel.
 *
 * Module entry and exit: the device class, the character device region,
 * the control device, and the netlink family through which topics come
 * and go.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mq.h>

#include "compat.h"
#include "mq.h"

dev_t mq_devt;
struct class *mq_class;

static int __init mq_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&mq_devt, 0, MQ_MINORS, "mq");
	if (ret)
		return ret;

	mq_class = mq_class_create("mq");
	if (IS_ERR(mq_class)) {
		ret = PTR_ERR(mq_class);
		goto err_region;
	}

	ret = mq_control_init();
	if (ret)
		goto err_class;

	mq_debugfs_init();

	/* Last: from here on, requests can make topics. */
	ret = mq_netlink_init();
	if (ret)
		goto err_control;

	pr_info("loaded: abi %d, major %d\n", MQ_ABI_VERSION, MAJOR(mq_devt));
	return 0;

err_control:
	mq_debugfs_exit();
	mq_control_exit();
err_class:
	class_destroy(mq_class);
err_region:
	unregister_chrdev_region(mq_devt, MQ_MINORS);
	return ret;
}

static void __exit mq_exit(void)
{
	/* First: no request may make a topic while the rest goes. */
	mq_netlink_exit();
	mq_topics_exit();
	mq_debugfs_exit();
	mq_control_exit();
	class_destroy(mq_class);
	unregister_chrdev_region(mq_devt, MQ_MINORS);

	if (!mq_obj_check_leaks())
		pr_info("unloaded\n");
}

module_init(mq_init);
module_exit(mq_exit);

MODULE_DESCRIPTION("mq: message queues as character devices");
MODULE_LICENSE("GPL");
