/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mq-bench: what main.c, measure.c, report.c and clock.c share.
 */
#ifndef MQ_BENCH_H
#define MQ_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"

#define BENCH_SIZE_MIN		16	/* room for struct msg_hdr */
#define BENCH_SIZE_MAX		65536	/* mq's default max_msg_size */
#define BENCH_SIZES_MAX		8
#define BENCH_BUFFER_MIN	(64 * 1024)
#define BENCH_BUFFER_MAX	(256 * 1024 * 1024)

/* The measurements, as --measure names them. */
#define MEASURE_TPUT		(1U << 0)	/* tput: producer -> consumer */
#define MEASURE_PP		(1U << 1)	/* pp: ping-pong round trips */
#define MEASURE_SOLO		(1U << 2)	/* solo: both ends in one process */

struct bench_opts {
	unsigned int measure;	/* MEASURE_* */
	uint64_t count;		/* messages (round trips) per test; 0: by time */
	double duration;	/* seconds per test when count is 0 */
	size_t sizes[BENCH_SIZES_MAX];	/* throughput and solo message sizes */
	unsigned int nsizes;
	size_t pp_size;		/* ping-pong message size */
	unsigned int repeat;	/* rounds; the tables show medians */
	size_t buffer;		/* bytes each transport may hold in flight */
	const char *topic;	/* an existing topic for /dev/mq, or NULL */
	bool pin;		/* producer on CPU 0, consumer on CPU 1 */
	bool json;
	bool quick;
};

/*
 * Every message starts with this header; the rest is filler whose last
 * byte repeats the low byte of @seq, so a torn or mixed-up message shows.
 */
struct msg_hdr {
	uint64_t seq;		/* 0, 1, 2 ... per test */
	uint32_t flags;		/* MSG_END on the producer's last message */
	uint32_t size;		/* the message's length */
};

#define MSG_END		1U	/* no more: @seq is how many came before */

/* One measurement of one transport. */
struct tput_result {
	int err;		/* 0, or -errno of what failed (then @why) */
	char why[256];
	uint64_t sent;		/* what the producer sent, without MSG_END */
	uint64_t received;	/* what the consumer received and verified */
	double seconds;		/* consumer: first message to MSG_END */
	double msgs_per_s;
};

struct pp_result {
	int err;
	char why[256];
	uint64_t round_trips;	/* measured, after the warm-up */
	double p50_us;		/* round-trip times */
	double p99_us;
};

struct solo_result {
	int err;
	char why[256];
	uint64_t batch;		/* messages sent before the first is received */
	uint64_t pairs;		/* timed: sent, then received and verified */
	double send_ns;		/* per message, in the sends */
	double recv_ns;		/* per message, in the receives and checks */
};

#define BENCH_REPEAT_MAX	15

/* Everything measured of one transport, per size and per round. */
struct row {
	const struct transport *t;
	struct tput_result tput[BENCH_SIZES_MAX][BENCH_REPEAT_MAX];
	struct pp_result pp[BENCH_REPEAT_MAX];
	struct solo_result solo[BENCH_SIZES_MAX][BENCH_REPEAT_MAX];
};

/* What the report says about the run itself. */
struct run_info {
	int argc;
	char **argv;
	unsigned int cpus;
	unsigned int rounds;	/* completed: fewer than --repeat if interrupted */
};

/*
 * How many times a side with nothing to do polls shared memory before it
 * sleeps: the shm ring's two sides, and the mmap consumer of /dev/mq,
 * alike, so that neither gets a longer spin than the other.
 */
#define SPIN_POLLS		4096

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* clock.c: rdtsc calibrated once against CLOCK_MONOTONIC. */
int clock_calibrate(void);
double clock_hz(void);
double clock_seconds(uint64_t ticks);

static inline uint64_t clock_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	extern uint64_t clock_ticks_fallback(void);

	return clock_ticks_fallback();
#endif
}

/* measure.c */
void measure_throughput(const struct transport *t, const struct bench_opts *o,
			size_t size, struct tput_result *res);
void measure_pingpong(const struct transport *t, const struct bench_opts *o,
		      size_t size, struct pp_result *res);
void measure_solo(const struct transport *t, const struct bench_opts *o,
		  size_t size, struct solo_result *res);

/* report.c */
void report_text(const struct bench_opts *o, const struct run_info *ri,
		 const struct row *rows, unsigned int nrows);
void report_json(const struct bench_opts *o, const struct run_info *ri,
		 const struct row *rows, unsigned int nrows);
/* Notes printed under the tables (and in the JSON); repeats are dropped. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned int note_count(void);
const char *note_get(unsigned int i);

#endif /* MQ_BENCH_H */
