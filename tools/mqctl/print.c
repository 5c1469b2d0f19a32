// SPDX-License-Identifier: GPL-2.0
/* Output helpers shared by the show commands. */
#include <inttypes.h>
#include <string.h>

#include "print.h"

const char *format_size(char *buf, size_t len, uint64_t size)
{
	static const char units[] = "GMK";
	unsigned int shift = 30;
	const char *u;

	/* Exactly what topic add takes back: no rounding, ever. */
	for (u = units; *u; u++, shift -= 10) {
		if (size && !(size & ((1ULL << shift) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%c", size >> shift, *u);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64, size);
	return buf;
}

const char *format_rate(char *buf, size_t len, double rate)
{
	char *p;

	/* Valid as text and as a JSON number: "%g" would print "1e+06". */
	snprintf(buf, len, "%.2f", rate);
	p = buf + strlen(buf) - 1;
	while (*p == '0')
		*p-- = '\0';
	if (*p == '.')
		*p = '\0';
	return buf;
}

void json_string(FILE *f, const char *s)
{
	json_string_len(f, s, strlen(s));
}

void json_string_len(FILE *f, const char *s, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
