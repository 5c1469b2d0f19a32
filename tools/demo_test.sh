#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/demo_test.sh: runs the README's main command, tools/demo, and
# checks what it shows, so the demo cannot rot unnoticed: the module
# loads, mqd starts and persists the writes, keyed messages land on the
# queues Kafka's partitioner picks, a group reads everything, a group that
# stopped early shows its lag and then none, after the topic went and mqd
# started again it is back with its group's offsets and its messages are
# read from the log, and the module unloads with nothing leaked.  KTAP on
# stdout.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/ktap.sh"

out=$(mktemp)
trap 'rm -f "$out"' EXIT

ktap_plan 9
# The guest's console ends its lines with CR LF.
"$top/tools/demo" 2>&1 | tr -d '\r' >"$out"
rc=${PIPESTATUS[0]}

# has NAME WHY PATTERN: passes when a line of the demo's output matches.
has() {
	ktap_check "$1" "$2" grep -qE -- "$3" "$out"
}

ktap_check exit_status "tools/demo exited with $rc" test "$rc" -eq 0
has module_loaded "no 'mq: loaded' in the guest's log" 'mq: loaded'
ktap_check partitioner "keyed sends did not land where murmur2 puts them" \
	bash -c "grep -qx 'alice -> queue 0' '$out' && grep -qx 'bob -> queue 0' '$out' &&
		 grep -qx 'carol -> queue 2' '$out'"
ktap_check group_reads_all "billing did not read the 7 messages" \
	test "$(grep -cE '^queue [0-9]+ offset [0-9]+ timestamp ' "$out")" -eq 7
ktap_check lag_then_none "shipping's lag was not 4, then 0" \
	bash -c "grep -qx 'orders/0 committed 2 delivered 6 pending 4 lag 4 members 0' '$out' &&
		 grep -qx 'orders/0 committed 6 delivered 6 pending 0 lag 0 members 0' '$out'"
ktap_check mqd_persists "mqd did not start, or the 7 writes were not all durable" \
	bash -c "grep -q '^mqd: info: ready: /tmp/mq-data' '$out' &&
		 grep -qE '^orders/0 first 0 next 6 .* durable 6 .* log-segments 1 ' '$out'"
ktap_check mqd_restores "the topic and its group were not restored" \
	bash -c "grep -qx 'mqd: info: topic orders: restored, with 6 group offsets' '$out' &&
		 grep -qE '^orders/0 first 6 next 6 .* durable 6 ' '$out' &&
		 grep -qE '^orders/2 first 1 next 1 .* durable 1 ' '$out'"
ktap_check past_from_log "the 7 messages were not read from the log" \
	test "$(grep -c '^{\"topic\":\"orders\"' "$out")" -eq 7
ktap_check unloaded_clean "no clean unload at the end" \
	bash -c "grep -q 'mq: unloaded' '$out' && ! grep -q 'mq: leak' '$out'"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$out"
ktap_finish
