/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mq's trace events: /sys/kernel/tracing/events/mq/.  Documented, with
 * where each fires and what it costs, in Documentation/tracing.rst.
 *
 * Every event begins with the same fields, so a BPF program can read them
 * from any of them through one struct: topic, queue, offset, size, then
 * the record's enqueue timestamp (the header's, CLOCK_REALTIME ns) where
 * the event is about one record.  A latency tool matches mq_consume to
 * mq_produce by (topic, queue, offset), or takes the timestamp that
 * mq_consume carries.
 *
 * Nothing is read for an event until it is enabled: the hooks pass
 * pointers and values the caller already has, and the fields are filled
 * in TP_fast_assign, behind the tracepoint's static key.  The exception,
 * mq_consume's timestamp, is loaded by mq_copy_out() with the rest of
 * the header, since it must be read before the overwrite check.
 *
 * This file is read several times by <trace/define_trace.h>; trace.c
 * alone defines CREATE_TRACE_POINTS.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mq

#if !defined(_MQ_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MQ_TRACE_H

#include <linux/tracepoint.h>

#include "compat.h"
#include "mq.h"

#ifndef _MQ_TRACE_HELPERS
#define _MQ_TRACE_HELPERS
/* trace.c: the enqueue time of a retained record, for mq_drop. */
u64 mq_trace_timestamp(const struct mq_queue *q, u64 off);
#endif

/*
 * The events about one record in the ring, read from its header: what
 * mq_produce and mq_wakeup have in common.
 */
DECLARE_EVENT_CLASS(mq_record_event,

	TP_PROTO(const struct mq_queue *q, const struct mq_record *rec),

	TP_ARGS(q, rec),

	TP_STRUCT__entry(
		__string(topic, q->topic->name)
		__field(u32, queue)
		__field(u64, offset)
		__field(u32, size)
		__field(u64, timestamp)
	),

	TP_fast_assign(
		mq_assign_str(topic, q->topic->name);
		__entry->queue = q->id;
		__entry->offset = READ_ONCE(rec->offset);
		__entry->size = READ_ONCE(rec->value_len);
		__entry->timestamp = READ_ONCE(rec->timestamp);
	),

	TP_printk("topic=%s queue=%u offset=%llu size=%u timestamp=%llu",
		  __get_str(topic), __entry->queue, __entry->offset,
		  __entry->size, __entry->timestamp)
);

/*
 * A record is committed whole: it fires before the record is published,
 * while it is still busy and no producer can drop it, so the header read
 * here is the record's own.  A discarded record (a failed copy) is not a
 * message: mq_publish() does not fire it for one.
 */
DEFINE_EVENT(mq_record_event, mq_produce,
	TP_PROTO(const struct mq_queue *q, const struct mq_record *rec),
	TP_ARGS(q, rec)
);

/*
 * A record was copied out to a reader, private or a group member: its
 * value, or in record mode the whole record; size is the value's either
 * way.  The caller read the header before it checked that the record was
 * not dropped under it, so these values are the record's.
 */
TRACE_EVENT(mq_consume,

	TP_PROTO(const struct mq_queue *q, u64 off, u32 size, u64 timestamp),

	TP_ARGS(q, off, size, timestamp),

	TP_STRUCT__entry(
		__string(topic, q->topic->name)
		__field(u32, queue)
		__field(u64, offset)
		__field(u32, size)
		__field(u64, timestamp)
	),

	TP_fast_assign(
		mq_assign_str(topic, q->topic->name);
		__entry->queue = q->id;
		__entry->offset = off;
		__entry->size = size;
		__entry->timestamp = timestamp;
	),

	TP_printk("topic=%s queue=%u offset=%llu size=%u timestamp=%llu",
		  __get_str(topic), __entry->queue, __entry->offset,
		  __entry->size, __entry->timestamp)
);

/*
 * A member of a group committed: offset is what it acknowledged up to,
 * size how many of its messages that acknowledged, committed the group's
 * committed offset after it.  No record, so no timestamp.  Under the
 * group's lock, so the group and its queue are alive.
 */
TRACE_EVENT(mq_commit,

	TP_PROTO(const struct mq_group *g, u64 off, u32 acked),

	TP_ARGS(g, off, acked),

	TP_STRUCT__entry(
		__string(topic, g->q->topic->name)
		__field(u32, queue)
		__field(u64, offset)
		__field(u32, size)
		__field(u64, committed)
		__string(group, g->name)
	),

	TP_fast_assign(
		mq_assign_str(topic, g->q->topic->name);
		__entry->queue = g->q->id;
		__entry->offset = off;
		__entry->size = acked;
		__entry->committed = g->committed;
		mq_assign_str(group, g->name);
	),

	TP_printk("topic=%s queue=%u offset=%llu size=%u committed=%llu group=%s",
		  __get_str(topic), __entry->queue, __entry->offset,
		  __entry->size, __entry->committed, __get_str(group))
);

/*
 * A producer making room dropped records some open reader had not read:
 * offset is the first of them, size how many (records, not bytes),
 * timestamp the first one's.  Under q->lock, before tail moves, so the
 * records are still there to read.
 */
TRACE_EVENT(mq_drop,

	TP_PROTO(const struct mq_queue *q, u64 first, u64 count),

	TP_ARGS(q, first, count),

	TP_STRUCT__entry(
		__string(topic, q->topic->name)
		__field(u32, queue)
		__field(u64, offset)
		__field(u32, size)
		__field(u64, timestamp)
	),

	TP_fast_assign(
		mq_assign_str(topic, q->topic->name);
		__entry->queue = q->id;
		__entry->offset = first;
		__entry->size = count;
		__entry->timestamp = mq_trace_timestamp(q, first);
	),

	TP_printk("topic=%s queue=%u offset=%llu size=%u timestamp=%llu",
		  __get_str(topic), __entry->queue, __entry->offset,
		  __entry->size, __entry->timestamp)
);

/*
 * Committing a record, or a batch (then rec is its last), woke readers
 * that were waiting (in read or poll).  A single record is already
 * published: under MQ_FULL_DROP, later producers could in principle drop
 * it and reuse its bytes before this reads them (tracing.rst says when);
 * everywhere else the fields are the record's.
 */
DEFINE_EVENT(mq_record_event, mq_wakeup,
	TP_PROTO(const struct mq_queue *q, const struct mq_record *rec),
	TP_ARGS(q, rec)
);

#endif /* _MQ_TRACE_H */

/*
 * An out-of-tree module: define_trace.h finds this file through the
 * module's own folder, which kmod/Kbuild adds to trace.o's include path.
 */
#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
