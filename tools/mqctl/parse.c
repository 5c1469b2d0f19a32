// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line values: plain unsigned numbers only.  strtoull() alone
 * would take "-1", " 7", "+7" and "0x7"; a command line that means
 * something else than it says is worse than one refused.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include <linux/mq.h>

#include "parse.h"

static const char * const policies[] = {
	[MQ_FULL_BLOCK]	= "block",
	[MQ_FULL_DROP]	= "drop",
};

/* Kafka's spelling of its producer setting acks. */
static const char * const acks[] = {
	[MQ_ACKS_NONE]		= "0",
	[MQ_ACKS_LEADER]	= "1",
	[MQ_ACKS_ALL]		= "all",
};

/* Digits of @base only, at least one; *endp is where they stop. */
static int parse_digits(const char *s, int base, uint64_t *val, char **endp)
{
	unsigned long long v;

	if (*s < '0' || *s > (base == 8 ? '7' : '9'))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, endp, base);
	if (errno == ERANGE)
		return -ERANGE;
	*val = v;
	return 0;
}

static int parse_number(const char *s, int base, uint64_t max, uint64_t *val)
{
	char *end;
	int ret;

	ret = parse_digits(s, base, val, &end);
	if (ret)
		return ret;
	if (*end)
		return -EINVAL;
	return *val > max ? -ERANGE : 0;
}

int parse_u32(const char *s, uint32_t *val)
{
	uint64_t v;
	int ret;

	ret = parse_number(s, 10, UINT32_MAX, &v);
	if (!ret)
		*val = (uint32_t)v;
	return ret;
}

int parse_u64(const char *s, uint64_t *val)
{
	return parse_number(s, 10, UINT64_MAX, val);
}

int parse_mode(const char *s, uint32_t *val)
{
	uint64_t v;
	int ret;

	ret = parse_number(s, 8, UINT32_MAX, &v);
	if (!ret)
		*val = (uint32_t)v;
	return ret;
}

int parse_size(const char *s, uint64_t max, uint64_t *val)
{
	unsigned int shift = 0;
	uint64_t v;
	char *end;
	int ret;

	ret = parse_digits(s, 10, &v, &end);
	if (ret)
		return ret;
	switch (*end) {
	case '\0':
		break;
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1])
		return -EINVAL;
	if (v > (max >> shift))
		return -ERANGE;
	*val = v << shift;
	return 0;
}

int parse_uid(const char *s, uint32_t *val)
{
	struct passwd *pw;
	int ret;

	ret = parse_u32(s, val);
	if (ret != -EINVAL)
		return ret;
	pw = getpwnam(s);
	if (!pw)
		return -ENOENT;
	*val = pw->pw_uid;
	return 0;
}

int parse_gid(const char *s, uint32_t *val)
{
	struct group *gr;
	int ret;

	ret = parse_u32(s, val);
	if (ret != -EINVAL)
		return ret;
	gr = getgrnam(s);
	if (!gr)
		return -ENOENT;
	*val = gr->gr_gid;
	return 0;
}

int parse_seconds(const char *s, uint64_t *ns)
{
	uint64_t sec, frac = 0, scale = 100000000;
	char *end;
	int ret;

	/* strtod() would take "1e1", "inf", " 1" and a locale's comma. */
	ret = parse_digits(s, 10, &sec, &end);
	if (ret)
		return ret;
	if (*end == '.') {
		if (end[1] < '0' || end[1] > '9')
			return -EINVAL;
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			frac += (uint64_t)(*end - '0') * scale;
	}
	if (*end)
		return -EINVAL;
	if (sec > (UINT64_MAX - frac) / 1000000000)
		return -ERANGE;
	*ns = sec * 1000000000 + frac;
	return 0;
}

int parse_policy(const char *s, uint32_t *val)
{
	uint32_t i;

	for (i = 0; i < __MQ_FULL_MAX; i++) {
		if (!strcmp(s, policies[i])) {
			*val = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* NULL for a policy this mqctl does not know (a newer kernel's). */
const char *policy_name(uint32_t policy)
{
	return policy < __MQ_FULL_MAX ? policies[policy] : NULL;
}

int parse_acks(const char *s, uint32_t *val)
{
	uint32_t i;

	for (i = 0; i < __MQ_ACKS_MAX; i++) {
		if (!strcmp(s, acks[i])) {
			*val = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* NULL for a value this mqctl does not know (a newer kernel's). */
const char *acks_name(uint32_t value)
{
	return value < __MQ_ACKS_MAX ? acks[value] : NULL;
}
