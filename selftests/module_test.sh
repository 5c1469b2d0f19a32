#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# module_test: mq.ko makes its class and /dev/mq/control, refuses to unload
# while a file is open, unloads cleanly (no node, no class, no leak) and
# loads again.  Needs root and MQ_MODULE, the path of mq.ko (the bench
# sets it); exits 4 (skip) without them.
. "$(dirname "$0")/ktap.sh"

ctl=/dev/mq/control
ktap_plan 6

if [ "$(id -u)" -ne 0 ] || [ ! -f "${MQ_MODULE:-}" ]; then
	for t in loaded node busy_while_open unload no_leak reload; do
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
ktap_finish
