#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench_smoke_test: mq-bench --quick moves every message over every
# transport, verified (counts and sequence numbers, never speed); its solo
# measurement prints a row of positive numbers for every transport and
# the null floor, every message verified; one run of /dev/mq's three
# consumers and the shm ring prints the ratios of the mmap consumer to the
# shm ring and of record mode to read(2), in the text and in the JSON;
# and it rejects bad options with exit status 2.  A /dev/mq transport is
# skipped only while the loaded module lacks what it needs (MQ_FEAT_QUEUES,
# MQ_FEAT_MMAP, MQ_FEAT_RECORD).
. "$(dirname "$0")/ktap.sh"

bench=$(cd "$(dirname "$0")/.." && pwd)/tools/mq-bench/mq-bench
transports="mq mq-mmap mq-record pipe unix posixmq shmring"
ktap_plan 10

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
# per pair, and a ratio to /dev/mq, all numbers above 0; and the table of
# the consumers' ratios has both, at both sizes.
check_solo_text() {
	python3 -c '
import sys
text = sys.stdin.read()
parts = text.split("\nConsumers of /dev/mq against their peers, solo: ")
bad = []
if len(parts) != 2:
	bad.append("no table of solo ratios")
	parts.append("")
rows = parts[1].split("\n\n")[0].splitlines()[2:]
names = sorted(" ".join(l.split()[:-4]) for l in rows)
if names != ["mq-mmap / shmring 4096", "mq-mmap / shmring 64",
	     "mq-record / mq 4096", "mq-record / mq 64"]:
	bad.append("solo ratios: %s" % rows)
for l in rows:
	try:
		ok = float(l.split()[-1]) > 0
	except ValueError:
		ok = False
	if not ok:
		bad.append("solo ratio: %s" % l)
titles = ["/dev/mq", "/dev/mq, mmap consumer", "/dev/mq, record mode", "pipe",
	  "AF_UNIX seqpacket", "POSIX mq", "shm ring (spin+futex)",
	  "/dev/null + /dev/zero"]
tables = parts[0].split("\nSolo, ")[1:]
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
if len(d["solo"]) != 16 or d["throughput"] or d["pingpong"]:
	bad.append("expected 16 solo rows and nothing else, got %d, %d and %d"
		   % (len(d["solo"]), len(d["throughput"]), len(d["pingpong"])))
# Solo has its ratios too: receives alone, both sizes, both ratios.
got = sorted((e["measure"], e["of"], e["over"], e["size"]) for e in d["ratios"]
	     if e["ok"] and e["ratio"] > 0)
want = sorted(("solo", a, b, size) for a, b in [("mq-mmap", "shmring"), ("mq-record", "mq")]
	      for size in (64, 4096))
if got != want or len(d["ratios"]) != 4:
	bad.append("solo ratios %s" % d["ratios"])
for e in d["solo"]:
	for r in e["rounds"]:
		if r["error"] or r["pairs"] != n or r["batch"] < 1:
			bad.append("%s %d B: %d of %d, batch %d: %s" % (e["transport"],
				   e["size"], r["pairs"], n, r["batch"], r["error"]))
print("; ".join(bad))
sys.exit(1 if bad else 0)
'
}

# check_ratio_text: the text of a throughput run at 64 B of mq, mq-mmap,
# mq-record and shmring has the table of ratios, with one row for each
# ratio: both rates and their ratio, all above 0.
check_ratio_text() {
	python3 -c '
import sys
text = sys.stdin.read()
parts = text.split("\nConsumers of /dev/mq against their peers: ")
bad = []
if len(parts) != 2:
	bad.append("no table of ratios")
	parts.append("")
table = parts[1].split("\n\n")[0]
for name in ["mq-mmap / shmring", "mq-record / mq"]:
	rows = [l[len(name):].split() for l in table.splitlines()
		if l.startswith(name + " ")]
	try:
		size, unit, a, b, r = rows[0]
		vals = [float(v.replace(",", "")) for v in (a, b, r)]
	except (IndexError, ValueError):
		size, unit, vals = "", "", []
	if len(rows) != 1 or (size, unit) != ("64", "B") or len(vals) != 3 or min(vals) <= 0:
		bad.append("%s: %s" % (name, rows))
print("; ".join(bad))
sys.exit(1 if bad else 0)
'
}

# check_ratio_json: the same run as JSON: every round moved --count
# messages, and "ratios" holds both ratios at 64 B, each the quotient of
# the two transports' throughput.
check_ratio_json() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
n, bad = d["count"], []
tp = {e["transport"]: e for e in d["throughput"]}
if sorted(tp) != ["mq", "mq-mmap", "mq-record", "shmring"]:
	bad.append("throughput of %s" % sorted(tp))
for e in d["throughput"]:
	for r in e["rounds"]:
		if r["error"] or r["sent"] != n or r["received"] != n:
			bad.append("%s: sent %d, received %d of %d: %s" % (e["transport"],
				   r["sent"], r["received"], n, r["error"]))
want = {("tput", "mq-mmap", "shmring"), ("tput", "mq-record", "mq")}
got = {(e["measure"], e["of"], e["over"]) for e in d["ratios"]}
if got != want or len(d["ratios"]) != 2:
	bad.append("ratios %s" % sorted(got))
for e in d["ratios"]:
	ok = e["ok"] and e["size"] == 64 and e["ratio"] and e["ratio"] > 0
	if ok and e["of"] in tp and e["over"] in tp:
		q = tp[e["of"]]["msgs_per_s"] / tp[e["over"]]["msgs_per_s"]
		ok = abs(e["ratio"] - q) <= 1e-3 * q
	if not ok:
		bad.append("ratio %s" % e)
print("; ".join(bad))
sys.exit(1 if bad else 0)
'
}

# unavailable RC: whether mq-bench exited RC because the loaded module
# lacks what a /dev/mq transport needs (a skip, not a failure);
# unavailable_why says what it lacks.
unavailable() {
	[ "$1" -eq 3 ] && grep -q 'MQ_FEAT_[A-Z]* not set' "$errf"
}

unavailable_why() {
	sed -n 's/.*(\(MQ_FEAT_[A-Z]* not set\)).*/the loaded mq.ko: \1/p' "$errf" | head -n 1
}

if [ ! -x "$bench" ]; then
	for t in $transports solo ratios usage_errors; do
		ktap_fail "$t" "$bench is not built (run make)"
	done
	ktap_finish
fi

errf=$(mktemp)
trap 'rm -f "$errf"' EXIT
for t in $transports; do
	out=$("$bench" --quick --json --transports "$t" 2>"$errf")
	rc=$?
	if unavailable "$rc"; then
		ktap_skip "$t" "$(unavailable_why)"
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
if unavailable "$rc"; then
	ktap_skip solo "$(unavailable_why)"
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

# The ratios, from one run of the four transports they divide.
ratio_args=(--quick --measure tput --size 64 --transports "mq,mq-mmap,mq-record,shmring")
out=$("$bench" "${ratio_args[@]}" 2>"$errf")
rc=$?
if unavailable "$rc"; then
	ktap_skip ratios "$(unavailable_why)"
elif [ "$rc" -ne 0 ]; then
	ktap_fail ratios "mq-bench ${ratio_args[*]} exited $rc: $(tail -n 3 "$errf"; echo "$out" | grep -A3 '^Notes:')"
elif ! why=$(echo "$out" | check_ratio_text); then
	ktap_fail ratios "$why"
elif ! out=$("$bench" "${ratio_args[@]}" --json 2>"$errf"); then
	ktap_fail ratios "mq-bench ${ratio_args[*]} --json failed: $(tail -n 3 "$errf")"
elif why=$(echo "$out" | check_ratio_json); then
	ktap_pass ratios
else
	ktap_fail ratios "$why"
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
--transports mq-nope
--transports mq-mmap,mq-mmap
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
