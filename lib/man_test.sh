#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR MIT)
# man_test: every function libmq.map exports has a page in man/, every
# page names the functions it documents in its NAME section, every .so
# link points at a page that is there, and every page renders with
# "man --warnings" and with "groff -man -ww" without a warning, links followed as
# they are once installed.  Host only.  Prints KTAP.
. "$(dirname "$0")/../selftests/ktap.sh"

lib=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cases() {
	local sym page target missing='' out

	# The exported names: the map's global: entries, each once.
	for sym in $(sed -n 's/^[[:space:]]*\(mq_[a-z0-9_]*\);$/\1/p' "$lib/libmq.map" | sort -u); do
		page=$lib/man/$sym.3
		if [ ! -f "$page" ]; then
			missing+=" $sym"
			continue
		fi
		# A link: the page it points at documents it in its NAME.
		target=$(sed -n 's|^\.so man3/||p' "$page")
		[ -z "$target" ] || page=$lib/man/$target
		sed -n '/^\.SH NAME/{n;p}' "$page" 2>/dev/null | grep -qE "(^|[ ,])$sym([ ,]|$)" ||
			missing+=" $sym(not in NAME of ${page##*/})"
	done
	ktap_check every_symbol_has_a_page "no page for:$missing" test -z "$missing"

	# Rendered as installed: man3/ holds the pages, .so resolves from there.
	mkdir "$tmp/man3"
	cp "$lib"/man/*.3 "$tmp/man3/"
	for page in "$lib"/man/*.3; do
		page=${page##*/}
		out=$(cd "$tmp" && MANWIDTH=80 man --warnings -l "man3/$page" 2>&1 >"$tmp/out"
		      groff -man -ww -z "man3/$page" 2>&1)
		if [ -z "$out" ] && [ -s "$tmp/out" ]; then
			ktap_pass "render_${page%.3}"
		else
			ktap_fail "render_${page%.3}" "$(tr '\n' ' ' <<<"${out:-no output}")"
		fi
	done
	# A page that is not a link has every section a man3 page needs.
	missing=''
	for page in "$lib"/man/*.3; do
		grep -q '^\.so ' "$page" && continue
		for sec in NAME SYNOPSIS DESCRIPTION "RETURN VALUE" ERRORS "SEE ALSO"; do
			grep -qx "\.SH $sec" "$page" || missing+=" ${page##*/}:$sec"
		done
	done
	ktap_check sections "missing:$missing" test -z "$missing"
}

cases >"$tmp/ktap"
ktap_plan "$KSFT_NUM"
cat "$tmp/ktap"
ktap_finish
