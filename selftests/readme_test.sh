#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# readme_test: the README's "From any language" example works exactly as
# written: its mqctl line, its Python producer and, in another process,
# its Python consumer, which prints the produced message; then its shell
# producer and shell consumer, which print what the README says.
. "$(dirname "$0")/ktap.sh"

top=$(cd "$(dirname "$0")/.." && pwd)
readme=$top/README.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$top/tools/mqctl/mqctl" topic del orders 2>/dev/null' EXIT

ktap_plan 5

# The n-th ```python block of the README.
python_block() {
	awk -v n="$1" '/^```python$/ { i++; on = (i == n); next } /^```$/ { on = 0 } on' "$readme"
}
python_block 1 >"$tmp/producer.py"
python_block 2 >"$tmp/consumer.py"
ktap_check blocks_found "the README has no two python blocks" \
	test -s "$tmp/producer.py" -a -s "$tmp/consumer.py"

add=$(grep -m1 '^tools/mqctl/mqctl topic add orders' "$readme")
ktap_check topic_add "'$add' failed" bash -c "cd '$top' && $add"

python3 "$tmp/producer.py" 2>"$tmp/err"
ktap_check producer "$(cat "$tmp/err")" test $? -eq 0

# The consumer's comment says what it prints.
want=$(sed -n 's/.*print(q.read(65536)) *# *//p' "$tmp/consumer.py")
got=$(timeout 20 python3 "$tmp/consumer.py" 2>&1)
ktap_check consumer "printed '$got', the README says '$want'" test -n "$want" -a "$got" = "$want"

# The first ```LANG block of the README after the line matching RE.
block_after() {
	awk -v lang="$1" -v re="$2" '
		!seen && $0 ~ re { seen = 1; next }
		seen && !done && $0 == "```" lang { on = 1; next }
		on && /^```$/ { on = 0; done = 1 }
		on' "$readme"
}
block_after sh 'a redirection produces a message' >"$tmp/shell.sh"
block_after text '^prints$' >"$tmp/shell.want"
got=$(cd "$top" && timeout 20 bash "$tmp/shell.sh" 2>&1)
shell_ok() {
	grep -q 'mqctl consume' "$tmp/shell.sh" && [ -s "$tmp/shell.want" ] &&
		[ "$got" = "$(cat "$tmp/shell.want")" ]
}
ktap_check shell "printed '$got', the README says '$(cat "$tmp/shell.want")'" shell_ok
ktap_finish
