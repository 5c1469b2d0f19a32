// SPDX-License-Identifier: GPL-2.0
/*
 * mqctl group: the consumer groups of topics, their offsets per queue,
 * and the admin's two moves on them, reset and delete.
 *
 *   mqctl [-j] group list [TOPIC]
 *   mqctl [-j] group describe TOPIC GROUP
 *   mqctl group reset TOPIC GROUP to earliest|latest|OFFSET [queue N]
 *   mqctl group del TOPIC GROUP [queue N]
 *
 * A group lives per queue (Documentation/abi.rst, "Consumer groups"):
 * list sums a group's queues into one line, describe shows each, and
 * reset and del act on every queue of the topic unless told one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "print.h"
#include "subcommands.h"

static void show_usage(FILE *f)
{
	fprintf(f,
		"Usage: %1$s [-j] group list [TOPIC]\n"
		"       %1$s [-j] group describe TOPIC GROUP\n"
		"       %1$s group reset TOPIC GROUP to earliest|latest|OFFSET [queue N]\n"
		"       %1$s group del TOPIC GROUP [queue N]\n"
		"       %1$s group help\n"
		"\n"
		"list: one line per group of a topic, its queues, members and lag\n"
		"summed.  describe: one line per queue of the group, its committed\n"
		"offset, the next offset it delivers, the messages delivered and not\n"
		"committed (pending), its lag behind the queue's next offset, and its\n"
		"members.  reset moves the group (creating it where it is not) and\n"
		"del deletes it, on every queue of the topic or on queue N only;\n"
		"both refuse a group that has members.\n",
		PROG_NAME);
}

#define HELP "try \"%s group help\""

static int check_names(const char *topic, const char *group)
{
	if (topic && strlen(topic) >= MQ_NAME_MAX)
		return usage_error("invalid topic name \"%s\": longer than %d bytes",
				   topic, MQ_NAME_MAX - 1);
	if (group && strlen(group) >= MQ_NAME_MAX)
		return usage_error("invalid group name \"%s\": longer than %d bytes",
				   group, MQ_NAME_MAX - 1);
	return 0;
}

/* Every state the dump gave, in its order (topic, queue, group). */
struct states {
	struct mq_group_state *v;
	size_t n, cap;
};

static int collect(const struct mq_group_state *st, void *arg)
{
	struct states *s = arg;
	struct mq_group_state *v;

	if (s->n == s->cap) {
		v = realloc(s->v, (s->cap ? s->cap * 2 : 16) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = s->cap ? s->cap * 2 : 16;
	}
	s->v[s->n++] = *st;
	return 0;
}

/*
 * Up to @max names into @args, -j taken wherever it is (as with show):
 * minus the number of names, or an exit status for a bad command line.
 */
static int take_args(int argc, char *argv[], struct options *opts,
		     const char **args, int max)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			opts->json = true;
		else if (argv[i][0] == '-')
			return usage_error("unknown option \"%s\", " HELP,
					   argv[i], PROG_NAME);
		else if (n < max)
			args[n++] = argv[i];
		else
			return usage_error("unexpected argument \"%s\", " HELP,
					   argv[i], PROG_NAME);
	}
	return -n;
}

static int group_list(int argc, char *argv[], struct options *opts)
{
	struct states s = { 0 };
	struct mq_admin *admin;
	const char *topic = NULL;
	size_t i, j, shown = 0;
	int ret;

	ret = take_args(argc, argv, opts, &topic, 1);
	if (ret > 0)
		return ret;
	ret = check_names(topic, NULL);
	if (ret)
		return ret;

	ret = admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_group_list(admin, topic, NULL, collect, &s);
	if (ret) {
		if (topic)
			ret = kernel_error(admin, ret, "cannot list the groups of topic %s",
					   topic);
		else
			ret = kernel_error(admin, ret, "cannot list groups");
		goto out;
	}
	/* One line per (topic, group), in the order each first appears. */
	for (i = 0; i < s.n; i++) {
		uint64_t lag = 0;
		uint32_t queues = 0, members = 0;

		for (j = 0; j < i; j++)
			if (!strcmp(s.v[j].topic, s.v[i].topic) &&
			    !strcmp(s.v[j].group, s.v[i].group))
				break;
		if (j < i)
			continue;
		for (j = i; j < s.n; j++) {
			if (strcmp(s.v[j].topic, s.v[i].topic) ||
			    strcmp(s.v[j].group, s.v[i].group))
				continue;
			queues++;
			members += s.v[j].members;
			lag += s.v[j].lag;
		}
		if (!opts->json) {
			printf("%s %s queues %" PRIu32 " members %" PRIu32
			       " lag %" PRIu64 "\n", s.v[i].topic, s.v[i].group,
			       queues, members, lag);
		} else {
			printf("%s{\"topic\":", shown ? "," : "[");
			json_string(stdout, s.v[i].topic);
			printf(",\"group\":");
			json_string(stdout, s.v[i].group);
			printf(",\"queues\":%" PRIu32 ",\"members\":%" PRIu32
			       ",\"lag\":%" PRIu64 "}", queues, members, lag);
		}
		shown++;
	}
	if (opts->json)
		printf("%s\n", shown ? "]" : "[]");
out:
	free(s.v);
	mq_admin_close(admin);
	return ret;
}

static int group_describe(int argc, char *argv[], struct options *opts)
{
	const char *args[2] = { NULL, NULL };
	struct states s = { 0 };
	struct mq_admin *admin;
	size_t i;
	int ret;

	ret = take_args(argc, argv, opts, args, 2);
	if (ret > 0)
		return ret;
	if (!args[1])
		return usage_error("group describe: missing %s, " HELP,
				   args[0] ? "GROUP" : "TOPIC", PROG_NAME);
	ret = check_names(args[0], args[1]);
	if (ret)
		return ret;

	ret = admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_group_list(admin, args[0], args[1], collect, &s);
	/* The topic exists but the group is on none of its queues. */
	if (!ret && !s.n)
		ret = -ENOENT;
	if (ret) {
		ret = kernel_error(admin, ret, "cannot describe group %s of topic %s",
				   args[1], args[0]);
		goto out;
	}
	for (i = 0; i < s.n; i++) {
		const struct mq_group_state *st = &s.v[i];

		if (!opts->json) {
			printf("%s/%" PRIu32 " committed %" PRIu64
			       " delivered %" PRIu64 " pending %" PRIu64
			       " lag %" PRIu64 " members %" PRIu32 "\n",
			       st->topic, st->queue, st->committed,
			       st->delivered, st->pending, st->lag, st->members);
		} else {
			printf("%s{\"topic\":", i ? "," : "[");
			json_string(stdout, st->topic);
			printf(",\"queue\":%" PRIu32 ",\"group\":", st->queue);
			json_string(stdout, st->group);
			printf(",\"committed\":%" PRIu64 ",\"delivered\":%" PRIu64
			       ",\"pending\":%" PRIu64 ",\"lag\":%" PRIu64
			       ",\"members\":%" PRIu32 "}", st->committed,
			       st->delivered, st->pending, st->lag, st->members);
		}
	}
	if (opts->json)
		printf("]\n");
out:
	free(s.v);
	mq_admin_close(admin);
	return ret;
}

/* reset's and del's keywords: to (reset only) and queue. */
struct target {
	bool has_to, has_queue;
	uint32_t start;
	uint64_t offset;
	uint32_t queue;
};

static int parse_target(int argc, char *argv[], bool reset, struct target *t)
{
	const char *key, *val;
	int i, ret;

	for (i = 0; i < argc; i += 2) {
		key = argv[i];
		val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(key, "queue")) {
			if (t->has_queue)
				return usage_error("duplicate keyword \"queue\"");
			if (!val)
				return usage_error("missing value for \"queue\"");
			ret = parse_u32(val, &t->queue);
			if (ret == -ERANGE)
				return usage_error("invalid queue \"%s\": out of range", val);
			if (ret)
				return usage_error("invalid queue \"%s\": not a number", val);
			t->has_queue = true;
		} else if (reset && !strcmp(key, "to")) {
			if (t->has_to)
				return usage_error("duplicate keyword \"to\"");
			if (!val)
				return usage_error("missing value for \"to\"");
			if (!strcmp(val, "earliest")) {
				t->start = MQ_GROUP_START_EARLIEST;
			} else if (!strcmp(val, "latest")) {
				t->start = MQ_GROUP_START_LATEST;
			} else {
				ret = parse_u64(val, &t->offset);
				if (ret == -ERANGE)
					return usage_error("invalid to \"%s\": out of range", val);
				if (ret)
					return usage_error("invalid to \"%s\": expected \"earliest\", \"latest\" or an offset",
							   val);
				t->start = MQ_GROUP_START_OFFSET;
			}
			t->has_to = true;
		} else {
			return usage_error("unknown keyword \"%s\", " HELP, key,
					   PROG_NAME);
		}
	}
	if (reset && !t->has_to)
		return usage_error("group reset: missing \"to\", " HELP, PROG_NAME);
	return 0;
}

static int group_reset_del(int argc, char *argv[], bool reset)
{
	const char *cmd = reset ? "reset" : "del";
	struct target t = { 0 };
	struct mq_topic_config cfg;
	struct states s = { 0 };
	struct mq_admin *admin;
	const char *topic, *group;
	uint32_t q, nq;
	size_t i;
	int ret;

	if (argc < 2)
		return usage_error("group %s: missing %s, " HELP, cmd,
				   argc ? "GROUP" : "TOPIC", PROG_NAME);
	topic = argv[0];
	group = argv[1];
	ret = check_names(topic, group);
	if (ret)
		return ret;
	ret = parse_target(argc - 2, argv + 2, reset, &t);
	if (ret)
		return ret;

	ret = admin_open(&admin);
	if (ret)
		return ret;
	if (t.has_queue) {
		q = t.queue;
		ret = reset ? mq_admin_group_set(admin, topic, q, group, t.start,
						 t.offset) :
			      mq_admin_group_del(admin, topic, q, group);
		goto report;
	}
	if (reset) {
		/* Every queue of the topic, in order: the first refusal stops. */
		q = 0;
		ret = mq_admin_topic_get(admin, topic, &cfg);
		if (ret)
			goto report_topic;
		for (nq = cfg.queues, q = 0; q < nq && !ret; q++)
			ret = mq_admin_group_set(admin, topic, q, group, t.start,
						 t.offset);
		q--;
		goto report;
	}
	/* del: every queue the group is on; on none is ENOENT. */
	ret = mq_admin_group_list(admin, topic, group, collect, &s);
	if (!ret && !s.n)
		ret = -ENOENT;
	if (ret)
		goto report_topic;
	for (i = 0; i < s.n && !ret; i++) {
		q = s.v[i].queue;
		ret = mq_admin_group_del(admin, topic, q, group);
	}
report:
	if (ret)
		ret = kernel_error(admin, ret, "cannot %s group %s on queue %s/%" PRIu32,
				   reset ? "reset" : "delete", group, topic, q);
	goto out;
report_topic:
	ret = kernel_error(admin, ret, "cannot %s group %s of topic %s",
			   reset ? "reset" : "delete", group, topic);
out:
	free(s.v);
	mq_admin_close(admin);
	return ret;
}

int group_main(int argc, char *argv[], struct options *opts)
{
	const char *cmd = argc > 1 ? argv[1] : "list";

	argc = argc > 1 ? argc - 2 : 0;
	argv += 2;
	if (!strcmp(cmd, "list"))
		return group_list(argc, argv, opts);
	if (!strcmp(cmd, "describe"))
		return group_describe(argc, argv, opts);
	if (!strcmp(cmd, "reset"))
		return group_reset_del(argc, argv, true);
	if (!strcmp(cmd, "del"))
		return group_reset_del(argc, argv, false);
	if (!strcmp(cmd, "help")) {
		show_usage(stdout);
		return 0;
	}
	return usage_error("unknown command \"%s\", " HELP, cmd, PROG_NAME);
}
