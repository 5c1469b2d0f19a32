# SPDX-License-Identifier: GPL-2.0
# KTAP output for mq's shell selftests, in the form kselftest_harness.h
# prints, so ./run counts shell and C tests alike.  Source it, call
# ktap_plan N, one ktap_pass/ktap_fail/ktap_skip per case, then ktap_finish.
# shellcheck shell=bash

KSFT_PASS=0 KSFT_FAIL=0 KSFT_SKIP=0 KSFT_NUM=0

ktap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

ktap_pass() {
	KSFT_NUM=$((KSFT_NUM + 1)) KSFT_PASS=$((KSFT_PASS + 1))
	echo "ok $KSFT_NUM $1"
}

ktap_fail() {
	KSFT_NUM=$((KSFT_NUM + 1)) KSFT_FAIL=$((KSFT_FAIL + 1))
	echo "# $1: $2"
	echo "not ok $KSFT_NUM $1"
}

ktap_skip() {
	KSFT_NUM=$((KSFT_NUM + 1)) KSFT_SKIP=$((KSFT_SKIP + 1))
	echo "ok $KSFT_NUM $1 # SKIP $2"
}

# ktap_check NAME WHY-IF-FAILED COMMAND...: pass when COMMAND succeeds.
ktap_check() {
	local name=$1 why=$2

	shift 2
	if "$@"; then
		ktap_pass "$name"
	else
		ktap_fail "$name" "$why"
	fi
}

# ktap_skip_all WHY CASE...: every case skipped for WHY, then finish.
ktap_skip_all() {
	local why=$1 t

	shift
	for t in "$@"; do
		ktap_skip "$t" "$why"
	done
	ktap_finish
}

# ktap_fail_all WHY CASE...: every case failed for WHY, then finish.
ktap_fail_all() {
	local why=$1 t

	shift
	for t in "$@"; do
		ktap_fail "$t" "$why"
	done
	ktap_finish
}

# ktap_wait WHAT COMMAND...: up to 10 s for COMMAND to succeed; says
# what it gave up on, as a diagnostic line, when it does not.
ktap_wait() {
	local what=$1 _

	shift
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	echo "# gave up waiting for $what"
	return 1
}

# Exits 0 when all passed, 4 (kselftest's skip) when all skipped, else 1.
ktap_finish() {
	echo "# Totals: pass:$KSFT_PASS fail:$KSFT_FAIL xfail:0 xpass:0 skip:$KSFT_SKIP error:0"
	[ "$KSFT_FAIL" -eq 0 ] || exit 1
	[ "$KSFT_PASS" -gt 0 ] || [ "$KSFT_SKIP" -eq 0 ] || exit 4
	exit 0
}
