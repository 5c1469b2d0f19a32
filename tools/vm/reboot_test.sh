#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reboot_test: mqd's topics, queue offsets, consumer groups' committed
# offsets and logs survive a reboot, and a crash.  Runs on the host: it
# makes an ext4 image in a temporary folder and boots three guests on it,
# one after the other (tools/vm/run --disk), each running its part of
# selftests/mqd_reboot.sh:
#
#   1. first: mqd on the fresh disk; two topics, acks 1 writes, commits;
#      SIGTERM, unmount, power off: the ordinary reboot
#   2. second: all of it back, exact values; writes and commits go on;
#      more of both, then mqd killed (SIGKILL) and the file system shut
#      down without flushing its journal: a power loss
#   3. third: all that was acknowledged before the cut is back
#
# Prints KTAP.  Each boot is a case (the guest finished, and the bench's
# checks passed: module load and unload, kernel log), and so is each of
# the guest's cases.  A boot that fails, or whose hand-over (the first's
# unmount, the second's cut) fails, ends the sequence: its cases and the
# later boots' that did not report fail, they do not vanish.  Ends with
# "# Totals:"; exits 0 when nothing failed.  tools/check runs it.
#
#   tools/vm/reboot_test.sh [--keep]
#
# --keep keeps the folder (the image, each boot's run files), which is
# kept anyway when a case fails.  MQ_REBOOT_TIMEOUT bounds each boot
# (default 600 s, on top of the bench's own boot limit).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/ktap.sh"
run=$top/tools/vm/run
guest=selftests/mqd_reboot.sh
parts=(first second third)
# The case whose pass lets the next boot go on.
declare -A handover=([first]=expect_saved [second]=crash)
limit=${MQ_REBOOT_TIMEOUT:-600}

keep=0
case "${1:-}" in
--keep) keep=1 ;;
"") ;;
*) echo "usage: $0 [--keep]" >&2; exit 2 ;;
esac
[[ $limit =~ ^[1-9][0-9]*$ ]] ||
	{ echo "reboot_test: MQ_REBOOT_TIMEOUT takes seconds, not '$limit'" >&2; exit 2; }

declare -A names
total=0
for p in "${parts[@]}"; do
	names[$p]=$("$top/$guest" --list "$p" | xargs)
	if [ -z "${names[$p]}" ]; then
		echo "reboot_test: $guest --list $p names no case" >&2
		exit 2
	fi
	set -- ${names[$p]}
	total=$((total + 1 + $#))
done
ktap_plan "$total"

tmp=$(mktemp -d -t mq-reboot.XXXXXX)
img=$tmp/disk.img
broken=
# A 256 MiB disk whose file system ends at 240 MiB: each boot saves what
# the next must find past it (selftests/mqd_reboot.sh says why).
if ! truncate -s 256M "$img" || ! mkfs.ext4 -q -F "$img" 240M >"$tmp/mkfs" 2>&1; then
	broken="cannot make an ext4 image: $(tr '\n' ' ' <"$tmp/mkfs")"
fi

# fail_part PART WHY: PART's boot and every case of it failed for WHY.
fail_part() {
	local c

	ktap_fail "$1_boot" "$2"
	for c in ${names[$1]}; do
		ktap_fail "$1_$c" "$2"
	done
}

n=0
for p in "${parts[@]}"; do
	n=$((n + 1))
	if [ -n "$broken" ]; then
		fail_part "$p" "$broken"
		continue
	fi
	out=$tmp/$p
	start=$SECONDS
	"$run" -q --name reboot -t "$limit" --disk "$img" --out "$out" -- \
		"$guest $p >/run/mq-vm/ktap 2>&1" >"$tmp/$p.log" 2>&1
	rc=$?
	echo "# boot $n ($p): tools/vm/run exit $rc after $((SECONDS - start)) s"
	sed 's/^/# /' "$out/ktap" 2>/dev/null

	# The run: the guest finished, and every check of the bench passed.
	if [ ! -s "$out/rc" ]; then
		why="the guest did not finish (tools/vm/run exit $rc): $(tail -n 3 "$tmp/$p.log" | tr '\n' ' ')"
	elif grep -q '^not ok' "$out/checks"; then
		why="$(grep '^not ok' "$out/checks" | tr '\n' ' ')"
	elif ! grep -qx 'ok kernel-log' "$out/checks"; then
		why="no kernel-log check"
	else
		why=
	fi
	if [ -z "$why" ]; then
		ktap_pass "${p}_boot"
	else
		ktap_fail "${p}_boot" "$why"
		sed 's/^/#   /' "$tmp/$p.log"
		broken="boot $n ($p) failed"
	fi

	for c in ${names[$p]}; do
		line=$(grep -E "^(not )?ok [0-9]+ $c\$" "$out/ktap" 2>/dev/null)
		case "$line" in
		ok*) ktap_pass "${p}_$c" ;;
		"not ok"*) ktap_fail "${p}_$c" "failed in the guest" ;;
		*) ktap_fail "${p}_$c" "the guest did not report it (tools/vm/run exit $rc)" ;;
		esac
		if [ "$c" = "${handover[$p]:-}" ] && [ "${line%% *}" != ok ]; then
			broken=${broken:-"boot $n ($p) did not hand over: $c"}
		fi
	done
done

if [ "$KSFT_FAIL" -eq 0 ] && [ "$keep" = 0 ]; then
	rm -rf "$tmp"
else
	echo "# the image and each boot's run files are in $tmp"
fi
ktap_finish
