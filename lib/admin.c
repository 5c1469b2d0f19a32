// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * libmq admin: topics and queues over the generic netlink family "mq".
 *
 * Every request carries NLM_F_ACK and is answered by replies, then an ACK,
 * an error or (for dumps) NLMSG_DONE.  libnl folds the kernel's errno into
 * its own codes, so the callbacks below keep the kernel's errno, and the
 * extended ack's message, in the request itself; libnl's return value is
 * only used for failures of the socket.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "libmq.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* Long enough for any extended ack the kernel sends (it is a literal). */
#define ERROR_MAX	256

struct mq_admin {
	struct nl_sock *sk;
	int family;
	char error[ERROR_MAX];	/* extended ack of the last failed request */
};

/* One request in flight: what came back, and where replies go. */
struct request {
	struct mq_admin *admin;
	bool done;		/* ACK, error or NLMSG_DONE seen */
	int err;		/* the kernel's answer: 0 or -errno */
	int stop;		/* non-zero: what parse() returned; skip the rest */
	int (*parse)(struct nlattr **tb, void *arg);
	void *arg;
};

/* What a reply may carry; libnl checks lengths and string termination. */
static struct nla_policy reply_policy[MQ_A_MAX + 1] = {
	[MQ_A_TOPIC]		= { .type = NLA_STRING, .maxlen = MQ_NAME_MAX },
	[MQ_A_QUEUES]		= { .type = NLA_U32 },
	[MQ_A_RING_SIZE]	= { .type = NLA_U64 },
	[MQ_A_MAX_MSG_SIZE]	= { .type = NLA_U32 },
	[MQ_A_MODE]		= { .type = NLA_U32 },
	[MQ_A_UID]		= { .type = NLA_U32 },
	[MQ_A_GID]		= { .type = NLA_U32 },
	[MQ_A_FULL_POLICY]	= { .type = NLA_U32 },
	[MQ_A_QUEUE]		= { .type = NLA_U32 },
	[MQ_A_FIRST_OFFSET]	= { .type = NLA_U64 },
	[MQ_A_NEXT_OFFSET]	= { .type = NLA_U64 },
	[MQ_A_BYTES_IN]		= { .type = NLA_U64 },
	[MQ_A_BYTES_OUT]	= { .type = NLA_U64 },
	[MQ_A_MSGS_IN]		= { .type = NLA_U64 },
	[MQ_A_MSGS_OUT]		= { .type = NLA_U64 },
	[MQ_A_DROPS]		= { .type = NLA_U64 },
	[MQ_A_READERS]		= { .type = NLA_U32 },
	[MQ_A_WRITERS]		= { .type = NLA_U32 },
	[MQ_A_GROUP]		= { .type = NLA_STRING, .maxlen = MQ_NAME_MAX },
	[MQ_A_COMMITTED]	= { .type = NLA_U64 },
	[MQ_A_DELIVERED]	= { .type = NLA_U64 },
	[MQ_A_PENDING]		= { .type = NLA_U64 },
	[MQ_A_LAG]		= { .type = NLA_U64 },
	[MQ_A_MEMBERS]		= { .type = NLA_U32 },
	[MQ_A_ACKS]		= { .type = NLA_U32 },
	[MQ_A_ACK_TIMEOUT_MS]	= { .type = NLA_U32 },
	[MQ_A_DURABLE_OFFSET]	= { .type = NLA_U64 },
	[MQ_A_REPLICATED_OFFSET] = { .type = NLA_U64 },
	[MQ_A_PERSISTER]	= { .type = NLA_U32 },
};

/* libnl's error codes for what failed on our side of the socket. */
static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS:		return 0;
	case NLE_INTR:			return -EINTR;
	case NLE_BAD_SOCK:		return -EBADF;
	case NLE_AGAIN:			return -EAGAIN;
	case NLE_NOMEM:			return -ENOMEM;
	case NLE_EXIST:			return -EEXIST;
	case NLE_INVAL:			return -EINVAL;
	case NLE_RANGE:			return -ERANGE;
	case NLE_MSGSIZE:		return -EMSGSIZE;
	case NLE_OPNOTSUPP:		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:		return -ENOENT;
	case NLE_BUSY:			return -EBUSY;
	case NLE_NOACCESS:		return -EACCES;
	case NLE_PERM:			return -EPERM;
	case NLE_NODEV:			return -ENODEV;
	case NLE_PROTO_MISMATCH:	return -EPROTONOSUPPORT;
	/* the dump changed under us: the caller may run it again */
	case NLE_DUMP_INTR:		return -EAGAIN;
	case NLE_MSG_OVERFLOW:
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_SEQ_MISMATCH:
	case NLE_MSGTYPE_NOSUPPORT:
	case NLE_ATTRSIZE:
	case NLE_PARSE_ERR:		return -EPROTO;
	default:			return -EIO;
	}
}

/*
 * Copies NLMSGERR_ATTR_MSG out of the TLVs that follow an error or a
 * NLMSG_DONE when the kernel set NLM_F_ACK_TLVS.
 */
static void save_extack(struct mq_admin *admin, const struct nlmsghdr *nlh,
			size_t off)
{
	const struct nlattr *nla;
	size_t payload = nlh->nlmsg_len - NLMSG_HDRLEN;
	int rem;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= payload)
		return;
	nla_for_each_attr(nla, (struct nlattr *)((char *)nlmsg_data(nlh) + off),
			  (int)(payload - off), rem) {
		size_t len;

		if (nla_type(nla) != NLMSGERR_ATTR_MSG || nla_len(nla) < 1)
			continue;
		len = strnlen(nla_data(nla), (size_t)nla_len(nla));
		if (len >= sizeof(admin->error))
			len = sizeof(admin->error) - 1;
		memcpy(admin->error, nla_data(nla), len);
		admin->error[len] = '\0';
		return;
	}
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	const struct nlmsghdr *nlh = (void *)((char *)e - NLMSG_HDRLEN);
	struct request *req = arg;
	size_t off = sizeof(*e);

	(void)nla;
	/* Without NETLINK_CAP_ACK the request is echoed before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= NLMSG_HDRLEN)
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	req->err = e->error < 0 ? e->error : -EPROTO;
	req->done = true;
	save_extack(req->admin, nlh, off);
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

/* NLMSG_DONE carries the dump's final status: a failure mid-dump shows here. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	const struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct request *req = arg;
	int status;

	req->done = true;
	if (nlmsg_datalen(nlh) < (int)sizeof(status))
		return NL_STOP;
	memcpy(&status, nlmsg_data(nlh), sizeof(status));
	if (status < 0) {
		req->err = status;
		save_extack(req->admin, nlh, sizeof(status));
	}
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MQ_A_MAX + 1];
	struct request *req = arg;
	int ret;

	/* Keep reading after the caller stopped: the rest must be drained. */
	if (req->stop || !req->parse)
		return NL_SKIP;
	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, MQ_A_MAX, reply_policy);
	if (ret < 0) {
		req->stop = -EPROTO;
		return NL_SKIP;
	}
	req->stop = req->parse(tb, req->arg);
	return NL_SKIP;
}

static struct nl_msg *request_new(const struct mq_admin *admin, uint8_t cmd,
				  int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, admin->family, 0,
			 flags | NLM_F_REQUEST | NLM_F_ACK, cmd,
			 MQ_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * Sends @msg (and frees it), hands each reply's attributes to @parse, and
 * returns the kernel's answer, or what @parse returned to stop early.
 */
static int transact(struct mq_admin *admin, struct nl_msg *msg,
		    int (*parse)(struct nlattr **tb, void *arg), void *arg)
{
	struct request req = {
		.admin = admin,
		.parse = parse,
		.arg = arg,
	};
	struct nl_cb *cb;
	int ret;

	admin->error[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &req);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &req);

	ret = nl_send_auto(admin->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		ret = nlerr_to_errno(ret);
		goto out;
	}
	while (!req.done) {
		ret = nl_recvmsgs(admin->sk, cb);
		/* An error callback makes libnl fail too: the callback's errno wins. */
		if (ret < 0 && !req.done) {
			ret = nlerr_to_errno(ret);
			goto out;
		}
	}
	ret = req.err ? req.err : req.stop;
out:
	nl_cb_put(cb);
	return ret;
}

int mq_admin_open(struct mq_admin **adminp)
{
	struct mq_admin *admin;
	int one = 1;
	int ret;

	admin = calloc(1, sizeof(*admin));
	if (!admin)
		return -ENOMEM;
	admin->sk = nl_socket_alloc();
	if (!admin->sk) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = genl_connect(admin->sk);
	if (ret < 0) {
		ret = nlerr_to_errno(ret);
		goto err_sock;
	}
	/*
	 * The extended ack says which attribute was wrong and why; capping
	 * the ack keeps the kernel from echoing our request back.  Kernels
	 * without them still answer with the errno, so failures are ignored.
	 */
	setsockopt(nl_socket_get_fd(admin->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(admin->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	/* Dump messages may be larger than libnl's default buffer. */
	nl_socket_enable_msg_peek(admin->sk);

	ret = genl_ctrl_resolve(admin->sk, MQ_GENL_NAME);
	if (ret < 0) {
		ret = nlerr_to_errno(ret);
		goto err_sock;
	}
	admin->family = ret;
	*adminp = admin;
	return 0;

err_sock:
	nl_socket_free(admin->sk);
err_free:
	free(admin);
	return ret;
}

void mq_admin_close(struct mq_admin *admin)
{
	if (!admin)
		return;
	nl_socket_free(admin->sk);
	free(admin);
}

const char *mq_admin_error(const struct mq_admin *admin)
{
	return admin->error[0] ? admin->error : NULL;
}

/* A name the caller's array holds with its NUL; the kernel judges the rest. */
static int put_name(struct nl_msg *msg, const char *name, size_t size)
{
	if (!name || strnlen(name, size) >= size)
		return -EINVAL;
	return nla_put_string(msg, MQ_A_TOPIC, name) < 0 ? -EMSGSIZE : 0;
}

/*
 * The optional fields of struct mq_topic_config: which bit of @set says a
 * field is given, its attribute, and where it lives.  put_config() and
 * parse_topic() both walk this table.
 */
static const struct {
	uint32_t bit;
	int attr;
	size_t offset;
	bool u64;
} topic_fields[] = {
#define FIELD(bit, attr, member)					\
	{ bit, attr, offsetof(struct mq_topic_config, member),		\
	  sizeof(((struct mq_topic_config *)0)->member) == 8 }
	FIELD(MQ_TOPIC_SET_QUEUES, MQ_A_QUEUES, queues),
	FIELD(MQ_TOPIC_SET_RING_SIZE, MQ_A_RING_SIZE, ring_size),
	FIELD(MQ_TOPIC_SET_MAX_MSG_SIZE, MQ_A_MAX_MSG_SIZE, max_msg_size),
	FIELD(MQ_TOPIC_SET_MODE, MQ_A_MODE, mode),
	FIELD(MQ_TOPIC_SET_UID, MQ_A_UID, uid),
	FIELD(MQ_TOPIC_SET_GID, MQ_A_GID, gid),
	FIELD(MQ_TOPIC_SET_FULL_POLICY, MQ_A_FULL_POLICY, full_policy),
	FIELD(MQ_TOPIC_SET_ACKS, MQ_A_ACKS, acks),
	FIELD(MQ_TOPIC_SET_ACK_TIMEOUT, MQ_A_ACK_TIMEOUT_MS, ack_timeout_ms),
#undef FIELD
};

static int put_config(struct nl_msg *msg, const struct mq_topic_config *cfg)
{
	size_t i;
	int ret;

	ret = put_name(msg, cfg->name, sizeof(cfg->name));
	if (ret)
		return ret;
	for (i = 0; i < sizeof(topic_fields) / sizeof(topic_fields[0]); i++) {
		const void *field = (const char *)cfg + topic_fields[i].offset;

		if (!(cfg->set & topic_fields[i].bit))
			continue;
		if (topic_fields[i].u64)
			ret = nla_put_u64(msg, topic_fields[i].attr,
					  *(const uint64_t *)field);
		else
			ret = nla_put_u32(msg, topic_fields[i].attr,
					  *(const uint32_t *)field);
		if (ret < 0)
			return -EMSGSIZE;
	}
	return 0;
}

int mq_admin_topic_add_at(struct mq_admin *admin,
			  const struct mq_topic_config *cfg,
			  const uint64_t *offsets, uint32_t count)
{
	uint32_t queues, i;
	struct nl_msg *msg;
	int ret;

	if (!cfg || cfg->set & ~MQ_TOPIC_SET_ALL || (!offsets && count))
		return -EINVAL;
	/* Offsets go one per queue, all of them: the kernel's rule too. */
	queues = cfg->set & MQ_TOPIC_SET_QUEUES ? cfg->queues : 1;
	if (offsets && count != queues)
		return -EINVAL;
	for (i = 0; i < count; i++)
		if (offsets[i] >= MQ_OFFSET_LIMIT)
			return -EINVAL;
	msg = request_new(admin, MQ_CMD_TOPIC_NEW, 0);
	if (!msg)
		return -ENOMEM;
	ret = put_config(msg, cfg);
	if (!ret && offsets &&
	    nla_put(msg, MQ_A_QUEUE_OFFSETS, count * sizeof(*offsets),
		    offsets) < 0)
		ret = -EMSGSIZE;
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return transact(admin, msg, NULL, NULL);
}

int mq_admin_topic_add(struct mq_admin *admin,
		       const struct mq_topic_config *cfg)
{
	return mq_admin_topic_add_at(admin, cfg, NULL, 0);
}

int mq_admin_topic_del(struct mq_admin *admin, const char *name)
{
	struct nl_msg *msg;
	int ret;

	msg = request_new(admin, MQ_CMD_TOPIC_DEL, 0);
	if (!msg)
		return -ENOMEM;
	ret = put_name(msg, name, MQ_NAME_MAX);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return transact(admin, msg, NULL, NULL);
}

/* Fills @cfg from a TOPIC_GET or TOPIC_NEW reply; -EPROTO if nameless. */
static int parse_topic(struct nlattr **tb, struct mq_topic_config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	if (!tb[MQ_A_TOPIC])
		return -EPROTO;
	nla_strlcpy(cfg->name, tb[MQ_A_TOPIC], sizeof(cfg->name));
	for (i = 0; i < sizeof(topic_fields) / sizeof(topic_fields[0]); i++) {
		struct nlattr *attr = tb[topic_fields[i].attr];
		void *field = (char *)cfg + topic_fields[i].offset;

		if (!attr)
			continue;
		if (topic_fields[i].u64)
			*(uint64_t *)field = nla_get_u64(attr);
		else
			*(uint32_t *)field = nla_get_u32(attr);
		cfg->set |= topic_fields[i].bit;
	}
	return 0;
}

struct topic_get {
	struct mq_topic_config *cfg;
	bool found;
};

static int topic_get_parse(struct nlattr **tb, void *arg)
{
	struct topic_get *get = arg;
	int ret;

	ret = parse_topic(tb, get->cfg);
	if (!ret)
		get->found = true;
	return ret;
}

/* The default version (LIBMQ_3): the whole struct mq_topic_config. */
int mq_admin_topic_get_3(struct mq_admin *admin, const char *name,
			 struct mq_topic_config *cfg);
__asm__(".symver mq_admin_topic_get_3, mq_admin_topic_get@@LIBMQ_3");

int mq_admin_topic_get_3(struct mq_admin *admin, const char *name,
			 struct mq_topic_config *cfg)
{
	struct topic_get get = { .cfg = cfg };
	struct nl_msg *msg;
	int ret;

	msg = request_new(admin, MQ_CMD_TOPIC_GET, 0);
	if (!msg)
		return -ENOMEM;
	ret = put_name(msg, name, MQ_NAME_MAX);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	ret = transact(admin, msg, topic_get_parse, &get);
	if (!ret && !get.found)
		ret = -EPROTO;	/* acked without a reply */
	return ret;
}

/*
 * mq_admin_topic_get@LIBMQ_1, for programs built when struct
 * mq_topic_config ended with full_policy: it fills no more than that.
 * The other functions either read only the fields whose set bit the
 * caller gave, or hand out a struct of their own, so they need no
 * second version.
 */
#define TOPIC_CONFIG_SIZE_1	offsetof(struct mq_topic_config, acks)
#define TOPIC_SET_ALL_1		(MQ_TOPIC_SET_FULL_POLICY * 2 - 1)

int mq_admin_topic_get_1(struct mq_admin *admin, const char *name,
			 struct mq_topic_config *cfg);
__asm__(".symver mq_admin_topic_get_1, mq_admin_topic_get@LIBMQ_1");

int mq_admin_topic_get_1(struct mq_admin *admin, const char *name,
			 struct mq_topic_config *cfg)
{
	struct mq_topic_config full;
	int ret;

	ret = mq_admin_topic_get_3(admin, name, &full);
	if (ret)
		return ret;
	full.set &= TOPIC_SET_ALL_1;
	memcpy(cfg, &full, TOPIC_CONFIG_SIZE_1);
	return 0;
}

struct topic_list {
	mq_topic_cb cb;
	void *arg;
};

static int topic_list_parse(struct nlattr **tb, void *arg)
{
	struct topic_list *list = arg;
	struct mq_topic_config cfg;
	int ret;

	ret = parse_topic(tb, &cfg);
	if (ret)
		return ret;
	return list->cb(&cfg, list->arg);
}

int mq_admin_topic_list(struct mq_admin *admin, mq_topic_cb cb, void *arg)
{
	struct topic_list list = { .cb = cb, .arg = arg };
	struct nl_msg *msg;

	msg = request_new(admin, MQ_CMD_TOPIC_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	return transact(admin, msg, topic_list_parse, &list);
}

struct queue_list {
	mq_queue_cb cb;
	void *arg;
};

static uint64_t get_u64(struct nlattr *nla)
{
	return nla ? nla_get_u64(nla) : 0;
}

static uint32_t get_u32(struct nlattr *nla)
{
	return nla ? nla_get_u32(nla) : 0;
}

static int queue_list_parse(struct nlattr **tb, void *arg)
{
	struct queue_list *list = arg;
	struct mq_queue_stats st;

	if (!tb[MQ_A_TOPIC] || !tb[MQ_A_QUEUE])
		return -EPROTO;
	memset(&st, 0, sizeof(st));
	nla_strlcpy(st.topic, tb[MQ_A_TOPIC], sizeof(st.topic));
	st.queue = nla_get_u32(tb[MQ_A_QUEUE]);
	st.first_offset = get_u64(tb[MQ_A_FIRST_OFFSET]);
	st.next_offset = get_u64(tb[MQ_A_NEXT_OFFSET]);
	st.bytes_in = get_u64(tb[MQ_A_BYTES_IN]);
	st.bytes_out = get_u64(tb[MQ_A_BYTES_OUT]);
	st.msgs_in = get_u64(tb[MQ_A_MSGS_IN]);
	st.msgs_out = get_u64(tb[MQ_A_MSGS_OUT]);
	st.drops = get_u64(tb[MQ_A_DROPS]);
	st.readers = get_u32(tb[MQ_A_READERS]);
	st.writers = get_u32(tb[MQ_A_WRITERS]);
	st.durable_offset = get_u64(tb[MQ_A_DURABLE_OFFSET]);
	st.replicated_offset = get_u64(tb[MQ_A_REPLICATED_OFFSET]);
	st.persister = get_u32(tb[MQ_A_PERSISTER]);
	return list->cb(&st, list->arg);
}

int mq_admin_queue_list(struct mq_admin *admin, const char *topic,
			mq_queue_cb cb, void *arg)
{
	struct queue_list list = { .cb = cb, .arg = arg };
	struct nl_msg *msg;
	int ret;

	msg = request_new(admin, MQ_CMD_QUEUE_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	if (topic) {
		ret = put_name(msg, topic, MQ_NAME_MAX);
		if (ret) {
			nlmsg_free(msg);
			return ret;
		}
	}
	return transact(admin, msg, queue_list_parse, &list);
}

struct group_list {
	mq_group_cb cb;
	void *arg;
};

static int group_list_parse(struct nlattr **tb, void *arg)
{
	struct group_list *list = arg;
	struct mq_group_state st;

	if (!tb[MQ_A_TOPIC] || !tb[MQ_A_QUEUE] || !tb[MQ_A_GROUP])
		return -EPROTO;
	memset(&st, 0, sizeof(st));
	nla_strlcpy(st.topic, tb[MQ_A_TOPIC], sizeof(st.topic));
	st.queue = nla_get_u32(tb[MQ_A_QUEUE]);
	nla_strlcpy(st.group, tb[MQ_A_GROUP], sizeof(st.group));
	st.committed = get_u64(tb[MQ_A_COMMITTED]);
	st.delivered = get_u64(tb[MQ_A_DELIVERED]);
	st.pending = get_u64(tb[MQ_A_PENDING]);
	st.lag = get_u64(tb[MQ_A_LAG]);
	st.members = get_u32(tb[MQ_A_MEMBERS]);
	return list->cb(&st, list->arg);
}

static int put_string(struct nl_msg *msg, int attr, const char *s)
{
	if (!s || strnlen(s, MQ_NAME_MAX) >= MQ_NAME_MAX)
		return -EINVAL;
	return nla_put_string(msg, attr, s) < 0 ? -EMSGSIZE : 0;
}

int mq_admin_group_list(struct mq_admin *admin, const char *topic,
			const char *group, mq_group_cb cb, void *arg)
{
	struct group_list list = { .cb = cb, .arg = arg };
	struct nl_msg *msg;
	int ret = 0;

	msg = request_new(admin, MQ_CMD_GROUP_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	if (topic)
		ret = put_string(msg, MQ_A_TOPIC, topic);
	if (!ret && group)
		ret = put_string(msg, MQ_A_GROUP, group);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return transact(admin, msg, group_list_parse, &list);
}

/* A GROUP_SET or GROUP_DEL request naming one group on one queue. */
static struct nl_msg *group_request(struct mq_admin *admin, uint8_t cmd,
				    const char *topic, uint32_t queue,
				    const char *group, int *err)
{
	struct nl_msg *msg = request_new(admin, cmd, 0);

	*err = -ENOMEM;
	if (!msg)
		return NULL;
	*err = put_string(msg, MQ_A_TOPIC, topic);
	if (!*err)
		*err = nla_put_u32(msg, MQ_A_QUEUE, queue) < 0 ? -EMSGSIZE : 0;
	if (!*err)
		*err = put_string(msg, MQ_A_GROUP, group);
	if (*err) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int mq_admin_group_set(struct mq_admin *admin, const char *topic,
		       uint32_t queue, const char *group, uint32_t start,
		       uint64_t offset)
{
	bool with_offset = start == MQ_GROUP_START_OFFSET ||
			   start == MQ_GROUP_START_RESTORE;
	struct nl_msg *msg;
	int ret;

	if (start >= __MQ_GROUP_START_MAX || (!with_offset && offset))
		return -EINVAL;
	msg = group_request(admin, MQ_CMD_GROUP_SET, topic, queue, group, &ret);
	if (!msg)
		return ret;
	if (nla_put_u32(msg, MQ_A_GROUP_START, start) < 0 ||
	    (with_offset && nla_put_u64(msg, MQ_A_OFFSET, offset) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(admin, msg, NULL, NULL);
}

int mq_admin_group_del(struct mq_admin *admin, const char *topic,
		       uint32_t queue, const char *group)
{
	struct nl_msg *msg;
	int ret;

	msg = group_request(admin, MQ_CMD_GROUP_DEL, topic, queue, group, &ret);
	if (!msg)
		return ret;
	return transact(admin, msg, NULL, NULL);
}
