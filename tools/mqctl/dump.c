// SPDX-License-Identifier: GPL-2.0
/* A dump's items, copied (dump.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

static int dump_push(struct dump *d, const void *item)
{
	size_t cap = d->cap ? d->cap * 2 : 16;
	void *v;

	if (d->n == d->cap) {
		v = reallocarray(d->v, cap, d->size);
		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	memcpy((char *)d->v + d->n * d->size, item, d->size);
	d->n++;
	return 0;
}

int dump_queue(const struct mq_queue_stats *st, void *arg)
{
	return dump_push(arg, st);
}

int dump_group(const struct mq_group_state *st, void *arg)
{
	return dump_push(arg, st);
}

void dump_free(struct dump *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
