// SPDX-License-Identifier: GPL-2.0
/*
 * mq_abi: print, one "NAME VALUE" per line, the numbers and layouts of
 * uapi/linux/mq.h that a client without the header writes out again:
 * ioctl numbers, structure sizes and field offsets, enum values.  The
 * compiler reads them from the header, so a test can compare a client's
 * copy (lib/python/mq.py: queue_pylib_test.sh) with the ABI itself.
 */
#include <stddef.h>
#include <stdio.h>
#include <linux/mq.h>

#define N(x)		printf("%s %llu\n", #x, (unsigned long long)(x))
#define SZ(s)		printf("sizeof(struct %s) %zu\n", #s, sizeof(struct s))
#define OFF(s, f)	printf("offsetof(struct %s, %s) %zu\n", #s, #f, \
			       offsetof(struct s, f))

int main(void)
{
	N(MQ_IOC_MAGIC);
	N(MQ_IOC_VERSION);
	N(MQ_IOC_GROUP_JOIN);
	N(MQ_IOC_COMMIT);
	N(MQ_IOC_MMAP_INFO);
	N(MQ_IOC_SET_MODE);
	N(MQ_VERSION_SIZE_VER0);
	N(MQ_GROUP_JOIN_SIZE_VER0);
	N(MQ_COMMIT_SIZE_VER0);
	N(MQ_MMAP_INFO_SIZE_VER0);
	N(MQ_RECORD_HDR_SIZE);
	N(MQ_RECORD_CRC_START);
	N(MQ_RECORD_MAGIC);
	N(MQ_RECORD_BATCH_MAX);
	N(MQ_NAME_MAX);
	N(MQ_MODE_MESSAGE);
	N(MQ_MODE_RECORD);
	N(MQ_GROUP_START_LATEST);
	N(MQ_GROUP_START_EARLIEST);
	N(MQ_GROUP_START_OFFSET);
	N(MQ_GROUP_F_AUTOCOMMIT);
	SZ(mq_record);
	SZ(mq_version);
	SZ(mq_group_join);
	SZ(mq_commit);
	SZ(mq_mmap_info);
	OFF(mq_record, len);
	OFF(mq_record, crc);
	OFF(mq_record, offset);
	OFF(mq_record, timestamp);
	OFF(mq_record, key_len);
	OFF(mq_record, value_len);
	OFF(mq_record, producer_id);
	OFF(mq_record, sequence);
	OFF(mq_record, flags);
	OFF(mq_record, magic);
	OFF(mq_record, reserved0);
	OFF(mq_record, reserved);
	OFF(mq_group_join, size);
	OFF(mq_group_join, flags);
	OFF(mq_group_join, name);
	OFF(mq_group_join, start);
	OFF(mq_group_join, reserved0);
	OFF(mq_group_join, offset);
	OFF(mq_group_join, reserved);
	OFF(mq_commit, size);
	OFF(mq_commit, flags);
	OFF(mq_commit, offset);
	OFF(mq_commit, reserved);
	OFF(mq_mmap_info, size);
	OFF(mq_mmap_info, ring_size);
	return 0;
}
