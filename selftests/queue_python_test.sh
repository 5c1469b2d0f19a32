#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# queue_python_test: Python's plain file objects produce and consume: one
# process's open(q, 'wb').write(data) is what another's open(q, 'rb')
# .read(len(data)) returns, byte for byte; unbuffered reads return one
# message each; errnos reach Python as OSError.  Needs root and python3
# (skips without python3, which the project does not ship).
. "$(dirname "$0")/ktap.sh"

top=$(cd "$(dirname "$0")/.." && pwd)
mqctl=$top/tools/mqctl/mqctl
topic=py.$$
q=/dev/mq/$topic/0
tmp=
cases="buffered_roundtrip unbuffered_one_message_per_read emsgsize_is_oserror"
ktap_plan 3


command -v python3 >/dev/null || ktap_skip_all "python3 is not installed" $cases
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root to make a topic" $cases
[ -x "$mqctl" ] || ktap_fail_all "$mqctl is missing: run make" $cases

cleanup() {
	"$mqctl" topic del "$topic" 2>/dev/null
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
tmp=$(mktemp -d)
"$mqctl" topic add "$topic" || ktap_fail_all "mqctl topic add $topic failed" $cases

# wait_for FILE: until FILE exists, at most 20 s (a reader that never
# gets ready is a failure, not a hang).
wait_for() {
	local i

	for ((i = 0; i < 400; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# Every byte value, newlines and NULs included, not a multiple of 8.
data='bytes(range(256)) * 3 + b"tail\n\0"'

# A reader opens first (a new file starts at the queue's next offset),
# says so, and reads exactly one message's length; then a writer writes.
python3 - "$q" "$tmp/ready1" "$tmp/got1" <<EOF &
import sys
data = $data
with open(sys.argv[1], 'rb') as f:
    open(sys.argv[2], 'w').close()
    got = f.read(len(data))
open(sys.argv[3], 'wb').write(got)
EOF
reader=$!
if wait_for "$tmp/ready1" &&
   python3 -c "open('$q', 'wb').write($data)" &&
   timeout 20 tail --pid=$reader -f /dev/null &&
   python3 -c "import sys; sys.exit(open('$tmp/got1', 'rb').read() != $data)"; then
	ktap_pass buffered_roundtrip
else
	kill $reader 2>/dev/null
	ktap_fail buffered_roundtrip "what the reader read is not what the writer wrote"
fi
wait $reader 2>/dev/null

# buffering=0: each read(65536) returns one whole message, however short.
python3 - "$q" "$tmp/ready2" "$tmp/got2" <<'EOF' &
import sys
with open(sys.argv[1], 'rb', buffering=0) as f:
    open(sys.argv[2], 'w').close()
    got = [f.read(65536) for _ in range(3)]
ok = got == [b'one', b'two!', b'x' * 5000]
open(sys.argv[3], 'w').write('ok' if ok else repr(got)[:200])
EOF
reader=$!
if wait_for "$tmp/ready2" &&
   python3 -c "
with open('$q', 'wb', buffering=0) as f:
    for m in (b'one', b'two!', b'x' * 5000):
        assert f.write(m) == len(m)
" &&
   timeout 20 tail --pid=$reader -f /dev/null &&
   [ "$(cat "$tmp/got2")" = ok ]; then
	ktap_pass unbuffered_one_message_per_read
else
	kill $reader 2>/dev/null
	ktap_fail unbuffered_one_message_per_read "got $(cat "$tmp/got2" 2>/dev/null)"
fi
wait $reader 2>/dev/null

# One byte over max_msg_size (64 KiB by default): EMSGSIZE in Python.
if python3 -c "
import errno, os
fd = os.open('$q', os.O_WRONLY)
try:
    os.write(fd, b'x' * (65536 + 1))
except OSError as e:
    raise SystemExit(e.errno != errno.EMSGSIZE)
raise SystemExit(1)
"; then
	ktap_pass emsgsize_is_oserror
else
	ktap_fail emsgsize_is_oserror "os.write of 65537 bytes did not raise OSError(EMSGSIZE)"
fi
ktap_finish
