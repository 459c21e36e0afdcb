/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/pipeline.h - the thin driver that joins the layers: bytes ->
 * parsers -> fbl -> bounce. Holds the loaded configuration and rule set.
 * One pipeline per thread.
 */
#ifndef REBOUND_CLI_PIPELINE_H
#define REBOUND_CLI_PIPELINE_H

#include "bounce/classify.h"
#include "fbl/trust.h"
#include "core/config.h"
#include "parsers/parse.h"

struct rb_pipeline {
	struct rb_config *cfg;
	struct rb_ruleset *rules;
	struct rb_parse_opts popts;
	struct rb_classifier cls;
};

/* Loads the configuration (@conf_path may be NULL for defaults) and the
 * rules. Returns 0, or -1 with the reason in @err. */
int rb_pipeline_init(struct rb_pipeline *p, const char *conf_path,
		     struct rb_error *err);
void rb_pipeline_deinit(struct rb_pipeline *p);

/* Parses and classifies one message. Returns (owned) the report. */
struct rb_report *rb_pipeline_run(struct rb_pipeline *p, const char *buf,
				  size_t len);

/*
 * Applies the complaint trust policy to @r as it arrived from @o: an
 * untrusted complaint becomes a quarantine entry (kind unknown, no
 * recipient, the reason in rule) so it suppresses nothing. Returns true
 * when @r is a trusted complaint-type report.
 */
bool rb_pipeline_trust(struct rb_report *r, const struct rb_fbl_origin *o);

#endif
