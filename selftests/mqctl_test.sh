#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mqctl_test: every mqctl command and keyword, its output in text and JSON,
# and each of its error messages and exit statuses (1 for a bad command
# line, 2 for what the kernel refused).  Needs root and the module loaded;
# the module-not-loaded case also needs MQ_MODULE to load it back.
. "$(dirname "$0")/ktap.sh"

MQCTL=$(cd "$(dirname "$0")/.." && pwd)/tools/mqctl/mqctl
P=mqt-		# every topic this test makes
tmp=$(mktemp -d)
bg=
trap '[ -z "$bg" ] || kill "$bg" 2>/dev/null; for t in $("$MQCTL" topic show 2>/dev/null | grep -o "^$P[^ ]*"); do "$MQCTL" topic del "$t"; done; rm -rf "$tmp"' EXIT

# mq NAME EXPECTED-RC ARGS...: runs mqctl; $out, $err and $rc are what it did.
mq() {
	"$MQCTL" "$@" >"$tmp/out" 2>"$tmp/err"
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

# expect_re NAME RC STDERR-ERE ARGS...: status, no stdout, one stderr line.
expect_re() {
	local name=$1 want_rc=$2 re=$3

	shift 3
	mq "$@"
	if [ "$rc" = "$want_rc" ] && [ -z "$out" ] &&
	   [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] &&
	   printf '%s\n' "$err" | grep -Eq -- "$re"; then
		ktap_pass "$name"
	else
		ktap_fail "$name" "mqctl $*: rc $rc (want $want_rc), stdout '$out', stderr '$err' (want /$re/)"
	fi
}

# usage NAME MESSAGE ARGS...: refused before anything is sent, exit 1.
usage() {
	local name=$1 msg=$2

	shift 2
	expect "$name" 1 "" "mqctl: $msg" "$@"
}

json_ok() {
	python3 -c 'import json, sys; json.load(sys.stdin)' <<<"$1"
}

nobody_uid=$(id -u nobody)
nogroup_gid=$(getent group nogroup | cut -d: -f3)

cases() {
	# ---- help ----
	mq
	ktap_check no_arguments "no arguments: rc $rc, stderr '$err'" \
		test "$rc" = 1 -a -z "$out" -a "${err%%:*}" = "Usage"
	for h in help -h --help; do
		mq $h
		ktap_check "help_$h" "mqctl $h: rc $rc, stdout '$out'" \
			test "$rc" = 0 -a -z "$err" -a "${out%%:*}" = "Usage"
	done
	mq help
	ktap_check help_lists_objects "mqctl help does not list topic and queue" \
		test "$(grep -Ec '^  (topic|queue) ' <<<"$out")" = 2
	mq topic help
	ktap_check topic_help "mqctl topic help: rc $rc, stdout '$out'" \
		test "$rc" = 0 -a -z "$err" -a "$(grep -c -e 'topic add NAME' \
		-e 'topic del NAME' -e 'topic show \[NAME\]' \
		-e 'topic describe NAME' <<<"$out")" = 4
	mq queue help
	ktap_check queue_help "mqctl queue help: rc $rc, stdout '$out'" \
		test "$rc" = 0 -a -z "$err" -a \
		"$(grep -c 'queue show \[TOPIC\] \[--rate \[--interval SECONDS\]\]' <<<"$out")" = 1

	# ---- bad command lines: exit 1, one line, nothing sent ----
	usage unknown_object 'unknown object "foo", try "mqctl help"' foo
	usage unknown_option 'unknown option "-x", try "mqctl help"' -x topic show
	usage unknown_topic_command 'unknown command "foo", try "mqctl topic help"' topic foo
	usage unknown_queue_command 'unknown command "add", try "mqctl queue help"' queue add
	usage add_no_name 'topic add: missing NAME, try "mqctl topic help"' topic add
	usage del_no_name 'topic del: missing NAME, try "mqctl topic help"' topic del
	usage del_extra 'unexpected argument "b", try "mqctl topic help"' topic del a b
	usage show_extra 'unexpected argument "b", try "mqctl topic help"' topic show a b
	usage show_option 'unknown option "-x", try "mqctl topic help"' topic show -x
	usage describe_no_name 'topic describe: missing NAME, try "mqctl topic help"' topic describe
	usage describe_only_json 'topic describe: missing NAME, try "mqctl topic help"' \
		topic describe -j
	usage describe_extra 'unexpected argument "b", try "mqctl topic help"' topic describe a b
	usage describe_option 'unknown option "-x", try "mqctl topic help"' topic describe a -x
	usage queue_show_extra 'unexpected argument "b", try "mqctl queue help"' queue show a b
	usage queue_show_option 'unknown option "-x", try "mqctl queue help"' queue show -x
	# --rate and --interval: every bad value refused before anything is sent.
	for v in abc -1 +1 1e1 inf nan .5 1. 0x1 1,5 ' 1' 1s ''; do
		usage "interval_not_a_number_'$v'" \
			"invalid --interval \"$v\": not a number of seconds" \
			queue show --rate --interval "$v"
	done
	for v in 0 0.0 0.05 0.0999999999 60.1 61 3600 99999999999999999999; do
		usage "interval_out_of_range_'$v'" \
			"invalid --interval \"$v\": out of range (0.1 to 60 seconds)" \
			queue show ${P}x --rate --interval "$v"
	done
	usage interval_equals_bad 'invalid --interval "0": out of range (0.1 to 60 seconds)' \
		queue show --rate --interval=0
	usage interval_missing 'missing value for "--interval"' queue show --rate --interval
	usage interval_duplicate 'duplicate option "--interval"' \
		queue show --interval 1 --interval 2 --rate
	usage rate_duplicate 'duplicate option "--rate"' queue show --rate ${P}x --rate
	usage interval_without_rate '"--interval" needs "--rate", try "mqctl queue help"' \
		queue show ${P}x --interval 1
	usage interval_equals_without_rate '"--interval" needs "--rate", try "mqctl queue help"' \
		queue show --interval=0.5
	usage rate_extra 'unexpected argument "b", try "mqctl queue help"' \
		queue show a --rate b
	usage rate_option 'unknown option "--rates", try "mqctl queue help"' queue show --rates
	usage data_dir_missing 'missing value for "--data-dir"' queue show --data-dir
	usage data_dir_empty 'missing value for "--data-dir"' queue show --data-dir ''
	usage data_dir_duplicate 'duplicate option "--data-dir"' \
		queue show --data-dir a --data-dir b
	usage unknown_keyword 'unknown keyword "colour", try "mqctl topic help"' \
		topic add ${P}x colour red
	for k in queues ring-size max-msg mode uid gid policy acks ack-timeout; do
		usage "missing_$k" "missing value for \"$k\"" topic add ${P}x $k
	done
	usage duplicate_keyword 'duplicate keyword "queues"' topic add ${P}x queues 1 queues 2
	for v in abc -1 +1 1.5 0x10 ' 1' ''; do
		usage "queues_not_a_number_'$v'" "invalid queues \"$v\": not a number" \
			topic add ${P}x queues "$v"
	done
	usage queues_too_big 'invalid queues "4294967296": out of range' \
		topic add ${P}x queues 4294967296
	for v in 12X 1KB K -4K 1.5M 4k4 ''; do
		usage "ring_size_not_a_size_'$v'" \
			"invalid ring-size \"$v\": not a size (a number with an optional K, M or G suffix)" \
			topic add ${P}x ring-size "$v"
	done
	usage ring_size_too_big 'invalid ring-size "17179869184G": out of range' \
		topic add ${P}x ring-size 17179869184G
	usage max_msg_too_big 'invalid max-msg "4G": out of range' topic add ${P}x max-msg 4G
	usage max_msg_not_a_size \
		'invalid max-msg "1x": not a size (a number with an optional K, M or G suffix)' \
		topic add ${P}x max-msg 1x
	for v in 8 0x1ff rw 6-4; do
		usage "mode_not_octal_'$v'" "invalid mode \"$v\": not an octal number" \
			topic add ${P}x mode "$v"
	done
	usage uid_no_such_user 'invalid uid "no-such-user-mqt": no such user' \
		topic add ${P}x uid no-such-user-mqt
	usage gid_no_such_group 'invalid gid "no-such-group-mqt": no such group' \
		topic add ${P}x gid no-such-group-mqt
	usage uid_too_big 'invalid uid "4294967296": out of range' topic add ${P}x uid 4294967296
	for v in foo BLOCK 0 ''; do
		usage "policy_'$v'" "invalid policy \"$v\": expected \"block\" or \"drop\"" \
			topic add ${P}x policy "$v"
	done
	for v in 2 ALL -1 one leader ''; do
		usage "acks_'$v'" "invalid acks \"$v\": expected \"0\", \"1\" or \"all\"" \
			topic add ${P}x acks "$v"
	done
	for v in 1s 1.5 -1 0x10 ''; do
		usage "ack_timeout_'$v'" \
			"invalid ack-timeout \"$v\": not a number of milliseconds" \
			topic add ${P}x ack-timeout "$v"
	done
	usage ack_timeout_too_big 'invalid ack-timeout "4294967296": out of range' \
		topic add ${P}x ack-timeout 4294967296
	long=$(printf "${P}%060d" 0)
	usage name_too_long "invalid topic name \"$long\": longer than 63 bytes" topic add "$long"
	usage del_name_too_long "invalid topic name \"$long\": longer than 63 bytes" topic del "$long"
	usage describe_name_too_long "invalid topic name \"$long\": longer than 63 bytes" \
		topic describe "$long"
	expect nothing_was_made 0 "" "" topic show

	# ---- topic add, show, del ----
	expect add_defaults 0 "" "" topic add ${P}a
	expect show_defaults 0 "${P}a queues 1 ring-size 1M max-msg 64K mode 0600 uid 0 gid 0 policy block acks 0 ack-timeout 30000" \
		"" topic show ${P}a
	expect add_everything 0 "" "" topic add ${P}b queues 3 ring-size 64K max-msg 1K \
		mode 640 uid nobody gid nogroup policy drop acks 0 ack-timeout 1500
	line_b="${P}b queues 3 ring-size 64K max-msg 1K mode 0640 uid $nobody_uid gid $nogroup_gid policy drop acks 0 ack-timeout 1500"
	expect show_everything 0 "$line_b" "" topic show ${P}b
	ktap_check nodes_made "/dev/mq/${P}b/{0,1,2} are not 0640 nobody:nogroup, or /3 exists" \
		test "$(stat -c '%F %a %u %g' /dev/mq/${P}b/0 /dev/mq/${P}b/1 /dev/mq/${P}b/2 | sort -u)" = \
		"character special file 640 $nobody_uid $nogroup_gid" -a ! -e /dev/mq/${P}b/3
	expect add_numeric_ids 0 "" "" topic add ${P}c uid 1 gid 2 mode 0604 ring-size 4096
	expect show_small_ring 0 \
		"${P}c queues 1 ring-size 4K max-msg $((4096 / 2 - 64)) mode 0604 uid 1 gid 2 policy block acks 0 ack-timeout 30000" \
		"" topic show ${P}c
	expect add_lowercase_suffix 0 "" "" topic add ${P}d ring-size 2m max-msg 3k acks 1
	expect show_lowercase_suffix 0 \
		"${P}d queues 1 ring-size 2M max-msg 3K mode 0600 uid 0 gid 0 policy block acks 1 ack-timeout 30000" \
		"" topic show ${P}d
	expect add_plain_bytes 0 "" "" topic add ${P}e ring-size 8192 max-msg 1000 ack-timeout 1 \
		acks all
	expect show_plain_bytes 0 \
		"${P}e queues 1 ring-size 8K max-msg 1000 mode 0600 uid 0 gid 0 policy block acks all ack-timeout 1" \
		"" topic show ${P}e
	# A show line is topic add's own syntax.
	mq topic show ${P}b
	# shellcheck disable=SC2086
	expect show_line_feeds_add 0 "" "" topic add ${P}f ${out#${P}b }
	expect show_line_fed_back 0 "${line_b/${P}b/${P}f}" "" topic show ${P}f

	mq topic show
	ktap_check show_all "topic show: rc $rc, stdout '$out'" \
		test "$rc" = 0 -a "$(grep -c "^$P" <<<"$out")" = 6 -a \
		"$(grep -cx "$line_b" <<<"$out")" = 1

	# ---- JSON ----
	json_b="[{\"name\":\"${P}b\",\"queues\":3,\"ring_size\":65536,\"max_msg\":1024,\"mode\":$((8#640)),\"uid\":$nobody_uid,\"gid\":$nogroup_gid,\"policy\":\"drop\",\"acks\":\"0\",\"ack_timeout_ms\":1500}]"
	expect json_show_one 0 "$json_b" "" -j topic show ${P}b
	expect json_show_one_after 0 "$json_b" "" topic show ${P}b -j
	expect json_long_option 0 "$json_b" "" --json topic show ${P}b
	expect json_acks_all 0 \
		"[{\"name\":\"${P}e\",\"queues\":1,\"ring_size\":8192,\"max_msg\":1000,\"mode\":384,\"uid\":0,\"gid\":0,\"policy\":\"block\",\"acks\":\"all\",\"ack_timeout_ms\":1}]" \
		"" -j topic show ${P}e
	mq -j topic show
	ktap_check json_show_all "-j topic show: not a JSON list of 6 of ours: $out" \
		test "$rc" = 0 -a "$(python3 -c 'import json, sys
print(sum(t["name"].startswith(sys.argv[1]) for t in json.load(sys.stdin)))' "$P" <<<"$out")" = 6

	# ---- queue show ----
	expect queue_show_topic 0 "$(for q in 0 1 2; do
		echo "${P}b/$q first 0 next 0 bytes-in 0 bytes-out 0 msgs-in 0 msgs-out 0 drops 0 readers 0 writers 0 durable 0 replicated 0 persister 0"
	done)" "" queue show ${P}b
	printf hello >/dev/mq/${P}b/1
	exec 3</dev/mq/${P}b/2 4<>/dev/mq/${P}b/2
	expect queue_show_counters 0 "$(
		echo "${P}b/0 first 0 next 0 bytes-in 0 bytes-out 0 msgs-in 0 msgs-out 0 drops 0 readers 0 writers 0 durable 0 replicated 0 persister 0"
		echo "${P}b/1 first 0 next 1 bytes-in 5 bytes-out 0 msgs-in 1 msgs-out 0 drops 0 readers 0 writers 0 durable 0 replicated 0 persister 0"
		echo "${P}b/2 first 0 next 0 bytes-in 0 bytes-out 0 msgs-in 0 msgs-out 0 drops 0 readers 2 writers 1 durable 0 replicated 0 persister 0")" \
		"" queue show ${P}b

	# ---- topic describe: settings, then each queue and its groups ----
	"$MQCTL" group reset ${P}b g2 to earliest queue 1
	"$MQCTL" group reset ${P}b g1 to earliest
	expect describe_topic 0 "$line_b
${P}b/0 first 0 next 0 durable 0 readers 0 writers 0 persister 0 groups 1 g1
${P}b/1 first 0 next 1 durable 0 readers 0 writers 0 persister 0 groups 2 g1,g2
${P}b/2 first 0 next 0 durable 0 readers 2 writers 1 persister 0 groups 1 g1" \
		"" topic describe ${P}b
	json_desc_b="{\"name\":\"${P}b\",\"ring_size\":65536,\"max_msg\":1024,\"mode\":$((8#640)),\"uid\":$nobody_uid,\"gid\":$nogroup_gid,\"policy\":\"drop\",\"acks\":\"0\",\"ack_timeout_ms\":1500,\"queues\":[{\"queue\":0,\"first_offset\":0,\"next_offset\":0,\"durable_offset\":0,\"readers\":0,\"writers\":0,\"persister\":0,\"groups\":[\"g1\"]},{\"queue\":1,\"first_offset\":0,\"next_offset\":1,\"durable_offset\":0,\"readers\":0,\"writers\":0,\"persister\":0,\"groups\":[\"g1\",\"g2\"]},{\"queue\":2,\"first_offset\":0,\"next_offset\":0,\"durable_offset\":0,\"readers\":2,\"writers\":1,\"persister\":0,\"groups\":[\"g1\"]}]}"
	expect describe_json 0 "$json_desc_b" "" -j topic describe ${P}b
	expect describe_json_after 0 "$json_desc_b" "" topic describe ${P}b -j
	mq topic describe -j ${P}b
	ktap_check describe_json_parsed "-j topic describe: $out" test "$rc" = 0 -a \
		"$(python3 -c 'import json, sys
t = json.load(sys.stdin)
q = t["queues"]
print(t["name"], t["policy"], t["acks"], t["ack_timeout_ms"], t["max_msg"], len(q),
      [x["queue"] for x in q], q[1]["next_offset"], q[1]["groups"], q[2]["readers"],
      q[2]["writers"], [len(x["groups"]) for x in q], q[0]["persister"], q[0]["durable_offset"])' \
		<<<"$out")" = "${P}b drop 0 1500 1024 3 [0, 1, 2] 1 ['g1', 'g2'] 2 1 [1, 2, 1] 0 0"
	exec 3<&- 4<&-
	expect describe_no_groups 0 "${P}a queues 1 ring-size 1M max-msg 64K mode 0600 uid 0 gid 0 policy block acks 0 ack-timeout 30000
${P}a/0 first 0 next 0 durable 0 readers 0 writers 0 persister 0 groups 0" "" topic describe ${P}a
	mq -j topic describe ${P}a
	ktap_check describe_json_no_groups "-j topic describe ${P}a: $out" test "$rc" = 0 -a \
		"$(python3 -c 'import json, sys
t = json.load(sys.stdin)
print(t["queues"][0]["groups"], len(t["queues"]), t["ring_size"], t["mode"])' <<<"$out")" = \
		"[] 1 1048576 384"
	"$MQCTL" group del ${P}b g1
	"$MQCTL" group del ${P}b g2
	expect describe_groups_gone 0 "$line_b
${P}b/0 first 0 next 0 durable 0 readers 0 writers 0 persister 0 groups 0
${P}b/1 first 0 next 1 durable 0 readers 0 writers 0 persister 0 groups 0
${P}b/2 first 0 next 0 durable 0 readers 0 writers 0 persister 0 groups 0" \
		"" topic describe ${P}b

	# ---- queue show --rate ----
	zero="msgs-in/s 0 msgs-out/s 0 bytes-in/s 0 bytes-out/s 0"
	line_a0="${P}a/0 first 0 next 0 bytes-in 0 bytes-out 0 msgs-in 0 msgs-out 0 drops 0 readers 0 writers 0 durable 0 replicated 0 persister 0"
	expect rate_no_traffic 0 "$line_a0 $zero" "" queue show ${P}a --rate --interval 0.1
	expect rate_default_interval 0 "$line_a0 $zero" "" queue show --rate ${P}a
	expect rate_interval_equals 0 "$line_a0 $zero" "" queue show --interval=0.5 --rate ${P}a
	mq queue show --rate --interval 0.2
	ktap_check rate_all_topics "queue show --rate: rc $rc, stdout '$out'" \
		test "$rc" = 0 -a "$(grep -c "^$P" <<<"$out")" = 10 -a \
		"$(grep -c "^$P.* persister 0 $zero\$" <<<"$out")" = 10
	mq -j queue show ${P}b --rate --interval 0.2
	ktap_check rate_json_no_traffic "-j queue show --rate: $out" test "$rc" = 0 -a \
		"$(python3 -c 'import json, sys
q = json.load(sys.stdin)
r = ["msgs_in_rate", "msgs_out_rate", "bytes_in_rate", "bytes_out_rate"]
print(len(q), all(type(x[k]) in (int, float) and x[k] == 0 for x in q for k in r),
      q[1]["msgs_in"], q[1]["bytes_in"], q[1]["next_offset"])' <<<"$out")" = "3 True 1 5 1"
	# A writer of 4-byte messages through the interval: msgs-in/s > 0,
	# bytes-in/s 4 times that (to the rounding), nothing read.
	( while printf abcd >/dev/mq/${P}a/0; do sleep 0.02; done ) 2>/dev/null &
	bg=$!
	for _ in $(seq 100); do
		grep -q " msgs-in [1-9]" <<<"$("$MQCTL" queue show ${P}a)" && break
		sleep 0.1
	done
	mq -j queue show ${P}a --rate --interval 0.5
	ktap_check rate_json_traffic "-j queue show --rate with a writer: $out" test "$rc" = 0 -a \
		"$(python3 -c 'import json, sys
q = json.load(sys.stdin)[0]
print(q["msgs_in_rate"] > 0, abs(q["bytes_in_rate"] - 4 * q["msgs_in_rate"]) < 0.05,
      q["msgs_out_rate"], q["bytes_out_rate"], q["writers"] <= 1)' <<<"$out")" = "True True 0 0 True"
	mq queue show ${P}a --rate --interval 0.5
	ktap_check rate_text_traffic "queue show --rate with a writer: rc $rc, stdout '$out'" \
		test "$rc" = 0 -a "$(grep -cE "^${P}a/0 first 0 next [1-9][0-9]* .* msgs-in/s [0-9.]*[1-9][0-9.]* msgs-out/s 0 bytes-in/s [0-9.]*[1-9][0-9.]* bytes-out/s 0\$" <<<"$out")" = 1
	kill "$bg"
	wait "$bg" 2>/dev/null
	bg=
	n=$("$MQCTL" -j queue show ${P}a | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["msgs_in"])')
	# Bring ${P}a back to what the tests below expect: no messages.
	"$MQCTL" topic del ${P}a && "$MQCTL" topic add ${P}a
	ktap_check rate_writer_wrote "the writer wrote $n messages" test "${n:-0}" -gt 1

	# acks 1 and no mqd attached: a write fails at once, appending nothing.
	( printf hello >/dev/mq/${P}d/0 ) 2>"$tmp/err"
	rc=$?
	ktap_check acks_without_persister "rc $rc, stderr '$(cat "$tmp/err")'" \
		test "$rc" != 0 -a "$(grep -c 'Transport endpoint is not connected' "$tmp/err")" = 1
	expect queue_show_acks_appended_nothing 0 \
		"${P}d/0 first 0 next 0 bytes-in 0 bytes-out 0 msgs-in 0 msgs-out 0 drops 0 readers 0 writers 0 durable 0 replicated 0 persister 0" \
		"" queue show ${P}d
	mq -j queue show ${P}b
	ktap_check queue_show_json "-j queue show: $out" test "$rc" = 0 -a \
		"$(python3 -c 'import json, sys
q = json.load(sys.stdin)
print(len(q), q[1]["queue"], q[1]["msgs_in"], q[1]["bytes_in"], q[1]["next_offset"], q[2]["readers"],
      q[1]["durable_offset"], q[1]["replicated_offset"], q[1]["persister"])' <<<"$out")" = "3 1 1 5 1 0 0 0 0"
	mq queue show
	ktap_check queue_show_all "queue show: rc $rc, stdout '$out'" \
		test "$rc" = 0 -a "$(grep -c "^$P" <<<"$out")" = 10
	mq queue
	ktap_check queue_default_show "mqctl queue: rc $rc" test "$rc" = 0 -a \
		"$(grep -c "^$P" <<<"$out")" = 10
	mq topic
	ktap_check topic_default_show "mqctl topic: rc $rc" test "$rc" = 0 -a \
		"$(grep -c "^$P" <<<"$out")" = 6

	# ---- what the kernel refuses: exit 2 ----
	expect_re add_exists 2 "^mqctl: cannot add topic ${P}a: File exists(: .+)?$" topic add ${P}a
	expect_re del_missing 2 "^mqctl: cannot delete topic ${P}none: No such file or directory(: .+)?$" \
		topic del ${P}none
	expect_re show_missing 2 "^mqctl: cannot show topic ${P}none: No such file or directory(: .+)?$" \
		topic show ${P}none
	expect_re queue_show_missing 2 \
		"^mqctl: cannot list the queues of topic ${P}none: No such file or directory(: .+)?$" \
		queue show ${P}none
	expect_re rate_missing 2 \
		"^mqctl: cannot list the queues of topic ${P}none: No such file or directory(: .+)?$" \
		queue show ${P}none --rate --interval 0.1
	mq -j queue show ${P}none --rate --interval 0.1
	ktap_check rate_json_error_prints_nothing "rc $rc, stdout '$out'" test "$rc" = 2 -a -z "$out"
	expect_re describe_missing 2 "^mqctl: cannot describe topic ${P}none: No such file or directory(: .+)?$" \
		topic describe ${P}none
	expect_re describe_bad_name 2 "^mqctl: cannot describe topic bad/name: (Invalid argument|No such file or directory)(: .+)?$" \
		topic describe bad/name
	mq -j topic show ${P}none
	ktap_check json_error_prints_nothing "rc $rc, stdout '$out'" test "$rc" = 2 -a -z "$out"
	mq -j topic describe ${P}none
	ktap_check describe_json_error_prints_nothing "rc $rc, stdout '$out'" \
		test "$rc" = 2 -a -z "$out"
	# EINVAL comes with the kernel's reason.
	for args in "bad/name" "${P}x queues 0" "${P}x queues 1025" "${P}x ring-size 5000" \
		    "${P}x ring-size 2K" "${P}x ring-size 2G" "${P}x max-msg 1G" \
		    "${P}x max-msg 0" "${P}x mode 1000" "${P}x mode 0" "${P}x ack-timeout 0" \
		    "${P}x ack-timeout 3600001" "control" ".."; do
		# shellcheck disable=SC2086
		expect_re "einval_${args// /_}" 2 \
			"^mqctl: cannot add topic ${args%% *}: Invalid argument: .+$" topic add $args
	done
	mq topic show ${P}x
	ktap_check einval_made_nothing "${P}x exists after refusals" test "$rc" = 2

	# ---- without CAP_NET_ADMIN ----
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	as_nobody "$MQCTL" topic add ${P}n >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ktap_check nobody_add "rc $rc, stderr '$(cat "$tmp/err")'" test "$rc" = 2 -a \
		"$(cat "$tmp/err")" = "mqctl: cannot add topic ${P}n: Operation not permitted"
	as_nobody "$MQCTL" topic del ${P}a >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ktap_check nobody_del "rc $rc, stderr '$(cat "$tmp/err")'" test "$rc" = 2 -a \
		"$(cat "$tmp/err")" = "mqctl: cannot delete topic ${P}a: Operation not permitted"
	as_nobody "$MQCTL" topic show ${P}b >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ktap_check nobody_show "rc $rc, stdout '$(cat "$tmp/out")'" test "$rc" = 0 -a \
		"$(cat "$tmp/out")" = "$line_b"
	as_nobody "$MQCTL" queue show ${P}a >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ktap_check nobody_queue_show "rc $rc" test "$rc" = 0 -a "$(grep -c "^${P}a/0 " "$tmp/out")" = 1

	# ---- del ----
	for t in a b c d e f; do
		expect "del_$t" 0 "" "" topic del ${P}$t
	done
	ktap_check nodes_gone "/dev/mq/${P}* left behind" \
		test -z "$(find /dev/mq -maxdepth 1 -name "${P}*")"
	expect json_empty 0 "[]" "" -j topic show
	expect json_queues_empty 0 "[]" "" -j queue show
	expect text_empty 0 "" "" topic show

	# ---- no module ----
	if [ ! -f "${MQ_MODULE:-}" ]; then
		ktap_skip no_module "MQ_MODULE is not set: cannot load the module back"
	elif rmmod mq; then
		expect no_module 2 "" \
			'mqctl: cannot find the generic netlink family "mq": No such file or directory (is mq.ko loaded?)' \
			topic show
		insmod "$MQ_MODULE" || echo "# could not load $MQ_MODULE back"
	else
		ktap_fail no_module "rmmod mq failed"
	fi
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
