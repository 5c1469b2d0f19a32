// SPDX-License-Identifier: GPL-2.0
/*
 * control_test: /dev/mq/control is the class's device, answers
 * MQ_IOC_VERSION, and rejects every other use with the documented errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <linux/mq.h>

#include "kselftest_harness.h"

#define CONTROL_PATH	"/dev/" MQ_CONTROL_NAME
#define CONTROL_SYSFS	"/sys/class/mq/mq!control/dev"
#define OBJECTS_PATH	"/sys/kernel/debug/mq/objects"

/* The dev_t sysfs gives the control device, or 0 when it cannot be read. */
static dev_t sysfs_devt(void)
{
	unsigned int maj, min;
	FILE *f = fopen(CONTROL_SYSFS, "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%u:%u", &maj, &min);
	fclose(f);
	return n == 2 ? makedev(maj, min) : 0;
}

/* The live count of one object kind from debugfs, or -1. */
static long live_objects(const char *kind)
{
	char name[32];
	long count, ret = -1;
	FILE *f = fopen(OBJECTS_PATH, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%31s %ld", name, &count) == 2)
		if (!strcmp(name, kind))
			ret = count;
	fclose(f);
	return ret;
}

TEST(node_is_the_class_device)
{
	struct stat st;
	dev_t devt = sysfs_devt();

	ASSERT_EQ(0, stat(CONTROL_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	ASSERT_NE(0, devt);
	EXPECT_EQ(devt, st.st_rdev);
	EXPECT_EQ(0, minor(st.st_rdev));
}

TEST(open_counts_one_file_object)
{
	long before = live_objects("file");
	int fd;

	if (before < 0)
		SKIP(return, "%s is not readable (debugfs not mounted?)", OBJECTS_PATH);
	fd = open(CONTROL_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(before + 1, live_objects("file"));
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(before, live_objects("file"));
}

FIXTURE(control) {
	int fd;
};

FIXTURE_VARIANT(control) {
	int flags;
};

FIXTURE_VARIANT_ADD(control, rdonly) { .flags = O_RDONLY };
FIXTURE_VARIANT_ADD(control, wronly) { .flags = O_WRONLY };
FIXTURE_VARIANT_ADD(control, rdwr_nonblock) { .flags = O_RDWR | O_NONBLOCK };

FIXTURE_SETUP(control)
{
	self->fd = open(CONTROL_PATH, variant->flags | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", CONTROL_PATH, strerror(errno));
}

FIXTURE_TEARDOWN(control)
{
	close(self->fd);
}

TEST_F(control, version)
{
	struct mq_version v = { .size = sizeof(v) };

	ASSERT_EQ(0, ioctl(self->fd, MQ_IOC_VERSION, &v));
	EXPECT_EQ(MQ_VERSION_SIZE_VER0, v.size);
	EXPECT_EQ(MQ_ABI_VERSION, v.abi);
	EXPECT_EQ(MQ_FEAT_ALL, v.features);
	EXPECT_EQ(0, v.reserved[0]);
	EXPECT_EQ(0, v.reserved[1]);
}

TEST_F(control, version_rejects_unknown_size)
{
	static const __u32 sizes[] = { 0, 8, MQ_VERSION_SIZE_VER0 - 1,
				       MQ_VERSION_SIZE_VER0 + 8, ~0U };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct mq_version v = { .size = sizes[i] };

		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, MQ_IOC_VERSION, &v));
		EXPECT_EQ(EINVAL, errno) TH_LOG("size %u", sizes[i]);
		EXPECT_EQ(0, v.abi) TH_LOG("size %u: written back", sizes[i]);
	}
}

TEST_F(control, version_rejects_nonzero_fields)
{
	struct mq_version v;
	int field;

	for (field = 0; field < 4; field++) {
		memset(&v, 0, sizeof(v));
		v.size = sizeof(v);
		switch (field) {
		case 0: v.abi = MQ_ABI_VERSION; break;
		case 1: v.features = 1; break;
		case 2: v.reserved[0] = 1; break;
		case 3: v.reserved[1] = 1ULL << 63; break;
		}
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, MQ_IOC_VERSION, &v));
		EXPECT_EQ(EINVAL, errno) TH_LOG("field %d", field);
	}
}

TEST_F(control, version_bad_pointer)
{
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MQ_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MQ_IOC_VERSION, (void *)16));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(control, unknown_ioctl)
{
	struct termios t;
	char buf[64] = { 0 };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, _IO(MQ_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	/* Same number, other size: a different command. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(MQ_IOC_MAGIC, 0x00, char[64]), buf));
	EXPECT_EQ(ENOTTY, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, TCGETS, &t));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(control, carries_no_data)
{
	char buf[16] = "x";
	int acc = variant->flags & O_ACCMODE;

	errno = 0;
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(acc == O_WRONLY ? EBADF : EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, write(self->fd, buf, 1));
	EXPECT_EQ(acc == O_RDONLY ? EBADF : EINVAL, errno);
}

TEST_F(control, not_seekable)
{
	errno = 0;
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_HARNESS_MAIN
