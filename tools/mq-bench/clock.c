// SPDX-License-Identifier: GPL-2.0
/*
 * Time in mq-bench is the CPU's time-stamp counter.  In a TCG guest
 * clock_gettime() reads the HPET, which costs microseconds, more than a
 * message does; rdtsc costs nanoseconds.  The counter's rate is measured
 * once per run against CLOCK_MONOTONIC over about 200 ms, and every tick
 * count is turned into seconds with it.
 */
#include <errno.h>
#include <sched.h>
#include <time.h>

#include "bench.h"

#define CALIBRATE_NS	200000000LL

static double tsc_hz;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#if !defined(__x86_64__) && !defined(__i386__)
/* Elsewhere the "ticks" are nanoseconds: slower to read, but correct. */
uint64_t clock_ticks_fallback(void)
{
	return (uint64_t)mono_ns();
}
#endif

/*
 * One pair of readings: the counter on both sides of the clock read, so
 * that the slow read itself (the HPET) splits evenly around its result.
 */
static void sample(int64_t *ns, uint64_t *ticks)
{
	uint64_t before = clock_ticks();

	*ns = mono_ns();
	*ticks = before + (clock_ticks() - before) / 2;
}

int clock_calibrate(void)
{
	struct timespec nap = { 0, CALIBRATE_NS };
	cpu_set_t was, here;
	int64_t ns0, ns1;
	uint64_t t0, t1;
	int cpu;

	/*
	 * Both samples on one CPU: a guest's vCPUs may have counters that
	 * are offset from each other ("TSCs unsynchronized" in dmesg), so a
	 * difference across CPUs would be wrong.  The same goes for every
	 * interval mq-bench measures, which is why they are all taken by a
	 * process pinned to one CPU (unless --no-pin).
	 */
	cpu = sched_getcpu();
	if (cpu >= 0 && !sched_getaffinity(0, sizeof(was), &was)) {
		CPU_ZERO(&here);
		CPU_SET(cpu, &here);
		if (sched_setaffinity(0, sizeof(here), &here))
			cpu = -1;
	} else {
		cpu = -1;
	}
	sample(&ns0, &t0);
	/* A sleep, not a spin: the counter runs at a constant rate anyway. */
	while (nanosleep(&nap, &nap) && errno == EINTR)
		;
	sample(&ns1, &t1);
	if (cpu >= 0)
		sched_setaffinity(0, sizeof(was), &was);
	if (ns1 <= ns0 || t1 <= t0)
		return -EIO;
	tsc_hz = (double)(t1 - t0) * 1e9 / (double)(ns1 - ns0);
	return 0;
}

double clock_hz(void)
{
	return tsc_hz;
}

double clock_seconds(uint64_t ticks)
{
	return (double)ticks / tsc_hz;
}
