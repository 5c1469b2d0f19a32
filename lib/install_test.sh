#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR MIT)
# install_test: make install into a temporary DESTDIR puts the headers,
# both libraries, libmq.pc and the man pages where they belong, and a
# program built with "pkg-config --cflags --libs libmq" against that tree
# links and runs, against libmq.so.1 and, with --static, fully static.
# Host only: it calls nothing that needs the module.  Prints KTAP.
. "$(dirname "$0")/../selftests/ktap.sh"

lib=$(cd "$(dirname "$0")" && pwd)
prefix=/opt/mq-install-test
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root

# A user's program: Kafka's partition of a key, and a CRC-32C.
cat >"$tmp/prog.c" <<'PROG'
#include <stdio.h>
#include <string.h>
#include <libmq.h>

int main(void)
{
	printf("%08x %d %08x %d\n", mq_murmur2("21", 2),
	       mq_partition("21", 2, 7), mq_crc32c("123456789", 9), MQ_NAME_MAX);
	return 0;
}
PROG
# Kafka's murmur2 of "21" (-973932308) and its partition of 7 (lib/unit_test.c);
# 0xe3069283 is CRC-32C's check value.
want="c5f2f8ec 3 e3069283 64"

cases() {
	local f pc missing='' cflags libs got

	make -s -C "$lib" install DESTDIR="$dest" PREFIX="$prefix" >"$tmp/log" 2>&1
	ktap_check install "make install failed: $(tr '\n' ' ' <"$tmp/log")" test $? = 0
	for f in include/libmq.h include/linux/mq.h lib/libmq.a lib/libmq.so.1 \
		 lib/libmq.so lib/pkgconfig/libmq.pc; do
		[ -e "$dest$prefix/$f" ] || missing+=" $f"
	done
	for f in "$lib"/man/*.3; do
		[ -e "$f" ] || continue
		cmp -s "$f" "$dest$prefix/share/man/man3/${f##*/}" || missing+=" man3/${f##*/}"
	done
	ktap_check installed_files "not installed:$missing" test -z "$missing"
	pc=$dest$prefix/lib/pkgconfig/libmq.pc
	ktap_check pc_prefix "libmq.pc: $(tr '\n' ' ' <"$pc")" \
		grep -qx "prefix=$prefix" "$pc"

	# The tree is installed for $prefix but lies under $dest: the sysroot
	# moves libmq's -I and -L there (and libnl's -I, which is harmless:
	# libmq.h does not include libnl's headers).
	export PKG_CONFIG_PATH=$dest$prefix/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
	got=$(pkg-config --modversion libmq)
	ktap_check pc_version "pkg-config --modversion: '$got'" \
		test "$got" = "$(sed -n 's/^VERSION := //p' "$lib/Makefile")"
	cflags=$(pkg-config --cflags libmq)
	ktap_check pc_cflags "pkg-config --cflags: '$cflags'" \
		grep -qE "(^| )-I$dest$prefix/include( |$)" <<<"$cflags"

	# Shared: the program needs libmq.so.1, found in the installed tree.
	libs=$(pkg-config --libs libmq)
	# shellcheck disable=SC2086
	${CC:-cc} -Wall -Werror $cflags -o "$tmp/prog_shared" "$tmp/prog.c" $libs >"$tmp/log" 2>&1
	ktap_check build_shared "cc $cflags ... $libs: $(tr '\n' ' ' <"$tmp/log")" test $? = 0
	got=$(LD_LIBRARY_PATH=$dest$prefix/lib "$tmp/prog_shared" 2>&1)
	ktap_check run_shared "printed '$got' (want '$want')" test "$got" = "$want"
	got=$(LD_LIBRARY_PATH=$dest$prefix/lib ldd "$tmp/prog_shared" 2>&1 | grep libmq)
	ktap_check shared_uses_installed "ldd: '$got'" \
		grep -q "libmq.so.1 => $dest$prefix/lib/libmq.so.1" <<<"$got"

	# Static: libmq.a and libnl's, through Requires.private.
	libs=$(pkg-config --static --libs libmq)
	# shellcheck disable=SC2086
	${CC:-cc} -static -Wall -Werror $cflags -o "$tmp/prog_static" "$tmp/prog.c" $libs >"$tmp/log" 2>&1
	ktap_check build_static "cc -static $cflags ... $libs: $(tr '\n' ' ' <"$tmp/log")" test $? = 0
	got=$("$tmp/prog_static" 2>&1)
	ktap_check run_static "printed '$got' (want '$want')" test "$got" = "$want"
	got=$(readelf -d "$tmp/prog_static" 2>&1 | grep NEEDED)
	ktap_check static_needs_nothing "NEEDED: '$got'" test -z "$got"
}

cases >"$tmp/ktap"
ktap_plan "$KSFT_NUM"
cat "$tmp/ktap"
ktap_finish
