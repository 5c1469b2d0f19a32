// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mq with mqd persisting it: a topic per test, made with the acks
 * it measures, which mqd picks up as it does any new topic; one or many
 * producer threads, each with a write-only file of its own (a topic with
 * acks does not serialize those: abi.rst), writing one message a call.
 *
 * A test's time runs from the producers' start to the moment the queue's
 * durable offset reaches its next offset: for acks 1 that is when the
 * last write returns; for acks 0, whose writes return once in the ring,
 * it is when mqd has written the last record to the log, so that every
 * row counts the same work, ring to log.  With flush async the records
 * are then in the page cache; with flush sync an fdatasync covered them.
 *
 * mqd runs as a child with a data directory and a configuration of its
 * own, written per round: a [topic NAME] section with flush = sync for
 * each sync test's topic, flush async (mqd's default) for the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mq.h>
#include "libmq.h"
#include "mqdb.h"

#define RING_SIZE	(16U << 20)
#define WAIT_S		30.0	/* for mqd to start, attach, persist, stop */

static pid_t mqd_pid;
static char mqd_err_path[4096];

static const char *const flush_names[] = {
	[MQDB_ACKS0] = "acks0",
	[MQDB_ASYNC] = "async",
	[MQDB_SYNC] = "sync",
};

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void mqdb_acks_topic(char *buf, size_t len, unsigned int round,
		     enum mqdb_flush f, unsigned int producers, size_t size)
{
	char what[64];

	snprintf(what, sizeof(what), "r%u.%s.p%u.%zu", round, flush_names[f],
		 producers, size);
	mqdb_topic_name(buf, len, what);
}

/* The round's configuration: flush = sync for the sync tests' topics. */
static int write_config(const struct mqdb_opts *o, unsigned int round,
			const char *path)
{
	unsigned int s, p, counts[2] = { 1, o->producers };
	char name[MQ_NAME_MAX];
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "# mqd-bench round %u\n", round);
	for (s = 0; s < MQDB_SIZES; s++) {
		for (p = 0; p < 2; p++) {
			mqdb_acks_topic(name, sizeof(name), round, MQDB_SYNC,
					counts[p], mqdb_sizes[s]);
			fprintf(f, "[topic %s]\nflush = sync\n", name);
		}
	}
	if (fclose(f))
		return -errno;
	return 0;
}

/* The last line mqd wrote to its stderr, for a failure's message. */
static const char *mqd_said(void)
{
	static char line[200];
	char buf[200];
	FILE *f = fopen(mqd_err_path, "r");

	line[0] = 0;
	if (!f)
		return line;
	while (fgets(buf, sizeof(buf), f))
		snprintf(line, sizeof(line), "%s", buf);
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	return line;
}

int mqdb_mqd_start(const struct mqdb_opts *o, unsigned int round,
		   char *why, size_t why_len)
{
	char conf[4096], data[4096], ready[4096];
	double end;
	int ret, fd, status;

	snprintf(conf, sizeof(conf), "%s/mqd.r%u.conf", o->dir, round);
	snprintf(data, sizeof(data), "%s/mqd-data", o->dir);
	snprintf(ready, sizeof(ready), "%s/mqd.ready", o->dir);
	snprintf(mqd_err_path, sizeof(mqd_err_path), "%s/mqd.err", o->dir);
	ret = write_config(o, round, conf);
	if (ret) {
		snprintf(why, why_len, "writing %s: %s", conf, strerror(-ret));
		return ret;
	}
	unlink(ready);
	mqd_pid = fork();
	if (mqd_pid < 0) {
		ret = -errno;
		snprintf(why, why_len, "fork: %s", strerror(errno));
		return ret;
	}
	if (!mqd_pid) {
		fd = open(mqd_err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execl(o->mqd, o->mqd, "-c", conf, "-d", data, "--ready-file",
		      ready, "--log-level", "warn", (char *)NULL);
		fprintf(stderr, "mqd-bench: cannot run %s: %s\n", o->mqd,
			strerror(errno));
		_exit(127);
	}
	for (end = mqdb_now() + WAIT_S; mqdb_now() < end; nap_ms(10)) {
		if (!access(ready, F_OK))
			return 0;
		if (waitpid(mqd_pid, &status, WNOHANG) == mqd_pid) {
			mqd_pid = 0;
			snprintf(why, why_len, "mqd exited (status %d) before it was ready: %s",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				 mqd_said());
			return -ECHILD;
		}
	}
	snprintf(why, why_len, "mqd not ready within %.0f s: %s", WAIT_S,
		 mqd_said());
	mqdb_mqd_stop(NULL, 0);
	return -ETIMEDOUT;
}

/* SIGTERM, and mqd's exit status 0: everything synced and reported. */
int mqdb_mqd_stop(char *why, size_t why_len)
{
	double end = mqdb_now() + WAIT_S;
	int status;
	pid_t r;

	if (!mqd_pid)
		return 0;
	kill(mqd_pid, SIGTERM);
	while ((r = waitpid(mqd_pid, &status, WNOHANG)) == 0 &&
	       mqdb_now() < end)
		nap_ms(10);
	if (r != mqd_pid) {
		kill(mqd_pid, SIGKILL);
		waitpid(mqd_pid, &status, 0);
		status = -1;
	}
	mqd_pid = 0;
	if (status == 0)
		return 0;
	if (why)
		snprintf(why, why_len, "mqd did not stop cleanly (status 0x%x): %s",
			 status, mqd_said());
	return -EIO;
}

struct stats_arg {
	struct mq_queue_stats st;
	bool found;
};

static int stats_cb(const struct mq_queue_stats *st, void *arg)
{
	struct stats_arg *a = arg;

	if (st->queue == 0) {
		a->st = *st;
		a->found = true;
	}
	return 0;
}

static int queue0(struct mq_admin *admin, const char *topic,
		  struct mq_queue_stats *st)
{
	struct stats_arg a = { .found = false };
	int ret = mq_admin_queue_list(admin, topic, stats_cb, &a);

	if (ret)
		return ret;
	if (!a.found)
		return -ENOENT;
	*st = a.st;
	return 0;
}

struct producers {
	char path[96];
	size_t size;
	atomic_bool stop;
	atomic_llong left;	/* messages the byte limit still allows */
	pthread_rwlock_t go;	/* write-locked until every producer is there */
};

struct producer {
	pthread_t thread;
	struct producers *all;
	uint64_t sent;
	int err;		/* -errno */
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct producers *all = p->all;
	void *buf = malloc(all->size);
	int fd = open(all->path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		p->err = -errno;
	else if (!buf)
		p->err = -ENOMEM;
	else
		memset(buf, 'm', all->size);
	pthread_rwlock_rdlock(&all->go);
	pthread_rwlock_unlock(&all->go);
	while (!p->err &&
	       !atomic_load_explicit(&all->stop, memory_order_relaxed) &&
	       atomic_fetch_sub(&all->left, 1) > 0) {
		n = write(fd, buf, all->size);
		if (n < 0)
			p->err = -errno;
		else if ((size_t)n != all->size)
			p->err = -EIO;
		else
			p->sent++;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static int make_topic(struct mq_admin *admin, const char *name,
		      enum mqdb_flush f, struct mqdb_result *res)
{
	struct mq_topic_config cfg = { 0 };
	const char *ack;
	int ret;

	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	cfg.set = MQ_TOPIC_SET_QUEUES | MQ_TOPIC_SET_RING_SIZE |
		  MQ_TOPIC_SET_MAX_MSG_SIZE | MQ_TOPIC_SET_MODE |
		  MQ_TOPIC_SET_FULL_POLICY | MQ_TOPIC_SET_ACKS;
	cfg.queues = 1;
	cfg.ring_size = RING_SIZE;
	cfg.max_msg_size = mqdb_sizes[MQDB_SIZES - 1];
	cfg.mode = 0600;
	/*
	 * No reader but mqd holds the ring; mqd, the persister, holds what
	 * it has not reported, whatever the policy: nothing is lost.
	 */
	cfg.full_policy = MQ_FULL_DROP;
	cfg.acks = f == MQDB_ACKS0 ? MQ_ACKS_NONE : MQ_ACKS_LEADER;
	ret = mq_admin_topic_add(admin, &cfg);
	if (ret) {
		ack = mq_admin_error(admin);
		mqdb_fail(res, ret, "cannot create topic %s: %s%s%s", name,
			  strerror(-ret), ack ? ": " : "", ack ? ack : "");
	}
	return ret;
}

/* Until mqd persists the queue and its node @path is there. */
static int wait_persister(struct mq_admin *admin, const char *name,
			  const char *path, struct mqdb_result *res)
{
	struct mq_queue_stats st;
	double end = mqdb_now() + WAIT_S;
	int ret;

	do {
		ret = queue0(admin, name, &st);
		if (!ret && st.persister && !access(path, F_OK))
			return 0;
		nap_ms(5);
	} while (mqdb_now() < end);
	mqdb_fail(res, -ETIMEDOUT, "mqd did not attach to %s within %.0f s: %s",
		  name, WAIT_S, mqd_said());
	return res->err;
}

/* Until the durable offset reaches the next: @res->msgs in the log. */
static int wait_durable(struct mq_admin *admin, const char *name,
			struct mqdb_result *res)
{
	struct mq_queue_stats st;
	double end = mqdb_now() + WAIT_S;
	int ret;

	for (;;) {
		ret = queue0(admin, name, &st);
		if (ret) {
			mqdb_fail(res, ret, "%s: queue stats: %s", name,
				  strerror(-ret));
			return ret;
		}
		if (st.durable_offset == st.next_offset)
			break;
		if (mqdb_now() >= end) {
			mqdb_fail(res, -ETIMEDOUT,
				  "%s: durable offset %llu, next %llu after %.0f s: %s",
				  name, (unsigned long long)st.durable_offset,
				  (unsigned long long)st.next_offset, WAIT_S,
				  mqd_said());
			return res->err;
		}
		nap_ms(1);
	}
	if (st.next_offset != res->msgs) {
		mqdb_fail(res, -EPROTO, "%s: the queue took %llu messages, the producers sent %llu",
			  name, (unsigned long long)st.next_offset,
			  (unsigned long long)res->msgs);
		return res->err;
	}
	return 0;
}

void mqdb_acks_run(const struct mqdb_opts *o, unsigned int round,
		   enum mqdb_flush f, unsigned int producers, size_t size,
		   struct mqdb_result *res)
{
	struct producers all = { .size = size };
	struct producer *p = NULL;
	struct mq_admin *admin = NULL;
	char name[MQ_NAME_MAX];
	unsigned int i, started = 0;
	double t0, end;
	int ret;

	memset(res, 0, sizeof(*res));
	mqdb_acks_topic(name, sizeof(name), round, f, producers, size);
	snprintf(all.path, sizeof(all.path), "/dev/mq/%s/0", name);
	ret = mq_admin_open(&admin);
	if (ret) {
		mqdb_fail(res, ret, "libmq: the \"mq\" netlink family: %s",
			  strerror(-ret));
		return;
	}
	if (make_topic(admin, name, f, res))
		goto out;
	if (wait_persister(admin, name, all.path, res))
		goto del;

	p = calloc(producers, sizeof(*p));
	if (!p || pthread_rwlock_init(&all.go, NULL)) {
		mqdb_fail(res, -ENOMEM, "no memory for %u producers",
			  producers);
		goto del;
	}
	pthread_rwlock_wrlock(&all.go);
	atomic_init(&all.stop, false);
	atomic_init(&all.left, (long long)(o->max_bytes / size));
	for (i = 0; i < producers; i++) {
		p[i].all = &all;
		if (pthread_create(&p[i].thread, NULL, produce, &p[i]))
			break;
		started++;
	}
	if (started < producers) {
		mqdb_fail(res, -EAGAIN, "could start %u of %u producer threads",
			  started, producers);
		atomic_store(&all.stop, true);
	}
	t0 = mqdb_now();
	pthread_rwlock_unlock(&all.go);
	end = t0 + o->duration;
	while (mqdb_now() < end && atomic_load(&all.left) > 0 &&
	       !atomic_load(&all.stop))
		nap_ms(5);
	atomic_store(&all.stop, true);
	for (i = 0; i < started; i++) {
		pthread_join(p[i].thread, NULL);
		res->msgs += p[i].sent;
		if (p[i].err && !res->err)
			mqdb_fail(res, p[i].err, "producer %u: write to %s: %s",
				  i, all.path, strerror(-p[i].err));
	}
	pthread_rwlock_destroy(&all.go);
	if (!res->err && !wait_durable(admin, name, res)) {
		res->seconds = mqdb_now() - t0;
		res->bytes = res->msgs * size;
	}
del:
	/* mqd deletes the topic's folder, log included. */
	mq_admin_topic_del(admin, name);
out:
	free(p);
	mq_admin_close(admin);
}
