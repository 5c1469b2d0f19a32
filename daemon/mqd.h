/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mqd: the daemon that persists every queue's ring to its commit log
 * (lib/log.h), reports durable offsets to the kernel, and keeps topics and
 * consumer-group offsets across restarts (Documentation/mqd.rst).
 *
 * main.c parses the command line and the configuration file, takes the
 * data directory, and calls mqd_run(); engine.c and the files it uses run
 * the io_uring event loop until SIGTERM or SIGINT.
 */
#ifndef MQD_H
#define MQD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "libmq.h"

#define MQD_DATA_DIR_DEFAULT	"/var/lib/mq"

/* When mqd reports a record durable to the kernel. */
enum mqd_flush {
	MQD_FLUSH_ASYNC,	/* once written (page cache); fdatasync by timer/bytes */
	MQD_FLUSH_SYNC,		/* once fdatasync'ed, one sync for every waiter */
};

/* Settings that apply per topic; a topic may override the defaults. */
struct mqd_topic_policy {
	enum mqd_flush flush;
	uint64_t flush_ms;		/* async: fdatasync at least this often */
	uint64_t flush_bytes;		/* async: or after this many bytes */
	uint64_t segment_bytes;		/* roll at this size */
	uint64_t segment_ms;		/* or this age; 0: never */
	uint64_t retention_bytes;	/* keep at least this much; 0: no limit */
	uint64_t retention_ms;		/* delete segments older; 0: no limit */
};

struct mqd_topic_override {
	char topic[MQ_NAME_MAX];
	struct mqd_topic_policy policy;
};

struct mqd_config {
	const char *data_dir;		/* MQD_DATA_DIR_DEFAULT */
	const char *ready_file;		/* written once ready; NULL: none */
	struct mqd_topic_policy defaults;
	struct mqd_topic_override *overrides;
	unsigned int noverrides;
};

/* The policy for @topic: its override, or the defaults. */
const struct mqd_topic_policy *mqd_policy(const struct mqd_config *cfg,
					  const char *topic);

/* Messages to stderr, "mqd: <level>: ...", at or above the level set. */
enum mqd_level { MQD_ERROR, MQD_WARN, MQD_INFO, MQD_DEBUG };
void mqd_set_level(enum mqd_level level);
void mqd_log(enum mqd_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define mqd_err(...)	mqd_log(MQD_ERROR, __VA_ARGS__)
#define mqd_warn(...)	mqd_log(MQD_WARN, __VA_ARGS__)
#define mqd_info(...)	mqd_log(MQD_INFO, __VA_ARGS__)
#define mqd_dbg(...)	mqd_log(MQD_DEBUG, __VA_ARGS__)

/*
 * Runs until SIGTERM or SIGINT, after which everything written is synced
 * and reported: 0, or -errno when it could not start or go on.  The data
 * directory is the caller's, checked and locked.
 */
int mqd_run(const struct mqd_config *cfg);

#endif /* MQD_H */
