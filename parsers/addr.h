/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/addr.h - e-mail address helpers: extraction from DSN/ARF values
 * and free text, RFC 3461 xtext, and VERP decoding. Pure, thread-safe.
 */
#ifndef REBOUND_PARSERS_ADDR_H
#define REBOUND_PARSERS_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mem.h"

/*
 * Extracts the addr-spec from @s: "rfc822; <User@Example.COM>", "Name
 * <u@x>", "u@x (comment)", "utf-8; u@x". Returns (borrowed from @a) the
 * address with its domain lowercased and angle brackets, quotes and
 * trailing dots removed, or NULL when no plausible address is there.
 */
char *rb_addr_extract(struct rb_arena *a, const char *s);

/*
 * The one spelling of @addr's domain that suppression keys on: ASCII
 * lowercased, and an internationalised domain (UTF-8, RFC 6531) converted
 * to its A-labels (IDNA2008 with UTS #46 mapping, so "B\xc3\x9cCHER.example"
 * and "b\xc3\xbccher.example" both give "xn--bcher-kva.example", the
 * spelling a punycode Final-Recipient already has). A domain that does not
 * convert keeps its UTF-8, ASCII-lowercased. The local part is untouched.
 * Returns @addr (changed in place) or a new string from @a.
 */
char *rb_addr_canon(struct rb_arena *a, char *addr);

/*
 * The UTF-8 spelling (U-labels) of @addr when its domain has an A-label
 * ("xn--"), for finding the address in a notice that writes it so;
 * NULL when there is none or it does not convert. Borrowed from @a.
 */
char *rb_addr_unicode(struct rb_arena *a, const char *addr);

/*
 * Cleans, in place, the value of an address field (Final-Recipient,
 * Original-Recipient, ...) of what RFC 5322 lets stand around or inside
 * an addr-spec: comments ("jane(sales)@example.com"), folding white space
 * around '@' and inside angle brackets ("<jane@\n example.com>"), and a
 * "mailto:" scheme ("<mailto:jane@example.com>"). Quoted strings are kept.
 */
void rb_addr_field_clean(char *s);

/* Is @s a plausible "local@domain.tld" address? */
bool rb_addr_plausible(const char *s);

/* A character of an unquoted local part or domain: RFC 5322 atext, '.',
 * or a byte >= 0x80 (SMTPUTF8). Never the NUL. */
bool rb_addr_atext(int c);

/* Decodes RFC 3461 xtext ("+2B" -> '+') in place. */
void rb_xtext_decode(char *s);

/*
 * Decodes the RFC 6533 "\x{HEX}" escapes (utf-8-addr-unitext and -xtext)
 * of @s in place to UTF-8. Returns false when an escape is malformed (it
 * is left as it was): the value then holds no usable address.
 */
bool rb_unitext_decode(char *s);

/*
 * Decodes a VERP local part. @fmt is a local-part template with the tokens
 * {sender} and {domain}, e.g. "bounces+{sender}={domain}". Given
 * "bounces+alice=example.com@relay.test" it yields "alice@example.com".
 * With only {sender}, the token is returned as is. Returns (borrowed from
 * @a) the sender, or NULL when @addr does not fit @fmt.
 */
char *rb_verp_decode(struct rb_arena *a, const char *fmt, const char *addr);

/* The length of the dotted IPv4 address at @p (not past @end): four
 * groups of 1-3 digits, not followed by a letter or another digit or dot;
 * 0 if there is none. */
size_t rb_ipv4_span(const char *p, const char *end);

/* Is the dotted IPv4 @ip private or loopback (10/8, 127/8, 172.16/12,
 * 192.168/16)? Such an address is never the one the Internet saw. */
bool rb_ip_private(const char *ip);

#endif
