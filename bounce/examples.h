/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/examples.h - checking the rules' "example" lines (see
 * docs/rules.md): each example is put where its rule looks (diagnostic,
 * subject, body, from or host) of one failed recipient, with the rule's
 * if-status as its code, and must be decided with the rule's reason and
 * blocklist.
 */
#ifndef REBOUND_BOUNCE_EXAMPLES_H
#define REBOUND_BOUNCE_EXAMPLES_H

#include <stddef.h>
#include <stdio.h>

#include "bounce/classify.h"
#include "bounce/rules.h"

struct rb_example_stats {
	size_t rules;	      /* rules in the set */
	size_t with_examples; /* rules that have at least one example */
	size_t examples;      /* examples checked */
	size_t skipped;	      /* examples of rules with if-from/if-host */
	size_t failed;
};

/* Checks every example of @set through classifier @c (whose rules must be
 * @set). Writes one "file:line: ..." line per failure to @out (if not
 * NULL). Returns the number of failures. */
size_t rb_rules_check_examples(const struct rb_ruleset *set,
			       struct rb_classifier *c,
			       struct rb_example_stats *st, FILE *out);

#endif
