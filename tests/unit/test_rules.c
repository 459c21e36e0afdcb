/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_rules.c - the rule engine: loading files written to a
 * temporary directory, every loader error with "file:line:", replacement
 * by id, and matching precedence, conditions, blocklists and evidence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounce/rules.h"
#include "core/error.h"

#include "bounce/examples.h"
#include "core/limits.h"

#include "check.h"

static char tmpdir[64];

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void path_of(char *out, size_t size, const char *name)
{
	int n = snprintf(out, size, "%s/%s", tmpdir, name);

	assert_true(n > 0 && (size_t)n < size);
}

static const char valid_rules[] = "# a comment\n"
				  "rule t-user\n"
				  "\tclass override\n"
				  "\ton diagnostic, subject\n"
				  "\treason userunknown\n"
				  "\tstatus 5.1.1\n"
				  "\thard yes\n"
				  "\tfault recipient\n"
				  "\tmatch no such (user|mailbox)\n"
				  "\tmatch user unknown\n"
				  "\n"
				  "rule t-full\n"
				  "\treason mailboxfull\n"
				  "\tmatch mailbox (is )?full\n"
				  "\n"
				  "rule t-full-later\n"
				  "\treason exceedlimit\n"
				  "\tmatch full\n"
				  "\n"
				  "rule t-fallback\n"
				  "\tclass fallback\n"
				  "\treason blocked\n"
				  "\tmatch blocked\n"
				  "\n"
				  "rule t-if-status\n"
				  "\tif-status 4.\n"
				  "\treason toomanyconn\n"
				  "\tmatch too many\n"
				  "\n"
				  "rule t-if-from\n"
				  "\tif-from @special\\.example$\n"
				  "\treason spamdetected\n"
				  "\tmatch rejected\n"
				  "\n"
				  "rule t-bl\n"
				  "\tblocklist spamhaus-zen\n"
				  "\tmatch zen\\.spamhaus\\.org\n"
				  "\n"
				  "rule t-body\n"
				  "\tclass fallback\n"
				  "\ton body\n"
				  "\treason vacation\n"
				  "\tmatch i am away\n"
				  "\n"
				  "rule t-neg-type\n"
				  "\treason systemerror\n"
				  "\tmatch zzq\\S*\\s+yy\n";

static struct rb_ruleset *load_valid(void)
{
	struct rb_ruleset *set = rb_ruleset_new();
	struct rb_error err;
	char path[128];

	path_of(path, sizeof(path), "valid.rules");
	write_file(path, valid_rules);
	rb_error_clear(&err);
	if (rb_ruleset_load_file(set, path, &err) != 0) {
		print_error("load: %s\n", err.msg);
		fail();
	}
	return set;
}

static const struct rb_rule *find_rule(const struct rb_ruleset *set,
				       const char *id)
{
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->rules[i].id, id) == 0)
			return &set->rules[i];
	}
	return NULL;
}

static void test_load_valid(void **state)
{
	struct rb_ruleset *set = load_valid();
	const struct rb_rule *r;

	(void)state;
	CHECK_INT("valid", "rules", set->n, 9);
	r = find_rule(set, "t-user");
	NEED(r);
	CHECK_INT("t-user", "class", r->klass, RB_RULE_OVERRIDE);
	CHECK_INT("t-user", "on", r->on,
		  RB_RULE_ON_DIAGNOSTIC | RB_RULE_ON_SUBJECT);
	CHECK_STR("t-user", "reason", r->reason, "userunknown");
	CHECK_TRUE("t-user", "reason is canonical",
		   r->reason == rb_reason_lookup("userunknown"));
	CHECK_STR("t-user", "status", r->status, "5.1.1");
	CHECK_INT("t-user", "hard", r->hard, 1);
	CHECK_INT("t-user", "fault", r->fault, RB_FAULT_RECIPIENT);
	CHECK_INT("t-user", "line", r->line, 2);
	CHECK_CONTAINS("t-user", "file", r->file, "valid.rules");
	r = find_rule(set, "t-full");
	NEED(r);
	CHECK_INT("t-full", "default class", r->klass, RB_RULE_GENERIC);
	CHECK_INT("t-full", "default on", r->on, RB_RULE_ON_DIAGNOSTIC);
	CHECK_INT("t-full", "default hard", r->hard, -1);
	CHECK_INT("t-full", "default fault", r->fault, -1);
	CHECK_STR("t-full", "default status", r->status, "");
	r = find_rule(set, "t-bl");
	NEED(r);
	CHECK_STR("t-bl", "reason", r->reason, NULL);
	CHECK_STR("t-bl", "blocklist", r->blocklist, "spamhaus-zen");
	rb_ruleset_free(&set);
	assert_null(set);
	rb_ruleset_free(&set); /* NULL is fine */
}

static void test_load_errors(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		unsigned line;
		enum rb_errcode code;
		const char *says;
	} rows[] = {
	    {"unknown-directive", "rule a\n\tfrobnicate x\n", 2, RB_E_SYNTAX,
	     "unknown directive"},
	    {"unknown-reason", "rule a\n\treason nosuch\n\tmatch x\n", 2,
	     RB_E_SYNTAX, "unknown reason"},
	    {"bad-regex",
	     "rule a\n\treason blocked\n\tmatch ok\n"
	     "\tmatch (unclosed\n",
	     4, RB_E_SYNTAX, "offset"},
	    {"bad-if-from",
	     "rule a\n\treason blocked\n\tif-from [x\n"
	     "\tmatch ok\n",
	     3, RB_E_SYNTAX, "offset"},
	    {"outside-rule", "# top\nreason blocked\n", 2, RB_E_SYNTAX,
	     "outside a rule"},
	    {"no-match", "\nrule a\n\treason blocked\n", 2, RB_E_SYNTAX,
	     "no match"},
	    {"no-match-before-next",
	     "rule a\n\treason blocked\n"
	     "rule b\n\treason blocked\n\tmatch x\n",
	     1, RB_E_SYNTAX, "no match"},
	    {"decides-nothing",
	     "rule ok\n\treason blocked\n\tmatch x\n\n"
	     "rule a\n\tmatch x\n",
	     5, RB_E_SYNTAX, "decides nothing"},
	    {"bad-status", "rule a\n\tstatus 6.1.1\n", 2, RB_E_SYNTAX,
	     "status"},
	    {"bad-class", "rule a\n\tclass sometimes\n", 2, RB_E_SYNTAX,
	     "class"},
	    {"bad-hard", "rule a\n\thard maybe\n", 2, RB_E_SYNTAX, "hard"},
	    {"bad-fault", "rule a\n\tfault nobody\n", 2, RB_E_SYNTAX, "fault"},
	    {"bad-on", "rule a\n\ton headers\n", 2, RB_E_SYNTAX, "on"},
	    {"bad-id", "rule Bad/Id\n", 1, RB_E_SYNTAX, "rule id"},
	    {"empty-id", "rule\n", 1, RB_E_SYNTAX, "rule id"},
	    {"no-value", "rule a\n\treason\n", 2, RB_E_SYNTAX, "value"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_ruleset *set = rb_ruleset_new();
		struct rb_error err;
		char path[128], prefix[160];
		int rc;

		path_of(path, sizeof(path), "bad.rules");
		write_file(path, rows[i].text);
		rb_error_clear(&err);
		rc = rb_ruleset_load_file(set, path, &err);
		CHECK_INT(rows[i].name, "return", rc, -1);
		(void)snprintf(prefix, sizeof(prefix), "%s:%u:", path,
			       rows[i].line);
		if (strncmp(err.msg, prefix, strlen(prefix)) != 0) {
			print_error(
			    "[%s] msg: got \"%s\", want prefix \"%s\"\n",
			    rows[i].name, err.msg, prefix);
			fail();
		}
		CHECK_CONTAINS(rows[i].name, "msg", err.msg, rows[i].says);
		CHECK_INT(rows[i].name, "code", err.code, rows[i].code);
		rb_ruleset_free(&set);
	}
}

static void test_load_missing(void **state)
{
	struct rb_ruleset *set = rb_ruleset_new();
	struct rb_error err;
	char path[128];

	(void)state;
	path_of(path, sizeof(path), "does-not-exist.rules");
	rb_error_clear(&err);
	CHECK_INT("missing-file", "return",
		  rb_ruleset_load_file(set, path, &err), -1);
	CHECK_INT("missing-file", "code", err.code, RB_E_IO);
	CHECK_CONTAINS("missing-file", "msg", err.msg, "does-not-exist");
	path_of(path, sizeof(path), "no-such-dir");
	rb_error_clear(&err);
	CHECK_INT("missing-dir", "return", rb_ruleset_load_dir(set, path, &err),
		  -1);
	CHECK_INT("missing-dir", "code", err.code, RB_E_IO);
	CHECK_INT("missing", "rules", set->n, 0);
	rb_ruleset_free(&set);
}

/* A later file (in name order) replaces a rule with the same id. */
static void test_replace_by_id(void **state)
{
	struct rb_ruleset *set = rb_ruleset_new();
	struct rb_rule_matcher *m = rb_rule_matcher_new();
	struct rb_rule_subject subj;
	struct rb_error err;
	char dir[128], path[192];
	const struct rb_rule *r;

	(void)state;
	path_of(dir, sizeof(dir), "dir");
	assert_int_equal(mkdir(dir, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/20-user.rules", dir);
	write_file(path, "rule same\n\treason blocked\n\tmatch nope\n");
	(void)snprintf(path, sizeof(path), "%s/10-base.rules", dir);
	write_file(path, "rule same\n\treason mailboxfull\n\tmatch full\n"
			 "rule other\n\treason expired\n\tmatch late\n");
	(void)snprintf(path, sizeof(path), "%s/README", dir);
	write_file(path, "this is not a rule file\n");
	rb_error_clear(&err);
	if (rb_ruleset_load_dir(set, dir, &err) != 0) {
		print_error("load_dir: %s\n", err.msg);
		fail();
	}
	CHECK_INT("replace", "rules", set->n, 2);
	r = find_rule(set, "same");
	NEED(r);
	CHECK_STR("replace", "reason", r->reason, "blocked");
	CHECK_CONTAINS("replace", "file", r->file, "20-user.rules");
	memset(&subj, 0, sizeof(subj));
	subj.diagnostic = "mailbox full";
	CHECK_TRUE("replace", "old pattern gone",
		   rb_rules_match(set, m, RB_RULE_GENERIC, true, &subj, NULL,
				  0) == NULL);
	subj.diagnostic = "nope";
	r = rb_rules_match(set, m, RB_RULE_GENERIC, true, &subj, NULL, 0);
	CHECK_STR("replace", "new pattern", r ? r->id : NULL, "same");
	rb_rule_matcher_free(&m);
	assert_null(m);
	rb_ruleset_free(&set);
}

/* "example" lines are kept with their rule and checked through the whole
 * decision: a good example passes, one the rule does not match fails with
 * the rule's file:line, and a rule shadowed by an earlier override with
 * another reason fails too. */
static void test_examples(void **state)
{
	struct rb_ruleset *set = rb_ruleset_new();
	struct rb_classifier c;
	struct rb_example_stats st;
	struct rb_error err;
	char path[192], *buf = NULL;
	size_t blen = 0, failed;
	FILE *out;
	const struct rb_rule *r;

	(void)state;
	path_of(path, sizeof(path), "examples.rules");
	write_file(path, "rule shadow\n\tclass override\n\treason blocked\n"
			 "\tmatch \\bgo away\\b\n"
			 "rule full\n\treason mailboxfull\n"
			 "\tmatch \\bmailbox\\s+full\\b\n"
			 "\texample 552 5.2.2 <a@example.com>... Mailbox full\n"
			 "\texample 552 quota exceeded\n"
			 "rule unknown\n\treason userunknown\n"
			 "\tmatch \\bno such user\\b\n"
			 "\texample 550 no such user, go away\n");
	rb_error_clear(&err);
	assert_int_equal(rb_ruleset_load_file(set, path, &err), 0);
	rb_ruleset_prepare(set);
	r = find_rule(set, "full");
	NEED(r);
	CHECK_INT("examples", "kept", r->nexamples, 2);
	memset(&c, 0, sizeof(c));
	c.rules = set;
	c.matcher = rb_rule_matcher_new();
	rb_limits_default(&c.limits);
	out = open_memstream(&buf, &blen);
	assert_non_null(out);
	failed = rb_rules_check_examples(set, &c, &st, out);
	(void)fclose(out);
	CHECK_INT("examples", "failed", failed, 2);
	CHECK_INT("examples", "checked", st.examples, 3);
	CHECK_INT("examples", "rules with examples", st.with_examples, 2);
	CHECK_CONTAINS("examples", "no match", buf,
		       "examples.rules:5: rule full: example \"552 quota exceeded\"");
	CHECK_CONTAINS("examples", "shadowed", buf,
		       "rule unknown: example \"550 no such user, go away\" gave reason blocked (rule:shadow)");
	free(buf);
	rb_rule_matcher_free(&c.matcher);
	rb_ruleset_free(&set);
}

static void test_match(void **state)
{
	static const struct {
		const char *name;
		enum rb_rule_class klass;
		bool want_reason;
		const char *diagnostic;
		const char *subject;
		const char *body;
		const char *from;
		const char *status;
		const char *want;     /* rule id or NULL */
		const char *evidence; /* when want != NULL */
	} rows[] = {
	    {"override-diag", RB_RULE_OVERRIDE, true,
	     "550 5.1.1 No such user here", NULL, NULL, NULL, NULL, "t-user",
	     "No such user"},
	    {"override-second-match-line", RB_RULE_OVERRIDE, true,
	     "said: user unknown", NULL, NULL, NULL, NULL, "t-user",
	     "user unknown"},
	    {"override-on-subject", RB_RULE_OVERRIDE, true, NULL,
	     "User Unknown", NULL, NULL, NULL, "t-user", "User Unknown"},
	    {"override-not-on-body", RB_RULE_OVERRIDE, true, NULL, NULL,
	     "user unknown", NULL, NULL, NULL, NULL},
	    {"class-filter", RB_RULE_OVERRIDE, true, "mailbox is full", NULL,
	     NULL, NULL, NULL, NULL, NULL},
	    {"file-order", RB_RULE_GENERIC, true, "mailbox is full", NULL, NULL,
	     NULL, NULL, "t-full", "mailbox is full"},
	    {"file-order-later", RB_RULE_GENERIC, true, "disk full", NULL, NULL,
	     NULL, NULL, "t-full-later", "full"},
	    {"fallback", RB_RULE_FALLBACK, true, "you are blocked", NULL, NULL,
	     NULL, NULL, "t-fallback", "blocked"},
	    {"fallback-not-generic", RB_RULE_GENERIC, true, "you are blocked",
	     NULL, NULL, NULL, NULL, NULL, NULL},
	    {"fallback-on-body", RB_RULE_FALLBACK, true, NULL, NULL,
	     "Hello, I am away until Monday", NULL, NULL, "t-body",
	     "I am away"},
	    {"if-status-yes", RB_RULE_GENERIC, true, "too many connections",
	     NULL, NULL, NULL, "4.7.0", "t-if-status", "too many"},
	    {"if-status-no", RB_RULE_GENERIC, true, "too many connections",
	     NULL, NULL, NULL, "5.7.0", NULL, NULL},
	    {"if-status-none", RB_RULE_GENERIC, true, "too many connections",
	     NULL, NULL, NULL, NULL, NULL, NULL},
	    {"if-from-yes", RB_RULE_GENERIC, true, "message rejected", NULL,
	     NULL, "mailer@special.example", NULL, "t-if-from", "rejected"},
	    {"if-from-no", RB_RULE_GENERIC, true, "message rejected", NULL,
	     NULL, "mailer@other.example", NULL, NULL, NULL},
	    {"if-from-none", RB_RULE_GENERIC, true, "message rejected", NULL,
	     NULL, NULL, NULL, NULL, NULL},
	    {"blocklist-not-a-reason", RB_RULE_GENERIC, true,
	     "listed at zen.spamhaus.org", NULL, NULL, NULL, NULL, NULL, NULL},
	    {"blocklist", RB_RULE_GENERIC, false, "listed at zen.spamhaus.org",
	     NULL, NULL, NULL, NULL, "t-bl", "zen.spamhaus.org"},
	    {"reason-rule-not-a-blocklist", RB_RULE_OVERRIDE, false,
	     "no such user", NULL, NULL, NULL, NULL, NULL, NULL},
	    {"nothing", RB_RULE_GENERIC, true, "all good", "hello", "body",
	     "a@b.example", "2.0.0", NULL, NULL},
	    {"empty-subject", RB_RULE_GENERIC, true, "", "", "", "", "", NULL,
	     NULL},
	    /* \S over a multi-byte letter: PCRE2 10.42's JIT misses it, the
	     * interpreter (used for such patterns on non-ASCII text) not */
	    {"negated-type-utf8", RB_RULE_GENERIC, true,
	     "zzq\xd1\x8c\xd1\x8c yy", NULL, NULL, NULL, NULL, "t-neg-type",
	     "zzq\xd1\x8c\xd1\x8c yy"},
	    {"negated-type-ascii", RB_RULE_GENERIC, true, "zzqab yy", NULL,
	     NULL, NULL, NULL, "t-neg-type", "zzqab yy"},
	};
	struct rb_ruleset *set = load_valid();
	struct rb_rule_matcher *m = rb_rule_matcher_new();

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_rule_subject subj;
		const struct rb_rule *r;
		char ev[64];

		memset(&subj, 0, sizeof(subj));
		subj.diagnostic = rows[i].diagnostic;
		subj.subject = rows[i].subject;
		subj.body = rows[i].body;
		subj.from = rows[i].from;
		subj.status = rows[i].status;
		ev[0] = '\0';
		r = rb_rules_match(set, m, rows[i].klass, rows[i].want_reason,
				   &subj, ev, sizeof(ev));
		CHECK_STR(rows[i].name, "rule", r ? r->id : NULL, rows[i].want);
		if (r != NULL)
			CHECK_STR(rows[i].name, "evidence", ev,
				  rows[i].evidence);
	}
	rb_rule_matcher_free(&m);
	rb_ruleset_free(&set);
}

/* Evidence is cut to the buffer and always terminated. */
static void test_evidence_capped(void **state)
{
	struct rb_ruleset *set = load_valid();
	struct rb_rule_matcher *m = rb_rule_matcher_new();
	struct rb_rule_subject subj;
	const struct rb_rule *r;
	char ev[5];

	(void)state;
	memset(&subj, 0, sizeof(subj));
	subj.diagnostic = "no such mailbox";
	memset(ev, 'x', sizeof(ev));
	r = rb_rules_match(set, m, RB_RULE_OVERRIDE, true, &subj, ev,
			   sizeof(ev));
	CHECK_STR("capped", "rule", r ? r->id : NULL, "t-user");
	CHECK_STR("capped", "evidence", ev, "no s");
	/* no evidence buffer at all */
	r = rb_rules_match(set, m, RB_RULE_OVERRIDE, true, &subj, NULL, 0);
	CHECK_STR("no-buffer", "rule", r ? r->id : NULL, "t-user");
	rb_rule_matcher_free(&m);
	rb_ruleset_free(&set);
}

static void test_reason_lookup(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} rows[] = {
	    {"userunknown", "userunknown"},
	    {"mailboxfull", "mailboxfull"},
	    {"undefined", "undefined"},
	    {"UserUnknown", NULL},
	    {"nosuch", NULL},
	    {"", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_STR(rows[i].in, "rb_reason_lookup",
			  rb_reason_lookup(rows[i].in), rows[i].want);
}

static int group_setup(void **state)
{
	(void)state;
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/rb-test-rules-XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	static const char *const files[] = {
	    "valid.rules",       "bad.rules",  "dir/10-base.rules",
	    "dir/20-user.rules", "dir/README", "examples.rules",
	};
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path_of(path, sizeof(path), files[i]);
		(void)unlink(path);
	}
	path_of(path, sizeof(path), "dir");
	(void)rmdir(path);
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_valid),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_load_missing),
	    cmocka_unit_test(test_replace_by_id),
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_examples),
	    cmocka_unit_test(test_evidence_capped),
	    cmocka_unit_test(test_reason_lookup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
