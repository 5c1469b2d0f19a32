/* SPDX-License-Identifier: GPL-2.0 */
/* Output helpers shared by the show commands. */
#ifndef PRINT_H
#define PRINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The shortest exact SIZE: "64K", "1M", or plain bytes ("1984"). */
const char *format_size(char *buf, size_t len, uint64_t size);
/* @rate with at most two decimals, trailing zeros dropped: "0", "12.5". */
const char *format_rate(char *buf, size_t len, double rate);
/* @s as a JSON string, quotes included. */
void json_string(FILE *f, const char *s);
/* The same of @len bytes, NULs included (escaped). */
void json_string_len(FILE *f, const char *s, size_t len);

#endif /* PRINT_H */
