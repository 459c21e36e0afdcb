/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/cmd_suppression.h - `rebound suppression`, `rebound reputation`,
 * `rebound report` and `rebound volume`.
 */
#ifndef REBOUND_CLI_CMD_SUPPRESSION_H
#define REBOUND_CLI_CMD_SUPPRESSION_H

/* `rebound suppression list|check|add|remove|export`; @argv[0] is
 * "suppression". check exits 0 when the address may be mailed, 1 when it
 * is suppressed; every command exits 2 for a usage error and 75 when the
 * database is unreachable. */
int rb_cmd_suppression(int argc, char **argv);

/* `rebound reputation [--sender S] [--ip IP] [--state S] [--window N]
 * [--format F]`. */
int rb_cmd_reputation(int argc, char **argv);

/* `rebound report NAME [--since DATE] [--format F]`. */
int rb_cmd_report(int argc, char **argv);

/* `rebound volume import [--by sender|ip] FILE.csv|-`: exit 1 when a line
 * was bad (the good ones are stored). */
int rb_cmd_volume(int argc, char **argv);

#endif
