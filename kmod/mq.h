/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of mq.ko, shared by its files.  Nothing here is ABI:
 * the ABI is uapi/linux/mq.h.
 */
#ifndef _MQ_H
#define _MQ_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/types.h>

#define MQ_MINORS	(1U << 20)	/* the whole minor space: one per queue later */

extern dev_t mq_devt;
extern struct class *mq_class;

/* control.c: /dev/mq/control */
int mq_control_init(void);
void mq_control_exit(void);

/*
 * objects.c: every object the module allocates is counted by kind, so that
 * unloading with one still alive is reported as a leak (the test bench
 * fails the run on "mq: leak").  Add a kind for every new object type.
 */
enum mq_obj_kind {
	MQ_OBJ_FILE,		/* an open file of any mq device */
	MQ_OBJ_FAULT,		/* leaked on purpose through debugfs */
	MQ_OBJ_NR,
};

void mq_obj_get(enum mq_obj_kind kind);
void mq_obj_put(enum mq_obj_kind kind);
long mq_obj_count(enum mq_obj_kind kind);
const char *mq_obj_name(enum mq_obj_kind kind);
bool mq_obj_check_leaks(void);

/* debugfs.c: /sys/kernel/debug/mq/{objects,fault} */
void mq_debugfs_init(void);
void mq_debugfs_exit(void);

#endif /* _MQ_H */
