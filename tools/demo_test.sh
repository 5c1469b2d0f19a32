#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/demo_test.sh: runs the README's main command, tools/demo, and
# checks what it shows, so the demo cannot rot unnoticed: the module
# loads, keyed messages land on the queues Kafka's partitioner picks, a
# group reads everything, a group that stopped early shows its lag and
# then none, and the module unloads with nothing leaked.  KTAP on stdout.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/ktap.sh"

out=$(mktemp)
trap 'rm -f "$out"' EXIT

ktap_plan 6
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
ktap_check unloaded_clean "no clean unload at the end" \
	bash -c "grep -q 'mq: unloaded' '$out' && ! grep -q 'mq: leak' '$out'"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$out"
ktap_finish
