#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mqd_bench_smoke_test: mqd-bench --quick on a folder of /tmp runs every
# test (the disk alone, /dev/mq with mqd under each acks and flush, the
# three persist paths), each checking what it moved, and prints every row
# and every ratio with numbers above 0; it asserts no speed.  It leaves
# no folder, topic or mqd behind; it rejects bad options with exit status
# 2; and disk-bench refuses to run without a disk.  Needs root, the
# module loaded, daemon/mqd built.
. "$(dirname "$0")/ktap.sh"

top=$(cd "$(dirname "$0")/.." && pwd)
bench=$top/tools/mq-bench/mqd-bench
CASES=(rows ratios clean_exit usage_errors disk_bench_no_disk)
ktap_plan ${#CASES[@]}

if [ ! -x "$bench" ] || [ ! -x "$top/daemon/mqd" ]; then
	ktap_fail_all "tools/mq-bench/mqd-bench or daemon/mqd is not built (run make)" "${CASES[@]}"
fi
if [ ! -c /dev/mq/control ]; then
	ktap_fail_all "/dev/mq/control is missing: the mq module is not loaded" "${CASES[@]}"
fi

tmp=$(mktemp -d /tmp/mqd_bench_smoke.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

out=$("$bench" --dir "$tmp" --quick 2>"$tmp/err")
rc=$?
while IFS= read -r line; do echo "# $line"; done <<<"$out"

# check_rows: each row's title once, then at each of the two sizes a rate
# and MB/s above 0 and a spread; returns what is wrong.
check_rows() {
	python3 -c '
import re, sys
text = sys.stdin.read()
titles = ["write, 1 fdatasync", "write + fdatasync each",
	  "acks=0, 1 producer", "acks=1 async, 1 producer",
	  "acks=1 async, 64 producers", "acks=1 sync, 1 producer",
	  "acks=1 sync, 64 producers", "mmap + write (mqd)", "read + write",
	  "splice via a pipe"]
bad = []
for t in titles:
	rows = [l[len(t):].split() for l in text.splitlines()
		if l.startswith(t + "  ")]
	try:
		a, b, sa, c, d, sb = rows[0]
		ok = (len(rows) == 1 and min(float(v) for v in (a, b, c, d)) > 0
		      and re.fullmatch(r"\d+\.\d%", sa) and re.fullmatch(r"\d+\.\d%", sb))
	except (IndexError, ValueError):
		ok = False
	if not ok:
		bad.append("%s: %s" % (t, rows))
print("; ".join(bad))
sys.exit(1 if bad else 0)
'
}

# check_ratios: each ratio once, above 0 at both sizes, of the medians
# and round by round, and the targets' verdicts where the targets are.
check_ratios() {
	python3 -c '
import sys
text = sys.stdin.read()
names = {"acks=0 / raw write": "",
	 "acks=1 async, 1 producer / raw write": ">= 0.8: 4096 B ",
	 "acks=1 async, 64 producers / raw write": ">= 0.8: 4096 B ",
	 "acks=1 sync, 64 producers / fdatasync each": ">= 10: 64 B ",
	 "acks=1 sync, 1 producer / fdatasync each": "",
	 "persist: read + write / mmap + write": "",
	 "persist: splice / mmap + write": ""}
bad = []
for name, verdict in names.items():
	rows = [l[len(name):] for l in text.splitlines() if l.startswith(name + "  ")]
	try:
		vals = [float(v) for v in rows[0].split()[:4]]
		ok = len(rows) == 1 and min(vals) > 0
		rest = " ".join(rows[0].split()[4:])
		ok = ok and (rest.startswith(verdict) if verdict else rest == "")
	except (IndexError, ValueError):
		ok = False
	if not ok:
		bad.append("%s: %s" % (name, rows))
print("; ".join(bad))
sys.exit(1 if bad else 0)
'
}

# Exit status 0: every test ran and checked what it moved (1 and notes
# saying why otherwise).
if [ "$rc" -ne 0 ]; then
	ktap_fail rows "mqd-bench --quick exited $rc: $(cat "$tmp/err"; sed -n '/^Notes:/,$p' <<<"$out")"
	ktap_fail ratios "mqd-bench --quick exited $rc"
else
	if why=$(check_rows <<<"$out"); then
		ktap_pass rows
	else
		ktap_fail rows "$why"
	fi
	if why=$(check_ratios <<<"$out"); then
		ktap_pass ratios
	else
		ktap_fail ratios "$why"
	fi
fi

# Nothing left: its folder, its topics (mqdb.<pid>.*), its mqd.
shopt -s nullglob
left=("$tmp"/mqd-bench.* /dev/mq/mqdb.*)
shopt -u nullglob
mapfile -t -O ${#left[@]} left < <(pgrep -f -- "-d $tmp/")
ktap_check clean_exit "left behind: ${left[*]}" [ ${#left[@]} -eq 0 ]

# Each must fail with exit status 2 and say what is wrong on stderr.
usage_ok=1
while read -r args; do
	# shellcheck disable=SC2086 # word splitting is the point
	"$bench" ${args//DIR/$tmp} >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 2 ] || [ ! -s "$tmp/err" ]; then
		echo "# mqd-bench $args: exit $rc, stderr: $(cat "$tmp/err")"
		usage_ok=0
	fi
done <<'BAD'
--quick
--dir /nonexistent --quick
--dir DIR --quick --duration 1
--dir DIR --quick --repeat 2
--dir DIR --duration 0
--dir DIR --duration 61
--dir DIR --duration x
--dir DIR --max-mb 0
--dir DIR --max-mb 12x
--dir DIR --fill-mb 999
--dir DIR --repeat 16
--dir DIR --producers 1
--dir DIR --producers -3
--dir DIR --mqd /nonexistent
--dir DIR --nope
--dir DIR stray
BAD
ktap_check usage_errors "a bad command line was not refused with exit status 2" \
	[ "$usage_ok" -eq 1 ]

out=$(MQ_VM_DISK='' "$top/tools/mq-bench/disk-bench" --quick 2>&1)
rc=$?
want="disk-bench: no disk: run it in a guest booted with tools/vm/run --disk IMG"
ktap_check disk_bench_no_disk "exit $rc: $out" [ "$rc $out" = "2 $want" ]
ktap_finish
