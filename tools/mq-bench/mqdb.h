/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mqd-bench: what its files share.  mqdb_main.c reads the options, runs
 * the rounds and prints the tables; mqdb_disk.c measures the file system
 * alone; mqdb_acks.c runs mqd and producers against /dev/mq; and
 * mqdb_persist.c drains a ring into a file three ways, as a persister.
 */
#ifndef MQDB_H
#define MQDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MQDB_SIZES		2	/* 64 B and 4 KiB, as the issue asks */
#define MQDB_REPEAT_MAX		15
#define MQDB_PRODUCERS_MAX	256

struct mqdb_opts {
	const char *dir;	/* where the files and mqd's data go */
	const char *mqd;	/* mqd's binary */
	double duration;	/* seconds per test, at most */
	uint64_t max_bytes;	/* message bytes per test, at most */
	uint64_t fill_bytes;	/* record bytes a persist test drains */
	unsigned int repeat;
	unsigned int producers;	/* for the "many producers" rows */
	bool quick;
	bool rounds;		/* print every round's rate too */
};

extern const size_t mqdb_sizes[MQDB_SIZES];

/* One test's outcome. */
struct mqdb_result {
	int err;		/* 0, or -errno of what failed, said in @why */
	char why[256];
	uint64_t msgs;		/* messages (records) the test moved */
	uint64_t bytes;		/* message bytes (persist: log bytes) */
	double seconds;
};

double mqdb_now(void);
void mqdb_fail(struct mqdb_result *res, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The topic names this process uses: mqdb.<pid>.<what>. */
void mqdb_topic_name(char *buf, size_t len, const char *what);

/* mqdb_disk.c: plain write(2)s and one fdatasync; fdatasync per write. */
void mqdb_disk_write(const struct mqdb_opts *o, size_t size,
		     struct mqdb_result *res);
void mqdb_disk_sync_each(const struct mqdb_opts *o, size_t size,
			 struct mqdb_result *res);

/* mqdb_acks.c: mqd on a data directory of its own, and producers. */
enum mqdb_flush { MQDB_ACKS0, MQDB_ASYNC, MQDB_SYNC };

/* The names of the round's topics, which mqd's configuration needs. */
void mqdb_acks_topic(char *buf, size_t len, unsigned int round,
		     enum mqdb_flush f, unsigned int producers, size_t size);
int mqdb_mqd_start(const struct mqdb_opts *o, unsigned int round,
		   char *why, size_t why_len);
int mqdb_mqd_stop(char *why, size_t why_len);
void mqdb_acks_run(const struct mqdb_opts *o, unsigned int round,
		   enum mqdb_flush f, unsigned int producers, size_t size,
		   struct mqdb_result *res);

/*
 * mqdb_persist.c: a ring of @size messages drained by a persister, the
 * three ways taking turns, way @first first; each way's result in @res.
 */
enum mqdb_path { MQDB_PATH_MMAP, MQDB_PATH_READ, MQDB_PATH_SPLICE, MQDB_PATHS };

void mqdb_persist_run(const struct mqdb_opts *o, size_t size,
		      unsigned int first, struct mqdb_result *res[MQDB_PATHS]);

#endif /* MQDB_H */
