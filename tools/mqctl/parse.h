/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line values.  Each parser returns 0, or -EINVAL for text that is
 * not a value of its kind and -ERANGE for one too large for its field.
 */
#ifndef PARSE_H
#define PARSE_H

#include <stdint.h>

int parse_u32(const char *s, uint32_t *val);
int parse_u64(const char *s, uint64_t *val);
int parse_mode(const char *s, uint32_t *val);
int parse_size(const char *s, uint64_t max, uint64_t *val);
/* A number, or a user (group) name; -ENOENT when there is no such name. */
int parse_uid(const char *s, uint32_t *val);
int parse_gid(const char *s, uint32_t *val);
int parse_policy(const char *s, uint32_t *val);
const char *policy_name(uint32_t policy);
int parse_acks(const char *s, uint32_t *val);
const char *acks_name(uint32_t acks);
/* Seconds in decimal ("2", "0.5"), into nanoseconds; digits past the ninth
 * decimal are dropped. */
int parse_seconds(const char *s, uint64_t *ns);

#endif /* PARSE_H */
