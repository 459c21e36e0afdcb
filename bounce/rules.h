/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/rules.h - the PCRE2 rule engine for bounce text.
 *
 * Rules are data (*.rules files), loaded once at start, compiled once with
 * JIT, and matched under match/depth/heap limits. A broken rule file gives
 * "file:line: error" and the set refuses to load. See docs/rules.md for the
 * file format and the precedence between rules and status codes.
 *
 * Ownership: a rule set is owned by its creator and read-only after
 * loading; a struct rb_rule_matcher holds per-thread match state.
 */
#ifndef REBOUND_BOUNCE_RULES_H
#define REBOUND_BOUNCE_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "bounce/acsearch.h"
#include "core/error.h"
#include "parsers/report.h"

/* Precedence class of a rule (lower value is tried first). */
enum rb_rule_class {
	RB_RULE_OVERRIDE = 0, /* beats a specific status code */
	RB_RULE_GENERIC = 1,  /* decides where the status code is generic */
	RB_RULE_FALLBACK = 2, /* only when nothing else decided */
};

/* Where a rule looks. */
#define RB_RULE_ON_DIAGNOSTIC 0x01u
#define RB_RULE_ON_SUBJECT    0x02u
#define RB_RULE_ON_BODY	      0x04u
#define RB_RULE_ON_FROM	      0x08u
#define RB_RULE_ON_HOST	      0x10u

/* One "match" line: its compiled pattern and the literals one of which
 * every match contains (lowercase; nlits 0 = no prefilter). */
struct rb_rule_line {
	void *re; /* pcre2_code * */
	char **lits;	    /* the prefilter (rb_literal_cnf): a literal of */
	unsigned *lit_grp;  /* every group (lit_grp[i] is lits[i]'s) occurs */
	unsigned ngroups;   /* in every text the line matches */
	size_t nlits;
	unsigned *lit_ids; /* index of each literal in the set's table */
	bool neg_type;	   /* has \S, \W or \D outside a class (see run_n) */
	bool needs_high;   /* matches only text with a byte >= 0x80 */
};

/*
 * A rule whose blocklist is "none" matches text that names a list without
 * the sender being on it (a resolver refused by the list's operator): the
 * search for a blocklist stops there and the recipient names none.
 */
#define RB_BLOCKLIST_NONE "none"

struct rb_rule {
	char *id;
	char *file;
	unsigned line;
	enum rb_rule_class klass;
	unsigned on;	      /* RB_RULE_ON_* */
	const char *reason;   /* static vocabulary string, or NULL */
	char status[RB_STATUS_MAX]; /* status to set, "" = keep */
	int hard;	      /* -1 = from reason, 0/1 forced */
	int fault;	      /* -1 = from reason, else enum rb_fault */
	char *blocklist;      /* NULL = none; RB_BLOCKLIST_NONE: see below */
	char *if_status;      /* comma list of status prefixes, or NULL */
	bool user;	      /* from a user file: tried before built-ins */
	struct rb_rule_line *lines; /* the match lines, OR-ed */
	size_t nlines;
	void *if_from;	      /* pcre2_code * or NULL */
	void *if_host;	      /* pcre2_code * or NULL */
	unsigned long hits;   /* counted by the matcher owner */
	char **examples;      /* "example" lines: text the rule must decide */
	size_t nexamples;
};

struct rb_ruleset {
	struct rb_rule *rules;
	size_t n;
	bool no_prefilter; /* REBOUND_NO_PREFILTER=1: always run PCRE2 */
	/* built by rb_ruleset_prepare(): every distinct literal, and an
	 * Aho-Corasick automaton that finds them all in one pass */
	char **ulits;
	size_t nulits;
	struct rb_acsearch *ac;
	/* also built by rb_ruleset_prepare(): for each class and pass
	 * (blocklist, reason) the rules to try, user rules first, each in
	 * file order: order[order_start[2 * klass + want_reason] ..
	 * order_start[2 * klass + want_reason + 1]); valid while n ==
	 * order_n (a load sets order_n to SIZE_MAX) */
	size_t *order;
	size_t order_start[7];
	size_t order_n;
	/* and the literal ids of every match line, packed: line j of rule
	 * i is line_base[i] + j; its ids are pf_ids[pf_first[k] ..
	 * pf_first[k] + pf_n[k]) (valid with order) */
	size_t *line_base;
	unsigned *pf_first;
	unsigned *pf_n;
	unsigned *pf_ids;
	unsigned *pf_grp; /* the group of each id (see rb_rule_line) */
	uint32_t *pf_all; /* per line: the mask of all its groups */
	/* and the gate (valid with order): gated[i] when rule i can match
	 * only through diagnostic lines that all have literals, so it cannot
	 * match unless one of them occurs; the gated rules that literal u
	 * opens are lr_ids[lr_first[u] .. lr_first[u + 1]), and literal
	 * nulits stands for "a byte >= 0x80" (lines that need one and have
	 * no ASCII literal) */
	unsigned char *gated;
	unsigned *lr_first;
	unsigned *lr_ids;
};

/* What the evidence said about one recipient, for rules to look at. */
struct rb_rule_subject {
	const char *diagnostic;
	const char *subject;
	const char *body;
	size_t body_len; /* 0 = up to the NUL */
	const char *from;
	const char *host;
	const char *status;
};

struct rb_ruleset *rb_ruleset_new(void);
void rb_ruleset_free(struct rb_ruleset **sp);

/*
 * Loads the rules in @path into @set. A rule whose id already exists
 * replaces the earlier one (so a user file can override a built-in rule).
 * Returns 0, or -1 with "file:line: why" in @err.
 */
int rb_ruleset_load_file(struct rb_ruleset *set, const char *path,
			 struct rb_error *err);
/* As rb_ruleset_load_file, for a user's own file: its new rules are tried
 * before the built-in rules of the same class. */
int rb_ruleset_load_user_file(struct rb_ruleset *set, const char *path,
			      struct rb_error *err);
/* Loads every *.rules file of @dir in name order. */
int rb_ruleset_load_dir(struct rb_ruleset *set, const char *dir,
			struct rb_error *err);

/* Builds the literal automaton; call once after the last load (matching
 * works without it, one strstr per literal). */
void rb_ruleset_prepare(struct rb_ruleset *set);

/* Per-thread matching state. */
struct rb_rule_matcher;
struct rb_rule_matcher *rb_rule_matcher_new(void);
/* Forgets the cached match results (call when the subject texts change
 * in place or their memory is reused). */
void rb_rule_matcher_reset(struct rb_rule_matcher *m);
void rb_rule_matcher_free(struct rb_rule_matcher **mp);

/*
 * Returns (borrowed from @set) the first rule of class @klass, in file
 * order, that matches @subj and has a reason (want_reason) or a blocklist
 * (!want_reason). @evidence_r (may be NULL) receives up to @ev_size bytes
 * of the matched text. NULL when no rule matches.
 */
struct rb_rule *rb_rules_match(const struct rb_ruleset *set,
			       struct rb_rule_matcher *m,
			       enum rb_rule_class klass, bool want_reason,
			       const struct rb_rule_subject *subj,
			       char *evidence_r, size_t ev_size);

/* Returns the canonical static string of reason @name, or NULL if @name is
 * not in the vocabulary. */
const char *rb_reason_lookup(const char *name);

#endif
