/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_config.c - rebound.conf: the defaults, a valid file, and
 * rejection with "file:line" of unknown keys, wrong types, bad values and
 * syntax errors; a missing file is an IO error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/error.h"

#include "check.h"

static char tmpdir[64];
static char conf_path[128];

static void write_conf(const char *text)
{
	FILE *fp = fopen(conf_path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void check_default_limits(const char *row, const struct rb_limits *l)
{
	struct rb_limits d;

	rb_limits_default(&d);
	CHECK_INT(row, "max_message_size", l->max_message_size,
		  RB_DEF_MAX_MESSAGE_SIZE);
	CHECK_INT(row, "max_parts", l->max_parts, d.max_parts);
	CHECK_INT(row, "max_depth", l->max_depth, d.max_depth);
	CHECK_INT(row, "max_header_line", l->max_header_line,
		  d.max_header_line);
	CHECK_INT(row, "max_blocks", l->max_blocks, d.max_blocks);
	CHECK_INT(row, "max_part_bytes", l->max_part_bytes, d.max_part_bytes);
	CHECK_INT(row, "max_text_bytes", l->max_text_bytes, d.max_text_bytes);
	CHECK_INT(row, "max_recipients", l->max_recipients, d.max_recipients);
}

static void test_defaults(void **state)
{
	static const char *const want_hdrs[] = {RB_DEF_TRACKING_HEADERS};
	struct rb_config *c = rb_config_default();

	(void)state;
	NEED(c);
	CHECK_STR("default", "path", c->path, "");
	check_default_limits("default", &c->limits);
	CHECK_INT("default", "max_fields", c->limits.max_fields,
		  RB_DEF_MAX_FIELDS);
	CHECK_INT("default", "n_tracking_headers", c->n_tracking_headers,
		  sizeof(want_hdrs) / sizeof(want_hdrs[0]));
	for (size_t i = 0; i < c->n_tracking_headers; i++)
		CHECK_STR("default", "tracking header", c->tracking_headers[i],
			  want_hdrs[i]);
	CHECK_STR("default", "verp", c->verp, RB_DEF_VERP);
	CHECK_INT("default", "n_rule_files", c->n_rule_files, 0);
	CHECK_STR("default", "rules_dir", c->rules_dir, "");
	rb_config_free(&c);
	assert_null(c);
	rb_config_free(&c);
	rb_config_free(NULL);
}

static void test_valid_file(void **state)
{
	struct rb_error err;
	struct rb_config *c;

	(void)state;
	write_conf("# rebound test configuration\n"
		   "limits = {\n"
		   "  max_fields = 100;\n"
		   "  max_message_size = 1048576;\n"
		   "};\n"
		   "parse = {\n"
		   "  tracking_headers = [ \"X-Customer\", \"X-Account\" ];\n"
		   "  verp = \"\";\n"
		   "  outbound_networks = [ \"192.0.2.0/24\", \"2001:db8::/32\" ];\n"
		   "};\n"
		   "rules = {\n"
		   "  files = [ \"/etc/rebound/a.rules\" ];\n"
		   "  dir = \"/opt/rebound/rules\";\n"
		   "};\n");
	rb_error_clear(&err);
	c = rb_config_load(conf_path, &err);
	if (c == NULL) {
		print_error("load: %s\n", err.msg);
		fail();
		return;
	}
	CHECK_STR("valid", "path", c->path, conf_path);
	CHECK_INT("valid", "max_fields", c->limits.max_fields, 100);
	CHECK_INT("valid", "max_message_size", c->limits.max_message_size,
		  1048576);
	CHECK_INT("valid", "max_parts (default)", c->limits.max_parts,
		  RB_DEF_MAX_PARTS);
	CHECK_INT("valid", "n_tracking_headers", c->n_tracking_headers, 2);
	CHECK_STR("valid", "tracking_headers[0]", c->tracking_headers[0],
		  "X-Customer");
	CHECK_STR("valid", "tracking_headers[1]", c->tracking_headers[1],
		  "X-Account");
	CHECK_STR("valid", "verp", c->verp, "");
	CHECK_INT("valid", "n_outbound", c->n_outbound, 2);
	CHECK_TRUE("valid", "outbound 192.0.2.9",
		   rb_net_contains(c->outbound, c->n_outbound, "192.0.2.9"));
	CHECK_TRUE("valid", "not outbound 198.51.100.1",
		   !rb_net_contains(c->outbound, c->n_outbound, "198.51.100.1"));
	CHECK_INT("valid", "n_rule_files", c->n_rule_files, 1);
	CHECK_STR("valid", "rule_files[0]", c->rule_files[0],
		  "/etc/rebound/a.rules");
	CHECK_STR("valid", "rules_dir", c->rules_dir, "/opt/rebound/rules");
	rb_config_free(&c);

	/* an empty file is all defaults */
	write_conf("");
	c = rb_config_load(conf_path, &err);
	NEED(c);
	check_default_limits("empty", &c->limits);
	CHECK_STR("empty", "verp", c->verp, RB_DEF_VERP);
	CHECK_INT("empty", "n_tracking_headers", c->n_tracking_headers, 3);
	rb_config_free(&c);
}

static void test_rejected(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		int line;
		const char *says;
	} rows[] = {
	    {"unknown-key", "limits = {\n  max_feilds = 5;\n};\n", 2,
	     "max_feilds"},
	    {"unknown-top", "# c\nbogus = 1;\n", 2, "bogus"},
	    {"unknown-group", "parse = {\n};\nstorage = {\n  x = 1;\n};\n", 3,
	     "storage"},
	    {"int-as-string", "limits = {\n  max_fields = \"many\";\n};\n", 2,
	     "integer"},
	    {"string-as-int", "parse = {\n  verp = 5;\n};\n", 2, "string"},
	    {"list-of-ints", "parse = {\n  tracking_headers = [ 1, 2 ];\n};\n",
	     2, "list of strings"},
	    {"string-not-list", "rules = {\n  files = \"a.rules\";\n};\n", 2,
	     "list of strings"},
	    {"scalar-not-group", "limits = 5;\n", 1, "group"},
	    {"zero-limit", "limits = {\n  max_fields = 0;\n};\n", 2, "range"},
	    {"negative-limit", "limits = {\n  max_depth = -3;\n};\n", 2,
	     "range"},
	    {"syntax", "limits = {\n  max_fields = ;\n};\n", 2, ""},
	    {"bad-network",
	     "parse = {\n  outbound_networks = [ \"192.0.2.0/24\",\n"
	     "    \"relay.example.net\" ];\n};\n",
	     3, "relay.example.net"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_error err;
		struct rb_config *c;
		char prefix[160];

		write_conf(rows[i].text);
		rb_error_clear(&err);
		c = rb_config_load(conf_path, &err);
		CHECK_TRUE(rows[i].name, "rejected", c == NULL);
		rb_config_free(&c);
		CHECK_INT(rows[i].name, "code", err.code, RB_E_CONFIG);
		(void)snprintf(prefix, sizeof(prefix), "%s:%d:", conf_path,
			       rows[i].line);
		if (strncmp(err.msg, prefix, strlen(prefix)) != 0) {
			print_error(
			    "[%s] msg: got \"%s\", want prefix \"%s\"\n",
			    rows[i].name, err.msg, prefix);
			fail();
		}
		CHECK_CONTAINS(rows[i].name, "msg", err.msg, rows[i].says);
	}
}

static void test_missing_file(void **state)
{
	struct rb_error err;
	struct rb_config *c;
	char path[160];

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/no-such.conf", tmpdir);
	rb_error_clear(&err);
	c = rb_config_load(path, &err);
	CHECK_TRUE("missing", "NULL", c == NULL);
	rb_config_free(&c);
	CHECK_INT("missing", "code", err.code, RB_E_IO);
	CHECK_CONTAINS("missing", "msg", err.msg, "no-such.conf");
}

static int group_setup(void **state)
{
	(void)state;
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/rb-test-config-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	(void)snprintf(conf_path, sizeof(conf_path), "%s/rebound.conf", tmpdir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	(void)unlink(conf_path);
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_valid_file),
	    cmocka_unit_test(test_rejected),
	    cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
