/* Signal names as runc's CLI accepts them: "KILL", "SIGKILL", "sigkill", "9",
 * and the real-time forms "RTMIN+3" / "SIGRTMAX-1". */
#ifndef IRONBOX_SIGNALS_H
#define IRONBOX_SIGNALS_H

/* Parse a signal; returns the number (0..SIGRTMAX) or -1 if unknown. */
int ib_parse_signal(const char *s);
/* "SIGKILL" for 9, NULL if the number has no name. */
const char *ib_signal_name(int sig);

#endif
