/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/sources.c - the "sources" list and "run" group of rebound.conf.
 */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/sources.h"
#include "core/str.h"

enum kt { T_STR, T_UINT, T_BOOL, T_STRLIST };

struct skey {
	const char *name;
	enum kt type;
	size_t off; /* offset in struct rb_source_config */
};

#define OFF(f) offsetof(struct rb_source_config, f)

static const struct skey source_keys[] = {
	{"name", T_STR, OFF(name)},
	{"type", T_STR, OFF(type)},
	{"host", T_STR, OFF(host)},
	{"port", T_UINT, OFF(port)},
	{"tls", T_STR, OFF(tls)},
	{"ca_file", T_STR, OFF(ca_file)},
	{"user", T_STR, OFF(user)},
	{"password_file", T_STR, OFF(password_file)},
	{"password_env", T_STR, OFF(password_env)},
	{"mailbox", T_STR, OFF(mailbox)},
	{"processed_folder", T_STR, OFF(processed_folder)},
	{"quarantine_folder", T_STR, OFF(quarantine_folder)},
	{"notreport_folder", T_STR, OFF(notreport_folder)},
	{"idle", T_BOOL, OFF(idle)},
	{"poll_interval", T_UINT, OFF(poll_interval)},
	{"timeout", T_UINT, OFF(timeout)},
	{"path", T_STR, OFF(path)},
	{"processed_path", T_STR, OFF(processed_path)},
	{"quarantine_path", T_STR, OFF(quarantine_path)},
	{"notreport_path", T_STR, OFF(notreport_path)},
	{"batch", T_UINT, OFF(batch)},
	{"feedback_loop", T_STR, OFF(feedback_loop)},
	{"trusted_providers", T_STRLIST, OFF(trusted_providers)},
};

static int where(struct rb_error *err, const char *path, config_setting_t *s,
		 const char *what, const char *name)
{
	const char *file = config_setting_source_file(s);

	return rb_error_set(err, RB_E_CONFIG, "%s:%u: %s%s", file ? file : path,
			    config_setting_source_line(s), what,
			    name ? name : "");
}

static int read_source(config_setting_t *g, const char *path,
		       struct rb_source_config *sc, struct rb_error *err)
{
	int n = config_setting_length(g);

	memset(sc, 0, sizeof(*sc));
	sc->idle = true;
	sc->line = config_setting_source_line(g);
	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct skey *k = NULL;
		int ty = config_setting_type(s);
		char *base = (char *)sc;

		for (size_t j = 0; j < sizeof(source_keys) / sizeof(source_keys[0]); j++) {
			if (name != NULL && strcmp(source_keys[j].name, name) == 0)
				k = &source_keys[j];
		}
		if (k == NULL)
			return where(err, path, s, "unknown source setting ", name);
		switch (k->type) {
		case T_STR:
			if (ty != CONFIG_TYPE_STRING)
				return where(err, path, s, "must be a string: ", name);
			free(*(char **)(base + k->off));
			*(char **)(base + k->off) =
				rb_xstrdup(config_setting_get_string(s));
			break;
		case T_UINT: {
			long long v;

			if (ty != CONFIG_TYPE_INT && ty != CONFIG_TYPE_INT64)
				return where(err, path, s, "must be an integer: ", name);
			v = config_setting_get_int64(s);
			if (v < 0 || v > 1000000000LL ||
			    (k->off == OFF(port) && v > 65535))
				return where(err, path, s, "out of range: ", name);
			*(unsigned *)(base + k->off) = (unsigned)v;
			break;
		}
		case T_BOOL:
			if (ty != CONFIG_TYPE_BOOL)
				return where(err, path, s, "must be true or false: ", name);
			*(bool *)(base + k->off) = config_setting_get_bool(s) != 0;
			break;
		case T_STRLIST: {
			int m = config_setting_length(s);
			char **v;

			if (ty != CONFIG_TYPE_ARRAY && ty != CONFIG_TYPE_LIST)
				return where(err, path, s, "must be a list of strings: ", name);
			v = rb_xcalloc((size_t)m + 1, sizeof(char *));
			for (int e = 0; e < m; e++) {
				const char *str = config_setting_get_string_elem(s, e);

				if (str == NULL) {
					for (int f = 0; f < e; f++)
						free(v[f]);
					free(v);
					return where(err, path, s, "must be a list of strings: ", name);
				}
				v[e] = rb_xstrdup(str);
			}
			sc->trusted_providers = v;
			sc->n_trusted_providers = (size_t)m;
			break;
		}
		}
	}
	if (sc->name == NULL || *sc->name == '\0')
		return where(err, path, g, "a source needs a name", NULL);
	if (sc->type == NULL ||
	    (strcmp(sc->type, "imap") != 0 && strcmp(sc->type, "maildir") != 0))
		return where(err, path, g, "source type must be \"imap\" or \"maildir\": ",
			     sc->name);
	if (strcmp(sc->type, "imap") == 0 &&
	    (sc->host == NULL || sc->user == NULL ||
	     (sc->password_file == NULL && sc->password_env == NULL)))
		return where(err, path, g,
			     "an imap source needs host, user and password_file or password_env: ",
			     sc->name);
	if (strcmp(sc->type, "imap") == 0 && sc->tls != NULL &&
	    strcmp(sc->tls, "implicit") != 0 && strcmp(sc->tls, "starttls") != 0 &&
	    strcmp(sc->tls, "none-for-tests-only") != 0)
		return where(err, path, g, "tls must be \"implicit\" or \"starttls\": ",
			     sc->name);
	if (strcmp(sc->type, "maildir") == 0 &&
	    (sc->path == NULL || sc->processed_path == NULL ||
	     sc->quarantine_path == NULL))
		return where(err, path, g,
			     "a maildir source needs path, processed_path and quarantine_path: ",
			     sc->name);
	return 0;
}

static void source_clear(struct rb_source_config *sc)
{
	char *base = (char *)sc;

	for (size_t j = 0; j < sizeof(source_keys) / sizeof(source_keys[0]); j++) {
		if (source_keys[j].type == T_STR)
			free(*(char **)(base + source_keys[j].off));
	}
	for (size_t i = 0; i < sc->n_trusted_providers; i++)
		free(sc->trusted_providers[i]);
	free(sc->trusted_providers);
	memset(sc, 0, sizeof(*sc));
}

void rb_run_config_clear(struct rb_run_config *rc)
{
	for (size_t i = 0; i < rc->n_sources; i++)
		source_clear(&rc->sources[i]);
	free(rc->sources);
	free(rc->log_level);
	memset(rc, 0, sizeof(*rc));
}

int rb_sources_load(void *cfgp, const char *path, struct rb_run_config *out,
		    struct rb_error *err)
{
	config_t *cfg = cfgp;
	config_setting_t *list, *run;
	int n;

	memset(out, 0, sizeof(*out));
	out->log_level = rb_xstrdup("info");
	run = config_lookup(cfg, "run");
	if (run != NULL) {
		int m = config_setting_length(run);

		if (!config_setting_is_group(run))
			return where(err, path, run, "run must be a group", NULL);
		for (int i = 0; i < m; i++) {
			config_setting_t *s = config_setting_get_elem(run, (unsigned)i);
			const char *name = config_setting_name(s);

			if (name != NULL && strcmp(name, "syslog") == 0 &&
			    config_setting_type(s) == CONFIG_TYPE_BOOL) {
				out->syslog = config_setting_get_bool(s) != 0;
			} else if (name != NULL && strcmp(name, "log_level") == 0 &&
				   config_setting_type(s) == CONFIG_TYPE_STRING) {
				const char *lv = config_setting_get_string(s);

				if (strcmp(lv, "error") != 0 && strcmp(lv, "warning") != 0 &&
				    strcmp(lv, "notice") != 0 && strcmp(lv, "info") != 0 &&
				    strcmp(lv, "debug") != 0)
					return where(err, path, s,
						     "log_level must be error, warning, notice, info or debug",
						     NULL);
				free(out->log_level);
				out->log_level = rb_xstrdup(lv);
			} else {
				return where(err, path, s, "unknown or mistyped run setting ",
					     name);
			}
		}
	}
	list = config_lookup(cfg, "sources");
	if (list == NULL)
		return 0;
	if (!config_setting_is_list(list) && !config_setting_is_array(list))
		return where(err, path, list,
			     "sources must be a list: sources = ( { ... }, ... );", NULL);
	n = config_setting_length(list);
	out->sources = rb_xcalloc((size_t)n + 1, sizeof(*out->sources));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, (unsigned)i);

		if (!config_setting_is_group(g)) {
			rb_run_config_clear(out);
			return where(err, path, g, "each source must be a group { ... }",
				     NULL);
		}
		out->n_sources++;
		if (read_source(g, path, &out->sources[i], err) < 0) {
			rb_run_config_clear(out);
			return -1;
		}
		for (int j = 0; j < i; j++) {
			if (strcmp(out->sources[j].name, out->sources[i].name) == 0) {
				where(err, path, g, "duplicate source name ",
				      out->sources[i].name);
				rb_run_config_clear(out);
				return -1;
			}
		}
	}
	return 0;
}
