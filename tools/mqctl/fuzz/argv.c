// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: mqctl's command-line parsers.
 *
 * The input's first byte picks the object (its value modulo the number of
 * objects) and -j (bit 7); the rest is the object's arguments, separated
 * by NUL bytes.  The object's main runs exactly as mqctl's would, but
 * this file stands in for mqctl.c: the first call that would reach the
 * kernel (admin_open(), topic_config()) returns EXIT_KERNEL instead, so
 * only parsing runs, with no netlink and no device node.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "subcommands.h"

#define MAX_ARGS 64

const char *PROG_NAME = "mqctl";

static const struct {
	const char *name;
	int (*main)(int argc, char *argv[], struct options *opts);
} objects[] = {
	{ "topic", topic_main },
	{ "queue", queue_main },
	{ "group", group_main },
	{ "produce", produce_main },
	{ "consume", consume_main },
};

/* Formats every message, so that a bad format argument shows. */
static void format(const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format(fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int kernel_error(const struct mq_admin *admin, int err, const char *fmt, ...)
{
	va_list ap;

	(void)admin;
	(void)err;
	va_start(ap, fmt);
	format(fmt, ap);
	va_end(ap);
	return EXIT_KERNEL;
}

int queue_error(int err, const char *why, const char *fmt, ...)
{
	va_list ap;

	(void)err;
	(void)why;
	va_start(ap, fmt);
	format(fmt, ap);
	va_end(ap);
	return EXIT_KERNEL;
}

int admin_open(struct mq_admin **adminp)
{
	*adminp = NULL;
	return EXIT_KERNEL;
}

int topic_config(const char *topic, const char *what,
		 struct mq_topic_config *cfg)
{
	(void)what;
	memset(cfg, 0, sizeof(*cfg));
	if (strlen(topic) >= MQ_NAME_MAX)
		return EXIT_USAGE;
	return EXIT_KERNEL;
}

/* Only ever called after topic_config() succeeded, which it never does here. */
int queue_check(const char *topic, const char *what, uint64_t queue,
		const struct mq_topic_config *cfg)
{
	(void)topic;
	(void)what;
	(void)queue;
	(void)cfg;
	abort();
}

/* "help" prints to standard output: keep it out of the fuzzer's log. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		abort();
	close(fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[MAX_ARGS + 2], *buf, *p, *end;
	struct options opts = { 0 };
	unsigned int obj;
	int argc = 0, ret;

	if (!size)
		return 0;
	obj = data[0] & 0x7f;
	opts.json = data[0] & 0x80;
	obj %= sizeof(objects) / sizeof(objects[0]);

	/* The arguments, each NUL-terminated, the last one too. */
	buf = malloc(size);
	if (!buf)
		abort();
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	end = buf + size - 1;

	args[argc++] = (char *)objects[obj].name;
	for (p = buf; p < end && argc <= MAX_ARGS; p += strlen(p) + 1)
		args[argc++] = p;
	args[argc] = NULL;

	ret = objects[obj].main(argc, args, &opts);
	if (ret != 0 && ret != EXIT_USAGE && ret != EXIT_KERNEL)
		abort();	/* parsing alone can end in nothing else */
	free(buf);
	return 0;
}
