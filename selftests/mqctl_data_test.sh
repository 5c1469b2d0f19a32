#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mqctl_data_test: mqctl group, produce and consume: every command, keyword
# and format, exact output, each error message with its exit status (1 a
# bad command line, 2 what the kernel refused, 3 a broken input), round
# trips in every framing, keys on the queues Kafka's partitioner picks,
# two groups each reading everything, lag before and after, reset, del.
# Needs root and the module loaded.
. "$(dirname "$0")/ktap.sh"

MQCTL=$(cd "$(dirname "$0")/.." && pwd)/tools/mqctl/mqctl
P=mqdt-		# every topic this test makes
tmp=$(mktemp -d)
bg=
trap '[ -z "$bg" ] || kill "$bg" 2>/dev/null; for t in $("$MQCTL" topic show 2>/dev/null | grep -o "^${P}[^ ]*"); do "$MQCTL" topic del "$t"; done; rm -rf "$tmp"' EXIT

# mq ARGS...: runs mqctl with standard input from $in (default none);
# $out, $err and $rc are what it did.
in=/dev/null
mq() {
	"$MQCTL" "$@" <"$in" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# expect NAME RC STDOUT STDERR ARGS...: exact output and status.
expect() {
	local name=$1 want_rc=$2 want_out=$3 want_err=$4

	shift 4
	mq "$@"
	if [ "$rc" = "$want_rc" ] && [ "$out" = "$want_out" ] &&
	   [ "$err" = "$want_err" ]; then
		ktap_pass "$name"
	else
		ktap_fail "$name" "mqctl $*: rc $rc (want $want_rc), stdout '$out' (want '$want_out'), stderr '$err' (want '$want_err')"
	fi
}

# usage NAME MESSAGE ARGS...: refused before anything is sent, exit 1.
usage() {
	local name=$1 msg=$2

	shift 2
	expect "$name" 1 "" "mqctl: $msg" "$@"
}

# produce INPUT ARGS...: mqctl produce ARGS... with INPUT (printf's
# format) on its standard input; must succeed silently.
produce() {
	printf "$1" >"$tmp/in"
	shift
	"$MQCTL" produce "$@" <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &&
		[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ] ||
		echo "# produce $*: failed: $(cat "$tmp/err")"
}

# expect_bytes NAME WANT (printf's format) ARGS...: stdout byte for byte.
expect_bytes() {
	local name=$1

	printf "$2" >"$tmp/want"
	shift 2
	"$MQCTL" "$@" </dev/null >"$tmp/got" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/want" "$tmp/got"; then
		ktap_pass "$name"
	else
		ktap_fail "$name" "mqctl $*: rc $rc, stderr '$(cat "$tmp/err")', stdout $(od -An -c "$tmp/got" | tr -s ' ') (want $(od -An -c "$tmp/want" | tr -s ' '))"
	fi
}

# Timestamps differ run to run: T stands for one within the last minute.
stamps() {
	local now ts

	now=$(date +%s%N)
	for ts in $(grep -oE '(timestamp |"timestamp":)[0-9]+' <<<"$out" | grep -oE '[0-9]+$'); do
		[ $((now - ts)) -ge 0 ] && [ $((now - ts)) -lt 60000000000 ] ||
			echo "# timestamp $ts is not within a minute before $now"
	done
	out=$(sed -E 's/(timestamp |"timestamp":)[0-9]+/\1T/g' <<<"$out")
}

# expect_ts: expect, with timestamps checked and replaced by T.
expect_ts() {
	local name=$1 want_rc=$2 want_out=$3

	shift 3
	mq "$@"
	stamps
	if [ "$rc" = "$want_rc" ] && [ "$out" = "$want_out" ] && [ -z "$err" ]; then
		ktap_pass "$name"
	else
		ktap_fail "$name" "mqctl $*: rc $rc (want $want_rc), stdout '$out' (want '$want_out'), stderr '$err'"
	fi
}

# members TOPIC GROUP N: the group has one member on N queues.
members() {
	[ "$("$MQCTL" group describe "$1" "$2" | grep -c ' members 1$')" = "$3" ]
}

# reader TOPIC: its queue 0 has a reader.
reader() {
	"$MQCTL" queue show "$1" | grep -q "^$1/0 .* readers 1 "
}

cases() {
	local a=${P}a k=${P}k c=${P}c j=${P}j s=${P}s long n t got

	# ---- help ----
	mq help
	ktap_check help_lists_objects "mqctl help: $out" \
		test "$(grep -Ec '^  (group|produce|consume) ' <<<"$out")" = 3
	mq group help
	ktap_check group_help "mqctl group help: rc $rc, stdout '$out'" \
		test "$rc" = 0 -a -z "$err" -a "$(grep -c -e 'group list \[TOPIC\]' \
		-e 'group describe TOPIC GROUP' -e 'group reset TOPIC GROUP to' \
		-e 'group del TOPIC GROUP \[queue N\]' <<<"$out")" = 4
	mq produce help
	ktap_check produce_help "mqctl produce help: rc $rc, stdout '$out'" \
		test "$rc" = 0 -a -z "$err" -a \
		"$(grep -c 'produce TOPIC \[queue N\] \[key KEY\] \[nul | lenprefix\]' <<<"$out")" = 1
	mq consume help
	ktap_check consume_help "mqctl consume help: rc $rc, stdout '$out'" \
		test "$rc" = 0 -a -z "$err" -a "$(grep -c -e 'consume TOPIC \[queue N\] \[group GROUP\]' \
		-e 'from-beginning | offset N\] \[follow\] \[count N\]' \
		-e 'format raw|json|hex\] \[headers\] \[nul | lenprefix\]' <<<"$out")" = 3

	# ---- bad command lines: exit 1, one line, nothing sent ----
	usage group_unknown_command 'unknown command "foo", try "mqctl group help"' group foo
	usage group_list_extra 'unexpected argument "b", try "mqctl group help"' group list a b
	usage group_list_option 'unknown option "-x", try "mqctl group help"' group list -x
	usage describe_no_topic 'group describe: missing TOPIC, try "mqctl group help"' group describe
	usage describe_no_group 'group describe: missing GROUP, try "mqctl group help"' group describe $a
	usage describe_extra 'unexpected argument "x", try "mqctl group help"' group describe $a g x
	usage reset_no_topic 'group reset: missing TOPIC, try "mqctl group help"' group reset
	usage reset_no_group 'group reset: missing GROUP, try "mqctl group help"' group reset $a
	usage reset_no_to 'group reset: missing "to", try "mqctl group help"' group reset $a g
	usage reset_to_no_value 'missing value for "to"' group reset $a g to
	usage reset_to_bad 'invalid to "soon": expected "earliest", "latest" or an offset' \
		group reset $a g to soon
	usage reset_to_negative 'invalid to "-1": expected "earliest", "latest" or an offset' \
		group reset $a g to -1
	usage reset_to_too_big 'invalid to "18446744073709551616": out of range' \
		group reset $a g to 18446744073709551616
	usage reset_to_twice 'duplicate keyword "to"' group reset $a g to 1 to 2
	usage reset_queue_bad 'invalid queue "x": not a number' group reset $a g to 1 queue x
	usage reset_queue_too_big 'invalid queue "4294967296": out of range' \
		group reset $a g queue 4294967296 to 1
	usage reset_queue_no_value 'missing value for "queue"' group reset $a g to 1 queue
	usage reset_queue_twice 'duplicate keyword "queue"' group reset $a g queue 1 queue 1 to 1
	usage reset_unknown 'unknown keyword "at", try "mqctl group help"' group reset $a g at 1
	usage del_no_group 'group del: missing GROUP, try "mqctl group help"' group del $a
	usage del_to 'unknown keyword "to", try "mqctl group help"' group del $a g to 1
	long=$(printf "g%063d" 0)
	usage group_name_too_long "invalid group name \"$long\": longer than 63 bytes" \
		group describe $a "$long"
	usage topic_name_too_long "invalid topic name \"$long\": longer than 63 bytes" \
		group list "$long"

	usage produce_no_topic 'produce: missing TOPIC, try "mqctl produce help"' produce
	usage produce_unknown 'unknown keyword "colour", try "mqctl produce help"' produce $a colour red
	usage produce_queue_no_value 'missing value for "queue"' produce $a queue
	usage produce_key_no_value 'missing value for "key"' produce $a key
	usage produce_queue_bad 'invalid queue "-1": not a number' produce $a queue -1
	usage produce_queue_too_big 'invalid queue "4294967296": out of range' produce $a queue 4294967296
	usage produce_key_empty 'invalid key "": empty' produce $a key ""
	usage produce_queue_twice 'duplicate keyword "queue"' produce $a queue 1 queue 2
	usage produce_key_twice 'duplicate keyword "key"' produce $a key x key y
	usage produce_nul_lenprefix 'conflicting keywords "nul" and "lenprefix"' produce $a nul lenprefix
	usage produce_lenprefix_nul 'conflicting keywords "lenprefix" and "nul"' produce $a lenprefix nul
	usage produce_nul_twice 'duplicate keyword "nul"' produce $a nul nul
	usage produce_topic_too_long "invalid topic name \"$long\": longer than 63 bytes" produce "$long"

	usage consume_no_topic 'consume: missing TOPIC, try "mqctl consume help"' consume
	usage consume_unknown 'unknown keyword "colour", try "mqctl consume help"' consume $a colour
	for kw in queue group offset count format data-dir; do
		usage "consume_${kw}_no_value" "missing value for \"$kw\"" consume $a $kw
	done
	usage consume_data_dir_twice 'duplicate keyword "data-dir"' \
		consume $a data-dir /x data-dir /y
	usage consume_data_dir_empty 'invalid data-dir "": an empty path' \
		consume $a data-dir ''
	usage consume_begin_offset 'conflicting keywords "from-beginning" and "offset"' \
		consume $a from-beginning offset 3
	usage consume_offset_begin 'conflicting keywords "offset" and "from-beginning"' \
		consume $a offset 3 from-beginning
	usage consume_begin_twice 'duplicate keyword "from-beginning"' \
		consume $a from-beginning from-beginning
	usage consume_offset_bad 'invalid offset "x": not a number' consume $a offset x
	usage consume_queue_bad 'invalid queue "1.5": not a number' consume $a queue 1.5
	usage consume_queue_too_big 'invalid queue "4294967296": out of range' consume $a queue 4294967296
	usage consume_count_zero 'invalid count "0": not a positive number' consume $a count 0
	usage consume_count_bad 'invalid count "ten": not a number' consume $a count ten
	usage consume_format_bad 'invalid format "xml": expected "raw", "json" or "hex"' \
		consume $a format xml
	usage consume_format_twice 'duplicate keyword "format"' consume $a format raw format hex
	usage consume_follow_twice 'duplicate keyword "follow"' consume $a follow follow
	usage consume_headers_twice 'duplicate keyword "headers"' consume $a headers headers
	usage consume_json_headers 'conflicting keywords "format json" and "headers"' \
		consume $a format json headers
	usage consume_hex_nul 'conflicting keywords "format hex" and "nul"' consume $a format hex nul
	usage consume_json_lenprefix 'conflicting keywords "format json" and "lenprefix"' \
		consume $a lenprefix format json
	usage consume_lenprefix_headers 'conflicting keywords "lenprefix" and "headers"' \
		consume $a lenprefix headers
	usage consume_nul_lenprefix 'conflicting keywords "nul" and "lenprefix"' consume $a nul lenprefix
	usage consume_j_raw 'conflicting "-j" and "format raw"' -j consume $a format raw
	usage consume_group_too_long "invalid group name \"$long\": longer than 63 bytes" \
		consume $a group "$long"
	expect nothing_was_made 0 "" "" topic show

	# ---- topics: a (3 queues), k (keys, 3), c (1), j (JSON, hex), s (small) ----
	"$MQCTL" topic add $a queues 3
	"$MQCTL" topic add $k queues 3
	"$MQCTL" topic add $c
	"$MQCTL" topic add $j
	"$MQCTL" topic add $s ring-size 4K mode 0600

	# ---- what the kernel refuses: exit 2 ----
	expect produce_no_such_topic 2 "" \
		"mqctl: cannot produce to topic ${P}none: No such file or directory: no such topic" produce ${P}none
	expect produce_queue_out_of_range 2 "" \
		"mqctl: cannot produce to queue $a/3: No such file or directory: the topic has 3 queues" \
		produce $a queue 3
	expect produce_queue_out_of_range_one 2 "" \
		"mqctl: cannot produce to queue $c/1: No such file or directory: the topic has 1 queue" \
		produce $c queue 1
	expect consume_no_such_topic 2 "" \
		"mqctl: cannot consume from topic ${P}none: No such file or directory: no such topic" consume ${P}none
	expect consume_queue_out_of_range 2 "" \
		"mqctl: cannot consume from queue $a/5: No such file or directory: the topic has 3 queues" \
		consume $a queue 5
	expect consume_offset_past_next 2 "" \
		"mqctl: cannot seek $a/0 to offset 7: No such device or address" consume $a queue 0 offset 7
	expect group_list_no_topic 2 "" \
		"mqctl: cannot list the groups of topic ${P}none: No such file or directory: no such topic" group list ${P}none
	expect describe_no_group 2 "" \
		"mqctl: cannot describe group nog of topic $a: No such file or directory" group describe $a nog
	expect describe_no_topic 2 "" \
		"mqctl: cannot describe group nog of topic ${P}none: No such file or directory: no such topic" \
		group describe ${P}none nog
	expect reset_no_topic 2 "" \
		"mqctl: cannot reset group g of topic ${P}none: No such file or directory: no such topic" \
		group reset ${P}none g to earliest
	expect reset_no_queue 2 "" \
		"mqctl: cannot reset group g on queue $a/3: Invalid argument: the topic has no such queue" \
		group reset $a g to earliest queue 3
	expect reset_past_next 2 "" \
		"mqctl: cannot reset group g on queue $a/0: No such device or address: offset past the queue's next offset" \
		group reset $a g to 1
	expect reset_bad_name 2 "" \
		"mqctl: cannot reset group g/h on queue $a/0: Invalid argument: name may hold only A-Z a-z 0-9 . _ -" \
		group reset $a g/h to 0 queue 0
	expect del_no_group 2 "" \
		"mqctl: cannot delete group nog of topic $a: No such file or directory" group del $a nog
	expect del_no_group_queue 2 "" \
		"mqctl: cannot delete group nog on queue $a/1: No such file or directory: no such group on that queue" \
		group del $a nog queue 1
	expect json_empty_groups 0 "[]" "" -j group list $a
	expect text_empty_groups 0 "" "" group list $a

	# ---- produce: lines, round-robin, empty lines skipped ----
	in=$tmp/lines
	printf 'm0\nm1\n\nm2\nm3\nm4' >"$in"
	expect produce_lines 0 "" "" produce $a
	in=/dev/null
	expect queues_after_round_robin 0 "$(
		echo "$a/0 first 0 next 2 bytes-in 4 bytes-out 0 msgs-in 2 msgs-out 0 drops 0 readers 0 writers 0 durable 0 replicated 0 persister 0"
		echo "$a/1 first 0 next 2 bytes-in 4 bytes-out 0 msgs-in 2 msgs-out 0 drops 0 readers 0 writers 0 durable 0 replicated 0 persister 0"
		echo "$a/2 first 0 next 1 bytes-in 2 bytes-out 0 msgs-in 1 msgs-out 0 drops 0 readers 0 writers 0 durable 0 replicated 0 persister 0")" \
		"" queue show $a
	expect consume_latest_nothing 0 "" "" consume $a
	expect consume_all_queues 0 "$(printf 'm0\nm3\nm1\nm4\nm2')" "" consume $a from-beginning
	expect consume_one_queue 0 "$(printf 'm1\nm4')" "" consume $a queue 1 from-beginning
	expect consume_offset 0 "m3" "" consume $a queue 0 offset 1
	expect consume_offset_next 0 "" "" consume $a queue 2 offset 1
	# A queue's log that is not one: said, not read past.
	mkdir -p "$tmp/dd/topics/$a" && : >"$tmp/dd/topics/$a/0"
	expect consume_log_not_a_dir 2 "" \
		"mqctl: cannot open the log of $a/0 in $tmp/dd: Not a directory" \
		consume $a queue 0 data-dir "$tmp/dd"
	expect consume_count 0 "$(printf 'm0\nm3\nm1')" "" consume $a from-beginning count 3
	expect consume_count_one 0 "m0" "" consume $a from-beginning count 1
	expect_ts consume_headers 0 "$(printf 'queue 1 offset 0 timestamp T\tm1\nqueue 1 offset 1 timestamp T\tm4')" \
		consume $a queue 1 from-beginning headers
	produce 'more\n' $c
	produce 'x\n' $c queue 0
	expect produce_queue_given 0 "$(printf 'more\nx')" "" consume $c from-beginning

	# ---- NUL and length-prefixed messages, and their round trips ----
	produce 'a\nb\0\0c d\0e' $j nul
	expect_bytes nul_round_trip 'a\nb\0c d\0e\0' consume $j from-beginning nul
	expect_bytes nul_as_lines 'a\nb\nc d\ne\n' consume $j from-beginning
	produce '\003\0\0\0x\ny\0\0\0\0\002\0\0\0\0\377\001\0\0\0z' $j lenprefix
	expect_bytes lenprefix_round_trip '\003\0\0\0x\ny\002\0\0\0\0\377\001\0\0\0z' \
		consume $j offset 3 lenprefix
	in=$tmp/cut
	printf '\002\0\0\0ok\005\0\0\0ab' >"$in"
	expect lenprefix_cut_short 3 "" \
		"mqctl: cannot read message 2: standard input ends inside it" produce $j lenprefix
	printf '\002\0\0' >"$in"
	expect lenprefix_prefix_cut_short 3 "" \
		"mqctl: cannot read message 1: standard input ends inside it" produce $j lenprefix
	head -c 1985 /dev/zero | tr '\0' x >"$in"
	expect produce_too_long 2 "" "mqctl: cannot produce message 1 to $s/0: Message too long" produce $s
	printf '\301\007\0\0' >"$in"
	expect produce_lenprefix_too_long 2 "" \
		"mqctl: cannot produce message 1 to $s/0: Message too long" produce $s lenprefix
	head -c 1980 /dev/zero | tr '\0' x >"$in"
	expect produce_key_too_long 2 "" \
		"mqctl: cannot produce message 1 to $s/0: Message too long" produce $s key abcde
	head -c 1984 /dev/zero | tr '\0' x >"$in"
	expect produce_longest 0 "" "" produce $s
	expect produce_longest_twice 0 "" "" produce $s
	head -c 1984 /dev/zero | tr '\0' y >"$in"
	expect produce_longest_again 0 "" "" produce $s
	in=/dev/null
	# Two of those fill the 4K ring: the first went, from-beginning is 1.
	mq consume $s from-beginning headers
	out=$(cut -f1 <<<"$out")
	stamps
	ktap_check from_beginning_retained "consume: rc $rc, stdout '$out', stderr '$err'" \
		test "$rc" = 0 -a -z "$err" -a "$out" = "$(printf '%s\n' \
		"queue 0 offset 1 timestamp T" "queue 0 offset 2 timestamp T")"
	expect consume_offset_dropped 2 "" \
		"mqctl: cannot seek $s/0 to offset 0: Numerical result out of range" consume $s offset 0
	expect consume_only_ok 0 "ok" "" consume $j offset 6

	# ---- keys: the queue Kafka's partitioner picks ----
	# (murmur2(key, seed 0x9747b28c) & 0x7fffffff) % 3, computed with
	# Kafka's Utils.murmur2 (which gives -973932308 for "21", its own test):
	# user1 1619149554 -> 0, user2 -681250719 -> 2, user4 -1794944515 -> 1.
	produce 'v1\n' $k key user1
	produce 'v2\nv2b\n' $k key user2
	produce 'v4\n' $k key user4
	produce 'v1q\n' $k key user1 queue 2
	produce 'nokey\n' $k queue 2
	expect_ts keys_on_their_queues 0 "$(printf '%s\n' \
		"queue 0 offset 0 timestamp T key user1	v1" \
		"queue 1 offset 0 timestamp T key user4	v4" \
		"queue 2 offset 0 timestamp T key user2	v2" \
		"queue 2 offset 1 timestamp T key user2	v2b" \
		"queue 2 offset 2 timestamp T key user1	v1q" \
		"queue 2 offset 3 timestamp T	nokey")" consume $k from-beginning headers
	expect keys_raw 0 "$(printf 'v2\nv2b\nv1q\nnokey')" "" consume $k queue 2 from-beginning

	# ---- JSON: strings when UTF-8, base64 otherwise ----
	expect_ts keys_json 0 "$(printf '%s\n' \
		"{\"topic\":\"$k\",\"queue\":2,\"offset\":2,\"timestamp\":T,\"key\":\"user1\",\"value\":\"v1q\"}" \
		"{\"topic\":\"$k\",\"queue\":2,\"offset\":3,\"timestamp\":T,\"key\":null,\"value\":\"nokey\"}")" \
		consume $k queue 2 offset 2 format json
	expect_ts keys_json_j 0 \
		"{\"topic\":\"$k\",\"queue\":2,\"offset\":3,\"timestamp\":T,\"key\":null,\"value\":\"nokey\"}" \
		-j consume $k queue 2 offset 3
	produce '\0\0\0\0\012\0\0\0hi "x"\\\t\303\251\002\0\0\0\377\376\003\0\0\0\355\240\200\003\0\0\0\0ab' $j lenprefix key "$(printf 'caf\303\251')"
	expect_ts json_escapes 0 \
		"{\"topic\":\"$j\",\"queue\":0,\"offset\":7,\"timestamp\":T,\"key\":\"café\",\"value\":\"hi \\\"x\\\"\\\\\\u0009é\"}" \
		-j consume $j offset 7 count 1
	expect_ts json_base64 0 "$(printf '%s\n' \
		"{\"topic\":\"$j\",\"queue\":0,\"offset\":8,\"timestamp\":T,\"key\":\"café\",\"value_base64\":\"//4=\"}" \
		"{\"topic\":\"$j\",\"queue\":0,\"offset\":9,\"timestamp\":T,\"key\":\"café\",\"value_base64\":\"7aCA\"}" \
		"{\"topic\":\"$j\",\"queue\":0,\"offset\":10,\"timestamp\":T,\"key\":\"café\",\"value\":\"\\u0000ab\"}")" \
		consume $j offset 8 format json
	mq -j consume $j from-beginning
	ktap_check json_parses "consume -j: not 11 JSON objects: $out" test "$(python3 -c '
import json, sys
print(len([json.loads(l) for l in sys.stdin]))' <<<"$out")" = 11

	# ---- hex: as hexdump -C ----
	produce 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nhi "x"\\\t\303\251\n' $c
	expect hex 0 "$(printf '%s\n' \
		'00000000  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|' \
		'*' \
		'00000020  41 41 41 41 41 41 41 41                           |AAAAAAAA|' \
		'00000028' \
		'00000000  68 69 20 22 78 22 5c 09  c3 a9                    |hi "x"\...|' \
		'0000000a')" "" consume $c offset 2 format hex
	expect_ts hex_headers 0 "$(printf '%s\n' \
		'queue 0 offset 3 timestamp T' \
		'00000000  68 69 20 22 78 22 5c 09  c3 a9                    |hi "x"\...|' \
		'0000000a')" consume $c offset 3 format hex headers

	# ---- groups: lag before and after, two groups each read everything ----
	expect reset_creates 0 "" "" group reset $a g1 to earliest
	expect describe_before 0 "$(printf '%s\n' \
		"$a/0 committed 0 delivered 0 pending 0 lag 2 members 0" \
		"$a/1 committed 0 delivered 0 pending 0 lag 2 members 0" \
		"$a/2 committed 0 delivered 0 pending 0 lag 1 members 0")" "" group describe $a g1
	expect group_list_one 0 "$a g1 queues 3 members 0 lag 5" "" group list $a
	expect group_default_list 0 "$a g1 queues 3 members 0 lag 5" "" group
	mq -j group describe $a nog
	ktap_check json_error_prints_nothing "rc $rc, stdout '$out'" test "$rc" = 2 -a -z "$out"
	expect group_g1_reads_all 0 "$(printf 'm0\nm3\nm1\nm4\nm2')" "" consume $a group g1
	expect group_g2_reads_all 0 "$(printf 'm0\nm3\nm1\nm4\nm2')" "" consume $a group g2 from-beginning
	expect group_g1_nothing_left 0 "" "" consume $a group g1
	expect describe_after 0 "$(printf '%s\n' \
		"$a/0 committed 2 delivered 2 pending 0 lag 0 members 0" \
		"$a/1 committed 2 delivered 2 pending 0 lag 0 members 0" \
		"$a/2 committed 1 delivered 1 pending 0 lag 0 members 0")" "" group describe $a g1
	expect group_new_latest 0 "" "" consume $a group g3
	expect group_new_offset 0 "$(printf 'm3\nm4')" "" consume $a group g4 offset 1 count 2
	expect describe_count 0 "$(printf '%s\n' \
		"$a/0 committed 2 delivered 2 pending 0 lag 0 members 0" \
		"$a/1 committed 2 delivered 2 pending 0 lag 0 members 0" \
		"$a/2 committed 1 delivered 1 pending 0 lag 0 members 0")" "" group describe $a g4
	expect group_count_gives_back 0 "m0" "" consume $a group g5 from-beginning queue 0 count 1
	expect describe_given_back 0 "$a/0 committed 1 delivered 2 pending 1 lag 1 members 0" \
		"" group describe $a g5
	expect group_redelivered 0 "m3" "" consume $a group g5 queue 0
	mq group list $a
	ktap_check group_list "group list: rc $rc, stdout '$out'" test "$rc" = 0 -a \
		"$(sort <<<"$out")" = "$(printf '%s\n' "$a g1 queues 3 members 0 lag 0" \
		"$a g2 queues 3 members 0 lag 0" "$a g3 queues 3 members 0 lag 0" \
		"$a g4 queues 3 members 0 lag 0" "$a g5 queues 1 members 0 lag 0")"
	mq -j group list $a
	ktap_check group_list_json "-j group list: $out" test "$rc" = 0 -a "$(python3 -c '
import json, sys
print(sorted((g["group"], g["queues"], g["members"], g["lag"]) for g in json.load(sys.stdin)))' <<<"$out")" = \
		"[('g1', 3, 0, 0), ('g2', 3, 0, 0), ('g3', 3, 0, 0), ('g4', 3, 0, 0), ('g5', 1, 0, 0)]"
	expect describe_json 0 \
		"[{\"topic\":\"$a\",\"queue\":0,\"group\":\"g5\",\"committed\":2,\"delivered\":2,\"pending\":0,\"lag\":0,\"members\":0}]" \
		"" -j group describe $a g5
	expect describe_json_after 0 \
		"[{\"topic\":\"$a\",\"queue\":0,\"group\":\"g5\",\"committed\":2,\"delivered\":2,\"pending\":0,\"lag\":0,\"members\":0}]" \
		"" group describe $a g5 -j
	mq group list
	ktap_check group_list_all "group list: $out" test "$rc" = 0 -a "$(grep -c "^$a " <<<"$out")" = 5

	# ---- reset ----
	expect reset_latest 0 "" "" group reset $a g1 to latest
	expect reset_offset_queue 0 "" "" group reset $a g1 to 1 queue 1
	expect reset_earliest_queue 0 "" "" group reset $a g1 queue 2 to earliest
	expect describe_reset 0 "$(printf '%s\n' \
		"$a/0 committed 2 delivered 2 pending 0 lag 0 members 0" \
		"$a/1 committed 1 delivered 1 pending 0 lag 1 members 0" \
		"$a/2 committed 0 delivered 0 pending 0 lag 1 members 0")" "" group describe $a g1
	expect group_after_reset 0 "$(printf 'm4\nm2')" "" consume $a group g1
	expect reset_offset_all 2 "" \
		"mqctl: cannot reset group g1 on queue $a/2: No such device or address: offset past the queue's next offset" \
		group reset $a g1 to 2
	expect describe_partly_reset 0 "$(printf '%s\n' \
		"$a/0 committed 2 delivered 2 pending 0 lag 0 members 0" \
		"$a/1 committed 2 delivered 2 pending 0 lag 0 members 0" \
		"$a/2 committed 1 delivered 1 pending 0 lag 0 members 0")" "" group describe $a g1

	# ---- follow, a member, and what a member keeps an admin from ----
	"$MQCTL" consume $a group g2 follow >"$tmp/follow" 2>&1 &
	bg=$!
	ktap_wait "g2's members" members $a g2 3
	expect reset_busy 2 "" \
		"mqctl: cannot reset group g2 on queue $a/0: Device or resource busy: the group has members" \
		group reset $a g2 to earliest
	expect del_busy 2 "" \
		"mqctl: cannot delete group g2 on queue $a/0: Device or resource busy: the group has members" \
		group del $a g2
	expect list_members 0 "$(printf '%s\n' "$a g1 queues 3 members 0 lag 0" \
		"$a g2 queues 3 members 3 lag 0" "$a g3 queues 3 members 0 lag 0" \
		"$a g4 queues 3 members 0 lag 0" "$a g5 queues 1 members 0 lag 0")" \
		"" group list $a
	produce 'late\n' $a queue 1
	ktap_wait "the follower's line" grep -qx late "$tmp/follow"
	kill -INT $bg
	wait $bg
	rc=$?
	bg=
	ktap_check follow_sigint "follow: rc $rc, output '$(cat "$tmp/follow")'" \
		test "$rc" = 0 -a "$(cat "$tmp/follow")" = late
	expect describe_after_follow 0 "$(printf '%s\n' \
		"$a/0 committed 2 delivered 2 pending 0 lag 0 members 0" \
		"$a/1 committed 3 delivered 3 pending 0 lag 0 members 0" \
		"$a/2 committed 1 delivered 1 pending 0 lag 0 members 0")" "" group describe $a g2
	"$MQCTL" consume $c follow >"$tmp/follow" 2>&1 &
	bg=$!
	ktap_wait "the follower" reader $c
	produce 'tail\n' $c
	ktap_wait "the follower's line" grep -qx tail "$tmp/follow"
	kill -TERM $bg
	wait $bg
	rc=$?
	bg=
	ktap_check follow_sigterm "follow: rc $rc, output '$(cat "$tmp/follow")'" \
		test "$rc" = 0 -a "$(cat "$tmp/follow")" = tail
	# A follower's topic deleted under it: the read says so, exit 2.
	"$MQCTL" consume $c follow >"$tmp/follow" 2>&1 &
	bg=$!
	ktap_wait "the follower" reader $c
	"$MQCTL" topic del $c
	wait $bg
	rc=$?
	bg=
	ktap_check follow_topic_deleted "follow: rc $rc, output '$(cat "$tmp/follow")'" \
		test "$rc" = 2 -a "$(cat "$tmp/follow")" = "mqctl: cannot read $c/0: No such device"

	# ---- del ----
	expect del_one_queue 0 "" "" group del $a g1 queue 0
	expect describe_after_del 0 "$(printf '%s\n' \
		"$a/1 committed 2 delivered 2 pending 0 lag 1 members 0" \
		"$a/2 committed 1 delivered 1 pending 0 lag 0 members 0")" "" group describe $a g1
	expect del_rest 0 "" "" group del $a g1
	expect describe_deleted 2 "" \
		"mqctl: cannot describe group g1 of topic $a: No such file or directory" group describe $a g1
	for g in g2 g3 g4 g5; do
		expect "del_$g" 0 "" "" group del $a $g
	done
	expect groups_gone 0 "[]" "" -j group list $a

	# ---- bash completion (plain bash: no bash-completion package) ----
	complete() { :; }
	mqctl() { "$MQCTL" "$@"; }
	. "$(dirname "$0")/../tools/mqctl/mqctl.bash-completion"
	comp() {
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMPREPLY=()
		_mqctl mqctl
		echo "${COMPREPLY[*]}"
	}
	"$MQCTL" group reset $a gz to earliest queue 1
	n=0
	for t in "|-j --json -h --help help topic queue group produce consume" \
		 "group|list describe reset del help" \
		 "topic|add del show describe help" \
		 "group describe $a|gz" \
		 "group reset $a gz|to queue" \
		 "group reset $a gz to|earliest latest" \
		 "group reset $a gz to 1|queue" \
		 "group del $a gz|queue" \
		 "produce $a|queue key nul lenprefix" \
		 "produce $a nul|queue key" \
		 "consume $a from-beginning|queue group follow count format headers nul lenprefix data-dir -j" \
		 "consume $a format|raw json hex" \
		 "consume $a group|gz" \
		 "-j consume $a offset 1 lenprefix|queue group follow count format headers data-dir -j"; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		got=$(comp mqctl ${t%%|*} "")
		ktap_check "completion_$n" "mqctl ${t%%|*} <TAB>: '$got' (want '${t#*|}')" \
			test "$got" = "${t#*|}"
	done
	got=$(comp mqctl consume "${P}" | tr ' ' '\n' | sort | xargs)
	ktap_check completion_topics "mqctl consume $P<TAB>: '$got'" test "$got" = "$a $j $k $s"
	# queue show: its options after a dash, a topic until one is given.
	got=$(comp mqctl queue show -)
	ktap_check completion_rate "mqctl queue show -<TAB>: '$got'" \
		test "$got" = "--rate --interval --data-dir"
	got=$(comp mqctl queue show --rate --)
	ktap_check completion_rate_given "mqctl queue show --rate --<TAB>: '$got'" \
		test "$got" = "--interval --data-dir"
	got=$(comp mqctl queue show --data-dir /sy)
	ktap_check completion_data_dir "mqctl queue show --data-dir /sy<TAB>: '$got'" \
		test "$got" = "/sys"
	got=$(comp mqctl queue show --data-dir /sys "${P}" | tr ' ' '\n' | sort | xargs)
	ktap_check completion_data_dir_topics "mqctl queue show --data-dir /sys $P<TAB>: '$got'" \
		test "$got" = "$a $j $k $s"
	got=$(comp mqctl queue show --rate --interval "")
	ktap_check completion_interval_value "mqctl queue show --rate --interval <TAB>: '$got'" \
		test -z "$got"
	got=$(comp mqctl queue show --rate --interval 2 "${P}" | tr ' ' '\n' | sort | xargs)
	ktap_check completion_rate_topics "mqctl queue show --rate --interval 2 $P<TAB>: '$got'" \
		test "$got" = "$a $j $k $s"
	got=$(comp mqctl queue show $a "")
	ktap_check completion_rate_topic_given "mqctl queue show $a <TAB>: '$got'" test -z "$got"
	got=$(comp mqctl topic describe "${P}" | tr ' ' '\n' | sort | xargs)
	ktap_check completion_describe_topics "mqctl topic describe $P<TAB>: '$got'" \
		test "$got" = "$a $j $k $s"
	unset -f complete mqctl
	"$MQCTL" group del $a gz

	# ---- without permission on the nodes ----
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	echo x | as_nobody "$MQCTL" produce $a >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ktap_check nobody_produce "rc $rc, stderr '$(cat "$tmp/err")'" test "$rc" = 2 -a \
		"$(cat "$tmp/err")" = "mqctl: cannot open /dev/mq/$a/0: Permission denied"
	as_nobody "$MQCTL" consume $a queue 2 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ktap_check nobody_consume "rc $rc, stderr '$(cat "$tmp/err")'" test "$rc" = 2 -a \
		"$(cat "$tmp/err")" = "mqctl: cannot open /dev/mq/$a/2: Permission denied"
	as_nobody "$MQCTL" group reset $a g to earliest >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ktap_check nobody_reset "rc $rc, stderr '$(cat "$tmp/err")'" test "$rc" = 2 -a \
		"$(cat "$tmp/err")" = "mqctl: cannot reset group g on queue $a/0: Operation not permitted"
}

if [ "$(id -u)" -ne 0 ] || ! "$MQCTL" topic show >/dev/null 2>&1; then
	ktap_plan 1
	ktap_fail setup "needs root, $MQCTL built, and mq.ko loaded"
	ktap_finish
fi
cases >"$tmp/ktap"
ktap_plan "$KSFT_NUM"
cat "$tmp/ktap"
ktap_finish
