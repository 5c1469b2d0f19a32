// SPDX-License-Identifier: GPL-2.0
/*
 * Topics: named sets of queues, kept in a registry under one mutex.
 * Creating and deleting are rare admin operations; the data path never
 * looks at the registry (a queue holds a reference to its topic).
 *
 * A topic's memory lives as long as its last queue: deleting removes it
 * from the registry and kills its queues, whose open files may keep them
 * (and so the topic) alive until they close.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/unaligned.h>
#include <net/netlink.h>

#include "mq.h"

static DEFINE_MUTEX(mq_topics_lock);
static LIST_HEAD(mq_topics);
static unsigned int mq_topics_gen;	/* bumped on every change */

static void mq_topic_free(struct kref *ref)
{
	kfree(container_of(ref, struct mq_topic, ref));
	mq_obj_put(MQ_OBJ_TOPIC);
}

void mq_topic_put(struct mq_topic *t)
{
	kref_put(&t->ref, mq_topic_free);
}

/*
 * A name becomes a directory under /dev/mq: a safe character set, no
 * "." or "..", and not the control device's name.
 */
/*
 * Why name is not a valid name of a topic or a group (a literal, for an
 * extended ack), or NULL: 1..MQ_NAME_MAX-1 bytes of A-Z a-z 0-9 . _ -,
 * neither "." nor "..".  A name is a directory under /dev/mq.
 */
const char *mq_name_problem(const char *name)
{
	const char *c;

	if (!*name)
		return "name is empty";
	for (c = name; *c; c++) {
		/* Not isalnum(): the kernel's counts Latin-1 letters in. */
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
		    !(*c >= '0' && *c <= '9') &&
		    *c != '.' && *c != '_' && *c != '-')
			return "name may hold only A-Z a-z 0-9 . _ -";
	}
	if (c - name >= MQ_NAME_MAX)
		return "name is too long";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "name may not be . or ..";
	return NULL;
}

int mq_topic_name_valid(const char *name, struct netlink_ext_ack *extack)
{
	const char *why = mq_name_problem(name);

	if (!why && !strcmp(name, "control"))
		why = "name 'control' is the control device's";
	if (why) {
		/* why is a literal: it outlives the request, as acks need. */
		if (extack)
			extack->_msg = why;
		return -EINVAL;
	}
	return 0;
}

static struct mq_topic *mq_topic_find(const char *name)
{
	struct mq_topic *t;

	lockdep_assert_held(&mq_topics_lock);
	list_for_each_entry(t, &mq_topics, node)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

struct mq_topic *mq_topic_get(const char *name)
{
	struct mq_topic *t;

	mutex_lock(&mq_topics_lock);
	t = mq_topic_find(name);
	if (t)
		kref_get(&t->ref);
	mutex_unlock(&mq_topics_lock);
	return t;
}

/* Kills the queues made so far and drops the registry's reference. */
static void mq_topic_destroy(struct mq_topic *t, u32 nqueues)
{
	u32 i;

	for (i = 0; i < nqueues; i++)
		mq_queue_kill(t->queues[i]);
	mq_topic_put(t);
}

int mq_topic_create(const struct mq_topic_params *p,
		    struct netlink_ext_ack *extack)
{
	struct mq_topic *t;
	u32 i;
	int ret;

	ret = mq_topic_name_valid(p->name, extack);
	if (ret)
		return ret;

	t = kzalloc(struct_size(t, queues, p->nqueues), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	mq_obj_get(MQ_OBJ_TOPIC);
	kref_init(&t->ref);
	INIT_LIST_HEAD(&t->node);
	strscpy(t->name, p->name, sizeof(t->name));
	t->nqueues = p->nqueues;
	t->ring_size = p->ring_size;
	t->max_msg_size = p->max_msg_size;
	t->mode = p->mode;
	t->uid = p->uid;
	t->gid = p->gid;
	t->policy = p->policy;
	t->acks = p->acks;
	t->ack_timeout_ms = p->ack_timeout_ms;

	/*
	 * Hold the lock while the nodes appear, so that no other request can
	 * make the same name meanwhile.
	 */
	mutex_lock(&mq_topics_lock);
	if (mq_topic_find(t->name)) {
		NL_SET_ERR_MSG(extack, "a topic of that name exists");
		ret = -EEXIST;
		goto err_unlock;
	}
	for (i = 0; i < t->nqueues; i++) {
		t->queues[i] = mq_queue_create(t, i, p->offsets ?
					       get_unaligned(&p->offsets[i]) : 0);
		if (IS_ERR(t->queues[i])) {
			ret = PTR_ERR(t->queues[i]);
			goto err_queues;
		}
	}
	list_add_tail(&t->node, &mq_topics);
	mq_topics_gen++;
	mq_netlink_notify(t, MQ_CMD_TOPIC_NEW);
	mutex_unlock(&mq_topics_lock);
	return 0;

err_queues:
	mutex_unlock(&mq_topics_lock);
	mq_topic_destroy(t, i);
	return ret;

err_unlock:
	mutex_unlock(&mq_topics_lock);
	mq_topic_put(t);
	return ret;
}

int mq_topic_delete(const char *name)
{
	struct mq_topic *t;

	mutex_lock(&mq_topics_lock);
	t = mq_topic_find(name);
	if (!t) {
		mutex_unlock(&mq_topics_lock);
		return -ENOENT;
	}
	list_del_init(&t->node);
	mq_topics_gen++;
	mq_netlink_notify(t, MQ_CMD_TOPIC_DEL);
	mutex_unlock(&mq_topics_lock);

	mq_topic_destroy(t, t->nqueues);
	return 0;
}

int mq_topics_walk(unsigned long *pos, unsigned int *gen,
		   int (*fn)(struct mq_topic *t, void *arg), void *arg)
{
	struct mq_topic *t;
	unsigned long i = 0;
	int ret = 0;

	mutex_lock(&mq_topics_lock);
	*gen = mq_topics_gen;
	list_for_each_entry(t, &mq_topics, node) {
		if (i++ < *pos)
			continue;
		ret = fn(t, arg);
		if (ret)
			break;
		(*pos)++;
	}
	mutex_unlock(&mq_topics_lock);
	return ret;
}

/* Module exit: no file is open (each holds the module), so all goes now. */
void mq_topics_exit(void)
{
	struct mq_topic *t, *tmp;

	mutex_lock(&mq_topics_lock);
	list_for_each_entry_safe(t, tmp, &mq_topics, node) {
		list_del_init(&t->node);
		mq_topic_destroy(t, t->nqueues);
	}
	mutex_unlock(&mq_topics_lock);
}
