/* SPDX-License-Identifier: (LGPL-2.1 OR MIT) */
/*
 * What the commit log's files share (log.c writes, log_reader.c reads,
 * log_format.c holds the format itself): not exported, and mq__-prefixed
 * for programs that link libmq.a, as internal.h's.
 */
#ifndef LIBMQ_LOG_INTERNAL_H
#define LIBMQ_LOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/mq.h>

#include "log.h"

#define HDR			MQ_LOG_SEG_HDR_SIZE
#define NAME_LEN		32	/* 20 digits, ".timeindex", NUL */
#define SHORT			1	/* a record not whole yet */

/* Reads the records of a .log through a buffer. */
struct cursor {
	int fd;
	uint64_t end;		/* the file's size */
	unsigned char *buf;
	size_t cap, len;
	uint64_t at;		/* file position of buf[0] */
};

/* "<base, 20 digits><suffix>" into @name (NAME_LEN bytes). */
void mq__log_seg_name(char *name, uint64_t base, const char *suffix);
int mq__log_seg_parse(const char *name, uint64_t *base);
/* The bases of the .log files in @dirfd, sorted; deletes stray indexes. */
int mq__log_list_bases(int dirfd, uint64_t **basesp, int *strays);

int mq__log_pread_full(int fd, void *buf, size_t len, uint64_t pos);
int mq__log_pwrite_full(int fd, const void *buf, size_t len, uint64_t pos);

void mq__log_hdr_encode(unsigned char *h, uint64_t base, uint64_t created);
int mq__log_hdr_decode(const unsigned char *h, uint64_t base,
		       uint64_t *created);

int mq__log_rec_frame(const struct mq_record *r, uint64_t avail);
bool mq__log_rec_crc_ok(const unsigned char *rec);
/* A record header in host order. */
void mq__log_rec_hdr(const unsigned char *p, struct mq_record *r);

int mq__log_cur_get(struct cursor *c, uint64_t pos, size_t n,
		    const unsigned char **p);
int mq__log_cur_record(struct cursor *c, uint64_t pos, bool crc,
		       const unsigned char **rec);

#endif /* LIBMQ_LOG_INTERNAL_H */
