// SPDX-License-Identifier: GPL-2.0
/*
 * mqctl topic: add, delete, show and describe topics.
 *
 *   mqctl topic add NAME [queues N] [ring-size SIZE] [max-msg SIZE]
 *                        [mode OCTAL] [uid UID|USER] [gid GID|GROUP]
 *                        [policy block|drop] [acks 0|1|all]
 *                        [ack-timeout MS]
 *   mqctl topic del NAME
 *   mqctl [-j] topic show [NAME]
 *   mqctl [-j] topic describe NAME
 *
 * mqctl checks that each value is well formed and fits its attribute; the
 * kernel alone decides what is in range (and says why in its extended
 * ack), so the two can never disagree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "parse.h"
#include "print.h"
#include "subcommands.h"

static void show_usage(FILE *f)
{
	fprintf(f,
		"Usage: %1$s topic add NAME [queues N] [ring-size SIZE] [max-msg SIZE]\n"
		"                        [mode OCTAL] [uid UID|USER] [gid GID|GROUP]\n"
		"                        [policy block|drop] [acks 0|1|all]\n"
		"                        [ack-timeout MS]\n"
		"       %1$s topic del NAME\n"
		"       %1$s [-j] topic show [NAME]\n"
		"       %1$s [-j] topic describe NAME\n"
		"       %1$s topic help\n"
		"\n"
		"SIZE is a number of bytes with an optional K, M or G suffix (powers\n"
		"of 1024).  Defaults: queues 1, ring-size 1M, max-msg 64K (less if the\n"
		"ring is too small for it), mode 0600, uid 0, gid 0, policy block,\n"
		"acks 0 (1: a write returns once mqd has made it durable; all: and\n"
		"replicated), ack-timeout 30000 (milliseconds).\n"
		"\n"
		"describe: the topic's settings as show prints them, then one line per\n"
		"queue: its first and next offsets, the offset below which mqd made it\n"
		"durable, the files open on it for reading and writing, whether mqd is\n"
		"attached as its persister, and its consumer groups, counted and named.\n",
		PROG_NAME);
}

static int set_queues(const char *s, struct mq_topic_config *cfg)
{
	return parse_u32(s, &cfg->queues);
}

static int set_ring_size(const char *s, struct mq_topic_config *cfg)
{
	return parse_size(s, UINT64_MAX, &cfg->ring_size);
}

static int set_max_msg(const char *s, struct mq_topic_config *cfg)
{
	uint64_t v;
	int ret;

	ret = parse_size(s, UINT32_MAX, &v);
	if (!ret)
		cfg->max_msg_size = (uint32_t)v;
	return ret;
}

static int set_mode(const char *s, struct mq_topic_config *cfg)
{
	return parse_mode(s, &cfg->mode);
}

static int set_uid(const char *s, struct mq_topic_config *cfg)
{
	return parse_uid(s, &cfg->uid);
}

static int set_gid(const char *s, struct mq_topic_config *cfg)
{
	return parse_gid(s, &cfg->gid);
}

static int set_policy(const char *s, struct mq_topic_config *cfg)
{
	return parse_policy(s, &cfg->full_policy);
}

static int set_acks(const char *s, struct mq_topic_config *cfg)
{
	return parse_acks(s, &cfg->acks);
}

static int set_ack_timeout(const char *s, struct mq_topic_config *cfg)
{
	return parse_u32(s, &cfg->ack_timeout_ms);
}

static const struct keyword {
	const char *name;
	uint32_t flag;
	int (*set)(const char *s, struct mq_topic_config *cfg);
	const char *einval;	/* why a malformed value is refused */
	const char *enoent;	/* why an unknown name is refused */
} keywords[] = {
#define SIZE_EXPECTED "not a size (a number with an optional K, M or G suffix)"
	{ .name = "queues", .flag = MQ_TOPIC_SET_QUEUES, .set = set_queues,
	  .einval = "not a number" },
	{ .name = "ring-size", .flag = MQ_TOPIC_SET_RING_SIZE,
	  .set = set_ring_size, .einval = SIZE_EXPECTED },
	{ .name = "max-msg", .flag = MQ_TOPIC_SET_MAX_MSG_SIZE,
	  .set = set_max_msg, .einval = SIZE_EXPECTED },
	{ .name = "mode", .flag = MQ_TOPIC_SET_MODE, .set = set_mode,
	  .einval = "not an octal number" },
	{ .name = "uid", .flag = MQ_TOPIC_SET_UID, .set = set_uid,
	  .einval = "not a number", .enoent = "no such user" },
	{ .name = "gid", .flag = MQ_TOPIC_SET_GID, .set = set_gid,
	  .einval = "not a number", .enoent = "no such group" },
	{ .name = "policy", .flag = MQ_TOPIC_SET_FULL_POLICY,
	  .set = set_policy, .einval = "expected \"block\" or \"drop\"" },
	{ .name = "acks", .flag = MQ_TOPIC_SET_ACKS, .set = set_acks,
	  .einval = "expected \"0\", \"1\" or \"all\"" },
	{ .name = "ack-timeout", .flag = MQ_TOPIC_SET_ACK_TIMEOUT,
	  .set = set_ack_timeout, .einval = "not a number of milliseconds" },
#undef SIZE_EXPECTED
};

/* A name the library can carry; what it may contain is the kernel's call. */
static int check_name(const char *name)
{
	if (strlen(name) >= MQ_NAME_MAX)
		return usage_error("invalid topic name \"%s\": longer than %d bytes",
				   name, MQ_NAME_MAX - 1);
	return 0;
}

static int parse_keyword(const char *key, const char *value,
			 struct mq_topic_config *cfg)
{
	const struct keyword *k;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(key, keywords[i].name))
			break;
	if (i == sizeof(keywords) / sizeof(keywords[0]))
		return usage_error("unknown keyword \"%s\", try \"%s topic help\"",
				   key, PROG_NAME);
	k = &keywords[i];
	if (cfg->set & k->flag)
		return usage_error("duplicate keyword \"%s\"", key);
	if (!value)
		return usage_error("missing value for \"%s\"", key);
	ret = k->set(value, cfg);
	if (ret == -ERANGE)
		return usage_error("invalid %s \"%s\": out of range", key, value);
	if (ret == -ENOENT)
		return usage_error("invalid %s \"%s\": %s", key, value, k->enoent);
	if (ret)
		return usage_error("invalid %s \"%s\": %s", key, value, k->einval);
	cfg->set |= k->flag;
	return 0;
}

static int topic_add(int argc, char *argv[])
{
	struct mq_topic_config cfg = { 0 };
	struct mq_admin *admin;
	int i, ret;

	if (argc < 1)
		return usage_error("topic add: missing NAME, try \"%s topic help\"",
				   PROG_NAME);
	ret = check_name(argv[0]);
	if (ret)
		return ret;
	strcpy(cfg.name, argv[0]);
	for (i = 1; i < argc; i += 2) {
		ret = parse_keyword(argv[i], i + 1 < argc ? argv[i + 1] : NULL,
				    &cfg);
		if (ret)
			return ret;
	}

	ret = admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_topic_add(admin, &cfg);
	if (ret)
		ret = kernel_error(admin, ret, "cannot add topic %s", cfg.name);
	mq_admin_close(admin);
	return ret;
}

static int topic_del(int argc, char *argv[])
{
	struct mq_admin *admin;
	int ret;

	if (argc < 1)
		return usage_error("topic del: missing NAME, try \"%s topic help\"",
				   PROG_NAME);
	if (argc > 1)
		return usage_error("unexpected argument \"%s\", try \"%s topic help\"",
				   argv[1], PROG_NAME);
	ret = check_name(argv[0]);
	if (ret)
		return ret;

	ret = admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_topic_del(admin, argv[0]);
	if (ret)
		ret = kernel_error(admin, ret, "cannot delete topic %s", argv[0]);
	mq_admin_close(admin);
	return ret;
}

struct printer {
	bool json;
	unsigned int count;
};

static void print_text(const struct mq_topic_config *cfg)
{
	char size[32];
	const char *policy, *acks;

	/* The keywords of topic add: a line can be fed back to it. */
	printf("%s", cfg->name);
	if (cfg->set & MQ_TOPIC_SET_QUEUES)
		printf(" queues %" PRIu32, cfg->queues);
	if (cfg->set & MQ_TOPIC_SET_RING_SIZE)
		printf(" ring-size %s",
		       format_size(size, sizeof(size), cfg->ring_size));
	if (cfg->set & MQ_TOPIC_SET_MAX_MSG_SIZE)
		printf(" max-msg %s",
		       format_size(size, sizeof(size), cfg->max_msg_size));
	if (cfg->set & MQ_TOPIC_SET_MODE)
		printf(" mode %04" PRIo32, cfg->mode);
	if (cfg->set & MQ_TOPIC_SET_UID)
		printf(" uid %" PRIu32, cfg->uid);
	if (cfg->set & MQ_TOPIC_SET_GID)
		printf(" gid %" PRIu32, cfg->gid);
	if (cfg->set & MQ_TOPIC_SET_FULL_POLICY) {
		policy = policy_name(cfg->full_policy);
		if (policy)
			printf(" policy %s", policy);
		else
			printf(" policy %" PRIu32, cfg->full_policy);
	}
	if (cfg->set & MQ_TOPIC_SET_ACKS) {
		acks = acks_name(cfg->acks);
		if (acks)
			printf(" acks %s", acks);
		else
			printf(" acks %" PRIu32, cfg->acks);
	}
	if (cfg->set & MQ_TOPIC_SET_ACK_TIMEOUT)
		printf(" ack-timeout %" PRIu32, cfg->ack_timeout_ms);
	putchar('\n');
}

/* The members of a topic's object but its name and queues. */
static void print_json_settings(const struct mq_topic_config *cfg)
{
	const char *policy, *acks;

	if (cfg->set & MQ_TOPIC_SET_RING_SIZE)
		printf(",\"ring_size\":%" PRIu64, cfg->ring_size);
	if (cfg->set & MQ_TOPIC_SET_MAX_MSG_SIZE)
		printf(",\"max_msg\":%" PRIu32, cfg->max_msg_size);
	if (cfg->set & MQ_TOPIC_SET_MODE)
		printf(",\"mode\":%" PRIu32, cfg->mode);
	if (cfg->set & MQ_TOPIC_SET_UID)
		printf(",\"uid\":%" PRIu32, cfg->uid);
	if (cfg->set & MQ_TOPIC_SET_GID)
		printf(",\"gid\":%" PRIu32, cfg->gid);
	if (cfg->set & MQ_TOPIC_SET_FULL_POLICY) {
		policy = policy_name(cfg->full_policy);
		if (policy)
			printf(",\"policy\":\"%s\"", policy);
		else
			printf(",\"policy\":%" PRIu32, cfg->full_policy);
	}
	/* As Kafka's setting, a string: "0", "1" or "all". */
	if (cfg->set & MQ_TOPIC_SET_ACKS) {
		acks = acks_name(cfg->acks);
		if (acks)
			printf(",\"acks\":\"%s\"", acks);
		else
			printf(",\"acks\":%" PRIu32, cfg->acks);
	}
	if (cfg->set & MQ_TOPIC_SET_ACK_TIMEOUT)
		printf(",\"ack_timeout_ms\":%" PRIu32, cfg->ack_timeout_ms);
}

static void print_json(const struct mq_topic_config *cfg)
{
	printf("{\"name\":");
	json_string(stdout, cfg->name);
	if (cfg->set & MQ_TOPIC_SET_QUEUES)
		printf(",\"queues\":%" PRIu32, cfg->queues);
	print_json_settings(cfg);
	putchar('}');
}

static int print_topic(const struct mq_topic_config *cfg, void *arg)
{
	struct printer *p = arg;

	if (!p->json) {
		print_text(cfg);
	} else {
		/* The array opens with its first item: a failure prints nothing. */
		putchar(p->count ? ',' : '[');
		print_json(cfg);
	}
	p->count++;
	return 0;
}

/* show's and describe's arguments: at most one NAME, and -j anywhere. */
static int take_name(int argc, char *argv[], struct options *opts,
		     const char **name)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			opts->json = true;
		else if (argv[i][0] == '-')
			return usage_error("unknown option \"%s\", try \"%s topic help\"",
					   argv[i], PROG_NAME);
		else if (!*name)
			*name = argv[i];
		else
			return usage_error("unexpected argument \"%s\", try \"%s topic help\"",
					   argv[i], PROG_NAME);
	}
	return *name ? check_name(*name) : 0;
}

static int topic_show(int argc, char *argv[], struct options *opts)
{
	struct printer p = { 0 };
	struct mq_topic_config cfg;
	struct mq_admin *admin;
	const char *name = NULL;
	int ret;

	ret = take_name(argc, argv, opts, &name);
	if (ret)
		return ret;
	p.json = opts->json;

	ret = admin_open(&admin);
	if (ret)
		return ret;
	if (name) {
		ret = mq_admin_topic_get(admin, name, &cfg);
		if (!ret)
			print_topic(&cfg, &p);
	} else {
		ret = mq_admin_topic_list(admin, print_topic, &p);
	}
	if (p.json && (p.count || !ret))
		printf("%s\n", p.count ? "]" : "[]");
	if (ret && name)
		ret = kernel_error(admin, ret, "cannot show topic %s", name);
	else if (ret)
		ret = kernel_error(admin, ret, "cannot list topics");
	mq_admin_close(admin);
	return ret;
}

/* By queue, then by name: the kernel's order is no promise. */
static int group_cmp(const void *a, const void *b)
{
	const struct mq_group_state *ga = a, *gb = b;

	if (ga->queue != gb->queue)
		return ga->queue < gb->queue ? -1 : 1;
	return strcmp(ga->group, gb->group);
}

/*
 * The groups of @queue, from a sorted dump of the topic's: their
 * count, then (text) their names joined by commas, which no name holds,
 * or (JSON) an array of them.
 */
static void print_groups(const struct dump *groups, uint32_t queue, bool json)
{
	const struct mq_group_state *g;
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < groups->n; i++)
		n += dump_item(groups, struct mq_group_state, i)->queue == queue;
	if (!json)
		printf(" groups %u%s", n, n ? " " : "");
	else
		printf(",\"groups\":[");
	for (i = 0, n = 0; i < groups->n; i++) {
		g = dump_item(groups, struct mq_group_state, i);
		if (g->queue != queue)
			continue;
		if (n++)
			putchar(',');
		if (json)
			json_string(stdout, g->group);
		else
			fputs(g->group, stdout);
	}
	if (json)
		putchar(']');
}

static void describe_queue(const struct mq_queue_stats *st,
			   const struct dump *groups, bool json)
{
	if (!json)
		printf("%s/%" PRIu32 " first %" PRIu64 " next %" PRIu64
		       " durable %" PRIu64 " readers %" PRIu32
		       " writers %" PRIu32 " persister %" PRIu32,
		       st->topic, st->queue, st->first_offset, st->next_offset,
		       st->durable_offset, st->readers, st->writers,
		       st->persister);
	else
		printf("{\"queue\":%" PRIu32 ",\"first_offset\":%" PRIu64
		       ",\"next_offset\":%" PRIu64 ",\"durable_offset\":%" PRIu64
		       ",\"readers\":%" PRIu32 ",\"writers\":%" PRIu32
		       ",\"persister\":%" PRIu32, st->queue, st->first_offset,
		       st->next_offset, st->durable_offset, st->readers,
		       st->writers, st->persister);
	print_groups(groups, st->queue, json);
	putchar(json ? '}' : '\n');
}

/*
 * As show's object, but "queues" is the array of the queues, whose length
 * is the count: one member, one meaning.
 */
static void describe_json(const struct mq_topic_config *cfg,
			  const struct dump *queues, const struct dump *groups)
{
	size_t i;

	printf("{\"name\":");
	json_string(stdout, cfg->name);
	print_json_settings(cfg);
	printf(",\"queues\":[");
	for (i = 0; i < queues->n; i++) {
		if (i)
			putchar(',');
		describe_queue(dump_item(queues, struct mq_queue_stats, i),
			       groups, true);
	}
	printf("]}\n");
}

/*
 * Three requests (the settings, the queues, their groups), all answered
 * before anything is printed: a failure prints nothing on stdout, and a
 * topic deleted between them is ENOENT, as if it had gone first.
 */
static int topic_describe(int argc, char *argv[], struct options *opts)
{
	struct dump queues = DUMP_INIT(struct mq_queue_stats);
	struct dump groups = DUMP_INIT(struct mq_group_state);
	struct mq_topic_config cfg;
	struct mq_admin *admin;
	const char *name = NULL;
	size_t i;
	int ret;

	ret = take_name(argc, argv, opts, &name);
	if (ret)
		return ret;
	if (!name)
		return usage_error("topic describe: missing NAME, try \"%s topic help\"",
				   PROG_NAME);

	ret = admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_topic_get(admin, name, &cfg);
	if (!ret)
		ret = mq_admin_queue_list(admin, name, dump_queue, &queues);
	/* Every topic has a queue: none means it was deleted meanwhile. */
	if (!ret && !queues.n)
		ret = -ENOENT;
	if (!ret)
		ret = mq_admin_group_list(admin, name, NULL, dump_group, &groups);
	if (ret) {
		ret = kernel_error(admin, ret, "cannot describe topic %s", name);
		goto out;
	}

	if (groups.n)
		qsort(groups.v, groups.n, groups.size, group_cmp);
	if (opts->json) {
		describe_json(&cfg, &queues, &groups);
	} else {
		print_text(&cfg);
		for (i = 0; i < queues.n; i++)
			describe_queue(dump_item(&queues, struct mq_queue_stats, i),
				       &groups, false);
	}
out:
	dump_free(&groups);
	dump_free(&queues);
	mq_admin_close(admin);
	return ret;
}

int topic_main(int argc, char *argv[], struct options *opts)
{
	const char *cmd = argc > 1 ? argv[1] : "show";

	argc = argc > 1 ? argc - 2 : 0;
	argv += 2;
	if (!strcmp(cmd, "add"))
		return topic_add(argc, argv);
	if (!strcmp(cmd, "del"))
		return topic_del(argc, argv);
	if (!strcmp(cmd, "show"))
		return topic_show(argc, argv, opts);
	if (!strcmp(cmd, "describe"))
		return topic_describe(argc, argv, opts);
	if (!strcmp(cmd, "help")) {
		show_usage(stdout);
		return 0;
	}
	return usage_error("unknown command \"%s\", try \"%s topic help\"", cmd,
			   PROG_NAME);
}
