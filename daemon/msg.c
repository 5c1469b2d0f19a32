// SPDX-License-Identifier: GPL-2.0
/*
 * mqd's messages: one line each on stderr, which systemd's journal (or
 * whoever started mqd) keeps; no syslog of our own.
 */
#include <stdio.h>

#include "mqd.h"

static enum mqd_level mqd_level = MQD_INFO;

static const char *const mqd_level_names[] = {
	[MQD_ERROR] = "error",
	[MQD_WARN] = "warning",
	[MQD_INFO] = "info",
	[MQD_DEBUG] = "debug",
};

void mqd_set_level(enum mqd_level level)
{
	mqd_level = level;
}

void mqd_log(enum mqd_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (level > mqd_level)
		return;
	/* One write per line: lines of concurrent writers do not mix. */
	n = snprintf(line, sizeof(line), "mqd: %s: ", mqd_level_names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
