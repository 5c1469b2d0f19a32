/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A dump's items, copied: libmq's are valid only during its callback, and
 * a command that prints after several requests (or compares two dumps)
 * needs them all at once.
 */
#ifndef DUMP_H
#define DUMP_H

#include <stddef.h>

#include "libmq.h"

struct dump {
	void *v;
	size_t n, cap;
	size_t size;		/* of one item */
};

#define DUMP_INIT(type) { .size = sizeof(type) }
#define dump_item(d, type, i) (&((type *)(d)->v)[i])

/* mq_queue_cb and mq_group_cb: append the item to the struct dump @arg. */
int dump_queue(const struct mq_queue_stats *st, void *arg);
int dump_group(const struct mq_group_state *st, void *arg);
void dump_free(struct dump *d);

#endif /* DUMP_H */
