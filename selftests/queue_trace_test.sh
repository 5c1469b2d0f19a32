#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# queue_trace_test: the trace events in events/mq/ fire where
# Documentation/tracing.rst says, with exact fields: mq_produce for each
# message (also each of a record-mode batch), mq_wakeup when one (or a
# batch) wakes a blocked reader, mq_consume for each message read
# (privately, by a group member, or in a record-mode run) with its
# producer's timestamp, mq_commit for each group commit, mq_drop when
# MQ_FULL_DROP drops what an open reader had not read; none once
# disabled.  Needs root, tracefs and mq.ko loaded; puts back the tracing
# settings it changes.
. "$(dirname "$0")/ktap.sh"

dir=$(cd "$(dirname "$0")" && pwd)
mqctl=$dir/../tools/mqctl/mqctl
io=$dir/mq_io
T=/sys/kernel/tracing
topic=trace.$$			# two queues; the tests use queue 1 mostly
dtopic=tracedrop.$$		# one 4 KiB queue that drops when full
cases="formats reads produce wakeup consume commit drop timestamps disable"
tmp=
old_clock=
old_on=


cleanup() {
	if [ -n "$old_clock" ]; then
		echo 0 >"$T/events/mq/enable"
		echo "$old_clock" >"$T/trace_clock"
		echo "$old_on" >"$T/tracing_on"
		: >"$T/trace"
	fi
	"$mqctl" topic del "$topic" 2>/dev/null
	"$mqctl" topic del "$dtopic" 2>/dev/null
	[ -z "$tmp" ] || rm -rf "$tmp"
}

ktap_plan 9
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root" $cases
if [ ! -x "$mqctl" ] || [ ! -x "$io" ]; then
	ktap_fail_all "$mqctl or $io is missing: run make" $cases
fi
[ -e "$T/trace" ] || mount -t tracefs nodev "$T" ||
	ktap_fail_all "tracefs is not mounted on $T and mounting it failed" $cases
[ -d "$T/events/mq" ] || ktap_fail_all "$T/events/mq is missing: is mq.ko loaded?" $cases

trap cleanup EXIT
tmp=$(mktemp -d)
if ! "$mqctl" topic add "$topic" queues 2 ||
   ! "$mqctl" topic add "$dtopic" ring-size 4K policy drop; then
	ktap_fail_all "mqctl topic add failed" $cases
fi

# blocked PID DEV: PID sleeps in read(2) on a file of DEV.
blocked() {
	local nr fd state

	read -r nr fd _ <"/proc/$1/syscall" 2>/dev/null || return 1
	[ "$nr" = 0 ] || return 1
	[ "$(readlink "/proc/$1/fd/$((fd))")" = "$2" ] || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat")
	[ "${state%% *}" = S ]
}

# wait_blocked PID DEV: until blocked, at most 20 s.
wait_blocked() {
	local i

	for ((i = 0; i < 400; i++)); do
		blocked "$1" "$2" && return 0
		sleep 0.05
	done
	return 1
}

# ev FILE EVENT TOPIC FIELD...: for each EVENT on TOPIC in the trace FILE,
# in order, one line with the values of FIELDs.
ev() {
	awk -v ev="$2:" -v topic="topic=$3" -v fields="${*:4}" '
	{
		for (i = 1; i < NF && $i != ev; i++)
			;
		if (i >= NF || $(i + 1) != topic)
			next
		n = split(fields, f, " ")
		out = ""
		for (j = 1; j <= n; j++)
			for (k = i + 2; k <= NF; k++)
				if (index($k, f[j] "=") == 1) {
					out = out (j > 1 ? " " : "") substr($k, length(f[j]) + 2)
					break
				}
		print out
	}' "$1"
}

# expect NAME WANT GOT: exact multi-line equality.
expect() {
	if [ "$2" = "$3" ]; then
		ktap_pass "$1"
	else
		ktap_fail "$1" "want '${2//$'\n'/ | }', got '${3//$'\n'/ | }'"
	fi
}

# wake_with OUT DEV STEP...: a reader of DEV, its output to OUT, blocks
# at DEV's next offset; then mq_io DEV STEP... runs, which wakes it.
wake_with() {
	local out=$1 dev=$2 reader

	shift 2
	"$io" "$dev" read >"$out" 2>&1 &
	reader=$!
	if wait_blocked $reader "$dev"; then
		# A step that failed would leave the reader blocked.
		"$io" "$dev" "$@" || kill $reader
	else
		echo "# the reader did not block in read(2) on $dev" >"$out"
		kill $reader
	fi
	wait $reader
}

# produce DEV SIZE...: one message of each SIZE, a clock tick apart (the
# timestamp is the coarse clock's), so that every timestamp the test
# compares is a different one.
produce() {
	local dev=$1 size

	shift
	for size in "$@"; do
		sleep 0.02
		"$io" "$dev" "write:$size"
	done
}

# Trace with one clock for all CPUs, so that the order of the events in
# the trace is the order they happened in, whatever CPU each ran on.
old_clock=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$T/trace_clock")
old_on=$(cat "$T/tracing_on")
echo global >"$T/trace_clock"
echo 1 >"$T/tracing_on"
: >"$T/trace"
t0=$(date +%s%N)
echo 1 >"$T/events/mq/enable"

q1=/dev/mq/$topic/1
# A: a reader blocks on queue 1, then the first message wakes it.
wake_with "$tmp/a" "$q1" write:5
# B: two more on queue 1, one on queue 0, with no reader waiting.
produce "$q1" 11 300
produce "/dev/mq/$topic/0" 7
# C: a group member reads all three, committing twice.
"$io" "$q1" join:g1 read read commit:2 read commit:3 >"$tmp/c" 2>&1
# D: a private reader reads offsets 1 and 2 again.
"$io" "$q1" seek:1 read read >"$tmp/d" 2>&1
# F: record mode.  A reader waits at the next offset (3), while a
# record-mode file reads offsets 0 to 2 in one run and writes them back
# as one batch: they keep their timestamps, land at 3 to 5, and wake the
# waiting reader once, for the batch's last.
wake_with "$tmp/f1" "$q1" mode:record seek:0 read rewrite >"$tmp/f2" 2>&1
# E: with a reader holding offset 0 open, 4 KiB fill up: the fourth
# message (2048 bytes with its header) drops offsets 0 and 1, the fifth
# offset 2.  1064 bytes each for the others.
exec 3<"/dev/mq/$dtopic/0"
produce "/dev/mq/$dtopic/0" 1000 1000 1000 1984 1000
exec 3<&-
t1=$(date +%s%N)
cp "$T/trace" "$tmp/trace"

cases() {
	local e f field ts ts0 ts1 ts2 d0 d2 ok got n

	# ---- the events and the fields tracing.rst lists ----
	ok=
	for e in produce consume drop wakeup commit; do
		f=$T/events/mq/mq_$e/format
		for field in '__data_loc char\[\] topic' 'u32 queue' \
			     'u64 offset' 'u32 size'; do
			grep -q "field:$field;" "$f" 2>/dev/null || ok+=" mq_$e:$field"
		done
		if [ "$e" = commit ]; then
			grep -q 'field:u64 committed;' "$f" || ok+=" mq_commit:committed"
			grep -q 'field:__data_loc char\[\] group;' "$f" || ok+=" mq_commit:group"
		else
			grep -q 'field:u64 timestamp;' "$f" 2>/dev/null || ok+=" mq_$e:timestamp"
		fi
	done
	expect formats "" "$ok"

	# ---- what the readers got (the trace is checked against these) ----
	expect reads "$(printf '%s\n' 'A: read 0 5' 'C: read 0 5' 'read 1 11' \
		'read 2 300' 'D: read 1 11' 'read 2 300' 'F: read 2 520' \
		'F: read 3 5')" \
		"$(printf 'A: %s\nC: %s\nD: %s\nF: %s\nF: %s' "$(cat "$tmp/a")" \
		"$(cat "$tmp/c")" "$(cat "$tmp/d")" "$(cat "$tmp/f2")" "$(cat "$tmp/f1")")"

	# ---- mq_produce: queue, offset, size of each, in order; the batch
	# written back in F with the timestamps of offsets 0 to 2 ----
	ts0=$(ev "$tmp/trace" mq_produce "$topic" queue offset timestamp | awk '$1 == 1 && $2 == 0 { print $3 }')
	ts1=$(ev "$tmp/trace" mq_produce "$topic" queue offset timestamp | awk '$1 == 1 && $2 == 1 { print $3 }')
	ts2=$(ev "$tmp/trace" mq_produce "$topic" queue offset timestamp | awk '$1 == 1 && $2 == 2 { print $3 }')
	expect produce "$(printf '%s\n' '1 0 5' '1 1 11' '1 2 300' '0 0 7' \
		'1 3 5' '1 4 11' '1 5 300' "F: $ts0 $ts1 $ts2")" \
		"$(ev "$tmp/trace" mq_produce "$topic" queue offset size
		   echo "F: $(ev "$tmp/trace" mq_produce "$topic" queue offset timestamp |
			      awk '$1 == 1 && $2 >= 3 { print $3 }' | paste -sd ' ')")"

	# ---- mq_wakeup: only A's and F's readers ever waited ----
	expect wakeup "$(printf '%s\n' "1 0 5 $ts0" "1 5 300 $ts2")" \
		"$(ev "$tmp/trace" mq_wakeup "$topic" queue offset size timestamp; \
		   ev "$tmp/trace" mq_wakeup "$dtopic" queue offset size timestamp)"

	# ---- mq_consume: A, C, D, F in order, each with the producer's time
	# (F's run of three, then its waiting reader's) ----
	expect consume "$(printf '%s\n' "1 0 5 $ts0" "1 0 5 $ts0" "1 1 11 $ts1" \
		"1 2 300 $ts2" "1 1 11 $ts1" "1 2 300 $ts2" "1 0 5 $ts0" \
		"1 1 11 $ts1" "1 2 300 $ts2" "1 3 5 $ts0")" \
		"$(ev "$tmp/trace" mq_consume "$topic" queue offset size timestamp)"

	# ---- mq_commit: offset, messages acknowledged, group's committed ----
	expect commit "$(printf '1 g1 2 2 2\n1 g1 3 1 3')" \
		"$(ev "$tmp/trace" mq_commit "$topic" queue group offset size committed)"

	# ---- mq_drop: first offset, count, first one's timestamp ----
	d0=$(ev "$tmp/trace" mq_produce "$dtopic" offset timestamp | awk '$1 == 0 { print $2 }')
	d2=$(ev "$tmp/trace" mq_produce "$dtopic" offset timestamp | awk '$1 == 2 { print $2 }')
	got=$(ev "$tmp/trace" mq_produce "$dtopic" queue offset size | tr '\n' ' ')
	if [ "$got" != "0 0 1000 0 1 1000 0 2 1000 0 3 1984 0 4 1000 " ]; then
		ktap_fail drop "the drop topic's mq_produce events are '$got'"
	else
		expect drop "$(printf '0 0 2 %s\n0 2 1 %s' "$d0" "$d2")" \
			"$(ev "$tmp/trace" mq_drop "$dtopic" queue offset size timestamp)"
	fi

	# ---- timestamps: CLOCK_REALTIME (coarse: up to a tick behind), and
	# all different, or the comparisons above would prove less ----
	ok=1
	n=0
	for ts in $ts0 $ts1 $ts2 $d0 $d2; do
		n=$((n + 1))
		if [ "$ts" -lt $((t0 - 1000000000)) ] || [ "$ts" -gt "$t1" ]; then
			ok=
		fi
	done
	ktap_check timestamps "want 5 increasing in [$t0 - 1 s, $t1], got $n: $ts0 $ts1 $ts2 $d0 $d2" \
		test -n "$ok" -a "$n" = 5 -a "$ts0" -lt "$ts1" -a "$ts1" -lt "$ts2" \
		-a "$ts2" -lt "$d0" -a "$d0" -lt "$d2"

	# ---- disabled: nothing more is recorded ----
	echo 0 >"$T/events/mq/enable"
	n=$(grep -c ': mq_' "$T/trace")
	"$io" "/dev/mq/$topic/0" write:9
	"$io" "/dev/mq/$topic/0" seek:0 read >/dev/null
	got=$(grep -c ': mq_' "$T/trace")
	ktap_check disable "events/mq/enable reads $(cat "$T/events/mq/enable"), $n events before, $got after" \
		test "$(cat "$T/events/mq/enable")" = 0 -a "$n" = "$got" -a "$n" -gt 0
}

cases
ktap_finish
