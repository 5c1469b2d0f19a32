#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mqd_reboot: the guest's half of tools/vm/reboot_test.sh, which boots one
# disk three times.  mqd's topics, queue offsets, consumer groups'
# committed offsets and logs must come back, with exact values, after an
# ordinary reboot (mqd stopped by SIGTERM, the disk unmounted) and after a
# crash (mqd killed by SIGKILL, then the file system cut off as a power
# loss would: what was not synced is gone).  Not one of the selftests (the
# Makefile does not list it): each boot runs one part, on the disk the
# bench attaches as $MQ_VM_DISK, and it needs the boot before it.
#
#   mqd_reboot.sh first    a fresh ext4 disk: mqd, two topics, acks 1
#                          writes, group commits; what the next boot must
#                          find is saved on the disk; SIGTERM, unmount
#   mqd_reboot.sh second   all of it back; writes and commits go on from
#                          there; more of both, then kill -9 and the cut
#   mqd_reboot.sh third    all of it back, as the second boot left it
#   mqd_reboot.sh --list PART   the names of PART's cases, one a line
#
# Needs root, the module loaded and python3.
. "$(dirname "$0")/ktap.sh"

CASES_first=(mqd_ready topics_made writes_acked groups_committed
	     clean_stop expect_saved)
CASES_second=(mount_clean mqd_ready restored topics_back offsets_back
	      groups_back logs_unchanged writes_go_on commits_go_on
	      writes_before_crash crash)
CASES_third=(mount_recovered mqd_ready restored topics_back offsets_back
	     groups_back logs_unchanged writes_go_on)

if [ "${1:-}" = --list ]; then
	case "${2:-}" in
	first|second|third) ;;
	*) echo "usage: $0 --list first|second|third" >&2; exit 2 ;;
	esac
	eval 'printf "%s\n" "${CASES_'"$2"'[@]}"'
	exit 0
fi
part=${1:-}
case "$part" in
first) CASES=("${CASES_first[@]}") ;;
second) CASES=("${CASES_second[@]}") ;;
third) CASES=("${CASES_third[@]}") ;;
*) echo "usage: $0 first|second|third | --list PART" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
MQCTL=$top/tools/mqctl/mqctl
MQD=$top/daemon/mqd
A=rb-a			# 2 queues, acks 1, flush sync (a [topic] section)
B=rb-b			# settings other than the defaults, acks 1, async
# What mqctl topic add was given, as topic show prints it back.
A_SHOW="$A queues 2 ring-size 1M max-msg 64K mode 0600 uid 0 gid 0 policy block acks 1 ack-timeout 30000"
B_SHOW="$B queues 1 ring-size 64K max-msg 1K mode 0640 uid 1 gid 2 policy drop acks 1 ack-timeout 5000"
QUEUES="$A/0 $A/1 $B/0"
# Everything on tmpfs goes with the boot; the disk holds the rest.
run=/run/mq-reboot
mnt=$run/disk
data=$mnt/data
conf=$mnt/mqd.conf
# What the next boot must find goes on the disk past the end of the file
# system, at EXPECT_AT MiB (tools/vm/reboot_test.sh makes it end there):
# see save().
expect=$run/expect
EXPECT_AT=240
ready=$run/ready	# on tmpfs: a ready file of the boot before cannot fool us
pid=			# the mqd running, if any

cleanup() {
	[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null
	wait 2>/dev/null
	! mountpoint -q "$mnt" || umount "$mnt"
}
trap cleanup EXIT

ktap_plan ${#CASES[@]}
[ -x "$MQD" ] && [ -x "$MQCTL" ] ||
	ktap_fail_all "daemon/mqd or tools/mqctl/mqctl is not built (run make)" "${CASES[@]}"
[ -c /dev/mq/control ] || ktap_fail_all "the mq module is not loaded" "${CASES[@]}"
command -v python3 >/dev/null || ktap_fail_all "no python3" "${CASES[@]}"
[ -n "${MQ_VM_DISK:-}" ] && [ -b "$MQ_VM_DISK" ] ||
	ktap_fail_all "no disk: run it through tools/vm/reboot_test.sh" "${CASES[@]}"
mkdir -p "$mnt" "$expect"
fs_end=$(dumpe2fs -h "$MQ_VM_DISK" 2>/dev/null |
	 awk -F: '/^Block count/ { c = $2 } /^Block size/ { s = $2 } END { print c * s }')
[ "${fs_end:-0}" -gt 0 ] && [ "$fs_end" -le $((EXPECT_AT << 20)) ] &&
	[ "$(blockdev --getsize64 "$MQ_VM_DISK")" -ge $(((EXPECT_AT + 1) << 20)) ] ||
	ktap_fail_all "$MQ_VM_DISK: want an ext4 file system of at most $EXPECT_AT MiB, and a MiB after it; the file system has ${fs_end:-no size}" "${CASES[@]}"
mount -t ext4 "$MQ_VM_DISK" "$mnt" ||
	ktap_fail_all "cannot mount $MQ_VM_DISK" "${CASES[@]}"
if [ "$part" = first ]; then
	[ -z "$(ls -A "$mnt" | grep -vx lost+found)" ] ||
		ktap_fail_all "the disk is not fresh: $(ls "$mnt" | xargs)" "${CASES[@]}"
else
	dd if="$MQ_VM_DISK" bs=1M skip=$EXPECT_AT count=1 iflag=direct status=none |
		tar -C "$expect" -x 2>/dev/null
	[ -s "$expect/offsets" ] ||
		ktap_fail_all "the boot before saved nothing to expect" "${CASES[@]}"
fi

# What a shell cannot do: JSON into lines to compare, a log's last record,
# the file system's shutdown ioctl.
cat >"$run/h.py" <<'PY'
import fcntl, json, os, struct, sys

HDR = struct.Struct("<IIQQIIQIHBB16x")	# struct mq_record, 64 bytes
SEG_HDR = 64
EXT4_IOC_SHUTDOWN = (2 << 30) | (4 << 16) | (ord("X") << 8) | 125
EXT4_GOING_FLAGS_NOLOGFLUSH = 2

cmd = sys.argv[1]
if cmd == "settings":
    # mqctl -j topic describe: the settings, without the queues' state
    d = json.load(sys.stdin)
    del d["queues"]
    print(json.dumps(d, sort_keys=True))
elif cmd == "groups":
    # mqctl -j group describe
    for g in json.load(sys.stdin):
        print("%s/%d %s committed %d lag %d members %d" % (
            g["topic"], g["queue"], g["group"], g["committed"], g["lag"],
            g["members"]))
elif cmd == "last":
    # "OFFSET VALUE" of the last record of the log in DIR, or "none"
    last = "none"
    d = sys.argv[2]
    for f in sorted(f for f in os.listdir(d) if f.endswith(".log")):
        with open(os.path.join(d, f), "rb") as fp:
            buf = fp.read()
        pos = SEG_HDR
        while pos + HDR.size <= len(buf):
            ln, _, off, _, kl, vl = HDR.unpack_from(buf, pos)[:6]
            if ln < HDR.size:
                break
            val = buf[pos + 64 + kl:pos + 64 + kl + vl]
            last = "%d %s" % (off, val.decode(errors="replace"))
            pos += (ln + 7) & ~7
    print(last)
elif cmd == "shutdown":
    # As a power loss: the journal is not flushed, nothing more is written.
    # The file written just before, never synced, must be lost with it.
    with open(os.path.join(sys.argv[2], "unsynced"), "w") as f:
        f.write("written, never synced\n")
    fd = os.open(sys.argv[2], os.O_RDONLY)
    fcntl.ioctl(fd, EXT4_IOC_SHUTDOWN,
                struct.pack("<I", EXT4_GOING_FLAGS_NOLOGFLUSH))
PY
h() { python3 "$run/h.py" "$@"; }

# wait_for SECONDS WHAT COMMAND...: up to SECONDS for COMMAND to succeed;
# says what it gave up on.  TCG on a busy host is slow: generous, bounded.
wait_for() {
	local end=$((SECONDS + $1)) what=$2

	shift 2
	until "$@"; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "# gave up waiting for $what"
			return 1
		fi
		sleep 0.1
	done
}

# start_mqd: mqd on the disk, its stderr in $run/mqd.err, up to 60 s for
# its ready file.
start_mqd() {
	rm -f "$ready"
	"$MQD" -c "$conf" -d "$data" --ready-file "$ready" 2>"$run/mqd.err" &
	pid=$!
	if ! wait_for 60 "mqd's ready file" test -e "$ready"; then
		echo "# mqd: $(tr '\n' '|' <"$run/mqd.err")"
		return 1
	fi
}

# is VALUE WANT WHAT: VALUE is WANT, else says so.
is() {
	[ "$1" = "$2" ] && return 0
	echo "# $3: '$1', want '$2'"
	return 1
}

# field QUEUE FIELD: a field of mqctl queue show's line for QUEUE (t/q).
field() {
	"$MQCTL" queue show "${1%/*}" | awk -v q="$1" -v f="$2" \
		'$1 == q { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }'
}

persisted() {
	local q

	for q in $QUEUES; do
		[ "$(field "$q" persister)" = 1 ] || return 1
	done
}

qdir() { echo "$data/topics/${1%/*}/${1#*/}"; }

# What the next boot compares, computed the same way on both.
settings() {
	local t q

	for t in $A $B; do
		"$MQCTL" -j topic describe $t | h settings
	done
	for q in $QUEUES; do
		echo "/dev/mq/$q $(stat -c '%a %u %g' "/dev/mq/$q")"
	done
}
offsets() {
	local q

	for q in $QUEUES; do
		echo "$q $(field "$q" next)"
	done
}
groups() {
	local g json

	# n is made in the second boot: before, describe fails (ENOENT).
	for g in "$A g" "$A n" "$B h"; do
		json=$("$MQCTL" -j group describe $g 2>/dev/null) &&
			echo "$json" | h groups
	done
}
# sums all|log: sha256 of every file of every queue's log, or of the
# segments (.log) only: the indexes are caches the writer never syncs
# (log.rst), so a power loss may leave them shorter but still valid.
sums() {
	local names=('*')

	[ "$1" = log ] && names=('*.log')
	(cd "$data" && find topics -mindepth 3 -maxdepth 3 -type f \
		-path 'topics/*/[0-9]*/*' -name "${names[0]}" | sort |
		xargs sha256sum)
}

# save: the files of $expect, as a tar archive, onto the disk past the
# file system, written through (O_DIRECT, O_DSYNC).  A file on the file
# system would need an fsync, which commits its journal, and with it
# whatever mqd left uncommitted: the cut must find only what mqd synced.
save() {
	local size

	size=$(tar -C "$expect" -c . | wc -c)
	[ "$size" -le $((1 << 20)) ] || { echo "# $size bytes to save"; return 1; }
	tar -C "$expect" -c . |
		dd of="$MQ_VM_DISK" bs=1M seek=$EXPECT_AT count=1 conv=sync \
		   iflag=fullblock oflag=direct,dsync status=none
}

# expected QUEUE: the next offset the boot before saved for QUEUE.
expected() {
	awk -v q="$1" '$1 == q { print $2 }' "$expect/offsets"
}

# The cases the second and the third boot share.
check_back() {
	local q e want got

	mounted=$(dmesg | grep -c "EXT4-fs (${MQ_VM_DISK#/dev/}): recovery complete")
	if [ "$part" = second ]; then
		ktap_check mount_clean "the first boot's unmount left the journal to replay" \
			is "$mounted" 0 "journal recoveries"
	else
		# The file written just before the cut and never synced has
		# lost its content: the cut is a power loss, not a clean stop.
		# (Its name may be there, empty, if a journal commit went by.)
		ktap_check mount_recovered "the cut left nothing to replay, or kept what was not synced" \
			is "$mounted $(ls "$mnt" | grep -vx unsynced | xargs) $(cat "$mnt/unsynced" 2>/dev/null | wc -c)" \
			"1 data lost+found mqd.conf 0" \
			"journal recoveries, files on the disk, bytes of the unsynced file"
	fi

	if ! start_mqd; then
		ktap_fail mqd_ready "mqd did not start on the disk of the boot before"
		ktap_fail_all "mqd is not running" "${CASES[@]:2}"
	fi
	ktap_check mqd_ready "queues not persisted" \
		wait_for 30 "a persister on every queue" persisted

	ktap_check restored "$(tr '\n' '|' <"$run/mqd.err")" \
		is "$(grep -c "^mqd: info: topic $A: restored, with $want_groups_a group offsets\$" "$run/mqd.err") $(grep -c "^mqd: info: topic $B: restored, with 1 group offsets\$" "$run/mqd.err") $(grep -cE '^mqd: (warning|error):' "$run/mqd.err")" \
		"1 1 0" "$A restored, $B restored, warnings and errors"

	ktap_check topics_back "settings" \
		is "$(settings | tr '\n' '|')" "$(tr '\n' '|' <"$expect/settings")" \
		"settings and device nodes"

	want= got=
	for q in $QUEUES; do
		e=$(expected "$q")
		got+="$q $(field "$q" first) $(field "$q" next) $(field "$q" durable) $(field "$q" persister) $(h last "$(qdir "$q")" | cut -d' ' -f1); "
		want+="$q $e $e $e 1 $((e - 1)); "
	done
	ktap_check offsets_back "offsets" is "$got" "$want" \
		"queue: first next durable persister, the log's last offset"

	ktap_check groups_back "groups" \
		is "$(groups | tr '\n' '|')" "$(tr '\n' '|' <"$expect/groups")" \
		"group describe: committed, lag, members"

	ktap_check logs_unchanged "$(sums "$(cat "$expect/sums-of")" |
				    diff "$expect/sums" - | grep '^[<>]' | tr '\n' '|')" \
		is "$(sums "$(cat "$expect/sums-of")")" "$(cat "$expect/sums")" \
		"sha256 of the logs"

	# One acks 1 write to each queue: it takes the offset after the last
	# one of the boot before, in the queue and in the log.
	want= got=
	for q in $QUEUES; do
		e=$(expected "$q")
		echo "${q/\//-}-$part" | "$MQCTL" produce "${q%/*}" queue "${q#*/}"
		got+="$? $(field "$q" next) $(field "$q" durable) $(h last "$(qdir "$q")"); "
		want+="0 $((e + 1)) $((e + 1)) $e ${q/\//-}-$part; "
	done
	ktap_check writes_go_on "writes" is "$got" "$want" \
		"produce's status, next, durable, the log's last record"
}

# ---- the first boot: a fresh disk -----------------------------------------
first() {
	local got want q n rc

	printf '%s\n' "[topic $A]" "flush = sync" >"$conf"
	if ! start_mqd; then
		ktap_fail_all "mqd did not start on a fresh disk" "${CASES[@]}"
	fi
	ktap_pass mqd_ready

	"$MQCTL" topic add $A queues 2 acks 1
	"$MQCTL" topic add $B queues 1 ring-size 64K max-msg 1K mode 0640 \
		uid 1 gid 2 policy drop acks 1 ack-timeout 5000
	wait_for 30 "a persister on every queue" persisted
	ktap_check topics_made "$(tr '\n' '|' <"$run/mqd.err")" \
		is "$("$MQCTL" topic show $A) | $("$MQCTL" topic show $B) | $(grep -c "^mqd: info: topic $A: persisting 2 queues (sync)\$" "$run/mqd.err") $(grep -c "^mqd: info: topic $B: persisting 1 queues (async)\$" "$run/mqd.err") $(stat -c '%a %u %g' /dev/mq/$B/0)" \
		"$A_SHOW | $B_SHOW | 1 1 640 1 2" "topic show, mqd's flush, $B/0's node"

	# acks 1: each write returns once mqd made it durable.
	want= got=
	for q in "$A/0 30" "$A/1 20" "$B/0 10"; do
		n=${q#* } q=${q% *}
		seq -f "${q/\//-}-%g" 0 $((n - 1)) | "$MQCTL" produce "${q%/*}" queue "${q#*/}"
		got+="$? $(field "$q" next) $(field "$q" durable) $(h last "$(qdir "$q")"); "
		want+="0 $n $n $((n - 1)) ${q/\//-}-$((n - 1)); "
	done
	ktap_check writes_acked "writes" is "$got" "$want" \
		"produce's status, next, durable, the log's last record"

	# Group g on both queues of A, h on B; mqctl consume commits what it
	# printed.  mqd keeps each commit in a file of its own.
	"$MQCTL" consume $A queue 0 group g from-beginning count 12 >/dev/null
	"$MQCTL" consume $A queue 1 group g from-beginning count 7 >/dev/null
	"$MQCTL" consume $B queue 0 group h from-beginning count 4 >/dev/null
	want= got=
	for q in "$A 0 g 12" "$A 1 g 7" "$B 0 h 4"; do
		set -- $q
		wait_for 30 "$1/$2 $3 committed $4" grep -qx "committed = $4" \
			"$data/topics/$1/groups/$2/$3"
		got+="$(cat "$data/topics/$1/groups/$2/$3" 2>/dev/null); "
		want+="committed = $4; "
	done
	ktap_check groups_committed "group files" \
		is "$got $(groups | tr '\n' '|')" \
		"$want $A/0 g committed 12 lag 18 members 0|$A/1 g committed 7 lag 13 members 0|$B/0 h committed 4 lag 6 members 0|" \
		"mqd's group files, group describe"

	# What the second boot must find, taken while mqd runs (the kernel's
	# view), then the logs as the clean stop left them.
	settings >"$expect/settings"
	offsets >"$expect/offsets"
	groups >"$expect/groups"

	# The ordinary reboot: mqd stopped by SIGTERM, the disk unmounted.
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pid=
	ktap_check clean_stop "SIGTERM: $(tr '\n' '|' <"$run/mqd.err")" \
		is "$rc $(tail -n 1 "$run/mqd.err")" "0 mqd: info: stopped" \
		"exit status, last line"

	sums all >"$expect/sums"
	echo all >"$expect/sums-of"
	save
	rc=$?
	umount "$mnt"
	ktap_check expect_saved "saving, unmounting" is "$rc $?" "0 0" \
		"saved, unmounted"
}

# ---- the second boot: after the ordinary reboot; then the crash -----------
second() {
	local got rc saved cut

	want_groups_a=2
	check_back

	# B is async: its write above is durable once the page cache is
	# written back.  Sync it now; then from here on only what mqd syncs
	# itself (A's records, the group files) may reach the disk before the
	# cut, however slow this guest is: no periodic journal commit (every
	# 5 s by default, and in ordered mode it writes the files' data too)
	# and no periodic writeback (what has been dirty for 30 s).
	sync
	mount -o remount,commit=3600 "$mnt"
	echo 0 >/proc/sys/vm/dirty_writeback_centisecs

	# A member of g reads on from the ring's first record: the ring holds
	# nothing older, and the log does.  A new group n starts there too.
	got=$("$MQCTL" consume $A queue 0 group g | tr '\n' ' ')
	got+=$("$MQCTL" consume $A queue 1 group n from-beginning | tr '\n' ' ')
	wait_for 30 "$A/0 g committed 31" grep -qx "committed = 31" "$data/topics/$A/groups/0/g"
	wait_for 30 "$A/1 n committed 21" grep -qx "committed = 21" "$data/topics/$A/groups/1/n"
	ktap_check commits_go_on "commits" \
		is "$got| $(groups | tr '\n' '|')" \
		"$A-0-second $A-1-second | $A/0 g committed 31 lag 0 members 0|$A/1 g committed 7 lag 14 members 0|$A/1 n committed 21 lag 0 members 0|$B/0 h committed 4 lag 7 members 0|" \
		"consumed, group describe"

	# A's writes are flush sync: acknowledged once fdatasync'ed.  They
	# come after the commits: mqd writes a group file, syncs it and its
	# folder in its one thread, so an acknowledgment after the file's
	# rename means that sync was done too.
	seq -f "$A-0-crash-%g" 0 14 | "$MQCTL" produce $A queue 0
	rc=$?
	seq -f "$A-1-crash-%g" 0 4 | "$MQCTL" produce $A queue 1
	ktap_check writes_before_crash "writes" \
		is "$rc $? $(offsets | tr '\n' ' ')$(h last "$(qdir $A/0)") | $(h last "$(qdir $A/1)")" \
		"0 0 $A/0 46 $A/1 26 $B/0 11 45 $A-0-crash-14 | 25 $A-1-crash-4" \
		"produce's status, next offsets, the logs' last records"

	# The crash: SIGKILL, then the file system shut down without flushing
	# its journal (EXT4_IOC_SHUTDOWN, EXT4_GOING_FLAGS_NOLOGFLUSH): what
	# was not synced is lost, as in a power loss.
	settings >"$expect/settings"
	offsets >"$expect/offsets"
	groups >"$expect/groups"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	pid=
	sums log >"$expect/sums"
	echo log >"$expect/sums-of"
	save
	saved=$?
	h shutdown "$mnt"
	cut=$?
	# From the shutdown on, the file system takes nothing more.
	{ echo lost >"$mnt/after-cut"; } 2>/dev/null
	after=$?
	umount "$mnt"
	ktap_check crash "kill -9, save, shutdown, unmount" \
		is "$rc $saved $cut $after $?" "137 0 0 1 0" \
		"mqd's status, saved, shut down, a write after it, unmounted"
}

# ---- the third boot: after the crash ----------------------------------------
third() {
	want_groups_a=3
	check_back
}

"$part"
sed 's/^/# /' "$run/mqd.err" 2>/dev/null
ktap_finish
