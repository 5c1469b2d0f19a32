// SPDX-License-Identifier: GPL-2.0
/*
 * mqd's command line and configuration file.
 *
 * The file is "key = value" lines, '#' comments, and "[topic NAME]"
 * sections whose keys override the per-topic defaults for that topic
 * only.  A section holds only what differs: a topic gets the defaults as
 * they are once the file and the command line are both read, so
 * "--flush sync" changes every topic whose section does not name its own
 * flush.  Every mistake fails start-up with file:line: a daemon that runs
 * with a setting it silently ignored is worse than one that does not start.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

#define DAY_MS		(24 * 3600 * 1000ULL)
#define TIME_MAX_MS	(3650 * DAY_MS)	/* ten years: in ns it fits 64 bits */

enum key_id {
	K_DATA_DIR,
	K_READY_FILE,
	K_LOG_LEVEL,
	K_FLUSH,
	K_FLUSH_MS,
	K_FLUSH_BYTES,
	K_SEGMENT_BYTES,
	K_SEGMENT_MS,
	K_RETENTION_BYTES,
	K_RETENTION_MS,
	K_NR
};

enum key_type { T_STRING, T_LEVEL, T_FLUSH, T_SIZE, T_TIME };

struct key {
	const char *name;
	enum key_type type;
	bool per_topic;
	bool zero_ok;		/* 0 means "never" or "no limit" */
	uint64_t min, max;	/* T_SIZE and T_TIME, 0 aside */
	size_t off;		/* in struct mqd_topic_policy, when per_topic */
};

#define POLICY(field)	offsetof(struct mqd_topic_policy, field)

static const struct key keys[K_NR] = {
	[K_DATA_DIR] = { "data-dir", T_STRING },
	[K_READY_FILE] = { "ready-file", T_STRING },
	[K_LOG_LEVEL] = { "log-level", T_LEVEL },
	[K_FLUSH] = { "flush", T_FLUSH, true, .off = POLICY(flush) },
	[K_FLUSH_MS] = { "flush-ms", T_TIME, true, false, 1, DAY_MS,
			 POLICY(flush_ms) },
	[K_FLUSH_BYTES] = { "flush-bytes", T_SIZE, true, false, 4ULL << 10,
			    1ULL << 30, POLICY(flush_bytes) },
	/* A log segment's index positions are 32 bits (lib/log.h). */
	[K_SEGMENT_BYTES] = { "segment-bytes", T_SIZE, true, false, 4ULL << 10,
			      MQ_LOG_SEGMENT_MAX, POLICY(segment_bytes) },
	[K_SEGMENT_MS] = { "segment-ms", T_TIME, true, true, 1000, TIME_MAX_MS,
			   POLICY(segment_ms) },
	[K_RETENTION_BYTES] = { "retention-bytes", T_SIZE, true, true,
				4ULL << 10, 1ULL << 60, POLICY(retention_bytes) },
	[K_RETENTION_MS] = { "retention-ms", T_TIME, true, true, 1000,
			     TIME_MAX_MS, POLICY(retention_ms) },
};

/* The top of the file, or one [topic NAME]: what it set, and where. */
struct section {
	char topic[MQ_NAME_MAX];	/* "": the top of the file */
	unsigned int line;
	struct mqd_topic_policy policy;
	unsigned int set;		/* 1 << enum key_id */
	unsigned int key_line[K_NR];
};

struct parser {
	struct mqd_settings *s;
	struct section top;
	struct section *topics;
	unsigned int ntopics;
	char *err;
	size_t errlen;
};

const char mqd_usage[] =
"Usage: mqd [OPTION]...\n"
"Persist every mq queue to its commit log, report durable offsets to the\n"
"kernel, and keep topics and consumer group offsets across restarts.\n"
"\n"
"  -c, --config FILE      read FILE (default " MQD_CONFIG_DEFAULT ",\n"
"                         which may be missing)\n"
"  -d, --data-dir DIR     the data directory (default " MQD_DATA_DIR_DEFAULT ")\n"
"      --ready-file PATH  write PATH once ready (default none)\n"
"      --flush POLICY     sync or async: when a record counts as durable\n"
"                         (default async)\n"
"      --log-level LEVEL  error, warn, info or debug (default info)\n"
"  -v, --verbose          the same as --log-level debug\n"
"  -h, --help             print this and exit\n"
"  -V, --version          print the version and exit\n"
"\n"
"Options override the file.  Exit status: 0 after SIGTERM or SIGINT,\n"
"1 when mqd cannot start or go on, 2 for a wrong option or file.\n"
"See mqd(8).\n";

static void policy_defaults(struct mqd_topic_policy *p)
{
	*p = (struct mqd_topic_policy){
		.flush = MQD_FLUSH_ASYNC,
		.flush_ms = MQD_FLUSH_MS_DEFAULT,
		.flush_bytes = MQD_FLUSH_BYTES_DEFAULT,
		.segment_bytes = MQD_SEGMENT_BYTES_DEFAULT,
		.segment_ms = MQD_SEGMENT_MS_DEFAULT,
		.retention_bytes = MQD_RETENTION_BYTES_DEFAULT,
		.retention_ms = MQD_RETENTION_MS_DEFAULT,
	};
}

/* Digits, then @end points past them: -EINVAL for none, -ERANGE past 64 bits. */
static int parse_digits(const char *s, uint64_t *val, const char **end)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*s - '0');
	}
	*val = v;
	*end = s;
	return 0;
}

static int scale(uint64_t v, uint64_t unit, uint64_t *val)
{
	if (v > UINT64_MAX / unit)
		return -ERANGE;
	*val = v * unit;
	return 0;
}

int mqd_parse_size(const char *s, uint64_t *val)
{
	const char *end;
	uint64_t v;
	int ret;

	ret = parse_digits(s, &v, &end);
	if (ret)
		return ret;
	if (!strcmp(end, ""))
		return scale(v, 1, val);
	if (!strcmp(end, "K") || !strcmp(end, "k"))
		return scale(v, 1ULL << 10, val);
	if (!strcmp(end, "M") || !strcmp(end, "m"))
		return scale(v, 1ULL << 20, val);
	if (!strcmp(end, "G") || !strcmp(end, "g"))
		return scale(v, 1ULL << 30, val);
	return -EINVAL;
}

int mqd_parse_ms(const char *s, uint64_t *val)
{
	static const struct { const char *suffix; uint64_t ms; } units[] = {
		{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 },
		{ "h", 3600 * 1000 }, { "d", DAY_MS },
	};
	const char *end;
	unsigned int i;
	uint64_t v;
	int ret;

	ret = parse_digits(s, &v, &end);
	if (ret)
		return ret;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].suffix))
			return scale(v, units[i].ms, val);
	return -EINVAL;
}

/* @v in the unit a message shows it in: "4K", "1G", "1s", "10d", "250ms". */
static void show(char *buf, size_t len, enum key_type type, uint64_t v)
{
	static const char *const size_suffix[] = { "", "K", "M", "G" };
	static const struct { const char *suffix; uint64_t ms; } time_units[] = {
		{ "d", DAY_MS }, { "h", 3600 * 1000 }, { "m", 60 * 1000 },
		{ "s", 1000 },
	};
	unsigned int i;

	if (type == T_SIZE) {
		for (i = 0; i < 3 && v && !(v & 1023); i++)
			v >>= 10;
		snprintf(buf, len, "%llu%s", (unsigned long long)v, size_suffix[i]);
		return;
	}
	for (i = 0; i < 4; i++)
		if (v && !(v % time_units[i].ms))
			break;
	if (i == 4)
		snprintf(buf, len, "%llums", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%s", (unsigned long long)(v / time_units[i].ms),
			 time_units[i].suffix);
}

/*
 * @v for @k into @sec (or into @s for the keys that are not per topic).
 * On error "KEY: what is wrong" in @err, for the caller to prefix with
 * file:line or nothing.
 */
static int set_value(struct mqd_settings *s, struct section *sec,
		     const struct key *k, const char *v, char *err,
		     size_t errlen)
{
	char lo[32], hi[32];
	uint64_t n;
	char *dup;
	int ret;

	if (!*v) {
		snprintf(err, errlen, "%s: no value", k->name);
		return -EINVAL;
	}
	switch (k->type) {
	case T_STRING:
		dup = strdup(v);
		if (!dup) {
			snprintf(err, errlen, "%s: out of memory", k->name);
			return -ENOMEM;
		}
		if (k == &keys[K_DATA_DIR]) {
			free(s->data_dir);
			s->data_dir = dup;
		} else {
			free(s->ready_file);
			s->ready_file = dup;
		}
		return 0;
	case T_LEVEL:
		if (!strcmp(v, "error"))
			s->level = MQD_ERROR;
		else if (!strcmp(v, "warn"))
			s->level = MQD_WARN;
		else if (!strcmp(v, "info"))
			s->level = MQD_INFO;
		else if (!strcmp(v, "debug"))
			s->level = MQD_DEBUG;
		else
			goto bad_word;
		return 0;
	case T_FLUSH:
		if (!strcmp(v, "sync"))
			sec->policy.flush = MQD_FLUSH_SYNC;
		else if (!strcmp(v, "async"))
			sec->policy.flush = MQD_FLUSH_ASYNC;
		else
			goto bad_word;
		return 0;
	case T_SIZE:
	case T_TIME:
		ret = k->type == T_SIZE ? mqd_parse_size(v, &n) : mqd_parse_ms(v, &n);
		if (ret == -EINVAL) {
			snprintf(err, errlen, k->type == T_SIZE ?
				 "%s: \"%s\" is not a size (a number, optionally followed by K, M or G)" :
				 "%s: \"%s\" is not a time (a number, optionally followed by ms, s, m, h or d)",
				 k->name, v);
			return ret;
		}
		if (!ret && (!n && k->zero_ok))
			goto set;
		if (!ret && n >= k->min && n <= k->max)
			goto set;
		show(lo, sizeof(lo), k->type, k->min);
		show(hi, sizeof(hi), k->type, k->max);
		snprintf(err, errlen, "%s: \"%s\" is out of range: %s%s to %s",
			 k->name, v, k->zero_ok ? "0 or " : "", lo, hi);
		return -ERANGE;
	}
	return -EINVAL;
set:
	*(uint64_t *)((char *)&sec->policy + k->off) = n;
	return 0;
bad_word:
	snprintf(err, errlen, k->type == T_LEVEL ?
		 "%s: \"%s\" is not error, warn, info or debug" :
		 "%s: \"%s\" is not sync or async", k->name, v);
	return -EINVAL;
}

static const struct key *find_key(const char *name)
{
	unsigned int i;

	for (i = 0; i < K_NR; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* 0 when @name is a topic name the module accepts (uapi/linux/mq.h). */
static int topic_name_check(const char *name)
{
	size_t len = strlen(name), i;

	if (!len || len >= MQ_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-", name[i]))
			return -EINVAL;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\n' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

/* "[topic NAME]" at @line opens a section: the section, or NULL with @err. */
static struct section *open_section(struct parser *p, char *text,
				    unsigned int line, char *err, size_t errlen)
{
	char *name, *end = text + strlen(text) - 1;
	struct section *sec;
	unsigned int i;

	if (*end != ']' || strncmp(text, "[topic", 6) ||
	    (text[6] != ' ' && text[6] != '\t')) {
		snprintf(err, errlen, "\"%s\" is not a section (\"[topic NAME]\")", text);
		return NULL;
	}
	*end = '\0';
	name = trim(text + 6);
	if (topic_name_check(name)) {
		snprintf(err, errlen,
			 "\"%s\" is not a topic name (1 to %d of A-Z a-z 0-9 . _ -)",
			 name, MQ_NAME_MAX - 1);
		return NULL;
	}
	for (i = 0; i < p->ntopics; i++) {
		if (!strcmp(p->topics[i].topic, name)) {
			snprintf(err, errlen, "duplicate section [topic %s] (the first is at line %u)",
				 name, p->topics[i].line);
			return NULL;
		}
	}
	sec = realloc(p->topics, (p->ntopics + 1) * sizeof(*sec));
	if (!sec) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->topics = sec;
	sec += p->ntopics++;
	memset(sec, 0, sizeof(*sec));
	strcpy(sec->topic, name);
	sec->line = line;
	return sec;
}

static int parse_line(struct parser *p, struct section **cur, char *text,
		      unsigned int line, char *err, size_t errlen)
{
	char *eq, *key, *val, *hash;
	const struct key *k;
	enum key_id id;

	/* A comment starts a line or follows a blank: paths may hold '#'. */
	for (hash = strchr(text, '#'); hash; hash = strchr(hash + 1, '#')) {
		if (hash == text || hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	}
	text = trim(text);
	if (!*text)
		return 0;
	if (*text == '[') {
		*cur = open_section(p, text, line, err, errlen);
		return *cur ? 0 : -EINVAL;
	}
	eq = strchr(text, '=');
	if (!eq) {
		snprintf(err, errlen, "\"%s\" is not \"key = value\"", text);
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(text);
	val = trim(eq + 1);
	k = find_key(key);
	if (!k) {
		snprintf(err, errlen, "unknown key \"%s\"", key);
		return -EINVAL;
	}
	id = k - keys;
	if (*cur != &p->top && !k->per_topic) {
		snprintf(err, errlen, "%s cannot be set per topic: put it above the first section",
			 k->name);
		return -EINVAL;
	}
	if ((*cur)->set & (1U << id)) {
		snprintf(err, errlen, "duplicate key \"%s\" (the first is at line %u)",
			 k->name, (*cur)->key_line[id]);
		return -EINVAL;
	}
	(*cur)->set |= 1U << id;
	(*cur)->key_line[id] = line;
	return set_value(p->s, *cur, k, val, err, errlen);
}

/* Reads @path; a missing @path is fine unless @explicit. */
static int parse_file(struct parser *p, const char *path, bool explicit)
{
	struct section *cur = &p->top;
	unsigned int line = 0;
	char msg[512], *buf = NULL;
	size_t size = 0;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		if (ret == -ENOENT && !explicit)
			return 0;
		snprintf(p->err, p->errlen, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	p->s->file = strdup(path);
	if (!p->s->file) {
		ret = -ENOMEM;
		snprintf(p->err, p->errlen, "out of memory");
		goto out;
	}
	p->s->config_file = p->s->file;
	errno = 0;
	while (getline(&buf, &size, f) >= 0) {
		line++;
		ret = parse_line(p, &cur, buf, line, msg, sizeof(msg));
		if (ret) {
			snprintf(p->err, p->errlen, "%s:%u: %s", path, line, msg);
			goto out;
		}
	}
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		snprintf(p->err, p->errlen, "cannot read %s: %s", path, strerror(-ret));
	}
out:
	free(buf);
	fclose(f);
	return ret;
}

/* Each topic's policy: the final defaults, then what its section set. */
static int resolve(struct parser *p)
{
	struct mqd_settings *s = p->s;
	unsigned int i, k;

	s->cfg.data_dir = s->data_dir ? s->data_dir : MQD_DATA_DIR_DEFAULT;
	s->cfg.ready_file = s->ready_file;
	s->cfg.defaults = p->top.policy;
	if (!p->ntopics)
		return 0;
	s->cfg.overrides = calloc(p->ntopics, sizeof(*s->cfg.overrides));
	if (!s->cfg.overrides) {
		snprintf(p->err, p->errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < p->ntopics; i++) {
		struct mqd_topic_override *o = &s->cfg.overrides[i];
		const struct section *sec = &p->topics[i];

		strcpy(o->topic, sec->topic);
		o->policy = s->cfg.defaults;
		for (k = 0; k < K_NR; k++) {
			if (!(sec->set & (1U << k)))
				continue;
			if (keys[k].type == T_FLUSH)
				o->policy.flush = sec->policy.flush;
			else
				*(uint64_t *)((char *)&o->policy + keys[k].off) =
					*(const uint64_t *)((const char *)&sec->policy + keys[k].off);
		}
	}
	s->cfg.noverrides = p->ntopics;
	return 0;
}

const struct mqd_topic_policy *mqd_policy(const struct mqd_config *cfg,
					  const char *topic)
{
	unsigned int i;

	for (i = 0; i < cfg->noverrides; i++)
		if (!strcmp(cfg->overrides[i].topic, topic))
			return &cfg->overrides[i].policy;
	return &cfg->defaults;
}

/* The name of the option getopt_long() refused, for a message. */
static const char *bad_option(char *argv[], char *buf, size_t len)
{
	const char *arg = argv[optind - 1];
	size_t n;

	if (optopt && (arg[0] != '-' || arg[1] != '-')) {
		snprintf(buf, len, "-%c", optopt);
		return buf;
	}
	n = strcspn(arg, "=");
	snprintf(buf, len, "%.*s", (int)n, arg);
	return buf;
}

int mqd_settings_parse(struct mqd_settings *s, int argc, char *argv[],
		       char *err, size_t errlen)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "flush", required_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	/* The options in order, applied once the file is read. */
	struct { const struct key *key; const char *val; } set[16];
	struct parser p = { .s = s, .err = err, .errlen = errlen };
	const char *config = NULL;
	unsigned int nset = 0, i;
	char msg[512], name[64];
	int c, ret = 0;

	memset(s, 0, sizeof(*s));
	s->level = MQD_INFO;
	policy_defaults(&p.top.policy);
	optind = 0;	/* glibc: start afresh, as the tests parse many times */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:d:vhV", opts, NULL)) != -1) {
		const struct key *k = NULL;
		const char *v = optarg;

		switch (c) {
		case 'c': config = optarg; continue;
		case 'd': k = &keys[K_DATA_DIR]; break;
		case 'r': k = &keys[K_READY_FILE]; break;
		case 'f': k = &keys[K_FLUSH]; break;
		case 'l': k = &keys[K_LOG_LEVEL]; break;
		case 'v': k = &keys[K_LOG_LEVEL]; v = "debug"; break;
		case 'h': return MQD_PARSE_HELP;
		case 'V': return MQD_PARSE_VERSION;
		case ':':
			snprintf(err, errlen, "option %s needs a value (try --help)",
				 bad_option(argv, name, sizeof(name)));
			return -EINVAL;
		default:
			/* glibc names a known long option given "=value" in optopt. */
			if (optopt && !strncmp(argv[optind - 1], "--", 2))
				snprintf(err, errlen, "option %s needs no value (try --help)",
					 bad_option(argv, name, sizeof(name)));
			else
				snprintf(err, errlen, "unknown option %s (try --help)",
					 bad_option(argv, name, sizeof(name)));
			return -EINVAL;
		}
		if (nset == sizeof(set) / sizeof(set[0])) {
			snprintf(err, errlen, "too many options");
			return -EINVAL;
		}
		set[nset].key = k;
		set[nset++].val = v;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument \"%s\" (try --help)",
			 argv[optind]);
		return -EINVAL;
	}

	if (config && !*config) {
		snprintf(err, errlen, "--config: no value");
		return -EINVAL;
	}
	ret = parse_file(&p, config ? config : MQD_CONFIG_DEFAULT, config);
	if (ret)
		goto out;
	/* The options override the top of the file, and so every topic
	 * whose section does not set the key itself. */
	for (i = 0; i < nset; i++) {
		ret = set_value(s, &p.top, set[i].key, set[i].val, msg, sizeof(msg));
		if (ret) {
			/* msg starts with the key, which is the option's name. */
			snprintf(err, errlen, "--%s", msg);
			goto out;
		}
	}
	ret = resolve(&p);
	if (!ret)
		ret = MQD_PARSE_RUN;
out:
	free(p.topics);
	return ret;
}

void mqd_settings_free(struct mqd_settings *s)
{
	free(s->cfg.overrides);
	free(s->data_dir);
	free(s->ready_file);
	free(s->file);
	memset(s, 0, sizeof(*s));
}
