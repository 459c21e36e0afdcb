/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/net.h - IP networks (CIDR), for the relay's own outbound addresses.
 */
#ifndef REBOUND_CORE_NET_H
#define REBOUND_CORE_NET_H

#include <stdbool.h>
#include <stddef.h>

struct rb_net {
	unsigned char addr[16]; /* IPv4 in the first 4 bytes */
	unsigned bits;		/* prefix length */
	bool v6;
};

/* Parses "192.0.2.0/24", "2001:db8::/32" or a bare address (a /32 or
 * /128) into @out. Returns 0, or -1 when @s is no such network (bits set
 * past the prefix are allowed and ignored). */
int rb_net_parse(const char *s, struct rb_net *out);

/* Is @ip an IPv4 or IPv6 address in text form (no brackets, no prefix)? */
bool rb_ip_valid(const char *ip);

/* Is the address @ip (text, IPv4 or IPv6; "IPv6:" prefix allowed) inside
 * one of the @n networks? */
bool rb_net_contains(const struct rb_net *nets, size_t n, const char *ip);

#endif
