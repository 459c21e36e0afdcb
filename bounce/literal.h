/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/literal.h - the required literal of a rule pattern, for a cheap
 * prefilter: a lowercase ASCII string that every text the pattern matches
 * must contain, so a rule whose literal is absent from a diagnostic is not
 * run through PCRE2 at all. Conservative: when in doubt, no literal.
 */
#ifndef REBOUND_BOUNCE_LITERAL_H
#define REBOUND_BOUNCE_LITERAL_H

#include <stdbool.h>
#include <stddef.h>

#define RB_LITERAL_MIN 3 /* shorter literals filter nothing */

/*
 * Writes into @out (@size bytes) the longest literal (ASCII, lowercased,
 * at least RB_LITERAL_MIN bytes) that every match of @pattern contains, read
 * only from the top level of the pattern (groups, classes, escapes other
 * than escaped punctuation, optional items and top-level alternation are
 * not looked into). Returns its length, or 0 when there is none.
 */
size_t rb_literal_required(const char *pattern, char *out, size_t size);

/*
 * The prefilter of a pattern: a set of literals at least one of which
 * every match contains. Uses the required literal when there is one, else
 * the first mandatory top-level group whose alternatives all have one
 * ("\b(?:spamhaus\s+xbl|exploits\s+block\s+list)" gives {"spamhaus",
 * "exploits"}). Returns the number of literals written to @out (each an
 * owned string), 0 when the pattern has no usable prefilter.
 */
size_t rb_literal_set(const char *pattern, char **out, size_t max);

/*
 * Does every match of @pattern contain a byte >= 0x80 (a mandatory
 * non-ASCII character at the top level, or a mandatory group whose
 * alternatives all have one)? Then ASCII text cannot match it: the
 * prefilter of the Cyrillic, CJK and Hangul phrases, which have no ASCII
 * literal. Conservative like the rest: when in doubt, false.
 */
bool rb_literal_needs_high(const char *pattern);

#define RB_LITERAL_GROUPS 32 /* at most this many groups in a CNF */

/*
 * The sharper prefilter of a pattern, as a conjunction: literals come in
 * groups (@group[i] is literal i's, numbered from 0), and every match
 * contains a literal of every group. Each literal run at the top level is
 * a group of one ("\bno\s+such\s+user\b" gives {such} and {user}); each
 * mandatory top-level group whose alternatives all have a literal is a
 * group of those. Writes at most @max owned strings to @out; returns
 * their number and sets *@ngroups_r (at most RB_LITERAL_GROUPS), 0 when
 * the pattern has no usable prefilter.
 */
size_t rb_literal_cnf(const char *pattern, char **out, unsigned *group,
		      size_t max, unsigned *ngroups_r);

#endif
