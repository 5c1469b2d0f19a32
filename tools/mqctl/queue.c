// SPDX-License-Identifier: GPL-2.0
/*
 * mqctl queue: the queues of every topic, or of one, with their offsets
 * and counters.
 *
 *   mqctl [-j] queue show [TOPIC]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "print.h"
#include "subcommands.h"

static void show_usage(FILE *f)
{
	fprintf(f,
		"Usage: %1$s [-j] queue show [TOPIC]\n"
		"       %1$s queue help\n"
		"\n"
		"One line per queue: TOPIC/QUEUE, the oldest offset the ring still\n"
		"holds (first) and the next one to be written (next), bytes and\n"
		"messages in and out, records dropped, the files open on it for\n"
		"reading and for writing, the offsets below which its records are\n"
		"durable and replicated, and whether mqd is attached as its persister.\n",
		PROG_NAME);
}

struct printer {
	bool json;
	unsigned int count;
};

static int print_queue(const struct mq_queue_stats *st, void *arg)
{
	struct printer *p = arg;

	if (!p->json) {
		printf("%s/%" PRIu32 " first %" PRIu64 " next %" PRIu64
		       " bytes-in %" PRIu64 " bytes-out %" PRIu64
		       " msgs-in %" PRIu64 " msgs-out %" PRIu64
		       " drops %" PRIu64 " readers %" PRIu32
		       " writers %" PRIu32 " durable %" PRIu64
		       " replicated %" PRIu64 " persister %" PRIu32 "\n",
		       st->topic, st->queue, st->first_offset, st->next_offset,
		       st->bytes_in, st->bytes_out, st->msgs_in, st->msgs_out,
		       st->drops, st->readers, st->writers, st->durable_offset,
		       st->replicated_offset, st->persister);
	} else {
		/* The array opens with its first item: a failure prints nothing. */
		printf("%s{\"topic\":", p->count ? "," : "[");
		json_string(stdout, st->topic);
		printf(",\"queue\":%" PRIu32 ",\"first_offset\":%" PRIu64
		       ",\"next_offset\":%" PRIu64 ",\"bytes_in\":%" PRIu64
		       ",\"bytes_out\":%" PRIu64 ",\"msgs_in\":%" PRIu64
		       ",\"msgs_out\":%" PRIu64 ",\"drops\":%" PRIu64
		       ",\"readers\":%" PRIu32 ",\"writers\":%" PRIu32
		       ",\"durable_offset\":%" PRIu64
		       ",\"replicated_offset\":%" PRIu64
		       ",\"persister\":%" PRIu32 "}",
		       st->queue, st->first_offset, st->next_offset,
		       st->bytes_in, st->bytes_out, st->msgs_in, st->msgs_out,
		       st->drops, st->readers, st->writers, st->durable_offset,
		       st->replicated_offset, st->persister);
	}
	p->count++;
	return 0;
}

static int queue_show(int argc, char *argv[], struct options *opts)
{
	struct printer p = { 0 };
	struct mq_admin *admin;
	const char *topic = NULL;
	int i, ret;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			opts->json = true;
		else if (argv[i][0] == '-')
			return usage_error("unknown option \"%s\", try \"%s queue help\"",
					   argv[i], PROG_NAME);
		else if (!topic)
			topic = argv[i];
		else
			return usage_error("unexpected argument \"%s\", try \"%s queue help\"",
					   argv[i], PROG_NAME);
	}
	if (topic && strlen(topic) >= MQ_NAME_MAX)
		return usage_error("invalid topic name \"%s\": longer than %d bytes",
				   topic, MQ_NAME_MAX - 1);
	p.json = opts->json;

	ret = admin_open(&admin);
	if (ret)
		return ret;
	ret = mq_admin_queue_list(admin, topic, print_queue, &p);
	/* Every topic has a queue: none at all means there is no such topic. */
	if (!ret && topic && !p.count)
		ret = -ENOENT;
	if (p.json && (p.count || !ret))
		printf("%s\n", p.count ? "]" : "[]");
	if (ret && topic)
		ret = kernel_error(admin, ret, "cannot list the queues of topic %s",
				   topic);
	else if (ret)
		ret = kernel_error(admin, ret, "cannot list queues");
	mq_admin_close(admin);
	return ret;
}

int queue_main(int argc, char *argv[], struct options *opts)
{
	const char *cmd = argc > 1 ? argv[1] : "show";

	argc = argc > 1 ? argc - 2 : 0;
	argv += 2;
	if (!strcmp(cmd, "show"))
		return queue_show(argc, argv, opts);
	if (!strcmp(cmd, "help")) {
		show_usage(stdout);
		return 0;
	}
	return usage_error("unknown command \"%s\", try \"%s queue help\"", cmd,
			   PROG_NAME);
}
