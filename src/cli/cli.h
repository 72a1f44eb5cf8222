/* Shared pieces of the command line: one function per verb, error reporting
 * the way runc does it, and small flag helpers. */
#ifndef IRONBOX_CLI_H
#define IRONBOX_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "linux/container.h"

#define IB_VERSION "0.1.0"
#define IB_SPEC_VERSION "1.2.0"

/* Each verb gets argv[0] = verb name and returns the process exit code. */
typedef int (*ib_cli_fn)(struct ib_global_opts *g, int argc, char **argv);

int cmd_audit(struct ib_global_opts *g, int argc, char **argv);
int cmd_create(struct ib_global_opts *g, int argc, char **argv);
int cmd_start(struct ib_global_opts *g, int argc, char **argv);
int cmd_run(struct ib_global_opts *g, int argc, char **argv);
int cmd_exec(struct ib_global_opts *g, int argc, char **argv);
int cmd_kill(struct ib_global_opts *g, int argc, char **argv);
int cmd_delete(struct ib_global_opts *g, int argc, char **argv);
int cmd_state(struct ib_global_opts *g, int argc, char **argv);
int cmd_list(struct ib_global_opts *g, int argc, char **argv);
int cmd_ps(struct ib_global_opts *g, int argc, char **argv);
int cmd_pause(struct ib_global_opts *g, int argc, char **argv);
int cmd_resume(struct ib_global_opts *g, int argc, char **argv);
int cmd_update(struct ib_global_opts *g, int argc, char **argv);
int cmd_events(struct ib_global_opts *g, int argc, char **argv);
int cmd_features(struct ib_global_opts *g, int argc, char **argv);
int cmd_spec(struct ib_global_opts *g, int argc, char **argv);
int cmd_policy_init(struct ib_global_opts *g, int argc, char **argv);
int cmd_install(struct ib_global_opts *g, int argc, char **argv);
int cmd_uninstall(struct ib_global_opts *g, int argc, char **argv);
/* `audit` with no container ID: containers of the local engines not under
 * ironbox (runs ironbox-admin). */
int cmd_audit_engines(struct ib_global_opts *g, int argc, char **argv);
/* Hidden: the Docker authorization plugin (runs ironbox-admin). */
int cmd_authz_plugin(struct ib_global_opts *g, int argc, char **argv);

/* Report an error like runc (logrus line on stderr, or into --log plus the
 * bare message on stderr) and return exit code 1. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_fail(const ib_err *err);

/* getopt_long_only loop helper: reset the parser for a verb's argv. Returns
 * the next option like getopt_long_only, reporting unknown flags / missing
 * values itself and returning '?' for them (the verb then returns 1). */
void cli_getopt_reset(void);
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* Flags may follow the arguments, as runc's CLI (urfave/cli) allows for
 * `update ID --memory X`, `kill ID KILL --all`, `delete ID --force`: move
 * argv[1..] entries that are flags of longopts/shortopts (with the value of
 * one that takes it) before the others, in order; "--" ends the flags. */
void cli_flags_first(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* Positional argument count check: runc's `"state" requires exactly 1
 * argument(s)`. kind: 0 exact, 1 minimum, 2 maximum. Returns 0 or 1 (error
 * reported). */
enum { CLI_ARGS_EXACT, CLI_ARGS_MIN, CLI_ARGS_MAX };
int cli_check_args(const char *verb, int nargs, int expected, int kind);

/* Help text for a verb (stdout); returns 0. */
int cli_usage(const char *verb, const char *usage);

/* Absolute form of path (relative to the cwd), malloc'd; NULL stays NULL. */
char *cli_abs_path(const char *path);
/* Non-negative int flag value; false (error reported) on garbage. */
bool cli_parse_uint(const char *flag, const char *val, uint64_t *out);
bool cli_parse_int(const char *flag, const char *val, int64_t *out);

/* Shared by create and run. Returns -1 on a reported error, 1 when --help was
 * printed, else 0 with *id_index set to argv index of the container id. */
int cli_parse_create(int argc, char **argv, bool run, struct ib_create_opts *o, char **bundle_buf,
		     char **pid_file_buf, char **console_buf);

#endif
