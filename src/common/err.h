/* One error type for the whole library: an errno and a message.
 * Library functions return -1 (or NULL) and fill *err; only the CLI prints. */
#ifndef IRONBOX_ERR_H
#define IRONBOX_ERR_H

#include <errno.h>
#include <stdarg.h>

#define IB_ERR_MSG_MAX 1024

typedef struct ib_err {
	int code; /* errno value, 0 when the failure has no errno */
	char msg[IB_ERR_MSG_MAX];
} ib_err;

/* Set the error and return -1. The message is printf-formatted. */
int ib_err_set(ib_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like ib_err_set with code = errno and ": strerror" appended. */
int ib_err_sys(ib_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepend context ("what: ") to an existing error; returns -1. */
int ib_err_wrap(ib_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ib_err_clear(ib_err *err);

#endif
