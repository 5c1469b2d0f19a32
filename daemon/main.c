// SPDX-License-Identifier: GPL-2.0
/*
 * mqd [-d DATA_DIR] [--ready-file PATH] [-v]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqd.h"

const struct mqd_topic_policy *mqd_policy(const struct mqd_config *cfg,
					  const char *topic)
{
	unsigned int i;

	for (i = 0; i < cfg->noverrides; i++)
		if (!strcmp(cfg->overrides[i].topic, topic))
			return &cfg->overrides[i].policy;
	return &cfg->defaults;
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "sync", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 }
	};
	struct mqd_config cfg = {
		.data_dir = MQD_DATA_DIR_DEFAULT,
		.defaults = {
			.flush = MQD_FLUSH_ASYNC,
			.flush_ms = 1000,
			.segment_bytes = 1ULL << 30,
		},
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "d:r:sv", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.data_dir = optarg; break;
		case 'r': cfg.ready_file = optarg; break;
		case 's': cfg.defaults.flush = MQD_FLUSH_SYNC; break;
		case 'v': mqd_set_level(MQD_DEBUG); break;
		default: return 1;
		}
	}
	ret = mqd_run(&cfg);
	return ret ? 1 : 0;
}
