/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capabilities for the tests that check what an unprivileged caller may
 * do: root in the guest gives them up in a child of their own.
 */
#ifndef MQ_CAPS_H
#define MQ_CAPS_H

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

/*
 * Drops CAP_NET_ADMIN from this thread's effective, permitted and
 * inheritable sets, for good: 0 or -errno.
 */
static inline int mqt_drop_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	const unsigned int bit = 1U << (CAP_NET_ADMIN % 32);

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_NET_ADMIN / 32].effective &= ~bit;
	d[CAP_NET_ADMIN / 32].permitted &= ~bit;
	d[CAP_NET_ADMIN / 32].inheritable &= ~bit;
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

#endif /* MQ_CAPS_H */
