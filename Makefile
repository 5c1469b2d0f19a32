# SPDX-License-Identifier: GPL-2.0
#
# mq's top-level build.
#
#   make                 the module (against the guest kernel's headers) and
#                        all userspace
#   make KDIR=/lib/modules/$(uname -r)/build
#                        the module for the kernel this host runs
#   make check | demo    the README's two commands (tools/check, tools/demo)
#
# The module is built by kbuild from ./Kbuild; this file is not read by it.

# The kernel the bench boots, as tools/setup recorded it.
KVER ?= $(shell cat .cache/kernel/release 2>/dev/null)
KDIR ?= $(if $(KVER),/lib/modules/$(KVER)/build)
W ?= 1
WERROR ?= y

CFLAGS ?= -O2 -g
export CFLAGS

all: module selftests

module:
	@test -n "$(KDIR)" || { echo "make: no KDIR: run tools/setup, or pass KDIR=/lib/modules/\$$(uname -r)/build" >&2; exit 1; }
	@test -d "$(KDIR)" || { echo "make: KDIR $(KDIR) does not exist: install that kernel's headers" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) MQ_WERROR=$(WERROR) modules

selftests:
	$(MAKE) -C selftests

check:
	tools/check

demo:
	tools/demo

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C selftests clean

.PHONY: all module selftests check demo clean
