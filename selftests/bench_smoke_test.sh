#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench_smoke_test: mq-bench --quick moves every message over every
# transport, verified (counts and sequence numbers, never speed); its solo
# measurement prints a row of positive numbers for every transport and
# the null floor, every message verified; and it rejects bad options with
# exit status 2.  /dev/mq is skipped only while the loaded module reports
# no queues (MQ_FEAT_QUEUES).
. "$(dirname "$0")/ktap.sh"

bench=$(cd "$(dirname "$0")/.." && pwd)/tools/mq-bench/mq-bench
transports="mq pipe unix posixmq shmring"
ktap_plan 7

# check_json: every round of every test sent and received --count
# messages (round trips), with no error; prints what is wrong otherwise.
check_json() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
n, bad = d["count"], []
tp = d["throughput"]
if len(tp) != 2 or len(d["pingpong"]) != 1:
	bad.append("expected 2 throughput sizes and 1 ping-pong, got %d and %d"
		   % (len(tp), len(d["pingpong"])))
for e in tp:
	for r in e["rounds"]:
		if r["error"] or r["sent"] != n or r["received"] != n:
			bad.append("%s %d B: sent %d, received %d of %d: %s" % (e["transport"],
				   e["size"], r["sent"], r["received"], n, r["error"]))
for e in d["pingpong"]:
	for r in e["rounds"]:
		if r["error"] or r["round_trips"] != n:
			bad.append("%s ping-pong: %d round trips of %d: %s" % (e["transport"],
				   r["round_trips"], n, r["error"]))
print("; ".join(bad))
sys.exit(1 if bad else 0)
'
}

# check_solo_text: the text of --measure solo at two sizes has, in each
# table, one row per transport with a batch, ns per send, per receive and
# per pair, and a ratio to /dev/mq, all numbers above 0.
check_solo_text() {
	python3 -c '
import sys
titles = ["/dev/mq", "pipe", "AF_UNIX seqpacket", "POSIX mq",
	  "shm ring (spin+futex)", "/dev/null + /dev/zero"]
tables = sys.stdin.read().split("\nSolo, ")[1:]
bad = []
if len(tables) != 2:
	bad.append("expected 2 solo tables, got %d" % len(tables))
for t in tables:
	size = t.split(" ", 1)[0]
	for title in titles:
		rows = [l[len(title):].split() for l in t.splitlines()
			if l.startswith(title + " ")]
		try:
			vals = [float(v) for v in rows[0]]
		except (IndexError, ValueError):
			vals = []
		if len(rows) != 1 or len(vals) != 5 or min(vals) <= 0:
			bad.append("%s B, %s: %s" % (size, title, rows))
print("; ".join(bad))
sys.exit(1 if bad else 0)
'
}

# check_solo_json: every solo round of every transport timed --count
# messages, each sent and received, with no error.
check_solo_json() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
n, bad = d["count"], []
if len(d["solo"]) != 12 or d["throughput"] or d["pingpong"]:
	bad.append("expected 12 solo rows and nothing else, got %d, %d and %d"
		   % (len(d["solo"]), len(d["throughput"]), len(d["pingpong"])))
for e in d["solo"]:
	for r in e["rounds"]:
		if r["error"] or r["pairs"] != n or r["batch"] < 1:
			bad.append("%s %d B: %d of %d, batch %d: %s" % (e["transport"],
				   e["size"], r["pairs"], n, r["batch"], r["error"]))
print("; ".join(bad))
sys.exit(1 if bad else 0)
'
}

if [ ! -x "$bench" ]; then
	for t in $transports solo usage_errors; do
		ktap_fail "$t" "$bench is not built (run make)"
	done
	ktap_finish
fi

errf=$(mktemp)
trap 'rm -f "$errf"' EXIT
for t in $transports; do
	out=$("$bench" --quick --json --transports "$t" 2>"$errf")
	rc=$?
	if [ "$rc" -eq 3 ] && [ "$t" = mq ] && grep -q MQ_FEAT_QUEUES "$errf"; then
		ktap_skip "$t" "the loaded mq.ko has no queues yet"
	elif [ "$rc" -ne 0 ]; then
		ktap_fail "$t" "mq-bench exited $rc: $(tail -n 3 "$errf"; echo "$out" | grep '"error": "' | head -n 3)"
	elif why=$(echo "$out" | check_json); then
		ktap_pass "$t"
	else
		ktap_fail "$t" "$why"
	fi
done

# Solo: all transports and null, in one process each.
out=$("$bench" --quick --measure solo 2>"$errf")
rc=$?
if [ "$rc" -eq 3 ] && grep -q MQ_FEAT_QUEUES "$errf"; then
	ktap_skip solo "the loaded mq.ko has no queues yet"
elif [ "$rc" -ne 0 ]; then
	ktap_fail solo "mq-bench --measure solo exited $rc: $(tail -n 3 "$errf"; echo "$out" | grep -A3 '^Notes:')"
elif ! why=$(echo "$out" | check_solo_text); then
	ktap_fail solo "$why"
elif ! out=$("$bench" --quick --json --measure solo 2>"$errf"); then
	ktap_fail solo "mq-bench --measure solo --json failed: $(tail -n 3 "$errf")"
elif why=$(echo "$out" | check_solo_json); then
	ktap_pass solo
else
	ktap_fail solo "$why"
fi

# Each must fail with exit status 2 and say what is wrong on stderr.
usage_ok=1
while read -r args; do
	# shellcheck disable=SC2086 # word splitting is the point
	"$bench" $args >/dev/null 2>"$errf"
	rc=$?
	if [ "$rc" -ne 2 ] || [ ! -s "$errf" ]; then
		echo "# mq-bench $args: exit $rc, stderr: $(cat "$errf")"
		usage_ok=0
	fi
done <<'BAD'
--size 8
--size 64,64
--size 70000
--count 0
--count 12x
--duration 0
--count 5 --duration 1
--quick --duration 1
--transports pipe,nope
--transports pipe,pipe
--buffer 100000
--buffer 64K --size 65536
--repeat 99
--topic ../x
--topic control
--transports pipe --topic t
--measure nope
--measure solo,solo
--measure ,
--transports null
--measure tput --transports pipe,null
--measure tput,solo --transports null
stray
BAD
if [ "$usage_ok" -eq 1 ]; then
	ktap_pass usage_errors
else
	ktap_fail usage_errors "a bad command line was not refused with exit status 2"
fi
ktap_finish
