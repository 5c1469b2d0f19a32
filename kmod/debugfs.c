// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/mq: what the selftests need to see inside the module.
 *
 *   objects  read: one "<kind> <count>" line per counted object kind
 *   fault    write "warn" to hit a WARN(), "leak" to leak one counted
 *            object: the test bench proves with them that it fails a run
 *            on a kernel warning and on a leak at unload
 *
 * debugfs is root-only and not ABI.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mq.h"

static struct dentry *mq_debugfs_dir;

static int objects_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < MQ_OBJ_NR; i++)
		seq_printf(m, "%s %ld\n", mq_obj_name(i), mq_obj_count(i));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(objects);

static ssize_t fault_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	char buf[16];
	void *leaked;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);

	if (!strcmp(buf, "warn")) {
		WARN(1, "mq: warning injected through debugfs\n");
		return len;
	}
	if (!strcmp(buf, "leak")) {
		/* Deliberately never freed: the unload check must notice. */
		leaked = kmalloc(64, GFP_KERNEL);
		if (!leaked)
			return -ENOMEM;
		mq_obj_get(MQ_OBJ_FAULT);
		return len;
	}
	return -EINVAL;
}

static const struct file_operations fault_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= fault_write,
	.llseek	= no_llseek,
};

void mq_debugfs_init(void)
{
	/* debugfs failures are not fatal: the module works without it. */
	mq_debugfs_dir = debugfs_create_dir("mq", NULL);
	debugfs_create_file("objects", 0444, mq_debugfs_dir, NULL,
			    &objects_fops);
	debugfs_create_file("fault", 0200, mq_debugfs_dir, NULL, &fault_fops);
}

void mq_debugfs_exit(void)
{
	debugfs_remove_recursive(mq_debugfs_dir);
}
