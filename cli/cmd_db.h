/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/cmd_db.h - the PostgreSQL subcommands: `rebound db migrate|status`
 * and `rebound ingest`.
 */
#ifndef REBOUND_CLI_CMD_DB_H
#define REBOUND_CLI_CMD_DB_H

/* Exit status when the database is unreachable or failed (sysexits.h
 * EX_TEMPFAIL): an MTA keeps the message queued and tries again. */
#define RB_EXIT_TEMPFAIL 75

/* `rebound db ...`; @argv[0] is "db". Returns the exit status. */
int rb_cmd_db(int argc, char **argv);

/* `rebound ingest ...`; @argv[0] is "ingest". Returns the exit status:
 * 0 once the last batch committed, 1 when a path could not be read (the
 * rest was stored), 2 for a usage error, 75 when the database is
 * unreachable after the retries. */
int rb_cmd_ingest(int argc, char **argv);

#endif
