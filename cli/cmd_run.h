/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/cmd_run.h - `rebound run`, the daemon over the live sources.
 */
#ifndef REBOUND_CLI_CMD_RUN_H
#define REBOUND_CLI_CMD_RUN_H

/* rebound run -c rebound.conf [--once]. Returns the exit status. */
int rb_cmd_run(int argc, char **argv);

#endif
