/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mqctl's objects, one file each, and what they share.
 *
 * Exit statuses: 0 success, 1 a bad command line (nothing was sent to the
 * kernel), 2 the kernel refused or could not be reached (a request, or a
 * call on a queue), 3 produce's standard input or consume's standard
 * output failed (a message cut short, a read or write error).
 */
#ifndef SUBCOMMANDS_H
#define SUBCOMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "libmq.h"

#define EXIT_USAGE	1
#define EXIT_KERNEL	2
#define EXIT_IO		3

extern const char *PROG_NAME;

struct options {
	bool json;		/* -j: show, list, describe, consume print JSON */
};

int topic_main(int argc, char *argv[], struct options *opts);
int queue_main(int argc, char *argv[], struct options *opts);
int group_main(int argc, char *argv[], struct options *opts);
int produce_main(int argc, char *argv[], struct options *opts);
int consume_main(int argc, char *argv[], struct options *opts);

/* mqctl.c */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kernel_error(const struct mq_admin *admin, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int admin_open(struct mq_admin **adminp);
/* "mqctl: WHAT: strerror(-err)[: why]" for a failed call on a queue. */
int queue_error(int err, const char *why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* @topic's settings, or an exit status (the kernel's refusal printed). */
int topic_config(const char *topic, const char *what,
		 struct mq_topic_config *cfg);
/* 0 when @queue is one of the topic's, else an exit status (printed). */
int queue_check(const char *topic, const char *what, uint64_t queue,
		const struct mq_topic_config *cfg);

#endif /* SUBCOMMANDS_H */
