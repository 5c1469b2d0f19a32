/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * mq: a message queue whose data plane lives in the kernel.
 *
 * This header is the whole ABI between mq.ko and userspace.  Userspace
 * includes it; it never redefines anything in it.  The reference, with
 * the reasons behind each choice, is Documentation/abi.rst; this comment
 * is the short form.
 *
 * Objects
 * -------
 *
 * A topic is a named set of 1..MQ_QUEUES_MAX queues.  Each queue is a ring
 * of records and a character device /dev/mq/<topic>/<queue>, <queue> being
 * its number in decimal from 0.  Topics are created and deleted over the
 * generic netlink family MQ_GENL_NAME; the module creates and removes the
 * nodes.  Names: 1..MQ_NAME_MAX-1 bytes of [A-Za-z0-9._-], not "." or
 * "..", and not "control" (the control device's name).
 *
 * Offsets are logical message numbers per queue, from 0, as in Kafka.
 *
 * The record format
 * -----------------
 *
 * One format for the ring, the commit log and the wire.  A record is a
 * struct mq_record header (64 bytes), then key_len bytes of key, then
 * value_len bytes of value, then zero padding to a multiple of 8 bytes:
 *
 *	len	  header + key + value bytes, unpadded; the next record starts
 *		  MQ_RECORD_ALIGN(len) bytes further
 *	crc	  CRC-32C (Castagnoli; initial value ~0, final xor ~0, as in
 *		  iSCSI and Kafka) of the record's bytes from @offset to the end
 *		  of the value, i.e. bytes [8, len)
 *	offset	  the record's logical offset in its queue
 *	timestamp CLOCK_REALTIME in nanoseconds when the kernel appended it
 *	magic	  MQ_RECORD_MAGIC: the format's version
 *	flags	  MQ_RECORD_F_*; producer_id and sequence are reserved for
 *		  idempotent producers and are zero
 *
 * All fields are little-endian (the only byte order mq runs on today).
 *
 * The queue device
 * ----------------
 *
 * The file position of an open queue is a logical offset, not a byte
 * offset.  open(2) sets it to the queue's next offset (a new reader sees
 * only what is written after it opened, like tail -f).
 *
 * write(2)/writev(2): one call appends one message (the value; no key),
 *	atomically and in order.  Empty: EINVAL.  Larger than the topic's
 *	max_msg_size: EMSGSIZE.  The file position is not used or moved
 *	(pwrite's offset is ignored: every write appends).  When the ring is
 *	full, the topic's full policy applies: MQ_FULL_BLOCK waits (EAGAIN
 *	with O_NONBLOCK or IOCB_NOWAIT) until every open reader has read the
 *	oldest record, MQ_FULL_DROP drops the oldest records at once; neither
 *	drops a record the persister has not reported durable (durability,
 *	below).  On a topic with acks, the write then waits for the record's
 *	acknowledgment: ENOTCONN, ETIMEDOUT or EINTR if it does not come.
 * read(2): one call returns one message's value, the one at the file
 *	position, and moves the position past it.  A buffer shorter than the
 *	value: EMSGSIZE, nothing consumed.  No message yet: blocks (EAGAIN
 *	with O_NONBLOCK or IOCB_NOWAIT).  The position fell behind the oldest
 *	record the ring retains: ERANGE (lseek to recover).
 * pread(2): the message at the given offset, position untouched; same
 *	errors; an offset past the next one: ENXIO.
 * lseek(2): SEEK_SET, SEEK_CUR, SEEK_END (relative to the next offset)
 *	move the position to a logical offset and return it.  Before the
 *	oldest retained offset: ERANGE; past the next offset: ENXIO;
 *	negative: EINVAL; other whence: EINVAL.  lseek(fd, 0, SEEK_CUR)
 *	always returns the position, even one that fell out of the ring.
 * poll(2): EPOLLIN when a message is at the position; EPOLLOUT when a
 *	max_msg_size message would be appended without waiting;
 *	EPOLLERR|EPOLLHUP once the topic is deleted.
 * MQ_IOC_GROUP_JOIN (struct mq_group_join, in): the file joins a consumer
 *	group on its queue; members share the group's position, each message
 *	going to one member.  After a member's read, the file position is one
 *	past the offset it got.  MQ_IOC_COMMIT (struct mq_commit, in): the
 *	member is done with what it got below @offset; what a member got and
 *	did not commit is delivered again to another once it closes.  See
 *	Documentation/abi.rst, "Consumer groups", for every errno.
 * After its topic is deleted, an open queue fails every call with ENODEV;
 *	its memory goes with the last close.
 * A write that faults (EFAULT) leaves a discarded record behind it: its
 *	offset is skipped by every reader and never returned (a read or pread
 *	at it returns the next message).  A read that faults consumes nothing.
 * writev/readv whose vectors hold zero bytes in all return 0 from the VFS
 *	before the queue sees them: nothing appended, nothing consumed.
 *
 * The control device
 * ------------------
 *
 * /dev/mq/control carries no data: read(2) and write(2) fail with EINVAL,
 * lseek(2) with ESPIPE.  It answers MQ_IOC_VERSION (below); every other
 * ioctl number fails with ENOTTY.
 *
 * MQ_IOC_VERSION (struct mq_version, in/out)
 *	The caller sets @size to sizeof(struct mq_version) and every other
 *	field to zero.  The kernel fills @abi with MQ_ABI_VERSION and
 *	@features with the MQ_FEAT_* bits it supports.  A @size the kernel
 *	does not know, or any other field not zero on entry, fails with
 *	EINVAL and nothing is written back.  Every queue's file answers it
 *	too, for programs that may not open the control device.
 *
 * Generic netlink family "mq"
 * ---------------------------
 *
 * All attributes are in one space, enum mq_attr.  Validation is strict:
 * an unknown attribute, a wrong type or length, or a value out of range
 * fails the request with EINVAL (and an extended ack saying which).
 *
 * MQ_CMD_TOPIC_NEW (needs CAP_NET_ADMIN)
 *	Create a topic.  Required: MQ_A_TOPIC.  Optional, with defaults:
 *	MQ_A_QUEUES (1), MQ_A_RING_SIZE (MQ_RING_SIZE_DEFAULT), MQ_A_MAX_MSG_SIZE
 *	(the smaller of MQ_MAX_MSG_SIZE_DEFAULT and the largest the ring
 *	allows), MQ_A_MODE (0600), MQ_A_UID (0), MQ_A_GID (0),
 *	MQ_A_FULL_POLICY (MQ_FULL_BLOCK), MQ_A_ACKS (MQ_ACKS_NONE),
 *	MQ_A_ACK_TIMEOUT_MS (MQ_ACK_TIMEOUT_MS_DEFAULT), MQ_A_QUEUE_OFFSETS
 *	(every queue from 0: else a __u64 per queue, below MQ_OFFSET_LIMIT,
 *	its first offset, as the daemon recreates a topic whose log goes
 *	on from there).  A name in use:
 *	EEXIST.  A ring size not a power of two in [MQ_RING_SIZE_MIN,
 *	MQ_RING_SIZE_MAX], a max_msg_size whose record would not fit twice
 *	in the ring, acks or an ack timeout out of their ranges, offsets
 *	not one per queue or not below MQ_OFFSET_LIMIT: EINVAL.
 *	Announced to MQ_GENL_MCGRP_EVENTS as MQ_CMD_TOPIC_NEW with the
 *	topic's attributes.
 * MQ_CMD_TOPIC_DEL (needs CAP_NET_ADMIN)
 *	Delete the topic MQ_A_TOPIC (ENOENT if none).  Announced to
 *	MQ_GENL_MCGRP_EVENTS as MQ_CMD_TOPIC_DEL with the topic's attributes.
 * MQ_CMD_TOPIC_GET (anyone)
 *	doit with MQ_A_TOPIC: that topic; dump: every topic.  Replies carry
 *	MQ_A_TOPIC, MQ_A_QUEUES, MQ_A_RING_SIZE, MQ_A_MAX_MSG_SIZE, MQ_A_MODE,
 *	MQ_A_UID, MQ_A_GID, MQ_A_FULL_POLICY, MQ_A_ACKS, MQ_A_ACK_TIMEOUT_MS.
 * MQ_CMD_QUEUE_GET (anyone, dump only)
 *	One message per queue, of every topic or of MQ_A_TOPIC only (ENOENT
 *	if there is no such topic): MQ_A_TOPIC,
 *	MQ_A_QUEUE, MQ_A_FIRST_OFFSET (oldest retained), MQ_A_NEXT_OFFSET,
 *	MQ_A_BYTES_IN, MQ_A_BYTES_OUT, MQ_A_MSGS_IN, MQ_A_MSGS_OUT, MQ_A_DROPS,
 *	MQ_A_READERS, MQ_A_WRITERS (open files with read / write access),
 *	MQ_A_DURABLE_OFFSET, MQ_A_REPLICATED_OFFSET, MQ_A_PERSISTER.
 *	Bytes count message values.
 *
 * MQ_CMD_GROUP_GET (anyone, dump only)
 *	One message per consumer group per queue, of every topic or of
 *	MQ_A_TOPIC (ENOENT if none), optionally only those named MQ_A_GROUP:
 *	MQ_A_TOPIC, MQ_A_QUEUE, MQ_A_GROUP, MQ_A_COMMITTED, MQ_A_DELIVERED,
 *	MQ_A_PENDING, MQ_A_LAG, MQ_A_MEMBERS.
 * MQ_CMD_GROUP_SET (needs CAP_NET_ADMIN)
 *	Move group MQ_A_GROUP on queue MQ_A_QUEUE of MQ_A_TOPIC to
 *	MQ_A_GROUP_START (with MQ_A_OFFSET for MQ_GROUP_START_OFFSET and
 *	MQ_GROUP_START_RESTORE only),
 *	creating it if needed: reset and restore.  EBUSY while it has
 *	members; ERANGE/ENXIO for an offset out of the queue.
 * MQ_CMD_GROUP_DEL (needs CAP_NET_ADMIN)
 *	Delete that group: ENOENT if none, EBUSY while it has members.
 * The multicast group MQ_GENL_MCGRP_OFFSETS carries MQ_CMD_GROUP_COMMIT
 *	(a group was created or its committed offset moved; coalesced per
 *	group over 10 ms) and MQ_CMD_GROUP_DEL, with GROUP_GET's attributes.
 *
 * Attributes only the kernel reports (the counters, the group state, the
 * durable and replicated offsets, MQ_A_PERSISTER, and MQ_A_QUEUE outside
 * the group commands) are refused in requests with EINVAL.  Requests are
 * accepted in the initial network namespace only: topics are global.
 *
 * Documentation/netlink/specs/mq.yaml describes the family for YNL.
 */
#ifndef _UAPI_LINUX_MQ_H
#define _UAPI_LINUX_MQ_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped on every incompatible change; additions use feature bits. */
#define MQ_ABI_VERSION		1

/* Path of the control device, relative to /dev. */
#define MQ_CONTROL_NAME		"mq/control"

/*
 * Feature bits reported by MQ_IOC_VERSION.  Later ones are defined in the
 * section of what they announce.
 */
#define MQ_FEAT_QUEUES		(1ULL << 0)	/* topics, queues, netlink family */
#define MQ_FEAT_GROUPS		(1ULL << 1)	/* consumer groups, commits */
#define MQ_FEAT_ALL		(MQ_FEAT_QUEUES | MQ_FEAT_GROUPS | MQ_FEAT_MMAP | \
				 MQ_FEAT_RECORD | MQ_FEAT_DURABLE | MQ_FEAT_CLIENT | \
				 MQ_FEAT_LOG)

/* Limits. */
#define MQ_NAME_MAX		64		/* bytes with the NUL */
#define MQ_QUEUES_MAX		1024		/* queues per topic */
#define MQ_RING_SIZE_MIN	4096ULL
#define MQ_RING_SIZE_MAX	(1ULL << 30)
#define MQ_RING_SIZE_DEFAULT	(1ULL << 20)
#define MQ_MAX_MSG_SIZE_DEFAULT	65536

/* ---- records ---------------------------------------------------------- */

#define MQ_RECORD_MAGIC		1
#define MQ_RECORD_F_ALL		0	/* no record flags are defined yet */

struct mq_record {
	__u32 len;		/* header + key + value, unpadded */
	__u32 crc;		/* CRC-32C of bytes [8, len) */
	__u64 offset;		/* logical offset in the queue */
	__u64 timestamp;	/* CLOCK_REALTIME, ns, at append */
	__u32 key_len;
	__u32 value_len;
	__u64 producer_id;	/* reserved: 0 */
	__u32 sequence;		/* reserved: 0 */
	__u16 flags;		/* MQ_RECORD_F_* */
	__u8  magic;		/* MQ_RECORD_MAGIC */
	__u8  reserved0;
	__u64 reserved[2];
};

#define MQ_RECORD_HDR_SIZE	64
#define MQ_RECORD_ALIGN(len)	(((len) + 7ULL) & ~7ULL)
#define MQ_RECORD_CRC_START	8	/* the CRC covers [8, len) */

/* ---- the control device ------------------------------------------------ */

struct mq_version {
	__u32 size;		/* in: sizeof(struct mq_version) */
	__u32 abi;		/* out: MQ_ABI_VERSION */
	__u64 features;		/* out: MQ_FEAT_* */
	__u64 reserved[2];	/* must be zero */
};

#define MQ_VERSION_SIZE_VER0	32	/* first published size */

#define MQ_IOC_MAGIC		0xb9	/* free in 6.1's ioctl-number.rst */
#define MQ_IOC_VERSION		_IOWR(MQ_IOC_MAGIC, 0x00, struct mq_version)

/* ---- generic netlink ---------------------------------------------------- */

#define MQ_GENL_NAME		"mq"
#define MQ_GENL_VERSION		1
#define MQ_GENL_MCGRP_EVENTS	"events"

enum mq_full_policy {
	MQ_FULL_BLOCK,		/* producers wait for the slowest open reader */
	MQ_FULL_DROP,		/* the oldest records are dropped */
	__MQ_FULL_MAX,
};

enum mq_cmd {
	MQ_CMD_UNSPEC,
	MQ_CMD_TOPIC_NEW,
	MQ_CMD_TOPIC_DEL,
	MQ_CMD_TOPIC_GET,
	MQ_CMD_QUEUE_GET,
	MQ_CMD_GROUP_GET,
	MQ_CMD_GROUP_SET,
	MQ_CMD_GROUP_DEL,
	MQ_CMD_GROUP_COMMIT,	/* an event only: a committed offset moved */
	__MQ_CMD_MAX,
};
#define MQ_CMD_MAX		(__MQ_CMD_MAX - 1)

enum mq_attr {
	MQ_A_UNSPEC,
	MQ_A_PAD,		/* alignment padding for u64 attributes */
	MQ_A_TOPIC,		/* string, NUL-terminated, < MQ_NAME_MAX */
	MQ_A_QUEUES,		/* u32, 1..MQ_QUEUES_MAX */
	MQ_A_RING_SIZE,		/* u64, bytes per queue, power of two */
	MQ_A_MAX_MSG_SIZE,	/* u32, largest value a write may carry */
	MQ_A_MODE,		/* u32, permission bits of the nodes, 1..0777 */
	MQ_A_UID,		/* u32, owner of the nodes */
	MQ_A_GID,		/* u32, group of the nodes */
	MQ_A_FULL_POLICY,	/* u32, enum mq_full_policy */
	MQ_A_QUEUE,		/* u32, queue number */
	MQ_A_FIRST_OFFSET,	/* u64 */
	MQ_A_NEXT_OFFSET,	/* u64 */
	MQ_A_BYTES_IN,		/* u64 */
	MQ_A_BYTES_OUT,		/* u64 */
	MQ_A_MSGS_IN,		/* u64 */
	MQ_A_MSGS_OUT,		/* u64 */
	MQ_A_DROPS,		/* u64, records removed before an open reader read them */
	MQ_A_READERS,		/* u32 */
	MQ_A_WRITERS,		/* u32 */
	MQ_A_GROUP,		/* string, NUL-terminated, < MQ_NAME_MAX */
	MQ_A_GROUP_START,	/* u32, enum mq_group_start */
	MQ_A_OFFSET,		/* u64, with MQ_GROUP_START_OFFSET */
	MQ_A_COMMITTED,		/* u64, the group's committed offset */
	MQ_A_DELIVERED,		/* u64, the next offset it delivers first time */
	MQ_A_PENDING,		/* u64, delivered and not committed */
	MQ_A_LAG,		/* u64, next offset of the queue - committed */
	MQ_A_MEMBERS,		/* u32 */
	MQ_A_ACKS,		/* u32, enum mq_acks (durability, below) */
	MQ_A_ACK_TIMEOUT_MS,	/* u32, MQ_ACK_TIMEOUT_MS_{MIN,MAX} */
	MQ_A_DURABLE_OFFSET,	/* u64, all offsets below it are durable */
	MQ_A_REPLICATED_OFFSET,	/* u64, and below it replicated */
	MQ_A_PERSISTER,		/* u32, 1 while a file is the persister */
	MQ_A_QUEUE_OFFSETS,	/* binary, __u64[queues]: where each starts */
	__MQ_A_MAX,
};
#define MQ_A_MAX		(__MQ_A_MAX - 1)

/* ---- consumer groups ---------------------------------------------------- */

#define MQ_GENL_MCGRP_OFFSETS	"offsets"

/* Where a group starts on a queue when it is created there. */
enum mq_group_start {
	MQ_GROUP_START_LATEST,		/* the queue's next offset */
	MQ_GROUP_START_EARLIEST,	/* the oldest retained offset */
	MQ_GROUP_START_OFFSET,		/* a given offset, retained or next */
	MQ_GROUP_START_RESTORE,		/* a given offset up to next, retained
					 * or not: a committed offset the
					 * daemon restores, its log has it */
	__MQ_GROUP_START_MAX,
};

/* Each message read is acknowledged at once: at-most-once delivery. */
/* Offsets are below this, as Kafka's are signed 64-bit numbers. */
#define MQ_OFFSET_LIMIT		(1ULL << 63)

#define MQ_GROUP_F_AUTOCOMMIT	(1U << 0)
#define MQ_GROUP_F_LOG		(1U << 1)	/* MQ_FEAT_LOG: reads the log */
#define MQ_GROUP_F_ALL		(MQ_GROUP_F_AUTOCOMMIT | MQ_GROUP_F_LOG)

struct mq_group_join {
	__u32 size;		/* in: sizeof(struct mq_group_join) */
	__u32 flags;		/* MQ_GROUP_F_* */
	char  name[MQ_NAME_MAX];	/* the group, NUL-terminated */
	__u32 start;		/* enum mq_group_start, if the group is new */
	__u32 reserved0;	/* must be zero */
	__u64 offset;		/* with MQ_GROUP_START_OFFSET or _RESTORE */
	__u64 reserved[2];	/* must be zero */
};

#define MQ_GROUP_JOIN_SIZE_VER0	104

struct mq_commit {
	__u32 size;		/* in: sizeof(struct mq_commit) */
	__u32 flags;		/* must be zero */
	__u64 offset;		/* done with what this file got below it */
	__u64 reserved[2];	/* must be zero */
};

#define MQ_COMMIT_SIZE_VER0	32

#define MQ_IOC_GROUP_JOIN	_IOW(MQ_IOC_MAGIC, 0x10, struct mq_group_join)
#define MQ_IOC_COMMIT		_IOW(MQ_IOC_MAGIC, 0x11, struct mq_commit)

/* ---- reading records in place (mmap) ------------------------------------ */

/*
 * While a record sits in a queue's ring, the top bits of its len say
 * whether a consumer may read it: a producer reserves it with
 * MQ_RECORD_LEN_BUSY set and clears the bit when the record is whole; a
 * record whose payload could not be copied (a write that faulted) keeps
 * its offset but is marked MQ_RECORD_LEN_DISCARD, and no reader returns
 * it.  The length itself is len & MQ_RECORD_LEN_MASK.  Records read or
 * sent anywhere else (read(2), the log, the wire) carry neither bit.
 */
#define MQ_RECORD_LEN_BUSY	(1U << 31)
#define MQ_RECORD_LEN_DISCARD	(1U << 30)
#define MQ_RECORD_LEN_MASK	(MQ_RECORD_LEN_DISCARD - 1)

/*
 * A consumer may map a queue read-only and read its records in place,
 * with no copy and no system call (Documentation/mmap.rst has the
 * protocol and its barriers):
 *
 * MQ_IOC_MMAP_INFO (struct mq_mmap_info, in/out) on a queue's fd
 *	The caller sets @size to sizeof(struct mq_mmap_info) and every other
 *	field to zero (@flags: none defined).  The kernel fills in where
 *	the two regions are and where each field of the control page is.
 *	A @size it does not know, a flag, or any other field not zero on
 *	entry: EINVAL, nothing written back.  Deleted topic: ENODEV.
 * mmap(2) of the control page: offset @ctrl_offset, length @ctrl_size
 *	(one page).  u64 fields at the byte offsets in @ctrl, kept current
 *	by the kernel: head (byte position of the reservation frontier),
 *	tail (byte position of the oldest retained record), next_off,
 *	first_off, durable_off and replicated_off (what the queue's
 *	persister reported last, 0 until it does), ring_size.  Positions
 *	are byte counts since the queue was created; a position's record
 *	is at pos & (ring_size - 1) in the data area.
 * mmap(2) of the data area: offset @data_offset, length @data_size
 *	(2 * ring_size): the ring mapped twice back to back, so a record
 *	never wraps.
 *	Only these two exact (offset, length) pairs map: anything else
 *	fails with EINVAL.  Both are read-only for good: PROT_WRITE or
 *	PROT_EXEC fails with EPERM, mprotect(2) to either with EACCES, and
 *	mremap(2) cannot grow them.  (The VFS answers EACCES first when the
 *	fd is not open for reading, or for a shared writable mapping of an
 *	fd not open for writing.)  Deleted topic: ENODEV.  A mapping holds
 *	the file, hence the queue's memory and the module, until it is
 *	unmapped.  Under MQ_FULL_BLOCK an mmap consumer reports what it
 *	has consumed with lseek(2) of its fd, like any reader.
 */
#define MQ_FEAT_MMAP		(1ULL << 2)	/* everything below */

/* Where the regions are; MQ_IOC_MMAP_INFO reports the same values. */
#define MQ_MMAP_CTRL_OFFSET	0x0ULL
#define MQ_MMAP_DATA_OFFSET	0x10000000ULL

/* Byte offsets of the control page's fields, each an aligned __u64. */
struct mq_mmap_offsets {
	__u32 head;
	__u32 tail;
	__u32 next_off;
	__u32 first_off;
	__u32 durable_off;
	__u32 replicated_off;
	__u32 ring_size;
	__u32 reserved[9];	/* zero */
};

#define MQ_MMAP_INFO_F_ALL	0	/* no flags are defined yet */

struct mq_mmap_info {
	__u32 size;		/* in: sizeof(struct mq_mmap_info) */
	__u32 flags;		/* in: MQ_MMAP_INFO_F_*, none yet */
	__u64 ring_size;	/* out: bytes, a power of two */
	__u64 ctrl_offset;	/* out: mmap offset of the control page */
	__u64 ctrl_size;	/* out: its length, one page */
	__u64 data_offset;	/* out: mmap offset of the data area */
	__u64 data_size;	/* out: its length, 2 * ring_size */
	struct mq_mmap_offsets ctrl;	/* out */
	__u64 reserved[4];	/* must be zero */
};

#define MQ_MMAP_INFO_SIZE_VER0	144	/* first published size */

#define MQ_IOC_MMAP_INFO	_IOWR(MQ_IOC_MAGIC, 0x20, struct mq_mmap_info)

/* ---- record mode -------------------------------------------------------- */

/*
 * A file of a queue reads and writes either messages (values, one per
 * call: the default) or framed records, header and key and value as in
 * the ring, the log and the wire, for batch consumers, for the daemon and
 * for forwarding.  Documentation/abi.rst, "Record mode", has every errno.
 *
 * MQ_IOC_SET_MODE (__u32, in) on a queue's fd: MQ_MODE_MESSAGE or
 *	MQ_MODE_RECORD, for this open file only; anything else: EINVAL.
 * In record mode:
 * read(2), pread(2), readv(2), io_uring reads: as many whole records as
 *	fit in the buffer, at least one, back to back, each
 *	MQ_RECORD_ALIGN(len) bytes (its zero padding included; len carries
 *	none of the MQ_RECORD_LEN_* bits).  Returns the bytes; the position
 *	moves one past the last record's offset.  A first record larger than
 *	the buffer: EMSGSIZE, nothing consumed.  Otherwise as in message
 *	mode: it waits only for the first record.
 * write(2), writev(2): one or more whole records back to back, each
 *	padded as above.  The kernel checks every record before it appends
 *	any: a length that does not add up, runs past the buffer or holds no
 *	byte of value, a magic, flag, reserved field, producer_id,
 *	sequence or padding byte not as documented: EINVAL; a key and value
 *	larger than the topic's max_msg_size, or a call larger than
 *	MQ_RECORD_BATCH_MAX (unless it is one record) or than the ring:
 *	EMSGSIZE; a CRC that does not match: EBADMSG.  Nothing is appended
 *	then.  Otherwise every record is appended, in order, at consecutive
 *	offsets, with no other producer's record between them.  The kernel
 *	sets each record's offset, keeps a non-zero timestamp (the
 *	producer's time) or sets its own, and recomputes the CRC.
 * splice(2) from a pipe: the pipe carries a stream of records, which
 *	need not arrive whole: each record is appended once it is complete,
 *	a trailing part waits in the file for the rest.  A bad record fails
 *	the call as write(2) would and is never appended; the stream stays
 *	stopped at it until MQ_IOC_SET_MODE is called again.
 * splice(2) to a pipe, sendfile(2) from the queue: what read(2) would
 *	return, copied once from the ring into the pipe's pages.
 */
#define MQ_FEAT_RECORD		(1ULL << 3)	/* everything below */

enum mq_mode {
	MQ_MODE_MESSAGE,	/* one value per read or write: the default */
	MQ_MODE_RECORD,		/* framed records, many per call */
	__MQ_MODE_MAX,
};

/* The most bytes one record-mode write may carry, unless one record. */
#define MQ_RECORD_BATCH_MAX	(1U << 20)

#define MQ_IOC_SET_MODE		_IOW(MQ_IOC_MAGIC, 0x30, __u32)

/* ---- durability: acks and the persister --------------------------------- */

/*
 * A topic's acks (MQ_A_ACKS, set when it is made) says when a write
 * returns: MQ_ACKS_NONE once its record is in the ring; MQ_ACKS_LEADER
 * once the queue's persister (the daemon) has reported it durable;
 * MQ_ACKS_ALL once it has reported it durable and replicated.
 * Documentation/abi.rst, "Durability", has the reasons and every errno.
 *
 * MQ_IOC_PERSIST_ATTACH (struct mq_persist_attach, in) on a queue's fd:
 *	the file becomes the queue's persister until it is released (its
 *	last close: every descriptor and mapping of it gone).  @size
 *	not sizeof(struct mq_persist_attach), or @flags or @reserved not
 *	zero: EINVAL.  Without CAP_NET_ADMIN (in the initial user namespace)
 *	and with an fsuid that is not the topic's owner (MQ_A_UID): EPERM.
 *	A file not open for reading: EBADF.  Another file is the persister:
 *	EBUSY (the same file again: 0, nothing changes).  Deleted: ENODEV.
 * MQ_IOC_PERSIST_REPORT (struct mq_persist_report, in) from the
 *	persister: every offset below @durable_off is durable, every offset
 *	below @replicated_off is replicated too.  @size, @flags, @reserved
 *	as above: EINVAL.  Not the persister: EBADFD.  @replicated_off above
 *	@durable_off, or either below what was reported before: EINVAL
 *	(the same again is harmless).  @durable_off past the queue's next
 *	offset: ENXIO.  Deleted: ENODEV.  The two offsets are the queue's:
 *	0 at first, kept when a persister goes (the next one goes on from
 *	them), shown in the control page (mmap) and MQ_CMD_QUEUE_GET.
 * write(2), writev(2) on a topic with acks: with no persister attached,
 *	ENOTCONN at once and nothing appended.  Otherwise the record is
 *	appended, then the call waits, interruptibly, until the persister
 *	reports it durable (MQ_ACKS_LEADER) or replicated (MQ_ACKS_ALL), and
 *	returns its length.  It fails, the record staying appended, with
 *	ETIMEDOUT once the topic's ack timeout (MQ_A_ACK_TIMEOUT_MS) passed
 *	since the append, EINTR on a signal (never restarted: that would
 *	append the record twice), ENOTCONN when the persister goes away
 *	first, ENODEV when the topic is deleted.  A producer that retries
 *	may thus append a record twice: at-least-once, as Kafka's retrying
 *	producers.  O_NONBLOCK and IOCB_NOWAIT spare a write only the wait
 *	for room (EAGAIN, nothing appended); once appended, it waits for its
 *	acknowledgment all the same.  A file of such a topic open for
 *	writing is therefore not FMODE_NOWAIT: RWF_NOWAIT fails with
 *	EOPNOTSUPP and io_uring hands its reads and writes to its workers;
 *	nor, if write-only, FMODE_ATOMIC_POS: writers sharing it wait side
 *	by side, not for each other's acknowledgments.
 * The full policies: while a persister is attached, and on a topic with
 *	acks always, no record at or past the durable offset is dropped.
 *	Under MQ_FULL_DROP a producer then waits for room as under
 *	MQ_FULL_BLOCK (EAGAIN without waiting), until a report frees it; on
 *	a topic with acks and no persister, one that only such records keep
 *	from room fails with ENOTCONN.  With no persister, a topic without
 *	acks drops by its policy alone: its records are not durable.
 */
#define MQ_FEAT_DURABLE		(1ULL << 4)	/* everything below */

enum mq_acks {
	MQ_ACKS_NONE,		/* in the ring: the default */
	MQ_ACKS_LEADER,		/* reported durable by the persister */
	MQ_ACKS_ALL,		/* reported durable and replicated */
	__MQ_ACKS_MAX,
};

/* How long a write waits for its acknowledgment, in milliseconds. */
#define MQ_ACK_TIMEOUT_MS_DEFAULT	30000	/* Kafka's request.timeout.ms */
#define MQ_ACK_TIMEOUT_MS_MIN		1
#define MQ_ACK_TIMEOUT_MS_MAX		3600000	/* an hour */

#define MQ_PERSIST_ATTACH_F_ALL		0	/* no flags are defined yet */

struct mq_persist_attach {
	__u32 size;		/* in: sizeof(struct mq_persist_attach) */
	__u32 flags;		/* MQ_PERSIST_ATTACH_F_*, none yet */
	__u64 reserved[3];	/* must be zero */
};

#define MQ_PERSIST_ATTACH_SIZE_VER0	32

#define MQ_PERSIST_REPORT_F_ALL		0	/* no flags are defined yet */

struct mq_persist_report {
	__u32 size;		/* in: sizeof(struct mq_persist_report) */
	__u32 flags;		/* MQ_PERSIST_REPORT_F_*, none yet */
	__u64 durable_off;	/* every offset below it is durable */
	__u64 replicated_off;	/* every offset below it is replicated */
	__u64 reserved[2];	/* must be zero */
};

#define MQ_PERSIST_REPORT_SIZE_VER0	40

#define MQ_IOC_PERSIST_ATTACH	_IOW(MQ_IOC_MAGIC, 0x40, \
				     struct mq_persist_attach)
#define MQ_IOC_PERSIST_REPORT	_IOW(MQ_IOC_MAGIC, 0x41, \
				     struct mq_persist_report)

/* ---- clients: seeking a group, claiming in place, append offsets -------- */

/*
 * What a client library needs beyond the calls above (Documentation/abi.rst,
 * "Client calls", has every errno):
 *
 * MQ_IOC_GROUP_SEEK (struct mq_group_seek, in) from a member: moves its
 *	group on this queue to @start (enum mq_group_start; @offset with
 *	MQ_GROUP_START_OFFSET, else zero), forgetting what the group had
 *	pending, as MQ_CMD_GROUP_SET does, and lets the member commit from
 *	there (backwards too).  Only the group's sole member on the queue
 *	may: EBUSY otherwise (Kafka gives a partition to one member).  Not a
 *	member: EBADFD.  ERANGE before the oldest retained offset, ENXIO past
 *	the next.  Bad @size, @flags, @start or reserved field: EINVAL.
 * MQ_IOC_GROUP_CLAIM (struct mq_group_claim, in/out) from a member that
 *	does not auto-commit: the group's next messages are delivered to it
 *	as a read would, but not copied: the member reads them in the
 *	mapped ring (MQ_IOC_MMAP_INFO) and commits them.  One orphan (a
 *	message a departed member had not committed), or else a run of at
 *	most @max messages from the group's position.  Out: @offset, the
 *	first message's offset, @end one past the last (discarded holes
 *	between them are skipped: read from @pos on, through the records
 *	whose offset is below @end), @count the messages, @pos the ring
 *	byte position of the first.  Never waits: EAGAIN when there is
 *	nothing (poll(2) for EPOLLIN).  ENOBUFS, EBADFD, ENODEV as a
 *	member's read; an auto-commit member, bad @size, @flags, @max or
 *	reserved field: EINVAL.  Claimed and not committed, a message stays
 *	in the ring under MQ_FULL_BLOCK; under MQ_FULL_DROP it may go.
 * write(2), writev(2) of a record-mode file open write-only: its position
 *	is then one past the offset of the last record appended, so
 *	lseek(fd, 0, SEEK_CUR) - n is the offset of the first of n records
 *	written.  (A file open for reading keeps its position as its read
 *	cursor; pwrite(2) and splice(2) leave it.)
 */
#define MQ_FEAT_CLIENT		(1ULL << 5)	/* everything below */

#define MQ_GROUP_SEEK_F_ALL	0	/* no flags are defined yet */

struct mq_group_seek {
	__u32 size;		/* in: sizeof(struct mq_group_seek) */
	__u32 flags;		/* MQ_GROUP_SEEK_F_*, none yet */
	__u32 start;		/* enum mq_group_start */
	__u32 reserved0;	/* must be zero */
	__u64 offset;		/* with MQ_GROUP_START_OFFSET or _RESTORE */
	__u64 reserved;		/* must be zero */
};

#define MQ_GROUP_SEEK_SIZE_VER0		32

#define MQ_GROUP_CLAIM_F_LOG_ONLY	(1U << 0)	/* MQ_FEAT_LOG */
#define MQ_GROUP_CLAIM_F_ALL	(MQ_GROUP_CLAIM_F_LOG_ONLY)

/* A claim's @pos when its messages are in the commit log (MQ_FEAT_LOG). */
#define MQ_GROUP_CLAIM_POS_LOG	(~0ULL)

struct mq_group_claim {
	__u32 size;		/* in: sizeof(struct mq_group_claim) */
	__u32 flags;		/* in: MQ_GROUP_CLAIM_F_* */
	__u32 max;		/* in: the most messages, at least 1 */
	__u32 count;		/* out: messages claimed; in: zero */
	__u64 offset;		/* out: the first one's offset; in: zero */
	__u64 end;		/* out: one past the last one's; in: zero */
	__u64 pos;		/* out: the first one's ring position; in: zero */
	__u64 reserved[2];	/* must be zero */
};

#define MQ_GROUP_CLAIM_SIZE_VER0	56

#define MQ_IOC_GROUP_SEEK	_IOW(MQ_IOC_MAGIC, 0x12, struct mq_group_seek)
#define MQ_IOC_GROUP_CLAIM	_IOWR(MQ_IOC_MAGIC, 0x13, struct mq_group_claim)

/* ---- members reading the commit log ------------------------------------- */

/*
 * A consumer asking for an offset the ring no longer holds reads it from
 * the persister's commit log (Documentation/log.rst), while the group's
 * accounting (who has what, what is committed) stays here
 * (Documentation/abi.rst, "Reading the log"):
 *
 * MQ_GROUP_F_LOG at MQ_IOC_GROUP_JOIN: the member can read the log.  When
 *	the group's next message (an orphan first, as ever) is below the
 *	ring's first offset and below the durable offset, so that it is in
 *	the log and only there, the member's read(2) fails with EXDEV and
 *	MQ_IOC_GROUP_CLAIM delivers a log run: up to @max messages from
 *	there, all below both offsets, with @pos MQ_GROUP_CLAIM_POS_LOG.
 *	The member reads [@offset, @end) from the log and commits as for
 *	any claim.  Messages below the first offset and not durable were
 *	lost before a persister had them: skipped, as for every member.
 *	Without the flag a group skips what the ring no longer holds.  With
 *	MQ_GROUP_F_AUTOCOMMIT: EINVAL (a log run is a claim).
 * MQ_GROUP_CLAIM_F_LOG_ONLY: a log run or EAGAIN, never a ring run: for a
 *	member that reads with read(2) and has no mapping.  From a member
 *	that did not join with MQ_GROUP_F_LOG: EINVAL.
 */
#define MQ_FEAT_LOG		(1ULL << 6)	/* the flags just described */

#endif /* _UAPI_LINUX_MQ_H */
