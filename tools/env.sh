# SPDX-License-Identifier: GPL-2.0
# Sourced by mq's shell tools: where things live, and how to fail clearly.
# shellcheck shell=bash

# Always the tree this file is in: an inherited MQ_TOP may name another.
MQ_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything fetched or generated that git must not track.
MQ_CACHE=${MQ_CACHE:-$MQ_TOP/.cache}
export MQ_TOP MQ_CACHE

mq_die() {
	echo "${MQ_PROG:-mq}: error: $*" >&2
	exit 1
}

mq_info() {
	echo "${MQ_PROG:-mq}: $*" >&2
}

# The kernel release the bench boots and the module builds against, as
# recorded by tools/setup (e.g. 6.1.0-56-amd64).
mq_kernel_release() {
	local f=$MQ_CACHE/kernel/release

	[ -s "$f" ] || mq_die "no guest kernel in $MQ_CACHE/kernel: run tools/setup first"
	cat "$f"
}

# Run as root, through sudo when we are not.
mq_as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		mq_die "need root to run '$*' (and sudo is not installed)"
	fi
}
