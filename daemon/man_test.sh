#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# man_test: mqd(8) renders with "man --warnings" and "groff -man -ww"
# without a warning, and documents every option and configuration key
# config.c knows, as do Documentation/mqd.rst and mqd.conf.example.
# Host only: it reads config.c, not a built mqd.  Prints KTAP.
. "$(dirname "$0")/../selftests/ktap.sh"

dir=$(cd "$(dirname "$0")" && pwd)
page=$dir/mqd.8
rst=$dir/../Documentation/mqd.rst
example=$dir/mqd.conf.example
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The long options of config.c's option table and the keys of its key table.
options=$(sed -n 's/^\t\t{ "\([a-z-]*\)", \(required\|no\)_argument.*/\1/p' "$dir/config.c")
keys=$(sed -n 's/^\t\[K_[A-Z_]*\] = { "\([a-z-]*\)".*/\1/p' "$dir/config.c")

ktap_plan 5
out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$tmp/out"
      groff -man -ww -z "$page" 2>&1)
ktap_check renders "$(tr '\n' ' ' <<<"${out:-no output}")" \
	test -z "$out" -a -s "$tmp/out"

# Each option is a tagged paragraph of OPTIONS ("\-" read as "-").
sed 's/\\-/-/g' "$page" >"$tmp/src"
missing=''
[ -n "$options" ] || missing+=" (no option found in config.c)"
for o in $options; do
	grep -qE "^\.(B|BI|BR) .*--$o( |\"|$)" "$tmp/src" || missing+=" --$o"
done
ktap_check every_option "not in mqd(8):$missing" test -z "$missing"

# Each key is a tagged paragraph of CONFIGURATION.
missing=''
[ -n "$keys" ] || missing+=" (no key found in config.c)"
for k in $keys; do
	grep -qE "^\.(BI|BR) \"$k = " "$tmp/src" || missing+=" $k"
done
ktap_check every_key "not in mqd(8):$missing" test -z "$missing"

# The guide has a row for each, with its default.
missing=''
for o in $options; do
	grep -qE "^\`\`--$o( |\`)" "$rst" 2>/dev/null || missing+=" --$o"
done
for k in $keys; do
	grep -qE "^\`\`$k\`\`" "$rst" 2>/dev/null || missing+=" $k"
done
ktap_check rst_every_key "not in Documentation/mqd.rst:$missing" test -z "$missing"

# The example shows each key (commented out: the defaults).
missing=''
for k in $keys; do
	grep -qE "^#? ?$k = " "$example" 2>/dev/null || missing+=" $k"
done
ktap_check example_every_key "not in mqd.conf.example:$missing" test -z "$missing"
ktap_finish
