// SPDX-License-Identifier: GPL-2.0
/*
 * What mqd hears from the kernel between its own requests: topics made
 * and deleted (multicast group "events") and consumer groups' committed
 * offsets (group "offsets"), on one non-blocking libnl socket that the
 * event loop polls.  A socket that overflowed (ENOBUFS) lost events: mqd
 * then asks again for everything (mqd_resync()).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "engine.h"

struct mqd_events {
	struct nl_sock *sk;
	int family;
};

static int on_msg(struct nl_msg *msg, void *arg);

int mqd_events_open(struct mqd *mqd)
{
	struct mqd_events *ev = calloc(1, sizeof(*ev));
	int grp, ret = -ENOMEM;

	if (!ev)
		return -ENOMEM;
	ev->sk = nl_socket_alloc();
	if (!ev->sk)
		goto err;
	ret = -ENOENT;
	if (genl_connect(ev->sk) < 0)
		goto err;
	ev->family = genl_ctrl_resolve(ev->sk, MQ_GENL_NAME);
	if (ev->family < 0)
		goto err;
	grp = genl_ctrl_resolve_grp(ev->sk, MQ_GENL_NAME, MQ_GENL_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(ev->sk, grp) < 0)
		goto err;
	grp = genl_ctrl_resolve_grp(ev->sk, MQ_GENL_NAME, MQ_GENL_MCGRP_OFFSETS);
	if (grp < 0 || nl_socket_add_membership(ev->sk, grp) < 0)
		goto err;
	/* Events carry no sequence numbers of ours. */
	nl_socket_disable_seq_check(ev->sk);
	nl_socket_modify_cb(ev->sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, mqd);
	if (nl_socket_set_nonblocking(ev->sk) < 0)
		goto err;
	mqd->events = ev;
	return 0;
err:
	if (ev->sk)
		nl_socket_free(ev->sk);
	free(ev);
	return ret;
}

int mqd_events_fd(const struct mqd *mqd)
{
	return nl_socket_get_fd(mqd->events->sk);
}

void mqd_events_close(struct mqd *mqd)
{
	if (!mqd->events)
		return;
	nl_socket_free(mqd->events->sk);
	free(mqd->events);
	mqd->events = NULL;
}

static void topic_event(struct mqd *mqd, uint8_t cmd, struct nlattr **tb)
{
	struct mq_topic_config cfg;
	const char *name;
	int ret;

	if (!tb[MQ_A_TOPIC])
		return;
	name = nla_get_string(tb[MQ_A_TOPIC]);
	if (cmd == MQ_CMD_TOPIC_DEL) {
		mqd_topic_gone(mqd, name);
		return;
	}
	if (mqd_topic_find(mqd, name))
		return;
	/* Its settings, whole, as mqd keeps them. */
	ret = mq_admin_topic_get(mqd->admin, name, &cfg);
	if (ret) {
		if (ret != -ENOENT)
			mqd_warn("topic %s: %s", name, strerror(-ret));
		return;
	}
	mqd_topic_start(mqd, &cfg);
}

static void group_event(struct mqd *mqd, uint8_t cmd, struct nlattr **tb)
{
	const char *topic, *group;
	uint32_t queue;
	int ret;

	if (!tb[MQ_A_TOPIC] || !tb[MQ_A_QUEUE] || !tb[MQ_A_GROUP])
		return;
	topic = nla_get_string(tb[MQ_A_TOPIC]);
	group = nla_get_string(tb[MQ_A_GROUP]);
	queue = nla_get_u32(tb[MQ_A_QUEUE]);
	/* Only the groups of topics we persist: the others go with them. */
	if (!mqd_topic_find(mqd, topic))
		return;
	if (cmd == MQ_CMD_GROUP_DEL)
		ret = mqd_store_group_del(mqd->cfg, topic, queue, group);
	else if (tb[MQ_A_COMMITTED])
		ret = mqd_store_group_save(mqd->cfg, topic, queue, group,
					   nla_get_u64(tb[MQ_A_COMMITTED]));
	else
		return;
	if (ret)
		mqd_err("group %s on %s/%" PRIu32 ": keeping its offset: %s",
			group, topic, queue, strerror(-ret));
}

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[MQ_A_MAX + 1];
	struct mqd *mqd = arg;
	struct genlmsghdr *g;

	if (nlh->nlmsg_type != mqd->events->family)
		return NL_SKIP;
	g = nlmsg_data(nlh);
	if (genlmsg_parse(nlh, 0, tb, MQ_A_MAX, NULL))
		return NL_SKIP;
	switch (g->cmd) {
	case MQ_CMD_TOPIC_NEW:
	case MQ_CMD_TOPIC_DEL:
		topic_event(mqd, g->cmd, tb);
		break;
	case MQ_CMD_GROUP_COMMIT:
	case MQ_CMD_GROUP_DEL:
		group_event(mqd, g->cmd, tb);
		break;
	}
	return NL_OK;
}

/* The socket is readable: every event queued on it, then back to the loop. */
void mqd_events_read(struct mqd *mqd)
{
	int ret;

	for (;;) {
		ret = nl_recvmsgs_default(mqd->events->sk);
		if (ret >= 0)
			continue;
		if (ret == -NLE_AGAIN)
			break;
		if (ret == -NLE_NOMEM) {
			/* ENOBUFS: the socket overflowed, events were lost. */
			mqd_warn("netlink events overflowed: looking again");
			mqd_resync(mqd);
			continue;
		}
		mqd_warn("netlink events: %s", nl_geterror(ret));
		break;
	}
}
