/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/pipeline.c - parse, then complaints (fbl/), then bounces (bounce/).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/pipeline.h"
#include "fbl/arf.h"

#ifndef REBOUND_RULES_DIR
#define REBOUND_RULES_DIR "/usr/share/rebound/rules"
#endif

static const char *rules_dir(const struct rb_config *cfg)
{
	const char *env = getenv("REBOUND_RULES_DIR");
	struct stat st;

	if (cfg->rules_dir[0] != '\0')
		return cfg->rules_dir;
	if (env != NULL && *env != '\0')
		return env;
	if (stat(REBOUND_RULES_DIR, &st) == 0)
		return REBOUND_RULES_DIR;
	return REBOUND_INSTALLED_RULES_DIR;
}

int rb_pipeline_init(struct rb_pipeline *p, const char *conf_path,
		     struct rb_error *err)
{
	memset(p, 0, sizeof(*p));
	p->cfg = conf_path ? rb_config_load(conf_path, err) : rb_config_default();
	if (p->cfg == NULL)
		return -1;
	p->rules = rb_ruleset_new();
	if (rb_ruleset_load_dir(p->rules, rules_dir(p->cfg), err) < 0)
		goto fail;
	for (size_t i = 0; i < p->cfg->n_rule_files; i++) {
		if (rb_ruleset_load_user_file(p->rules, p->cfg->rule_files[i], err) < 0)
			goto fail;
	}
	rb_ruleset_prepare(p->rules);
	p->popts.limits = p->cfg->limits;
	p->popts.tracking_headers = (const char *const *)p->cfg->tracking_headers;
	p->popts.n_tracking_headers = p->cfg->n_tracking_headers;
	p->popts.verp = p->cfg->verp;
	p->popts.outbound = p->cfg->outbound;
	p->popts.n_outbound = p->cfg->n_outbound;
	p->cls.rules = p->rules;
	p->cls.matcher = rb_rule_matcher_new();
	p->cls.limits = p->cfg->limits;
	p->cls.outbound = p->cfg->outbound;
	p->cls.n_outbound = p->cfg->n_outbound;
	return 0;
fail:
	rb_ruleset_free(&p->rules);
	rb_config_free(&p->cfg);
	return -1;
}

void rb_pipeline_deinit(struct rb_pipeline *p)
{
	rb_rule_matcher_free(&p->cls.matcher);
	rb_ruleset_free(&p->rules);
	rb_config_free(&p->cfg);
}

struct rb_report *rb_pipeline_run(struct rb_pipeline *p, const char *buf,
				  size_t len)
{
	struct rb_report *r = rb_parse(buf, len, &p->popts);

	if (r->rule != NULL && r->n_headers == 0)
		return r; /* over a limit or unparseable: unknown */
	if (rb_fbl_classify(r, &p->popts.limits)) {
		rb_original_resolve_sender(r, &p->popts);
		rb_report_canon_rcpts(r);
		return r;
	}
	rb_bounce_classify(r, &p->cls);
	rb_report_canon_rcpts(r);
	return r;
}

bool rb_pipeline_trust(struct rb_report *r, const struct rb_fbl_origin *o)
{
	char why[200];

	if (!rb_fbl_is_complaint(r))
		return false;
	if (rb_fbl_trusted(r, o, why, sizeof(why)))
		return true;
	r->kind = RB_KIND_UNKNOWN;
	r->n_rcpts = 0;
	r->rule = rb_arena_strdup(r->arena, why);
	return false;
}
