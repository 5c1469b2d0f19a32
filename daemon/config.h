/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mqd's settings: the command line over the configuration file over the
 * defaults (Documentation/mqd.rst, mqd(8)).  Nothing here prints: every
 * error is one sentence in the caller's buffer, which main() prints after
 * "mqd: ", so that the tests can compare it exactly.
 */
#ifndef MQD_CONFIG_H
#define MQD_CONFIG_H

#include <stddef.h>

#include "mqd.h"

#define MQD_CONFIG_DEFAULT	"/etc/mq/mqd.conf"
#define MQD_VERSION		"0.1.0"

/* Exit statuses of mqd (mqd(8), EXIT STATUS). */
#define MQD_EXIT_OK		0	/* stopped by SIGTERM or SIGINT, or --help */
#define MQD_EXIT_FAILURE	1	/* could not start or go on */
#define MQD_EXIT_USAGE		2	/* the command line or the file is wrong */

/* The defaults of the per-topic keys. */
#define MQD_FLUSH_MS_DEFAULT		1000ULL
#define MQD_FLUSH_BYTES_DEFAULT		(16ULL << 20)
#define MQD_SEGMENT_BYTES_DEFAULT	(1ULL << 30)
#define MQD_SEGMENT_MS_DEFAULT		(7 * 24 * 3600 * 1000ULL)
#define MQD_RETENTION_BYTES_DEFAULT	0ULL
#define MQD_RETENTION_MS_DEFAULT	(7 * 24 * 3600 * 1000ULL)

struct mqd_settings {
	struct mqd_config cfg;		/* what mqd_run() gets */
	enum mqd_level level;
	const char *config_file;	/* the file read; NULL: none (default missing) */

	/* Storage behind cfg's pointers, freed by mqd_settings_free(). */
	char *data_dir, *ready_file, *file;
};

/* What main() does after mqd_settings_parse(). */
enum mqd_parse_result {
	MQD_PARSE_RUN,
	MQD_PARSE_HELP,		/* print mqd_usage() to stdout, exit 0 */
	MQD_PARSE_VERSION,	/* print the version, exit 0 */
};

/*
 * Parses @argv and the configuration file it names (or the default one,
 * which may be missing) into @s: an enum mqd_parse_result, or -errno with
 * a sentence in @err (exit MQD_EXIT_USAGE).  @s is to be freed with
 * mqd_settings_free() either way.
 */
int mqd_settings_parse(struct mqd_settings *s, int argc, char *argv[],
		       char *err, size_t errlen);
void mqd_settings_free(struct mqd_settings *s);

/* The --help text. */
extern const char mqd_usage[];

/*
 * The value parsers, shared with the tests: "16M" into bytes, "7d" into
 * milliseconds (a bare number is milliseconds).  -EINVAL for a malformed
 * value, -ERANGE for one that does not fit 64 bits.
 */
int mqd_parse_size(const char *s, uint64_t *val);
int mqd_parse_ms(const char *s, uint64_t *val);

/*
 * datadir.c: checks @dir's format marker, making @dir and the marker when
 * @dir is missing or empty (mq_log_datadir_check()), then takes
 * <dir>/lock with flock() and writes our pid into it.  0 with the lock's
 * fd in @lockfd, to be held until exit; or -errno and a sentence in @err:
 * -EWOULDBLOCK when another mqd holds the lock.
 */
int mqd_datadir_take(const char *dir, int *lockfd, char *err, size_t errlen);

#endif /* MQD_CONFIG_H */
