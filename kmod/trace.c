// SPDX-License-Identifier: GPL-2.0
/*
 * The trace events of trace.h are instantiated here, and only here: the
 * files with hooks include trace.h without CREATE_TRACE_POINTS.
 */
#include "mq.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * The enqueue time of the retained record at off: mq_drop's timestamp,
 * read only while that event is enabled.  Under q->lock, where the record
 * and its index slot stay put; the position is found as mq_locate()
 * finds it.
 */
u64 mq_trace_timestamp(const struct mq_queue *q, u64 off)
{
	u64 head = q->head;
	u32 low = q->ring.index[off & q->ring.imask];
	u64 pos = head - (u32)((u32)head - low);
	const struct mq_record *rec = q->ring.data + (pos & q->ring.mask);

	return rec->timestamp;
}
