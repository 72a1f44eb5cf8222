/* The supervisor's audit log: every denied call as one JSON line appended
 * to <state dir>/audit.log (opened by the supervisor, written by its agent;
 * `ironbox audit ID` prints it). A line:
 *   {"time":"2026-12-01T10:00:00.123456789Z","id":"c1","pid":4242,
 *    "container_pid":7,"syscall":"chmod","args":{"path":"/vol/x","mode":"04755"},
 *    "target":"/vol/x","rule":"setid","reason":"...","errno":"EPERM"}
 * The log is capped (IB_AUDIT_MAX_BYTES): a container that loops on denied
 * calls cannot fill the host's /run; dropped lines are counted in the
 * supervisor's statistics. */
#ifndef IRONBOX_AUDIT_H
#define IRONBOX_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

#define IB_AUDIT_FILE "audit.log"
#define IB_AUDIT_MAX_BYTES (1 << 20)

struct json_object;

struct ib_audit_entry {
	const char *id;		  /* container */
	pid_t pid, container_pid; /* caller: host pid, pid in its own namespace */
	const char *syscall;
	struct json_object *args; /* decoded arguments (borrowed), may be NULL */
	const char *target;	  /* the object decided on, as the caller sees it */
	const char *rule;
	const char *reason;
	int error; /* errno returned to the caller */
};

/* In the supervisor, lines are not written to the log directly: the agent
 * and the supervisor send each one as a message on a socket (SEQPACKET,
 * non-blocking: a full socket drops the line, counted), and the supervisor
 * appends them to the log, which it creates with the first one: most
 * containers are never denied anything, and a file made per container is
 * an inode allocated and freed on the host's /run.
 *
 * The sink: returns the supervisor's end, *writer the end for writers. */
int ib_audit_sink_open(int *writer, ib_err *err);
/* Append what arrived on the sink to <state_dirfd>/audit.log (made then,
 * 0600); lines over the cap are counted in *dropped. */
void ib_audit_sink_drain(int sink, int state_dirfd, uint64_t *dropped);

/* The JSON line (malloc'd, with its '\n'). */
char *ib_audit_line(const struct ib_audit_entry *e);
/* Append it to fd with one write (O_APPEND, or one message on the sink);
 * false when the log is full (or the sink). */
bool ib_audit_write(int fd, const struct ib_audit_entry *e);

#endif
