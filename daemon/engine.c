// SPDX-License-Identifier: GPL-2.0
/*
 * mqd's event loop: one io_uring, one thread.  It waits on the signalfd
 * (SIGTERM, SIGINT), the netlink event socket, a periodic timeout, and per
 * queue a poll, a write and an fdatasync (queue.c).  Each submission's
 * user data is the struct mqd_op it belongs to.
 *
 * Start-up, in order, before anything is announced ready:
 *  1. topics mqd kept (store.c) that the kernel lacks, after a reboot or
 *     a module reload, are made again, each queue starting at its log's
 *     next offset (MQ_A_QUEUE_OFFSETS), and their groups get their
 *     committed offsets back (MQ_GROUP_START_RESTORE);
 *  2. every topic the kernel has is persisted from its log's next offset;
 *  3. the ready file is written and systemd told READY=1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

#define RING_ENTRIES	256
#define TICK_MS		100

uint64_t mqd_now_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t mqd_now_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* An SQE for @op, submitting what is queued when the ring is full. */
struct io_uring_sqe *mqd_sqe(struct mqd *mqd, struct mqd_op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&mqd->ring);

	if (!sqe) {
		io_uring_submit(&mqd->ring);
		sqe = io_uring_get_sqe(&mqd->ring);
		if (!sqe)
			return NULL;
	}
	io_uring_sqe_set_data(sqe, op);
	op->busy = true;
	mqd->inflight++;
	return sqe;
}

struct mqd_topic *mqd_topic_find(struct mqd *mqd, const char *name)
{
	struct mqd_topic *t;

	for (t = mqd->topics; t; t = t->next)
		if (!strcmp(t->cfg.name, name))
			return t;
	return NULL;
}

int mqd_topic_start(struct mqd *mqd, const struct mq_topic_config *cfg)
{
	struct mqd_topic *t;
	uint32_t i;
	int ret;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->queues = calloc(cfg->queues, sizeof(*t->queues));
	if (!t->queues) {
		free(t);
		return -ENOMEM;
	}
	t->mqd = mqd;
	t->cfg = *cfg;
	t->nqueues = cfg->queues;
	t->policy = mqd_policy(mqd->cfg, cfg->name);
	t->next = mqd->topics;
	mqd->topics = t;

	ret = mqd_store_topic_save(mqd->cfg, cfg);
	if (ret)
		mqd_err("topic %s: keeping its settings: %s", cfg->name,
			strerror(-ret));
	for (i = 0; i < t->nqueues; i++) {
		t->queues[i].topic = t;
		t->queues[i].id = i;
		mqd_queue_start(mqd, &t->queues[i]);
	}
	mqd_info("topic %s: persisting %" PRIu32 " queues (%s)", cfg->name,
		 t->nqueues, t->policy->flush == MQD_FLUSH_SYNC ? "sync" : "async");
	return 0;
}

/*
 * The topic was deleted: as Kafka deletes a topic's data, its log,
 * settings and group offsets go too (a restart would otherwise make it
 * again).  Its queues are closed once nothing of ours is in flight.
 */
void mqd_topic_gone(struct mqd *mqd, const char *name)
{
	struct mqd_topic *t = mqd_topic_find(mqd, name);
	uint32_t i;

	if (!t || t->gone)
		return;
	t->gone = true;
	for (i = 0; i < t->nqueues; i++)
		t->queues[i].dead = true;
	mqd_info("topic %s: deleted", name);
}

/* Frees the topics that went, once their queues are idle. */
static void reap_topics(struct mqd *mqd)
{
	struct mqd_topic **tp = &mqd->topics, *t;
	uint32_t i;
	int ret;

	while ((t = *tp)) {
		bool idle = true;

		if (t->gone) {
			for (i = 0; i < t->nqueues; i++)
				idle &= mqd_queue_idle(&t->queues[i]);
		}
		if (!t->gone || !idle) {
			tp = &t->next;
			continue;
		}
		for (i = 0; i < t->nqueues; i++)
			mqd_queue_stop(mqd, &t->queues[i]);
		ret = mqd_store_topic_remove(mqd->cfg, t->cfg.name);
		if (ret)
			mqd_err("topic %s: removing its log: %s", t->cfg.name,
				strerror(-ret));
		*tp = t->next;
		free(t->queues);
		free(t);
	}
}

static int kernel_topic_cb(const struct mq_topic_config *cfg, void *arg)
{
	struct mqd *mqd = arg;

	if (!mqd_topic_find(mqd, cfg->name))
		mqd_topic_start(mqd, cfg);
	return 0;
}

/* Topics made or deleted while events were lost: the kernel's list wins. */
void mqd_resync(struct mqd *mqd)
{
	struct mq_topic_config cfg;
	struct mqd_topic *t;
	int ret;

	for (t = mqd->topics; t; t = t->next)
		if (!t->gone && mq_admin_topic_get(mqd->admin, t->cfg.name,
						   &cfg) == -ENOENT)
			mqd_topic_gone(mqd, t->cfg.name);
	ret = mq_admin_topic_list(mqd->admin, kernel_topic_cb, mqd);
	if (ret)
		mqd_err("listing topics: %s", strerror(-ret));
}

struct restore {
	struct mqd *mqd;
	const char *topic;
	unsigned int groups;
};

static int restore_group(uint32_t queue, const char *group, uint64_t committed,
			 void *arg)
{
	struct restore *r = arg;
	int ret;

	ret = mq_admin_group_set(r->mqd->admin, r->topic, queue, group,
				 MQ_GROUP_START_RESTORE, committed);
	if (ret)
		mqd_err("group %s on %s/%" PRIu32 ": restoring offset %" PRIu64 ": %s",
			group, r->topic, queue, committed, strerror(-ret));
	else
		r->groups++;
	return 0;
}

/* A topic mqd kept and the kernel lacks: made again where its logs end. */
static int restore_topic(const struct mq_topic_config *cfg, void *arg)
{
	struct mqd *mqd = arg;
	struct mq_topic_config now;
	struct restore r = { .mqd = mqd, .topic = cfg->name };
	struct mq_log_reader *lr;
	uint64_t *off;
	char dir[4096];
	uint32_t i;
	int ret;

	if (mq_admin_topic_get(mqd->admin, cfg->name, &now) != -ENOENT)
		return 0;
	off = calloc(cfg->queues, sizeof(*off));
	if (!off)
		return -ENOMEM;
	for (i = 0; i < cfg->queues; i++) {
		ret = mqd_store_queue_dir(mqd->cfg, cfg->name, i, dir, sizeof(dir));
		if (!ret)
			ret = mq_log_reader_open(&lr, dir);
		if (!ret) {
			ret = mq_log_reader_next_offset(lr, &off[i]);
			mq_log_reader_close(lr);
		}
		if (ret) {
			mqd_err("topic %s: queue %" PRIu32 "'s log: %s: not restored",
				cfg->name, i, strerror(-ret));
			free(off);
			return 0;
		}
	}
	ret = mq_admin_topic_add_at(mqd->admin, cfg, off, cfg->queues);
	free(off);
	if (ret) {
		mqd_err("topic %s: making it again: %s%s%s", cfg->name,
			strerror(-ret), mq_admin_error(mqd->admin) ? ": " : "",
			mq_admin_error(mqd->admin) ?: "");
		return 0;
	}
	mqd_store_group_walk(mqd->cfg, cfg->name, restore_group, &r);
	mqd_info("topic %s: restored, with %u group offsets", cfg->name,
		 r.groups);
	return 0;
}

/* Written whole or not at all: a reader never sees half a file. */
static int write_ready_file(const char *path)
{
	char tmp[4096], buf[32];
	int fd, n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, n) != n) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return rename(tmp, path) ? -errno : 0;
}

/* systemd's Type=notify: one datagram to $NOTIFY_SOCKET, if set. */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* an abstract socket */
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), 0, (struct sockaddr *)&sa, len);
	close(fd);
}

static void arm_signal(struct mqd *mqd, struct signalfd_siginfo *si)
{
	struct io_uring_sqe *sqe = mqd_sqe(mqd, &mqd->signal_op);

	if (sqe)
		io_uring_prep_read(sqe, mqd->sigfd, si, sizeof(*si), 0);
}

static void arm_events(struct mqd *mqd)
{
	struct io_uring_sqe *sqe;

	if (mqd->events_op.busy)
		return;
	sqe = mqd_sqe(mqd, &mqd->events_op);
	if (sqe)
		io_uring_prep_poll_add(sqe, mqd_events_fd(mqd), POLLIN);
}

static void arm_timer(struct mqd *mqd)
{
	struct io_uring_sqe *sqe = mqd_sqe(mqd, &mqd->timer_op);

	if (sqe)
		io_uring_prep_timeout(sqe, &mqd->tick, 0, 0);
}

static void tick(struct mqd *mqd)
{
	struct mqd_topic *t;
	uint32_t i;

	for (t = mqd->topics; t; t = t->next)
		for (i = 0; i < t->nqueues; i++)
			mqd_queue_tick(mqd, &t->queues[i]);
}

/* SIGTERM: no new work; what is in flight completes, then it is synced. */
static void stop(struct mqd *mqd)
{
	struct io_uring_sqe *sqe;
	struct mqd_topic *t;
	uint32_t i;

	mqd->stopping = true;
	for (t = mqd->topics; t; t = t->next) {
		for (i = 0; i < t->nqueues; i++) {
			struct mqd_queue *q = &t->queues[i];

			if (!q->poll_op.busy)
				continue;
			sqe = io_uring_get_sqe(&mqd->ring);
			if (sqe) {
				io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)&q->poll_op);
				io_uring_sqe_set_data(sqe, NULL);
			}
		}
	}
	if (mqd->events_op.busy && (sqe = io_uring_get_sqe(&mqd->ring))) {
		io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)&mqd->events_op);
		io_uring_sqe_set_data(sqe, NULL);
	}
}

static bool all_idle(struct mqd *mqd)
{
	struct mqd_topic *t;
	uint32_t i;

	for (t = mqd->topics; t; t = t->next)
		for (i = 0; i < t->nqueues; i++)
			if (!mqd_queue_idle(&t->queues[i]))
				return false;
	return true;
}

static int loop(struct mqd *mqd)
{
	struct signalfd_siginfo si;
	struct io_uring_cqe *cqe;
	struct mqd_op *op;
	int res, ret;

	arm_signal(mqd, &si);
	arm_events(mqd);
	arm_timer(mqd);
	while (!mqd->stopping || !all_idle(mqd)) {
		io_uring_submit(&mqd->ring);
		ret = io_uring_wait_cqe(&mqd->ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret)
			return ret;
		op = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&mqd->ring, cqe);
		if (!op)
			continue;	/* a poll removal's own completion */
		op->busy = false;
		mqd->inflight--;
		switch (op->kind) {
		case MQD_OP_SIGNAL:
			if (res == sizeof(si)) {
				mqd_info("signal %u: syncing and exiting", si.ssi_signo);
				stop(mqd);
			} else {
				arm_signal(mqd, &si);
			}
			break;
		case MQD_OP_EVENTS:
			if (!mqd->stopping) {
				mqd_events_read(mqd);
				arm_events(mqd);
			}
			break;
		case MQD_OP_TIMER:
			tick(mqd);
			reap_topics(mqd);
			if (!mqd->stopping)
				arm_timer(mqd);
			break;
		default:
			mqd_queue_complete(mqd, op, res);
			break;
		}
	}
	return 0;
}

static void finish(struct mqd *mqd)
{
	struct mqd_topic *t, *next;
	uint32_t i;

	for (t = mqd->topics; t; t = next) {
		next = t->next;
		for (i = 0; i < t->nqueues; i++) {
			if (!t->gone)
				mqd_queue_finish(&t->queues[i]);
			mqd_queue_stop(mqd, &t->queues[i]);
		}
		free(t->queues);
		free(t);
	}
	mqd->topics = NULL;
}

int mqd_run(const struct mqd_config *cfg)
{
	struct mqd mqd = {
		.cfg = cfg,
		.signal_op = { .kind = MQD_OP_SIGNAL },
		.events_op = { .kind = MQD_OP_EVENTS },
		.timer_op = { .kind = MQD_OP_TIMER },
		.tick = { .tv_nsec = TICK_MS * 1000000LL },
	};
	sigset_t mask;
	int ret;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* A reader of ours gone (the ready file's) must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	mqd.sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (mqd.sigfd < 0)
		return -errno;

	/* A crashed mqd's: nobody may take it for this one's readiness. */
	if (cfg->ready_file)
		unlink(cfg->ready_file);
	ret = mq_admin_open(&mqd.admin);
	if (ret) {
		/* The family is registered in the initial netns only. */
		if (ret == -ENOENT)
			mqd_err("no mq netlink family: the module is not loaded (modprobe mq), or this is not the initial network namespace");
		else
			mqd_err("the mq netlink family: %s", strerror(-ret));
		goto out_sig;
	}
	ret = io_uring_queue_init(RING_ENTRIES, &mqd.ring, 0);
	if (ret) {
		mqd_err("io_uring: %s", strerror(-ret));
		goto out_admin;
	}
	/* Before the first list, so that no topic made meanwhile is missed. */
	ret = mqd_events_open(&mqd);
	if (ret) {
		mqd_err("netlink events: %s", strerror(-ret));
		goto out_ring;
	}

	ret = mqd_store_topic_walk(cfg, restore_topic, &mqd);
	if (!ret)
		ret = mq_admin_topic_list(mqd.admin, kernel_topic_cb, &mqd);
	if (ret) {
		mqd_err("starting: %s", strerror(-ret));
		goto out_events;
	}
	if (cfg->ready_file) {
		ret = write_ready_file(cfg->ready_file);
		if (ret) {
			mqd_err("%s: %s", cfg->ready_file, strerror(-ret));
			goto out_events;
		}
	}
	notify("READY=1");
	mqd_info("ready: %s", cfg->data_dir);

	ret = loop(&mqd);
	notify("STOPPING=1");
	finish(&mqd);
	if (cfg->ready_file)
		unlink(cfg->ready_file);
out_events:
	mqd_events_close(&mqd);
out_ring:
	io_uring_queue_exit(&mqd.ring);
out_admin:
	mq_admin_close(mqd.admin);
out_sig:
	close(mqd.sigfd);
	return ret;
}
