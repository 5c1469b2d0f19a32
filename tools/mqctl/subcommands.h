/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mqctl's objects, one file each, and what they share.
 *
 * Exit statuses: 0 success, 1 a bad command line (nothing was sent to the
 * kernel), 2 the kernel refused or could not be reached.
 */
#ifndef SUBCOMMANDS_H
#define SUBCOMMANDS_H

#include <stdbool.h>

#include "libmq.h"

#define EXIT_USAGE	1
#define EXIT_KERNEL	2

extern const char *PROG_NAME;

struct options {
	bool json;		/* -j: show commands print JSON */
};

int topic_main(int argc, char *argv[], struct options *opts);
int queue_main(int argc, char *argv[], struct options *opts);

/* mqctl.c */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kernel_error(const struct mq_admin *admin, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int admin_open(struct mq_admin **adminp);

#endif /* SUBCOMMANDS_H */
