#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mqd_test: the daemon against the real module, exact values throughout:
# what it refuses (a second mqd, another format's directory, a bad flag);
# acks 1 writes failing with no persister and returning with one; the log
# byte for byte the ring's records; durable offsets; the sync policy; a
# kill -9 under a producer losing no acknowledged message; SIGTERM; a
# topic and its group offsets restored after the kernel lost them; a torn
# tail cut and a corrupt closed segment quarantined; missing and corrupt
# indexes rebuilt as they were; topics made and deleted while it runs.
# Needs root, the module loaded and python3.
. "$(dirname "$0")/ktap.sh"

top=$(cd "$(dirname "$0")/.." && pwd)
MQCTL=$top/tools/mqctl/mqctl
MQD=$top/daemon/mqd
P=mqdtest-		# every topic this test makes (mqctl_data_test has mqdt-)
tmp=$(mktemp -d /tmp/mqd_test.XXXXXX)
data=$tmp/data
ready=$tmp/ready
pid=			# the mqd running, if any
prod=			# the background producer, if any

cleanup() {
	local t

	[ -z "$prod" ] || kill "$prod" 2>/dev/null
	[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null
	wait 2>/dev/null
	for t in $("$MQCTL" topic show 2>/dev/null | grep -o "^${P}[^ ]*"); do
		"$MQCTL" topic del "$t"
	done
	! mountpoint -q "$tmp/full" || umount "$tmp/full"
	rm -rf "$tmp"
}
trap cleanup EXIT

CASES=(refuse_second refuse_format refuse_flag refuse_no_module
       acks_no_mqd acks_writes log_is_ring durable_next queue_show_log
       topic_new topic_del
       kill9_acked_in_log kill9_offsets
       sigterm
       flush_sync topic_section
       restore_topic restore_groups restore_writes
       past_from_beginning past_offset past_group
       torn_tail corrupt_segment
       index_rebuilt index_same index_writes
       full_disk_acked_kept full_disk_recovers)

if [ ! -x "$MQD" ] || [ ! -x "$MQCTL" ]; then
	ktap_plan ${#CASES[@]}
	ktap_fail_all "daemon/mqd or tools/mqctl/mqctl is not built (run make)" "${CASES[@]}"
fi
if [ ! -c /dev/mq/control ] && [ ! -d /sys/module/mq ]; then
	ktap_plan ${#CASES[@]}
	ktap_skip_all "the mq module is not loaded" "${CASES[@]}"
fi
if ! command -v python3 >/dev/null; then
	ktap_plan ${#CASES[@]}
	ktap_skip_all "no python3" "${CASES[@]}"
fi

# What a shell cannot do on a queue or a log: record-mode reads, framed
# log bytes, decoded records, writes that say which returned.
cat >"$tmp/h.py" <<'PY'
import errno, fcntl, os, struct, sys, time

MQ_IOC_SET_MODE = (1 << 30) | (4 << 16) | (0xb9 << 8) | 0x30
HDR = struct.Struct("<IIQQIIQIHBB16x")	# struct mq_record, 64 bytes
SEG_HDR = 64

def segments(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".log"))

def log_bytes(d):
    """Every record of the queue's log, framed, segments in order."""
    out = b""
    for f in segments(d):
        with open(os.path.join(d, f), "rb") as fp:
            out += fp.read()[SEG_HDR:]
    return out

def records(buf):
    pos = 0
    while pos < len(buf):
        ln, crc, off, ts, kl, vl, pid, seq, fl, magic, _ = HDR.unpack_from(buf, pos)
        yield off, buf[pos + 64 + kl:pos + 64 + kl + vl]
        pos += (ln + 7) & ~7

cmd = sys.argv[1]
if cmd == "ring":
    # The queue's records from offset 0, as a record-mode reader gets them.
    fd = os.open(sys.argv[2], os.O_RDONLY | os.O_NONBLOCK)
    fcntl.ioctl(fd, MQ_IOC_SET_MODE, struct.pack("<I", 1))
    os.lseek(fd, 0, os.SEEK_SET)
    out = b""
    while True:
        try:
            b = os.read(fd, 1 << 20)
        except BlockingIOError:
            break
        out += b
    sys.stdout.buffer.write(out)
elif cmd == "log":
    sys.stdout.buffer.write(log_bytes(sys.argv[2]))
elif cmd == "records":
    # "OFFSET VALUE" a line
    for off, val in records(log_bytes(sys.argv[2])):
        print(off, val.decode(errors="replace"))
elif cmd == "write":
    # write DEV COUNT PREFIX [SIZE]: COUNT messages PREFIX<i>, padded with
    # '.' to SIZE; stops at the first failure, naming its errno.
    dev, n, prefix = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    size = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    fd = os.open(dev, os.O_WRONLY)
    for i in range(n):
        try:
            os.write(fd, ("%s%d" % (prefix, i)).ljust(size, ".").encode())
        except OSError as e:
            print("error %s after %d" % (errno.errorcode[e.errno], i))
            sys.exit(1)
    print("ok %d" % n)
elif cmd == "produce":
    # produce DEV STOPFILE LOG: writes m<i> until STOPFILE exists (or
    # 120 s), retrying a failed one (the same i); logs "ok i" or "err i E"
    # line by line, so a kill of mqd mid-run leaves an exact account.
    dev, stop, logf = sys.argv[2], sys.argv[3], sys.argv[4]
    fd = os.open(dev, os.O_WRONLY)
    lg = open(logf, "w", buffering=1)
    i, end = 0, time.time() + 120
    while not os.path.exists(stop) and time.time() < end:
        try:
            os.write(fd, b"m%d" % i)
            lg.write("ok %d\n" % i)
            i += 1
        except OSError as e:
            lg.write("err %d %s\n" % (i, errno.errorcode[e.errno]))
            time.sleep(0.02)
    lg.write("done %d\n" % i)
PY
h() { python3 "$tmp/h.py" "$@"; }

# start_mqd ARGS...: mqd on $data, its stderr in $tmp/mqd.err, up to 10 s
# for its ready file; says why on failure.
start_mqd() {
	local _

	rm -f "$ready"
	"$MQD" -d "$data" --ready-file "$ready" "$@" 2>"$tmp/mqd.err" &
	pid=$!
	for _ in $(seq 100); do
		[ -e "$ready" ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			echo "# mqd $* exited $? before ready: $(cat "$tmp/mqd.err")"
			pid=
			return 1
		fi
		sleep 0.1
	done
	echo "# mqd $* not ready within 10 s: $(cat "$tmp/mqd.err")"
	return 1
}

# stop_mqd: SIGTERM; $stop_rc is its exit status.
stop_mqd() {
	stop_rc=none
	[ -n "$pid" ] || return 1
	kill -TERM "$pid"
	wait "$pid"
	stop_rc=$?
	pid=
}

# qf TOPIC QUEUE FIELD: a field of mqctl queue show's line for the queue.
qf() {
	"$MQCTL" queue show "$1" | awk -v q="$1/$2" -v f="$3" \
		'$1 == q { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }'
}

# persisted TOPIC QUEUE: mqd is attached to the queue.
persisted() {
	[ "$(qf "$1" "$2" persister)" = 1 ]
}

# is VALUE WANT WHAT: VALUE is WANT, else says so.
is() {
	[ "$1" = "$2" ] && return 0
	echo "# $3: '$1', want '$2'"
	return 1
}

qdir() { echo "$data/topics/$1/$2"; }

ktap_plan ${#CASES[@]}

# ---- acks 1 with no mqd: nobody can make a write durable ----------------
A=${P}a
"$MQCTL" topic add $A queues 2 acks 1
out=$(h write /dev/mq/$A/0 1 x 2>&1)
ktap_check acks_no_mqd "write with no mqd: $out" \
	is "$out $(qf $A 0 next)" "error ENOTCONN after 0 0" "write, then next"

# ---- refusals --------------------------------------------------------------
if start_mqd; then
	"$MQD" -d "$data" --ready-file "$tmp/ready2" 2>"$tmp/err" >"$tmp/out"
	rc=$?
	ktap_check refuse_second "second mqd" \
		is "$rc $(cat "$tmp/err") $([ -e "$tmp/ready2" ] && echo ready || echo -)" \
		"1 mqd: another mqd is running on $data (pid $pid) -" "rc, stderr"
else
	ktap_fail refuse_second "the first mqd did not start"
fi

mkdir "$tmp/other"
echo "something-else 1" >"$tmp/other/format"
"$MQD" -d "$tmp/other" 2>"$tmp/err" >"$tmp/out"
rc=$?
ktap_check refuse_format "another format" \
	is "$rc $(cat "$tmp/err") $(ls "$tmp/other")" \
	"1 mqd: $tmp/other/format does not name an mq data directory (expected \"mq-commit-log 1\") format" \
	"rc, stderr, files"

"$MQD" -d "$tmp/flag" --bogus 2>"$tmp/err" >"$tmp/out"
rc=$?
ktap_check refuse_flag "bad flag" \
	is "$rc $(cat "$tmp/err") $([ -e "$tmp/flag" ] && echo made || echo -)" \
	"2 mqd: unknown option --bogus (try --help) -" "rc, stderr"

# No family to talk to, as with the module not loaded: unloading it would
# take the other tests' topics, so a network namespace of its own hides
# the family instead (it lives in the initial one only).
unshare -n "$MQD" -d "$tmp/nomod" 2>"$tmp/err" >"$tmp/out"
rc=$?
ktap_check refuse_no_module "no mq family" \
	is "$rc $(grep '^mqd: error: no mq' "$tmp/err")" \
	"1 mqd: error: no mq netlink family: the module is not loaded (modprobe mq), or this is not the initial network namespace" \
	"rc, stderr"

# ---- acks 1 with mqd: 200 writes, the log is the ring ----------------------
ktap_wait "mqd on $A" persisted $A 0 && ktap_wait "mqd on $A/1" persisted $A 1
out=$(h write /dev/mq/$A/0 200 "message " 2>&1)
ktap_check acks_writes "200 writes" is "$out" "ok 200" "writes"

h ring /dev/mq/$A/0 >"$tmp/ring"
h log "$(qdir $A 0)" >"$tmp/log"
ktap_check log_is_ring "log and ring differ: ring $(stat -c %s "$tmp/ring") bytes, log $(stat -c %s "$tmp/log")" \
	cmp -s "$tmp/ring" "$tmp/log"

ktap_check durable_next "queue show" \
	is "$(qf $A 0 next) $(qf $A 0 durable) $(qf $A 0 persister) $(qf $A 1 next) $(qf $A 1 durable) $(qf $A 1 persister)" \
	"200 200 1 0 0 1" "next, durable, persister of $A/0 and $A/1"

# mqctl reads the logs it is pointed at: segments and their bytes, and
# 0 0 for a queue that has nothing logged beyond an empty segment's header.
log_bytes=$(stat -c %s "$(qdir $A 0)"/*.log)
ktap_check queue_show_log "mqctl queue show --data-dir" \
	is "$("$MQCTL" queue show $A --data-dir "$data" |
	      awk '{ print $1, $(NF - 2), $NF }' | xargs)" \
	"$A/0 1 $log_bytes $A/1 $(ls "$(qdir $A 1)"/*.log 2>/dev/null | wc -l) $(cat "$(qdir $A 1)"/*.log 2>/dev/null | wc -c)" \
	"log-segments and log-bytes of $A"

# ---- topics made and deleted while mqd runs --------------------------------
N=${P}n
"$MQCTL" topic add $N queues 1
ktap_wait "mqd on $N" persisted $N 0
# acks 0: the write returns at once; the log has it soon after.
echo hello >/dev/mq/$N/0
logged_hello() {
	[ "$(h records "$(qdir $N 0)" 2>/dev/null)" = "0 hello" ]
}
ktap_check topic_new "records of $N/0: $(h records "$(qdir $N 0)" 2>&1)" \
	ktap_wait "hello in $N/0's log" logged_hello
"$MQCTL" topic del $N
ktap_check topic_del "topics/$N stays" ktap_wait "topics/$N to go" \
	test ! -e "$data/topics/$N"

# ---- kill -9 under a producer ----------------------------------------------
K=${P}k
"$MQCTL" topic add $K queues 1 acks 1
ktap_wait "mqd on $K" persisted $K 0
# acked N: the producer has N writes acknowledged, or more.
acked() {
	local n

	n=$(grep -c '^ok' "$tmp/prod.log" 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
}
h produce /dev/mq/$K/0 "$tmp/stop" "$tmp/prod.log" &
prod=$!
ktap_wait "100 acknowledged writes" acked 100
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
# The producer must see the persister go (ENOTCONN) before mqd is back,
# and write on once it is.
ktap_wait "a failed write" grep -q '^err' "$tmp/prod.log"
start_mqd
n=$(grep -c '^ok' "$tmp/prod.log")
ktap_wait "100 writes more" acked $((n + 100))
touch "$tmp/stop"
wait "$prod"
prod=
n=$(grep -c '^ok' "$tmp/prod.log")
h records "$(qdir $K 0)" >"$tmp/recs"
# Every acknowledged m<i> among the log's values ("OFFSET VALUE" lines).
missing=$(awk 'NR == FNR { if ($1 == "ok") want["m" $2]; next }
	       { delete want[$2] } END { for (m in want) print m }' \
	      "$tmp/prod.log" "$tmp/recs" | head -5 | tr '\n' ' ')
ktap_check kill9_acked_in_log "producer: $(tail -n 1 "$tmp/prod.log"); missing: $missing" \
	is "$(tail -n 1 "$tmp/prod.log") $(grep -c '^err' "$tmp/prod.log" | sed 's/^[1-9][0-9]*$/failures/') $missing" \
	"done $n failures " "last line, failed writes while mqd was gone, missing"
# Offsets 0 to next - 1, each once, in order: no restart at 0, no hole.
next=$(qf $K 0 next)
ktap_check kill9_offsets "offsets in the log" \
	is "$(cut -d' ' -f1 "$tmp/recs" | tr '\n' ' ')$(qf $K 0 durable)" \
	"$(seq -s' ' 0 $((next - 1))) $next" "offsets, durable"

# ---- SIGTERM ---------------------------------------------------------------
echo last >/dev/mq/$K/0
stop_mqd
durable=$("$MQCTL" queue show | awk -v p="^$P" '$1 ~ p { print $1, $5, $21 }')
nexts=$("$MQCTL" queue show | awk -v p="^$P" '$1 ~ p { print $1, $5, $5 }')
# A clean stop removes the ready file: a waiter never takes a stopped
# mqd for a ready one.
ktap_check sigterm "SIGTERM: $(cat "$tmp/mqd.err")" \
	is "$stop_rc $(tail -n 1 "$tmp/mqd.err") $([ -e "$ready" ] && echo kept || echo gone) $durable" \
	"0 mqd: info: stopped gone $nexts" "status, last line, ready file, queue next durable"

# ---- flush sync ------------------------------------------------------------
S=${P}s
"$MQCTL" topic add $S queues 1 acks 1
if start_mqd --flush sync; then
	ktap_wait "mqd on $S" persisted $S 0
	out=$(h write /dev/mq/$S/0 50 s 2>&1)
	ktap_check flush_sync "sync: $(grep $S "$tmp/mqd.err")" \
		is "$out $(qf $S 0 next) $(qf $S 0 durable) $(grep -c "topic $S: persisting 1 queues (sync)" "$tmp/mqd.err")" \
		"ok 50 50 50 1" "writes, next, durable, policy"
else
	ktap_fail flush_sync "mqd --flush sync did not start"
fi

# ---- restore after the kernel lost the topic -------------------------------
"$MQCTL" consume $A group g from-beginning count 150 >/dev/null
groupfile=$data/topics/$A/groups/0/g
ktap_wait "$groupfile" grep -qx "committed = 150" "$groupfile"
groups_before=$("$MQCTL" group describe $A g | awk '{ print $1, $2, $3 }')
stop_mqd
"$MQCTL" topic del $A
start_mqd
logged=$(h records "$(qdir $A 0)" | tail -n 1 | cut -d' ' -f1)
ktap_check restore_topic "restore: $(grep $A "$tmp/mqd.err")" \
	is "$(qf $A 0 first) $(qf $A 0 next) $((logged + 1)) $(qf $A 1 first) $(qf $A 1 next) $(qf $A 0 persister) $(qf $A 1 persister)" \
	"200 200 200 0 0 1 1" "first, next of $A/0, log's next, $A/1, persisters"
ktap_check restore_groups "groups" \
	is "$("$MQCTL" group describe $A g | awk '{ print $1, $2, $3 }')" \
	"$groups_before" "group describe (before: $groups_before)"
out=$(h write /dev/mq/$A/0 2 again 2>&1)
ktap_check restore_writes "new writes" \
	is "$out $(qf $A 0 next) $(qf $A 0 durable) $(h records "$(qdir $A 0)" | tail -n 2 | tr '\n' ' ')" \
	"ok 2 202 202 200 again0 201 again1 " "writes, next, durable, last records"

# ---- reading the past: the log, then the ring, no gap, no duplicate -------
# $A/0 now has offsets 0-199 in the log only (the ring starts at 200)
# and 200-201 in both.  "OFFSET VALUE" a line:
consumed() {
	"$MQCTL" consume $A queue 0 headers "$@" | awk -F'\t' '{ split($1, h, " "); print h[4], $2 }'
}
want=$(for i in $(seq 0 199); do echo "$i message $i"; done; echo "200 again0"; echo "201 again1")
ktap_check past_from_beginning "from-beginning" \
	is "$(consumed from-beginning data-dir "$data" | md5sum) $(qf $A 0 first)" \
	"$(echo "$want" | md5sum) 200" "offsets and values from the log's first, the ring's first"
ktap_check past_offset "offset 198" \
	is "$(MQ_DATA_DIR=$data consumed offset 198 | tr '\n' ' ')" \
	"198 message 198 199 message 199 200 again0 201 again1 " "offsets and values, data directory from MQ_DATA_DIR"
ktap_check past_group "group g" \
	is "$(consumed group g data-dir "$data" | md5sum) $("$MQCTL" group describe $A g | awk -v q=$A/0 '$1 == q { print $3 }')" \
	"$(echo "$want" | sed -n '151,$p' | md5sum) 202" "the group's messages from its committed 150, then its committed offset"

# ---- a [topic NAME] section: its keys for that topic only -----------------
stop_mqd
printf '%s\n' "flush = async" "[topic $S]" "flush = sync" >"$tmp/sections.conf"
if start_mqd -c "$tmp/sections.conf"; then
	ktap_wait "mqd on $S" persisted $S 0
	ktap_check topic_section "$(grep "persisting" "$tmp/mqd.err" | xargs)" \
		is "$(grep -c "^mqd: info: topic $S: persisting 1 queues (sync)\$" "$tmp/mqd.err") $(grep -c "^mqd: info: topic $A: persisting 2 queues (async)\$" "$tmp/mqd.err")" \
		"1 1" "$S sync, $A async"
else
	ktap_fail topic_section "mqd -c with a [topic] section did not start"
fi

# ---- a torn tail: cut, with a warning; nothing else lost -------------------
stop_mqd
h records "$(qdir $A 0)" >"$tmp/before"
# Globs sort as the 20-digit bases do: the last is the active segment.
segs=("$(qdir $A 0)"/*.log)
seg=${segs[-1]}
size=$(stat -c %s "$seg")
head -c 37 /dev/urandom >>"$seg"
start_mqd
h records "$(qdir $A 0)" >"$tmp/after"
ktap_check torn_tail "$(cat "$tmp/mqd.err")" \
	is "$(grep -c "^mqd: warning: $A/0: cut 37 bytes of a torn or corrupt tail at $size\$" "$tmp/mqd.err") $(stat -c %s "$seg") $(cmp -s "$tmp/before" "$tmp/after" && echo same)" \
	"1 $size same" "warnings, size, records"

# ---- a corrupt closed segment: quarantined, with an error ------------------
C=${P}c
stop_mqd
echo "segment-bytes = 4K" >"$tmp/mqd.conf"
"$MQCTL" topic add $C queues 1 acks 1
start_mqd -c "$tmp/mqd.conf"
ktap_wait "mqd on $C" persisted $C 0
out=$(h write /dev/mq/$C/0 100 c 100 2>&1)
stop_mqd
d=$(qdir $C 0)
segs=("$d"/*.log)
nseg=${#segs[@]}
first=${segs[0]}
second=${segs[1]}
base2=$((10#$(basename "$second" .log)))
h records "$d" | awk -v b="$base2" '$1 >= b' >"$tmp/before"
# A byte of the first record's value: its CRC no longer holds.
printf 'X' | dd of="$first" bs=1 seek=$((64 + 64 + 10)) conv=notrunc status=none
start_mqd -c "$tmp/mqd.conf"
h records "$d" >"$tmp/after"
ktap_check corrupt_segment "$out, $nseg segments: $(cat "$tmp/mqd.err")" \
	is "$out $([ "$nseg" -ge 3 ] && echo several) $(grep -c "^mqd: error: $C/0: 1 corrupt segments renamed .log.corrupt\$" "$tmp/mqd.err") $(find "$d" -name '*.log.corrupt' | wc -l) $([ -e "$first" ] || echo gone) $(cmp -s "$tmp/before" "$tmp/after" && echo same)" \
	"ok 100 several 1 1 gone same" "writes, segments, errors, .corrupt, first .log, records"
stop_mqd

# ---- indexes missing or corrupt: rebuilt as they were ---------------------
# 250 records of 964 bytes in 64K segments: three closed ones of 67
# records, with an offset entry every 5th record (4096 bytes apart) from
# the 6th, 13 of them (104 bytes); the active one of 49 records, 9 (72
# bytes).  A time entry comes with an offset entry when the newest
# timestamp grew, and the kernel's are coarse (a tick), so how many
# there are depends on the pace: at least 2 each, here, with the closing
# one of a closed segment.  The indexes are caches of the .log (log.rst, Recovery):
# one deleted, one with an entry's timestamp zeroed (out of order), one
# cut mid-entry, and the active segment's time index deleted are each
# rebuilt at start, byte for byte the files the writer wrote.
I=${P}i
echo "segment-bytes = 64K" >"$tmp/index.conf"
"$MQCTL" topic add $I queues 1 acks 1
if start_mqd -c "$tmp/index.conf"; then
	ktap_wait "mqd on $I" persisted $I 0
	out=$(h write /dev/mq/$I/0 250 i 900 2>&1)
	stop_mqd
	d=$(qdir $I 0)
	rm -rf "$tmp/index.orig"
	cp -a "$d" "$tmp/index.orig"
	segs=("$d"/*.log)
	nseg=${#segs[@]}
	rm "${segs[0]%.log}.index"
	dd if=/dev/zero of="${segs[1]%.log}.timeindex" bs=1 seek=12 count=8 \
		conv=notrunc status=none
	truncate -s -3 "${segs[2]%.log}.index"
	rm "${segs[-1]%.log}.timeindex"
	start_mqd -c "$tmp/index.conf"
	ktap_check index_rebuilt "$out, $nseg segments: $(cat "$tmp/mqd.err")" \
		is "$out $nseg $(grep -c "^mqd: info: $I/0: rebuilt the indexes of 4 segments\$" "$tmp/mqd.err") $(grep -c "^mqd: \(warning\|error\): $I/" "$tmp/mqd.err")" \
		"ok 250 4 1 0" "writes, segments, rebuilt said, warnings or errors"
	differ=
	for f in "$tmp/index.orig"/*index; do
		cmp -s "$f" "$d/${f##*/}" || differ+=" ${f##*/}"
	done
	ktap_check index_same "differ from the originals:$differ" \
		is "$(stat -c %s "$tmp/index.orig"/*.index | xargs) $(stat -c %s "$tmp/index.orig"/*.timeindex | awk '$1 >= 24 && $1 % 12 == 0 { n++ } END { print n }') $(ls "$tmp/index.orig" | xargs) |$differ" \
		"104 104 104 72 4 $(ls "$d" | xargs) |" \
		"original .index sizes, .timeindex files of 2 entries or more, files, indexes that differ"
	out=$(h write /dev/mq/$I/0 2 again 2>&1)
	ktap_check index_writes "new writes after the rebuild" \
		is "$out $(qf $I 0 next) $(qf $I 0 durable) $(h records "$d" | tail -n 2 | tr '\n' ' ')$(h records "$d" | wc -l)" \
		"ok 2 252 252 250 again0 251 again1 252" "writes, next, durable, last records, records"
	stop_mqd
else
	ktap_fail index_rebuilt "mqd did not start with 64K segments"
	ktap_fail index_same "mqd did not start with 64K segments"
	ktap_fail index_writes "mqd did not start with 64K segments"
fi

# ---- a full disk: producers wait and time out, nothing is lost -------------
# A data directory on a 64 KiB tmpfs, for a topic of its own: the topics
# above go first, so that this mqd persists nothing else there.
for t in $("$MQCTL" topic show | grep -o "^${P}[^ ]*"); do
	"$MQCTL" topic del "$t"
done
mkdir "$tmp/full"
mount -t tmpfs -o size=64k mqd-test-full "$tmp/full"
data=$tmp/full/data
F=${P}f
"$MQCTL" topic add $F queues 1 acks 1 ack-timeout 500
if start_mqd; then
	ktap_wait "mqd on $F" persisted $F 0
	# 4000-byte messages: the disk holds a dozen at most.
	out=$(h write /dev/mq/$F/0 100 f 4000 2>&1)
	acked=${out##* }
	h records "$(qdir $F 0)" | cut -d' ' -f1 >"$tmp/logged"
	ktap_check full_disk_acked_kept "$out: $(cat "$tmp/mqd.err")" \
		is "${out% after *} $([ "$acked" -gt 0 ] && echo some) $(seq -s' ' 0 $((acked - 1))) | $(tr '\n' ' ' <"$tmp/logged")| $(grep -c "^mqd: error: $F/0: writing the log: No space left on device; retrying\$" "$tmp/mqd.err")" \
		"error ETIMEDOUT some $(seq -s' ' 0 $((acked - 1))) | $(seq -s' ' 0 $((acked - 1))) | 1" \
		"the write, acknowledged offsets | logged offsets | errors said"
	# Room again: the next tick's retry writes what waited, whole.
	mount -o remount,size=8m "$tmp/full"
	next=$(qf $F 0 next)
	ktap_wait "durable $next" test "$(qf $F 0 durable)" = "$next"
	h ring /dev/mq/$F/0 >"$tmp/ring"
	h log "$(qdir $F 0)" >"$tmp/log"
	ktap_check full_disk_recovers "$(tail -n 2 "$tmp/mqd.err")" \
		is "$(qf $F 0 durable) $(grep -c "^mqd: info: $F/0: writing the log again\$" "$tmp/mqd.err") $(cmp -s "$tmp/ring" "$tmp/log" && echo same)" \
		"$next 1 same" "durable, recovery said, log == ring"
	stop_mqd
else
	ktap_fail full_disk_acked_kept "mqd did not start on a small disk"
	ktap_fail full_disk_recovers "mqd did not start on a small disk"
fi
umount "$tmp/full"

ktap_finish
