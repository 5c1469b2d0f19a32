// SPDX-License-Identifier: GPL-2.0
/*
 * mq_io: what a shell test cannot do on a queue with redirections, one
 * step per argument, on one open file, in order:
 *
 *   mq_io DEV STEP...
 *
 *   write:N      append one message of N bytes, in one write(2)
 *   read         read(2) up to 1 MiB: one message, or in record mode
 *                records; prints "read OFFSET BYTES", OFFSET the one the
 *                position says it got (in record mode the last)
 *   rewrite      write(2) back what the last read returned, in one call:
 *                in record mode, its records as one batch
 *   seek:N       lseek(2) to offset N
 *   mode:record, mode:message
 *                MQ_IOC_SET_MODE
 *   join:GROUP   join consumer group GROUP (new groups start at the
 *                oldest retained offset)
 *   commit:N     MQ_IOC_COMMIT: done with what this file got below N
 *
 * DEV is opened read-only when no step writes, write-only when every step
 * writes (so it holds no reader's cursor), else read-write.  Reads block.
 * Exits 0 when every step succeeded, 1 at the first that failed (saying
 * which on stderr), 2 on a bad command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/mq.h>

/* Messages up to 1 MiB: far over the default maximum size. */
static char buf[1 << 20];
static size_t got;		/* what the last read returned */

static int usage(void)
{
	fprintf(stderr, "usage: mq_io DEV STEP...\n"
		"  STEP: write:N, read, rewrite, seek:N, mode:record,\n"
		"        mode:message, join:GROUP or commit:N\n");
	return 2;
}

/* The number after "name:" in step, into *n; 0, or -1 if it is not one. */
static int step_num(const char *step, const char *name, unsigned long long *n)
{
	size_t len = strlen(name);
	char *end;

	if (strncmp(step, name, len) || step[len] != ':' || !step[len + 1])
		return -1;
	errno = 0;
	*n = strtoull(step + len + 1, &end, 10);
	return errno || *end ? -1 : 0;
}

/* Whether step is one of the above, checked before anything is done. */
static int step_valid(const char *step)
{
	unsigned long long n;

	if (!step_num(step, "write", &n))
		return n <= sizeof(buf);
	if (!step_num(step, "seek", &n))
		return n <= LLONG_MAX;
	if (!strncmp(step, "join:", 5))
		return step[5] && strlen(step + 5) < MQ_NAME_MAX;
	return !strcmp(step, "read") || !strcmp(step, "rewrite") ||
	       !strcmp(step, "mode:record") || !strcmp(step, "mode:message") ||
	       !step_num(step, "commit", &n);
}

static int step_writes(const char *step)
{
	return !strncmp(step, "write:", 6) || !strcmp(step, "rewrite");
}

/* Does a valid step: 0 or -errno. */
static int do_step(int fd, const char *step)
{
	unsigned long long n;
	ssize_t ret;
	off_t pos;

	if (!step_num(step, "write", &n)) {
		for (size_t i = 0; i < n; i++)
			buf[i] = 'a' + i % 26;
		ret = write(fd, buf, n);
		if (ret < 0)
			return -errno;
		return ret == (ssize_t)n ? 0 : -EIO;
	}
	if (!strcmp(step, "read")) {
		ret = read(fd, buf, sizeof(buf));
		if (ret < 0)
			return -errno;
		got = ret;
		/* A read leaves the position one past the offset it got. */
		pos = lseek(fd, 0, SEEK_CUR);
		if (pos < 1)
			return pos < 0 ? -errno : -EIO;
		printf("read %lld %zd\n", (long long)pos - 1, ret);
		return 0;
	}
	if (!strcmp(step, "rewrite")) {
		ret = write(fd, buf, got);
		if (ret < 0)
			return -errno;
		return ret == (ssize_t)got ? 0 : -EIO;
	}
	if (!strncmp(step, "mode:", 5)) {
		__u32 mode = strcmp(step, "mode:record") ? MQ_MODE_MESSAGE :
							   MQ_MODE_RECORD;

		return ioctl(fd, MQ_IOC_SET_MODE, &mode) ? -errno : 0;
	}
	if (!step_num(step, "seek", &n))
		return lseek(fd, n, SEEK_SET) < 0 ? -errno : 0;
	if (!strncmp(step, "join:", 5)) {
		struct mq_group_join j = {
			.size = sizeof(j),
			.start = MQ_GROUP_START_EARLIEST,
		};

		strcpy(j.name, step + 5);
		return ioctl(fd, MQ_IOC_GROUP_JOIN, &j) ? -errno : 0;
	}
	if (!step_num(step, "commit", &n)) {
		struct mq_commit c = { .size = sizeof(c), .offset = n };

		return ioctl(fd, MQ_IOC_COMMIT, &c) ? -errno : 0;
	}
	return -EINVAL;		/* step_valid() let nothing else through */
}

int main(int argc, char **argv)
{
	int flags, i, fd, ret, nwrites = 0;

	if (argc < 3)
		return usage();
	for (i = 2; i < argc; i++) {
		if (!step_valid(argv[i]))
			return usage();
		nwrites += step_writes(argv[i]);
	}
	flags = !nwrites ? O_RDONLY : nwrites == argc - 2 ? O_WRONLY : O_RDWR;
	fd = open(argv[1], flags);
	if (fd < 0) {
		fprintf(stderr, "mq_io: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (i = 2; i < argc; i++) {
		ret = do_step(fd, argv[i]);
		/* The test reads what a step printed as soon as it returns. */
		fflush(stdout);
		if (ret) {
			fprintf(stderr, "mq_io: %s: %s: %s\n", argv[1], argv[i],
				strerror(-ret));
			return 1;
		}
	}
	close(fd);
	return 0;
}
