// SPDX-License-Identifier: GPL-2.0
/*
 * config_test: mqd's start-up on the host, each case in a folder of its
 * own under $TMPDIR (or the current folder when TMPDIR is unset): the
 * defaults, every key of the configuration file, size and time suffixes,
 * [topic NAME] sections, options over the file, and the exact message of
 * every mistake; then the data directory: its format marker and the lock
 * that refuses a second mqd.  Prints KTAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "kselftest_harness.h"

#define DAY	(24 * 3600 * 1000ULL)

FIXTURE(cfg) {
	char dir[PATH_MAX];
	char conf[PATH_MAX + 16];
	char err[1024];
	struct mqd_settings s;
};

FIXTURE_SETUP(cfg)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(self->dir, sizeof(self->dir), "%s/config_test.XXXXXX",
		 tmp && *tmp ? tmp : ".");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->conf, sizeof(self->conf), "%s/mqd.conf", self->dir);
	memset(&self->s, 0, sizeof(self->s));
	self->err[0] = '\0';
}

FIXTURE_TEARDOWN(cfg)
{
	char cmd[PATH_MAX + 16];

	mqd_settings_free(&self->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

/* Writes @text as the fixture's mqd.conf. */
static void write_conf(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

/* mqd_settings_parse() of "mqd" and the NULL-terminated arguments. */
static int parse(FIXTURE_DATA(cfg) *self, ...)
{
	char *argv[32] = { "mqd" };
	int argc = 1;
	va_list ap;

	va_start(ap, self);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	mqd_settings_free(&self->s);
	self->err[0] = '\0';
	return mqd_settings_parse(&self->s, argc, argv, self->err,
				  sizeof(self->err));
}

/* Parses @text as the file: its error, "" when none. */
static const char *parse_text(FIXTURE_DATA(cfg) *self, const char *text)
{
	write_conf(self->conf, text);
	if (parse(self, "-c", self->conf, NULL) == MQD_PARSE_RUN)
		return "";
	/* Without the file's name, which every message starts with. */
	if (!strncmp(self->err, self->conf, strlen(self->conf)))
		return self->err + strlen(self->conf);
	return self->err;
}

/* An empty file: every default. */
TEST_F(cfg, defaults)
{
	const struct mqd_topic_policy *p = &self->s.cfg.defaults;

	write_conf(self->conf, "");
	ASSERT_EQ(MQD_PARSE_RUN, parse(self, "-c", self->conf, NULL));
	ASSERT_STREQ("/var/lib/mq", self->s.cfg.data_dir);
	ASSERT_EQ(NULL, self->s.cfg.ready_file);
	ASSERT_STREQ(self->conf, self->s.config_file);
	ASSERT_EQ(MQD_INFO, self->s.level);
	ASSERT_EQ(MQD_FLUSH_ASYNC, p->flush);
	ASSERT_EQ(1000, p->flush_ms);
	ASSERT_EQ(16ULL << 20, p->flush_bytes);
	ASSERT_EQ(1ULL << 30, p->segment_bytes);
	ASSERT_EQ(7 * DAY, p->segment_ms);
	ASSERT_EQ(0, p->retention_bytes);
	ASSERT_EQ(7 * DAY, p->retention_ms);
	ASSERT_EQ(0, self->s.cfg.noverrides);
	ASSERT_EQ(p, mqd_policy(&self->s.cfg, "orders"));
}

/* No -c: the default file may be missing. */
TEST_F(cfg, default_file_missing)
{
	if (!access(MQD_CONFIG_DEFAULT, F_OK))
		SKIP(return, "this host has a " MQD_CONFIG_DEFAULT);
	ASSERT_EQ(MQD_PARSE_RUN, parse(self, NULL));
	ASSERT_EQ(NULL, self->s.config_file);
	ASSERT_STREQ("/var/lib/mq", self->s.cfg.data_dir);
}

/* Every key, with comments and blanks where the format allows them. */
TEST_F(cfg, every_key)
{
	const struct mqd_topic_policy *p = &self->s.cfg.defaults;

	write_conf(self->conf,
		   "# mqd.conf\n"
		   "\n"
		   "data-dir = /srv/mq#1\n"
		   "  ready-file=/run/mq/ready   # after a blank: a comment\n"
		   "log-level = debug\n"
		   "\tflush = sync\r\n"
		   "flush-ms = 250\n"
		   "flush-bytes = 4M\n"
		   "segment-bytes = 512M\n"
		   "segment-ms = 1h\n"
		   "retention-bytes = 10G\n"
		   "retention-ms = 3d\n");
	ASSERT_EQ(MQD_PARSE_RUN, parse(self, "--config", self->conf, NULL));
	ASSERT_STREQ("/srv/mq#1", self->s.cfg.data_dir);
	ASSERT_STREQ("/run/mq/ready", self->s.cfg.ready_file);
	ASSERT_EQ(MQD_DEBUG, self->s.level);
	ASSERT_EQ(MQD_FLUSH_SYNC, p->flush);
	ASSERT_EQ(250, p->flush_ms);
	ASSERT_EQ(4ULL << 20, p->flush_bytes);
	ASSERT_EQ(512ULL << 20, p->segment_bytes);
	ASSERT_EQ(3600 * 1000, p->segment_ms);
	ASSERT_EQ(10ULL << 30, p->retention_bytes);
	ASSERT_EQ(3 * DAY, p->retention_ms);
	ASSERT_EQ(0, self->s.cfg.noverrides);

	/* 0 is "never" and "no limit" where the key allows it. */
	ASSERT_STREQ("", parse_text(self, "segment-ms = 0\nretention-bytes = 0\n"
				    "retention-ms = 0\n"));
	ASSERT_EQ(0, p->segment_ms);
	ASSERT_EQ(0, p->retention_bytes);
	ASSERT_EQ(0, p->retention_ms);
	ASSERT_STREQ("", parse_text(self, "flush = async\nlog-level = error\n"));
	ASSERT_EQ(MQD_FLUSH_ASYNC, p->flush);
	ASSERT_EQ(MQD_ERROR, self->s.level);
	ASSERT_STREQ("", parse_text(self, "log-level = warn\n"));
	ASSERT_EQ(MQD_WARN, self->s.level);
	ASSERT_STREQ("", parse_text(self, "log-level = info\n"));
	ASSERT_EQ(MQD_INFO, self->s.level);
}

/* Sizes count in powers of 1024; a bare time is in milliseconds. */
TEST(suffixes)
{
	static const struct { const char *in; int ret; uint64_t val; } sizes[] = {
		{ "0", 0, 0 }, { "4096", 0, 4096 }, { "4K", 0, 4096 },
		{ "4k", 0, 4096 }, { "3M", 0, 3ULL << 20 }, { "3m", 0, 3ULL << 20 },
		{ "2G", 0, 2ULL << 30 }, { "2g", 0, 2ULL << 30 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 }, { "17179869184G", -ERANGE, 0 },
		{ "", -EINVAL, 0 }, { "K", -EINVAL, 0 }, { "-1", -EINVAL, 0 },
		{ "1.5M", -EINVAL, 0 }, { "1 M", -EINVAL, 0 }, { "1T", -EINVAL, 0 },
		{ "1KB", -EINVAL, 0 }, { "0x10", -EINVAL, 0 },
	}, times[] = {
		{ "0", 0, 0 }, { "250", 0, 250 }, { "250ms", 0, 250 },
		{ "30s", 0, 30000 }, { "5m", 0, 300000 }, { "2h", 0, 7200000 },
		{ "7d", 0, 7 * DAY }, { "213503982335d", -ERANGE, 0 },
		{ "", -EINVAL, 0 }, { "s", -EINVAL, 0 }, { "1w", -EINVAL, 0 },
		{ "1M", -EINVAL, 0 }, { "1S", -EINVAL, 0 }, { "1.5s", -EINVAL, 0 },
		{ "1 s", -EINVAL, 0 }, { "1sec", -EINVAL, 0 },
	};
	unsigned int i;
	uint64_t v;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		v = 12345;
		EXPECT_EQ(sizes[i].ret, mqd_parse_size(sizes[i].in, &v))
			TH_LOG("size \"%s\"", sizes[i].in);
		EXPECT_EQ(sizes[i].ret ? 12345 : sizes[i].val, v)
			TH_LOG("size \"%s\"", sizes[i].in);
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		v = 12345;
		EXPECT_EQ(times[i].ret, mqd_parse_ms(times[i].in, &v))
			TH_LOG("time \"%s\"", times[i].in);
		EXPECT_EQ(times[i].ret ? 12345 : times[i].val, v)
			TH_LOG("time \"%s\"", times[i].in);
	}
}

/* A section sets what differs; the rest is the defaults, wherever set. */
TEST_F(cfg, topic_sections)
{
	const struct mqd_topic_policy *d = &self->s.cfg.defaults, *p;

	write_conf(self->conf,
		   "flush-ms = 200\n"
		   "retention-ms = 1d\n"
		   "\n"
		   "[topic orders]\n"
		   "flush = sync\n"
		   "segment-bytes = 64M\n"
		   "\n"
		   "[ topic  audit.log-2 ]  # spaces inside the brackets\n"
		   "retention-ms = 0\n"
		   "retention-bytes = 100G\n"
		   "flush-ms = 5s\n"
		   "[topic empty]\n");
	ASSERT_EQ(-EINVAL, parse(self, "-c", self->conf, NULL));
	ASSERT_NE(NULL, strstr(self->err, ":8: \"[ topic  audit.log-2 ]\" is not a section"));

	write_conf(self->conf,
		   "flush-ms = 200\n"
		   "retention-ms = 1d\n"
		   "\n"
		   "[topic orders]\n"
		   "flush = sync\n"
		   "segment-bytes = 64M\n"
		   "\n"
		   "[topic   audit.log-2 ]  # blanks around the name\n"
		   "retention-ms = 0\n"
		   "retention-bytes = 100G\n"
		   "flush-ms = 5s\n"
		   "[topic empty]\n");
	ASSERT_EQ(MQD_PARSE_RUN, parse(self, "-c", self->conf, NULL));
	ASSERT_EQ(3, self->s.cfg.noverrides);
	ASSERT_EQ(200, d->flush_ms);
	ASSERT_EQ(DAY, d->retention_ms);

	p = mqd_policy(&self->s.cfg, "orders");
	ASSERT_EQ(&self->s.cfg.overrides[0].policy, p);
	ASSERT_EQ(MQD_FLUSH_SYNC, p->flush);
	ASSERT_EQ(64ULL << 20, p->segment_bytes);
	ASSERT_EQ(200, p->flush_ms);
	ASSERT_EQ(16ULL << 20, p->flush_bytes);
	ASSERT_EQ(7 * DAY, p->segment_ms);
	ASSERT_EQ(0, p->retention_bytes);
	ASSERT_EQ(DAY, p->retention_ms);

	p = mqd_policy(&self->s.cfg, "audit.log-2");
	ASSERT_STREQ("audit.log-2", self->s.cfg.overrides[1].topic);
	ASSERT_EQ(MQD_FLUSH_ASYNC, p->flush);
	ASSERT_EQ(5000, p->flush_ms);
	ASSERT_EQ(0, p->retention_ms);
	ASSERT_EQ(100ULL << 30, p->retention_bytes);
	ASSERT_EQ(1ULL << 30, p->segment_bytes);

	p = mqd_policy(&self->s.cfg, "empty");
	ASSERT_EQ(0, memcmp(p, d, sizeof(*p)));
	ASSERT_EQ(d, mqd_policy(&self->s.cfg, "other"));
	ASSERT_EQ(d, mqd_policy(&self->s.cfg, "Orders"));
}

/* Options override the file, and every topic that does not set the key. */
TEST_F(cfg, options_override)
{
	const struct mqd_topic_policy *d = &self->s.cfg.defaults;

	write_conf(self->conf,
		   "data-dir = /srv/file\n"
		   "ready-file = /run/file\n"
		   "log-level = error\n"
		   "flush = async\n"
		   "[topic fast]\n"
		   "flush = async\n"
		   "[topic other]\n"
		   "flush-ms = 10\n");
	ASSERT_EQ(MQD_PARSE_RUN, parse(self, "-c", self->conf, "-d", "/srv/opt",
				       "--ready-file", "/run/opt", "--flush", "sync",
				       "--log-level", "warn", NULL));
	ASSERT_STREQ("/srv/opt", self->s.cfg.data_dir);
	ASSERT_STREQ("/run/opt", self->s.cfg.ready_file);
	ASSERT_EQ(MQD_WARN, self->s.level);
	ASSERT_EQ(MQD_FLUSH_SYNC, d->flush);
	ASSERT_EQ(MQD_FLUSH_ASYNC, mqd_policy(&self->s.cfg, "fast")->flush);
	ASSERT_EQ(MQD_FLUSH_SYNC, mqd_policy(&self->s.cfg, "other")->flush);
	ASSERT_EQ(10, mqd_policy(&self->s.cfg, "other")->flush_ms);

	/* "--key=value", the options in any order, the last one wins. */
	ASSERT_EQ(MQD_PARSE_RUN, parse(self, "--data-dir=/srv/a", "-c", self->conf,
				       "-d/srv/b", "--log-level=info", "-v",
				       "--flush=async", NULL));
	ASSERT_STREQ("/srv/b", self->s.cfg.data_dir);
	ASSERT_EQ(MQD_DEBUG, self->s.level);
	ASSERT_EQ(MQD_FLUSH_ASYNC, d->flush);
	ASSERT_EQ(MQD_PARSE_RUN, parse(self, "-c", self->conf, "--verbose",
				       "--log-level", "info", NULL));
	ASSERT_EQ(MQD_INFO, self->s.level);

	ASSERT_EQ(MQD_PARSE_HELP, parse(self, "-h", NULL));
	ASSERT_EQ(MQD_PARSE_HELP, parse(self, "-c", "/nonexistent", "--help", NULL));
	ASSERT_EQ(MQD_PARSE_VERSION, parse(self, "-V", NULL));
	ASSERT_EQ(MQD_PARSE_VERSION, parse(self, "--version", NULL));
}

/* The command line's mistakes: exit 2 with these lines. */
TEST_F(cfg, bad_options)
{
	static const struct { const char *args[4]; const char *err; } cases[] = {
		{ { "--foo" }, "unknown option --foo (try --help)" },
		{ { "--foo=1" }, "unknown option --foo (try --help)" },
		{ { "-x" }, "unknown option -x (try --help)" },
		{ { "-vx" }, "unknown option -x (try --help)" },
		{ { "--sync" }, "unknown option --sync (try --help)" },
		{ { "-d" }, "option -d needs a value (try --help)" },
		{ { "--data-dir" }, "option --data-dir needs a value (try --help)" },
		{ { "--flush" }, "option --flush needs a value (try --help)" },
		{ { "-c" }, "option -c needs a value (try --help)" },
		{ { "--verbose=1" }, "option --verbose needs no value (try --help)" },
		{ { "serve" }, "unexpected argument \"serve\" (try --help)" },
		{ { "--flush", "fast" }, "--flush: \"fast\" is not sync or async" },
		{ { "--log-level", "loud" },
		  "--log-level: \"loud\" is not error, warn, info or debug" },
		{ { "--data-dir=" }, "--data-dir: no value" },
		{ { "--config=" }, "--config: no value" },
	};
	unsigned int i;

	write_conf(self->conf, "");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_EQ(-EINVAL, parse(self, "-c", self->conf, cases[i].args[0],
					 cases[i].args[1], NULL));
		EXPECT_STREQ(cases[i].err, self->err);
	}
}

/* The file's mistakes, each named by file:line. */
TEST_F(cfg, unknown_key)
{
	char want[2 * PATH_MAX];

	write_conf(self->conf, "# a\n\ndata-dir = /srv/mq\n\n[topic orders]\n\nflsh = sync\n");
	ASSERT_EQ(-EINVAL, parse(self, "-c", self->conf, NULL));
	snprintf(want, sizeof(want), "%s:7: unknown key \"flsh\"", self->conf);
	ASSERT_STREQ(want, self->err);
	ASSERT_STREQ(":1: unknown key \"Flush\"", parse_text(self, "Flush = sync\n"));
	ASSERT_STREQ(":1: unknown key \"\"", parse_text(self, "= sync\n"));
}

TEST_F(cfg, bad_value)
{
	ASSERT_STREQ(":2: flush: \"fast\" is not sync or async",
		     parse_text(self, "\nflush = fast\n"));
	ASSERT_STREQ(":1: flush: \"SYNC\" is not sync or async",
		     parse_text(self, "flush = SYNC\n"));
	ASSERT_STREQ(":1: log-level: \"warning\" is not error, warn, info or debug",
		     parse_text(self, "log-level = warning\n"));
	ASSERT_STREQ(":1: flush-bytes: \"12X\" is not a size (a number, optionally followed by K, M or G)",
		     parse_text(self, "flush-bytes = 12X\n"));
	ASSERT_STREQ(":1: flush-ms: \"5y\" is not a time (a number, optionally followed by ms, s, m, h or d)",
		     parse_text(self, "flush-ms = 5y\n"));
	ASSERT_STREQ(":1: flush-ms: \"200  ms\" is not a time (a number, optionally followed by ms, s, m, h or d)",
		     parse_text(self, "flush-ms = 200  ms\n"));
	ASSERT_STREQ(":1: segment-ms: no value", parse_text(self, "segment-ms =\n"));
	ASSERT_STREQ(":1: data-dir: no value", parse_text(self, "data-dir = # none\n"));
	ASSERT_STREQ(":1: \"flush sync\" is not \"key = value\"",
		     parse_text(self, "flush sync\n"));
	ASSERT_STREQ(":3: \"[queue orders]\" is not a section (\"[topic NAME]\")",
		     parse_text(self, "\n\n[queue orders]\n"));
	ASSERT_STREQ(":1: \"[topic orders\" is not a section (\"[topic NAME]\")",
		     parse_text(self, "[topic orders\n"));
	ASSERT_STREQ(":1: \"[topicorders]\" is not a section (\"[topic NAME]\")",
		     parse_text(self, "[topicorders]\n"));
	ASSERT_STREQ(":1: \"a/b\" is not a topic name (1 to 63 of A-Z a-z 0-9 . _ -)",
		     parse_text(self, "[topic a/b]\n"));
	ASSERT_STREQ(":1: \"..\" is not a topic name (1 to 63 of A-Z a-z 0-9 . _ -)",
		     parse_text(self, "[topic ..]\n"));
	ASSERT_STREQ(":1: \"\" is not a topic name (1 to 63 of A-Z a-z 0-9 . _ -)",
		     parse_text(self, "[topic  ]\n"));
	ASSERT_STREQ(":3: data-dir cannot be set per topic: put it above the first section",
		     parse_text(self, "[topic orders]\nflush = sync\ndata-dir = /srv\n"));
	ASSERT_STREQ(":2: log-level cannot be set per topic: put it above the first section",
		     parse_text(self, "[topic orders]\nlog-level = debug\n"));
	ASSERT_STREQ(":2: ready-file cannot be set per topic: put it above the first section",
		     parse_text(self, "[topic orders]\nready-file = /run/r\n"));
}

TEST_F(cfg, duplicates)
{
	ASSERT_STREQ(":5: duplicate section [topic orders] (the first is at line 2)",
		     parse_text(self, "\n[topic orders]\nflush = sync\n[topic b]\n[topic orders]\n"));
	ASSERT_STREQ(":3: duplicate key \"flush-ms\" (the first is at line 1)",
		     parse_text(self, "flush-ms = 1\nflush = sync\nflush-ms = 2\n"));
	ASSERT_STREQ(":4: duplicate key \"flush\" (the first is at line 3)",
		     parse_text(self, "flush = sync\n[topic a]\nflush = sync\nflush = async\n"));
	/* The same key at the top and in a section is what sections are for. */
	ASSERT_STREQ("", parse_text(self, "flush = sync\n[topic a]\nflush = async\n"
				    "[topic b]\nflush = async\n"));
}

TEST_F(cfg, out_of_range)
{
	ASSERT_STREQ(":1: flush-ms: \"0\" is out of range: 1ms to 1d",
		     parse_text(self, "flush-ms = 0\n"));
	ASSERT_STREQ(":1: flush-ms: \"2d\" is out of range: 1ms to 1d",
		     parse_text(self, "flush-ms = 2d\n"));
	ASSERT_STREQ(":1: flush-bytes: \"1K\" is out of range: 4K to 1G",
		     parse_text(self, "flush-bytes = 1K\n"));
	ASSERT_STREQ(":1: segment-bytes: \"4G\" is out of range: 4K to 2G",
		     parse_text(self, "segment-bytes = 4G\n"));
	ASSERT_STREQ(":1: segment-bytes: \"0\" is out of range: 4K to 2G",
		     parse_text(self, "segment-bytes = 0\n"));
	ASSERT_STREQ(":1: segment-ms: \"500ms\" is out of range: 0 or 1s to 3650d",
		     parse_text(self, "segment-ms = 500ms\n"));
	ASSERT_STREQ(":1: retention-ms: \"3651d\" is out of range: 0 or 1s to 3650d",
		     parse_text(self, "retention-ms = 3651d\n"));
	ASSERT_STREQ(":1: retention-bytes: \"100\" is out of range: 0 or 4K to 1073741824G",
		     parse_text(self, "retention-bytes = 100\n"));
	ASSERT_STREQ(":1: retention-bytes: \"99999999999999999999\" is out of range: 0 or 4K to 1073741824G",
		     parse_text(self, "retention-bytes = 99999999999999999999\n"));
	ASSERT_STREQ(":2: segment-bytes: \"3G\" is out of range: 4K to 2G",
		     parse_text(self, "[topic a]\nsegment-bytes = 3G\n"));
	/* The bounds themselves are in range. */
	ASSERT_STREQ("", parse_text(self, "flush-ms = 1\nflush-bytes = 1G\n"
				    "segment-bytes = 2G\nsegment-ms = 1s\n"
				    "retention-ms = 3650d\nretention-bytes = 4K\n"));
	ASSERT_EQ(1ULL << 31, self->s.cfg.defaults.segment_bytes);
}

TEST_F(cfg, missing_file)
{
	char path[PATH_MAX + 32], want[2 * PATH_MAX];

	snprintf(path, sizeof(path), "%s/none.conf", self->dir);
	ASSERT_EQ(-ENOENT, parse(self, "-c", path, NULL));
	snprintf(want, sizeof(want), "cannot read %s: No such file or directory", path);
	ASSERT_STREQ(want, self->err);

	/* A folder is not a file either. */
	ASSERT_EQ(-EISDIR, parse(self, "--config", self->dir, NULL));
	snprintf(want, sizeof(want), "cannot read %s: Is a directory", self->dir);
	ASSERT_STREQ(want, self->err);
}

/*
 * mqd.conf.example, its settings uncommented, says what the defaults are:
 * the example and the code agree.
 */
TEST_F(cfg, example)
{
	char line[512], *p;
	FILE *in, *out;

	in = fopen(MQD_SRCDIR "/mqd.conf.example", "r");
	ASSERT_NE(NULL, in);
	out = fopen(self->conf, "w");
	ASSERT_NE(NULL, out);
	while (fgets(line, sizeof(line), in)) {
		p = line;
		if (!strncmp(p, "# ", 2) && (p[2] == '[' ||
		    (p[2] >= 'a' && p[2] <= 'z' && strstr(p, " = "))))
			p += 2;
		fputs(p, out);
	}
	fclose(in);
	ASSERT_EQ(0, fclose(out));

	ASSERT_EQ(MQD_PARSE_RUN, parse(self, "-c", self->conf, NULL));
	ASSERT_STREQ("/var/lib/mq", self->s.cfg.data_dir);
	ASSERT_STREQ("/run/mq/ready", self->s.cfg.ready_file);
	ASSERT_EQ(MQD_INFO, self->s.level);
	ASSERT_EQ(MQD_FLUSH_ASYNC, self->s.cfg.defaults.flush);
	ASSERT_EQ(MQD_FLUSH_MS_DEFAULT, self->s.cfg.defaults.flush_ms);
	ASSERT_EQ(MQD_FLUSH_BYTES_DEFAULT, self->s.cfg.defaults.flush_bytes);
	ASSERT_EQ(MQD_SEGMENT_BYTES_DEFAULT, self->s.cfg.defaults.segment_bytes);
	ASSERT_EQ(MQD_SEGMENT_MS_DEFAULT, self->s.cfg.defaults.segment_ms);
	ASSERT_EQ(MQD_RETENTION_BYTES_DEFAULT, self->s.cfg.defaults.retention_bytes);
	ASSERT_EQ(MQD_RETENTION_MS_DEFAULT, self->s.cfg.defaults.retention_ms);
	ASSERT_EQ(2, self->s.cfg.noverrides);
	ASSERT_EQ(MQD_FLUSH_SYNC, mqd_policy(&self->s.cfg, "payments")->flush);
	ASSERT_EQ(30 * DAY, mqd_policy(&self->s.cfg, "payments")->retention_ms);
	ASSERT_EQ(50ULL << 30, mqd_policy(&self->s.cfg, "clicks")->retention_bytes);
}

/* A new folder is stamped and locked; the lock file names its holder. */
TEST_F(cfg, datadir_new)
{
	char dd[PATH_MAX + 8], path[PATH_MAX + 32], buf[64];
	int fd, lockfd = -1;
	FILE *f;

	snprintf(dd, sizeof(dd), "%s/data", self->dir);
	ASSERT_EQ(0, mqd_datadir_take(dd, &lockfd, self->err, sizeof(self->err)));
	ASSERT_LE(0, lockfd);

	snprintf(path, sizeof(path), "%s/format", dd);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	ASSERT_STREQ("mq-commit-log 1\n", buf);

	snprintf(path, sizeof(path), "%s/lock", dd);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	memset(buf, 0, sizeof(buf));
	ASSERT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	ASSERT_EQ(getpid(), atoi(buf));
	close(lockfd);

	/* Taken again once let go: the lock file and marker are ours. */
	ASSERT_EQ(0, mqd_datadir_take(dd, &lockfd, self->err, sizeof(self->err)));
	close(lockfd);
}

/* A second mqd on the same folder: refused, naming the first's pid. */
TEST_F(cfg, lock)
{
	char dd[PATH_MAX + 8], want[2 * PATH_MAX], c;
	int p2c[2], c2p[2], lockfd, status;
	pid_t pid;

	snprintf(dd, sizeof(dd), "%s/data", self->dir);
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char err[1024];

		close(p2c[1]);
		close(c2p[0]);
		if (mqd_datadir_take(dd, &lockfd, err, sizeof(err)))
			_exit(1);
		/* Held until the parent has tried, then dropped by exiting. */
		if (write(c2p[1], "x", 1) != 1 || read(p2c[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);
	ASSERT_EQ(1, read(c2p[0], &c, 1));

	ASSERT_EQ(-EWOULDBLOCK, mqd_datadir_take(dd, &lockfd, self->err,
						 sizeof(self->err)));
	snprintf(want, sizeof(want), "another mqd is running on %s (pid %d)", dd, pid);
	ASSERT_STREQ(want, self->err);

	ASSERT_EQ(1, write(p2c[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	/* Its holder gone, however it went, the lock is free again. */
	ASSERT_EQ(0, mqd_datadir_take(dd, &lockfd, self->err, sizeof(self->err)));
	close(lockfd);
	close(p2c[1]);
	close(c2p[0]);
}

/* A folder of another format or another program is refused, untouched. */
TEST_F(cfg, datadir_refused)
{
	static const struct { const char *format; int ret; const char *err; } cases[] = {
		{ "mq-commit-log 2\n", -EPROTO,
		  "%s holds mq data of format version 2; this mq reads version 1 only" },
		{ "kafka-logs 1\n", -EINVAL,
		  "%s/format does not name an mq data directory (expected \"mq-commit-log 1\")" },
		{ NULL, -ENOTEMPTY,
		  "%s is not empty and has no format file: not an mq data directory" },
	};
	char dd[PATH_MAX + 16], path[PATH_MAX + 32], want[2 * PATH_MAX];
	unsigned int i;
	int lockfd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(dd, sizeof(dd), "%s/data%u", self->dir, i);
		ASSERT_EQ(0, mkdir(dd, 0755));
		snprintf(path, sizeof(path), "%s/%s", dd,
			 cases[i].format ? "format" : "something");
		write_conf(path, cases[i].format ? cases[i].format : "x");

		lockfd = -1;
		EXPECT_EQ(cases[i].ret, mqd_datadir_take(dd, &lockfd, self->err,
							 sizeof(self->err)));
		EXPECT_EQ(-1, lockfd);
		snprintf(want, sizeof(want), cases[i].err, dd);
		EXPECT_STREQ(want, self->err);
		/* Refused before the lock: nothing was added to it. */
		snprintf(path, sizeof(path), "%s/lock", dd);
		EXPECT_EQ(-1, access(path, F_OK));
	}
}

TEST_HARNESS_MAIN
