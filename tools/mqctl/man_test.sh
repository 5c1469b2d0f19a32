#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# man_test: mqctl(8) renders with "man --warnings" and "groff -man -ww"
# without a warning, and documents every object mqctl's help lists.
# Host only.  Prints KTAP.
. "$(dirname "$0")/../../selftests/ktap.sh"

dir=$(cd "$(dirname "$0")" && pwd)
page=$dir/mqctl.8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ktap_plan 2
out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$tmp/out"
      groff -man -ww -z "$page" 2>&1)
ktap_check renders "$(tr '\n' ' ' <<<"${out:-no output}")" \
	test -z "$out" -a -s "$tmp/out"

# Every object "mqctl help" lists has a subsection of COMMANDS.
missing=''
for obj in $("$dir/mqctl" help | sed -n '/^Objects:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
	grep -qE "^\.SS mqctl $obj( |$)" "$page" || missing+=" $obj"
done
[ -n "$("$dir/mqctl" help | sed -n '/^Objects:/,/^$/s/^  \([a-z]*\) .*/\1/p')" ] ||
	missing+=" (mqctl help listed no object)"
ktap_check every_object "not in mqctl(8):$missing" test -z "$missing"
ktap_finish
