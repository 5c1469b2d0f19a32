// SPDX-License-Identifier: GPL-2.0
/*
 * Live-object accounting.  Debian's kernel has no kmemleak, so the module
 * counts what it allocates itself and complains at unload if anything is
 * still alive.  The counters are plain statistics: no ordering is implied
 * between them and the objects they count.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/printk.h>

#include "mq.h"

static atomic_long_t mq_objects[MQ_OBJ_NR];

static const char * const mq_obj_names[MQ_OBJ_NR] = {
	[MQ_OBJ_FILE]	= "file",
	[MQ_OBJ_TOPIC]	= "topic",
	[MQ_OBJ_QUEUE]	= "queue",
	[MQ_OBJ_GROUP]	= "group",
	[MQ_OBJ_FAULT]	= "fault",
};

void mq_obj_get(enum mq_obj_kind kind)
{
	atomic_long_inc(&mq_objects[kind]);
}

void mq_obj_put(enum mq_obj_kind kind)
{
	WARN_ON_ONCE(atomic_long_dec_return(&mq_objects[kind]) < 0);
}

long mq_obj_count(enum mq_obj_kind kind)
{
	return atomic_long_read(&mq_objects[kind]);
}

const char *mq_obj_name(enum mq_obj_kind kind)
{
	return mq_obj_names[kind];
}

/* Returns true, after logging each kind, when anything is still alive. */
bool mq_obj_check_leaks(void)
{
	bool leaked = false;
	int i;

	for (i = 0; i < MQ_OBJ_NR; i++) {
		long n = mq_obj_count(i);

		if (!n)
			continue;
		pr_err("leak: %ld %s object(s) alive at unload\n", n,
		       mq_obj_names[i]);
		leaked = true;
	}
	return leaked;
}
