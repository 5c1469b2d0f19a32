#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# module_test: mq.ko makes its class and /dev/mq/control, refuses to unload
# while a file is open (the control device's or a queue's), unloads
# cleanly (no node, no class, no leak), also with topics left, which it
# deletes, and loads again: also twenty times over, with traffic each time.  Needs root and MQ_MODULE, the path of mq.ko
# (the bench sets it); exits 4 (skip) without them.
. "$(dirname "$0")/ktap.sh"

ctl=/dev/mq/control
mqctl=$(cd "$(dirname "$0")/.." && pwd)/tools/mqctl/mqctl
topic=modtest.$$
ktap_plan 11

if [ "$(id -u)" -ne 0 ] || [ ! -f "${MQ_MODULE:-}" ]; then
	for t in loaded node busy_while_open unload no_leak reload \
		 busy_while_queue_open unload_with_topic no_leak_with_topic \
		 reload_without_topic load_unload_loop; do
		ktap_skip "$t" "needs root and MQ_MODULE"
	done
	ktap_finish
fi

loaded() { grep -q '^mq ' /proc/modules; }
# The kernel log since the last line containing $1.
log_since() { dmesg | sed -n "/$1/,\$p"; }

ktap_check loaded "mq is not in /proc/modules" loaded
ktap_check node "$ctl is not a character device of class mq" \
	test -c "$ctl" -a -d /sys/class/mq

exec 3<"$ctl"
if rmmod mq 2>/dev/null; then
	ktap_fail busy_while_open "rmmod succeeded with $ctl open"
	insmod "$MQ_MODULE"
else
	ktap_check busy_while_open "a failed rmmod unloaded the module" loaded
fi
exec 3<&-

marker="module_test: unload $$"
echo "$marker" >/dev/kmsg
if rmmod mq && ! loaded && [ ! -e "$ctl" ] && [ ! -e /sys/class/mq ]; then
	ktap_pass unload
else
	ktap_fail unload "after rmmod: module, $ctl or /sys/class/mq still there"
fi
if log_since "$marker" | grep -q 'mq: unloaded' &&
   ! log_since "$marker" | grep -q 'mq: leak'; then
	ktap_pass no_leak
else
	ktap_fail no_leak "no 'mq: unloaded' in the kernel log, or a leak: $(log_since "$marker" | grep 'mq:' | tail -n 3)"
fi

if insmod "$MQ_MODULE" && loaded && [ -c "$ctl" ]; then
	ktap_pass reload
else
	ktap_fail reload "insmod $MQ_MODULE did not bring $ctl back"
fi

# The same with a topic: an open queue holds the module...
q=/dev/mq/$topic/0
if ! "$mqctl" topic add "$topic" queues 2 || [ ! -c "$q" ]; then
	for t in busy_while_queue_open unload_with_topic no_leak_with_topic \
		 reload_without_topic; do
		ktap_fail "$t" "could not make topic $topic with $mqctl"
	done
	ktap_finish
fi
exec 3>"$q"
if rmmod mq 2>/dev/null; then
	ktap_fail busy_while_queue_open "rmmod succeeded with $q open"
	insmod "$MQ_MODULE"
else
	ktap_check busy_while_queue_open "a failed rmmod unloaded the module or its topic" \
		test -c "$q" -a -c "$ctl"
fi
exec 3>&-

# ...and once no file is open, unloading deletes the topics, leaking nothing.
marker="module_test: unload with topic $$"
echo "$marker" >/dev/kmsg
if rmmod mq && ! loaded && [ ! -e "/dev/mq/$topic" ] && [ ! -e /sys/class/mq ]; then
	ktap_pass unload_with_topic
else
	ktap_fail unload_with_topic "rmmod with topic $topic failed or left its nodes"
fi
if log_since "$marker" | grep -q 'mq: unloaded' &&
   ! log_since "$marker" | grep -q 'mq: leak'; then
	ktap_pass no_leak_with_topic
else
	ktap_fail no_leak_with_topic "no 'mq: unloaded' in the kernel log, or a leak: $(log_since "$marker" | grep 'mq:' | tail -n 3)"
fi

# Topics live in kernel memory only: a fresh module has none.
if insmod "$MQ_MODULE" && loaded && [ -c "$ctl" ] && [ ! -e "/dev/mq/$topic" ] &&
   ! "$mqctl" topic show "$topic" >/dev/null 2>&1; then
	ktap_pass reload_without_topic
else
	ktap_fail reload_without_topic "after insmod, $topic exists or $ctl is missing"
fi
# Load, make a topic, move a message, unload with the topic left: again
# and again, and nothing leaks or warns.
marker="module_test: loop $$"
echo "$marker" >/dev/kmsg
ok=1
for i in $(seq 20); do
	rmmod mq && insmod "$MQ_MODULE" &&
	"$mqctl" topic add "$topic" queues 2 ring-size 64K &&
	exec 3<"/dev/mq/$topic/1" &&
	printf 'round %d' "$i" >"/dev/mq/$topic/1" &&
	[ "$(dd bs=64k count=1 status=none <&3)" = "round $i" ] &&
	exec 3<&- || { ok=0; echo "# round $i failed"; break; }
done
exec 3<&-
# Leave the module as the tests after this one expect it: no topic.
"$mqctl" topic del "$topic" 2>/dev/null
if [ "$ok" = 1 ] && loaded && [ ! -e "/dev/mq/$topic" ] &&
   [ "$(log_since "$marker" | grep -c 'mq: unloaded')" -eq 20 ] &&
   ! log_since "$marker" | grep -qE 'mq: leak|WARNING:|BUG:'; then
	ktap_pass load_unload_loop
else
	ktap_fail load_unload_loop "$(log_since "$marker" | grep -E 'mq: leak|WARNING:|BUG:' | head -n 2)"
fi
ktap_finish
