/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/examples.c - every rule's "example" lines, decided as a bounce
 * would be: the text a rule claims to recognise must give the rule's
 * reason and blocklist through the whole decision order, so a pattern
 * that no longer matches, or a rule shadowed by an earlier one with
 * another meaning, is found before a real bounce finds it.
 */
#include <stdio.h>
#include <string.h>

#include "bounce/classify.h"
#include "bounce/examples.h"
#include "bounce/rules.h"
#include "core/str.h"

/* The first prefix of an if-status list as a whole code: "5.1." gives
 * "5.1.0", "4." gives "4.0.0". */
static void status_for(const char *if_status, char out[RB_STATUS_MAX])
{
	char buf[RB_STATUS_MAX], tmp[2 * RB_STATUS_MAX];
	size_t n = strcspn(if_status, ",");
	int dots = 0;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, if_status, n);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		dots += buf[i] == '.';
	if (n > 0 && buf[n - 1] == '.')
		(void)snprintf(tmp, sizeof(tmp), "%s%s", buf,
			       dots == 1 ? "0.0" : "0");
	else
		(void)snprintf(tmp, sizeof(tmp), "%s%s", buf,
			       dots == 0 ? ".0.0" : dots == 1 ? ".0" : "");
	rb_strlcpy(out, tmp, RB_STATUS_MAX);
}

static int check_one(const struct rb_rule *rule, const char *ex,
		     struct rb_classifier *c, FILE *out)
{
	struct rb_report *r = rb_report_new();
	struct rb_rcpt *rc = rb_report_add_rcpt(r, 1);
	char *text = rb_arena_strdup(r->arena, ex);
	unsigned on = rule->on ? rule->on : RB_RULE_ON_DIAGNOSTIC;
	int bad;

	rc->kind = RB_KIND_BOUNCE;
	rc->action = "failed";
	rc->recipient = "someone@example.com";
	if (on & RB_RULE_ON_DIAGNOSTIC)
		rc->diagnostic = text;
	if (on & RB_RULE_ON_SUBJECT)
		r->subject = text;
	if (on & RB_RULE_ON_BODY) {
		r->text = text;
		r->text_len = r->expl_len = strlen(text);
	}
	if (on & RB_RULE_ON_FROM)
		r->from = text;
	if (on & RB_RULE_ON_HOST)
		rc->remote_mta = text;
	if (rule->if_status != NULL) {
		status_for(rule->if_status, rc->status);
		rc->status_from = "dsn";
	}
	rb_bounce_decide(r, rc, c);
	bad = (rule->reason != NULL &&
	       (rc->reason == NULL || strcmp(rc->reason, rule->reason) != 0)) ||
	      (rule->blocklist != NULL &&
	       strcmp(rule->blocklist, RB_BLOCKLIST_NONE) == 0 &&
	       (rc->blocklist != NULL || rc->blocklist_rule == NULL ||
		strcmp(rc->blocklist_rule, rule->id) != 0)) ||
	      (rule->blocklist != NULL &&
	       strcmp(rule->blocklist, RB_BLOCKLIST_NONE) != 0 &&
	       (rc->blocklist == NULL || strcmp(rc->blocklist, rule->blocklist) != 0));
	if (bad && out != NULL)
		fprintf(out,
			"%s:%u: rule %s: example \"%s\" gave reason %s (%s)"
			", blocklist %s; the rule says %s, %s\n",
			rule->file, rule->line, rule->id, ex,
			rc->reason ? rc->reason : "-", rc->rule ? rc->rule : "-",
			rc->blocklist ? rc->blocklist : "-",
			rule->reason ? rule->reason : "-",
			rule->blocklist ? rule->blocklist : "-");
	rb_report_free(&r);
	return bad;
}

size_t rb_rules_check_examples(const struct rb_ruleset *set,
			       struct rb_classifier *c,
			       struct rb_example_stats *st, FILE *out)
{
	size_t failed = 0;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < set->n; i++) {
		const struct rb_rule *rule = &set->rules[i];

		st->rules++;
		if (rule->nexamples == 0)
			continue;
		st->with_examples++;
		/* a condition on the bounce's sender or host cannot be
		 * stood in for by the example text */
		if (rule->if_from != NULL || rule->if_host != NULL) {
			st->skipped += rule->nexamples;
			continue;
		}
		for (size_t k = 0; k < rule->nexamples; k++) {
			st->examples++;
			failed += (size_t)check_one(rule, rule->examples[k], c, out);
		}
	}
	st->failed = failed;
	return failed;
}
