/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mq_mmap.h: an mmap consumer of a queue, the protocol of
 * Documentation/mmap.rst written once for the selftests: map the control
 * page and the data area, follow head, read records in place, validate
 * them against tail afterwards, resync when the producers lapped us, and
 * wait with lseek(2) and poll(2).  Also CRC-32C, to check records.
 *
 * Like mq_util.h, every function returns 0, a count or a negative errno
 * and never asserts.  The barriers name their kernel pairs and their
 * letter in mmap.rst's table; the userspace ones are GCC's __atomic
 * builtins (what C11's <stdatomic.h> compiles to).
 */
#ifndef MQ_MMAP_H
#define MQ_MMAP_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/mq.h>

#define MQM_OFF_UNKNOWN		UINT64_MAX

struct mqm {
	int fd;				/* the queue, opened for reading */
	struct mq_mmap_info info;
	const unsigned char *ctrl;	/* the control page */
	const unsigned char *data;	/* the ring, twice */
	const uint64_t *head, *tail, *next_off, *first_off;
	const uint64_t *durable_off, *replicated_off, *ring_size;
	uint64_t mask;

	uint64_t pos;		/* byte position of the next record */
	uint64_t off;		/* its offset; MQM_OFF_UNKNOWN after a resync */
	uint32_t len;		/* the peeked record's len, without the bits */
	uint32_t key_len, value_len;	/* and its header's, as checked */

	uint64_t lost_from;	/* the offset expected when a resync began */
	uint64_t overwrites;	/* records found overwritten (resyncs) */
	uint64_t lost;		/* offsets the resyncs skipped */
	uint64_t discarded;	/* holes skipped */
};

/* READ_ONCE(): one load the compiler may neither tear nor repeat. */
#define MQM_READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

/* MQ_IOC_MMAP_INFO into @info: 0 or -errno. */
static inline int mqm_info(int fd, struct mq_mmap_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, MQ_IOC_MMAP_INFO, info) ? -errno : 0;
}

static inline const uint64_t *mqm_field(const struct mqm *m, uint32_t off)
{
	return (const uint64_t *)(m->ctrl + off);
}

static inline void mqm_unmap(struct mqm *m)
{
	if (m->ctrl)
		munmap((void *)m->ctrl, m->info.ctrl_size);
	if (m->data)
		munmap((void *)m->data, m->info.data_size);
	m->ctrl = m->data = NULL;
}

/*
 * Maps the queue open on @fd (which stays the caller's) and starts at the
 * oldest retained record: 0 or -errno.
 */
static inline int mqm_map(struct mqm *m, int fd)
{
	void *p;
	int ret;

	memset(m, 0, sizeof(*m));
	m->fd = fd;
	ret = mqm_info(fd, &m->info);
	if (ret)
		return ret;
	p = mmap(NULL, m->info.ctrl_size, PROT_READ, MAP_SHARED, fd,
		 m->info.ctrl_offset);
	if (p == MAP_FAILED)
		return -errno;
	m->ctrl = p;
	p = mmap(NULL, m->info.data_size, PROT_READ, MAP_SHARED, fd,
		 m->info.data_offset);
	if (p == MAP_FAILED) {
		ret = -errno;
		mqm_unmap(m);
		return ret;
	}
	m->data = p;
	m->head = mqm_field(m, m->info.ctrl.head);
	m->tail = mqm_field(m, m->info.ctrl.tail);
	m->next_off = mqm_field(m, m->info.ctrl.next_off);
	m->first_off = mqm_field(m, m->info.ctrl.first_off);
	m->durable_off = mqm_field(m, m->info.ctrl.durable_off);
	m->replicated_off = mqm_field(m, m->info.ctrl.replicated_off);
	m->ring_size = mqm_field(m, m->info.ctrl.ring_size);
	m->mask = m->info.ring_size - 1;
	m->lost_from = MQM_OFF_UNKNOWN;

	/*
	 * Start at the oldest record; its offset is learnt from its header.
	 * (D) Pairs with the smp_store_release(&ctrl->tail) in
	 * mq_ctrl_dropped().
	 */
	m->pos = __atomic_load_n(m->tail, __ATOMIC_ACQUIRE);
	m->off = MQM_OFF_UNKNOWN;
	return 0;
}

/* Start at the next record to be appended, like a new read(2) consumer. */
static inline void mqm_to_end(struct mqm *m)
{
	/* (A) Pairs with the release of ctrl->head in mq_ctrl_reserved(). */
	m->pos = __atomic_load_n(m->head, __ATOMIC_ACQUIRE);
	m->off = MQM_OFF_UNKNOWN;
	m->lost_from = MQM_OFF_UNKNOWN;
}

/*
 * Whether the bytes at our position may have been overwritten since we
 * started reading them: producers move tail past a record before they
 * write over it.  (C) The acquire fence is userspace's smp_rmb(): it
 * orders every load of the record before the load of tail.  Pairs with
 * the smp_wmb() after tail moves in mq_make_room().
 */
static inline bool mqm_overwritten(const struct mqm *m)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (int64_t)(MQM_READ_ONCE(*m->tail) - m->pos) > 0;
}

/* The producers lapped us: go on from the oldest record there is. */
static inline void mqm_resync(struct mqm *m)
{
	m->overwrites++;
	if (m->lost_from == MQM_OFF_UNKNOWN)
		m->lost_from = m->off;
	/*
	 * (D) The header at tail is the retained record's.  Pairs with the
	 * smp_store_release(&ctrl->tail) in mq_ctrl_dropped().
	 */
	m->pos = __atomic_load_n(m->tail, __ATOMIC_ACQUIRE);
	m->off = MQM_OFF_UNKNOWN;
}

/* Our position has offset @off, read from a header known intact. */
static inline void mqm_learn_offset(struct mqm *m, uint64_t off)
{
	if (m->lost_from != MQM_OFF_UNKNOWN) {
		m->lost += off - m->lost_from;
		m->lost_from = MQM_OFF_UNKNOWN;
	}
	m->off = off;
}

/*
 * Finds the next message in place.  0 with *@recp pointing at it in the
 * data area; -EAGAIN when there is none yet (mqm_wait()); -ERANGE when
 * the producers overwrote our position (we resynced: call again); -EIO
 * when an intact header contradicts the protocol (a kernel bug).
 *
 * What *@recp points at may be overwritten while it is read: use it, then
 * call mqm_validate(), and trust what was read only if that returns 0.
 */
static inline int mqm_peek(struct mqm *m, const struct mq_record **recp)
{
	const struct mq_record *rec;
	uint32_t len, n, klen, vlen;
	uint64_t head, roff;

	for (;;) {
		/*
		 * (A) Every record below head has its header in place.
		 * Pairs with the smp_store_release(&ctrl->head) in
		 * mq_ctrl_reserved().
		 */
		head = __atomic_load_n(m->head, __ATOMIC_ACQUIRE);
		if (m->pos == head)
			return -EAGAIN;
		/* Lapped already: no need to read anything. */
		if (mqm_overwritten(m)) {
			mqm_resync(m);
			return -ERANGE;
		}
		rec = (const struct mq_record *)(m->data + (m->pos & m->mask));
		/*
		 * (B) A committed record is whole.  Pairs with the
		 * smp_store_release(&rec->len) in mq_publish().
		 */
		len = __atomic_load_n(&rec->len, __ATOMIC_ACQUIRE);
		roff = MQM_READ_ONCE(rec->offset);
		klen = MQM_READ_ONCE(rec->key_len);
		vlen = MQM_READ_ONCE(rec->value_len);
		/* Nothing read before this check means anything yet. */
		if (mqm_overwritten(m)) {
			mqm_resync(m);
			return -ERANGE;
		}
		if (m->off == MQM_OFF_UNKNOWN)
			mqm_learn_offset(m, roff);
		else if (roff != m->off)
			return -EIO;
		if (len & MQ_RECORD_LEN_BUSY)
			return -EAGAIN;		/* its producer is copying it */
		/*
		 * The value is read in place next: its bounds must hold before
		 * anything touches it, so that even a header torn after this
		 * check keeps the reads inside the data area.
		 */
		n = len & MQ_RECORD_LEN_MASK;
		if (n < MQ_RECORD_HDR_SIZE || n > m->info.ring_size ||
		    (uint64_t)MQ_RECORD_HDR_SIZE + klen + vlen != n)
			return -EIO;
		m->len = n;
		m->key_len = klen;
		m->value_len = vlen;
		if (len & MQ_RECORD_LEN_DISCARD) {
			m->discarded++;
			m->pos += MQ_RECORD_ALIGN(n);
			m->off++;
			continue;
		}
		*recp = rec;
		return 0;
	}
}

/*
 * After reading the record mqm_peek() returned: 0 when nothing read from
 * it can have been overwritten meanwhile (what was read is the record),
 * -ERANGE otherwise (discard it; we resynced).
 */
static inline int mqm_validate(struct mqm *m)
{
	if (mqm_overwritten(m)) {
		mqm_resync(m);
		return -ERANGE;
	}
	return 0;
}

/* Moves past the record mqm_peek() returned and mqm_validate() accepted. */
static inline void mqm_advance(struct mqm *m)
{
	m->pos += MQ_RECORD_ALIGN(m->len);
	m->off++;
}

/*
 * The copying consumer: the next message's value into @buf (its header
 * into *@hdr when not NULL).  The value's length; -EAGAIN, -ERANGE or
 * -EIO as mqm_peek(); -EMSGSIZE when @size is too small (nothing
 * consumed).
 */
static inline long mqm_read(struct mqm *m, void *buf, size_t size,
			    struct mq_record *hdr)
{
	const struct mq_record *rec;
	uint32_t vlen;
	int ret;

	ret = mqm_peek(m, &rec);
	if (ret)
		return ret;
	/* The lengths mqm_peek() checked: the header may change under us. */
	vlen = m->value_len;
	if (vlen > size) {
		/* Too small for a torn record proves nothing: check first. */
		ret = mqm_validate(m);
		return ret ? ret : -EMSGSIZE;
	}
	if (hdr)
		memcpy(hdr, rec, sizeof(*hdr));
	memcpy(buf, (const unsigned char *)rec + m->len - vlen, vlen);
	ret = mqm_validate(m);
	if (ret)
		return ret;
	mqm_advance(m);
	return vlen;
}

/*
 * Tells the kernel we consumed everything before our offset, which is
 * what MQ_FULL_BLOCK keeps for this fd: lseek(2) moves the fd's cursor.
 * 0; -ERANGE when our offset was dropped meanwhile (we resynced); -errno.
 */
static inline int mqm_commit(struct mqm *m)
{
	if (m->off == MQM_OFF_UNKNOWN)
		return 0;
	if (lseek(m->fd, m->off, SEEK_SET) >= 0)
		return 0;
	if (errno != ERANGE)
		return -errno;
	mqm_resync(m);
	return -ERANGE;
}

/*
 * At head with no header to learn our offset from (mqm_to_end(), or a
 * ring that was empty when we mapped it): the offset is the queue's next
 * offset, if head has not moved since lseek(2) read it under the queue's
 * lock.  0, with m->off known or head moved on (mqm_peek() learns it);
 * -errno.  Moves the fd's position (and cursor) to that next offset.
 */
static inline int mqm_learn_next(struct mqm *m)
{
	off_t next;

	if (m->off != MQM_OFF_UNKNOWN)
		return 0;
	next = lseek(m->fd, 0, SEEK_END);
	if (next < 0)
		return -errno;
	/* (A) Pairs with the release of ctrl->head in mq_ctrl_reserved(). */
	if (__atomic_load_n(m->head, __ATOMIC_ACQUIRE) == m->pos)
		mqm_learn_offset(m, next);
	return 0;
}

/*
 * Waits until the message at our offset may be read, for at most
 * @timeout_ms (-1: no limit): the fd's position is set to our offset
 * (mqm_commit()), then poll(2) reports EPOLLIN for a message there.
 * 0 (call mqm_peek() again); -ETIMEDOUT; -ENODEV when the topic was
 * deleted; -errno.
 */
static inline int mqm_wait(struct mqm *m, int timeout_ms)
{
	struct pollfd p = { .fd = m->fd, .events = POLLIN };
	int ret;

	if (m->off == MQM_OFF_UNKNOWN) {
		ret = mqm_learn_next(m);
		if (ret || m->off == MQM_OFF_UNKNOWN)
			return ret;
	} else {
		ret = mqm_commit(m);
		if (ret == -ERANGE)
			return 0;
		if (ret)
			return ret;
	}
	ret = poll(&p, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	if (p.revents & (POLLERR | POLLHUP))
		return -ENODEV;
	return 0;
}

/* ---- CRC-32C ------------------------------------------------------------- */

/*
 * CRC-32C (Castagnoli: reflected polynomial 0x82f63b78, initial value ~0,
 * final xor ~0), a byte at a time from a table built on first use.
 */
static inline uint32_t mqm_crc32c(const void *buf, size_t len)
{
	static uint32_t table[256];
	const unsigned char *p = buf;
	uint32_t crc, c;
	int i, k;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = (c >> 1) ^ (0x82f63b78U & -(c & 1));
			table[i] = c;
		}
	}
	crc = ~0U;
	while (len--)
		crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xff];
	return ~crc;
}

/* Whether @rec, @len bytes (len without the bits), matches its CRC. */
static inline bool mqm_crc_ok(const struct mq_record *rec, uint32_t len)
{
	return mqm_crc32c((const unsigned char *)rec + MQ_RECORD_CRC_START,
			  len - MQ_RECORD_CRC_START) == MQM_READ_ONCE(rec->crc);
}

#endif /* MQ_MMAP_H */
