// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * What every reader of a mapped ring needs, written once for libmq's
 * consumer and for mqd: the features the queue's kernel offers, and the
 * two read-only mappings of a queue with the control page's fields
 * located (Documentation/abi.rst, "mmap consumers").
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "libmq.h"
#include "internal.h"

int mq__queue_features(int fd, uint64_t *features)
{
	struct mq_version v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	if (ioctl(fd, MQ_IOC_VERSION, &v)) {
		/*
		 * Queue files answer it since MQ_FEAT_CLIENT: a kernel
		 * whose queue files do not has no client calls either.
		 */
		if (errno != ENOTTY)
			return -errno;
		v.features = MQ_FEAT_QUEUES;
	}
	*features = v.features;
	return 0;
}

static const uint64_t *ctrl_field(const struct mq__ring *r, uint32_t off)
{
	return (const uint64_t *)(r->ctrl + off);
}

int mq__ring_map(struct mq__ring *r, int fd)
{
	struct mq_mmap_info info;
	void *p;
	int ret;

	memset(r, 0, sizeof(*r));
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(fd, MQ_IOC_MMAP_INFO, &info))
		return -errno;
	p = mmap(NULL, info.ctrl_size, PROT_READ, MAP_SHARED, fd,
		 info.ctrl_offset);
	if (p == MAP_FAILED)
		return -errno;
	r->ctrl = p;
	r->ctrl_size = info.ctrl_size;
	p = mmap(NULL, info.data_size, PROT_READ, MAP_SHARED, fd,
		 info.data_offset);
	if (p == MAP_FAILED) {
		ret = -errno;
		mq__ring_unmap(r);
		return ret;
	}
	r->data = p;
	r->data_size = info.data_size;
	r->ring_size = info.ring_size;
	r->head = ctrl_field(r, info.ctrl.head);
	r->tail = ctrl_field(r, info.ctrl.tail);
	r->first_off = ctrl_field(r, info.ctrl.first_off);
	r->next_off = ctrl_field(r, info.ctrl.next_off);
	r->durable_off = ctrl_field(r, info.ctrl.durable_off);
	return 0;
}

void mq__ring_unmap(struct mq__ring *r)
{
	if (r->ctrl)
		munmap((void *)r->ctrl, r->ctrl_size);
	if (r->data)
		munmap((void *)r->data, r->data_size);
	r->ctrl = r->data = NULL;
}
