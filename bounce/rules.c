/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/rules.c - rule file loader and matcher (PCRE2, JIT, limits).
 *
 * File format (docs/rules.md): blocks that start with "rule ID" followed by
 * directive lines "KEY VALUE"; '#' starts a comment line. All "match"
 * lines of a rule are OR-ed into one compiled pattern.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <errno.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/literal.h"
#include "bounce/rules.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"

#define RULE_MATCH_LIMIT  200000u
#define RULE_DEPTH_LIMIT  2000u
#define RULE_HEAP_LIMIT	  4096u /* KiB */
#define RULE_MAX_PATTERN  8192u
#define RULE_MAX_SUBJECT  (64u * 1024)
#define RULE_MAX_LINE	  4096u

static const char *const reasons[] = {
	"authfailure",	   "badreputation", "blocked",	   "contenterror",
	"delivered",	   "exceedlimit",   "expired",	   "feedback",
	"filtered",	   "hasmoved",	    "hostunknown", "mailboxfull",
	"mailererror",	   "mesgtoobig",    "networkerror", "norelaying",
	"notaccept",	   "notcompliantrfc", "onhold",	   "policyviolation",
	"rejected",	   "requireptr",    "securityerror", "spamdetected",
	"speeding",	   "suspend",	    "syntaxerror", "systemerror",
	"systemfull",	   "toomanyconn",   "undefined",   "userunknown",
	"vacation",	   "virusdetected",
};

const char *rb_reason_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (strcmp(reasons[i], name) == 0)
			return reasons[i];
	}
	return NULL;
}

struct rb_ruleset *rb_ruleset_new(void)
{
	struct rb_ruleset *set = rb_xcalloc(1, sizeof(struct rb_ruleset));
	const char *v = getenv("REBOUND_NO_PREFILTER");

	set->no_prefilter = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
	return set;
}

static void free_lits(char **lits, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lits[i]);
	free(lits);
}

static void lines_free(struct rb_rule_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pcre2_code_free(lines[i].re);
		free_lits(lines[i].lits, lines[i].nlits);
		free(lines[i].lit_grp);
		free(lines[i].lit_ids);
	}
	free(lines);
}

static void rule_clear(struct rb_rule *r)
{
	free(r->id);
	free(r->file);
	free(r->blocklist);
	free(r->if_status);
	for (size_t i = 0; i < r->nexamples; i++)
		free(r->examples[i]);
	free(r->examples);
	lines_free(r->lines, r->nlines);
	pcre2_code_free(r->if_from);
	pcre2_code_free(r->if_host);
	memset(r, 0, sizeof(*r));
}

void rb_ruleset_free(struct rb_ruleset **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	for (size_t i = 0; i < (*sp)->n; i++)
		rule_clear(&(*sp)->rules[i]);
	free_lits((*sp)->ulits, (*sp)->nulits);
	rb_acsearch_free(&(*sp)->ac);
	free((*sp)->order);
	free((*sp)->line_base);
	free((*sp)->pf_first);
	free((*sp)->pf_n);
	free((*sp)->pf_ids);
	free((*sp)->pf_grp);
	free((*sp)->pf_all);
	free((*sp)->gated);
	free((*sp)->lr_first);
	free((*sp)->lr_ids);
	free((*sp)->rules);
	free(*sp);
	*sp = NULL;
}

/* Does @pat use \S, \W or \D outside a character class? (Escaped
 * backslashes are skipped; "[\S]" is not affected, see run_n.) */
static bool has_negated_type(const char *pat)
{
	int in_class = 0;

	for (const char *p = pat; *p; p++) {
		if (*p == '\\' && p[1] != '\0') {
			if (!in_class && (p[1] == 'S' || p[1] == 'W' || p[1] == 'D'))
				return true;
			p++;
		} else if (*p == '[' && !in_class) {
			in_class = 1;
			/* "[]" or "[^]": the ']' right after is a member */
			if (p[1] == '^')
				p++;
			if (p[1] == ']')
				p++;
		} else if (*p == ']' && in_class) {
			in_class = 0;
		}
	}
	return false;
}

static pcre2_code *compile(const char *pat, const char *file, unsigned line,
			   struct rb_error *err)
{
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	pcre2_code *re;
	int ec;
	PCRE2_SIZE off;

	pcre2_set_max_pattern_length(cc, (size_t)1 << 20);
	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
			   PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
			   &ec, &off, cc);
	pcre2_compile_context_free(cc);
	if (re == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		rb_error_set(err, RB_E_SYNTAX,
			     "%s:%u: pattern error at offset %zu: %s", file,
			     line, (size_t)off, (const char *)msg);
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

struct pending {
	struct rb_rule r;
	int open;
};

static int finish(struct rb_ruleset *set, struct pending *p,
		  struct rb_error *err)
{
	struct rb_rule *r = &p->r;
	size_t i;

	if (!p->open)
		return 0;
	p->open = 0;
	if (r->nlines == 0) {
		rb_error_set(err, RB_E_SYNTAX, "%s:%u: rule '%s' has no match line",
			     r->file, r->line, r->id);
		goto fail;
	}
	if (r->reason == NULL && r->blocklist == NULL) {
		rb_error_set(err, RB_E_SYNTAX,
			     "%s:%u: rule '%s' decides nothing (needs reason or blocklist)",
			     r->file, r->line, r->id);
		goto fail;
	}
	if (r->on == 0)
		r->on = RB_RULE_ON_DIAGNOSTIC;
	for (i = 0; i < set->n; i++) {
		if (strcmp(set->rules[i].id, r->id) == 0)
			break;
	}
	if (i < set->n) {
		rule_clear(&set->rules[i]);
	} else {
		set->rules = rb_xrealloc(set->rules,
					 (set->n + 1) * sizeof(*set->rules));
		set->n++;
	}
	set->rules[i] = *r;
	memset(r, 0, sizeof(*r));
	set->order_n = SIZE_MAX; /* stale until the next prepare */
	return 0;
fail:
	rule_clear(r);
	return -1;
}

static int parse_on(const char *v, unsigned *on)
{
	char tmp[128];
	char *save = tmp, *tok;

	rb_strlcpy(tmp, v, sizeof(tmp));
	*on = 0;
	while ((tok = save) != NULL) {
		char *comma = strchr(tok, ',');

		if (comma != NULL) {
			*comma = '\0';
			save = comma + 1;
		} else {
			save = NULL;
		}
		tok = rb_str_trim(tok);
		if (strcmp(tok, "diagnostic") == 0)
			*on |= RB_RULE_ON_DIAGNOSTIC;
		else if (strcmp(tok, "subject") == 0)
			*on |= RB_RULE_ON_SUBJECT;
		else if (strcmp(tok, "body") == 0)
			*on |= RB_RULE_ON_BODY;
		else if (strcmp(tok, "from") == 0)
			*on |= RB_RULE_ON_FROM;
		else if (strcmp(tok, "host") == 0)
			*on |= RB_RULE_ON_HOST;
		else
			return -1;
	}
	return 0;
}

static int fault_from_name(const char *v)
{
	static const char *names[] = {"unknown", "recipient", "sender",
				      "message", "network"};

	for (int i = 0; i < 5; i++) {
		if (strcmp(v, names[i]) == 0)
			return i;
	}
	return -1;
}

static int directive(struct pending *p, const char *file, unsigned line,
		     const char *key, char *val, struct rb_error *err)
{
	struct rb_rule *r = &p->r;

	if (!p->open)
		return rb_error_set(err, RB_E_SYNTAX,
				    "%s:%u: '%s' outside a rule", file, line,
				    key);
	if (*val == '\0')
		return rb_error_set(err, RB_E_SYNTAX, "%s:%u: '%s' needs a value",
				    file, line, key);
	if (strcmp(key, "match") == 0) {
		pcre2_code *re;
		struct rb_rule_line *ln;
		char *set[64];
		unsigned grp[64], ng;
		size_t k;

		if (strlen(val) > RULE_MAX_PATTERN)
			return rb_error_set(err, RB_E_LIMIT,
					    "%s:%u: pattern too long", file, line);
		re = compile(val, file, line, err);
		if (re == NULL)
			return -1;
		r->lines = rb_xrealloc(r->lines,
				       (r->nlines + 1) * sizeof(*r->lines));
		ln = &r->lines[r->nlines++];
		memset(ln, 0, sizeof(*ln));
		ln->re = re;
		ln->neg_type = has_negated_type(val);
		ln->needs_high = rb_literal_needs_high(val);
		k = rb_literal_cnf(val, set, grp, 64, &ng);
		if (k > 0) {
			ln->lits = rb_xcalloc(k, sizeof(*ln->lits));
			ln->lit_grp = rb_xcalloc(k, sizeof(*ln->lit_grp));
			for (size_t i = 0; i < k; i++) {
				ln->lits[i] = set[i];
				ln->lit_grp[i] = grp[i];
			}
			ln->nlits = k;
			ln->ngroups = ng;
		}
	} else if (strcmp(key, "on") == 0) {
		if (parse_on(val, &r->on) < 0)
			return rb_error_set(err, RB_E_SYNTAX,
					    "%s:%u: unknown field in 'on %s' (diagnostic, subject, body, from, host)",
					    file, line, val);
	} else if (strcmp(key, "reason") == 0) {
		r->reason = rb_reason_lookup(val);
		if (r->reason == NULL)
			return rb_error_set(err, RB_E_SYNTAX,
					    "%s:%u: unknown reason '%s'", file,
					    line, val);
	} else if (strcmp(key, "status") == 0) {
		if (!rb_status_valid(val))
			return rb_error_set(err, RB_E_SYNTAX,
					    "%s:%u: invalid status '%s'", file,
					    line, val);
		rb_strlcpy(r->status, val, sizeof(r->status));
	} else if (strcmp(key, "hard") == 0) {
		if (strcmp(val, "yes") == 0)
			r->hard = 1;
		else if (strcmp(val, "no") == 0)
			r->hard = 0;
		else
			return rb_error_set(err, RB_E_SYNTAX,
					    "%s:%u: hard must be yes or no",
					    file, line);
	} else if (strcmp(key, "fault") == 0) {
		r->fault = fault_from_name(val);
		if (r->fault < 0)
			return rb_error_set(err, RB_E_SYNTAX,
					    "%s:%u: unknown fault '%s'", file,
					    line, val);
	} else if (strcmp(key, "blocklist") == 0) {
		free(r->blocklist);
		r->blocklist = rb_xstrdup(val);
	} else if (strcmp(key, "class") == 0) {
		if (strcmp(val, "override") == 0)
			r->klass = RB_RULE_OVERRIDE;
		else if (strcmp(val, "generic") == 0)
			r->klass = RB_RULE_GENERIC;
		else if (strcmp(val, "fallback") == 0)
			r->klass = RB_RULE_FALLBACK;
		else
			return rb_error_set(err, RB_E_SYNTAX,
					    "%s:%u: class must be override, generic or fallback",
					    file, line);
	} else if (strcmp(key, "example") == 0) {
		r->examples = rb_xrealloc(r->examples, (r->nexamples + 1) *
							       sizeof(*r->examples));
		r->examples[r->nexamples++] = rb_xstrdup(val);
	} else if (strcmp(key, "if-status") == 0) {
		free(r->if_status);
		r->if_status = rb_xstrdup(val);
	} else if (strcmp(key, "if-from") == 0) {
		pcre2_code_free(r->if_from);
		r->if_from = compile(val, file, line, err);
		if (r->if_from == NULL)
			return -1;
	} else if (strcmp(key, "if-host") == 0) {
		pcre2_code_free(r->if_host);
		r->if_host = compile(val, file, line, err);
		if (r->if_host == NULL)
			return -1;
	} else {
		return rb_error_set(err, RB_E_SYNTAX,
				    "%s:%u: unknown directive '%s'", file, line,
				    key);
	}
	return 0;
}

static int valid_id(const char *id)
{
	if (*id == '\0')
		return 0;
	for (const char *p = id; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return 0;
	}
	return 1;
}

static int load_file(struct rb_ruleset *set, const char *path, bool user,
		     struct rb_error *err);

int rb_ruleset_load_file(struct rb_ruleset *set, const char *path,
			 struct rb_error *err)
{
	return load_file(set, path, false, err);
}

int rb_ruleset_load_user_file(struct rb_ruleset *set, const char *path,
			      struct rb_error *err)
{
	return load_file(set, path, true, err);
}

static int load_file(struct rb_ruleset *set, const char *path, bool user,
		     struct rb_error *err)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	struct pending p;
	int ret = -1;

	if (fp == NULL)
		return rb_error_set(err, RB_E_IO, "%s: %s", path,
				    strerror(errno));
	memset(&p, 0, sizeof(p));
	while ((n = getline(&line, &cap, fp)) >= 0) {
		char *s, *key, *val;

		lineno++;
		if ((size_t)n > RULE_MAX_LINE) {
			rb_error_set(err, RB_E_LIMIT, "%s:%u: line too long",
				     path, lineno);
			goto out;
		}
		s = rb_str_trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		key = s;
		val = s + strcspn(s, " \t");
		if (*val != '\0')
			*val++ = '\0';
		val = rb_str_trim(val);
		if (strcmp(key, "rule") == 0) {
			if (finish(set, &p, err) < 0)
				goto out;
			if (!valid_id(val)) {
				rb_error_set(err, RB_E_SYNTAX,
					     "%s:%u: invalid rule id '%s' (use a-z 0-9 . _ -)",
					     path, lineno, val);
				goto out;
			}
			memset(&p.r, 0, sizeof(p.r));
			p.r.id = rb_xstrdup(val);
			p.r.file = rb_xstrdup(path);
			p.r.line = lineno;
			p.r.klass = RB_RULE_GENERIC;
			p.r.user = user;
			p.r.hard = -1;
			p.r.fault = -1;
			p.open = 1;
			continue;
		}
		if (directive(&p, path, lineno, key, val, err) < 0)
			goto out;
	}
	if (finish(set, &p, err) < 0)
		goto out;
	ret = 0;
out:
	if (p.open)
		rule_clear(&p.r);
	free(line);
	fclose(fp);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rb_ruleset_load_dir(struct rb_ruleset *set, const char *dir,
			struct rb_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int ret = 0;

	if (d == NULL)
		return rb_error_set(err, RB_E_IO, "%s: %s", dir,
				    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 6 && strcmp(de->d_name + l - 6, ".rules") == 0) {
			names = rb_xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = rb_xstrdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[4096];

		if (ret == 0) {
			if (snprintf(path, sizeof(path), "%s/%s", dir,
				     names[i]) >= (int)sizeof(path))
				ret = rb_error_set(err, RB_E_IO,
						   "%s: path too long", dir);
			else
				ret = rb_ruleset_load_file(set, path, err);
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

/* The mask with the low @n bits set (n <= RB_LITERAL_GROUPS). */
static uint32_t groups_mask(unsigned n)
{
	return n >= 32 ? UINT32_MAX : (UINT32_C(1) << n) - 1;
}

/* The literal ids of every match line in flat arrays (see struct
 * rb_ruleset), so the prefilter reads them without visiting each line. */
static void build_prefilter(struct rb_ruleset *set)
{
	size_t nl = 0, nid = 0;

	for (size_t i = 0; i < set->n; i++) {
		nl += set->rules[i].nlines;
		for (size_t j = 0; j < set->rules[i].nlines; j++)
			nid += set->rules[i].lines[j].nlits;
	}
	free(set->line_base);
	free(set->pf_first);
	free(set->pf_n);
	free(set->pf_ids);
	free(set->pf_grp);
	free(set->pf_all);
	set->line_base = rb_xmalloc((set->n + 1) * sizeof(*set->line_base));
	set->pf_first = rb_xmalloc((nl + 1) * sizeof(*set->pf_first));
	set->pf_n = rb_xmalloc((nl + 1) * sizeof(*set->pf_n));
	set->pf_all = rb_xmalloc((nl + 1) * sizeof(*set->pf_all));
	set->pf_ids = rb_xmalloc((nid + 1) * sizeof(*set->pf_ids));
	set->pf_grp = rb_xmalloc((nid + 1) * sizeof(*set->pf_grp));
	nl = nid = 0;
	for (size_t i = 0; i < set->n; i++) {
		set->line_base[i] = nl;
		for (size_t j = 0; j < set->rules[i].nlines; j++, nl++) {
			const struct rb_rule_line *ln = &set->rules[i].lines[j];

			set->pf_first[nl] = (unsigned)nid;
			set->pf_n[nl] = ln->lit_ids != NULL ? (unsigned)ln->nlits : 0;
			set->pf_all[nl] = groups_mask(ln->ngroups);
			for (size_t k = 0; k < set->pf_n[nl]; k++) {
				set->pf_grp[nid] = ln->lit_grp[k];
				set->pf_ids[nid++] = ln->lit_ids[k];
			}
		}
	}
}

/* Is rule @i decided by the literal prefilter alone (see gated)? */
static bool gateable(const struct rb_ruleset *set, size_t i)
{
	const struct rb_rule *r = &set->rules[i];

	if (r->on != RB_RULE_ON_DIAGNOSTIC || r->nlines == 0)
		return false;
	for (size_t j = 0; j < r->nlines; j++) {
		if (set->pf_n[set->line_base[i] + j] == 0 &&
		    !r->lines[j].needs_high)
			return false;
	}
	return true;
}

/* The group of packed line @g that opens it in the gate: the one whose
 * shortest literal is longest (long words are rare words). */
static unsigned gate_group(const struct rb_ruleset *set, size_t g)
{
	size_t shortest[RB_LITERAL_GROUPS];
	unsigned best = 0;

	for (unsigned k = 0; k < RB_LITERAL_GROUPS; k++)
		shortest[k] = SIZE_MAX;
	for (unsigned k = 0; k < set->pf_n[g]; k++) {
		unsigned grp = set->pf_grp[set->pf_first[g] + k];
		size_t len = strlen(set->ulits[set->pf_ids[set->pf_first[g] + k]]);

		if (len < shortest[grp])
			shortest[grp] = len;
	}
	for (unsigned k = 1; k < RB_LITERAL_GROUPS; k++) {
		if (shortest[k] != SIZE_MAX && shortest[k] > shortest[best])
			best = k;
	}
	return best;
}

/* The gate of rb_rules_match (see struct rb_ruleset): for each literal,
 * the gated rules that need it, so a diagnostic's literals name the few
 * rules worth trying instead of visiting every rule's lines. */
static void build_gate(struct rb_ruleset *set)
{
	size_t total = 0;
	unsigned *fill = NULL;

	free(set->gated);
	free(set->lr_first);
	free(set->lr_ids);
	set->gated = rb_xcalloc(set->n + 1, 1);
	/* nulits + 1 literals (the last one: a high byte), + 1 for the end */
	set->lr_first = rb_xcalloc(set->nulits + 2, sizeof(*set->lr_first));
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < set->n; i++) {
			if (pass == 0)
				set->gated[i] = gateable(set, i);
			if (!set->gated[i])
				continue;
			for (size_t j = 0; j < set->rules[i].nlines; j++) {
				size_t g = set->line_base[i] + j;
				const unsigned *id = &set->pf_ids[set->pf_first[g]];
				unsigned high = (unsigned)set->nulits;
				unsigned n = set->pf_n[g];

				unsigned want = n ? gate_group(set, g) : 0;

				/* a line with literals is opened by those of
				 * one of its groups (it cannot match without
				 * one of them); one without, by a high byte
				 * (see gateable) */
				for (unsigned k = 0; k < (n ? n : 1); k++) {
					unsigned u = n ? id[k] : high;

					if (n && set->pf_grp[set->pf_first[g] + k] != want)
						continue;

					if (pass == 0) {
						set->lr_first[u]++;
						total++;
					} else {
						set->lr_ids[set->lr_first[u] + fill[u]++] =
							(unsigned)i;
					}
				}
			}
		}
		if (pass == 1)
			break;
		/* counts to starts; a rule listed twice under a literal is
		 * harmless */
		for (size_t u = 0, at = 0; u <= set->nulits + 1; u++) {
			size_t c = u <= set->nulits ? set->lr_first[u] : 0;

			set->lr_first[u] = (unsigned)at;
			at += c;
		}
		set->lr_ids = rb_xmalloc((total + 1) * sizeof(*set->lr_ids));
		fill = rb_xcalloc(set->nulits + 1, sizeof(*fill));
	}
	free(fill);
}

/* The rules rb_rules_match tries for each class and pass (see
 * struct rb_ruleset). A rule with both a reason and a blocklist is in
 * both passes of its class. */
static void build_order(struct rb_ruleset *set)
{
	size_t n = 0;

	free(set->order);
	set->order = rb_xmalloc((2 * set->n + 1) * sizeof(*set->order));
	for (unsigned b = 0; b < 6; b++) {
		unsigned klass = b / 2;
		bool want_reason = b % 2 != 0;

		set->order_start[b] = n;
		for (int user = 1; user >= 0; user--) {
			for (size_t i = 0; i < set->n; i++) {
				const struct rb_rule *r = &set->rules[i];

				if (r->user != (user != 0) ||
				    (unsigned)r->klass != klass ||
				    (want_reason ? r->reason == NULL
						 : r->blocklist == NULL))
					continue;
				set->order[n++] = i;
			}
		}
	}
	set->order_start[6] = n;
	build_prefilter(set);
	build_gate(set);
	set->order_n = set->n;
}

void rb_ruleset_prepare(struct rb_ruleset *set)
{
	free_lits(set->ulits, set->nulits);
	set->ulits = NULL;
	set->nulits = 0;
	rb_acsearch_free(&set->ac);
	for (size_t i = 0; i < set->n; i++) {
		for (size_t j = 0; j < set->rules[i].nlines; j++) {
			struct rb_rule_line *ln = &set->rules[i].lines[j];

			free(ln->lit_ids);
			ln->lit_ids = ln->nlits ? rb_xcalloc(ln->nlits, sizeof(unsigned))
						: NULL;
			for (size_t k = 0; k < ln->nlits; k++) {
				size_t u;

				for (u = 0; u < set->nulits; u++) {
					if (strcmp(set->ulits[u], ln->lits[k]) == 0)
						break;
				}
				if (u == set->nulits) {
					set->ulits = rb_xrealloc(set->ulits,
								 (u + 1) * sizeof(char *));
					set->ulits[u] = rb_xstrdup(ln->lits[k]);
					set->nulits++;
				}
				ln->lit_ids[k] = (unsigned)u;
			}
		}
	}
	if (set->nulits > 0)
		set->ac = rb_acsearch_new(set->ulits, set->nulits);
	build_order(set);
}

struct rb_rule_matcher {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *js;
	/* per-subject cache: every rule is matched at most once per
	 * recipient, whatever the number of passes (classes, blocklists) */
	struct rb_rule_subject last;
	unsigned char *state; /* 0 unknown, 1 match, 2 no match */
	size_t cap;
	struct rb_buf lower; /* the diagnostic, ASCII-lowercased, for the
			      * literal prefilter without an automaton */
	bool lower_ok;
	unsigned char *seen; /* literals found in the diagnostic (bits) */
	size_t seen_cap;
	bool seen_ok;
	unsigned char *open; /* gated rules those literals open (bytes) */
	size_t open_cap;
	/* the last text run_n looked at, and whether it has 8-bit bytes */
	const char *hb_s;
	size_t hb_len;
	bool hb;
};

void rb_rule_matcher_reset(struct rb_rule_matcher *m)
{
	m->lower_ok = false;
	m->seen_ok = false;
	m->hb_s = NULL;
	memset(&m->last, 0, sizeof(m->last));
	if (m->state != NULL)
		memset(m->state, 0, m->cap);
}

struct rb_rule_matcher *rb_rule_matcher_new(void)
{
	struct rb_rule_matcher *m = rb_xcalloc(1, sizeof(*m));

	m->md = pcre2_match_data_create(16, NULL);
	m->mc = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(m->mc, RULE_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mc, RULE_DEPTH_LIMIT);
	pcre2_set_heap_limit(m->mc, RULE_HEAP_LIMIT);
	m->js = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (m->js != NULL)
		pcre2_jit_stack_assign(m->mc, NULL, m->js);
	return m;
}

void rb_rule_matcher_free(struct rb_rule_matcher **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	pcre2_match_data_free((*mp)->md);
	pcre2_match_context_free((*mp)->mc);
	pcre2_jit_stack_free((*mp)->js);
	free((*mp)->state);
	rb_buf_free(&(*mp)->lower);
	free((*mp)->seen);
	free((*mp)->open);
	free(*mp);
	*mp = NULL;
}

/* Has @s (@len bytes) a byte >= 0x80? Remembered for the last text. */
static bool text_high(struct rb_rule_matcher *m, const char *s, size_t len)
{
	if (s != m->hb_s || len != m->hb_len) {
		m->hb_s = s;
		m->hb_len = len;
		m->hb = rb_has_high(s, len);
	}
	return m->hb;
}

/* Returns 1 on match (evidence copied), 0 otherwise. Errors (limits) are
 * no match, never a crash. */
static int run_n(struct rb_rule_matcher *m, const pcre2_code *re,
		 bool neg_type, const char *s, size_t len, char *ev,
		 size_t evsz)
{
	int rc;

	if (s == NULL || len == 0)
		return 0;
	if (len > RULE_MAX_SUBJECT)
		len = RULE_MAX_SUBJECT;
	/* The JIT code of a PCRE2_MATCH_INVALID_UTF pattern misses matches
	 * where a negated type (\S, \W, \D outside a class) must consume a
	 * multi-byte character (PCRE2 10.42, PCRE2Project/pcre2#224:
	 * "x\S*\s" fails on "x\u044c y"; ".", "[^ ]" and "[\S]" are right).
	 * Such patterns meet text with non-ASCII bytes in the interpreter,
	 * under the same limits. */
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0,
			 neg_type && text_high(m, s, len) ? PCRE2_NO_JIT : 0,
			 m->md, m->mc);
	if (rc < 0)
		return 0;
	if (ev != NULL && evsz > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
		size_t n = ov[1] > ov[0] ? ov[1] - ov[0] : 0;

		if (n >= evsz)
			n = evsz - 1;
		memcpy(ev, s + ov[0], n);
		ev[n] = '\0';
	}
	return 1;
}

/* Does @status start with one of the comma-separated prefixes? */
static bool status_fits(const char *list, const char *status)
{
	const char *p = list;

	if (status == NULL)
		return false;
	while (*p) {
		size_t n = strcspn(p, ", ");

		if (n > 0 && strncmp(status, p, n) == 0)
			return true;
		p += n;
		p += strspn(p, ", ");
	}
	return false;
}

/* Opens the gated rules of literal @u (see struct rb_ruleset). */
static void open_rules(const struct rb_ruleset *set, struct rb_rule_matcher *m,
		       size_t u)
{
	for (unsigned k = set->lr_first[u]; k < set->lr_first[u + 1]; k++)
		m->open[set->lr_ids[k]] = 1;
}

/* Marks in m->seen the literals that occur in the diagnostic, once per
 * subject. */
static void scan_diag(const struct rb_ruleset *set, struct rb_rule_matcher *m,
		      const char *diag)
{
	size_t bytes = (set->nulits + 7) / 8;
	size_t len = strlen(diag);

	if (m->seen_cap < bytes) {
		m->seen = rb_xrealloc(m->seen, bytes);
		m->seen_cap = bytes;
	}
	memset(m->seen, 0, bytes);
	rb_acsearch_scan(set->ac, diag,
			 len > RULE_MAX_SUBJECT ? RULE_MAX_SUBJECT : len, m->seen);
	m->seen_ok = true;
	if (set->lr_first == NULL)
		return;
	if (m->open_cap < set->n) {
		m->open = rb_xrealloc(m->open, set->n);
		m->open_cap = set->n;
	}
	memset(m->open, 0, set->n);
	for (size_t b = 0; b < bytes; b++) {
		for (unsigned bits = m->seen[b]; bits != 0; bits &= bits - 1)
			open_rules(set, m, 8 * b + (size_t)__builtin_ctz(bits));
	}
	if (rb_has_high(diag, len > RULE_MAX_SUBJECT ? RULE_MAX_SUBJECT : len))
		open_rules(set, m, set->nulits);
}

/* May gated rule @i match @diag at all (see struct rb_ruleset)? */
static bool gate_open(const struct rb_ruleset *set, struct rb_rule_matcher *m,
		      size_t i, const char *diag)
{
	if (diag == NULL || *diag == '\0')
		return false;
	if (!m->seen_ok)
		scan_diag(set, m, diag);
	return m->open[i] != 0;
}

/* literal_may_match for packed line @g (see build_prefilter). */
static bool packed_may_match(const struct rb_ruleset *set,
			     struct rb_rule_matcher *m, size_t g,
			     const char *diag)
{
	const unsigned *id = &set->pf_ids[set->pf_first[g]];
	const unsigned *grp = &set->pf_grp[set->pf_first[g]];
	uint32_t have = 0;

	if (!m->seen_ok)
		scan_diag(set, m, diag);
	for (unsigned k = 0; k < set->pf_n[g]; k++) {
		if (m->seen[id[k] >> 3] & (1u << (id[k] & 7)))
			have |= UINT32_C(1) << grp[k];
	}
	return have == set->pf_all[g];
}

/* Does @s (@len bytes; lowercased already unless @fold) hold a literal
 * of every group of @ln? */
static bool text_has_groups(const char *s, size_t len,
			    const struct rb_rule_line *ln, bool fold)
{
	uint32_t have = 0, all = groups_mask(ln->ngroups);

	for (size_t i = 0; i < ln->nlits && have != all; i++) {
		uint32_t bit = UINT32_C(1) << ln->lit_grp[i];

		if (have & bit)
			continue;
		if (fold ? rb_memcasemem(s, len, ln->lits[i]) != NULL
			 : strstr(s, ln->lits[i]) != NULL)
			have |= bit;
	}
	return have == all;
}

/* Could @ln match the diagnostic at all? False only when some group of
 * its required literals is missing from it. */
static bool literal_may_match(const struct rb_ruleset *set,
			      struct rb_rule_matcher *m,
			      const struct rb_rule_line *ln, const char *diag)
{
	if (set->ac != NULL && ln->lit_ids != NULL) {
		uint32_t have = 0;

		if (!m->seen_ok)
			scan_diag(set, m, diag);
		for (size_t i = 0; i < ln->nlits; i++) {
			unsigned id = ln->lit_ids[i];

			if (m->seen[id >> 3] & (1u << (id & 7)))
				have |= UINT32_C(1) << ln->lit_grp[i];
		}
		return have == groups_mask(ln->ngroups);
	}
	if (!m->lower_ok) {
		size_t len = strlen(diag);

		if (len > RULE_MAX_SUBJECT)
			len = RULE_MAX_SUBJECT;
		rb_buf_reset(&m->lower);
		rb_buf_add(&m->lower, diag, len);
		for (size_t i = 0; i < m->lower.len; i++) {
			char c = m->lower.data[i];

			if (c >= 'A' && c <= 'Z')
				m->lower.data[i] = (char)(c + 32);
		}
		m->lower_ok = true;
	}
	return text_has_groups(rb_buf_str(&m->lower), m->lower.len, ln, false);
}

/* Does any match line of @r match @s (the diagnostic when @diag)? */
static int lines_match(const struct rb_ruleset *set,
		       struct rb_rule_matcher *m, const struct rb_rule *r,
		       const char *s, size_t len, bool diag, bool prefilter,
		       char *ev, size_t evsz)
{
	size_t g = 0;
	bool packed;

	if (s == NULL || len == 0)
		return 0;
	/* the packed literal ids (when prepared and an automaton exists)
	 * spare a visit to every line */
	packed = diag && prefilter && set->ac != NULL && set->pf_n != NULL &&
		 set->order_n == set->n;
	if (packed)
		g = set->line_base[r - set->rules];
	for (size_t i = 0; i < r->nlines; i++) {
		if (packed) {
			if (set->pf_n[g + i] > 0 &&
			    !packed_may_match(set, m, g + i, s))
				continue;
		} else if (diag && prefilter && r->lines[i].nlits > 0 &&
			   !literal_may_match(set, m, &r->lines[i], s)) {
			continue;
		} else if (!diag && prefilter && r->lines[i].nlits > 0 &&
			   !text_has_groups(s, len > RULE_MAX_SUBJECT
						       ? RULE_MAX_SUBJECT
						       : len,
					    &r->lines[i], true)) {
			/* subject, body, From, host: one search per literal
			 * is cheaper than a match */
			continue;
		}
		if (prefilter && r->lines[i].needs_high &&
		    !text_high(m, s, len > RULE_MAX_SUBJECT ? RULE_MAX_SUBJECT : len))
			continue;
		if (run_n(m, r->lines[i].re, r->lines[i].neg_type, s, len, ev,
			  evsz))
			return 1;
	}
	return 0;
}

/* The lengths of a subject's texts, measured once per rb_rules_match. */
struct subj_len {
	size_t diagnostic, subject, body, from, host;
};

static void measure(const struct rb_rule_subject *subj, struct subj_len *l)
{
	l->diagnostic = subj->diagnostic ? strlen(subj->diagnostic) : 0;
	l->subject = subj->subject ? strlen(subj->subject) : 0;
	l->body = subj->body_len ? subj->body_len
				 : (subj->body ? strlen(subj->body) : 0);
	l->from = subj->from ? strlen(subj->from) : 0;
	l->host = subj->host ? strlen(subj->host) : 0;
}

/* Does @r match @subj (conditions and patterns)? */
static int rule_matches(const struct rb_ruleset *set,
			struct rb_rule_matcher *m, const struct rb_rule *r,
			const struct rb_rule_subject *subj,
			const struct subj_len *l, char *ev, size_t evsz,
			bool prefilter)
{
	if (r->if_status != NULL && !status_fits(r->if_status, subj->status))
		return 0;
	if (r->if_from != NULL &&
	    (subj->from == NULL || !run_n(m, r->if_from, true, subj->from, l->from, NULL, 0)))
		return 0;
	if (r->if_host != NULL &&
	    (subj->host == NULL || !run_n(m, r->if_host, true, subj->host, l->host, NULL, 0)))
		return 0;
	return ((r->on & RB_RULE_ON_DIAGNOSTIC) && subj->diagnostic &&
		lines_match(set, m, r, subj->diagnostic, l->diagnostic, true,
			    prefilter, ev, evsz)) ||
	       ((r->on & RB_RULE_ON_SUBJECT) && subj->subject &&
		lines_match(set, m, r, subj->subject, l->subject, false,
			    prefilter, ev, evsz)) ||
	       ((r->on & RB_RULE_ON_BODY) &&
		lines_match(set, m, r, subj->body, l->body, false, prefilter, ev,
			    evsz)) ||
	       ((r->on & RB_RULE_ON_FROM) && subj->from &&
		lines_match(set, m, r, subj->from, l->from, false, prefilter, ev,
			    evsz)) ||
	       ((r->on & RB_RULE_ON_HOST) && subj->host &&
		lines_match(set, m, r, subj->host, l->host, false, prefilter, ev,
			    evsz));
}

/* Tries rule @i for rb_rules_match: 1 when it matches (memoised). */
static int try_rule(const struct rb_ruleset *set, struct rb_rule_matcher *m,
		    size_t i, const struct rb_rule_subject *subj,
		    const struct subj_len *l, char *evidence_r, size_t ev_size)
{
	const struct rb_rule *r = &set->rules[i];

	if (m->state[i] == 0)
		m->state[i] = rule_matches(set, m, r, subj, l, NULL, 0,
					   !set->no_prefilter) ? 1 : 2;
	if (m->state[i] != 1)
		return 0;
	if (evidence_r != NULL && ev_size > 0) {
		evidence_r[0] = '\0';
		(void)rule_matches(set, m, r, subj, l, evidence_r, ev_size, false);
	}
	return 1;
}

struct rb_rule *rb_rules_match(const struct rb_ruleset *set,
			       struct rb_rule_matcher *m,
			       enum rb_rule_class klass, bool want_reason,
			       const struct rb_rule_subject *subj,
			       char *evidence_r, size_t ev_size)
{
	struct subj_len l;

	if (m->cap < set->n) {
		m->state = rb_xrealloc(m->state, set->n);
		m->cap = set->n;
		memset(&m->last, 0, sizeof(m->last));
		memset(m->state, 0, m->cap);
	}
	if (memcmp(&m->last, subj, sizeof(*subj)) != 0) {
		memset(m->state, 0, m->cap);
		m->last = *subj;
		m->lower_ok = false;
		m->seen_ok = false;
		m->hb_s = NULL;
	}
	measure(subj, &l);
	if (set->order != NULL && set->order_n == set->n &&
	    (unsigned)klass < 3) {
		unsigned b = 2 * (unsigned)klass + (want_reason ? 1 : 0);
		bool gate = !set->no_prefilter && set->ac != NULL &&
			    set->gated != NULL;

		for (size_t k = set->order_start[b]; k < set->order_start[b + 1];
		     k++) {
			size_t i = set->order[k];

			if (m->state[i] == 2)
				continue; /* tried for this subject: no match */
			if (gate && m->state[i] == 0 && set->gated[i] &&
			    !gate_open(set, m, i, subj->diagnostic)) {
				m->state[i] = 2;
				continue;
			}
			if (try_rule(set, m, i, subj, &l, evidence_r, ev_size))
				return &set->rules[i];
		}
		return NULL;
	}
	/* user rules first, then built-in ones, each in file order */
	for (size_t j = 0; j < 2 * set->n; j++) {
		size_t i = j % set->n;
		struct rb_rule *r = &set->rules[i];

		if (r->user != (j < set->n))
			continue;
		if (r->klass != klass)
			continue;
		if (want_reason ? r->reason == NULL : r->blocklist == NULL)
			continue;
		if (try_rule(set, m, i, subj, &l, evidence_r, ev_size))
			return r;
	}
	return NULL;
}
