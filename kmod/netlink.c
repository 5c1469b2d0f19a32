// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "mq": create, delete and list topics, list
 * queues with their state, and announce topics coming and going to the
 * "events" multicast group.  The commands and attributes are documented
 * in uapi/linux/mq.h and Documentation/netlink/specs/mq.yaml.
 *
 * Validation is strict (a new family gets it from the core): unknown
 * attributes, wrong types and lengths fail before a handler runs.  The
 * handlers check values, so that every bad value fails the same way, with
 * EINVAL and an extended ack naming the attribute (the core's range
 * checks would answer ERANGE for some and EINVAL for others).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/module.h>
#include <asm/unaligned.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "mq.h"

static const struct nla_policy mq_policy[MQ_A_MAX + 1] = {
	[MQ_A_PAD]		= { .type = NLA_REJECT },
	[MQ_A_TOPIC]		= { .type = NLA_NUL_STRING, .len = MQ_NAME_MAX - 1 },
	[MQ_A_QUEUES]		= { .type = NLA_U32 },
	[MQ_A_RING_SIZE]	= { .type = NLA_U64 },
	[MQ_A_MAX_MSG_SIZE]	= { .type = NLA_U32 },
	[MQ_A_MODE]		= { .type = NLA_U32 },
	[MQ_A_UID]		= { .type = NLA_U32 },
	[MQ_A_GID]		= { .type = NLA_U32 },
	[MQ_A_FULL_POLICY]	= { .type = NLA_U32 },
	[MQ_A_ACKS]		= { .type = NLA_U32 },
	[MQ_A_ACK_TIMEOUT_MS]	= { .type = NLA_U32 },
	/* What only the kernel reports is refused in requests. */
	[MQ_A_QUEUE]		= { .type = NLA_REJECT },
	[MQ_A_FIRST_OFFSET]	= { .type = NLA_REJECT },
	[MQ_A_NEXT_OFFSET]	= { .type = NLA_REJECT },
	[MQ_A_BYTES_IN]		= { .type = NLA_REJECT },
	[MQ_A_BYTES_OUT]	= { .type = NLA_REJECT },
	[MQ_A_MSGS_IN]		= { .type = NLA_REJECT },
	[MQ_A_MSGS_OUT]		= { .type = NLA_REJECT },
	[MQ_A_DROPS]		= { .type = NLA_REJECT },
	[MQ_A_READERS]		= { .type = NLA_REJECT },
	[MQ_A_WRITERS]		= { .type = NLA_REJECT },
	/* The group commands have their own policy. */
	[MQ_A_GROUP]		= { .type = NLA_REJECT },
	[MQ_A_GROUP_START]	= { .type = NLA_REJECT },
	[MQ_A_OFFSET]		= { .type = NLA_REJECT },
	[MQ_A_COMMITTED]	= { .type = NLA_REJECT },
	[MQ_A_DELIVERED]	= { .type = NLA_REJECT },
	[MQ_A_PENDING]		= { .type = NLA_REJECT },
	[MQ_A_LAG]		= { .type = NLA_REJECT },
	[MQ_A_MEMBERS]		= { .type = NLA_REJECT },
	[MQ_A_DURABLE_OFFSET]	= { .type = NLA_REJECT },
	[MQ_A_REPLICATED_OFFSET] = { .type = NLA_REJECT },
	[MQ_A_PERSISTER]	= { .type = NLA_REJECT },
	[MQ_A_QUEUE_OFFSETS]	= { .type = NLA_BINARY,
				    .len = MQ_QUEUES_MAX * sizeof(u64) },
};

/* GROUP_GET, GROUP_SET, GROUP_DEL: a group is named by topic, queue, name. */
static const struct nla_policy mq_group_policy[MQ_A_MAX + 1] = {
	[MQ_A_PAD]		= { .type = NLA_REJECT },
	[MQ_A_TOPIC]		= { .type = NLA_NUL_STRING, .len = MQ_NAME_MAX - 1 },
	[MQ_A_QUEUE]		= { .type = NLA_U32 },
	[MQ_A_GROUP]		= { .type = NLA_NUL_STRING, .len = MQ_NAME_MAX - 1 },
	[MQ_A_GROUP_START]	= { .type = NLA_U32 },
	[MQ_A_OFFSET]		= { .type = NLA_U64 },
	[MQ_A_QUEUES]		= { .type = NLA_REJECT },
	[MQ_A_RING_SIZE]	= { .type = NLA_REJECT },
	[MQ_A_MAX_MSG_SIZE]	= { .type = NLA_REJECT },
	[MQ_A_MODE]		= { .type = NLA_REJECT },
	[MQ_A_UID]		= { .type = NLA_REJECT },
	[MQ_A_GID]		= { .type = NLA_REJECT },
	[MQ_A_FULL_POLICY]	= { .type = NLA_REJECT },
	[MQ_A_ACKS]		= { .type = NLA_REJECT },
	[MQ_A_ACK_TIMEOUT_MS]	= { .type = NLA_REJECT },
	[MQ_A_FIRST_OFFSET]	= { .type = NLA_REJECT },
	[MQ_A_NEXT_OFFSET]	= { .type = NLA_REJECT },
	[MQ_A_BYTES_IN]		= { .type = NLA_REJECT },
	[MQ_A_BYTES_OUT]	= { .type = NLA_REJECT },
	[MQ_A_MSGS_IN]		= { .type = NLA_REJECT },
	[MQ_A_MSGS_OUT]		= { .type = NLA_REJECT },
	[MQ_A_DROPS]		= { .type = NLA_REJECT },
	[MQ_A_READERS]		= { .type = NLA_REJECT },
	[MQ_A_WRITERS]		= { .type = NLA_REJECT },
	[MQ_A_COMMITTED]	= { .type = NLA_REJECT },
	[MQ_A_DELIVERED]	= { .type = NLA_REJECT },
	[MQ_A_PENDING]		= { .type = NLA_REJECT },
	[MQ_A_LAG]		= { .type = NLA_REJECT },
	[MQ_A_MEMBERS]		= { .type = NLA_REJECT },
	[MQ_A_DURABLE_OFFSET]	= { .type = NLA_REJECT },
	[MQ_A_REPLICATED_OFFSET] = { .type = NLA_REJECT },
	[MQ_A_PERSISTER]	= { .type = NLA_REJECT },
	[MQ_A_QUEUE_OFFSETS]	= { .type = NLA_REJECT },
};

enum mq_mcgrp {
	MQ_MCGRP_EVENTS,
	MQ_MCGRP_OFFSETS,
};

static const struct genl_multicast_group mq_mcgrps[] = {
	[MQ_MCGRP_EVENTS] = { .name = MQ_GENL_MCGRP_EVENTS },
	[MQ_MCGRP_OFFSETS] = { .name = MQ_GENL_MCGRP_OFFSETS },
};

static struct genl_family mq_genl_family;

static int mq_nl_put_topic(struct sk_buff *skb, const struct mq_topic *t)
{
	if (nla_put_string(skb, MQ_A_TOPIC, t->name) ||
	    nla_put_u32(skb, MQ_A_QUEUES, t->nqueues) ||
	    nla_put_u64_64bit(skb, MQ_A_RING_SIZE, t->ring_size, MQ_A_PAD) ||
	    nla_put_u32(skb, MQ_A_MAX_MSG_SIZE, t->max_msg_size) ||
	    nla_put_u32(skb, MQ_A_MODE, t->mode) ||
	    nla_put_u32(skb, MQ_A_UID, from_kuid_munged(&init_user_ns, t->uid)) ||
	    nla_put_u32(skb, MQ_A_GID, from_kgid_munged(&init_user_ns, t->gid)) ||
	    nla_put_u32(skb, MQ_A_FULL_POLICY, t->policy) ||
	    nla_put_u32(skb, MQ_A_ACKS, t->acks) ||
	    nla_put_u32(skb, MQ_A_ACK_TIMEOUT_MS, t->ack_timeout_ms))
		return -EMSGSIZE;
	return 0;
}

/*
 * Reads the u32 attribute type, if present, into *val; fails with EINVAL
 * and msg (a literal: the extended ack keeps a static copy) when it is
 * outside [min, max].
 */
#define mq_nl_get_u32(info, type, min, max, val, msg) ({		\
	struct nlattr *__attr = (info)->attrs[type];			\
	int __ret = 0;							\
									\
	if (__attr) {							\
		*(val) = nla_get_u32(__attr);				\
		if (*(val) < (min) || *(val) > (max)) {			\
			NL_SET_ERR_MSG_ATTR((info)->extack, __attr, msg); \
			__ret = -EINVAL;				\
		}							\
	}								\
	__ret;								\
})

/* The largest value whose record fits twice in a ring of size bytes. */
static u32 mq_max_msg_limit(u64 size)
{
	return min_t(u64, U32_MAX, (size / 2 - MQ_RECORD_HDR_SIZE) & ~7ULL);
}

/*
 * MQ_A_QUEUE_OFFSETS, if given: one u64 per queue, each below
 * MQ_OFFSET_LIMIT, so that appending can never wrap an offset.
 */
static int mq_nl_get_offsets(struct genl_info *info, struct mq_topic_params *p)
{
	struct nlattr *attr = info->attrs[MQ_A_QUEUE_OFFSETS];
	const u64 *off;
	u32 i;

	if (!attr)
		return 0;
	if (nla_len(attr) != p->nqueues * sizeof(u64)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "queue offsets must be one u64 per queue");
		return -EINVAL;
	}
	off = nla_data(attr);
	for (i = 0; i < p->nqueues; i++) {
		if (get_unaligned(&off[i]) >= MQ_OFFSET_LIMIT) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "queue offsets must be below 2^63");
			return -EINVAL;
		}
	}
	p->offsets = off;
	return 0;
}

static int mq_nl_topic_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct mq_topic_params p = {
		.nqueues	= 1,
		.ring_size	= MQ_RING_SIZE_DEFAULT,
		.mode		= 0600,
		.uid		= GLOBAL_ROOT_UID,
		.gid		= GLOBAL_ROOT_GID,
		.policy		= MQ_FULL_BLOCK,
		.acks		= MQ_ACKS_NONE,
		.ack_timeout_ms	= MQ_ACK_TIMEOUT_MS_DEFAULT,
	};
	struct netlink_ext_ack *extack = info->extack;
	u32 mode = p.mode;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, MQ_A_TOPIC))
		return -EINVAL;
	p.name = nla_data(attrs[MQ_A_TOPIC]);

	ret = mq_nl_get_u32(info, MQ_A_QUEUES, 1, MQ_QUEUES_MAX, &p.nqueues,
			    "queues must be from 1 to 1024");
	if (ret)
		return ret;
	if (attrs[MQ_A_RING_SIZE]) {
		p.ring_size = nla_get_u64(attrs[MQ_A_RING_SIZE]);
		if (!is_power_of_2(p.ring_size) ||
		    p.ring_size < MQ_RING_SIZE_MIN ||
		    p.ring_size > MQ_RING_SIZE_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[MQ_A_RING_SIZE],
					    "ring size must be a power of two from 4 KiB to 1 GiB");
			return -EINVAL;
		}
	}
	p.max_msg_size = min_t(u32, MQ_MAX_MSG_SIZE_DEFAULT,
			       mq_max_msg_limit(p.ring_size));
	ret = mq_nl_get_u32(info, MQ_A_MAX_MSG_SIZE, 1,
			    mq_max_msg_limit(p.ring_size), &p.max_msg_size,
			    "max message size must be at least 1 and its record fit twice in the ring");
	if (ret)
		return ret;
	ret = mq_nl_get_u32(info, MQ_A_MODE, 1, 0777, &mode,
			    "mode must be permission bits from 1 to 0777");
	if (ret)
		return ret;
	p.mode = mode;
	if (attrs[MQ_A_UID]) {
		p.uid = make_kuid(current_user_ns(), nla_get_u32(attrs[MQ_A_UID]));
		if (!uid_valid(p.uid)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[MQ_A_UID], "invalid uid");
			return -EINVAL;
		}
	}
	if (attrs[MQ_A_GID]) {
		p.gid = make_kgid(current_user_ns(), nla_get_u32(attrs[MQ_A_GID]));
		if (!gid_valid(p.gid)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[MQ_A_GID], "invalid gid");
			return -EINVAL;
		}
	}
	ret = mq_nl_get_u32(info, MQ_A_FULL_POLICY, 0, __MQ_FULL_MAX - 1,
			    &p.policy, "unknown full policy");
	if (ret)
		return ret;
	ret = mq_nl_get_u32(info, MQ_A_ACKS, 0, __MQ_ACKS_MAX - 1, &p.acks,
			    "unknown acks: 0, 1 or all (2)");
	if (ret)
		return ret;
	ret = mq_nl_get_u32(info, MQ_A_ACK_TIMEOUT_MS, MQ_ACK_TIMEOUT_MS_MIN,
			    MQ_ACK_TIMEOUT_MS_MAX, &p.ack_timeout_ms,
			    "ack timeout must be from 1 ms to an hour");
	if (ret)
		return ret;
	ret = mq_nl_get_offsets(info, &p);
	if (ret)
		return ret;

	return mq_topic_create(&p, extack);
}

static int mq_nl_topic_del(struct sk_buff *skb, struct genl_info *info)
{
	const char *name;

	if (GENL_REQ_ATTR_CHECK(info, MQ_A_TOPIC))
		return -EINVAL;
	name = nla_data(info->attrs[MQ_A_TOPIC]);
	if (mq_topic_delete(name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MQ_A_TOPIC],
				    "no such topic");
		return -ENOENT;
	}
	return 0;
}

static int mq_nl_topic_get(struct sk_buff *skb, struct genl_info *info)
{
	struct mq_topic *t;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, MQ_A_TOPIC))
		return -EINVAL;
	t = mq_topic_get(nla_data(info->attrs[MQ_A_TOPIC]));
	if (!t) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MQ_A_TOPIC],
				    "no such topic");
		return -ENOENT;
	}

	ret = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = genlmsg_put_reply(msg, info, &mq_genl_family, 0, MQ_CMD_TOPIC_GET);
	if (!hdr || mq_nl_put_topic(msg, t)) {
		nlmsg_free(msg);
		ret = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
out:
	mq_topic_put(t);
	return ret;
}

struct mq_nl_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	const char *only;	/* QUEUE_GET, GROUP_GET: this topic only */
	const char *group;	/* GROUP_GET: groups of this name only */
};

static void *mq_nl_dump_hdr(struct mq_nl_dump *d, u8 cmd)
{
	void *hdr = genlmsg_put(d->skb, NETLINK_CB(d->cb->skb).portid,
				d->cb->nlh->nlmsg_seq, &mq_genl_family,
				NLM_F_MULTI, cmd);

	if (hdr)
		genl_dump_check_consistent(d->cb, hdr);
	return hdr;
}

static int mq_nl_dump_topic(struct mq_topic *t, void *arg)
{
	struct mq_nl_dump *d = arg;
	void *hdr = mq_nl_dump_hdr(d, MQ_CMD_TOPIC_GET);

	if (!hdr)
		return -EMSGSIZE;
	if (mq_nl_put_topic(d->skb, t)) {
		genlmsg_cancel(d->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(d->skb, hdr);
	return 0;
}

/*
 * One part of a dump: fn for each topic from cb->args[0] on, until the
 * skb is full.  cb->seq takes the registry's generation, so that a dump
 * whose parts saw different registries is flagged NLM_F_DUMP_INTR.
 */
static int mq_nl_dump_walk(struct mq_nl_dump *d,
			   int (*fn)(struct mq_topic *t, void *arg))
{
	unsigned int gen;
	int ret;

	ret = mq_topics_walk(&d->cb->args[0], &gen, fn, d);
	d->cb->seq = gen;
	if (ret && ret != -EMSGSIZE)
		return ret;
	/* A full skb with nothing in it: one message does not fit at all. */
	if (ret == -EMSGSIZE && !d->skb->len)
		return -EMSGSIZE;
	return d->skb->len;
}

static int mq_nl_topic_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mq_nl_dump d = { .skb = skb, .cb = cb };

	return mq_nl_dump_walk(&d, mq_nl_dump_topic);
}

static int mq_nl_put_queue(struct sk_buff *skb, struct mq_queue *q)
{
	struct mq_queue_snapshot s;

	mq_queue_snapshot(q, &s);
	if (nla_put_string(skb, MQ_A_TOPIC, q->topic->name) ||
	    nla_put_u32(skb, MQ_A_QUEUE, q->id) ||
	    nla_put_u64_64bit(skb, MQ_A_FIRST_OFFSET, s.first_off, MQ_A_PAD) ||
	    nla_put_u64_64bit(skb, MQ_A_NEXT_OFFSET, s.next_off, MQ_A_PAD) ||
	    nla_put_u64_64bit(skb, MQ_A_BYTES_IN, s.bytes_in, MQ_A_PAD) ||
	    nla_put_u64_64bit(skb, MQ_A_BYTES_OUT, s.bytes_out, MQ_A_PAD) ||
	    nla_put_u64_64bit(skb, MQ_A_MSGS_IN, s.msgs_in, MQ_A_PAD) ||
	    nla_put_u64_64bit(skb, MQ_A_MSGS_OUT, s.msgs_out, MQ_A_PAD) ||
	    nla_put_u64_64bit(skb, MQ_A_DROPS, s.drops, MQ_A_PAD) ||
	    nla_put_u32(skb, MQ_A_READERS, s.readers) ||
	    nla_put_u32(skb, MQ_A_WRITERS, s.writers) ||
	    nla_put_u64_64bit(skb, MQ_A_DURABLE_OFFSET, s.durable_off,
			      MQ_A_PAD) ||
	    nla_put_u64_64bit(skb, MQ_A_REPLICATED_OFFSET, s.replicated_off,
			      MQ_A_PAD) ||
	    nla_put_u32(skb, MQ_A_PERSISTER, s.persister))
		return -EMSGSIZE;
	return 0;
}

/*
 * cb->args[1]: the next queue of the topic at cb->args[0]; cb->args[2]:
 * the topic asked for was found.
 */
static int mq_nl_dump_queues(struct mq_topic *t, void *arg)
{
	struct mq_nl_dump *d = arg;
	long *next = &d->cb->args[1];
	void *hdr;

	if (d->only && strcmp(d->only, t->name))
		return 0;
	for (; *next < t->nqueues; (*next)++) {
		hdr = mq_nl_dump_hdr(d, MQ_CMD_QUEUE_GET);
		if (!hdr)
			return -EMSGSIZE;
		if (mq_nl_put_queue(d->skb, t->queues[*next])) {
			genlmsg_cancel(d->skb, hdr);
			return -EMSGSIZE;
		}
		genlmsg_end(d->skb, hdr);
	}
	*next = 0;
	return 0;
}

/*
 * A dump restricted to MQ_A_TOPIC: d->only names it.  An unknown topic is
 * an error, not an empty list; checked once, in the dump's first part
 * (cb->args[2]).
 */
static int mq_nl_dump_only(struct mq_nl_dump *d,
			   const struct genl_dumpit_info *info)
{
	struct nlattr *attr = info->attrs[MQ_A_TOPIC];
	struct mq_topic *t;

	if (!attr)
		return 0;
	d->only = nla_data(attr);
	if (d->cb->args[2])
		return 0;
	t = mq_topic_get(d->only);
	if (!t) {
		NL_SET_ERR_MSG_ATTR(d->cb->extack, attr, "no such topic");
		return -ENOENT;
	}
	mq_topic_put(t);
	d->cb->args[2] = 1;
	return 0;
}

static int mq_nl_queue_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct mq_nl_dump d = { .skb = skb, .cb = cb };

	int ret = mq_nl_dump_only(&d, info);

	return ret ?: mq_nl_dump_walk(&d, mq_nl_dump_queues);
}

/* ---- groups ------------------------------------------------------------ */

static int mq_nl_put_group(struct sk_buff *skb, struct mq_group *g)
{
	struct mq_queue *q = g->q;
	u64 committed = READ_ONCE(g->committed);
	u64 next = smp_load_acquire(&q->next_off);

	if (nla_put_string(skb, MQ_A_TOPIC, q->topic->name) ||
	    nla_put_u32(skb, MQ_A_QUEUE, q->id) ||
	    nla_put_string(skb, MQ_A_GROUP, g->name) ||
	    nla_put_u64_64bit(skb, MQ_A_COMMITTED, committed, MQ_A_PAD) ||
	    nla_put_u64_64bit(skb, MQ_A_DELIVERED, READ_ONCE(g->next), MQ_A_PAD) ||
	    nla_put_u64_64bit(skb, MQ_A_PENDING, READ_ONCE(g->npending_pub),
			      MQ_A_PAD) ||
	    nla_put_u64_64bit(skb, MQ_A_LAG,
			      next > committed ? next - committed : 0, MQ_A_PAD) ||
	    nla_put_u32(skb, MQ_A_MEMBERS, READ_ONCE(g->nmembers)))
		return -EMSGSIZE;
	return 0;
}

static int mq_nl_dump_group(struct mq_group *g, void *arg)
{
	struct mq_nl_dump *d = arg;
	void *hdr;

	if (d->group && strcmp(d->group, g->name))
		return 0;
	hdr = mq_nl_dump_hdr(d, MQ_CMD_GROUP_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (mq_nl_put_group(d->skb, g)) {
		genlmsg_cancel(d->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(d->skb, hdr);
	return 0;
}

/* cb->args[1]: the queue; cb->args[3]: the next group on it. */
static int mq_nl_dump_groups(struct mq_topic *t, void *arg)
{
	struct mq_nl_dump *d = arg;
	long *next = &d->cb->args[1];
	int ret;

	if (d->only && strcmp(d->only, t->name))
		return 0;
	for (; *next < t->nqueues; (*next)++) {
		ret = mq_groups_walk(t->queues[*next], &d->cb->args[3],
				     mq_nl_dump_group, d);
		if (ret)
			return ret;
		d->cb->args[3] = 0;
	}
	*next = 0;
	return 0;
}

static int mq_nl_group_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct mq_nl_dump d = { .skb = skb, .cb = cb };
	int ret;

	if (info->attrs[MQ_A_GROUP])
		d.group = nla_data(info->attrs[MQ_A_GROUP]);
	ret = mq_nl_dump_only(&d, info);
	return ret ?: mq_nl_dump_walk(&d, mq_nl_dump_groups);
}

/*
 * The queue a GROUP_SET or GROUP_DEL names, with a reference on its
 * topic (*tp), and the group's name; or -errno with an extended ack.
 */
static struct mq_queue *mq_nl_group_queue(struct genl_info *info,
					  struct mq_topic **tp,
					  const char **group)
{
	struct nlattr **attrs = info->attrs;
	const char *why;
	struct mq_topic *t;
	u32 id;

	if (GENL_REQ_ATTR_CHECK(info, MQ_A_TOPIC) ||
	    GENL_REQ_ATTR_CHECK(info, MQ_A_QUEUE) ||
	    GENL_REQ_ATTR_CHECK(info, MQ_A_GROUP))
		return ERR_PTR(-EINVAL);
	*group = nla_data(attrs[MQ_A_GROUP]);
	why = mq_name_problem(*group);
	if (why) {
		/* why is a literal: it outlives the request, as acks need. */
		info->extack->_msg = why;
		info->extack->bad_attr = attrs[MQ_A_GROUP];
		return ERR_PTR(-EINVAL);
	}
	t = mq_topic_get(nla_data(attrs[MQ_A_TOPIC]));
	if (!t) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[MQ_A_TOPIC],
				    "no such topic");
		return ERR_PTR(-ENOENT);
	}
	id = nla_get_u32(attrs[MQ_A_QUEUE]);
	if (id >= t->nqueues) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[MQ_A_QUEUE],
				    "the topic has no such queue");
		mq_topic_put(t);
		return ERR_PTR(-EINVAL);
	}
	*tp = t;
	return t->queues[id];
}

static int mq_nl_group_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct mq_topic *t;
	struct mq_queue *q;
	const char *group;
	u32 start;
	u64 off = 0;
	int ret;

	q = mq_nl_group_queue(info, &t, &group);
	if (IS_ERR(q))
		return PTR_ERR(q);
	ret = -EINVAL;
	if (GENL_REQ_ATTR_CHECK(info, MQ_A_GROUP_START))
		goto out;
	start = nla_get_u32(attrs[MQ_A_GROUP_START]);
	if (start >= __MQ_GROUP_START_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[MQ_A_GROUP_START],
				    "unknown start: latest, earliest, offset or restore");
		goto out;
	}
	if (mq_group_start_takes_offset(start) != !!attrs[MQ_A_OFFSET]) {
		NL_SET_ERR_MSG(info->extack,
			       "an offset goes with start offset or restore, and only with them");
		goto out;
	}
	if (attrs[MQ_A_OFFSET])
		off = nla_get_u64(attrs[MQ_A_OFFSET]);
	ret = mq_group_set(q, group, start, off);
	if (ret == -EBUSY)
		NL_SET_ERR_MSG(info->extack, "the group has members");
	else if (ret == -ERANGE)
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[MQ_A_OFFSET],
				    "offset older than the oldest retained");
	else if (ret == -ENXIO)
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[MQ_A_OFFSET],
				    "offset past the queue's next offset");
	else if (ret == -ENODEV)
		NL_SET_ERR_MSG(info->extack, "the topic is being deleted");
out:
	mq_topic_put(t);
	return ret;
}

static int mq_nl_group_del(struct sk_buff *skb, struct genl_info *info)
{
	struct mq_topic *t;
	struct mq_queue *q;
	const char *group;
	int ret;

	q = mq_nl_group_queue(info, &t, &group);
	if (IS_ERR(q))
		return PTR_ERR(q);
	ret = mq_group_del(q, group);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MQ_A_GROUP],
				    "no such group on that queue");
	else if (ret == -EBUSY)
		NL_SET_ERR_MSG(info->extack, "the group has members");
	mq_topic_put(t);
	return ret;
}

static const struct genl_ops mq_genl_ops[] = {
	{
		.cmd	= MQ_CMD_TOPIC_NEW,
		.doit	= mq_nl_topic_new,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= MQ_CMD_TOPIC_DEL,
		.doit	= mq_nl_topic_del,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= MQ_CMD_TOPIC_GET,
		.doit	= mq_nl_topic_get,
		.dumpit	= mq_nl_topic_dump,
	},
	{
		.cmd	= MQ_CMD_QUEUE_GET,
		.dumpit	= mq_nl_queue_dump,
	},
	{
		.cmd	= MQ_CMD_GROUP_GET,
		.dumpit	= mq_nl_group_dump,
		.policy	= mq_group_policy,
		.maxattr = MQ_A_MAX,
	},
	{
		.cmd	= MQ_CMD_GROUP_SET,
		.doit	= mq_nl_group_set,
		.flags	= GENL_ADMIN_PERM,
		.policy	= mq_group_policy,
		.maxattr = MQ_A_MAX,
	},
	{
		.cmd	= MQ_CMD_GROUP_DEL,
		.doit	= mq_nl_group_del,
		.flags	= GENL_ADMIN_PERM,
		.policy	= mq_group_policy,
		.maxattr = MQ_A_MAX,
	},
};

static struct genl_family mq_genl_family __ro_after_init = {
	.name		= MQ_GENL_NAME,
	.version	= MQ_GENL_VERSION,
	.maxattr	= MQ_A_MAX,
	.policy		= mq_policy,
	/* Topics are global, not per network namespace. */
	.netnsok	= false,
	.module		= THIS_MODULE,
	.ops		= mq_genl_ops,
	.n_ops		= ARRAY_SIZE(mq_genl_ops),
	.resv_start_op	= MQ_CMD_GROUP_GET,
	.mcgrps		= mq_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(mq_mcgrps),
};

/*
 * A message for multicast group grp (MQ_MCGRP_*), or NULL when nobody
 * listens there (nothing is built then) or memory ran out: events are
 * best effort.  *hdr receives its header.
 */
static struct sk_buff *mq_nl_event_new(unsigned int grp, u8 cmd, void **hdr)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&mq_genl_family, &init_net, grp))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &mq_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Sends what mq_nl_event_new() made, or drops it if filling it failed. */
static void mq_nl_event_send(struct sk_buff *msg, void *hdr, unsigned int grp,
			     int err)
{
	if (err) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&mq_genl_family, msg, 0, grp, GFP_KERNEL);
}

/* Tells the "events" group; called under the registry lock, so in order. */
void mq_netlink_notify(struct mq_topic *t, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	msg = mq_nl_event_new(MQ_MCGRP_EVENTS, cmd, &hdr);
	if (msg)
		mq_nl_event_send(msg, hdr, MQ_MCGRP_EVENTS,
				 mq_nl_put_topic(msg, t));
}

bool mq_netlink_offsets_wanted(void)
{
	return genl_has_listeners(&mq_genl_family, &init_net, MQ_MCGRP_OFFSETS);
}

/* Tells the "offsets" group where a group's committed offset is, or of its end. */
void mq_netlink_group_event(struct mq_group *g, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	msg = mq_nl_event_new(MQ_MCGRP_OFFSETS, cmd, &hdr);
	if (msg)
		mq_nl_event_send(msg, hdr, MQ_MCGRP_OFFSETS,
				 mq_nl_put_group(msg, g));
}

int __init mq_netlink_init(void)
{
	return genl_register_family(&mq_genl_family);
}

void mq_netlink_exit(void)
{
	genl_unregister_family(&mq_genl_family);
}

MODULE_ALIAS_GENL_FAMILY(MQ_GENL_NAME);
