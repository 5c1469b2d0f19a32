// SPDX-License-Identifier: GPL-2.0
/*
 * A queue's ring memory.  The data pages are mapped twice, back to back,
 * into one virtually contiguous area (as the BPF ring buffer does), so a
 * record that starts near the end of the ring continues past it in
 * virtual memory: records are never split, and every copy in or out of
 * the ring is one memcpy.  mmap.c maps the same pages twice into
 * consumers for the same reason.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "mq.h"

static void mq_ring_free_pages(struct page **pages, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		__free_page(pages[i]);
	kvfree(pages);
}

int mq_ring_init(struct mq_ring *ring, u64 size)
{
	unsigned long nr = size >> PAGE_SHIFT, i;
	struct page **map;
	int ret = -ENOMEM;

	if (!is_power_of_2(size) || size < PAGE_SIZE)
		return -EINVAL;

	ring->pages = kvcalloc(nr, sizeof(*ring->pages), GFP_KERNEL_ACCOUNT);
	if (!ring->pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		ring->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!ring->pages[i])
			goto err_pages;
	}

	map = kvmalloc_array(2 * nr, sizeof(*map), GFP_KERNEL);
	if (!map)
		goto err_pages;
	for (i = 0; i < nr; i++)
		map[i] = map[i + nr] = ring->pages[i];
	ring->data = vmap(map, 2 * nr, VM_MAP, PAGE_KERNEL);
	kvfree(map);
	if (!ring->data)
		goto err_pages;

	/* A record takes at least MQ_REC_MIN_STRIDE (> 64) bytes. */
	ring->imask = size / 64 - 1;
	ring->index = kvcalloc(size / 64, sizeof(*ring->index),
			       GFP_KERNEL_ACCOUNT);
	if (!ring->index)
		goto err_vmap;

	/* A whole page: it is mapped into consumers on its own. */
	ring->ctrl_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!ring->ctrl_page)
		goto err_index;
	ring->ctrl = page_address(ring->ctrl_page);
	ring->ctrl->ring_size = size;

	ring->size = size;
	ring->mask = size - 1;
	return 0;

err_index:
	kvfree(ring->index);
err_vmap:
	vunmap(ring->data);
err_pages:
	mq_ring_free_pages(ring->pages, i);
	return ret;
}

void mq_ring_free(struct mq_ring *ring)
{
	__free_page(ring->ctrl_page);
	kvfree(ring->index);
	vunmap(ring->data);
	mq_ring_free_pages(ring->pages, ring->size >> PAGE_SHIFT);
}

/*
 * Copies len bytes at ring position pos out to @iter (out) or in from it,
 * page by page, through the pages' linear-map addresses rather than the
 * vmap: hardened usercopy checks a vmalloc address by looking its area up
 * under the global vmap lock on every copy, a page it checks for free.
 * Returns the bytes copied.
 *
 * Out, the bytes are copied even into a pipe (splice): copy_page_to_iter()
 * would hand a pipe a reference to the ring's page instead, whose bytes
 * producers overwrite once the record is dropped, while the pipe still
 * holds it.
 */
static size_t mq_ring_copy(struct mq_ring *ring, u64 pos, size_t len,
			   struct iov_iter *iter, bool out)
{
	size_t done = 0;

	while (done < len) {
		u64 p = (pos + done) & ring->mask;
		struct page *page = ring->pages[p >> PAGE_SHIFT];
		size_t off = offset_in_page(p);
		size_t n = min_t(size_t, len - done, PAGE_SIZE - off);
		size_t c = out ? copy_to_iter(page_address(page) + off, n, iter) :
				 copy_page_from_iter(page, off, n, iter);

		done += c;
		if (c != n)
			break;
	}
	return done;
}

size_t mq_ring_copy_in(struct mq_ring *ring, u64 pos, size_t len,
		       struct iov_iter *from)
{
	return mq_ring_copy(ring, pos, len, from, false);
}

size_t mq_ring_copy_out(struct mq_ring *ring, u64 pos, size_t len,
			struct iov_iter *to)
{
	return mq_ring_copy(ring, pos, len, to, true);
}
