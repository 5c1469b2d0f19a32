// SPDX-License-Identifier: GPL-2.0
/*
 * Taking the data directory: its format marker (lib/log.h), then the lock
 * that keeps a second mqd out of it.  Two daemons appending to one commit
 * log would interleave records and both report offsets to the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/* The pid the lock file names, for the message; 0 when it names none. */
static long lock_owner(int fd)
{
	char buf[32];
	ssize_t n;
	char *end;
	long pid;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return end != buf && (*end == '\n' || !*end) && pid > 0 ? pid : 0;
}

int mqd_datadir_take(const char *dir, int *lockfd, char *err, size_t errlen)
{
	char path[4096], pid[32];
	long owner;
	int fd, ret, n;

	/*
	 * The marker first: a new, empty directory is stamped only while
	 * it is empty, and the lock file would make it not so.
	 */
	ret = mq_log_datadir_check(dir, true, err, errlen);
	if (ret)
		return ret;
	if (snprintf(path, sizeof(path), "%s/lock", dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "%s: the path is too long", dir);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	/*
	 * flock(), not a pid file alone: the kernel drops the lock when its
	 * holder dies however it dies, so a stale file never keeps mqd
	 * from starting after a crash.
	 */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = -errno;
		if (ret == -EWOULDBLOCK) {
			owner = lock_owner(fd);
			if (owner)
				snprintf(err, errlen, "another mqd is running on %s (pid %ld)",
					 dir, owner);
			else
				snprintf(err, errlen, "another mqd is running on %s", dir);
		} else {
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(-ret));
		}
		goto err;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	errno = 0;
	if (ftruncate(fd, 0) || pwrite(fd, pid, n, 0) != n) {
		ret = errno ? -errno : -EIO;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
		goto err;
	}
	*lockfd = fd;
	return 0;
err:
	close(fd);
	return ret;
}
