/* Where a command spends its time, phase by phase, for bench/.
 *
 * The library marks the end of each phase of its own work (ib_phase_mark);
 * the time since the previous mark is charged to that name (a name marked
 * twice adds up). Nothing is recorded unless IRONBOX_PHASES names a file:
 * then the CLI appends one JSON line per command to it (ib_phase_write).
 * Marks cost one clock_gettime when enabled and a branch when not. */
#ifndef IRONBOX_PHASE_H
#define IRONBOX_PHASE_H

#include <stdbool.h>
#include <time.h>

#include "common/err.h"

/* Start the clock for command cmd (reads IRONBOX_PHASES once). */
void ib_phase_start(const char *cmd);
/* In a forked child (the container's init): start a record of its own,
 * cmd, with the output file opened now, while the host's paths are still
 * reachable. The fd is close-on-exec and closed by ib_phase_write. */
void ib_phase_child(const char *cmd);
/* The same, for a record that began at start (CLOCK_MONOTONIC) in another
 * process (the init's first stage); its CPU time is not counted. */
void ib_phase_child_since(const char *cmd, const struct timespec *start);
/* Charge the wall time from the previous mark until at (CLOCK_MONOTONIC,
 * taken by another process) to name, with no CPU time. */
void ib_phase_mark_at(const char *name, const struct timespec *at);
/* Charge the time since the previous mark to name (a string literal). */
void ib_phase_mark(const char *name);
/* Append {"cmd":..., "total_us":..., "total_cpu_us":...,
 * "phases":{name: us, ...}, "cpu_phases":{name: us, ...}} to the
 * IRONBOX_PHASES file; no-op when disabled. CPU time is this process's plus
 * that of the children it reaped (charged to the phase that reaped them). */
int ib_phase_write(ib_err *err);

#endif
