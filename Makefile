# SPDX-License-Identifier: GPL-2.0
#
# mq's top-level build.
#
#   make                 the module (against the guest kernel's headers) and
#                        all userspace
#   make KDIR=/lib/modules/$(uname -r)/build
#                        the module for the kernel this host runs
#   make check | demo    the README's two commands (tools/check, tools/demo)
#   make unit            the host tests (lib/unit_test, lib/log_test,
#                        daemon/config_test), no guest
#   make install         libmq: headers, libraries, libmq.pc, man pages
#                        (DESTDIR and PREFIX as usual; lib/Makefile)
#
# The module is built by kbuild from ./Kbuild; this file is not read by it.

# What tools/setup fetched (MQ_CACHE moves it, as it does for the tools),
# and the kernel the bench boots, as setup recorded it.
MQ_CACHE ?= $(CURDIR)/.cache
export MQ_CACHE
KVER ?= $(shell cat $(MQ_CACHE)/kernel/release 2>/dev/null)
KDIR ?= $(if $(KVER),/lib/modules/$(KVER)/build)
W ?= 1
WERROR ?= y

CFLAGS ?= -O2 -g
export CFLAGS

# Userspace folders in build order: each one with a Makefile takes part.
USER_DIRS := $(patsubst %/Makefile,%,$(wildcard lib/Makefile daemon/Makefile \
		tools/mqctl/Makefile tools/mq-bench/Makefile)) selftests

all: module user

module:
	@test -n "$(KDIR)" || { echo "make: no KDIR: run tools/setup, or pass KDIR=/lib/modules/\$$(uname -r)/build" >&2; exit 1; }
	@test -d "$(KDIR)" || { echo "make: KDIR $(KDIR) does not exist: install that kernel's headers" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) MQ_WERROR=$(WERROR) modules

user:
	@set -e; for d in $(USER_DIRS); do $(MAKE) -C $$d; done

selftests:
	$(MAKE) -C selftests

check:
	tools/check

unit:
	$(MAKE) -C lib test
	$(MAKE) -C daemon test

demo:
	tools/demo

install:
	$(MAKE) -C lib install

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	@set -e; for d in $(USER_DIRS); do $(MAKE) -C $$d clean; done

.PHONY: all module user selftests check demo unit install clean
