/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mqd_util.h: an mqd of the test's own for the C selftests that need the
 * daemon (mqd_load_test, mqd_retention_test): started on a data directory
 * under a mktemp -d folder with a configuration file the test writes,
 * waited for through its ready file, stopped with SIGTERM, its standard
 * error kept in a file for the test to read and to print on failure.
 *
 * Like mq_util.h, every function returns 0 (or a count) or a negative
 * errno and never asserts.
 */
#ifndef MQD_UTIL_H
#define MQD_UTIL_H

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mq_util.h"

struct mqdt {
	char tmp[64];		/* the test's folder, made by mqdt_start() */
	char data[96];		/* <tmp>/data: mqd's data directory */
	char conf[96];		/* <tmp>/mqd.conf */
	char ready[96];		/* <tmp>/ready */
	char err[96];		/* <tmp>/mqd.err: mqd's standard error */
	pid_t pid;		/* the mqd running, or 0 */
};

/* daemon/mqd beside this program's folder (selftests/../daemon/mqd). */
static inline int mqdt_binary(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	if ((size_t)snprintf(buf, size, "%s/../daemon/mqd", dirname(self)) >= size)
		return -ENAMETOOLONG;
	return access(buf, X_OK) ? -errno : 0;
}

/*
 * Makes the folder and writes @conf (mqd.conf's text) there, once;
 * then, each call, starts mqd on <tmp>/data and waits up to MQT_WAIT_MS
 * for its ready file.  -ECHILD when mqd exits first, -ETIMEDOUT when it
 * is not ready in time (it is then still running: mqdt_cleanup() ends
 * it); either way <tmp>/mqd.err says why.
 */
static inline int mqdt_start(struct mqdt *d, const char *conf)
{
	char mqd[PATH_MAX];
	long long end;
	FILE *f;
	int ret, fd;

	ret = mqdt_binary(mqd, sizeof(mqd));
	if (ret)
		return ret;
	if (!d->tmp[0]) {
		strcpy(d->tmp, "/tmp/mqd_c_test.XXXXXX");
		if (!mkdtemp(d->tmp)) {
			d->tmp[0] = '\0';
			return -errno;
		}
		snprintf(d->data, sizeof(d->data), "%s/data", d->tmp);
		snprintf(d->conf, sizeof(d->conf), "%s/mqd.conf", d->tmp);
		snprintf(d->ready, sizeof(d->ready), "%s/ready", d->tmp);
		snprintf(d->err, sizeof(d->err), "%s/mqd.err", d->tmp);
		f = fopen(d->conf, "w");
		if (!f)
			return -errno;
		fputs(conf, f);
		if (fclose(f))
			return -errno;
	}
	unlink(d->ready);
	d->pid = fork();
	if (d->pid < 0) {
		d->pid = 0;
		return -errno;
	}
	if (!d->pid) {
		fd = open(d->err, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execl(mqd, "mqd", "-c", d->conf, "-d", d->data,
		      "--ready-file", d->ready, (char *)NULL);
		_exit(127);
	}
	end = mqt_now_ms() + MQT_WAIT_MS;
	while (access(d->ready, F_OK)) {
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			d->pid = 0;
			return -ECHILD;
		}
		if (mqt_now_ms() > end)
			return -ETIMEDOUT;
		mqt_sleep_ms(20);
	}
	return 0;
}

/* SIGTERM, and mqd's exit status (0 for a clean stop), or -errno. */
static inline int mqdt_stop(struct mqdt *d)
{
	int status;

	if (!d->pid)
		return -ESRCH;
	kill(d->pid, SIGTERM);
	if (waitpid(d->pid, &status, 0) != d->pid)
		return -errno;
	d->pid = 0;
	if (!WIFEXITED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* mqd's standard error, each line as a diagnostic. */
static inline void mqdt_err_print(const struct mqdt *d)
{
	char buf[1024];
	FILE *f;

	f = fopen(d->err, "r");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f))
		fprintf(stderr, "#   %s", buf);
	fclose(f);
}

/* <data>/topics/<topic>/<queue>: a queue's commit log. */
static inline void mqdt_queue_dir(const struct mqdt *d, char *buf, size_t size,
				  const char *topic, uint32_t queue)
{
	snprintf(buf, size, "%s/topics/%s/%u", d->data, topic, queue);
}

static inline int mqdt_rm_one(const char *path, const struct stat *st,
			      int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Ends mqd if it runs (SIGKILL: a failed test), removes the folder. */
static inline void mqdt_cleanup(struct mqdt *d)
{
	if (d->pid) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
	if (d->tmp[0])
		nftw(d->tmp, mqdt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	d->tmp[0] = '\0';
}

#endif /* MQD_UTIL_H */
