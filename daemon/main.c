// SPDX-License-Identifier: GPL-2.0
/*
 * mqd [-c FILE] [-d DIR] [--ready-file PATH] [--flush sync|async]
 *     [--log-level LEVEL] [-v] [-h] [-V]
 *
 * Reads the settings (config.c), takes the data directory (datadir.c),
 * and runs the engine until SIGTERM or SIGINT.  Exit statuses are
 * config.h's MQD_EXIT_*, documented in mqd(8).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "mqd.h"

int main(int argc, char *argv[])
{
	int ret, status = MQD_EXIT_FAILURE, lockfd = -1;
	struct mqd_settings s;
	char err[1024];

	ret = mqd_settings_parse(&s, argc, argv, err, sizeof(err));
	switch (ret) {
	case MQD_PARSE_RUN:
		break;
	case MQD_PARSE_HELP:
		fputs(mqd_usage, stdout);
		status = MQD_EXIT_OK;
		goto out;
	case MQD_PARSE_VERSION:
		printf("mqd %s (data directory format %s %d)\n", MQD_VERSION,
		       MQ_LOG_FORMAT_NAME, MQ_LOG_FORMAT_VERSION);
		status = MQD_EXIT_OK;
		goto out;
	default:
		/* Before any logging: one plain line, as from any tool. */
		fprintf(stderr, "mqd: %s\n", err);
		status = MQD_EXIT_USAGE;
		goto out;
	}
	mqd_set_level(s.level);

	ret = mqd_datadir_take(s.cfg.data_dir, &lockfd, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "mqd: %s\n", err);
		goto out;
	}
	mqd_info("starting: data directory %s, configuration %s, pid %ld",
		 s.cfg.data_dir, s.config_file ? s.config_file : "(none)",
		 (long)getpid());

	ret = mqd_run(&s.cfg);
	if (ret) {
		mqd_err("stopped: %s", strerror(-ret));
		goto out;
	}
	mqd_info("stopped");
	status = MQD_EXIT_OK;
out:
	/*
	 * The lock file stays: had we unlinked it, a second mqd that opened
	 * it just before would lock a file no longer in the directory, and
	 * a third could create and lock a new one beside it.
	 */
	if (lockfd >= 0)
		close(lockfd);
	mqd_settings_free(&s);
	return status;
}
