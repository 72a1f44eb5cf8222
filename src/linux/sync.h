/* Messages between the runtime and the container process over a socketpair:
 * a small fixed header, an optional payload, and optional fds (SCM_RIGHTS). */
#ifndef IRONBOX_SYNC_H
#define IRONBOX_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum ib_sync_type {
	IB_SYNC_MAPS_DONE =
	    1, /* runtime -> init: go on (user namespace ready); value = init's host pid */
	IB_SYNC_MOUNT_FD,   /* runtime -> child: payload = mount index (int32), 1 fd */
	IB_SYNC_FDS_DONE,   /* runtime -> child: all prepared fds sent */
	IB_SYNC_PRE_HOOKS,  /* child -> runtime: mounts done, run prestart/createRuntime */
	IB_SYNC_HOOKS_DONE, /* runtime -> child */
	IB_SYNC_CREATED,    /* child -> runtime: ready, waiting for start */
	IB_SYNC_ERROR,	    /* either way: payload = errno (int32) + message */
	IB_SYNC_PID,	    /* exec: intermediate -> runtime: payload = pid */
	IB_SYNC_AGENT_FD,   /* child -> runtime: the spec filter's listener, for listenerPath */
	IB_SYNC_LISTENER,   /* child -> runtime: its seccomp listener (1 fd), for the supervisor */
	IB_SYNC_PROCVIEW,   /* runtime -> init: value 1 = the supervisor's emulated files are served
			     */
	IB_SYNC_FILTER,	    /* runtime -> init: ironbox's seccomp filter, built meanwhile (memfd) */
};

struct ib_sync_msg {
	uint32_t type;
	int32_t value; /* mount index, errno or pid */
	char text[IB_ERR_MSG_MAX];
	int fd; /* received fd or -1 */
};

int ib_sync_send(int sock, uint32_t type, int32_t value, const char *text, int fd, ib_err *err);
/* Receive one message; EOF is an error ("container process exited"). */
int ib_sync_recv(int sock, struct ib_sync_msg *msg, ib_err *err);
/* Receive and require a given type; an IB_SYNC_ERROR message becomes err. */
int ib_sync_expect(int sock, uint32_t type, struct ib_sync_msg *msg, ib_err *err);
/* Send err to the peer as IB_SYNC_ERROR. */
void ib_sync_send_error(int sock, const ib_err *err);

/* Send one fd with a name payload (console socket protocol, like runc). */
int ib_send_fd_named(int sock, int fd, const char *name, ib_err *err);

/* Connect to a --console-socket (the pty master goes there). */
int ib_console_connect(const char *path, ib_err *err);

#endif
