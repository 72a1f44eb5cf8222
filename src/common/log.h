/* Logging sink. The library reports warnings and debug detail through here;
 * the CLI decides where they go (stderr, --log file, text or json lines). */
#ifndef IRONBOX_LOG_H
#define IRONBOX_LOG_H

enum ib_log_level { IB_LOG_ERROR, IB_LOG_WARNING, IB_LOG_INFO, IB_LOG_DEBUG };

typedef void (*ib_log_sink)(enum ib_log_level level, const char *msg, void *data);

void ib_log_set_sink(ib_log_sink sink, void *data);
void ib_log_set_level(enum ib_log_level max_level);
void ib_log(enum ib_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ib_warn(...) ib_log(IB_LOG_WARNING, __VA_ARGS__)
#define ib_debug(...) ib_log(IB_LOG_DEBUG, __VA_ARGS__)

#endif
