/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/config.c - libconfig 1.5 loader with a schema: every group's members
 * are checked against the known names and types, so a typo is an error with
 * its line number, not a silent default.
 */
#include <libconfig.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/mem.h"
#include "core/str.h"

enum key_type { K_GROUP, K_INT, K_UINT, K_STRING, K_STRLIST, K_ENUM, K_THRESH,
		K_OWN /* checked by its own loader (core/sources.c) */ };

struct key {
	const char *group; /* "" for top level */
	const char *name;
	enum key_type type;
	const char *choices; /* K_ENUM: "a|b|c" */
};

#define SCOPES "global|sender|none"

static const struct key schema[] = {
	{"", "limits", K_GROUP, NULL},
	{"", "parse", K_GROUP, NULL},
	{"", "rules", K_GROUP, NULL},
	{"", "database", K_GROUP, NULL},
	{"", "suppression", K_GROUP, NULL},
	{"", "reputation", K_GROUP, NULL},
	{"", "sources", K_OWN, NULL},
	{"", "run", K_OWN, NULL},
	{"limits", "max_message_size", K_INT, NULL},
	{"limits", "max_parts", K_INT, NULL},
	{"limits", "max_depth", K_INT, NULL},
	{"limits", "max_header_line", K_INT, NULL},
	{"limits", "max_fields", K_INT, NULL},
	{"limits", "max_blocks", K_INT, NULL},
	{"limits", "max_part_bytes", K_INT, NULL},
	{"limits", "max_text_bytes", K_INT, NULL},
	{"limits", "max_recipients", K_INT, NULL},
	{"parse", "tracking_headers", K_STRLIST, NULL},
	{"parse", "verp", K_STRING, NULL},
	{"parse", "outbound_networks", K_STRLIST, NULL},
	{"rules", "files", K_STRLIST, NULL},
	{"rules", "dir", K_STRING, NULL},
	{"database", "conninfo", K_STRING, NULL},
	{"database", "batch_size", K_INT, NULL},
	{"database", "keep_raw_days", K_UINT, NULL},
	{"database", "retries", K_INT, NULL},
	{"database", "retry_delay_ms", K_INT, NULL},
	{"suppression", "hard_scope", K_ENUM, SCOPES},
	{"suppression", "hard_ttl_days", K_UINT, NULL},
	{"suppression", "complaint_scope", K_ENUM, SCOPES},
	{"suppression", "complaint_types", K_STRLIST, NULL},
	{"suppression", "complaint_ttl_days", K_UINT, NULL},
	{"suppression", "soft_scope", K_ENUM, SCOPES},
	{"suppression", "soft_reasons", K_STRLIST, NULL},
	{"suppression", "soft_count", K_INT, NULL},
	{"suppression", "soft_days", K_INT, NULL},
	{"suppression", "soft_ttl_days", K_UINT, NULL},
	{"reputation", "complaints", K_THRESH, NULL},
	{"reputation", "hard_bounces", K_THRESH, NULL},
	{"reputation", "blocks", K_THRESH, NULL},
	{"reputation", "fbl_domains", K_STRLIST, NULL},
};

static const char *type_name(enum key_type t)
{
	switch (t) {
	case K_GROUP:
		return "a group";
	case K_INT:
		return "an integer";
	case K_UINT:
		return "a non-negative integer";
	case K_STRING:
		return "a string";
	case K_STRLIST:
		return "a list of strings";
	case K_ENUM:
		return "one of";
	case K_THRESH:
		return "a list of three percentages (warn, throttle, block), "
		       "ascending, 0 to 100";
	case K_OWN:
		return "as documented";
	}
	return "?";
}

static bool number_of(config_setting_t *e, double *v_r)
{
	switch (config_setting_type(e)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*v_r = (double)config_setting_get_int64(e);
		return true;
	case CONFIG_TYPE_FLOAT:
		*v_r = config_setting_get_float(e);
		return true;
	default:
		return false;
	}
}

/* Three numbers in [0, 100], each at least the one before. */
static bool thresh_ok(config_setting_t *s)
{
	int ty = config_setting_type(s);
	double prev = 0;

	if ((ty != CONFIG_TYPE_ARRAY && ty != CONFIG_TYPE_LIST) ||
	    config_setting_length(s) != 3)
		return false;
	for (unsigned i = 0; i < 3; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);
		double v;

		if (e == NULL || !number_of(e, &v) || v < prev || v > 100)
			return false;
		prev = v;
	}
	return true;
}

/* Is @v one of the '|'-separated @choices? */
static bool choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = choices; p != NULL && *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static bool type_ok(config_setting_t *s, enum key_type t)
{
	int ty = config_setting_type(s);

	switch (t) {
	case K_GROUP:
		return ty == CONFIG_TYPE_GROUP;
	case K_INT:
	case K_UINT:
		return ty == CONFIG_TYPE_INT || ty == CONFIG_TYPE_INT64;
	case K_STRING:
	case K_ENUM:
		return ty == CONFIG_TYPE_STRING;
	case K_THRESH:
		return thresh_ok(s);
	case K_OWN:
		return true;
	case K_STRLIST:
		if (ty != CONFIG_TYPE_ARRAY && ty != CONFIG_TYPE_LIST)
			return false;
		for (int i = 0; i < config_setting_length(s); i++) {
			config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

			if (e == NULL ||
			    config_setting_type(e) != CONFIG_TYPE_STRING)
				return false;
		}
		return true;
	}
	return false;
}

static int where_err(struct rb_error *err, const char *path,
		     config_setting_t *s, const char *fmt, const char *a,
		     const char *b)
{
	const char *file = config_setting_source_file(s);

	return rb_error_set(err, RB_E_CONFIG, "%s:%u: %s%s%s",
			    file ? file : path, config_setting_source_line(s),
			    fmt, a ? a : "", b ? b : "");
}

static int check_group(config_setting_t *g, const char *gname,
		       const char *path, struct rb_error *err)
{
	int n = config_setting_length(g);

	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct key *k = NULL;
		char what[160];

		for (size_t j = 0; j < sizeof(schema) / sizeof(schema[0]); j++) {
			if (strcmp(schema[j].group, gname) == 0 &&
			    strcmp(schema[j].name, name ? name : "") == 0) {
				k = &schema[j];
				break;
			}
		}
		if (k == NULL) {
			(void)snprintf(what, sizeof(what), "%s%s%s", gname,
				       *gname ? "." : "", name ? name : "?");
			return where_err(err, path, s, "unknown setting '",
					 what, "'");
		}
		if (!type_ok(s, k->type)) {
			(void)snprintf(what, sizeof(what), "%s%s%s' must be %s",
				       gname, *gname ? "." : "", name,
				       type_name(k->type));
			return where_err(err, path, s, "setting '", what, "");
		}
		if (k->type == K_ENUM &&
		    !choice_ok(k->choices, config_setting_get_string(s))) {
			(void)snprintf(what, sizeof(what),
				       "%s%s%s' must be one of %s", gname,
				       *gname ? "." : "", name, k->choices);
			return where_err(err, path, s, "setting '", what, "");
		}
		if (k->type == K_INT || k->type == K_UINT) {
			long long v = config_setting_get_int64(s);

			if (v < (k->type == K_INT ? 1 : 0) || v > (1LL << 40))
				return where_err(err, path, s, "setting '",
						 name, "' is out of range");
		}
		if (k->type == K_GROUP &&
		    check_group(s, name, path, err) < 0)
			return -1;
	}
	return 0;
}

static char **copy_list(config_setting_t *s, size_t *n_r)
{
	int n = config_setting_length(s);
	char **v = rb_xcalloc((size_t)n + 1, sizeof(char *));

	for (int i = 0; i < n; i++)
		v[i] = rb_xstrdup(config_setting_get_string_elem(s, i));
	*n_r = (size_t)n;
	return v;
}

static char **list_of(const char *const *def, size_t n, size_t *n_r)
{
	char **v = rb_xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		v[i] = rb_xstrdup(def[i]);
	*n_r = n;
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void set_default_policy(struct rb_config *c)
{
	static const char *const soft[] = {RB_DEF_SOFT_REASONS};
	static const char *const types[] = {RB_DEF_COMPLAINT_TYPES};
	static const char *const fbl[] = {RB_DEF_FBL_DOMAINS};
	struct rb_suppression_config *p = &c->suppression;
	struct rb_reputation_config *r = &c->reputation;

	p->hard_scope = rb_xstrdup("global");
	p->complaint_scope = rb_xstrdup("sender");
	p->complaint_types = list_of(types, sizeof(types) / sizeof(types[0]),
				     &p->n_complaint_types);
	p->soft_scope = rb_xstrdup("global");
	p->soft_reasons = list_of(soft, sizeof(soft) / sizeof(soft[0]),
				  &p->n_soft_reasons);
	p->soft_count = RB_DEF_SOFT_COUNT;
	p->soft_days = RB_DEF_SOFT_DAYS;
	p->soft_ttl_days = RB_DEF_SOFT_TTL_DAYS;
	r->complaint[0] = 0.1;
	r->complaint[1] = 0.3;
	r->complaint[2] = 0.5;
	r->hard[0] = 2;
	r->hard[1] = 5;
	r->hard[2] = 10;
	r->block[0] = 1;
	r->block[1] = 3;
	r->block[2] = 5;
	r->fbl_domains = list_of(fbl, sizeof(fbl) / sizeof(fbl[0]),
				 &r->n_fbl_domains);
}

static void set_default_headers(struct rb_config *c)
{
	static const char *def[] = {RB_DEF_TRACKING_HEADERS};
	size_t n = sizeof(def) / sizeof(def[0]);

	c->tracking_headers = rb_xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		c->tracking_headers[i] = rb_xstrdup(def[i]);
	c->n_tracking_headers = n;
}

struct rb_config *rb_config_default(void)
{
	struct rb_config *c = rb_xcalloc(1, sizeof(*c));

	c->path = rb_xstrdup("");
	rb_limits_default(&c->limits);
	set_default_headers(c);
	c->verp = rb_xstrdup(RB_DEF_VERP);
	c->rule_files = rb_xcalloc(1, sizeof(char *));
	c->rules_dir = rb_xstrdup("");
	c->database.conninfo = rb_xstrdup("");
	c->database.batch_size = RB_DEF_DB_BATCH_SIZE;
	c->database.keep_raw_days = 0;
	c->database.retries = RB_DEF_DB_RETRIES;
	c->database.retry_delay_ms = RB_DEF_DB_RETRY_DELAY_MS;
	set_default_policy(c);
	return c;
}

static void get_size(config_t *cfg, const char *path, size_t *out)
{
	long long v;

	if (config_lookup_int64(cfg, path, &v) == CONFIG_TRUE)
		*out = (size_t)v;
	else {
		int iv;

		if (config_lookup_int(cfg, path, &iv) == CONFIG_TRUE)
			*out = (size_t)iv;
	}
}

static void get_str(config_t *cfg, const char *path, char **out)
{
	const char *str;

	if (config_lookup_string(cfg, path, &str) == CONFIG_TRUE) {
		free(*out);
		*out = rb_xstrdup(str);
	}
}

static void get_list(config_t *cfg, const char *path, char ***v, size_t *n)
{
	config_setting_t *s = config_lookup(cfg, path);

	if (s != NULL) {
		free_list(*v, *n);
		*v = copy_list(s, n);
	}
}

static void get_thresh(config_t *cfg, const char *path, double out[3])
{
	config_setting_t *s = config_lookup(cfg, path);

	if (s == NULL)
		return;
	for (unsigned i = 0; i < 3; i++)
		(void)number_of(config_setting_get_elem(s, i), &out[i]);
}

/* parse.outbound_networks: each entry must be an IP network. */
static int load_networks(config_t *cfg, const char *path, struct rb_config *c,
			 struct rb_error *err)
{
	config_setting_t *s = config_lookup(cfg, "parse.outbound_networks");
	int n;

	if (s == NULL)
		return 0;
	n = config_setting_length(s);
	c->outbound = rb_xcalloc((size_t)n + 1, sizeof(*c->outbound));
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);

		if (rb_net_parse(v, &c->outbound[i]) < 0)
			return rb_error_set(err, RB_E_CONFIG,
					    "%s:%d: parse.outbound_networks: '%s' is no IP network (192.0.2.0/24, 2001:db8::/32)",
					    path, config_setting_source_line(e), v);
	}
	c->n_outbound = (size_t)n;
	return 0;
}

/* The suppression and reputation groups (already checked by the schema). */
static void load_policy(config_t *cfg, struct rb_config *c)
{
	struct rb_suppression_config *p = &c->suppression;
	struct rb_reputation_config *r = &c->reputation;

	get_str(cfg, "suppression.hard_scope", &p->hard_scope);
	get_size(cfg, "suppression.hard_ttl_days", &p->hard_ttl_days);
	get_str(cfg, "suppression.complaint_scope", &p->complaint_scope);
	get_list(cfg, "suppression.complaint_types", &p->complaint_types,
		 &p->n_complaint_types);
	get_size(cfg, "suppression.complaint_ttl_days",
		 &p->complaint_ttl_days);
	get_str(cfg, "suppression.soft_scope", &p->soft_scope);
	get_list(cfg, "suppression.soft_reasons", &p->soft_reasons,
		 &p->n_soft_reasons);
	get_size(cfg, "suppression.soft_count", &p->soft_count);
	get_size(cfg, "suppression.soft_days", &p->soft_days);
	get_size(cfg, "suppression.soft_ttl_days", &p->soft_ttl_days);
	get_thresh(cfg, "reputation.complaints", r->complaint);
	get_thresh(cfg, "reputation.hard_bounces", r->hard);
	get_thresh(cfg, "reputation.blocks", r->block);
	get_list(cfg, "reputation.fbl_domains", &r->fbl_domains,
		 &r->n_fbl_domains);
}

struct rb_config *rb_config_load(const char *path, struct rb_error *err)
{
	config_t cfg;
	struct rb_config *c;
	config_setting_t *s;
	const char *str;

	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			rb_error_set(err, RB_E_IO, "%s: cannot read file",
				     path);
		else
			rb_error_set(err, RB_E_CONFIG, "%s:%d: %s",
				     config_error_file(&cfg)
					     ? config_error_file(&cfg)
					     : path,
				     config_error_line(&cfg),
				     config_error_text(&cfg));
		config_destroy(&cfg);
		return NULL;
	}
	if (check_group(config_root_setting(&cfg), "", path, err) < 0) {
		config_destroy(&cfg);
		return NULL;
	}
	c = rb_config_default();
	free(c->path);
	c->path = rb_xstrdup(path);
	get_size(&cfg, "limits.max_message_size", &c->limits.max_message_size);
	get_size(&cfg, "limits.max_parts", &c->limits.max_parts);
	get_size(&cfg, "limits.max_depth", &c->limits.max_depth);
	get_size(&cfg, "limits.max_header_line", &c->limits.max_header_line);
	get_size(&cfg, "limits.max_fields", &c->limits.max_fields);
	get_size(&cfg, "limits.max_blocks", &c->limits.max_blocks);
	get_size(&cfg, "limits.max_part_bytes", &c->limits.max_part_bytes);
	get_size(&cfg, "limits.max_text_bytes", &c->limits.max_text_bytes);
	get_size(&cfg, "limits.max_recipients", &c->limits.max_recipients);
	if ((s = config_lookup(&cfg, "parse.tracking_headers")) != NULL) {
		for (size_t i = 0; i < c->n_tracking_headers; i++)
			free(c->tracking_headers[i]);
		free(c->tracking_headers);
		c->tracking_headers = copy_list(s, &c->n_tracking_headers);
	}
	if (config_lookup_string(&cfg, "parse.verp", &str) == CONFIG_TRUE) {
		free(c->verp);
		c->verp = rb_xstrdup(str);
	}
	if (load_networks(&cfg, path, c, err) < 0) {
		config_destroy(&cfg);
		rb_config_free(&c);
		return NULL;
	}
	if ((s = config_lookup(&cfg, "rules.files")) != NULL) {
		free(c->rule_files);
		c->rule_files = copy_list(s, &c->n_rule_files);
	}
	if (config_lookup_string(&cfg, "rules.dir", &str) == CONFIG_TRUE) {
		free(c->rules_dir);
		c->rules_dir = rb_xstrdup(str);
	}
	if (config_lookup_string(&cfg, "database.conninfo", &str) ==
	    CONFIG_TRUE) {
		free(c->database.conninfo);
		c->database.conninfo = rb_xstrdup(str);
	}
	get_size(&cfg, "database.batch_size", &c->database.batch_size);
	get_size(&cfg, "database.keep_raw_days", &c->database.keep_raw_days);
	get_size(&cfg, "database.retries", &c->database.retries);
	get_size(&cfg, "database.retry_delay_ms", &c->database.retry_delay_ms);
	load_policy(&cfg, c);
	if (rb_sources_load(&cfg, path, &c->run, err) < 0) {
		config_destroy(&cfg);
		rb_config_free(&c);
		return NULL;
	}
	config_destroy(&cfg);
	return c;
}

void rb_config_free(struct rb_config **cp)
{
	struct rb_config *c;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	rb_run_config_clear(&c->run);
	for (size_t i = 0; i < c->n_tracking_headers; i++)
		free(c->tracking_headers[i]);
	free(c->tracking_headers);
	for (size_t i = 0; i < c->n_rule_files; i++)
		free(c->rule_files[i]);
	free(c->rule_files);
	free(c->verp);
	free(c->outbound);
	free(c->rules_dir);
	free(c->database.conninfo);
	free(c->suppression.hard_scope);
	free(c->suppression.complaint_scope);
	free(c->suppression.soft_scope);
	free_list(c->suppression.complaint_types,
		  c->suppression.n_complaint_types);
	free_list(c->suppression.soft_reasons, c->suppression.n_soft_reasons);
	free_list(c->reputation.fbl_domains, c->reputation.n_fbl_domains);
	free(c->path);
	free(c);
	*cp = NULL;
}
