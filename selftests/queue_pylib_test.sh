#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# queue_pylib_test: lib/python/mq.py, the pure-Python producer and group
# consumer, against the module: its ABI numbers are the header's (mq_abi
# prints those), its murmur2 is Kafka's, 1000 keyed and 1000 keyless
# messages reach every group whole, members split them, a member killed
# with SIGKILL has what it did not commit redelivered, bad input fails
# with the kernel's errno, and Documentation/python.rst's example prints
# what the page says.  Needs root and python3.
. "$(dirname "$0")/ktap.sh"

top=$(cd "$(dirname "$0")/.." && pwd)
mqctl=$top/tools/mqctl/mqctl
abi=$top/selftests/mq_abi
doc=$top/Documentation/python.rst
topic=pylib.$$
tmp=
cases="abi_matches_header crc32c_and_murmur2 produce_keyed_and_keyless
two_groups_each_see_all two_members_split_all kill9_redelivers_uncommitted
autocommit_at_most_once start_offset_and_latest bad_inputs doc_example"
ktap_plan 10


command -v python3 >/dev/null || ktap_skip_all "python3 is not installed" $cases
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root to make a topic" $cases
[ -x "$mqctl" ] || ktap_fail_all "$mqctl is missing: run make" $cases
[ -x "$abi" ] || ktap_fail_all "$abi is missing: run make" $cases

cleanup() {
	"$mqctl" topic del "$topic" 2>/dev/null
	"$mqctl" topic del clicks 2>/dev/null
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
tmp=$(mktemp -d)
"$mqctl" topic add "$topic" queues 4 || ktap_fail_all "mqctl topic add $topic failed" $cases
"$abi" >"$tmp/abi" || ktap_fail_all "$abi failed" $cases

# py NAME: run the Python on stdin, with mq and common.py importable; the
# case passes when it exits 0, else fails with its last lines.
py() {
	local name=$1 out

	if out=$(cd "$tmp" && PYTHONPATH="$top/lib/python:$tmp" PYTHONDONTWRITEBYTECODE=1 \
		 TOPIC=$topic ABI=$tmp/abi timeout 240 python3 - 2>&1); then
		ktap_pass "$name"
	else
		ktap_fail "$name" "$(echo "$out" | tail -n 4 | tr '\n' ' ')"
	fi
}

# What every case knows of the topic: 1000 keyed messages (key user-<i % 37>)
# then 1000 keyless, each half sent one by one and half in one batch.
# Keyless messages go round-robin from queue 0, so keyless i is on queue
# i % 4; keyed ones on Kafka's partition of their key.  expected() lists
# each queue's messages at offsets 0, 1, ... as (queue, offset, key, value).
cat >"$tmp/common.py" <<'EOF'
import os, sys, time
import mq

TOPIC = os.environ["TOPIC"]
N = 1000

def keyed(i):
    return b"user-%d" % (i % 37), b"keyed-%04d" % i

def keyless(i):
    return b"plain-%04d" % i

def expected():
    per = {q: [] for q in range(4)}
    for i in range(N):
        k, v = keyed(i)
        per[mq.partition(k, 4)].append((k, v))
    for i in range(N):
        per[i % 4].append((None, keyless(i)))
    return sorted((q, off, k, v) for q in per for off, (k, v) in enumerate(per[q]))

def fail(why):
    print(why)
    sys.exit(1)

def drain(consumers, want, timeout=20):
    """Poll each consumer in turn until they got want records together."""
    got = [[] for _ in consumers]
    end = time.monotonic() + timeout
    while sum(map(len, got)) < want and time.monotonic() < end:
        for i, c in enumerate(consumers):
            got[i].extend(c.poll(0.2))
    return got

def strip(records):
    """(queue, offset, key, value), timestamps checked and dropped."""
    now = time.time_ns()
    for r in records:
        if not now - 600 * 10**9 < r.timestamp <= now + 10**9:
            fail(f"record {r} has a timestamp far from now ({now})")
    return [(r.queue, r.offset, r.key, r.value) for r in records]
EOF

# The numbers and layouts mq.py writes out against the header's.
py abi_matches_header <<'EOF'
import os, re, mq
from common import fail
abi = dict(l.rsplit(" ", 1) for l in open(os.environ["ABI"]).read().splitlines())
if len(abi) != 51:
    fail(f"mq_abi printed {len(abi)} values, not 51")
structs = {
    "mq_record": (mq.RECORD, "len crc offset timestamp key_len value_len producer_id "
                  "sequence flags magic reserved0 reserved"),
    "mq_version": (mq.VERSION, "size abi features reserved"),
    "mq_group_join": (mq.GROUP_JOIN, "size flags name start reserved0 offset reserved"),
    "mq_commit": (mq.COMMIT, "size flags offset reserved"),
    "mq_mmap_info": (mq.MMAP_INFO, "size flags ring_size ctrl_offset ctrl_size "
                     "data_offset data_size ctrl reserved"),
}
ours = {}
for name, (st, fields) in structs.items():
    ours[f"sizeof(struct {name})"] = st.size
    off = 0
    for field, (count, code) in zip(fields.split(), re.findall(r"(\d*)([a-zA-Z])", st.format[1:])):
        ours[f"offsetof(struct {name}, {field})"] = off
        off += __import__("struct").calcsize("<" + count + code)
for name in abi:
    if not name.startswith(("sizeof", "offsetof")):
        ours[name] = getattr(mq, name)
bad = [f"{n}: header {v}, mq.py {ours.get(n)}" for n, v in abi.items() if ours.get(n) != int(v)]
if bad:
    fail("; ".join(bad))
if (mq.MQ_IOC_GROUP_JOIN, mq.MQ_IOC_COMMIT, mq.MQ_IOC_SET_MODE) != (0x4068b910, 0x4020b911, 0x4004b930):
    fail("the ioctl numbers are not those of the documentation")
EOF

# CRC-32C's check value (CRC catalogue: "123456789" -> 0xe3069283), a
# record whose bytes changed is refused, and Kafka's murmur2: the first six
# from Kafka's own UtilsTest.testMurmur2 (clients/.../utils/UtilsTest.java);
# b"", b"a", b"kafka" computed by a C transcription of Utils.murmur2 with
# Java's wrapping int arithmetic, which gives those six too.
py crc32c_and_murmur2 <<'EOF'
import errno, mq
from common import fail
if mq.crc32c(b"123456789") != 0xe3069283:
    fail(f"crc32c(b'123456789') = {mq.crc32c(b'123456789'):#x}")
rec = mq.encode_record(b"value", b"key")
if len(rec) != 72 or mq.decode_records(rec, 3) != [mq.Record(3, 0, 0, b"key", b"value")]:
    fail(f"a record does not read back: {mq.decode_records(rec, 3)}")
for i in (8, 20, 64, 71 - 4):
    bad = bytearray(rec)
    bad[i] ^= 0x10
    try:
        mq.decode_records(bad)
        fail(f"a record with byte {i} changed was accepted")
    except OSError as e:
        if e.errno != errno.EBADMSG:
            fail(f"byte {i} changed: {e}")
want = {b"21": -973932308, b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
        b"": 275646681, b"a": -1563381124, b"kafka": -798503068}
got = {k: mq.murmur2(k) for k in want}
if got != want:
    fail(f"murmur2: {got}")
# toPositive, then modulo: murmur2(b"bob") is negative.
parts = [mq.partition(k, 4) for k in (b"bob", b"alice", b"a", b"kafka", b"")]
if parts != [2, 1, 0, 0, 1]:
    fail(f"partition(., 4): {parts}")
EOF

py produce_keyed_and_keyless <<'EOF'
import mq
from common import N, TOPIC, keyed, keyless, fail
with mq.Producer(TOPIC) as p:
    if p.queues != [0, 1, 2, 3]:
        fail(f"queues {p.queues}")
    for i in range(N // 2):
        k, v = keyed(i)
        if p.send(v, key=k) != mq.partition(k, 4):
            fail(f"keyed {i} not sent to its partition")
    batch = [keyed(i) for i in range(N // 2, N)]
    want = {}
    for k, v in batch:
        want[mq.partition(k, 4)] = want.get(mq.partition(k, 4), 0) + 1
    got = p.send_batch(batch)
    if got != want:
        fail(f"send_batch of keyed: {got}, not {want}")
    for i in range(N // 2):
        if p.send(keyless(i)) != i % 4:
            fail(f"keyless {i} not sent round-robin")
    got = p.send_batch(keyless(i) for i in range(N // 2, N))
    if got != {0: 125, 1: 125, 2: 125, 3: 125}:
        fail(f"send_batch of keyless: {got}")
EOF

# Two groups from the earliest offset: each gets the 2000, at the offsets
# the order of sending gives, keys on their partition, every record of a
# key on one queue.
py two_groups_each_see_all <<'EOF'
import mq
from common import TOPIC, expected, drain, strip, fail
want = expected()
for group in ("g1", "g2"):
    with mq.GroupConsumer(TOPIC, group, start="earliest") as c:
        got, = drain([c], 2000)
        c.commit_all()
        if sorted(strip(got)) != want:
            fail(f"{group}: got {len(got)} records, not the 2000 sent")
        more = c.poll(0.5)
        if more:
            fail(f"{group}: {len(more)} records more than were sent")
queues_of = {}
for q, off, k, v in want:
    if k is not None:
        queues_of.setdefault(k, set()).add(q)
if len(queues_of) != 37 or any(qs != {mq.partition(k, 4)} for k, qs in queues_of.items()):
    fail(f"a key is on another queue than its partition: {queues_of}")
EOF

# Two members of one group, reading in turn 4 KiB at a time: disjoint,
# and together the 2000.
py two_members_split_all <<'EOF'
import mq
from common import TOPIC, expected, drain, strip, fail
a = mq.GroupConsumer(TOPIC, "g3", start="earliest", bufsize=4096)
b = mq.GroupConsumer(TOPIC, "g3", start="earliest", bufsize=4096)
ga, gb = map(strip, drain([a, b], 2000))
if not ga or not gb:
    fail(f"a member got nothing: {len(ga)} and {len(gb)}")
if set(ga) & set(gb):
    fail(f"{len(set(ga) & set(gb))} records went to both members")
if sorted(ga + gb) != expected():
    fail(f"the members got {len(ga)} + {len(gb)} records, not the 2000")
a.commit_all()
b.commit_all()
if a.poll(0.3) or b.poll(0.3):
    fail("records after all were delivered")
a.close()
b.close()
EOF

# Member A reads one batch per queue, commits half of each, and is killed
# with SIGKILL; member B, which joined first and read nothing yet, then
# gets on each queue everything from A's commit on, in order: A's
# uncommitted records again, then the rest.
py kill9_redelivers_uncommitted <<'EOF'
import json, os, signal, subprocess, sys
import mq
from common import TOPIC, expected, drain, strip, fail
b = mq.GroupConsumer(TOPIC, "g4", start="earliest")
a = subprocess.Popen([sys.executable, "-c", f"""
import json, sys, time, mq
c = mq.GroupConsumer({TOPIC!r}, "g4", bufsize=4096)
got = {{}}
for r in c.poll(10):
    got.setdefault(r.queue, []).append(r.offset)
for q, offs in got.items():
    c.commit(q, offs[len(offs) // 2])
print(json.dumps(got), flush=True)
time.sleep(600)
"""], stdout=subprocess.PIPE, text=True)
line = a.stdout.readline()
os.kill(a.pid, signal.SIGKILL)
if a.wait() != -signal.SIGKILL:
    fail(f"the member exited {a.returncode}, not killed")
a_got = {int(q): offs for q, offs in json.loads(line).items()}
if not a_got or any(offs != list(range(len(offs))) for offs in a_got.values()):
    fail(f"member A got {a_got}, not a first batch")
start = {q: a_got[q][len(a_got[q]) // 2] if q in a_got else 0 for q in range(4)}
want = [r for r in expected() if r[1] >= start[r[0]]]
got, = drain([b], len(want))
got = strip(got)
for q in range(4):
    mine = [r for r in got if r[0] == q]
    if mine != [r for r in want if r[0] == q]:
        fail(f"queue {q}: B got offsets {[r[1] for r in mine][:5]}..., A had "
             f"{a_got.get(q, [])[:5]}... and committed below {start[q]}")
b.commit_all()
if b.poll(0.3):
    fail("B got more than the uncommitted and the rest")
b.close()
EOF

# With autocommit, what a member read is acknowledged: the next member of
# the group gets the rest only.
py autocommit_at_most_once <<'EOF'
import mq
from common import TOPIC, expected, drain, strip, fail
a = mq.GroupConsumer(TOPIC, "g5", start="earliest", autocommit=True, bufsize=4096)
first = strip(a.poll(10))
a.close()
if not first:
    fail("the first member got nothing")
b = mq.GroupConsumer(TOPIC, "g5", autocommit=True)
rest, = drain([b], 2000 - len(first))
rest = strip(rest)
if set(first) & set(rest) or sorted(first + rest) != expected():
    fail(f"{len(first)} then {len(rest)} records, not 2000 once each")
b.close()
EOF

# A group made at offset 100 starts there on every queue; one made at the
# latest sees only what comes after it joined (here, on queue 2).
py start_offset_and_latest <<'EOF'
import time, mq
from common import TOPIC, expected, drain, strip, fail
want = [r for r in expected() if r[1] >= 100]
with mq.GroupConsumer(TOPIC, "g6", start=100) as c:
    got, = drain([c], len(want))
    if sorted(strip(got)) != want:
        fail(f"from offset 100: {len(got)} records, not {len(want)}")
n2 = sum(1 for r in expected() if r[0] == 2)
with mq.GroupConsumer(TOPIC, "g7") as c:
    if c.poll(0.3):
        fail("a group at the latest offset got old records")
    with mq.Producer(TOPIC) as p:
        p.send(b"late", queue=2)
    got = strip(c.poll(10))
    if got != [(2, n2, None, b"late")]:
        fail(f"after joining at the latest: {got}")
EOF

# Each mistake fails with its errno: the kernel's where the kernel sees it.
py bad_inputs <<'EOF'
import errno, mq
from common import TOPIC, fail

def expect(err, what, f):
    try:
        f()
    except OSError as e:
        if e.errno != err:
            fail(f"{what}: {e!r}, not {errno.errorcode[err]}")
        return
    fail(f"{what}: no error, not {errno.errorcode[err]}")

for cls in (lambda: mq.Producer("no-such-topic"),
            lambda: mq.GroupConsumer("no-such-topic", "g")):
    try:
        cls()
        fail("an unknown topic opened")
    except FileNotFoundError:
        pass
p = mq.Producer(TOPIC)
expect(errno.EMSGSIZE, "a 65537-byte value", lambda: p.send(b"x" * 65537))
expect(errno.EMSGSIZE, "a 65537-byte value with a key",
       lambda: p.send(b"x" * 65537, key=b"k"))
expect(errno.EMSGSIZE, "a 65537-byte value in a batch",
       lambda: p.send_batch([(b"k", b"x" * 65537)]))
expect(errno.EINVAL, "an empty value", lambda: p.send(b""))
expect(errno.EINVAL, "an empty value with a key", lambda: p.send(b"", key=b"k"))
expect(errno.ENOENT, "queue 4 of 4", lambda: p.send(b"x", queue=4))
p.close()
for name in ("bad/name", "", "..", "x" * 64):
    expect(errno.EINVAL, f"group {name!r}", lambda: mq.GroupConsumer(TOPIC, name))
try:
    mq.GroupConsumer(TOPIC, "g", start="first")
    fail("start='first' accepted")
except ValueError:
    pass
# Nothing above was appended: every queue still ends where it did.
with mq.GroupConsumer(TOPIC, "g8", start="earliest") as c:
    got = []
    while True:
        more = c.poll(0.5)
        if not more:
            break
        got += more
    n = {q: sum(1 for r in got if r.queue == q) for q in range(4)}
    if len(got) != 2001 or [r.value for r in got if r.queue == 2][-1] != b"late":
        fail(f"after the errors the topic holds {n}")
EOF

# Documentation/python.rst's example, block by block, exactly: its shell
# lines, its producer, its consumer, whose output must be the page's, and
# the consumer again, which prints nothing: its group committed all.
block() {
	awk -v kind="$1" -v n="$2" '
		/^\.\. code-block:: / { i += ($3 == kind); on = ($3 == kind && i == n); next }
		on && /^[^ ]/ { on = 0 }
		on { sub(/^    /, ""); print }' "$doc"
}
block sh 1 >"$tmp/setup.sh"
block python 1 >"$tmp/producer.py"
block python 2 >"$tmp/consumer.py"
block text 1 | sed '/^$/d' >"$tmp/want"
if [ ! -s "$tmp/setup.sh" ] || [ ! -s "$tmp/producer.py" ] ||
   [ ! -s "$tmp/consumer.py" ] || [ ! -s "$tmp/want" ]; then
	ktap_fail doc_example "$doc has not its four blocks"
elif ! (cd "$top" && bash -e "$tmp/setup.sh") >"$tmp/err" 2>&1; then
	ktap_fail doc_example "the shell block failed: $(cat "$tmp/err")"
elif ! (cd "$top" && PYTHONPATH=lib/python PYTHONDONTWRITEBYTECODE=1 \
	python3 "$tmp/producer.py") >"$tmp/err" 2>&1; then
	ktap_fail doc_example "the producer failed: $(tail -n 3 "$tmp/err")"
elif ! (cd "$top" && PYTHONPATH=lib/python PYTHONDONTWRITEBYTECODE=1 \
	timeout 30 python3 "$tmp/consumer.py") >"$tmp/got" 2>&1; then
	ktap_fail doc_example "the consumer failed: $(tail -n 3 "$tmp/got")"
elif ! diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
	ktap_fail doc_example "the consumer did not print what the page says: $(cat "$tmp/diff")"
elif ! (cd "$top" && PYTHONPATH=lib/python PYTHONDONTWRITEBYTECODE=1 \
	timeout 30 python3 "$tmp/consumer.py") >"$tmp/again" 2>&1 || [ -s "$tmp/again" ]; then
	ktap_fail doc_example "run again, the consumer printed: $(head -n 3 "$tmp/again")"
else
	ktap_pass doc_example
fi
ktap_finish
