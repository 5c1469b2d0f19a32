// SPDX-License-Identifier: GPL-2.0
/*
 * mqctl: administer mq over its generic netlink family, and produce and
 * consume messages through the queues' device nodes.
 *
 *   mqctl [-j] OBJECT [COMMAND [ARGS...]]
 *   mqctl [-j] produce|consume TOPIC [ARGS...]
 *
 * Built like wg(8): one table of objects, one file per object.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "subcommands.h"

const char *PROG_NAME;

static const struct {
	const char *name;
	int (*main)(int argc, char *argv[], struct options *opts);
	const char *description;
} subcommands[] = {
	{ "topic", topic_main, "Add, delete, show and describe topics" },
	{ "queue", queue_main, "Show the queues of topics and their counters" },
	{ "group", group_main, "List, describe, reset and delete consumer groups" },
	{ "produce", produce_main, "Write messages from standard input to a topic" },
	{ "consume", consume_main, "Print a topic's messages, alone or in a group" },
};

static void show_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-j] OBJECT [COMMAND [ARGS...]]\n", PROG_NAME);
	fprintf(f, "       %s [-j] produce|consume TOPIC [ARGS...]\n", PROG_NAME);
	fprintf(f, "       %s help\n\n", PROG_NAME);
	fprintf(f, "Options:\n");
	fprintf(f, "  -j, --json  show, list and describe print JSON, and consume too\n\n");
	fprintf(f, "Objects:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].description);
	fprintf(f, "\nTry \"%s OBJECT help\" for an object's commands and keywords.\n",
		PROG_NAME);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

int kernel_error(const struct mq_admin *admin, int err, const char *fmt, ...)
{
	const char *extack = admin ? mq_admin_error(admin) : NULL;
	va_list ap;

	fprintf(stderr, "%s: ", PROG_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s", strerror(-err));
	if (extack)
		fprintf(stderr, ": %s", extack);
	fputc('\n', stderr);
	return EXIT_KERNEL;
}

int admin_open(struct mq_admin **adminp)
{
	int ret = mq_admin_open(adminp);

	if (ret == -ENOENT) {
		fprintf(stderr, "%s: cannot find the generic netlink family \"%s\": %s (is mq.ko loaded?)\n",
			PROG_NAME, MQ_GENL_NAME, strerror(-ret));
		return EXIT_KERNEL;
	}
	if (ret)
		return kernel_error(NULL, ret, "cannot open a netlink socket");
	return 0;
}

int queue_error(int err, const char *why, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s", strerror(-err));
	if (why)
		fprintf(stderr, ": %s", why);
	fputc('\n', stderr);
	return EXIT_KERNEL;
}

int topic_config(const char *topic, const char *what,
		 struct mq_topic_config *cfg)
{
	struct mq_admin *admin;
	int ret;

	if (strlen(topic) >= MQ_NAME_MAX)
		return usage_error("invalid topic name \"%s\": longer than %d bytes",
				   topic, MQ_NAME_MAX - 1);
	ret = admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_topic_get(admin, topic, cfg);
	if (ret)
		ret = kernel_error(admin, ret, "cannot %s topic %s", what, topic);
	mq_admin_close(admin);
	return ret;
}

int queue_check(const char *topic, const char *what, uint64_t queue,
		const struct mq_topic_config *cfg)
{
	char why[64];

	if (queue < cfg->queues)
		return 0;
	snprintf(why, sizeof(why), "the topic has %" PRIu32 " queue%s",
		 cfg->queues, cfg->queues == 1 ? "" : "s");
	return queue_error(-ENOENT, why, "cannot %s queue %s/%" PRIu64, what,
			   topic, queue);
}

int main(int argc, char *argv[])
{
	struct options opts = { 0 };
	size_t i;

	PROG_NAME = argv[0];
	if (strrchr(PROG_NAME, '/'))
		PROG_NAME = strrchr(PROG_NAME, '/') + 1;

	for (argc--, argv++; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[0], "-j") || !strcmp(argv[0], "--json")) {
			opts.json = true;
		} else if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
			show_usage(stdout);
			return 0;
		} else {
			return usage_error("unknown option \"%s\", try \"%s help\"",
					   argv[0], PROG_NAME);
		}
	}
	if (argc == 0) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[0], "help")) {
		show_usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[0], subcommands[i].name))
			return subcommands[i].main(argc, argv, &opts);
	return usage_error("unknown object \"%s\", try \"%s help\"", argv[0],
			   PROG_NAME);
}
