/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/net.c - IP networks (see net.h), on inet_pton.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/str.h"

/* Converts @s (IPv4 or IPv6 text) into @addr; sets *v6_r. */
static int to_addr(const char *s, unsigned char addr[16], bool *v6_r)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*v6_r = false;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*v6_r = true;
		return 0;
	}
	return -1;
}

bool rb_ip_valid(const char *ip)
{
	unsigned char addr[16];
	bool v6;

	return ip != NULL && to_addr(ip, addr, &v6) == 0;
}

int rb_net_parse(const char *s, struct rb_net *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (to_addr(buf, out->addr, &out->v6) < 0)
		return -1;
	max = out->v6 ? 128 : 32;
	out->bits = max;
	if (slash != NULL) {
		char *end;
		unsigned long b;

		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		b = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || b > max)
			return -1;
		out->bits = (unsigned)b;
	}
	return 0;
}

/* Do @a and @b agree in their first @bits bits? */
static bool same_prefix(const unsigned char *a, const unsigned char *b,
			unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[whole] ^ b[whole]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

bool rb_net_contains(const struct rb_net *nets, size_t n, const char *ip)
{
	unsigned char addr[16];
	bool v6;

	if (ip == NULL)
		return false;
	if (rb_startswith_ci(ip, "ipv6:"))
		ip += 5;
	if (to_addr(ip, addr, &v6) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (nets[i].v6 == v6 && same_prefix(nets[i].addr, addr, nets[i].bits))
			return true;
	}
	return false;
}
