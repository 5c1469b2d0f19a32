// SPDX-License-Identifier: GPL-2.0
/*
 * A single-producer single-consumer ring in shared memory: what two
 * processes can do with no kernel in the data path at all, the bound the
 * others are measured against.
 *
 * The ring is an anonymous MAP_SHARED mapping made before the fork, so
 * both children see it.  It has a power-of-two number of fixed-size
 * slots (a message's length, then its bytes, rounded up to a cache line),
 * as many as --buffer holds.  @head and @tail are free-running 32-bit
 * slot counters, each written by one side only and kept on its own cache
 * line; the slot of a counter is counter & mask, and tail - head is the
 * number of full slots even across a wrap.
 *
 * Each side copies the message in (producer) or out (consumer), as a
 * read(2) or write(2) would, so the ring is not credited with zero copy.
 *
 * Waiting: a side with nothing to do polls the other's counter up to
 * SPIN_POLLS times (the common case while both run), then sleeps on it
 * with FUTEX_WAIT after raising its @*_waiting flag; the other side
 * issues FUTEX_WAKE only when it sees that flag after moving its counter.
 * The futexes are not FUTEX_PRIVATE: the two sides are two processes.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define SHM_LINE	64

struct shm_ring {
	/* Written by the consumer only. */
	_Alignas(SHM_LINE) uint32_t head;	/* next slot to read */
	uint32_t cons_waiting;			/* asleep (or about to be) on @tail */
	/* Written by the producer only. */
	_Alignas(SHM_LINE) uint32_t tail;	/* next slot to fill */
	uint32_t prod_waiting;			/* asleep (or about to be) on @head */
	/* Set before the fork, read-only after. */
	_Alignas(SHM_LINE) uint32_t mask;	/* slots - 1 */
	uint32_t slot_size;
	_Alignas(SHM_LINE) unsigned char slots[];
};

struct shm_slot {
	uint32_t len;
	uint32_t pad;
	unsigned char data[];
};

static long futex(uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static struct shm_slot *slot_at(struct shm_ring *r, uint32_t pos)
{
	return (struct shm_slot *)(r->slots + (size_t)(pos & r->mask) * r->slot_size);
}

/*
 * Wait until *@pos, the other side's counter, is no longer @old, and
 * return its new value.
 */
static uint32_t ring_wait(uint32_t *pos, uint32_t old, uint32_t *waiting)
{
	uint32_t now;
	int i;

	for (i = 0; i < SPIN_POLLS; i++) {
		/*
		 * Pairs with the RELEASE store in ring_publish(): once the
		 * counter moves, what the other side did before moving it
		 * (filled the slot, or finished copying out of it) is seen.
		 */
		now = __atomic_load_n(pos, __ATOMIC_ACQUIRE);
		if (now != old)
			return now;
		cpu_relax();
	}
	for (;;) {
		__atomic_store_n(waiting, 1, __ATOMIC_RELAXED);
		/*
		 * Pairs with the SEQ_CST fence in ring_publish() (a store
		 * buffer pattern): either our load below sees the counter
		 * moved, or the other side's load sees @waiting set and it
		 * wakes us.  Without both fences each could miss the other
		 * and we would sleep with a message waiting.
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		/* Pairs with the RELEASE in ring_publish(), as above. */
		now = __atomic_load_n(pos, __ATOMIC_ACQUIRE);
		if (now != old)
			break;
		/* The kernel sleeps only if *pos is still @old, under its lock. */
		futex(pos, FUTEX_WAIT, old);
	}
	__atomic_store_n(waiting, 0, __ATOMIC_RELAXED);
	return now;
}

/* Move our counter @pos to @val and wake the other side if it sleeps. */
static void ring_publish(uint32_t *pos, uint32_t val, uint32_t *waiting)
{
	/*
	 * Pairs with the ACQUIRE loads of @pos in ring_wait() and in the
	 * fast paths of shm_send()/shm_recv(): the slot's bytes (producer)
	 * or our last read of the slot (consumer) come before the counter.
	 */
	__atomic_store_n(pos, val, __ATOMIC_RELEASE);
	/* Pairs with the SEQ_CST fence in ring_wait(): see there. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(waiting, __ATOMIC_RELAXED))
		futex(pos, FUTEX_WAKE, 1);
}

static int shm_open_chan(struct chan *ch, const struct bench_opts *o,
			 unsigned int id, size_t msg_size, char *why, size_t why_len)
{
	size_t slot_size, slots = 2;
	struct shm_ring *r;

	(void)id;
	chan_init(ch, msg_size);
	slot_size = (sizeof(struct shm_slot) + msg_size + SHM_LINE - 1) &
		    ~(size_t)(SHM_LINE - 1);
	while (slots * 2 * slot_size <= o->buffer)
		slots *= 2;
	ch->mem_len = sizeof(*r) + slots * slot_size;
	r = mmap(NULL, ch->mem_len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		snprintf(why, why_len, "mmap %zu bytes: %m", ch->mem_len);
		return -errno;
	}
	/* The mapping comes zeroed: head = tail = 0, nobody waiting. */
	r->mask = slots - 1;
	r->slot_size = slot_size;
	ch->mem = r;
	return 0;
}

static void shm_keep(struct chan *ch, enum chan_end end)
{
	/* Both sides need the whole mapping. */
	(void)ch;
	(void)end;
}

static void shm_close(struct chan *ch)
{
	if (ch->mem)
		munmap(ch->mem, ch->mem_len);
	ch->mem = NULL;
}

static int shm_send(struct chan *ch, const void *buf, size_t len)
{
	struct shm_ring *r = ch->mem;
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED); /* ours alone */
	struct shm_slot *s;

	if (len > ch->msg_size)
		return -EMSGSIZE;
	if (tail - ch->tx_seen > r->mask) {
		/* Pairs with the RELEASE of @head in ring_publish(). */
		ch->tx_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		while (tail - ch->tx_seen > r->mask)
			ch->tx_seen = ring_wait(&r->head, ch->tx_seen, &r->prod_waiting);
	}
	s = slot_at(r, tail);
	s->len = len;
	memcpy(s->data, buf, len);
	ring_publish(&r->tail, tail + 1, &r->cons_waiting);
	return 0;
}

static ssize_t shm_recv(struct chan *ch, void *buf, size_t len)
{
	struct shm_ring *r = ch->mem;
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED); /* ours alone */
	struct shm_slot *s;
	size_t n;

	if (head == ch->rx_seen) {
		/* Pairs with the RELEASE of @tail in ring_publish(). */
		ch->rx_seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (head == ch->rx_seen)
			ch->rx_seen = ring_wait(&r->tail, head, &r->cons_waiting);
	}
	s = slot_at(r, head);
	n = s->len;
	if (n > len)
		return -EMSGSIZE;
	memcpy(buf, s->data, n);
	ring_publish(&r->head, head + 1, &r->prod_waiting);
	return n;
}

/* One message a slot. */
static long shm_capacity(struct chan *ch, char *why, size_t why_len)
{
	struct shm_ring *r = ch->mem;

	(void)why;
	(void)why_len;
	return (long)r->mask + 1;
}

const struct transport t_shmring = {
	.name = "shmring",
	.title = "shm ring (spin+futex)",
	.open = shm_open_chan,
	.keep = shm_keep,
	.close = shm_close,
	.send = shm_send,
	.recv = shm_recv,
	.capacity = shm_capacity,
};
