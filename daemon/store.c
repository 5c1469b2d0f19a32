// SPDX-License-Identifier: GPL-2.0
/*
 * The data directory's layout, below its format marker (lib/log.h):
 *
 *	<data-dir>/topics/<topic>/topic.conf	the topic's settings
 *	<data-dir>/topics/<topic>/<queue>/	the queue's commit log
 *	<data-dir>/topics/<topic>/groups/<queue>/<group>
 *						the group's committed offset
 *
 * Small files are replaced whole, through a temporary file, fsync and
 * rename, so that a crash leaves the old one or the new one, never half
 * of either; the directory is synced after, so that the rename survives
 * a power loss too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

static int path_fmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* mkdir -p of @path's components below an existing @base. */
static int mkdirs(char *path, size_t base_len)
{
	char *p;

	for (p = path + base_len + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/* Replaces @dir/@name with @len bytes of @data, atomically and durably. */
static int replace_file(const char *dir, const char *name, const char *data,
			size_t len)
{
	char tmp[4096], path[4096];
	int fd, ret;

	ret = path_fmt(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	if (!ret)
		ret = path_fmt(path, sizeof(path), "%s/%s", dir, name);
	if (ret)
		return ret;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len || fdatasync(fd)) {
		ret = errno ? -errno : -EIO;
		close(fd);
		unlink(tmp);
		return ret;
	}
	close(fd);
	if (rename(tmp, path)) {
		ret = -errno;
		unlink(tmp);
		return ret;
	}
	return sync_dir(dir);
}

int mqd_store_queue_dir(const struct mqd_config *cfg, const char *topic,
			uint32_t queue, char *buf, size_t size)
{
	int ret = mq_log_queue_dir(buf, size, cfg->data_dir, topic, queue);

	return ret ? ret : mkdirs(buf, strlen(cfg->data_dir));
}

/* The keys of topic.conf, in the order written. */
#define TOPIC_KEYS(X)						\
	X("queues", queues, MQ_TOPIC_SET_QUEUES)		\
	X("ring-size", ring_size, MQ_TOPIC_SET_RING_SIZE)	\
	X("max-msg-size", max_msg_size, MQ_TOPIC_SET_MAX_MSG_SIZE) \
	X("mode", mode, MQ_TOPIC_SET_MODE)			\
	X("uid", uid, MQ_TOPIC_SET_UID)				\
	X("gid", gid, MQ_TOPIC_SET_GID)				\
	X("full-policy", full_policy, MQ_TOPIC_SET_FULL_POLICY)	\
	X("acks", acks, MQ_TOPIC_SET_ACKS)			\
	X("ack-timeout-ms", ack_timeout_ms, MQ_TOPIC_SET_ACK_TIMEOUT)

int mqd_store_topic_save(const struct mqd_config *cfg,
			 const struct mq_topic_config *t)
{
	char dir[4096], buf[1024];
	size_t n = 0;
	int ret;

	ret = path_fmt(dir, sizeof(dir), "%s/topics/%s", cfg->data_dir, t->name);
	if (!ret)
		ret = mkdirs(dir, strlen(cfg->data_dir));
	if (ret)
		return ret;
#define PUT(key, field, bit)						\
	n += snprintf(buf + n, sizeof(buf) - n, "%s = %" PRIu64 "\n", key, \
		      (uint64_t)t->field);
	TOPIC_KEYS(PUT)
#undef PUT
	return replace_file(dir, "topic.conf", buf, n);
}

static int topic_load(const char *path, const char *name,
		      struct mq_topic_config *t)
{
	char line[256], key[64];
	unsigned long long val;
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	memset(t, 0, sizeof(*t));
	if (strlen(name) >= sizeof(t->name)) {
		fclose(f);
		return -ENAMETOOLONG;
	}
	strcpy(t->name, name);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s = %llu", key, &val) != 2) {
			ret = -EINVAL;
			break;
		}
#define GET(k, field, bit)						\
		if (!strcmp(key, k)) {					\
			t->field = val;					\
			t->set |= bit;					\
			continue;					\
		}
		TOPIC_KEYS(GET)
#undef GET
		/* A key of a later mqd: its topic comes back without it. */
	}
	fclose(f);
	if (!ret && !(t->set & MQ_TOPIC_SET_QUEUES))
		ret = -EINVAL;
	return ret;
}

int mqd_store_topic_walk(const struct mqd_config *cfg, mqd_store_topic_cb cb,
			 void *arg)
{
	struct mq_topic_config t;
	char dir[4096], path[4096];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	ret = path_fmt(dir, sizeof(dir), "%s/topics", cfg->data_dir);
	if (ret)
		return ret;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (path_fmt(path, sizeof(path), "%s/%s/topic.conf", dir,
			     de->d_name))
			continue;
		ret = topic_load(path, de->d_name, &t);
		if (ret) {
			mqd_warn("%s: %s: the topic is not restored", path,
				 strerror(-ret));
			ret = 0;
			continue;
		}
		ret = cb(&t, arg);
		if (ret)
			break;
	}
	closedir(d);
	return ret;
}

int mqd_store_group_save(const struct mqd_config *cfg, const char *topic,
			 uint32_t queue, const char *group, uint64_t committed)
{
	char dir[4096], buf[64];
	int n, ret;

	ret = path_fmt(dir, sizeof(dir), "%s/topics/%s/groups/%" PRIu32,
		       cfg->data_dir, topic, queue);
	if (!ret)
		ret = mkdirs(dir, strlen(cfg->data_dir));
	if (ret)
		return ret;
	n = snprintf(buf, sizeof(buf), "committed = %" PRIu64 "\n", committed);
	return replace_file(dir, group, buf, n);
}

int mqd_store_group_del(const struct mqd_config *cfg, const char *topic,
			uint32_t queue, const char *group)
{
	char path[4096];
	int ret;

	ret = path_fmt(path, sizeof(path), "%s/topics/%s/groups/%" PRIu32 "/%s",
		       cfg->data_dir, topic, queue, group);
	if (ret)
		return ret;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

int mqd_store_group_walk(const struct mqd_config *cfg, const char *topic,
			 mqd_store_group_cb cb, void *arg)
{
	char dir[4096], sub[4096], path[4096];
	struct dirent *qd, *gd;
	unsigned long long committed;
	unsigned long queue;
	DIR *d, *g;
	FILE *f;
	char *end;
	int ret = 0, ok;

	ret = path_fmt(dir, sizeof(dir), "%s/topics/%s/groups", cfg->data_dir,
		       topic);
	if (ret)
		return ret;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (qd = readdir(d))) {
		queue = strtoul(qd->d_name, &end, 10);
		if (qd->d_name[0] == '.' || *end || queue >= MQ_QUEUES_MAX)
			continue;
		if (path_fmt(sub, sizeof(sub), "%s/%s", dir, qd->d_name))
			continue;
		g = opendir(sub);
		if (!g)
			continue;
		while (!ret && (gd = readdir(g))) {
			if (gd->d_name[0] == '.' ||
			    path_fmt(path, sizeof(path), "%s/%s", sub, gd->d_name))
				continue;
			f = fopen(path, "re");
			if (!f)
				continue;
			ok = fscanf(f, "committed = %llu", &committed) == 1;
			fclose(f);
			if (!ok) {
				mqd_warn("%s: not a committed offset: ignored", path);
				continue;
			}
			ret = cb(queue, gd->d_name, committed, arg);
		}
		closedir(g);
	}
	closedir(d);
	return ret;
}

/* rm -r of @path, which mqd made: directories and plain files only. */
static int remove_tree(const char *path)
{
	char sub[4096];
	struct dirent *de;
	DIR *d = opendir(path);
	int ret = 0;

	if (!d)
		return errno == ENOTDIR ? (unlink(path) ? -errno : 0) :
		       errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (path_fmt(sub, sizeof(sub), "%s/%s", path, de->d_name))
			continue;
		ret = remove_tree(sub);
		if (ret)
			break;
	}
	closedir(d);
	if (!ret && rmdir(path))
		ret = -errno;
	return ret;
}

int mqd_store_topic_remove(const struct mqd_config *cfg, const char *topic)
{
	char dir[4096], parent[4096];
	int ret;

	ret = path_fmt(dir, sizeof(dir), "%s/topics/%s", cfg->data_dir, topic);
	if (!ret)
		ret = path_fmt(parent, sizeof(parent), "%s/topics", cfg->data_dir);
	if (ret)
		return ret;
	ret = remove_tree(dir);
	return ret ? ret : sync_dir(parent);
}
