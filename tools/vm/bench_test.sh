#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_test: the bench fails a run for every reason it must, clearly and
# in bounded time.  Runs on the host (it boots guests), prints KTAP like
# the selftests, and is part of tools/check.
#
#   no kernel, no qemu, a bad option, a failed kernel download: a clear
#   message and a non-zero exit, without booting; the selftest runner
#   counts failing, hanging and skipped tests and fails on them; a guest's
#   exit status reaches the host; a WARN, a leak at unload, a module that
#   cannot unload, a guest kernel crash and a hang each fail the run; a
#   tree under /tmp works; KVM that does not come up falls back to TCG.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/ktap.sh"
cache=${MQ_CACHE:-$top/.cache}
run=$top/tools/vm/run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME WANT_RC PATTERN -- COMMAND...: pass when COMMAND exits WANT_RC
# and its output matches the extended regex PATTERN.
expect() {
	local name=$1 want=$2 pattern=$3 rc

	shift 4
	"$@" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -qE "$pattern" "$tmp/out"; then
		ktap_pass "$name"
	else
		ktap_fail "$name" "exit $rc (want $want), output $(grep -cE "$pattern" "$tmp/out") line(s) matching '$pattern'; last lines: $(tail -n 3 "$tmp/out" | tr '\n' '|')"
	fi
}

ktap_plan 13

mkdir -p "$tmp/empty"
expect no_kernel 125 'no guest kernel: run tools/setup' -- \
	env MQ_CACHE="$tmp/empty" "$run" -q true
expect no_qemu 125 'is missing: run tools/setup' -- \
	env MQ_VM_QEMU=/nonexistent/qemu "$run" -q true
expect bad_option 1 "unknown option '--bogus'" -- "$run" --bogus true
expect failed_download 1 'could not download linux-image-.*=0\.0-bogus' -- \
	env MQ_CACHE="$tmp/cache" MQ_KERNEL_VERSION=0.0-bogus "$top/tools/setup" --kernel-only

# The runner, on tests made to pass, fail, skip, hang and report totals.
fx=$tmp/fixture
mkdir -p "$fx"
printf '#!/bin/sh\nexit 0\n' >"$fx/pass.sh"
printf '#!/bin/sh\necho broken; exit 1\n' >"$fx/fail.sh"
printf '#!/bin/sh\nexit 4\n' >"$fx/skip.sh"
printf '#!/bin/sh\nsleep 60\n' >"$fx/hang.sh"
printf '#!/bin/sh\necho "# Totals: pass:2 fail:1 xfail:0 xpass:0 skip:0 error:0"\nexit 1\n' >"$fx/totals.sh"
chmod +x "$fx"/*.sh
expect runner_counts 1 '^selftests: 3 passed, 3 failed, 1 skipped$' -- \
	"$top/selftests/run" -C "$fx" -t 2 pass.sh fail.sh skip.sh hang.sh totals.sh
expect runner_no_tests 1 'no test to run' -- "$top/selftests/run" -C "$tmp/empty"

expect exit_status 7 'booting under' -- "$run" -q -t 120 'exit 7'
expect warn_fails_run 123 'check failed: not ok kernel-log: .*WARNING:' -- \
	"$run" -q -t 120 'echo warn >/sys/kernel/debug/mq/fault'
expect leak_fails_run 123 'check failed: not ok kernel-log: .*mq: leak: 1 fault' -- \
	"$run" -q -t 120 'echo leak >/sys/kernel/debug/mq/fault'
expect busy_module_fails_run 123 'check failed: not ok module-unload' -- \
	"$run" -q -t 120 'sleep 1000 </dev/mq/control & sleep 1'
expect crash_fails_run 125 'stopped before the command finished' -- \
	"$run" -q -t 120 'echo c >/proc/sysrq-trigger'

# A tree under /tmp, which the guest covers with a tmpfs, still mounts.
under_tmp=$(mktemp -d /tmp/mq-bench.XXXXXX)
git -C "$top" ls-files -z | (cd "$top" && xargs -0 cp --parents -t "$under_tmp")
expect tree_under_tmp 0 'booting under' -- \
	env MQ_CACHE="$cache" "$under_tmp/tools/vm/run" -q --no-module -t 120 \
	"test \$(pwd) = $under_tmp && test -x selftests/run"
rm -rf "$under_tmp"

# A hang ends at the timeout, well before the boot limit would matter.
start=$SECONDS
"$run" -q -t 20 'sleep 1000' >"$tmp/out" 2>&1
rc=$? took=$((SECONDS - start))
if [ "$rc" -eq 124 ] && [ "$took" -lt 120 ] && grep -q 'did not finish within 20 s' "$tmp/out"; then
	ktap_pass hang_times_out
else
	ktap_fail hang_times_out "exit $rc (want 124) after $took s: $(tail -n 2 "$tmp/out" | tr '\n' '|')"
fi

# Forget what this host boot taught about KVM, then boot: it must come up
# under KVM, or say it fell back to TCG, or use TCG when there is no KVM.
if [ -w /dev/kvm ]; then
	accel='booting under kvm|falling back to TCG'
else
	accel='booting under tcg'
fi
expect accel_fallback 0 "$accel" -- \
	env MQ_VM_KVM_STATE="$tmp/kvm" MQ_VM_KVM_PROBE=5 "$run" -q -t 120 true

ktap_finish
