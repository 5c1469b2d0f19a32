#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lib_examples_test: lib/examples/producer and consumer, as built, against
# a three-queue topic: the producer's keys on the queues Kafka's
# partitioner picks, the consumer printing each message once, in offset
# order per queue, and committing it, so that the group's next member
# goes on after it; exact output throughout.  Needs root and the module.
. "$(dirname "$0")/ktap.sh"

TOP=$(cd "$(dirname "$0")/.." && pwd)
MQCTL=$TOP/tools/mqctl/mqctl
PRODUCER=$TOP/lib/examples/producer
CONSUMER=$TOP/lib/examples/consumer
T=mqex-orders
tmp=$(mktemp -d)
trap '"$MQCTL" topic del $T 2>/dev/null; rm -rf "$tmp"' EXIT

# run NAME RC STDOUT STDERR COMMAND...: exact output and exit status.  The
# consumer's lines are sorted by queue (a stable sort): the order of
# queues varies, the offset order within one does not.
run() {
	local name=$1 want_rc=$2 want_out=$3 want_err=$4 rc out err

	shift 4
	timeout 20 "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "${1##*/}" = consumer ]; then
		out=$(sort -s -n -k2,2 "$tmp/out")
	else
		out=$(cat "$tmp/out")
	fi
	err=$(cat "$tmp/err")
	if [ "$rc" = "$want_rc" ] && [ "$out" = "$want_out" ] && [ "$err" = "$want_err" ]; then
		ktap_pass "$name"
	else
		ktap_fail "$name" "${*##*/}: rc $rc (want $want_rc), stdout '$out' (want '$want_out'), stderr '$err' (want '$want_err')"
	fi
}

cases() {
	local out

	run producer_usage 1 "" "usage: producer TOPIC COUNT" "$PRODUCER" $T
	run consumer_usage 1 "" "usage: consumer TOPIC GROUP [COUNT]" "$CONSUMER" $T
	run producer_no_topic 1 "" "producer: mqex-none: No such file or directory" \
		"$PRODUCER" mqex-none 1
	run consumer_no_topic 1 "" "consumer: mqex-none: No such file or directory" \
		"$CONSUMER" mqex-none g

	"$MQCTL" topic add $T queues 3
	# user-0 is on queue 1, user-1 to user-3 on queue 2 (mq_partition, 3 queues).
	run produce 0 "$(printf '%s\n' \
		"user-0: message 0 -> queue 1" "user-1: message 1 -> queue 2" \
		"user-2: message 2 -> queue 2" "user-3: message 3 -> queue 2" \
		"user-0: message 4 -> queue 1" "user-1: message 5 -> queue 2" \
		"user-2: message 6 -> queue 2" "user-3: message 7 -> queue 2")" "" \
		"$PRODUCER" $T 8
	run consume 0 "$(printf '%s\n' \
		"queue 1 offset 0 key user-0 value message 0" \
		"queue 1 offset 1 key user-0 value message 4" \
		"queue 2 offset 0 key user-1 value message 1" \
		"queue 2 offset 1 key user-2 value message 2" \
		"queue 2 offset 2 key user-3 value message 3" \
		"queue 2 offset 3 key user-1 value message 5" \
		"queue 2 offset 4 key user-2 value message 6" \
		"queue 2 offset 5 key user-3 value message 7")" "" \
		"$CONSUMER" $T billing 8
	out=$("$MQCTL" group describe $T billing 2>&1)
	ktap_check committed "group describe: '$out'" test "$out" = "$(printf '%s\n' \
		"$T/0 committed 0 delivered 0 pending 0 lag 0 members 0" \
		"$T/1 committed 2 delivered 2 pending 0 lag 0 members 0" \
		"$T/2 committed 6 delivered 6 pending 0 lag 0 members 0")"

	# The group goes on where it committed; a new group starts at the oldest.
	run produce_more 0 "$(printf '%s\n' \
		"user-0: message 0 -> queue 1" "user-1: message 1 -> queue 2")" "" \
		"$PRODUCER" $T 2
	run consume_goes_on 0 "$(printf '%s\n' \
		"queue 1 offset 2 key user-0 value message 0" \
		"queue 2 offset 6 key user-1 value message 1")" "" \
		"$CONSUMER" $T billing 2
	timeout 20 "$CONSUMER" $T audit 10 </dev/null >"$tmp/audit" 2>&1
	ktap_check new_group_reads_all "audit: $(wc -l <"$tmp/audit") lines: $(head -c 300 "$tmp/audit")" \
		test "$(wc -l <"$tmp/audit")" = 10
}

if [ "$(id -u)" -ne 0 ] || ! "$MQCTL" topic show >/dev/null 2>&1; then
	ktap_plan 1
	ktap_fail setup "needs root, $MQCTL built, and mq.ko loaded"
	ktap_finish
fi
for f in "$PRODUCER" "$CONSUMER"; do
	if [ ! -x "$f" ]; then
		ktap_plan 1
		ktap_fail setup "$f is not built (make)"
		ktap_finish
	fi
done
cases >"$tmp/ktap"
ktap_plan "$KSFT_NUM"
cat "$tmp/ktap"
ktap_finish
